// Runs the real special-ordersd binary as a child process for integration tests and the demo:
// writes its config (private ipc endpoints, the test database), starts it, waits until it
// reports ready, stops it with SIGTERM or kills it. Not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/mysql/mysql_store.hpp"

namespace so::testing {

// The `reconcile:` section of the daemon config (docs/configuration.md).
struct ReconcileSetup {
  bool on_start = true;
  int interval_s = 300;
};

struct DaemonSetup {
  mysql::MysqlOptions database;
  std::string rules_file;  // path of the rules YAML
  std::string work_dir;    // where the config, the log and the ipc sockets go
  std::string source = "special-ordersd-test";
  // Written into the config when set; otherwise the daemon's defaults apply.
  std::optional<ReconcileSetup> reconcile = std::nullopt;
  // The POS endpoint to subscribe to instead of a private one, so that several daemons can
  // listen to one POS (each still binds its own events endpoint).
  std::string subscribe = "";
  // Extra environment variables of the child (e.g. SO_CRASH_AT in a SO_CRASH_POINTS build).
  std::map<std::string, std::string> env = {};
  // The config's log_level: debug (the tests read the daemon's log), or what a service runs with.
  std::string log_level = "debug";
  // When not 0, the config's metrics.listen is 127.0.0.1:<metrics_port> (tests pick a free
  // port: FreeTcpPort() in tests/support/http_client.hpp).
  int metrics_port = 0;
  // The config's clock.interval_s: off unless a test moves the daemon's clock (SO_FAKE_NOW_FILE
  // in env, a SO_TEST_CLOCK build). The simulated POS clock starts on a fixed day, so the real
  // time would make its promises overdue a week later and add events the tests do not expect.
  int clock_interval_s = 0;
  // Appended to the config as it is (top-level YAML keys, e.g. "batch:\n  max_messages: 1\n").
  std::string extra_config = "";
  // As under systemd: JOURNAL_STREAM names the daemon's stderr, so that it logs to the journal
  // (a private one: tests/integration/private-journal.sh); readiness is then read from there.
  bool journal = false;
};

class DaemonProcess {
 public:
  explicit DaemonProcess(DaemonSetup setup);
  ~DaemonProcess();  // kills the daemon if still running; removes its ipc socket directory

  // The endpoints: the POS binds pos_endpoint(), the daemon publishes on events_endpoint().
  const std::string& pos_endpoint() const { return pos_endpoint_; }
  const std::string& events_endpoint() const { return events_endpoint_; }
  const std::string& log_path() const { return log_path_; }
  const std::string& config_path() const { return config_path_; }

  // Starts the daemon and waits until its log says "ready:"; throws on timeout or early exit.
  void Start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGTERM and wait; returns the exit status (or 128+signal).
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGKILL and wait.
  void Kill();
  void SendSignal(int signo);
  bool running() const { return pid_ > 0; }
  // The child's pid while it runs (for /proc figures and signals), else -1.
  pid_t pid() const { return pid_; }

  // For the next Start(): sets (or, with nullopt, removes) an extra environment variable.
  void SetEnv(const std::string& name, std::optional<std::string> value);

  // Has the daemon ended by itself (a crash, an exit)? Reaps it and returns its exit status
  // (128+signal when a signal ended it, e.g. 137 for SIGKILL); nullopt while it runs. Never
  // signals it.
  std::optional<int> TryWait();
  // Waits up to `timeout` for the daemon to end by itself, as TryWait(); nullopt on timeout,
  // the daemon left running.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);
  // The exit status of the last run that ended (Stop, Kill, TryWait, WaitForExit), or nullopt.
  std::optional<int> last_exit_status() const { return last_exit_status_; }

  // The whole log so far.
  std::string Log() const;
  // Waits until the log contains `text`; throws with the log on timeout.
  void WaitForLog(const std::string& text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

 private:
  int Wait(std::chrono::milliseconds timeout);
  // Whether the journal has this run's "ready" entry (setup.journal).
  bool JournalSaysReady() const;

  static int ExitStatus(int wait_status);

  DaemonSetup setup_;
  std::string sock_dir_, pos_endpoint_, events_endpoint_, config_path_, log_path_;
  pid_t pid_ = -1;
  std::optional<int> last_exit_status_;
};

// The daemon binary built next to the tests.
std::string DaemonBinary();

// What a run of the daemon binary as a tool (special-ordersd explain ...) gave.
struct ToolRun {
  int exit_status = -1;  // 128+signal when a signal ended it
  std::string out;       // stdout
  std::string err;       // stderr
};

// Runs DaemonBinary() with `args` (after the program name) to its end, with stdout and stderr
// caught in files under `work_dir`; throws when it cannot be started or takes longer than
// `timeout` (it is killed then).
ToolRun RunDaemonTool(const std::vector<std::string>& args, const std::string& work_dir,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace so::testing
