#include "adapters/mysql/mysql_session.hpp"

#include <cppconn/connection.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/mysql/mysql_store.hpp"  // MysqlOptions

namespace so::mysql {
namespace {

// ER_UNKNOWN_COM_ERROR, as a Galera node that is not ready answers every query ("WSREP has not
// yet prepared node for application use").
constexpr int kWsrepNotReady = 1047;

ErrorKind Classify(int code, std::string_view message) {
  switch (code) {
    case 1213:  // ER_LOCK_DEADLOCK; also how Galera reports a certification conflict
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1020:  // ER_CHECKREAD: record changed since last read (MariaDB)
      return ErrorKind::kTransient;
    case 2002:            // CR_CONNECTION_ERROR
    case 2003:            // CR_CONN_HOST_ERROR
    case 2006:            // CR_SERVER_GONE_ERROR
    case 2013:            // CR_SERVER_LOST
    case 2014:            // CR_COMMANDS_OUT_OF_SYNC: the protocol state is unusable
    case 2055:            // CR_SERVER_LOST_EXTENDED
    case 5013:            // CR_ERR_NET_READ (libmariadb)
    case 5014:            // CR_ERR_NET_WRITE (libmariadb)
    case 1053:            // ER_SERVER_SHUTDOWN
    case 1927:            // ER_CONNECTION_KILLED (MariaDB)
    case 1158:            // ER_NET_READ_ERROR
    case 1159:            // ER_NET_READ_INTERRUPTED
    case 1160:            // ER_NET_ERROR_ON_WRITE
    case 1161:            // ER_NET_WRITE_INTERRUPTED
    case kWsrepNotReady:  // a Galera node that is not ready: Connect() looks for a ready one
    case 4031:            // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
      return ErrorKind::kConnection;
    default:
      break;
  }
  // Connector/C++ 1.1 raises "Connection has been closed" with code 0 once it gave up on a
  // connection; nothing else it raises with code 0 mentions it.
  if (code == 0 && message.find("closed") != std::string_view::npos) {
    return ErrorKind::kConnection;
  }
  return ErrorKind::kPermanent;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// What a read-only session sends of `sql`: a locking read without its lock, a SELECT as it is;
// anything else is refused with the statement's start, so that the error says what would have
// been written.
std::string ReadOnlySql(std::string_view sql) {
  constexpr std::string_view kForUpdate = " FOR UPDATE";
  if (!StartsWith(sql, "SELECT ")) {
    throw ReadOnlyRefusal("refused, the connection is read-only and writes nothing: " +
                          std::string(sql.substr(0, 60)) + (sql.size() > 60 ? "..." : ""));
  }
  if (sql.size() >= kForUpdate.size() && sql.substr(sql.size() - kForUpdate.size()) == kForUpdate) {
    sql.remove_suffix(kForUpdate.size());
  }
  return std::string(sql);
}

std::string Join(std::string_view a, std::string_view b) {
  std::string s(a);
  s += ": ";
  s += b;
  return s;
}

// Galera: a read waits until this node has applied every writeset the cluster had committed
// when the read began (wsrep_sync_wait bit 1: SELECT, SHOW, START TRANSACTION). Needed because
// what the daemon reads was often committed on another node an instant before: the POS commits,
// then publishes, and the message can overtake the writeset; so can the inbox row or the special
// orders another daemon committed. Without it the daemon could refuse a shipment it does not
// see yet, or find a message unapplied after a commit whose answer was lost on a node that died.
// The rows the daemon decides on it reads with locking reads: a writeset from another node that
// changes one of them either certifies against this transaction (the later COMMIT fails with
// 1213) or, applied here while the lock is held, aborts it (1213 at its next statement); the
// retry reads again. The wait is for the rows it reads without a lock.
constexpr const char* kGaleraSession = "SET SESSION wsrep_sync_wait = 1";

// "no database node can be used: a: why; b: why".
Error NoNode(const std::vector<std::pair<std::string, Error>>& failures) {
  std::string message = "no database node can be used: ";
  // Worth trying again later unless every node refused us for good (credentials, database).
  ErrorKind kind = ErrorKind::kPermanent;
  for (size_t i = 0; i < failures.size(); ++i) {
    const auto& [node, error] = failures[i];
    message += (i == 0 ? "" : "; ") + node + ": " + error.message;
    if (error.kind != ErrorKind::kPermanent) kind = ErrorKind::kConnection;
  }
  return Error{kind, failures.back().second.code, std::move(message)};
}

}  // namespace

Session::Session() = default;

Session::~Session() { Disconnect(); }

void Session::Disconnect() {
  // Statements first: each holds a handle into the connection.
  prepared_.clear();
  direct_.reset();
  conn_.reset();
  connected_ = false;
  in_transaction_ = false;
  lost_transaction_.reset();
}

Error Session::NotConnected(std::string_view what) const {
  return Error{ErrorKind::kConnection, 0, Join(what, "not connected to the database")};
}

Error Session::LostTransaction(std::string_view what) const {
  return Error{lost_transaction_->kind, lost_transaction_->code,
               Join(what, "not run: the server rolled the transaction back at an earlier "
                          "statement (" +
                              lost_transaction_->message + ")")};
}

Error Session::Permanent(std::string_view what, const std::exception& e) {
  return Error{ErrorKind::kPermanent, 0, Join(what, e.what())};
}

Error Session::Fail(const sql::SQLException& e, std::string_view what) {
  const int code = e.getErrorCode();
  std::string message = Join(what, e.what());
  if (!e.getSQLState().empty()) message += " (SQLSTATE " + e.getSQLState() + ")";
  Error error{Classify(code, e.what()), code, std::move(message)};
  // 1213 rolls the whole transaction back (InnoDB's deadlock victim; a Galera brute-force abort
  // or a failed certification): remember it, whether or not the caller does.
  if (code == 1213 && in_transaction_ && !lost_transaction_) lost_transaction_ = error;
  // After a lost connection neither the transaction nor the prepared statements exist on the
  // server any more; forgetting them here makes the caller reconnect instead of reusing them.
  if (error.kind == ErrorKind::kConnection) Disconnect();
  return error;
}

sql::PreparedStatement& Session::Prepared(std::string_view sql) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    const std::string text = read_only_ ? ReadOnlySql(sql) : std::string(sql);
    std::unique_ptr<sql::PreparedStatement> ps(conn_->prepareStatement(sql::SQLString(text)));
    it = prepared_.emplace(std::string(sql), std::move(ps)).first;
  }
  return *it->second;
}

void Session::ExecuteDirect(const std::string& sql) {
  // Transaction control and session settings only: DDL (the daemon's schema) is refused.
  if (read_only_ && !StartsWith(sql, "SET ") && !StartsWith(sql, "START TRANSACTION") &&
      sql != "COMMIT" && sql != "ROLLBACK") {
    throw ReadOnlyRefusal("refused, the connection is read-only and writes nothing: " +
                          sql.substr(0, 60) + (sql.size() > 60 ? "..." : ""));
  }
  direct_->execute(sql);
}

Id Session::LastInsertId() {
  std::unique_ptr<sql::ResultSet> rs(Prepared("SELECT LAST_INSERT_ID()").executeQuery());
  if (!rs->next()) throw BadValue("SELECT LAST_INSERT_ID() gave no row");
  return rs->getInt64(1);
}

std::vector<MysqlNode> MysqlOptions::Nodes() const {
  if (!nodes.empty()) return nodes;
  return {MysqlNode{host, port, socket}};
}

std::string MysqlNode::ToString() const {
  if (!socket.empty()) return socket;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Status Session::Connect(const MysqlOptions& options) {
  const std::vector<MysqlNode> nodes = options.Nodes();
  std::vector<std::pair<std::string, Error>> failures;
  for (const MysqlNode& node : nodes) {
    Status s = ConnectTo(node, options);
    if (s.ok()) return s;
    // One server: its own error, as before clusters; a Galera node's refusal names the node, as
    // the connector's own errors name the server they could not reach.
    if (nodes.size() == 1) {
      if (s.error().code != kWsrepNotReady) return s;
      return Error{s.error().kind, s.error().code, node.ToString() + ": " + s.error().message};
    }
    failures.emplace_back(node.ToString(), s.error());
  }
  return NoNode(failures);
}

Status Session::CheckNode() {
  if (!connected_ || !galera_) return Status();
  try {
    if (std::optional<std::string> problem = NodeProblem()) {
      Disconnect();
      return Error{ErrorKind::kConnection, kWsrepNotReady, node_ + ": " + *problem};
    }
    return Status();
  } catch (const sql::SQLException& e) {
    return Fail(e, "CheckNode");
  }
}

std::optional<std::string> Session::NodeProblem() {
  std::map<std::string, std::string> status;
  std::unique_ptr<sql::ResultSet> rs(direct_->executeQuery(
      "SHOW GLOBAL STATUS WHERE Variable_name IN "
      "('wsrep_ready', 'wsrep_cluster_status', 'wsrep_local_state_comment')"));
  while (rs->next()) status[GetStr(*rs, 1)] = GetStr(*rs, 2);
  const std::string& ready = status["wsrep_ready"];
  const std::string& cluster = status["wsrep_cluster_status"];
  if (ready == "ON" && cluster == "Primary") return std::nullopt;
  return "not usable, " +
         std::string(cluster != "Primary" ? "not in the primary component" : "not ready") +
         " (wsrep_cluster_status=" + (cluster.empty() ? "?" : cluster) +
         ", wsrep_ready=" + (ready.empty() ? "?" : ready) + ", state=" +
         (status["wsrep_local_state_comment"].empty() ? std::string("?")
                                                      : status["wsrep_local_state_comment"]) +
         ")";
}

Status Session::ConnectTo(const MysqlNode& node, const MysqlOptions& options) {
  Disconnect();
  try {
    sql::ConnectOptionsMap o;
    if (!node.socket.empty()) {
      o["hostName"] = sql::SQLString("unix://" + node.socket);
    } else {
      o["hostName"] = sql::SQLString(node.host);
      o["port"] = node.port;
    }
    o["userName"] = sql::SQLString(options.user);
    o["password"] = sql::SQLString(options.password);
    if (!options.database.empty()) o["schema"] = sql::SQLString(options.database);
    // Never reconnect behind our back: a silent reconnect rolls the open transaction back and
    // drops every prepared statement, and the next statement would run outside any transaction.
    o["OPT_RECONNECT"] = false;
    o["OPT_CONNECT_TIMEOUT"] = options.connect_timeout_s;
    o["OPT_READ_TIMEOUT"] = options.read_timeout_s;
    o["OPT_WRITE_TIMEOUT"] = options.write_timeout_s;
    o["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    // The connector sets character_set_results to this ("utf8", i.e. utf8mb3, by default), which
    // would turn every 4-byte character it reads into '?'.
    o["characterSetResults"] = sql::SQLString("utf8mb4");
    // UPDATE counts matched rows, not changed ones: "no such row" stays distinguishable from
    // "already had these values".
    o["CLIENT_FOUND_ROWS"] = true;
    conn_.reset(sql::mysql::get_mysql_driver_instance()->connect(o));
    direct_.reset(conn_->createStatement());

    // Set explicitly after every connect, whatever the server's defaults:
    // - autocommit on: Begin()'s START TRANSACTION and Commit() bound every unit of work, and a
    //   transaction the server ends unannounced (see ExpectOpenTransaction()) leaves no
    //   transaction open behind it. With autocommit off the next statement would open a new one
    //   silently, and the COMMIT meant for the first would commit the second, half a unit of work.
    // - time_zone UTC: DATETIME values are UTC, and NOW(6) must agree with them.
    // - strict sql_mode: a bad value is an error, never a silently truncated row.
    // - innodb_lock_wait_timeout below the read timeout: a long lock wait must surface as 1205
    //   (kTransient, the transaction still ours to roll back), not as a read timeout that looks
    //   like a lost connection.
    const int lock_wait_s = std::max(1, std::min(50, options.read_timeout_s / 2));
    ExecuteDirect(
        "SET NAMES utf8mb4, autocommit = 1, time_zone = '+00:00', "
        "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
        "NO_ENGINE_SUBSTITUTION', innodb_lock_wait_timeout = " +
        std::to_string(lock_wait_s));
    // READ COMMITTED, not InnoDB's REPEATABLE READ: every row the rules act on is read with a
    // locking read, so a snapshot buys nothing, while REPEATABLE READ's gap and next-key locks
    // (on ranges such as "special orders on these PO lines" or a missing stock row) would make
    // two daemons, or the daemon and the POS, block and deadlock on rows neither touches. Plain
    // reads also see the latest committed rows, e.g. InboxHas() after a commit of unknown
    // outcome.
    ExecuteDirect("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    // The server refuses every write of a read-only session, whoever asks it to.
    if (options.read_only) ExecuteDirect("SET SESSION TRANSACTION READ ONLY");
    {
      std::unique_ptr<sql::ResultSet> rs(direct_->executeQuery("SELECT VERSION()"));
      const std::string version = rs->next() ? GetStr(*rs, 1) : std::string();
      int major = 0, minor = 0;
      std::sscanf(version.c_str(), "%d.%d", &major, &minor);
      has_returning_ = version.find("MariaDB") != std::string::npos &&
                       (major > 10 || (major == 10 && minor >= 5));
    }
    {
      std::unique_ptr<sql::ResultSet> rs(
          direct_->executeQuery("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'"));
      galera_ = rs->next() && GetStr(*rs, 2) == "ON";
    }
    if (galera_) {
      if (std::optional<std::string> problem = NodeProblem()) {
        Disconnect();
        return Error{ErrorKind::kConnection, kWsrepNotReady, *problem};
      }
      ExecuteDirect(kGaleraSession);
    }
    read_only_ = options.read_only;
    node_ = node.ToString();
    connected_ = true;
    return Status();
  } catch (const sql::SQLException& e) {
    Error error = Fail(e, "Connect");
    Disconnect();
    // A client-side failure to connect (unknown host, refused, timed out) is a connection
    // problem; a server that answers and refuses (bad password, unknown database) is not.
    if (e.getErrorCode() >= 2000 && e.getErrorCode() < 3000) {
      error.kind = ErrorKind::kConnection;
    }
    return error;
  }
}

// --- Transactions ---

Status Session::Begin() {
  if (in_transaction_) {
    // START TRANSACTION would silently commit the open one.
    return Error{ErrorKind::kPermanent, 0, "Begin: a transaction is already open"};
  }
  // A read-only session's transactions each read one snapshot: the rules see the database as
  // of one moment, as they would under their locks.
  lost_transaction_.reset();
  if (read_only_) return BeginSnapshot();
  return Run("Begin", [&] {
    ExecuteDirect("START TRANSACTION");
    in_transaction_ = true;
  });
}

Status Session::BeginSnapshot() {
  if (in_transaction_) {
    return Error{ErrorKind::kPermanent, 0, "BeginSnapshot: a transaction is already open"};
  }
  lost_transaction_.reset();
  return Run("BeginSnapshot", [&] {
    ExecuteDirect("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    ExecuteDirect("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    in_transaction_ = true;
  });
}

Status Session::Commit() {
  // The SQL statement, not Connection::commit(): Connector/C++ 1.1 ignores the result of
  // mysql_commit(), so a failed commit (a Galera certification conflict, a lost connection)
  // would pass for a successful one.
  if (lost_transaction_) {
    // COMMIT now would commit what ran after the rollback, without what came before it.
    Error error = LostTransaction("Commit");
    Rollback();
    return error;
  }
  return Run("Commit", [&] {
    ExpectOpenTransaction();
    ExecuteDirect("COMMIT");
    in_transaction_ = false;
  });
}

void Session::ExpectOpenTransaction() {
  if (!galera_ || !in_transaction_ || read_only_) return;
  // Without the sync wait: this reads no table, and the answer is this session's own.
  std::unique_ptr<sql::ResultSet> rs(
      Prepared("SET STATEMENT wsrep_sync_wait = 0 FOR SELECT @@in_transaction").executeQuery());
  if (rs->next() && rs->getInt(1) == 1) return;
  throw sql::SQLException(
      "the server ended the transaction without an error (on Galera, a brute-force abort by "
      "another node's writeset); it runs again",
      "40001", 1213);
}

void Session::Rollback() {
  in_transaction_ = false;
  lost_transaction_.reset();
  if (!connected_) return;  // the server rolled back when the connection went
  try {
    ExecuteDirect("ROLLBACK");
  } catch (const sql::SQLException& e) {
    (void)Fail(e, "Rollback");
  }
}

}  // namespace so::mysql
