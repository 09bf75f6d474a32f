// The command line of special-ordersd: the daemon itself and the tools that share its config.
// Called once, from main().
#pragma once

namespace so::daemon {

// Runs the program; returns the process exit code. Exit codes: 0 clean stop or valid config,
// 1 a failure at start-up (database, bus), 2 an invalid config or command line; `check` has its
// own (daemon/check.hpp).
int Main(int argc, char** argv);

}  // namespace so::daemon
