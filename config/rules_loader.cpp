// The rules file: `version`, `defaults` and the ordered `rules`, validated into a so::RuleSet.

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <cstdio>

#include "config/config_loader.hpp"
#include "config/rules_review.hpp"
#include "config/yaml_reader.hpp"

namespace so::config {
namespace {

using internal::EnumName;
using internal::Mapping;
using internal::Reader;
using internal::Value;

constexpr int64_t kRulesVersion = 1;

// The longest a day count in the rules may be: a year.
constexpr int64_t kMaxDays = 365;

constexpr std::string_view kTopKeys[] = {"version", "defaults", "rules"};
constexpr std::string_view kSettingsKeys[] = {"on_request",
                                              "vendor_choice",
                                              "attach_po_statuses",
                                              "allocation",
                                              "status_after_allocation",
                                              "allow_positive_open_stock",
                                              "transfer_from_stores",
                                              "transfer_min_left",
                                              "transfer_days",
                                              "transfer_allocation",
                                              "service_order",
                                              "allocate_surplus",
                                              "reallocate_freed_stock",
                                              "shrink_draft_po",
                                              "priority",
                                              "overdue_grace_days",
                                              "pickup_reminder_days",
                                              "pickup_deadline_days"};
// A rule's own keys, then every settings key.
constexpr auto kRuleKeys = [] {
  std::array<std::string_view, 2 + std::size(kSettingsKeys)> keys{"name", "match"};
  std::copy(std::begin(kSettingsKeys), std::end(kSettingsKeys), keys.begin() + 2);
  return keys;
}();
constexpr std::string_view kMatchKeys[] = {"stores", "vendors", "products", "customers"};

constexpr std::array<EnumName<OnRequest>, 2> kOnRequest{{
    {"order", OnRequest::kOrder},
    {"wait", OnRequest::kWait},
}};
constexpr std::array<EnumName<VendorChoice>, 3> kVendorChoice{{
    {"primary", VendorChoice::kPrimary},
    {"cheapest", VendorChoice::kCheapest},
    {"shortest_lead_time", VendorChoice::kShortestLeadTime},
}};
constexpr std::array<EnumName<AllocationMode>, 2> kAllocation{{
    {"immediate", AllocationMode::kImmediate},
    {"on_confirmation", AllocationMode::kOnConfirmation},
}};
constexpr std::array<EnumName<ServiceOrder>, 2> kServiceOrder{{
    {"oldest_request_first", ServiceOrder::kOldestRequestFirst},
    {"smallest_first", ServiceOrder::kSmallestFirst},
}};
constexpr std::array<EnumName<SoStatus>, 2> kStatusAfterAllocation{{
    {"ready", SoStatus::kReady},
    {"in_progress", SoStatus::kInProgress},
}};
// PO statuses that may take more lines. The others are listed apart so that the message can say
// why they are refused rather than only that they are unknown.
constexpr std::array<EnumName<std::string_view>, 3> kAttachablePoStatuses{{
    {"draft", "draft"},
    {"open", "open"},
    {"partially_received", "partially_received"},
}};
constexpr std::string_view kClosedPoStatuses[] = {"received", "closed", "cancelled"};

// Rule names that the engine itself writes into the audit trail: `defaults` when no rule matches,
// `contract` for behaviour the contract fixes (rules/model.hpp, AuditEntry::rule).
constexpr std::string_view kReservedRuleNames[] = {kDefaultsRuleName, kContractRuleName};

std::string Fnv1a64Hex(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return std::string("fnv1a64:") + hex;
}

std::optional<std::string> ReadAttachablePoStatus(Reader& reader, const Value& item) {
  if (item.node.IsScalar()) {
    const std::string& text = item.node.Scalar();
    for (std::string_view closed : kClosedPoStatuses) {
      if (text == closed) {
        reader.Report(item, "a " + text +
                                " PO cannot take more special orders; allowed statuses: draft, "
                                "open, partially_received");
        return std::nullopt;
      }
    }
  }
  std::optional<std::string_view> status = reader.ReadEnum(item, kAttachablePoStatuses);
  if (!status) return std::nullopt;
  return std::string(*status);
}

// Notes where each of `ids`, read from `value` without a problem, is written: the items of the
// list, or the value itself when it is a single id.
void NoteIds(RulesOutline& outline, IdKind kind, const Value& value, const std::vector<Id>& ids) {
  const auto note = [&](Id id, const YAML::Mark& mark, std::string path) {
    outline.ids.push_back(NamedId{.kind = kind,
                                  .id = id,
                                  .line = mark.line + 1,
                                  .column = mark.column + 1,
                                  .path = std::move(path)});
  };
  if (value.node.IsScalar()) {
    assert(ids.size() == 1);
    note(ids.front(), value.mark, value.path);
    return;
  }
  assert(value.node.size() == ids.size());
  size_t i = 0;
  for (const YAML::Node& item : value.node) {
    note(ids[i], item.Mark(), value.path + "[" + std::to_string(i) + "]");
    ++i;
  }
}

// Unlike the other lists, `[]` is allowed: it means "no transfers", so that a rule can turn off
// the transfers its defaults ask for.
std::optional<std::vector<Id>> ReadTransferStores(Reader& reader, const Value& value) {
  if (value.node.IsSequence() && value.node.size() == 0) return std::vector<Id>{};
  return reader.ReadUniqueList<Id>(value, "write [] for no transfers", [&](const Value& item) {
    return reader.ReadInteger(item, 1, INT64_MAX);
  });
}

// A list of day counts or a single one, stored sorted: the order they are written in means
// nothing. `[]` is allowed, as for transfer_from_stores, so that a rule can turn off the reminders
// its defaults ask for.
std::optional<std::vector<int>> ReadReminderDays(Reader& reader, const Value& value) {
  if (value.node.IsSequence() && value.node.size() == 0) return std::vector<int>{};
  auto days =
      reader.ReadUniqueList<int>(value, "write [] for no reminders", [&](const Value& item) {
        std::optional<int64_t> n = reader.ReadInteger(item, 1, kMaxDays);
        return n ? std::optional<int>(static_cast<int>(*n)) : std::nullopt;
      });
  if (days) std::sort(days->begin(), days->end());
  return days;
}

// A day count, or `off` (YAML's null too: `null`, `~`) for no deadline, so that a rule can turn
// off the deadline its defaults set. Sets `deadline` and returns true, or reports the value and
// returns false, leaving `deadline` as it was.
bool ReadDeadlineDays(Reader& reader, const Value& value, std::optional<int>& deadline) {
  if (value.node.IsNull() || (value.node.IsScalar() && value.node.Scalar() == "off")) {
    deadline.reset();
    return true;
  }
  const std::string text = value.node.IsScalar() ? value.node.Scalar() : std::string();
  if (text.empty() || !(text.front() == '-' || (text.front() >= '0' && text.front() <= '9'))) {
    reader.Report(value, "expected 1.." + std::to_string(kMaxDays) + " or off, got " +
                             internal::Describe(value.node));
    return false;
  }
  std::optional<int64_t> days = reader.ReadInteger(value, 1, kMaxDays);
  if (!days) return false;
  deadline = static_cast<int>(*days);
  return true;
}

// A deadline on or before the last reminder would cancel the special order before the customer
// is reminded. Checked on the settings as merged, so that a rule giving one of the two is checked
// against the other it inherits; reported at the key the mapping gives, the deadline first.
// `where` names the mapping for the message: "in the defaults", "in rule 'x'". In the defaults
// both keys are given whenever there is a problem: the built-in values of either cannot make one.
void CheckDeadlineAfterReminders(Reader& reader, const Value* reminders, const Value* deadline,
                                 const Settings& settings, std::string_view where) {
  if (!settings.pickup_deadline_days || settings.pickup_reminder_days.empty()) return;
  const int last = settings.pickup_reminder_days.back();
  if (*settings.pickup_deadline_days > last) return;
  std::string message = "pickup_deadline_days " + std::to_string(*settings.pickup_deadline_days) +
                        " must be after the last pickup_reminder_days " + std::to_string(last) +
                        " " + std::string(where);
  if (deadline == nullptr) message += " (its pickup_deadline_days comes from the defaults)";
  if (reminders == nullptr) message += " (its pickup_reminder_days come from the defaults)";
  reader.Report(deadline != nullptr ? *deadline : *reminders, message);
}

// Applies the settings keys present in `mapping` on top of `settings`; the others keep their value.
// `where` names the mapping in messages: "in the defaults", "in rule 'x'".
void ReadSettings(Reader& reader, const Mapping& mapping, Settings& settings, RulesOutline& outline,
                  std::string_view where) {
  if (const Value* v = mapping.Find("on_request")) {
    if (auto on_request = reader.ReadEnum(*v, kOnRequest)) settings.on_request = *on_request;
  }
  if (const Value* v = mapping.Find("vendor_choice")) {
    auto choices = reader.ReadUniqueList<VendorChoice>(
        *v, "give at least one of: primary, cheapest, shortest_lead_time",
        [&](const Value& item) { return reader.ReadEnum(item, kVendorChoice); });
    if (choices) settings.vendor_choice = std::move(*choices);
  }
  if (const Value* v = mapping.Find("attach_po_statuses")) {
    auto statuses = reader.ReadUniqueList<std::string>(
        *v, "give at least one of: draft, open, partially_received",
        [&](const Value& item) { return ReadAttachablePoStatus(reader, item); });
    if (statuses) settings.attach_po_statuses = std::move(*statuses);
  }
  if (const Value* v = mapping.Find("allocation")) {
    if (auto allocation = reader.ReadEnum(*v, kAllocation)) settings.allocation = *allocation;
  }
  if (const Value* v = mapping.Find("status_after_allocation")) {
    if (auto status = reader.ReadEnum(*v, kStatusAfterAllocation)) {
      settings.status_after_allocation = *status;
    }
  }
  if (const Value* v = mapping.Find("allow_positive_open_stock")) {
    if (auto allow = reader.ReadBool(*v)) settings.allow_positive_open_stock = *allow;
  }
  if (const Value* v = mapping.Find("transfer_from_stores")) {
    if (auto stores = ReadTransferStores(reader, *v)) {
      NoteIds(outline, IdKind::kStore, *v, *stores);
      settings.transfer_from_stores = std::move(*stores);
    }
  }
  if (const Value* v = mapping.Find("transfer_min_left")) {
    if (auto min_left = reader.ReadInteger(*v, 0, INT64_MAX)) {
      settings.transfer_min_left = *min_left;
    }
  }
  if (const Value* v = mapping.Find("transfer_days")) {
    if (auto days = reader.ReadInteger(*v, 0, kMaxDays))
      settings.transfer_days = static_cast<int>(*days);
  }
  if (const Value* v = mapping.Find("transfer_allocation")) {
    if (auto allocation = reader.ReadEnum(*v, kAllocation)) {
      settings.transfer_allocation = *allocation;
    }
  }
  if (const Value* v = mapping.Find("service_order")) {
    if (auto order = reader.ReadEnum(*v, kServiceOrder)) settings.service_order = *order;
  }
  if (const Value* v = mapping.Find("allocate_surplus")) {
    if (auto allocate = reader.ReadBool(*v)) settings.allocate_surplus = *allocate;
  }
  if (const Value* v = mapping.Find("reallocate_freed_stock")) {
    if (auto reallocate = reader.ReadBool(*v)) settings.reallocate_freed_stock = *reallocate;
  }
  if (const Value* v = mapping.Find("shrink_draft_po")) {
    if (auto shrink = reader.ReadBool(*v)) settings.shrink_draft_po = *shrink;
  }
  if (const Value* v = mapping.Find("priority")) {
    if (auto priority = reader.ReadInteger(*v, INT64_MIN, INT64_MAX)) settings.priority = *priority;
  }
  if (const Value* v = mapping.Find("overdue_grace_days")) {
    if (auto days = reader.ReadInteger(*v, 0, kMaxDays)) {
      settings.overdue_grace_days = static_cast<int>(*days);
    }
  }
  const Value* reminders = mapping.Find("pickup_reminder_days");
  const Value* deadline = mapping.Find("pickup_deadline_days");
  bool pickup_read = true;  // both read without a problem, or not given
  if (reminders != nullptr) {
    if (auto days = ReadReminderDays(reader, *reminders)) {
      settings.pickup_reminder_days = std::move(*days);
    } else {
      pickup_read = false;
    }
  }
  if (deadline != nullptr && !ReadDeadlineDays(reader, *deadline, settings.pickup_deadline_days)) {
    pickup_read = false;
  }
  if (pickup_read && (reminders != nullptr || deadline != nullptr)) {
    CheckDeadlineAfterReminders(reader, reminders, deadline, settings, where);
  }
}

std::vector<Id> ReadIds(Reader& reader, const Mapping& match, std::string_view key,
                        std::string_view what, IdKind kind, RulesOutline& outline) {
  const Value* v = match.Find(key);
  if (v == nullptr) return {};
  auto ids = reader.ReadUniqueList<Id>(
      *v, "leave the key out to match every " + std::string(what),
      [&](const Value& item) { return reader.ReadInteger(item, 1, INT64_MAX); });
  if (!ids) return {};
  NoteIds(outline, kind, *v, *ids);
  return std::move(*ids);
}

Match ReadMatch(Reader& reader, const Value& value, RulesOutline& outline) {
  std::optional<Mapping> mapping = reader.ReadMapping(value, kMatchKeys);
  if (!mapping) return {};
  return Match{
      .stores = ReadIds(reader, *mapping, "stores", "store", IdKind::kStore, outline),
      .vendors = ReadIds(reader, *mapping, "vendors", "vendor", IdKind::kVendor, outline),
      .products = ReadIds(reader, *mapping, "products", "product", IdKind::kProduct, outline),
      .customers = ReadIds(reader, *mapping, "customers", "customer", IdKind::kCustomer, outline)};
}

std::optional<std::string> ReadRuleName(Reader& reader, const Value& value) {
  std::optional<std::string> name = reader.ReadString(value);
  if (!name) return std::nullopt;
  bool valid_chars = std::all_of(name->begin(), name->end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  if (!valid_chars) {
    reader.Report(value, "'" + *name +
                             "' is not a valid rule name; use letters, digits, '_', "
                             "'.' and '-' only");
    return std::nullopt;
  }
  for (std::string_view reserved : kReservedRuleNames) {
    if (*name == reserved) {
      reader.Report(value, "'" + *name +
                               "' is reserved (the audit trail uses it for decisions "
                               "no rule made); choose another name");
      return std::nullopt;
    }
  }
  return name;
}

struct NamedAt {
  std::string name;
  YAML::Mark mark;
};

std::vector<Rule> ReadRules(Reader& reader, const Value& value, const Settings& defaults,
                            RulesOutline& outline) {
  std::vector<Rule> rules;
  if (!value.node.IsSequence()) {
    reader.Report(value, "expected a list of rules, got " + internal::Describe(value.node));
    return rules;
  }
  std::vector<NamedAt> names;
  size_t index = 0;
  for (const YAML::Node& node : value.node) {
    Value item{.node = node,
               .mark = node.Mark(),
               .anchor = node.Mark(),
               .path = value.path + "[" + std::to_string(index++) + "]"};
    std::optional<Mapping> mapping = reader.ReadMapping(item, kRuleKeys);
    if (!mapping) continue;
    Rule rule;
    if (const Value* name_value = reader.Require(*mapping, "name")) {
      if (std::optional<std::string> name = ReadRuleName(reader, *name_value)) {
        auto first = std::find_if(names.begin(), names.end(),
                                  [&](const NamedAt& n) { return n.name == *name; });
        if (first != names.end()) {
          reader.Report(*name_value, "rule name '" + *name + "' is already used at line " +
                                         std::to_string(internal::LineOf(first->mark)));
        } else {
          names.push_back({*name, name_value->mark});
        }
        rule.name = std::move(*name);
      }
    }
    if (const Value* match = mapping->Find("match")) {
      rule.match = ReadMatch(reader, *match, outline);
    }
    rule.settings = defaults;
    ReadSettings(reader, *mapping, rule.settings, outline,
                 rule.name.empty() ? "in this rule" : "in rule '" + rule.name + "'");
    rules.push_back(std::move(rule));
    outline.rules.push_back({.line = node.Mark().line + 1, .column = node.Mark().column + 1});
  }
  return rules;
}

}  // namespace

Loaded<OutlinedRules> ParseRulesOutlined(std::string_view yaml_text, const std::string& file_name) {
  Reader reader(file_name);
  Settings defaults;
  std::vector<Rule> rules;
  RulesOutline outline{.file = file_name, .rules = {}, .ids = {}};
  if (std::optional<Value> root = reader.Parse(yaml_text)) {
    if (std::optional<Mapping> top = reader.ReadMapping(*root, kTopKeys)) {
      if (const Value* version = reader.Require(*top, "version")) {
        std::optional<int64_t> n = reader.ReadInteger(*version, INT64_MIN, INT64_MAX);
        if (n && *n != kRulesVersion) {
          reader.Report(*version, "unsupported version " + std::to_string(*n) +
                                      "; this daemon reads version " +
                                      std::to_string(kRulesVersion));
        }
      }
      if (const Value* v = top->Find("defaults")) {
        if (std::optional<Mapping> mapping = reader.ReadMapping(*v, kSettingsKeys)) {
          ReadSettings(reader, *mapping, defaults, outline, "in the defaults");
        }
      }
      if (const Value* v = top->Find("rules")) rules = ReadRules(reader, *v, defaults, outline);
    }
  }
  Loaded<OutlinedRules> loaded;
  if (reader.ok()) {
    loaded.value.emplace(OutlinedRules{
        .rules = RuleSet(std::move(defaults), std::move(rules), Fnv1a64Hex(yaml_text)),
        .outline = std::move(outline)});
  }
  loaded.problems = reader.TakeProblems();
  return loaded;
}

Loaded<OutlinedRules> LoadRulesFileOutlined(const std::string& path) {
  internal::FileContent content = internal::ReadFile(path);
  if (!content.text) {
    Loaded<OutlinedRules> loaded;
    loaded.problems.push_back(
        Problem{.file = path, .message = "cannot read the rules file: " + content.error});
    return loaded;
  }
  return ParseRulesOutlined(*content.text, path);
}

namespace {

// The rules alone, for the daemon, which does not keep where they were written.
Loaded<RuleSet> WithoutOutline(Loaded<OutlinedRules> outlined) {
  Loaded<RuleSet> loaded;
  if (outlined.value) loaded.value.emplace(std::move(outlined.value->rules));
  loaded.problems = std::move(outlined.problems);
  return loaded;
}

}  // namespace

Loaded<RuleSet> ParseRules(std::string_view yaml_text, const std::string& file_name) {
  return WithoutOutline(ParseRulesOutlined(yaml_text, file_name));
}

Loaded<RuleSet> LoadRulesFile(const std::string& path) {
  return WithoutOutline(LoadRulesFileOutlined(path));
}

}  // namespace so::config
