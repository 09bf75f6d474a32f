// MysqlStore's catch-up queries: facts the POS committed that the daemon has not applied (what a
// message lost on the bus would have told it), for the sweep and for a PO marked received.
#include <string>
#include <string_view>
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

namespace {

// " AND <column> ..." keeping the rows of the stores in `scope`; empty for every store. The ids
// are integers written into the text: each daemon's scope gives its own statements, prepared
// once per connection.
std::string InScope(const StoreScope& scope, std::string_view column) {
  std::string c;
  if (!scope.stores.empty()) {
    c = " AND " + std::string(column) + " IN (";
    for (size_t i = 0; i < scope.stores.size(); ++i) {
      c += (i == 0 ? "" : ", ") + std::to_string(scope.stores[i]);
    }
    c += ")";
  } else if (scope.partition_count > 0) {
    c = " AND MOD(" + std::string(column) + ", " + std::to_string(scope.partition_count) +
        ") = " + std::to_string(scope.partition_index);
  }
  return c;
}

}  // namespace

Result<PendingFacts> MysqlStore::FindPendingFacts(int limit, const StoreScope& scope) {
  // The catch-up queries start from the special orders that are still live (a small set, by the
  // status index) rather than scanning the POS's history.
  const std::string unrequested =
      "SELECT o.id, l.id, l.product_id, " + TimeColumn("o.created_at") +
      " FROM customer_order_lines l "
      "JOIN customer_orders o ON o.id = l.order_id "
      "LEFT JOIN special_orders so ON so.order_line_id = l.id "
      "WHERE l.special_order_qty > 0 AND o.status = 'open' AND so.id IS NULL" +
      InScope(scope, "o.store_id") + " ORDER BY l.id LIMIT ?";
  const std::string changed_lines = "SELECT l.order_id, l.id, l.special_order_qty, " +
                                    TimeColumn("so.updated_at") +
                                    " FROM special_orders so "
                                    "JOIN customer_order_lines l ON l.id = so.order_line_id "
                                    "WHERE so.status NOT IN ('completed', 'cancelled') "
                                    "AND so.quantity <> l.special_order_qty" +
                                    InScope(scope, "so.store_id") + " ORDER BY so.id LIMIT ?";
  const std::string orders =
      "SELECT DISTINCT o.id, o.status FROM special_orders so "
      "JOIN customer_orders o ON o.id = so.order_id "
      "WHERE so.status NOT IN ('completed', 'cancelled') "
      "AND o.status IN ('cancelled', 'completed')" +
      InScope(scope, "o.store_id") + " ORDER BY o.id LIMIT ?";
  const std::string shipments =
      "SELECT DISTINCT s.id FROM special_orders so "
      "JOIN vendor_shipments s ON s.po_id = so.po_id "
      "WHERE so.status NOT IN ('completed', 'cancelled') "
      "AND so.quantity > so.allocated_qty AND s.status = 'completed' "
      "AND NOT EXISTS (SELECT 1 FROM sod_arrival_lines a "
      "WHERE a.kind = 'shipment' AND a.arrival_id = s.id)" +
      InScope(scope, "s.store_id") + " ORDER BY s.id LIMIT ?";
  const std::string transfers =
      "SELECT DISTINCT t.id FROM special_orders so "
      "JOIN store_transfers t ON t.id = so.transfer_id "
      "WHERE so.status NOT IN ('completed', 'cancelled') "
      "AND so.quantity > so.allocated_qty AND t.status = 'received' "
      "AND NOT EXISTS (SELECT 1 FROM sod_arrival_lines a "
      "WHERE a.kind = 'transfer' AND a.arrival_id = t.id)" +
      InScope(scope, "t.to_store_id") + " ORDER BY t.id LIMIT ?";
  const std::string pos =
      "SELECT DISTINCT p.id, p.status FROM special_orders so "
      "JOIN purchase_orders p ON p.id = so.po_id "
      "WHERE so.status NOT IN ('completed', 'cancelled', 'arrived') "
      "AND so.quantity > so.allocated_qty "
      "AND p.status IN ('cancelled', 'closed', 'received')" +
      InScope(scope, "p.store_id") + " ORDER BY p.id LIMIT ?";
  const std::string sent_pos =
      "SELECT DISTINCT p.id, p.status FROM special_orders so "
      "JOIN purchase_orders p ON p.id = so.po_id "
      "JOIN sod_promises c ON c.special_order_id = so.id "
      "WHERE so.status IN ('ordered', 'in_progress') AND so.quantity > so.allocated_qty "
      "AND c.basis = 'vendor_lead_time_from_now' AND p.status IN ('open', 'partially_received') "
      "AND NOT EXISTS (SELECT 1 FROM sod_po_sent s WHERE s.po_id = p.id)" +
      InScope(scope, "p.store_id") + " ORDER BY p.id LIMIT ?";
  // Read in a transaction of its own that locks nothing.
  return session_->RunRolledBack("FindPendingFacts", [&] {
    PendingFacts f;
    f.unrequested_lines = session_->Query(unrequested, limit).All([](const sql::ResultSet& rs) {
      return PendingFacts::UnrequestedLine{rs.getInt64(1), rs.getInt64(2), rs.getInt64(3),
                                           GetTime(rs, 4, "customer_orders.created_at")};
    });
    f.changed_lines = session_->Query(changed_lines, limit).All([](const sql::ResultSet& rs) {
      return PendingFacts::ChangedLine{rs.getInt64(1), rs.getInt64(2), rs.getInt64(3),
                                       GetTime(rs, 4, "special_orders.updated_at")};
    });
    session_->Query(orders, limit).ForEach([&](const sql::ResultSet& rs) {
      (GetStr(rs, 2) == "cancelled" ? f.cancelled_orders : f.completed_orders)
          .push_back(rs.getInt64(1));
    });
    f.shipments = session_->Query(shipments, limit).All(ReadInt64);
    f.transfers = session_->Query(transfers, limit).All(ReadInt64);
    const auto read_po = [](const sql::ResultSet& rs) {
      return PendingFacts::PoInStatus{rs.getInt64(1), GetStr(rs, 2)};
    };
    f.pos_gone_wrong = session_->Query(pos, limit).All(read_po);
    f.sent_pos = session_->Query(sent_pos, limit).All(read_po);
    return f;
  });
}

Result<std::vector<ClockCandidate>> MysqlStore::FindClockCandidates(const ClockQuery& q,
                                                                    const StoreScope& scope) {
  // queries::ClockCandidate() in SQL. It starts from the live special orders by the status
  // index and pages by id (a keyset: the next page starts after the last id). A bound left
  // empty leaves its kind out, as in the predicate. The promised day is compared as the instant
  // of its midnight, as the predicate does (the bound need not be a midnight). The special
  // order's columns are unqualified (SpecialOrderColumns()): sod_promises has none of their
  // names.
  std::vector<std::string> kinds;
  if (q.expected_before) {
    kinds.push_back(
        "(so.status IN ('ordered', 'in_progress') AND so.quantity > so.allocated_qty "
        "AND CAST(c.expected_on AS DATETIME(6)) < ? "
        "AND (c.overdue_seq IS NULL OR c.overdue_seq <> c.promise_seq))");
  }
  if (q.ready_before) kinds.push_back("(so.status = 'ready' AND so.ready_at <= ?)");
  std::vector<ClockCandidate> out;
  if (kinds.empty() || q.limit <= 0) return out;
  std::string sql = "SELECT " + SpecialOrderColumns() + ", " + ClockColumns() +
                    " FROM special_orders so "
                    "LEFT JOIN sod_promises c ON c.special_order_id = so.id "
                    "WHERE so.status IN ('ordered', 'in_progress', 'ready') AND so.id > ? AND (" +
                    kinds[0] + (kinds.size() > 1 ? " OR " + kinds[1] : "") + ")" +
                    InScope(scope, "so.store_id") + " ORDER BY so.id LIMIT ?";
  constexpr uint32_t kClockFirst = 22;  // after the 21 columns of the special order
  return session_->RunRolledBack("FindClockCandidates", [&] {
    const auto read = [](const sql::ResultSet& rs) {
      ClockCandidate c{ReadSpecialOrder(rs), std::nullopt};
      if (!rs.isNull(kClockFirst)) c.clock = ReadClock(rs, kClockFirst);
      return c;
    };
    if (q.expected_before && q.ready_before) {
      return session_->Query(sql, q.after_id, *q.expected_before, *q.ready_before, q.limit)
          .All(read);
    }
    if (q.expected_before) {
      return session_->Query(sql, q.after_id, *q.expected_before, q.limit).All(read);
    }
    return session_->Query(sql, q.after_id, *q.ready_before, q.limit).All(read);
  });
}

}  // namespace so::mysql
