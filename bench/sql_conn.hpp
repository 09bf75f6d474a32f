// A plain connection for the benchmark's own SQL outside the daemon: copies of databases, status
// snapshots, the commit ceiling and the replay of the daemon's captured statements. Connector/C++
// 1.1, text protocol only, one round trip per Run(). Not thread-safe: one thread per SqlConn.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/test_db.hpp"

namespace sql {
class Connection;
class Statement;
}  // namespace sql

namespace so::bench {

using Row = so::testing::TextRow;

class SqlConn {
 public:
  // Connects as the server's user over its unix socket, to `database` unless it is empty. With
  // `multi_statements`, one Run() may carry several statements separated by ';' (the replay
  // sends what the daemon sent, one command for one command). Throws std::runtime_error.
  SqlConn(const so::testing::ServerInfo& server, const std::string& database,
          bool multi_statements = false);
  ~SqlConn();
  SqlConn(const SqlConn&) = delete;
  SqlConn& operator=(const SqlConn&) = delete;

  // Sends one command and drains every result it gives; throws std::runtime_error with the MySQL
  // code and message.
  void Run(const std::string& sql);
  // As Run(), but returns the MySQL error code (0 on success) instead of throwing.
  int TryRun(const std::string& sql, std::string* error = nullptr);
  // The rows of a statement that returns one result set, as text (NULL as nullopt).
  std::vector<Row> Query(const std::string& sql);
  // The single value of a one-row, one-column query; throws if it is missing or NULL.
  std::string QueryValue(const std::string& sql);

 private:
  std::unique_ptr<sql::Connection> conn_;
  std::unique_ptr<sql::Statement> stmt_;
};

}  // namespace so::bench
