#include "adapters/mysql/mysql_rows.hpp"

namespace so::mysql {

size_t PaddedCount(size_t n) {
  size_t p = 1;
  while (p < n) p *= 2;
  return p;
}

std::string Placeholders(size_t n) {
  std::string s = "(";
  for (size_t i = 0; i < n; ++i) s += i == 0 ? "?" : ", ?";
  s += ')';
  return s;
}

std::string PairPlaceholders(size_t n) {
  std::string s = "(";
  for (size_t i = 0; i < n; ++i) s += i == 0 ? "(?, ?)" : ", (?, ?)";
  s += ')';
  return s;
}

void Params::Add(std::string_view s) { ps_.setString(Next(), sql::SQLString(s.data(), s.size())); }

void Params::Add(Timestamp t) { ps_.setString(Next(), FormatSqlDatetime(t)); }

void Params::Add(Decimal d) {
  if (d.text.empty()) {
    AddNull(sql::DataType::DECIMAL);
  } else {
    Add(d.text);
  }
}

std::string GetStr(const sql::ResultSet& rs, uint32_t col) { return rs.getString(col); }

std::optional<Id> GetOptId(const sql::ResultSet& rs, uint32_t col) {
  if (rs.isNull(col)) return std::nullopt;
  return rs.getInt64(col);
}

std::string TimeColumn(std::string_view column) {
  return "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', " + std::string(column) + ")";
}

Timestamp GetTime(const sql::ResultSet& rs, uint32_t col, const char* name) {
  // NULL where the column is NOT NULL: a zero date the server could not count from.
  if (rs.isNull(col)) throw BadValue(std::string(name) + ": not a time");
  return Timestamp{rs.getInt64(col)};
}

std::optional<Timestamp> GetOptTime(const sql::ResultSet& rs, uint32_t col, const char* name) {
  if (rs.isNull(col)) return std::nullopt;
  return GetTime(rs, col, name);
}

int64_t ReadInt64(const sql::ResultSet& rs) { return rs.getInt64(1); }

}  // namespace so::mysql
