// The rows of the host POS that the rules read and write, as plain values (CONTRACT.md section 5).
// No behaviour beyond naming; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/timestamp.hpp"

namespace so {

using Id = int64_t;
using Qty = int64_t;

enum class SoStatus { kRequest, kOrdered, kArrived, kInProgress, kReady, kCompleted, kCancelled };

std::string_view ToString(SoStatus s);
std::optional<SoStatus> ParseSoStatus(std::string_view s);

enum class LineStatus { kOpen, kBackordered, kCommitted, kFulfilled, kCancelled };

std::string_view ToString(LineStatus s);
std::optional<LineStatus> ParseLineStatus(std::string_view s);

enum class SoSource { kVendor, kTransfer };

std::string_view ToString(SoSource s);
std::optional<SoSource> ParseSoSource(std::string_view s);

struct Product {
  Id id = 0;
  std::string sku;
  std::optional<Id> primary_vendor_id;
  bool special_order_allowed = true;
};

struct Vendor {
  Id id = 0;
  std::string name;
  bool active = true;
};

// One row of product_vendors, with the vendor's active flag joined in.
struct ProductVendor {
  Id vendor_id = 0;
  std::string unit_cost;  // DECIMAL(12,4) kept as its exact text
  Qty pack_size = 1;
  Qty min_order_qty = 1;
  int lead_time_days = 0;
  bool vendor_active = true;
};

// A missing stock row reads as all zeros (CONTRACT section 5).
struct StockRow {
  Id store_id = 0;
  Id product_id = 0;
  Qty on_hand = 0;
  Qty committed = 0;
  Qty backordered = 0;
  Qty open() const { return on_hand - committed; }
};

struct CustomerOrder {
  Id id = 0;
  Id store_id = 0;
  Id customer_id = 0;
  std::string status;  // open / completed / cancelled, owned by the POS
  bool has_special_order = false;
};

struct OrderLine {
  Id id = 0;
  Id order_id = 0;
  Id product_id = 0;
  Qty quantity = 0;
  Qty special_order_qty = 0;
  LineStatus status = LineStatus::kOpen;
  Qty committed_qty = 0;
  Qty backordered_qty = 0;
};

struct SpecialOrder {
  Id id = 0;  // 0 until inserted
  Id store_id = 0;
  Id order_id = 0;
  Id order_line_id = 0;
  Id customer_id = 0;
  Id product_id = 0;
  Qty quantity = 0;
  Qty allocated_qty = 0;
  SoStatus status = SoStatus::kRequest;
  std::optional<SoSource> source;
  std::optional<Id> vendor_id;
  std::optional<Id> po_id;
  std::optional<Id> po_line_id;
  std::optional<Id> transfer_id;
  Timestamp requested_at;
  std::optional<Timestamp> ordered_at;
  std::optional<Timestamp> arrived_at;
  std::optional<Timestamp> ready_at;
  std::optional<Timestamp> completed_at;
  std::optional<Timestamp> cancelled_at;
  Timestamp updated_at;

  Qty waiting() const { return quantity - allocated_qty; }
};

struct PurchaseOrder {
  Id id = 0;
  Id store_id = 0;
  Id vendor_id = 0;
  std::string status;  // draft / open / partially_received / received / closed / cancelled
  Timestamp created_at;
};

struct PoLine {
  Id id = 0;
  Id po_id = 0;
  Id product_id = 0;
  Qty quantity_ordered = 0;
  Qty quantity_received = 0;
  std::string unit_cost;
};

struct ShipmentLine {
  Id po_line_id = 0;
  Id product_id = 0;
  Qty quantity = 0;
};

struct Shipment {
  Id id = 0;
  Id po_id = 0;
  Id store_id = 0;
  Id vendor_id = 0;
  std::string status;  // open / completed
  std::vector<ShipmentLine> lines;
};

struct StoreTransferLine {
  Id id = 0;
  Id transfer_id = 0;
  Id product_id = 0;
  Qty quantity = 0;
  std::optional<Id> special_order_id;  // the special order it was requested for
};

struct StoreTransfer {
  Id id = 0;
  Id from_store_id = 0;
  Id to_store_id = 0;
  std::string status;  // requested / shipped / received / cancelled
  Timestamp created_at;
  std::vector<StoreTransferLine> lines;
};

// What one arrival (a vendor shipment or a received transfer) brought of one product, and how
// much of it the daemon has allocated to special orders so far. Kept by the daemon so that no
// arrival ever allocates more than it brought, however many times allocation is asked for.
enum class ArrivalKind { kShipment, kTransfer };
std::string_view ToString(ArrivalKind k);

struct ArrivalLine {
  ArrivalKind kind = ArrivalKind::kShipment;
  Id arrival_id = 0;
  Id product_id = 0;
  Id store_id = 0;
  Qty quantity = 0;
  Qty allocated_qty = 0;
};

// What a promised date was counted from (sod_promises.basis): the vendor's lead time from the
// day the PO was sent, or from the day of the promise while the PO was still a draft (counted
// again once it is sent), or the days a store transfer takes.
enum class PromiseBasis { kVendorFromSent, kVendorFromNow, kTransferDays };

std::string_view ToString(PromiseBasis b);
std::optional<PromiseBasis> ParsePromiseBasis(std::string_view s);

// The daemon's clock of one special order (one row of sod_promises): the date it promised the
// goods for, and which timed messages (overdue, pickup reminders) it already applied. The
// special_orders table has no place for these. The promise's fields are all set or all empty:
// a special order allocated from stock before it was ever sourced has reminders but no promise.
// Times are the occurred_at of the messages that set them, so that two runs over the same
// messages write identical rows.
struct SoClock {
  Id special_order_id = 0;
  int promise_seq = 0;                   // 0: never promised; +1 for each promise
  std::optional<Timestamp> expected_on;  // the day promised, as its midnight UTC
  std::optional<PromiseBasis> basis;
  std::optional<Timestamp> base_at;      // what the days are counted from
  std::optional<int> days;               // the lead time or transfer days counted
  std::optional<std::string> rule;       // the rule that chose the source
  std::optional<Timestamp> promised_at;  // occurred_at of the message that promised
  std::optional<int> overdue_seq;        // the promise_seq whose overdue was published
  std::optional<int> reminded_days;      // the largest pickup reminder sent for reminded_ready_at
  std::optional<Timestamp> reminded_ready_at;
};

// Facts the POS committed that the daemon has not applied: what a message lost on the bus would
// have told it. Found by the catch-up sweep (rules/reconciler.hpp).
struct PendingFacts {
  struct UnrequestedLine {
    Id order_id = 0, line_id = 0, product_id = 0;
    Timestamp ordered_at;  // the order's created_at: the best guess of when it was requested
  };
  struct ChangedLine {
    Id order_id = 0, line_id = 0;
    Qty special_order_qty = 0;
    Timestamp special_order_updated_at;  // tells this change from an earlier one to the same qty
  };
  struct PoInStatus {
    Id po_id = 0;
    std::string status;
  };
  // Open orders' lines with special_order_qty > 0 and no special order.
  std::vector<UnrequestedLine> unrequested_lines;
  // Lines whose special_order_qty differs from their live special order's quantity.
  std::vector<ChangedLine> changed_lines;
  // Cancelled orders with a special order neither cancelled nor completed.
  std::vector<Id> cancelled_orders;
  // Completed orders (all handed over) with a special order neither completed nor cancelled.
  std::vector<Id> completed_orders;
  // Completed shipments on POs that special orders are attached to, not in the arrival ledger.
  std::vector<Id> shipments;
  // Received transfers that special orders are sourced by, not in the arrival ledger.
  std::vector<Id> transfers;
  // Cancelled, closed or received POs with special orders still waiting on them (not arrived).
  std::vector<PoInStatus> pos_gone_wrong;
  // Open or partly received POs whose sending the daemon never saw (no sod_po_sent row) with
  // special orders still waiting on them that were promised while the PO was a draft.
  std::vector<PoInStatus> sent_pos;

  bool empty() const {
    return unrequested_lines.empty() && changed_lines.empty() && cancelled_orders.empty() &&
           completed_orders.empty() && shipments.empty() && transfers.empty() &&
           pos_gone_wrong.empty() && sent_pos.empty();
  }
};

// The clock scan's page of special orders (HostStore::FindClockCandidates): those with id above
// `after_id` whose promised date is before `expected_before` while they still wait for goods, or
// that are ready since `ready_before` or earlier; an empty bound leaves its kind out. At most
// `limit`, in id order: a keyset page, the next one starting after the last id.
struct ClockQuery {
  std::optional<Timestamp> expected_before;
  std::optional<Timestamp> ready_before;
  Id after_id = 0;
  int limit = 0;
};

// A special order the clock scan looks at, with its clock (nullopt: no row yet).
struct ClockCandidate {
  SpecialOrder so;
  std::optional<SoClock> clock;
};

// One decision, as the audit trail keeps it.
struct AuditEntry {
  std::string message_id;
  std::optional<Id> special_order_id;
  std::string rule;      // the rule that made the decision ("contract" for fixed behaviour)
  std::string decision;  // short machine-readable verb: "created", "attached_to_po", ...
  std::string detail;    // what changed, for a person
  Timestamp at;
};

}  // namespace so
