// The daemon's metrics (the README's "Operating it" lists them): what the loop counts as it
// goes, what other parts count and are copied in at each scrape, and what is read from the
// database at scrape time. The loop's thread only, as the Registry.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/mysql/mysql_observe.hpp"
#include "daemon/metrics.hpp"
#include "rules/processor.hpp"

namespace so::daemon {

// Counts kept by the processor, the subscriber and the publisher, copied in before rendering.
struct MirroredCounts {
  uint64_t read_off_socket = 0;
  uint64_t retries = 0, reconnects = 0, unavailable = 0;
  // ProcessorStats' causes of retries.
  uint64_t conflicts = 0, lock_wait_timeouts = 0, nodes_not_ready = 0, connection_errors = 0,
           other_transient = 0;
  // The outbox's (OutboxStats): resent are those read back from the table.
  uint64_t published = 0, resent = 0, publish_errors = 0, pruned = 0;
  // Events committed and not yet handed to the bus; the last seq committed.
  uint64_t unsent = 0, last_seq = 0;
  size_t queued = 0, queued_bytes = 0;
  bool subscription_connected = false;
};

class DaemonMetrics {
 public:
  explicit DaemonMetrics(const std::string& build_version);

  // A message the loop took off the receive queue: `type` is the decoded envelope's, or
  // "undecodable" or "unknown" (any text can come under a subscribed prefix: a topic is not a
  // label).
  void CountReceived(std::string_view type);
  // What became of a message (not kUnavailable: such a message is held and comes again).
  void CountFate(std::string_view type, Fate fate);
  // A type under a subscribed prefix that the contract does not define.
  void CountUnknownType(std::string_view type);
  // A jump in a source's seq, or a new source after the first.
  void CountGap(bool new_source);
  // A message of a store another daemon applies (config stores: / partition:), skipped.
  void CountOtherStore(std::string_view type);
  // The node the applying connection is on now (empty: none), and whether it moved there from
  // another one (a failover).
  void SetNode(const std::string& node, bool moved);
  // One repair of the catch-up sweep, by its id "sweep:<kind>:<key>".
  void CountRepair(std::string_view message_id, Fate fate);
  void ObserveBatch(size_t messages);
  void ObserveReceiveToCommit(std::chrono::steady_clock::duration d);
  void SetRules(const std::string& version);
  // A reload of the rules (and the start, as Prometheus counts it).
  void SetReload(bool ok, std::chrono::system_clock::time_point at);
  void SetMirrored(const MirroredCounts& c);
  // What the observer read; nullptr when it failed: database_up 0 and the series dropped.
  void SetObservation(const mysql::Observation* o);
  // The result of the sweep's drift check: how many counters differ from what the live special
  // orders make them, and when it ran. No series until a check has run.
  void SetDrift(int64_t differences, std::chrono::system_clock::time_point at);

  std::string Render() const { return registry_.Render(); }
  const Registry& registry() const { return registry_; }

 private:
  Registry registry_;
  MetricFamily& build_info_;
  MetricFamily& rules_info_;
  MetricFamily& reload_ok_;
  MetricFamily& reload_time_;
  MetricFamily& received_;
  MetricFamily& processed_;
  MetricFamily& unknown_types_;
  MetricFamily& gaps_;
  MetricFamily& repairs_;
  MetricFamily& retries_;
  MetricFamily& retry_causes_;
  MetricFamily& node_;
  MetricFamily& failovers_;
  MetricFamily& other_stores_;
  MetricFamily& reconnects_;
  MetricFamily& unavailable_;
  Histogram& batch_;
  Histogram& latency_;
  MetricFamily& read_off_socket_;
  MetricFamily& queued_;
  MetricFamily& queued_bytes_;
  MetricFamily& published_;
  MetricFamily& publish_errors_;
  MetricFamily& resent_;
  MetricFamily& pruned_;
  MetricFamily& unsent_;
  MetricFamily& last_seq_;
  MetricFamily& connected_;
  MetricFamily& database_up_;
  MetricFamily& special_orders_;
  MetricFamily& overdue_;
  MetricFamily& oldest_;
  MetricFamily& dead_letters_;
  MetricFamily& drift_;
  MetricFamily& drift_time_;
};

}  // namespace so::daemon
