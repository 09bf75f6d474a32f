#include "config/rules_review.hpp"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

namespace so::config {
namespace {

// Whether every value the later list matches, the earlier list matches too. An empty list matches
// anything: an empty earlier list covers every later one, and an empty later list is covered only
// by an empty earlier one, since ids have no upper bound and a list names finitely many of them.
//
// The same holds for vendors, where a decision may have no vendor at all (MatchKey::vendor_id:
// a product without a primary vendor before one is chosen, a transfer-sourced special order): a
// list naming vendors never matches "no vendor", while an empty list does. So even if an earlier
// rule named every vendor there is, a later rule without `vendors` would still decide the
// decisions that have no vendor: not shadowed, which this test already says. And a later rule
// naming vendors matches only decisions with one of its vendors, so "no vendor" cannot make it
// escape an earlier rule that names them all. Customers are the same: a decision about a queue
// has no customer (MatchKey::customer_id).
bool Covers(const std::vector<Id>& earlier, const std::vector<Id>& later) {
  if (earlier.empty()) return true;
  if (later.empty()) return false;
  return std::all_of(later.begin(), later.end(), [&](Id id) {
    return std::find(earlier.begin(), earlier.end(), id) != earlier.end();
  });
}

// A rule matches a decision when each of its four lists matches the decision's store, vendor,
// product and customer, and each list matches at least one value (an empty list means any; the
// loader refuses a list written empty). So every decision the later rule matches is matched by the
// earlier one exactly when each of the later rule's lists is covered by the earlier rule's list.
bool Covers(const Match& earlier, const Match& later) {
  return Covers(earlier.stores, later.stores) && Covers(earlier.vendors, later.vendors) &&
         Covers(earlier.products, later.products) && Covers(earlier.customers, later.customers);
}

std::string_view Table(IdKind kind) {
  switch (kind) {
    case IdKind::kStore:
      return "stores";
    case IdKind::kVendor:
      return "vendors";
    case IdKind::kProduct:
      return "products";
    case IdKind::kCustomer:
      return "customers";
  }
  return "?";
}

std::string_view Noun(IdKind kind) {
  switch (kind) {
    case IdKind::kStore:
      return "store";
    case IdKind::kVendor:
      return "vendor";
    case IdKind::kProduct:
      return "product";
    case IdKind::kCustomer:
      return "customer";
  }
  return "?";
}

// The set of `sets` for `kind`, const or not as `sets` is.
template <class Sets>
auto& Of(Sets& sets, IdKind kind) {
  switch (kind) {
    case IdKind::kStore:
      return sets.stores;
    case IdKind::kVendor:
      return sets.vendors;
    case IdKind::kProduct:
      return sets.products;
    case IdKind::kCustomer:
      break;
  }
  return sets.customers;
}

Problem Warning(const std::string& file, int line, int column, std::string message) {
  return Problem{.file = file,
                 .line = line,
                 .column = column,
                 .message = std::move(message),
                 .severity = Problem::Severity::kWarning};
}

}  // namespace

std::vector<Problem> FindShadowedRules(const RuleSet& rules, const RulesOutline& outline) {
  const std::vector<Rule>& list = rules.rules();
  assert(outline.rules.size() == list.size());
  std::vector<Problem> warnings;
  for (size_t later = 0; later < list.size(); ++later) {
    for (size_t earlier = 0; earlier < later; ++earlier) {
      if (!Covers(list[earlier].match, list[later].match)) continue;
      const RulesOutline::Position& at = outline.rules[later];
      warnings.push_back(Warning(outline.file, at.line, at.column,
                                 "rules[" + std::to_string(later) + "]: rule '" + list[later].name +
                                     "' can never match: rule '" + list[earlier].name + "' (line " +
                                     std::to_string(outline.rules[earlier].line) +
                                     ") comes first and matches everything it matches"));
      break;  // the first such rule is the one that decides instead
    }
  }
  return warnings;
}

IdSets NamedIds(const RulesOutline& outline) {
  IdSets sets;
  for (const NamedId& n : outline.ids) Of(sets, n.kind).insert(n.id);
  return sets;
}

std::vector<Problem> FindMissingIds(const RulesOutline& outline, const IdSets& existing) {
  std::vector<Problem> warnings;
  for (const NamedId& n : outline.ids) {
    if (Of(existing, n.kind).contains(n.id)) continue;
    warnings.push_back(Warning(outline.file, n.line, n.column,
                               n.path + ": " + std::string(Noun(n.kind)) + " " +
                                   std::to_string(n.id) + " does not exist (no row in " +
                                   std::string(Table(n.kind)) + ")"));
  }
  std::stable_sort(warnings.begin(), warnings.end(), [](const Problem& a, const Problem& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return warnings;
}

}  // namespace so::config
