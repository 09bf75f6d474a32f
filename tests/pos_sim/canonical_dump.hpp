// Dumps of a test database for comparing a run with a reference run of the same scenario when
// the two may legitimately differ in the values the server (not the daemon) chose: the
// AUTO_INCREMENT ids of the daemon's inserts. Everything else compares byte for byte. See
// canonical_dump.cpp for each normalisation and why it is needed.
#pragma once

#include <string>
#include <vector>

#include "tests/support/test_db.hpp"

namespace so::testing {

struct CanonicalDumpOptions {
  // The tables to dump, in this order; empty: every table but those left out (below), in name
  // order.
  std::vector<std::string> tables;
  // Leave out every DATETIME and TIMESTAMP column.
  bool without_times = false;
  // Rank each surrogate id among the ids of its own store only ("#s<store>.<rank>"), and order
  // each table's rows by their dumped text instead of by key. For runs whose stores were applied
  // by different daemons (a partitioned cluster): each store's rows are made in the same order
  // as in a single daemon's run, but how the stores' inserts interleave (and so the global rank
  // of an id) depends on timing. The store of a row: special_orders.store_id,
  // purchase_orders.store_id, a PO line's PO's, a transfer's to_store_id, a transfer line's
  // transfer's, an audit row's special order's (0 without one: such audit rows still rank across
  // stores).
  bool ranks_per_store = false;
};

// Like TestDatabase::Dump() (every row, ordered by primary key, escaped the same way), with:
// - the surrogate ids the daemon's inserts get from AUTO_INCREMENT (special_orders,
//   purchase_orders, purchase_order_lines, store_transfers, store_transfer_lines, sod_audit)
//   renumbered by rank, in their own table and in every column that refers to them;
// - each run of digits in the free-text columns sod_audit.detail and sod_inbox.detail replaced
//   by '#';
// - sod_dead_letters, sod_flight_recorder, sod_event_sources and sod_outbox left out.
// Throws std::runtime_error when the schema has an integer id column that this file does not
// classify, so that a new reference to a surrogate id cannot slip through unrenumbered.
std::string CanonicalDump(TestDatabase& db, const CanonicalDumpOptions& options = {});

// The business tables only (special orders, order lines and orders, stock, POs, transfers, the
// arrival ledger and the pickups), canonical as above and without times: for a run whose
// repairs the catch-up sweep made, stamped with the sweep's own clock and message ids.
std::string BusinessDump(TestDatabase& db);
// The same with ranks_per_store.
std::string BusinessDumpPerStore(TestDatabase& db);

}  // namespace so::testing
