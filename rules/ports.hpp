// The ports the rules core needs from the outside world. adapters/ implements them against
// MySQL/MariaDB and ZeroMQ; tests implement them in memory, including fakes that fail on purpose.
// An implementation serves one thread at a time unless it says otherwise.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/flight_record.hpp"
#include "rules/messages.hpp"
#include "rules/model.hpp"
#include "rules/result.hpp"
#include "rules/store_scope.hpp"

namespace so {

// What a batch of messages writes, net: the last value of every row it changed, the sum of its
// stock changes, its audit rows in the order they were decided. Built by rules/batch_view.hpp,
// written by HostStore::ApplyWrites() in one go. Plain values.
struct WriteSet {
  // customer_orders.has_special_order that changed at least once: the last value, and the latest
  // time it changed (updated_at moves forward to it, never back).
  struct RedStar {
    Id order_id = 0;
    bool has_special_order = false;
    Timestamp changed_at;
  };
  // Added to stock.committed and stock.backordered; a missing row is created when neither is
  // negative, as AddToStock() does.
  struct StockDelta {
    Id store_id = 0, product_id = 0;
    Qty committed = 0, backordered = 0;
  };
  struct PoLineQuantity {
    Id po_line_id = 0;
    Qty quantity_ordered = 0;
  };
  struct Pickup {
    Id special_order_id = 0;
    Qty picked_qty = 0;
  };
  struct Refusal {
    std::string message_id, reason;
  };

  // In the lock order of HostStore (customer orders, lines, special orders, arrival lines,
  // stock, PO lines), then the daemon's own tables; each list in key order.
  std::vector<RedStar> red_stars;
  std::vector<OrderLine> order_lines;        // status, committed_qty, backordered_qty
  std::vector<SpecialOrder> special_orders;  // every mutable column of existing rows
  std::vector<ArrivalLine> arrival_lines;    // inserted or overwritten
  std::vector<StockDelta> stock;
  std::vector<PoLineQuantity> po_lines;
  std::vector<StoreTransferLine> transfer_lines;  // inserted (ids ignored)
  std::vector<Pickup> pickups;
  std::vector<SoClock> clocks;  // every column, inserted or overwritten
  // sod_po_sent: (PO, sent_at), inserted unless the PO has a row (the first time seen wins).
  std::vector<std::pair<Id, Timestamp>> po_sent;
  std::vector<AuditEntry> audit;  // in the order decided
  std::vector<Refusal> refusals;  // inbox rows to mark refused
  // The flight recorder's records of the batch's messages, in order (empty when it is off).
  std::vector<FlightRecord> flight_records;
  // The outbox (rules/outbox.hpp): the batch's events with their envelopes, in seq order, and
  // the daemon's event source moved past them, written before them. The source's row must still
  // be this run's (else kFatal) and at `from_seq` (else kTransient: the run's count is behind a
  // commit whose answer it never had; Outbox::Resync()).
  struct EventSourceAdvance {
    std::string name, instance;
    uint64_t from_seq = 0, last_seq = 0;
    uint64_t sent_seq = 0;  // every event up to it was handed to the bus (never moves back)
  };
  std::vector<StampedEvent> events;
  std::optional<EventSourceAdvance> event_source;

  bool empty() const {
    return red_stars.empty() && order_lines.empty() && special_orders.empty() &&
           arrival_lines.empty() && stock.empty() && po_lines.empty() && transfer_lines.empty() &&
           pickups.empty() && clocks.empty() && po_sent.empty() && audit.empty() &&
           refusals.empty() && flight_records.empty() && events.empty() && !event_source;
  }
};

// The key of a stock row: (store, product).
using StockKey = std::pair<Id, Id>;
// The key of an arrival: (kind, shipment or transfer id).
using ArrivalKey = std::pair<ArrivalKind, Id>;

// The host POS database, seen through one connection. Every call below except Begin() is made
// inside a transaction opened by Begin() and ended by Commit() or Rollback(); nothing is visible
// to others before Commit() succeeds. Every call returns an error value, never throws: kTransient
// (deadlock, lock wait timeout) and kConnection errors mean "roll back and run the whole
// transaction again"; kPermanent means retrying the same message will not help.
//
// Lock*() calls read a row and lock it until the transaction ends. Handlers lock in the order
// customer order, order line, special orders, arrival lines, stock, purchase order, PO line, so
// that two daemons rarely deadlock; when they do, the deadlock comes back as kTransient and the
// whole transaction runs again.
class HostStore {
 public:
  virtual ~HostStore() = default;

  // --- Transactions ---
  virtual Status Begin() = 0;
  // A kConnection error from Commit() means the outcome is unknown: the caller finds out by
  // asking InboxHas() for the message in a new transaction.
  virtual Status Commit() = 0;
  // Never fails: a rollback on a lost connection is implied by the server. Every write of the
  // transaction is undone, but not the ids its inserts were given: like AUTO_INCREMENT, they are
  // not handed out again.
  virtual void Rollback() = 0;

  // --- Inbox: the ids of messages whose effect is committed ---
  virtual Result<bool> InboxHas(const std::string& message_id) = 0;
  // Writes the message's inbox row (outcome "applied") as the transaction's first write and
  // returns true; returns false when the id is there already (a duplicate). While another
  // transaction holds the same id uncommitted, it waits for that one to end: a second daemon on
  // the same stream thus stops at the inbox before doing any work twice.
  virtual Result<bool> InboxClaim(const Envelope& envelope) = 0;
  // Records that the claimed message was refused, and why.
  virtual Status InboxRefused(const std::string& message_id, std::string_view reason) = 0;

  // --- Reads of POS-owned rows; nullopt when the row does not exist ---
  virtual Result<bool> StoreExists(Id store_id) = 0;
  virtual Result<std::optional<Product>> GetProduct(Id product_id) = 0;
  virtual Result<std::optional<Vendor>> GetVendor(Id vendor_id) = 0;
  // Every vendor that carries the product, with its active flag, in vendor id order.
  virtual Result<std::vector<ProductVendor>> GetProductVendors(Id product_id) = 0;
  virtual Result<std::optional<CustomerOrder>> LockOrder(Id order_id) = 0;
  virtual Result<std::optional<OrderLine>> LockOrderLine(Id order_line_id) = 0;
  // A product a store never stocked reads as zeros; the row is created on the first write.
  virtual Result<StockRow> LockStock(Id store_id, Id product_id) = 0;
  virtual Result<std::optional<Shipment>> GetShipment(Id shipment_id) = 0;
  // The PO's completed shipments that are not in the arrival ledger yet, in id order.
  virtual Result<std::vector<Id>> UnappliedShipmentsOfPo(Id po_id) = 0;

  // --- Special orders ---
  virtual Result<std::optional<SpecialOrder>> LockSpecialOrder(Id special_order_id) = 0;
  virtual Result<std::optional<SpecialOrder>> LockSpecialOrderByLine(Id order_line_id) = 0;
  // Every special order of the order, whatever its status, in id order.
  virtual Result<std::vector<SpecialOrder>> LockSpecialOrdersOfOrder(Id order_id) = 0;
  // The three below give the special orders that still wait for goods (quantity >
  // allocated_qty, neither completed nor cancelled): what an arrival or a PO going wrong can
  // concern. Those fully allocated and waiting on the shelf are left out, so that the cost of a
  // shipment does not grow with its PO line's history.
  // Special orders attached to any of these PO lines, in id order.
  virtual Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPoLines(
      const std::vector<Id>& po_line_ids) = 0;
  // Special orders attached to the PO (any of its lines), in id order.
  virtual Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPo(Id po_id) = 0;
  // Special orders sourced by the transfer, in id order.
  virtual Result<std::vector<SpecialOrder>> LockSpecialOrdersOnTransfer(Id transfer_id) = 0;
  // Special orders of the store and product that still wait for goods (quantity > allocated_qty)
  // and are neither completed nor cancelled, in id order.
  virtual Result<std::vector<SpecialOrder>> LockWaitingSpecialOrders(Id store_id,
                                                                     Id product_id) = 0;
  // Returns the new id.
  virtual Result<Id> InsertSpecialOrder(const SpecialOrder& so) = 0;
  // Writes every mutable column of the row with so.id.
  virtual Status UpdateSpecialOrder(const SpecialOrder& so) = 0;

  // --- Writes to POS rows the daemon owns columns of ---
  // Writes status, committed_qty and backordered_qty of the line.
  virtual Status UpdateOrderLine(const OrderLine& line) = 0;
  // Sets customer_orders.has_special_order (the red star).
  virtual Status SetHasSpecialOrder(Id order_id, bool value, Timestamp at) = 0;
  // Adds the deltas to stock.committed and stock.backordered, creating the row if needed.
  virtual Status AddToStock(Id store_id, Id product_id, Qty committed_delta,
                            Qty backordered_delta) = 0;

  // --- Purchase orders ---
  virtual Result<std::optional<PurchaseOrder>> LockPo(Id po_id) = 0;
  // The newest (latest created_at, then highest id) PO of this vendor for this store whose
  // status is one of `statuses`, or nullopt.
  virtual Result<std::optional<PurchaseOrder>> LockNewestPo(
      Id store_id, Id vendor_id, const std::vector<std::string>& statuses) = 0;
  // The PO's line for the product (the lowest id when there are several), or nullopt.
  virtual Result<std::optional<PoLine>> LockPoLine(Id po_id, Id product_id) = 0;
  // Inserts a PO (id ignored) created by `created_by`; returns the new id.
  virtual Result<Id> InsertPo(const PurchaseOrder& po, std::string_view created_by) = 0;
  // Inserts a PO line (id ignored); returns the new id.
  virtual Result<Id> InsertPoLine(const PoLine& line) = 0;
  virtual Status SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) = 0;

  // --- Store transfers ---
  // The product's stock row in every store that has one, in store id order (no lock: a transfer
  // request reserves nothing at the sending store).
  virtual Result<std::vector<StockRow>> GetStockOfProduct(Id product_id) = 0;
  // The transfer with its lines (in line id order), or nullopt.
  virtual Result<std::optional<StoreTransfer>> GetTransfer(Id transfer_id) = 0;
  // Inserts a transfer (id and lines ignored) with status `requested`, created by `created_by`;
  // returns the new id.
  virtual Result<Id> InsertTransfer(const StoreTransfer& transfer, std::string_view created_by) = 0;
  // Inserts a transfer line (id ignored); returns the new id.
  virtual Result<Id> InsertTransferLine(const StoreTransferLine& line) = 0;

  // --- Pickups: how much of a special order has been handed over (a daemon table) ---
  // 0 for a special order nothing was picked up of yet.
  virtual Result<Qty> LockPickedQty(Id special_order_id) = 0;
  virtual Status SetPickedQty(Id special_order_id, Qty picked_qty) = 0;

  // --- The daemon's clock per special order (daemon tables sod_promises, sod_po_sent) ---
  // nullopt for a special order that has no clock row yet. Lock the special order first: a row
  // that is not there locks nothing, and the special order's lock is what keeps two writers of
  // its clock apart.
  virtual Result<std::optional<SoClock>> LockSoClock(Id special_order_id) = 0;
  // Inserts the row, or overwrites every column of the existing one.
  virtual Status PutSoClock(const SoClock& clock) = 0;
  // When the daemon first saw the PO sent (draft -> open), or nullopt. Not locked: the first
  // time written is kept whatever happens (SetPoSentAt).
  virtual Result<std::optional<Timestamp>> GetPoSentAt(Id po_id) = 0;
  // Records `at` unless the PO has a time already: the first one wins.
  virtual Status SetPoSentAt(Id po_id, Timestamp at) = 0;

  // --- The daemon's arrival ledger (see ArrivalLine) ---
  virtual Result<std::vector<ArrivalLine>> LockArrivalLines(ArrivalKind kind, Id arrival_id) = 0;
  // Inserts the line, or overwrites quantity and allocated_qty of the existing one.
  virtual Status PutArrivalLine(const ArrivalLine& line) = 0;

  // --- Audit trail ---
  virtual Status InsertAudit(const AuditEntry& entry) = 0;

  // --- Catch-up ---
  // What the POS committed and the daemon has not applied, at most `limit` of each kind, oldest
  // first, of the stores in `scope` only (a fact's store as StoreRefOf() tells a message's). Read
  // in its own short transaction; locks nothing.
  virtual Result<PendingFacts> FindPendingFacts(int limit, const StoreScope& scope) = 0;
  // The special orders the clock scan looks at, with their clocks (see ClockQuery and
  // queries::ClockCandidate), of the stores in `scope` only. Read as FindPendingFacts() is.
  virtual Result<std::vector<ClockCandidate>> FindClockCandidates(const ClockQuery& q,
                                                                  const StoreScope& scope) = 0;

  // --- Batches: many messages in one transaction (rules/batch_view.hpp) ---
  // Claims the inbox rows of several messages at once, as InboxClaim() does for one: true for
  // each one claimed now, false for each one already there (a duplicate). The envelopes have
  // distinct ids.
  virtual Result<std::vector<bool>> InboxClaimAll(const std::vector<Envelope>& envelopes);
  // Inserts special orders (ids ignored) as InsertSpecialOrder() does, in order; returns their
  // new ids, in the same order.
  virtual Result<std::vector<Id>> InsertSpecialOrders(const std::vector<SpecialOrder>& rows);
  // Writes what a batch decided (see WriteSet), with the same failures as the single-row writes
  // (a row that is not there or a stock counter below zero: kPermanent).
  virtual Status ApplyWrites(const WriteSet& writes) = 0;

  // Set-wise reads of what a batch will need: the rows with these keys that exist, in key order,
  // each read (and locked) as its single-row Lock*/Get* method does. Where a single-row method
  // exists, a store that has nothing better may leave these to the defaults (rules/ports.cpp),
  // one call per key.
  virtual Result<std::vector<CustomerOrder>> LockOrders(const std::vector<Id>& order_ids);
  virtual Result<std::vector<OrderLine>> LockOrderLines(const std::vector<Id>& order_line_ids);
  virtual Result<std::vector<SpecialOrder>> LockSpecialOrders(const std::vector<Id>& ids);
  // The special orders of these order lines (at most one each).
  virtual Result<std::vector<SpecialOrder>> LockSpecialOrdersByLines(
      const std::vector<Id>& order_line_ids);
  // Every special order of these orders, whatever its status, in id order.
  virtual Result<std::vector<SpecialOrder>> LockSpecialOrdersOfOrders(
      const std::vector<Id>& order_ids);
  virtual Result<std::vector<ArrivalLine>> LockArrivalLinesOf(const std::vector<ArrivalKey>& keys);
  // Stock rows that exist (a missing one is simply not returned, unlike LockStock()).
  virtual Result<std::vector<StockRow>> LockStocks(const std::vector<StockKey>& keys) = 0;
  virtual Result<std::vector<PurchaseOrder>> LockPos(const std::vector<Id>& po_ids);
  // The POs of these (store, vendor) pairs whose status is one of `statuses`, in id order: every
  // PO LockNewestPo() would choose among, for a batch's requests at once.
  virtual Result<std::vector<PurchaseOrder>> LockPosOf(
      const std::vector<std::pair<Id, Id>>& pairs, const std::vector<std::string>& statuses) = 0;
  // Every line of these POs, in id order.
  virtual Result<std::vector<PoLine>> LockPoLinesOfPos(const std::vector<Id>& po_ids) = 0;
  // The picked quantity of each special order, 0 when none is recorded, in id order.
  virtual Result<std::vector<std::pair<Id, Qty>>> LockPickedQtys(const std::vector<Id>& ids);
  // The clock rows of these special orders that exist, in id order.
  virtual Result<std::vector<SoClock>> LockSoClocks(const std::vector<Id>& ids);
  virtual Result<std::vector<Product>> GetProducts(const std::vector<Id>& product_ids);
  virtual Result<std::vector<Vendor>> GetVendors(const std::vector<Id>& vendor_ids);
  // Each product's vendors as GetProductVendors() gives them.
  virtual Result<std::map<Id, std::vector<ProductVendor>>> GetProductVendorsOf(
      const std::vector<Id>& product_ids);
  virtual Result<std::vector<Shipment>> GetShipments(const std::vector<Id>& shipment_ids);
};

// Where messages that cannot be applied are parked with their reason, for an operator to see
// and replay (CONTRACT section 5, invariant 6). Written in a transaction of its own.
struct DeadLetter {
  std::optional<std::string> message_id;  // when the envelope could be read
  std::string topic;
  std::string raw;  // the message body as received
  std::string reason;
  std::string rules_version;
};

class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  // Parks the message; a second letter for the same message_id counts one more attempt.
  virtual Status Park(const DeadLetter& letter) = 0;
};

// Where the daemon's events go once the transaction that produced them has committed, with the
// envelope they were given there (rules/outbox.hpp).
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Hands the event to the bus (a PUB socket: no answer from the subscribers). An error leaves
  // it in the outbox, to be sent again.
  virtual Status Publish(const StampedEvent& event) = 0;
};

// The daemon's event source as the database keeps it (sod_event_sources): its seq survives
// restarts, so that a subscriber can tell a lost event from a restart.
struct EventSourceState {
  std::string source;     // the envelope's `source`: the configured name and when it was made
  uint64_t last_seq = 0;  // the highest seq given to a committed event
  uint64_t sent_seq = 0;  // every event up to it was handed to the bus
};

// How long the outbox keeps events that were sent (config `outbox`).
struct OutboxRetention {
  int retention_days = 7;        // sent events older than this go
  int64_t max_rows = 1'000'000;  // and those beyond the newest max_rows
};

// The daemon's tables behind the outbox (sod_event_sources, sod_outbox) outside the batches'
// transactions, which write them through WriteSet. Each call is a short transaction of its own.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  // Takes the event source `name` for this run of the daemon (`instance`), creating it when it
  // is new (seq 0, source "<name>#<now as RFC 3339>"). A run that held it before finds its next
  // write refused with kFatal: of two daemons started with one name, the later one publishes.
  virtual Result<EventSourceState> ClaimEventSource(const std::string& name,
                                                    const std::string& instance,
                                                    Timestamp now) = 0;
  // The source's row as committed, for a run that holds it (`instance`): kFatal when another
  // run took it since.
  virtual Result<EventSourceState> ReadEventSource(const std::string& name,
                                                   const std::string& instance) = 0;
  // The committed events of `source` with seq > after_seq, at most `limit`, in seq order.
  virtual Result<std::vector<StampedEvent>> ReadOutbox(const std::string& source,
                                                       uint64_t after_seq, int limit) = 0;
  // Records that every event up to `sent_seq` was handed to the bus (kFatal as above when
  // another run took the source).
  virtual Status MarkEventsSent(const std::string& name, const std::string& instance,
                                uint64_t sent_seq) = 0;
  // Deletes events of `source` that were sent (seq <= sent_seq) and are older than the
  // retention or beyond the newest `max_rows` (of those up to last_seq); returns how many.
  virtual Result<int64_t> PruneOutbox(const std::string& source, uint64_t sent_seq,
                                      uint64_t last_seq, const OutboxRetention& retention,
                                      Timestamp now) = 0;
};

}  // namespace so
