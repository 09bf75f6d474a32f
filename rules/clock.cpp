// Timed work (rules/clock_scan.hpp makes the messages): a promise gone overdue, a reminder to
// pick up, the pickup deadline. Each handler decides from the rows and the rules at the
// message's time (its due time), never from a clock: a message that no longer holds (the goods
// came, the customer picked up, it was promised again) changes nothing but the audit trail.
#include <algorithm>

#include "rules/clock_scan.hpp"
#include "rules/decision.hpp"
#include "rules/service.hpp"

namespace so::internal {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

std::string Days(int n) { return Str(n) + (n == 1 ? " day" : " days"); }

}  // namespace

Status Decision::NotDue(Id so_id, const std::string& rule, std::string why) {
  return Audit(so_id, rule, "clock_not_due", std::move(why));
}

Status Decision::Handle(const ClockOverdue& p) {
  SO_ASSIGN_OR_RETURN(auto so, store_.LockSpecialOrder(p.special_order_id));
  if (!so) {
    return Refuse(std::nullopt, kContractRuleName,
                  "special order " + Str(p.special_order_id) + " does not exist");
  }
  const auto sel = Select(*so);
  if (!ServedByArrival(*so) || so->status == SoStatus::kArrived) {
    return NotDue(so->id, sel.rule,
                  "overdue of promise " + Str(p.promise_seq) + ": special order is " +
                      std::string(ToString(so->status)) + " and waits for " + Str(so->waiting()) +
                      " from no source");
  }
  SO_ASSIGN_OR_RETURN(auto clock, store_.LockSoClock(so->id));
  if (!clock || clock->promise_seq != p.promise_seq || !clock->expected_on) {
    return NotDue(so->id, sel.rule,
                  "overdue of promise " + Str(p.promise_seq) + ": promised again since");
  }
  if (clock->overdue_seq == p.promise_seq) {
    return NotDue(so->id, sel.rule,
                  "overdue of promise " + Str(p.promise_seq) + ": published already");
  }
  const int grace = sel.settings.overdue_grace_days;
  if (env_.occurred_at < OverdueAt(*clock->expected_on, grace)) {
    return NotDue(so->id, sel.rule,
                  "overdue of promise " + Str(p.promise_seq) + ": not before " +
                      FormatDate(OverdueAt(*clock->expected_on, grace)) + " under grace of " +
                      Days(grace));
  }
  SoClock c = *clock;
  c.overdue_seq = p.promise_seq;
  SO_RETURN_IF_ERROR(store_.PutSoClock(c));
  const int late = static_cast<int>((StartOfDay(env_.occurred_at).micros - c.expected_on->micros) /
                                    kMicrosPerDay);
  const std::string source = so->po_id         ? "PO " + Str(*so->po_id)
                             : so->transfer_id ? "transfer " + Str(*so->transfer_id)
                                               : "its source";
  Emit(OverdueEvent{so->id, so->order_id, so->store_id, so->vendor_id, *c.expected_on, late});
  return Audit(so->id, sel.rule, "overdue",
               "expected on " + FormatDate(*c.expected_on) + ", grace " + Days(grace) + ", " +
                   Days(late) + " late; still waits for " + Str(so->waiting()) + " on " + source);
}

Result<std::optional<SpecialOrder>> Decision::LockReadySince(Id special_order_id,
                                                             Timestamp ready_at) {
  SO_ASSIGN_OR_RETURN(auto so, store_.LockSpecialOrder(special_order_id));
  if (!so) {
    SO_RETURN_IF_ERROR(Refuse(std::nullopt, kContractRuleName,
                              "special order " + Str(special_order_id) + " does not exist"));
    return std::optional<SpecialOrder>();
  }
  if (so->status != SoStatus::kReady || so->ready_at != ready_at) {
    SO_RETURN_IF_ERROR(NotDue(so->id, Select(*so).rule,
                              "pickup since " + FormatRfc3339(ready_at) + ": special order is " +
                                  std::string(ToString(so->status)) +
                                  (so->status == SoStatus::kReady ? " since another time" : "")));
    return std::optional<SpecialOrder>();
  }
  return so;
}

Status Decision::Handle(const ClockPickupReminder& p) {
  SO_ASSIGN_OR_RETURN(auto so, LockReadySince(p.special_order_id, p.ready_at));
  if (!so) return Status();
  const auto sel = Select(*so);
  const auto& list = sel.settings.pickup_reminder_days;
  if (std::find(list.begin(), list.end(), p.days) == list.end()) {
    return NotDue(
        so->id, sel.rule,
        "pickup reminder of " + Days(p.days) + ": not in the rule's pickup_reminder_days");
  }
  if (env_.occurred_at < PickupDueAt(p.ready_at, p.days)) {
    return NotDue(so->id, sel.rule, "pickup reminder of " + Days(p.days) + ": not due yet");
  }
  SO_ASSIGN_OR_RETURN(auto clock, store_.LockSoClock(so->id));
  SoClock c = clock.value_or(SoClock{});
  c.special_order_id = so->id;
  const int sent = c.reminded_ready_at == p.ready_at ? c.reminded_days.value_or(0) : 0;
  if (sent >= p.days) {
    return NotDue(so->id, sel.rule,
                  "pickup reminder of " + Days(p.days) + ": the " + Days(sent) +
                      " reminder was sent already");
  }
  std::vector<std::string> skipped;
  for (int d : list) {
    if (d > sent && d < p.days) skipped.push_back(Days(d));
  }
  c.reminded_days = p.days;
  c.reminded_ready_at = p.ready_at;
  SO_RETURN_IF_ERROR(store_.PutSoClock(c));
  SO_ASSIGN_OR_RETURN(const Qty picked, store_.LockPickedQty(so->id));
  Emit(PickupReminderEvent{so->id, so->order_id, so->customer_id, p.ready_at, p.days});
  return Audit(so->id, sel.rule, "pickup_reminder",
               "ready since " + FormatDate(p.ready_at) + ", not picked up after " + Days(p.days) +
                   " (" + Str(picked) + " of " + Str(so->quantity) + " handed over)" +
                   (skipped.empty() ? "" : "; skipped the " + Join(skipped) + " reminder"));
}

Status Decision::Handle(const ClockPickupDeadline& p) {
  SO_ASSIGN_OR_RETURN(auto so, LockReadySince(p.special_order_id, p.ready_at));
  if (!so) return Status();
  const auto sel = Select(*so);
  if (sel.settings.pickup_deadline_days != p.days) {
    return NotDue(so->id, sel.rule,
                  "pickup deadline of " + Days(p.days) + ": not the rule's pickup_deadline_days");
  }
  if (env_.occurred_at < PickupDueAt(p.ready_at, p.days)) {
    return NotDue(so->id, sel.rule, "pickup deadline of " + Days(p.days) + ": not due yet");
  }
  const std::string why =
      "pickup deadline of " + Days(p.days) + " passed (ready since " + FormatDate(p.ready_at) + ")";
  SO_RETURN_IF_ERROR(Audit(so->id, sel.rule, "pickup_deadline", why));
  return Cancel(*so, why);
}

}  // namespace so::internal
