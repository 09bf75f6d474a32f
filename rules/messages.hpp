// The messages of the POS bus as typed values (CONTRACT.md sections 2-4): what the POS publishes
// and what the daemon publishes. Decoding and encoding live in adapters/; these are plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rules/model.hpp"
#include "rules/timestamp.hpp"

namespace so {

struct Envelope {
  int v = 1;
  std::string id;  // 1-64 chars, the same when the POS re-publishes
  std::string type;
  std::string source;
  uint64_t seq = 0;
  Timestamp occurred_at;
};

// --- What the POS publishes (section 3) ---

struct SpecialOrderRequested {
  Id order_id = 0, order_line_id = 0, store_id = 0, customer_id = 0, product_id = 0;
  Qty quantity = 0;  // > 0
  Timestamp requested_at;
};

struct OrderLineChanged {
  Id order_id = 0, order_line_id = 0;
  Qty special_order_qty = 0;  // >= 0
};

struct OrderCancelled {
  Id order_id = 0;
};

struct PickedUpLine {
  Id order_line_id = 0;
  Qty quantity = 0;
};

struct OrderPickedUp {
  Id order_id = 0;
  std::vector<PickedUpLine> lines;
};

struct BackofficeOrder {
  Id special_order_id = 0;
  std::optional<Id> vendor_id;
  std::optional<Id> po_id;
  std::string user;
};

struct BackofficeTransfer {
  Id special_order_id = 0;
  Id from_store_id = 0;
  std::string user;
};

struct BackofficeAllocate {
  // Exactly one of the two is set.
  std::optional<Id> shipment_id;
  std::optional<Id> transfer_id;
  std::optional<std::vector<Id>> special_order_ids;
  std::string user;
};

struct BackofficeCancel {
  Id special_order_id = 0;
  std::string user;
};

struct PoStatusChanged {
  Id po_id = 0;
  std::string status, previous_status;
};

struct ShipmentCompleted {
  Id shipment_id = 0, po_id = 0, store_id = 0, vendor_id = 0;
  std::vector<ShipmentLine> lines;
};

struct TransferLine {
  Id product_id = 0;
  Qty quantity = 0;
};

struct TransferReceived {
  Id transfer_id = 0, from_store_id = 0, to_store_id = 0;
  std::vector<TransferLine> lines;
};

// --- What the daemon's clock makes (docs/contract-decisions.md "Clock messages") ---
// Timed work, applied as messages of their own through the inbox so that each happens once
// across restarts, sweeps and two daemons. Never on the bus: the daemon makes them (rules/
// clock_scan.hpp), with deterministic ids and the due time as occurred_at.

// The special order promised `promise_seq` is still waiting past its day and grace.
struct ClockOverdue {
  Id special_order_id = 0;
  int promise_seq = 0;
};

// The special order ready since `ready_at` has waited `days` days for its customer.
struct ClockPickupReminder {
  Id special_order_id = 0;
  int days = 0;
  Timestamp ready_at;
};

// The special order ready since `ready_at` passed its pickup deadline of `days` days.
struct ClockPickupDeadline {
  Id special_order_id = 0;
  int days = 0;
  Timestamp ready_at;
};

using Payload = std::variant<SpecialOrderRequested, OrderLineChanged, OrderCancelled, OrderPickedUp,
                             BackofficeOrder, BackofficeTransfer, BackofficeAllocate,
                             BackofficeCancel, PoStatusChanged, ShipmentCompleted, TransferReceived,
                             ClockOverdue, ClockPickupReminder, ClockPickupDeadline>;

struct Message {
  Envelope envelope;
  Payload payload;
};

// --- What the daemon publishes (section 4) ---

struct SpecialOrderCreatedEvent {
  Id special_order_id = 0, order_id = 0, order_line_id = 0, product_id = 0;
  Qty quantity = 0;
  SoStatus status = SoStatus::kRequest;
};

struct StatusChangedEvent {
  Id special_order_id = 0, order_id = 0;
  SoStatus from = SoStatus::kRequest, to = SoStatus::kRequest;
  std::string rule;
  std::string cause_id;
};

struct ArrivedOrder {
  Id special_order_id = 0, order_id = 0, product_id = 0;
  Qty quantity = 0;
};

struct ArrivedEvent {
  ArrivalKind kind = ArrivalKind::kShipment;
  Id arrival_id = 0;  // shipment_id or transfer_id, as kind says
  Id store_id = 0;
  std::vector<ArrivedOrder> special_orders;
};

struct RejectedEvent {
  Id order_line_id = 0;
  std::string reason;
};

struct PoEventLine {
  Id po_line_id = 0, product_id = 0;
  Qty quantity = 0;  // the line's quantity_ordered after the change
};

struct PurchaseOrderEvent {
  bool created = false;  // purchase_order.created, else purchase_order.line_added
  Id po_id = 0, vendor_id = 0, store_id = 0;
  std::vector<PoEventLine> lines;
};

struct TransferRequestedEvent {
  Id transfer_id = 0, from_store_id = 0, to_store_id = 0;
  std::vector<TransferLine> lines;
};

// An addition to section 4 (docs/contract-decisions.md): the day the daemon expects the goods of a
// special order, each time it promises one (when it is sourced, and again when its draft PO is
// sent).
struct PromisedEvent {
  Id special_order_id = 0, order_id = 0;
  Timestamp expected_on;  // midnight UTC of the day
  PromiseBasis basis = PromiseBasis::kVendorFromNow;
};

// An addition to section 4: a special order still waits for its goods past its promised day
// and the rule's grace. Once per promise.
struct OverdueEvent {
  Id special_order_id = 0, order_id = 0, store_id = 0;
  std::optional<Id> vendor_id;  // none for a transfer
  Timestamp expected_on;        // midnight UTC of the day promised
  int days_late = 0;            // whole days from expected_on to the message's time
};

// An addition to section 4: a ready special order has not been picked up after `days` days;
// for the POS to remind the customer (e-mail, SMS).
struct PickupReminderEvent {
  Id special_order_id = 0, order_id = 0, customer_id = 0;
  Timestamp ready_since;
  int days = 0;
};

using OutEvent = std::variant<SpecialOrderCreatedEvent, StatusChangedEvent, ArrivedEvent,
                              RejectedEvent, PurchaseOrderEvent, TransferRequestedEvent,
                              PromisedEvent, OverdueEvent, PickupReminderEvent>;

// The topic (and envelope type) each outgoing event is published under.
std::string EventType(const OutEvent& e);

// An outgoing event with the envelope it was given in the transaction that produced it: kept in
// the outbox and sent (and sent again) as exactly these bytes (rules/outbox.hpp).
struct StampedEvent {
  Envelope envelope;
  std::string body;  // the envelope and the payload as published (JSON, CONTRACT section 2)
  // The event `body` encodes, as the batch made it; none when read back from the outbox.
  std::optional<OutEvent> event;
};

}  // namespace so
