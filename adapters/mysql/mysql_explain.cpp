#include "adapters/mysql/mysql_explain.hpp"

#include <string>
#include <utility>

#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"

namespace so::mysql {
namespace {

// The columns of ReadHistoryEntry(), of sod_audit a and sod_inbox i.
const std::string& HistoryColumns() {
  static const std::string columns =
      "a.id, " + TimeColumn("a.at") +
      ", a.message_id, a.special_order_id, a.rule, a.decision, a.detail, i.type, i.source, "
      "i.seq, i.outcome";
  return columns;
}

ExplainHistoryEntry ReadHistoryEntry(const sql::ResultSet& rs) {
  ExplainHistoryEntry e;
  e.audit_id = rs.getInt64(1);
  e.at = GetTime(rs, 2, "sod_audit.at");
  e.message_id = GetStr(rs, 3);
  e.special_order_id = GetOptId(rs, 4);
  e.rule = GetStr(rs, 5);
  e.decision = GetStr(rs, 6);
  e.detail = GetStr(rs, 7);
  if (!rs.isNull(8)) {
    e.message_type = GetStr(rs, 8);
    e.source = GetStr(rs, 9);
    e.seq = rs.getUInt64(10);
    e.outcome = GetStr(rs, 11);
  }
  return e;
}

std::string GetStrFirst(const sql::ResultSet& rs) { return GetStr(rs, 1); }

}  // namespace

ExplainReader::ExplainReader(MysqlOptions options)
    : options_(std::move(options)), session_(std::make_unique<Session>()) {}

ExplainReader::~ExplainReader() = default;

Status ExplainReader::Connect() {
  if (Status s = session_->Connect(options_); !s.ok()) return s;
  // The daemon's sessions read committed rows with locking reads; a report reads many tables
  // without locks and must see them as of one moment: REPEATABLE READ, and READ ONLY so that the
  // server refuses whatever would write, whoever asks it to.
  return session_->Run("ExplainReader::Connect", [&] {
    session_->ExecuteDirect("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    session_->ExecuteDirect("SET SESSION TRANSACTION READ ONLY");
  });
}

Result<std::vector<ExplainedOrder>> ExplainReader::Read(ExplainBy by, Id id) {
  std::string where;
  switch (by) {
    case ExplainBy::kSpecialOrder:
      where = "WHERE id = ?";
      break;
    case ExplainBy::kOrderLine:
      where = "WHERE order_line_id = ?";
      break;
    case ExplainBy::kOrder:
      where = "WHERE order_id = ? ORDER BY id";
      break;
    case ExplainBy::kPo:
      where = "WHERE po_id = ? ORDER BY id";
      break;
  }
  const std::string sql = SelectSpecialOrders(where);
  auto result = session_->Run("explain", [&] {
    session_->ExecuteDirect("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    std::vector<ExplainedOrder> out;
    for (SpecialOrder& so : session_->Query(sql, id).All(ReadSpecialOrder)) {
      out.push_back(Complete(std::move(so)));
    }
    return out;
  });
  session_->Rollback();
  return result;
}

// Inside Read()'s transaction; throws what the library throws, for Run().
ExplainedOrder ExplainReader::Complete(SpecialOrder so) {
  Session& s = *session_;
  ExplainedOrder e;
  e.so = std::move(so);
  const SpecialOrder& o = e.so;
  e.store_code =
      s.Query("SELECT code FROM stores WHERE id = ?", o.store_id).One(GetStrFirst).value_or("");
  s.Query("SELECT sku, name FROM products WHERE id = ?", o.product_id)
      .ForEach([&](const sql::ResultSet& rs) {
        e.sku = GetStr(rs, 1);
        e.product_name = GetStr(rs, 2);
      });
  e.customer_name = s.Query("SELECT name FROM customers WHERE id = ?", o.customer_id)
                        .One(GetStrFirst)
                        .value_or("");
  e.picked_qty = s.Query("SELECT picked_qty FROM sod_pickups WHERE special_order_id = ?", o.id)
                     .One(ReadInt64)
                     .value_or(0);
  e.clock =
      s.Query("SELECT " + ClockColumns() + " FROM sod_promises c WHERE c.special_order_id = ?",
              o.id)
          .One([](const sql::ResultSet& rs) { return ReadClock(rs, 1); });
  s.Query(
       "SELECT status, special_order_qty, committed_qty, backordered_qty FROM "
       "customer_order_lines WHERE id = ?",
       o.order_line_id)
      .ForEach([&](const sql::ResultSet& rs) {
        e.line_status = GetStr(rs, 1);
        e.line_special_order_qty = rs.getInt64(2);
        e.line_committed_qty = rs.getInt64(3);
        e.line_backordered_qty = rs.getInt64(4);
      });
  s.Query("SELECT status, has_special_order FROM customer_orders WHERE id = ?", o.order_id)
      .ForEach([&](const sql::ResultSet& rs) {
        e.order_status = GetStr(rs, 1);
        e.red_star = rs.getBoolean(2);
      });
  e.stock.store_id = o.store_id;
  e.stock.product_id = o.product_id;
  s.Query("SELECT on_hand, committed, backordered FROM stock WHERE store_id = ? AND product_id = ?",
          o.store_id, o.product_id)
      .ForEach([&](const sql::ResultSet& rs) {
        e.stock.on_hand = rs.getInt64(1);
        e.stock.committed = rs.getInt64(2);
        e.stock.backordered = rs.getInt64(3);
      });
  if (o.vendor_id) {
    e.vendor_name = s.Query("SELECT name FROM vendors WHERE id = ?", *o.vendor_id).One(GetStrFirst);
  }
  if (o.po_id) {
    static const std::string kPo = "SELECT " + PoColumns() + " FROM purchase_orders WHERE id = ?";
    e.po = s.Query(kPo, *o.po_id).One(ReadPo);
  }
  if (o.po_line_id) {
    static const std::string kPoLine =
        "SELECT " + PoLineColumns() + " FROM purchase_order_lines WHERE id = ?";
    e.po_line = s.Query(kPoLine, *o.po_line_id).One(ReadPoLine);
    static const std::string kShipments =
        "SELECT s.id, s.status, " + TimeColumn("s.completed_at") +
        ", SUM(l.quantity), MAX(a.arrival_id IS NOT NULL), COALESCE(MAX(a.allocated_qty), 0) "
        "FROM vendor_shipment_lines l JOIN vendor_shipments s ON s.id = l.shipment_id "
        "LEFT JOIN sod_arrival_lines a ON a.kind = 'shipment' AND a.arrival_id = s.id AND "
        "a.product_id = l.product_id "
        "WHERE l.po_line_id = ? GROUP BY s.id, s.status, s.completed_at ORDER BY s.id";
    e.po_line_shipments = s.Query(kShipments, *o.po_line_id).All([](const sql::ResultSet& rs) {
      ExplainShipment sh;
      sh.id = rs.getInt64(1);
      sh.status = GetStr(rs, 2);
      sh.completed_at = GetOptTime(rs, 3, "vendor_shipments.completed_at");
      sh.quantity = rs.getInt64(4);
      sh.applied = rs.getInt64(5) != 0;
      sh.allocated = rs.getInt64(6);
      return sh;
    });
    static const std::string kSame = SelectSpecialOrders(
        "WHERE po_line_id = ? AND status NOT IN ('completed', 'cancelled') AND "
        "quantity > allocated_qty ORDER BY id");
    e.same_source = s.Query(kSame, *o.po_line_id).All(ReadSpecialOrder);
  }
  if (o.transfer_id) {
    s.Query(SelectTransferWithLines(), *o.transfer_id).ForEach([&](const sql::ResultSet& rs) {
      AddTransferRow(rs, e.transfer);
    });
    if (e.transfer) {
      e.transfer_from_code =
          s.Query("SELECT code FROM stores WHERE id = ?", e.transfer->from_store_id)
              .One(GetStrFirst);
    }
    static const std::string kSame = SelectSpecialOrders(
        "WHERE transfer_id = ? AND status NOT IN ('completed', 'cancelled') AND "
        "quantity > allocated_qty ORDER BY id");
    e.same_source = s.Query(kSame, *o.transfer_id).All(ReadSpecialOrder);
  }
  // Its own rows by ix_sod_audit_special_order, then the rows about no special order of the
  // same messages by ix_sod_audit_message; an OR of the two would read the whole trail.
  static const std::string kHistory =
      "SELECT " + HistoryColumns() +
      " FROM sod_audit a LEFT JOIN sod_inbox i ON i.message_id = a.message_id "
      "WHERE a.special_order_id = ? "
      "UNION ALL SELECT " +
      HistoryColumns() +
      " FROM (SELECT DISTINCT message_id FROM sod_audit WHERE special_order_id = ?) m "
      "JOIN sod_audit a ON a.message_id = m.message_id "
      "LEFT JOIN sod_inbox i ON i.message_id = a.message_id "
      "WHERE a.special_order_id IS NULL ORDER BY 1";
  e.history = s.Query(kHistory, o.id, o.id).All(ReadHistoryEntry);
  return e;
}

}  // namespace so::mysql
