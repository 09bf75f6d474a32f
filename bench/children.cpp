#include "bench/children.hpp"

#include <signal.h>

#include <array>
#include <atomic>

namespace so::bench {
namespace {

std::array<std::atomic<pid_t>, 4> g_children{};
std::atomic<pid_t> g_server{-1};

void OnSignal(int signo) {
  for (auto& c : g_children) {
    const pid_t pid = c.load();
    if (pid > 0) kill(pid, SIGKILL);
  }
  if (const pid_t s = g_server.load(); s > 0) kill(s, SIGCONT);
  signal(signo, SIG_DFL);
  raise(signo);
}

}  // namespace

void InstallSignalHandlers() {
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) signal(s, OnSignal);
}

void SetServerPid(pid_t pid) { g_server = pid; }

ChildSlot::ChildSlot(pid_t pid) {
  for (size_t i = 0; i < g_children.size(); ++i) {
    pid_t none = 0;
    if (g_children[i].compare_exchange_strong(none, pid)) {
      slot_ = static_cast<int>(i);
      return;
    }
  }
}

ChildSlot::~ChildSlot() {
  if (slot_ >= 0) g_children[static_cast<size_t>(slot_)].store(0);
}

}  // namespace so::bench
