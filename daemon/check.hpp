// `special-ordersd check [--repair] [--json]`: the drift check (rules/drift.hpp) over the
// daemon's database, its output for people or for scripts, and its exit codes. Also the lines
// the daemon logs for the sweep's check. One thread.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "rules/drift.hpp"

namespace so::daemon {

// Exit codes of `check`, after fsck(8): 1 means differences were found, whether or not
// --repair then corrected them (the output says which).
constexpr int kCheckClean = 0;
constexpr int kCheckDrift = 1;
constexpr int kCheckUsage = 2;     // bad command line or config
constexpr int kCheckDatabase = 3;  // the database could not be read (or the repair not written)

struct CheckOptions {
  bool repair = false;
  bool json = false;
};

// Runs the check (and the repair) against config.database; prints the report to `out`, errors
// to `err`; returns one of the exit codes above.
int RunCheck(const config::DaemonConfig& config, const CheckOptions& options, std::ostream& out,
             std::ostream& err);

// "3 counters differ from what the special orders make them: stock(1,100).committed expected 2
// found 5; ..." with at most `cap` differences named.
std::string DriftSummary(const std::vector<Drift>& drifts, size_t cap);

}  // namespace so::daemon
