// `simulate`'s comparison: each recorded message recomputed with candidate rules over its read
// set (rules/replay.hpp), and what the candidate would decide differently about each special
// order, at the first message where it would. A changed decision would also change what later
// messages saw, which the record cannot know: past its first difference a special order is not
// compared again. Pure; one Simulation per run, fed the records in the order they were applied.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rules/engine.hpp"
#include "rules/flight_record.hpp"
#include "rules/replay.hpp"

namespace so {

// One way in which a decision would differ.
struct Aspect {
  // "sourcing", "vendor", "po", "po_line_qty", "transfer_from", "allocation", the allocated
  // quantity as "order_of_service", "surplus" or "freed_stock" (by where the units came from),
  // "status", "decisions"
  std::string name;
  std::string was, would_be;
};

// The first message where the candidate would decide a special order (or a refused request's
// order line) otherwise.
struct Difference {
  Id order_line_id = 0;
  Id special_order_id = 0;  // 0: none was created (a refused request, say)
  Id store_id = 0;
  std::string message_id, message_type;
  Timestamp at;  // the message's occurred_at
  std::string rule_was, rule_would_be;  // the rule that decided, each way
  std::vector<Aspect> aspects;
};

struct SimulationReport {
  int64_t messages = 0;    // recorded messages recomputed
  int64_t identical = 0;   // whose decisions the candidate would all make alike
  // Messages the record could not answer for the candidate (each with what it lacked); the
  // special orders they concern are not compared past them.
  struct Unanswered {
    std::string message_id, reason;
  };
  std::vector<Unanswered> unanswered;
  std::vector<Difference> differences;  // in message order
  // The summary: special orders that differ, by aspect and by store.
  std::map<std::string, int64_t> by_aspect;
  std::map<Id, int64_t> by_store;
};

// The name of what a special order's sourcing came to, from its decisions: "wait", "vendor",
// "transfer", "no_vendor", "refused", or "" when the message did not source it.
std::string SourcingOf(const SoDecision& d);

// The rule that decided: the last one named that is an operator's rule, else the last one; ""
// when nothing was decided.
std::string RuleOf(const std::optional<SoDecision>& d);

// The aspects in which `candidate` differs from `recorded`; empty when alike. Either may be
// missing (the message decided nothing about it one way).
std::vector<Aspect> Compare(const std::optional<SoDecision>& recorded,
                            const std::optional<SoDecision>& candidate);

class Simulation {
 public:
  explicit Simulation(const Engine& candidate) : candidate_(candidate) {}

  void Add(const FlightRecord& record);
  // The same, with the candidate's decisions already known (a test's oracle gives its own).
  void Add(const FlightRecord& record, const Recomputed& candidate);
  const SimulationReport& report() const { return report_; }

 private:
  const Engine& candidate_;
  SimulationReport report_;
  std::set<Id> differed_;  // order lines already reported (0, "no special order", never is)
};

}  // namespace so
