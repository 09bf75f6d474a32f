#include "tests/pos_sim/daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "daemon/log_ids.hpp"

extern char** environ;

namespace so::testing {

std::string DaemonBinary() { return std::string(SO_BINARY_DIR) + "/daemon/special-ordersd"; }

DaemonProcess::DaemonProcess(DaemonSetup setup) : setup_(std::move(setup)) {
  std::filesystem::create_directories(setup_.work_dir);
  // ipc paths must stay short (unix socket paths are limited to 107 bytes).
  static int counter = 0;
  sock_dir_ = "/tmp/sod-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  std::filesystem::create_directories(sock_dir_);
  pos_endpoint_ = setup_.subscribe.empty() ? "ipc://" + sock_dir_ + "/pos.sock" : setup_.subscribe;
  events_endpoint_ = "ipc://" + sock_dir_ + "/events.sock";
  config_path_ = setup_.work_dir + "/special-ordersd.yaml";
  log_path_ = setup_.work_dir + "/special-ordersd.log";

  const auto& db = setup_.database;
  std::ofstream cfg(config_path_);
  cfg << "bus:\n"
      << "  subscribe: " << pos_endpoint_ << "\n"
      << "  publish: " << events_endpoint_ << "\n"
      << "  source: " << setup_.source << "\n"
      << "database:\n";
  if (!db.nodes.empty()) {
    cfg << "  hosts:\n";
    for (const auto& node : db.nodes) cfg << "    - '" << node.ToString() << "'\n";
    cfg << "  connect_timeout_s: " << db.connect_timeout_s << "\n";
  } else if (!db.socket.empty()) {
    cfg << "  socket: " << db.socket << "\n";
  } else {
    cfg << "  host: " << db.host << "\n  port: " << db.port << "\n";
  }
  cfg << "  user: " << db.user << "\n"
      << "  password: " << db.password << "\n"
      << "  name: " << db.database << "\n"
      << "rules_file: " << setup_.rules_file << "\n"
      << "log_level: " << setup_.log_level << "\n";
  if (setup_.metrics_port != 0) {
    cfg << "metrics:\n  listen: 127.0.0.1:" << setup_.metrics_port << "\n";
  }
  cfg << "clock:\n  interval_s: " << setup_.clock_interval_s << "\n";
  cfg << setup_.extra_config;
  if (setup_.reconcile) {
    cfg << "reconcile:\n"
        << "  on_start: " << (setup_.reconcile->on_start ? "true" : "false") << "\n"
        << "  interval_s: " << setup_.reconcile->interval_s << "\n";
  }
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) Kill();
  std::error_code ignored;
  std::filesystem::remove_all(sock_dir_, ignored);
}

void DaemonProcess::Start(std::chrono::milliseconds timeout) {
  const std::string bin = DaemonBinary();
  const auto log_start =
      std::filesystem::exists(log_path_) ? std::filesystem::file_size(log_path_) : 0;
  // The child's environment is built before fork(): between fork() and exec() only
  // async-signal-safe calls are allowed, and the test process has ZeroMQ's threads running.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (!setup_.env.contains(entry.substr(0, entry.find('=')))) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : setup_.env) env_strings.push_back(name + "=" + value);
  // Opened before fork() too, so that its device and inode can name it as the journal's stream.
  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_path_);
  if (setup_.journal) {
    struct stat st {};
    fstat(log_fd, &st);
    env_strings.push_back("JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" +
                          std::to_string(st.st_ino));
  }
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string config_arg = config_path_;
  std::string flag = "--config";
  std::string bin_arg = bin;
  char* argv[] = {bin_arg.data(), flag.data(), config_arg.data(), nullptr};

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(log_fd, STDERR_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    execve(bin.c_str(), argv, envp.data());
    _exit(127);
  }
  close(log_fd);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string log = Log();
    if (log.find("ready:", log_start) != std::string::npos) return;
    if (setup_.journal && JournalSaysReady()) return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      last_exit_status_ = ExitStatus(status);
      throw std::runtime_error("special-ordersd exited during start-up; log:\n" + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("special-ordersd not ready in time; log:\n" + Log());
}

bool DaemonProcess::JournalSaysReady() const {
  const std::string cmd = std::string("journalctl --no-pager -q -o cat MESSAGE_ID=") +
                          daemon::log_ids::kStarted + " _PID=" + std::to_string(pid_) +
                          " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  char buf[256];
  const bool any = std::fgets(buf, sizeof buf, p) != nullptr;
  pclose(p);
  return any;
}

int DaemonProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      last_exit_status_ = ExitStatus(status);
      throw std::runtime_error("special-ordersd did not stop in time; log:\n" + Log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  last_exit_status_ = ExitStatus(status);
  return *last_exit_status_;
}

int DaemonProcess::ExitStatus(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

void DaemonProcess::SetEnv(const std::string& name, std::optional<std::string> value) {
  if (value) {
    setup_.env[name] = std::move(*value);
  } else {
    setup_.env.erase(name);
  }
}

std::optional<int> DaemonProcess::TryWait() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  pid_ = -1;
  last_exit_status_ = ExitStatus(status);
  return last_exit_status_;
}

std::optional<int> DaemonProcess::WaitForExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto status = TryWait()) return status;
    if (pid_ <= 0 || std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int DaemonProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return Wait(timeout);
}

void DaemonProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  last_exit_status_ = ExitStatus(status);
}

void DaemonProcess::SendSignal(int signo) {
  if (pid_ > 0) kill(pid_, signo);
}

std::string DaemonProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void DaemonProcess::WaitForLog(const std::string& text, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Log().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("no \"" + text + "\" in the daemon's log:\n" + Log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

namespace {

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ToolRun RunDaemonTool(const std::vector<std::string>& args, const std::string& work_dir,
                      std::chrono::milliseconds timeout) {
  std::filesystem::create_directories(work_dir);
  const std::string out_path = work_dir + "/tool.stdout";
  const std::string err_path = work_dir + "/tool.stderr";
  // Everything exec needs is made before fork(): the test process has ZeroMQ's threads running.
  std::vector<std::string> strings = {DaemonBinary()};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out_fd < 0 || err_fd < 0) throw std::runtime_error("cannot create files in " + work_dir);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      throw std::runtime_error("special-ordersd tool run did not end in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ToolRun run;
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = ReadWhole(out_path);
  run.err = ReadWhole(err_path);
  return run;
}

}  // namespace so::testing
