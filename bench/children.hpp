// The processes a benchmark run must not leave behind: the daemons it started, and the server it
// may have stopped (SIGSTOP). A signal that ends the run kills the one and resumes the other.
// Registration is thread-safe and async-signal-safe (atomics); install the handlers once.
#pragma once

#include <sys/types.h>

namespace so::bench {

// SIGINT, SIGTERM and SIGHUP: SIGKILL every registered daemon, SIGCONT the server, then end the
// process as the signal would.
void InstallSignalHandlers();

// The server to resume on a signal.
void SetServerPid(pid_t pid);

// Registers a running daemon for its lifetime (up to 4 at a time; more are not registered).
class ChildSlot {
 public:
  explicit ChildSlot(pid_t pid);
  ~ChildSlot();
  ChildSlot(const ChildSlot&) = delete;
  ChildSlot& operator=(const ChildSlot&) = delete;

 private:
  int slot_ = -1;
};

}  // namespace so::bench
