// A MariaDB server of a test's own, which the test may stop and start under the daemon: the
// server ctest starts is shared by the tests that run in parallel. Not thread-safe; one owner.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

#include "tests/support/test_db.hpp"

namespace so::testing {

// A MariaDB of the test's own (scripts/private-mariadb.sh on a directory under the build tree),
// so that stopping it touches no other test: the server ctest started is shared by the tests
// that run in parallel. Stopped, and its directory removed, on destruction.
class OwnMariadb {
 public:
  explicit OwnMariadb(std::string dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
  }
  ~OwnMariadb() {
    try {
      if (running_) Stop();
      std::filesystem::remove_all(dir_);
    } catch (const std::exception& e) {
      std::cerr << "could not stop the MariaDB in " << dir_ << ": " << e.what() << "\n";
    }
  }
  OwnMariadb(const OwnMariadb&) = delete;
  OwnMariadb& operator=(const OwnMariadb&) = delete;

  void Start() {
    Script("start");
    running_ = true;
  }
  void Stop() {
    running_ = false;
    Script("stop");
  }
  ServerInfo info() const { return ServerAt(dir_); }

 private:
  void Script(const std::string& command) const {
    const std::string line = std::string(SO_SOURCE_DIR) + "/scripts/private-mariadb.sh " + command +
                             " " + dir_ + " >>" + dir_ + "/script.log 2>&1";
    if (std::system(line.c_str()) != 0) {
      throw std::runtime_error("private-mariadb.sh " + command + " failed; see " + dir_ +
                               "/script.log");
    }
  }

  std::string dir_;
  bool running_ = false;
};

}  // namespace so::testing
