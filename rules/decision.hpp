// Internal to the engine: the work of one message (its envelope, the store, the rules, and what
// it decided so far). engine.cpp holds the shared mechanics; sourcing.cpp, arrivals.cpp and
// changes.cpp the handlers. One Decision per message, on one thread.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rules/engine.hpp"

namespace so::internal {

std::string Str(Id id);
std::string Join(const std::vector<std::string>& v);
bool Contains(const std::vector<std::string>& v, const std::string& s);
// POs in these statuses bring nothing more: what still waits on them is sourced again.
bool PoGoneWrong(const std::string& status);
// What a buyer would put on a PO line for `qty`: at least the vendor's minimum, in whole packs.
Qty RoundForVendor(Qty qty, const std::optional<ProductVendor>& terms);
// The status machine of CONTRACT section 5, with the moves issue-level behaviour needs: back to
// request when a PO goes wrong, ready <-> in_progress as quantities change.
bool CanMove(SoStatus from, SoStatus to);

class Decision {
 public:
  Decision(const RuleSet& rules, const std::string& actor, const Envelope& env, HostStore& store)
      : rules_(rules), actor_(actor), env_(env), store_(store) {}

  Result<Outcome> Dispatch(const Payload& payload);

 private:
  // --- Outcomes (engine.cpp) ---
  Status Audit(std::optional<Id> so_id, const std::string& rule, std::string decision,
               std::string detail);
  // A business refusal: nothing but the audit row is written.
  Status Refuse(std::optional<Id> so_id, const std::string& rule, std::string reason);
  // A refused request: also tells the clerk's screen (special_order.rejected).
  Status RejectLine(Id line_id, const std::string& rule, std::string reason);
  void Emit(OutEvent e) { outcome_.events.push_back(std::move(e)); }
  // Moves the special order to `to`, stamps the matching time and announces it.
  [[nodiscard]] Status Move(SpecialOrder& so, SoStatus to, const std::string& rule);
  // Without a customer for the queue of an arrival or of freed stock (MatchKey).
  RuleSet::Selected Select(Id store_id, Id product_id, std::optional<Id> vendor_id,
                           std::optional<Id> customer_id = std::nullopt) const;
  RuleSet::Selected Select(const SpecialOrder& so) const;

  // --- Shared mechanics (engine.cpp) ---
  // Writes the daemon's columns of a special-ordered line from its special order (invariant 3).
  Status SyncLine(const SpecialOrder& so);
  // The status a live special order has for what is allocated to it: the rule's status after
  // allocation when nothing more waits; else `in_progress`, except that one never ordered stays
  // in `request`, so that the rules or the Back Office can still order what it waits for.
  static SoStatus AllocatedStatus(const SpecialOrder& so, const Settings& s);
  // Gives `take` units to the special order: allocated, status, line, audit. The caller moves
  // the stock counters (once for all the units it gives).
  Status Give(SpecialOrder& so, Qty take, const std::string& rule, const std::string& from);
  // Order of service (rules/service.hpp).
  void SortForService(std::vector<SpecialOrder>& v, const Settings& s) const;
  // Offers `units` of freed stock to special orders of the store and product that still wait,
  // when the rule says so; never below zero open stock.
  Status OfferFreedStock(Id store_id, Id product_id, Qty units, Id except_so);

  // --- Requests and sourcing (sourcing.cpp) ---
  Status Handle(const SpecialOrderRequested& p);
  Status Handle(const BackofficeOrder& p);
  Status Handle(const BackofficeTransfer& p);
  Status Handle(const PoStatusChanged& p);
  Status Request(CustomerOrder& order, OrderLine& line, Timestamp requested_at);
  // The special order a Back Office command names, locked, when it is in `request`; otherwise
  // the refusal ("… can be <verb>") is recorded and nullopt comes back.
  Result<std::optional<SpecialOrder>> LockInRequest(Id special_order_id, const std::string& verb);
  // Sources a special order in `request` as its rule says: a transfer, else a vendor, else it
  // waits for the Back Office.
  Status Source(SpecialOrder& so, const Product& product, RuleSet::Selected sel);
  // Sources a detached special order again as its request was: the rule for its store, product,
  // the product's primary vendor and its customer.
  Status SourceAgain(SpecialOrder& so, const Product& product);
  struct VendorPick {
    Vendor vendor;
    std::optional<ProductVendor> terms;  // nullopt: the primary vendor has no product_vendors row
    std::string how;                     // which vendor_choice picked it
  };
  Result<std::optional<VendorPick>> ChooseVendor(const Product& product, const Settings& s);
  Status SourceFromVendor(SpecialOrder& so, const Product& product, RuleSet::Selected sel,
                          const VendorPick& pick, std::optional<PurchaseOrder> po);
  Status SourceFromTransfer(SpecialOrder& so, Id from_store_id, RuleSet::Selected sel,
                            const std::string& how);
  // Takes the special order off its PO or transfer and back to `request` (the PO went wrong, or
  // its quantity grew beyond what the PO may take).
  Status Detach(SpecialOrder& so, const std::string& rule, const std::string& why);
  // Marks a special order that was just put on a PO or transfer: `ordered`, or `in_progress`
  // when part of it is allocated already (it was sourced again for the rest).
  Status MarkSourced(SpecialOrder& so, const std::string& rule);

  // --- Promises: the day the goods are expected (promises.cpp) ---
  // Promises the special order for the day of `base_at` plus `days` (a new promise_seq), in
  // sod_promises, the audit trail and special_order.promised; `how` says what was counted.
  Status Promise(const SpecialOrder& so, const std::string& rule, PromiseBasis basis,
                 Timestamp base_at, int days, const std::string& how);
  // The promise for a special order just put on `po` by vendor terms `terms`: the vendor's lead
  // time from when the PO was sent, or from now while it is a draft; none without terms.
  Status PromiseFromVendor(const SpecialOrder& so, const std::string& rule, const PurchaseOrder& po,
                           const std::optional<ProductVendor>& terms);
  // Withdraws an earlier promise (a new source that gives no date): a new promise_seq without a
  // day, so that no overdue is ever reported against the old one.
  Status Unpromise(const SpecialOrder& so, const std::string& rule, const std::string& why);
  // The PO was seen sent (not draft) for the first time: records when, and promises again from
  // then what was promised from the day it was still a draft.
  Status PoSent(const PurchaseOrder& po);

  // --- Timed work: overdue, pickup reminders, the pickup deadline (clock.cpp) ---
  // Each publishes or cancels only when the rows and the rules still say it is due at the
  // message's time; otherwise it is the audited no-op clock_not_due.
  Status Handle(const ClockOverdue& p);
  Status Handle(const ClockPickupReminder& p);
  Status Handle(const ClockPickupDeadline& p);
  // The special order a timed message names, when it is still ready since `ready_at`; otherwise
  // nullopt, with the no-op recorded.
  Result<std::optional<SpecialOrder>> LockReadySince(Id special_order_id, Timestamp ready_at);
  Status NotDue(Id so_id, const std::string& rule, std::string why);

  // --- Arrivals and allocation (arrivals.cpp) ---
  Status Handle(const ShipmentCompleted& p);
  // Applies a completed shipment as the database has it.
  Status ApplyShipment(Id shipment_id);
  Status Handle(const TransferReceived& p);
  Status Handle(const BackofficeAllocate& p);
  struct Arrival {
    ArrivalKind kind = ArrivalKind::kShipment;
    Id id = 0;
    Id store_id = 0;
    std::optional<Id> vendor_id;
    std::vector<SpecialOrder> waiting;  // the special orders it was meant for, still waiting
    std::optional<Id> po_id;            // the shipment's PO
  };
  // Records what came, announces it and allocates it, at once or not as the rule says.
  Status Arrive(Arrival& a, const std::vector<std::pair<Id, Qty>>& brought);
  // Allocates one product's unallocated units of the arrival: its own special orders first,
  // then (when the rule says so) others of the store that still wait.
  Status Allocate(Arrival& a, ArrivalLine& line, const std::set<Id>* only);
  Status Confirm(Arrival& a, const std::optional<std::vector<Id>>& ids, const std::string& user);
  // After an arrival is allocated, what its special orders still wait for from a source that
  // brings nothing more (a received transfer; a PO that is closed, received or cancelled) is
  // sourced again. Those still `arrived` wait for the Back Office's confirmation first, unless
  // `confirmed` says the Back Office just confirmed them (all of them when it is empty).
  Status ResourceWhatNothingMoreBrings(Arrival& a,
                                       const std::optional<std::set<Id>>& confirmed = {});

  // --- Changes, cancellations, pickups (changes.cpp) ---
  Status Handle(const OrderLineChanged& p);
  Status Handle(const OrderCancelled& p);
  Status Handle(const BackofficeCancel& p);
  Status Handle(const OrderPickedUp& p);
  Status Grow(SpecialOrder& so, Qty more);
  Status Shrink(SpecialOrder& so, Qty less);
  Status Cancel(SpecialOrder& so, const std::string& why);
  // Shrinks the special order's line on a draft PO by up to `units`, never below what its
  // special orders still wait for, when the rule says so.
  Status ShrinkDraftPo(const SpecialOrder& so, Qty units);
  Status UpdateRedStar(Id order_id);

  const RuleSet& rules_;
  const std::string& actor_;
  const Envelope& env_;
  HostStore& store_;
  Outcome outcome_;
};

}  // namespace so::internal
