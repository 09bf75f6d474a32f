// The catch-up sweep on the fake store: facts the POS committed whose messages were lost are
// applied once, with their repair in the inbox and the audit trail; a message that arrives
// after its fact was swept changes nothing.
#include "rules/reconciler.hpp"

#include "tests/rules/engine_fixture.hpp"

namespace so {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ReconcilerTest : public EngineTest {
 protected:
  SweepReport Sweep() {
    if (!engine_) engine();
    Reconciler r(store_, *processor_, /*batch=*/2);
    const SweepReport report = r.Sweep(At(1000));
    EXPECT_FALSE(store_.in_transaction());
    EXPECT_THAT(fakes::CheckInvariants(store_.db), IsEmpty());
    return report;
  }
};

TEST_F(ReconcilerTest, LostRequestsAreCreatedAndSourcedOnce) {
  for (Id order : {1, 2, 3}) store_.db.AddOrderWithLine(order, order * 10 + 1, kStore, kProduct, 2);
  const SweepReport report = Sweep();
  EXPECT_EQ(report.repairs, 3);  // in two rounds of at most 2
  EXPECT_EQ(SoOfLine(31).status, SoStatus::kOrdered);
  EXPECT_TRUE(store_.db.inbox.contains("sweep:request:11"));
  EXPECT_EQ(Sweep().repairs, 0);
  // The lost message, late: nothing more happens.
  Send(SpecialOrderRequested{1, 11, kStore, 7, kProduct, 2, At(1)});
  EXPECT_EQ(store_.db.special_orders.size(), 3u);
  EXPECT_EQ(store_.db.audit.back().decision, "already_requested");
}

TEST_F(ReconcilerTest, LostShipmentIsAllocated) {
  Request(1, 11, 2);
  const SpecialOrder& so = SoOfLine(11);
  store_.db.CompleteShipment(500, *so.po_id, {{*so.po_line_id, kProduct, 2}});
  EXPECT_EQ(Sweep().repairs, 1);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kReady);
  // The late message finds the shipment applied.
  const auto& s = store_.db.shipments.at(500);
  Send(ShipmentCompleted{500, s.po_id, s.store_id, s.vendor_id, s.lines});
  EXPECT_EQ(store_.db.audit.back().decision, "already_arrived");
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, 2);
}

TEST_F(ReconcilerTest, LostReceivedTransferIsAllocatedWithTheRequestedQuantities) {
  defaults_.transfer_from_stores = {kOtherStore};
  store_.db.SetOnHand(kOtherStore, kProduct, 5);
  Request(1, 11, 2);
  const Id transfer = *SoOfLine(11).transfer_id;
  store_.db.ReceiveTransfer(transfer, {{kProduct, 2}});
  EXPECT_EQ(Sweep().repairs, 1);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kReady);
}

TEST_F(ReconcilerTest, LostChangesCancellationsAndPickupsAreApplied) {
  Request(1, 11, 2);
  Request(2, 21, 2);
  Request(3, 31, 1);
  Ship(500, 11, 5);
  store_.db.lines.at(11).special_order_qty = 1;  // lowered, message lost
  store_.db.orders.at(2).status = "cancelled";   // cancelled, message lost
  store_.db.orders.at(3).status = "completed";   // handed over, message lost
  store_.db.SetOnHand(kStore, kProduct, store_.db.Stock(kStore, kProduct).on_hand - 1);
  Sweep();
  EXPECT_EQ(SoOfLine(11).quantity, 1);
  EXPECT_EQ(SoOfLine(21).status, SoStatus::kCancelled);
  EXPECT_FALSE(store_.db.orders.at(2).has_special_order);
  EXPECT_EQ(SoOfLine(31).status, SoStatus::kCompleted);
  EXPECT_EQ(Sweep().repairs, 0);
}

// A transfer arrived, then the clerk raised the quantity; both messages were lost. The arrival is
// applied first: the raise must not take the special order off the transfer that brought goods.
TEST_F(ReconcilerTest, ArrivalsAreCaughtUpBeforeQuantityChanges) {
  defaults_.transfer_from_stores = {kOtherStore};
  store_.db.SetOnHand(kOtherStore, kProduct, 5);
  Request(1, 11, 2);
  const Id transfer = *SoOfLine(11).transfer_id;
  store_.db.ReceiveTransfer(transfer, {{kProduct, 2}});
  store_.db.lines.at(11).special_order_qty = 3;
  Sweep();
  const SpecialOrder& so = SoOfLine(11);
  EXPECT_EQ(so.quantity, 3);
  EXPECT_EQ(so.allocated_qty, 2);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, 2);
}

TEST_F(ReconcilerTest, PoThatWentWrongUnnoticedIsSourcedAgain) {
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  store_.db.pos.at(po).status = "cancelled";
  EXPECT_EQ(Sweep().repairs, 1);
  EXPECT_NE(SoOfLine(11).po_id, po);
  EXPECT_TRUE(store_.db.inbox.contains("sweep:po:" + std::to_string(po) + ":cancelled"));
}

// The buyer sent the PO but its po.status_changed was lost: the sweep counts the lead time from
// the sweep, and a second sweep finds nothing more.
TEST_F(ReconcilerTest, APoSentUnnoticedPromisesAgainFromTheSweep) {
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  ASSERT_EQ(store_.db.clocks.at(SoOfLine(11).id).basis, PromiseBasis::kVendorFromNow);
  store_.db.pos.at(po).status = "open";
  EXPECT_EQ(Sweep().repairs, 1);
  EXPECT_TRUE(store_.db.inbox.contains("sweep:po_sent:" + std::to_string(po)));
  EXPECT_TRUE(store_.db.po_sent.contains(po));
  const SoClock& c = store_.db.clocks.at(SoOfLine(11).id);
  EXPECT_EQ(c.promise_seq, 2);
  EXPECT_EQ(c.basis, PromiseBasis::kVendorFromSent);
  EXPECT_EQ(c.base_at, store_.db.po_sent.at(po));
  EXPECT_EQ(Sweep().repairs, 0);
}

TEST_F(ReconcilerTest, AFactThatIsRefusedDoesNotKeepTheSweepGoing) {
  store_.db.products.at(kProduct).special_order_allowed = false;
  store_.db.AddOrderWithLine(1, 11, kStore, kProduct, 1);
  EXPECT_EQ(Sweep().repairs, 1);  // refused, and recorded
  EXPECT_EQ(store_.db.inbox.at("sweep:request:11"), "refused");
  EXPECT_EQ(Sweep().repairs, 0);  // still pending, but a duplicate now
}

TEST_F(ReconcilerTest, ADatabaseThatIsAwayEndsTheSweepForLater) {
  store_.db.AddOrderWithLine(1, 11, kStore, kProduct, 1);
  engine();
  store_.FailCall(1, Error{ErrorKind::kConnection, 2013, "Lost connection"});
  EXPECT_TRUE(Sweep().unavailable);
  EXPECT_TRUE(store_.db.special_orders.empty());
  EXPECT_EQ(Sweep().repairs, 1);
}

}  // namespace
}  // namespace so
