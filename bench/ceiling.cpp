#include "bench/ceiling.hpp"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "bench/bus.hpp"
#include "bench/children.hpp"
#include "bench/phases.hpp"

namespace so::bench {
namespace {

using so::testing::QuoteIdentifier;
using so::testing::QuoteString;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// `text` as a LIKE pattern that matches only itself.
std::string LikeLiteral(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// General-log command types that get no answer from the server.
bool Answered(const std::string& type) {
  return type != "Close stmt" && type != "Long Data" && type != "Quit";
}

// Turns the general log on into mysql.general_log for its lifetime, then back to how it was.
class GeneralLog {
 public:
  explicit GeneralLog(SqlConn& admin) : admin_(admin) {
    const auto row = admin_.Query("SELECT @@global.general_log, @@global.log_output");
    was_on_ = row.at(0).at(0).value_or("0");
    output_ = row.at(0).at(1).value_or("FILE");
    admin_.Run("SET GLOBAL general_log = 0");
    admin_.Run("SET GLOBAL log_output = 'TABLE'");
    admin_.Run("TRUNCATE TABLE mysql.general_log");
    admin_.Run("SET GLOBAL general_log = 1");
  }
  ~GeneralLog() {
    try {
      Off();
      admin_.Run("TRUNCATE TABLE mysql.general_log");
      admin_.Run("SET GLOBAL log_output = " + QuoteString(output_));
      admin_.Run("SET GLOBAL general_log = " + was_on_);
    } catch (const std::exception&) {
      // Best effort: the server is the benchmark's own and is stopped at the end anyway.
    }
  }
  void Off() { admin_.Run("SET GLOBAL general_log = 0"); }

 private:
  SqlConn& admin_;
  std::string was_on_, output_;
};

}  // namespace

CommitCeiling MeasureCommitCeiling(const so::testing::ServerInfo& server, SqlConn& admin,
                                   ServerProbe& probe, pid_t server_pid,
                                   std::chrono::milliseconds duration) {
  const std::string db = "bench_ceiling";
  admin.Run("DROP DATABASE IF EXISTS " + db);
  admin.Run("CREATE DATABASE " + db);
  CommitCeiling r;
  {
    SqlConn conn(server, db);
    conn.Run(
        "CREATE TABLE ceiling_rows (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
        "at DATETIME(6) NOT NULL, note VARCHAR(64) NOT NULL) ENGINE=InnoDB");
    conn.Run("SET autocommit = 0");
    const std::string insert = "INSERT INTO ceiling_rows (at, note) VALUES (NOW(6), 'ceiling')";
    for (int i = 0; i < 50; ++i) {
      conn.Run(insert);
      conn.Run("COMMIT");
    }
    const Counters before = probe.Snapshot();
    const double cpu = CpuMs(server_pid);
    const auto start = Clock::now();
    auto now = start;
    for (; now - start < duration; now = Clock::now()) {
      conn.Run(insert);
      conn.Run("COMMIT");
      ++r.commits;
    }
    r.seconds = Seconds(now - start);
    r.server_cpu_ms = CpuMs(server_pid) - cpu;
    r.delta = probe.Delta(before, probe.Snapshot());
  }
  admin.Run("DROP DATABASE " + db);
  r.cost = CostOf(r.delta);
  r.commits_per_s = static_cast<double>(r.commits) / r.seconds;
  return r;
}

ScratchCopy::ScratchCopy(SqlConn& admin, const std::string& from, std::string name)
    : admin_(admin), name_(std::move(name)) {
  const std::string to = QuoteIdentifier(name_);
  const auto collation = admin_.QueryValue(
      "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " +
      QuoteString(from));
  admin_.Run("DROP DATABASE IF EXISTS " + to);
  admin_.Run("CREATE DATABASE " + to + " COLLATE " + collation);
  // SHOW CREATE TABLE names referenced tables without their database, so each table is created
  // from inside the copy; foreign keys are checked on neither the creation order nor the rows.
  admin_.Run("SET SESSION foreign_key_checks = 0");
  try {
    const auto tables =
        admin_.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                     QuoteString(from) + " AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME");
    admin_.Run("USE " + to);
    for (const auto& row : tables) {
      const std::string table = QuoteIdentifier(*row.at(0));
      const auto create = admin_.Query("SHOW CREATE TABLE " + QuoteIdentifier(from) + "." + table);
      admin_.Run(*create.at(0).at(1));
      admin_.Run("INSERT INTO " + to + "." + table + " SELECT * FROM " + QuoteIdentifier(from) +
                 "." + table);
    }
  } catch (...) {
    admin_.Run("SET SESSION foreign_key_checks = 1");
    throw;
  }
  admin_.Run("SET SESSION foreign_key_checks = 1");
}

ScratchCopy::~ScratchCopy() {
  try {
    admin_.Run("DROP DATABASE IF EXISTS " + QuoteIdentifier(name_));
  } catch (const std::exception&) {
    // Left for the end of the run: the benchmark's server is wiped when it starts again.
  }
}

CapturedSql CaptureDaemonSql(const std::string& phase, SqlConn& admin,
                             so::testing::DaemonSetup setup, const std::vector<Outgoing>& msgs,
                             size_t slice) {
  CapturedSql out;
  out.phase = phase;
  out.messages = std::min(slice, msgs.size());
  const std::string db = setup.database.database;
  std::vector<Row> rows;
  std::string threads;
  size_t setup_rows = 0;
  {
    GeneralLog log(admin);
    so::testing::DaemonProcess daemon(setup);
    daemon.Start();
    ChildSlot slot(daemon.pid());
    // The daemon's connection is the one that connected to the copy while the log was on; the
    // benchmark's own connections were open before.
    for (const auto& r : admin.Query(
             "SELECT DISTINCT thread_id FROM mysql.general_log WHERE command_type = 'Connect' "
             "AND argument LIKE " +
             QuoteString("% on " + LikeLiteral(db) + " using %"))) {
      threads += (threads.empty() ? "" : ", ") + *r.at(0);
    }
    if (threads.empty()) throw std::runtime_error("capture: no connection of the daemon to " + db);
    const std::string where = " FROM mysql.general_log WHERE thread_id IN (" + threads + ")";
    setup_rows = std::stoul(admin.QueryValue("SELECT COUNT(*)" + where));
    BenchBus bus(daemon.pos_endpoint(), daemon.events_endpoint());
    bus.WaitForDaemon();
    for (size_t i = 0; i < out.messages; ++i) bus.Publish(msgs[i]);
    bus.WaitAnswered(msgs, out.messages, AnswerTimeout(out.messages), [&daemon] {
      if (daemon.TryWait()) throw std::runtime_error("the capture daemon exited:\n" + daemon.Log());
    });
    log.Off();
    // A CSV table without an index: rows come back in the order they were written.
    rows = admin.Query("SELECT command_type, argument" + where);
    if (daemon.Stop() != 0) throw std::runtime_error("capture daemon: " + daemon.Log());
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string type = rows[i].at(0).value_or("");
    const std::string text = rows[i].at(1).value_or("");
    const bool statement = type == "Query" || type == "Execute";
    if (i < setup_rows) {
      if (statement) out.setup.push_back(text);
      continue;
    }
    ++out.commands[type];
    if (Answered(type)) ++out.round_trips;
    if (statement) out.slice.push_back(text);
  }
  if (out.slice.empty()) throw std::runtime_error("capture: the daemon sent nothing for " + phase);
  return out;
}

void WriteCapture(const CapturedSql& sql, const std::string& path) {
  std::ofstream out(path);
  out << "-- " << sql.phase << ": what the daemon's connection sent for " << sql.messages
      << " messages (general log; Execute rows with their parameters filled in).\n"
      << "-- session set-up (replayed untimed)\n";
  for (const auto& s : sql.setup) out << s << ";\n";
  out << "-- the slice (replayed and timed)\n";
  for (const auto& s : sql.slice) out << s << ";\n";
  if (!out) throw std::runtime_error("cannot write " + path);
}

ReplayResult Replay(const so::testing::ServerInfo& server, const std::string& db,
                    const CapturedSql& sql, ServerProbe& probe, pid_t server_pid) {
  ReplayResult r;
  r.phase = sql.phase;
  r.messages = sql.messages;
  SqlConn conn(server, db, /*multi_statements=*/true);
  for (const auto& s : sql.setup) (void)conn.TryRun(s);
  const Counters before = probe.Snapshot();
  const double cpu = CpuMs(server_pid);
  const double client_cpu = CpuMs(getpid());
  const auto start = Clock::now();
  for (const auto& s : sql.slice) {
    std::string error;
    if (conn.TryRun(s, &error) != 0) {
      if (r.errors++ == 0) r.first_error = error;
    }
  }
  r.seconds = Seconds(Clock::now() - start);
  r.server_cpu_ms = CpuMs(server_pid) - cpu;
  r.client_cpu_ms = CpuMs(getpid()) - client_cpu;
  r.delta = probe.Delta(before, probe.Snapshot());
  r.cost = CostOf(r.delta);
  r.commands = static_cast<int64_t>(sql.slice.size());
  r.msg_per_s = static_cast<double>(r.messages) / r.seconds;
  r.commits_per_s = static_cast<double>(r.cost.commits) / r.seconds;
  return r;
}

}  // namespace so::bench
