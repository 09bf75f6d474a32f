// What the daemon's /metrics and /healthz read from the database, on a connection of their own
// (read-only, short timeouts) so that a scrape never touches the connection that applies
// messages. Not thread-safe: one thread at a time (the daemon's loop).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/mysql/mysql_store.hpp"
#include "rules/result.hpp"

namespace so::mysql {

class Session;

// The open special orders (status neither completed nor cancelled) of one status at one store.
struct OpenSpecialOrders {
  std::string status;
  int64_t store_id = 0;
  int64_t count = 0;
  // Seconds since the oldest of them was requested (requested_at, UTC).
  int64_t oldest_age_s = 0;
};

// The special orders still waiting for their goods (ordered or in_progress) whose current
// promise was published overdue (sod_promises.overdue_seq = promise_seq), of one store and
// vendor.
struct OverdueSpecialOrders {
  int64_t store_id = 0;
  int64_t vendor_id = 0;  // 0: sourced by a store transfer (no vendor)
  int64_t count = 0;
};

struct Observation {
  std::vector<OpenSpecialOrders> open;        // by status, then store
  std::vector<OverdueSpecialOrders> overdue;  // by store, then vendor
  int64_t dead_letters = 0;                   // rows of sod_dead_letters: waiting for a replay
};

class Observer {
 public:
  // `options` as the daemon's; its timeouts are replaced by `timeout_s` (connect, read, write).
  Observer(MysqlOptions options, int timeout_s);
  ~Observer();
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // "Does the database answer": SELECT 1, connecting first when not connected; on a Galera
  // node, also whether it is in the primary component and ready (Session::CheckNode()).
  Status Ping();
  // Three queries: one GROUP BY over the open special orders (the reference schema's index on
  // special_orders.status bounds it to the open rows), one over those of them that are overdue
  // (the same index, joined to sod_promises by its key), one count of the dead letters.
  Result<Observation> Observe();

 private:
  Status EnsureConnected();

  MysqlOptions options_;
  std::unique_ptr<Session> session_;
};

}  // namespace so::mysql
