// The outbox (rules/outbox.hpp) through the Processor on the fake store: events written with
// their transaction and envelope, sent in seq order after the commit, sent again with the same
// bytes after a crash, held, refused by the bus, taken over by another run, pruned.
#include "rules/outbox.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "adapters/json_codec.hpp"
#include "tests/rules/engine_fixture.hpp"

namespace so {
namespace {

class OutboxTest : public EngineTest {
 protected:
  // The seqs of what the sink was handed, in order.
  std::vector<uint64_t> SentSeqs() const {
    std::vector<uint64_t> seqs;
    for (const StampedEvent& e : sink_.sent) seqs.push_back(e.envelope.seq);
    return seqs;
  }
  // 1, 2, ..., n.
  static std::vector<uint64_t> Upto(uint64_t n, uint64_t from = 1) {
    std::vector<uint64_t> seqs;
    for (uint64_t s = from; s <= n; ++s) seqs.push_back(s);
    return seqs;
  }
  const fakes::FakeDb::EventSourceRow& Row() const {
    return store_.db.event_sources.at("sod-test");
  }
  // Stops the daemon without a word (kill -9): its outbox is gone, the database stays; a new run
  // opens the source again over the same store and sink.
  void Restart() {
    outbox_ = fakes::OpenOutbox(store_, sink_);
    processor_.reset();
    engine();
  }
};

TEST_F(OutboxTest, EventsAreWrittenWithTheirTransactionAndSentInSeqOrder) {
  Request(1, 11, 2);  // created, purchase_order.created, status_changed, promised
  const uint64_t n = store_.db.outbox.size();
  ASSERT_GE(n, 3u);
  std::vector<uint64_t> seqs;
  for (const auto& row : store_.db.outbox) {
    seqs.push_back(row.event.envelope.seq);
    EXPECT_EQ(row.event.envelope.source, outbox_->source());
    EXPECT_EQ(row.event.envelope.occurred_at, At(1)) << "the time of the message that caused it";
    EXPECT_NE(row.event.body.find("\"id\":\"" + row.event.envelope.id + "\""), std::string::npos);
  }
  EXPECT_EQ(seqs, Upto(n));
  EXPECT_EQ(SentSeqs(), Upto(n));
  EXPECT_EQ(Row().last_seq, n);
  EXPECT_EQ(Row().sent_seq, 0u) << "the mark waits for the next batch or MarkSent()";
  Request(2, 21, 1);
  const uint64_t m = store_.db.outbox.size();
  EXPECT_EQ(Row().sent_seq, n) << "written by the next batch, in its transaction";
  EXPECT_EQ(SentSeqs(), Upto(m));
  ASSERT_TRUE(outbox_->MarkSent().ok());
  EXPECT_EQ(Row().sent_seq, m);
  EXPECT_FALSE(outbox_->mark_behind());
}

TEST_F(OutboxTest, TheSourceIsNamedOnceAndIdsDifferPerSeq) {
  engine();
  EXPECT_EQ(outbox_->source(), "sod-test#" + FormatRfc3339(store_.db.now));
  Request(1, 11, 2);
  std::set<std::string> ids;
  for (const StampedEvent& e : sink_.sent) ids.insert(e.envelope.id);
  EXPECT_EQ(ids.size(), sink_.sent.size());
  for (const std::string& id : ids) EXPECT_LE(id.size(), 64u);
}

TEST_F(OutboxTest, AFailedAttemptLeavesNoEventAndNoHoleInTheSeq) {
  engine();
  store_.fail_commits = Error{ErrorKind::kTransient, 1213, "deadlock"};
  // Every attempt fails: the message is dead-lettered, nothing of it is in the outbox.
  Processed r = Request(1, 11, 2);
  store_.fail_commits.reset();
  EXPECT_EQ(r.fate, Fate::kDeadLettered);
  EXPECT_TRUE(store_.db.outbox.empty());
  EXPECT_TRUE(sink_.sent.empty());
  EXPECT_EQ(Row().last_seq, 0u);
  Request(2, 21, 1);
  EXPECT_EQ(SentSeqs(), Upto(store_.db.outbox.size()));
  EXPECT_EQ(SentSeqs().front(), 1u);
}

TEST_F(OutboxTest, ACommitWhoseAnswerWasLostSendsItsEventsOnce) {
  engine();
  store_.lose_commit_answer = Error{ErrorKind::kConnection, 2013, "lost connection"};
  Processed r = Request(1, 11, 2);
  EXPECT_EQ(r.fate, Fate::kApplied);
  const uint64_t n = store_.db.outbox.size();
  EXPECT_EQ(SentSeqs(), Upto(n));
  EXPECT_EQ(Row().last_seq, n);
  Request(2, 21, 1);
  EXPECT_EQ(SentSeqs(), Upto(store_.db.outbox.size()));
}

TEST_F(OutboxTest, ACommitWhoseAnswerWasLostAndNeverCheckedIsFoundAtTheNextBatch) {
  engine();
  std::optional<Error> fatal;
  processor_->set_on_fatal([&](const Error& e) { fatal = e; });
  // The COMMIT happens, its answer is lost, and the database cannot be reached to ask: the
  // message is held, the run does not know its events are committed.
  store_.lose_commit_answer = Error{ErrorKind::kConnection, 2013, "lost connection"};
  reconnect_result_ = Error{ErrorKind::kConnection, 2003, "cannot connect"};
  EXPECT_EQ(Request(1, 11, 2).fate, Fate::kUnavailable);
  const uint64_t n = store_.db.outbox.size();
  ASSERT_GT(n, 0u);
  EXPECT_TRUE(sink_.sent.empty());
  // Back: the held message is a duplicate, and the next one's events follow the committed ones.
  reconnect_result_ = Status();
  EXPECT_EQ(Send(SpecialOrderRequested{1, 11, kStore, kCustomer, kProduct, 2, At(1)}, "msg-1").fate,
            Fate::kDuplicate);
  Processed r = Request(2, 21, 1);
  EXPECT_EQ(r.fate, Fate::kApplied) << r.detail;
  EXPECT_FALSE(fatal.has_value()) << fatal->message;
  EXPECT_TRUE(dead_.parked.empty());
  EXPECT_EQ(SentSeqs(), Upto(store_.db.outbox.size())) << "the lost commit's events too, first";
  EXPECT_GT(store_.db.outbox.size(), n);
}

TEST_F(OutboxTest, ACrashBetweenCommitAndPublishSendsTheSameEventsAtTheNextStart) {
  engine();
  sink_.fail = Error{ErrorKind::kPermanent, 0, "the process died"};  // nothing goes out
  Request(1, 11, 2);
  ASSERT_TRUE(sink_.sent.empty());
  const std::vector<fakes::FakeDb::OutboxRow> written = store_.db.outbox;
  const uint64_t n = written.size();
  sink_.fail.reset();
  Restart();
  EXPECT_EQ(outbox_->unsent(), n);
  ASSERT_TRUE(outbox_->Drain().ok());
  ASSERT_EQ(sink_.sent.size(), n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(sink_.sent[i].envelope.id, written[i].event.envelope.id);
    EXPECT_EQ(sink_.sent[i].body, written[i].event.body) << "the same bytes";
    EXPECT_FALSE(sink_.sent[i].event.has_value()) << "read back from the table";
  }
  EXPECT_EQ(outbox_->stats().resent, n);
  // The seq goes on, under the same source.
  Request(2, 21, 1);
  EXPECT_EQ(SentSeqs(), Upto(store_.db.outbox.size()));
  EXPECT_EQ(sink_.sent.back().envelope.source, written.front().event.envelope.source);
}

TEST_F(OutboxTest, WhatWasSentButNotMarkedIsSentAgainWithTheSameIds) {
  Request(1, 11, 2);
  const uint64_t n = sink_.sent.size();
  const std::string first_id = sink_.sent.front().envelope.id;
  Restart();  // killed before any mark was written
  ASSERT_TRUE(outbox_->Drain().ok());
  std::vector<uint64_t> twice = Upto(n);
  twice.insert(twice.end(), twice.begin(), twice.end());
  EXPECT_EQ(SentSeqs(), twice);
  EXPECT_EQ(sink_.sent[n].envelope.id, first_id);
  ASSERT_TRUE(outbox_->MarkSent().ok());
  Restart();
  ASSERT_TRUE(outbox_->Drain().ok());
  EXPECT_EQ(sink_.sent.size(), 2 * n) << "marked: not again";
}

TEST_F(OutboxTest, HeldEventsWaitAndThenGoInOrder) {
  engine();
  outbox_->Hold();
  Request(1, 11, 2);
  Request(2, 21, 1);
  EXPECT_TRUE(sink_.sent.empty());
  const uint64_t n = store_.db.outbox.size();
  EXPECT_EQ(outbox_->unsent(), n);
  EXPECT_EQ(Row().sent_seq, 0u);
  outbox_->Release();
  ASSERT_TRUE(outbox_->Drain().ok());
  EXPECT_EQ(SentSeqs(), Upto(n));
  EXPECT_EQ(outbox_->stats().resent, 0u) << "from memory";
}

TEST_F(OutboxTest, AnEventTheBusRefusesStaysAndGoesWithTheNextBatch) {
  engine();
  sink_.fail = Error{ErrorKind::kTransient, 11, "event socket would block"};
  Processed r = Request(1, 11, 2);
  EXPECT_EQ(r.fate, Fate::kApplied);
  EXPECT_NE(r.publish_error.find("stays in the outbox"), std::string::npos) << r.publish_error;
  EXPECT_EQ(outbox_->stats().publish_errors, 1u);
  EXPECT_TRUE(sink_.sent.empty());
  sink_.fail.reset();
  Request(2, 21, 1);
  EXPECT_EQ(SentSeqs(), Upto(store_.db.outbox.size()));
}

TEST_F(OutboxTest, AnotherRunThatTookTheSourceStopsThisOne) {
  engine();
  std::optional<Error> fatal;
  processor_->set_on_fatal([&](const Error& e) { fatal = e; });
  Request(1, 11, 2);
  // A second daemon with the same name starts.
  fakes::FakeEventSink other_sink;
  Outbox other(store_, other_sink, &json::EncodeStampedEvent, "sod-test", "the-other-run");
  ASSERT_TRUE(other.Open(Timestamp{}).ok());
  Processed r = Request(2, 21, 1);
  EXPECT_EQ(r.fate, Fate::kUnavailable) << "not applied, not dead-lettered";
  ASSERT_TRUE(fatal.has_value());
  EXPECT_EQ(fatal->kind, ErrorKind::kFatal);
  EXPECT_TRUE(dead_.parked.empty());
  const uint64_t n = store_.db.outbox.size();
  EXPECT_EQ(n, sink_.sent.size()) << "the second message wrote nothing";
  EXPECT_FALSE(store_.db.inbox.contains("msg-2"));
  EXPECT_EQ(outbox_->MarkSent().error().kind, ErrorKind::kFatal);
  EXPECT_EQ(other.last_seq(), n) << "the other run goes on from where this one was";
}

TEST_F(OutboxTest, PruningKeepsWhatIsUnsentAndWhatIsYoungEnough) {
  engine();
  store_.db.now = At(0);
  Request(1, 11, 2);
  const uint64_t a = store_.db.outbox.size();  // written at minute 0
  store_.db.now = AddDays(At(0), 3);
  Request(2, 21, 1);
  const uint64_t b = store_.db.outbox.size();  // a+1..b three days later
  outbox_->Hold();
  Request(3, 31, 1);
  const uint64_t c = store_.db.outbox.size();  // b+1..c not sent
  ASSERT_TRUE(outbox_->MarkSent().ok());
  ASSERT_EQ(Row().sent_seq, b);
  const auto seqs = [&] {
    std::vector<uint64_t> out;
    for (const auto& row : store_.db.outbox) out.push_back(row.event.envelope.seq);
    return out;
  };
  const Timestamp now = AddDays(At(0), 5);
  // Two days: the first request's go; the rest is young or unsent.
  EXPECT_EQ(*outbox_->Prune(OutboxRetention{2, 1000}, now), static_cast<int64_t>(a));
  EXPECT_EQ(seqs(), Upto(c, a + 1));
  // At most one row: of the sent ones, all go; the unsent stay whatever the count.
  EXPECT_EQ(*outbox_->Prune(OutboxRetention{30, 1}, now), static_cast<int64_t>(b - a));
  EXPECT_EQ(seqs(), Upto(c, b + 1));
  EXPECT_EQ(outbox_->stats().pruned, b);
}

TEST_F(OutboxTest, EventsDeletedBehindTheDaemonsBackAreSkippedNotWaitedFor) {
  engine();
  sink_.fail = Error{ErrorKind::kPermanent, 0, "down"};
  Request(1, 11, 2);
  Request(2, 21, 1);
  sink_.fail.reset();
  Restart();
  store_.db.outbox.erase(store_.db.outbox.begin(), store_.db.outbox.begin() + 2);  // seqs 1, 2
  Status s = outbox_->Drain();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("events 1..2"), std::string::npos) << s.error().message;
  ASSERT_TRUE(outbox_->Drain().ok());
  EXPECT_EQ(SentSeqs(), Upto(store_.db.outbox.size() + 2, 3));
}

}  // namespace
}  // namespace so
