// The daemon's log: lines on stderr, each with its syslog priority under systemd (JOURNAL_STREAM
// set) and with a time and level otherwise. One thread only (the event loop's).
#pragma once

#include <string>

#include "config/config_loader.hpp"

namespace so::daemon {

class Log {
 public:
  explicit Log(config::LogLevel level);
  void set_level(config::LogLevel level) { level_ = level; }

  void Debug(const std::string& s) const { Write(config::LogLevel::kDebug, 7, s); }
  void Info(const std::string& s) const { Write(config::LogLevel::kInfo, 6, s); }
  void Warning(const std::string& s) const { Write(config::LogLevel::kWarning, 4, s); }
  void Error(const std::string& s) const { Write(config::LogLevel::kError, 3, s); }

  // While one lives, lines wait and go out together when the last one ends: the lines of a
  // batch (one per message) in one write rather than a write each.
  class Hold {
   public:
    explicit Hold(const Log& log) : log_(log) { ++log_.holds_; }
    ~Hold() {
      if (--log_.holds_ == 0) log_.Flush();
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    const Log& log_;
  };

 private:
  void Write(config::LogLevel level, int priority, const std::string& s) const;
  void Flush() const;

  config::LogLevel level_;
  bool journal_;
  mutable std::string pending_;
  mutable int holds_ = 0;
};

}  // namespace so::daemon
