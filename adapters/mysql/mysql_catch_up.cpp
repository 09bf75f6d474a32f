// MysqlStore's catch-up queries: facts the POS committed that the daemon has not applied (what a
// message lost on the bus would have told it), for the sweep and for a PO marked received.
#include <string>
#include <vector>

#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"
#include "adapters/mysql/mysql_store.hpp"

namespace so::mysql {

Result<std::vector<Id>> MysqlStore::UnappliedShipmentsOfPo(Id po_id) {
  constexpr const char* kSql =
      "SELECT s.id FROM vendor_shipments s WHERE s.po_id = ? AND s.status = 'completed' "
      "AND NOT EXISTS (SELECT 1 FROM sod_arrival_lines a "
      "WHERE a.kind = 'shipment' AND a.arrival_id = s.id) ORDER BY s.id";
  return session_->Run("UnappliedShipmentsOfPo",
                       [&] { return session_->Query(kSql, po_id).All(ReadInt64); });
}

Result<PendingFacts> MysqlStore::FindPendingFacts(int limit) {
  // The catch-up queries start from the special orders that are still live (a small set, by the
  // status index) rather than scanning the POS's history.
  static const std::string kUnrequested =
      "SELECT o.id, l.id, l.product_id, " + TimeColumn("o.created_at") +
      " FROM customer_order_lines l "
      "JOIN customer_orders o ON o.id = l.order_id "
      "LEFT JOIN special_orders so ON so.order_line_id = l.id "
      "WHERE l.special_order_qty > 0 AND o.status = 'open' AND so.id IS NULL "
      "ORDER BY l.id LIMIT ?";
  static const std::string kChangedLines =
      "SELECT l.order_id, l.id, l.special_order_qty, " + TimeColumn("so.updated_at") +
      " FROM special_orders so "
      "JOIN customer_order_lines l ON l.id = so.order_line_id "
      "WHERE so.status NOT IN ('completed', 'cancelled') "
      "AND so.quantity <> l.special_order_qty ORDER BY so.id LIMIT ?";
  constexpr const char* kOrders =
      "SELECT DISTINCT o.id, o.status FROM special_orders so "
      "JOIN customer_orders o ON o.id = so.order_id "
      "WHERE so.status NOT IN ('completed', 'cancelled') "
      "AND o.status IN ('cancelled', 'completed') ORDER BY o.id LIMIT ?";
  constexpr const char* kShipments =
      "SELECT DISTINCT s.id FROM special_orders so "
      "JOIN vendor_shipments s ON s.po_id = so.po_id "
      "WHERE so.status NOT IN ('completed', 'cancelled') "
      "AND so.quantity > so.allocated_qty AND s.status = 'completed' "
      "AND NOT EXISTS (SELECT 1 FROM sod_arrival_lines a "
      "WHERE a.kind = 'shipment' AND a.arrival_id = s.id) ORDER BY s.id LIMIT ?";
  constexpr const char* kTransfers =
      "SELECT DISTINCT t.id FROM special_orders so "
      "JOIN store_transfers t ON t.id = so.transfer_id "
      "WHERE so.status NOT IN ('completed', 'cancelled') "
      "AND so.quantity > so.allocated_qty AND t.status = 'received' "
      "AND NOT EXISTS (SELECT 1 FROM sod_arrival_lines a "
      "WHERE a.kind = 'transfer' AND a.arrival_id = t.id) ORDER BY t.id LIMIT ?";
  constexpr const char* kPos =
      "SELECT DISTINCT p.id, p.status FROM special_orders so "
      "JOIN purchase_orders p ON p.id = so.po_id "
      "WHERE so.status NOT IN ('completed', 'cancelled', 'arrived') "
      "AND so.quantity > so.allocated_qty "
      "AND p.status IN ('cancelled', 'closed', 'received') ORDER BY p.id LIMIT ?";
  // Read in a transaction of its own that locks nothing.
  return session_->RunRolledBack("FindPendingFacts", [&] {
    PendingFacts f;
    f.unrequested_lines = session_->Query(kUnrequested, limit).All([](const sql::ResultSet& rs) {
      return PendingFacts::UnrequestedLine{rs.getInt64(1), rs.getInt64(2), rs.getInt64(3),
                                           GetTime(rs, 4, "customer_orders.created_at")};
    });
    f.changed_lines = session_->Query(kChangedLines, limit).All([](const sql::ResultSet& rs) {
      return PendingFacts::ChangedLine{rs.getInt64(1), rs.getInt64(2), rs.getInt64(3),
                                       GetTime(rs, 4, "special_orders.updated_at")};
    });
    session_->Query(kOrders, limit).ForEach([&](const sql::ResultSet& rs) {
      (GetStr(rs, 2) == "cancelled" ? f.cancelled_orders : f.completed_orders)
          .push_back(rs.getInt64(1));
    });
    f.shipments = session_->Query(kShipments, limit).All(ReadInt64);
    f.transfers = session_->Query(kTransfers, limit).All(ReadInt64);
    f.pos_gone_wrong = session_->Query(kPos, limit).All([](const sql::ResultSet& rs) {
      return PendingFacts::PoGoneWrong{rs.getInt64(1), GetStr(rs, 2)};
    });
    return f;
  });
}

}  // namespace so::mysql
