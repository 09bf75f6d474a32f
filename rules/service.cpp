#include "rules/service.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "rules/queries.hpp"

namespace so {

namespace {

const SpecialOrder& Deref(const SpecialOrder& so) { return so; }
const SpecialOrder& Deref(const SpecialOrder* so) { return *so; }

// Returns the priority of each special order of `v`, by id.
template <class Entry>
std::map<Id, int64_t> SortEntries(const RuleSet& rules, const Settings& s, std::vector<Entry>& v) {
  std::map<Id, int64_t> priority;
  for (const Entry& e : v) priority.try_emplace(Deref(e).id, PriorityOf(rules, Deref(e)));
  std::stable_sort(v.begin(), v.end(), [&](const Entry& x, const Entry& y) {
    const SpecialOrder& a = Deref(x);
    const SpecialOrder& b = Deref(y);
    return ServedBefore(s, a, priority.at(a.id), b, priority.at(b.id));
  });
  return priority;
}

}  // namespace

int64_t PriorityOf(const RuleSet& rules, const SpecialOrder& so) {
  return rules.Select(MatchKey{so.store_id, so.product_id, so.vendor_id, so.customer_id})
      .settings.priority;
}

bool ServedBefore(const Settings& s, const SpecialOrder& a, int64_t pa, const SpecialOrder& b,
                  int64_t pb) {
  if (pa != pb) return pa > pb;
  if (s.service_order == ServiceOrder::kSmallestFirst && a.waiting() != b.waiting()) {
    return a.waiting() < b.waiting();
  }
  return std::tie(a.requested_at, a.id) < std::tie(b.requested_at, b.id);
}

bool ServedByArrival(const SpecialOrder& so) {
  return queries::Waits(so) && so.status != SoStatus::kRequest;
}

void SortForService(const RuleSet& rules, const Settings& s, std::vector<SpecialOrder>& v) {
  SortEntries(rules, s, v);
}

void SortForService(const RuleSet& rules, const Settings& s, std::vector<SpecialOrder*>& v) {
  SortEntries(rules, s, v);
}

ServiceQueue QueueOf(const RuleSet& rules, const SpecialOrder& so,
                     const std::vector<SpecialOrder>& others) {
  // The queue's rule, as for the arrival: no customer.
  const auto sel = rules.Select(MatchKey{so.store_id, so.product_id, so.vendor_id, std::nullopt});
  ServiceQueue q{sel.rule, sel.settings.service_order, {}, {}, 0};
  if (!ServedByArrival(so)) return q;
  const bool on_po_line = so.source == SoSource::kVendor && so.po_line_id;
  const bool on_transfer = so.source == SoSource::kTransfer && so.transfer_id;
  std::vector<SpecialOrder> queue = {so};
  for (const auto& other : others) {
    if (other.id == so.id || other.product_id != so.product_id || !ServedByArrival(other)) continue;
    const bool same = (on_po_line && queries::OnPoLine(other, *so.po_line_id)) ||
                      (on_transfer && queries::OnTransfer(other, *so.transfer_id));
    if (same) queue.push_back(other);
  }
  const auto priority = SortEntries(rules, sel.settings, queue);
  for (const auto& a : queue) {
    if (a.id == so.id) break;
    q.ahead.push_back(a);
    q.ahead_priority.push_back(priority.at(a.id));
    q.ahead_waiting += a.waiting();
  }
  return q;
}

std::string_view ToString(ServiceOrder o) {
  switch (o) {
    case ServiceOrder::kOldestRequestFirst:
      return "oldest_request_first";
    case ServiceOrder::kSmallestFirst:
      return "smallest_first";
  }
  return "?";
}

}  // namespace so
