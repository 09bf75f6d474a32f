#include "daemon/daemon.hpp"

#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "adapters/json_codec.hpp"
#include "adapters/mysql/mysql_observe.hpp"
#include "adapters/mysql/mysql_store.hpp"
#include "adapters/zmq_publisher.hpp"
#include "adapters/zmq_subscriber.hpp"
#include "config/config_loader.hpp"
#include "daemon/check.hpp"
#include "daemon/daemon_metrics.hpp"
#include "daemon/http_server.hpp"
#include "daemon/log.hpp"
#include "daemon/log_fields.hpp"
#include "daemon/log_ids.hpp"
#include "daemon/time_source.hpp"
#include "rules/clock_scan.hpp"
#include "rules/engine.hpp"
#include "rules/outbox.hpp"
#include "rules/processor.hpp"
#include "rules/reconciler.hpp"
#include "rules/store_scope.hpp"

namespace so::daemon {
namespace {

using config::LogLevel;

// The figures read from the database are read again at most this often, however often the
// endpoint is scraped, so that scrapes cost the database a bounded load.
constexpr std::chrono::seconds kObserveEvery{5};
// Unknown types named one by one in the log and the metrics; beyond them, kOtherTypes.
constexpr size_t kUnknownTypesNamed = 64;
constexpr const char* kOtherTypes = "other";
// A health check asks the database again at most this often; after a failure, at most every
// kObserveEvery, so that checks during an outage do not keep the loop waiting for connects.
constexpr std::chrono::seconds kPingEvery{1};
// The observer connection's connect, read and write timeout: the loop waits that long at most
// for a scrape's queries.
constexpr int kObserveTimeoutS = 2;
// How soon after events went out the sent mark is written when no batch writes it first.
constexpr std::chrono::milliseconds kMarkSentAfter{250};
// The exit status when another daemon took the event source (two daemons with one bus.source):
// the unit's RestartPreventExitStatus, so that systemd does not start this one again to take it
// back.
constexpr int kExitSourceTaken = 3;

// This run of the daemon, as sod_event_sources.instance keeps it: host, pid and start time.
std::string RunInstance() {
  char host[64] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid()) + ":" +
         std::to_string(Now().micros);
}

#ifdef SO_CRASH_POINTS
// Test builds only: SO_CRASH_AT=label[:n] kills the daemon with SIGKILL the n-th time (default
// the first) a message passes the processor's checkpoint `label`, as a power cut would;
// SO_THROW_AT=label[:n] throws there instead, as a bug would.
std::optional<Processor::Checkpoint> CrashPointFromEnv(const Log& log) {
  const char* kill_spec = std::getenv("SO_CRASH_AT");
  const char* throw_spec = std::getenv("SO_THROW_AT");
  const bool throws = throw_spec != nullptr && *throw_spec != '\0';
  const char* spec = throws ? throw_spec : kill_spec;
  if (spec == nullptr || *spec == '\0') return std::nullopt;
  std::string label = spec;
  int hits = 1;
  if (const auto colon = label.find(':'); colon != std::string::npos) {
    hits = std::atoi(label.c_str() + colon + 1);
    label.resize(colon);
  }
  log.Warning(std::string("test build: will ") + (throws ? "throw" : "crash") + " at " + label +
              " #" + std::to_string(hits));
  return [label, hits, throws, seen = 0](std::string_view at) mutable {
    if (at != label || ++seen != hits) return;
    if (throws) throw std::runtime_error("test build: thrown at " + label);
    raise(SIGKILL);
  };
}
#endif

// Dead letters go to the daemon's table through their own short transaction.
class MysqlDeadLetters final : public DeadLetterSink {
 public:
  explicit MysqlDeadLetters(mysql::MysqlStore& store) : store_(store) {}
  // so::DeadLetterSink
  Status Park(const DeadLetter& l) override {
    return store_.RecordDeadLetter(l.message_id, l.topic, l.raw, l.reason, l.rules_version);
  }

 private:
  mysql::MysqlStore& store_;
};

class Daemon {
 public:
  explicit Daemon(config::DaemonConfig config)
      : config_(std::move(config)),
        log_(config_.log_level),
        store_(ToMysqlOptions(config_.database)),
        dead_letters_(store_),
        stores_(config_.scope,
                [this](const std::vector<StoreRef>& refs) { return store_.StoresOf(refs); }),
        metrics_(SO_VERSION),
        signals_(io_, SIGINT, SIGTERM),
        reload_(io_, SIGHUP),
        replay_(io_, SIGUSR1),
        retry_timer_(io_),
        publish_timer_(io_),
        mark_timer_(io_),
        sweep_timer_(io_),
        clock_timer_(io_),
        watchdog_timer_(io_),
        summary_timer_(io_) {}

  int Run() {
    log_.Info("starting: rules " + config_.rules_file + " (" + config_.rules.version() + ")");
    metrics_.SetRules(config_.rules.version());
    metrics_.SetReload(true, std::chrono::system_clock::now());
    WaitForSignals();
    // Likely errors (bad messages, the database away, a bad reload) are handled where they
    // happen; what still escapes is a bug or the machine failing (out of memory): it is logged
    // with its cause and ends the process with status 1, so that systemd restarts it.
    try {
      if (!StartUp()) return exit_code_;
      Serve();
    } catch (const std::exception& e) {
      log_.Error(std::string("stopping on an unexpected error: ") + e.what(),
                 LogFields{log_ids::kUnexpectedError});
      exit_code_ = 1;
    } catch (...) {
      log_.Error("stopping on an unexpected error of unknown type",
                 LogFields{log_ids::kUnexpectedError});
      exit_code_ = 1;
    }
    TearDown();
    return exit_code_;
  }

 private:
  // Start-up in a fixed order: database, engine, event socket, subscription, HTTP. False (with
  // exit_code_ set) when one cannot be had.
  bool StartUp() {
    // The time of the sweep and of the clock (a test build may read it from a file); the
    // publisher's source id, the metrics and the log keep to the real clock.
    now_ = TimeSourceFromEnv([this](const std::string& s) { log_.Warning(s); });
    if (!ConnectDatabase()) {
      exit_code_ = stop_requested_ ? 0 : 1;
      return false;
    }
    exit_code_ = 1;
    if (Status s = store_.EnsureDaemonSchema(); !s.ok()) {
      log_.Error("cannot create the daemon's tables: " + s.error().ToString());
      return false;
    }
    if (auto problems = store_.SchemaProblems(); problems.ok()) {
      for (const std::string& p : *problems) log_.Warning("schema: " + p);
    }
    engine_ = std::make_unique<Engine>(config_.rules);
    publisher_ = std::make_unique<zmqbus::Publisher>(zmq_, config_.bus.publish);
    if (Status s = publisher_->Bind(); !s.ok()) {
      log_.Error(s.error().ToString());
      return false;
    }
    if (!OpenOutbox()) return false;
    processor_ = std::make_unique<Processor>(
        *engine_, store_, dead_letters_, *outbox_, RetryPolicy{},
        [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
        [this] { return Reconnect(); });
    processor_->set_recording(config_.recorder.on());
    processor_->set_on_fatal([this](const Error& e) { SourceTaken(e); });
#ifdef SO_CRASH_POINTS
    if (auto crash = CrashPointFromEnv(log_)) processor_->set_checkpoint(std::move(*crash));
#endif
    subscriber_ = std::make_unique<zmqbus::Subscriber>(
        io_, zmq_,
        zmqbus::SubscriberOptions{
            config_.bus.subscribe, zmqbus::kPosTopics, config_.bus.receive_high_water_mark,
            config_.bus.heartbeat_interval_ms, config_.bus.receive_queue_bytes,
            static_cast<size_t>(config_.batch.max_messages)});
    if (Status s = subscriber_->Start(
            [this](std::vector<zmqbus::Inbound>&& batch) { return OnBatch(std::move(batch)); },
            [this](const std::string& why) { Fail(why); });
        !s.ok()) {
      log_.Error(s.error().ToString());
      return false;
    }
    // Every listener is up before the daemon says it is ready.
    if (!StartHttp()) return false;
    reconciler_ =
        std::make_unique<Reconciler>(store_, *processor_, config_.reconcile.batch, config_.scope);
    reconciler_->set_observer([this](const Message& m, const Processed& p) {
      metrics_.CountRepair(m.envelope.id, p.fate);
      Report(m.envelope.type, m.envelope.id, &m, p);
      KeepAlive();  // a long catch-up is work, not a hang
    });
    clock_ =
        std::make_unique<ClockScanner>(store_, *processor_, config_.reconcile.batch, config_.scope);
    clock_->set_observer([this](const Message& m, const Processed& p) {
      metrics_.CountFate(m.envelope.type, p.fate);
      Report(m.envelope.type, m.envelope.id, &m, p);
      KeepAlive();
    });
    exit_code_ = 0;
    return true;
  }

  // Catches up, reports ready and runs the loop until a signal (or a failure) stops it.
  void Serve() {
    // After subscribing, so that what the POS publishes meanwhile queues rather than slips
    // between the sweep and the subscription.
    if (config_.reconcile.on_start) Sweep("start-up");
    if (stop_requested_) return;  // another daemon took the event source
    Repeat(sweep_timer_, config_.reconcile.interval_s, [this] { Sweep("timer"); });
    // What fell due while the daemon was down, once (the ids come from what is due).
    if (config_.clock.interval_s > 0) ClockTick("start-up");
    if (stop_requested_) return;
    Repeat(clock_timer_, config_.clock.interval_s, [this] { ClockTick("timer"); });
    log_.Info("ready: subscribed to " + config_.bus.subscribe + ", publishing on " +
                  config_.bus.publish + " as " + outbox_->source() + "; applying " +
                  config_.scope.ToString(),
              LogFields{log_ids::kStarted}.Add("SO_RULES_VERSION", engine_->rules().version()));
    ScheduleSummary();
    sd_notify(0, "READY=1\nSTATUS=processing POS messages");
    StartWatchdog();
    io_.run();
  }

  // In reverse. Nothing is in flight here: each message is handled whole inside one handler, so
  // a signal is only ever acted on between messages (after an unexpected error the open
  // transaction goes with the connection, uncommitted).
  void TearDown() {
    sd_notify(0, "STOPPING=1");
    if (http_) http_->Stop();
    if (subscriber_) subscriber_->Stop();
    if (!processor_ || !outbox_) return;  // start-up did not get that far
    // What went out is marked, so that the next start does not send it again; what is held or
    // was refused stays in the outbox for it.
    if (exit_code_ != kExitSourceTaken && !outbox_->held()) {
      if (Status s = outbox_->Drain(); !s.ok()) log_.Warning("events: " + s.error().ToString());
      if (Status s = outbox_->MarkSent(); !s.ok() && s.error().kind == ErrorKind::kFatal) {
        SourceTaken(s.error());
      } else if (!s.ok()) {
        log_.Warning("events: the sent mark was not written (the next start sends them again): " +
                     s.error().ToString());
      }
    }
    const ProcessorStats& st = processor_->stats();
    log_.Info("stopped: applied " + std::to_string(st.applied) + ", refused " +
                  std::to_string(st.refused) + ", duplicates " + std::to_string(st.duplicates) +
                  ", dead letters " + std::to_string(st.dead_lettered) + ", batches " +
                  std::to_string(st.batches) + ", retries " + std::to_string(st.retries) +
                  ", gaps " + std::to_string(gaps_) + ", of other stores " +
                  std::to_string(other_stores_) + ", of unknown types " +
                  std::to_string(UnknownTypes()) + ", events published " +
                  std::to_string(outbox_->stats().published) + " (last seq " +
                  std::to_string(outbox_->last_seq()) + ", " + std::to_string(outbox_->unsent()) +
                  " unsent)",
              LogFields{log_ids::kStopped});
  }

  // The database may start after the daemon (boot order): keep trying until it answers or a
  // signal says stop.
  bool ConnectDatabase() {
    std::chrono::milliseconds backoff{250};
    for (;;) {
      Status s = store_.Connect();
      if (s.ok()) {
        NoteNode();
        return true;
      }
      // A server that answers and refuses (bad password, unknown database) will not change its
      // mind; one that does not answer may yet start.
      if (s.error().kind == ErrorKind::kPermanent) {
        log_.Error("cannot use the database: " + s.error().ToString());
        return false;
      }
      log_.Warning("database not reachable, retrying in " + std::to_string(backoff.count()) +
                   " ms: " + s.error().ToString());
      // Waiting inside the loop lets SIGTERM end the wait.
      io_.run_for(backoff);
      if (stop_requested_) return false;
      io_.restart();
      backoff = std::min(backoff * 2, std::chrono::milliseconds{10'000});
    }
  }

  // The processor's reconnect after a lost connection (or a Galera node that stopped being
  // usable): Connect() goes through database.hosts in order.
  Status Reconnect() {
    Status s = store_.Connect();
    if (s.ok()) NoteNode();
    return s;
  }

  // After a connect: the node now in use, logged and in the metrics when it changed.
  void NoteNode() {
    const std::string& node = store_.node();
    if (node == node_) return;
    const bool moved = !node_.empty();
    if (moved) {
      log_.Warning("database: now on node " + node + " (was " + node_ + ")",
                   LogFields{log_ids::kDatabaseNode}.Add("SO_DB_NODE", node));
    } else {
      log_.Info("database: connected to " + node + (store_.galera() ? " (a Galera node)" : ""),
                LogFields{log_ids::kDatabaseNode}.Add("SO_DB_NODE", node));
    }
    node_ = node;
    metrics_.SetNode(node, moved);
  }

  // With several nodes, the first listed is preferred (the one next to the daemon, or the one
  // its partition was given): on the sweep's timer, a daemon that failed over moves back once the
  // first node is usable again. Between batches, outside a transaction.
  void PreferFirstNode() {
    mysql::MysqlOptions first = ToMysqlOptions(config_.database);
    const std::vector<mysql::MysqlNode> nodes = first.Nodes();
    if (nodes.size() < 2 || store_.node() == nodes.front().ToString()) return;
    // Probed on a connection of its own first, so that a node still away costs no working one.
    first.nodes = {nodes.front()};
    if (!mysql::Observer(first, kObserveTimeoutS).Ping().ok()) return;
    if (Status s = Reconnect(); !s.ok()) {
      log_.Warning("database: cannot reconnect: " + s.error().ToString());
    }
  }

  // The event source (rules/outbox.hpp) for this run: what the last one left unsent goes out
  // first, once the hold after the bind ends (bus.publish_delay_ms), so that subscribers that
  // were connected before the restart are back.
  bool OpenOutbox() {
    outbox_ = std::make_unique<Outbox>(store_, *publisher_, &json::EncodeStampedEvent,
                                       config_.bus.source, RunInstance());
    if (Status s = outbox_->Open(Now()); !s.ok()) {
      log_.Error("cannot take the event source " + config_.bus.source + ": " +
                 s.error().ToString());
      return false;
    }
    log_.Info("events: source " + outbox_->source() + " at seq " +
              std::to_string(outbox_->last_seq()) +
              (outbox_->unsent() > 0 ? "; " + std::to_string(outbox_->unsent()) +
                                           " committed and not sent by the last run go first"
                                     : ""));
    outbox_->Hold();
    publish_timer_.expires_after(std::chrono::milliseconds(config_.bus.publish_delay_ms));
    publish_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      outbox_->Release();
      PublishOutbox();
    });
    return true;
  }

  // After work that may have committed events: the sent mark is written soon, unless a batch
  // writes it first, and what the bus refused is tried again.
  void AfterEvents() {
    if (!outbox_ || mark_scheduled_ || stop_requested_ || outbox_->held()) return;
    if (!outbox_->mark_behind() && outbox_->unsent() == 0) return;
    mark_scheduled_ = true;
    mark_timer_.expires_after(kMarkSentAfter);
    mark_timer_.async_wait([this](const boost::system::error_code& ec) {
      mark_scheduled_ = false;
      if (!ec) PublishOutbox();
    });
  }

  void PublishOutbox() {
    const auto warn = [this](const std::string& what, const Error& e) {
      // Once per cause, not at every try.
      if (e.message == outbox_problem_) return;
      outbox_problem_ = e.message;
      log_.Warning("events: " + what + e.ToString());
    };
    if (Status s = outbox_->Drain(); !s.ok()) warn("", s.error());
    if (Status s = outbox_->MarkSent(); !s.ok()) {
      if (s.error().kind == ErrorKind::kFatal) return SourceTaken(s.error());
      warn("the sent mark was not written (tried again): ", s.error());
    } else if (outbox_->unsent() == 0) {
      outbox_problem_.clear();
    }
    AfterEvents();
  }

  // Another daemon started with this one's bus.source and took the event source: this one stops
  // and is not started again by systemd (kExitSourceTaken), so that the two do not take turns.
  void SourceTaken(const Error& e) {
    if (exit_code_ == kExitSourceTaken) return;  // said once
    log_.Error("stopping: " + e.message, LogFields{log_ids::kUnexpectedError});
    exit_code_ = kExitSourceTaken;
    Stop();
  }

  // The bus reader cannot go on: nothing more would be received, so the process ends with
  // status 1 and systemd starts it again (the sweep then catches up what was missed).
  void Fail(const std::string& why) {
    log_.Error(why + "; stopping", LogFields{log_ids::kUnexpectedError});
    if (exit_code_ != kExitSourceTaken) exit_code_ = 1;
    Stop();
  }

  void Stop() {
    stop_requested_ = true;
    retry_timer_.cancel();
    publish_timer_.cancel();
    mark_timer_.cancel();
    sweep_timer_.cancel();
    clock_timer_.cancel();
    watchdog_timer_.cancel();
    summary_timer_.cancel();
    if (http_) http_->Stop();
    if (subscriber_) subscriber_->Stop();
    io_.stop();
  }

  void WaitForSignals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      log_.Info(std::string("signal ") + strsignal(signo) + ": stopping");
      Stop();
    });
    WaitForReload();
    WaitForReplay();
  }

  void WaitForReplay() {
    replay_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (processor_ && held_.empty()) ReplayDeadLetters();
      WaitForReplay();
    });
  }

  // SIGUSR1, after an operator fixed what made messages fail: each dead letter is processed
  // again, oldest first. One that applies now (or is refused, or was applied meanwhile) leaves
  // the dead letters; one that fails again stays, with one more attempt and the new reason.
  void ReplayDeadLetters() {
    int64_t after = 0;
    int done = 0, failing = 0, swept = 0, clocked = 0, others = 0;
    for (;;) {
      auto letters = store_.ListDeadLetters(after, 100);
      if (!letters.ok()) {
        log_.Warning("dead-letter replay stopped: " + letters.error().ToString());
        break;
      }
      if (letters->empty()) break;
      for (const auto& letter : *letters) {
        after = letter.id;
        // A sweep's repair has no bytes to replay: the sweep finds its fact again by itself. So
        // does the clock's scan its due messages (clock:<kind>:...).
        if (letter.message_id && letter.message_id->rfind("sweep:", 0) == 0) {
          ++swept;
          Forget(letter.id);
          continue;
        }
        if (letter.message_id && letter.message_id->rfind("clock:", 0) == 0) {
          ++clocked;
          Forget(letter.id);
          continue;
        }
        const zmqbus::Inbound decoded = zmqbus::Decode({letter.topic, letter.raw});
        // Parked by an older daemon that dead-lettered unknown types: ignored now, as on the bus.
        if (const auto* other = std::get_if<zmqbus::UnknownType>(&decoded)) {
          CountUnknownType(other->envelope.type);
          ++done;
          Forget(letter.id);
          continue;
        }
        if (const auto* bad = std::get_if<zmqbus::Undecodable>(&decoded)) {
          ++failing;
          if (Status st =
                  store_.RecordDeadLetterRetry(letter.id, bad->reason, engine_->rules().version());
              !st.ok()) {
            log_.Warning("dead letter " + std::to_string(letter.id) +
                         ": cannot count the attempt: " + st.error().ToString());
          }
          continue;
        }
        const Message& m = std::get<Delivery>(decoded).message;
        // Another daemon's store: its daemon replays it.
        if (Status st = stores_.Resolve({&m}); !st.ok()) {
          log_.Warning("dead-letter replay stopped: " + st.error().ToString());
          return;
        }
        if (!stores_.Applies(m)) {
          ++others;
          continue;
        }
        const Processed p = Report(letter.topic, m.envelope.id, &m,
                                   processor_->Process(m, letter.topic, letter.raw));
        metrics_.CountFate(m.envelope.type, p.fate);
        if (p.fate == Fate::kUnavailable) {
          log_.Warning("dead-letter replay stopped: the database is unavailable");
          return;
        }
        if (p.fate == Fate::kDeadLettered) {
          ++failing;  // the processor counted the attempt on the same row (same message id)
        } else {
          ++done;
          Forget(letter.id);
        }
      }
    }
    // The letters of the sweep and the clock are not replayed: their scans find them again.
    std::string forgotten;
    if (swept > 0) forgotten = std::to_string(swept) + " sweep:";
    if (clocked > 0) {
      forgotten += (forgotten.empty() ? "" : " and ") + std::to_string(clocked) + " clock:";
    }
    log_.Info(
        "dead-letter replay: " + std::to_string(done) + " applied, " + std::to_string(failing) +
        " still failing" +
        (others > 0 ? ", " + std::to_string(others) + " left to the daemons of their stores" : "") +
        (forgotten.empty() ? "" : ", " + forgotten + " forgotten (found again by their scans)"));
    if (swept > 0) Sweep("dead-letter replay");
    AfterEvents();
  }

  // A dead letter replayed for good leaves the table; one that cannot be deleted now is found
  // again by the next replay, which sees its message in the inbox.
  void Forget(int64_t dead_letter_id) {
    if (Status s = store_.DeleteDeadLetter(dead_letter_id); !s.ok()) {
      log_.Warning("dead letter " + std::to_string(dead_letter_id) +
                   " replayed but not deleted: " + s.error().ToString());
    }
  }

  void WaitForReload() {
    reload_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (engine_) Reload();
      WaitForReload();
    });
  }

  // Parses the rules into a fresh RuleSet and swaps it in only when it is valid; otherwise the
  // old rules keep running and every problem is logged as file:line:column.
  void Reload() {
    sd_notify(0, "RELOADING=1");
    auto loaded = config::LoadRulesFile(config_.rules_file);
    if (!loaded.ok()) {
      for (const auto& p : loaded.problems) {
        log_.Error("reload refused: " + p.ToString(), LogFields{log_ids::kReloadRefused});
      }
      log_.Warning("keeping rules " + engine_->rules().version());
      metrics_.SetReload(false, std::chrono::system_clock::now());
    } else {
      auto next = std::make_unique<Engine>(std::move(*loaded.value));
      processor_->set_engine(*next);
      engine_ = std::move(next);
      log_.Info("reloaded rules " + engine_->rules().version(),
                LogFields{log_ids::kReloaded}.Add("SO_RULES_VERSION", engine_->rules().version()));
      metrics_.SetRules(engine_->rules().version());
      metrics_.SetReload(true, std::chrono::system_clock::now());
    }
    sd_notify(0, "READY=1");
  }

  // Applies what the POS committed and the daemon has not: see rules/reconciler.hpp. At
  // start-up and on the timer, then checks the counters for drift.
  void Sweep(const std::string& why) {
    const Log::Hold hold(log_);
    const SweepReport r = reconciler_->Sweep(now_());
    if (r.repairs > 0 || r.failed > 0 || r.unavailable) {
      log_.Info("sweep (" + why + "): " + std::to_string(r.repairs) + " repaired, " +
                std::to_string(r.failed) + " failed" +
                (r.unavailable ? "; database unavailable, the next sweep tries again" : ""));
    } else {
      log_.Debug("sweep (" + why + "): nothing to repair");
    }
    if (!r.unavailable && (why == "start-up" || why == "timer")) {
      if (why == "timer") PreferFirstNode();
      CheckDrift();
      PruneFlightRecords();
      PruneOutbox();
    }
    AfterEvents();
  }

  // Applies what fell due with time alone (rules/clock_scan.hpp): overdue promises, pickup
  // reminders, pickup deadlines. At start-up and on the clock timer.
  void ClockTick(const std::string& why) {
    const Log::Hold hold(log_);
    const OwnMessagesTally r = clock_->Tick(now_());
    if (r.applied > 0 || r.failed > 0 || r.unavailable) {
      log_.Info("clock (" + why + "): " + std::to_string(r.applied) + " applied, " +
                std::to_string(r.failed) + " failed" +
                (r.unavailable ? "; database unavailable, the next look tries again" : ""));
    }
    AfterEvents();
  }

  // The flight recorder's retention (config recorder:), between batches as the drift check.
  void PruneFlightRecords() {
    if (!config_.recorder.on()) return;
    const Result<int64_t> deleted = store_.PruneFlightRecords(
        config_.recorder.retention_days, int64_t{config_.recorder.max_mb} << 20);
    if (!deleted.ok()) {
      log_.Warning("flight recorder: pruning failed, the next sweep tries again: " +
                   deleted.error().ToString());
    } else if (*deleted > 0) {
      log_.Info("flight recorder: pruned " + std::to_string(*deleted) + " records (older than " +
                std::to_string(config_.recorder.retention_days) + " days or beyond " +
                std::to_string(config_.recorder.max_mb) + " MiB)");
    }
  }

  // The outbox's retention (config outbox:), between batches as the drift check.
  void PruneOutbox() {
    const Result<int64_t> deleted = outbox_->Prune(
        OutboxRetention{config_.outbox.retention_days, config_.outbox.max_rows}, now_());
    if (!deleted.ok()) {
      log_.Warning("outbox: pruning failed, the next sweep tries again: " +
                   deleted.error().ToString());
    } else if (*deleted > 0) {
      log_.Info("outbox: pruned " + std::to_string(*deleted) + " sent events (older than " +
                std::to_string(config_.outbox.retention_days) + " days or beyond the newest " +
                std::to_string(config_.outbox.max_rows) + ")");
    }
  }

  // The drift check of `special-ordersd check` over what the live special orders make (bounded
  // by them, not by the history), between batches on the daemon's connection. Repairs nothing:
  // an edit behind the daemon's back is an operator's to look at (`check --repair`).
  void CheckDrift() {
    const auto start = std::chrono::steady_clock::now();
    auto report = store_.FindDrift(mysql::MysqlStore::DriftScope::kLive);
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    if (!report.ok()) {
      log_.Warning("counter drift not checked, keeping the last result: " +
                   report.error().ToString());
      return;
    }
    const int64_t before = drift_;
    drift_ = static_cast<int64_t>(report->drifts.size());
    metrics_.SetDrift(drift_, std::chrono::system_clock::now());
    const LogFields fields = LogFields{log_ids::kDrift}.Add("SO_DRIFT", std::to_string(drift_));
    const std::string cost = " (" + std::to_string(report->special_orders) + " special orders, " +
                             std::to_string(report->stock_rows) + " stock rows in " +
                             std::to_string(took.count() / 1000) + " ms)";
    if (drift_ > 0) {
      log_.Warning("counter drift: " + DriftSummary(report->drifts, 10) + cost +
                       "; see `special-ordersd check`",
                   fields);
    } else if (before > 0) {
      log_.Warning("counter drift gone: every counter is what the special orders make it" + cost,
                   fields);
    } else {
      log_.Debug("no counter drift" + cost);
    }
  }

  // With WatchdogSec= in the unit, systemd restarts a daemon that stops answering: the loop
  // pings at half the interval, so a ping missing means the loop itself is stuck.
  void StartWatchdog() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
    PingWatchdog();
  }

  void PingWatchdog() {
    KeepAlive();
    watchdog_timer_.expires_after(watchdog_interval_);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) PingWatchdog();
    });
  }

  void KeepAlive() {
    if (watchdog_interval_.count() == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ping_ < watchdog_interval_ / 2) return;
    last_ping_ = now;
    sd_notify(0, "WATCHDOG=1");
  }

  // Runs `work` every `interval_s` seconds (never when 0), between batches and not while
  // messages are held for a database that is away.
  void Repeat(boost::asio::steady_timer& timer, int interval_s, std::function<void()> work) {
    if (interval_s <= 0) return;
    timer.expires_after(std::chrono::seconds(interval_s));
    timer.async_wait([this, &timer, interval_s,
                      work = std::move(work)](const boost::system::error_code& ec) mutable {
      if (ec) return;
      if (held_.empty()) work();
      Repeat(timer, interval_s, std::move(work));
    });
  }

  // Applies a batch off the bus. Returns false to pause the subscriber while the database is
  // away: what could not be applied is held, in order, and retried by a timer; the receive
  // queue's bound (then ZeroMQ's high-water mark) limits what waits behind it.
  bool OnBatch(std::vector<zmqbus::Inbound>&& batch) {
    const Log::Hold hold(log_);
    for (const auto& in : batch) {
      // Labelled by type for the contract's types only: other topics are any text a POS sends
      // (the types it adds are in unknown_types_total).
      const auto* d = std::get_if<Delivery>(&in);
      metrics_.CountReceived(d != nullptr ? std::string_view(d->message.envelope.type)
                             : std::holds_alternative<zmqbus::UnknownType>(in)
                                 ? std::string_view("unknown")
                                 : std::string_view("undecodable"));
    }
    std::deque<zmqbus::Inbound> items(std::make_move_iterator(batch.begin()),
                                      std::make_move_iterator(batch.end()));
    const bool applied = Apply(items);
    AfterEvents();
    if (applied) return true;
    if (stop_requested_) return false;
    log_.Warning(
        "database unavailable, holding the message" +
            std::string(items.size() > 1 ? "s (" + std::to_string(items.size()) + ")" : "") +
            " and pausing: " + unavailable_,
        LogFields{log_ids::kDatabaseLost});
    held_ = std::move(items);
    ScheduleRetry();
    return false;
  }

  void ScheduleRetry() {
    retry_timer_.expires_after(std::chrono::seconds(1));
    retry_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || held_.empty()) return;
      const Log::Hold hold(log_);
      const bool applied = Apply(held_);
      AfterEvents();
      if (!applied) {
        if (!stop_requested_) ScheduleRetry();
        return;
      }
      log_.Info("database back: resuming", LogFields{log_ids::kDatabaseBack});
      subscriber_->Resume();
    });
  }

  // Applies `items` in order, consecutive messages as one batch; with stores: or partition:, the
  // messages of other stores are skipped (their seq still counts). Returns false when the
  // database is away; what it could not take is then left in `items`, in order.
  bool Apply(std::deque<zmqbus::Inbound>& items) {
    if (!ResolveStores(items)) return false;
    std::vector<Delivery> run;
    // Applies `run` as one batch; what the database could not take goes back to the front.
    const auto flush = [&] {
      if (run.empty()) return true;
      metrics_.ObserveBatch(run.size());
      const std::vector<Processed> results = processor_->ProcessBatch(run);
      tally_.CountBatch();
      const auto done = std::chrono::steady_clock::now();
      std::vector<Delivery> back;
      for (size_t i = 0; i < run.size(); ++i) {
        Report(run[i].topic, run[i].message.envelope.id, &run[i].message, results[i]);
        metrics_.CountFate(run[i].message.envelope.type, results[i].fate);
        const bool committed =
            results[i].fate == Fate::kApplied || results[i].fate == Fate::kRefused;
        if (committed && run[i].received_at.time_since_epoch().count() != 0) {
          metrics_.ObserveReceiveToCommit(done - run[i].received_at);
        }
        if (results[i].fate != Fate::kUnavailable) continue;
        unavailable_ = results[i].detail;
        back.push_back(std::move(run[i]));
      }
      run.clear();
      for (auto it = back.rbegin(); it != back.rend(); ++it) items.emplace_front(std::move(*it));
      KeepAlive();
      return back.empty();
    };
    while (!items.empty()) {
      if (const auto* other = std::get_if<zmqbus::UnknownType>(&items.front())) {
        // Not for us, but in the source's seq: a gap before it is still a gap.
        if (TrackSeq(other->envelope)) {
          if (!flush()) return false;
          Sweep("gap");
        }
        CountUnknownType(other->envelope.type);
        items.pop_front();
        continue;
      }
      if (const auto* bad = std::get_if<zmqbus::Undecodable>(&items.front())) {
        if (!flush()) return false;
        const Processed p =
            Report(bad->topic, bad->message_id, nullptr,
                   processor_->ParkUndecodable(bad->message_id, bad->topic, bad->raw, bad->reason));
        metrics_.CountFate("undecodable", p.fate);
        if (p.fate == Fate::kUnavailable) {
          unavailable_ = p.detail;
          return false;
        }
        items.pop_front();
        continue;
      }
      // The facts of the lost messages were committed before this one was published: what came
      // before is applied, then the sweep catches up, so that all is applied in the POS's order.
      Delivery& d = std::get<Delivery>(items.front());
      if (TrackSeq(d.message.envelope)) {
        if (!flush()) return false;
        Sweep("gap");
      }
      if (!stores_.Applies(d.message)) {
        metrics_.CountOtherStore(d.message.envelope.type);
        ++other_stores_;
        items.pop_front();
        continue;
      }
      run.push_back(std::move(d));
      items.pop_front();
    }
    return flush();
  }

  // With stores: or partition:, looks up the stores of the messages that do not name theirs, once
  // for all of `items`. False when the database is away (nothing is applied or skipped then).
  bool ResolveStores(const std::deque<zmqbus::Inbound>& items) {
    std::vector<const Message*> messages;
    for (const auto& in : items) {
      if (const auto* d = std::get_if<Delivery>(&in)) messages.push_back(&d->message);
    }
    const Status s = stores_.Resolve(messages);
    if (s.ok()) return true;
    unavailable_ = "looking up the stores of the messages: " + s.error().ToString();
    return false;
  }

  // Returns true when messages were lost: a jump in a source's seq, or a new source (the POS
  // restarted, and what it published while we were not connected is gone) after the first.
  bool TrackSeq(const Envelope& e) {
    auto [it, fresh] = last_seq_.try_emplace(e.source, e.seq);
    if (fresh) {
      if (last_seq_.size() == 1) return false;
      log_.Warning(
          "new source " + e.source + " (the POS restarted?) at seq " + std::to_string(e.seq),
          LogFields{log_ids::kGap}.Add("SO_SOURCE", e.source));
      ++gaps_;
      metrics_.CountGap(true);
      return true;
    }
    const bool gap = e.seq > it->second + 1;
    if (gap) {
      log_.Warning("gap from " + e.source + ": seq " + std::to_string(it->second) + " then " +
                       std::to_string(e.seq) + " (" + std::to_string(e.seq - it->second - 1) +
                       " messages lost)",
                   LogFields{log_ids::kGap}
                       .Add("SO_SOURCE", e.source)
                       .Add("SO_LOST", std::to_string(e.seq - it->second - 1)));
      ++gaps_;
      metrics_.CountGap(false);
    }
    if (e.seq > it->second) it->second = e.seq;
    return gap;
  }

  // The HTTP endpoint (metrics.listen), off when not configured. False when it cannot listen.
  bool StartHttp() {
    if (config_.metrics.listen.empty()) return true;
    observer_ =
        std::make_unique<mysql::Observer>(ToMysqlOptions(config_.database), kObserveTimeoutS);
    http_ = std::make_unique<HttpServer>(io_);
    http_->Handle("/metrics", [this] { return Scrape(); });
    http_->Handle("/healthz", [this] { return Health(); });
    if (Status s =
            http_->Listen(config_.metrics.address, static_cast<uint16_t>(config_.metrics.port));
        !s.ok()) {
      log_.Error(s.error().ToString());
      return false;
    }
    log_.Info("metrics and health on http://" + config_.metrics.listen + "/metrics, /healthz");
    return true;
  }

  HttpResponse Scrape() {
    const auto now = std::chrono::steady_clock::now();
    if (!observed_at_ || now - *observed_at_ >= kObserveEvery) {
      observed_at_ = now;
      auto o = observer_->Observe();
      if (!o.ok()) {
        log_.Warning("metrics: cannot read the special orders and dead letters: " +
                     o.error().ToString());
      }
      metrics_.SetObservation(o.ok() ? &*o : nullptr);
    }
    const ProcessorStats& ps = processor_->stats();
    const zmqbus::Subscriber::Stats ss = subscriber_->stats();
    metrics_.SetMirrored({.read_off_socket = ss.received,
                          .retries = ps.retries,
                          .reconnects = ps.reconnects,
                          .unavailable = ps.unavailable,
                          .conflicts = ps.conflicts,
                          .lock_wait_timeouts = ps.lock_wait_timeouts,
                          .nodes_not_ready = ps.nodes_not_ready,
                          .connection_errors = ps.connection_errors,
                          .other_transient = ps.other_transient,
                          .published = outbox_->stats().published,
                          .resent = outbox_->stats().resent,
                          .publish_errors = outbox_->stats().publish_errors,
                          .pruned = outbox_->stats().pruned,
                          .unsent = outbox_->unsent(),
                          .last_seq = outbox_->last_seq(),
                          .queued = ss.queued,
                          .queued_bytes = ss.queued_bytes,
                          .subscription_connected = subscriber_->connected()});
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.Render();
    return r;
  }

  // 200 when the database answers (on Galera: the node is in the primary component and ready),
  // the subscription is connected and nothing is held; 503 naming what is not.
  HttpResponse Health() {
    const auto now = std::chrono::steady_clock::now();
    const auto every = database_problem_.empty() ? kPingEvery : kObserveEvery;
    if (!pinged_at_ || now - *pinged_at_ >= every) {
      pinged_at_ = now;
      const Status s = observer_->Ping();
      database_problem_ = s.ok() ? "" : s.error().ToString();
    }
    std::string reasons;
    if (!database_problem_.empty()) reasons += "database: " + database_problem_ + "\n";
    if (!held_.empty()) {
      reasons += "applying: holding " + std::to_string(held_.size()) +
                 (held_.size() == 1 ? " message" : " messages") +
                 ", the database is unavailable: " + unavailable_ + "\n";
    }
    if (!subscriber_->connected()) {
      reasons += "subscription: not connected to " + config_.bus.subscribe + "\n";
    }
    if (auto e = subscriber_->reader_error()) reasons += "subscription: " + *e + "\n";
    HttpResponse r;
    r.status = reasons.empty() ? 200 : 503;
    r.body = reasons.empty() ? "ok\n" : reasons;
    return r;
  }

  // A type under a subscribed prefix that the contract does not define: counted, and logged the
  // first time only, since the POS bus carries more than special orders.
  void CountUnknownType(const std::string& type) {
    // The types are whatever a POS sends under a subscribed prefix: a bounded number of them is
    // named (in the log and as metric labels), the rest are counted together as "other".
    const bool known = unknown_types_.contains(type);
    if (!known && unknown_types_.size() >= kUnknownTypesNamed) {
      if (unknown_types_[kOtherTypes]++ == 0) {
        log_.Warning("more than " + std::to_string(kUnknownTypesNamed) +
                         " types the contract does not define; the next ones are counted as \"" +
                         kOtherTypes + "\"",
                     LogFields{log_ids::kUnknownType}.Add("SO_TYPE", type));
      }
      metrics_.CountUnknownType(kOtherTypes);
      return;
    }
    metrics_.CountUnknownType(type);
    if (unknown_types_[type]++ == 0) {
      log_.Info("ignoring " + type + ": a type the contract does not define (counted, logged once)",
                LogFields{log_ids::kUnknownType}.Add("SO_TYPE", type));
    }
  }

  uint64_t UnknownTypes() const {
    uint64_t n = 0;
    for (const auto& [type, count] : unknown_types_) n += count;
    return n;
  }

  // One message's fate: a line at debug for what went as expected (applied, a duplicate, the
  // database away: its outage has lines of its own), at info or above, always, for a refusal, a
  // dead letter and a message that needed retries.
  Processed Report(const std::string& topic, const std::optional<std::string>& id,
                   const Message* message, Processed p) {
    tally_.Count(topic, p);
    if (!p.publish_error.empty()) {
      log_.Warning("committed " + topic + " id=" + id.value_or("?") +
                       " but an event was not published: " + p.publish_error,
                   MessageFields(topic, id, message, p));
    }
    LogLevel level = LogLevel::kDebug;
    if (p.fate == Fate::kRefused) level = LogLevel::kInfo;
    if (p.fate == Fate::kDeadLettered) level = LogLevel::kWarning;
    if (p.fate != Fate::kUnavailable && p.attempts > 1) level = std::max(level, LogLevel::kInfo);
    if (!log_.enabled(level)) return p;
    std::string line = std::string(ToString(p.fate)) + " " + topic + " id=" + id.value_or("?");
    if (!p.detail.empty()) line += ": " + p.detail;
    for (const auto& e : p.events) line += " [" + EventType(e) + "]";
    if (p.attempts > 1) {
      line += " (after " + std::to_string(p.attempts) + " attempts";
      for (const std::string& why : p.retried_because) line += "; " + why;
      line += ")";
    }
    LogFields fields = MessageFields(topic, id, message, p);
    if (p.fate == Fate::kRefused) fields.message_id = log_ids::kRefused;
    if (p.fate == Fate::kDeadLettered) fields.message_id = log_ids::kDeadLetter;
    switch (level) {
      case LogLevel::kDebug:
        log_.Debug(line, fields);
        break;
      case LogLevel::kInfo:
        log_.Info(line, fields);
        break;
      default:
        log_.Warning(line, fields);
        break;
    }
    return p;
  }

  // At info, what was applied since the last summary, every log_summary_interval_s (nothing when
  // nothing happened).
  void ScheduleSummary() {
    summary_timer_.expires_after(std::chrono::seconds(config_.log_summary_interval_s));
    summary_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (!tally_.empty()) {
        log_.Info(tally_.Text(config_.log_summary_interval_s), tally_.Fields());
        tally_ = Tally{};
      }
      ScheduleSummary();
    });
  }

  config::DaemonConfig config_;
  Log log_;
  boost::asio::io_context io_;
  zmq::context_t zmq_{1};
  mysql::MysqlStore store_;
  MysqlDeadLetters dead_letters_;
  StoreFilter stores_;
  std::string node_;  // the database node in use, as the last connect found it
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<zmqbus::Publisher> publisher_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<zmqbus::Subscriber> subscriber_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<ClockScanner> clock_;
  TimeSource now_ = [] { return Now(); };  // the daemon's own stamps: TimeSourceFromEnv
  DaemonMetrics metrics_;
  std::unique_ptr<mysql::Observer> observer_;  // /metrics' and /healthz' own connection
  std::unique_ptr<HttpServer> http_;
  std::optional<std::chrono::steady_clock::time_point> observed_at_, pinged_at_;
  std::string database_problem_;  // what the last health check's ping said, empty when fine
  boost::asio::signal_set signals_;
  boost::asio::signal_set reload_;
  boost::asio::signal_set replay_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer publish_timer_;  // ends the outbox's hold after start-up
  boost::asio::steady_timer mark_timer_;     // writes the sent mark when no batch does
  bool mark_scheduled_ = false;
  std::string outbox_problem_;  // the last publishing problem logged, empty when none
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer clock_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer summary_timer_;
  Tally tally_;  // since the last summary
  std::chrono::microseconds watchdog_interval_{0};
  std::chrono::steady_clock::time_point last_ping_;
  std::deque<zmqbus::Inbound> held_;
  std::string unavailable_;  // why the database was last found away
  std::map<std::string, uint64_t> last_seq_;
  std::map<std::string, uint64_t> unknown_types_;  // messages ignored, by type
  uint64_t gaps_ = 0;
  uint64_t other_stores_ = 0;  // messages skipped: their store is another daemon's
  // Counters that differ at the sweep's last drift check (the gauge drift_differences); -1
  // before the first.
  int64_t drift_ = -1;
  bool stop_requested_ = false;
  int exit_code_ = 0;
};

}  // namespace

int RunDaemon(config::DaemonConfig config) { return Daemon(std::move(config)).Run(); }

}  // namespace so::daemon
