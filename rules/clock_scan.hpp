// The daemon's clock: what falls due with time alone (an overdue promise, a pickup reminder, the
// pickup deadline), found by a scan of the special orders and applied as messages of their own
// through the Processor, like the sweep's repairs (rules/reconciler.hpp). Each has a
// deterministic id and its due time as occurred_at, so it is applied once however often and
// however late the scan runs, and the rows it writes are the same whichever daemon applies it.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rules/processor.hpp"

namespace so {

// The source of the clock's messages.
inline constexpr const char* kClockSource = "special-ordersd-clock";

// When a promise of `expected_on` is overdue under `grace_days`: the start of the first day after
// the promised day and its grace.
Timestamp OverdueAt(Timestamp expected_on, int grace_days);
// When `days` days have passed since a special order became ready at `ready_at`.
Timestamp PickupDueAt(Timestamp ready_at, int days);

// The timed messages due at `now` for these special orders and clocks, under `rules` (each
// special order's own rule: store, product, vendor, customer), in the order of `rows`:
// - clock.overdue `clock:overdue:<so>:<promise_seq>:<updated_at unix µs>` for one still waiting
//   for its goods past OverdueAt and not yet published overdue for this promise (the special
//   order's updated_at makes the id new after any change: an overdue found stale, because the
//   goods came after the scan, cannot swallow the one due when it waits again);
// - clock.pickup_deadline `clock:deadline:<so>:<days>:<ready unix s>` for one ready for
//   pickup_deadline_days or more;
// - else clock.pickup_reminder `clock:reminder:<so>:<days>:<ready unix s>` for the largest of
//   pickup_reminder_days passed since it became ready and above the reminder already sent for
//   this ready period: after a long gap only the latest reminder is sent.
// Pure: the unit the scan's behaviour is tested through.
std::vector<Message> DueClockMessages(const RuleSet& rules, const std::vector<ClockCandidate>& rows,
                                      Timestamp now);

// The scan's bounds under `rules` at `now`: the widest any rule's grace and days give, so that
// every special order with something due is in the pages (DueClockMessages decides per rule).
ClockQuery ClockBounds(const RuleSet& rules, Timestamp now);

class ClockScanner {
 public:
  // Reads pages of `batch` special orders of the stores in `scope`.
  ClockScanner(HostStore& store, Processor& processor, int batch = 500, StoreScope scope = {})
      : store_(store), processor_(processor), batch_(batch), scope_(std::move(scope)) {}

  // Applies everything due at `now` under the processor's rules (those its handlers apply). What
  // a tick misses (the database away, a daemon down for a week) is found by the next one, once:
  // the ids come from what is due, not from the ticks.
  OwnMessagesTally Tick(Timestamp now);

  // Told of each timed message as it is processed (the daemon logs and counts them).
  using Observer = std::function<void(const Message&, const Processed&)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  HostStore& store_;
  Processor& processor_;
  int batch_;
  StoreScope scope_;
  Observer observer_;
};

}  // namespace so
