// Integration-test access to the private MariaDB that ctest starts (scripts/private-mariadb.sh via
// the mariadb.start fixture): a fresh database per test, plus helpers to seed, query and dump it.
// Not thread-safe: one TestDatabase per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/mysql/mysql_store.hpp"

namespace sql {
class Connection;
class SQLException;
class Statement;
}  // namespace sql

namespace so::testing {

// The private server started for this ctest run (env SO_TEST_MARIADB_DIR). Throws
// std::runtime_error, saying how to run the test through ctest, when the variable is unset or the
// server is not running.
struct ServerInfo {
  std::string dir, socket;
  int port = 0;
  std::string user = "so", password = "so";
};
ServerInfo PrivateServer();
// A server started by scripts/private-mariadb.sh in `dir` (not necessarily the ctest run's own),
// read from its port and socket files; throws std::runtime_error when it is not running.
ServerInfo ServerAt(const std::string& dir);

// The whole file at `path`; throws std::runtime_error when it cannot be read.
std::string ReadFile(const std::string& path);

// A row as the text protocol gives it: NULL as nullopt.
using TextRow = std::vector<std::optional<std::string>>;
// The rows of one query run on `stmt`; throws SqlError().
std::vector<TextRow> QueryText(sql::Statement& stmt, const std::string& sql);
// The error to throw for `e`, raised by `sql`: the MySQL code and message and the statement's
// start.
std::runtime_error SqlError(const sql::SQLException& e, const std::string& sql);

// A fresh database in the private server, named <prefix>_<pid>_<n>, with the POS reference schema
// and the daemon schema loaded; dropped on destruction unless env SO_KEEP_TEST_DB=1. Every method
// throws std::runtime_error (with the MySQL message) on failure. Destroy every connection that
// still has a transaction open on it first, or the DROP waits for their locks.
class TestDatabase {
 public:
  explicit TestDatabase(const std::string& prefix);
  // The same in another private server (a test that restarts its own server).
  TestDatabase(const std::string& prefix, ServerInfo server);
  // The existing database `name` of `server` (another node of a Galera cluster holding the same
  // database): nothing is created, loaded or dropped.
  struct Existing {
    std::string name;
  };
  TestDatabase(Existing existing, ServerInfo server);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // Opens a new connection, e.g. after the server was restarted under the test.
  void Reconnect();

  // To connect a MysqlStore or the daemon (over the unix socket).
  so::mysql::MysqlOptions options() const;
  const std::string& name() const;

  // Runs one or more statements (split on ";\n"), each committed on its own.
  void Exec(const std::string& sql);
  // Runs the statements of a file, as Exec() does.
  void ExecFile(const std::string& path);
  // Rows of nullable strings, as the text protocol gives them.
  std::vector<TextRow> Query(const std::string& sql);
  // The first column of the single row; throws if there is not exactly one row or it is NULL.
  int64_t QueryInt(const std::string& sql);
  // Every table of the database (POS and sod_), in name order, every row ordered by primary key,
  // as text: equal strings mean equal contents, byte for byte. NULL prints as \N; tab, newline,
  // backslash and bytes outside printable ASCII are escaped, so binary columns dump exactly.
  // Except sod_event_sources: which run of the daemon holds its event source and how far it has
  // sent move with every start and every publish, whatever the messages (sod_outbox is dumped).
  std::string Dump();

 private:
  void Connect();

  ServerInfo server_;
  std::string name_;
  bool owned_ = true;  // created here, dropped on destruction
  std::unique_ptr<sql::Connection> conn_;
};

// SQL text helpers for tests that build their own statements.
std::string QuoteIdentifier(const std::string& name);  // `name`
std::string QuoteString(const std::string& value);     // 'value', quotes and backslashes escaped
// Appends a cell as Dump() writes it: unambiguous, one line per row, binary-safe.
void AppendEscaped(std::string& out, const std::string& value);

}  // namespace so::testing
