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

const std::string& PoColumns() {
  static const std::string columns = "id, store_id, vendor_id, status, " + TimeColumn("created_at");
  return columns;
}

PurchaseOrder ReadPo(const sql::ResultSet& rs) {
  PurchaseOrder po;
  po.id = rs.getInt64(1);
  po.store_id = rs.getInt64(2);
  po.vendor_id = rs.getInt64(3);
  po.status = GetStr(rs, 4);
  po.created_at = GetTime(rs, 5, "purchase_orders.created_at");
  return po;
}

const std::string& PoLineColumns() {
  static const std::string columns =
      "id, po_id, product_id, quantity_ordered, quantity_received, unit_cost";
  return columns;
}

PoLine ReadPoLine(const sql::ResultSet& rs) {
  PoLine line;
  line.id = rs.getInt64(1);
  line.po_id = rs.getInt64(2);
  line.product_id = rs.getInt64(3);
  line.quantity_ordered = rs.getInt64(4);
  line.quantity_received = rs.getInt64(5);
  line.unit_cost = GetStr(rs, 6);
  return line;
}

const std::string& SelectTransferWithLines() {
  static const std::string sql =
      "SELECT t.id, t.from_store_id, t.to_store_id, t.status, " + TimeColumn("t.created_at") +
      ", l.id, l.transfer_id, l.product_id, l.quantity, l.special_order_id FROM store_transfers t "
      "LEFT JOIN store_transfer_lines l ON l.transfer_id = t.id "
      "WHERE t.id = ? ORDER BY l.id";
  return sql;
}

void AddTransferRow(const sql::ResultSet& rs, std::optional<StoreTransfer>& transfer) {
  if (!transfer) {
    transfer.emplace();
    transfer->id = rs.getInt64(1);
    transfer->from_store_id = rs.getInt64(2);
    transfer->to_store_id = rs.getInt64(3);
    transfer->status = GetStr(rs, 4);
    transfer->created_at = GetTime(rs, 5, "store_transfers.created_at");
  }
  if (rs.isNull(6)) return;  // a transfer without lines
  StoreTransferLine line;
  line.id = rs.getInt64(6);
  line.transfer_id = rs.getInt64(7);
  line.product_id = rs.getInt64(8);
  line.quantity = rs.getInt64(9);
  line.special_order_id = GetOptId(rs, 10);
  transfer->lines.push_back(line);
}

const std::string& SpecialOrderColumns() {
  static const std::string columns =
      "id, store_id, order_id, order_line_id, customer_id, product_id, quantity, allocated_qty, "
      "status, source, vendor_id, po_id, po_line_id, transfer_id, " +
      TimeColumn("requested_at") + ", " + TimeColumn("ordered_at") + ", " +
      TimeColumn("arrived_at") + ", " + TimeColumn("ready_at") + ", " + TimeColumn("completed_at") +
      ", " + TimeColumn("cancelled_at") + ", " + TimeColumn("updated_at");
  return columns;
}

std::string SelectSpecialOrders(std::string_view rest) {
  return "SELECT " + SpecialOrderColumns() + " FROM special_orders " + std::string(rest);
}

SpecialOrder ReadSpecialOrder(const sql::ResultSet& rs) {
  SpecialOrder so;
  so.id = rs.getInt64(1);
  so.store_id = rs.getInt64(2);
  so.order_id = rs.getInt64(3);
  so.order_line_id = rs.getInt64(4);
  so.customer_id = rs.getInt64(5);
  so.product_id = rs.getInt64(6);
  so.quantity = rs.getInt64(7);
  so.allocated_qty = rs.getInt64(8);
  const std::string status = GetStr(rs, 9);
  so.status = Parsed(ParseSoStatus(status), "special_orders.status", status);
  if (!rs.isNull(10)) {
    const std::string source = GetStr(rs, 10);
    so.source = Parsed(ParseSoSource(source), "special_orders.source", source);
  }
  so.vendor_id = GetOptId(rs, 11);
  so.po_id = GetOptId(rs, 12);
  so.po_line_id = GetOptId(rs, 13);
  so.transfer_id = GetOptId(rs, 14);
  so.requested_at = GetTime(rs, 15, "special_orders.requested_at");
  so.ordered_at = GetOptTime(rs, 16, "special_orders.ordered_at");
  so.arrived_at = GetOptTime(rs, 17, "special_orders.arrived_at");
  so.ready_at = GetOptTime(rs, 18, "special_orders.ready_at");
  so.completed_at = GetOptTime(rs, 19, "special_orders.completed_at");
  so.cancelled_at = GetOptTime(rs, 20, "special_orders.cancelled_at");
  so.updated_at = GetTime(rs, 21, "special_orders.updated_at");
  return so;
}

const std::string& ClockColumns() {
  static const std::string columns =
      "c.special_order_id, c.promise_seq, " + TimeColumn("c.expected_on") + ", c.basis, " +
      TimeColumn("c.base_at") + ", c.days, c.rule, " + TimeColumn("c.promised_at") +
      ", c.overdue_seq, c.reminded_days, " + TimeColumn("c.reminded_ready_at");
  return columns;
}

SoClock ReadClock(const sql::ResultSet& rs, uint32_t first) {
  const auto opt_int = [&rs](uint32_t col) {
    return rs.isNull(col) ? std::nullopt : std::optional<int>(rs.getInt(col));
  };
  SoClock c;
  c.special_order_id = rs.getInt64(first);
  c.promise_seq = rs.getInt(first + 1);
  c.expected_on = GetOptTime(rs, first + 2, "sod_promises.expected_on");
  if (!rs.isNull(first + 3)) {
    const std::string basis = GetStr(rs, first + 3);
    c.basis = Parsed(ParsePromiseBasis(basis), "sod_promises.basis", basis);
  }
  c.base_at = GetOptTime(rs, first + 4, "sod_promises.base_at");
  c.days = opt_int(first + 5);
  if (!rs.isNull(first + 6)) c.rule = GetStr(rs, first + 6);
  c.promised_at = GetOptTime(rs, first + 7, "sod_promises.promised_at");
  c.overdue_seq = opt_int(first + 8);
  c.reminded_days = opt_int(first + 9);
  c.reminded_ready_at = GetOptTime(rs, first + 10, "sod_promises.reminded_ready_at");
  return c;
}

}  // namespace so::mysql
