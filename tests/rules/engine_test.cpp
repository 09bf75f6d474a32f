// Unit tests of the decisions, through the Processor, on the in-memory fake store. Every message
// is followed by a check of the contract's invariants.
#include "rules/engine.hpp"

#include "tests/rules/engine_fixture.hpp"

namespace so {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// --- Requests ---

TEST_F(EngineTest, RequestCreatesSpecialOrderBackordersLineAndRaisesRedStar) {
  defaults_.on_request = OnRequest::kWait;
  Processed r = Request(1, 11, 3);
  EXPECT_EQ(r.fate, Fate::kApplied);
  const SpecialOrder& so = SoOfLine(11);
  EXPECT_EQ(so.status, SoStatus::kRequest);
  EXPECT_EQ(so.quantity, 3);
  EXPECT_EQ(so.store_id, kStore);
  EXPECT_EQ(store_.db.lines.at(11).status, LineStatus::kBackordered);
  EXPECT_EQ(store_.db.lines.at(11).backordered_qty, 3);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, 3);
  EXPECT_TRUE(store_.db.orders.at(1).has_special_order);
  auto created = EventsOf<SpecialOrderCreatedEvent>(sink_.published);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].special_order_id, so.id);
  EXPECT_EQ(created[0].quantity, 3);
  EXPECT_EQ(store_.db.audit.back().decision, "waits_for_back_office");
  EXPECT_EQ(store_.db.audit.back().rule, "defaults");
  EXPECT_TRUE(store_.db.pos.empty());
}

TEST_F(EngineTest, AutoOrderCreatesDraftPoForPrimaryVendor) {
  Request(1, 11, 2);
  const SpecialOrder& so = SoOfLine(11);
  EXPECT_EQ(so.status, SoStatus::kOrdered);
  EXPECT_EQ(so.vendor_id, kPrimary);
  ASSERT_TRUE(so.po_id);
  const PurchaseOrder& po = store_.db.pos.at(*so.po_id);
  EXPECT_EQ(po.status, "draft");
  EXPECT_EQ(po.vendor_id, kPrimary);
  EXPECT_EQ(store_.db.po_lines.at(*so.po_line_id).quantity_ordered, 2);
  EXPECT_EQ(store_.db.po_lines.at(*so.po_line_id).unit_cost, "5.0000");
  auto po_events = EventsOf<PurchaseOrderEvent>(sink_.published);
  ASSERT_EQ(po_events.size(), 1u);
  EXPECT_TRUE(po_events[0].created);
  auto changes = EventsOf<StatusChangedEvent>(sink_.published);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].from, SoStatus::kRequest);
  EXPECT_EQ(changes[0].to, SoStatus::kOrdered);
  EXPECT_EQ(changes[0].rule, "defaults");
  EXPECT_EQ(changes[0].cause_id, "msg-1");
}

TEST_F(EngineTest, SecondRequestAttachesToSameDraftPoAndGrowsItsLine) {
  Request(1, 11, 2);
  Request(2, 21, 3);
  const SpecialOrder& a = SoOfLine(11);
  const SpecialOrder& b = SoOfLine(21);
  EXPECT_EQ(a.po_id, b.po_id);
  EXPECT_EQ(a.po_line_id, b.po_line_id);
  EXPECT_EQ(store_.db.po_lines.at(*b.po_line_id).quantity_ordered, 5);
  auto po_events = EventsOf<PurchaseOrderEvent>(sink_.published);
  ASSERT_EQ(po_events.size(), 1u);
  EXPECT_FALSE(po_events[0].created);
  EXPECT_EQ(po_events[0].lines.at(0).quantity, 5);
}

TEST_F(EngineTest, AttachesToNewestDraftPoAndAddsLineForNewProduct) {
  const Id older = store_.db.AddPo(kStore, kPrimary, "draft", At(-20));
  const Id newer = store_.db.AddPo(kStore, kPrimary, "draft", At(-10));
  store_.db.AddPo(kOtherStore, kPrimary, "draft", At(-5));
  store_.db.AddPoLine(newer, 999, 4);
  Request(1, 11, 2);
  const SpecialOrder& so = SoOfLine(11);
  EXPECT_EQ(so.po_id, newer);
  EXPECT_NE(so.po_id, older);
  EXPECT_EQ(store_.db.po_lines.at(*so.po_line_id).product_id, kProduct);
  EXPECT_EQ(store_.db.po_lines.at(*so.po_line_id).quantity_ordered, 2);
}

TEST_F(EngineTest, OpenPoTakesNoAttachmentUnderDefaultRules) {
  const Id open = store_.db.AddPo(kStore, kPrimary, "open", At(-10));
  Request(1, 11, 2);
  EXPECT_NE(SoOfLine(11).po_id, open);
  EXPECT_EQ(store_.db.pos.size(), 2u);
}

TEST_F(EngineTest, RuleThatAllowsOpenPosAttachesToOpenPo) {
  const Id open = store_.db.AddPo(kStore, kPrimary, "open", At(-10));
  Settings s = defaults_;
  s.attach_po_statuses = {"draft", "open"};
  rules_.push_back(Rule{"store-1-open-pos", Match{{kStore}, {}, {}, {}}, s});
  Request(1, 11, 2);
  EXPECT_EQ(SoOfLine(11).po_id, open);
  EXPECT_EQ(EventsOf<StatusChangedEvent>(sink_.published).at(0).rule, "store-1-open-pos");
}

TEST_F(EngineTest, VendorChoiceCheapestAndShortestLeadTime) {
  defaults_.vendor_choice = {VendorChoice::kCheapest};
  Request(1, 11, 1);
  EXPECT_EQ(SoOfLine(11).vendor_id, kCheap);
  defaults_.vendor_choice = {VendorChoice::kShortestLeadTime};
  engine();
  Request(2, 21, 1);
  EXPECT_EQ(SoOfLine(21).vendor_id, kFast);
}

TEST_F(EngineTest, InactivePrimaryVendorFallsBackToNextChoice) {
  store_.db.vendors.at(kPrimary).active = false;
  Request(1, 11, 1);
  EXPECT_EQ(SoOfLine(11).vendor_id, kCheap);
  EXPECT_THAT(LastAudit("created_po").detail, HasSubstr("cheapest vendor"));
}

TEST_F(EngineTest, NoActiveVendorLeavesSpecialOrderInRequest) {
  defaults_.vendor_choice = {VendorChoice::kPrimary};
  Request(1, 11, 1, kProduct2);  // kProduct2 has no primary vendor
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kRequest);
  EXPECT_EQ(store_.db.audit.back().decision, "no_vendor");
  EXPECT_TRUE(store_.db.pos.empty());
}

TEST_F(EngineTest, ProductNotAllowedIsRejectedWithReason) {
  store_.db.products.at(kProduct).special_order_allowed = false;
  Processed r = Request(1, 11, 1);
  EXPECT_EQ(r.fate, Fate::kRefused);
  EXPECT_TRUE(store_.db.special_orders.empty());
  EXPECT_FALSE(store_.db.orders.at(1).has_special_order);
  auto rejected = EventsOf<RejectedEvent>(sink_.published);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].order_line_id, 11);
  EXPECT_THAT(rejected[0].reason, HasSubstr("may not be special-ordered"));
  EXPECT_EQ(store_.db.inbox.at("msg-1"), "refused");
}

TEST_F(EngineTest, PositiveOpenStockIsRejectedUnlessTheRuleAllowsIt) {
  store_.db.SetOnHand(kStore, kProduct, 2);
  EXPECT_EQ(Request(1, 11, 1).fate, Fate::kRefused);
  EXPECT_THAT(EventsOf<RejectedEvent>(sink_.published).at(0).reason, HasSubstr("2 in open stock"));
  defaults_.allow_positive_open_stock = true;
  engine();
  EXPECT_EQ(Request(2, 21, 1).fate, Fate::kApplied);
}

TEST_F(EngineTest, ZeroOrNegativeOpenStockIsEligible) {
  store_.db.SetOnHand(kStore, kProduct, -3);
  EXPECT_EQ(Request(1, 11, 1).fate, Fate::kApplied);
}

TEST_F(EngineTest, RequestNamingMissingLineIsRefusedWithReason) {
  store_.db.orders[5] = CustomerOrder{5, kStore, 7, "open", false};
  Processed r = Send(SpecialOrderRequested{5, 55, kStore, 7, kProduct, 1, At(0)});
  EXPECT_EQ(r.fate, Fate::kRefused);
  EXPECT_THAT(r.detail, HasSubstr("order line 55 does not exist"));
  EXPECT_EQ(store_.db.audit.back().decision, "refused");
}

TEST_F(EngineTest, RequestForLineThatAlreadyHasSpecialOrderChangesNothing) {
  Request(1, 11, 2);
  const auto before = store_.db.Stock(kStore, kProduct);
  Send(SpecialOrderRequested{1, 11, kStore, 7, kProduct, 2, At(1)});
  EXPECT_EQ(store_.db.special_orders.size(), 1u);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, before.backordered);
  EXPECT_EQ(store_.db.audit.back().decision, "already_requested");
}

TEST_F(EngineTest, QuantityComesFromTheLineAsTheDatabaseHasIt) {
  defaults_.on_request = OnRequest::kWait;
  store_.db.AddOrderWithLine(1, 11, kStore, kProduct, 5);
  Send(SpecialOrderRequested{1, 11, kStore, 7, kProduct, 3, At(1)});
  EXPECT_EQ(SoOfLine(11).quantity, 5);
}

// --- Back Office ordering ---

TEST_F(EngineTest, BackofficeOrderWithVendorCreatesPoForThatVendor) {
  defaults_.on_request = OnRequest::kWait;
  Request(1, 11, 2);
  const Id so_id = SoOfLine(11).id;
  EXPECT_EQ(Send(BackofficeOrder{so_id, kFast, std::nullopt, "ann"}).fate, Fate::kApplied);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kOrdered);
  EXPECT_EQ(SoOfLine(11).vendor_id, kFast);
  EXPECT_EQ(store_.db.po_lines.at(*SoOfLine(11).po_line_id).unit_cost, "6.0000");
  EXPECT_THAT(LastAudit("created_po").detail, HasSubstr("chosen by ann"));
}

TEST_F(EngineTest, BackofficeOrderWithPoAttachesToIt) {
  defaults_.on_request = OnRequest::kWait;
  const Id po = store_.db.AddPo(kStore, kCheap, "draft", At(-1));
  Request(1, 11, 2);
  Send(BackofficeOrder{SoOfLine(11).id, std::nullopt, po, "ann"});
  EXPECT_EQ(SoOfLine(11).po_id, po);
  EXPECT_EQ(SoOfLine(11).vendor_id, kCheap);
}

TEST_F(EngineTest, BackofficeOrderWithNeitherLetsTheRulesChoose) {
  defaults_.on_request = OnRequest::kWait;
  Request(1, 11, 2);
  Send(BackofficeOrder{SoOfLine(11).id, std::nullopt, std::nullopt, "ann"});
  EXPECT_EQ(SoOfLine(11).vendor_id, kPrimary);
}

TEST_F(EngineTest, BackofficeOrderRefusesUnusablePos) {
  defaults_.on_request = OnRequest::kWait;
  const Id open = store_.db.AddPo(kStore, kPrimary, "open", At(-1));
  const Id other_store = store_.db.AddPo(kOtherStore, kPrimary, "draft", At(-1));
  Request(1, 11, 2);
  const Id so_id = SoOfLine(11).id;
  Processed r = Send(BackofficeOrder{so_id, std::nullopt, open, "ann"});
  EXPECT_EQ(r.fate, Fate::kRefused);
  EXPECT_THAT(r.detail, HasSubstr("PO " + std::to_string(open) + " is open"));
  r = Send(BackofficeOrder{so_id, std::nullopt, other_store, "ann"});
  EXPECT_THAT(r.detail, HasSubstr("is for store 2"));
  r = Send(BackofficeOrder{so_id, std::nullopt, 4242, "ann"});
  EXPECT_THAT(r.detail, HasSubstr("does not exist"));
  r = Send(BackofficeOrder{so_id, kCheap, open, "ann"});
  EXPECT_THAT(r.detail, HasSubstr("not vendor 11"));
  store_.db.vendors.at(kFast).active = false;
  r = Send(BackofficeOrder{so_id, kFast, std::nullopt, "ann"});
  EXPECT_THAT(r.detail, HasSubstr("not active"));
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kRequest);
}

TEST_F(EngineTest, BackofficeOrderRefusesSpecialOrderAlreadyOrdered) {
  Request(1, 11, 2);
  Processed r = Send(BackofficeOrder{SoOfLine(11).id, kFast, std::nullopt, "ann"});
  EXPECT_EQ(r.fate, Fate::kRefused);
  EXPECT_THAT(r.detail, HasSubstr("is ordered; only a special order in request"));
  EXPECT_EQ(SoOfLine(11).vendor_id, kPrimary);
}

TEST_F(EngineTest, PoStatusChangeStopsAttachmentsToThatPo) {
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  store_.db.pos.at(po).status = "open";
  EXPECT_EQ(Send(PoStatusChanged{po, "open", "draft"}).fate, Fate::kApplied);
  Request(2, 21, 1);
  EXPECT_NE(SoOfLine(21).po_id, po);
}

// --- Arrival and allocation ---

TEST_F(EngineTest, ShipmentAllocatesAndMarksSpecialOrderReady) {
  Request(1, 11, 2);
  Processed r = Ship(500, 11, 2);
  EXPECT_EQ(r.fate, Fate::kApplied);
  const SpecialOrder& so = SoOfLine(11);
  EXPECT_EQ(so.status, SoStatus::kReady);
  EXPECT_EQ(so.allocated_qty, 2);
  EXPECT_TRUE(so.arrived_at && so.ready_at);
  EXPECT_EQ(store_.db.lines.at(11).status, LineStatus::kCommitted);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, 2);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, 0);
  auto arrived = EventsOf<ArrivedEvent>(sink_.published);
  ASSERT_EQ(arrived.size(), 1u);
  EXPECT_EQ(arrived[0].arrival_id, 500);
  EXPECT_EQ(arrived[0].special_orders.at(0).quantity, 2);
  std::vector<std::pair<SoStatus, SoStatus>> moves;
  for (const auto& e : EventsOf<StatusChangedEvent>(sink_.published))
    moves.push_back({e.from, e.to});
  EXPECT_THAT(moves, ElementsAre(std::make_pair(SoStatus::kOrdered, SoStatus::kArrived),
                                 std::make_pair(SoStatus::kArrived, SoStatus::kReady)));
}

TEST_F(EngineTest, StatusAfterAllocationFollowsTheRule) {
  defaults_.status_after_allocation = SoStatus::kInProgress;
  Request(1, 11, 2);
  Ship(500, 11, 2);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kInProgress);
  EXPECT_FALSE(SoOfLine(11).ready_at);
}

TEST_F(EngineTest, ShortShipmentServesOldestRequestFirst) {
  Request(2, 21, 3);  // requested_at At(2)
  Request(1, 11, 3);  // requested_at At(1): older, though it came second
  ASSERT_EQ(SoOfLine(11).po_line_id, SoOfLine(21).po_line_id);
  Ship(500, 11, 4);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 3);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kReady);
  EXPECT_EQ(SoOfLine(21).allocated_qty, 1);
  EXPECT_EQ(SoOfLine(21).status, SoStatus::kInProgress);
  EXPECT_EQ(store_.db.lines.at(21).status, LineStatus::kBackordered);
  EXPECT_EQ(store_.db.lines.at(21).backordered_qty, 2);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, 4);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, 2);
}

TEST_F(EngineTest, LargerShipmentLeavesSurplusAsOpenStock) {
  Request(1, 11, 2);
  Ship(500, 11, 10);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 2);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).open(), 8);
  EXPECT_EQ(store_.db.arrivals.begin()->second.allocated_qty, 2);
}

TEST_F(EngineTest, AllocationNeverPushesOpenStockBelowZero) {
  Request(1, 11, 5);
  const SpecialOrder& so = SoOfLine(11);
  // The shipment brings 5 but the store had -3 open (sold ahead), so only 2 are free.
  store_.db.SetOnHand(kStore, kProduct, -3);
  store_.db.CompleteShipment(500, *so.po_id, {{*so.po_line_id, kProduct, 5}});
  const auto& s = store_.db.shipments.at(500);
  Send(ShipmentCompleted{500, s.po_id, s.store_id, s.vendor_id, s.lines});
  EXPECT_EQ(SoOfLine(11).allocated_qty, 2);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).open(), 0);
}

TEST_F(EngineTest, OnConfirmationAnnouncesThenAllocatesWhenTheBackOfficeSaysSo) {
  defaults_.allocation = AllocationMode::kOnConfirmation;
  Request(1, 11, 2);
  Request(2, 21, 2);
  Ship(500, 11, 3);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kArrived);
  EXPECT_EQ(SoOfLine(21).status, SoStatus::kArrived);
  EXPECT_EQ(SoOfLine(11).allocated_qty, 0);
  auto arrived = EventsOf<ArrivedEvent>(sink_.published);
  ASSERT_EQ(arrived.size(), 1u);
  ASSERT_EQ(arrived[0].special_orders.size(), 2u);
  EXPECT_EQ(arrived[0].special_orders[1].quantity, 1);

  // Only the second one first, then everything: never more than the 3 that came.
  Send(BackofficeAllocate{500, std::nullopt, std::vector<Id>{SoOfLine(21).id}, "bo"});
  EXPECT_EQ(SoOfLine(21).allocated_qty, 2);
  EXPECT_EQ(SoOfLine(21).status, SoStatus::kReady);
  Send(BackofficeAllocate{500, std::nullopt, std::nullopt, "bo"});
  EXPECT_EQ(SoOfLine(11).allocated_qty, 1);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kInProgress);
  Send(BackofficeAllocate{500, std::nullopt, std::nullopt, "bo"});
  EXPECT_EQ(SoOfLine(11).allocated_qty, 1);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, 3);
}

TEST_F(EngineTest, AllocateRefusesUnknownShipmentAndForeignSpecialOrders) {
  defaults_.allocation = AllocationMode::kOnConfirmation;
  Request(1, 11, 2);
  EXPECT_THAT(Send(BackofficeAllocate{777, std::nullopt, std::nullopt, "bo"}).detail,
              HasSubstr("shipment 777 does not exist"));
  Ship(500, 11, 2);
  EXPECT_THAT(Send(BackofficeAllocate{500, std::nullopt, std::vector<Id>{4242}, "bo"}).detail,
              HasSubstr("special order 4242 is not waiting for shipment 500"));
  EXPECT_EQ(SoOfLine(11).allocated_qty, 0);
}

TEST_F(EngineTest, SameShipmentAnnouncedTwiceUnderNewIdChangesNothing) {
  Request(1, 11, 2);
  Ship(500, 11, 2);
  const auto& s = store_.db.shipments.at(500);
  Send(ShipmentCompleted{500, s.po_id, s.store_id, s.vendor_id, s.lines});
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, 2);
  EXPECT_EQ(store_.db.audit.back().decision, "already_arrived");
}

TEST_F(EngineTest, ShipmentNotCompletedInDatabaseIsRefused) {
  Request(1, 11, 2);
  const SpecialOrder& so = SoOfLine(11);
  store_.db.shipments[600] = Shipment{600, *so.po_id, kStore, kPrimary, "open", {}};
  EXPECT_THAT(Send(ShipmentCompleted{600, *so.po_id, kStore, kPrimary, {}}).detail,
              HasSubstr("not completed"));
}

// --- Exactly once, retries, dead letters ---

TEST_F(EngineTest, RedeliveredMessageChangesNothing) {
  Request(1, 11, 2);
  const auto before = store_.db.stock;
  const auto audit_rows = store_.db.audit.size();
  Processed r = Send(SpecialOrderRequested{1, 11, kStore, 7, kProduct, 2, At(1)}, "msg-1");
  EXPECT_EQ(r.fate, Fate::kDuplicate);
  EXPECT_TRUE(sink_.published.empty());
  EXPECT_EQ(store_.db.audit.size(), audit_rows);
  EXPECT_EQ(store_.db.stock.at({kStore, kProduct}).backordered,
            before.at({kStore, kProduct}).backordered);
}

TEST_F(EngineTest, DeadlockIsRetriedAndAppliedOnce) {
  engine();
  store_.FailCall(4, Error{ErrorKind::kTransient, 1213, "Deadlock found"});
  Processed r = Request(1, 11, 2);
  EXPECT_EQ(r.fate, Fate::kApplied);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_THAT(r.retried_because, ElementsAre("transient error 1213: Deadlock found"));
  EXPECT_EQ(slept_.size(), 1u);
  EXPECT_EQ(store_.db.special_orders.size(), 1u);
  EXPECT_EQ(processor_->stats().retries, 1u);
}

TEST_F(EngineTest, PermanentErrorIsDeadLetteredAndNothingIsWritten) {
  engine();
  store_.FailCall(5, Error{ErrorKind::kPermanent, 1452, "foreign key"});
  Processed r = Request(1, 11, 2);
  EXPECT_EQ(r.fate, Fate::kDeadLettered);
  ASSERT_EQ(dead_.parked.size(), 1u);
  EXPECT_THAT(dead_.parked[0].reason, HasSubstr("1452"));
  EXPECT_EQ(dead_.parked[0].rules_version, "test");
  EXPECT_TRUE(store_.db.special_orders.empty());
  EXPECT_TRUE(store_.db.inbox.empty());
  EXPECT_TRUE(sink_.published.empty());
}

TEST_F(EngineTest, TransientErrorsThatNeverStopAreDeadLettered) {
  engine();
  store_.fail_commits = Error{ErrorKind::kTransient, 1205, "Lock wait timeout"};
  Processed r = Request(1, 11, 2);
  EXPECT_EQ(r.fate, Fate::kDeadLettered);
  EXPECT_EQ(r.attempts, RetryPolicy{}.max_attempts);
  EXPECT_THAT(dead_.parked.at(0).reason, HasSubstr("gave up after 8 attempts"));
  EXPECT_TRUE(store_.db.special_orders.empty());
}

TEST_F(EngineTest, LostDatabaseIsReportedUnavailableAndNothingIsLost) {
  engine();
  store_.fail_commits = Error{ErrorKind::kConnection, 2013, "Lost connection"};
  Processed r = Request(1, 11, 2);
  EXPECT_EQ(r.fate, Fate::kUnavailable);
  EXPECT_TRUE(dead_.parked.empty());
  EXPECT_TRUE(sink_.published.empty());
  EXPECT_GE(reconnects_, 1);
}

// No node can be reached: unavailable at the first failed reconnect (the daemon holds the message
// and tries again on its timer), not after max_attempts connects that each may wait out a
// timeout.
TEST_F(EngineTest, AReconnectThatFailsReportsTheDatabaseUnavailableAtOnce) {
  engine();
  store_.fail_commits = Error{ErrorKind::kConnection, 1047, "WSREP has not yet prepared node"};
  reconnect_result_ = Error{ErrorKind::kConnection, 2002, "no database node can be used: ..."};
  Processed r = Request(1, 11, 2);
  EXPECT_EQ(r.fate, Fate::kUnavailable);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_THAT(r.retried_because,
              ElementsAre(HasSubstr("1047: WSREP"), HasSubstr("2002: no database node")));
  EXPECT_EQ(reconnects_, 1);
  EXPECT_EQ(processor_->stats().nodes_not_ready, 1u);
  EXPECT_EQ(processor_->stats().connection_errors, 1u);
  EXPECT_TRUE(dead_.parked.empty());
  EXPECT_TRUE(store_.db.special_orders.empty());
}

TEST_F(EngineTest, ConflictsAreCountedByCause) {
  engine();
  store_.fail_apply_writes.times = 2;
  store_.fail_apply_writes.error = Error{ErrorKind::kTransient, 1213, "Deadlock found"};
  Processed r = Request(1, 11, 2);
  EXPECT_EQ(r.fate, Fate::kApplied);
  EXPECT_EQ(processor_->stats().conflicts, 2u);
  EXPECT_EQ(processor_->stats().retries, 2u);
}

TEST_F(EngineTest, CommitWhoseAnswerWasLostIsResolvedByTheInbox) {
  engine();
  store_.lose_commit_answer = Error{ErrorKind::kConnection, 2013, "Lost connection"};
  Processed r = Request(1, 11, 2);
  EXPECT_EQ(r.fate, Fate::kApplied);
  EXPECT_EQ(store_.db.special_orders.size(), 1u);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, 2);
  // Published exactly once, after the commit is known.
  EXPECT_EQ(EventsOf<SpecialOrderCreatedEvent>(sink_.published).size(), 1u);
}

TEST_F(EngineTest, CheckpointsMarkEachStepOfAMessageInOrder) {
  engine();
  std::vector<std::string> marks;
  processor_->set_checkpoint([&](std::string_view at) { marks.emplace_back(at); });
  Request(1, 11, 2);
  EXPECT_THAT(marks, ElementsAre("after_receive", "after_begin", "after_writes", "before_commit",
                                 "after_commit", "before_publish"));
  marks.clear();
  Send(SpecialOrderRequested{1, 11, kStore, 7, kProduct, 2, At(1)}, "msg-1");  // a duplicate
  EXPECT_THAT(marks, ElementsAre("after_receive", "after_begin"));
}

}  // namespace
}  // namespace so
