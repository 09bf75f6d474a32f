// Warnings about a rules file that is valid but likely does not say what its author meant: a rule
// that can never match, ids that the POS database does not have. For --check-config; the
// functions keep no state, so they are safe to call from several threads at once.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_loader.hpp"
#include "rules/policy.hpp"

namespace so::config {

// The table an id of the rules file refers to.
enum class IdKind { kStore, kVendor, kProduct, kCustomer };

// One id as the rules file names it, where it names it.
struct NamedId {
  IdKind kind = IdKind::kStore;
  Id id = 0;
  int line = 0;  // 1-based, as in Problem
  int column = 0;
  // "rules[1].match.stores[0]", "defaults.transfer_from_stores[2]"; a single id given without a
  // list ("stores: 4") has no index.
  std::string path;
};

// Where a valid rules file says what it says, for warnings that point into it.
struct RulesOutline {
  std::string file;
  // One per rule, in the order of RuleSet::rules(): where the rule's mapping starts.
  struct Position {
    int line = 0;
    int column = 0;
  };
  std::vector<Position> rules;
  // Every id in a match list (stores, vendors, products, customers) and in transfer_from_stores, of
  // the defaults and of every rule, once per time it is written.
  std::vector<NamedId> ids;
};

struct OutlinedRules {
  so::RuleSet rules;
  RulesOutline outline;
};

// As ParseRules() and LoadRulesFile() (config_loader.hpp), also giving the outline of the rules.
Loaded<OutlinedRules> ParseRulesOutlined(std::string_view yaml_text, const std::string& file_name);
Loaded<OutlinedRules> LoadRulesFileOutlined(const std::string& path);

// A warning for each rule that can never match because an earlier rule matches everything it
// matches, at the later rule, naming both: so that a narrow rule put after a broad one is noticed.
// Only a single earlier rule is considered: a rule covered only by several earlier ones together
// is not reported. `outline` is the one of `rules`.
std::vector<Problem> FindShadowedRules(const so::RuleSet& rules, const RulesOutline& outline);

// Ids by table.
struct IdSets {
  std::set<Id> stores;
  std::set<Id> vendors;
  std::set<Id> products;
  std::set<Id> customers;
};

// The distinct ids the outline names, by table: what to look up in the database.
IdSets NamedIds(const RulesOutline& outline);

// A warning for each id the outline names that is not in `existing`, at the id, in the order of
// the file: a rule naming a store that does not exist matches nothing there, and a store to
// transfer from that does not exist is never asked.
std::vector<Problem> FindMissingIds(const RulesOutline& outline, const IdSets& existing);

}  // namespace so::config
