// What the daemon is compared with, measured on the same server in the same run: how many
// durable one-row transactions one connection commits per second, and how fast the daemon's own
// SQL runs without the daemon (captured from the general log of a second daemon on a copy of the
// database, replayed as text on another copy). Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/fixture.hpp"
#include "bench/probes.hpp"
#include "bench/sql_conn.hpp"
#include "tests/pos_sim/daemon_process.hpp"

namespace so::bench {

struct CommitCeiling {
  int64_t commits = 0;
  double seconds = 0;
  double commits_per_s = 0;
  double server_cpu_ms = 0;
  Counters delta;
  SqlCost cost;
};

// INSERT one row; COMMIT, on one connection, for `duration` (after a short warm-up), in a
// database of its own that is dropped afterwards.
CommitCeiling MeasureCommitCeiling(const so::testing::ServerInfo& server, SqlConn& admin,
                                   ServerProbe& probe, pid_t server_pid,
                                   std::chrono::milliseconds duration);

// A copy of a database in its state of now: every table with its keys, foreign keys and
// AUTO_INCREMENT counter (SHOW CREATE TABLE), and every row. Dropped on destruction.
class ScratchCopy {
 public:
  ScratchCopy(SqlConn& admin, const std::string& from, std::string name);
  ~ScratchCopy();
  ScratchCopy(const ScratchCopy&) = delete;
  ScratchCopy& operator=(const ScratchCopy&) = delete;
  const std::string& name() const { return name_; }

 private:
  SqlConn& admin_;
  std::string name_;
};

// What the daemon's connection sent while it handled a slice of messages, from the general log.
struct CapturedSql {
  std::string phase;
  size_t messages = 0;
  // Query and Execute rows (Execute rows hold the statement with its parameters filled in), in
  // order: the session set-up before the first message, then the slice.
  std::vector<std::string> setup, slice;
  // Every command of the slice by general-log type (Query, Execute, Prepare, Close stmt, ...).
  std::map<std::string, int64_t> commands;
  // Commands of the slice that wait for an answer (all but Close stmt, Long Data and Quit):
  // the exact round trips, however many statements a command holds.
  int64_t round_trips = 0;
};

// Starts a second daemon as `setup` says on `db` (a scratch copy in the pre-phase state), with
// the general log on (log_output TABLE, restored afterwards), plays msgs[0..slice) to it and
// returns what its connection sent. The capture's own slowness stays out of every measured run.
CapturedSql CaptureDaemonSql(const std::string& phase, SqlConn& admin,
                             so::testing::DaemonSetup setup, const std::vector<Outgoing>& msgs,
                             size_t slice);

// Writes the capture as a SQL script, for reading (setup first, then one command per line).
void WriteCapture(const CapturedSql& sql, const std::string& path);

struct ReplayResult {
  std::string phase;
  size_t messages = 0;
  double seconds = 0;
  double msg_per_s = 0;
  double commits_per_s = 0;
  int64_t commands = 0;
  int64_t errors = 0;  // commands the server refused (replayed on regardless, as captured)
  std::string first_error;
  double server_cpu_ms = 0;
  double client_cpu_ms = 0;  // the replaying process: what the daemon's CPU column compares with
  Counters delta;
  SqlCost cost;
};

// Replays the capture on `db` (another copy in the same pre-phase state) over one connection as
// text commands, one command per captured command, the set-up untimed, the slice timed.
ReplayResult Replay(const so::testing::ServerInfo& server, const std::string& db,
                    const CapturedSql& sql, ServerProbe& probe, pid_t server_pid);

}  // namespace so::bench
