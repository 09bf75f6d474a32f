// The daemon's clock (issue 11 points 2 to 4): what falls due with time alone. DueClockMessages
// decides what is due for given rows (table tests below); the handlers apply it through the
// inbox and decide again from the rows (the engine tests after them). The fake clock is the
// `now` passed to DueClockMessages and Tick.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rules/clock_scan.hpp"
#include "tests/rules/engine_fixture.hpp"

namespace so {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kDay = 86'400'000'000;

Timestamp Midnight(const char* day) { return *ParseDate(day); }
Timestamp Plus(Timestamp t, int64_t micros) { return Timestamp{t.micros + micros}; }
std::string Unix(Timestamp t) { return std::to_string(t.micros / 1'000'000); }
// The id of the overdue of `so`'s promise `seq`, as it stands.
std::string OverdueId(const SpecialOrder& so, int seq) {
  return "clock:overdue:" + std::to_string(so.id) + ":" + std::to_string(seq) + ":" +
         std::to_string(so.updated_at.micros);
}

// --- DueClockMessages: what is due, for rows made by hand ---

class DueClockMessagesTest : public ::testing::Test {
 protected:
  RuleSet Rules() const { return RuleSet(defaults_, rules_, "test"); }

  // A special order ordered from a vendor and promised for `expected_on` (promise `seq`).
  static ClockCandidate Waiting(Id id, Timestamp expected_on, int seq = 1) {
    ClockCandidate c;
    c.so.id = id;
    c.so.store_id = kStore;
    c.so.product_id = kProduct;
    c.so.vendor_id = kPrimary;
    c.so.customer_id = kCustomer;
    c.so.source = SoSource::kVendor;
    c.so.po_id = 5;
    c.so.po_line_id = 50;
    c.so.quantity = 2;
    c.so.status = SoStatus::kOrdered;
    c.so.updated_at = At(id);
    c.clock = SoClock{};
    c.clock->special_order_id = id;
    c.clock->promise_seq = seq;
    c.clock->expected_on = expected_on;
    c.clock->basis = PromiseBasis::kVendorFromSent;
    return c;
  }

  // A special order ready since `ready_at`, never reminded.
  static ClockCandidate Ready(Id id, Timestamp ready_at, Id customer = kCustomer) {
    ClockCandidate c = Waiting(id, Midnight("2026-12-01"));
    c.so.customer_id = customer;
    c.so.allocated_qty = c.so.quantity;
    c.so.status = SoStatus::kReady;
    c.so.ready_at = ready_at;
    return c;
  }

  std::vector<std::string> IdsAt(const std::vector<ClockCandidate>& rows, Timestamp now) const {
    std::vector<std::string> ids;
    for (const Message& m : DueClockMessages(Rules(), rows, now)) ids.push_back(m.envelope.id);
    return ids;
  }

  Settings defaults_;
  std::vector<Rule> rules_;
};

TEST_F(DueClockMessagesTest, OverdueFallsDueAtTheStartOfTheDayAfterThePromisedDayAndItsGrace) {
  const Timestamp expected = Midnight("2026-12-10");
  const ClockCandidate row = Waiting(501, expected, 2);
  const auto rows = {row};
  const Timestamp due = Midnight("2026-12-11");
  EXPECT_THAT(IdsAt(rows, Plus(due, -1)), IsEmpty());
  const auto messages = DueClockMessages(Rules(), rows, due);
  ASSERT_EQ(messages.size(), 1u);
  const Message& m = messages[0];
  EXPECT_EQ(m.envelope.id, OverdueId(row.so, 2));
  EXPECT_EQ(m.envelope.type, "clock.overdue");
  EXPECT_EQ(m.envelope.source, kClockSource);
  EXPECT_EQ(m.envelope.occurred_at, due);  // the due time, not the scan's
  const auto& p = std::get<ClockOverdue>(m.payload);
  EXPECT_EQ(p.special_order_id, 501);
  EXPECT_EQ(p.promise_seq, 2);
  // Found a week later: the same message.
  EXPECT_THAT(IdsAt(rows, AddDays(due, 7)), ElementsAre(m.envelope.id));

  defaults_.overdue_grace_days = 2;
  EXPECT_THAT(IdsAt(rows, Plus(Midnight("2026-12-13"), -1)), IsEmpty());
  EXPECT_THAT(IdsAt(rows, Midnight("2026-12-13")), ElementsAre(OverdueId(row.so, 2)));
  EXPECT_EQ(DueClockMessages(Rules(), rows, Midnight("2026-12-13"))[0].envelope.occurred_at,
            Midnight("2026-12-13"));
}

TEST_F(DueClockMessagesTest, OnlyASpecialOrderStillWaitingOnItsSourceAndNotYetReportedIsOverdue) {
  const Timestamp expected = Midnight("2026-12-10"), late = Midnight("2026-12-20");
  auto reported = Waiting(1, expected);
  reported.clock->overdue_seq = 1;
  auto arrived = Waiting(2, expected);
  arrived.so.status = SoStatus::kArrived;
  auto in_request = Waiting(3, expected);
  in_request.so.status = SoStatus::kRequest;
  auto partly = Waiting(4, expected);
  partly.so.status = SoStatus::kInProgress;
  partly.so.allocated_qty = 1;
  auto withdrawn = Waiting(5, expected, 3);
  withdrawn.clock->expected_on.reset();  // promised again without a day
  auto reported_before = Waiting(6, expected, 2);
  reported_before.clock->overdue_seq = 1;  // an earlier promise was late; this one is too
  EXPECT_THAT(IdsAt({reported, arrived, in_request, partly, withdrawn, reported_before}, late),
              ElementsAre(OverdueId(partly.so, 1), OverdueId(reported_before.so, 2)));
  // Any change to the special order makes a new id (its handler still publishes once a promise).
  partly.so.updated_at = At(90);
  EXPECT_THAT(IdsAt({partly}, late), ElementsAre(OverdueId(partly.so, 1)));
}

TEST_F(DueClockMessagesTest, OnlyTheLargestReminderDueIsSentAndNeverOneAlreadySent) {
  defaults_.pickup_reminder_days = {3, 7};
  const Timestamp ready = At(90);
  const std::string epoch = ":" + Unix(ready);
  auto row = Ready(501, ready);
  EXPECT_THAT(IdsAt({row}, Plus(AddDays(ready, 3), -1)), IsEmpty());
  EXPECT_THAT(IdsAt({row}, AddDays(ready, 3)), ElementsAre("clock:reminder:501:3" + epoch));
  EXPECT_THAT(IdsAt({row}, AddDays(ready, 6)), ElementsAre("clock:reminder:501:3" + epoch));
  // After a long gap: the 7-day one only.
  EXPECT_THAT(IdsAt({row}, AddDays(ready, 30)), ElementsAre("clock:reminder:501:7" + epoch));

  row.clock->reminded_days = 3;
  row.clock->reminded_ready_at = ready;
  EXPECT_THAT(IdsAt({row}, AddDays(ready, 6)), IsEmpty());
  const auto messages = DueClockMessages(Rules(), {row}, AddDays(ready, 7));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].envelope.occurred_at, AddDays(ready, 7));
  const auto& p = std::get<ClockPickupReminder>(messages[0].payload);
  EXPECT_EQ(p.days, 7);
  EXPECT_EQ(p.ready_at, ready);
  row.clock->reminded_days = 7;
  EXPECT_THAT(IdsAt({row}, AddDays(ready, 30)), IsEmpty());

  // Ready again since a later time (it was in progress meanwhile): its reminders start over.
  row.so.ready_at = AddDays(ready, 20);
  EXPECT_THAT(IdsAt({row}, AddDays(ready, 23)),
              ElementsAre("clock:reminder:501:3:" + Unix(AddDays(ready, 20))));
}

TEST_F(DueClockMessagesTest, TheDeadlineComesInsteadOfAnyReminder) {
  defaults_.pickup_reminder_days = {3, 7};
  defaults_.pickup_deadline_days = 10;
  const Timestamp ready = At(90);
  const auto row = Ready(501, ready);
  EXPECT_THAT(IdsAt({row}, Plus(AddDays(ready, 10), -1)),
              ElementsAre("clock:reminder:501:7:" + Unix(ready)));
  const auto messages = DueClockMessages(Rules(), {row}, AddDays(ready, 12));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].envelope.id, "clock:deadline:501:10:" + Unix(ready));
  EXPECT_EQ(messages[0].envelope.type, "clock.pickup_deadline");
  EXPECT_EQ(messages[0].envelope.occurred_at, AddDays(ready, 10));
  EXPECT_EQ(std::get<ClockPickupDeadline>(messages[0].payload).days, 10);
}

TEST_F(DueClockMessagesTest, EachSpecialOrderHasTheSettingsOfItsOwnRuleCustomerIncluded) {
  Rule trade{"trade", {}, defaults_};
  trade.match.customers = {kTradeCustomer};
  trade.settings.pickup_reminder_days = {1};
  rules_ = {trade};
  const Timestamp ready = At(90);
  EXPECT_THAT(IdsAt({Ready(1, ready), Ready(2, ready, kTradeCustomer)}, AddDays(ready, 2)),
              ElementsAre("clock:reminder:2:1:" + Unix(ready)));
}

TEST_F(DueClockMessagesTest, TheScanBoundsAreTheWidestAnyRuleGives) {
  const Timestamp now = Plus(Midnight("2026-12-20"), 5 * 3'600'000'000);
  defaults_.overdue_grace_days = 3;
  ClockQuery q = ClockBounds(Rules(), now);
  // expected_on < bound exactly when the promise is overdue at `now` under a grace of 3 days.
  ASSERT_TRUE(q.expected_before);
  EXPECT_LT(Midnight("2026-12-16"), *q.expected_before);
  EXPECT_GE(Midnight("2026-12-17"), *q.expected_before);
  EXPECT_FALSE(q.ready_before) << "no rule reminds or has a deadline: ready ones are not read";

  Rule quick{"quick", {}, defaults_};
  quick.settings.overdue_grace_days = 0;
  quick.settings.pickup_deadline_days = 5;
  defaults_.pickup_reminder_days = {7};
  rules_ = {quick};
  q = ClockBounds(Rules(), now);
  EXPECT_LT(Midnight("2026-12-19"), *q.expected_before);
  EXPECT_GE(Midnight("2026-12-20"), *q.expected_before);
  EXPECT_EQ(q.ready_before, AddDays(now, -5));
}

// --- The handlers, through the inbox: Tick as the daemon calls it ---

class ClockTest : public EngineTest {
 protected:
  const SoClock& ClockOfLine(Id line) { return store_.db.clocks.at(SoOfLine(line).id); }
  // The day after the promised one: when it is overdue without grace.
  Timestamp OverdueDay(Id line) { return AddDays(*ClockOfLine(line).expected_on, 1); }
  // The POS sends the PO to the vendor `days` days after the last message.
  Processed SendPoAfter(Id line, int days) {
    seq_ += days * 24 * 60;
    const Id po = *SoOfLine(line).po_id;
    store_.db.pos.at(po).status = "open";
    return Send(PoStatusChanged{po, "open", "draft"});
  }
  // The special order's line is shipped in full and allocated: ready since the shipment.
  Timestamp ShipInFull(Id shipment, Id line) {
    Ship(shipment, line, SoOfLine(line).quantity);
    EXPECT_EQ(SoOfLine(line).status, SoStatus::kReady);
    return *SoOfLine(line).ready_at;
  }
  // What the clock would send at `now`, without sending it.
  std::vector<Message> DueAt(Timestamp now) {
    std::vector<ClockCandidate> rows;
    for (const auto& [id, so] : store_.db.special_orders) {
      auto it = store_.db.clocks.find(id);
      rows.push_back(
          {so, it == store_.db.clocks.end() ? std::nullopt : std::optional<SoClock>(it->second)});
    }
    return DueClockMessages(engine().rules(), rows, now);
  }
};

TEST_F(ClockTest, APromiseNotKeptIsPublishedOverdueOnceAndAgainWhenPromisedAgainAndLate) {
  Request(1, 11, 2);  // a draft PO, 7 days from now
  const Id so = SoOfLine(11).id;
  EXPECT_EQ(Tick(Plus(OverdueDay(11), -1)).applied, 0);
  EXPECT_THAT(sink_.published, IsEmpty());

  const Timestamp due = OverdueDay(11);
  const OwnMessagesTally r = Tick(AddDays(due, 2));
  EXPECT_EQ(r.applied, 1);
  const auto overdue = EventsOf<OverdueEvent>(sink_.published);
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].special_order_id, so);
  EXPECT_EQ(overdue[0].order_id, 1);
  EXPECT_EQ(overdue[0].store_id, kStore);
  EXPECT_EQ(overdue[0].vendor_id, kPrimary);
  EXPECT_EQ(overdue[0].expected_on, *ClockOfLine(11).expected_on);
  EXPECT_EQ(overdue[0].days_late, 1) << "counted at the due time, not when the clock looked";
  EXPECT_EQ(ClockOfLine(11).overdue_seq, 1);
  const AuditEntry& audit = LastAudit("overdue");
  EXPECT_EQ(audit.message_id, OverdueId(SoOfLine(11), 1));
  EXPECT_EQ(SoOfLine(11).id, so);
  EXPECT_EQ(audit.at, due);
  EXPECT_EQ(audit.rule, kDefaultsRuleName);
  EXPECT_THAT(audit.detail,
              HasSubstr("still waits for 2 on PO " + std::to_string(*SoOfLine(11).po_id)));
  EXPECT_TRUE(store_.db.inbox.count(audit.message_id));

  // Looked at again: nothing more.
  EXPECT_EQ(Tick(AddDays(due, 3)).applied, 0);
  EXPECT_THAT(sink_.published, IsEmpty());

  // The buyer finally sends the PO: promised again from then, and late again a week on.
  SendPoAfter(11, 10);
  EXPECT_EQ(ClockOfLine(11).promise_seq, 2);
  EXPECT_EQ(Tick(Plus(OverdueDay(11), -1)).applied, 0);
  EXPECT_EQ(Tick(OverdueDay(11)).applied, 1);
  ASSERT_EQ(EventsOf<OverdueEvent>(sink_.published).size(), 1u);
  EXPECT_EQ(ClockOfLine(11).overdue_seq, 2);
}

TEST_F(ClockTest, GoodsThatCameInTimeAreNeverOverdue) {
  Request(1, 11, 2);
  const Timestamp due = OverdueDay(11);
  ShipInFull(1, 11);
  EXPECT_EQ(Tick(AddDays(due, 5)).applied, 0);
  EXPECT_TRUE(EventsOf<OverdueEvent>(sink_.published).empty());
}

TEST_F(ClockTest, AMessageThatNoLongerHoldsChangesNothingButTheAuditTrail) {
  Request(1, 11, 2);
  const auto due = DueAt(AddDays(OverdueDay(11), 1));
  ASSERT_EQ(due.size(), 1u);
  ShipInFull(1, 11);  // the goods came after the scan read the rows
  const auto before = store_.db.special_orders;
  sink_.published.clear();
  const Processed p = processor_->Process(due[0], due[0].envelope.type, "");
  EXPECT_EQ(p.fate, Fate::kApplied);
  EXPECT_THAT(sink_.published, IsEmpty());
  EXPECT_EQ(store_.db.special_orders.at(SoOfLine(11).id).status, SoStatus::kReady);
  EXPECT_EQ(store_.db.special_orders.size(), before.size());
  EXPECT_THAT(LastAudit("clock_not_due").detail, HasSubstr("special order is ready"));
  EXPECT_FALSE(ClockOfLine(11).overdue_seq);
}

TEST_F(ClockTest, TheSameTimedMessageTwiceIsADuplicate) {
  Request(1, 11, 2);
  const auto due = DueAt(OverdueDay(11));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(processor_->Process(due[0], due[0].envelope.type, "").fate, Fate::kApplied);
  sink_.published.clear();
  EXPECT_EQ(processor_->Process(due[0], due[0].envelope.type, "").fate, Fate::kDuplicate);
  EXPECT_THAT(sink_.published, IsEmpty());
}

TEST_F(ClockTest, RemindersGoToTheCustomerAfterEachDayCountOnce) {
  defaults_.pickup_reminder_days = {3, 7};
  Request(1, 11, 2);
  const Timestamp ready = ShipInFull(1, 11);
  const Id so = SoOfLine(11).id;
  EXPECT_EQ(Tick(Plus(AddDays(ready, 3), -1)).applied, 0);

  EXPECT_EQ(Tick(AddDays(ready, 3)).applied, 1);
  auto reminders = EventsOf<PickupReminderEvent>(sink_.published);
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].special_order_id, so);
  EXPECT_EQ(reminders[0].order_id, 1);
  EXPECT_EQ(reminders[0].customer_id, kCustomer);
  EXPECT_EQ(reminders[0].ready_since, ready);
  EXPECT_EQ(reminders[0].days, 3);
  EXPECT_EQ(ClockOfLine(11).reminded_days, 3);
  EXPECT_EQ(ClockOfLine(11).reminded_ready_at, ready);
  EXPECT_THAT(LastAudit("pickup_reminder").detail,
              HasSubstr("not picked up after 3 days (0 of 2 handed over)"));

  EXPECT_EQ(Tick(AddDays(ready, 6)).applied, 0);
  EXPECT_EQ(Tick(AddDays(ready, 7)).applied, 1);
  reminders = EventsOf<PickupReminderEvent>(sink_.published);
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].days, 7);
  EXPECT_EQ(Tick(AddDays(ready, 30)).applied, 0);
  EXPECT_THAT(sink_.published, IsEmpty());
}

TEST_F(ClockTest, AfterAWeekAwayOnlyTheLatestReminderIsSentAndTheSkippedOneIsSaid) {
  defaults_.pickup_reminder_days = {3, 7};
  Request(1, 11, 2);
  const Timestamp ready = ShipInFull(1, 11);
  EXPECT_EQ(Tick(AddDays(ready, 9)).applied, 1);
  const auto reminders = EventsOf<PickupReminderEvent>(sink_.published);
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].days, 7);
  EXPECT_THAT(LastAudit("pickup_reminder").detail, HasSubstr("skipped the 3 days reminder"));
  EXPECT_EQ(Tick(AddDays(ready, 10)).applied, 0);
}

TEST_F(ClockTest, APickupEndsTheReminders) {
  defaults_.pickup_reminder_days = {3};
  Request(1, 11, 2);
  const Timestamp ready = ShipInFull(1, 11);
  PickUp(11, 2);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kCompleted);
  EXPECT_EQ(Tick(AddDays(ready, 5)).applied, 0);
}

TEST_F(ClockTest, ThePickupDeadlineCancelsAndOffersTheStockToTheNextWaiting) {
  defaults_.pickup_reminder_days = {3};
  defaults_.pickup_deadline_days = 10;
  defaults_.reallocate_freed_stock = true;
  Request(1, 11, 2);
  Request(2, 21, 2);  // the same PO line, a later request
  const Id first = SoOfLine(11).id, second = SoOfLine(21).id;
  Ship(1, 11, 2);  // enough for the first only
  ASSERT_EQ(SoOfLine(11).status, SoStatus::kReady);
  ASSERT_EQ(SoOfLine(21).allocated_qty, 0);
  const Timestamp ready = *SoOfLine(11).ready_at;
  const StockRow stock = store_.db.Stock(kStore, kProduct);

  const OwnMessagesTally r = Tick(AddDays(ready, 11));
  // The first's deadline (not its reminder), and the second's overdue found by the same scan,
  // which the deadline's freed units made stale: it is ready by the time its turn comes.
  EXPECT_EQ(r.applied, 2);
  EXPECT_TRUE(EventsOf<OverdueEvent>(sink_.published).empty());
  EXPECT_THAT(LastAudit("clock_not_due").detail, HasSubstr("special order is ready"));
  const std::string id = "clock:deadline:" + std::to_string(first) + ":10:" + Unix(ready);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kCancelled);
  EXPECT_EQ(SoOfLine(11).cancelled_at, AddDays(ready, 10));
  EXPECT_EQ(store_.db.lines.at(11).status, LineStatus::kCancelled);
  EXPECT_EQ(SoOfLine(21).allocated_qty, 2) << "the freed units went to the next in line";
  EXPECT_EQ(SoOfLine(21).status, SoStatus::kReady);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, stock.committed);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).backordered, stock.backordered - 2);
  const auto changes = EventsOf<StatusChangedEvent>(sink_.published);
  ASSERT_GE(changes.size(), 1u);
  EXPECT_EQ(changes[0].special_order_id, first);
  EXPECT_EQ(changes[0].to, SoStatus::kCancelled);
  EXPECT_EQ(changes[0].cause_id, id);
  EXPECT_EQ(changes[0].rule, kDefaultsRuleName);
  EXPECT_THAT(LastAudit("pickup_deadline").detail, HasSubstr("pickup deadline of 10 days passed"));
  EXPECT_EQ(LastAudit("pickup_deadline").message_id, id);
  EXPECT_THAT(LastAudit("cancelled").detail, HasSubstr("committed -2"));
  EXPECT_TRUE(EventsOf<PickupReminderEvent>(sink_.published).empty());
  // The second is ready since the deadline: its own clock starts there.
  EXPECT_EQ(SoOfLine(21).ready_at, AddDays(ready, 10));
  EXPECT_EQ(second, SoOfLine(21).id);
}

TEST_F(ClockTest, UnitsPickedUpBeforeTheDeadlineStayPickedUp) {
  defaults_.pickup_deadline_days = 5;
  Request(1, 11, 3);
  const Timestamp ready = ShipInFull(1, 11);
  PickUp(11, 1);
  ASSERT_EQ(SoOfLine(11).status, SoStatus::kReady);
  const StockRow stock = store_.db.Stock(kStore, kProduct);
  EXPECT_EQ(Tick(AddDays(ready, 5)).applied, 1);
  EXPECT_EQ(SoOfLine(11).status, SoStatus::kCancelled);
  EXPECT_EQ(store_.db.Stock(kStore, kProduct).committed, stock.committed - 2);
}

TEST_F(ClockTest, ACustomerRuleSetsItsOwnReminders) {
  Rule trade{"trade", {}, defaults_};
  trade.match.customers = {kTradeCustomer};
  trade.settings.pickup_reminder_days = {1};
  rules_ = {trade};
  Request(1, 11, 1);
  Request(2, 21, 1, kProduct, kStore, kTradeCustomer);
  Ship(1, 11, 2);
  const Timestamp ready = *SoOfLine(21).ready_at;
  EXPECT_EQ(Tick(AddDays(ready, 2)).applied, 1);
  const auto reminders = EventsOf<PickupReminderEvent>(sink_.published);
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].customer_id, kTradeCustomer);
  EXPECT_EQ(LastAudit("pickup_reminder").rule, "trade");
}

// An overdue found stale in the same look (the deadline before it gave its special order the
// units) does not keep the overdue from being published when the special order waits again.
TEST_F(ClockTest, AnOverdueFoundStaleIsPublishedWhenTheSpecialOrderWaitsAgainLate) {
  defaults_.pickup_deadline_days = 10;
  defaults_.reallocate_freed_stock = true;
  defaults_.attach_po_statuses = {"draft", "open", "partially_received"};
  Request(1, 11, 2);
  Request(2, 21, 2);
  Ship(1, 11, 2);
  const Timestamp ready = *SoOfLine(11).ready_at;
  Tick(AddDays(ready, 11));  // the deadline of the first gives the second its units
  ASSERT_EQ(SoOfLine(21).status, SoStatus::kReady);
  ASSERT_THAT(LastAudit("clock_not_due").detail, HasSubstr("special order is ready"));
  const int promise = ClockOfLine(21).promise_seq;

  ChangeLine(21, 3);  // one more: it waits again
  ASSERT_EQ(SoOfLine(21).status, SoStatus::kInProgress);
  const Timestamp due = std::max(OverdueDay(21), AddDays(ready, 12));
  EXPECT_EQ(Tick(due).applied, 1);
  const auto overdue = EventsOf<OverdueEvent>(sink_.published);
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].special_order_id, SoOfLine(21).id);
  EXPECT_EQ(ClockOfLine(21).overdue_seq, ClockOfLine(21).promise_seq);
  // Whether the raise promised it again or not, the overdue of its promise is published once.
  EXPECT_GE(ClockOfLine(21).promise_seq, promise);
  EXPECT_EQ(Tick(AddDays(due, 1)).applied, 0);
}

// Pages of one special order each, with candidates that are not due between the due ones.
TEST_F(ClockTest, PagesThatHoldNothingDueDoNotEndTheScan) {
  Rule trade{"trade", {}, defaults_};
  trade.match.customers = {kTradeCustomer};
  trade.settings.pickup_reminder_days = {1};
  defaults_.pickup_reminder_days = {5};
  rules_ = {trade};
  for (Id order = 1; order <= 4; ++order) {
    Request(order, order * 10 + 1, 1, kProduct, kStore,
            order % 2 == 0 ? kTradeCustomer : kCustomer);
  }
  Ship(1, 11, 4);
  Timestamp last_ready;
  for (Id order = 1; order <= 4; ++order) {
    last_ready = std::max(last_ready, *SoOfLine(order * 10 + 1).ready_at);
  }
  EXPECT_EQ(Tick(AddDays(last_ready, 2), /*batch=*/1).applied, 2);
  const auto reminders = EventsOf<PickupReminderEvent>(sink_.published);
  ASSERT_EQ(reminders.size(), 2u);
  for (const auto& r : reminders) EXPECT_EQ(r.customer_id, kTradeCustomer);
}

TEST_F(ClockTest, PagesOfTheScanMissNothing) {
  defaults_.pickup_reminder_days = {1};
  for (Id order = 1; order <= 5; ++order) Request(order, order * 10 + 1, 1);
  Ship(1, 11, 5);
  Timestamp last_ready;
  for (Id order = 1; order <= 5; ++order) {
    ASSERT_EQ(SoOfLine(order * 10 + 1).status, SoStatus::kReady);
    last_ready = std::max(last_ready, *SoOfLine(order * 10 + 1).ready_at);
  }
  EXPECT_EQ(Tick(AddDays(last_ready, 1), /*batch=*/2).applied, 5);
  EXPECT_EQ(EventsOf<PickupReminderEvent>(sink_.published).size(), 5u);
}

}  // namespace
}  // namespace so
