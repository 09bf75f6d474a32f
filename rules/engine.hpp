// The decisions: what one POS message does to the special-order side of the host database, given
// the rules and the rows it reads through the HostStore port. Stateless between messages; an
// Engine is immutable after construction and may be shared between threads, each with its own
// HostStore.
#pragma once

#include <string>
#include <vector>

#include "rules/messages.hpp"
#include "rules/policy.hpp"
#include "rules/ports.hpp"
#include "rules/result.hpp"

namespace so {

// What became of a message whose transaction can commit.
enum class Disposition {
  kApplied,  // its effect is written (possibly none: a fact already reflected)
  kRefused,  // a business refusal: nothing changed but the audit trail and the inbox
};

std::string_view ToString(Disposition d);

struct Outcome {
  Disposition disposition = Disposition::kApplied;
  std::string detail;            // why, for a refusal
  std::vector<OutEvent> events;  // to publish once the transaction has committed
};

class Engine {
 public:
  // `actor` is written as created_by on the POs and transfers the daemon creates.
  explicit Engine(RuleSet rules, std::string actor = "special-ordersd");

  // Applies one message inside the caller's open transaction. Port errors come back as errors
  // (the caller rolls back); business outcomes, refusals included, come back as an Outcome
  // whose audit rows are already written through the store.
  Result<Outcome> Apply(const Message& message, HostStore& store) const;

  const RuleSet& rules() const { return rules_; }

 private:
  RuleSet rules_;
  std::string actor_;
};

}  // namespace so
