// Promises (issue 11 point 1): the day a special order's goods are expected, from the vendor's
// lead time (counted from when its PO was sent, or from now while the PO is a draft) or from the
// rule's transfer_days; kept in sod_promises, announced as special_order.promised, promised again
// when the special order is sourced again or its draft PO is sent.
#include "tests/rules/engine_fixture.hpp"

namespace so {
namespace {

using ::testing::HasSubstr;

class PromiseTest : public EngineTest {
 protected:
  const SoClock& ClockOfLine(Id line) { return store_.db.clocks.at(SoOfLine(line).id); }

  // The message time Send() will stamp the next message with.
  Timestamp NextAt() const { return At(static_cast<int64_t>(seq_) + 1); }

  // The POS sends the PO to the vendor.
  Processed SendPo(Id po) {
    store_.db.pos.at(po).status = "open";
    return Send(PoStatusChanged{po, "open", "draft"});
  }
};

TEST_F(PromiseTest, ADraftPoCountsFromNowAndIsPromisedAgainFromWhenItIsSent) {
  const Timestamp requested = NextAt();
  Request(1, 11, 2);  // the primary vendor: 7 days, onto a new draft PO
  const SoClock first = ClockOfLine(11);
  EXPECT_EQ(first.promise_seq, 1);
  EXPECT_EQ(first.basis, PromiseBasis::kVendorFromNow);
  EXPECT_EQ(first.base_at, requested);
  EXPECT_EQ(first.days, 7);
  EXPECT_EQ(first.expected_on, StartOfDay(AddDays(requested, 7)));
  EXPECT_EQ(first.rule, kDefaultsRuleName);
  const auto promised = EventsOf<PromisedEvent>(sink_.published);
  ASSERT_EQ(promised.size(), 1u);
  EXPECT_EQ(promised[0].special_order_id, SoOfLine(11).id);
  EXPECT_EQ(promised[0].order_id, 1);
  EXPECT_EQ(promised[0].expected_on, *first.expected_on);
  EXPECT_EQ(promised[0].basis, PromiseBasis::kVendorFromNow);
  EXPECT_THAT(LastAudit("promised").detail, HasSubstr("is still draft, counted again"));

  const Id po = *SoOfLine(11).po_id;
  // Two days later the buyer sends it.
  seq_ += 2 * 24 * 60;
  const Timestamp sent = NextAt();
  SendPo(po);
  EXPECT_EQ(store_.db.po_sent.at(po), sent);
  const SoClock& again = ClockOfLine(11);
  EXPECT_EQ(again.promise_seq, 2);
  EXPECT_EQ(again.basis, PromiseBasis::kVendorFromSent);
  EXPECT_EQ(again.base_at, sent);
  EXPECT_EQ(again.expected_on, StartOfDay(AddDays(sent, 7)));
  ASSERT_EQ(EventsOf<PromisedEvent>(sink_.published).size(), 1u);
  EXPECT_EQ(EventsOf<PromisedEvent>(sink_.published)[0].basis, PromiseBasis::kVendorFromSent);

  // A later status change of the same PO changes neither the time it was sent nor the promise.
  store_.db.pos.at(po).status = "partially_received";
  Send(PoStatusChanged{po, "partially_received", "open"});
  EXPECT_EQ(store_.db.po_sent.at(po), sent);
  EXPECT_EQ(ClockOfLine(11).promise_seq, 2);
  EXPECT_TRUE(EventsOf<PromisedEvent>(sink_.published).empty());
}

TEST_F(PromiseTest, AnOpenPoCountsFromWhenTheDaemonSawItSent) {
  defaults_.attach_po_statuses = {"draft", "open"};
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  const Timestamp sent = NextAt();
  SendPo(po);
  seq_ += 3 * 24 * 60;
  Request(2, 21, 1);  // attached to the open PO three days later
  ASSERT_EQ(SoOfLine(21).po_id, po);
  const SoClock& c = ClockOfLine(21);
  EXPECT_EQ(c.promise_seq, 1);
  EXPECT_EQ(c.basis, PromiseBasis::kVendorFromSent);
  EXPECT_EQ(c.base_at, sent);
  EXPECT_EQ(c.expected_on, StartOfDay(AddDays(sent, 7)));
}

TEST_F(PromiseTest, AnOpenPoSentBeforeTheDaemonSawItCountsFromNow) {
  defaults_.attach_po_statuses = {"open"};
  store_.db.pos[900] = PurchaseOrder{900, kStore, kPrimary, "open", At(0)};
  const Timestamp now = NextAt();
  Request(1, 11, 2);
  ASSERT_EQ(SoOfLine(11).po_id, 900);
  const SoClock& c = ClockOfLine(11);
  EXPECT_EQ(c.basis, PromiseBasis::kVendorFromSent);
  EXPECT_EQ(c.base_at, now);
  EXPECT_THAT(LastAudit("promised").detail, HasSubstr("sent before the daemon saw it"));
}

TEST_F(PromiseTest, ATransferCountsTheRulesTransferDays) {
  defaults_.transfer_from_stores = {kOtherStore};
  defaults_.transfer_days = 2;
  store_.db.SetOnHand(kOtherStore, kProduct, 5);
  const Timestamp now = NextAt();
  Request(1, 11, 2);
  ASSERT_EQ(SoOfLine(11).source, SoSource::kTransfer);
  const SoClock& c = ClockOfLine(11);
  EXPECT_EQ(c.basis, PromiseBasis::kTransferDays);
  EXPECT_EQ(c.days, 2);
  EXPECT_EQ(c.expected_on, StartOfDay(AddDays(now, 2)));
  EXPECT_EQ(EventsOf<PromisedEvent>(sink_.published).at(0).basis, PromiseBasis::kTransferDays);
}

TEST_F(PromiseTest, APrimaryVendorWithoutTermsPromisesNothing) {
  store_.db.AddProduct(103, kPrimary);  // no product_vendors row
  Request(1, 11, 2, 103);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kOrdered);
  EXPECT_FALSE(store_.db.clocks.contains(SoOfLine(11).id));
  EXPECT_TRUE(EventsOf<PromisedEvent>(sink_.published).empty());
  EXPECT_THAT(LastAudit("no_promise").detail, HasSubstr("vendor 10 has no lead time"));
}

TEST_F(PromiseTest, SourcedAgainIsPromisedAgainWithTheNextSeq) {
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  store_.db.pos.at(po).status = "cancelled";
  const Timestamp now = NextAt();
  Send(PoStatusChanged{po, "cancelled", "draft"});
  ASSERT_NE(SoOfLine(11).po_id, po);
  const SoClock& c = ClockOfLine(11);
  EXPECT_EQ(c.promise_seq, 2);
  EXPECT_EQ(c.base_at, now);
  EXPECT_FALSE(store_.db.po_sent.contains(po));  // a cancelled PO was never sent
}

TEST_F(PromiseTest, SourcedAgainWithoutTermsWithdrawsThePromise) {
  Request(1, 11, 2);
  const Id po = *SoOfLine(11).po_id;
  // The product's primary vendor changes to one without terms; the PO is cancelled.
  store_.db.AddProduct(kProduct, kFast);
  store_.db.product_vendors.erase({kProduct, kFast});
  store_.db.pos.at(po).status = "cancelled";
  Send(PoStatusChanged{po, "cancelled", "draft"});
  ASSERT_EQ(SoOfLine(11).vendor_id, kFast);
  const SoClock& c = ClockOfLine(11);
  EXPECT_EQ(c.promise_seq, 2);
  EXPECT_FALSE(c.expected_on);
  EXPECT_FALSE(c.basis);
}

}  // namespace
}  // namespace so
