// What the benchmark measures around a phase without disturbing it: the server's global status
// counters (one SHOW GLOBAL STATUS before and one after), and CPU time and memory of a process
// from /proc. Not thread-safe: one ServerProbe per thread; the /proc readers are.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "bench/sql_conn.hpp"

namespace so::bench {

// Numeric global status variables by name (non-numeric ones are left out).
using Counters = std::map<std::string, int64_t>;

int64_t Get(const Counters& c, const std::string& name);  // 0 when absent

class ServerProbe {
 public:
  // Measures once what a snapshot itself adds to the counters (in MariaDB 10.11: Questions 1,
  // Com_show_status 1), so that deltas are the phase's alone.
  explicit ServerProbe(SqlConn& conn);

  Counters Snapshot();
  // after - before, less what the `after` snapshot added.
  Counters Delta(const Counters& before, const Counters& after) const;

 private:
  SqlConn& conn_;
  Counters own_cost_;
};

// What a delta says about the SQL a client sent, as MariaDB 10.11 counts it (sql/sql_parse.cc,
// checked by hand with Connector/C++ 1.1, see README "Benchmark"):
// - Questions: +1 per statement a client sends, text (each statement of a multi-statement
//   command counts) or prepared (COM_STMT_EXECUTE); COM_STMT_PREPARE, COM_STMT_CLOSE,
//   COM_STMT_RESET, COM_PING and COM_STATISTICS are not counted.
// - Com_stmt_execute / Com_stmt_prepare / Com_stmt_reset: one per such command.
// - Com_commit: one per COMMIT statement, text or prepared (Handler_commit is per statement
//   and engine, not per transaction, so it is not used).
struct SqlCost {
  int64_t statements = 0;   // Questions
  int64_t round_trips = 0;  // see RoundTrips()
  int64_t commits = 0;      // Com_commit
  int64_t prepares = 0;     // Com_stmt_prepare
  int64_t log_writes = 0;   // Innodb_log_writes: redo log writes, one per durable commit
};
// Round trips = Questions + Com_stmt_prepare + Com_stmt_reset - Com_stmt_send_long_data: every
// command that waits for an answer, as long as each text command holds one statement (true of
// the daemon today; with multi-statement commands this over-counts, and the general-log capture
// gives the exact number of commands).
SqlCost CostOf(const Counters& delta);

// CPU time (utime + stime, all threads) of a process so far, in ms; throws if it is gone.
double CpuMs(pid_t pid);

// Waits until the process uses less than `busy` of one CPU over two samples 250 ms apart in a
// row (e.g. the server done with the purge and flushing that the last phase left), at most
// `max_wait`; false when it never got that quiet.
bool WaitUntilQuiet(pid_t pid, double busy, std::chrono::milliseconds max_wait);

struct Memory {
  int64_t rss_kb = 0;  // VmRSS
  int64_t hwm_kb = 0;  // VmHWM: the peak RSS since start or since ResetPeakRss()
};
Memory MemoryOf(pid_t pid);
// Resets VmHWM to the current RSS (writes 5 to /proc/<pid>/clear_refs; Linux 4.0 and later, as
// root or the owner). False when the kernel refused.
bool ResetPeakRss(pid_t pid);

// The pid of the private server started from `server_dir` (its mysqld.pid file).
pid_t ServerPid(const std::string& server_dir);

}  // namespace so::bench
