// The command line of special-ordersd: the daemon itself and the tools that share its config.
// Called once, from main().
#pragma once

namespace so::daemon {

// Where the daemon and its tools look for their config when --config does not say.
inline constexpr const char* kDefaultConfigPath = "/etc/special-ordersd/special-ordersd.yaml";

// Runs the program; returns the process exit code. Exit codes: 0 clean stop or valid config
// (with or without warnings), 1 a failure at start-up (database, bus) or a database that
// --check-config --against-database cannot read, 2 an invalid config or command line. The
// subcommands (explain, check) say their own.
int Main(int argc, char** argv);

}  // namespace so::daemon
