// The drift check (rules/drift.hpp): each kind of difference on plain values, and no difference
// on worlds the engine made (the fake store after real message flows; the randomized scenario
// checks it after every message, in scenario_test).
#include "rules/drift.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fakes/drift_of.hpp"
#include "tests/rules/engine_fixture.hpp"

namespace so {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

DriftSpecialOrder So(Id id, SoStatus status, Qty quantity, Qty allocated, Qty picked = 0,
                     Id order = 0) {
  return {id, 1, order == 0 ? id * 10 : order, id * 100, 100, quantity, allocated, picked, status};
}

Drift StockD(DriftField f, Id store, Id product, int64_t expected, int64_t found) {
  return {f, store, product, std::nullopt, expected, found};
}

Drift LineD(DriftField f, Id line, Id so, int64_t expected, int64_t found) {
  return {f, line, 0, so, expected, found};
}

int64_t S(LineStatus s) { return static_cast<int64_t>(s); }

TEST(StockDriftTest, CommittedIsAllocatedLessPickedUpAndBackorderedWhatStillWaits) {
  const std::vector<DriftSpecialOrder> sos = {So(1, SoStatus::kInProgress, 5, 3, 1),
                                              So(2, SoStatus::kOrdered, 2, 0)};
  EXPECT_THAT(StockDrift(sos, {{1, 100, 2, 4}}), IsEmpty());
  EXPECT_THAT(StockDrift(sos, {{1, 100, 5, 4}}),
              ElementsAre(StockD(DriftField::kStockCommitted, 1, 100, 2, 5)));
  EXPECT_THAT(StockDrift(sos, {{1, 100, 2, 1}}),
              ElementsAre(StockD(DriftField::kStockBackordered, 1, 100, 4, 1)));
}

TEST(StockDriftTest, CompletedAndCancelledSpecialOrdersCountForNothing) {
  const std::vector<DriftSpecialOrder> sos = {So(1, SoStatus::kCompleted, 5, 5, 5),
                                              So(2, SoStatus::kCancelled, 2, 0)};
  EXPECT_THAT(StockDrift(sos, {{1, 100, 0, 0}}), IsEmpty());
  EXPECT_THAT(StockDrift(sos, {}), IsEmpty());
}

TEST(StockDriftTest, AMissingRowReadsAsZerosAndACounterWithNoSpecialOrderIsDrift) {
  // Special orders that wait, and no stock row.
  EXPECT_THAT(StockDrift({So(1, SoStatus::kOrdered, 2, 0)}, {}),
              ElementsAre(StockD(DriftField::kStockBackordered, 1, 100, 2, 0)));
  // A counter nobody special-ordered: someone else wrote it.
  EXPECT_THAT(StockDrift({}, {{3, 7, 4, 0}, {3, 8, 0, 0}}),
              ElementsAre(StockD(DriftField::kStockCommitted, 3, 7, 0, 4)));
}

TEST(StockDriftTest, DifferencesComeByStoreThenProduct) {
  const std::vector<DriftStock> stock = {{2, 5, 1, 0}, {1, 9, 0, 1}, {1, 5, 1, 1}};
  EXPECT_THAT(StockDrift({}, stock), ElementsAre(StockD(DriftField::kStockCommitted, 1, 5, 0, 1),
                                                 StockD(DriftField::kStockBackordered, 1, 5, 0, 1),
                                                 StockD(DriftField::kStockBackordered, 1, 9, 0, 1),
                                                 StockD(DriftField::kStockCommitted, 2, 5, 0, 1)));
}

TEST(StockDriftTest, SumsAddedAPageAtATimeEqualTheWhole) {
  const std::vector<DriftSpecialOrder> sos = {So(1, SoStatus::kInProgress, 5, 3, 1),
                                              So(2, SoStatus::kOrdered, 2, 0),
                                              So(3, SoStatus::kCompleted, 2, 2, 2)};
  StockExpectation pieces;
  for (auto it = sos.rbegin(); it != sos.rend(); ++it) pieces.Add(*it);
  EXPECT_TRUE(pieces.Covers(1, 100));
  EXPECT_FALSE(pieces.Covers(1, 101));
  EXPECT_THAT(pieces.Keys(), ElementsAre(std::pair<Id, Id>{1, 100}));
  const std::vector<DriftStock> stock = {{1, 100, 2, 3}, {1, 101, 1, 0}};
  EXPECT_EQ(pieces.Compare(stock), StockDrift(sos, stock));
  EXPECT_THAT(pieces.Compare(stock),
              ElementsAre(StockD(DriftField::kStockBackordered, 1, 100, 4, 3),
                          StockD(DriftField::kStockCommitted, 1, 101, 0, 1)));
}

TEST(OrderDriftTest, ALineMirrorsItsSpecialOrder) {
  const std::vector<DriftSpecialOrder> sos = {So(1, SoStatus::kInProgress, 5, 3)};
  EXPECT_THAT(OrderDrift(sos, {{100, LineStatus::kBackordered, 3, 2}}, {}), IsEmpty());
  EXPECT_THAT(OrderDrift(sos, {{100, LineStatus::kCommitted, 5, 0}}, {}),
              ElementsAre(LineD(DriftField::kLineStatus, 100, 1, S(LineStatus::kBackordered),
                                S(LineStatus::kCommitted)),
                          LineD(DriftField::kLineCommittedQty, 100, 1, 3, 5),
                          LineD(DriftField::kLineBackorderedQty, 100, 1, 2, 0)));
}

TEST(OrderDriftTest, FullyAllocatedIsCommittedCompletedFulfilledCancelledEmpty) {
  EXPECT_THAT(
      OrderDrift({So(1, SoStatus::kReady, 2, 2)}, {{100, LineStatus::kCommitted, 2, 0}}, {}),
      IsEmpty());
  EXPECT_THAT(
      OrderDrift({So(1, SoStatus::kCompleted, 2, 2, 2)}, {{100, LineStatus::kCommitted, 2, 0}}, {}),
      ElementsAre(LineD(DriftField::kLineStatus, 100, 1, S(LineStatus::kFulfilled),
                        S(LineStatus::kCommitted))));
  EXPECT_THAT(
      OrderDrift({So(1, SoStatus::kCancelled, 2, 0)}, {{100, LineStatus::kCancelled, 0, 2}}, {}),
      ElementsAre(LineD(DriftField::kLineBackorderedQty, 100, 1, 0, 2)));
}

TEST(OrderDriftTest, ALineWithoutASpecialOrderIsNotTheDaemons) {
  EXPECT_THAT(OrderDrift({}, {{555, LineStatus::kCommitted, 9, 9}}, {}), IsEmpty());
}

TEST(OrderDriftTest, TheRedStarShinesWhileASpecialOrderIsNotCancelled) {
  const std::vector<DriftSpecialOrder> sos = {So(1, SoStatus::kCompleted, 1, 1, 1, 7),
                                              So(2, SoStatus::kCancelled, 1, 0, 0, 8),
                                              So(3, SoStatus::kCancelled, 1, 0, 0, 7)};
  EXPECT_THAT(OrderDrift(sos, {}, {{7, true}, {8, false}, {9, false}}), IsEmpty());
  EXPECT_THAT(OrderDrift(sos, {}, {{9, true}, {8, true}, {7, false}}),
              ElementsAre(Drift{DriftField::kRedStar, 7, 0, std::nullopt, 1, 0},
                          Drift{DriftField::kRedStar, 8, 0, std::nullopt, 0, 1},
                          Drift{DriftField::kRedStar, 9, 0, std::nullopt, 0, 1}));
}

TEST(DriftTest, TextNamesTheRowTheFieldAndBothValues) {
  EXPECT_EQ(ToString(StockD(DriftField::kStockCommitted, 1, 100, 2, 5)),
            "stock(store 1, product 100).committed: expected 2, found 5");
  EXPECT_EQ(ToString(LineD(DriftField::kLineStatus, 50011, 1, S(LineStatus::kBackordered),
                           S(LineStatus::kCommitted))),
            "customer_order_lines 50011 (special order 1).status: expected backordered, found "
            "committed");
  EXPECT_EQ(ToString(Drift{DriftField::kRedStar, 5001, 0, std::nullopt, 1, 0}),
            "customer_orders 5001.has_special_order: expected 1, found 0");
}

// Worlds the engine made through real message flows have no drift; an edit behind its back is
// found, and only that edit.
TEST_F(EngineTest, NoDriftAfterRequestsShipmentsPickupsAndCancellations) {
  Request(1, 11, 3);
  Request(2, 21, 2);
  Request(3, 31, 1, kProduct2);
  Ship(900, 11, 4);
  PickUp(11, 1);
  CancelOrder(2);
  EXPECT_THAT(fakes::DriftOf(store_.db), IsEmpty());

  store_.db.stock.at({kStore, kProduct}).committed += 3;
  store_.db.orders.at(2).has_special_order = true;
  EXPECT_THAT(fakes::DriftOf(store_.db),
              ElementsAre(StockD(DriftField::kStockCommitted, kStore, kProduct, 2, 5),
                          Drift{DriftField::kRedStar, 2, 0, std::nullopt, 0, 1}));
}

}  // namespace
}  // namespace so
