// The benchmark's driver (scripts/bench.sh runs it): builds the fixture, starts the real daemon,
// plays the phases, measures the ceilings, prints the table. Single-threaded apart from the bus
// reader; see README "Benchmark".
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "bench/bus.hpp"
#include "bench/ceiling.hpp"
#include "bench/children.hpp"
#include "bench/fixture.hpp"
#include "bench/phases.hpp"
#include "bench/probes.hpp"
#include "bench/report.hpp"
#include "bench/sql_conn.hpp"
#include "tests/pos_sim/daemon_process.hpp"
#include "tests/pos_sim/pos_sim.hpp"
#include "tests/support/test_db.hpp"

namespace so::bench {
namespace {

using so::testing::DaemonProcess;
using so::testing::DaemonSetup;
using so::testing::ServerInfo;
using so::testing::TestDatabase;

constexpr const char* kUsage =
    "usage: so-bench --server-dir DIR --work-dir DIR [--quick | --large] [--commit TEXT]\n"
    "                [--n N] [--m M] [--seconds S] [--slice S] [--galera-dir DIR]\n"
    "       so-bench --help\n"
    "  DIR of --server-dir: a server started by scripts/private-mariadb.sh start DIR\n"
    "  --quick   small figures for a smoke run (about a minute)\n"
    "  --large   also the request and shipment bursts on a database with history\n"
    "  --n       requests of the burst (default 10000; the shipments are N+1)\n"
    "  --m       requests queued while the server is stopped (default 20000)\n"
    "  --seconds length of each fixed-rate phase (default 10)\n"
    "  --slice   messages captured and replayed per phase, the first of its burst (default:\n"
    "            the whole burst, so that both run the same batches; 0: no replay)\n"
    "  --galera-dir  a cluster started by scripts/private-galera.sh start DIR: also the request\n"
    "            and shipment bursts on it, 3 daemons partitioned by store, one per node\n";

// The second daemon of the request and shipment bursts: the flight recorder off, so that its cost
// is the difference between the two in the same run (README "Benchmark").
constexpr const char* kRecorderOff = "recorder:\n  retention_days: 0\n";

// The rules of the benchmark: order at once from the primary vendor onto its draft PO.
constexpr const char* kRules =
    "version: 1\n"
    "defaults:\n"
    "  on_request: order\n"
    "  vendor_choice: [primary]\n"
    "  attach_po_statuses: [draft]\n"
    "  allocation: immediate\n"
    "  status_after_allocation: ready\n";

struct Options {
  std::string server_dir, work_dir, mode = "default", commit = "unknown";
  // slice: SIZE_MAX for the whole burst.
  size_t n = 10'000, m = 20'000, slice = SIZE_MAX;
  double seconds = 10;
  std::chrono::milliseconds ceiling{3'000};  // each commit ceiling
  std::chrono::seconds settle{5};
  bool large = false;
  std::string galera_dir;  // empty: no cluster phase
};

Options Parse(int argc, char** argv) {
  Options o;
  bool quick = false;
  std::optional<size_t> n, m, slice;
  std::optional<double> seconds;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    auto number = [&]() -> size_t {
      const std::string v = value();
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
        throw std::invalid_argument(a + ": not a number: " + v);
      }
      return std::stoul(v);
    };
    if (a == "--server-dir") {
      o.server_dir = value();
    } else if (a == "--work-dir") {
      o.work_dir = value();
    } else if (a == "--commit") {
      o.commit = value();
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--galera-dir") {
      o.galera_dir = value();
    } else if (a == "--large") {
      o.large = true;
    } else if (a == "--n") {
      n = number();
    } else if (a == "--m") {
      m = number();
    } else if (a == "--slice") {
      slice = number();
    } else if (a == "--seconds") {
      seconds = static_cast<double>(number());
    } else {
      throw std::invalid_argument("unknown argument " + a);
    }
  }
  if (o.server_dir.empty() || o.work_dir.empty()) {
    throw std::invalid_argument("--server-dir and --work-dir are required");
  }
  // The daemon's config names files by absolute path (relative ones are taken from its directory).
  o.server_dir = std::filesystem::absolute(o.server_dir).string();
  o.work_dir = std::filesystem::absolute(o.work_dir).string();
  if (!o.galera_dir.empty()) o.galera_dir = std::filesystem::absolute(o.galera_dir).string();
  if (quick && o.large) throw std::invalid_argument("--quick and --large exclude each other");
  if (quick) {
    o.mode = "quick";
    o.n = 500;
    o.m = 2'000;
    o.seconds = 3;
    o.ceiling = std::chrono::milliseconds(1'000);
    o.settle = std::chrono::seconds(2);
  }
  if (o.large) o.mode = "large";
  o.n = n.value_or(o.n);
  o.m = m.value_or(o.m);
  o.slice = std::min(slice.value_or(o.slice), o.n);
  o.seconds = seconds.value_or(o.seconds);
  if (o.n == 0 || o.seconds <= 0) throw std::invalid_argument("--n and --seconds must be > 0");
  return o;
}

void Say(const std::string& s) { std::cerr << "bench: " << s << std::endl; }

std::string Now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

RunInfo Describe(SqlConn& admin, const Options& o) {
  RunInfo i;
  i.mode = o.mode;
  i.date = Now();
  i.commit = o.commit;
#ifdef SO_BUILD_SANITIZED
  i.build = std::string(SO_BUILD_TYPE) + " build with ASan+UBSan: not the real figures";
#else
  i.build = std::string(SO_BUILD_TYPE) + " build";
#endif
  i.nproc = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  i.cpu_model = CpuModel();
  i.server_version = admin.QueryValue("SELECT VERSION()");
  const auto row =
      admin.Query("SELECT @@innodb_flush_log_at_trx_commit, @@log_bin, @@innodb_buffer_pool_size")
          .at(0);
  i.durability = "innodb_flush_log_at_trx_commit=" + row.at(0).value_or("?") + ", binlog " +
                 (row.at(1).value_or("0") == "1" ? "on" : "off") + ", buffer pool " +
                 std::to_string(std::stoll(row.at(2).value_or("0")) >> 20) + " MB";
  i.slice = o.slice;
  return i;
}

ServerInfo Server(const std::string& dir) {
  if (!std::filesystem::exists(dir + "/port") || !std::filesystem::exists(dir + "/mysqld.pid")) {
    throw std::runtime_error("no MariaDB running from " + dir +
                             ": start one with scripts/private-mariadb.sh start " + dir +
                             " (scripts/bench.sh does)");
  }
  return so::testing::ServerAt(dir);
}

// One daemon on one database, with the POS's bus connected to it.
class DaemonUnderTest {
 public:
  // `extra_config`: YAML appended to the daemon's config (DaemonSetup::extra_config).
  DaemonUnderTest(const Options& o, const TestDatabase& db, const std::string& name,
                  ServerProbe& probe, pid_t server_pid, const std::string& extra_config = "")
      : setup_(MakeSetup(o, db, name, extra_config)),
        daemon_(setup_),
        bus_(Start(daemon_)),
        slot_(std::in_place, daemon_.pid()),
        target_{probe, server_pid, daemon_.pid(), [this] { Check(); }} {
    bus_->WaitForDaemon();
  }

  BenchBus& bus() { return *bus_; }
  const Target& target() const { return target_; }
  const DaemonSetup& setup() const { return setup_; }

  // Publishes and waits for every answer, unmeasured (warm-up).
  void Play(const std::vector<Outgoing>& msgs) {
    for (const auto& m : msgs) bus_->Publish(m);
    bus_->WaitAnswered(msgs, msgs.size(), AnswerTimeout(msgs.size()), target_.check);
  }

  void Stop() {
    const int status = daemon_.Stop();
    slot_.reset();
    if (status != 0) {
      throw std::runtime_error("the daemon exited with " + std::to_string(status) +
                               "; log: " + daemon_.log_path());
    }
  }

 private:
  static DaemonSetup MakeSetup(const Options& o, const TestDatabase& db, const std::string& name,
                               const std::string& extra_config) {
    DaemonSetup s{db.options(), o.work_dir + "/rules.yaml", o.work_dir + "/" + name};
    s.extra_config = extra_config;
    s.source = "special-ordersd-bench";
    // No sweep: the fixture writes the POS's facts before their messages, and a sweep would apply
    // them ahead of the messages being measured.
    s.reconcile = so::testing::ReconcileSetup{false, 0};
    s.log_level = "info";
    return s;
  }
  static std::unique_ptr<BenchBus> Start(DaemonProcess& d) {
    d.Start();
    return std::make_unique<BenchBus>(d.pos_endpoint(), d.events_endpoint());
  }
  void Check() {
    if (const auto status = daemon_.TryWait()) {
      throw std::runtime_error("the daemon exited (status " + std::to_string(*status) +
                               "); log: " + daemon_.log_path());
    }
  }

  DaemonSetup setup_;
  DaemonProcess daemon_;
  std::unique_ptr<BenchBus> bus_;
  std::optional<ChildSlot> slot_;  // while it runs
  Target target_;
};

class Benchmark {
 public:
  explicit Benchmark(Options o)
      : o_(std::move(o)),
        server_(Server(o_.server_dir)),
        server_pid_(ServerPid(o_.server_dir)),
        admin_(server_, ""),
        probe_(admin_) {
    SetServerPid(server_pid_);
    std::filesystem::create_directories(o_.work_dir);
    std::ofstream(o_.work_dir + "/rules.yaml") << kRules;
  }

  Results Run() {
    Results r;
    r.info = Describe(admin_, o_);
    RunMain(r);
    if (!o_.galera_dir.empty()) RunGalera(r);
    if (o_.large) RunLarge(r);
    return r;
  }

 private:
  void RunMain(Results& r) {
    TestDatabase db("bench", server_);
    Fixture fx(db, CatalogShape{});
    fx.LoadCatalog();
    r.info.catalog = fx.shape();
    MessageStream pos("bench-pos");
    DaemonUnderTest d(o_, db, "daemon", probe_, server_pid_);
    d.Play(pos.NextAll(fx.AddOrders(1)));  // warm-up: connection, statements, the first PO
    // The same fixture, messages and warm-up on a database of its own, for a daemon with the
    // recorder off: its bursts run right after the default daemon's, on the same state.
    TestDatabase db_off("bench_recorder_off", server_);
    Fixture fx_off(db_off, CatalogShape{});
    fx_off.LoadCatalog();
    MessageStream pos_off("bench-pos");
    DaemonUnderTest off(o_, db_off, "daemon-recorder-off", probe_, server_pid_, kRecorderOff);
    off.Play(pos_off.NextAll(fx_off.AddOrders(1)));

    Say("requests: " + std::to_string(o_.n) + " in a burst");
    const auto requests = pos.NextAll(fx.AddOrders(static_cast<int64_t>(o_.n)));
    const auto requests_off = pos_off.NextAll(fx_off.AddOrders(static_cast<int64_t>(o_.n)));
    Results::PhaseCeiling requests_ceiling{"requests", Ceiling(), {}};
    CaptureAndReplay(r, "requests", db, d.setup(), requests);
    Quiesce();
    RecorderBurst(r, "requests", db, d, requests, db_off, off, requests_off, requests_ceiling);

    // The POS sends the draft POs (unmeasured: a dozen messages), then the goods come.
    OpenDraftPos(db, fx, pos, d);
    OpenDraftPos(db_off, fx_off, pos_off, off);
    const auto shipments = pos.NextAll(fx.ShipEveryWaitingUnit());
    const auto shipments_off = pos_off.NextAll(fx_off.ShipEveryWaitingUnit());
    Say("shipments: " + std::to_string(shipments.size()) + " in a burst");
    Results::PhaseCeiling shipments_ceiling{"shipments", Ceiling(), {}};
    CaptureAndReplay(r, "shipments", db, d.setup(), shipments);
    Quiesce();
    RecorderBurst(r, "shipments", db, d, shipments, db_off, off, shipments_off, shipments_ceiling);
    off.Stop();

    for (const double rate : {95.0, 1000.0}) {
      const auto n = static_cast<int64_t>(rate * o_.seconds);
      Say("requests at " + std::to_string(static_cast<int>(rate)) + "/s for " +
          std::to_string(static_cast<int>(o_.seconds)) + " s");
      const auto msgs = pos.NextAll(fx.AddOrders(n));
      Quiesce();
      r.latency.push_back(
          RunFixedRate("requests at " + std::to_string(static_cast<int>(rate)) + "/s", d.bus(),
                       msgs, rate, d.target()));
    }

    d.Stop();

    if (o_.m > 0) {
      // A daemon of its own, so that its memory owes nothing to what the phases before left in
      // the heap; one message first, as a running daemon has its connection and statements.
      Say("memory: " + std::to_string(o_.m) + " requests queued while the server is stopped");
      DaemonUnderTest fresh(o_, db, "daemon-memory", probe_, server_pid_);
      MessageStream pos2("bench-pos-memory");
      fresh.Play(pos2.NextAll(fx.AddOrders(1)));
      const auto msgs = pos2.NextAll(fx.AddOrders(static_cast<int64_t>(o_.m)));
      Quiesce();
      r.memory = RunQueueFill(fresh.bus(), msgs, fresh.target(), std::chrono::milliseconds(8'000),
                              o_.settle);
      fresh.Stop();
    }
  }

  // The request and shipment bursts of RunMain() again, on the cluster: a fresh database with the
  // same fixture and warm-up (one request per store, so that each daemon has connected and
  // prepared its statements), three daemons configured as the default one (recorder on) plus
  // partition {index i, count 3}, daemon i on node i + 1 with the other nodes after it in
  // database.hosts. Each node over its unix socket, as the single server is reached.
  void RunGalera(Results& r) {
    constexpr int kNodes = 3;
    std::vector<ServerInfo> nodes;
    std::vector<pid_t> pids;
    std::vector<std::unique_ptr<SqlConn>> admins;
    std::vector<std::unique_ptr<ServerProbe>> probes;
    for (int n = 1; n <= kNodes; ++n) {
      const std::string dir = o_.galera_dir + "/node" + std::to_string(n);
      nodes.push_back(Server(dir));
      pids.push_back(ServerPid(dir));
      admins.push_back(std::make_unique<SqlConn>(nodes.back(), ""));
      const std::string size = admins.back()->QueryValue(
          "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
          "WHERE VARIABLE_NAME = 'wsrep_cluster_size'");
      if (size != "3") {
        throw std::runtime_error("galera: node " + std::to_string(n) + " sees a cluster of " +
                                 size + ", not 3");
      }
      probes.push_back(std::make_unique<ServerProbe>(*admins.back()));
    }
    Say("galera: the bursts on the cluster in " + o_.galera_dir);
    TestDatabase db("bench_galera", nodes[0]);
    // The POS's connection: its reads (PO lines for the shipments, WaitProcessed) wait for what
    // the daemons committed on the other nodes.
    db.Exec("SET SESSION wsrep_sync_wait = 1");
    Fixture fx(db, CatalogShape{});
    fx.LoadCatalog();
    r.galera_stores.assign(kNodes, "");
    for (int s = 1; s <= fx.shape().stores; ++s) {
      std::string& list = r.galera_stores[static_cast<size_t>(s % kNodes)];
      list += (list.empty() ? "" : ", ") + std::to_string(s);
    }
    MessageStream pos("bench-pos");
    std::vector<std::unique_ptr<DaemonProcess>> daemons;
    std::vector<std::optional<ChildSlot>> slots(kNodes);
    std::vector<std::string> events;
    for (int i = 0; i < kNodes; ++i) {
      DaemonSetup s{db.options(), o_.work_dir + "/rules.yaml",
                    o_.work_dir + "/galera-daemon" + std::to_string(i + 1)};
      s.database.nodes.clear();
      for (int k = 0; k < kNodes; ++k) {
        so::mysql::MysqlNode node;
        node.socket = nodes[static_cast<size_t>((i + k) % kNodes)].socket;
        s.database.nodes.push_back(node);
      }
      s.extra_config = "partition:\n  index: " + std::to_string(i) + "\n  count: " +
                       std::to_string(kNodes) + "\n";
      s.source = "special-ordersd-bench-galera-" + std::to_string(i + 1);
      s.reconcile = so::testing::ReconcileSetup{false, 0};
      s.log_level = "info";
      if (i > 0) s.subscribe = daemons.front()->pos_endpoint();
      daemons.push_back(std::make_unique<DaemonProcess>(std::move(s)));
      daemons.back()->Start();
      slots[static_cast<size_t>(i)].emplace(daemons.back()->pid());
      events.push_back(daemons.back()->events_endpoint());
    }
    BenchBus bus(daemons.front()->pos_endpoint(), events);
    bus.WaitForDaemon();
    MultiTarget target;
    for (auto& p : probes) target.probes.push_back(p.get());
    target.server_pids = pids;
    for (auto& d : daemons) target.daemon_pids.push_back(d->pid());
    target.check = [&daemons] {
      for (size_t i = 0; i < daemons.size(); ++i) {
        if (const auto status = daemons[i]->TryWait()) {
          throw std::runtime_error("galera: daemon " + std::to_string(i + 1) +
                                   " exited (status " + std::to_string(*status) +
                                   "); log: " + daemons[i]->log_path());
        }
      }
    };
    const auto play = [&](const std::vector<Outgoing>& msgs) {
      for (const auto& m : msgs) bus.Publish(m);
      bus.WaitAnswered(msgs, msgs.size(), AnswerTimeout(msgs.size()), target.check);
    };
    const auto quiesce = [&] {
      for (pid_t pid : pids) {
        if (!WaitUntilQuiet(pid, 0.05, std::chrono::seconds(20))) {
          Say("galera: a node stayed busy for 20 s; measuring anyway");
        }
      }
    };
    play(pos.NextAll(fx.AddOrders(fx.shape().stores)));  // warm-up: one request per store

    Say("galera: requests: " + std::to_string(o_.n) + " in a burst");
    const auto requests = pos.NextAll(fx.AddOrders(static_cast<int64_t>(o_.n)));
    quiesce();
    Results::PhaseCeiling ceiling{"galera", GaleraCeiling(nodes[0], *admins[0], *probes[0],
                                                          pids[0]), {}};
    quiesce();
    r.galera_bursts.emplace_back("requests", RunBurst("requests", bus, requests, target));

    const auto opened = pos.NextAll(fx.OpenDraftPos());
    for (const auto& m : opened) bus.Publish(m);
    for (const auto& m : opened) so::testing::WaitProcessed(db, m.id);
    const auto shipments = pos.NextAll(fx.ShipEveryWaitingUnit());
    Say("galera: shipments: " + std::to_string(shipments.size()) + " in a burst");
    quiesce();
    r.galera_bursts.emplace_back("shipments", RunBurst("shipments", bus, shipments, target));
    ceiling.after = GaleraCeiling(nodes[0], *admins[0], *probes[0], pids[0]);
    r.ceilings.push_back(ceiling);

    for (size_t i = 0; i < daemons.size(); ++i) {
      const int status = daemons[i]->Stop();
      slots[i].reset();
      if (status != 0) {
        throw std::runtime_error("galera: daemon " + std::to_string(i + 1) + " exited with " +
                                 std::to_string(status) + "; log: " + daemons[i]->log_path());
      }
    }
  }

  // The commit ceiling on a cluster node: every commit is certified and replicated to the
  // other two before it returns.
  CommitCeiling GaleraCeiling(const ServerInfo& node, SqlConn& admin, ServerProbe& probe,
                              pid_t pid) {
    return MeasureCommitCeiling(node, admin, probe, pid, o_.ceiling);
  }

  void RunLarge(Results& r) {
    TestDatabase db("bench_large", server_);
    Fixture fx(db, CatalogShape{});
    fx.LoadCatalog();
    r.history = HistoryShape{};
    Say("large db: loading " + std::to_string(r.history->order_lines) + " order lines and " +
        std::to_string(r.history->special_orders) + " historic special orders");
    const auto start = Clock::now();
    fx.LoadHistory(*r.history);
    r.history_load_s = std::chrono::duration<double>(Clock::now() - start).count();
    MessageStream pos("bench-pos-large");
    DaemonUnderTest d(o_, db, "daemon-large", probe_, server_pid_);
    d.Play(pos.NextAll(fx.AddOrders(1)));
    Say("large db: requests");
    const auto requests = pos.NextAll(fx.AddOrders(static_cast<int64_t>(o_.n)));
    Results::PhaseCeiling requests_ceiling{"requests, large db", Ceiling(), {}};
    Quiesce();
    r.large_bursts.emplace_back("requests", RunBurst("requests", d.bus(), requests, d.target(), 0));
    requests_ceiling.after = Ceiling();
    r.ceilings.push_back(requests_ceiling);
    const auto opened = pos.NextAll(fx.OpenDraftPos());
    for (const auto& m : opened) d.bus().Publish(m);
    for (const auto& m : opened) so::testing::WaitProcessed(db, m.id);
    Say("large db: shipments");
    const auto shipments = pos.NextAll(fx.ShipEveryWaitingUnit());
    Results::PhaseCeiling shipments_ceiling{"shipments, large db", Ceiling(), {}};
    Quiesce();
    r.large_bursts.emplace_back("shipments",
                                RunBurst("shipments", d.bus(), shipments, d.target(), 0));
    shipments_ceiling.after = Ceiling();
    r.ceilings.push_back(shipments_ceiling);
    d.Stop();
  }

  // The burst on the default daemon (recorder on) between its two commit ceilings, with what it
  // added to the recorder's table, then the same burst on the daemon with the recorder off.
  void RecorderBurst(Results& r, const std::string& phase, TestDatabase& db, DaemonUnderTest& on,
                     const std::vector<Outgoing>& msgs, TestDatabase& db_off, DaemonUnderTest& off,
                     const std::vector<Outgoing>& msgs_off, Results::PhaseCeiling ceiling) {
    const RecorderUse before = RecorderUseOf(db);
    r.bursts.emplace_back(phase, RunBurst(phase, on.bus(), msgs, on.target(), o_.slice));
    RecorderUse use = RecorderUseOf(db);
    use.records -= before.records;
    use.bytes -= before.bytes;
    r.recorder_use.emplace_back(phase, use);
    ceiling.after = Ceiling();
    r.ceilings.push_back(ceiling);
    Say(phase + ": the same burst on the daemon with the recorder off");
    r.recorder_off_bursts.emplace_back(phase,
                                       RunBurst(phase, off.bus(), msgs_off, off.target(), 0));
    r.recorder_off_records += RecorderUseOf(db_off).records;
  }

  static RecorderUse RecorderUseOf(TestDatabase& db) {
    const auto row =
        db.Query("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM sod_flight_recorder").at(0);
    return RecorderUse{std::stoll(row.at(0).value_or("0")), std::stoll(row.at(1).value_or("0"))};
  }

  static void OpenDraftPos(TestDatabase& db, Fixture& fx, MessageStream& pos, DaemonUnderTest& d) {
    const auto opened = pos.NextAll(fx.OpenDraftPos());
    for (const auto& m : opened) d.bus().Publish(m);
    for (const auto& m : opened) so::testing::WaitProcessed(db, m.id);
  }

  // Before the phase: two copies of the database as it is now; a second daemon on one, with the
  // general log on, handles the first `slice` messages; its SQL is replayed on the other.
  void CaptureAndReplay(Results& r, const std::string& phase, const TestDatabase& db,
                        const DaemonSetup& main_setup, const std::vector<Outgoing>& msgs) {
    if (o_.slice == 0) return;
    Say(phase + ": capturing the daemon's SQL for " + std::to_string(o_.slice) +
        " messages, replaying it");
    CapturedSql sql;
    {
      ScratchCopy replay(admin_, db.name(), db.name() + "_replay");
      {
        ScratchCopy capture(admin_, db.name(), db.name() + "_capture");
        DaemonSetup setup = main_setup;
        setup.database.database = capture.name();
        setup.work_dir = o_.work_dir + "/capture-" + phase;
        setup.source = "special-ordersd-capture";
        sql = CaptureDaemonSql(phase, admin_, setup, msgs, o_.slice);
      }
      WriteCapture(sql, o_.work_dir + "/capture-" + phase + ".sql");
      Quiesce();
      r.replays.push_back(Replay(server_, replay.name(), sql, probe_, server_pid_));
    }
    r.captures.push_back(std::move(sql));
  }

  // Durable one-row commits/s of the server as it is now.
  CommitCeiling Ceiling() {
    Quiesce();
    return MeasureCommitCeiling(server_, admin_, probe_, server_pid_, o_.ceiling);
  }

  // Before anything is measured: let the server finish what the last step left it (purge,
  // flushing the pages of a copy), so that no phase pays for the one before.
  void Quiesce() {
    if (!WaitUntilQuiet(server_pid_, 0.05, std::chrono::seconds(20))) {
      Say("the server stayed busy for 20 s; measuring anyway");
    }
  }

  Options o_;
  ServerInfo server_;
  pid_t server_pid_;
  SqlConn admin_;
  ServerProbe probe_;
};

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help") {
      std::cout << kUsage;
      return 0;
    }
  }
  try {
    o = Parse(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << "so-bench: " << e.what() << "\n" << kUsage;
    return 2;
  }
  InstallSignalHandlers();
  try {
    Benchmark bench(o);
    const Results r = bench.Run();
    std::cout << FormatTable(r) << std::flush;
    const auto paths = WriteRaw(r, o.work_dir);
    std::cout << "raw figures: " << paths.front() << " (and latency-*.csv, capture-*.sql, the "
              << "daemons' logs in " << o.work_dir << ")\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "so-bench: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace
}  // namespace so::bench

int main(int argc, char** argv) { return so::bench::Main(argc, argv); }
