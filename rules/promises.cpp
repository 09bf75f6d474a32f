// Promises: the day a special order's goods are expected, kept in the daemon's sod_promises
// (special_orders has no column for it), recomputed whenever it is sourced again and when its
// draft PO is sent, and announced as special_order.promised (docs/contract-decisions.md).
#include <algorithm>

#include "rules/decision.hpp"
#include "rules/service.hpp"

namespace so::internal {
namespace {

// "vendor 10 lead time 7 days"
std::string LeadTime(Id vendor_id, int days) {
  return "vendor " + Str(vendor_id) + " lead time " + Str(days) + " days";
}

// " from PO 5 sent 2026-12-03"
std::string FromSent(Id po_id, Timestamp sent_at) {
  return " from PO " + Str(po_id) + " sent " + FormatDate(sent_at);
}

}  // namespace

Status Decision::Promise(const SpecialOrder& so, const std::string& rule, PromiseBasis basis,
                         Timestamp base_at, int days, const std::string& how) {
  SO_ASSIGN_OR_RETURN(auto clock, store_.LockSoClock(so.id));
  SoClock c = clock.value_or(SoClock{});
  c.special_order_id = so.id;
  c.promise_seq += 1;
  c.expected_on = StartOfDay(AddDays(base_at, days));
  c.basis = basis;
  c.base_at = base_at;
  c.days = days;
  c.rule = rule;
  c.promised_at = env_.occurred_at;
  SO_RETURN_IF_ERROR(store_.PutSoClock(c));
  Emit(PromisedEvent{so.id, so.order_id, *c.expected_on, basis});
  return Audit(so.id, rule, "promised", "expected on " + FormatDate(*c.expected_on) + ": " + how);
}

Status Decision::PromiseFromVendor(const SpecialOrder& so, const std::string& rule,
                                   const PurchaseOrder& po,
                                   const std::optional<ProductVendor>& terms) {
  if (!terms) {
    return Unpromise(so, rule,
                     "vendor " + Str(po.vendor_id) + " has no lead time for product " +
                         Str(so.product_id) + " (no product_vendors row)");
  }
  // A negative lead time in the POS's data would promise the past: counted as none.
  const int days = std::max(0, terms->lead_time_days);
  const std::string lead = LeadTime(po.vendor_id, days);
  if (po.status == "draft") {
    return Promise(
        so, rule, PromiseBasis::kVendorFromNow, env_.occurred_at, days,
        lead + " from now; PO " + Str(po.id) + " is still draft, counted again when it is sent");
  }
  SO_ASSIGN_OR_RETURN(auto sent_at, store_.GetPoSentAt(po.id));
  if (!sent_at) {
    return Promise(so, rule, PromiseBasis::kVendorFromSent, env_.occurred_at, days,
                   lead + " from now; PO " + Str(po.id) + " is " + po.status +
                       ", sent before the daemon saw it");
  }
  return Promise(so, rule, PromiseBasis::kVendorFromSent, *sent_at, days,
                 lead + FromSent(po.id, *sent_at));
}

Status Decision::Unpromise(const SpecialOrder& so, const std::string& rule,
                           const std::string& why) {
  SO_ASSIGN_OR_RETURN(auto clock, store_.LockSoClock(so.id));
  if (clock && clock->expected_on) {
    SoClock c = *clock;
    c.promise_seq += 1;
    c.expected_on.reset();
    c.basis.reset();
    c.base_at.reset();
    c.days.reset();
    c.rule.reset();
    c.promised_at.reset();
    SO_RETURN_IF_ERROR(store_.PutSoClock(c));
  }
  return Audit(so.id, rule, "no_promise", "no expected date: " + why);
}

Status Decision::PoSent(const PurchaseOrder& po) {
  SO_ASSIGN_OR_RETURN(auto known, store_.GetPoSentAt(po.id));
  if (known) return Status();
  SO_RETURN_IF_ERROR(store_.SetPoSentAt(po.id, env_.occurred_at));
  SO_ASSIGN_OR_RETURN(auto attached, store_.LockSpecialOrdersOnPo(po.id));
  for (const auto& so : attached) {
    if (!ServedByArrival(so)) continue;
    SO_ASSIGN_OR_RETURN(auto clock, store_.LockSoClock(so.id));
    if (!clock || clock->basis != PromiseBasis::kVendorFromNow || !clock->days) continue;
    SO_RETURN_IF_ERROR(Promise(
        so, clock->rule.value_or(Select(so).rule), PromiseBasis::kVendorFromSent, env_.occurred_at,
        *clock->days, LeadTime(po.vendor_id, *clock->days) + FromSent(po.id, env_.occurred_at)));
  }
  return Status();
}

}  // namespace so::internal
