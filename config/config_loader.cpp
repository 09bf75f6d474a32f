// The daemon config: bus, database, log level and the rules file it names.

#include "config/config_loader.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <system_error>

#include "config/yaml_reader.hpp"

namespace so::config {
namespace {

using internal::EnumName;
using internal::Mapping;
using internal::Reader;
using internal::Value;

constexpr std::string_view kTopKeys[] = {
    "bus",    "database",  "rules_file", "reconcile", "clock",     "batch",
    "metrics", "recorder", "outbox",     "stores",    "partition", "log_level",
    "log_summary_interval_s"};
constexpr std::string_view kPartitionKeys[] = {"index", "count"};
constexpr std::string_view kMetricsKeys[] = {"listen"};
constexpr std::string_view kRecorderKeys[] = {"retention_days", "max_mb"};
constexpr std::string_view kOutboxKeys[] = {"retention_days", "max_rows"};
constexpr std::string_view kBatchKeys[] = {"max_messages"};
constexpr std::string_view kReconcileKeys[] = {"on_start", "interval_s", "batch"};
constexpr std::string_view kClockKeys[] = {"interval_s"};
constexpr std::string_view kBusKeys[] = {"subscribe",
                                         "publish",
                                         "source",
                                         "receive_high_water_mark",
                                         "receive_queue_bytes",
                                         "heartbeat_interval_ms",
                                         "publish_delay_ms"};
constexpr std::string_view kDatabaseKeys[] = {"host",          "port", "socket",
                                              "hosts",         "user", "password",
                                              "password_file", "name", "connect_timeout_s"};
constexpr int64_t kMaxPartitions = 1000;
// The transports that make sense between two processes on a store server or a LAN, and inproc
// for tests. Checked here so that a typo is reported with its line, not by zmq at startup.
constexpr std::string_view kTransports[] = {"tcp", "ipc", "inproc"};

constexpr std::array<EnumName<LogLevel>, 4> kLogLevels{{
    {"debug", LogLevel::kDebug},
    {"info", LogLevel::kInfo},
    {"warning", LogLevel::kWarning},
    {"error", LogLevel::kError},
}};

constexpr int64_t kMaxReceiveHighWaterMark = 10'000'000;
constexpr int64_t kMinReceiveQueueBytes = int64_t{1} << 20;
constexpr int64_t kMaxReceiveQueueBytes = int64_t{16} << 30;
constexpr int64_t kMaxBatchMessages = 10'000;
constexpr int64_t kMaxHeartbeatIntervalMs = 3'600'000;
constexpr int64_t kMaxPort = 65535;
// sod_event_sources.name: VARCHAR(100).
constexpr size_t kMaxSourceName = 100;
constexpr int64_t kMaxPublishDelayMs = 60'000;
constexpr int64_t kMaxOutboxRows = 1'000'000'000;

std::string DefaultSource() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    return "special-ordersd@localhost";
  }
  return std::string("special-ordersd@") + host;
}

// Absolute, so that the result does not change if the working directory does.
std::filesystem::path Resolve(const std::filesystem::path& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal();
  return (base_dir / p).lexically_normal();
}

std::filesystem::path DirectoryOf(const std::string& config_path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(config_path, ec);
  if (ec) absolute = config_path;
  return absolute.parent_path();
}

std::optional<std::string> ReadEndpoint(Reader& reader, const Value& value) {
  std::optional<std::string> endpoint = reader.ReadString(value);
  if (!endpoint) return std::nullopt;
  size_t separator = endpoint->find("://");
  std::string_view transport = std::string_view(*endpoint).substr(0, separator);
  bool known =
      separator != std::string::npos &&
      std::find(std::begin(kTransports), std::end(kTransports), transport) != std::end(kTransports);
  if (!known || separator + 3 == endpoint->size()) {
    reader.Report(value, "'" + *endpoint + "' is not a ZeroMQ endpoint; expected " +
                             "transport://address with transport one of: " +
                             internal::JoinNames(kTransports));
    return std::nullopt;
  }
  return endpoint;
}

void ReadBus(Reader& reader, const Value& value, BusConfig& bus) {
  std::optional<Mapping> mapping = reader.ReadMapping(value, kBusKeys);
  if (!mapping) return;
  if (const Value* v = reader.Require(*mapping, "subscribe")) {
    if (auto endpoint = ReadEndpoint(reader, *v)) bus.subscribe = std::move(*endpoint);
  }
  if (const Value* v = reader.Require(*mapping, "publish")) {
    if (auto endpoint = ReadEndpoint(reader, *v)) bus.publish = std::move(*endpoint);
  }
  if (const Value* v = mapping->Find("source")) {
    if (auto source = reader.ReadString(*v)) {
      if (source->size() > kMaxSourceName) {
        reader.Report(*v, "source is " + std::to_string(source->size()) +
                              " characters long; at most " + std::to_string(kMaxSourceName));
      } else {
        bus.source = std::move(*source);
      }
    }
  }
  if (const Value* v = mapping->Find("receive_high_water_mark")) {
    if (auto n = reader.ReadInteger(*v, 1, kMaxReceiveHighWaterMark)) {
      bus.receive_high_water_mark = static_cast<int>(*n);
    }
  }
  if (const Value* v = mapping->Find("receive_queue_bytes")) {
    if (auto n = reader.ReadInteger(*v, kMinReceiveQueueBytes, kMaxReceiveQueueBytes)) {
      bus.receive_queue_bytes = static_cast<size_t>(*n);
    }
  }
  if (const Value* v = mapping->Find("heartbeat_interval_ms")) {
    if (auto n = reader.ReadInteger(*v, 0, kMaxHeartbeatIntervalMs)) {
      bus.heartbeat_interval_ms = static_cast<int>(*n);
    }
  }
  if (const Value* v = mapping->Find("publish_delay_ms")) {
    if (auto n = reader.ReadInteger(*v, 0, kMaxPublishDelayMs)) {
      bus.publish_delay_ms = static_cast<int>(*n);
    }
  }
}

void ReadReconcile(Reader& reader, const Value& value, ReconcileConfig& reconcile) {
  std::optional<Mapping> mapping = reader.ReadMapping(value, kReconcileKeys);
  if (!mapping) return;
  if (const Value* v = mapping->Find("on_start")) {
    if (auto b = reader.ReadBool(*v)) reconcile.on_start = *b;
  }
  if (const Value* v = mapping->Find("interval_s")) {
    if (auto n = reader.ReadInteger(*v, 0, 86400)) reconcile.interval_s = static_cast<int>(*n);
  }
  if (const Value* v = mapping->Find("batch")) {
    if (auto n = reader.ReadInteger(*v, 1, 100000)) reconcile.batch = static_cast<int>(*n);
  }
}

void ReadClock(Reader& reader, const Value& value, ClockConfig& clock) {
  std::optional<Mapping> mapping = reader.ReadMapping(value, kClockKeys);
  if (!mapping) return;
  if (const Value* v = mapping->Find("interval_s")) {
    if (auto n = reader.ReadInteger(*v, 0, 86400)) clock.interval_s = static_cast<int>(*n);
  }
}

void ReadBatch(Reader& reader, const Value& value, BatchConfig& batch) {
  std::optional<Mapping> mapping = reader.ReadMapping(value, kBatchKeys);
  if (!mapping) return;
  if (const Value* v = mapping->Find("max_messages")) {
    if (auto n = reader.ReadInteger(*v, 1, kMaxBatchMessages)) {
      batch.max_messages = static_cast<int>(*n);
    }
  }
}

void ReadRecorder(Reader& reader, const Value& value, RecorderConfig& recorder) {
  std::optional<Mapping> mapping = reader.ReadMapping(value, kRecorderKeys);
  if (!mapping) return;
  if (const Value* v = mapping->Find("retention_days")) {
    if (auto n = reader.ReadInteger(*v, 0, 3650)) recorder.retention_days = static_cast<int>(*n);
  }
  if (const Value* v = mapping->Find("max_mb")) {
    if (auto n = reader.ReadInteger(*v, 1, 1048576)) recorder.max_mb = static_cast<int>(*n);
  }
}

void ReadOutbox(Reader& reader, const Value& value, OutboxConfig& outbox) {
  std::optional<Mapping> mapping = reader.ReadMapping(value, kOutboxKeys);
  if (!mapping) return;
  if (const Value* v = mapping->Find("retention_days")) {
    if (auto n = reader.ReadInteger(*v, 0, 3650)) outbox.retention_days = static_cast<int>(*n);
  }
  if (const Value* v = mapping->Find("max_rows")) {
    if (auto n = reader.ReadInteger(*v, 0, kMaxOutboxRows)) outbox.max_rows = *n;
  }
}

// `stores: [ids]` or `partition: {index, count}`, not both.
void ReadScope(Reader& reader, const Mapping& top, so::StoreScope& scope) {
  const Value* stores = top.Find("stores");
  const Value* partition = top.Find("partition");
  if (stores != nullptr && partition != nullptr) {
    const Value* later = stores->anchor.pos > partition->anchor.pos ? stores : partition;
    reader.Report(later->anchor, "give either stores or partition, not both");
    return;
  }
  if (stores != nullptr) {
    auto ids = reader.ReadUniqueList<so::Id>(
        *stores, "leave stores out to apply every store", [&](const Value& item) {
          return reader.ReadInteger(item, 1, std::numeric_limits<int64_t>::max());
        });
    if (ids) {
      std::sort(ids->begin(), ids->end());
      scope.stores = std::move(*ids);
    }
  }
  if (partition != nullptr) {
    std::optional<Mapping> mapping = reader.ReadMapping(*partition, kPartitionKeys);
    if (!mapping) return;
    const Value* index = reader.Require(*mapping, "index");
    const Value* count = reader.Require(*mapping, "count");
    if (index == nullptr || count == nullptr) return;
    std::optional<int64_t> n = reader.ReadInteger(*count, 1, kMaxPartitions);
    std::optional<int64_t> i = reader.ReadInteger(*index, 0, kMaxPartitions - 1);
    if (!n || !i) return;
    if (*i >= *n) {
      reader.Report(*index, "the index must be below count (0.." + std::to_string(*n - 1) + ")");
      return;
    }
    scope.partition_index = static_cast<int>(*i);
    scope.partition_count = static_cast<int>(*n);
  }
}

// "address:port" with an IP address literal (IPv6 in brackets) and a port 1..65535.
void ReadMetrics(Reader& reader, const Value& value, MetricsConfig& metrics) {
  std::optional<Mapping> mapping = reader.ReadMapping(value, kMetricsKeys);
  if (!mapping) return;
  const Value* v = mapping->Find("listen");
  if (v == nullptr) return;
  std::optional<std::string> listen = reader.ReadString(*v);
  if (!listen) return;
  const auto bad = [&](const std::string& why) {
    reader.Report(*v, "'" + *listen + "' is not an address to listen on: " + why +
                          "; expected address:port, e.g. 127.0.0.1:9464 or [::1]:9464");
  };
  const size_t colon = listen->rfind(':');
  if (colon == std::string::npos) return bad("no port");
  std::string address = listen->substr(0, colon);
  const std::string port_text = listen->substr(colon + 1);
  bool v6 = false;
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
    v6 = true;
  }
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), buf) != 1) {
    return bad(v6 ? "not an IPv6 address" : "not an IPv4 address (IPv6 goes in brackets)");
  }
  int port = 0;
  const bool digits =
      !port_text.empty() && port_text.size() <= 5 &&
      std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) port = std::stoi(port_text);
  if (port < 1 || port > kMaxPort) return bad("the port must be 1..65535");
  metrics.listen = *listen;
  metrics.address = address;
  metrics.port = port;
}

// The first line of the file, without its line ending.
std::optional<std::string> ReadPasswordFile(Reader& reader, const Value& value,
                                            const std::filesystem::path& config_dir) {
  std::optional<std::string> path = reader.ReadString(value);
  if (!path) return std::nullopt;
  std::string resolved = Resolve(config_dir, *path).string();
  internal::FileContent content = internal::ReadFile(resolved);
  if (!content.text) {
    reader.Report(value, "cannot read the password file '" + resolved + "': " + content.error);
    return std::nullopt;
  }
  std::string line = content.text->substr(0, content.text->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    reader.Report(value, "the first line of the password file '" + resolved + "' is empty");
    return std::nullopt;
  }
  return line;
}

// One item of database.hosts: "/socket/path", "host", "host:port" or "[v6]:port".
std::optional<DatabaseNode> ReadDatabaseNode(Reader& reader, const Value& value) {
  std::optional<std::string> text = reader.ReadString(value);
  if (!text) return std::nullopt;
  DatabaseNode node;
  if (text->front() == '/') {
    node.socket = *text;
    return node;
  }
  const auto bad = [&](const std::string& why) -> std::optional<DatabaseNode> {
    reader.Report(value, "'" + *text + "' is not a database node: " + why +
                             "; expected host:port (e.g. 10.0.0.2:3306, [fd00::2]:3306), a host "
                             "(port 3306) or a socket path starting with /");
    return std::nullopt;
  };
  std::string host = *text;
  std::string port_text;
  if (host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string::npos) return bad("no closing ]");
    const std::string rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return bad("text after ]");
    if (!rest.empty()) port_text = rest.substr(1);
    host = host.substr(1, close - 1);
    if (host.empty()) return bad("an empty address");
    if (!rest.empty() && port_text.empty()) return bad("no port after :");
  } else if (const size_t colon = host.find(':'); colon != std::string::npos) {
    if (host.find(':', colon + 1) != std::string::npos) return bad("an IPv6 address goes in []");
    port_text = host.substr(colon + 1);
    host.resize(colon);
    if (host.empty()) return bad("no host before :");
    if (port_text.empty()) return bad("no port after :");
  }
  if (!port_text.empty()) {
    const bool digits =
        port_text.size() <= 5 && std::all_of(port_text.begin(), port_text.end(),
                                             [](char c) { return c >= '0' && c <= '9'; });
    const int port = digits ? std::stoi(port_text) : 0;
    if (port < 1 || port > kMaxPort) return bad("the port must be 1..65535");
    node.port = port;
  }
  node.host = std::move(host);
  return node;
}

void ReadDatabase(Reader& reader, const Value& value, const std::filesystem::path& config_dir,
                  DatabaseConfig& database) {
  std::optional<Mapping> mapping = reader.ReadMapping(value, kDatabaseKeys);
  if (!mapping) return;
  if (const Value* v = mapping->Find("hosts")) {
    for (std::string_view single : {"host", "port", "socket"}) {
      if (const Value* other = mapping->Find(single)) {
        reader.Report(other->anchor, mapping->path + ": give either hosts or " +
                                         std::string(single) +
                                         ", not both (hosts lists every node, each with its port)");
      }
    }
    const auto same = [](const DatabaseNode& a, const DatabaseNode& b) {
      return a.host == b.host && a.port == b.port && a.socket == b.socket;
    };
    if (auto items = reader.ReadList(*v, "leave hosts out for one server (host, port)")) {
      for (const Value& item : *items) {
        std::optional<DatabaseNode> node = ReadDatabaseNode(reader, item);
        if (!node) continue;
        if (std::any_of(database.hosts.begin(), database.hosts.end(),
                        [&](const DatabaseNode& n) { return same(n, *node); })) {
          reader.Report(item, "'" + item.node.Scalar() + "' is listed twice");
          continue;
        }
        database.hosts.push_back(std::move(*node));
      }
    }
  }
  if (const Value* v = mapping->Find("connect_timeout_s")) {
    if (auto n = reader.ReadInteger(*v, 1, 60)) database.connect_timeout_s = static_cast<int>(*n);
  }
  if (const Value* v = mapping->Find("host")) {
    if (auto host = reader.ReadString(*v)) database.host = std::move(*host);
  }
  if (const Value* v = mapping->Find("port")) {
    if (auto port = reader.ReadInteger(*v, 1, kMaxPort)) database.port = static_cast<int>(*port);
  }
  if (const Value* v = mapping->Find("socket")) {
    if (auto socket = reader.ReadString(*v)) database.socket = std::move(*socket);
  }
  if (const Value* v = reader.Require(*mapping, "user")) {
    if (auto user = reader.ReadString(*v)) database.user = std::move(*user);
  }
  const Value* password = mapping->Find("password");
  const Value* password_file = mapping->Find("password_file");
  if (password != nullptr && password_file != nullptr) {
    const Value* later =
        password->anchor.pos > password_file->anchor.pos ? password : password_file;
    reader.Report(later->anchor,
                  mapping->path + ": give either password or password_file, not both");
  } else if (password != nullptr) {
    if (auto text = reader.ReadString(*password, /*allow_empty=*/true)) {
      database.password = std::move(*text);
    }
  } else if (password_file != nullptr) {
    if (auto text = ReadPasswordFile(reader, *password_file, config_dir)) {
      database.password = std::move(*text);
    }
  }
  if (const Value* v = reader.Require(*mapping, "name")) {
    if (auto name = reader.ReadString(*v)) database.name = std::move(*name);
  }
}

}  // namespace

std::string Problem::ToString() const {
  const std::string text = (severity == Severity::kWarning ? "warning: " : "") + message;
  if (line == 0) return file + ": " + text;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + text;
}

std::string_view ToString(LogLevel level) {
  for (const EnumName<LogLevel>& n : kLogLevels) {
    if (n.value == level) return n.name;
  }
  return "?";
}

Loaded<DaemonConfig> LoadDaemonConfig(const std::string& path) {
  Reader reader(path);
  DaemonConfig config;
  config.bus.source = DefaultSource();
  std::optional<Loaded<RuleSet>> rules;

  internal::FileContent content = internal::ReadFile(path);
  if (!content.text) reader.ReportFile("cannot read the config file: " + content.error);
  std::optional<Value> root;
  if (content.text) root = reader.Parse(*content.text);
  std::optional<Mapping> top;
  if (root) top = reader.ReadMapping(*root, kTopKeys);
  if (top) {
    std::filesystem::path config_dir = DirectoryOf(path);
    if (const Value* v = reader.Require(*top, "bus")) ReadBus(reader, *v, config.bus);
    if (const Value* v = reader.Require(*top, "database")) {
      ReadDatabase(reader, *v, config_dir, config.database);
    }
    if (const Value* v = reader.Require(*top, "rules_file")) {
      if (std::optional<std::string> rules_file = reader.ReadString(*v)) {
        config.rules_file = Resolve(config_dir, *rules_file).string();
        // Read here rather than by LoadRulesFile so that a missing file is reported at the line
        // that names it.
        internal::FileContent rules_text = internal::ReadFile(config.rules_file);
        if (rules_text.text) {
          rules = ParseRules(*rules_text.text, config.rules_file);
        } else {
          reader.Report(
              *v, "cannot read the rules file '" + config.rules_file + "': " + rules_text.error);
        }
      }
    }
    if (const Value* v = top->Find("reconcile")) ReadReconcile(reader, *v, config.reconcile);
    if (const Value* v = top->Find("clock")) ReadClock(reader, *v, config.clock);
    if (const Value* v = top->Find("batch")) ReadBatch(reader, *v, config.batch);
    if (const Value* v = top->Find("metrics")) ReadMetrics(reader, *v, config.metrics);
    if (const Value* v = top->Find("recorder")) ReadRecorder(reader, *v, config.recorder);
    if (const Value* v = top->Find("outbox")) ReadOutbox(reader, *v, config.outbox);
    ReadScope(reader, *top, config.scope);
    if (const Value* v = top->Find("log_level")) {
      if (auto level = reader.ReadEnum(*v, kLogLevels)) config.log_level = *level;
    }
    if (const Value* v = top->Find("log_summary_interval_s")) {
      if (auto n = reader.ReadInteger(*v, 1, 3600)) {
        config.log_summary_interval_s = static_cast<int>(*n);
      }
    }
  }

  Loaded<DaemonConfig> loaded;
  loaded.problems = reader.TakeProblems();
  if (rules) {
    loaded.problems.insert(loaded.problems.end(), rules->problems.begin(), rules->problems.end());
  }
  if (loaded.problems.empty() && rules && rules->value) {
    config.rules = std::move(*rules->value);
    loaded.value = std::move(config);
  }
  return loaded;
}

}  // namespace so::config
