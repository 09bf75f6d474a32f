#include "daemon/daemon_metrics.hpp"

#include <algorithm>
#include <map>

namespace so::daemon {

DaemonMetrics::DaemonMetrics(const std::string& build_version)
    : build_info_(registry_.AddGauge("build_info", "The daemon's version; always 1.", {"version"})),
      rules_info_(registry_.AddGauge(
          "rules_info", "The version (fnv1a64 of the file) of the rules in use; always 1.",
          {"version"})),
      reload_ok_(registry_.AddGauge("config_last_reload_successful",
                                    "Whether the last reload of the rules (SIGHUP) succeeded.")),
      reload_time_(registry_.AddGauge(
          "config_last_reload_success_timestamp_seconds",
          "When the rules were last loaded successfully (start or reload), Unix time.")),
      received_(registry_.AddCounter("messages_received",
                                     "Messages taken off the receive queue, by type "
                                     "(\"undecodable\": could not be decoded; \"unknown\": a type "
                                     "the contract does not define).",
                                     {"type"})),
      processed_(registry_.AddCounter(
          "messages_processed",
          "Messages by type and fate: applied, refused, duplicate, dead_lettered.",
          {"type", "fate"})),
      unknown_types_(registry_.AddCounter(
          "unknown_types", "Messages of a type the contract does not define, by type.", {"type"})),
      gaps_(registry_.AddCounter(
          "seq_gaps",
          "Lost messages noticed: a jump in a source's seq (gap) or a new POS instance "
          "(new_source).",
          {"cause"})),
      repairs_(registry_.AddCounter("sweep_repairs",
                                    "Facts the catch-up sweep applied, by kind and fate.",
                                    {"kind", "fate"})),
      retries_(registry_.AddCounter("database_retries",
                                    "Transactions run again after a deadlock, lock wait or lost "
                                    "connection.")),
      retry_causes_(registry_.AddCounter(
          "database_retried_errors",
          "The errors behind database_retries and failed reconnects, by cause: conflict (1213, a "
          "deadlock; on Galera also a commit that failed certification against another node's), "
          "lock_wait_timeout (1205), node_not_ready (1047, a Galera node out of the primary "
          "component or not ready), connection (lost or refused), other.",
          {"cause"})),
      node_(registry_.AddGauge("database_node_info",
                               "The database node the daemon applies messages through; always 1 "
                               "(no series while it is connected to none).",
                               {"node"})),
      failovers_(registry_.AddCounter(
          "database_failovers",
          "Times the daemon's connection moved to another node of database.hosts.")),
      other_stores_(registry_.AddCounter(
          "messages_other_stores",
          "Messages skipped because another daemon applies their store (stores:, partition:), "
          "by type.",
          {"type"})),
      reconnects_(
          registry_.AddCounter("database_reconnects", "Connections to the database opened again.")),
      unavailable_(registry_.AddCounter(
          "database_unavailable",
          "Times messages were held because the database could not be reached.")),
      batch_(registry_.AddHistogram(
          "batch_messages", "Messages applied per batch (one transaction, unless it is split).",
          {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 10000})),
      latency_(registry_.AddHistogram(
          "receive_to_commit_seconds",
          "From a message's read off the bus to the end of the batch that committed it "
          "(applied or refused).",
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
           60})),
      read_off_socket_(registry_.AddCounter("bus_messages_read",
                                            "Messages the bus reader took off the SUB socket.")),
      queued_(registry_.AddGauge("receive_queue_messages",
                                 "Messages in the receive queue, waiting for the loop.")),
      queued_bytes_(registry_.AddGauge("receive_queue_bytes",
                                       "Bytes the receive queue holds (bus.receive_queue_bytes "
                                       "bounds it).")),
      published_(registry_.AddCounter(
          "events_published", "Events the daemon handed to its PUB socket (a resend counts).")),
      publish_errors_(registry_.AddCounter(
          "event_publish_errors",
          "Times the PUB socket refused an event (it stays in the outbox, sent again).")),
      resent_(registry_.AddCounter(
          "events_resent",
          "Events read back from sod_outbox to be sent: what a crash left unsent, or what "
          "waited too long for memory.")),
      pruned_(registry_.AddCounter("outbox_pruned",
                                   "Sent events the sweep deleted from sod_outbox (retention).")),
      unsent_(registry_.AddGauge("outbox_unsent",
                                 "Events committed and not yet handed to the PUB socket.")),
      last_seq_(registry_.AddGauge(
          "event_last_seq", "The seq of the daemon's last committed event (its source's).")),
      connected_(registry_.AddGauge(
          "subscription_connected",
          "Whether the SUB socket holds a connection to the POS (handshake done).")),
      database_up_(registry_.AddGauge(
          "database_up", "Whether the last read of the figures below from the database worked.")),
      special_orders_(registry_.AddGauge("special_orders",
                                         "Open special orders (not completed or cancelled), by "
                                         "status and store id.",
                                         {"status", "store"})),
      overdue_(registry_.AddGauge(
          "special_orders_overdue",
          "Special orders still waiting for their goods (ordered or in_progress) whose promised "
          "day has passed and was published overdue, by store id and vendor id (vendor \"\": "
          "sourced by a store transfer).",
          {"store", "vendor"})),
      oldest_(registry_.AddGauge(
          "special_order_oldest_age_seconds",
          "Age (since requested_at) of the oldest open special order, by status.", {"status"})),
      dead_letters_(registry_.AddGauge(
          "dead_letters_waiting",
          "Rows of sod_dead_letters: messages that could not be applied, waiting for a replay "
          "(SIGUSR1).")),
      drift_(registry_.AddGauge(
          "drift_differences",
          "Counters (stock committed/backordered, special-ordered lines, red stars) that differ "
          "from what the live special orders make them, at the sweep's last check; see "
          "`special-ordersd check`.")),
      drift_time_(registry_.AddGauge("drift_last_check_timestamp_seconds",
                                     "When the sweep last checked the counters for drift.")) {
  build_info_.Set({build_version}, 1);
  // Unlabelled counters exist from the start, at 0, so that rate() and alerts see them.
  for (MetricFamily* f : {&retries_, &reconnects_, &unavailable_, &read_off_socket_, &published_,
                          &publish_errors_, &resent_, &pruned_, &failovers_}) {
    f->Set({}, 0);
  }
  for (const char* cause :
       {"conflict", "lock_wait_timeout", "node_not_ready", "connection", "other"}) {
    retry_causes_.Set({cause}, 0);
  }
  gaps_.Set({"gap"}, 0);
  gaps_.Set({"new_source"}, 0);
  reload_ok_.Set({}, 1);
  connected_.Set({}, 0);
  database_up_.Set({}, 0);
}

void DaemonMetrics::CountReceived(std::string_view type) { received_.Add({std::string(type)}); }

void DaemonMetrics::CountFate(std::string_view type, Fate fate) {
  if (fate == Fate::kUnavailable) return;
  processed_.Add({std::string(type), std::string(ToString(fate))});
}

void DaemonMetrics::CountUnknownType(std::string_view type) {
  unknown_types_.Add({std::string(type)});
}

void DaemonMetrics::CountGap(bool new_source) { gaps_.Add({new_source ? "new_source" : "gap"}); }

void DaemonMetrics::CountOtherStore(std::string_view type) {
  other_stores_.Add({std::string(type)});
}

void DaemonMetrics::SetNode(const std::string& node, bool moved) {
  node_.Clear();
  if (!node.empty()) node_.Set({node}, 1);
  if (moved) failovers_.Add({});
}

void DaemonMetrics::CountRepair(std::string_view message_id, Fate fate) {
  if (fate == Fate::kUnavailable) return;
  std::string_view kind = message_id;
  if (kind.starts_with("sweep:")) kind.remove_prefix(6);
  kind = kind.substr(0, kind.find(':'));
  repairs_.Add({std::string(kind), std::string(ToString(fate))});
}

void DaemonMetrics::ObserveBatch(size_t messages) { batch_.Observe(static_cast<double>(messages)); }

void DaemonMetrics::ObserveReceiveToCommit(std::chrono::steady_clock::duration d) {
  latency_.Observe(std::chrono::duration<double>(d).count());
}

void DaemonMetrics::SetRules(const std::string& version) {
  rules_info_.Clear();
  rules_info_.Set({version}, 1);
}

void DaemonMetrics::SetReload(bool ok, std::chrono::system_clock::time_point at) {
  reload_ok_.Set({}, ok ? 1 : 0);
  if (ok) {
    reload_time_.Set({}, std::chrono::duration<double>(at.time_since_epoch()).count());
  }
}

void DaemonMetrics::SetDrift(int64_t differences, std::chrono::system_clock::time_point at) {
  drift_.Set({}, static_cast<double>(differences));
  drift_time_.Set({}, std::chrono::duration<double>(at.time_since_epoch()).count());
}

void DaemonMetrics::SetMirrored(const MirroredCounts& c) {
  read_off_socket_.Set({}, static_cast<double>(c.read_off_socket));
  retries_.Set({}, static_cast<double>(c.retries));
  retry_causes_.Set({"conflict"}, static_cast<double>(c.conflicts));
  retry_causes_.Set({"lock_wait_timeout"}, static_cast<double>(c.lock_wait_timeouts));
  retry_causes_.Set({"node_not_ready"}, static_cast<double>(c.nodes_not_ready));
  retry_causes_.Set({"connection"}, static_cast<double>(c.connection_errors));
  retry_causes_.Set({"other"}, static_cast<double>(c.other_transient));
  reconnects_.Set({}, static_cast<double>(c.reconnects));
  unavailable_.Set({}, static_cast<double>(c.unavailable));
  published_.Set({}, static_cast<double>(c.published));
  publish_errors_.Set({}, static_cast<double>(c.publish_errors));
  resent_.Set({}, static_cast<double>(c.resent));
  pruned_.Set({}, static_cast<double>(c.pruned));
  unsent_.Set({}, static_cast<double>(c.unsent));
  last_seq_.Set({}, static_cast<double>(c.last_seq));
  queued_.Set({}, static_cast<double>(c.queued));
  queued_bytes_.Set({}, static_cast<double>(c.queued_bytes));
  connected_.Set({}, c.subscription_connected ? 1 : 0);
}

void DaemonMetrics::SetObservation(const mysql::Observation* o) {
  special_orders_.Clear();
  overdue_.Clear();
  oldest_.Clear();
  dead_letters_.Clear();
  database_up_.Set({}, o != nullptr ? 1 : 0);
  if (o == nullptr) return;
  std::map<std::string, int64_t> oldest;
  for (const auto& s : o->open) {
    special_orders_.Set({s.status, std::to_string(s.store_id)}, static_cast<double>(s.count));
    auto [it, fresh] = oldest.try_emplace(s.status, s.oldest_age_s);
    if (!fresh) it->second = std::max(it->second, s.oldest_age_s);
  }
  for (const auto& [status, age] : oldest) oldest_.Set({status}, static_cast<double>(age));
  for (const auto& s : o->overdue) {
    overdue_.Set({std::to_string(s.store_id), s.vendor_id != 0 ? std::to_string(s.vendor_id) : ""},
                 static_cast<double>(s.count));
  }
  dead_letters_.Set({}, static_cast<double>(o->dead_letters));
}

}  // namespace so::daemon
