// Loads the daemon config and the rules file from YAML into plain structs, reporting every problem
// at once as file:line:column. The functions keep no state, so they are safe to call from several
// threads at once (a reload can validate a new file while the old config is in use).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/policy.hpp"
#include "rules/store_scope.hpp"

namespace so::config {

// One thing wrong with a config file. Line and column are 1-based, as editors show them; both are
// 0 when the problem is about the file as a whole (missing, unreadable, empty).
struct Problem {
  // An error makes the file invalid. A warning is about a valid file that likely does not say
  // what its author meant (config/rules_review.hpp); only --check-config looks for those.
  enum class Severity { kError, kWarning };

  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  Severity severity = Severity::kError;

  // "file:line:column: message", or "file: message" when there is no line; a warning's message
  // starts with "warning: ", as compilers write it.
  std::string ToString() const;
};

struct BusConfig {
  // The POS PUB endpoint the daemon connects its SUB socket to (tcp://, ipc:// or inproc://).
  // Required.
  std::string subscribe;
  // The endpoint the daemon binds its own PUB socket to. Required.
  std::string publish;
  // Names the daemon's event source (sod_event_sources): its events' envelope `source` is this
  // name, "#" and the time the source was first used, and their seq goes on across restarts.
  // Unique per daemon. Default "special-ordersd@<hostname>", at most 100 characters.
  std::string source;
  // Milliseconds the daemon holds its events after binding its PUB socket, so that subscribers
  // connected before a restart are back before the first one (and what a crash left unsent) goes
  // out. Default 500, 0..60000.
  int publish_delay_ms = 500;
  // ZMQ_RCVHWM of the SUB socket, in messages: what ZeroMQ queues in front of the receive queue
  // (a reader thread drains it as messages come, so it fills only while the receive queue is
  // full). Default 10000, 1..10000000.
  int receive_high_water_mark = 10000;
  // Bytes of received messages the daemon queues at most while it is busy or the database is
  // away (each message counted with its decoded copy and allocation overhead, about 2.5 times
  // its size for a 330-byte message); beyond it ZeroMQ queues receive_high_water_mark more, then
  // the POS drops them and the sweep catches up. Default 32 MiB, 1 MiB..16 GiB.
  size_t receive_queue_bytes = size_t{32} << 20;
  // ZMTP heartbeat interval in milliseconds, so that a dead POS connection is noticed; 0 disables
  // it. Default 2000, 0..3600000.
  int heartbeat_interval_ms = 2000;
};

// One node of `database.hosts`: a TCP host and port, or a unix socket.
struct DatabaseNode {
  std::string host;
  int port = 3306;
  std::string socket;
};

struct DatabaseConfig {
  // Server host name or address. Default "localhost". Ignored when `socket` is set.
  std::string host = "localhost";
  // TCP port. Default 3306, 1..65535.
  int port = 3306;
  // Unix socket path; when set, the daemon connects through it instead of host:port. Default
  // empty (use TCP).
  std::string socket;
  // MySQL user. Required.
  std::string user;
  // The password, given in the file or read from the first line of `password_file`. Default empty.
  std::string password;
  // The POS database (schema) name. Required.
  std::string name;
  // The nodes of a cluster (MariaDB Galera), tried in order at each connect: "host:port"
  // ("[v6]:port"; port 3306 when left out) or a socket path (starting with "/"). Instead of
  // host, port and socket, not with them. Default empty.
  std::vector<DatabaseNode> hosts;
  // Seconds to wait for a node's connection and handshake before the next one is tried. Default
  // 5, 1..60.
  int connect_timeout_s = 5;
};

// The catch-up sweep (rules/reconciler.hpp): besides these, it runs after a gap in a source's
// seq and when a new POS instance (source) appears.
struct ReconcileConfig {
  // Sweep once at start-up, after subscribing. Default true.
  bool on_start = true;
  // Seconds between sweeps on a timer; 0 disables the timer. Default 300, 0..86400.
  int interval_s = 300;
  // Facts of each kind read per round of a sweep. Default 500, 1..100000.
  int batch = 500;
};

// The clock: timed messages (a special order overdue, a pickup reminder, a pickup deadline; the
// settings in rules/policy.hpp) that the daemon applies when their time has come.
struct ClockConfig {
  // Seconds between the daemon's looks for timed messages that have come due; 0 turns them off
  // (the daemon never looks). After a downtime one look catches up. Default 60, 0..86400.
  int interval_s = 60;
};

// Batches: the daemon applies the messages already queued together, in one transaction.
struct BatchConfig {
  // Messages applied at most in one transaction. It never waits for more: a lone message is
  // applied alone, at once. Default 1024, 1..10000.
  int max_messages = 1024;
};

// The HTTP endpoint of /metrics (Prometheus) and /healthz.
struct MetricsConfig {
  // "address:port" to listen on: an IPv4 address (127.0.0.1:9464) or an IPv6 one in brackets
  // ([::1]:9464), port 1..65535; host names are not resolved. Default empty: no endpoint.
  std::string listen;
  // The address and port of `listen`, split.
  std::string address;
  int port = 0;
};

// The flight recorder (rules/recorder.hpp): each applied message with the rows it read and what
// it decided, in sod_flight_recorder, for `special-ordersd simulate`. Pruned by the sweep.
struct RecorderConfig {
  // Days a record is kept; 0 turns the recorder off (nothing is recorded, what was is kept until
  // it is turned on again or deleted by hand). Default 14, 0..3650.
  int retention_days = 14;
  // The records' size bound in MiB: beyond it the oldest go first. Default 1024, 1..1048576.
  int max_mb = 1024;

  bool on() const { return retention_days > 0; }
};

// The outbox (rules/outbox.hpp): how long events are kept after they were sent, for a POS that
// missed some to read them back. Pruned by the sweep.
struct OutboxConfig {
  // Days a sent event is kept. Default 7, 0..3650 (0: pruned at the first sweep after it went).
  int retention_days = 7;
  // Sent events kept at most (the newest). Default 1000000, 0..1000000000.
  int64_t max_rows = 1'000'000;
};

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// "debug", "info", "warning", "error": the spelling the config file uses.
std::string_view ToString(LogLevel level);

struct DaemonConfig {
  BusConfig bus;
  DatabaseConfig database;
  // The rules file as loaded: relative paths in the config file are taken from the config file's
  // directory and made absolute, so that a reload does not depend on the working directory.
  std::string rules_file;
  // The content of `rules_file`.
  so::RuleSet rules;
  ReconcileConfig reconcile;
  ClockConfig clock;
  BatchConfig batch;
  MetricsConfig metrics;
  RecorderConfig recorder;
  OutboxConfig outbox;
  // The stores this daemon applies (`stores:` or `partition:`, at most one of them); default
  // every store.
  so::StoreScope scope;
  // Least severe message that is logged. Default kInfo.
  LogLevel log_level = LogLevel::kInfo;
  // Seconds between the info lines that sum up what was applied (the lines of each message are
  // at debug). Default 10, 1..3600.
  int log_summary_interval_s = 10;
};

// A value, present only when it is valid in full; otherwise every problem found.
template <class T>
struct Loaded {
  std::optional<T> value;
  std::vector<Problem> problems;

  bool ok() const { return value.has_value(); }
};

// Validates rules given as text; `file_name` only names the text in problems. Does no file I/O,
// for tests, fuzzing and dry runs. The RuleSet's version is a hash of `yaml_text`.
Loaded<so::RuleSet> ParseRules(std::string_view yaml_text, const std::string& file_name);

// Reads the file at `path` and validates it as ParseRules does.
Loaded<so::RuleSet> LoadRulesFile(const std::string& path);

// Reads and validates the daemon config at `path`, then the rules file it names. Problems from
// both files are reported together, each naming its own file.
Loaded<DaemonConfig> LoadDaemonConfig(const std::string& path);

}  // namespace so::config
