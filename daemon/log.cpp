#include "daemon/log.hpp"

#include <cstdio>
#include <cstdlib>

#include "adapters/zmq_publisher.hpp"
#include "rules/timestamp.hpp"

namespace so::daemon {

Log::Log(config::LogLevel level)
    : level_(level), journal_(std::getenv("JOURNAL_STREAM") != nullptr) {}

void Log::Write(config::LogLevel level, int priority, const std::string& s) const {
  if (level < level_) return;
  if (journal_) {
    pending_ += "<" + std::to_string(priority) + ">";
  } else {
    pending_ += FormatRfc3339(zmqbus::Now()) + " " + std::string(config::ToString(level)) + " ";
  }
  pending_ += s;
  pending_ += '\n';
  if (holds_ == 0) Flush();
}

void Log::Flush() const {
  if (pending_.empty()) return;
  std::fwrite(pending_.data(), 1, pending_.size(), stderr);
  std::fflush(stderr);
  pending_.clear();
}

}  // namespace so::daemon
