// Order of service: which special orders an arrival serves first when it brings less than they
// wait for. The engine allocates in this order (rules/arrivals.cpp) and `special-ordersd explain`
// shows it, both through these functions. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rules/model.hpp"
#include "rules/policy.hpp"

namespace so {

// The priority of the special order: that of the rule chosen for it by its store, product,
// vendor and customer (so a rule naming customers can serve them first in any queue).
int64_t PriorityOf(const RuleSet& rules, const SpecialOrder& so);

// Whether `a`, of priority `pa`, is served before `b`, of priority `pb`, under `s`: the higher
// priority first, then by the rule's service order, ties by the earlier request, then the lower
// id. Priority comes before the service order so that it is taken before the request time under
// either order.
bool ServedBefore(const Settings& s, const SpecialOrder& a, int64_t pa, const SpecialOrder& b,
                  int64_t pb);

// Sorts `v` into the order of service under `s`, the settings of the queue's rule; each special
// order's priority is looked up once in `rules`. Stable. Every queue the engine serves, and every
// queue explain and simulate show, is sorted by these.
void SortForService(const RuleSet& rules, const Settings& s, std::vector<SpecialOrder>& v);
void SortForService(const RuleSet& rules, const Settings& s, std::vector<SpecialOrder*>& v);

// Whether an arrival on its PO line or transfer serves the special order: it is live, still waits
// for goods and is sourced (one in `request` waits to be ordered, not for an arrival).
bool ServedByArrival(const SpecialOrder& so);

// Where a special order stands in the queue of its PO line or transfer.
struct ServiceQueue {
  std::string rule;  // the rule whose service order decides (the engine's choice for the arrival)
  ServiceOrder service_order = ServiceOrder::kOldestRequestFirst;
  // The special orders the next arrival serves before it, in order of service.
  std::vector<SpecialOrder> ahead;
  // The priority of each of `ahead` (PriorityOf), in the same order.
  std::vector<int64_t> ahead_priority;
  // What those ahead still wait for, together.
  Qty ahead_waiting = 0;
};

// The queue `so` waits in, among `others` (any special orders; those not on its PO line or
// transfer, not served by an arrival, or `so` itself are left out). The rule is chosen as the
// engine chooses it for an arrival of that PO line or transfer: by the store, the product and the
// vendor (none for a transfer). Empty `ahead` when `so` is not served by an arrival at all.
ServiceQueue QueueOf(const RuleSet& rules, const SpecialOrder& so,
                     const std::vector<SpecialOrder>& others);

std::string_view ToString(ServiceOrder o);

}  // namespace so
