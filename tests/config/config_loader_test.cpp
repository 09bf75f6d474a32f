#include "config/config_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

namespace so::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::SizeIs;

std::string Fixture(const std::string& name) {
  return std::string(SO_SOURCE_DIR) + "/tests/fixtures/config/" + name;
}

std::string Example(const std::string& name) {
  return std::string(SO_SOURCE_DIR) + "/config/" + name;
}

template <class T>
std::vector<std::string> Messages(const Loaded<T>& loaded) {
  std::vector<std::string> out;
  for (const Problem& p : loaded.problems) out.push_back(p.ToString());
  return out;
}

// Rules text with its problems, for the many cases that only need ParseRules.
Loaded<RuleSet> Parse(std::string_view yaml) { return ParseRules(yaml, "rules.yaml"); }

// The one problem `yaml` should have.
std::string OnlyProblem(std::string_view yaml) {
  Loaded<RuleSet> loaded = Parse(yaml);
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.problems, SizeIs(1));
  return loaded.problems.empty() ? "" : loaded.problems.front().ToString();
}

// A scratch directory for daemon configs written by the test, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "config_loader_test.XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string Write(const std::string& name, std::string_view text) const {
    std::filesystem::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A daemon config with every required key, naming a valid rules file, plus `extra` lines.
std::string DaemonYaml(std::string_view database_extra = "", std::string_view top_extra = "") {
  return "bus:\n"
         "  subscribe: tcp://127.0.0.1:5556\n"
         "  publish: tcp://127.0.0.1:5557\n"
         "database:\n"
         "  user: special_ordersd\n"
         "  name: pos\n" +
         std::string(database_extra) + "rules_file: " + Fixture("rules_minimal.yaml") + "\n" +
         std::string(top_extra);
}

// --- Rules: values ---

TEST(ParseRulesTest, MinimalFileKeepsEveryBuiltInSetting) {
  Loaded<RuleSet> loaded = LoadRulesFile(Fixture("rules_minimal.yaml"));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  const Settings& s = loaded.value->defaults();
  EXPECT_EQ(s.on_request, OnRequest::kOrder);
  EXPECT_THAT(s.vendor_choice, ElementsAre(VendorChoice::kPrimary, VendorChoice::kCheapest));
  EXPECT_THAT(s.attach_po_statuses, ElementsAre("draft"));
  EXPECT_EQ(s.allocation, AllocationMode::kImmediate);
  EXPECT_EQ(s.status_after_allocation, SoStatus::kReady);
  EXPECT_FALSE(s.allow_positive_open_stock);
  EXPECT_THAT(s.transfer_from_stores, IsEmpty());
  EXPECT_EQ(s.transfer_min_left, 0);
  EXPECT_EQ(s.transfer_days, 3);
  EXPECT_EQ(s.transfer_allocation, AllocationMode::kImmediate);
  EXPECT_EQ(s.service_order, ServiceOrder::kOldestRequestFirst);
  EXPECT_FALSE(s.allocate_surplus);
  EXPECT_FALSE(s.reallocate_freed_stock);
  EXPECT_FALSE(s.shrink_draft_po);
  EXPECT_EQ(s.priority, 0);
  EXPECT_EQ(s.overdue_grace_days, 0);
  EXPECT_THAT(s.pickup_reminder_days, IsEmpty());
  EXPECT_EQ(s.pickup_deadline_days, std::nullopt);
  EXPECT_THAT(loaded.value->rules(), IsEmpty());
}

TEST(ParseRulesTest, VersionIsTheFnv1a64OfTheFileBytes) {
  Loaded<RuleSet> loaded = Parse("version: 1\n");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.value->version(), "fnv1a64:248c57ca18116db2");

  Loaded<RuleSet> with_comment = Parse("version: 1\n# a comment changes the bytes\n");
  ASSERT_TRUE(with_comment.ok());
  EXPECT_THAT(with_comment.value->version(), MatchesRegex("fnv1a64:[0-9a-f]{16}"));
  EXPECT_NE(with_comment.value->version(), loaded.value->version());
}

TEST(ParseRulesTest, EverySettingIsParsed) {
  Loaded<RuleSet> loaded = LoadRulesFile(Fixture("rules_every_setting.yaml"));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  const Settings& d = loaded.value->defaults();
  EXPECT_EQ(d.on_request, OnRequest::kWait);
  EXPECT_THAT(d.vendor_choice, ElementsAre(VendorChoice::kShortestLeadTime, VendorChoice::kCheapest,
                                           VendorChoice::kPrimary));
  EXPECT_THAT(d.attach_po_statuses, ElementsAre("open", "draft", "partially_received"));
  EXPECT_EQ(d.allocation, AllocationMode::kOnConfirmation);
  EXPECT_EQ(d.status_after_allocation, SoStatus::kInProgress);
  EXPECT_TRUE(d.allow_positive_open_stock);
  EXPECT_THAT(d.transfer_from_stores, ElementsAre(5, 2, 9));  // in the file's order
  EXPECT_EQ(d.transfer_min_left, 3);
  EXPECT_EQ(d.transfer_days, 7);
  EXPECT_EQ(d.transfer_allocation, AllocationMode::kOnConfirmation);
  EXPECT_EQ(d.service_order, ServiceOrder::kSmallestFirst);
  EXPECT_TRUE(d.allocate_surplus);
  EXPECT_TRUE(d.reallocate_freed_stock);
  EXPECT_TRUE(d.shrink_draft_po);
  EXPECT_EQ(d.priority, 5);
  EXPECT_EQ(d.overdue_grace_days, 2);
  EXPECT_THAT(d.pickup_reminder_days, ElementsAre(3, 7));  // sorted
  EXPECT_EQ(d.pickup_deadline_days, 14);

  ASSERT_THAT(loaded.value->rules(), SizeIs(1));
  const Rule& rule = loaded.value->rules()[0];
  EXPECT_EQ(rule.name, "bikes_2.0");
  EXPECT_THAT(rule.match.stores, ElementsAre(3, 4));
  EXPECT_THAT(rule.match.vendors, ElementsAre(10));
  EXPECT_THAT(rule.match.products, ElementsAre(100, 101));
  EXPECT_THAT(rule.match.customers, ElementsAre(7001, 7002));
}

TEST(ParseRulesTest, RuleInheritsTheDefaultsItDoesNotOverride) {
  Loaded<RuleSet> loaded = LoadRulesFile(Fixture("rules_every_setting.yaml"));
  ASSERT_TRUE(loaded.ok());
  const Settings& s = loaded.value->rules()[0].settings;
  EXPECT_EQ(s.on_request, OnRequest::kOrder);
  EXPECT_THAT(s.vendor_choice, ElementsAre(VendorChoice::kPrimary));
  EXPECT_FALSE(s.allow_positive_open_stock);
  EXPECT_THAT(s.transfer_from_stores, ElementsAre(7));
  EXPECT_EQ(s.transfer_min_left, 0);
  EXPECT_EQ(s.transfer_days, 0);
  EXPECT_EQ(s.service_order, ServiceOrder::kOldestRequestFirst);
  EXPECT_FALSE(s.reallocate_freed_stock);
  EXPECT_EQ(s.priority, -1);
  EXPECT_THAT(s.pickup_reminder_days, ElementsAre(10));
  EXPECT_EQ(s.pickup_deadline_days, std::nullopt);
  // Inherited from the file's defaults, not from the built-in ones.
  EXPECT_THAT(s.attach_po_statuses, ElementsAre("open", "draft", "partially_received"));
  EXPECT_EQ(s.allocation, AllocationMode::kOnConfirmation);
  EXPECT_EQ(s.status_after_allocation, SoStatus::kInProgress);
  EXPECT_EQ(s.transfer_allocation, AllocationMode::kOnConfirmation);
  EXPECT_TRUE(s.allocate_surplus);
  EXPECT_TRUE(s.shrink_draft_po);
  EXPECT_EQ(s.overdue_grace_days, 2);
}

TEST(ParseRulesTest, RuleOverridingNothingHasTheDefaults) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "rules:\n"
      "  - name: plain\n"
      "    match: {stores: [1]}\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  const Settings& s = loaded.value->rules()[0].settings;
  EXPECT_EQ(s.on_request, OnRequest::kOrder);
  EXPECT_THAT(s.vendor_choice, ElementsAre(VendorChoice::kPrimary, VendorChoice::kCheapest));
  EXPECT_THAT(s.attach_po_statuses, ElementsAre("draft"));
  EXPECT_THAT(s.transfer_from_stores, IsEmpty());
}

TEST(ParseRulesTest, SingleScalarStandsForAListOfOne) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "defaults:\n"
      "  vendor_choice: cheapest\n"
      "  attach_po_statuses: open\n"
      "  transfer_from_stores: 2\n"
      "rules:\n"
      "  - name: one-store\n"
      "    match:\n"
      "      stores: 7\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  EXPECT_THAT(loaded.value->defaults().vendor_choice, ElementsAre(VendorChoice::kCheapest));
  EXPECT_THAT(loaded.value->defaults().attach_po_statuses, ElementsAre("open"));
  EXPECT_THAT(loaded.value->defaults().transfer_from_stores, ElementsAre(2));
  EXPECT_THAT(loaded.value->rules()[0].match.stores, ElementsAre(7));
}

TEST(ParseRulesTest, EmptyTransferListIsAllowedAndTurnsTransfersOff) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "defaults:\n"
      "  transfer_from_stores: [3, 2]\n"
      "rules:\n"
      "  - name: store-4-never-transfers\n"
      "    match: {stores: [4]}\n"
      "    transfer_from_stores: []\n"
      "  - name: store-5\n"
      "    match: {stores: [5]}\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  EXPECT_THAT(loaded.value->defaults().transfer_from_stores, ElementsAre(3, 2));
  EXPECT_THAT(loaded.value->rules()[0].settings.transfer_from_stores, IsEmpty());
  EXPECT_THAT(loaded.value->rules()[1].settings.transfer_from_stores, ElementsAre(3, 2));
}

TEST(ParseRulesTest, NewSettingsAtTheirBuiltInValuesAreRead) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "defaults:\n"
      "  transfer_from_stores: [4, 2]\n"
      "  transfer_min_left: 2\n"
      "  transfer_allocation: on_confirmation\n"
      "  service_order: smallest_first\n"
      "  allocate_surplus: true\n"
      "  reallocate_freed_stock: true\n"
      "  shrink_draft_po: true\n"
      "rules:\n"
      "  - name: back-to-built-in\n"
      "    transfer_from_stores: []\n"
      "    transfer_min_left: 0\n"
      "    transfer_allocation: immediate\n"
      "    service_order: oldest_request_first\n"
      "    allocate_surplus: false\n"
      "    reallocate_freed_stock: false\n"
      "    shrink_draft_po: false\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  const Settings& s = loaded.value->rules()[0].settings;
  EXPECT_THAT(s.transfer_from_stores, IsEmpty());
  EXPECT_EQ(s.transfer_min_left, 0);
  EXPECT_EQ(s.transfer_allocation, AllocationMode::kImmediate);
  EXPECT_EQ(s.service_order, ServiceOrder::kOldestRequestFirst);
  EXPECT_FALSE(s.allocate_surplus);
  EXPECT_FALSE(s.reallocate_freed_stock);
  EXPECT_FALSE(s.shrink_draft_po);
}

TEST(ParseRulesTest, FirstMatchingRuleWins) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "rules:\n"
      "  - name: store-2-product-100\n"
      "    match: {stores: [2], products: [100]}\n"
      "    allocation: on_confirmation\n"
      "  - name: store-2\n"
      "    match: {stores: [2]}\n"
      "    on_request: wait\n"
      "  - name: vendor-10\n"
      "    match: {vendors: [10]}\n"
      "    status_after_allocation: in_progress\n"
      "  - name: everything-else\n"
      "    vendor_choice: [cheapest]\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  const RuleSet& rules = *loaded.value;

  RuleSet::Selected narrow = rules.Select(
      {.store_id = 2, .product_id = 100, .vendor_id = 10, .customer_id = std::nullopt});
  EXPECT_EQ(narrow.rule, "store-2-product-100");
  EXPECT_EQ(narrow.settings.allocation, AllocationMode::kOnConfirmation);
  EXPECT_EQ(narrow.settings.on_request, OnRequest::kOrder);  // store-2's override is not merged

  EXPECT_EQ(
      rules.Select({.store_id = 2, .product_id = 101, .vendor_id = 10, .customer_id = std::nullopt})
          .rule,
      "store-2");
  EXPECT_EQ(
      rules.Select({.store_id = 3, .product_id = 101, .vendor_id = 10, .customer_id = std::nullopt})
          .rule,
      "vendor-10");
  EXPECT_EQ(rules
                .Select({.store_id = 3,
                         .product_id = 101,
                         .vendor_id = std::nullopt,
                         .customer_id = std::nullopt})
                .rule,
            "everything-else");
}

TEST(ParseRulesTest, NoMatchingRuleSelectsTheDefaults) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "defaults: {on_request: wait}\n"
      "rules:\n"
      "  - name: store-2\n"
      "    match: {stores: [2]}\n");
  ASSERT_TRUE(loaded.ok());
  RuleSet::Selected selected = loaded.value->Select(
      {.store_id = 3, .product_id = 1, .vendor_id = std::nullopt, .customer_id = std::nullopt});
  EXPECT_EQ(selected.rule, kDefaultsRuleName);
  EXPECT_EQ(selected.settings.on_request, OnRequest::kWait);
}

// --- Rules: problems ---

TEST(ParseRulesTest, UnknownKeyInRuleIsReportedWithLineAndColumn) {
  Loaded<RuleSet> loaded = LoadRulesFile(Fixture("rules_unknown_key_in_rule.yaml"));
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(Messages(loaded),
              ElementsAre(Fixture("rules_unknown_key_in_rule.yaml") +
                          ":7:5: rules[0]: unknown key 'on_requst' (did you mean 'on_request'?); "
                          "allowed keys: name, match, on_request, vendor_choice, "
                          "attach_po_statuses, allocation, status_after_allocation, "
                          "allow_positive_open_stock, transfer_from_stores, transfer_min_left, "
                          "transfer_days, transfer_allocation, service_order, allocate_surplus, "
                          "reallocate_freed_stock, shrink_draft_po, priority, overdue_grace_days, "
                          "pickup_reminder_days, pickup_deadline_days"));
}

TEST(ParseRulesTest, UnknownKeysAreReportedAtEveryLevel) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "verison: 1\n"
      "defaults:\n"
      "  colour: red\n"
      "rules:\n"
      "  - name: a\n"
      "    match:\n"
      "      store: [1]\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre(
          "rules.yaml:2:1: unknown key 'verison' (did you mean 'version'?); allowed keys: "
          "version, defaults, rules",
          "rules.yaml:4:3: defaults: unknown key 'colour'; allowed keys: on_request, "
          "vendor_choice, attach_po_statuses, allocation, status_after_allocation, "
          "allow_positive_open_stock, transfer_from_stores, transfer_min_left, "
          "transfer_days, transfer_allocation, service_order, allocate_surplus, "
          "reallocate_freed_stock, "
          "shrink_draft_po, priority, overdue_grace_days, "
          "pickup_reminder_days, pickup_deadline_days",
          "rules.yaml:8:7: rules[0].match: unknown key 'store' (did you mean 'stores'?); allowed "
          "keys: stores, vendors, products, customers"));
}

TEST(ParseRulesTest, SeveralProblemsAreReportedAtOnceWithTheirPositions) {
  const std::string file = Fixture("rules_several_problems.yaml");
  Loaded<RuleSet> loaded = LoadRulesFile(file);
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre(
          file + ":4:15: defaults.on_request: 'Order' is not allowed (did you mean 'order'?); "
                 "expected one of: order, wait",
          file + ":5:28: defaults.vendor_choice[1]: 'primary' is listed twice (first at line 5)",
          file + ":6:31: defaults.attach_po_statuses[1]: a closed PO cannot take more special "
                 "orders; allowed statuses: draft, open, partially_received",
          file + ":7:30: defaults.allow_positive_open_stock: 'yes' is not accepted as a "
                 "boolean; write true or false",
          file + ":11:15: rules[0].match.stores: the list is empty; leave the key out to match "
                 "every store",
          file + ":12:18: rules[0].match.products[0]: expected an integer, got '1.5'",
          file + ":13:5: rules[1]: missing required key 'name'",
          file + ":15:17: rules[1].allocation: 'later' is not allowed; expected one of: "
                 "immediate, on_confirmation",
          file + ":16:11: rules[2].name: rule name 'store-2' is already used at line 9",
          file + ":17:30: rules[2].status_after_allocation: 'done' is not allowed; expected one "
                 "of: ready, in_progress",
          file + ":18:5: rules[2]: unknown key 'colour'; allowed keys: name, match, on_request, "
                 "vendor_choice, attach_po_statuses, allocation, status_after_allocation, "
                 "allow_positive_open_stock, transfer_from_stores, transfer_min_left, "
                 "transfer_days, transfer_allocation, service_order, allocate_surplus, "
                 "reallocate_freed_stock, shrink_draft_po, priority, overdue_grace_days, "
                 "pickup_reminder_days, pickup_deadline_days"));
}

TEST(ParseRulesTest, EnumValuesAreNotGuessedFromCase) {
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  on_request: Order\n"),
            "rules.yaml:3:15: defaults.on_request: 'Order' is not allowed (did you mean "
            "'order'?); expected one of: order, wait");
}

TEST(ParseRulesTest, UnknownVendorChoiceListsTheAllowedOnes) {
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  vendor_choice: [primary, fastest]\n"),
            "rules.yaml:3:28: defaults.vendor_choice[1]: 'fastest' is not allowed; expected one "
            "of: primary, cheapest, shortest_lead_time");
}

TEST(ParseRulesTest, UnknownPoStatusListsTheAllowedOnes) {
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  attach_po_statuses: [drafts]\n"),
            "rules.yaml:3:24: defaults.attach_po_statuses[0]: 'drafts' is not allowed (did you "
            "mean 'draft'?); expected one of: draft, open, partially_received");
}

TEST(ParseRulesTest, PoStatusesThatCannotTakeAttachmentsAreRefused) {
  for (const char* status : {"received", "closed", "cancelled"}) {
    EXPECT_THAT(
        OnlyProblem(std::string("version: 1\ndefaults:\n  attach_po_statuses: [") + status + "]\n"),
        HasSubstr(std::string("a ") + status + " PO cannot take more special orders"));
  }
}

TEST(ParseRulesTest, RepeatedVendorChoiceIsRefused) {
  EXPECT_EQ(OnlyProblem("version: 1\n"
                        "defaults:\n"
                        "  vendor_choice:\n"
                        "    - cheapest\n"
                        "    - primary\n"
                        "    - cheapest\n"),
            "rules.yaml:6:7: defaults.vendor_choice[2]: 'cheapest' is listed twice (first at "
            "line 4)");
}

TEST(ParseRulesTest, RepeatedIdIsRefused) {
  EXPECT_EQ(OnlyProblem("version: 1\nrules:\n  - name: a\n    match: {stores: [2, 2]}\n"),
            "rules.yaml:4:25: rules[0].match.stores[1]: '2' is listed twice (first at line 4)");
}

TEST(ParseRulesTest, EmptyListsAreRefused) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "defaults:\n"
      "  vendor_choice: []\n"
      "  attach_po_statuses: []\n"
      "rules:\n"
      "  - name: a\n"
      "    match: {vendors: []}\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(Messages(loaded),
              ElementsAre("rules.yaml:3:18: defaults.vendor_choice: the list is empty; give at "
                          "least one of: primary, cheapest, shortest_lead_time",
                          "rules.yaml:4:23: defaults.attach_po_statuses: the list is empty; give "
                          "at least one of: draft, open, partially_received",
                          "rules.yaml:7:22: rules[0].match.vendors: the list is empty; leave the "
                          "key out to match every vendor"));
}

TEST(ParseRulesTest, WrongTypesAreReported) {
  Loaded<RuleSet> loaded = Parse(
      "version: \"1\"\n"
      "defaults: [on_request]\n"
      "rules:\n"
      "  - name: [a]\n"
      "    match: [1]\n"
      "  - just-a-name\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre(
          "rules.yaml:1:10: version: expected an integer, got the quoted string '1'",
          "rules.yaml:2:11: defaults: expected a mapping with keys among on_request, "
          "vendor_choice, attach_po_statuses, allocation, status_after_allocation, "
          "allow_positive_open_stock, transfer_from_stores, transfer_min_left, "
          "transfer_days, transfer_allocation, service_order, allocate_surplus, "
          "reallocate_freed_stock, "
          "shrink_draft_po, priority, overdue_grace_days, "
          "pickup_reminder_days, pickup_deadline_days, got a list",
          "rules.yaml:4:11: rules[0].name: expected a string, got a list",
          "rules.yaml:5:12: rules[0].match: expected a mapping with keys among stores, vendors, "
          "products, customers, got a list",
          "rules.yaml:6:5: rules[1]: expected a mapping with keys among name, match, on_request, "
          "vendor_choice, attach_po_statuses, allocation, status_after_allocation, "
          "allow_positive_open_stock, transfer_from_stores, transfer_min_left, "
          "transfer_days, transfer_allocation, service_order, allocate_surplus, "
          "reallocate_freed_stock, "
          "shrink_draft_po, priority, overdue_grace_days, "
          "pickup_reminder_days, pickup_deadline_days, got 'just-a-name'"));
}

TEST(ParseRulesTest, RulesMustBeAList) {
  EXPECT_EQ(OnlyProblem("version: 1\nrules:\n  name: a\n"),
            "rules.yaml:3:3: rules: expected a list of rules, got a mapping");
}

TEST(ParseRulesTest, FloatsHexOctalAndTrailingGarbageAreNotIntegers) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "rules:\n"
      "  - name: a\n"
      "    match:\n"
      "      stores: [1.5, 12abc, 0x10, 012, '7', 1e3]\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre("rules.yaml:5:16: rules[0].match.stores[0]: expected an integer, got '1.5'",
                  "rules.yaml:5:21: rules[0].match.stores[1]: expected an integer, got '12abc'",
                  "rules.yaml:5:28: rules[0].match.stores[2]: expected an integer, got '0x10'",
                  "rules.yaml:5:34: rules[0].match.stores[3]: '012' has a leading zero, which "
                  "YAML 1.1 reads as octal; write it without the leading zero",
                  "rules.yaml:5:39: rules[0].match.stores[4]: expected an integer, got the "
                  "quoted string '7'",
                  "rules.yaml:5:44: rules[0].match.stores[5]: expected an integer, got '1e3'"));
}

TEST(ParseRulesTest, ExplicitlyTaggedStringIsNotAnInteger) {
  EXPECT_EQ(OnlyProblem("version: !!str 1\n"),
            "rules.yaml:1:10: version: expected an integer, got '1' tagged "
            "tag:yaml.org,2002:str");
}

TEST(ParseRulesTest, IdsMustBePositive) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "rules:\n"
      "  - name: a\n"
      "    match: {products: [0, -3, 99999999999999999999]}\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(Messages(loaded),
              ElementsAre("rules.yaml:4:24: rules[0].match.products[0]: 0 is out of range; "
                          "expected a positive integer",
                          "rules.yaml:4:27: rules[0].match.products[1]: -3 is out of range; "
                          "expected a positive integer",
                          "rules.yaml:4:31: rules[0].match.products[2]: 99999999999999999999 is "
                          "out of range; expected a positive integer"));
}

TEST(ParseRulesTest, OnlyTrueAndFalseAreBooleans) {
  for (const char* text : {"yes", "no", "on", "off", "True", "FALSE", "y"}) {
    EXPECT_EQ(OnlyProblem(std::string("version: 1\ndefaults:\n  allow_positive_open_stock: ") +
                          text + "\n"),
              std::string("rules.yaml:3:30: defaults.allow_positive_open_stock: '") + text +
                  "' is not accepted as a boolean; write true or false");
  }
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  allow_positive_open_stock: 1\n"),
            "rules.yaml:3:30: defaults.allow_positive_open_stock: expected true or false, got "
            "'1'");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  allow_positive_open_stock: \"true\"\n"),
            "rules.yaml:3:30: defaults.allow_positive_open_stock: expected true or false, got "
            "the quoted string 'true'");
}

TEST(ParseRulesTest, TransferStoresArePositiveIdsWithoutRepeats) {
  Loaded<RuleSet> loaded =
      Parse("version: 1\ndefaults:\n  transfer_from_stores: [2, 0, -1, 2, '3', 1.5]\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre("rules.yaml:3:29: defaults.transfer_from_stores[1]: 0 is out of range; "
                  "expected a positive integer",
                  "rules.yaml:3:32: defaults.transfer_from_stores[2]: -1 is out of range; "
                  "expected a positive integer",
                  "rules.yaml:3:36: defaults.transfer_from_stores[3]: '2' is listed twice (first "
                  "at line 3)",
                  "rules.yaml:3:39: defaults.transfer_from_stores[4]: expected an integer, got "
                  "the quoted string '3'",
                  "rules.yaml:3:44: defaults.transfer_from_stores[5]: expected an integer, got "
                  "'1.5'"));
}

TEST(ParseRulesTest, TransferStoresMustBeAListNotAnEmptyValue) {
  // `[]` means "no transfers"; an empty value is not a shorthand for it.
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_from_stores:\n  transfer_min_left: 1\n"),
            "rules.yaml:3:3: defaults.transfer_from_stores: expected a list, got an empty value");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_from_stores: {store: 2}\n"),
            "rules.yaml:3:25: defaults.transfer_from_stores: expected a list, got a mapping");
}

TEST(ParseRulesTest, TransferMinLeftIsZeroOrMore) {
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_min_left: -1\n"),
            "rules.yaml:3:22: defaults.transfer_min_left: -1 is out of range; expected 0 or a "
            "positive integer");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_min_left: 1.5\n"),
            "rules.yaml:3:22: defaults.transfer_min_left: expected an integer, got '1.5'");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_min_left: \"2\"\n"),
            "rules.yaml:3:22: defaults.transfer_min_left: expected an integer, got the quoted "
            "string '2'");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_min_left: [1]\n"),
            "rules.yaml:3:22: defaults.transfer_min_left: expected an integer, got a list");
}

TEST(ParseRulesTest, TransferDaysAreZeroToAYear) {
  EXPECT_EQ(Parse("version: 1\ndefaults:\n  transfer_days: 365\n").value->defaults().transfer_days,
            365);
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_days: 366\n"),
            "rules.yaml:3:18: defaults.transfer_days: 366 is out of range; expected 0..365");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_days: -1\n"),
            "rules.yaml:3:18: defaults.transfer_days: -1 is out of range; expected 0..365");
}

TEST(ParseRulesTest, PriorityIsAnyIntegerAndACustomerRuleMayGiveIt) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "defaults:\n"
      "  priority: -9223372036854775808\n"
      "rules:\n"
      "  - name: trade\n"
      "    match: {stores: [1], customers: [7001, 7002]}\n"
      "    priority: 9223372036854775807\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  EXPECT_EQ(loaded.value->defaults().priority, INT64_MIN);
  const Rule& trade = loaded.value->rules()[0];
  EXPECT_EQ(trade.settings.priority, INT64_MAX);
  EXPECT_THAT(trade.match.customers, ElementsAre(7001, 7002));
  EXPECT_EQ(loaded.value->Select(MatchKey{1, 100, std::nullopt, 7002}).rule, "trade");
  EXPECT_EQ(loaded.value->Select(MatchKey{1, 100, std::nullopt, 7003}).rule, "defaults");
}

TEST(ParseRulesTest, PriorityMustBeAnIntegerInRange) {
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  priority: high\n"),
            "rules.yaml:3:13: defaults.priority: expected an integer, got 'high'");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  priority: 2.5\n"),
            "rules.yaml:3:13: defaults.priority: expected an integer, got '2.5'");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  priority: \"3\"\n"),
            "rules.yaml:3:13: defaults.priority: expected an integer, got the quoted string '3'");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  priority: 9223372036854775808\n"),
            "rules.yaml:3:13: defaults.priority: 9223372036854775808 is out of range; expected "
            "-9223372036854775808..9223372036854775807");
  EXPECT_EQ(OnlyProblem("version: 1\nrules:\n  - name: a\n    match: {stores: 1}\n"
                        "    priority: [1]\n"),
            "rules.yaml:5:15: rules[0].priority: expected an integer, got a list");
}

TEST(ParseRulesTest, OverdueGraceDaysAreZeroToAYear) {
  EXPECT_EQ(Parse("version: 1\ndefaults:\n  overdue_grace_days: 0\n")
                .value->defaults()
                .overdue_grace_days,
            0);
  EXPECT_EQ(Parse("version: 1\ndefaults:\n  overdue_grace_days: 365\n")
                .value->defaults()
                .overdue_grace_days,
            365);
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  overdue_grace_days: 366\n"),
            "rules.yaml:3:23: defaults.overdue_grace_days: 366 is out of range; expected 0..365");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  overdue_grace_days: -1\n"),
            "rules.yaml:3:23: defaults.overdue_grace_days: -1 is out of range; expected 0..365");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  overdue_grace_days: 1.5\n"),
            "rules.yaml:3:23: defaults.overdue_grace_days: expected an integer, got '1.5'");
}

TEST(ParseRulesTest, PickupReminderDaysAreKeptSorted) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "defaults:\n"
      "  pickup_reminder_days: [7, 1, 365, 3]\n"
      "rules:\n"
      "  - name: one-reminder\n"
      "    pickup_reminder_days: 5\n"
      "  - name: no-reminders\n"
      "    pickup_reminder_days: []\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  EXPECT_THAT(loaded.value->defaults().pickup_reminder_days, ElementsAre(1, 3, 7, 365));
  EXPECT_THAT(loaded.value->rules()[0].settings.pickup_reminder_days, ElementsAre(5));
  EXPECT_THAT(loaded.value->rules()[1].settings.pickup_reminder_days, IsEmpty());
}

TEST(ParseRulesTest, PickupReminderDaysAreOneToAYearWithoutRepeats) {
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_reminder_days: [3, 0]\n"),
            "rules.yaml:3:29: defaults.pickup_reminder_days[1]: 0 is out of range; expected "
            "1..365");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_reminder_days: 366\n"),
            "rules.yaml:3:25: defaults.pickup_reminder_days: 366 is out of range; expected "
            "1..365");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_reminder_days: [3, 7, 3]\n"),
            "rules.yaml:3:32: defaults.pickup_reminder_days[2]: '3' is listed twice (first at "
            "line 3)");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_reminder_days: [three]\n"),
            "rules.yaml:3:26: defaults.pickup_reminder_days[0]: expected an integer, got 'three'");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_reminder_days: {days: 3}\n"),
            "rules.yaml:3:25: defaults.pickup_reminder_days: expected a list, got a mapping");
}

TEST(ParseRulesTest, PickupDeadlineDaysAreOneToAYearOrOff) {
  EXPECT_EQ(Parse("version: 1\ndefaults:\n  pickup_deadline_days: 1\n")
                .value->defaults()
                .pickup_deadline_days,
            1);
  EXPECT_EQ(Parse("version: 1\ndefaults:\n  pickup_deadline_days: 365\n")
                .value->defaults()
                .pickup_deadline_days,
            365);
  for (const char* off : {"off", "null", "~", "'off'"}) {
    Loaded<RuleSet> loaded =
        Parse(std::string("version: 1\ndefaults:\n  pickup_deadline_days: ") + off + "\n");
    ASSERT_TRUE(loaded.ok()) << off << ": " << ::testing::PrintToString(Messages(loaded));
    EXPECT_EQ(loaded.value->defaults().pickup_deadline_days, std::nullopt) << off;
  }
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_deadline_days: 0\n"),
            "rules.yaml:3:25: defaults.pickup_deadline_days: 0 is out of range; expected 1..365");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_deadline_days: 366\n"),
            "rules.yaml:3:25: defaults.pickup_deadline_days: 366 is out of range; expected "
            "1..365");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_deadline_days: never\n"),
            "rules.yaml:3:25: defaults.pickup_deadline_days: expected 1..365 or off, got 'never'");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_deadline_days: false\n"),
            "rules.yaml:3:25: defaults.pickup_deadline_days: expected 1..365 or off, got 'false'");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_deadline_days: [14]\n"),
            "rules.yaml:3:25: defaults.pickup_deadline_days: expected 1..365 or off, got a list");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  pickup_deadline_days: \"14\"\n"),
            "rules.yaml:3:25: defaults.pickup_deadline_days: expected an integer, got the quoted "
            "string '14'");
}

TEST(ParseRulesTest, RuleTurnsOffTheDeadlineOfTheDefaults) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "defaults:\n"
      "  overdue_grace_days: 2\n"
      "  pickup_reminder_days: [3, 7]\n"
      "  pickup_deadline_days: 14\n"
      "rules:\n"
      "  - name: store-4-keeps-goods\n"
      "    match: {stores: [4]}\n"
      "    pickup_deadline_days: off\n"
      "  - name: store-5-later-reminder\n"
      "    match: {stores: [5]}\n"
      "    pickup_reminder_days: 10\n"
      "  - name: store-6-grace\n"
      "    match: {stores: [6]}\n"
      "    overdue_grace_days: 0\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  const Settings& off = loaded.value->rules()[0].settings;
  EXPECT_EQ(off.pickup_deadline_days, std::nullopt);
  EXPECT_THAT(off.pickup_reminder_days, ElementsAre(3, 7));
  EXPECT_EQ(off.overdue_grace_days, 2);
  const Settings& later = loaded.value->rules()[1].settings;
  EXPECT_THAT(later.pickup_reminder_days, ElementsAre(10));
  EXPECT_EQ(later.pickup_deadline_days, 14);
  const Settings& grace = loaded.value->rules()[2].settings;
  EXPECT_EQ(grace.overdue_grace_days, 0);
  EXPECT_THAT(grace.pickup_reminder_days, ElementsAre(3, 7));
  EXPECT_EQ(grace.pickup_deadline_days, 14);
}

TEST(ParseRulesTest, DeadlineMustBeAfterTheLastReminderInTheDefaults) {
  EXPECT_EQ(OnlyProblem("version: 1\n"
                        "defaults:\n"
                        "  pickup_reminder_days: [3, 7]\n"
                        "  pickup_deadline_days: 7\n"),
            "rules.yaml:4:25: defaults.pickup_deadline_days: pickup_deadline_days 7 must be after "
            "the last pickup_reminder_days 7 in the defaults");
  EXPECT_EQ(OnlyProblem("version: 1\n"
                        "defaults:\n"
                        "  pickup_deadline_days: 5\n"
                        "  pickup_reminder_days: [7, 3]\n"),
            "rules.yaml:3:25: defaults.pickup_deadline_days: pickup_deadline_days 5 must be after "
            "the last pickup_reminder_days 7 in the defaults");
  EXPECT_TRUE(Parse("version: 1\n"
                    "defaults:\n"
                    "  pickup_reminder_days: [3, 7]\n"
                    "  pickup_deadline_days: 8\n")
                  .ok());
}

TEST(ParseRulesTest, DeadlineMustBeAfterTheLastReminderInARuleAsMerged) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "defaults:\n"
      "  pickup_reminder_days: [3, 7]\n"
      "  pickup_deadline_days: 14\n"
      "rules:\n"
      "  - name: late-reminder\n"
      "    pickup_reminder_days: [3, 14]\n"
      "  - name: early-deadline\n"
      "    pickup_deadline_days: 5\n"
      "  - name: both\n"
      "    pickup_reminder_days: 20\n"
      "    pickup_deadline_days: 10\n"
      "  - name: fine\n"
      "    pickup_reminder_days: 20\n"
      "    pickup_deadline_days: 21\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre(
          "rules.yaml:7:27: rules[0].pickup_reminder_days: pickup_deadline_days 14 must be after "
          "the last pickup_reminder_days 14 in rule 'late-reminder' (its pickup_deadline_days "
          "comes from the defaults)",
          "rules.yaml:9:27: rules[1].pickup_deadline_days: pickup_deadline_days 5 must be after "
          "the last pickup_reminder_days 7 in rule 'early-deadline' (its pickup_reminder_days "
          "come from the defaults)",
          "rules.yaml:12:27: rules[2].pickup_deadline_days: pickup_deadline_days 10 must be "
          "after the last pickup_reminder_days 20 in rule 'both'"));
}

TEST(ParseRulesTest, BadPickupValueIsNotAlsoComparedWithTheOther) {
  // The refused reminder list is not compared with the deadline: one problem, not two.
  EXPECT_EQ(OnlyProblem("version: 1\n"
                        "defaults:\n"
                        "  pickup_reminder_days: [3, 3]\n"
                        "  pickup_deadline_days: 2\n"),
            "rules.yaml:3:29: defaults.pickup_reminder_days[1]: '3' is listed twice (first at "
            "line 3)");
}

TEST(ParseRulesTest, CustomersArePositiveIdsWithoutRepeats) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "rules:\n"
      "  - name: a\n"
      "    match: {customers: [0, 5, 5]}\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre("rules.yaml:4:25: rules[0].match.customers[0]: 0 is out of range; "
                  "expected a positive integer",
                  "rules.yaml:4:31: rules[0].match.customers[2]: '5' is listed twice (first "
                  "at line 4)"));
}

TEST(ParseRulesTest, UnknownTransferAllocationListsTheAllowedOnes) {
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_allocation: later\n"),
            "rules.yaml:3:24: defaults.transfer_allocation: 'later' is not allowed; expected one "
            "of: immediate, on_confirmation");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  transfer_allocation: On_Confirmation\n"),
            "rules.yaml:3:24: defaults.transfer_allocation: 'On_Confirmation' is not allowed (did "
            "you mean 'on_confirmation'?); expected one of: immediate, on_confirmation");
}

TEST(ParseRulesTest, UnknownServiceOrderListsTheAllowedOnes) {
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  service_order: fifo\n"),
            "rules.yaml:3:18: defaults.service_order: 'fifo' is not allowed; expected one of: "
            "oldest_request_first, smallest_first");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  service_order: smallest-first\n"),
            "rules.yaml:3:18: defaults.service_order: 'smallest-first' is not allowed (did you "
            "mean 'smallest_first'?); expected one of: oldest_request_first, smallest_first");
}

TEST(ParseRulesTest, NewBooleanSettingsTakeOnlyTrueOrFalse) {
  struct Case {
    std::string key;
    int column;  // of the value
  };
  for (const Case& c : {Case{"allocate_surplus", 21}, Case{"reallocate_freed_stock", 27},
                        Case{"shrink_draft_po", 20}}) {
    const std::string at = "rules.yaml:3:" + std::to_string(c.column) + ": defaults." + c.key;
    EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  " + c.key + ": yes\n"),
              at + ": 'yes' is not accepted as a boolean; write true or false");
    EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  " + c.key + ": 1\n"),
              at + ": expected true or false, got '1'");
    EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  " + c.key + ": \"true\"\n"),
              at + ": expected true or false, got the quoted string 'true'");
  }
}

TEST(ParseRulesTest, ProblemsWithNewSettingsInARuleAreReportedAtOnce) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "rules:\n"
      "  - name: a\n"
      "    transfer_from_stores: [1, 1]\n"
      "    transfer_min_left: lots\n"
      "    transfer_allocation: on_arrival\n"
      "    service_order: Smallest_First\n"
      "    allocate_surplus: no\n"
      "    reallocate_freed_stock: \"false\"\n"
      "    shrink_draft_po: 0\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre(
          "rules.yaml:4:31: rules[0].transfer_from_stores[1]: '1' is listed twice (first at "
          "line 4)",
          "rules.yaml:5:24: rules[0].transfer_min_left: expected an integer, got 'lots'",
          "rules.yaml:6:26: rules[0].transfer_allocation: 'on_arrival' is not allowed; expected "
          "one of: immediate, on_confirmation",
          "rules.yaml:7:20: rules[0].service_order: 'Smallest_First' is not allowed (did you "
          "mean 'smallest_first'?); expected one of: oldest_request_first, smallest_first",
          "rules.yaml:8:23: rules[0].allocate_surplus: 'no' is not accepted as a boolean; write "
          "true or false",
          "rules.yaml:9:29: rules[0].reallocate_freed_stock: expected true or false, got the "
          "quoted string 'false'",
          "rules.yaml:10:22: rules[0].shrink_draft_po: expected true or false, got '0'"));
}

TEST(ParseRulesTest, EmptyValueIsReportedAtItsKey) {
  // yaml-cpp places an empty value at the next token; the problem must stay on the key's line.
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  on_request:\n  allocation: immediate\n"),
            "rules.yaml:3:3: defaults.on_request: expected a string, got an empty value");
}

TEST(ParseRulesTest, DuplicateRuleNamesAreReported) {
  EXPECT_EQ(OnlyProblem("version: 1\n"
                        "rules:\n"
                        "  - name: store-2\n"
                        "  - name: store-3\n"
                        "  - name: store-2\n"),
            "rules.yaml:5:11: rules[2].name: rule name 'store-2' is already used at line 3");
}

TEST(ParseRulesTest, RuleNamesMustBeValidAndNotReserved) {
  Loaded<RuleSet> loaded = Parse(
      "version: 1\n"
      "rules:\n"
      "  - name: store 2\n"
      "  - name: defaults\n"
      "  - name: contract\n"
      "  - name: ''\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre("rules.yaml:3:11: rules[0].name: 'store 2' is not a valid rule name; use "
                  "letters, digits, '_', '.' and '-' only",
                  "rules.yaml:4:11: rules[1].name: 'defaults' is reserved (the audit trail uses it "
                  "for decisions no rule made); choose another name",
                  "rules.yaml:5:11: rules[2].name: 'contract' is reserved (the audit trail uses it "
                  "for decisions no rule made); choose another name",
                  "rules.yaml:6:11: rules[3].name: must not be empty"));
}

TEST(ParseRulesTest, MissingRequiredKeyPointsAtTheParentMapping) {
  Loaded<RuleSet> loaded = Parse(
      "# no version\n"
      "rules:\n"
      "  - match: {stores: [1]}\n"
      "    on_request: wait\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(Messages(loaded), ElementsAre("rules.yaml:2:1: missing required key 'version'",
                                            "rules.yaml:3:5: rules[0]: missing required key "
                                            "'name'"));
}

TEST(ParseRulesTest, OnlyVersionOneIsRead) {
  EXPECT_EQ(OnlyProblem("version: 2\n"),
            "rules.yaml:1:10: version: unsupported version 2; this daemon reads version 1");
}

TEST(ParseRulesTest, RepeatedKeyIsReported) {
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults:\n  on_request: wait\n  on_request: order\n"),
            "rules.yaml:4:3: defaults: key 'on_request' is given twice (first at line 3)");
}

TEST(ParseRulesTest, YamlSyntaxErrorIsReportedAtItsPosition) {
  EXPECT_EQ(OnlyProblem("version: 1\nrules:\n  - name: [a\n"),
            "rules.yaml:4:1: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(OnlyProblem("version: 1\ndefaults: *missing\n"),
            "rules.yaml:2:11: YAML syntax error: the referenced anchor is not defined");
}

TEST(ParseRulesTest, EmptyFileIsReported) {
  EXPECT_EQ(OnlyProblem(""), "rules.yaml: the file is empty");
  EXPECT_EQ(OnlyProblem("# only a comment\n"), "rules.yaml: the file is empty");
}

TEST(ParseRulesTest, TopLevelMustBeAMapping) {
  EXPECT_EQ(OnlyProblem("- version: 1\n"),
            "rules.yaml:1:1: expected a mapping with keys among version, defaults, rules, got a "
            "list");
}

TEST(ParseRulesTest, SecondDocumentIsRefused) {
  EXPECT_EQ(OnlyProblem("version: 1\n---\nversion: 1\n"),
            "rules.yaml:2:1: a second YAML document; the file must hold exactly one");
}

TEST(LoadRulesFileTest, MissingFileIsReported) {
  Loaded<RuleSet> loaded = LoadRulesFile(Fixture("no_such_rules.yaml"));
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(Messages(loaded),
              ElementsAre(Fixture("no_such_rules.yaml") +
                          ": cannot read the rules file: No such file or directory"));
}

TEST(LoadRulesFileTest, DirectoryIsReported) {
  Loaded<RuleSet> loaded = LoadRulesFile(Fixture(""));
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(Messages(loaded),
              ElementsAre(HasSubstr("cannot read the rules file: is a directory")));
}

TEST(ProblemTest, ToStringUsesOneBasedPositionsAndOmitsAnUnknownOne) {
  EXPECT_EQ((Problem{.file = "a.yaml", .line = 3, .column = 7, .message = "bad"}).ToString(),
            "a.yaml:3:7: bad");
  EXPECT_EQ((Problem{.file = "a.yaml", .message = "missing"}).ToString(), "a.yaml: missing");
}

// --- Example files ---

TEST(ExampleFilesTest, RulesExampleIsValid) {
  Loaded<RuleSet> loaded = LoadRulesFile(Example("rules.example.yaml"));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  ASSERT_THAT(loaded.value->rules(), SizeIs(4));
  // The defaults block lists every key at its built-in default.
  const Settings built_in;
  const Settings& d = loaded.value->defaults();
  EXPECT_EQ(d.on_request, built_in.on_request);
  EXPECT_EQ(d.vendor_choice, built_in.vendor_choice);
  EXPECT_EQ(d.attach_po_statuses, built_in.attach_po_statuses);
  EXPECT_EQ(d.allocation, built_in.allocation);
  EXPECT_EQ(d.status_after_allocation, built_in.status_after_allocation);
  EXPECT_EQ(d.allow_positive_open_stock, built_in.allow_positive_open_stock);
  EXPECT_EQ(d.transfer_from_stores, built_in.transfer_from_stores);
  EXPECT_EQ(d.transfer_min_left, built_in.transfer_min_left);
  EXPECT_EQ(d.transfer_allocation, built_in.transfer_allocation);
  EXPECT_EQ(d.service_order, built_in.service_order);
  EXPECT_EQ(d.allocate_surplus, built_in.allocate_surplus);
  EXPECT_EQ(d.reallocate_freed_stock, built_in.reallocate_freed_stock);
  EXPECT_EQ(d.shrink_draft_po, built_in.shrink_draft_po);
  EXPECT_EQ(d.overdue_grace_days, built_in.overdue_grace_days);
  EXPECT_EQ(d.pickup_reminder_days, built_in.pickup_reminder_days);
  EXPECT_EQ(d.pickup_deadline_days, built_in.pickup_deadline_days);

  const Rule& first = loaded.value->rules()[0];
  EXPECT_EQ(first.name, "downtown-asks-harbour-first");
  EXPECT_THAT(first.match.stores, ElementsAre(1));
  EXPECT_THAT(first.match.vendors, IsEmpty());
  EXPECT_THAT(first.match.products, IsEmpty());
  EXPECT_THAT(first.settings.transfer_from_stores, ElementsAre(2));
  EXPECT_EQ(first.settings.transfer_min_left, 1);
  EXPECT_THAT(first.settings.pickup_reminder_days, ElementsAre(3, 7));
  EXPECT_EQ(loaded.value->rules()[1].name, "store-2-waits-for-back-office");
  EXPECT_EQ(loaded.value->rules()[2].name, "garden-furniture-cheapest");
  EXPECT_EQ(loaded.value->rules()[3].name, "store-5-bike-assembly");
}

TEST(ExampleFilesTest, DaemonExampleAndTheRulesItNamesAreValid) {
  Loaded<DaemonConfig> loaded = LoadDaemonConfig(Example("special-ordersd.example.yaml"));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  EXPECT_TRUE(std::filesystem::equivalent(loaded.value->rules_file, Example("rules.example.yaml")));
  EXPECT_THAT(loaded.value->rules.rules(), SizeIs(4));
}

// --- Daemon config ---

TEST(LoadDaemonConfigTest, MinimalFileTakesEveryDefault) {
  Loaded<DaemonConfig> loaded = LoadDaemonConfig(Fixture("daemon_minimal.yaml"));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  const DaemonConfig& c = *loaded.value;
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(c.bus.subscribe, "tcp://127.0.0.1:5556");
  EXPECT_EQ(c.bus.publish, "tcp://127.0.0.1:5557");
  EXPECT_EQ(c.bus.source, std::string("special-ordersd@") + host);
  EXPECT_EQ(c.bus.receive_high_water_mark, 10000);
  EXPECT_EQ(c.bus.receive_queue_bytes, size_t{32} << 20);
  EXPECT_EQ(c.bus.heartbeat_interval_ms, 2000);
  EXPECT_EQ(c.database.host, "localhost");
  EXPECT_EQ(c.database.port, 3306);
  EXPECT_EQ(c.database.socket, "");
  EXPECT_EQ(c.database.user, "special_ordersd");
  EXPECT_EQ(c.database.password, "");
  EXPECT_EQ(c.database.name, "pos");
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_EQ(c.log_summary_interval_s, 10);
  EXPECT_EQ(c.recorder.retention_days, 14);
  EXPECT_EQ(c.recorder.max_mb, 1024);
  EXPECT_TRUE(c.reconcile.on_start);
  EXPECT_EQ(c.reconcile.interval_s, 300);
  EXPECT_EQ(c.reconcile.batch, 500);
  EXPECT_EQ(c.clock.interval_s, 60);
  EXPECT_EQ(c.batch.max_messages, 1024);
  EXPECT_EQ(c.metrics.listen, "");  // no HTTP endpoint
  EXPECT_EQ(c.rules_file, Fixture("rules_minimal.yaml"));
  EXPECT_EQ(c.rules.version(), LoadRulesFile(Fixture("rules_minimal.yaml")).value->version());
}

TEST(LoadDaemonConfigTest, EverySettingIsParsed) {
  Loaded<DaemonConfig> loaded = LoadDaemonConfig(Fixture("daemon_all_keys.yaml"));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  const DaemonConfig& c = *loaded.value;
  EXPECT_EQ(c.bus.subscribe, "ipc:///run/pos/events.sock");
  EXPECT_EQ(c.bus.publish, "tcp://*:6001");
  EXPECT_EQ(c.bus.source, "special-ordersd-store-hq");
  EXPECT_EQ(c.bus.receive_high_water_mark, 250000);
  EXPECT_EQ(c.bus.receive_queue_bytes, size_t{8} << 20);
  EXPECT_EQ(c.bus.heartbeat_interval_ms, 0);
  EXPECT_EQ(c.database.host, "db.store.example");
  EXPECT_EQ(c.database.port, 3307);
  EXPECT_EQ(c.database.socket, "/run/mysqld/mysqld.sock");
  EXPECT_EQ(c.database.user, "so_daemon");
  EXPECT_EQ(c.database.password, "s3cret-from-file");
  EXPECT_EQ(c.database.name, "pos_live");
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_EQ(c.log_summary_interval_s, 60);
  EXPECT_FALSE(c.reconcile.on_start);
  EXPECT_EQ(c.reconcile.interval_s, 0);
  EXPECT_EQ(c.reconcile.batch, 50);
  EXPECT_EQ(c.clock.interval_s, 900);
  EXPECT_EQ(c.batch.max_messages, 64);
  EXPECT_EQ(c.metrics.listen, "[::1]:9465");
  EXPECT_EQ(c.metrics.address, "::1");
  EXPECT_EQ(c.metrics.port, 9465);
  EXPECT_EQ(c.recorder.retention_days, 3);
  EXPECT_EQ(c.recorder.max_mb, 64);
  EXPECT_EQ(c.rules_file, Fixture("rules_every_setting.yaml"));
  EXPECT_EQ(c.rules.defaults().on_request, OnRequest::kWait);
}

TEST(LoadDaemonConfigTest, RulesFileIsResolvedFromTheConfigDirectoryNotTheWorkingOne) {
  std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(std::string(SO_SOURCE_DIR) + "/tests");
  Loaded<DaemonConfig> loaded = LoadDaemonConfig("fixtures/config/daemon_minimal.yaml");
  std::filesystem::current_path(before);
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  // Absolute, so that a reload after a change of working directory finds the same file.
  EXPECT_TRUE(std::filesystem::path(loaded.value->rules_file).is_absolute());
  EXPECT_TRUE(std::filesystem::equivalent(loaded.value->rules_file, Fixture("rules_minimal.yaml")));
}

TEST(LoadDaemonConfigTest, PasswordFileGivesItsFirstLineWithoutTheLineEnding) {
  ScratchDir dir;
  dir.Write("password", "crlf-secret\r\nnot this\n");
  std::string config = dir.Write("d.yaml", DaemonYaml("  password_file: password\n"));
  Loaded<DaemonConfig> loaded = LoadDaemonConfig(config);
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  EXPECT_EQ(loaded.value->database.password, "crlf-secret");
}

TEST(LoadDaemonConfigTest, UnreadableOrEmptyPasswordFileIsReported) {
  ScratchDir dir;
  dir.Write("empty", "\nsecond line\n");
  std::string missing = dir.Write("a.yaml", DaemonYaml("  password_file: nowhere\n"));
  std::string empty = dir.Write("b.yaml", DaemonYaml("  password_file: empty\n"));
  EXPECT_THAT(Messages(LoadDaemonConfig(missing)),
              ElementsAre(missing +
                          ":7:18: database.password_file: cannot read the password "
                          "file '" +
                          (dir.path() / "nowhere").string() + "': No such file or directory"));
  EXPECT_THAT(Messages(LoadDaemonConfig(empty)),
              ElementsAre(empty +
                          ":7:18: database.password_file: the first line of the "
                          "password file '" +
                          (dir.path() / "empty").string() + "' is empty"));
}

// yaml-cpp 0.7.0's LoadAll loops on these until memory runs out; found by the rules fuzzer.
TEST(ParseRulesTest, InputsThatMadeYamlCppLoopAreReportedNotFatal) {
  for (const char* text : {",", "! a\n?\n"}) {
    Loaded<RuleSet> loaded = ParseRules(text, "rules.yaml");
    EXPECT_FALSE(loaded.ok()) << text;
    EXPECT_FALSE(loaded.problems.empty()) << text;
  }
}

TEST(LoadDaemonConfigTest, BadReconcileKeysAreEachReported) {
  const std::string file = Fixture("daemon_bad_reconcile.yaml");
  const auto messages = Messages(LoadDaemonConfig(file));
  ASSERT_EQ(messages.size(), 4u) << ::testing::PrintToString(messages);
  EXPECT_THAT(messages[0], ::testing::StartsWith(file + ":10:13:"));
  EXPECT_THAT(messages[1], ::testing::StartsWith(file + ":11:15:"));
  EXPECT_THAT(messages[2], ::testing::StartsWith(file + ":12:10:"));
  EXPECT_THAT(messages[3], ::testing::StartsWith(file + ":13:3:"));
}

TEST(LoadDaemonConfigTest, ClockIntervalIsZeroToADay) {
  ScratchDir dir;
  for (int interval_s : {0, 1, 86400}) {
    Loaded<DaemonConfig> loaded = LoadDaemonConfig(dir.Write(
        "d.yaml", DaemonYaml("", "clock:\n  interval_s: " + std::to_string(interval_s) + "\n")));
    ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
    EXPECT_EQ(loaded.value->clock.interval_s, interval_s);
  }
  const auto problems = [&](std::string_view clock) {
    return Messages(LoadDaemonConfig(dir.Write("d.yaml", DaemonYaml("", clock))));
  };
  const std::string file = (dir.path() / "d.yaml").string();
  EXPECT_THAT(problems("clock:\n  interval_s: -1\n"),
              ElementsAre(file + ":9:15: clock.interval_s: -1 is out of range; expected 0..86400"));
  EXPECT_THAT(
      problems("clock:\n  interval_s: 86401\n"),
      ElementsAre(file + ":9:15: clock.interval_s: 86401 is out of range; expected 0..86400"));
  EXPECT_THAT(problems("clock:\n  interval_s: 1m\n"),
              ElementsAre(file + ":9:15: clock.interval_s: expected an integer, got '1m'"));
  EXPECT_THAT(
      problems("clock:\n  interval: 60\n"),
      ElementsAre(file + ":9:3: clock: unknown key 'interval' (did you mean 'interval_s'?); "
                         "allowed keys: interval_s"));
  EXPECT_THAT(problems("clock: 60\n"),
              ElementsAre(file + ":8:8: clock: expected a mapping with keys among interval_s, got "
                                 "'60'"));
}

TEST(LoadDaemonConfigTest, PasswordAndPasswordFileTogetherAreRefused) {
  const std::string file = Fixture("daemon_password_and_password_file.yaml");
  EXPECT_THAT(Messages(LoadDaemonConfig(file)),
              ElementsAre(file + ":8:3: database: give either password or password_file, not "
                                 "both"));
}

TEST(LoadDaemonConfigTest, MissingRequiredKeysAreReportedAtTheMappingThatLacksThem) {
  const std::string file = Fixture("daemon_missing_required_keys.yaml");
  Loaded<DaemonConfig> loaded = LoadDaemonConfig(file);
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(Messages(loaded), ElementsAre(file + ":2:1: bus: missing required key 'publish'",
                                            file + ":2:1: missing required key 'rules_file'",
                                            file + ":4:1: database: missing required key 'user'",
                                            file + ":4:1: database: missing required key 'name'"));
}

TEST(LoadDaemonConfigTest, MissingRulesFileIsReportedAtTheLineThatNamesIt) {
  const std::string file = Fixture("daemon_missing_rules_file.yaml");
  EXPECT_THAT(Messages(LoadDaemonConfig(file)),
              ElementsAre(file + ":8:13: rules_file: cannot read the rules file '" +
                          Fixture("no_such_rules.yaml") + "': No such file or directory"));
}

TEST(LoadDaemonConfigTest, ProblemsOfBothFilesAreReportedEachWithItsFile) {
  const std::string file = Fixture("daemon_problems_in_both_files.yaml");
  Loaded<DaemonConfig> loaded = LoadDaemonConfig(file);
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(
      Messages(loaded),
      ElementsAre(
          file + ":5:28: bus.receive_high_water_mark: 0 is out of range; expected 1..10000000",
          file + ":10:12: log_level: 'verbose' is not allowed; expected one of: debug, info, "
                 "warning, error",
          Fixture("rules_unknown_key_in_rule.yaml") +
              ":7:5: rules[0]: unknown key "
              "'on_requst' (did you mean 'on_request'?); "
              "allowed keys: name, match, on_request, "
              "vendor_choice, attach_po_statuses, "
              "allocation, status_after_allocation, "
              "allow_positive_open_stock, "
              "transfer_from_stores, transfer_min_left, "
              "transfer_days, transfer_allocation, service_order, "
              "allocate_surplus, "
              "reallocate_freed_stock, shrink_draft_po, priority, overdue_grace_days, "
              "pickup_reminder_days, pickup_deadline_days"));
}

TEST(LoadDaemonConfigTest, BadValuesAreReported) {
  ScratchDir dir;
  std::string file = dir.Write("d.yaml",
                               "bus:\n"
                               "  subscribe: 127.0.0.1:5556\n"
                               "  publish: udp://127.0.0.1:5557\n"
                               "  source: ''\n"
                               "  heartbeat_interval_ms: -1\n"
                               "database:\n"
                               "  host: db\n"
                               "  port: 70000\n"
                               "  user: special_ordersd\n"
                               "  name: pos\n"
                               "  pasword: x\n"
                               "rules_file: " +
                                   Fixture("rules_minimal.yaml") +
                                   "\n"
                                   "log_level: INFO\n");
  EXPECT_THAT(
      Messages(LoadDaemonConfig(file)),
      ElementsAre(
          file + ":2:14: bus.subscribe: '127.0.0.1:5556' is not a ZeroMQ endpoint; expected "
                 "transport://address with transport one of: tcp, ipc, inproc",
          file + ":3:12: bus.publish: 'udp://127.0.0.1:5557' is not a ZeroMQ endpoint; expected "
                 "transport://address with transport one of: tcp, ipc, inproc",
          file + ":4:11: bus.source: must not be empty",
          file + ":5:26: bus.heartbeat_interval_ms: -1 is out of range; expected 0..3600000",
          file + ":8:9: database.port: 70000 is out of range; expected 1..65535",
          file + ":11:3: database: unknown key 'pasword' (did you mean 'password'?); allowed "
                 "keys: host, port, socket, hosts, user, password, password_file, name, "
                 "connect_timeout_s",
          file + ":13:12: log_level: 'INFO' is not allowed (did you mean 'info'?); expected one "
                 "of: debug, info, warning, error"));
}

TEST(LoadDaemonConfigTest, ReceiveQueueAndBatchBoundsAreChecked) {
  ScratchDir dir;
  std::string file = dir.Write("d.yaml",
                               "bus:\n"
                               "  subscribe: tcp://127.0.0.1:5556\n"
                               "  publish: tcp://127.0.0.1:5557\n"
                               "  receive_queue_bytes: 1000\n"
                               "database:\n"
                               "  user: special_ordersd\n"
                               "  name: pos\n"
                               "rules_file: " +
                                   Fixture("rules_minimal.yaml") +
                                   "\n"
                                   "batch:\n"
                                   "  max_messages: 0\n"
                                   "  max_bytes: 10\n");
  EXPECT_THAT(
      Messages(LoadDaemonConfig(file)),
      ElementsAre(file + ":4:24: bus.receive_queue_bytes: 1000 is out of range; expected "
                         "1048576..17179869184",
                  file + ":10:17: batch.max_messages: 0 is out of range; expected 1..10000",
                  file + ":11:3: batch: unknown key 'max_bytes'; allowed keys: max_messages"));
}

TEST(LoadDaemonConfigTest, MetricsListenIsAnAddressLiteralAndAPort) {
  ScratchDir dir;
  const auto listen = [&](const std::string& value) {
    return LoadDaemonConfig(
        dir.Write("d.yaml", DaemonYaml("", "metrics:\n  listen: \"" + value + "\"\n")));
  };
  Loaded<DaemonConfig> v4 = listen("127.0.0.1:9464");
  ASSERT_TRUE(v4.ok()) << ::testing::PrintToString(Messages(v4));
  EXPECT_EQ(v4.value->metrics.address, "127.0.0.1");
  EXPECT_EQ(v4.value->metrics.port, 9464);
  const std::string expected = "; expected address:port, e.g. 127.0.0.1:9464 or [::1]:9464";
  const std::string at = dir.path().string() + "/d.yaml:9:11: metrics.listen: '";
  EXPECT_THAT(Messages(listen("localhost:9464")),
              ElementsAre(at +
                          "localhost:9464' is not an address to listen on: not an IPv4 "
                          "address (IPv6 goes in brackets)" +
                          expected));
  EXPECT_THAT(Messages(listen("127.0.0.1")),
              ElementsAre(at + "127.0.0.1' is not an address to listen on: no port" + expected));
  EXPECT_THAT(Messages(listen("127.0.0.1:0")),
              ElementsAre(at +
                          "127.0.0.1:0' is not an address to listen on: the port must be "
                          "1..65535" +
                          expected));
  EXPECT_THAT(Messages(listen("127.0.0.1:65536")),
              ElementsAre(at +
                          "127.0.0.1:65536' is not an address to listen on: the port must "
                          "be 1..65535" +
                          expected));
  EXPECT_THAT(Messages(listen("::1:9464")),
              ElementsAre(at +
                          "::1:9464' is not an address to listen on: not an IPv4 address "
                          "(IPv6 goes in brackets)" +
                          expected));
  EXPECT_THAT(Messages(listen("[127.0.0.1]:9464")),
              ElementsAre(at +
                          "[127.0.0.1]:9464' is not an address to listen on: not an IPv6 "
                          "address" +
                          expected));
  EXPECT_THAT(
      Messages(LoadDaemonConfig(dir.Write("d.yaml", DaemonYaml("", "metrics:\n  port: 9464\n")))),
      ElementsAre(dir.path().string() +
                  "/d.yaml:9:3: metrics: unknown key 'port'; allowed keys: listen"));
}

TEST(LoadDaemonConfigTest, MissingConfigFileIsReported) {
  Loaded<DaemonConfig> loaded = LoadDaemonConfig(Fixture("no_such_config.yaml"));
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(Messages(loaded),
              ElementsAre(Fixture("no_such_config.yaml") +
                          ": cannot read the config file: No such file or directory"));
}

TEST(LoadDaemonConfigTest, LogLevelNamesRoundTrip) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    ScratchDir dir;
    std::string file =
        dir.Write("d.yaml", DaemonYaml("", "log_level: " + std::string(ToString(level)) + "\n"));
    Loaded<DaemonConfig> loaded = LoadDaemonConfig(file);
    ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
    EXPECT_EQ(loaded.value->log_level, level);
  }
}

// --- Clusters: database.hosts, stores and partition ---

TEST(LoadDaemonConfigTest, HostsListsEveryNodeInOrder) {
  ScratchDir dir;
  const std::string config = dir.Write(
      "d.yaml", DaemonYaml("  hosts: [10.0.0.2:3307, db-3, '[fd00::4]:3309', /run/n5.sock]\n"
                           "  connect_timeout_s: 2\n"));
  Loaded<DaemonConfig> loaded = LoadDaemonConfig(config);
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  const auto& hosts = loaded.value->database.hosts;
  ASSERT_EQ(hosts.size(), 4u);
  EXPECT_EQ(std::tie(hosts[0].host, hosts[0].port, hosts[0].socket),
            std::make_tuple(std::string("10.0.0.2"), 3307, std::string()));
  EXPECT_EQ(std::tie(hosts[1].host, hosts[1].port), std::make_tuple(std::string("db-3"), 3306));
  EXPECT_EQ(std::tie(hosts[2].host, hosts[2].port), std::make_tuple(std::string("fd00::4"), 3309));
  EXPECT_EQ(hosts[3].socket, "/run/n5.sock");
  EXPECT_EQ(loaded.value->database.connect_timeout_s, 2);
}

TEST(LoadDaemonConfigTest, WithoutHostsThereIsNoListAndTheTimeoutIsFiveSeconds) {
  ScratchDir dir;
  Loaded<DaemonConfig> loaded = LoadDaemonConfig(dir.Write("d.yaml", DaemonYaml()));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  EXPECT_TRUE(loaded.value->database.hosts.empty());
  EXPECT_EQ(loaded.value->database.connect_timeout_s, 5);
  EXPECT_TRUE(loaded.value->scope.all());
}

TEST(LoadDaemonConfigTest, BadHostsAreEachReported) {
  ScratchDir dir;
  const std::string config = dir.Write(
      "d.yaml", DaemonYaml("  host: 127.0.0.1\n"
                           "  hosts: [a:0, 'b:', ':3306', fd00::1, '[fd00::1', a:1, a:1]\n"
                           "  connect_timeout_s: 0\n"));
  const std::string expected =
      "; expected host:port (e.g. 10.0.0.2:3306, [fd00::2]:3306), a host "
      "(port 3306) or a socket path starting with /";
  EXPECT_THAT(
      Messages(LoadDaemonConfig(config)),
      ElementsAre(
          config + ":7:3: database: give either hosts or host, not both (hosts lists every node, "
                   "each with its port)",
          config +
              ":8:11: database.hosts[0]: 'a:0' is not a database node: the port must be "
              "1..65535" +
              expected,
          config +
              ":8:16: database.hosts[1]: 'b:' is not a database node: no port after :" + expected,
          config + ":8:22: database.hosts[2]: ':3306' is not a database node: no host before :" +
              expected,
          config +
              ":8:31: database.hosts[3]: 'fd00::1' is not a database node: an IPv6 address "
              "goes in []" +
              expected,
          config + ":8:40: database.hosts[4]: '[fd00::1' is not a database node: no closing ]" +
              expected,
          config + ":8:57: database.hosts[6]: 'a:1' is listed twice",
          config + ":9:22: database.connect_timeout_s: 0 is out of range; expected 1..60"));
}

TEST(LoadDaemonConfigTest, StoresAreReadSorted) {
  ScratchDir dir;
  Loaded<DaemonConfig> loaded =
      LoadDaemonConfig(dir.Write("d.yaml", DaemonYaml("", "stores: [7, 2, 31]\n")));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  EXPECT_EQ(loaded.value->scope.stores, (std::vector<Id>{2, 7, 31}));
  EXPECT_EQ(loaded.value->scope.partition_count, 0);
}

TEST(LoadDaemonConfigTest, PartitionIsReadWithItsIndexAndCount) {
  ScratchDir dir;
  Loaded<DaemonConfig> loaded =
      LoadDaemonConfig(dir.Write("d.yaml", DaemonYaml("", "partition: {index: 2, count: 3}\n")));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(Messages(loaded));
  EXPECT_EQ(loaded.value->scope.partition_index, 2);
  EXPECT_EQ(loaded.value->scope.partition_count, 3);
  EXPECT_TRUE(loaded.value->scope.stores.empty());
}

TEST(LoadDaemonConfigTest, BadStoresAndPartitionsAreReported) {
  ScratchDir dir;
  const std::string both =
      dir.Write("a.yaml", DaemonYaml("", "stores: [1]\npartition: {index: 0, count: 2}\n"));
  EXPECT_THAT(Messages(LoadDaemonConfig(both)),
              ElementsAre(both + ":9:1: give either stores or partition, not both"));
  const std::string index =
      dir.Write("b.yaml", DaemonYaml("", "partition: {index: 3, count: 3}\n"));
  EXPECT_THAT(Messages(LoadDaemonConfig(index)),
              ElementsAre(index + ":8:20: partition.index: the index must be below count (0..2)"));
  const std::string missing = dir.Write("c.yaml", DaemonYaml("", "partition: {count: 3}\n"));
  EXPECT_THAT(Messages(LoadDaemonConfig(missing)),
              ElementsAre(missing + ":8:1: partition: missing required key 'index'"));
  const std::string stores = dir.Write("d.yaml", DaemonYaml("", "stores: [1, 0, 1]\n"));
  EXPECT_THAT(Messages(LoadDaemonConfig(stores)),
              ElementsAre(stores + ":8:13: stores[1]: 0 is out of range; expected a positive "
                                   "integer",
                          stores + ":8:16: stores[2]: '1' is listed twice (first at line 8)"));
}

}  // namespace
}  // namespace so::config
