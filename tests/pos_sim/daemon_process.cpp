#include "tests/pos_sim/daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

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
  if (!db.socket.empty()) {
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
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    execve(bin.c_str(), argv, envp.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string log = Log();
    if (log.find("ready:", log_start) != std::string::npos) return;
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

}  // namespace so::testing
