#include "rules/policy.hpp"

#include <gtest/gtest.h>

namespace so {
namespace {

MatchKey Key(Id store, Id product, std::optional<Id> vendor,
             std::optional<Id> customer = std::nullopt) {
  return MatchKey{store, product, vendor, customer};
}

Rule MakeRule(std::string name, Match m, OnRequest on_request) {
  Settings s;
  s.on_request = on_request;
  return Rule{std::move(name), std::move(m), s};
}

TEST(PolicyTest, FirstMatchingRuleWins) {
  RuleSet rules(Settings{},
                {MakeRule("store-2", Match{{2}, {}, {}, {}}, OnRequest::kWait),
                 MakeRule("product-100", Match{{}, {}, {100}, {}}, OnRequest::kOrder)},
                "v");
  EXPECT_EQ(rules.Select(Key(2, 100, std::nullopt)).rule, "store-2");
  EXPECT_EQ(rules.Select(Key(2, 100, std::nullopt)).settings.on_request, OnRequest::kWait);
  EXPECT_EQ(rules.Select(Key(1, 100, std::nullopt)).rule, "product-100");
  EXPECT_EQ(rules.Select(Key(1, 101, std::nullopt)).rule, "defaults");
}

TEST(PolicyTest, VendorRuleNeedsAKnownVendor) {
  RuleSet rules(Settings{}, {MakeRule("vendor-10", Match{{}, {10}, {}, {}}, OnRequest::kWait)},
                "v");
  EXPECT_EQ(rules.Select(Key(1, 100, 10)).rule, "vendor-10");
  EXPECT_EQ(rules.Select(Key(1, 100, 11)).rule, "defaults");
  EXPECT_EQ(rules.Select(Key(1, 100, std::nullopt)).rule, "defaults");
}

TEST(PolicyTest, CustomerRuleNeedsThatCustomer) {
  RuleSet rules(Settings{}, {MakeRule("trade", Match{{1}, {}, {}, {7001, 7002}}, OnRequest::kWait)},
                "v");
  EXPECT_EQ(rules.Select(Key(1, 100, std::nullopt, 7002)).rule, "trade");
  EXPECT_EQ(rules.Select(Key(1, 100, 10, 7001)).rule, "trade");
  EXPECT_EQ(rules.Select(Key(1, 100, std::nullopt, 7003)).rule, "defaults");
  EXPECT_EQ(rules.Select(Key(2, 100, std::nullopt, 7001)).rule, "defaults");
  // A queue's decision has no customer: the rule does not choose it.
  EXPECT_EQ(rules.Select(Key(1, 100, std::nullopt)).rule, "defaults");
}

TEST(PolicyTest, AllListsOfAMatchMustHold) {
  RuleSet rules(Settings{}, {MakeRule("both", Match{{1}, {}, {100, 101}, {}}, OnRequest::kWait)},
                "v");
  EXPECT_EQ(rules.Select(Key(1, 101, std::nullopt)).rule, "both");
  EXPECT_EQ(rules.Select(Key(2, 101, std::nullopt)).rule, "defaults");
  EXPECT_EQ(rules.Select(Key(1, 102, std::nullopt)).rule, "defaults");
}

}  // namespace
}  // namespace so
