// libFuzzer target: the rules file loader (config/config_loader.hpp, ParseRules) on any text.
//
// A rules file is either refused with problems that an operator can act on (a non-empty message,
// a position that is either a real line:column or none at all, sorted by position), or accepted
// as a RuleSet that keeps the promises the engine relies on: rule names non-empty, well-formed,
// unique and not reserved; vendor_choice and attach_po_statuses non-empty and without repeats;
// ids > 0 without repeats; enums within their values; first-match selection. Anything else
// aborts, which libFuzzer reports as a crash; an exception escaping ParseRules is one too.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_loader.hpp"
#include "rules/policy.hpp"

namespace {

const std::string kFileName = "fuzz.yaml";

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_rules_loader: %.*s\n  %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

template <class T>
bool HasRepeats(const std::vector<T>& items) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (std::find(items.begin() + static_cast<std::ptrdiff_t>(i) + 1, items.end(), items[i]) !=
        items.end()) {
      return true;
    }
  }
  return false;
}

void CheckIds(const std::vector<so::Id>& ids, const std::string& what) {
  if (HasRepeats(ids)) Fail("repeated ids", what);
  for (so::Id id : ids) {
    if (id < 1) Fail("an id < 1", what);
  }
}

void CheckSettings(const so::Settings& s, const std::string& what) {
  if (s.vendor_choice.empty()) Fail("empty vendor_choice", what);
  if (HasRepeats(s.vendor_choice)) Fail("repeated vendor_choice", what);
  for (so::VendorChoice c : s.vendor_choice) {
    if (c != so::VendorChoice::kPrimary && c != so::VendorChoice::kCheapest &&
        c != so::VendorChoice::kShortestLeadTime) {
      Fail("vendor_choice out of range", what);
    }
  }
  if (s.attach_po_statuses.empty()) Fail("empty attach_po_statuses", what);
  if (HasRepeats(s.attach_po_statuses)) Fail("repeated attach_po_statuses", what);
  for (const std::string& status : s.attach_po_statuses) {
    if (status != "draft" && status != "open" && status != "partially_received") {
      Fail("attach_po_statuses holds a status that cannot take lines: " + status, what);
    }
  }
  if (s.on_request != so::OnRequest::kOrder && s.on_request != so::OnRequest::kWait) {
    Fail("on_request out of range", what);
  }
  for (so::AllocationMode mode : {s.allocation, s.transfer_allocation}) {
    if (mode != so::AllocationMode::kImmediate && mode != so::AllocationMode::kOnConfirmation) {
      Fail("allocation out of range", what);
    }
  }
  if (s.status_after_allocation != so::SoStatus::kReady &&
      s.status_after_allocation != so::SoStatus::kInProgress) {
    Fail("status_after_allocation is neither ready nor in_progress", what);
  }
  if (s.service_order != so::ServiceOrder::kOldestRequestFirst &&
      s.service_order != so::ServiceOrder::kSmallestFirst) {
    Fail("service_order out of range", what);
  }
  CheckIds(s.transfer_from_stores, what + ".transfer_from_stores");
  if (s.transfer_min_left < 0) Fail("negative transfer_min_left", what);
  if (s.transfer_days < 0 || s.transfer_days > 365) Fail("transfer_days out of 0..365", what);
  if (s.overdue_grace_days < 0 || s.overdue_grace_days > 365) {
    Fail("overdue_grace_days out of 0..365", what);
  }
  for (size_t i = 0; i < s.pickup_reminder_days.size(); ++i) {
    const int days = s.pickup_reminder_days[i];
    if (days < 1 || days > 365) Fail("pickup_reminder_days out of 1..365", what);
    if (i > 0 && s.pickup_reminder_days[i - 1] >= days) {
      Fail("pickup_reminder_days not sorted without repeats", what);
    }
  }
  if (s.pickup_deadline_days) {
    if (*s.pickup_deadline_days < 1 || *s.pickup_deadline_days > 365) {
      Fail("pickup_deadline_days out of 1..365", what);
    }
    if (!s.pickup_reminder_days.empty() &&
        *s.pickup_deadline_days <= s.pickup_reminder_days.back()) {
      Fail("pickup_deadline_days not after the last reminder", what);
    }
  }
}

bool ValidRuleName(const std::string& name) {
  if (name.empty() || name == so::kDefaultsRuleName || name == so::kContractRuleName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool InList(const std::vector<so::Id>& ids, std::optional<so::Id> id) {
  return ids.empty() || (id && std::find(ids.begin(), ids.end(), *id) != ids.end());
}

// RuleSet::Select must give the first rule whose match fits, else the defaults.
void CheckSelect(const so::RuleSet& rules, const so::MatchKey& key) {
  const so::RuleSet::Selected selected = rules.Select(key);
  const so::Rule* expected = nullptr;
  for (const so::Rule& rule : rules.rules()) {
    if (InList(rule.match.stores, key.store_id) && InList(rule.match.products, key.product_id) &&
        InList(rule.match.vendors, key.vendor_id) &&
        InList(rule.match.customers, key.customer_id)) {
      expected = &rule;
      break;
    }
  }
  if (expected == nullptr) {
    if (selected.rule != so::kDefaultsRuleName || &selected.settings != &rules.defaults()) {
      Fail("Select did not fall back to the defaults", selected.rule);
    }
  } else if (&selected.rule != &expected->name || &selected.settings != &expected->settings) {
    Fail("Select did not give the first matching rule", expected->name);
  }
}

void CheckRuleSet(const so::RuleSet& rules) {
  const std::string& version = rules.version();
  constexpr std::string_view kPrefix = "fnv1a64:";
  if (version.size() != kPrefix.size() + 16 || version.compare(0, kPrefix.size(), kPrefix) != 0 ||
      !std::all_of(version.begin() + kPrefix.size(), version.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    Fail("the version is not fnv1a64:<16 hex digits>", version);
  }
  CheckSettings(rules.defaults(), "defaults");
  std::vector<std::string> names;
  for (const so::Rule& rule : rules.rules()) {
    if (!ValidRuleName(rule.name)) Fail("an empty, malformed or reserved rule name", rule.name);
    if (std::find(names.begin(), names.end(), rule.name) != names.end()) {
      Fail("a rule name used twice", rule.name);
    }
    names.push_back(rule.name);
    CheckSettings(rule.settings, rule.name);
    CheckIds(rule.match.stores, rule.name + ".match.stores");
    CheckIds(rule.match.vendors, rule.name + ".match.vendors");
    CheckIds(rule.match.products, rule.name + ".match.products");
    CheckIds(rule.match.customers, rule.name + ".match.customers");
  }
  // Keys each rule is meant for, with and without a vendor and a customer, and one that only the
  // defaults take unless a rule matches everything.
  for (const so::Rule& rule : rules.rules()) {
    const so::Match& m = rule.match;
    so::MatchKey key{
        .store_id = m.stores.empty() ? 1 : m.stores.front(),
        .product_id = m.products.empty() ? 1 : m.products.front(),
        .vendor_id = m.vendors.empty() ? std::nullopt : std::optional<so::Id>(m.vendors.front()),
        .customer_id =
            m.customers.empty() ? std::nullopt : std::optional<so::Id>(m.customers.front())};
    CheckSelect(rules, key);
    key.vendor_id.reset();
    CheckSelect(rules, key);
    key.customer_id.reset();
    CheckSelect(rules, key);
  }
  CheckSelect(rules, so::MatchKey{.store_id = INT64_MAX,
                                  .product_id = INT64_MAX,
                                  .vendor_id = std::nullopt,
                                  .customer_id = std::nullopt});
}

void CheckProblems(const std::vector<so::config::Problem>& problems) {
  if (problems.empty()) Fail("refused without a problem", "");
  std::pair<int, int> previous{0, 0};
  for (const so::config::Problem& p : problems) {
    if (p.message.empty()) Fail("a problem without a message", p.ToString());
    if (p.file != kFileName) Fail("a problem naming another file", p.ToString());
    if (p.line < 0 || p.column < 0) Fail("a problem at a negative position", p.ToString());
    // Both 0 (the file as a whole) or both 1-based.
    if ((p.line == 0) != (p.column == 0)) Fail("a problem with half a position", p.ToString());
    const std::pair<int, int> position{p.line, p.column};
    if (position < previous) Fail("problems not sorted by position", p.ToString());
    previous = position;
    if (p.ToString().find(p.message) == std::string::npos) {
      Fail("Problem::ToString leaves out the message", p.ToString());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const so::config::Loaded<so::RuleSet> loaded = so::config::ParseRules(text, kFileName);
  if (loaded.ok()) {
    if (!loaded.problems.empty()) Fail("accepted with problems", loaded.problems[0].ToString());
    CheckRuleSet(*loaded.value);
  } else {
    CheckProblems(loaded.problems);
  }
  return 0;
}
