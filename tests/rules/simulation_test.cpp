// The flight recorder and `simulate` over the randomized scenario (tests/rules/scenario.hpp)
// with the example rules: recorded and recomputed with the same rules, nothing differs; with a
// changed rule, what simulate reports is what the candidate rules decide when each message is
// applied to the database as it was (the oracle below), up to each special order's first
// difference.
//
// Why that oracle and not a second run of the scenario with the candidate rules: the scenario's
// POS reads the database to choose what to send next (which PO to ship, which order to cancel),
// so past the first changed decision a second run sends other messages, and its special orders
// are no longer the same ones. Applying each message with the candidate rules to the database as
// the recorded run found it, then rolling back, is the rerun made message by message: exactly
// the question simulate answers from the read sets alone.
#include "rules/simulation.hpp"

#include <fstream>
#include <sstream>

#include "adapters/flight_codec.hpp"
#include "config/config_loader.hpp"
#include "rules/batch_view.hpp"
#include "rules/recorder.hpp"
#include "rules/replay.hpp"
#include "tests/rules/scenario.hpp"

namespace so {
namespace {

constexpr int64_t kSimulatedMessages = 3000;

std::string ExampleText() {
  std::ifstream in(SO_SOURCE_DIR "/config/rules.example.yaml");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

RuleSet Parse(const std::string& yaml) {
  config::Loaded<RuleSet> loaded = config::ParseRules(yaml, "candidate.yaml");
  for (const auto& p : loaded.problems) ADD_FAILURE() << p.ToString();
  return loaded.ok() ? *loaded.value : RuleSet();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string Describe(const Difference& d) {
  std::ostringstream o;
  o << d.message_id << " line " << d.order_line_id << " store " << d.store_id << " [" << d.rule_was
    << " -> " << d.rule_would_be << "]";
  for (const Aspect& a : d.aspects) o << " " << a.name << ": " << a.was << " -> " << a.would_be;
  return o.str();
}

std::string Text(const std::vector<SoDecision>& v) {
  std::ostringstream o;
  for (const SoDecision& d : v) {
    o << "\n  line " << d.order_line_id << " so " << d.special_order_id << " store " << d.store_id
      << " status " << (d.status ? ToString(*d.status) : "-") << " allocated " << d.allocated_qty
      << " vendor " << d.vendor_id.value_or(0) << " po " << d.po_id.value_or(0)
      << (d.new_po ? " (new)" : "") << " qty " << d.po_line_qty.value_or(-1) << " from "
      << d.transfer_from_store.value_or(0) << ":";
    for (const auto& [verb, rule] : d.decisions) o << " " << verb << "/" << rule;
  }
  return o.str();
}

// The recorded run, with what the candidate rules decide about each message when it is applied
// to the database as the message found it.
struct Recorded {
  std::unique_ptr<Scenario> run;
  std::map<std::string, std::vector<SoDecision>> oracle;  // message id -> candidate's decisions
  std::vector<std::string> oracle_errors;
};

Recorded Record(const RuleSet& rules, const std::optional<RuleSet>& candidate) {
  Recorded out;
  RunOptions options;
  options.messages = kSimulatedMessages;
  options.rules = rules;
  options.record = true;
  std::unique_ptr<Engine> engine;
  if (candidate) {
    engine = std::make_unique<Engine>(*candidate);
    options.before = [&out, &engine](const Message& m, fakes::FakeStore& store) {
      if (!store.Begin().ok()) return out.oracle_errors.push_back("begin failed");
      Recorder capture(store, Recorder::Mode::kCapture);
      Result<Outcome> outcome = engine->Apply(m, capture);
      Result<FlightRecord> record =
          outcome.ok() ? capture.Finish(m, *outcome) : Result<FlightRecord>(outcome.error());
      if (record.ok()) {
        out.oracle[m.envelope.id] = record->decisions;
      } else {
        out.oracle_errors.push_back(m.envelope.id + ": " + record.error().ToString());
      }
      store.Rollback();
    };
  }
  out.run = Play(options, "recorded");
  return out;
}

std::vector<std::string> SimulatedDifferences(const SimulationReport& report) {
  std::vector<std::string> out;
  for (const Difference& d : report.differences) out.push_back(Describe(d));
  return out;
}

// What the oracle says differs: its decisions, put through the same first-difference bookkeeping
// as simulate's recomputed ones.
std::vector<std::string> OracleDifferences(const Recorded& r, const RuleSet& candidate) {
  const Engine engine(candidate);
  Simulation oracle(engine);
  std::vector<std::string> missing;
  for (const FlightRecord& record : r.run->result().flight_records) {
    const auto it = r.oracle.find(record.message.envelope.id);
    if (it == r.oracle.end()) {
      missing.push_back(record.message.envelope.id + ": no oracle");
      continue;
    }
    Recomputed given;
    given.decisions = it->second;
    oracle.Add(record, given);
  }
  std::vector<std::string> out = SimulatedDifferences(oracle.report());
  out.insert(out.end(), missing.begin(), missing.end());
  return out;
}

SimulationReport Simulate(const Scenario& run, const RuleSet& candidate) {
  const Engine engine(candidate);
  Simulation simulation(engine);
  for (const FlightRecord& record : run.result().flight_records) simulation.Add(record);
  return simulation.report();
}

TEST(SimulationTest, TheSameRulesRecomputeEveryRecordedDecisionExactly) {
  const RuleSet example = Parse(ExampleText());
  const Recorded r = Record(example, std::nullopt);
  ASSERT_FALSE(r.run->failed());
  const auto& records = r.run->result().flight_records;
  // One record per message applied or refused: every message the scenario sent but the
  // duplicates.
  int64_t applied = 0;
  applied = static_cast<int64_t>(r.run->result().inbox.size());
  EXPECT_EQ(static_cast<int64_t>(records.size()), applied);
  ASSERT_GT(records.size(), 2000u);

  const Engine engine(example);
  int64_t decisions = 0;
  for (const FlightRecord& record : records) {
    const Recomputed again = Recompute(engine, record);
    ASSERT_FALSE(again.unknown) << record.message.envelope.id << ": " << *again.unknown;
    EXPECT_EQ(again.refused, record.refused) << record.message.envelope.id;
    EXPECT_EQ(Text(again.decisions), Text(record.decisions)) << record.message.envelope.id;
    decisions += static_cast<int64_t>(record.decisions.size());
  }
  EXPECT_GT(decisions, 2000);

  const SimulationReport report = Simulate(*r.run, example);
  EXPECT_EQ(report.messages, static_cast<int64_t>(records.size()));
  EXPECT_EQ(report.identical, report.messages);
  EXPECT_TRUE(report.unanswered.empty());
  for (const Difference& d : report.differences) ADD_FAILURE() << Describe(d);
}

std::string TypeOf(const Scenario& run, const std::string& id) {
  for (const auto& r : run.result().flight_records) {
    if (r.message.envelope.id == id) return r.message.envelope.type;
  }
  return "?";
}

// In batches, a message's read set holds what the messages before it in the batch wrote, and the
// special orders they created under the batch view's provisional ids until the batch is written:
// the records must come out as those of the same messages applied one at a time, ids and all.
TEST(SimulationTest, BatchedMessagesAreRecordedAsTheSameMessagesOneAtATime) {
  const RuleSet example = Parse(ExampleText());
  RunOptions options;
  options.messages = kSimulatedMessages;
  options.rules = example;
  options.record = true;
  options.feed = Feed::kQueued;
  const auto one_by_one = Play(options, "queued, one at a time, recorded");
  options.feed = Feed::kBatched;
  const auto batched = Play(options, "queued, in batches, recorded");
  ASSERT_FALSE(one_by_one->failed());
  ASSERT_FALSE(batched->failed());
  const auto& a = one_by_one->result().flight_records;
  const auto& b = batched->result().flight_records;
  ASSERT_EQ(a.size(), b.size());
  const Engine engine(example);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].message.envelope.id, b[i].message.envelope.id);
    // The read sets too, row for row (compared as their encoding).
    EXPECT_EQ(flight::Encode(b[i]), flight::Encode(a[i])) << b[i].message.envelope.id;
    EXPECT_EQ(Text(b[i].decisions), Text(a[i].decisions)) << b[i].message.envelope.id;
    const Recomputed again = Recompute(engine, b[i]);
    ASSERT_FALSE(again.unknown) << b[i].message.envelope.id << ": " << *again.unknown;
    EXPECT_EQ(Text(again.decisions), Text(b[i].decisions)) << b[i].message.envelope.id;
    for (const auto& [id, so] : b[i].reads.special_orders) {
      ASSERT_LT(id, BatchView::kFirstProvisionalId) << b[i].message.envelope.id;
      ASSERT_EQ(so.id, id);
    }
  }
}

void ExpectSimulationMatchesTheOracle(const std::string& candidate_yaml,
                                      const std::string& aspect) {
  const RuleSet example = Parse(ExampleText());
  const RuleSet candidate = Parse(candidate_yaml);
  const Recorded r = Record(example, candidate);
  ASSERT_FALSE(r.run->failed());
  for (const auto& e : r.oracle_errors) ADD_FAILURE() << "oracle: " << e;
  const SimulationReport report = Simulate(*r.run, candidate);
  for (const auto& u : report.unanswered)
    ADD_FAILURE() << u.message_id << ": " << u.reason << " " << TypeOf(*r.run, u.message_id);
  const std::vector<std::string> simulated = SimulatedDifferences(report);
  const std::vector<std::string> oracle = OracleDifferences(r, candidate);
  EXPECT_EQ(Diff(oracle, "oracle", simulated, "simulate"), "");
  EXPECT_GT(report.by_aspect.count(aspect) ? report.by_aspect.at(aspect) : 0, 10)
      << "the change hardly shows: " << simulated.size() << " differences";
  std::cout << "[ simulate ] " << simulated.size() << " special orders differ;";
  for (const auto& [name, n] : report.by_aspect) std::cout << " " << name << "=" << n;
  std::cout << std::endl;
}

TEST(SimulationTest, AnotherVendorChoiceDiffersAsTheCandidateRulesWouldDecide) {
  ExpectSimulationMatchesTheOracle(Replace(ExampleText(), "vendor_choice: [primary, cheapest]",
                                           "vendor_choice: [shortest_lead_time, cheapest]"),
                                   "vendor");
}

TEST(SimulationTest, AStoreThatWaitsDiffersAsTheCandidateRulesWouldDecide) {
  ExpectSimulationMatchesTheOracle(Replace(ExampleText(), "\nrules:\n", R"(
rules:
  - name: store-3-waits-too
    match:
      stores: [3]
    on_request: wait
)"),
                                   "sourcing");
}

// Who is served when supply is short, where surplus and freed stock go: the arrivals' and the
// cancellations' decisions, over the waiting queues the recorder reads besides.
TEST(SimulationTest, AnotherOrderOfServiceWithSurplusAndFreedStockDiffersAsTheCandidateWould) {
  std::string candidate = ExampleText();
  candidate =
      Replace(candidate, "service_order: oldest_request_first", "service_order: smallest_first");
  candidate = Replace(candidate, "allocate_surplus: false", "allocate_surplus: true");
  candidate = Replace(candidate, "reallocate_freed_stock: false", "reallocate_freed_stock: true");
  ExpectSimulationMatchesTheOracle(candidate, "surplus");
}

// Finish() reads a special order a decision names but the engine did not read: a row that is not
// there names no line, but a failure of the read itself (a deadlock: the transaction is gone) is
// the message's, to retry, not a record with a decision about nothing.
TEST(RecorderTest, FinishReturnsAFailedReadOfASpecialOrderItNames) {
  fakes::FakeStore store;
  ASSERT_TRUE(store.Begin().ok());
  Recorder recorder(store, Recorder::Mode::kRecord);
  const Message m{Envelope{1, "m-1", "backoffice.special_order.cancel", "pos", 1, Timestamp{}},
                  BackofficeCancel{404, "ada"}};
  ASSERT_TRUE(recorder.InsertAudit(AuditEntry{"m-1", 404, "contract", "refused", "", {}}).ok());
  const Outcome outcome;
  Result<FlightRecord> missing = recorder.Finish(m, outcome);
  ASSERT_TRUE(missing.ok()) << missing.error().ToString();
  store.FailCall(1, Error{ErrorKind::kTransient, 1213, "Deadlock found"});
  Result<FlightRecord> failed = recorder.Finish(m, outcome);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, 1213);
  store.Rollback();
}

}  // namespace
}  // namespace so
