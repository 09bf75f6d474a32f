// The flight recorder's probe: a HostStore that sits between the engine and the store the engine
// would use (a batch's view), passes every call through, and keeps what the message read, as the
// message found it, and what it decided (rules/flight_record.hpp). One per message, on one thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rules/engine.hpp"
#include "rules/flight_record.hpp"
#include "rules/ports.hpp"

namespace so {

class Recorder final : public HostStore {
 public:
  enum class Mode {
    kRecord,   // keep the read set and the decisions
    kCapture,  // keep the decisions only (a replay: its reads come from a record)
  };
  Recorder(HostStore& inner, Mode mode) : inner_(inner), mode_(mode) {}

  // Reads, before the engine runs, what other rules than today's could ask for this message,
  // so that `simulate` can try them: for a special order to be sourced, every vendor that
  // carries the product with their POs for the store in each status a PO may be attached in,
  // and the product's stock in every store; for goods that arrive or are freed, the special
  // orders of the store and product that wait, with their order lines.
  Status Widen(const Message& message);

  // The record, once the engine has applied the message with this outcome. A decision about a
  // special order the engine did not read (a refusal naming it) reads it, to name its line: a
  // row that cannot be found (kPermanent, as a replay's record that lacks it) is a decision about
  // no line; any other failure (a deadlock, a lost connection) is returned, the transaction being
  // gone with it.
  Result<FlightRecord> Finish(const Message& message, const Outcome& outcome);

  // --- HostStore: every call goes to the inner store ---
  Status Begin() override { return inner_.Begin(); }
  Status Commit() override { return inner_.Commit(); }
  void Rollback() override { inner_.Rollback(); }
  Result<bool> InboxHas(const std::string& id) override { return inner_.InboxHas(id); }
  Result<bool> InboxClaim(const Envelope& e) override { return inner_.InboxClaim(e); }
  Status InboxRefused(const std::string& id, std::string_view reason) override {
    return inner_.InboxRefused(id, reason);
  }
  Result<bool> StoreExists(Id store_id) override;
  Result<std::optional<Product>> GetProduct(Id product_id) override;
  Result<std::optional<Vendor>> GetVendor(Id vendor_id) override;
  Result<std::vector<ProductVendor>> GetProductVendors(Id product_id) override;
  Result<std::optional<CustomerOrder>> LockOrder(Id order_id) override;
  Result<std::optional<OrderLine>> LockOrderLine(Id order_line_id) override;
  Result<StockRow> LockStock(Id store_id, Id product_id) override;
  Result<std::optional<Shipment>> GetShipment(Id shipment_id) override;
  Result<std::vector<Id>> UnappliedShipmentsOfPo(Id po_id) override;
  Result<std::optional<SpecialOrder>> LockSpecialOrder(Id special_order_id) override;
  Result<std::optional<SpecialOrder>> LockSpecialOrderByLine(Id order_line_id) override;
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOfOrder(Id order_id) override;
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPoLines(
      const std::vector<Id>& po_line_ids) override;
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPo(Id po_id) override;
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnTransfer(Id transfer_id) override;
  Result<std::vector<SpecialOrder>> LockWaitingSpecialOrders(Id store_id, Id product_id) override;
  Result<Id> InsertSpecialOrder(const SpecialOrder& so) override;
  Status UpdateSpecialOrder(const SpecialOrder& so) override;
  Status UpdateOrderLine(const OrderLine& line) override { return inner_.UpdateOrderLine(line); }
  Status SetHasSpecialOrder(Id order_id, bool value, Timestamp at) override;
  Status AddToStock(Id store_id, Id product_id, Qty committed_delta,
                    Qty backordered_delta) override;
  Result<std::optional<PurchaseOrder>> LockPo(Id po_id) override;
  Result<std::optional<PurchaseOrder>> LockNewestPo(
      Id store_id, Id vendor_id, const std::vector<std::string>& statuses) override;
  Result<std::optional<PoLine>> LockPoLine(Id po_id, Id product_id) override;
  Result<Id> InsertPo(const PurchaseOrder& po, std::string_view created_by) override;
  Result<Id> InsertPoLine(const PoLine& line) override;
  Status SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) override;
  Result<std::vector<StockRow>> GetStockOfProduct(Id product_id) override;
  Result<std::optional<StoreTransfer>> GetTransfer(Id transfer_id) override;
  Result<Id> InsertTransfer(const StoreTransfer& transfer, std::string_view created_by) override;
  Result<Id> InsertTransferLine(const StoreTransferLine& line) override;
  Result<Qty> LockPickedQty(Id special_order_id) override;
  Status SetPickedQty(Id special_order_id, Qty picked_qty) override {
    return inner_.SetPickedQty(special_order_id, picked_qty);
  }
  // The clock rows are passed on and not kept in the read set yet: a replay reads none
  // (rules/replay.cpp).
  Result<std::optional<SoClock>> LockSoClock(Id special_order_id) override;
  Status PutSoClock(const SoClock& clock) override { return inner_.PutSoClock(clock); }
  Result<std::optional<Timestamp>> GetPoSentAt(Id po_id) override;
  Status SetPoSentAt(Id po_id, Timestamp at) override { return inner_.SetPoSentAt(po_id, at); }
  Result<std::vector<ArrivalLine>> LockArrivalLines(ArrivalKind kind, Id arrival_id) override;
  Status PutArrivalLine(const ArrivalLine& line) override { return inner_.PutArrivalLine(line); }
  Status InsertAudit(const AuditEntry& entry) override;
  Result<PendingFacts> FindPendingFacts(int limit, const StoreScope& scope) override {
    return inner_.FindPendingFacts(limit, scope);
  }
  Result<std::vector<ClockCandidate>> FindClockCandidates(const ClockQuery& q,
                                                          const StoreScope& scope) override {
    return inner_.FindClockCandidates(q, scope);
  }
  Status ApplyWrites(const WriteSet& writes) override { return inner_.ApplyWrites(writes); }
  Result<std::vector<StockRow>> LockStocks(const std::vector<StockKey>& keys) override {
    return inner_.LockStocks(keys);
  }
  Result<std::vector<PoLine>> LockPoLinesOfPos(const std::vector<Id>& po_ids) override {
    return inner_.LockPoLinesOfPos(po_ids);
  }
  Result<std::vector<PurchaseOrder>> LockPosOf(const std::vector<std::pair<Id, Id>>& pairs,
                                               const std::vector<std::string>& statuses) override {
    return inner_.LockPosOf(pairs, statuses);
  }
  Result<std::vector<SoClock>> LockSoClocks(const std::vector<Id>& ids) override;

 private:
  bool recording() const { return mode_ == Mode::kRecord; }
  // Keeps a special order an answer named, as the message found it: a row the message wrote
  // was read before it was written, so its first sight is the one kept.
  void Note(const SpecialOrder& so);
  void Note(const std::vector<SpecialOrder>& rows);
  // The ids of a set query's answer as the message found it: those of `answer` and those the
  // message changed, that matched `pred` before the message changed anything.
  template <typename Pred>
  std::vector<Id> AsFound(const std::vector<SpecialOrder>& answer, Pred pred) const;
  StockRow AsFound(StockRow row) const;
  // What other rules could ask about these (store, product)s: see Widen().
  Status WidenReads(const std::set<std::pair<Id, Id>>& concerned);

  HostStore& inner_;
  Mode mode_;
  ReadSet reads_;
  // What the message wrote so far.
  std::map<Id, SpecialOrder> current_;  // special orders inserted or updated, as now
  std::set<Id> new_special_orders_, new_pos_, new_po_lines_, new_transfers_;
  std::map<std::pair<Id, Id>, std::pair<Qty, Qty>> stock_deltas_;
  std::map<Id, Qty> po_line_qty_;         // PO lines inserted or changed
  std::map<Id, Id> transfer_from_;        // transfer -> sending store, of those it requested
  std::map<Id, Id> transfer_of_special_order_;
  std::vector<AuditEntry> audit_;
};

}  // namespace so
