// The phases the benchmark plays against a running daemon over the bus: a burst measured for
// throughput and cost, messages at a fixed rate measured for latency, and a burst queued while
// the server is stopped, measured for the daemon's memory. Not thread-safe: one phase at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "bench/bus.hpp"
#include "bench/fixture.hpp"
#include "bench/probes.hpp"

namespace so::bench {

// What a phase measures: the server (its counters through the probe, its CPU by pid) and the
// daemon (by pid). `check` throws when the daemon is gone; it runs while a phase waits.
struct Target {
  ServerProbe& probe;
  pid_t server_pid;
  pid_t daemon_pid;
  std::function<void()> check;
};

struct ThroughputResult {
  std::string name;
  size_t messages = 0;
  double seconds = 0;  // from the first publish to the last message's answer
  double msg_per_s = 0;
  Counters delta;  // the server's counters over the phase (one snapshot each side)
  SqlCost cost;
  double server_cpu_ms = 0;
  double daemon_cpu_ms = 0;
  // The first `slice` messages were answered at `slice_msg_per_s`: the rate to compare with the
  // replay of the same messages' SQL.
  size_t slice = 0;
  double slice_msg_per_s = 0;
};

// Publishes every message as fast as the socket takes them, then waits for every answer.
ThroughputResult RunBurst(const std::string& name, BenchBus& bus, const std::vector<Outgoing>& msgs,
                          const Target& target, size_t slice);

// What a burst on several servers and daemons measures (a cluster, a daemon next to each node):
// the servers' counters and CPU and the daemons' CPU, summed over them.
struct MultiTarget {
  std::vector<ServerProbe*> probes;
  std::vector<pid_t> server_pids;
  std::vector<pid_t> daemon_pids;
  std::function<void()> check;
};

// RunBurst() on a MultiTarget: publishes every message as fast as the socket takes them, then
// waits for every answer (from whichever daemon gives it).
ThroughputResult RunBurst(const std::string& name, BenchBus& bus, const std::vector<Outgoing>& msgs,
                          const MultiTarget& target);

struct LatencyResult {
  std::string name;
  double rate = 0;           // asked for, msg/s
  double achieved_rate = 0;  // published, first to last message
  double seconds = 0;
  size_t sent = 0;
  // Publish to answer, over every message (those answered after the phase ended included).
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  size_t unanswered_at_end = 0;     // when the phase's time was up
  size_t stale_at_end = 0;          // of those, published more than 1 s before the end
  double backlog_growth_per_s = 0;  // unanswered messages, change per second over the 2nd half
  // Stale messages at the end, or a backlog that grew by more than 5% of the rate.
  bool fell_behind = false;
  double drain_s = 0;              // after the end, until the last answer
  std::vector<double> publish_ms;  // per message: when it was published, from the start
  std::vector<double> latency_ms;  // per message: publish to answer
};

// Publishes msgs on a fixed schedule (msgs.size() / rate seconds), then waits for the answers.
LatencyResult RunFixedRate(const std::string& name, BenchBus& bus,
                           const std::vector<Outgoing>& msgs, double rate, const Target& target);

struct MemoryResult {
  size_t queued = 0;
  Memory idle;              // before the burst
  Memory full;              // every message queued in the daemon, the server stopped
  Memory steady;            // `settle` after the last answer
  bool peak_reset = false;  // VmHWM was reset before the burst (else it is since start)
  double stopped_s = 0;     // how long the server was stopped
  double drain_s = 0;       // from SIGCONT to the last answer
  double settle_s = 0;
};

// Stops the server (SIGSTOP) so that the daemon cannot drain, publishes every message, waits
// until the daemon's RSS has stopped growing (2 s at least, `max_stop` at most: well under the
// daemon's 30 s read timeout), samples it, resumes the server (SIGCONT, also on error) and waits
// for every answer.
MemoryResult RunQueueFill(BenchBus& bus, const std::vector<Outgoing>& msgs, const Target& target,
                          std::chrono::milliseconds max_stop, std::chrono::seconds settle);

// How long a phase may wait for `n` answers: a minute plus 50 ms per message (20 msg/s).
std::chrono::milliseconds AnswerTimeout(size_t n);

}  // namespace so::bench
