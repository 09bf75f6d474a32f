#include "rules/clock_scan.hpp"

#include <algorithm>

#include "rules/service.hpp"

namespace so {
namespace {

std::string Seconds(Timestamp t) { return std::to_string(t.micros / 1'000'000); }

const Settings& SettingsOf(const RuleSet& rules, const SpecialOrder& so) {
  return rules.Select(MatchKey{so.store_id, so.product_id, so.vendor_id, so.customer_id}).settings;
}

}  // namespace

Timestamp OverdueAt(Timestamp expected_on, int grace_days) {
  return AddDays(StartOfDay(expected_on), grace_days + 1);
}

Timestamp PickupDueAt(Timestamp ready_at, int days) { return AddDays(ready_at, days); }

std::vector<Message> DueClockMessages(const RuleSet& rules, const std::vector<ClockCandidate>& rows,
                                      Timestamp now) {
  std::vector<Message> out;
  auto add = [&](std::string id, std::string type, Timestamp due, Payload payload) {
    out.push_back(Message{Envelope{1, std::move(id), std::move(type), kClockSource, 0, due},
                          std::move(payload)});
  };
  for (const auto& [so, clock] : rows) {
    const Settings& s = SettingsOf(rules, so);
    const std::string key = std::to_string(so.id) + ":";
    if (ServedByArrival(so) && so.status != SoStatus::kArrived && clock && clock->expected_on &&
        clock->overdue_seq != clock->promise_seq) {
      const Timestamp due = OverdueAt(*clock->expected_on, s.overdue_grace_days);
      if (due <= now) {
        add("clock:overdue:" + key + std::to_string(clock->promise_seq) + ":" +
                std::to_string(so.updated_at.micros),
            "clock.overdue", due, ClockOverdue{so.id, clock->promise_seq});
      }
    }
    if (so.status != SoStatus::kReady || !so.ready_at) continue;
    const Timestamp ready = *so.ready_at;
    const std::string epoch = ":" + Seconds(ready);
    if (s.pickup_deadline_days && PickupDueAt(ready, *s.pickup_deadline_days) <= now) {
      const int days = *s.pickup_deadline_days;
      add("clock:deadline:" + key + std::to_string(days) + epoch, "clock.pickup_deadline",
          PickupDueAt(ready, days), ClockPickupDeadline{so.id, days, ready});
      continue;
    }
    const int sent =
        clock && clock->reminded_ready_at == ready ? clock->reminded_days.value_or(0) : 0;
    // The largest day count passed; the list is sorted.
    const auto& list = s.pickup_reminder_days;
    const auto passed = std::find_if(list.rbegin(), list.rend(),
                                     [&](int d) { return PickupDueAt(ready, d) <= now; });
    if (passed != list.rend() && *passed > sent) {
      add("clock:reminder:" + key + std::to_string(*passed) + epoch, "clock.pickup_reminder",
          PickupDueAt(ready, *passed), ClockPickupReminder{so.id, *passed, ready});
    }
  }
  return out;
}

ClockQuery ClockBounds(const RuleSet& rules, Timestamp now) {
  int grace = rules.defaults().overdue_grace_days;
  std::optional<int> pickup_days;
  auto take = [&](const Settings& s) {
    grace = std::min(grace, s.overdue_grace_days);
    for (int d : s.pickup_reminder_days) pickup_days = std::min(pickup_days.value_or(d), d);
    if (s.pickup_deadline_days) {
      pickup_days =
          std::min(pickup_days.value_or(*s.pickup_deadline_days), *s.pickup_deadline_days);
    }
  };
  take(rules.defaults());
  for (const Rule& r : rules.rules()) take(r.settings);
  ClockQuery q;
  // expected_on < bound exactly when OverdueAt(expected_on, grace) <= now (expected_on is a
  // midnight).
  q.expected_before = Timestamp{AddDays(now, -(grace + 1)).micros + 1};
  if (pickup_days) q.ready_before = AddDays(now, -*pickup_days);
  return q;
}

OwnMessagesTally ClockScanner::Tick(Timestamp now) {
  OwnMessagesTally report;
  const RuleSet& rules = processor_.rules();
  ClockQuery q = ClockBounds(rules, now);
  q.limit = batch_;
  for (;;) {
    Result<std::vector<ClockCandidate>> page = store_.FindClockCandidates(q, scope_);
    if (!page.ok()) {
      report.unavailable = true;
      return report;
    }
    for (const Message& m : DueClockMessages(rules, *page, now)) {
      const Processed p = processor_.Process(m, m.envelope.type, "");
      if (observer_) observer_(m, p);
      if (!report.Add(p)) return report;
    }
    if (static_cast<int>(page->size()) < batch_) return report;
    q.after_id = page->back().so.id;
  }
}

}  // namespace so
