#include "daemon/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
// The entry's CODE_FILE/CODE_LINE would name this file, not where the entry comes from.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "rules/timestamp.hpp"

namespace so::daemon {
namespace {

// systemd sets JOURNAL_STREAM to "device:inode" of the stream it connected stderr to; a process
// whose stderr is still that stream may log natively (systemd.exec(5)). One whose stderr was
// redirected since (a shell under the unit, a pipe) writes lines.
bool StderrIsTheJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  uintmax_t dev = 0, ino = 0;
  if (std::sscanf(stream, "%" SCNuMAX ":%" SCNuMAX, &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<uintmax_t>(st.st_dev) == dev && static_cast<uintmax_t>(st.st_ino) == ino;
}

}  // namespace

Log::Log(config::LogLevel level) : level_(level), journal_(StderrIsTheJournal()) {}

void Log::Write(config::LogLevel level, int priority, const std::string& s,
                const LogFields& f) const {
  if (!enabled(level)) return;
  if (journal_) {
    if (SendToJournal(priority, s, f)) return;
    // The journal's socket is away: the line still reaches journald through stderr, its
    // priority as "<N>", without the fields.
    pending_ += "<" + std::to_string(priority) + ">";
  } else {
    pending_ += FormatRfc3339(Now()) + " " + std::string(config::ToString(level)) + " ";
  }
  pending_ += s;
  pending_ += '\n';
  if (holds_ == 0) Flush();
}

bool Log::SendToJournal(int priority, const std::string& s, const LogFields& f) const {
  std::vector<std::string> items;
  items.reserve(4 + f.values.size());
  items.push_back("MESSAGE=" + s);
  items.push_back("PRIORITY=" + std::to_string(priority));
  items.push_back("SYSLOG_IDENTIFIER=special-ordersd");
  if (f.message_id != nullptr) items.push_back(std::string("MESSAGE_ID=") + f.message_id);
  for (const auto& [name, value] : f.values) items.push_back(std::string(name) + "=" + value);
  std::vector<iovec> iov;
  iov.reserve(items.size());
  for (std::string& item : items) iov.push_back(iovec{item.data(), item.size()});
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0;
}

void Log::Flush() const {
  if (pending_.empty()) return;
  std::fwrite(pending_.data(), 1, pending_.size(), stderr);
  std::fflush(stderr);
  pending_.clear();
}

}  // namespace so::daemon
