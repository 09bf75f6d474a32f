// Which special orders each HostStore query returns, as predicates over one row: the in-memory
// stores (rules/batch_view.hpp, the tests' fake) answer with these, and the MySQL store's WHERE
// clauses say the same. Pure functions.
#pragma once

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

}  // namespace so::queries
