#include "daemon/daemon.hpp"

#include <systemd/sd-daemon.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "adapters/mysql/mysql_store.hpp"
#include "adapters/zmq_publisher.hpp"
#include "adapters/zmq_subscriber.hpp"
#include "config/config_loader.hpp"
#include "daemon/check.hpp"
#include "daemon/log.hpp"
#include "rules/engine.hpp"
#include "rules/processor.hpp"
#include "rules/reconciler.hpp"

namespace so::daemon {
namespace {

#ifdef SO_CRASH_POINTS
// Test builds only: SO_CRASH_AT=label[:n] kills the daemon with SIGKILL the n-th time (default
// the first) a message passes the processor's checkpoint `label`, as a power cut would.
std::optional<Processor::Checkpoint> CrashPointFromEnv(const Log& log) {
  const char* spec = std::getenv("SO_CRASH_AT");
  if (spec == nullptr || *spec == '\0') return std::nullopt;
  std::string label = spec;
  int hits = 1;
  if (const auto colon = label.find(':'); colon != std::string::npos) {
    hits = std::atoi(label.c_str() + colon + 1);
    label.resize(colon);
  }
  log.Warning("test build: will crash at " + label + " #" + std::to_string(hits));
  return [label, hits, seen = 0](std::string_view at) mutable {
    if (at == label && ++seen == hits) raise(SIGKILL);
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
        signals_(io_, SIGINT, SIGTERM),
        reload_(io_, SIGHUP),
        replay_(io_, SIGUSR1),
        retry_timer_(io_),
        sweep_timer_(io_),
        watchdog_timer_(io_) {}

  int Run() {
    // Start-up in a fixed order: database, engine, event socket, subscription, ready.
    log_.Info("starting: rules " + config_.rules_file + " (" + config_.rules.version() + ")");
    WaitForSignals();
    if (!ConnectDatabase()) return stop_requested_ ? 0 : 1;
    if (Status s = store_.EnsureDaemonSchema(); !s.ok()) {
      log_.Error("cannot create the daemon's tables: " + s.error().ToString());
      return 1;
    }
    if (auto problems = store_.SchemaProblems(); problems.ok()) {
      for (const std::string& p : *problems) log_.Warning("schema: " + p);
    }
    engine_ = std::make_unique<Engine>(config_.rules);
    publisher_ = std::make_unique<zmqbus::Publisher>(zmq_, config_.bus.publish, config_.bus.source,
                                                     zmqbus::Now());
    if (Status s = publisher_->Bind(); !s.ok()) {
      log_.Error(s.error().ToString());
      return 1;
    }
    processor_ = std::make_unique<Processor>(
        *engine_, store_, dead_letters_, *publisher_, RetryPolicy{},
        [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
        [this] { return store_.Connect(); });
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
            [this](std::vector<zmqbus::Inbound>&& batch) { return OnBatch(std::move(batch)); });
        !s.ok()) {
      log_.Error(s.error().ToString());
      return 1;
    }
    reconciler_ = std::make_unique<Reconciler>(store_, *processor_, config_.reconcile.batch);
    reconciler_->set_observer([this](const Message& m, const Processed& p) {
      Report(m.envelope.type, m.envelope.id, p);
      KeepAlive();  // a long catch-up is work, not a hang
    });
    // After subscribing, so that what the POS publishes meanwhile queues rather than slips
    // between the sweep and the subscription.
    if (config_.reconcile.on_start) Sweep("start-up");
    ScheduleSweep();
    log_.Info("ready: subscribed to " + config_.bus.subscribe + ", publishing on " +
              config_.bus.publish + " as " + publisher_->source());
    sd_notify(0, "READY=1\nSTATUS=processing POS messages");
    StartWatchdog();

    io_.run();

    // Teardown in reverse. Nothing is in flight here: each message is handled whole inside one
    // handler, so a signal is only ever acted on between messages.
    sd_notify(0, "STOPPING=1");
    subscriber_->Stop();
    const ProcessorStats& st = processor_->stats();
    log_.Info("stopped: applied " + std::to_string(st.applied) + ", refused " +
              std::to_string(st.refused) + ", duplicates " + std::to_string(st.duplicates) +
              ", dead letters " + std::to_string(st.dead_lettered) + ", batches " +
              std::to_string(st.batches) + ", retries " + std::to_string(st.retries) + ", gaps " +
              std::to_string(gaps_) + ", events published " +
              std::to_string(publisher_->published()));
    return 0;
  }

 private:
  // The database may start after the daemon (boot order): keep trying until it answers or a
  // signal says stop.
  bool ConnectDatabase() {
    std::chrono::milliseconds backoff{250};
    for (;;) {
      Status s = store_.Connect();
      if (s.ok()) return true;
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

  void WaitForSignals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      log_.Info(std::string("signal ") + strsignal(signo) + ": stopping");
      stop_requested_ = true;
      retry_timer_.cancel();
      sweep_timer_.cancel();
      watchdog_timer_.cancel();
      if (subscriber_) subscriber_->Stop();
      io_.stop();
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
    int done = 0, failing = 0, swept = 0;
    for (;;) {
      auto letters = store_.ListDeadLetters(after, 100);
      if (!letters.ok()) {
        log_.Warning("dead-letter replay stopped: " + letters.error().ToString());
        break;
      }
      if (letters->empty()) break;
      for (const auto& letter : *letters) {
        after = letter.id;
        // A sweep's repair has no bytes to replay: the sweep finds its fact again by itself.
        if (letter.message_id && letter.message_id->rfind("sweep:", 0) == 0) {
          (void)store_.DeleteDeadLetter(letter.id);
          ++swept;
          continue;
        }
        const zmqbus::Inbound decoded = zmqbus::Decode({letter.topic, letter.raw});
        if (const auto* bad = std::get_if<zmqbus::Undecodable>(&decoded)) {
          ++failing;
          (void)store_.RecordDeadLetterRetry(letter.id, bad->reason, engine_->rules().version());
          continue;
        }
        const Message& m = std::get<Delivery>(decoded).message;
        const Processed p =
            Report(letter.topic, m.envelope.id, processor_->Process(m, letter.topic, letter.raw));
        if (p.fate == Fate::kUnavailable) {
          log_.Warning("dead-letter replay stopped: the database is unavailable");
          return;
        }
        if (p.fate == Fate::kDeadLettered) {
          ++failing;  // the processor counted the attempt on the same row (same message id)
        } else {
          ++done;
          (void)store_.DeleteDeadLetter(letter.id);
        }
      }
    }
    log_.Info("dead-letter replay: " + std::to_string(done) + " applied, " +
              std::to_string(failing) + " still failing");
    if (swept > 0) Sweep("dead-letter replay");
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
      for (const auto& p : loaded.problems) log_.Error("reload refused: " + p.ToString());
      log_.Warning("keeping rules " + engine_->rules().version());
    } else {
      auto next = std::make_unique<Engine>(std::move(*loaded.value));
      processor_->set_engine(*next);
      engine_ = std::move(next);
      log_.Info("reloaded rules " + engine_->rules().version());
    }
    sd_notify(0, "READY=1");
  }

  // Applies what the POS committed and the daemon has not: see rules/reconciler.hpp. At
  // start-up and on the timer, then checks the counters for drift.
  void Sweep(const std::string& why) {
    const Log::Hold hold(log_);
    const SweepReport r = reconciler_->Sweep(zmqbus::Now());
    if (r.repairs > 0 || r.failed > 0 || r.unavailable) {
      log_.Info("sweep (" + why + "): " + std::to_string(r.repairs) + " repaired, " +
                std::to_string(r.failed) + " failed" +
                (r.unavailable ? "; database unavailable, the next sweep tries again" : ""));
    } else {
      log_.Debug("sweep (" + why + "): nothing to repair");
    }
    if (!r.unavailable && (why == "start-up" || why == "timer")) CheckDrift();
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
    const int64_t before = last_drift_.count;
    last_drift_ = {static_cast<int64_t>(report->drifts.size()), zmqbus::Now(), took};
    const std::string cost = " (" + std::to_string(report->special_orders) + " special orders, " +
                             std::to_string(report->stock_rows) + " stock rows in " +
                             std::to_string(took.count() / 1000) + " ms)";
    if (last_drift_.count > 0) {
      log_.Warning("counter drift: " + DriftSummary(report->drifts, 10) + cost +
                   "; see `special-ordersd check`");
    } else if (before > 0) {
      log_.Warning("counter drift gone: every counter is what the special orders make it" + cost);
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

  void ScheduleSweep() {
    if (config_.reconcile.interval_s <= 0) return;
    sweep_timer_.expires_after(std::chrono::seconds(config_.reconcile.interval_s));
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (held_.empty()) Sweep("timer");
      ScheduleSweep();
    });
  }

  // Applies a batch off the bus. Returns false to pause the subscriber while the database is
  // away: what could not be applied is held, in order, and retried by a timer; the receive
  // queue's bound (then ZeroMQ's high-water mark) limits what waits behind it.
  bool OnBatch(std::vector<zmqbus::Inbound>&& batch) {
    const Log::Hold hold(log_);
    std::deque<zmqbus::Inbound> items(std::make_move_iterator(batch.begin()),
                                      std::make_move_iterator(batch.end()));
    if (Apply(items)) return true;
    log_.Warning("database unavailable, holding the message" +
                 std::string(items.size() > 1 ? "s (" + std::to_string(items.size()) + ")" : "") +
                 " and pausing: " + unavailable_);
    held_ = std::move(items);
    ScheduleRetry();
    return false;
  }

  void ScheduleRetry() {
    retry_timer_.expires_after(std::chrono::seconds(1));
    retry_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || held_.empty()) return;
      const Log::Hold hold(log_);
      if (!Apply(held_)) {
        ScheduleRetry();
        return;
      }
      log_.Info("database back: resuming");
      subscriber_->Resume();
    });
  }

  // Applies `items` in order, consecutive messages as one batch. Returns false when the database
  // is away; what it could not take is then left in `items`, in order.
  bool Apply(std::deque<zmqbus::Inbound>& items) {
    std::vector<Delivery> run;
    // Applies `run` as one batch; what the database could not take goes back to the front.
    const auto flush = [&] {
      if (run.empty()) return true;
      const std::vector<Processed> results = processor_->ProcessBatch(run);
      std::vector<Delivery> back;
      for (size_t i = 0; i < run.size(); ++i) {
        Report(run[i].topic, run[i].message.envelope.id, results[i]);
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
      if (const auto* bad = std::get_if<zmqbus::Undecodable>(&items.front())) {
        if (!flush()) return false;
        const Processed p =
            Report(bad->topic, bad->message_id,
                   processor_->ParkUndecodable(bad->message_id, bad->topic, bad->raw, bad->reason));
        if (p.fate == Fate::kUnavailable) {
          unavailable_ = p.detail;
          return false;
        }
        items.pop_front();
        continue;
      }
      // The facts of the lost messages were committed before this one was published: what came
      // before is applied, then the sweep catches up, so that all is applied in the POS's order.
      if (TrackSeq(std::get<Delivery>(items.front()).message.envelope)) {
        if (!flush()) return false;
        Sweep("gap");
      }
      run.push_back(std::move(std::get<Delivery>(items.front())));
      items.pop_front();
    }
    return flush();
  }

  // Returns true when messages were lost: a jump in a source's seq, or a new source (the POS
  // restarted, and what it published while we were not connected is gone) after the first.
  bool TrackSeq(const Envelope& e) {
    auto [it, fresh] = last_seq_.try_emplace(e.source, e.seq);
    if (fresh) {
      if (last_seq_.size() == 1) return false;
      log_.Warning("new source " + e.source + " (the POS restarted?) at seq " +
                   std::to_string(e.seq));
      ++gaps_;
      return true;
    }
    const bool gap = e.seq > it->second + 1;
    if (gap) {
      log_.Warning("gap from " + e.source + ": seq " + std::to_string(it->second) + " then " +
                   std::to_string(e.seq) + " (" + std::to_string(e.seq - it->second - 1) +
                   " messages lost)");
      ++gaps_;
    }
    if (e.seq > it->second) it->second = e.seq;
    return gap;
  }

  Processed Report(const std::string& topic, const std::optional<std::string>& id, Processed p) {
    std::string line = std::string(ToString(p.fate)) + " " + topic + " id=" + id.value_or("?");
    if (!p.detail.empty()) line += ": " + p.detail;
    for (const auto& e : p.events) line += " [" + EventType(e) + "]";
    if (p.fate == Fate::kDeadLettered || p.fate == Fate::kUnavailable) {
      log_.Warning(line);
    } else {
      log_.Info(line);
    }
    return p;
  }

  config::DaemonConfig config_;
  Log log_;
  boost::asio::io_context io_;
  zmq::context_t zmq_{1};
  mysql::MysqlStore store_;
  MysqlDeadLetters dead_letters_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<zmqbus::Publisher> publisher_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<zmqbus::Subscriber> subscriber_;
  std::unique_ptr<Reconciler> reconciler_;
  boost::asio::signal_set signals_;
  boost::asio::signal_set reload_;
  boost::asio::signal_set replay_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer watchdog_timer_;
  std::chrono::microseconds watchdog_interval_{0};
  std::chrono::steady_clock::time_point last_ping_;
  std::deque<zmqbus::Inbound> held_;
  std::string unavailable_;  // why the database was last found away
  std::map<std::string, uint64_t> last_seq_;
  uint64_t gaps_ = 0;
  // The sweep's last drift check: the gauge special_ordersd_counter_drift is `count`.
  struct DriftResult {
    int64_t count = -1;                // counters that differ; -1 until the first check
    Timestamp at;                      // when that check ran (wall clock)
    std::chrono::microseconds took{};  // how long it took
  };
  DriftResult last_drift_;
  bool stop_requested_ = false;
};

}  // namespace

mysql::MysqlOptions ToMysqlOptions(const config::DatabaseConfig& db) {
  mysql::MysqlOptions o;
  o.host = db.host;
  o.port = db.port;
  o.socket = db.socket;
  o.user = db.user;
  o.password = db.password;
  o.database = db.name;
  return o;
}

int RunDaemon(config::DaemonConfig config) { return Daemon(std::move(config)).Run(); }

}  // namespace so::daemon
