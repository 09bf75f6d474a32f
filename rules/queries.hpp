// Which special orders each HostStore query returns, as predicates over one row: the in-memory
// stores (rules/batch_view.hpp, the tests' fake) answer with these, and the MySQL store's WHERE
// clauses say the same. Pure functions.
#pragma once

#include <optional>

#include "rules/model.hpp"

namespace so::queries {

// Neither completed nor cancelled.
inline bool IsLive(const SpecialOrder& so) {
  return so.status != SoStatus::kCompleted && so.status != SoStatus::kCancelled;
}

// Live, and still waiting for goods: what an arrival or a PO going wrong can concern.
inline bool Waits(const SpecialOrder& so) { return IsLive(so) && so.waiting() > 0; }

// HostStore::LockSpecialOrdersOnPoLines, for one of its lines.
inline bool OnPoLine(const SpecialOrder& so, Id po_line_id) {
  return Waits(so) && so.po_line_id == po_line_id;
}

// HostStore::LockSpecialOrdersOnPo.
inline bool OnPo(const SpecialOrder& so, Id po_id) { return Waits(so) && so.po_id == po_id; }

// HostStore::LockSpecialOrdersOnTransfer.
inline bool OnTransfer(const SpecialOrder& so, Id transfer_id) {
  return Waits(so) && so.transfer_id == transfer_id;
}

// HostStore::LockWaitingSpecialOrders.
inline bool WaitsAt(const SpecialOrder& so, Id store_id, Id product_id) {
  return IsLive(so) && so.store_id == store_id && so.product_id == product_id && so.waiting() > 0;
}

// HostStore::FindClockCandidates, for one special order and its clock row (nullopt: none), the
// page's limit apart: after q.after_id, and either ordered or in progress and still waiting for
// goods, with a promised date before q.expected_before not yet published overdue (one that
// arrived is not late: its goods came), or ready since q.ready_before or earlier. The MySQL store's
// WHERE clause says the same (MysqlStore::FindClockCandidates, adapters/mysql/mysql_catch_up.cpp).
inline bool ClockCandidate(const SpecialOrder& so, const std::optional<SoClock>& clock,
                           const ClockQuery& q) {
  if (so.id <= q.after_id) return false;
  const bool late = q.expected_before &&
                    (so.status == SoStatus::kOrdered || so.status == SoStatus::kInProgress) &&
                    so.waiting() > 0 && clock && clock->expected_on &&
                    *clock->expected_on < *q.expected_before &&
                    clock->overdue_seq != clock->promise_seq;
  const bool waits_for_pickup = q.ready_before && so.status == SoStatus::kReady && so.ready_at &&
                                *so.ready_at <= *q.ready_before;
  return late || waits_for_pickup;
}

}  // namespace so::queries
