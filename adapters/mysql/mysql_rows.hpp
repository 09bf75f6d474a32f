// Model values <-> SQL values: binding ids, quantities, text, times and enums to a prepared
// statement's placeholders (Params), and reading them back from a result set's columns.
// Plain functions and a binder for one statement at a time; thread-compatible.
#pragma once

#include <cppconn/datatype.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "rules/model.hpp"
#include "rules/timestamp.hpp"

namespace so::mysql {

// A row the store read back but cannot turn into a model value (an unknown status, a malformed
// time): bad data, so kPermanent.
class BadValue : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --- Parameters ---

// A DECIMAL parameter as its exact text; an empty text binds NULL.
struct Decimal {
  std::string_view text;
};

// A parameter bound as a blob, read from `data` when the statement runs: bytes that need not be
// valid UTF-8.
struct Blob {
  std::istream& data;
};

// The next power of two >= n (n >= 1).
size_t PaddedCount(size_t n);

template <typename T>
struct IsPair : std::false_type {};
template <typename A, typename B>
struct IsPair<std::pair<A, B>> : std::true_type {};

// The values of an IN list, for statements that take lists of any length. The list is padded to
// a power of two by repeating its last value (a duplicate in an IN list changes nothing), so
// that a handful of prepared statements serve every length. Put Placeholders() into the SQL text
// and the InList among the parameters; both agree on the padded length. A list of pairs is a list
// of row values, for `(a, b) IN ((?, ?), ...)` (a range of a two-column key). Refers to
// `values`, which must not be empty.
template <typename T>
class InList {
 public:
  explicit InList(const std::vector<T>& values) : values_(values) { assert(!values.empty()); }

  // "(?, ?, ?, ?)": one placeholder per padded value; "((?, ?), (?, ?))" for pairs.
  std::string Placeholders() const;
  size_t padded_size() const { return PaddedCount(values_.size()); }
  const T& operator[](size_t i) const { return values_[std::min(i, values_.size() - 1)]; }

 private:
  const std::vector<T>& values_;
};

// "(?, ?, ..., ?)" with n placeholders.
std::string Placeholders(size_t n);

// "((?, ?), ..., (?, ?))" with n pairs.
std::string PairPlaceholders(size_t n);

template <typename T>
std::string InList<T>::Placeholders() const {
  if constexpr (IsPair<T>::value) {
    return PairPlaceholders(padded_size());
  } else {
    return so::mysql::Placeholders(padded_size());
  }
}

// Binds a statement's parameters in placeholder order, one Add() per placeholder (an InList adds
// one per padded value). The C++ type picks the setter; a type without an Add() does not compile.
class Params {
 public:
  explicit Params(sql::PreparedStatement& ps) : ps_(ps) {}

  void Add(int64_t v) { ps_.setInt64(Next(), v); }  // Id, Qty
  void Add(uint64_t v) { ps_.setUInt64(Next(), v); }
  void Add(int v) { ps_.setInt(Next(), v); }
  void Add(bool v) { ps_.setInt(Next(), v ? 1 : 0); }
  void Add(std::string_view s);
  void Add(const std::string& s) { Add(std::string_view(s)); }
  void Add(const char* s) { Add(std::string_view(s)); }  // not the pointer as a bool
  // Times travel as text: the 1.1 connector's setDateTime() is a string in disguise anyway, and
  // the text keeps the microseconds exactly.
  void Add(Timestamp t);
  void Add(Decimal d);
  void Add(Blob b) { ps_.setBlob(Next(), &b.data); }
  // An enum of the model as its text (ToString()).
  template <typename E>
  requires std::is_enum_v<E>
  void Add(E e) { Add(ToString(e)); }
  // NULL of the value's SQL type when empty.
  template <typename T>
  void Add(const std::optional<T>& v);
  template <typename A, typename B>
  void Add(const std::pair<A, B>& p) {
    Add(p.first);
    Add(p.second);
  }
  template <typename T>
  void Add(const InList<T>& list) {
    for (size_t i = 0; i < list.padded_size(); ++i) Add(list[i]);
  }

  void AddNull(int sql_type) { ps_.setNull(Next(), sql_type); }

 private:
  unsigned Next() { return next_++; }

  sql::PreparedStatement& ps_;
  unsigned next_ = 1;
};

template <typename T>
void Params::Add(const std::optional<T>& v) {
  if (v) {
    Add(*v);
  } else if constexpr (std::is_same_v<T, Timestamp>) {
    AddNull(sql::DataType::TIMESTAMP);
  } else if constexpr (std::is_integral_v<T>) {
    AddNull(sql::DataType::BIGINT);
  } else {
    AddNull(sql::DataType::VARCHAR);  // text, and enums as their text
  }
}

// --- Columns ---

std::string GetStr(const sql::ResultSet& rs, uint32_t col);
std::optional<Id> GetOptId(const sql::ResultSet& rs, uint32_t col);
// A DATETIME column as its microseconds since 1970 (UTC, as every time of the database is), for
// the select list: GetTime() reads it as a number, where the connector would format the value as
// text and the store parse it back (which showed in the daemon's profile, seven times a row).
std::string TimeColumn(std::string_view column);
// A TimeColumn(); `name` (table.column) says in the error which value was bad.
Timestamp GetTime(const sql::ResultSet& rs, uint32_t col, const char* name);
std::optional<Timestamp> GetOptTime(const sql::ResultSet& rs, uint32_t col, const char* name);
// The first column, for queries that select one number.
int64_t ReadInt64(const sql::ResultSet& rs);

// --- Rows ---

// The columns ReadSpecialOrder() reads, in its order; shared by the store and the explain reader.
const std::string& SpecialOrderColumns();
// "SELECT <SpecialOrderColumns()> FROM special_orders " + rest.
std::string SelectSpecialOrders(std::string_view rest);
SpecialOrder ReadSpecialOrder(const sql::ResultSet& rs);
// The same for purchase_orders and purchase_order_lines.
const std::string& PoColumns();
PurchaseOrder ReadPo(const sql::ResultSet& rs);
const std::string& PoLineColumns();
PoLine ReadPoLine(const sql::ResultSet& rs);
// The columns of sod_promises that ReadClock() reads, in its order, of the table as `c`.
const std::string& ClockColumns();
// The clock whose ClockColumns() start at column `first`.
SoClock ReadClock(const sql::ResultSet& rs, uint32_t first);
// One transfer and its lines in one round trip (bound: the transfer's id); a transfer without
// lines gives one row with NULL line columns. AddTransferRow() takes the rows in turn.
const std::string& SelectTransferWithLines();
void AddTransferRow(const sql::ResultSet& rs, std::optional<StoreTransfer>& transfer);

// The value a Parse*() function (rules/model.hpp) made of `text`, or BadValue naming the column.
template <typename T>
T Parsed(std::optional<T> v, const char* name, const std::string& text) {
  if (!v) throw BadValue(std::string(name) + ": unknown value '" + text + "'");
  return *v;
}

}  // namespace so::mysql
