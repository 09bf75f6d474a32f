// The daemon's log. Under systemd (JOURNAL_STREAM naming the stream stderr is) each entry goes to
// the journal with its fields (SO_TYPE, SO_ORDER_ID, ...) and, for the events an operator looks
// for, a stable MESSAGE_ID (daemon/log_ids.hpp); otherwise a readable line on stderr with its time
// and level. One thread only (the event loop's).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config_loader.hpp"

namespace so::daemon {

// What an entry carries beyond its text. In the journal: MESSAGE_ID and one field per value (a
// name may come more than once: SO_SPECIAL_ORDER_ID of each special order a shipment served).
// Not shown on stderr, where the text says it.
struct LogFields {
  LogFields() = default;
  explicit LogFields(const char* id) : message_id(id) {}

  const char* message_id = nullptr;  // one of log_ids, or none
  std::vector<std::pair<const char*, std::string>> values;

  LogFields& Add(const char* name, std::string value) {
    values.emplace_back(name, std::move(value));
    return *this;
  }
};

class Log {
 public:
  explicit Log(config::LogLevel level);
  void set_level(config::LogLevel level) { level_ = level; }
  // Whether an entry at `level` is written (to skip building the fields of one that is not).
  bool enabled(config::LogLevel level) const { return level >= level_; }
  bool journal() const { return journal_; }

  void Debug(const std::string& s, const LogFields& f = {}) const {
    Write(config::LogLevel::kDebug, 7, s, f);
  }
  void Info(const std::string& s, const LogFields& f = {}) const {
    Write(config::LogLevel::kInfo, 6, s, f);
  }
  void Warning(const std::string& s, const LogFields& f = {}) const {
    Write(config::LogLevel::kWarning, 4, s, f);
  }
  void Error(const std::string& s, const LogFields& f = {}) const {
    Write(config::LogLevel::kError, 3, s, f);
  }

  // While one lives, stderr lines wait and go out together when the last one ends: the lines of
  // a batch in one write rather than a write each. Journal entries are sent as they come (one
  // datagram each).
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
  void Write(config::LogLevel level, int priority, const std::string& s, const LogFields& f) const;
  // Sends one journal entry; false when the journal did not take it.
  bool SendToJournal(int priority, const std::string& s, const LogFields& f) const;
  void Flush() const;

  config::LogLevel level_;
  bool journal_;
  mutable std::string pending_;
  mutable int holds_ = 0;
};

}  // namespace so::daemon
