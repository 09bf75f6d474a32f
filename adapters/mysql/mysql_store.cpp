#include "adapters/mysql/mysql_store.hpp"

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace so::mysql {
namespace {

// A row the store read back but cannot turn into a model value (an unknown status, a malformed
// time): bad data, so kPermanent.
class BadValue : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A write that matched no row: the rules asked for a row that does not exist.
class NoRow : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

ErrorKind Classify(int code, std::string_view message) {
  switch (code) {
    case 1213:  // ER_LOCK_DEADLOCK; also how Galera reports a certification conflict
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1020:  // ER_CHECKREAD: record changed since last read (MariaDB)
      return ErrorKind::kTransient;
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2014:  // CR_COMMANDS_OUT_OF_SYNC: the protocol state is unusable
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 5013:  // CR_ERR_NET_READ (libmariadb)
    case 5014:  // CR_ERR_NET_WRITE (libmariadb)
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED (MariaDB)
    case 1158:  // ER_NET_READ_ERROR
    case 1159:  // ER_NET_READ_INTERRUPTED
    case 1160:  // ER_NET_ERROR_ON_WRITE
    case 1161:  // ER_NET_WRITE_INTERRUPTED
    case 1047:  // a Galera node that is not ready: another connection may reach a ready one
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
      return ErrorKind::kConnection;
    default:
      break;
  }
  // Connector/C++ 1.1 raises "Connection has been closed" with code 0 once it gave up on a
  // connection; nothing else it raises with code 0 mentions it.
  if (code == 0 && message.find("closed") != std::string_view::npos) {
    return ErrorKind::kConnection;
  }
  return ErrorKind::kPermanent;
}

std::string Join(std::string_view a, std::string_view b) {
  std::string s(a);
  s += ": ";
  s += b;
  return s;
}

// --- The fixed statements ---

enum StmtId : size_t {
  kInboxHas,
  kInboxClaim,
  kInboxRefused,
  kGetProduct,
  kGetVendor,
  kGetProductVendors,
  kLockOrder,
  kLockOrderLine,
  kLockStock,
  kGetShipment,
  kLockSpecialOrder,
  kLockSpecialOrderByLine,
  kLockSpecialOrdersOfOrder,
  kLockSpecialOrdersOnPo,
  kLockSpecialOrdersOnTransfer,
  kLockWaitingSpecialOrders,
  kInsertSpecialOrder,
  kUpdateSpecialOrder,
  kUpdateOrderLine,
  kSetHasSpecialOrder,
  kAddToStock,
  kSubtractFromStock,
  kLockPo,
  kLockPoLine,
  kInsertPo,
  kInsertPoLine,
  kSetPoLineQuantity,
  kGetStockOfProduct,
  kGetTransfer,
  kInsertTransfer,
  kInsertTransferLine,
  kLockPickedQty,
  kSetPickedQty,
  kLockArrivalLines,
  kPutArrivalLine,
  kInsertAudit,
  kUnappliedShipmentsOfPo,
  kListDeadLetters,
  kDeleteDeadLetter,
  kRetryDeadLetter,
  kPendingUnrequested,
  kPendingChangedLines,
  kPendingOrders,
  kPendingShipments,
  kPendingTransfers,
  kPendingPos,
  kRecordDeadLetter,
  kLastInsertId,
  kStmtCount,
};

// Column order of ReadSpecialOrder().
constexpr const char* kSpecialOrderColumns =
    "id, store_id, order_id, order_line_id, customer_id, product_id, quantity, allocated_qty, "
    "status, source, vendor_id, po_id, po_line_id, transfer_id, requested_at, ordered_at, "
    "arrived_at, ready_at, completed_at, cancelled_at, updated_at";

// The SQL of each fixed statement. `returning` adds "RETURNING id" to the inserts that hand back
// a new id, where the server has it.
std::string SqlFor(size_t id, bool returning) {
  const std::string ret = returning ? " RETURNING id" : "";
  switch (id) {
    case kInboxHas:
      return "SELECT 1 FROM sod_inbox WHERE message_id = ?";
    case kInboxClaim:
      return "INSERT INTO sod_inbox (message_id, source, seq, type, outcome, detail, occurred_at, "
             "applied_at) VALUES (?, ?, ?, ?, 'applied', '', ?, ?)";
    case kInboxRefused:
      return "UPDATE sod_inbox SET outcome = 'refused', detail = ? WHERE message_id = ?";
    case kGetProduct:
      return "SELECT id, sku, primary_vendor_id, special_order_allowed FROM products WHERE id = ?";
    case kGetVendor:
      return "SELECT id, name, active FROM vendors WHERE id = ?";
    case kGetProductVendors:
      return "SELECT pv.vendor_id, pv.unit_cost, pv.pack_size, pv.min_order_qty, "
             "pv.lead_time_days, v.active FROM product_vendors pv "
             "JOIN vendors v ON v.id = pv.vendor_id WHERE pv.product_id = ? ORDER BY pv.vendor_id";
    case kLockOrder:
      return "SELECT id, store_id, customer_id, status, has_special_order FROM customer_orders "
             "WHERE id = ? FOR UPDATE";
    case kLockOrderLine:
      return "SELECT id, order_id, product_id, quantity, special_order_qty, status, "
             "committed_qty, backordered_qty FROM customer_order_lines WHERE id = ? FOR UPDATE";
    case kLockStock:
      return "SELECT on_hand, committed, backordered FROM stock "
             "WHERE store_id = ? AND product_id = ? FOR UPDATE";
    case kGetShipment:
      // One round trip for the shipment and its lines; a shipment without lines gives one row
      // with NULL line columns.
      return "SELECT s.id, s.po_id, s.store_id, s.vendor_id, s.status, l.po_line_id, "
             "l.product_id, l.quantity FROM vendor_shipments s "
             "LEFT JOIN vendor_shipment_lines l ON l.shipment_id = s.id "
             "WHERE s.id = ? ORDER BY l.id";
    case kLockSpecialOrder:
      return std::string("SELECT ") + kSpecialOrderColumns +
             " FROM special_orders WHERE id = ? FOR UPDATE";
    case kLockSpecialOrderByLine:
      return std::string("SELECT ") + kSpecialOrderColumns +
             " FROM special_orders WHERE order_line_id = ? FOR UPDATE";
    case kLockSpecialOrdersOfOrder:
      return std::string("SELECT ") + kSpecialOrderColumns +
             " FROM special_orders WHERE order_id = ? ORDER BY id FOR UPDATE";
    case kLockSpecialOrdersOnPo:
      return std::string("SELECT ") + kSpecialOrderColumns +
             " FROM special_orders WHERE po_id = ? "
             "AND status NOT IN ('completed', 'cancelled') ORDER BY id FOR UPDATE";
    case kLockSpecialOrdersOnTransfer:
      return std::string("SELECT ") + kSpecialOrderColumns +
             " FROM special_orders WHERE transfer_id = ? "
             "AND status NOT IN ('completed', 'cancelled') ORDER BY id FOR UPDATE";
    case kLockWaitingSpecialOrders:
      // A range of the (store_id, product_id, status) index; READ COMMITTED releases the locks
      // on the rows it reads there that the rest of the WHERE clause rejects.
      return std::string("SELECT ") + kSpecialOrderColumns +
             " FROM special_orders WHERE store_id = ? AND product_id = ? "
             "AND status NOT IN ('completed', 'cancelled') AND quantity > allocated_qty "
             "ORDER BY id FOR UPDATE";
    case kInsertSpecialOrder:
      return "INSERT INTO special_orders (store_id, order_id, order_line_id, customer_id, "
             "product_id, quantity, allocated_qty, status, source, vendor_id, po_id, po_line_id, "
             "transfer_id, requested_at, ordered_at, arrived_at, ready_at, completed_at, "
             "cancelled_at, updated_at) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
             ret;
    case kUpdateSpecialOrder:
      return "UPDATE special_orders SET quantity = ?, allocated_qty = ?, status = ?, source = ?, "
             "vendor_id = ?, po_id = ?, po_line_id = ?, transfer_id = ?, ordered_at = ?, "
             "arrived_at = ?, ready_at = ?, completed_at = ?, cancelled_at = ?, updated_at = ? "
             "WHERE id = ?";
    case kUpdateOrderLine:
      return "UPDATE customer_order_lines SET status = ?, committed_qty = ?, backordered_qty = ? "
             "WHERE id = ?";
    case kSetHasSpecialOrder:
      // Assignments run left to right, so updated_at sees the old flag: the time moves only when
      // the flag changes, and never backwards (a replayed older message keeps the newer time).
      return "UPDATE customer_orders SET updated_at = IF(has_special_order = ?, updated_at, "
             "GREATEST(updated_at, ?)), has_special_order = ? WHERE id = ?";
    case kAddToStock:
      return "INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) "
             "VALUES (?, ?, 0, ?, ?) ON DUPLICATE KEY UPDATE "
             "committed = committed + VALUES(committed), "
             "backordered = backordered + VALUES(backordered)";
    case kSubtractFromStock:
      return "UPDATE stock SET committed = committed + ?, backordered = backordered + ? "
             "WHERE store_id = ? AND product_id = ?";
    case kLockPo:
      return "SELECT id, store_id, vendor_id, status, created_at FROM purchase_orders "
             "WHERE id = ? FOR UPDATE";
    case kLockPoLine:
      // (po_id, product_id) index entries are in id order, so LIMIT 1 locks only the first.
      return "SELECT id, po_id, product_id, quantity_ordered, quantity_received, unit_cost "
             "FROM purchase_order_lines WHERE po_id = ? AND product_id = ? "
             "ORDER BY id LIMIT 1 FOR UPDATE";
    case kInsertPo:
      return "INSERT INTO purchase_orders (store_id, vendor_id, status, created_by, created_at, "
             "updated_at) VALUES (?, ?, ?, ?, ?, ?)" +
             ret;
    case kInsertPoLine:
      return "INSERT INTO purchase_order_lines (po_id, product_id, quantity_ordered, "
             "quantity_received, unit_cost) VALUES (?, ?, ?, ?, ?)" +
             ret;
    case kSetPoLineQuantity:
      return "UPDATE purchase_order_lines SET quantity_ordered = ? WHERE id = ?";
    case kGetStockOfProduct:
      // The (product_id) index holds the primary key after it, so its entries come in store
      // order already.
      return "SELECT store_id, product_id, on_hand, committed, backordered FROM stock "
             "WHERE product_id = ? ORDER BY store_id";
    case kGetTransfer:
      // As kGetShipment: one round trip; a transfer without lines gives one row with NULL line
      // columns.
      return "SELECT t.id, t.from_store_id, t.to_store_id, t.status, t.created_at, l.id, "
             "l.transfer_id, l.product_id, l.quantity, l.special_order_id FROM store_transfers t "
             "LEFT JOIN store_transfer_lines l ON l.transfer_id = t.id "
             "WHERE t.id = ? ORDER BY l.id";
    case kInsertTransfer:
      // The daemon only ever requests a transfer; shipping and receiving are the POS's.
      return "INSERT INTO store_transfers (from_store_id, to_store_id, status, created_by, "
             "created_at) VALUES (?, ?, 'requested', ?, ?)" +
             ret;
    case kInsertTransferLine:
      return "INSERT INTO store_transfer_lines (transfer_id, product_id, quantity, "
             "special_order_id) VALUES (?, ?, ?, ?)" +
             ret;
    case kLockPickedQty:
      return "SELECT picked_qty FROM sod_pickups WHERE special_order_id = ? FOR UPDATE";
    case kSetPickedQty:
      return "INSERT INTO sod_pickups (special_order_id, picked_qty) VALUES (?, ?) "
             "ON DUPLICATE KEY UPDATE picked_qty = VALUES(picked_qty)";
    case kLockArrivalLines:
      return "SELECT kind, arrival_id, product_id, store_id, quantity, allocated_qty "
             "FROM sod_arrival_lines WHERE kind = ? AND arrival_id = ? "
             "ORDER BY product_id FOR UPDATE";
    case kPutArrivalLine:
      return "INSERT INTO sod_arrival_lines (kind, arrival_id, product_id, store_id, quantity, "
             "allocated_qty) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
             "quantity = VALUES(quantity), allocated_qty = VALUES(allocated_qty)";
    case kInsertAudit:
      return "INSERT INTO sod_audit (message_id, special_order_id, rule, decision, detail, at) "
             "VALUES (?, ?, ?, ?, ?, ?)";
    case kUnappliedShipmentsOfPo:
      return "SELECT s.id FROM vendor_shipments s WHERE s.po_id = ? AND s.status = 'completed' "
             "AND NOT EXISTS (SELECT 1 FROM sod_arrival_lines a "
             "WHERE a.kind = 'shipment' AND a.arrival_id = s.id) ORDER BY s.id";
    case kListDeadLetters:
      return "SELECT id, message_id, topic, raw, attempts FROM sod_dead_letters "
             "WHERE id > ? ORDER BY id LIMIT ?";
    case kDeleteDeadLetter:
      return "DELETE FROM sod_dead_letters WHERE id = ?";
    case kRetryDeadLetter:
      return "UPDATE sod_dead_letters SET attempts = attempts + 1, reason = ?, "
             "rules_version = ?, last_seen_at = NOW(6) WHERE id = ?";
    // The catch-up queries start from the special orders that are still live (a small set, by
    // the status index) rather than scanning the POS's history.
    case kPendingUnrequested:
      return "SELECT o.id, l.id, l.product_id, o.created_at FROM customer_order_lines l "
             "JOIN customer_orders o ON o.id = l.order_id "
             "LEFT JOIN special_orders so ON so.order_line_id = l.id "
             "WHERE l.special_order_qty > 0 AND o.status = 'open' AND so.id IS NULL "
             "ORDER BY l.id LIMIT ?";
    case kPendingChangedLines:
      return "SELECT l.order_id, l.id, l.special_order_qty, so.updated_at FROM special_orders so "
             "JOIN customer_order_lines l ON l.id = so.order_line_id "
             "WHERE so.status NOT IN ('completed', 'cancelled') "
             "AND so.quantity <> l.special_order_qty ORDER BY so.id LIMIT ?";
    case kPendingOrders:
      return "SELECT DISTINCT o.id, o.status FROM special_orders so "
             "JOIN customer_orders o ON o.id = so.order_id "
             "WHERE so.status NOT IN ('completed', 'cancelled') "
             "AND o.status IN ('cancelled', 'completed') ORDER BY o.id LIMIT ?";
    case kPendingShipments:
      return "SELECT DISTINCT s.id FROM special_orders so "
             "JOIN vendor_shipments s ON s.po_id = so.po_id "
             "WHERE so.status NOT IN ('completed', 'cancelled') "
             "AND so.quantity > so.allocated_qty AND s.status = 'completed' "
             "AND NOT EXISTS (SELECT 1 FROM sod_arrival_lines a "
             "WHERE a.kind = 'shipment' AND a.arrival_id = s.id) ORDER BY s.id LIMIT ?";
    case kPendingTransfers:
      return "SELECT DISTINCT t.id FROM special_orders so "
             "JOIN store_transfers t ON t.id = so.transfer_id "
             "WHERE so.status NOT IN ('completed', 'cancelled') "
             "AND so.quantity > so.allocated_qty AND t.status = 'received' "
             "AND NOT EXISTS (SELECT 1 FROM sod_arrival_lines a "
             "WHERE a.kind = 'transfer' AND a.arrival_id = t.id) ORDER BY t.id LIMIT ?";
    case kPendingPos:
      return "SELECT DISTINCT p.id, p.status FROM special_orders so "
             "JOIN purchase_orders p ON p.id = so.po_id "
             "WHERE so.status NOT IN ('completed', 'cancelled', 'arrived') "
             "AND so.quantity > so.allocated_qty "
             "AND p.status IN ('cancelled', 'closed', 'received') ORDER BY p.id LIMIT ?";
    case kRecordDeadLetter:
      return "INSERT INTO sod_dead_letters (message_id, topic, raw, reason, attempts, "
             "rules_version, first_seen_at, last_seen_at) "
             "VALUES (?, ?, ?, ?, 1, ?, NOW(6), NOW(6)) ON DUPLICATE KEY UPDATE "
             "attempts = attempts + 1, reason = VALUES(reason), "
             "rules_version = VALUES(rules_version), last_seen_at = NOW(6)";
    case kLastInsertId:
      return "SELECT LAST_INSERT_ID()";
    default:
      throw std::logic_error("unknown statement id");
  }
}

// --- Parameters ---

sql::SQLString Str(std::string_view s) { return sql::SQLString(s.data(), s.size()); }

void SetStr(sql::PreparedStatement& ps, unsigned i, std::string_view s) { ps.setString(i, Str(s)); }

void SetOptId(sql::PreparedStatement& ps, unsigned i, const std::optional<Id>& v) {
  if (v) {
    ps.setInt64(i, *v);
  } else {
    ps.setNull(i, sql::DataType::BIGINT);
  }
}

// Times travel as text: the 1.1 connector's setDateTime() is a string in disguise anyway, and
// the text keeps the microseconds exactly.
void SetTime(sql::PreparedStatement& ps, unsigned i, Timestamp t) {
  ps.setString(i, FormatSqlDatetime(t));
}

void SetOptTime(sql::PreparedStatement& ps, unsigned i, const std::optional<Timestamp>& t) {
  if (t) {
    SetTime(ps, i, *t);
  } else {
    ps.setNull(i, sql::DataType::TIMESTAMP);
  }
}

// --- Columns ---

std::string GetStr(const sql::ResultSet& rs, uint32_t col) { return rs.getString(col); }

std::optional<Id> GetOptId(const sql::ResultSet& rs, uint32_t col) {
  if (rs.isNull(col)) return std::nullopt;
  return rs.getInt64(col);
}

Timestamp GetTime(const sql::ResultSet& rs, uint32_t col, const char* name) {
  const std::string text = rs.getString(col);
  const std::optional<Timestamp> t = ParseSqlDatetime(text);
  if (!t) throw BadValue(std::string(name) + ": not a DATETIME: '" + text + "'");
  return *t;
}

std::optional<Timestamp> GetOptTime(const sql::ResultSet& rs, uint32_t col, const char* name) {
  if (rs.isNull(col)) return std::nullopt;
  return GetTime(rs, col, name);
}

template <typename T>
T Parsed(std::optional<T> v, const char* name, const std::string& text) {
  if (!v) throw BadValue(std::string(name) + ": unknown value '" + text + "'");
  return *v;
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

PurchaseOrder ReadPo(const sql::ResultSet& rs) {
  PurchaseOrder po;
  po.id = rs.getInt64(1);
  po.store_id = rs.getInt64(2);
  po.vendor_id = rs.getInt64(3);
  po.status = GetStr(rs, 4);
  po.created_at = GetTime(rs, 5, "purchase_orders.created_at");
  return po;
}

std::vector<SpecialOrder> ReadSpecialOrders(sql::PreparedStatement& ps) {
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  std::vector<SpecialOrder> out;
  while (rs->next()) out.push_back(ReadSpecialOrder(*rs));
  return out;
}

std::optional<SpecialOrder> ReadOptSpecialOrder(sql::PreparedStatement& ps) {
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next()) return std::nullopt;
  return ReadSpecialOrder(*rs);
}

// Runs an UPDATE that must match exactly one row. CLIENT_FOUND_ROWS makes the count the matched
// rows, so writing a row's current values again still counts as one.
void UpdateOne(sql::PreparedStatement& ps, const char* table, Id id) {
  if (ps.executeUpdate() == 0) {
    throw NoRow(std::string(table) + " has no row with id " + std::to_string(id));
  }
}

// The next power of two >= n (n >= 1).
size_t PaddedCount(size_t n) {
  size_t p = 1;
  while (p < n) p *= 2;
  return p;
}

}  // namespace

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

MysqlStore::MysqlStore(MysqlOptions options) : options_(std::move(options)) {}

MysqlStore::~MysqlStore() { Disconnect(); }

bool MysqlStore::connected() const { return connected_; }

void MysqlStore::Disconnect() {
  // Statements first: each holds a handle into the connection.
  prepared_in_.clear();
  prepared_.clear();
  direct_.reset();
  conn_.reset();
  connected_ = false;
  in_transaction_ = false;
}

Error MysqlStore::NotConnected(std::string_view what) const {
  return Error{ErrorKind::kConnection, 0, Join(what, "not connected to the database")};
}

Error MysqlStore::Fail(const sql::SQLException& e, std::string_view what) {
  const int code = e.getErrorCode();
  std::string message = Join(what, e.what());
  if (!e.getSQLState().empty()) message += " (SQLSTATE " + e.getSQLState() + ")";
  Error error{Classify(code, e.what()), code, std::move(message)};
  // After a lost connection neither the transaction nor the prepared statements exist on the
  // server any more; forgetting them here makes the caller reconnect instead of reusing them.
  if (error.kind == ErrorKind::kConnection) Disconnect();
  return error;
}

template <typename F>
auto MysqlStore::Run(std::string_view what, F&& body) -> std::invoke_result_t<F> {
  if (!connected_) return NotConnected(what);
  try {
    return body();
  } catch (const sql::SQLException& e) {
    return Fail(e, what);
  } catch (const BadValue& e) {
    return Error{ErrorKind::kPermanent, 0, Join(what, e.what())};
  } catch (const NoRow& e) {
    return Error{ErrorKind::kPermanent, 0, Join(what, e.what())};
  }
}

sql::PreparedStatement& MysqlStore::Prepared(size_t id) {
  if (prepared_.empty()) prepared_.resize(kStmtCount);
  std::unique_ptr<sql::PreparedStatement>& slot = prepared_[id];
  if (!slot) slot.reset(conn_->prepareStatement(SqlFor(id, has_returning_)));
  return *slot;
}

sql::PreparedStatement& MysqlStore::PreparedIn(const std::string& prefix, size_t n,
                                               const std::string& suffix) {
  const size_t count = PaddedCount(n);
  std::string sql = prefix;
  sql += '(';
  for (size_t i = 0; i < count; ++i) sql += i == 0 ? "?" : ", ?";
  sql += ')';
  sql += suffix;
  std::unique_ptr<sql::PreparedStatement>& slot = prepared_in_[sql];
  if (!slot) slot.reset(conn_->prepareStatement(sql));
  return *slot;
}

void MysqlStore::ExecuteDirect(const std::string& sql) { direct_->execute(sql); }

Id MysqlStore::ExecuteInsert(sql::PreparedStatement& ps) {
  if (has_returning_) {
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) throw BadValue("INSERT ... RETURNING gave no row");
    return rs->getInt64(1);
  }
  ps.executeUpdate();
  std::unique_ptr<sql::ResultSet> rs(Prepared(kLastInsertId).executeQuery());
  if (!rs->next()) throw BadValue("SELECT LAST_INSERT_ID() gave no row");
  return rs->getInt64(1);
}

Status MysqlStore::Connect() {
  Disconnect();
  try {
    sql::ConnectOptionsMap o;
    if (!options_.socket.empty()) {
      o["hostName"] = sql::SQLString("unix://" + options_.socket);
    } else {
      o["hostName"] = sql::SQLString(options_.host);
      o["port"] = options_.port;
    }
    o["userName"] = sql::SQLString(options_.user);
    o["password"] = sql::SQLString(options_.password);
    if (!options_.database.empty()) o["schema"] = sql::SQLString(options_.database);
    // Never reconnect behind our back: a silent reconnect rolls the open transaction back and
    // drops every prepared statement, and the next statement would run outside any transaction.
    o["OPT_RECONNECT"] = false;
    o["OPT_CONNECT_TIMEOUT"] = options_.connect_timeout_s;
    o["OPT_READ_TIMEOUT"] = options_.read_timeout_s;
    o["OPT_WRITE_TIMEOUT"] = options_.write_timeout_s;
    o["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    // The connector sets character_set_results to this ("utf8", i.e. utf8mb3, by default), which
    // would turn every 4-byte character it reads into '?'.
    o["characterSetResults"] = sql::SQLString("utf8mb4");
    // UPDATE counts matched rows, not changed ones: "no such row" stays distinguishable from
    // "already had these values".
    o["CLIENT_FOUND_ROWS"] = true;
    conn_.reset(sql::mysql::get_mysql_driver_instance()->connect(o));
    direct_.reset(conn_->createStatement());

    // Set explicitly after every connect, whatever the server's defaults:
    // - autocommit off: Begin()/Commit() bound every unit of work.
    // - time_zone UTC: DATETIME values are UTC, and NOW(6) must agree with them.
    // - strict sql_mode: a bad value is an error, never a silently truncated row.
    // - innodb_lock_wait_timeout below the read timeout: a long lock wait must surface as 1205
    //   (kTransient, the transaction still ours to roll back), not as a read timeout that looks
    //   like a lost connection.
    const int lock_wait_s = std::max(1, std::min(50, options_.read_timeout_s / 2));
    ExecuteDirect(
        "SET NAMES utf8mb4, autocommit = 0, time_zone = '+00:00', "
        "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
        "NO_ENGINE_SUBSTITUTION', innodb_lock_wait_timeout = " +
        std::to_string(lock_wait_s));
    // READ COMMITTED, not InnoDB's REPEATABLE READ: every row the rules act on is read with a
    // locking read, so a snapshot buys nothing, while REPEATABLE READ's gap and next-key locks
    // (on ranges such as "special orders on these PO lines" or a missing stock row) would make
    // two daemons, or the daemon and the POS, block and deadlock on rows neither touches. Plain
    // reads also see the latest committed rows, e.g. InboxHas() after a commit of unknown
    // outcome.
    ExecuteDirect("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    {
      std::unique_ptr<sql::ResultSet> rs(direct_->executeQuery("SELECT VERSION()"));
      const std::string version = rs->next() ? GetStr(*rs, 1) : std::string();
      int major = 0, minor = 0;
      std::sscanf(version.c_str(), "%d.%d", &major, &minor);
      has_returning_ = version.find("MariaDB") != std::string::npos &&
                       (major > 10 || (major == 10 && minor >= 5));
    }
    connected_ = true;
    return Status();
  } catch (const sql::SQLException& e) {
    Error error = Fail(e, "Connect");
    Disconnect();
    // A client-side failure to connect (unknown host, refused, timed out) is a connection
    // problem; a server that answers and refuses (bad password, unknown database) is not.
    if (e.getErrorCode() >= 2000 && e.getErrorCode() < 3000) {
      error.kind = ErrorKind::kConnection;
    }
    return error;
  }
}

Status MysqlStore::EnsureDaemonSchema() {
  if (in_transaction_) {
    return Error{ErrorKind::kPermanent, 0,
                 "EnsureDaemonSchema: called inside a transaction (DDL would commit it)"};
  }
  return Run("EnsureDaemonSchema", [&]() -> Status {
    for (const std::string& statement : SplitSqlStatements(kDaemonSchemaSql)) {
      ExecuteDirect(statement);
    }
    ExecuteDirect("COMMIT");
    return Status();
  });
}

Status MysqlStore::RecordDeadLetter(const std::optional<std::string>& message_id,
                                    std::string_view topic, std::string_view raw,
                                    std::string_view reason, std::string_view rules_version) {
  if (in_transaction_) {
    return Error{ErrorKind::kPermanent, 0,
                 "RecordDeadLetter: called inside a transaction (it would commit it)"};
  }
  Status status = Run("RecordDeadLetter", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kRecordDeadLetter);
    if (message_id) {
      SetStr(ps, 1, *message_id);
    } else {
      ps.setNull(1, sql::DataType::VARCHAR);
    }
    SetStr(ps, 2, topic);
    // As a blob, not a string: the raw frame may be invalid UTF-8, which a string parameter
    // would have converted or refused.
    std::istringstream raw_stream{std::string(raw)};
    ps.setBlob(3, &raw_stream);
    SetStr(ps, 4, reason);
    SetStr(ps, 5, rules_version);
    ps.executeUpdate();
    ExecuteDirect("COMMIT");
    return Status();
  });
  if (!status.ok() && connected_) {
    try {
      ExecuteDirect("ROLLBACK");
    } catch (const sql::SQLException& e) {
      (void)Fail(e, "RecordDeadLetter rollback");
    }
  }
  return status;
}

// --- Transactions ---

Status MysqlStore::Begin() {
  if (in_transaction_) {
    // START TRANSACTION would silently commit the open one.
    return Error{ErrorKind::kPermanent, 0, "Begin: a transaction is already open"};
  }
  return Run("Begin", [&]() -> Status {
    ExecuteDirect("START TRANSACTION");
    in_transaction_ = true;
    return Status();
  });
}

Status MysqlStore::Commit() {
  // The SQL statement, not Connection::commit(): Connector/C++ 1.1 ignores the result of
  // mysql_commit(), so a failed commit (a Galera certification conflict, a lost connection)
  // would pass for a successful one.
  return Run("Commit", [&]() -> Status {
    ExecuteDirect("COMMIT");
    in_transaction_ = false;
    return Status();
  });
}

void MysqlStore::Rollback() {
  in_transaction_ = false;
  if (!connected_) return;  // the server rolled back when the connection went
  try {
    ExecuteDirect("ROLLBACK");
  } catch (const sql::SQLException& e) {
    (void)Fail(e, "Rollback");
  }
}

// --- Inbox ---

Result<bool> MysqlStore::InboxHas(const std::string& message_id) {
  return Run("InboxHas", [&]() -> Result<bool> {
    sql::PreparedStatement& ps = Prepared(kInboxHas);
    SetStr(ps, 1, message_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    return rs->next();
  });
}

Result<bool> MysqlStore::InboxClaim(const Envelope& envelope) {
  Result<bool> claimed = Run("InboxClaim", [&]() -> Result<bool> {
    sql::PreparedStatement& ps = Prepared(kInboxClaim);
    SetStr(ps, 1, envelope.id);
    SetStr(ps, 2, envelope.source);
    ps.setUInt64(3, envelope.seq);
    SetStr(ps, 4, envelope.type);
    SetTime(ps, 5, envelope.occurred_at);
    SetTime(ps, 6, envelope.occurred_at);
    ps.executeUpdate();
    return true;
  });
  // The id is there: applied before, or by another daemon that committed while we waited. Not
  // INSERT IGNORE, which would also turn real errors into warnings.
  if (!claimed.ok() && claimed.error().code == 1062) return false;
  return claimed;
}

Status MysqlStore::InboxRefused(const std::string& message_id, std::string_view reason) {
  return Run("InboxRefused", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kInboxRefused);
    SetStr(ps, 1, reason);
    SetStr(ps, 2, message_id);
    return ps.executeUpdate() == 1
               ? Status()
               : Status(Error{ErrorKind::kPermanent, 0, "no inbox row for " + message_id});
  });
}

// --- Reads of POS-owned rows ---

Result<std::optional<Product>> MysqlStore::GetProduct(Id product_id) {
  return Run("GetProduct", [&]() -> Result<std::optional<Product>> {
    sql::PreparedStatement& ps = Prepared(kGetProduct);
    ps.setInt64(1, product_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return std::optional<Product>();
    Product p;
    p.id = rs->getInt64(1);
    p.sku = GetStr(*rs, 2);
    p.primary_vendor_id = GetOptId(*rs, 3);
    p.special_order_allowed = rs->getBoolean(4);
    return std::optional<Product>(std::move(p));
  });
}

Result<std::optional<Vendor>> MysqlStore::GetVendor(Id vendor_id) {
  return Run("GetVendor", [&]() -> Result<std::optional<Vendor>> {
    sql::PreparedStatement& ps = Prepared(kGetVendor);
    ps.setInt64(1, vendor_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return std::optional<Vendor>();
    Vendor v;
    v.id = rs->getInt64(1);
    v.name = GetStr(*rs, 2);
    v.active = rs->getBoolean(3);
    return std::optional<Vendor>(std::move(v));
  });
}

Result<std::vector<ProductVendor>> MysqlStore::GetProductVendors(Id product_id) {
  return Run("GetProductVendors", [&]() -> Result<std::vector<ProductVendor>> {
    sql::PreparedStatement& ps = Prepared(kGetProductVendors);
    ps.setInt64(1, product_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    std::vector<ProductVendor> out;
    while (rs->next()) {
      ProductVendor pv;
      pv.vendor_id = rs->getInt64(1);
      pv.unit_cost = GetStr(*rs, 2);  // DECIMAL as its exact text, never through a double
      pv.pack_size = rs->getInt64(3);
      pv.min_order_qty = rs->getInt64(4);
      pv.lead_time_days = rs->getInt(5);
      pv.vendor_active = rs->getBoolean(6);
      out.push_back(std::move(pv));
    }
    return out;
  });
}

Result<std::optional<CustomerOrder>> MysqlStore::LockOrder(Id order_id) {
  return Run("LockOrder", [&]() -> Result<std::optional<CustomerOrder>> {
    sql::PreparedStatement& ps = Prepared(kLockOrder);
    ps.setInt64(1, order_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return std::optional<CustomerOrder>();
    CustomerOrder o;
    o.id = rs->getInt64(1);
    o.store_id = rs->getInt64(2);
    o.customer_id = rs->getInt64(3);
    o.status = GetStr(*rs, 4);
    o.has_special_order = rs->getBoolean(5);
    return std::optional<CustomerOrder>(std::move(o));
  });
}

Result<std::optional<OrderLine>> MysqlStore::LockOrderLine(Id order_line_id) {
  return Run("LockOrderLine", [&]() -> Result<std::optional<OrderLine>> {
    sql::PreparedStatement& ps = Prepared(kLockOrderLine);
    ps.setInt64(1, order_line_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return std::optional<OrderLine>();
    OrderLine l;
    l.id = rs->getInt64(1);
    l.order_id = rs->getInt64(2);
    l.product_id = rs->getInt64(3);
    l.quantity = rs->getInt64(4);
    l.special_order_qty = rs->getInt64(5);
    const std::string status = GetStr(*rs, 6);
    l.status = Parsed(ParseLineStatus(status), "customer_order_lines.status", status);
    l.committed_qty = rs->getInt64(7);
    l.backordered_qty = rs->getInt64(8);
    return std::optional<OrderLine>(std::move(l));
  });
}

Result<StockRow> MysqlStore::LockStock(Id store_id, Id product_id) {
  return Run("LockStock", [&]() -> Result<StockRow> {
    sql::PreparedStatement& ps = Prepared(kLockStock);
    ps.setInt64(1, store_id);
    ps.setInt64(2, product_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    StockRow row;
    row.store_id = store_id;
    row.product_id = product_id;
    // No row locks nothing under READ COMMITTED; that is safe because a missing row has no
    // on_hand to allocate, and AddToStock() creates it with an atomic, additive upsert.
    if (rs->next()) {
      row.on_hand = rs->getInt64(1);
      row.committed = rs->getInt64(2);
      row.backordered = rs->getInt64(3);
    }
    return row;
  });
}

Result<std::optional<Shipment>> MysqlStore::GetShipment(Id shipment_id) {
  return Run("GetShipment", [&]() -> Result<std::optional<Shipment>> {
    sql::PreparedStatement& ps = Prepared(kGetShipment);
    ps.setInt64(1, shipment_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    std::optional<Shipment> shipment;
    while (rs->next()) {
      if (!shipment) {
        shipment.emplace();
        shipment->id = rs->getInt64(1);
        shipment->po_id = rs->getInt64(2);
        shipment->store_id = rs->getInt64(3);
        shipment->vendor_id = rs->getInt64(4);
        shipment->status = GetStr(*rs, 5);
      }
      if (rs->isNull(6)) continue;  // a shipment without lines
      ShipmentLine line;
      line.po_line_id = rs->getInt64(6);
      line.product_id = rs->getInt64(7);
      line.quantity = rs->getInt64(8);
      shipment->lines.push_back(line);
    }
    return shipment;
  });
}

// --- Special orders ---

Result<std::optional<SpecialOrder>> MysqlStore::LockSpecialOrder(Id special_order_id) {
  return Run("LockSpecialOrder", [&]() -> Result<std::optional<SpecialOrder>> {
    sql::PreparedStatement& ps = Prepared(kLockSpecialOrder);
    ps.setInt64(1, special_order_id);
    return ReadOptSpecialOrder(ps);
  });
}

Result<std::optional<SpecialOrder>> MysqlStore::LockSpecialOrderByLine(Id order_line_id) {
  return Run("LockSpecialOrderByLine", [&]() -> Result<std::optional<SpecialOrder>> {
    sql::PreparedStatement& ps = Prepared(kLockSpecialOrderByLine);
    ps.setInt64(1, order_line_id);
    return ReadOptSpecialOrder(ps);
  });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersOfOrder(Id order_id) {
  return Run("LockSpecialOrdersOfOrder", [&]() -> Result<std::vector<SpecialOrder>> {
    sql::PreparedStatement& ps = Prepared(kLockSpecialOrdersOfOrder);
    ps.setInt64(1, order_id);
    return ReadSpecialOrders(ps);
  });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersOnPoLines(
    const std::vector<Id>& po_line_ids) {
  if (po_line_ids.empty()) return std::vector<SpecialOrder>();
  return Run("LockSpecialOrdersOnPoLines", [&]() -> Result<std::vector<SpecialOrder>> {
    sql::PreparedStatement& ps = PreparedIn(
        std::string("SELECT ") + kSpecialOrderColumns + " FROM special_orders WHERE po_line_id IN ",
        po_line_ids.size(), " AND status NOT IN ('completed', 'cancelled') ORDER BY id FOR UPDATE");
    // Padding repeats the last id: a duplicate in an IN list changes nothing.
    const size_t count = PaddedCount(po_line_ids.size());
    for (size_t i = 0; i < count; ++i) {
      ps.setInt64(static_cast<unsigned>(i + 1), po_line_ids[std::min(i, po_line_ids.size() - 1)]);
    }
    return ReadSpecialOrders(ps);
  });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersOnPo(Id po_id) {
  return Run("LockSpecialOrdersOnPo", [&]() -> Result<std::vector<SpecialOrder>> {
    sql::PreparedStatement& ps = Prepared(kLockSpecialOrdersOnPo);
    ps.setInt64(1, po_id);
    return ReadSpecialOrders(ps);
  });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersOnTransfer(Id transfer_id) {
  return Run("LockSpecialOrdersOnTransfer", [&]() -> Result<std::vector<SpecialOrder>> {
    sql::PreparedStatement& ps = Prepared(kLockSpecialOrdersOnTransfer);
    ps.setInt64(1, transfer_id);
    return ReadSpecialOrders(ps);
  });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockWaitingSpecialOrders(Id store_id, Id product_id) {
  return Run("LockWaitingSpecialOrders", [&]() -> Result<std::vector<SpecialOrder>> {
    sql::PreparedStatement& ps = Prepared(kLockWaitingSpecialOrders);
    ps.setInt64(1, store_id);
    ps.setInt64(2, product_id);
    return ReadSpecialOrders(ps);
  });
}

Result<Id> MysqlStore::InsertSpecialOrder(const SpecialOrder& so) {
  return Run("InsertSpecialOrder", [&]() -> Result<Id> {
    sql::PreparedStatement& ps = Prepared(kInsertSpecialOrder);
    ps.setInt64(1, so.store_id);
    ps.setInt64(2, so.order_id);
    ps.setInt64(3, so.order_line_id);
    ps.setInt64(4, so.customer_id);
    ps.setInt64(5, so.product_id);
    ps.setInt64(6, so.quantity);
    ps.setInt64(7, so.allocated_qty);
    SetStr(ps, 8, ToString(so.status));
    if (so.source) {
      SetStr(ps, 9, ToString(*so.source));
    } else {
      ps.setNull(9, sql::DataType::VARCHAR);
    }
    SetOptId(ps, 10, so.vendor_id);
    SetOptId(ps, 11, so.po_id);
    SetOptId(ps, 12, so.po_line_id);
    SetOptId(ps, 13, so.transfer_id);
    SetTime(ps, 14, so.requested_at);
    SetOptTime(ps, 15, so.ordered_at);
    SetOptTime(ps, 16, so.arrived_at);
    SetOptTime(ps, 17, so.ready_at);
    SetOptTime(ps, 18, so.completed_at);
    SetOptTime(ps, 19, so.cancelled_at);
    SetTime(ps, 20, so.updated_at);
    return ExecuteInsert(ps);
  });
}

Status MysqlStore::UpdateSpecialOrder(const SpecialOrder& so) {
  return Run("UpdateSpecialOrder", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kUpdateSpecialOrder);
    ps.setInt64(1, so.quantity);
    ps.setInt64(2, so.allocated_qty);
    SetStr(ps, 3, ToString(so.status));
    if (so.source) {
      SetStr(ps, 4, ToString(*so.source));
    } else {
      ps.setNull(4, sql::DataType::VARCHAR);
    }
    SetOptId(ps, 5, so.vendor_id);
    SetOptId(ps, 6, so.po_id);
    SetOptId(ps, 7, so.po_line_id);
    SetOptId(ps, 8, so.transfer_id);
    SetOptTime(ps, 9, so.ordered_at);
    SetOptTime(ps, 10, so.arrived_at);
    SetOptTime(ps, 11, so.ready_at);
    SetOptTime(ps, 12, so.completed_at);
    SetOptTime(ps, 13, so.cancelled_at);
    SetTime(ps, 14, so.updated_at);
    ps.setInt64(15, so.id);
    UpdateOne(ps, "special_orders", so.id);
    return Status();
  });
}

// --- Writes to POS rows ---

Status MysqlStore::UpdateOrderLine(const OrderLine& line) {
  return Run("UpdateOrderLine", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kUpdateOrderLine);
    SetStr(ps, 1, ToString(line.status));
    ps.setInt64(2, line.committed_qty);
    ps.setInt64(3, line.backordered_qty);
    ps.setInt64(4, line.id);
    UpdateOne(ps, "customer_order_lines", line.id);
    return Status();
  });
}

Status MysqlStore::SetHasSpecialOrder(Id order_id, bool value, Timestamp at) {
  return Run("SetHasSpecialOrder", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kSetHasSpecialOrder);
    ps.setInt(1, value ? 1 : 0);
    SetTime(ps, 2, at);
    ps.setInt(3, value ? 1 : 0);
    ps.setInt64(4, order_id);
    UpdateOne(ps, "customer_orders", order_id);
    return Status();
  });
}

Status MysqlStore::AddToStock(Id store_id, Id product_id, Qty committed_delta,
                              Qty backordered_delta) {
  return Run("AddToStock", [&]() -> Status {
    if (committed_delta >= 0 && backordered_delta >= 0) {
      sql::PreparedStatement& ps = Prepared(kAddToStock);
      ps.setInt64(1, store_id);
      ps.setInt64(2, product_id);
      ps.setInt64(3, committed_delta);
      ps.setInt64(4, backordered_delta);
      ps.executeUpdate();
      return Status();
    }
    // Taking something away needs the row to exist already, and the upsert cannot do it:
    // MariaDB checks the CHECK constraints (committed >= 0, backordered >= 0) on the row to
    // insert before it finds the duplicate key, so a negative delta in VALUES always fails.
    sql::PreparedStatement& ps = Prepared(kSubtractFromStock);
    ps.setInt64(1, committed_delta);
    ps.setInt64(2, backordered_delta);
    ps.setInt64(3, store_id);
    ps.setInt64(4, product_id);
    if (ps.executeUpdate() == 0) {
      throw NoRow("stock has no row for store " + std::to_string(store_id) + " and product " +
                  std::to_string(product_id) + " to take from");
    }
    return Status();
  });
}

// --- Purchase orders ---

Result<std::optional<PurchaseOrder>> MysqlStore::LockPo(Id po_id) {
  return Run("LockPo", [&]() -> Result<std::optional<PurchaseOrder>> {
    sql::PreparedStatement& ps = Prepared(kLockPo);
    ps.setInt64(1, po_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return std::optional<PurchaseOrder>();
    return std::optional<PurchaseOrder>(ReadPo(*rs));
  });
}

Result<std::optional<PurchaseOrder>> MysqlStore::LockNewestPo(
    Id store_id, Id vendor_id, const std::vector<std::string>& statuses) {
  if (statuses.empty()) return std::optional<PurchaseOrder>();
  return Run("LockNewestPo", [&]() -> Result<std::optional<PurchaseOrder>> {
    // Under READ COMMITTED this locks every PO that matches (the sort needs them all), which
    // is the few draft/open POs of one vendor for one store, not the closed history.
    sql::PreparedStatement& ps = PreparedIn(
        "SELECT id, store_id, vendor_id, status, created_at FROM purchase_orders "
        "WHERE store_id = ? AND vendor_id = ? AND status IN ",
        statuses.size(), " ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE");
    ps.setInt64(1, store_id);
    ps.setInt64(2, vendor_id);
    const size_t count = PaddedCount(statuses.size());
    for (size_t i = 0; i < count; ++i) {
      SetStr(ps, static_cast<unsigned>(i + 3), statuses[std::min(i, statuses.size() - 1)]);
    }
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return std::optional<PurchaseOrder>();
    return std::optional<PurchaseOrder>(ReadPo(*rs));
  });
}

Result<std::optional<PoLine>> MysqlStore::LockPoLine(Id po_id, Id product_id) {
  return Run("LockPoLine", [&]() -> Result<std::optional<PoLine>> {
    sql::PreparedStatement& ps = Prepared(kLockPoLine);
    ps.setInt64(1, po_id);
    ps.setInt64(2, product_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    if (!rs->next()) return std::optional<PoLine>();
    PoLine line;
    line.id = rs->getInt64(1);
    line.po_id = rs->getInt64(2);
    line.product_id = rs->getInt64(3);
    line.quantity_ordered = rs->getInt64(4);
    line.quantity_received = rs->getInt64(5);
    line.unit_cost = GetStr(*rs, 6);
    return std::optional<PoLine>(std::move(line));
  });
}

Result<Id> MysqlStore::InsertPo(const PurchaseOrder& po, std::string_view created_by) {
  return Run("InsertPo", [&]() -> Result<Id> {
    sql::PreparedStatement& ps = Prepared(kInsertPo);
    ps.setInt64(1, po.store_id);
    ps.setInt64(2, po.vendor_id);
    SetStr(ps, 3, po.status);
    SetStr(ps, 4, created_by);
    SetTime(ps, 5, po.created_at);
    SetTime(ps, 6, po.created_at);
    return ExecuteInsert(ps);
  });
}

Result<Id> MysqlStore::InsertPoLine(const PoLine& line) {
  return Run("InsertPoLine", [&]() -> Result<Id> {
    sql::PreparedStatement& ps = Prepared(kInsertPoLine);
    ps.setInt64(1, line.po_id);
    ps.setInt64(2, line.product_id);
    ps.setInt64(3, line.quantity_ordered);
    ps.setInt64(4, line.quantity_received);
    // An empty cost is a missing one: NULL, which the NOT NULL column refuses (1048), rather
    // than a made-up zero on a vendor's PO.
    if (line.unit_cost.empty()) {
      ps.setNull(5, sql::DataType::DECIMAL);
    } else {
      SetStr(ps, 5, line.unit_cost);
    }
    return ExecuteInsert(ps);
  });
}

Status MysqlStore::SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) {
  return Run("SetPoLineQuantity", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kSetPoLineQuantity);
    ps.setInt64(1, quantity_ordered);
    ps.setInt64(2, po_line_id);
    UpdateOne(ps, "purchase_order_lines", po_line_id);
    return Status();
  });
}

// --- Store transfers ---

Result<std::vector<StockRow>> MysqlStore::GetStockOfProduct(Id product_id) {
  return Run("GetStockOfProduct", [&]() -> Result<std::vector<StockRow>> {
    sql::PreparedStatement& ps = Prepared(kGetStockOfProduct);
    ps.setInt64(1, product_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    std::vector<StockRow> out;
    while (rs->next()) {
      StockRow row;
      row.store_id = rs->getInt64(1);
      row.product_id = rs->getInt64(2);
      row.on_hand = rs->getInt64(3);
      row.committed = rs->getInt64(4);
      row.backordered = rs->getInt64(5);
      out.push_back(row);
    }
    return out;
  });
}

Result<std::optional<StoreTransfer>> MysqlStore::GetTransfer(Id transfer_id) {
  return Run("GetTransfer", [&]() -> Result<std::optional<StoreTransfer>> {
    sql::PreparedStatement& ps = Prepared(kGetTransfer);
    ps.setInt64(1, transfer_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    std::optional<StoreTransfer> transfer;
    while (rs->next()) {
      if (!transfer) {
        transfer.emplace();
        transfer->id = rs->getInt64(1);
        transfer->from_store_id = rs->getInt64(2);
        transfer->to_store_id = rs->getInt64(3);
        transfer->status = GetStr(*rs, 4);
        transfer->created_at = GetTime(*rs, 5, "store_transfers.created_at");
      }
      if (rs->isNull(6)) continue;  // a transfer without lines
      StoreTransferLine line;
      line.id = rs->getInt64(6);
      line.transfer_id = rs->getInt64(7);
      line.product_id = rs->getInt64(8);
      line.quantity = rs->getInt64(9);
      line.special_order_id = GetOptId(*rs, 10);
      transfer->lines.push_back(line);
    }
    return transfer;
  });
}

Result<Id> MysqlStore::InsertTransfer(const StoreTransfer& transfer, std::string_view created_by) {
  return Run("InsertTransfer", [&]() -> Result<Id> {
    sql::PreparedStatement& ps = Prepared(kInsertTransfer);
    ps.setInt64(1, transfer.from_store_id);
    ps.setInt64(2, transfer.to_store_id);
    SetStr(ps, 3, created_by);
    SetTime(ps, 4, transfer.created_at);
    return ExecuteInsert(ps);
  });
}

Result<Id> MysqlStore::InsertTransferLine(const StoreTransferLine& line) {
  return Run("InsertTransferLine", [&]() -> Result<Id> {
    sql::PreparedStatement& ps = Prepared(kInsertTransferLine);
    ps.setInt64(1, line.transfer_id);
    ps.setInt64(2, line.product_id);
    ps.setInt64(3, line.quantity);
    SetOptId(ps, 4, line.special_order_id);
    return ExecuteInsert(ps);
  });
}

// --- Pickups ---

Result<Qty> MysqlStore::LockPickedQty(Id special_order_id) {
  return Run("LockPickedQty", [&]() -> Result<Qty> {
    sql::PreparedStatement& ps = Prepared(kLockPickedQty);
    ps.setInt64(1, special_order_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    // No row locks nothing under READ COMMITTED. That is safe as long as the caller locked the
    // special order first (LockSpecialOrder*), which serializes two pickups of it; and
    // SetPickedQty() writes with an atomic upsert whatever happens.
    if (!rs->next()) return Qty{0};
    return Qty{rs->getInt64(1)};
  });
}

Status MysqlStore::SetPickedQty(Id special_order_id, Qty picked_qty) {
  return Run("SetPickedQty", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kSetPickedQty);
    ps.setInt64(1, special_order_id);
    ps.setInt64(2, picked_qty);
    ps.executeUpdate();
    return Status();
  });
}

// --- Arrival ledger ---

Result<std::vector<ArrivalLine>> MysqlStore::LockArrivalLines(ArrivalKind kind, Id arrival_id) {
  return Run("LockArrivalLines", [&]() -> Result<std::vector<ArrivalLine>> {
    sql::PreparedStatement& ps = Prepared(kLockArrivalLines);
    SetStr(ps, 1, ToString(kind));
    ps.setInt64(2, arrival_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    std::vector<ArrivalLine> out;
    while (rs->next()) {
      ArrivalLine line;
      const std::string k = GetStr(*rs, 1);
      if (k == ToString(ArrivalKind::kShipment)) {
        line.kind = ArrivalKind::kShipment;
      } else if (k == ToString(ArrivalKind::kTransfer)) {
        line.kind = ArrivalKind::kTransfer;
      } else {
        throw BadValue("sod_arrival_lines.kind: unknown value '" + k + "'");
      }
      line.arrival_id = rs->getInt64(2);
      line.product_id = rs->getInt64(3);
      line.store_id = rs->getInt64(4);
      line.quantity = rs->getInt64(5);
      line.allocated_qty = rs->getInt64(6);
      out.push_back(line);
    }
    return out;
  });
}

Status MysqlStore::PutArrivalLine(const ArrivalLine& line) {
  return Run("PutArrivalLine", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kPutArrivalLine);
    SetStr(ps, 1, ToString(line.kind));
    ps.setInt64(2, line.arrival_id);
    ps.setInt64(3, line.product_id);
    ps.setInt64(4, line.store_id);
    ps.setInt64(5, line.quantity);
    ps.setInt64(6, line.allocated_qty);
    ps.executeUpdate();
    return Status();
  });
}

// --- Audit ---

Status MysqlStore::InsertAudit(const AuditEntry& entry) {
  return Run("InsertAudit", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kInsertAudit);
    SetStr(ps, 1, entry.message_id);
    SetOptId(ps, 2, entry.special_order_id);
    SetStr(ps, 3, entry.rule);
    SetStr(ps, 4, entry.decision);
    SetStr(ps, 5, entry.detail);
    SetTime(ps, 6, entry.at);
    ps.executeUpdate();
    return Status();
  });
}

Result<std::vector<Id>> MysqlStore::UnappliedShipmentsOfPo(Id po_id) {
  return Run("UnappliedShipmentsOfPo", [&]() -> Result<std::vector<Id>> {
    sql::PreparedStatement& ps = Prepared(kUnappliedShipmentsOfPo);
    ps.setInt64(1, po_id);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    std::vector<Id> out;
    while (rs->next()) out.push_back(rs->getInt64(1));
    return out;
  });
}

// Each of the three below is a short transaction of its own, like RecordDeadLetter().
Result<std::vector<MysqlStore::StoredDeadLetter>> MysqlStore::ListDeadLetters(int64_t after_id,
                                                                              int limit) {
  if (Status s = Begin(); !s.ok()) return s.error();
  Result<std::vector<StoredDeadLetter>> letters =
      Run("ListDeadLetters", [&]() -> Result<std::vector<StoredDeadLetter>> {
        sql::PreparedStatement& ps = Prepared(kListDeadLetters);
        ps.setInt64(1, after_id);
        ps.setInt(2, limit);
        std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
        std::vector<StoredDeadLetter> out;
        while (rs->next()) {
          StoredDeadLetter l;
          l.id = rs->getInt64(1);
          if (!rs->isNull(2)) l.message_id = GetStr(*rs, 2);
          l.topic = GetStr(*rs, 3);
          l.raw = GetStr(*rs, 4);
          l.attempts = rs->getInt(5);
          out.push_back(std::move(l));
        }
        return out;
      });
  Rollback();
  return letters;
}

Status MysqlStore::DeleteDeadLetter(int64_t id) {
  if (Status s = Begin(); !s.ok()) return s;
  Status status = Run("DeleteDeadLetter", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kDeleteDeadLetter);
    ps.setInt64(1, id);
    ps.executeUpdate();
    return Status();
  });
  if (!status.ok()) {
    Rollback();
    return status;
  }
  return Commit();
}

Status MysqlStore::RecordDeadLetterRetry(int64_t id, std::string_view reason,
                                         std::string_view rules_version) {
  if (Status s = Begin(); !s.ok()) return s;
  Status status = Run("RecordDeadLetterRetry", [&]() -> Status {
    sql::PreparedStatement& ps = Prepared(kRetryDeadLetter);
    SetStr(ps, 1, reason);
    SetStr(ps, 2, rules_version);
    ps.setInt64(3, id);
    ps.executeUpdate();
    return Status();
  });
  if (!status.ok()) {
    Rollback();
    return status;
  }
  return Commit();
}

Result<PendingFacts> MysqlStore::FindPendingFacts(int limit) {
  if (Status s = Begin(); !s.ok()) return s.error();
  Result<PendingFacts> facts = Run("FindPendingFacts", [&]() -> Result<PendingFacts> {
    PendingFacts f;
    auto query = [&](StmtId id) {
      sql::PreparedStatement& ps = Prepared(id);
      ps.setInt(1, limit);
      return std::unique_ptr<sql::ResultSet>(ps.executeQuery());
    };
    for (auto rs = query(kPendingUnrequested); rs->next();) {
      f.unrequested_lines.push_back({rs->getInt64(1), rs->getInt64(2), rs->getInt64(3),
                                     GetTime(*rs, 4, "customer_orders.created_at")});
    }
    for (auto rs = query(kPendingChangedLines); rs->next();) {
      f.changed_lines.push_back({rs->getInt64(1), rs->getInt64(2), rs->getInt64(3),
                                 GetTime(*rs, 4, "special_orders.updated_at")});
    }
    for (auto rs = query(kPendingOrders); rs->next();) {
      (GetStr(*rs, 2) == "cancelled" ? f.cancelled_orders : f.completed_orders)
          .push_back(rs->getInt64(1));
    }
    for (auto rs = query(kPendingShipments); rs->next();) f.shipments.push_back(rs->getInt64(1));
    for (auto rs = query(kPendingTransfers); rs->next();) f.transfers.push_back(rs->getInt64(1));
    for (auto rs = query(kPendingPos); rs->next();) {
      f.pos_gone_wrong.push_back({rs->getInt64(1), GetStr(*rs, 2)});
    }
    return f;
  });
  Rollback();
  return facts;
}

// --- Batches (first cut: one statement per row) ---

Status MysqlStore::ApplyWrites(const WriteSet& w) {
  for (const auto& star : w.red_stars) {
    SO_RETURN_IF_ERROR(SetHasSpecialOrder(star.order_id, star.has_special_order, star.changed_at));
  }
  for (const auto& line : w.order_lines) SO_RETURN_IF_ERROR(UpdateOrderLine(line));
  for (const auto& so : w.special_orders) SO_RETURN_IF_ERROR(UpdateSpecialOrder(so));
  for (const auto& line : w.arrival_lines) SO_RETURN_IF_ERROR(PutArrivalLine(line));
  for (const auto& d : w.stock) {
    SO_RETURN_IF_ERROR(AddToStock(d.store_id, d.product_id, d.committed, d.backordered));
  }
  for (const auto& l : w.po_lines) {
    SO_RETURN_IF_ERROR(SetPoLineQuantity(l.po_line_id, l.quantity_ordered));
  }
  for (const auto& p : w.pickups) SO_RETURN_IF_ERROR(SetPickedQty(p.special_order_id, p.picked_qty));
  for (const auto& a : w.audit) SO_RETURN_IF_ERROR(InsertAudit(a));
  for (const auto& r : w.refusals) SO_RETURN_IF_ERROR(InboxRefused(r.message_id, r.reason));
  return Status();
}

Result<std::vector<StockRow>> MysqlStore::LockStocks(const std::vector<StockKey>& keys) {
  std::vector<StockKey> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return Run("LockStocks", [&]() -> Result<std::vector<StockRow>> {
    std::vector<StockRow> out;
    sql::PreparedStatement& ps = Prepared(kLockStock);
    for (const StockKey& k : sorted) {
      ps.setInt64(1, k.first);
      ps.setInt64(2, k.second);
      std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
      if (!rs->next()) continue;
      out.push_back(StockRow{k.first, k.second, rs->getInt64(1), rs->getInt64(2), rs->getInt64(3)});
    }
    return out;
  });
}

Result<std::vector<PoLine>> MysqlStore::LockPoLinesOfPos(const std::vector<Id>& po_ids) {
  if (po_ids.empty()) return std::vector<PoLine>();
  return Run("LockPoLinesOfPos", [&]() -> Result<std::vector<PoLine>> {
    sql::PreparedStatement& ps = PreparedIn(
        "SELECT id, po_id, product_id, quantity_ordered, quantity_received, unit_cost "
        "FROM purchase_order_lines WHERE po_id IN ",
        po_ids.size(), " ORDER BY id FOR UPDATE");
    const size_t count = PaddedCount(po_ids.size());
    for (size_t i = 0; i < count; ++i) {
      ps.setInt64(static_cast<unsigned>(i + 1), po_ids[std::min(i, po_ids.size() - 1)]);
    }
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    std::vector<PoLine> out;
    while (rs->next()) {
      out.push_back(PoLine{rs->getInt64(1), rs->getInt64(2), rs->getInt64(3), rs->getInt64(4),
                           rs->getInt64(5), GetStr(*rs, 6)});
    }
    return out;
  });
}

}  // namespace so::mysql
