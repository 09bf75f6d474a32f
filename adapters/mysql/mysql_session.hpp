// One connection to MySQL/MariaDB: connect and session set-up, transactions, prepared statements
// (prepared once per connection, cached by their SQL text), and Run(), which turns every library
// error into a so::Error carrying the MySQL code. Not thread-safe: one thread at a time.
#pragma once

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "adapters/mysql/mysql_rows.hpp"
#include "rules/model.hpp"
#include "rules/result.hpp"

namespace sql {
class Connection;
class Statement;
}  // namespace sql

namespace so::mysql {

struct MysqlNode;
struct MysqlOptions;

// A write that matched no row: the rules asked for a row that does not exist.
class NoRow : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The daemon's event source is held by another run of it (sod_event_sources.instance): kFatal.
class SourceTaken : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The daemon's count of its event source is behind the database's (a COMMIT whose answer was
// lost did happen): kTransient, the batch runs again after Outbox::Resync().
class StaleEventSource : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A statement a read-only session (MysqlOptions::read_only) refuses to send: kPermanent.
class ReadOnlyRefusal : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What Run() makes of a body returning T: Status for void (and for Status), else Result<T>.
template <typename T>
struct RunResult {
  using type = Result<T>;
};
template <>
struct RunResult<void> {
  using type = Status;
};
template <>
struct RunResult<Status> {
  using type = Status;
};
template <typename T>
struct RunResult<Result<T>> {
  using type = Result<T>;
};
template <typename F>
using RunResultOf = typename RunResult<std::invoke_result_t<F&>>::type;

template <typename... Args>
class Statement;

class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // See MysqlStore::Connect(): each of options.Nodes() in turn, until one can be used.
  Status Connect(const MysqlOptions& options);
  // Drops the connection, and with it any open transaction and every prepared statement.
  void Disconnect();
  // True from a successful Connect() until a kConnection error, Disconnect() or destruction.
  bool connected() const { return connected_; }
  // Between Begin() and Commit()/Rollback(); RecordDeadLetter() and EnsureDaemonSchema() refuse
  // to run inside.
  bool in_transaction() const { return in_transaction_; }
  // MysqlOptions::read_only, as of the last Connect().
  bool read_only() const { return read_only_; }
  // The node of the last successful Connect() (MysqlNode::ToString()); empty before.
  const std::string& node() const { return node_; }
  // Whether that node is a Galera node (wsrep_on).
  bool galera() const { return galera_; }

  // On a Galera node: an error (kConnection, code 1047) naming why the node cannot be used now,
  // when it has left the primary component or is not ready; the connection is then dropped, so
  // that the next Connect() looks for another node. Ok on a server that is not a Galera node.
  // Outside a transaction.
  Status CheckNode();

  // As HostStore's Begin(), Commit() and Rollback().
  Status Begin();
  // A read-only transaction over one consistent snapshot (REPEATABLE READ for this transaction
  // only; the session stays READ COMMITTED): for a read that spans many statements and must see
  // the database as of one moment. Locks nothing; end it with Rollback().
  Status BeginSnapshot();
  Status Commit();
  void Rollback();

  // On a Galera node, inside Run() in a transaction: throws (as a 1213, so that the transaction
  // counts as lost and is run again) when the server no longer has the transaction open. A
  // brute-force abort (another node's writeset conflicting with this transaction's rows) is
  // normally reported to the next statement as 1213, but galera_daemon_test has seen a daemon's
  // transaction rolled back with no statement told: the statements after it (autocommit was off
  // then) ran in a new transaction, which the COMMIT committed, the batch's writes without its
  // inbox rows. So the writes, the COMMIT and an inbox claim that met a duplicate ask first (one
  // round trip each, on Galera only). It relies on autocommit being on: after such an abort the
  // server has no transaction open, where with autocommit off the next statement opens one.
  void ExpectOpenTransaction();

  // Runs body() if connected, turning the library's exceptions (and BadValue, NoRow) into an
  // Error; `what` (the caller's name) starts its message. A body returning void gives a Status.
  template <typename F>
  RunResultOf<F> Run(std::string_view what, F&& body);
  // Run() in a transaction of its own, committed when body succeeds, else rolled back.
  template <typename F>
  RunResultOf<F> RunCommitted(std::string_view what, F&& body);
  // Run() in a transaction of its own that is rolled back afterwards: for reads.
  template <typename F>
  RunResultOf<F> RunRolledBack(std::string_view what, F&& body);
  // Run() in a BeginSnapshot() transaction, rolled back afterwards.
  template <typename F>
  RunResultOf<F> RunSnapshot(std::string_view what, F&& body);

  // The prepared statement `sql` with `args` bound to its placeholders in order (Params::Add()
  // for each), to be run by one of Statement's calls, inside Run():
  //   return session.Query("SELECT ... WHERE id = ?", id).One(ReadThing);
  // It refers to `sql` and `args`: use it in the expression that makes it. `sql` may be built at
  // run time (InList::Placeholders(), rows of a multi-row statement): each distinct text is
  // prepared once per connection.
  template <typename... Args>
  Statement<Args...> Query(std::string_view sql, const Args&... args) {
    return Statement<Args...>(*this, sql, args...);
  }

  // Runs a statement that is not worth preparing (transaction control, session set-up, DDL).
  void ExecuteDirect(const std::string& sql);

  // The statement for `sql`, prepared on this connection if it was not yet. A read-only session
  // prepares a locking read without its FOR UPDATE, and refuses (ReadOnlyRefusal) anything but
  // a SELECT.
  sql::PreparedStatement& Prepared(std::string_view sql);
  // MariaDB >= 10.5 returns the new id from INSERT ... RETURNING in the same round trip; MySQL
  // needs a second statement (SELECT LAST_INSERT_ID()).
  bool has_returning() const { return has_returning_; }
  // The id the last INSERT on this connection generated.
  Id LastInsertId();

 private:
  // Turns a library error into a value; drops the connection when it is gone.
  Error Fail(const sql::SQLException& e, std::string_view what);
  Error NotConnected(std::string_view what) const;
  // The error of a statement run after the transaction was rolled back by the server.
  Error LostTransaction(std::string_view what) const;
  // One node: connects and sets the session up (Connect() without the going through the nodes).
  Status ConnectTo(const MysqlNode& node, const MysqlOptions& options);
  // Why the Galera node cannot be used, from its status; nullopt when it can.
  std::optional<std::string> NodeProblem();
  static Error Permanent(std::string_view what, const std::exception& e);

  bool connected_ = false;
  bool in_transaction_ = false;
  // A statement of the open transaction failed with 1213 (a deadlock, or on Galera a
  // certification conflict or a brute-force abort by a writeset from another node): the server
  // has rolled the whole transaction back, and the next statement would silently begin a new one.
  // Every statement and the COMMIT then fail with this error until Rollback() or Begin(), so that
  // a caller that ignored the first failure (a read whose error it treats as "not there") cannot
  // commit the rest of its work without the part that was rolled back.
  std::optional<Error> lost_transaction_;
  bool has_returning_ = false;
  bool read_only_ = false;
  bool galera_ = false;
  std::string node_;
  std::unique_ptr<sql::Connection> conn_;
  std::unique_ptr<sql::Statement> direct_;
  // Key: the SQL text.
  std::map<std::string, std::unique_ptr<sql::PreparedStatement>, std::less<>> prepared_;
};

// A statement with its parameters, made by Session::Query(). Each call binds the parameters,
// runs the statement once and throws what the library throws (and BadValue, NoRow) for
// Session::Run() to turn into an Error. `read` functions take a row (const sql::ResultSet&) and
// return the value made of it.
template <typename... Args>
class [[nodiscard]] Statement {
 public:
  Statement(Session& session, std::string_view sql, const Args&... args)
      : session_(session), sql_(sql), args_(args...) {}

  // The first row, read by read(), or nullopt when there is none.
  template <typename Read>
  auto One(Read&& read) && -> std::optional<std::invoke_result_t<Read&, const sql::ResultSet&>> {
    std::unique_ptr<sql::ResultSet> rs = Rows();
    if (!rs->next()) return std::nullopt;
    return read(*rs);
  }

  // Every row, each read by read(), in the order of the result.
  template <typename Read>
  auto All(Read&& read) && -> std::vector<std::invoke_result_t<Read&, const sql::ResultSet&>> {
    std::vector<std::invoke_result_t<Read&, const sql::ResultSet&>> out;
    for (std::unique_ptr<sql::ResultSet> rs = Rows(); rs->next();) out.push_back(read(*rs));
    return out;
  }

  // Calls f(row) for every row, for results that are not one value per row.
  template <typename F>
  void ForEach(F&& f) && {
    for (std::unique_ptr<sql::ResultSet> rs = Rows(); rs->next();) f(std::as_const(*rs));
  }

  // Whether the query gives a row.
  bool Exists() && { return Rows()->next(); }

  // Runs a write; returns the count of rows it affected (for an UPDATE, the rows it matched:
  // CLIENT_FOUND_ROWS).
  int Execute() && { return Bound(sql_).executeUpdate(); }

  // Runs an UPDATE that must match exactly one row, the row of `table` with `id`, else NoRow.
  // CLIENT_FOUND_ROWS makes the count the matched rows, so writing a row's current values again
  // still counts as one.
  void UpdateOne(std::string_view table, Id id) && {
    if (Bound(sql_).executeUpdate() == 0) {
      throw NoRow(std::string(table) + " has no row with id " + std::to_string(id));
    }
  }

  // Runs an INSERT and returns the new id: by RETURNING where the server has it, else by
  // LAST_INSERT_ID().
  Id Insert() && {
    if (session_.has_returning()) {
      std::unique_ptr<sql::ResultSet> rs(Bound(std::string(sql_) + " RETURNING id").executeQuery());
      if (!rs->next()) throw BadValue("INSERT ... RETURNING gave no row");
      return rs->getInt64(1);
    }
    Bound(sql_).executeUpdate();
    return session_.LastInsertId();
  }

 private:
  sql::PreparedStatement& Bound(std::string_view sql) {
    sql::PreparedStatement& ps = session_.Prepared(sql);
    std::apply(
        [&ps](const Args&... args) {
          [[maybe_unused]] Params params(ps);
          (params.Add(args), ...);
        },
        args_);
    return ps;
  }

  std::unique_ptr<sql::ResultSet> Rows() {
    return std::unique_ptr<sql::ResultSet>(Bound(sql_).executeQuery());
  }

  Session& session_;
  std::string_view sql_;
  std::tuple<const Args&...> args_;
};

template <typename F>
RunResultOf<F> Session::Run(std::string_view what, F&& body) {
  if (!connected_) return NotConnected(what);
  if (lost_transaction_) return LostTransaction(what);
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      body();
      return Status();
    } else {
      return body();
    }
  } catch (const sql::SQLException& e) {
    return Fail(e, what);
  } catch (const BadValue& e) {
    return Permanent(what, e);
  } catch (const NoRow& e) {
    return Permanent(what, e);
  } catch (const ReadOnlyRefusal& e) {
    return Permanent(what, e);
  } catch (const SourceTaken& e) {
    return Error{ErrorKind::kFatal, 0, std::string(what) + ": " + e.what()};
  } catch (const StaleEventSource& e) {
    return Error{ErrorKind::kTransient, 0, std::string(what) + ": " + e.what()};
  }
}

template <typename F>
RunResultOf<F> Session::RunCommitted(std::string_view what, F&& body) {
  if (Status s = Begin(); !s.ok()) return s.error();
  RunResultOf<F> result = Run(what, body);
  if (!result.ok()) {
    Rollback();
    return result;
  }
  if (Status s = Commit(); !s.ok()) return s.error();
  return result;
}

template <typename F>
RunResultOf<F> Session::RunRolledBack(std::string_view what, F&& body) {
  if (Status s = Begin(); !s.ok()) return s.error();
  RunResultOf<F> result = Run(what, body);
  Rollback();
  return result;
}

template <typename F>
RunResultOf<F> Session::RunSnapshot(std::string_view what, F&& body) {
  if (Status s = BeginSnapshot(); !s.ok()) return s.error();
  RunResultOf<F> result = Run(what, body);
  Rollback();
  return result;
}

}  // namespace so::mysql
