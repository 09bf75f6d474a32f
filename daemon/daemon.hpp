// The special-ordersd process: command line, start-up in a fixed order, the event loop, signals,
// reload and shutdown. Wiring only; decisions live in rules/. One thread runs the loop; the bus
// reader has a thread of its own inside adapters/zmq_subscriber.
#pragma once

namespace so::daemon {

// Runs the program; returns the process exit code. Exit codes: 0 clean stop or valid config,
// 1 a failure at start-up (database, bus), 2 an invalid config or command line.
int Main(int argc, char** argv);

}  // namespace so::daemon
