#include "rules/service.hpp"

#include <algorithm>
#include <tuple>

#include "rules/queries.hpp"

namespace so {

bool ServedBefore(const Settings& s, const SpecialOrder& a, const SpecialOrder& b) {
  if (s.service_order == ServiceOrder::kSmallestFirst && a.waiting() != b.waiting()) {
    return a.waiting() < b.waiting();
  }
  return std::tie(a.requested_at, a.id) < std::tie(b.requested_at, b.id);
}

bool ServedByArrival(const SpecialOrder& so) {
  return queries::Waits(so) && so.status != SoStatus::kRequest;
}

ServiceQueue QueueOf(const RuleSet& rules, const SpecialOrder& so,
                     const std::vector<SpecialOrder>& others) {
  const auto sel = rules.Select(MatchKey{so.store_id, so.product_id, so.vendor_id});
  ServiceQueue q{sel.rule, sel.settings.service_order, {}, 0};
  if (!ServedByArrival(so)) return q;
  const bool on_po_line = so.source == SoSource::kVendor && so.po_line_id;
  const bool on_transfer = so.source == SoSource::kTransfer && so.transfer_id;
  for (const auto& other : others) {
    if (other.id == so.id || other.product_id != so.product_id || !ServedByArrival(other)) continue;
    const bool same = (on_po_line && queries::OnPoLine(other, *so.po_line_id)) ||
                      (on_transfer && queries::OnTransfer(other, *so.transfer_id));
    if (same && ServedBefore(sel.settings, other, so)) q.ahead.push_back(other);
  }
  std::stable_sort(q.ahead.begin(), q.ahead.end(), [&sel](const auto& a, const auto& b) {
    return ServedBefore(sel.settings, a, b);
  });
  for (const auto& a : q.ahead) q.ahead_waiting += a.waiting();
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
