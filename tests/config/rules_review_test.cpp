#include "config/rules_review.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace so::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

OutlinedRules Outlined(std::string_view yaml) {
  Loaded<OutlinedRules> loaded = ParseRulesOutlined(yaml, "rules.yaml");
  for (const Problem& p : loaded.problems) ADD_FAILURE() << p.ToString();
  return loaded.ok() ? std::move(*loaded.value) : OutlinedRules{};
}

std::vector<std::string> Lines(const std::vector<Problem>& problems) {
  std::vector<std::string> out;
  for (const Problem& p : problems) out.push_back(p.ToString());
  return out;
}

// The shadowing warnings of the rules file `yaml`.
std::vector<std::string> Shadowed(std::string_view yaml) {
  const OutlinedRules r = Outlined(yaml);
  return Lines(FindShadowedRules(r.rules, r.outline));
}

TEST(RulesReviewTest, NarrowRuleAfterABroadOneIsNamedAtItsLineWithTheRuleThatWins) {
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: store-1\n"
                       "    match: { stores: [1] }\n"
                       "    on_request: wait\n"
                       "  - name: store-1-chairs\n"
                       "    match: { stores: [1], products: [100] }\n"),
              ElementsAre("rules.yaml:6:5: warning: rules[1]: rule 'store-1-chairs' can never "
                          "match: rule 'store-1' (line 3) comes first and matches everything it "
                          "matches"));
}

TEST(RulesReviewTest, RuleWithoutMatchShadowsEveryRuleAfterIt) {
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: everything\n"
                       "    on_request: wait\n"
                       "  - name: store-1\n"
                       "    match: { stores: [1] }\n"
                       "  - name: vendor-10\n"
                       "    match: { vendors: [10] }\n"),
              ElementsAre(::testing::HasSubstr(":5:5: warning: rules[1]: rule 'store-1' can "
                                               "never match: rule 'everything' (line 3)"),
                          ::testing::HasSubstr(":7:5: warning: rules[2]: rule 'vendor-10' can "
                                               "never match: rule 'everything' (line 3)")));
}

TEST(RulesReviewTest, SameMatchAndSubsetOfEveryListAreShadowed) {
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: a\n"
                       "    match: { stores: [1, 2, 3], vendors: [10, 11], products: [5, 6] }\n"
                       "  - name: same\n"
                       "    match: { stores: [3, 2, 1], vendors: [11, 10], products: [6, 5] }\n"
                       "  - name: subset\n"
                       "    match: { stores: [2], vendors: [11], products: 6 }\n"),
              ElementsAre(::testing::HasSubstr("rule 'same' can never match: rule 'a'"),
                          ::testing::HasSubstr("rule 'subset' can never match: rule 'a'")));
}

TEST(RulesReviewTest, OnlyTheFirstRuleThatWinsIsNamed) {
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: a\n"
                       "    match: { stores: [1] }\n"
                       "  - name: b\n"
                       "    match: { stores: [1] }\n"
                       "  - name: c\n"
                       "    match: { stores: [1], products: [7] }\n"),
              ElementsAre(::testing::HasSubstr("rule 'b' can never match: rule 'a'"),
                          ::testing::HasSubstr("rule 'c' can never match: rule 'a'")));
}

TEST(RulesReviewTest, LaterRuleThatMatchesMoreInOneListIsNotShadowed) {
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: stores-1-2\n"
                       "    match: { stores: [1, 2] }\n"
                       "  - name: stores-2-3\n"  // store 3 reaches it
                       "    match: { stores: [2, 3] }\n"
                       "  - name: store-1-chairs\n"
                       "    match: { stores: [1], products: [100] }\n"  // shadowed
                       "  - name: chairs\n"  // chairs at stores other than 1, 2, 3
                       "    match: { products: [100] }\n"),
              ElementsAre(::testing::HasSubstr("rule 'store-1-chairs' can never match")));
}

TEST(RulesReviewTest, NarrowRulesBeforeBroadOnesGiveNoWarning) {
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: store-1-chairs\n"
                       "    match: { stores: [1], products: [100] }\n"
                       "  - name: store-1\n"
                       "    match: { stores: [1] }\n"
                       "  - name: everything-else\n"
                       "    on_request: wait\n"),
              IsEmpty());
}

TEST(RulesReviewTest, ListLeftOutInTheLaterRuleIsNotCoveredByAnEarlierList) {
  // Every store the later rule matches but store 1 escapes the earlier one.
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: store-1-chairs\n"
                       "    match: { stores: [1], products: [100] }\n"
                       "  - name: chairs\n"
                       "    match: { products: [100] }\n"),
              IsEmpty());
}

// A rule naming vendors never matches a decision without a vendor (a product without a primary
// vendor, a transfer-sourced special order), so a later rule without `vendors` still decides
// those, however many vendors the earlier rule names.
TEST(RulesReviewTest, RuleWithoutVendorsAfterARuleNamingVendorsIsNotShadowed) {
  const OutlinedRules r = Outlined(
      "version: 1\n"
      "rules:\n"
      "  - name: acme-and-budget\n"
      "    match: { stores: [1], vendors: [10, 11] }\n"
      "  - name: store-1\n"
      "    match: { stores: [1] }\n");
  EXPECT_THAT(Lines(FindShadowedRules(r.rules, r.outline)), IsEmpty());
  EXPECT_EQ(r.rules
                .Select({.store_id = 1,
                         .product_id = 5,
                         .vendor_id = std::nullopt,
                         .customer_id = std::nullopt})
                .rule,
            "store-1");
  EXPECT_EQ(
      r.rules.Select({.store_id = 1, .product_id = 5, .vendor_id = 10, .customer_id = std::nullopt})
          .rule,
      "acme-and-budget");
}

// The other way round it is: the later rule matches only decisions with vendor 10, and the
// earlier rule matches every decision, with a vendor or without.
TEST(RulesReviewTest, RuleNamingVendorsAfterARuleWithoutVendorsIsShadowed) {
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: store-1\n"
                       "    match: { stores: [1] }\n"
                       "  - name: store-1-acme\n"
                       "    match: { stores: [1], vendors: [10] }\n"
                       "  - name: acme-and-budget\n"
                       "    match: { vendors: [10, 11] }\n"
                       "  - name: acme-chairs\n"
                       "    match: { vendors: [10], products: [100] }\n"),
              ElementsAre(::testing::HasSubstr("rule 'store-1-acme' can never match: rule "
                                               "'store-1'"),
                          ::testing::HasSubstr("rule 'acme-chairs' can never match: rule "
                                               "'acme-and-budget' (line 7)")));
}

// As for vendors: a queue's decision has no customer, which only a rule without `customers`
// matches, so a rule naming customers never shadows one without them; the other way round it does.
TEST(RulesReviewTest, CustomersCoverAsVendorsDo) {
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: trade\n"
                       "    match: { stores: [1], customers: [7001, 7002] }\n"
                       "  - name: store-1\n"
                       "    match: { stores: [1] }\n"
                       "  - name: trade-chairs\n"
                       "    match: { stores: [1], customers: [7002], products: [100] }\n"
                       "  - name: one-trade-customer\n"
                       "    match: { customers: [7001] }\n"),
              ElementsAre(::testing::HasSubstr("rule 'trade-chairs' can never match: rule "
                                               "'trade' (line 3)")));
}

// Stores 1 and 2 together cover the third rule, but no single earlier rule does: not reported
// (documented).
TEST(RulesReviewTest, RuleCoveredOnlyByTwoEarlierRulesTogetherIsNotReported) {
  EXPECT_THAT(Shadowed("version: 1\n"
                       "rules:\n"
                       "  - name: store-1\n"
                       "    match: { stores: [1] }\n"
                       "  - name: store-2\n"
                       "    match: { stores: [2] }\n"
                       "  - name: stores-1-2\n"
                       "    match: { stores: [1, 2] }\n"),
              IsEmpty());
}

TEST(RulesReviewTest, ExampleRulesFileHasNoShadowedRule) {
  Loaded<OutlinedRules> loaded =
      LoadRulesFileOutlined(std::string(SO_SOURCE_DIR) + "/config/rules.example.yaml");
  ASSERT_TRUE(loaded.ok());
  EXPECT_THAT(Lines(FindShadowedRules(loaded.value->rules, loaded.value->outline)), IsEmpty());
}

constexpr std::string_view kIdsYaml =
    "version: 1\n"
    "defaults:\n"
    "  transfer_from_stores: [7, 8]\n"
    "rules:\n"
    "  - name: a\n"
    "    match: { stores: 4, vendors: [10] }\n"
    "    transfer_from_stores: []\n"
    "  - name: b\n"
    "    match:\n"
    "      products: [100, 101]\n"
    "      stores: [4]\n"
    "      customers: [7001, 7002]\n"
    "    transfer_from_stores: 7\n";

std::string Show(const NamedId& n) {
  const char* kinds[] = {"store", "vendor", "product", "customer"};
  return std::string(kinds[static_cast<int>(n.kind)]) + " " + std::to_string(n.id) + " " +
         std::to_string(n.line) + ":" + std::to_string(n.column) + " " + n.path;
}

TEST(RulesReviewTest, OutlineNamesEveryIdWhereItIsWritten) {
  const OutlinedRules r = Outlined(kIdsYaml);
  std::vector<std::string> ids;
  for (const NamedId& n : r.outline.ids) ids.push_back(Show(n));
  EXPECT_THAT(ids, ElementsAre("store 7 3:26 defaults.transfer_from_stores[0]",
                               "store 8 3:29 defaults.transfer_from_stores[1]",
                               "store 4 6:22 rules[0].match.stores",
                               "vendor 10 6:35 rules[0].match.vendors[0]",
                               "store 4 11:16 rules[1].match.stores[0]",
                               "product 100 10:18 rules[1].match.products[0]",
                               "product 101 10:23 rules[1].match.products[1]",
                               "customer 7001 12:19 rules[1].match.customers[0]",
                               "customer 7002 12:25 rules[1].match.customers[1]",
                               "store 7 13:27 rules[1].transfer_from_stores"));
  ASSERT_EQ(r.outline.rules.size(), 2u);
  EXPECT_EQ(r.outline.rules[1].line, 8);
  EXPECT_EQ(r.outline.rules[1].column, 5);
  EXPECT_EQ(r.outline.file, "rules.yaml");
}

TEST(RulesReviewTest, NamedIdsAreTheDistinctIdsByTable) {
  const IdSets named = NamedIds(Outlined(kIdsYaml).outline);
  EXPECT_THAT(named.stores, ElementsAre(4, 7, 8));
  EXPECT_THAT(named.vendors, ElementsAre(10));
  EXPECT_THAT(named.products, ElementsAre(100, 101));
  EXPECT_THAT(named.customers, ElementsAre(7001, 7002));
}

TEST(RulesReviewTest, EachMentionOfAMissingIdIsAWarningAtTheId) {
  const OutlinedRules r = Outlined(kIdsYaml);
  const IdSets existing{.stores = {4, 8}, .vendors = {}, .products = {101}, .customers = {7002}};
  EXPECT_THAT(Lines(FindMissingIds(r.outline, existing)),
              ElementsAre("rules.yaml:3:26: warning: defaults.transfer_from_stores[0]: store 7 "
                          "does not exist (no row in stores)",
                          "rules.yaml:6:35: warning: rules[0].match.vendors[0]: vendor 10 does not "
                          "exist (no row in vendors)",
                          "rules.yaml:10:18: warning: rules[1].match.products[0]: product 100 "
                          "does not exist (no row in products)",
                          "rules.yaml:12:19: warning: rules[1].match.customers[0]: customer 7001 "
                          "does not exist (no row in customers)",
                          "rules.yaml:13:27: warning: rules[1].transfer_from_stores: store 7 does "
                          "not exist (no row in stores)"));
  const IdSets all{
      .stores = {4, 7, 8}, .vendors = {10}, .products = {100, 101}, .customers = {7001, 7002}};
  EXPECT_THAT(FindMissingIds(r.outline, all), IsEmpty());
}

TEST(RulesReviewTest, WarningWithoutPositionNamesTheFile) {
  EXPECT_EQ((Problem{.file = "a.yaml",
                     .line = 0,
                     .column = 0,
                     .message = "odd",
                     .severity = Problem::Severity::kWarning})
                .ToString(),
            "a.yaml: warning: odd");
}

TEST(RulesReviewTest, ParseRulesStillGivesTheSameRules) {
  Loaded<RuleSet> plain = ParseRules(kIdsYaml, "rules.yaml");
  ASSERT_TRUE(plain.ok());
  const OutlinedRules r = Outlined(kIdsYaml);
  EXPECT_EQ(plain.value->version(), r.rules.version());
  ASSERT_EQ(plain.value->rules().size(), 2u);
  EXPECT_EQ(plain.value->rules()[1].match.products, (std::vector<Id>{100, 101}));
  EXPECT_EQ(plain.value->rules()[1].settings.transfer_from_stores, (std::vector<Id>{7}));
  EXPECT_THAT(plain.value->rules()[0].settings.transfer_from_stores, IsEmpty());
}

TEST(RulesReviewTest, InvalidFileHasProblemsAndNoOutline) {
  Loaded<OutlinedRules> loaded = ParseRulesOutlined("version: 1\nrules: 3\n", "rules.yaml");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(Lines(loaded.problems),
              ElementsAre("rules.yaml:2:8: rules: expected a list of rules, got '3'"));
}

}  // namespace
}  // namespace so::config
