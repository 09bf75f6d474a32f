// The catch-up sweep: after downtime, a gap in a source's seq or a new POS instance, it reads
// what the POS committed and the daemon has not applied (the POS commits before it publishes,
// so every fact a lost message announced is in its database) and applies it through the
// Processor, as the lost message would have. One per thread, with that thread's Processor.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rules/processor.hpp"

namespace so {

struct SweepReport {
  int repairs = 0;           // facts applied (or refused) now
  int failed = 0;            // facts that could not be applied (dead-lettered or unavailable)
  bool unavailable = false;  // the database was away: try again later
};

class Reconciler {
 public:
  // `batch` bounds each kind of fact read per round; rounds repeat until nothing is pending. Only
  // the facts of the stores in `scope` are read (a daemon that applies some stores only).
  Reconciler(HostStore& store, Processor& processor, int batch = 500, StoreScope scope = {})
      : store_(store), processor_(processor), batch_(batch), scope_(std::move(scope)) {}

  // Applies every pending fact. Each repair is a message of the contract's type with a
  // deterministic id ("sweep:<kind>:<key>"), so it is in the inbox and the audit trail like any
  // message, is applied once however often the sweep runs, and a real message that arrives
  // later finds the fact applied and changes nothing. `now` stamps the repairs.
  SweepReport Sweep(Timestamp now);

  // Told of each repair as it is processed (the daemon logs them).
  using Observer = std::function<void(const Message&, const Processed&)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // The synthesized messages for a set of facts (exposed for tests and dry runs).
  Result<std::vector<Message>> MessagesFor(const PendingFacts& facts, Timestamp now);

 private:
  HostStore& store_;
  Processor& processor_;
  int batch_;
  StoreScope scope_;
  Observer observer_;
};

}  // namespace so
