#include "adapters/json_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "rules/messages.hpp"
#include "rules/model.hpp"
#include "rules/timestamp.hpp"

namespace so {

// Readable failures for the values the tests compare.
void PrintTo(const Timestamp& t, std::ostream* os) { *os << FormatRfc3339(t); }
void PrintTo(SoStatus s, std::ostream* os) { *os << ToString(s); }
void PrintTo(ArrivalKind k, std::ostream* os) { *os << ToString(k); }

}  // namespace so

namespace so::json {
namespace {

Timestamp At(std::string_view rfc3339) {
  const std::optional<Timestamp> t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(Timestamp{});
}

// --- Field-by-field comparison (the structs in rules/ have no operator==) ---

void ExpectSame(const Envelope& want, const Envelope& got) {
  EXPECT_EQ(want.v, got.v);
  EXPECT_EQ(want.id, got.id);
  EXPECT_EQ(want.type, got.type);
  EXPECT_EQ(want.source, got.source);
  EXPECT_EQ(want.seq, got.seq);
  EXPECT_EQ(want.occurred_at, got.occurred_at);
}

void ExpectSame(const SpecialOrderRequested& want, const SpecialOrderRequested& got) {
  EXPECT_EQ(want.order_id, got.order_id);
  EXPECT_EQ(want.order_line_id, got.order_line_id);
  EXPECT_EQ(want.store_id, got.store_id);
  EXPECT_EQ(want.customer_id, got.customer_id);
  EXPECT_EQ(want.product_id, got.product_id);
  EXPECT_EQ(want.quantity, got.quantity);
  EXPECT_EQ(want.requested_at, got.requested_at);
}

void ExpectSame(const OrderLineChanged& want, const OrderLineChanged& got) {
  EXPECT_EQ(want.order_id, got.order_id);
  EXPECT_EQ(want.order_line_id, got.order_line_id);
  EXPECT_EQ(want.special_order_qty, got.special_order_qty);
}

void ExpectSame(const OrderCancelled& want, const OrderCancelled& got) {
  EXPECT_EQ(want.order_id, got.order_id);
}

void ExpectSame(const OrderPickedUp& want, const OrderPickedUp& got) {
  EXPECT_EQ(want.order_id, got.order_id);
  ASSERT_EQ(want.lines.size(), got.lines.size());
  for (size_t i = 0; i < want.lines.size(); ++i) {
    SCOPED_TRACE("lines[" + std::to_string(i) + "]");
    EXPECT_EQ(want.lines[i].order_line_id, got.lines[i].order_line_id);
    EXPECT_EQ(want.lines[i].quantity, got.lines[i].quantity);
  }
}

void ExpectSame(const BackofficeOrder& want, const BackofficeOrder& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.vendor_id, got.vendor_id);
  EXPECT_EQ(want.po_id, got.po_id);
  EXPECT_EQ(want.user, got.user);
}

void ExpectSame(const BackofficeTransfer& want, const BackofficeTransfer& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.from_store_id, got.from_store_id);
  EXPECT_EQ(want.user, got.user);
}

void ExpectSame(const BackofficeAllocate& want, const BackofficeAllocate& got) {
  EXPECT_EQ(want.shipment_id, got.shipment_id);
  EXPECT_EQ(want.transfer_id, got.transfer_id);
  EXPECT_EQ(want.special_order_ids, got.special_order_ids);
  EXPECT_EQ(want.user, got.user);
}

void ExpectSame(const BackofficeCancel& want, const BackofficeCancel& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.user, got.user);
}

void ExpectSame(const PoStatusChanged& want, const PoStatusChanged& got) {
  EXPECT_EQ(want.po_id, got.po_id);
  EXPECT_EQ(want.status, got.status);
  EXPECT_EQ(want.previous_status, got.previous_status);
}

void ExpectSame(const ShipmentCompleted& want, const ShipmentCompleted& got) {
  EXPECT_EQ(want.shipment_id, got.shipment_id);
  EXPECT_EQ(want.po_id, got.po_id);
  EXPECT_EQ(want.store_id, got.store_id);
  EXPECT_EQ(want.vendor_id, got.vendor_id);
  ASSERT_EQ(want.lines.size(), got.lines.size());
  for (size_t i = 0; i < want.lines.size(); ++i) {
    SCOPED_TRACE("lines[" + std::to_string(i) + "]");
    EXPECT_EQ(want.lines[i].po_line_id, got.lines[i].po_line_id);
    EXPECT_EQ(want.lines[i].product_id, got.lines[i].product_id);
    EXPECT_EQ(want.lines[i].quantity, got.lines[i].quantity);
  }
}

void ExpectSame(const std::vector<TransferLine>& want, const std::vector<TransferLine>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("lines[" + std::to_string(i) + "]");
    EXPECT_EQ(want[i].product_id, got[i].product_id);
    EXPECT_EQ(want[i].quantity, got[i].quantity);
  }
}

void ExpectSame(const TransferReceived& want, const TransferReceived& got) {
  EXPECT_EQ(want.transfer_id, got.transfer_id);
  EXPECT_EQ(want.from_store_id, got.from_store_id);
  EXPECT_EQ(want.to_store_id, got.to_store_id);
  ExpectSame(want.lines, got.lines);
}

void ExpectSame(const SpecialOrderCreatedEvent& want, const SpecialOrderCreatedEvent& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.order_id, got.order_id);
  EXPECT_EQ(want.order_line_id, got.order_line_id);
  EXPECT_EQ(want.product_id, got.product_id);
  EXPECT_EQ(want.quantity, got.quantity);
  EXPECT_EQ(want.status, got.status);
}

void ExpectSame(const StatusChangedEvent& want, const StatusChangedEvent& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.order_id, got.order_id);
  EXPECT_EQ(want.from, got.from);
  EXPECT_EQ(want.to, got.to);
  EXPECT_EQ(want.rule, got.rule);
  EXPECT_EQ(want.cause_id, got.cause_id);
}

void ExpectSame(const ArrivedEvent& want, const ArrivedEvent& got) {
  EXPECT_EQ(want.kind, got.kind);
  EXPECT_EQ(want.arrival_id, got.arrival_id);
  EXPECT_EQ(want.store_id, got.store_id);
  ASSERT_EQ(want.special_orders.size(), got.special_orders.size());
  for (size_t i = 0; i < want.special_orders.size(); ++i) {
    SCOPED_TRACE("special_orders[" + std::to_string(i) + "]");
    EXPECT_EQ(want.special_orders[i].special_order_id, got.special_orders[i].special_order_id);
    EXPECT_EQ(want.special_orders[i].order_id, got.special_orders[i].order_id);
    EXPECT_EQ(want.special_orders[i].product_id, got.special_orders[i].product_id);
    EXPECT_EQ(want.special_orders[i].quantity, got.special_orders[i].quantity);
  }
}

void ExpectSame(const RejectedEvent& want, const RejectedEvent& got) {
  EXPECT_EQ(want.order_line_id, got.order_line_id);
  EXPECT_EQ(want.reason, got.reason);
}

void ExpectSame(const PurchaseOrderEvent& want, const PurchaseOrderEvent& got) {
  EXPECT_EQ(want.created, got.created);
  EXPECT_EQ(want.po_id, got.po_id);
  EXPECT_EQ(want.vendor_id, got.vendor_id);
  EXPECT_EQ(want.store_id, got.store_id);
  ASSERT_EQ(want.lines.size(), got.lines.size());
  for (size_t i = 0; i < want.lines.size(); ++i) {
    SCOPED_TRACE("lines[" + std::to_string(i) + "]");
    EXPECT_EQ(want.lines[i].po_line_id, got.lines[i].po_line_id);
    EXPECT_EQ(want.lines[i].product_id, got.lines[i].product_id);
    EXPECT_EQ(want.lines[i].quantity, got.lines[i].quantity);
  }
}

void ExpectSame(const TransferRequestedEvent& want, const TransferRequestedEvent& got) {
  EXPECT_EQ(want.transfer_id, got.transfer_id);
  EXPECT_EQ(want.from_store_id, got.from_store_id);
  EXPECT_EQ(want.to_store_id, got.to_store_id);
  ExpectSame(want.lines, got.lines);
}

void ExpectSame(const PromisedEvent& want, const PromisedEvent& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.order_id, got.order_id);
  EXPECT_EQ(want.expected_on, got.expected_on);
  EXPECT_EQ(want.basis, got.basis);
}

void ExpectSame(const ClockOverdue& want, const ClockOverdue& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.promise_seq, got.promise_seq);
}

void ExpectSame(const ClockPickupReminder& want, const ClockPickupReminder& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.days, got.days);
  EXPECT_EQ(want.ready_at, got.ready_at);
}

void ExpectSame(const ClockPickupDeadline& want, const ClockPickupDeadline& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.days, got.days);
  EXPECT_EQ(want.ready_at, got.ready_at);
}

void ExpectSame(const OverdueEvent& want, const OverdueEvent& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.order_id, got.order_id);
  EXPECT_EQ(want.store_id, got.store_id);
  EXPECT_EQ(want.vendor_id, got.vendor_id);
  EXPECT_EQ(want.expected_on, got.expected_on);
  EXPECT_EQ(want.days_late, got.days_late);
}

void ExpectSame(const PickupReminderEvent& want, const PickupReminderEvent& got) {
  EXPECT_EQ(want.special_order_id, got.special_order_id);
  EXPECT_EQ(want.order_id, got.order_id);
  EXPECT_EQ(want.customer_id, got.customer_id);
  EXPECT_EQ(want.ready_since, got.ready_since);
  EXPECT_EQ(want.days, got.days);
}

// Works for so::Payload and so::OutEvent alike.
template <typename Variant>
void ExpectSameAlternative(const Variant& want, const Variant& got) {
  ASSERT_EQ(want.index(), got.index()) << "decoded to a different type";
  std::visit([&got](const auto& w) { ExpectSame(w, std::get<std::decay_t<decltype(w)>>(got)); },
             want);
}

// --- Helpers ---

// The decoded message, or nullopt after a test failure naming the reason.
std::optional<Message> DecodeOk(std::string_view topic, std::string_view body) {
  auto decoded = DecodeMessage(topic, body);
  if (const auto* err = std::get_if<DecodeError>(&decoded)) {
    ADD_FAILURE() << "refused: " << err->reason << "\nbody: " << body;
    return std::nullopt;
  }
  return std::get<Message>(std::move(decoded));
}

// The error, or a DecodeError with an empty reason after a test failure.
DecodeError DecodeFails(std::string_view topic, std::string_view body) {
  auto decoded = DecodeMessage(topic, body);
  if (const auto* err = std::get_if<DecodeError>(&decoded)) return *err;
  ADD_FAILURE() << "accepted: " << body;
  return {};
}

std::optional<DecodedEvent> DecodeEventOk(std::string_view topic, std::string_view body) {
  auto decoded = DecodeEvent(topic, body);
  if (const auto* err = std::get_if<DecodeError>(&decoded)) {
    ADD_FAILURE() << "refused: " << err->reason << "\nbody: " << body;
    return std::nullopt;
  }
  return std::get<DecodedEvent>(std::move(decoded));
}

Envelope SampleEnvelope(std::string type, uint64_t seq) {
  Envelope env;
  env.id = "msg-" + std::to_string(seq);
  env.type = std::move(type);
  env.source = "pos-store12-boot-7";
  env.seq = seq;
  env.occurred_at = At("2026-11-29T20:16:16.123456Z");
  return env;
}

// Encodes m, decodes the result and compares every field with m.
void ExpectRoundTrip(const Payload& payload) {
  Message m{SampleEnvelope(std::string(MessageType(payload)), 41), payload};
  const std::string body = EncodeMessage(m);
  SCOPED_TRACE(body);
  const std::optional<Message> got = DecodeOk(m.envelope.type, body);
  ASSERT_TRUE(got.has_value());
  ExpectSame(m.envelope, got->envelope);
  ExpectSameAlternative(m.payload, got->payload);
}

void ExpectEventRoundTrip(const OutEvent& event, std::string_view type) {
  ASSERT_EQ(EventType(event), type);
  const Timestamp at = At("2026-12-03T09:30:00.5Z");
  const std::string body =
      EncodeEvent(event, "special-ordersd-1-77", "special-ordersd-host1-boot3", 77, at);
  SCOPED_TRACE(body);
  const std::optional<DecodedEvent> got = DecodeEventOk(type, body);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->envelope.v, 1);
  EXPECT_EQ(got->envelope.id, "special-ordersd-1-77");
  EXPECT_EQ(got->envelope.type, type);
  EXPECT_EQ(got->envelope.source, "special-ordersd-host1-boot3");
  EXPECT_EQ(got->envelope.seq, 77u);
  EXPECT_EQ(got->envelope.occurred_at, at);
  ExpectSameAlternative(event, got->event);
}

std::string ReadFixture(const std::string& name) {
  const std::string path = std::string(SO_SOURCE_DIR) + "/tests/fixtures/messages/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A body built from JSON fragments; an empty fragment leaves the field out.
struct Body {
  std::string v = "1";
  std::string id = R"("msg-1")";
  std::string type = R"("order.cancelled")";
  std::string source = R"("pos-a")";
  std::string seq = "1";
  std::string occurred_at = R"("2026-11-29T20:16:16Z")";
  std::string payload = R"({"order_id":42})";

  std::string Json() const {
    std::string out = "{";
    const auto field = [&out](const char* name, const std::string& value) {
      if (value.empty()) return;
      if (out.size() > 1) out += ',';
      out += '"';
      out += name;
      out += "\":";
      out += value;
    };
    field("v", v);
    field("id", id);
    field("type", type);
    field("source", source);
    field("seq", seq);
    field("occurred_at", occurred_at);
    field("payload", payload);
    return out + "}";
  }
};

// A body of the given type with the given payload and a valid envelope.
std::string WithPayload(std::string_view type, std::string payload) {
  Body b;
  b.type = "\"" + std::string(type) + "\"";
  b.payload = std::move(payload);
  return b.Json();
}

// --- Round trips: every POS message type ---

TEST(JsonCodecRoundTripTest, SpecialOrderRequestedKeepsEveryField) {
  SpecialOrderRequested p;
  p.order_id = 5001;
  p.order_line_id = 90017;
  p.store_id = 12;
  p.customer_id = 3040;
  p.product_id = 77123;
  p.quantity = 3;
  p.requested_at = At("2026-11-29T20:16:15.000007Z");
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, OrderLineChangedKeepsZeroQuantity) {
  OrderLineChanged p;
  p.order_id = 5001;
  p.order_line_id = 90017;
  p.special_order_qty = 0;
  ExpectRoundTrip(p);
  p.special_order_qty = 9;
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, OrderCancelledKeepsOrderId) {
  OrderCancelled p;
  p.order_id = std::numeric_limits<Id>::max();
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, OrderPickedUpKeepsLinesInOrder) {
  OrderPickedUp p;
  p.order_id = 5001;
  p.lines = {{90017, 3}, {90019, 1}, {90020, 12}};
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, BackofficeOrderKeepsOptionalVendorAndPo) {
  BackofficeOrder p;
  p.special_order_id = 401;
  p.user = "maria";
  ExpectRoundTrip(p);
  p.vendor_id = 22;
  ExpectRoundTrip(p);
  p.vendor_id.reset();
  p.po_id = 880;
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, BackofficeTransferKeepsEveryField) {
  BackofficeTransfer p;
  p.special_order_id = 404;
  p.from_store_id = 7;
  p.user = "José Ñúñez";
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, BackofficeAllocateKeepsWhichArrivalAndChosenOrders) {
  BackofficeAllocate p;
  p.shipment_id = 3301;
  p.user = "tom";
  ExpectRoundTrip(p);
  p.shipment_id.reset();
  p.transfer_id = 610;
  p.special_order_ids = std::vector<Id>{404, 407};
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, BackofficeCancelKeepsEveryField) {
  BackofficeCancel p;
  p.special_order_id = 405;
  p.user = "tom \"the boss\" \\ <admin>\n";
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, PoStatusChangedKeepsBothStatuses) {
  PoStatusChanged p;
  p.po_id = 880;
  p.status = "open";
  p.previous_status = "draft";
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, ClockMessagesKeepTheirFields) {
  ExpectRoundTrip(ClockOverdue{501, 3});
  ExpectRoundTrip(ClockPickupReminder{501, 7, At("2026-12-03T09:30:00.250Z")});
  ExpectRoundTrip(ClockPickupDeadline{501, 14, At("2026-12-03T09:30:00Z")});
}

TEST(JsonCodecRoundTripTest, ShipmentCompletedKeepsLines) {
  ShipmentCompleted p;
  p.shipment_id = 3301;
  p.po_id = 880;
  p.store_id = 12;
  p.vendor_id = 22;
  p.lines = {{8801, 77123, 6}, {8802, 77124, 2}};
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, TransferReceivedKeepsLines) {
  TransferReceived p;
  p.transfer_id = 610;
  p.from_store_id = 7;
  p.to_store_id = 12;
  p.lines = {{77125, 2}, {77126, 5}};
  ExpectRoundTrip(p);
}

TEST(JsonCodecRoundTripTest, MaxSeqSurvives) {
  Message m{SampleEnvelope("order.cancelled", std::numeric_limits<uint64_t>::max()),
            OrderCancelled{42}};
  const std::optional<Message> got = DecodeOk("order.cancelled", EncodeMessage(m));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->envelope.seq, std::numeric_limits<uint64_t>::max());
}

// --- Round trips: every daemon event type ---

TEST(JsonCodecEventRoundTripTest, SpecialOrderCreated) {
  SpecialOrderCreatedEvent e;
  e.special_order_id = 401;
  e.order_id = 5001;
  e.order_line_id = 90017;
  e.product_id = 77123;
  e.quantity = 3;
  e.status = SoStatus::kRequest;
  ExpectEventRoundTrip(e, "special_order.created");
}

TEST(JsonCodecEventRoundTripTest, StatusChangedKeepsStatusesRuleAndCause) {
  StatusChangedEvent e;
  e.special_order_id = 401;
  e.order_id = 5001;
  e.from = SoStatus::kArrived;
  e.to = SoStatus::kInProgress;
  e.rule = "arrival.allocate";
  e.cause_id = "pos-store12-000191";
  ExpectEventRoundTrip(e, "special_order.status_changed");
  e.from = SoStatus::kReady;
  e.to = SoStatus::kCancelled;
  ExpectEventRoundTrip(e, "special_order.status_changed");
}

TEST(JsonCodecEventRoundTripTest, ArrivedByShipmentAndByTransfer) {
  ArrivedEvent e;
  e.kind = ArrivalKind::kShipment;
  e.arrival_id = 3301;
  e.store_id = 12;
  e.special_orders = {{401, 5001, 77123, 3}, {406, 5007, 77124, 1}};
  ExpectEventRoundTrip(e, "special_order.arrived");
  e.kind = ArrivalKind::kTransfer;
  e.arrival_id = 610;
  ExpectEventRoundTrip(e, "special_order.arrived");
}

TEST(JsonCodecEventRoundTripTest, Rejected) {
  RejectedEvent e;
  e.order_line_id = 90017;
  e.reason = "product 77123 does not allow special orders";
  ExpectEventRoundTrip(e, "special_order.rejected");
}

TEST(JsonCodecEventRoundTripTest, PurchaseOrderCreatedAndLineAdded) {
  PurchaseOrderEvent e;
  e.created = true;
  e.po_id = 880;
  e.vendor_id = 22;
  e.store_id = 12;
  e.lines = {{8801, 77123, 6}};
  ExpectEventRoundTrip(e, "purchase_order.created");
  e.created = false;
  e.lines.push_back({8802, 77124, 2});
  ExpectEventRoundTrip(e, "purchase_order.line_added");
}

TEST(JsonCodecEventRoundTripTest, TransferRequested) {
  TransferRequestedEvent e;
  e.transfer_id = 610;
  e.from_store_id = 7;
  e.to_store_id = 12;
  e.lines = {{77125, 2}};
  ExpectEventRoundTrip(e, "transfer.requested");
}

TEST(JsonCodecEventRoundTripTest, Promised) {
  for (PromiseBasis basis :
       {PromiseBasis::kVendorFromSent, PromiseBasis::kVendorFromNow, PromiseBasis::kTransferDays}) {
    PromisedEvent e;
    e.special_order_id = 501;
    e.order_id = 90017;
    e.expected_on = *ParseDate("2026-12-10");
    e.basis = basis;
    ExpectEventRoundTrip(e, "special_order.promised");
  }
}

TEST(JsonCodecEncodeTest, PromisedEventGivesTheDayAndTheBasis) {
  const std::string body =
      EncodeEvent(PromisedEvent{501, 90017, *ParseDate("2026-12-10"), PromiseBasis::kTransferDays},
                  "d-1", "sod", 1, At("2026-12-03T09:30:00Z"));
  EXPECT_EQ(body.substr(body.find("\"payload\"")),
            R"("payload":{"special_order_id":501,"order_id":90017,"expected_on":"2026-12-10",)"
            R"("basis":"transfer_days"}})");
}

TEST(JsonCodecEventRoundTripTest, OverdueWithAndWithoutVendor) {
  OverdueEvent e{501, 90017, 12, 22, *ParseDate("2026-12-10"), 3};
  ExpectEventRoundTrip(e, "special_order.overdue");
  e.vendor_id.reset();
  e.days_late = 0;
  ExpectEventRoundTrip(e, "special_order.overdue");
}

TEST(JsonCodecEventRoundTripTest, PickupReminder) {
  ExpectEventRoundTrip(PickupReminderEvent{501, 90017, 3001, At("2026-12-03T09:30:00Z"), 7},
                       "special_order.pickup_reminder");
}

TEST(JsonCodecEncodeTest, OverdueAndReminderEventsInTheirDocumentedShape) {
  std::string body =
      EncodeEvent(OverdueEvent{501, 90017, 12, std::nullopt, *ParseDate("2026-12-10"), 2}, "d-1",
                  "sod", 1, At("2026-12-12T00:00:00Z"));
  EXPECT_EQ(body.substr(body.find("\"payload\"")),
            R"("payload":{"special_order_id":501,"order_id":90017,"store_id":12,)"  // no vendor_id
            R"("expected_on":"2026-12-10","days_late":2}})");
  body = EncodeEvent(PickupReminderEvent{501, 90017, 3001, At("2026-12-03T09:30:00Z"), 3}, "d-2",
                     "sod", 2, At("2026-12-06T09:30:00Z"));
  EXPECT_EQ(body.substr(body.find("\"payload\"")),
            R"("payload":{"special_order_id":501,"order_id":90017,"customer_id":3001,)"
            R"("ready_since":"2026-12-03T09:30:00Z","days":3}})");
}

// --- Exact encodings: compact, deterministic, in the contract's field order ---

TEST(JsonCodecEncodeTest, MessageIsCompactInContractOrder) {
  BackofficeOrder p;
  p.special_order_id = 401;
  p.vendor_id = 22;
  p.user = "maria";
  const Message m{SampleEnvelope("backoffice.special_order.order", 3), p};
  EXPECT_EQ(EncodeMessage(m),
            R"({"v":1,"id":"msg-3","type":"backoffice.special_order.order",)"
            R"("source":"pos-store12-boot-7","seq":3,"occurred_at":"2026-11-29T20:16:16.123456Z",)"
            R"("payload":{"special_order_id":401,"vendor_id":22,"user":"maria"}})");
}

TEST(JsonCodecEncodeTest, MessageTypeComesFromThePayloadNotTheEnvelope) {
  Message m{SampleEnvelope("something.else", 3), OrderCancelled{42}};
  const std::optional<Message> got = DecodeOk("order.cancelled", EncodeMessage(m));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->envelope.type, "order.cancelled");
}

TEST(JsonCodecEncodeTest, SameMessageEncodesToSameBytes) {
  ShipmentCompleted p{3301, 880, 12, 22, {{8801, 77123, 6}, {8802, 77124, 2}}};
  const Message m{SampleEnvelope("shipment.completed", 9), p};
  EXPECT_EQ(EncodeMessage(m), EncodeMessage(m));
}

TEST(JsonCodecEncodeTest, ArrivedByTransferCarriesTransferIdOnly) {
  ArrivedEvent e;
  e.kind = ArrivalKind::kTransfer;
  e.arrival_id = 610;
  e.store_id = 12;
  e.special_orders = {{404, 5003, 77125, 2}};
  EXPECT_EQ(EncodeEvent(e, "d-1", "special-ordersd-a", 1, At("2026-12-03T15:00:01Z")),
            R"({"v":1,"id":"d-1","type":"special_order.arrived","source":"special-ordersd-a",)"
            R"("seq":1,"occurred_at":"2026-12-03T15:00:01Z","payload":{"transfer_id":610,)"
            R"("store_id":12,"special_orders":[{"special_order_id":404,"order_id":5003,)"
            R"("product_id":77125,"quantity":2}]}})");
}

TEST(JsonCodecEncodeTest, StatusChangedWritesStatusNames) {
  StatusChangedEvent e{401, 5001, SoStatus::kInProgress, SoStatus::kReady, "dialogue", "m-9"};
  EXPECT_EQ(EncodeEvent(e, "d-2", "sod", 2, At("2026-12-03T15:00:01Z")),
            R"({"v":1,"id":"d-2","type":"special_order.status_changed","source":"sod","seq":2,)"
            R"("occurred_at":"2026-12-03T15:00:01Z","payload":{"special_order_id":401,)"
            R"("order_id":5001,"from":"in_progress","to":"ready","rule":"dialogue",)"
            R"("cause_id":"m-9"}})");
}

TEST(JsonCodecEncodeTest, InvalidUtf8InEventTextIsReplacedSoOutputStaysJson) {
  RejectedEvent e{90017, "bad byte \xff here"};
  const std::string body = EncodeEvent(e, "d-3", "sod", 3, At("2026-12-03T15:00:01Z"));
  const std::optional<DecodedEvent> got = DecodeEventOk("special_order.rejected", body);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(std::get<RejectedEvent>(got->event).reason, "bad byte \xEF\xBF\xBD here");
}

// --- Fixtures: what a real POS sends ---

TEST(JsonCodecFixtureTest, SpecialOrderRequestedValid) {
  const auto m =
      DecodeOk("order.special_order_requested", ReadFixture("special_order_requested_valid.json"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->envelope.id, "pos-store12-000184");
  EXPECT_EQ(m->envelope.type, "order.special_order_requested");
  EXPECT_EQ(m->envelope.source, "pos-store12-boot-7");
  EXPECT_EQ(m->envelope.seq, 184u);
  EXPECT_EQ(m->envelope.occurred_at, At("2026-11-29T20:16:16.25Z"));
  const auto& p = std::get<SpecialOrderRequested>(m->payload);
  EXPECT_EQ(p.order_id, 5001);
  EXPECT_EQ(p.order_line_id, 90017);
  EXPECT_EQ(p.store_id, 12);
  EXPECT_EQ(p.customer_id, 3040);
  EXPECT_EQ(p.product_id, 77123);
  EXPECT_EQ(p.quantity, 3);
  EXPECT_EQ(p.requested_at, At("2026-11-29T20:16:15Z"));
}

TEST(JsonCodecFixtureTest, UnknownExtraFieldsAreIgnoredAtEveryLevel) {
  const auto m = DecodeOk("order.special_order_requested",
                          ReadFixture("special_order_requested_extra_fields.json"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->envelope.seq, 185u);
  // +01:00 is read as the same instant in UTC.
  EXPECT_EQ(m->envelope.occurred_at, At("2026-11-29T20:16:16Z"));
  const auto& p = std::get<SpecialOrderRequested>(m->payload);
  EXPECT_EQ(p.order_id, 5002);
  EXPECT_EQ(p.product_id, 77124);
  EXPECT_EQ(p.quantity, 1);
  EXPECT_EQ(p.requested_at.micros, At("2026-11-29T20:16:15Z").micros + 1);
}

TEST(JsonCodecFixtureTest, OrderLineChangedToZeroRemovesSpecialOrder) {
  const auto m =
      DecodeOk("order.line_changed", ReadFixture("order_line_changed_special_order_removed.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<OrderLineChanged>(m->payload);
  EXPECT_EQ(p.order_id, 5001);
  EXPECT_EQ(p.order_line_id, 90017);
  EXPECT_EQ(p.special_order_qty, 0);
}

TEST(JsonCodecFixtureTest, OrderCancelled) {
  const auto m = DecodeOk("order.cancelled", ReadFixture("order_cancelled_valid.json"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<OrderCancelled>(m->payload).order_id, 5002);
}

TEST(JsonCodecFixtureTest, OrderPickedUpTwoLines) {
  const auto m = DecodeOk("order.picked_up", ReadFixture("order_picked_up_two_lines.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<OrderPickedUp>(m->payload);
  EXPECT_EQ(p.order_id, 5001);
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0].order_line_id, 90017);
  EXPECT_EQ(p.lines[0].quantity, 3);
  EXPECT_EQ(p.lines[1].order_line_id, 90019);
  EXPECT_EQ(p.lines[1].quantity, 1);
}

TEST(JsonCodecFixtureTest, BackofficeOrderVendorSelected) {
  const auto m = DecodeOk("backoffice.special_order.order",
                          ReadFixture("backoffice_order_vendor_selected.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<BackofficeOrder>(m->payload);
  EXPECT_EQ(p.special_order_id, 401);
  EXPECT_EQ(p.vendor_id, std::optional<Id>(22));
  EXPECT_EQ(p.po_id, std::nullopt);
  EXPECT_EQ(p.user, "maria");
}

TEST(JsonCodecFixtureTest, BackofficeOrderWithNullVendorLeavesChoiceToRules) {
  const auto m =
      DecodeOk("backoffice.special_order.order", ReadFixture("backoffice_order_rules_choose.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<BackofficeOrder>(m->payload);
  EXPECT_EQ(p.special_order_id, 402);
  EXPECT_EQ(p.vendor_id, std::nullopt);
  EXPECT_EQ(p.po_id, std::nullopt);
}

TEST(JsonCodecFixtureTest, BackofficeOrderAttachToPo) {
  const auto m =
      DecodeOk("backoffice.special_order.order", ReadFixture("backoffice_order_attach_to_po.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<BackofficeOrder>(m->payload);
  EXPECT_EQ(p.special_order_id, 403);
  EXPECT_EQ(p.vendor_id, std::nullopt);
  EXPECT_EQ(p.po_id, std::optional<Id>(880));
}

TEST(JsonCodecFixtureTest, BackofficeTransfer) {
  const auto m =
      DecodeOk("backoffice.special_order.transfer", ReadFixture("backoffice_transfer_valid.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<BackofficeTransfer>(m->payload);
  EXPECT_EQ(p.special_order_id, 404);
  EXPECT_EQ(p.from_store_id, 7);
  EXPECT_EQ(p.user, "maria");
}

TEST(JsonCodecFixtureTest, BackofficeAllocateWholeShipment) {
  const auto m = DecodeOk("backoffice.special_order.allocate",
                          ReadFixture("backoffice_allocate_shipment_all.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<BackofficeAllocate>(m->payload);
  EXPECT_EQ(p.shipment_id, std::optional<Id>(3301));
  EXPECT_EQ(p.transfer_id, std::nullopt);
  EXPECT_EQ(p.special_order_ids, std::nullopt);
  EXPECT_EQ(p.user, "tom");
}

TEST(JsonCodecFixtureTest, BackofficeAllocateTransferToChosenOrders) {
  const auto m = DecodeOk("backoffice.special_order.allocate",
                          ReadFixture("backoffice_allocate_transfer_chosen_orders.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<BackofficeAllocate>(m->payload);
  EXPECT_EQ(p.shipment_id, std::nullopt);
  EXPECT_EQ(p.transfer_id, std::optional<Id>(610));
  EXPECT_EQ(p.special_order_ids, std::optional<std::vector<Id>>(std::vector<Id>{404, 407}));
}

TEST(JsonCodecFixtureTest, BackofficeCancel) {
  const auto m =
      DecodeOk("backoffice.special_order.cancel", ReadFixture("backoffice_cancel_valid.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<BackofficeCancel>(m->payload);
  EXPECT_EQ(p.special_order_id, 405);
  EXPECT_EQ(p.user, "tom");
}

TEST(JsonCodecFixtureTest, PoStatusChangedSentToVendor) {
  const auto m =
      DecodeOk("po.status_changed", ReadFixture("po_status_changed_sent_to_vendor.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<PoStatusChanged>(m->payload);
  EXPECT_EQ(p.po_id, 880);
  EXPECT_EQ(p.status, "open");
  EXPECT_EQ(p.previous_status, "draft");
}

TEST(JsonCodecFixtureTest, ShipmentCompletedTwoLines) {
  const auto m = DecodeOk("shipment.completed", ReadFixture("shipment_completed_two_lines.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<ShipmentCompleted>(m->payload);
  EXPECT_EQ(p.shipment_id, 3301);
  EXPECT_EQ(p.po_id, 880);
  EXPECT_EQ(p.store_id, 12);
  EXPECT_EQ(p.vendor_id, 22);
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0].po_line_id, 8801);
  EXPECT_EQ(p.lines[0].product_id, 77123);
  EXPECT_EQ(p.lines[0].quantity, 6);
  EXPECT_EQ(p.lines[1].po_line_id, 8802);
  EXPECT_EQ(p.lines[1].product_id, 77124);
  EXPECT_EQ(p.lines[1].quantity, 2);
}

TEST(JsonCodecFixtureTest, TransferReceived) {
  const auto m = DecodeOk("transfer.received", ReadFixture("transfer_received_valid.json"));
  ASSERT_TRUE(m.has_value());
  const auto& p = std::get<TransferReceived>(m->payload);
  EXPECT_EQ(p.transfer_id, 610);
  EXPECT_EQ(p.from_store_id, 7);
  EXPECT_EQ(p.to_store_id, 12);
  ASSERT_EQ(p.lines.size(), 1u);
  EXPECT_EQ(p.lines[0].product_id, 77125);
  EXPECT_EQ(p.lines[0].quantity, 2);
}

struct InvalidFixture {
  const char* file;
  const char* topic;
  const char* reason;
};

TEST(JsonCodecFixtureTest, InvalidFixturesAreRefusedWithReasonAndId) {
  const InvalidFixture cases[] = {
      {"shipment_completed_missing_lines.json", "shipment.completed", "payload.lines: is missing"},
      {"shipment_completed_zero_quantity_line.json", "shipment.completed",
       "payload.lines[1].quantity: must be an integer > 0"},
      {"backoffice_allocate_both_ids.json", "backoffice.special_order.allocate",
       "payload: must have exactly one of shipment_id and transfer_id, not both"},
      {"special_order_requested_seq_float.json", "order.special_order_requested",
       "seq: must be an integer >= 1"},
      {"order_voided_unknown_type.json", "order.voided", "unknown type \"order.voided\""},
  };
  for (const InvalidFixture& c : cases) {
    SCOPED_TRACE(c.file);
    const DecodeError err = DecodeFails(c.topic, ReadFixture(c.file));
    EXPECT_EQ(err.reason, c.reason);
    EXPECT_EQ(err.type, c.topic);
    EXPECT_TRUE(err.message_id.has_value());
  }
}

// --- Invalid input: each refused with a reason naming the offending field ---

struct InvalidCase {
  std::string name;
  std::string topic;
  std::string body;
  std::string reason;  // a substring of the expected reason
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

std::string LongId(size_t n, std::string_view unit) {
  std::string id;
  for (size_t i = 0; i < n; ++i) id += unit;
  return "\"" + id + "\"";
}

// A valid order.special_order_requested body with one payload field's value replaced, or left
// out when value is empty.
std::string Requested(std::string_view field, const std::string& value) {
  const std::pair<std::string_view, std::string> fields[] = {
      {"order_id", "5001"},
      {"order_line_id", "90017"},
      {"store_id", "12"},
      {"customer_id", "3040"},
      {"product_id", "77123"},
      {"quantity", "3"},
      {"requested_at", R"("2026-11-29T20:16:15Z")"},
  };
  std::string payload = "{";
  for (const auto& [name, default_value] : fields) {
    const std::string& v = name == field ? value : default_value;
    if (v.empty()) continue;
    if (payload.size() > 1) payload += ',';
    payload += "\"" + std::string(name) + "\":" + v;
  }
  return WithPayload("order.special_order_requested", payload + "}");
}

std::vector<InvalidCase> InvalidCases() {
  const std::string valid = Body{}.Json();
  const std::string cancelled = "order.cancelled";
  const std::string requested = "order.special_order_requested";
  const std::string allocate = "backoffice.special_order.allocate";
  const std::string shipment = "shipment.completed";
  const std::string picked_up = "order.picked_up";
  const auto ship = [&shipment](const std::string& lines) {
    return WithPayload(
        shipment,
        R"({"shipment_id":1,"po_id":2,"store_id":3,"vendor_id":4,"lines":)" + lines + "}");
  };
  std::string order_id_twice = Requested("", "");
  const std::string payload_start = R"("payload":{)";
  order_id_twice.insert(order_id_twice.find(payload_start) + payload_start.size(),
                        R"("order_id":1,)");
  return {
      // The body is not a JSON object.
      {"NotJson", cancelled, "hello", "body: invalid JSON at offset 0"},
      {"EmptyBody", cancelled, "", "body: invalid JSON"},
      {"JsonArray", cancelled, "[" + valid + "]", "body: must be a JSON object"},
      {"JsonString", cancelled, R"("order.cancelled")", "body: must be a JSON object"},
      {"TrailingGarbage", cancelled, valid + " x", "root must not be followed by other values"},
      {"TwoObjects", cancelled, valid + valid, "root must not be followed by other values"},
      {"TrailingNulThenGarbage", cancelled, valid + std::string("\0{}", 3), "NUL byte"},
      {"TruncatedBody", cancelled, valid.substr(0, valid.size() - 1), "body: invalid JSON"},
      {"InvalidUtf8Byte", cancelled, Body{.source = "\"pos-\xff\""}.Json(), "Invalid encoding"},
      {"OverlongUtf8", cancelled, Body{.source = "\"pos-\xC0\xAF\""}.Json(), "Invalid encoding"},
      {"LoneSurrogateEscape", cancelled, Body{.source = R"("pos-\udc00")"}.Json(),
       "source: must be valid UTF-8"},
      {"Comment", cancelled, "/* hi */" + valid, "body: invalid JSON"},
      {"NaN", cancelled, Body{.seq = "NaN"}.Json(), "body: invalid JSON"},
      {"TrailingComma", cancelled, valid.substr(0, valid.size() - 1) + ",}", "body: invalid JSON"},
      {"SingleQuotes", cancelled, Body{.source = "'pos-a'"}.Json(), "body: invalid JSON"},
      // Envelope.
      {"VersionTwo", cancelled, Body{.v = "2"}.Json(), "v: unsupported contract version 2"},
      {"VersionString", cancelled, Body{.v = R"("1")"}.Json(), "v: must be the integer 1"},
      {"VersionFloat", cancelled, Body{.v = "1.0"}.Json(), "v: must be the integer 1"},
      {"VersionMissing", cancelled, Body{.v = ""}.Json(), "v: is missing"},
      {"IdEmpty", cancelled, Body{.id = R"("")"}.Json(), "id: must be a string of 1-64 characters"},
      {"IdTooLong", cancelled, Body{.id = LongId(65, "a")}.Json(),
       "id: must be a string of 1-64 characters"},
      {"IdTooManyCharacters", cancelled, Body{.id = LongId(65, "\xC3\xA9")}.Json(),
       "id: must be a string of 1-64 characters"},
      {"IdNumber", cancelled, Body{.id = "17"}.Json(), "id: must be a string of 1-64 characters"},
      {"IdMissing", cancelled, Body{.id = ""}.Json(), "id: is missing"},
      {"IdTwice", cancelled, R"({"id":"a",)" + valid.substr(1), "id: is given more than once"},
      {"TypeNotTopic", cancelled, Body{.type = R"("order.picked_up")"}.Json(),
       R"(type: "order.picked_up" does not match the topic frame "order.cancelled")"},
      {"TypeMissing", cancelled, Body{.type = ""}.Json(), "type: is missing"},
      {"TypeNumber", cancelled, Body{.type = "3"}.Json(), "type: must be a string"},
      {"SourceEmpty", cancelled, Body{.source = R"("")"}.Json(),
       "source: must be a non-empty string"},
      {"SourceNumber", cancelled, Body{.source = "12"}.Json(),
       "source: must be a non-empty string"},
      {"SeqZero", cancelled, Body{.seq = "0"}.Json(), "seq: must be an integer >= 1"},
      {"SeqNegative", cancelled, Body{.seq = "-1"}.Json(), "seq: must be an integer >= 1"},
      {"SeqFraction", cancelled, Body{.seq = "1.5"}.Json(), "seq: must be an integer >= 1"},
      {"SeqWholeFloat", cancelled, Body{.seq = "3.0"}.Json(), "seq: must be an integer >= 1"},
      {"SeqExponent", cancelled, Body{.seq = "1e3"}.Json(), "seq: must be an integer >= 1"},
      {"SeqString", cancelled, Body{.seq = R"("1")"}.Json(), "seq: must be an integer >= 1"},
      {"SeqAboveUint64", cancelled, Body{.seq = "18446744073709551616"}.Json(),
       "seq: must be an integer >= 1"},
      {"SeqNull", cancelled, Body{.seq = "null"}.Json(), "seq: must be an integer >= 1"},
      {"SeqMissing", cancelled, Body{.seq = ""}.Json(), "seq: is missing"},
      {"OccurredAtSqlForm", cancelled, Body{.occurred_at = R"("2026-11-29 20:16:16")"}.Json(),
       "occurred_at: must be an RFC 3339 timestamp"},
      {"OccurredAtNoZone", cancelled, Body{.occurred_at = R"("2026-11-29T20:16:16")"}.Json(),
       "occurred_at: must be an RFC 3339 timestamp"},
      {"OccurredAtFeb30", cancelled, Body{.occurred_at = R"("2026-02-30T00:00:00Z")"}.Json(),
       "occurred_at: must be an RFC 3339 timestamp"},
      {"OccurredAtEpochNumber", cancelled, Body{.occurred_at = "1764447376"}.Json(),
       "occurred_at: must be an RFC 3339 timestamp"},
      {"OccurredAtMissing", cancelled, Body{.occurred_at = ""}.Json(), "occurred_at: is missing"},
      {"PayloadArray", cancelled, Body{.payload = "[]"}.Json(), "payload: must be an object"},
      {"PayloadNull", cancelled, Body{.payload = "null"}.Json(), "payload: must be an object"},
      {"PayloadMissing", cancelled, Body{.payload = ""}.Json(), "payload: is missing"},
      // Types outside section 3.
      {"UnknownType", "order.voided", Body{.type = R"("order.voided")"}.Json(),
       R"(unknown type "order.voided")"},
      {"DaemonEventTypeIsNotAPosMessage", "special_order.created",
       Body{.type = R"("special_order.created")"}.Json(), "unknown type"},
      // order.special_order_requested.
      {"RequestedQuantityZero", requested, Requested("quantity", "0"),
       "payload.quantity: must be an integer > 0"},
      {"RequestedQuantityNegative", requested, Requested("quantity", "-2"),
       "payload.quantity: must be an integer > 0"},
      {"RequestedQuantityFraction", requested, Requested("quantity", "2.5"),
       "payload.quantity: must be an integer > 0"},
      {"RequestedQuantityString", requested, Requested("quantity", R"("3")"),
       "payload.quantity: must be an integer > 0"},
      {"RequestedQuantityBool", requested, Requested("quantity", "true"),
       "payload.quantity: must be an integer > 0"},
      {"RequestedOrderIdZero", requested, Requested("order_id", "0"),
       "payload.order_id: must be an integer > 0"},
      {"RequestedOrderIdString", requested, Requested("order_id", R"("5001")"),
       "payload.order_id: must be an integer > 0"},
      {"RequestedOrderIdAboveInt64", requested, Requested("order_id", "9223372036854775808"),
       "payload.order_id: must be an integer > 0"},
      {"RequestedCustomerNull", requested, Requested("customer_id", "null"),
       "payload.customer_id: must be an integer > 0"},
      {"RequestedStoreMissing", requested, Requested("store_id", ""),
       "payload.store_id: is missing"},
      {"RequestedAtMissing", requested, Requested("requested_at", ""),
       "payload.requested_at: is missing"},
      {"RequestedAtBad", requested, Requested("requested_at", R"("yesterday")"),
       "payload.requested_at: must be an RFC 3339 timestamp"},
      {"RequestedFieldTwice", requested, order_id_twice,
       "payload.order_id: is given more than once"},
      // order.line_changed.
      {"LineChangedNegativeQty", "order.line_changed",
       WithPayload("order.line_changed",
                   R"({"order_id":1,"order_line_id":2,"special_order_qty":-1})"),
       "payload.special_order_qty: must be an integer >= 0"},
      {"LineChangedQtyMissing", "order.line_changed",
       WithPayload("order.line_changed", R"({"order_id":1,"order_line_id":2})"),
       "payload.special_order_qty: is missing"},
      // order.cancelled.
      {"CancelledOrderIdNegative", cancelled, Body{.payload = R"({"order_id":-42})"}.Json(),
       "payload.order_id: must be an integer > 0"},
      // order.picked_up.
      {"PickedUpNoLines", picked_up, WithPayload(picked_up, R"({"order_id":1,"lines":[]})"),
       "payload.lines: must be a non-empty array"},
      {"PickedUpLinesObject", picked_up, WithPayload(picked_up, R"({"order_id":1,"lines":{}})"),
       "payload.lines: must be a non-empty array"},
      {"PickedUpLineNotObject", picked_up,
       WithPayload(picked_up, R"({"order_id":1,"lines":[{"order_line_id":5,"quantity":1},7]})"),
       "payload.lines[1]: must be an object"},
      {"PickedUpLineZeroQuantity", picked_up,
       WithPayload(picked_up, R"({"order_id":1,"lines":[{"order_line_id":5,"quantity":0}]})"),
       "payload.lines[0].quantity: must be an integer > 0"},
      {"PickedUpLineIdMissing", picked_up,
       WithPayload(picked_up, R"({"order_id":1,"lines":[{"quantity":2}]})"),
       "payload.lines[0].order_line_id: is missing"},
      // backoffice.special_order.order / transfer / cancel.
      {"BackofficeOrderUserMissing", "backoffice.special_order.order",
       WithPayload("backoffice.special_order.order", R"({"special_order_id":1,"vendor_id":2})"),
       "payload.user: is missing"},
      {"BackofficeOrderUserEmpty", "backoffice.special_order.order",
       WithPayload("backoffice.special_order.order", R"({"special_order_id":1,"user":""})"),
       "payload.user: must be a non-empty string"},
      {"BackofficeOrderUserNumber", "backoffice.special_order.order",
       WithPayload("backoffice.special_order.order", R"({"special_order_id":1,"user":7})"),
       "payload.user: must be a non-empty string"},
      {"BackofficeOrderVendorZero", "backoffice.special_order.order",
       WithPayload("backoffice.special_order.order",
                   R"({"special_order_id":1,"vendor_id":0,"user":"u"})"),
       "payload.vendor_id: must be an integer > 0"},
      {"BackofficeOrderPoString", "backoffice.special_order.order",
       WithPayload("backoffice.special_order.order",
                   R"({"special_order_id":1,"po_id":"880","user":"u"})"),
       "payload.po_id: must be an integer > 0"},
      {"BackofficeTransferFromStoreMissing", "backoffice.special_order.transfer",
       WithPayload("backoffice.special_order.transfer", R"({"special_order_id":1,"user":"u"})"),
       "payload.from_store_id: is missing"},
      {"BackofficeCancelIdMissing", "backoffice.special_order.cancel",
       WithPayload("backoffice.special_order.cancel", R"({"user":"u"})"),
       "payload.special_order_id: is missing"},
      // backoffice.special_order.allocate.
      {"AllocateBothIds", allocate,
       WithPayload(allocate, R"({"shipment_id":1,"transfer_id":2,"user":"u"})"),
       "payload: must have exactly one of shipment_id and transfer_id, not both"},
      {"AllocateNeitherId", allocate, WithPayload(allocate, R"({"user":"u"})"),
       "payload: must have exactly one of shipment_id and transfer_id, found neither"},
      {"AllocateBothNull", allocate,
       WithPayload(allocate, R"({"shipment_id":null,"transfer_id":null,"user":"u"})"),
       "found neither"},
      {"AllocateShipmentIdString", allocate,
       WithPayload(allocate, R"({"shipment_id":"1","user":"u"})"),
       "payload.shipment_id: must be an integer > 0"},
      {"AllocateEmptyOrderList", allocate,
       WithPayload(allocate, R"({"transfer_id":2,"special_order_ids":[],"user":"u"})"),
       "payload.special_order_ids: must be a non-empty array of ids"},
      {"AllocateNegativeOrderId", allocate,
       WithPayload(allocate, R"({"transfer_id":2,"special_order_ids":[4,-3],"user":"u"})"),
       "payload.special_order_ids[1]: must be an integer > 0"},
      {"AllocateUserMissing", allocate, WithPayload(allocate, R"({"transfer_id":2})"),
       "payload.user: is missing"},
      // po.status_changed.
      {"PoStatusEmpty", "po.status_changed",
       WithPayload("po.status_changed", R"({"po_id":1,"status":"","previous_status":"draft"})"),
       "payload.status: must be a non-empty string"},
      {"PoPreviousStatusNumber", "po.status_changed",
       WithPayload("po.status_changed", R"({"po_id":1,"status":"open","previous_status":0})"),
       "payload.previous_status: must be a non-empty string"},
      // shipment.completed.
      {"ShipmentLinesMissing", shipment,
       WithPayload(shipment, R"({"shipment_id":1,"po_id":2,"store_id":3,"vendor_id":4})"),
       "payload.lines: is missing"},
      {"ShipmentThirdLineNegative", shipment,
       ship(R"([{"po_line_id":1,"product_id":1,"quantity":1},)"
            R"({"po_line_id":2,"product_id":2,"quantity":2},)"
            R"({"po_line_id":3,"product_id":3,"quantity":-1}])"),
       "payload.lines[2].quantity: must be an integer > 0"},
      {"ShipmentLinePoLineMissing", shipment, ship(R"([{"product_id":1,"quantity":1}])"),
       "payload.lines[0].po_line_id: is missing"},
      {"ShipmentVendorMissing", shipment,
       WithPayload(shipment, R"({"shipment_id":1,"po_id":2,"store_id":3,"lines":[]})"),
       "payload.vendor_id: is missing"},
      // transfer.received.
      {"TransferToStoreMissing", "transfer.received",
       WithPayload(
           "transfer.received",
           R"({"transfer_id":1,"from_store_id":2,"lines":[{"product_id":1,"quantity":1}]})"),
       "payload.to_store_id: is missing"},
      {"TransferLinesString", "transfer.received",
       WithPayload("transfer.received",
                   R"({"transfer_id":1,"from_store_id":2,"to_store_id":3,"lines":"x"})"),
       "payload.lines: must be a non-empty array"},
      {"TransferLineQuantityFloat", "transfer.received",
       WithPayload("transfer.received", R"({"transfer_id":1,"from_store_id":2,"to_store_id":3,)"
                                        R"("lines":[{"product_id":1,"quantity":1.0}]})"),
       "payload.lines[0].quantity: must be an integer > 0"},
  };
}

class JsonCodecInvalidTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(JsonCodecInvalidTest, IsRefusedWithReasonNamingTheField) {
  const InvalidCase& c = GetParam();
  const DecodeError err = DecodeFails(c.topic, c.body);
  EXPECT_NE(err.reason.find(c.reason), std::string::npos)
      << "reason: " << err.reason << "\nwanted: " << c.reason << "\nbody: " << c.body;
}

INSTANTIATE_TEST_SUITE_P(Contract, JsonCodecInvalidTest, testing::ValuesIn(InvalidCases()),
                         [](const testing::TestParamInfo<InvalidCase>& param_info) {
                           return param_info.param.name;
                         });

// --- What a refused message still tells about itself ---

TEST(JsonCodecErrorTest, UnknownTypeKeepsIdAndType) {
  const DecodeError err =
      DecodeFails("order.voided", Body{.id = R"("m-77")", .type = R"("order.voided")"}.Json());
  EXPECT_EQ(err.reason.rfind("unknown type", 0), 0u) << err.reason;
  EXPECT_EQ(err.message_id, std::optional<std::string>("m-77"));
  EXPECT_EQ(err.type, "order.voided");
}

TEST(JsonCodecErrorTest, UnknownTypeWithAValidEnvelopeKeepsTheEnvelope) {
  const DecodeError err = DecodeFails("order.voided", Body{.id = R"("m-77")",
                                                           .type = R"("order.voided")",
                                                           .seq = "196",
                                                           .payload = R"({"anything":[1,2]})"}
                                                          .Json());
  ASSERT_TRUE(err.unknown_type.has_value());
  EXPECT_EQ(err.unknown_type->id, "m-77");
  EXPECT_EQ(err.unknown_type->type, "order.voided");
  EXPECT_EQ(err.unknown_type->source, "pos-a");
  EXPECT_EQ(err.unknown_type->seq, 196u);
}

TEST(JsonCodecErrorTest, UnknownTypeWithABadEnvelopeIsMalformed) {
  const DecodeError err =
      DecodeFails("order.voided", Body{.type = R"("order.voided")", .seq = "0"}.Json());
  EXPECT_FALSE(err.unknown_type.has_value());
  EXPECT_EQ(err.reason, "seq: must be an integer >= 1");
}

TEST(JsonCodecErrorTest, AKnownTypeWithABadPayloadIsNoUnknownType) {
  EXPECT_FALSE(DecodeFails("order.cancelled", Body{.payload = "{}"}.Json()).unknown_type);
}

TEST(JsonCodecErrorTest, BadPayloadKeepsIdAndType) {
  const DecodeError err =
      DecodeFails("order.cancelled", Body{.id = R"("m-78")", .payload = "{}"}.Json());
  EXPECT_EQ(err.reason, "payload.order_id: is missing");
  EXPECT_EQ(err.message_id, std::optional<std::string>("m-78"));
  EXPECT_EQ(err.type, "order.cancelled");
}

TEST(JsonCodecErrorTest, IdIsKeptEvenWhenAnEarlierFieldIsBad) {
  const DecodeError err = DecodeFails("order.cancelled", Body{.v = "2", .id = R"("m-79")"}.Json());
  EXPECT_EQ(err.message_id, std::optional<std::string>("m-79"));
}

TEST(JsonCodecErrorTest, InvalidIdIsNotReported) {
  const DecodeError err = DecodeFails("order.cancelled", Body{.id = LongId(65, "x")}.Json());
  EXPECT_EQ(err.message_id, std::nullopt);
  EXPECT_EQ(err.type, "order.cancelled");
}

TEST(JsonCodecErrorTest, MismatchedTypeReportsTheEnvelopeType) {
  const DecodeError err =
      DecodeFails("order.cancelled", Body{.type = R"("order.picked_up")"}.Json());
  EXPECT_EQ(err.type, "order.picked_up");
  EXPECT_EQ(err.message_id, std::optional<std::string>("msg-1"));
}

TEST(JsonCodecErrorTest, UnparsableBodyReportsTheTopic) {
  const DecodeError err = DecodeFails("shipment.completed", "{\"id\":\"m-80\",");
  EXPECT_EQ(err.type, "shipment.completed");
  EXPECT_EQ(err.message_id, std::nullopt);
  EXPECT_EQ(err.reason.rfind("body: invalid JSON", 0), 0u) << err.reason;
}

// --- Edges that are accepted ---

TEST(JsonCodecAcceptTest, IdOfSixtyFourCharactersIsAccepted) {
  const auto ascii = DecodeOk("order.cancelled", Body{.id = LongId(64, "a")}.Json());
  ASSERT_TRUE(ascii.has_value());
  EXPECT_EQ(ascii->envelope.id, std::string(64, 'a'));
  // Characters, not bytes: 64 two-byte characters are 128 bytes.
  const auto wide = DecodeOk("order.cancelled", Body{.id = LongId(64, "\xC3\xA9")}.Json());
  ASSERT_TRUE(wide.has_value());
  EXPECT_EQ(wide->envelope.id.size(), 128u);
}

TEST(JsonCodecAcceptTest, OffsetTimestampIsReadAsUtc) {
  const auto m =
      DecodeOk("order.cancelled", Body{.occurred_at = R"("2026-11-29T15:16:16.5-05:00")"}.Json());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->envelope.occurred_at, At("2026-11-29T20:16:16.5Z"));
}

TEST(JsonCodecAcceptTest, DuplicatedUnknownFieldsAreIgnored) {
  const auto m =
      DecodeOk("order.cancelled", Body{.payload = R"({"x":1,"order_id":42,"x":"two"})"}.Json());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<OrderCancelled>(m->payload).order_id, 42);
}

TEST(JsonCodecAcceptTest, WhitespaceAroundTheBodyIsAllowed) {
  const auto m = DecodeOk("order.cancelled", " \n\t" + Body{}.Json() + "\r\n ");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<OrderCancelled>(m->payload).order_id, 42);
}

TEST(JsonCodecAcceptTest, DeeplyNestedUnknownFieldDoesNotExhaustTheStack) {
  const size_t depth = 200000;
  const std::string nested = std::string(depth, '[') + std::string(depth, ']');
  const auto m = DecodeOk("order.cancelled",
                          Body{.payload = R"({"order_id":42,"deep":)" + nested + "}"}.Json());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<OrderCancelled>(m->payload).order_id, 42);
}

TEST(JsonCodecAcceptTest, EscapedUnicodeInStringsIsDecoded) {
  const auto m = DecodeOk("backoffice.special_order.cancel",
                          WithPayload("backoffice.special_order.cancel",
                                      R"({"special_order_id":1,"user":"Jos\u00e9 \ud83d\ude00"})"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<BackofficeCancel>(m->payload).user, "Jos\xC3\xA9 \xF0\x9F\x98\x80");
}

// --- Events: what DecodeEvent refuses ---

TEST(JsonCodecDecodeEventTest, RefusesPosMessageTypes) {
  auto decoded = DecodeEvent("order.cancelled", Body{}.Json());
  ASSERT_TRUE(std::holds_alternative<DecodeError>(decoded));
  EXPECT_EQ(std::get<DecodeError>(decoded).reason, R"(unknown type "order.cancelled")");
  EXPECT_EQ(std::get<DecodeError>(decoded).message_id, std::optional<std::string>("msg-1"));
}

TEST(JsonCodecDecodeEventTest, RefusesInvalidPayloads) {
  struct Case {
    const char* type;
    const char* payload;
    const char* reason;
  };
  const Case cases[] = {
      {"special_order.created",
       R"({"special_order_id":1,"order_id":2,"order_line_id":3,"product_id":4,"quantity":1,)"
       R"("status":"lost"})",
       "payload.status: must be a special-order status"},
      {"special_order.status_changed",
       R"({"special_order_id":1,"order_id":2,"from":"request","to":"ordered","cause_id":"m"})",
       "payload.rule: is missing"},
      {"special_order.arrived",
       R"({"shipment_id":1,"transfer_id":2,"store_id":3,"special_orders":[]})",
       "payload: must have exactly one of shipment_id and transfer_id, not both"},
      {"special_order.arrived", R"({"shipment_id":1,"store_id":3,"special_orders":[]})",
       "payload.special_orders: must be a non-empty array"},
      {"special_order.rejected", R"({"order_line_id":1,"reason":""})",
       "payload.reason: must be a non-empty string"},
      {"purchase_order.created",
       R"({"po_id":1,"vendor_id":2,"store_id":3,"lines":[{"po_line_id":4,"product_id":5,)"
       R"("quantity":0}]})",
       "payload.lines[0].quantity: must be an integer > 0"},
      {"transfer.requested", R"({"transfer_id":1,"from_store_id":2,"to_store_id":0,"lines":[]})",
       "payload.to_store_id: must be an integer > 0"},
      {"special_order.promised",
       R"({"special_order_id":1,"order_id":2,"expected_on":"2026-02-30","basis":"transfer_days"})",
       "payload.expected_on: must be a date YYYY-MM-DD"},
      {"special_order.promised",
       R"({"special_order_id":1,"order_id":2,"expected_on":"2026-02-03","basis":"soon"})",
       "payload.basis: must be vendor_lead_time_from_sent, vendor_lead_time_from_now or "
       "transfer_days"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    auto decoded = DecodeEvent(c.type, WithPayload(c.type, c.payload));
    ASSERT_TRUE(std::holds_alternative<DecodeError>(decoded));
    EXPECT_EQ(std::get<DecodeError>(decoded).reason, c.reason);
  }
}

TEST(JsonCodecDecodeEventTest, EnvelopeRulesApplyToEvents) {
  RejectedEvent e{90017, "no vendor"};
  std::string body = EncodeEvent(e, "d-1", "sod", 1, At("2026-12-03T15:00:01Z"));
  auto decoded = DecodeEvent("special_order.created", body);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(decoded));
  EXPECT_NE(std::get<DecodeError>(decoded).reason.find("does not match the topic frame"),
            std::string::npos);
  decoded = DecodeEvent("special_order.rejected",
                        EncodeEvent(e, std::string(65, 'i'), "sod", 1, Timestamp{}));
  ASSERT_TRUE(std::holds_alternative<DecodeError>(decoded));
  EXPECT_EQ(std::get<DecodeError>(decoded).reason, "id: must be a string of 1-64 characters");
  decoded = DecodeEvent("special_order.rejected", EncodeEvent(e, "d-1", "sod", 0, Timestamp{}));
  ASSERT_TRUE(std::holds_alternative<DecodeError>(decoded));
  EXPECT_EQ(std::get<DecodeError>(decoded).reason, "seq: must be an integer >= 1");
}

}  // namespace
}  // namespace so::json
