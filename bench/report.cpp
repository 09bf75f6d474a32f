#include "bench/report.hpp"

#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace so::bench {
namespace {

__attribute__((format(printf, 1, 2))) std::string F(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

double PerMsg(double total, size_t messages) {
  return messages == 0 ? 0 : total / static_cast<double>(messages);
}
double PerMsg(int64_t total, size_t messages) {
  return PerMsg(static_cast<double>(total), messages);
}

const Results::PhaseCeiling* CeilingOf(const Results& r, const std::string& phase) {
  for (const auto& c : r.ceilings) {
    if (c.phase == phase) return &c;
  }
  return nullptr;
}

// The rate at which commits alone would hold messages: the phase's commit ceiling shared by the
// commits a message makes.
double CommitBoundRate(const Results& r, const std::string& phase, int64_t commits,
                       size_t messages) {
  const Results::PhaseCeiling* c = CeilingOf(r, phase);
  const double per_msg = PerMsg(commits, messages);
  return c == nullptr || per_msg <= 0 ? 0 : c->commits_per_s() / per_msg;
}

std::string Ratio(double a, double b) { return b > 0 ? F("%.2f", a / b) : "-"; }

const ReplayResult* ReplayOf(const Results& r, const std::string& phase) {
  for (const auto& x : r.replays) {
    if (x.phase == phase) return &x;
  }
  return nullptr;
}

constexpr const char* kRowFormat = "%-34s %7s %8s %10s %10s %12s %14s %18s %10s %14s\n";

std::string PhaseRow(const std::string& label, size_t msgs, double rate, const SqlCost& cost,
                     double server_cpu_ms, const std::string& daemon_cpu, const std::string& replay,
                     const std::string& commit_cap) {
  return F(kRowFormat, label.c_str(), F("%zu", msgs).c_str(), F("%.1f", rate).c_str(),
           F("%.2f", PerMsg(cost.statements, msgs)).c_str(),
           F("%.2f", PerMsg(cost.round_trips, msgs)).c_str(),
           F("%.2f", PerMsg(cost.commits, msgs)).c_str(),
           F("%.3f", PerMsg(server_cpu_ms, msgs)).c_str(), daemon_cpu.c_str(), replay.c_str(),
           commit_cap.c_str());
}

// `ceiling` names the phase's commit ceiling: the phase, or the phase + ", large db".
std::string BurstRow(const Results& r, const std::string& label, const std::string& phase,
                     const std::string& ceiling, const ThroughputResult& t, bool compare_replay) {
  const ReplayResult* replay = compare_replay ? ReplayOf(r, phase) : nullptr;
  return PhaseRow(label, t.messages, t.msg_per_s, t.cost, t.server_cpu_ms,
                  F("%.3f", PerMsg(t.daemon_cpu_ms, t.messages)),
                  replay ? Ratio(t.slice_msg_per_s, replay->msg_per_s) : "-",
                  Ratio(t.msg_per_s, CommitBoundRate(r, ceiling, t.cost.commits, t.messages)));
}

const ThroughputResult* RecorderOff(const Results& r, const std::string& phase) {
  for (const auto& [p, t] : r.recorder_off_bursts) {
    if (p == phase) return &t;
  }
  return nullptr;
}

// The recorder's cost: the default daemon's burst against the recorder-off daemon's, per message.
std::string RecorderLines(const Results& r) {
  std::string out;
  for (const auto& [phase, on] : r.bursts) {
    const ThroughputResult* off = RecorderOff(r, phase);
    if (off == nullptr) continue;
    const double trips_on = PerMsg(on.cost.round_trips, on.messages);
    const double trips_off = PerMsg(off->cost.round_trips, off->messages);
    out += F(
        "recorder on / off, %-9s msg/s %s, stmts %s, round trips %s (%.2f against %.2f a "
        "message), db CPU %s, daemon CPU %s\n",
        (phase + ":").c_str(), Ratio(on.msg_per_s, off->msg_per_s).c_str(),
        Ratio(PerMsg(on.cost.statements, on.messages), PerMsg(off->cost.statements, off->messages))
            .c_str(),
        Ratio(trips_on, trips_off).c_str(), trips_on, trips_off,
        Ratio(PerMsg(on.server_cpu_ms, on.messages), PerMsg(off->server_cpu_ms, off->messages))
            .c_str(),
        Ratio(PerMsg(on.daemon_cpu_ms, on.messages), PerMsg(off->daemon_cpu_ms, off->messages))
            .c_str());
  }
  std::string bytes;
  for (const auto& [phase, use] : r.recorder_use) {
    bytes += F(
        "%s%s %.0f (%lld records for %zu messages, %.1f MB)", bytes.empty() ? "" : ", ",
        phase.c_str(),
        use.records > 0 ? static_cast<double>(use.bytes) / static_cast<double>(use.records) : 0.0,
        static_cast<long long>(use.records),
        [&] {
          for (const auto& [p, t] : r.bursts) {
            if (p == phase) return t.messages;
          }
          return size_t{0};
        }(),
        static_cast<double>(use.bytes) / 1e6);
  }
  if (!bytes.empty()) {
    out += "recorder bytes/msg (SUM(bytes) / COUNT(*) of sod_flight_recorder over the burst): " +
           bytes +
           F("; the recorder-off daemon's table: %lld records\n",
             static_cast<long long>(r.recorder_off_records));
  }
  return out;
}

double Mb(int64_t kb) { return static_cast<double>(kb) / 1024.0; }

}  // namespace

std::string FormatTable(const Results& r) {
  const RunInfo& i = r.info;
  std::string out;
  out += F("special-ordersd benchmark (%s run), %s, daemon built from %s (%s)\n", i.mode.c_str(),
           i.date.c_str(), i.commit.c_str(), i.build.c_str());
  out += F("machine: %d cpus, %s; MariaDB %s (%s)\n", i.nproc, i.cpu_model.c_str(),
           i.server_version.c_str(), i.durability.c_str());
  size_t requests = 0, shipments = 0;
  for (const auto& [phase, t] : r.bursts) (phase == "requests" ? requests : shipments) = t.messages;
  out +=
      F("N = %zu requests, then %zu one-unit shipments; %d stores, %d products, 3 vendors, "
        "%d customers; replay slices of %zu messages\n\n",
        requests, shipments, i.catalog.stores, i.catalog.products, i.catalog.customers, i.slice);

  out += F(kRowFormat, "phase", "msgs", "msg/s", "stmts/msg", "trips/msg", "commits/msg",
           "db CPU ms/msg", "daemon CPU ms/msg", "of replay", "of commit cap");
  for (const auto& [phase, t] : r.bursts) {
    out += BurstRow(r, phase + ", burst", phase, phase, t, true);
    if (const ThroughputResult* off = RecorderOff(r, phase)) {
      out += BurstRow(r, phase + ", recorder off", phase, phase, *off, false);
    }
  }
  for (const auto& x : r.replays) {
    out += PhaseRow("replay of the " + x.phase + "' SQL", x.messages, x.msg_per_s, x.cost,
                    x.server_cpu_ms, F("%.3f", PerMsg(x.client_cpu_ms, x.messages)), "-",
                    Ratio(x.msg_per_s, CommitBoundRate(r, x.phase, x.cost.commits, x.messages)));
  }
  for (const auto& [phase, t] : r.large_bursts) {
    out += BurstRow(r, phase + ", burst, large db", phase, phase + ", large db", t, false);
  }
  for (const auto& [phase, t] : r.galera_bursts) {
    out += BurstRow(r, phase + ", burst, galera", phase, "galera", t, false);
  }
  // A ceiling row: the two measurements around a burst together.
  for (const auto& c : r.ceilings) {
    SqlCost cost = c.before.cost;
    cost.statements += c.after.cost.statements;
    cost.round_trips += c.after.cost.round_trips;
    cost.commits += c.after.cost.commits;
    const auto commits = static_cast<size_t>(c.before.commits + c.after.commits);
    out += PhaseRow("commit ceiling, " + c.phase, commits, c.commits_per_s(), cost,
                    c.before.server_cpu_ms + c.after.server_cpu_ms, "-", "-", "1.00");
  }
  out += "\n";

  if (!r.galera_bursts.empty()) {
    std::string stores;
    for (size_t d = 0; d < r.galera_stores.size(); ++d) {
      stores += F("%snode %zu's daemon stores %s", d == 0 ? "" : ", ", d + 1,
                  r.galera_stores[d].c_str());
    }
    out += "galera: the same bursts on a 3-node Galera cluster on this machine, 3 daemons "
           "partitioned by store (" +
           stores + "), each on its own node, recorder on; db CPU and counters are the 3 "
           "nodes' together, daemon CPU the 3 daemons'.\n";
    for (const auto& [phase, g] : r.galera_bursts) {
      for (const auto& [p, one] : r.bursts) {
        if (p != phase) continue;
        out += F("galera / one server, %-9s msg/s %s (%.1f against %.1f), db CPU/msg %s, daemon "
                 "CPU/msg %s, trips/msg %s\n",
                 (phase + ":").c_str(), Ratio(g.msg_per_s, one.msg_per_s).c_str(), g.msg_per_s,
                 one.msg_per_s,
                 Ratio(PerMsg(g.server_cpu_ms, g.messages), PerMsg(one.server_cpu_ms, one.messages))
                     .c_str(),
                 Ratio(PerMsg(g.daemon_cpu_ms, g.messages), PerMsg(one.daemon_cpu_ms, one.messages))
                     .c_str(),
                 Ratio(PerMsg(g.cost.round_trips, g.messages),
                       PerMsg(one.cost.round_trips, one.messages))
                     .c_str());
      }
    }
    out += "\n";
  }

  if (!r.latency.empty()) {
    const char* fmt = "%-34s %7s %8s %10s %10s %12s %14s %18s\n";
    out += F(fmt, "latency: publish -> status_changed", "sent", "msg/s", "p50 ms", "p99 ms",
             "max ms", "left at end", "fell behind");
    for (const auto& l : r.latency) {
      out += F(fmt, F("%s for %.0f s", l.name.c_str(), l.seconds).c_str(), F("%zu", l.sent).c_str(),
               F("%.1f", l.achieved_rate).c_str(), F("%.1f", l.p50_ms).c_str(),
               F("%.1f", l.p99_ms).c_str(), F("%.1f", l.max_ms).c_str(),
               F("%zu", l.unanswered_at_end).c_str(),
               l.fell_behind ? F("yes, +%.0f/s", l.backlog_growth_per_s).c_str() : "no");
    }
    out += "\n";
  }

  if (r.memory) {
    const MemoryResult& m = *r.memory;
    const char* fmt = "%-60s %9s %9s\n";
    out += F(fmt, "daemon memory (MB)", "VmRSS", "VmHWM");
    out += F(fmt, "idle, before the queue fill", F("%.1f", Mb(m.idle.rss_kb)).c_str(),
             F("%.1f", Mb(m.idle.hwm_kb)).c_str());
    out += F(
        fmt,
        F("queue full: %zu requests queued, server stopped %.1f s", m.queued, m.stopped_s).c_str(),
        F("%.1f", Mb(m.full.rss_kb)).c_str(), F("%.1f", Mb(m.full.hwm_kb)).c_str());
    out += F(fmt,
             F("%.0f s after draining (%.1f s, %.1f msg/s)", m.settle_s, m.drain_s,
               m.drain_s > 0 ? static_cast<double>(m.queued) / m.drain_s : 0.0)
                 .c_str(),
             F("%.1f", Mb(m.steady.rss_kb)).c_str(), F("%.1f", Mb(m.steady.hwm_kb)).c_str());
    if (!m.peak_reset) out += "  (VmHWM could not be reset: it is the peak since the start)\n";
    out += "\n";
  }

  if (r.history) {
    out +=
        F("large db: %lld order lines, %lld historic special orders (loaded in %.0f s); "
          "per-message cost large/empty:\n",
          static_cast<long long>(r.history->order_lines),
          static_cast<long long>(r.history->special_orders), r.history_load_s);
    for (const auto& [phase, big] : r.large_bursts) {
      for (const auto& [p, small] : r.bursts) {
        if (p != phase) continue;
        out += F("  %-10s wall %s, db CPU %s, daemon CPU %s, statements %s\n", phase.c_str(),
                 Ratio(small.msg_per_s, big.msg_per_s).c_str(),
                 Ratio(PerMsg(big.server_cpu_ms, big.messages),
                       PerMsg(small.server_cpu_ms, small.messages))
                     .c_str(),
                 Ratio(PerMsg(big.daemon_cpu_ms, big.messages),
                       PerMsg(small.daemon_cpu_ms, small.messages))
                     .c_str(),
                 Ratio(PerMsg(big.cost.statements, big.messages),
                       PerMsg(small.cost.statements, small.messages))
                     .c_str());
      }
    }
    out += "\n";
  }

  out += RecorderLines(r);
  out +=
      "of replay: the daemon's msg/s over the replayed messages (the first of the burst) / "
      "the replay's; a replay row's daemon CPU is the replaying client's. The replays are of the "
      "SQL of the default daemon (recorder on), the one of the burst rows.\n";
  if (!r.recorder_off_bursts.empty()) {
    out +=
        "recorder off: a second daemon with recorder.retention_days 0 on a database of its own in "
        "the same state, the same burst right after the default daemon's; its of commit cap uses "
        "the same ceiling.\n";
  }
  std::string spread;
  for (const auto& c : r.ceilings) {
    spread += F("%s%s %.0f/%.0f", spread.empty() ? "" : ", ", c.phase.c_str(),
                c.before.commits_per_s, c.after.commits_per_s);
  }
  out +=
      "of commit cap: msg/s / (commits/s of the commit ceiling around the burst / commits per "
      "message). A commit ceiling: INSERT one row; COMMIT, on one connection, just before and "
      "just after the burst (commits/s before/after: " +
      spread + ").\n";
  for (const auto& cap : r.captures) {
    std::string kinds;
    for (const auto& [type, n] : cap.commands) {
      kinds += F("%s%s %.2f", kinds.empty() ? "" : ", ", type.c_str(), PerMsg(n, cap.messages));
    }
    out += F("captured %s: %.2f commands/msg wait for an answer (%s)\n", cap.phase.c_str(),
             PerMsg(cap.round_trips, cap.messages), kinds.c_str());
  }
  for (const auto& x : r.replays) {
    if (x.errors > 0) {
      out += F("replay of the %s: %lld command(s) failed, e.g. %s\n", x.phase.c_str(),
               static_cast<long long>(x.errors), x.first_error.substr(0, 200).c_str());
    }
  }
  return out;
}

std::vector<std::string> WriteRaw(const Results& r, const std::string& dir) {
  std::vector<std::string> paths;
  const std::string csv = dir + "/results.csv";
  std::ofstream out(csv);
  out << "section,name,metric,value\n";
  auto put = [&out](const std::string& section, const std::string& name, const std::string& metric,
                    double value) {
    out << section << ',' << name << ',' << metric << ',' << F("%.6g", value) << '\n';
  };
  auto counters = [&](const std::string& section, const std::string& name, const Counters& d) {
    for (const auto& [k, v] : d) {
      if (v != 0) put(section, name, "counter:" + k, static_cast<double>(v));
    }
  };
  auto burst = [&](const std::string& section, const std::string& phase,
                   const ThroughputResult& t) {
    put(section, phase, "messages", static_cast<double>(t.messages));
    put(section, phase, "seconds", t.seconds);
    put(section, phase, "msg_per_s", t.msg_per_s);
    put(section, phase, "slice", static_cast<double>(t.slice));
    put(section, phase, "slice_msg_per_s", t.slice_msg_per_s);
    put(section, phase, "statements", static_cast<double>(t.cost.statements));
    put(section, phase, "round_trips", static_cast<double>(t.cost.round_trips));
    put(section, phase, "commits", static_cast<double>(t.cost.commits));
    put(section, phase, "log_writes", static_cast<double>(t.cost.log_writes));
    put(section, phase, "server_cpu_ms", t.server_cpu_ms);
    put(section, phase, "daemon_cpu_ms", t.daemon_cpu_ms);
    counters(section, phase, t.delta);
  };
  for (const auto& [phase, t] : r.bursts) burst("burst", phase, t);
  for (const auto& [phase, t] : r.large_bursts) burst("burst_large", phase, t);
  for (const auto& [phase, t] : r.recorder_off_bursts) burst("burst_recorder_off", phase, t);
  for (const auto& [phase, t] : r.galera_bursts) burst("burst_galera", phase, t);
  for (const auto& [phase, use] : r.recorder_use) {
    put("recorder", phase, "records", static_cast<double>(use.records));
    put("recorder", phase, "bytes", static_cast<double>(use.bytes));
  }
  if (!r.recorder_off_bursts.empty()) {
    put("recorder", "recorder_off", "records", static_cast<double>(r.recorder_off_records));
  }
  for (const auto& x : r.replays) {
    put("replay", x.phase, "messages", static_cast<double>(x.messages));
    put("replay", x.phase, "seconds", x.seconds);
    put("replay", x.phase, "msg_per_s", x.msg_per_s);
    put("replay", x.phase, "commits_per_s", x.commits_per_s);
    put("replay", x.phase, "commands", static_cast<double>(x.commands));
    put("replay", x.phase, "errors", static_cast<double>(x.errors));
    put("replay", x.phase, "server_cpu_ms", x.server_cpu_ms);
    put("replay", x.phase, "client_cpu_ms", x.client_cpu_ms);
    counters("replay", x.phase, x.delta);
  }
  for (const auto& cap : r.captures) {
    put("capture", cap.phase, "messages", static_cast<double>(cap.messages));
    put("capture", cap.phase, "round_trips", static_cast<double>(cap.round_trips));
    for (const auto& [type, n] : cap.commands) {
      put("capture", cap.phase, "command:" + type, static_cast<double>(n));
    }
  }
  for (const auto& pc : r.ceilings) {
    for (const auto& [when, c] : {std::pair{"before", &pc.before}, std::pair{"after", &pc.after}}) {
      const std::string name = pc.phase + " " + when;
      put("ceiling", name, "commits", static_cast<double>(c->commits));
      put("ceiling", name, "seconds", c->seconds);
      put("ceiling", name, "commits_per_s", c->commits_per_s);
      put("ceiling", name, "server_cpu_ms", c->server_cpu_ms);
      counters("ceiling", name, c->delta);
    }
  }
  for (const auto& l : r.latency) {
    const std::string name = F("%.0f_per_s", l.rate);
    put("latency", name, "sent", static_cast<double>(l.sent));
    put("latency", name, "achieved_rate", l.achieved_rate);
    put("latency", name, "seconds", l.seconds);
    put("latency", name, "p50_ms", l.p50_ms);
    put("latency", name, "p99_ms", l.p99_ms);
    put("latency", name, "max_ms", l.max_ms);
    put("latency", name, "unanswered_at_end", static_cast<double>(l.unanswered_at_end));
    put("latency", name, "stale_at_end", static_cast<double>(l.stale_at_end));
    put("latency", name, "backlog_growth_per_s", l.backlog_growth_per_s);
    put("latency", name, "drain_s", l.drain_s);
    const std::string path = dir + "/latency-" + F("%.0f", l.rate) + ".csv";
    std::ofstream lat(path);
    lat << "message,published_ms,latency_ms\n";
    for (size_t k = 0; k < l.latency_ms.size(); ++k) {
      lat << k << ',' << F("%.3f", l.publish_ms[k]) << ',' << F("%.3f", l.latency_ms[k]) << '\n';
    }
    paths.push_back(path);
  }
  if (r.memory) {
    const MemoryResult& m = *r.memory;
    put("memory", "queue_fill", "queued", static_cast<double>(m.queued));
    put("memory", "queue_fill", "idle_rss_kb", static_cast<double>(m.idle.rss_kb));
    put("memory", "queue_fill", "full_rss_kb", static_cast<double>(m.full.rss_kb));
    put("memory", "queue_fill", "full_hwm_kb", static_cast<double>(m.full.hwm_kb));
    put("memory", "queue_fill", "steady_rss_kb", static_cast<double>(m.steady.rss_kb));
    put("memory", "queue_fill", "stopped_s", m.stopped_s);
    put("memory", "queue_fill", "drain_s", m.drain_s);
  }
  if (!out) throw std::runtime_error("cannot write " + csv);
  paths.insert(paths.begin(), csv);
  return paths;
}

}  // namespace so::bench
