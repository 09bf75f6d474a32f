// Arrivals that do not match what waits: short and over shipments, transfers, competing orders.
#include "tests/rules/engine_fixture.hpp"

namespace so {
namespace {

using ::testing::HasSubstr;

TEST_F(EngineTest, ShortShipmentLeavesTheRestWaitingOnTheSameLineUntilTheNext) {
  Request(1, 11, 5);
  const Id line = *SoOfLine(11).po_line_id;
  Ship(500, 11, 2);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kInProgress);
  EXPECT_EQ(SoOfLine(11).po_line_id, line);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, 3);
  Ship(501, 11, 3);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kReady);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 5);
}

TEST_F(EngineTest, SurplusGoesToOtherWaitingSpecialOrdersWhenTheRuleSaysSo) {
  defaults_.allocate_surplus = true;
  defaults_.vendor_choice = {VendorChoice::kShortestLeadTime};
  Request(1, 11, 2);  // on kFast's PO
  defaults_.vendor_choice = {VendorChoice::kCheapest};
  engine();
  Request(2, 21, 3);  // on kCheap's PO
  Ship(500, 11, 4);   // kFast brings 4: 2 for line 11, the surplus 2 to line 21
  EXPECT_EQ(SoOfLine(11).allocated_qty, 2);
  EXPECT_EQ(SoOfLine(21).allocated_qty, 2);
  EXPECT_EQ(SoOfLine(21).status, SoStatus::kInProgress);
  EXPECT_THAT(store_.db.audit.back().detail, HasSubstr("the surplus of shipment 500"));
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).open(), 0);
}

TEST_F(EngineTest, SurplusStaysOpenStockByDefault) {
  defaults_.vendor_choice = {VendorChoice::kShortestLeadTime};
  Request(1, 11, 2);
  defaults_.vendor_choice = {VendorChoice::kCheapest};
  engine();
  Request(2, 21, 3);
  Ship(500, 11, 4);
  EXPECT_EQ(SoOfLine(21).allocated_qty, 0);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).open(), 2);
}

TEST_F(EngineTest, AttachedSpecialOrdersComeBeforeOlderOnesElsewhere) {
  defaults_.allocate_surplus = true;
  defaults_.vendor_choice = {VendorChoice::kCheapest};
  Request(1, 11, 2);  // older, on kCheap's PO
  defaults_.vendor_choice = {VendorChoice::kShortestLeadTime};
  engine();
  Request(2, 21, 2);  // newer, on kFast's PO
  Ship(500, 21, 3);   // the newer attached one is served in full, the older gets the surplus
  EXPECT_EQ(SoOfLine(21).allocated_qty, 2);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 1);
}

TEST_F(EngineTest, SmallestFirstServesMoreCustomersWhenTheRuleSaysSo) {
  defaults_.service_order = ServiceOrder::kSmallestFirst;
  Request(1, 11, 3);
  Request(2, 21, 1);
  Request(3, 31, 1);
  Ship(500, 11, 2);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 0);
  EXPECT_EQ(SoOfLine(21).status, SoStatus::kReady);
  EXPECT_EQ(SoOfLine(31).status, SoStatus::kReady);
}

// A rule for the store's trade customers with a higher priority: they are served before older
// requests of other customers.
void ServeTradeCustomersFirst(std::vector<Rule>& rules, const Settings& defaults) {
  Settings trade = defaults;
  trade.priority = 1;
  rules.push_back(Rule{"trade", Match{{kStore}, {}, {}, {kTradeCustomer}}, trade});
}

TEST_F(EngineTest, HigherPriorityIsServedBeforeAnEarlierRequest) {
  ServeTradeCustomersFirst(rules_, defaults_);
  Request(1, 11, 2);
  Request(2, 21, 2, kProduct, kStore, kTradeCustomer);
  ASSERT_EQ(SoOfLine(21).po_line_id, SoOfLine(11).po_line_id);
  Ship(500, 11, 3);
  EXPECT_EQ(SoOfLine(21).allocated_qty, 2);
  EXPECT_EQ(SoOfLine(21).status, SoStatus::kReady);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 1);
  // The announcement lists them in the same order.
  const auto arrived = EventsOf<ArrivedEvent>(sink_.published);
  ASSERT_EQ(arrived.size(), 1u);
  ASSERT_EQ(arrived[0].special_orders.size(), 2u);
  EXPECT_EQ(arrived[0].special_orders[0].special_order_id, SoOfLine(21).id);
  EXPECT_EQ(arrived[0].special_orders[1].quantity, 1);
}

TEST_F(EngineTest, FreedStockGoesToTheHigherPriorityFirst) {
  defaults_.reallocate_freed_stock = true;
  ServeTradeCustomersFirst(rules_, defaults_);
  Request(1, 11, 2);
  Ship(500, 11, 2);
  Request(2, 21, 2);  // open stock is 0 again: eligible
  Request(3, 31, 2, kProduct, kStore, kTradeCustomer);
  CancelOrder(1);
  EXPECT_EQ(SoOfLine(31).allocated_qty, 2);
  EXPECT_EQ(SoOfLine(21).allocated_qty, 0);
}

// The Back Office still decides: the special orders it names are served, in the order of
// service among themselves, and a higher priority it did not name gets nothing.
TEST_F(EngineTest, BackOfficeChoiceOfSpecialOrdersBeatsPriority) {
  defaults_.allocation = AllocationMode::kOnConfirmation;
  ServeTradeCustomersFirst(rules_, defaults_);
  Request(1, 11, 2);
  Request(2, 21, 2);
  Request(3, 31, 2, kProduct, kStore, kTradeCustomer);
  Ship(500, 11, 3);
  const auto arrived = EventsOf<ArrivedEvent>(sink_.published);
  ASSERT_EQ(arrived.size(), 1u);
  ASSERT_EQ(arrived[0].special_orders.size(), 2u);
  EXPECT_EQ(arrived[0].special_orders[0].special_order_id, SoOfLine(31).id);

  // Only the newest of the other customers: neither the trade customer nor the older request.
  Send(BackofficeAllocate{500, std::nullopt, std::vector<Id>{SoOfLine(21).id}, "bo"});
  EXPECT_EQ(SoOfLine(21).allocated_qty, 2);
  EXPECT_EQ(SoOfLine(31).allocated_qty, 0);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 0);
  // Among those it names, the higher priority comes before the older request.
  Send(BackofficeAllocate{500, std::nullopt, std::vector<Id>{SoOfLine(11).id, SoOfLine(31).id},
                          "bo"});
  EXPECT_EQ(SoOfLine(31).allocated_qty, 1);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 0);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, 3);
}

TEST_F(EngineTest, EqualRequestsAreServedByIdDeterministically) {
  store_.db.AddOrderWithLine(1, 11, kStore, kProduct, 1);
  Send(SpecialOrderRequested{1, 11, kStore, 7, kProduct, 1, At(0)});
  store_.db.AddOrderWithLine(2, 21, kStore, kProduct, 1);
  Send(SpecialOrderRequested{2, 21, kStore, 7, kProduct, 1, At(0)});
  Ship(500, 11, 1);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 1);
  EXPECT_EQ(SoOfLine(21).allocated_qty, 0);
}

TEST_F(EngineTest, ReceivedTransferAllocatesAtOnce) {
  defaults_.transfer_from_stores = {kOtherStore};
  store_.db.SetOnHand(kOtherStore, kProduct, 5);
  Request(1, 11, 2);
  const Id transfer = *SoOfLine(11).transfer_id;
  Processed r = ReceiveTransfer(transfer);
  EXPECT_EQ(r.fate, Fate::kApplied);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kReady);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, 2);
  EXPECT_EQ(store_.db.Stock(kOtherStore, kProduct).on_hand, 3);
  auto arrived = EventsOf<ArrivedEvent>(sink_.published);
  ASSERT_EQ(arrived.size(), 1u);
  EXPECT_EQ(arrived[0].kind, ArrivalKind::kTransfer);
  EXPECT_EQ(arrived[0].arrival_id, transfer);
}

TEST_F(EngineTest, ShortTransferSourcesTheRestAgain) {
  defaults_.transfer_from_stores = {kOtherStore};
  store_.db.SetOnHand(kOtherStore, kProduct, 2);
  Request(1, 11, 2);
  const Id transfer = *SoOfLine(11).transfer_id;
  // One of two came, and store 2 sold the other meanwhile: the rest comes from a vendor.
  store_.db.ReceiveTransfer(transfer, {{kProduct, 1}});
  store_.db.SetOnHand(kOtherStore, kProduct, 0);
  Send(TransferReceived{transfer, kOtherStore, kStore, {{kProduct, 1}}});
  const SpecialOrder& so = SoOfLine(11);
  EXPECT_EQ(so.allocated_qty, 1);
  EXPECT_EQ(so.status, SoStatus::kInProgress);
  EXPECT_EQ(so.source, SoSource::kVendor);
  ASSERT_TRUE(so.po_line_id);
  EXPECT_EQ(store_.db.po_lines.at(*so.po_line_id).quantity_ordered, 1);
}

// Found by the randomized scenario test: the arrived goods were sold before the Back Office
// confirmed, on a PO that brings nothing more; the special order stayed `arrived` for ever.
TEST_F(EngineTest, ConfirmedArrivalThatGaveNothingOnAFinishedPoSourcesAgain) {
  defaults_.allocation = AllocationMode::kOnConfirmation;
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  Ship(500, 11, 2);
  store_.db.pos.at(po).status = "received";
  Send(PoStatusChanged{po, "received", "open"});
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kArrived);  // its goods wait for the confirmation
  store_.db.SetOnHand(kStore, kProduct, 0);            // and are sold meanwhile
  Send(BackofficeAllocate{500, std::nullopt, std::nullopt, "bo"});
  EXPECT_EQ(SoOfLine(11).allocated_qty, 0);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kOrdered);
  EXPECT_NE(SoOfLine(11).po_id, po);
}

TEST_F(EngineTest, ReceivedTransferWaitsForConfirmationWhenTheRuleSaysSo) {
  defaults_.transfer_from_stores = {kOtherStore};
  defaults_.transfer_allocation = AllocationMode::kOnConfirmation;
  store_.db.SetOnHand(kOtherStore, kProduct, 5);
  Request(1, 11, 2);
  const Id transfer = *SoOfLine(11).transfer_id;
  ReceiveTransfer(transfer, 1);  // short
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kArrived);
  Send(BackofficeAllocate{std::nullopt, transfer, std::nullopt, "bo"});
  EXPECT_EQ(SoOfLine(11).allocated_qty, 1);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kInProgress);
}

TEST_F(EngineTest, TransferNotReceivedInTheDatabaseIsRefused) {
  defaults_.transfer_from_stores = {kOtherStore};
  store_.db.SetOnHand(kOtherStore, kProduct, 5);
  Request(1, 11, 2);
  const Id transfer = *SoOfLine(11).transfer_id;
  EXPECT_THAT(Send(TransferReceived{transfer, kOtherStore, kStore, {{kProduct, 2}}}).detail,
              HasSubstr("is requested in the database, not received"));
  EXPECT_THAT(Send(TransferReceived{999, kOtherStore, kStore, {{kProduct, 2}}}).detail,
              HasSubstr("transfer 999 does not exist"));
}

}  // namespace
}  // namespace so
