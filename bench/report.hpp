// The benchmark's output: every figure of a run, the one plain-text table printed at the end, and
// the raw figures written as CSV next to the run's logs. Pure formatting; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/ceiling.hpp"
#include "bench/fixture.hpp"
#include "bench/phases.hpp"

namespace so::bench {

// Where and how the run happened.
struct RunInfo {
  std::string mode;  // quick, default or large
  std::string date;  // UTC
  std::string commit;
  std::string build;  // CMake build type, and whether sanitizers are in
  int nproc = 0;
  std::string cpu_model;
  std::string server_version;
  std::string durability;  // innodb_flush_log_at_trx_commit, binlog, buffer pool
  CatalogShape catalog;
  size_t slice = 0;
};

// What a burst added to the flight recorder's table (sod_flight_recorder).
struct RecorderUse {
  int64_t records = 0;
  int64_t bytes = 0;  // SUM(bytes): the MessagePack records, without the row's other columns
};

struct Results {
  RunInfo info;
  // The commit ceiling just before each burst (and its capture and replay) and just after it;
  // the burst's and its replay's ratios use the mean of the two: the disk's flush time drifts.
  struct PhaseCeiling {
    std::string phase;  // a key of `bursts` ("requests"), or of `large_bursts` + ", large db"
    CommitCeiling before, after;
    double commits_per_s() const { return (before.commits_per_s + after.commits_per_s) / 2; }
  };
  std::vector<PhaseCeiling> ceilings;
  // The throughput phases on the fixture's database and their replays (same `phase` keys:
  // "requests", "shipments"); a phase without a replay had no capture (slice 0).
  std::vector<std::pair<std::string, ThroughputResult>> bursts;
  // The same bursts on a second daemon with the flight recorder off (recorder.retention_days 0),
  // on a database of its own in the same state, right after each of the above; and what each
  // burst above added to the recorder's table (same keys). The replays are of the bursts above.
  std::vector<std::pair<std::string, ThroughputResult>> recorder_off_bursts;
  std::vector<std::pair<std::string, RecorderUse>> recorder_use;
  int64_t recorder_off_records = 0;  // in the recorder-off daemon's table: 0 expected
  std::vector<CapturedSql> captures;
  std::vector<ReplayResult> replays;
  std::vector<LatencyResult> latency;
  std::optional<MemoryResult> memory;
  // --large: the same bursts on a database with history.
  std::optional<HistoryShape> history;
  double history_load_s = 0;
  std::vector<std::pair<std::string, ThroughputResult>> large_bursts;
  // --galera-dir: the request and shipment bursts again on a three-node Galera cluster on the
  // same machine, three daemons partitioned by store (partition {index, count: 3}), each next to
  // its node (database.hosts: its node first); same keys as `bursts`. Counters and server CPU
  // are the three nodes' together, daemon CPU the three daemons'. Its commit ceiling (one
  // connection on node 1, every commit certified and replicated) is in `ceilings` as "galera".
  std::vector<std::pair<std::string, ThroughputResult>> galera_bursts;
  // The stores each daemon applies, by daemon (node 1's first), e.g. "3" or "1, 4".
  std::vector<std::string> galera_stores;
};

// The table, header included.
std::string FormatTable(const Results& r);

// results.csv (section,name,metric,value: every figure and every counter delta) and one
// latency-<rate>.csv per fixed-rate phase, in `dir`; returns the paths written.
std::vector<std::string> WriteRaw(const Results& r, const std::string& dir);

}  // namespace so::bench
