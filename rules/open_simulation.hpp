// `simulate --open`: what candidate rules would do now, compared with the rules in force, over
// the live database read through a HostStore that writes nothing (DryRunStore over a read-only
// store). For each special order still in `request`, the engine runs a Back Office "order" with
// the rules choosing, once per rule set, in a transaction of its own that is rolled back; for
// each queue of special orders waiting for goods, the order of service and the allocation
// settings each rule set selects. One run on one thread; the report is plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rules/engine.hpp"
#include "rules/flight_record.hpp"
#include "rules/ports.hpp"
#include "rules/simulation.hpp"

namespace so {

// A HostStore over `inner` that never writes: the inserts a batch view sends to its store at once
// (POs, PO lines, transfers) are answered with ids no row has (from kFirstDryRunId, counting
// up), and every other write is refused with kPermanent. Reads and transactions pass through.
class DryRunStore final : public HostStore {
 public:
  // Beyond any real row and below the batch view's provisional ids.
  static constexpr Id kFirstDryRunId = 8'000'000'000'000'000'000;

  explicit DryRunStore(HostStore& inner) : inner_(inner) {}

  Status Begin() override { return inner_.Begin(); }
  Status Commit() override { return inner_.Commit(); }
  void Rollback() override { inner_.Rollback(); }
  Result<bool> InboxHas(const std::string& id) override { return inner_.InboxHas(id); }
  Result<bool> InboxClaim(const Envelope&) override { return Refused("InboxClaim"); }
  Status InboxRefused(const std::string&, std::string_view) override {
    return Refused("InboxRefused");
  }
  Result<bool> StoreExists(Id id) override { return inner_.StoreExists(id); }
  Result<std::optional<Product>> GetProduct(Id id) override { return inner_.GetProduct(id); }
  Result<std::optional<Vendor>> GetVendor(Id id) override { return inner_.GetVendor(id); }
  Result<std::vector<ProductVendor>> GetProductVendors(Id id) override {
    return inner_.GetProductVendors(id);
  }
  Result<std::optional<CustomerOrder>> LockOrder(Id id) override { return inner_.LockOrder(id); }
  Result<std::optional<OrderLine>> LockOrderLine(Id id) override {
    return inner_.LockOrderLine(id);
  }
  Result<StockRow> LockStock(Id store, Id product) override {
    return inner_.LockStock(store, product);
  }
  Result<std::optional<Shipment>> GetShipment(Id id) override { return inner_.GetShipment(id); }
  Result<std::vector<Id>> UnappliedShipmentsOfPo(Id id) override {
    return inner_.UnappliedShipmentsOfPo(id);
  }
  Result<std::optional<SpecialOrder>> LockSpecialOrder(Id id) override {
    return inner_.LockSpecialOrder(id);
  }
  Result<std::optional<SpecialOrder>> LockSpecialOrderByLine(Id id) override {
    return inner_.LockSpecialOrderByLine(id);
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOfOrder(Id id) override {
    return inner_.LockSpecialOrdersOfOrder(id);
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPoLines(
      const std::vector<Id>& ids) override {
    return inner_.LockSpecialOrdersOnPoLines(ids);
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPo(Id id) override {
    return inner_.LockSpecialOrdersOnPo(id);
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnTransfer(Id id) override {
    return inner_.LockSpecialOrdersOnTransfer(id);
  }
  Result<std::vector<SpecialOrder>> LockWaitingSpecialOrders(Id store, Id product) override {
    return inner_.LockWaitingSpecialOrders(store, product);
  }
  Result<Id> InsertSpecialOrder(const SpecialOrder&) override {
    return Refused("InsertSpecialOrder");
  }
  Status UpdateSpecialOrder(const SpecialOrder&) override { return Refused("UpdateSpecialOrder"); }
  Status UpdateOrderLine(const OrderLine&) override { return Refused("UpdateOrderLine"); }
  Status SetHasSpecialOrder(Id, bool, Timestamp) override { return Refused("SetHasSpecialOrder"); }
  Status AddToStock(Id, Id, Qty, Qty) override { return Refused("AddToStock"); }
  Result<std::optional<PurchaseOrder>> LockPo(Id id) override { return inner_.LockPo(id); }
  Result<std::optional<PurchaseOrder>> LockNewestPo(
      Id store, Id vendor, const std::vector<std::string>& statuses) override {
    return inner_.LockNewestPo(store, vendor, statuses);
  }
  Result<std::optional<PoLine>> LockPoLine(Id po, Id product) override {
    return inner_.LockPoLine(po, product);
  }
  Result<Id> InsertPo(const PurchaseOrder&, std::string_view) override { return next_id_++; }
  Result<Id> InsertPoLine(const PoLine&) override { return next_id_++; }
  Status SetPoLineQuantity(Id, Qty) override { return Refused("SetPoLineQuantity"); }
  Result<std::vector<StockRow>> GetStockOfProduct(Id id) override {
    return inner_.GetStockOfProduct(id);
  }
  Result<std::optional<StoreTransfer>> GetTransfer(Id id) override {
    return inner_.GetTransfer(id);
  }
  Result<Id> InsertTransfer(const StoreTransfer&, std::string_view) override { return next_id_++; }
  Result<Id> InsertTransferLine(const StoreTransferLine&) override {
    return Refused("InsertTransferLine");
  }
  Result<Qty> LockPickedQty(Id id) override { return inner_.LockPickedQty(id); }
  Status SetPickedQty(Id, Qty) override { return Refused("SetPickedQty"); }
  Result<std::optional<SoClock>> LockSoClock(Id id) override { return inner_.LockSoClock(id); }
  Status PutSoClock(const SoClock&) override { return Refused("PutSoClock"); }
  Result<std::optional<Timestamp>> GetPoSentAt(Id id) override { return inner_.GetPoSentAt(id); }
  Status SetPoSentAt(Id, Timestamp) override { return Refused("SetPoSentAt"); }
  Result<std::vector<ArrivalLine>> LockArrivalLines(ArrivalKind kind, Id id) override {
    return inner_.LockArrivalLines(kind, id);
  }
  Status PutArrivalLine(const ArrivalLine&) override { return Refused("PutArrivalLine"); }
  Status InsertAudit(const AuditEntry&) override { return Refused("InsertAudit"); }
  Result<PendingFacts> FindPendingFacts(int limit, const StoreScope& scope) override {
    return inner_.FindPendingFacts(limit, scope);
  }
  Result<std::vector<ClockCandidate>> FindClockCandidates(const ClockQuery& q,
                                                          const StoreScope& scope) override {
    return inner_.FindClockCandidates(q, scope);
  }
  Result<std::vector<bool>> InboxClaimAll(const std::vector<Envelope>&) override {
    return Refused("InboxClaimAll");
  }
  Result<std::vector<Id>> InsertSpecialOrders(const std::vector<SpecialOrder>&) override {
    return Refused("InsertSpecialOrders");
  }
  Status ApplyWrites(const WriteSet&) override { return Refused("ApplyWrites"); }
  // The set-wise reads, so that the inner store's own (one round trip each) are used.
  Result<std::vector<CustomerOrder>> LockOrders(const std::vector<Id>& ids) override {
    return inner_.LockOrders(ids);
  }
  Result<std::vector<OrderLine>> LockOrderLines(const std::vector<Id>& ids) override {
    return inner_.LockOrderLines(ids);
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrders(const std::vector<Id>& ids) override {
    return inner_.LockSpecialOrders(ids);
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersByLines(const std::vector<Id>& ids) override {
    return inner_.LockSpecialOrdersByLines(ids);
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOfOrders(const std::vector<Id>& ids) override {
    return inner_.LockSpecialOrdersOfOrders(ids);
  }
  Result<std::vector<ArrivalLine>> LockArrivalLinesOf(
      const std::vector<ArrivalKey>& keys) override {
    return inner_.LockArrivalLinesOf(keys);
  }
  Result<std::vector<StockRow>> LockStocks(const std::vector<StockKey>& keys) override {
    return inner_.LockStocks(keys);
  }
  Result<std::vector<PurchaseOrder>> LockPos(const std::vector<Id>& ids) override {
    return inner_.LockPos(ids);
  }
  Result<std::vector<PurchaseOrder>> LockPosOf(const std::vector<std::pair<Id, Id>>& pairs,
                                               const std::vector<std::string>& statuses) override {
    return inner_.LockPosOf(pairs, statuses);
  }
  Result<std::vector<PoLine>> LockPoLinesOfPos(const std::vector<Id>& ids) override {
    return inner_.LockPoLinesOfPos(ids);
  }
  Result<std::vector<std::pair<Id, Qty>>> LockPickedQtys(const std::vector<Id>& ids) override {
    return inner_.LockPickedQtys(ids);
  }
  Result<std::vector<SoClock>> LockSoClocks(const std::vector<Id>& ids) override {
    return inner_.LockSoClocks(ids);
  }
  Result<std::vector<Product>> GetProducts(const std::vector<Id>& ids) override {
    return inner_.GetProducts(ids);
  }
  Result<std::vector<Vendor>> GetVendors(const std::vector<Id>& ids) override {
    return inner_.GetVendors(ids);
  }
  Result<std::map<Id, std::vector<ProductVendor>>> GetProductVendorsOf(
      const std::vector<Id>& ids) override {
    return inner_.GetProductVendorsOf(ids);
  }
  Result<std::vector<Shipment>> GetShipments(const std::vector<Id>& ids) override {
    return inner_.GetShipments(ids);
  }

 private:
  static Error Refused(const char* call) {
    return Error{ErrorKind::kPermanent, 0,
                 std::string(call) +
                     ": refused, a dry run writes nothing (bug: the engine "
                     "over a batch view does not write through)"};
  }

  HostStore& inner_;
  Id next_id_ = kFirstDryRunId;
};

// What one rule set would do about one special order in `request` now.
struct OpenDecision {
  // What a Back Office "order" letting the rules choose would decide (the message
  // backoffice.special_order.order without vendor or PO); nullopt when it decided nothing about
  // it. A PO the order would create shows as new_po, its id being none of the database's.
  std::optional<SoDecision> order;
  std::string refusal;  // why the order would be refused, when it would
  std::string rule;     // the rule that decided the order (as Simulation names it)
  // What the rules say of a new request like it (by store, product and primary vendor): wait for
  // the Back Office, or source it at once; and the rule that says so.
  OnRequest on_request = OnRequest::kOrder;
  std::string on_request_rule;
};

// A special order in `request` that the candidate would decide otherwise.
struct OpenRequestDifference {
  SpecialOrder so;
  OpenDecision current, candidate;
  // As rules/simulation.hpp names them ("sourcing", "vendor", "po", "po_line_qty", ...), and
  // "on_request" ("wait" / "order").
  std::vector<Aspect> aspects;
};

// One queue: the special orders of a store and product that wait for goods.
struct QueueSide {
  std::string rule;  // the rule whose settings serve the queue
  ServiceOrder service_order = ServiceOrder::kOldestRequestFirst;
  AllocationMode allocation = AllocationMode::kImmediate;
  AllocationMode transfer_allocation = AllocationMode::kImmediate;
  SoStatus status_after_allocation = SoStatus::kReady;
  std::vector<Id> order;  // special order ids, in order of service
};

struct QueueDifference {
  Id store_id = 0, product_id = 0;
  // The vendor the rules were selected by: the one the queue's special orders are all sourced
  // from, else the product's primary vendor (nullopt: none).
  std::optional<Id> vendor_id;
  QueueSide current, candidate;
  std::vector<Aspect> settings;  // "service_order", "allocation", "transfer_allocation",
                                 // "status_after_allocation"
  struct Move {
    Id special_order_id = 0;
    int64_t was = 0, would_be = 0;  // positions, from 1
  };
  std::vector<Move> moves;  // in the candidate's order
};

struct OpenSimulationReport {
  int64_t in_request = 0;                          // special orders in `request` compared
  std::vector<OpenRequestDifference> requests;     // those that differ, in id order
  std::map<std::string, int64_t> by_aspect;        // special orders that differ, per aspect
  std::map<Id, int64_t> by_store;                  // and per store
  int64_t queues = 0;                              // (store, product) queues compared
  std::vector<QueueDifference> queue_differences;  // by store, product
  // Special orders that could not be simulated, with why (a database error, say).
  struct Failure {
    Id special_order_id = 0;
    std::string reason;
  };
  std::vector<Failure> failures;
};

// What `engine` would do about `so` now: its Back Office order run through a batch view over a
// DryRunStore over `store`, in a transaction of its own that is rolled back. `now` is the
// message's time.
Result<OpenDecision> DecideOrderNow(const Engine& engine, HostStore& store, const SpecialOrder& so,
                                    Timestamp now);

// The aspects in which `candidate` differs from `current` (empty: alike).
std::vector<Aspect> CompareOpen(const OpenDecision& current, const OpenDecision& candidate);

// The queue of `waiting` (one store and product, any order) under `rules`, selected for
// `vendor_id`.
QueueSide QueueUnder(const RuleSet& rules, Id store_id, Id product_id, std::optional<Id> vendor_id,
                     std::vector<SpecialOrder> waiting);

// The whole comparison. `in_request` and `waiting` as the store has them now (any order);
// `store` answers the engine's reads and the products' primary vendors. A lost connection ends
// it with that error; any other error about one special order is kept in `failures`.
Result<OpenSimulationReport> SimulateOpen(const Engine& current, const Engine& candidate,
                                          HostStore& store,
                                          const std::vector<SpecialOrder>& in_request,
                                          const std::vector<SpecialOrder>& waiting, Timestamp now);

}  // namespace so
