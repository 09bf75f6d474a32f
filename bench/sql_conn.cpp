#include "bench/sql_conn.hpp"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <algorithm>
#include <stdexcept>

namespace so::bench {

using so::testing::SqlError;

SqlConn::SqlConn(const so::testing::ServerInfo& server, const std::string& database,
                 bool multi_statements) {
  try {
    sql::ConnectOptionsMap o;
    o["hostName"] = sql::SQLString("unix://" + server.socket);
    o["userName"] = sql::SQLString(server.user);
    o["password"] = sql::SQLString(server.password);
    if (!database.empty()) o["schema"] = sql::SQLString(database);
    o["OPT_RECONNECT"] = false;
    o["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    o["characterSetResults"] = sql::SQLString("utf8mb4");
    if (multi_statements) o["CLIENT_MULTI_STATEMENTS"] = true;
    conn_.reset(sql::mysql::get_mysql_driver_instance()->connect(o));
    stmt_.reset(conn_->createStatement());
  } catch (const sql::SQLException& e) {
    throw std::runtime_error("cannot connect to MariaDB at " + server.socket + ": " + e.what());
  }
}

SqlConn::~SqlConn() {
  stmt_.reset();
  conn_.reset();
}

void SqlConn::Run(const std::string& sql) {
  std::string error;
  if (TryRun(sql, &error) != 0) throw std::runtime_error(error);
}

int SqlConn::TryRun(const std::string& sql, std::string* error) {
  try {
    // Result sets are buffered (store_result): taking and dropping one reads it whole.
    auto drop_result = [this] { std::unique_ptr<sql::ResultSet> rs(stmt_->getResultSet()); };
    if (stmt_->execute(sql)) drop_result();
    // Connector/C++ 1.1.12's getMoreResults() returns false both for "the next result is a row
    // count" and for "no more results", so a multi-statement command is drained by calling it
    // once per possible further statement: each statement ends at a ';', and calls past the last
    // result do nothing.
    const auto further = std::count(sql.begin(), sql.end(), ';');
    for (std::ptrdiff_t i = 0; i < further; ++i) {
      if (stmt_->getMoreResults()) drop_result();
    }
    return 0;
  } catch (const sql::SQLException& e) {
    if (error != nullptr) *error = SqlError(e, sql).what();
    return e.getErrorCode() != 0 ? e.getErrorCode() : -1;
  }
}

std::vector<Row> SqlConn::Query(const std::string& sql) {
  return so::testing::QueryText(*stmt_, sql);
}

std::string SqlConn::QueryValue(const std::string& sql) {
  const auto rows = Query(sql);
  if (rows.size() != 1 || rows[0].empty() || !rows[0][0]) {
    throw std::runtime_error("expected one value from: " + sql);
  }
  return *rows[0][0];
}

}  // namespace so::bench
