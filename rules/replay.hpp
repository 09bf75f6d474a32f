// Recomputing a recorded message: the engine, with any rules, over the message's read set
// instead of the database. The read set answers through a batch view, so that the message sees
// its own writes as it would in the store; a question the record has no answer to (a rule that
// reads what the recorded decision did not, and the recorder did not foresee) ends the
// recomputation with that question, never with a guess.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rules/engine.hpp"
#include "rules/flight_record.hpp"

namespace so {

struct Recomputed {
  std::vector<SoDecision> decisions;  // as in FlightRecord, with the record's ids where known
  bool refused = false;
  // Set when it could not be recomputed: what the record does not know, or the engine's error.
  std::optional<std::string> unknown;
};

Recomputed Recompute(const Engine& engine, const FlightRecord& record);

}  // namespace so
