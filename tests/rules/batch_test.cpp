// Processor::ProcessBatch on the in-memory fake: many messages in one transaction, each seeing
// what the earlier ones wrote, and what happens when one of them, the writes or the commit fail.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rules/batch_view.hpp"
#include "tests/rules/engine_fixture.hpp"

namespace so {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class BatchTest : public EngineTest {
 protected:
  // A message as the POS would publish it next.
  Message Next(Payload payload, std::string id = "") {
    ++seq_;
    return Message{Envelope{1, id.empty() ? "msg-" + std::to_string(seq_) : id, "test", "pos", seq_,
                            At(static_cast<int64_t>(seq_))},
                   std::move(payload)};
  }
  // The POS writes an order with one special-ordered line; the request comes later.
  Message RequestOf(Id order, Id line, Qty qty, Id product = kProduct) {
    store_.db.AddOrderWithLine(order, line, kStore, product, qty);
    return Next(SpecialOrderRequested{order, line, kStore, 7, product, qty, At(order)});
  }

  std::vector<Processed> SendBatch(const std::vector<Message>& messages) {
    if (!engine_) engine();
    std::vector<Delivery> batch;
    for (const auto& m : messages) batch.push_back({m, m.envelope.type, "{}"});
    sink_.published.clear();
    std::vector<Processed> r = processor_->ProcessBatch(batch);
    EXPECT_FALSE(store_.in_transaction());
    if (check_invariants_) {
      EXPECT_THAT(fakes::CheckInvariants(store_.db), ::testing::IsEmpty());
    }
    return r;
  }

  static std::vector<Fate> Fates(const std::vector<Processed>& r) {
    std::vector<Fate> out;
    for (const auto& p : r) out.push_back(p.fate);
    return out;
  }
};

TEST_F(BatchTest, AppliesEveryMessageInOneTransactionAndPublishesInOrder) {
  engine();
  const int commits = store_.commits();
  auto r = SendBatch({RequestOf(1, 11, 2), RequestOf(2, 21, 3), RequestOf(3, 31, 1)});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kApplied, Fate::kApplied, Fate::kApplied));
  EXPECT_EQ(store_.commits(), commits + 1);
  EXPECT_EQ(processor_->stats().batches, 1u);
  const auto created = EventsOf<SpecialOrderCreatedEvent>(sink_.published);
  ASSERT_EQ(created.size(), 3u);
  EXPECT_EQ(created[0].order_line_id, 11);
  EXPECT_EQ(created[1].order_line_id, 21);
  EXPECT_EQ(created[2].order_line_id, 31);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, 6);
}

TEST_F(BatchTest, LaterMessagesSeeWhatEarlierOnesWrote) {
  engine();
  // The first request creates the draft PO; the second finds it (in the batch, not the store)
  // and grows the same line; a raise of the first line's quantity grows it again.
  Message first = RequestOf(1, 11, 2);
  Message second = RequestOf(2, 21, 3);
  store_.db.lines.at(11).special_order_qty = 5;
  Message raise = Next(OrderLineChanged{1, 11, 5});
  auto r = SendBatch({first, second, raise});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kApplied, Fate::kApplied, Fate::kApplied));
  ASSERT_EQ(store_.db.pos.size(), 1u);
  ASSERT_EQ(store_.db.po_lines.size(), 1u);
  EXPECT_EQ(store_.db.po_lines.begin()->second.quantity_ordered, 8);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, 8);
  EXPECT_EQ(SoOfLine(11).quantity, 5);
}

TEST_F(BatchTest, NewSpecialOrdersAreWrittenOnceAndNamedByTheirIdsEverywhere) {
  engine();
  Message first = RequestOf(1, 11, 2);
  // The same fact again under a new id, in the same batch: its audit names the special order
  // the first one made, which had only a provisional id when the decision was taken.
  Message again = Next(SpecialOrderRequested{1, 11, kStore, 7, kProduct, 2, At(1)});
  auto r = SendBatch({first, again});
  ASSERT_THAT(Fates(r), ElementsAre(Fate::kApplied, Fate::kApplied));
  const Id id = SoOfLine(11).id;
  EXPECT_LT(id, BatchView::kFirstProvisionalId);
  const auto created = EventsOf<SpecialOrderCreatedEvent>(r[0].events);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].special_order_id, id);
  EXPECT_EQ(EventsOf<StatusChangedEvent>(r[0].events).at(0).special_order_id, id);
  bool named = false;
  for (const auto& a : store_.db.audit) {
    if (a.special_order_id) {
      EXPECT_EQ(*a.special_order_id, id) << a.detail;
    }
    if (a.message_id == again.envelope.id) {
      EXPECT_THAT(a.detail, HasSubstr("special order " + std::to_string(id)));
      named = true;
    }
  }
  EXPECT_TRUE(named);
}

TEST_F(BatchTest, ARefusalTouchesOnlyItsOwnMessage) {
  engine();
  auto r = SendBatch(
      {Next(SpecialOrderRequested{99, 991, kStore, 7, kProduct, 1, At(1)}), RequestOf(1, 11, 2)});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kRefused, Fate::kApplied));
  EXPECT_THAT(r[0].detail, HasSubstr("order 99 does not exist"));
  EXPECT_EQ(store_.db.inbox.at("msg-1"), "refused");
  EXPECT_EQ(store_.db.inbox.at("msg-2"), "applied");
  EXPECT_EQ(EventsOf<RejectedEvent>(r[0].events).size(), 1u);
}

TEST_F(BatchTest, AMessageThatFailsIsDeadLetteredAndTheOthersCommitWithoutIt) {
  Request(1, 11, 2);  // msg-1
  // Something outside the daemon zeroed the backorder count: cancelling the special order
  // would take it below zero, which the store refuses, however often it is tried.
  store_.db.stock.at({kStore, kProduct}).backordered = 0;
  check_invariants_ = false;
  auto r = SendBatch(
      {RequestOf(2, 21, 1), Next(BackofficeCancel{SoOfLine(11).id, "clerk"}), RequestOf(3, 31, 1)});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kApplied, Fate::kDeadLettered, Fate::kApplied));
  ASSERT_EQ(dead_.parked.size(), 1u);
  EXPECT_THAT(dead_.parked[0].reason, HasSubstr("below zero"));
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kOrdered);  // its in-memory changes were dropped
  EXPECT_EQ(SoOfLine(21).status, SoStatus::kOrdered);
  EXPECT_EQ(SoOfLine(31).status, SoStatus::kOrdered);
  EXPECT_FALSE(store_.db.inbox.contains("msg-3"));
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, 2);
}

TEST_F(BatchTest, ADeadlockRunsTheWholeBatchAgain) {
  engine();
  store_.FailCall(3, Error{ErrorKind::kTransient, 1213, "Deadlock found"});
  auto r = SendBatch({RequestOf(1, 11, 2), RequestOf(2, 21, 3)});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kApplied, Fate::kApplied));
  EXPECT_EQ(r[0].attempts, 2);
  EXPECT_EQ(slept_.size(), 1u);
  EXPECT_EQ(store_.db.special_orders.size(), 2u);
  EXPECT_EQ(processor_->stats().retries, 1u);
}

TEST_F(BatchTest, ABatchThatKeepsFailingIsCutInTwo) {
  engine();
  store_.fail_apply_writes = {2, Error{ErrorKind::kTransient, 1213, "Deadlock found"}};
  const int commits = store_.commits();
  auto r = SendBatch(
      {RequestOf(1, 11, 1), RequestOf(2, 21, 1), RequestOf(3, 31, 1), RequestOf(4, 41, 1)});
  EXPECT_THAT(Fates(r),
              ElementsAre(Fate::kApplied, Fate::kApplied, Fate::kApplied, Fate::kApplied));
  EXPECT_EQ(processor_->stats().splits, 1u);
  EXPECT_EQ(store_.commits(), commits + 2);
}

TEST_F(BatchTest, WritesThatFailWithNoOneToBlameAreNarrowedDownToTheirMessage) {
  engine();
  // Permanent at once: the batch is cut until a batch of one fails, and only that one is
  // parked; here the failure comes only once, so the halves then apply.
  store_.fail_apply_writes = {1, Error{ErrorKind::kPermanent, 4025, "CHECK constraint failed"}};
  auto r = SendBatch({RequestOf(1, 11, 1), RequestOf(2, 21, 1), RequestOf(3, 31, 1)});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kApplied, Fate::kApplied, Fate::kApplied));
  EXPECT_EQ(processor_->stats().splits, 1u);

  store_.fail_apply_writes = {3, Error{ErrorKind::kPermanent, 4025, "CHECK constraint failed"}};
  r = SendBatch({RequestOf(4, 41, 1), RequestOf(5, 51, 1)});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kDeadLettered, Fate::kDeadLettered));
  EXPECT_THAT(dead_.parked.at(0).reason, HasSubstr("4025"));
}

TEST_F(BatchTest, ALostDatabaseLeavesEveryMessageUnavailable) {
  engine();
  store_.fail_commits = Error{ErrorKind::kConnection, 2013, "Lost connection"};
  auto r = SendBatch({RequestOf(1, 11, 2), RequestOf(2, 21, 3)});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kUnavailable, Fate::kUnavailable));
  EXPECT_TRUE(dead_.parked.empty());
  EXPECT_TRUE(sink_.published.empty());
  EXPECT_TRUE(store_.db.special_orders.empty());
  EXPECT_GE(reconnects_, 1);
}

TEST_F(BatchTest, ACommitWhoseAnswerWasLostIsResolvedByTheInbox) {
  engine();
  store_.lose_commit_answer = Error{ErrorKind::kConnection, 2013, "Lost connection"};
  auto r = SendBatch({RequestOf(1, 11, 2), RequestOf(2, 21, 3)});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kApplied, Fate::kApplied));
  EXPECT_EQ(store_.db.special_orders.size(), 2u);
  EXPECT_EQ(EventsOf<SpecialOrderCreatedEvent>(sink_.published).size(), 2u);
}

TEST_F(BatchTest, DuplicatesAreToldApartInsideAndOutsideTheBatch) {
  Request(1, 11, 2);  // msg-1
  const int commits = store_.commits();
  Message again = Next(SpecialOrderRequested{1, 11, kStore, 7, kProduct, 2, At(1)}, "msg-1");
  Message fresh = RequestOf(2, 21, 1);
  auto r = SendBatch({again, fresh, fresh});
  EXPECT_THAT(Fates(r), ElementsAre(Fate::kDuplicate, Fate::kApplied, Fate::kDuplicate));
  EXPECT_TRUE(r[0].events.empty());
  EXPECT_TRUE(r[2].events.empty());
  // The copy of a message in its own batch starts a transaction of its own.
  EXPECT_EQ(store_.commits(), commits + 1);
  EXPECT_EQ(processor_->stats().duplicates, 2u);
}

TEST_F(BatchTest, CheckpointsMarkEachStepOfABatchInOrder) {
  engine();
  std::vector<std::string> marks;
  processor_->set_checkpoint([&](std::string_view at) { marks.emplace_back(at); });
  SendBatch({RequestOf(1, 11, 2), RequestOf(2, 21, 1)});
  EXPECT_THAT(marks, ElementsAre("after_receive", "after_receive", "after_begin", "after_writes",
                                 "before_commit", "after_commit", "before_publish"));
}

TEST_F(BatchTest, ReadsTheRowsOfABatchSetWiseAndOnce) {
  std::vector<Message> messages;
  for (Id order = 1; order <= 20; ++order) messages.push_back(RequestOf(order, order * 10 + 1, 1));
  engine();
  BatchView view(store_);
  ASSERT_TRUE(store_.Begin().ok());
  std::vector<const Message*> pointers;
  for (const auto& m : messages) pointers.push_back(&m);
  ASSERT_TRUE(view.Prefetch(pointers).ok());
  const int prefetched = view.store_reads();
  for (const auto& m : messages) ASSERT_TRUE(engine_->Apply(m, view).ok());
  // Twenty requests for one product of one store: the prefetch reads everything they need,
  // the primary vendor's POs included, whatever the number of messages (the PO the first one
  // creates has no lines but its own).
  EXPECT_LE(prefetched, 10);
  EXPECT_EQ(view.store_reads() - prefetched, 0);
  ASSERT_TRUE(view.Flush().ok());
  ASSERT_TRUE(store_.Commit().ok());
  EXPECT_EQ(store_.db.special_orders.size(), 20u);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, 20);
}

// No handler writes the clock rows yet; the view keeps them as it keeps every row. A new special
// order's clock goes to the store under the id the store gave the special order, and a PO's
// first time seen sent wins in the batch as in the store.
TEST_F(BatchTest, AClockOfANewSpecialOrderIsWrittenUnderItsStoredId) {
  engine();
  const Message request = RequestOf(1, 11, 2);
  SoClock stored_clock;
  stored_clock.special_order_id = 5;
  stored_clock.promise_seq = 4;
  store_.db.clocks[5] = stored_clock;
  store_.db.po_sent[77] = At(1);
  BatchView view(store_);
  ASSERT_TRUE(store_.Begin().ok());
  ASSERT_TRUE(engine_->Apply(request, view).ok());
  const std::vector<SpecialOrder> created = view.NewSpecialOrders();
  ASSERT_EQ(created.size(), 1u);
  const Id provisional = created[0].id;
  ASSERT_GE(provisional, BatchView::kFirstProvisionalId);

  // Read from the store once; a new special order's not at all.
  int reads = view.store_reads();
  ASSERT_EQ(view.LockSoClock(5).value()->promise_seq, 4);
  ASSERT_EQ(view.LockSoClock(5).value()->promise_seq, 4);
  // The request promised it (seq 1), in the view.
  EXPECT_EQ(view.LockSoClock(provisional).value()->promise_seq, 1);
  EXPECT_EQ(view.store_reads(), reads + 1);

  SoClock clock;
  clock.special_order_id = provisional;
  clock.promise_seq = 2;
  clock.expected_on = At(60 * 24 * 7);
  clock.basis = PromiseBasis::kTransferDays;
  ASSERT_TRUE(view.PutSoClock(clock).ok());
  EXPECT_EQ(view.LockSoClock(provisional).value()->promise_seq, 2);
  const auto both = view.LockSoClocks({provisional, 5, 6});
  ASSERT_TRUE(both.ok());
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[0].special_order_id, 5);
  ASSERT_TRUE(view.SetPoSentAt(77, At(5)).ok());  // the store's time stays
  ASSERT_TRUE(view.SetPoSentAt(78, At(5)).ok());
  ASSERT_TRUE(view.SetPoSentAt(78, At(6)).ok());
  EXPECT_EQ(view.GetPoSentAt(78).value(), At(5));
  EXPECT_EQ(view.GetPoSentAt(77).value(), At(1));
  ASSERT_TRUE(view.Flush().ok());
  ASSERT_TRUE(store_.Commit().ok());

  Id stored = 0;
  for (const auto& [id, so] : store_.db.special_orders) {
    if (so.order_line_id == 11) stored = id;
  }
  ASSERT_NE(stored, 0);
  ASSERT_EQ(store_.db.clocks.size(), 2u);
  ASSERT_TRUE(store_.db.clocks.contains(stored));
  const SoClock& written = store_.db.clocks.at(stored);
  EXPECT_EQ(written.special_order_id, stored);
  EXPECT_EQ(written.promise_seq, 2);
  EXPECT_EQ(written.expected_on, clock.expected_on);
  EXPECT_EQ(written.basis, PromiseBasis::kTransferDays);
  EXPECT_EQ(store_.db.clocks.at(5).promise_seq, 4);  // read, never written
  EXPECT_EQ(store_.db.po_sent, (std::map<Id, Timestamp>{{77, At(1)}, {78, At(5)}}));
}

}  // namespace
}  // namespace so
