// The order of service as explain shows it: who an arrival on a PO line or transfer serves first.
#include "rules/service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace so {
namespace {

constexpr Id kTradeCustomer = 8;

SpecialOrder OnLine(Id id, Id po_line, Qty quantity, int64_t requested_s, Qty allocated = 0) {
  SpecialOrder so;
  so.id = id;
  so.store_id = 1;
  so.customer_id = 7;
  so.product_id = 100;
  so.quantity = quantity;
  so.allocated_qty = allocated;
  so.status = allocated > 0 ? SoStatus::kInProgress : SoStatus::kOrdered;
  so.source = SoSource::kVendor;
  so.vendor_id = 10;
  so.po_id = 1;
  so.po_line_id = po_line;
  so.requested_at = Timestamp{requested_s * 1'000'000};
  return so;
}

std::vector<Id> Ids(const std::vector<SpecialOrder>& v) {
  std::vector<Id> ids;
  for (const auto& so : v) ids.push_back(so.id);
  return ids;
}

TEST(ServiceTest, OldestRequestFirstPutsEarlierRequestsOnTheSameLineAhead) {
  const RuleSet rules;
  const auto me = OnLine(3, 7, 2, 30);
  const std::vector<SpecialOrder> all = {OnLine(1, 7, 1, 10), OnLine(2, 8, 5, 5),
                                         OnLine(4, 7, 1, 40), me, OnLine(5, 7, 3, 20, 1)};
  const ServiceQueue q = QueueOf(rules, me, all);
  EXPECT_EQ(q.rule, "defaults");
  EXPECT_EQ(q.service_order, ServiceOrder::kOldestRequestFirst);
  // 2 waits on another line and 4 asked later; 1 (at 10 s) comes before 5 (at 20 s).
  EXPECT_THAT(Ids(q.ahead), ::testing::ElementsAre(1, 5));
  EXPECT_EQ(q.ahead_waiting, 1 + 2);
}

TEST(ServiceTest, SmallestFirstAsTheMatchingRuleSays) {
  Settings smallest;
  smallest.service_order = ServiceOrder::kSmallestFirst;
  const RuleSet rules(Settings{}, {Rule{"small-first", Match{{1}, {}, {}, {}}, smallest}}, "v");
  const auto me = OnLine(3, 7, 2, 30);
  const std::vector<SpecialOrder> all = {OnLine(1, 7, 4, 10), OnLine(4, 7, 1, 40), me,
                                         OnLine(6, 7, 2, 20)};
  const ServiceQueue q = QueueOf(rules, me, all);
  EXPECT_EQ(q.rule, "small-first");
  EXPECT_THAT(Ids(q.ahead), ::testing::ElementsAre(4, 6));
  EXPECT_EQ(q.ahead_waiting, 3);
}

SpecialOrder OfTradeCustomer(SpecialOrder so) {
  so.customer_id = kTradeCustomer;
  return so;
}

// The queue's own rule is `queue` (the defaults); the trade customer's rule gives priority 5.
RuleSet TradeFirst(Settings queue) {
  Settings trade = queue;
  trade.priority = 5;
  return RuleSet(queue, {Rule{"trade", Match{{}, {}, {}, {kTradeCustomer}}, trade}}, "v");
}

TEST(ServiceTest, HigherPriorityIsAheadOfAnEarlierRequest) {
  const RuleSet rules = TradeFirst(Settings{});
  const auto me = OnLine(3, 7, 2, 30);
  const std::vector<SpecialOrder> all = {OnLine(1, 7, 1, 10), OfTradeCustomer(OnLine(4, 7, 1, 40)),
                                         me, OnLine(5, 7, 1, 50)};
  const ServiceQueue q = QueueOf(rules, me, all);
  // The queue's rule is chosen without a customer.
  EXPECT_EQ(q.rule, "defaults");
  EXPECT_THAT(Ids(q.ahead), ::testing::ElementsAre(4, 1));
  EXPECT_THAT(q.ahead_priority, ::testing::ElementsAre(5, 0));
  EXPECT_EQ(q.ahead_waiting, 2);
  // A trade customer's own place: only an earlier trade customer is ahead.
  const auto trade = OfTradeCustomer(OnLine(6, 7, 1, 45));
  EXPECT_THAT(Ids(QueueOf(rules, trade, {OnLine(1, 7, 1, 10), all[1], trade}).ahead),
              ::testing::ElementsAre(4));
}

TEST(ServiceTest, EqualPrioritiesFallBackToTheRequestTimeThenTheId) {
  const RuleSet rules = TradeFirst(Settings{});
  std::vector<SpecialOrder> v = {OfTradeCustomer(OnLine(9, 7, 1, 20)), OnLine(2, 7, 1, 5),
                                 OfTradeCustomer(OnLine(4, 7, 1, 10)),
                                 OfTradeCustomer(OnLine(3, 7, 1, 20))};
  SortForService(rules, rules.defaults(), v);
  EXPECT_THAT(Ids(v), ::testing::ElementsAre(4, 3, 9, 2));
}

TEST(ServiceTest, PriorityComesBeforeSmallestFirst) {
  Settings smallest;
  smallest.service_order = ServiceOrder::kSmallestFirst;
  const RuleSet rules = TradeFirst(smallest);
  std::vector<SpecialOrder> v = {OnLine(1, 7, 1, 10), OfTradeCustomer(OnLine(2, 7, 4, 40)),
                                 OnLine(3, 7, 2, 5), OfTradeCustomer(OnLine(4, 7, 3, 50))};
  std::vector<SpecialOrder*> pointers = {&v[0], &v[1], &v[2], &v[3]};
  SortForService(rules, rules.defaults(), pointers);
  std::vector<Id> ids;
  for (const SpecialOrder* so : pointers) ids.push_back(so->id);
  // The trade customers first, the smaller of them first; then the others, smaller first.
  EXPECT_THAT(ids, ::testing::ElementsAre(4, 2, 1, 3));
}

TEST(ServiceTest, NothingAheadOfOneThatNoArrivalServes) {
  const RuleSet rules;
  auto request = OnLine(3, 7, 2, 30);
  request.status = SoStatus::kRequest;
  const std::vector<SpecialOrder> all = {OnLine(1, 7, 1, 10), request};
  EXPECT_TRUE(QueueOf(rules, request, all).ahead.empty());
  // Nor is one in request counted ahead of others.
  const auto me = OnLine(9, 7, 1, 50);
  EXPECT_THAT(Ids(QueueOf(rules, me, {OnLine(1, 7, 1, 10), request, me}).ahead),
              ::testing::ElementsAre(1));
  // A fully allocated one waits for nothing, and nothing is ahead of it.
  const auto done = OnLine(8, 7, 2, 60, 2);
  EXPECT_TRUE(QueueOf(rules, done, all).ahead.empty());
}

TEST(ServiceTest, ATransferHasItsOwnQueue) {
  const RuleSet rules;
  auto t = [](Id id, Id transfer, int64_t s) {
    auto so = OnLine(id, 0, 1, s);
    so.source = SoSource::kTransfer;
    so.vendor_id.reset();
    so.po_id.reset();
    so.po_line_id.reset();
    so.transfer_id = transfer;
    return so;
  };
  const auto me = t(3, 5, 30);
  EXPECT_THAT(Ids(QueueOf(rules, me, {t(1, 5, 10), t(2, 6, 5), OnLine(4, 5, 1, 1), me}).ahead),
              ::testing::ElementsAre(1));
}

}  // namespace
}  // namespace so
