// MysqlStore's own tables: splitting the compiled-in schema script (kDaemonSchemaSql) into
// statements and creating the tables that do not exist yet; and telling what an operator should
// change: indexes it asks of the host (pos_indexes.sql), columns older versions made otherwise.
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

Result<std::vector<std::string>> MysqlStore::SchemaProblems() {
  // The indexes of pos_indexes.sql, and why each matters.
  struct Index {
    const char* table;
    const char* name;
    const char* why;
  };
  static constexpr Index kIndexes[] = {
      {"special_orders", "ix_special_orders_po_line_waiting",
       "every shipment reads all the special orders ever attached to its PO lines"},
  };
  // Columns of the daemon's tables that tables made by an earlier version have otherwise.
  struct Column {
    const char* table;
    const char* name;
    const char* collation;
    const char* definition;
  };
  static constexpr Column kColumns[] = {
      {"sod_inbox", "message_id", "utf8mb4_nopad_bin",
       "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL"},
      {"sod_audit", "message_id", "utf8mb4_nopad_bin",
       "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL"},
      {"sod_dead_letters", "message_id", "utf8mb4_nopad_bin",
       "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NULL"},
  };
  constexpr const char* kIndexSql =
      "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
      "AND TABLE_NAME = ? AND INDEX_NAME = ? LIMIT 1";
  constexpr const char* kCollationSql =
      "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
      "AND TABLE_NAME = ? AND COLUMN_NAME = ?";
  return session_->RunRolledBack("SchemaProblems", [&] {
    std::vector<std::string> problems;
    for (const Index& i : kIndexes) {
      if (session_->Query(kIndexSql, i.table, i.name).Exists()) continue;
      problems.push_back(std::string(i.table) + " has no index " + i.name + " (apply " +
                         "pos_indexes.sql, see the README): " + i.why);
    }
    for (const Column& c : kColumns) {
      const auto collation =
          session_->Query(kCollationSql, c.table, c.name).One([](const auto& rs) {
            return GetStr(rs, 1);
          });
      if (!collation || *collation == c.collation) continue;
      // A table rebuild: left to the operator, since a large inbox takes a while.
      problems.push_back(std::string(c.table) + "." + c.name + " is " + *collation +
                         ", which takes ids that differ only in trailing spaces for one; run "
                         "once, when the daemon is stopped: ALTER TABLE " +
                         c.table + " MODIFY " + c.name + " " + c.definition);
    }
    return problems;
  });
}

}  // namespace so::mysql
