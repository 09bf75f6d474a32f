// GoogleTest helpers for the values that cross the HostStore port: times from text, every field
// of a row as one tuple (so that one EXPECT_EQ compares whole rows), and the value of a Result
// that must be ok. Header-only; thread-compatible.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include "rules/model.hpp"
#include "rules/result.hpp"
#include "rules/timestamp.hpp"

namespace so::testing {

// "2026-11-29 20:16:16.5" as MariaDB writes a DATETIME(6), or a date alone for its midnight.
inline Timestamp Ts(const std::string& sql_datetime) {
  const std::optional<Timestamp> t =
      ParseSqlDatetime(sql_datetime.size() == 10 ? sql_datetime + " 00:00:00" : sql_datetime);
  if (!t) throw std::invalid_argument("not a DATETIME: " + sql_datetime);
  return *t;
}

inline auto Fields(const SpecialOrder& s) {
  return std::make_tuple(s.id, s.store_id, s.order_id, s.order_line_id, s.customer_id, s.product_id,
                         s.quantity, s.allocated_qty, s.status, s.source, s.vendor_id, s.po_id,
                         s.po_line_id, s.transfer_id, s.requested_at, s.ordered_at, s.arrived_at,
                         s.ready_at, s.completed_at, s.cancelled_at, s.updated_at);
}
inline auto Fields(const StockRow& r) {
  return std::make_tuple(r.store_id, r.product_id, r.on_hand, r.committed, r.backordered);
}
inline auto Fields(const OrderLine& l) {
  return std::make_tuple(l.id, l.order_id, l.product_id, l.quantity, l.special_order_qty, l.status,
                         l.committed_qty, l.backordered_qty);
}
inline auto Fields(const PurchaseOrder& p) {
  return std::make_tuple(p.id, p.store_id, p.vendor_id, p.status, p.created_at);
}
inline auto Fields(const PoLine& l) {
  return std::make_tuple(l.id, l.po_id, l.product_id, l.quantity_ordered, l.quantity_received,
                         l.unit_cost);
}
inline auto Fields(const StoreTransferLine& l) {
  return std::make_tuple(l.id, l.transfer_id, l.product_id, l.quantity, l.special_order_id);
}
inline auto Fields(const ArrivalLine& a) {
  return std::make_tuple(a.kind, a.arrival_id, a.product_id, a.store_id, a.quantity,
                         a.allocated_qty);
}
inline auto Fields(const SoClock& c) {
  return std::make_tuple(c.special_order_id, c.promise_seq, c.expected_on, c.basis, c.base_at,
                         c.days, c.rule, c.promised_at, c.overdue_seq, c.reminded_days,
                         c.reminded_ready_at);
}
inline auto Fields(const AuditEntry& a) {
  return std::make_tuple(a.message_id, a.special_order_id, a.rule, a.decision, a.detail, a.at);
}

// The value of a Result that must be ok. A failed one fails the test and throws to end it.
template <typename T>
T Ok(Result<T> r, const char* what) {
  if (!r.ok()) {
    ADD_FAILURE() << what << ": " << r.error().ToString();
    throw std::runtime_error(std::string(what) + " failed");
  }
  return std::move(r).value();
}

}  // namespace so::testing

#define OK(expr) ::so::testing::Ok((expr), #expr)
#define ASSERT_OK(expr)                                                   \
  do {                                                                    \
    const ::so::Status so_s_ = (expr);                                    \
    ASSERT_TRUE(so_s_.ok()) << #expr << ": " << so_s_.error().ToString(); \
  } while (false)
