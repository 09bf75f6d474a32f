#include "bench/probes.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace so::bench {
namespace {

std::string ReadProc(pid_t pid, const char* file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  if (!in) throw std::runtime_error("process " + std::to_string(pid) + " is gone");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t StatusKb(const std::string& status, const std::string& key) {
  const size_t at = status.find(key + ":");
  if (at == std::string::npos) return 0;
  return std::strtoll(status.c_str() + at + key.size() + 1, nullptr, 10);
}

}  // namespace

int64_t Get(const Counters& c, const std::string& name) {
  const auto it = c.find(name);
  return it == c.end() ? 0 : it->second;
}

ServerProbe::ServerProbe(SqlConn& conn) : conn_(conn) {
  const Counters a = Snapshot();
  const Counters b = Snapshot();
  for (const auto& [name, value] : b) {
    const int64_t d = value - Get(a, name);
    // Only command counters: byte and time counters vary with the output itself.
    const bool command = name == "Questions" || name == "Queries" || name.rfind("Com_", 0) == 0;
    if (command && d != 0) own_cost_[name] = d;
  }
}

Counters ServerProbe::Snapshot() {
  Counters c;
  for (const auto& row : conn_.Query("SHOW GLOBAL STATUS")) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    const std::string& v = *row[1];
    char* end = nullptr;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (!v.empty() && end != nullptr && *end == '\0') c[*row[0]] = n;
  }
  return c;
}

Counters ServerProbe::Delta(const Counters& before, const Counters& after) const {
  Counters d;
  for (const auto& [name, value] : after)
    d[name] = value - Get(before, name) - Get(own_cost_, name);
  return d;
}

SqlCost CostOf(const Counters& delta) {
  SqlCost c;
  c.statements = Get(delta, "Questions");
  c.prepares = Get(delta, "Com_stmt_prepare");
  c.round_trips = c.statements + c.prepares + Get(delta, "Com_stmt_reset") -
                  Get(delta, "Com_stmt_send_long_data");
  c.commits = Get(delta, "Com_commit");
  c.log_writes = Get(delta, "Innodb_log_writes");
  return c;
}

double CpuMs(pid_t pid) {
  const std::string stat = ReadProc(pid, "stat");
  // The command name is in parentheses and may hold spaces: fields count from the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) throw std::runtime_error("bad /proc/<pid>/stat");
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // After the name: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

bool WaitUntilQuiet(pid_t pid, double busy, std::chrono::milliseconds max_wait) {
  constexpr auto kSample = std::chrono::milliseconds(250);
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  int quiet = 0;
  double last = CpuMs(pid);
  while (quiet < 2) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(kSample);
    const double now = CpuMs(pid);
    quiet = now - last < busy * static_cast<double>(kSample.count()) ? quiet + 1 : 0;
    last = now;
  }
  return true;
}

Memory MemoryOf(pid_t pid) {
  const std::string status = ReadProc(pid, "status");
  return Memory{StatusKb(status, "VmRSS"), StatusKb(status, "VmHWM")};
}

bool ResetPeakRss(pid_t pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

pid_t ServerPid(const std::string& server_dir) {
  std::ifstream in(server_dir + "/mysqld.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) {
    throw std::runtime_error("no server pid in " + server_dir + "/mysqld.pid");
  }
  return static_cast<pid_t>(pid);
}

}  // namespace so::bench
