// MysqlStore's own tables: splitting the compiled-in schema script (kDaemonSchemaSql) into
// statements and creating the tables that do not exist yet; and finding which of the indexes it
// asks of the host (pos_indexes.sql) are missing.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/mysql/mysql_session.hpp"
#include "adapters/mysql/mysql_store.hpp"

namespace so::mysql {

std::vector<std::string> SplitSqlStatements(std::string_view script) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < script.size()) {
    size_t end = script.find(";\n", pos);
    if (end == std::string_view::npos) end = script.size();
    std::string statement(script.substr(pos, end - pos));
    pos = end == script.size() ? end : end + 2;
    while (!statement.empty() &&
           std::string_view(";\n\r\t ").find(statement.back()) != std::string_view::npos) {
      statement.pop_back();
    }
    // A piece of blank lines and "--" comments only is not a statement: the server would answer
    // it with "Query was empty".
    bool has_code = false;
    std::string_view rest = statement;
    while (!rest.empty() && !has_code) {
      const size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      const size_t first = line.find_first_not_of(" \t\r");
      has_code = first != std::string_view::npos && line.substr(first, 2) != "--";
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    if (has_code) out.push_back(std::move(statement));
  }
  return out;
}

Status MysqlStore::EnsureDaemonSchema() {
  if (session_->in_transaction()) {
    return Error{ErrorKind::kPermanent, 0,
                 "EnsureDaemonSchema: called inside a transaction (DDL would commit it)"};
  }
  return session_->Run("EnsureDaemonSchema", [&] {
    for (const std::string& statement : SplitSqlStatements(kDaemonSchemaSql)) {
      session_->ExecuteDirect(statement);
    }
    session_->ExecuteDirect("COMMIT");
  });
}

Result<std::vector<std::string>> MysqlStore::MissingHostIndexes() {
  // The indexes of pos_indexes.sql, and why each matters.
  struct Wanted {
    const char* table;
    const char* index;
    const char* why;
  };
  static constexpr Wanted kWanted[] = {
      {"special_orders", "ix_special_orders_po_line_waiting",
       "every shipment reads all the special orders ever attached to its PO lines"},
  };
  constexpr const char* kSql =
      "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
      "AND TABLE_NAME = ? AND INDEX_NAME = ? LIMIT 1";
  return session_->RunRolledBack("MissingHostIndexes", [&] {
    std::vector<std::string> missing;
    for (const Wanted& w : kWanted) {
      if (!session_->Query(kSql, w.table, w.index).Exists()) {
        missing.push_back(std::string(w.table) + "." + w.index + ": " + w.why);
      }
    }
    return missing;
  });
}

}  // namespace so::mysql
