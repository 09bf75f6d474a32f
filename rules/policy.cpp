#include "rules/policy.hpp"

#include <algorithm>

namespace so {
namespace {

bool Matches(const std::vector<Id>& ids, std::optional<Id> id) {
  if (ids.empty()) return true;
  return id && std::find(ids.begin(), ids.end(), *id) != ids.end();
}

}  // namespace

RuleSet::Selected RuleSet::Select(const MatchKey& key) const {
  for (const Rule& r : rules_) {
    if (Matches(r.match.stores, key.store_id) && Matches(r.match.products, key.product_id) &&
        Matches(r.match.vendors, key.vendor_id) && Matches(r.match.customers, key.customer_id)) {
      return {r.name, r.settings};
    }
  }
  return {defaults_name_, defaults_};
}

}  // namespace so
