// The stock counters a decision moved, read back from its audit row. The engine writes them into
// the row's detail as "committed +N" and "backordered -N" (rules/sourcing.cpp, changes.cpp,
// engine.cpp); the audit trail has no columns for them, and rows written by earlier versions
// carry them the same way, so this is how `special-ordersd explain` shows them for every row.
// tests/rules/scenario_test holds the two together: over a randomized run, what the audit rows
// say adds up to the stock counters. Pure function; thread-safe.
#pragma once

#include <string_view>

#include "rules/model.hpp"

namespace so {

// Moves of stock.committed and stock.backordered of the special order's store and product (and,
// by invariant 3, of its line's committed_qty and backordered_qty).
struct CountersMoved {
  Qty committed = 0;
  Qty backordered = 0;
  // Whether the detail names either counter at all (a decision that moved them by 0 says so).
  bool named = false;
  bool operator==(const CountersMoved&) const = default;
};

// Every "committed <sign><digits>" and "backordered <sign><digits>" in `detail`, added up.
CountersMoved ParseCountersMoved(std::string_view detail);

}  // namespace so
