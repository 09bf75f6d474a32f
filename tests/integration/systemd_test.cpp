// The daemon's side of systemd's notify protocol, as systemd sees it: a datagram socket named
// by NOTIFY_SOCKET, READY=1 once the daemon serves, WATCHDOG=1 at half of WATCHDOG_USEC, and
// STOPPING=1 on SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/pos_sim/daemon_process.hpp"
#include "tests/pos_sim/pos_sim.hpp"

namespace so::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// What systemd listens on: a unix datagram socket.
class NotifySocket {
 public:
  NotifySocket() : path_("/tmp/sod-notify-" + std::to_string(getpid()) + ".sock") {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    unlink(path_.c_str());
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot bind " + path_);
    }
    timeval tv{0, 100'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() {
    close(fd_);
    unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

  // Every datagram received within `window`.
  std::vector<std::string> Receive(std::chrono::milliseconds window) {
    std::vector<std::string> out;
    const auto end = std::chrono::steady_clock::now() + window;
    char buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) out.emplace_back(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(SystemdTest, ReadyWhenServingThenWatchdogPingsThenStopping) {
  TestDatabase db("systemd");
  const std::string work = std::string(SO_BINARY_DIR) + "/test-work/systemd";
  std::filesystem::create_directories(work);
  std::ofstream(work + "/rules.yaml") << "version: 1\n";
  NotifySocket notify;
  DaemonSetup setup{db.options(), work + "/rules.yaml", work};
  setup.env = {{"NOTIFY_SOCKET", notify.path()}, {"WATCHDOG_USEC", "200000"}};
  DaemonProcess daemon(setup);
  daemon.Start();

  // READY=1 comes only once the daemon is subscribed (its log says "ready:" first).
  std::vector<std::string> got = notify.Receive(std::chrono::milliseconds(700));
  ASSERT_FALSE(got.empty());
  EXPECT_THAT(got.front(), HasSubstr("READY=1"));
  int pings = 0;
  for (const auto& d : got) pings += d == "WATCHDOG=1" ? 1 : 0;
  EXPECT_GE(pings, 3) << "a ping every 100 ms expected over 700 ms";

  EXPECT_EQ(daemon.Stop(), 0);
  EXPECT_THAT(notify.Receive(std::chrono::milliseconds(200)), Contains("STOPPING=1"));
}

}  // namespace
}  // namespace so::testing
