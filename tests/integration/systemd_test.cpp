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
#include <optional>
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

#ifdef SO_CRASH_POINTS
// What escapes a handler of the loop (here an exception thrown by a test build where
// SO_THROW_AT says, as a bug would throw) is logged with its cause, ends the process with status
// 1 for systemd to restart it, after STOPPING=1 and the counters; nothing is lost: the write
// was not committed, and the restarted daemon's start-up sweep applies the request.
TEST(SystemdTest, AnUnexpectedErrorEndsTheProcessWithStatusOneAfterStoppingAndLosesNothing) {
  TestDatabase db("systemd");
  PosWorld world(db);
  world.LoadDemoData();
  const std::string work = std::string(SO_BINARY_DIR) + "/test-work/systemd-throw";
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  std::ofstream(work + "/rules.yaml") << "version: 1\n";
  NotifySocket notify;
  DaemonSetup setup{db.options(), work + "/rules.yaml", work};
  setup.env = {{"NOTIFY_SOCKET", notify.path()}, {"SO_THROW_AT", "after_writes"}};
  DaemonProcess daemon(setup);
  daemon.Start();
  PosBus bus(daemon.pos_endpoint(), daemon.events_endpoint());
  bus.WaitForDaemon();
  world.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 2);
  bus.Publish(SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, bus.clock()});

  EXPECT_EQ(daemon.WaitForExit(std::chrono::seconds(20)), std::optional<int>(1)) << daemon.Log();
  EXPECT_THAT(notify.Receive(std::chrono::milliseconds(200)), Contains("STOPPING=1"));
  EXPECT_THAT(daemon.Log(), HasSubstr("stopping on an unexpected error: test build: thrown at "
                                      "after_writes"));
  EXPECT_THAT(daemon.Log(), HasSubstr("stopped: applied 0"));
  EXPECT_EQ(db.QueryInt("SELECT COUNT(*) FROM sod_inbox"), 0);

  daemon.SetEnv("SO_THROW_AT", std::nullopt);
  daemon.Start();
  EXPECT_EQ(db.QueryInt("SELECT COUNT(*) FROM special_orders WHERE order_line_id = 50011"), 1);
  EXPECT_EQ(daemon.Stop(), 0);
}
#endif

}  // namespace
}  // namespace so::testing
