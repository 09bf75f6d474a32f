#include "adapters/mysql/mysql_ids.hpp"

#include <string>
#include <utility>

#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"

namespace so::mysql {
namespace {

// The table's name, from a fixed set: it goes into the SQL text, never a value from outside.
const char* TableName(IdTable table) {
  switch (table) {
    case IdTable::kStores:
      return "stores";
    case IdTable::kVendors:
      return "vendors";
    case IdTable::kProducts:
      return "products";
    case IdTable::kCustomers:
      break;
  }
  return "customers";
}

}  // namespace

IdReader::IdReader(MysqlOptions options)
    : options_(std::move(options)), session_(std::make_unique<Session>()) {}

IdReader::~IdReader() = default;

Status IdReader::Connect() {
  if (Status s = session_->Connect(options_); !s.ok()) return s;
  return session_->Run("IdReader::Connect",
                       [&] { session_->ExecuteDirect("SET SESSION TRANSACTION READ ONLY"); });
}

Result<std::vector<Id>> IdReader::Existing(IdTable table, const std::vector<Id>& ids) {
  if (ids.empty()) return std::vector<Id>();
  const std::string what = std::string("IdReader::Existing(") + TableName(table) + ")";
  return session_->RunRolledBack(what, [&] {
    const InList in(ids);
    return session_
        ->Query("SELECT id FROM " + std::string(TableName(table)) + " WHERE id IN " +
                    in.Placeholders() + " ORDER BY id",
                in)
        .All([](const sql::ResultSet& rs) { return Id{rs.getInt64(1)}; });
  });
}

}  // namespace so::mysql
