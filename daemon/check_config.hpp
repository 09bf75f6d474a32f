// `special-ordersd --check-config FILE [--against-database]`: validates the daemon config and the
// rules file it names, then warns about what is valid but likely not meant (config/
// rules_review.hpp); with --against-database also about ids the POS database does not have, read
// on a read-only connection. Runs once, on the calling thread.
#pragma once

#include <ostream>
#include <string>

namespace so::daemon {

// Exit codes of --check-config. Warnings do not change them.
constexpr int kCheckConfigValid = 0;
constexpr int kCheckConfigDatabase = 1;  // --against-database: the database could not be read
constexpr int kCheckConfigInvalid = 2;   // a problem in either file

struct CheckConfigOptions {
  // Also look up the store, vendor and product ids the rules name in the database the config
  // names.
  bool against_database = false;
};

// Checks the config at `path`; prints problems, warnings and errors to `err` (each problem and
// warning a line "file:line:column: ...") and the OK line to `out`; returns an exit code above.
int RunCheckConfig(const std::string& path, const CheckConfigOptions& options, std::ostream& out,
                   std::ostream& err);

}  // namespace so::daemon
