#include "bench/phases.hpp"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

namespace so::bench {
namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Nearest rank: the smallest value with at least p of the values at or below it.
double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// Resumes the stopped server however the phase ends.
class ServerResumer {
 public:
  explicit ServerResumer(pid_t pid) : pid_(pid) {}
  ~ServerResumer() { Resume(); }
  void Resume() {
    if (pid_ > 0) kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

}  // namespace

std::chrono::milliseconds AnswerTimeout(size_t n) {
  return std::chrono::milliseconds(60'000 + 50 * static_cast<int64_t>(n));
}

ThroughputResult RunBurst(const std::string& name, BenchBus& bus, const std::vector<Outgoing>& msgs,
                          const Target& target, size_t slice) {
  if (msgs.empty()) throw std::invalid_argument(name + ": no messages");
  ThroughputResult r;
  r.name = name;
  r.messages = msgs.size();
  r.slice = std::min(slice, msgs.size());
  const Counters before = target.probe.Snapshot();
  const double server_cpu = CpuMs(target.server_pid);
  const double daemon_cpu = CpuMs(target.daemon_pid);
  const auto start = Clock::now();
  for (const auto& m : msgs) bus.Publish(m);
  const auto end = bus.WaitAnswered(msgs, msgs.size(), AnswerTimeout(msgs.size()), target.check);
  r.server_cpu_ms = CpuMs(target.server_pid) - server_cpu;
  r.daemon_cpu_ms = CpuMs(target.daemon_pid) - daemon_cpu;
  r.delta = target.probe.Delta(before, target.probe.Snapshot());
  r.cost = CostOf(r.delta);
  r.seconds = Ms(end - start) / 1000;
  r.msg_per_s = static_cast<double>(r.messages) / r.seconds;
  if (r.slice > 0) {
    Clock::time_point slice_end{};
    for (size_t i = 0; i < r.slice; ++i)
      slice_end = std::max(slice_end, *bus.AnsweredAt(msgs[i].id));
    r.slice_msg_per_s = static_cast<double>(r.slice) / (Ms(slice_end - start) / 1000);
  }
  return r;
}

ThroughputResult RunBurst(const std::string& name, BenchBus& bus, const std::vector<Outgoing>& msgs,
                          const MultiTarget& target) {
  if (msgs.empty()) throw std::invalid_argument(name + ": no messages");
  const auto cpu = [](const std::vector<pid_t>& pids) {
    double ms = 0;
    for (pid_t pid : pids) ms += CpuMs(pid);
    return ms;
  };
  ThroughputResult r;
  r.name = name;
  r.messages = msgs.size();
  std::vector<Counters> before;
  for (ServerProbe* p : target.probes) before.push_back(p->Snapshot());
  const double server_cpu = cpu(target.server_pids);
  const double daemon_cpu = cpu(target.daemon_pids);
  const auto start = Clock::now();
  for (const auto& m : msgs) bus.Publish(m);
  const auto end = bus.WaitAnswered(msgs, msgs.size(), AnswerTimeout(msgs.size()), target.check);
  r.server_cpu_ms = cpu(target.server_pids) - server_cpu;
  r.daemon_cpu_ms = cpu(target.daemon_pids) - daemon_cpu;
  for (size_t i = 0; i < target.probes.size(); ++i) {
    for (const auto& [name_of, value] :
         target.probes[i]->Delta(before[i], target.probes[i]->Snapshot())) {
      r.delta[name_of] += value;
    }
  }
  r.cost = CostOf(r.delta);
  r.seconds = Ms(end - start) / 1000;
  r.msg_per_s = static_cast<double>(r.messages) / r.seconds;
  return r;
}

LatencyResult RunFixedRate(const std::string& name, BenchBus& bus,
                           const std::vector<Outgoing>& msgs, double rate, const Target& target) {
  if (msgs.empty() || rate <= 0) throw std::invalid_argument(name + ": no messages");
  LatencyResult r;
  r.name = name;
  r.rate = rate;
  r.sent = msgs.size();
  r.seconds = static_cast<double>(msgs.size()) / rate;
  std::vector<Clock::time_point> sent_at(msgs.size());
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(r.seconds));
  const auto mid = start + (end - start) / 2;
  const size_t answered_before = bus.answered();
  size_t backlog_mid = 0;
  bool mid_taken = false;
  for (size_t i = 0; i < msgs.size(); ++i) {
    std::this_thread::sleep_until(
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(i) / rate)));
    sent_at[i] = bus.Publish(msgs[i]);
    if (!mid_taken && sent_at[i] >= mid) {
      backlog_mid = i + 1 - (bus.answered() - answered_before);
      mid_taken = true;
    }
  }
  std::this_thread::sleep_until(end);
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (bus.AnsweredAt(msgs[i].id)) continue;
    ++r.unanswered_at_end;
    if (sent_at[i] < end - std::chrono::seconds(1)) ++r.stale_at_end;
  }
  const double half_s = Ms(end - mid) / 1000;
  r.backlog_growth_per_s =
      (static_cast<double>(r.unanswered_at_end) - static_cast<double>(backlog_mid)) / half_s;
  r.fell_behind = r.stale_at_end > 0 || r.backlog_growth_per_s > 0.05 * rate;
  const double publish_s = Ms(sent_at.back() - sent_at.front()) / 1000;
  r.achieved_rate = publish_s > 0 ? static_cast<double>(msgs.size() - 1) / publish_s : 0;
  const auto last =
      bus.WaitAnswered(msgs, msgs.size(), AnswerTimeout(r.unanswered_at_end), target.check);
  r.drain_s = std::max(0.0, Ms(last - end) / 1000);
  for (size_t i = 0; i < msgs.size(); ++i) {
    r.publish_ms.push_back(Ms(sent_at[i] - start));
    r.latency_ms.push_back(Ms(*bus.AnsweredAt(msgs[i].id) - sent_at[i]));
  }
  r.p50_ms = Percentile(r.latency_ms, 0.50);
  r.p99_ms = Percentile(r.latency_ms, 0.99);
  r.max_ms = Percentile(r.latency_ms, 1.0);
  return r;
}

MemoryResult RunQueueFill(BenchBus& bus, const std::vector<Outgoing>& msgs, const Target& target,
                          std::chrono::milliseconds max_stop, std::chrono::seconds settle) {
  MemoryResult r;
  r.queued = msgs.size();
  r.settle_s = static_cast<double>(settle.count());
  r.idle = MemoryOf(target.daemon_pid);
  r.peak_reset = ResetPeakRss(target.daemon_pid);
  if (kill(target.server_pid, SIGSTOP) != 0) throw std::runtime_error("cannot stop the server");
  ServerResumer resumer(target.server_pid);
  const auto stopped = Clock::now();
  for (const auto& m : msgs) bus.Publish(m);
  // The daemon's I/O thread moves the messages into its receive queue while its main thread
  // waits for the server: RSS grows until they are all in.
  int64_t last_rss = -1;
  auto unchanged_since = Clock::now();
  while (Clock::now() - stopped < max_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int64_t rss = MemoryOf(target.daemon_pid).rss_kb;
    if (rss != last_rss) {
      last_rss = rss;
      unchanged_since = Clock::now();
    } else if (Clock::now() - unchanged_since >= std::chrono::milliseconds(700) &&
               Clock::now() - stopped >= std::chrono::seconds(2)) {
      break;
    }
  }
  r.full = MemoryOf(target.daemon_pid);
  resumer.Resume();
  const auto resumed = Clock::now();
  r.stopped_s = Ms(resumed - stopped) / 1000;
  const auto last = bus.WaitAnswered(msgs, msgs.size(), AnswerTimeout(msgs.size()), target.check);
  r.drain_s = Ms(last - resumed) / 1000;
  std::this_thread::sleep_for(settle);
  r.steady = MemoryOf(target.daemon_pid);
  return r;
}

}  // namespace so::bench
