#include "tests/support/test_db.hpp"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <utility>

#ifndef SO_SOURCE_DIR
#error "SO_SOURCE_DIR must name the source tree (tests/support/CMakeLists.txt sets it)"
#endif

namespace so::testing {
namespace {

constexpr const char* kHowToRun =
    "integration tests need the private MariaDB that ctest starts; run them through ctest, e.g. "
    "`cd build && ctest -L integration --output-on-failure` (the mariadb.start fixture runs "
    "scripts/private-mariadb.sh start <build>/test-mariadb and sets SO_TEST_MARIADB_DIR), or "
    "start it by hand with scripts/private-mariadb.sh start DIR and export "
    "SO_TEST_MARIADB_DIR=DIR";

std::string FirstLine(const std::string& text) {
  const size_t end = text.find_first_of("\r\n");
  return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::runtime_error SqlError(const sql::SQLException& e, const std::string& sql) {
  return std::runtime_error("MySQL error " + std::to_string(e.getErrorCode()) + ": " + e.what() +
                            "\n  in: " + sql.substr(0, 500));
}

std::vector<TextRow> QueryText(sql::Statement& stmt, const std::string& sql) {
  std::vector<TextRow> rows;
  try {
    std::unique_ptr<sql::ResultSet> rs(stmt.executeQuery(sql));
    const unsigned columns = rs->getMetaData()->getColumnCount();
    while (rs->next()) {
      TextRow row;
      row.reserve(columns);
      for (unsigned i = 1; i <= columns; ++i) {
        if (rs->isNull(i)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(rs->getString(i)));
        }
      }
      rows.push_back(std::move(row));
    }
  } catch (const sql::SQLException& e) {
    throw SqlError(e, sql);
  }
  return rows;
}

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    out += c;
    if (c == '`') out += '`';
  }
  return out + "`";
}

std::string QuoteString(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

void AppendEscaped(std::string& out, const std::string& value) {
  for (unsigned char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
}

ServerInfo PrivateServer() {
  const char* dir = std::getenv("SO_TEST_MARIADB_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error(std::string("SO_TEST_MARIADB_DIR is not set: ") + kHowToRun);
  }
  return ServerAt(dir);
}

ServerInfo ServerAt(const std::string& dir) {
  ServerInfo info;
  info.dir = dir;
  std::string port_text;
  try {
    port_text = FirstLine(ReadFile(info.dir + "/port"));
  } catch (const std::runtime_error&) {
    throw std::runtime_error("no private MariaDB running in " + info.dir +
                             " (no port file): " + kHowToRun);
  }
  info.port = std::atoi(port_text.c_str());
  if (info.port <= 0) throw std::runtime_error("bad port file in " + info.dir);
  try {
    info.socket = FirstLine(ReadFile(info.dir + "/socket"));
  } catch (const std::runtime_error&) {
    info.socket = info.dir + "/mysqld.sock";
  }
  return info;
}

TestDatabase::TestDatabase(const std::string& prefix) : TestDatabase(prefix, PrivateServer()) {}

TestDatabase::TestDatabase(const std::string& prefix, ServerInfo server)
    : server_(std::move(server)) {
  static std::atomic<int> counter{0};
  std::string clean;
  for (char c : prefix) {
    const bool word =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    clean += word ? c : '_';
  }
  if (clean.empty()) clean = "test";
  clean = clean.substr(0, 40);  // database names stop at 64 characters
  name_ = clean + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);

  Connect();
  Exec("DROP DATABASE IF EXISTS " + QuoteIdentifier(name_));
  Exec("CREATE DATABASE " + QuoteIdentifier(name_) +
       " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
  Exec("USE " + QuoteIdentifier(name_));
  ExecFile(std::string(SO_SOURCE_DIR) + "/adapters/mysql/pos_reference_schema.sql");
  // The indexes the daemon asks the integrator to add.
  ExecFile(std::string(SO_SOURCE_DIR) + "/adapters/mysql/pos_indexes.sql");
  // The daemon's tables as the daemon creates them: the compiled-in copy.
  Exec(so::mysql::kDaemonSchemaSql);
}

TestDatabase::TestDatabase(Existing existing, ServerInfo server)
    : server_(std::move(server)), name_(std::move(existing.name)), owned_(false) {
  Connect();
  Exec("USE " + QuoteIdentifier(name_));
}

void TestDatabase::ExecFile(const std::string& path) { Exec(ReadFile(path)); }

void TestDatabase::Connect() {
  conn_.reset();
  try {
    sql::ConnectOptionsMap o;
    o["hostName"] = sql::SQLString("unix://" + server_.socket);
    o["userName"] = sql::SQLString(server_.user);
    o["password"] = sql::SQLString(server_.password);
    o["OPT_RECONNECT"] = false;
    o["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    o["characterSetResults"] = sql::SQLString("utf8mb4");
    conn_.reset(sql::mysql::get_mysql_driver_instance()->connect(o));
  } catch (const sql::SQLException& e) {
    throw std::runtime_error("cannot connect to the private MariaDB at " + server_.socket + ": " +
                             e.what() + "\n" + kHowToRun);
  }
  // The same session settings as the daemon's, so seeded rows mean the same thing. Autocommit
  // stays on: every Exec() is committed before it returns.
  Exec(
      "SET NAMES utf8mb4, time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,"
      "NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
}

void TestDatabase::Reconnect() {
  Connect();
  Exec("USE " + QuoteIdentifier(name_));
}

TestDatabase::~TestDatabase() {
  if (!owned_) return;
  const char* keep = std::getenv("SO_KEEP_TEST_DB");
  if (keep != nullptr && std::string(keep) == "1") {
    std::cerr << "SO_KEEP_TEST_DB=1: keeping database " << name_ << " in " << server_.dir << "\n";
    return;
  }
  try {
    Exec("DROP DATABASE IF EXISTS " + QuoteIdentifier(name_));
  } catch (const std::exception& e) {
    std::cerr << "could not drop test database " << name_ << ": " << e.what() << "\n";
  }
}

so::mysql::MysqlOptions TestDatabase::options() const {
  so::mysql::MysqlOptions o;
  o.host = "127.0.0.1";
  o.port = server_.port;
  o.socket = server_.socket;
  o.user = server_.user;
  o.password = server_.password;
  o.database = name_;
  return o;
}

const std::string& TestDatabase::name() const { return name_; }

void TestDatabase::Exec(const std::string& sql) {
  std::unique_ptr<sql::Statement> stmt(conn_->createStatement());
  for (const std::string& statement : so::mysql::SplitSqlStatements(sql)) {
    try {
      // A statement that returns rows (a stray SELECT) must be drained before the next one.
      if (stmt->execute(statement)) std::unique_ptr<sql::ResultSet> rs(stmt->getResultSet());
    } catch (const sql::SQLException& e) {
      throw SqlError(e, statement);
    }
  }
}

std::vector<TextRow> TestDatabase::Query(const std::string& sql) {
  std::unique_ptr<sql::Statement> stmt;
  try {
    stmt.reset(conn_->createStatement());
  } catch (const sql::SQLException& e) {
    throw SqlError(e, sql);
  }
  return QueryText(*stmt, sql);
}

int64_t TestDatabase::QueryInt(const std::string& sql) {
  const auto rows = Query(sql);
  if (rows.size() != 1 || rows[0].empty() || !rows[0][0]) {
    throw std::runtime_error("expected one non-NULL value from: " + sql + " (got " +
                             std::to_string(rows.size()) + " rows)");
  }
  return std::stoll(*rows[0][0]);
}

std::string TestDatabase::Dump() {
  std::string out;
  const auto tables =
      Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
            QuoteString(name_) +
            " AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> 'sod_event_sources' "
            "ORDER BY TABLE_NAME");
  for (const auto& table_row : tables) {
    const std::string table = *table_row[0];
    const auto columns =
        Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
              QuoteString(name_) + " AND TABLE_NAME = " + QuoteString(table) +
              " ORDER BY ORDINAL_POSITION");
    const auto key =
        Query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = " +
              QuoteString(name_) + " AND TABLE_NAME = " + QuoteString(table) +
              " AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION");
    std::string select = "SELECT ";
    std::string header;
    for (size_t i = 0; i < columns.size(); ++i) {
      select += (i == 0 ? "" : ", ") + QuoteIdentifier(*columns[i][0]);
      header += (i == 0 ? "" : "\t") + *columns[i][0];
    }
    select += " FROM " + QuoteIdentifier(table);
    // Without a primary key every column orders the rows, which is still a total order of the
    // distinct rows.
    const auto& order = key.empty() ? columns : key;
    for (size_t i = 0; i < order.size(); ++i) {
      select += (i == 0 ? " ORDER BY " : ", ") + QuoteIdentifier(*order[i][0]);
    }
    const auto rows = Query(select);
    out += "== " + table + " (" + std::to_string(rows.size()) + " rows)\n" + header + "\n";
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) out += '\t';
        if (row[i]) {
          AppendEscaped(out, *row[i]);
        } else {
          out += "\\N";
        }
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace so::testing
