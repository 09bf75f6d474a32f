// Sourcing beyond the seed flow: store transfers, vendor terms, refusals, POs that go wrong.
#include "tests/rules/engine_fixture.hpp"

namespace so {
namespace {

using ::testing::HasSubstr;

TEST_F(EngineTest, TransferIsPreferredWhenAListedStoreHasEnoughToSpare) {
  defaults_.transfer_from_stores = {3, kOtherStore};
  defaults_.transfer_min_left = 1;
  store_.db.SetOnHand(3, kProduct, 2);            // 2 - 1 left behind < 2: not enough
  store_.db.SetOnHand(kOtherStore, kProduct, 3);  // 3 - 1 >= 2
  Request(1, 11, 2);
  const SpecialOrder& so = SoOfLine(11);
  EXPECT_EQ(so.status, SoStatus::kOrdered);
  EXPECT_EQ(so.source, SoSource::kTransfer);
  ASSERT_TRUE(so.transfer_id);
  const StoreTransfer& t = store_.db.transfers.at(*so.transfer_id);
  EXPECT_EQ(t.from_store_id, kOtherStore);
  EXPECT_EQ(t.to_store_id, kStore);
  EXPECT_EQ(t.status, "requested");
  ASSERT_EQ(t.lines.size(), 1u);
  EXPECT_EQ(t.lines[0].quantity, 2);
  EXPECT_EQ(t.lines[0].special_order_id, so.id);
  EXPECT_TRUE(store_.db.pos.empty());
  auto requested = EventsOf<TransferRequestedEvent>(sink_.published);
  ASSERT_EQ(requested.size(), 1u);
  EXPECT_EQ(requested[0].from_store_id, kOtherStore);
  // Nothing is reserved at the sending store.
  EXPECT_EQ(store_.db.Stock(kOtherStore, kProduct).committed, 0);
}

TEST_F(EngineTest, NoStoreWithEnoughFallsBackToAVendor) {
  defaults_.transfer_from_stores = {kOtherStore};
  defaults_.transfer_min_left = 1;
  store_.db.SetOnHand(kOtherStore, kProduct, 2);
  Request(1, 11, 2);
  EXPECT_EQ(SoOfLine(11).source, SoSource::kVendor);
  EXPECT_TRUE(store_.db.transfers.empty());
}

TEST_F(EngineTest, BackofficeTransferFromTheChosenStore) {
  defaults_.on_request = OnRequest::kWait;
  Request(1, 11, 2);
  const Id so = SoOfLine(11).id;
  EXPECT_THAT(Send(BackofficeTransfer{so, kStore, "bo"}).detail, HasSubstr("another store"));
  EXPECT_EQ(Send(BackofficeTransfer{so, kOtherStore, "bo"}).fate, Fate::kApplied);
  EXPECT_EQ(SoOfLine(11).source, SoSource::kTransfer);
  EXPECT_THAT(LastAudit("requested_transfer").detail, HasSubstr("store 2 has 0 open"));
  EXPECT_THAT(Send(BackofficeTransfer{so, kOtherStore, "bo"}).detail,
              HasSubstr("only a special order in request can be transferred"));
}

// A store that does not exist is refused as a vendor, PO or special order that does not exist
// is, rather than left to the foreign key (a dead letter that fails again at every replay).
TEST_F(EngineTest, BackofficeTransferFromAStoreThatDoesNotExistIsRefused) {
  defaults_.on_request = OnRequest::kWait;
  Request(1, 11, 2);
  const Processed r = Send(BackofficeTransfer{SoOfLine(11).id, 9, "bo"});
  EXPECT_EQ(r.fate, Fate::kRefused) << r.detail;
  EXPECT_TRUE(dead_.parked.empty());
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kRequest);
}

TEST_F(EngineTest, PoLineRespectsPackSizeAndMinimumOrder) {
  store_.db.AddOffer(kProduct, kPrimary, "5.0000", 7, /*pack=*/6, /*moq=*/10);
  Request(1, 11, 3);  // at least 10, in packs of 6: 12
  const Id line = *SoOfLine(11).po_line_id;
  EXPECT_EQ(store_.db.po_lines.at(line).quantity_ordered, 12);
  Request(2, 21, 1);  // 12 + 1 = 13, in packs of 6: 18
  EXPECT_EQ(store_.db.po_lines.at(line).quantity_ordered, 18);
  EXPECT_THAT(LastAudit("attached_to_po").detail, HasSubstr("packs of 6, minimum 10"));
}

TEST_F(EngineTest, ProductNoVendorSuppliesIsRejected) {
  store_.db.AddProduct(103, std::nullopt);
  Processed r = Request(1, 11, 1, 103);
  EXPECT_EQ(r.fate, Fate::kRefused);
  EXPECT_THAT(EventsOf<RejectedEvent>(sink_.published).at(0).reason,
              HasSubstr("no active vendor supplies product SKU-103"));
  EXPECT_TRUE(store_.db.special_orders.empty());
  // Inactive vendors do not count either.
  store_.db.AddOffer(103, kCheap, "1.0000", 1);
  store_.db.vendors.at(kCheap).active = false;
  EXPECT_EQ(Request(2, 21, 1, 103).fate, Fate::kRefused);
}

TEST_F(EngineTest, CancelledPoSendsItsSpecialOrdersBackToBeSourcedAgain) {
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  store_.db.pos.at(po).status = "cancelled";
  Send(PoStatusChanged{po, "cancelled", "draft"});
  const SpecialOrder& so = SoOfLine(11);
  EXPECT_EQ(so.status, SoStatus::kOrdered);
  EXPECT_NE(so.po_id, po);
  std::vector<std::pair<SoStatus, SoStatus>> moves;
  for (const auto& e : EventsOf<StatusChangedEvent>(sink_.published))
    moves.push_back({e.from, e.to});
  EXPECT_THAT(moves,
              ::testing::ElementsAre(std::make_pair(SoStatus::kOrdered, SoStatus::kRequest),
                                     std::make_pair(SoStatus::kRequest, SoStatus::kOrdered)));
  bool audited = false;
  for (const auto& a : store_.db.audit) {
    audited = audited || (a.decision == "back_to_request" &&
                          a.detail.find("is cancelled") != std::string::npos);
  }
  EXPECT_TRUE(audited);
}

TEST_F(EngineTest, PoClosedShortResourcesOnlyWhatStillWaits) {
  Request(1, 11, 5);
  const Id po = *SoOfLine(11).po_id;
  Ship(500, 11, 2);
  store_.db.pos.at(po).status = "closed";
  Send(PoStatusChanged{po, "closed", "open"});
  const SpecialOrder& so = SoOfLine(11);
  EXPECT_EQ(so.allocated_qty, 2);
  EXPECT_EQ(so.status, SoStatus::kInProgress);  // partly allocated, the rest on a new PO
  EXPECT_NE(so.po_id, po);
  EXPECT_EQ(store_.db.po_lines.at(*so.po_line_id).quantity_ordered, 3);
}

// The POS committed the shipment and then the PO's status; the status message came first.
TEST_F(EngineTest, PoReceivedBeforeItsShipmentMessageDoesNotOrderTheGoodsAgain) {
  Request(1, 11, 2);
  const SpecialOrder& so = SoOfLine(11);
  const Id po = *so.po_id;
  store_.db.CompleteShipment(500, po, {{*so.po_line_id, kProduct, 2}});
  store_.db.pos.at(po).status = "received";
  Send(PoStatusChanged{po, "received", "open"});
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kReady);
  EXPECT_EQ(SoOfLine(11).po_id, po);
  EXPECT_EQ(store_.db.pos.size(), 1u);
  const auto& s = store_.db.shipments.at(500);
  Send(ShipmentCompleted{500, s.po_id, s.store_id, s.vendor_id, s.lines});
  EXPECT_EQ(store_.db.audit.back().decision, "already_arrived");
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, 2);
}

TEST_F(EngineTest, PoCancelledWithWaitRuleLeavesSpecialOrderInRequest) {
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  defaults_.on_request = OnRequest::kWait;
  engine();
  store_.db.pos.at(po).status = "cancelled";
  Send(PoStatusChanged{po, "cancelled", "draft"});
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kRequest);
  EXPECT_FALSE(SoOfLine(11).po_id);
}

TEST_F(EngineTest, PoSentToVendorKeepsItsSpecialOrders) {
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  store_.db.pos.at(po).status = "open";
  Send(PoStatusChanged{po, "open", "draft"});
  EXPECT_EQ(SoOfLine(11).po_id, po);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kOrdered);
}

}  // namespace
}  // namespace so
