#include "adapters/json_codec.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "rules/model.hpp"

namespace so::json {
namespace {

using rapidjson::Value;

// Iterative parsing keeps a deeply nested body from exhausting the stack. The flags left out
// matter as much: no comments, no NaN/Infinity, no trailing commas, and (without
// kParseStopWhenDoneFlag) nothing but whitespace after the root value.
constexpr unsigned kParseFlags =
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

constexpr size_t kMaxIdChars = 64;

// --- UTF-8 ---

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when there is none. RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF. rapidjson validates the raw bytes
// but still turns an escaped lone low surrogate ("\udc00") into bytes that are not UTF-8, and the
// database would refuse those, so decoded strings are checked again here.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&s](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 == 0xE0) {
    n = 3;
    lo = 0xA0;
  } else if (b0 == 0xED) {
    n = 3;
    hi = 0x9F;
  } else if (b0 >= 0xE1 && b0 <= 0xEF) {
    n = 3;
  } else if (b0 == 0xF0) {
    n = 4;
    lo = 0x90;
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    n = 4;
  } else if (b0 == 0xF4) {
    n = 4;
    hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// The number of characters (code points) of s, or nullopt when s is not UTF-8.
std::optional<size_t> CountChars(std::string_view s) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++chars) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return std::nullopt;
    i += n;
  }
  return chars;
}

// s with every byte that does not start a well-formed sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s) {
  // Nearly every string the daemon writes is ASCII: taken whole, not byte by byte.
  if (std::all_of(s.begin(), s.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(s);
  }
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string_view View(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

bool IsValidId(const Value& v) {
  if (!v.IsString()) return false;
  const std::optional<size_t> chars = CountChars(View(v));
  return chars && *chars >= 1 && *chars <= kMaxIdChars;
}

// --- Reading ---

std::string Join(std::string_view path, std::string_view name) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out += name;
  return out;
}

std::string Element(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

struct Lookup {
  const Value* value = nullptr;  // the first member with the name, nullptr when there is none
  bool duplicate = false;
};

// Linear in the number of members, so a body with many unknown fields costs no more than reading
// it did; duplicates are only looked for among the names the contract gives.
Lookup Find(const Value& object, std::string_view name) {
  Lookup found;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (View(it->name) != name) continue;
    if (found.value != nullptr) {
      found.duplicate = true;
      break;
    }
    found.value = &it->value;
  }
  return found;
}

// Reads the fields of one JSON object the contract defines. The first problem found anywhere is
// kept in the shared error string, named by its path; reads after a problem return placeholders
// that the caller throws away once it sees the error.
class ObjectReader {
 public:
  ObjectReader(const Value& object, std::string path, std::string& error)
      : object_(object), path_(std::move(path)), error_(error) {}

  bool ok() const { return error_.empty(); }

  void Fail(std::string_view name, std::string_view what) {
    if (!ok()) return;
    error_ = (name.empty() ? path_ : Join(path_, name)) + ": " + std::string(what);
  }

  // The member, or nullptr after recording that it is missing or given twice.
  const Value* Required(std::string_view name) {
    const Lookup found = Find(object_, name);
    if (found.duplicate) {
      Fail(name, "is given more than once");
      return nullptr;
    }
    if (found.value == nullptr) Fail(name, "is missing");
    return found.value;
  }

  // The member, or nullptr when it is absent or null (or given twice, which is recorded).
  const Value* Optional(std::string_view name) {
    const Lookup found = Find(object_, name);
    if (found.duplicate) {
      Fail(name, "is given more than once");
      return nullptr;
    }
    return found.value != nullptr && !found.value->IsNull() ? found.value : nullptr;
  }

  bool Has(std::string_view name) const {
    const Lookup found = Find(object_, name);
    return found.value != nullptr && !found.value->IsNull();
  }

  Id RowId(std::string_view name) { return Integer(Required(name), name, 1); }

  std::optional<Id> OptionalRowId(std::string_view name) {
    const Value* v = Optional(name);
    if (v == nullptr) return std::nullopt;
    return Integer(v, name, 1);
  }

  Qty Quantity(std::string_view name, Qty min) { return Integer(Required(name), name, min); }

  // A string that must not be empty.
  std::string Text(std::string_view name) { return String(name, /*allow_empty=*/false); }

  std::string String(std::string_view name, bool allow_empty) {
    const Value* v = Required(name);
    if (v == nullptr) return {};
    const char* const what = allow_empty ? "must be a string" : "must be a non-empty string";
    if (!v->IsString() || (!allow_empty && v->GetStringLength() == 0)) {
      Fail(name, what);
      return {};
    }
    if (!CountChars(View(*v))) {
      Fail(name, "must be valid UTF-8");
      return {};
    }
    return std::string(View(*v));
  }

  Timestamp Time(std::string_view name) {
    return Parsed(
        name, [](std::string_view t) { return ParseRfc3339(t); }, "must be an RFC 3339 timestamp");
  }

  // "2026-12-10", a calendar day (UTC).
  Timestamp Date(std::string_view name) {
    return Parsed(
        name, [](std::string_view t) { return ParseDate(t); }, "must be a date YYYY-MM-DD");
  }

  PromiseBasis Basis(std::string_view name) {
    return Parsed(
        name, [](std::string_view t) { return ParsePromiseBasis(t); },
        "must be vendor_lead_time_from_sent, vendor_lead_time_from_now or transfer_days");
  }

  SoStatus Status(std::string_view name) {
    return Parsed(
        name, [](std::string_view t) { return ParseSoStatus(t); },
        "must be a special-order status");
  }

  // A required non-empty array of objects, each read by read().
  template <typename T>
  std::vector<T> Objects(std::string_view name, T (*read)(ObjectReader&)) {
    std::vector<T> out;
    const Value* v = Required(name);
    if (v == nullptr) return out;
    if (!v->IsArray() || v->Empty()) {
      Fail(name, "must be a non-empty array");
      return out;
    }
    const std::string array_path = Join(path_, name);
    out.reserve(v->Size());
    for (rapidjson::SizeType i = 0; i < v->Size() && ok(); ++i) {
      const std::string element_path = Element(array_path, i);
      if (!(*v)[i].IsObject()) {
        error_ = element_path + ": must be an object";
        break;
      }
      ObjectReader element((*v)[i], element_path, error_);
      out.push_back(read(element));
    }
    return out;
  }

  // An optional non-empty array of row ids.
  std::optional<std::vector<Id>> OptionalIds(std::string_view name) {
    const Value* v = Optional(name);
    if (v == nullptr) return std::nullopt;
    if (!v->IsArray() || v->Empty()) {
      Fail(name, "must be a non-empty array of ids");
      return std::nullopt;
    }
    const std::string array_path = Join(path_, name);
    std::vector<Id> ids;
    ids.reserve(v->Size());
    for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
      const Value& id = (*v)[i];
      if (!id.IsInt64() || id.GetInt64() < 1) {
        if (ok()) error_ = Element(array_path, i) + ": must be an integer > 0";
        return std::nullopt;
      }
      ids.push_back(id.GetInt64());
    }
    return ids;
  }

  // Exactly one of two ids must be given; returns which one (true: the first) and its value.
  std::pair<bool, Id> OneOf(std::string_view first, std::string_view second) {
    const bool has_first = Has(first);
    const bool has_second = Has(second);
    if (has_first == has_second) {
      Fail("", "must have exactly one of " + std::string(first) + " and " + std::string(second) +
                   (has_first ? ", not both" : ", found neither"));
      return {true, 0};
    }
    return has_first ? std::pair{true, RowId(first)} : std::pair{false, RowId(second)};
  }

 private:
  // A required string that `parse` turns into a value (an optional); else the failure `what`.
  template <typename Parse>
  auto Parsed(std::string_view name, Parse parse, std::string_view what)
      -> std::decay_t<decltype(*parse(std::string_view()))> {
    const Value* v = Required(name);
    if (v == nullptr) return {};
    decltype(parse(std::string_view())) parsed;
    if (v->IsString()) parsed = parse(View(*v));
    if (!parsed) {
      Fail(name, what);
      return {};
    }
    return *parsed;
  }

  int64_t Integer(const Value* v, std::string_view name, int64_t min) {
    if (v == nullptr) return 0;
    if (!v->IsInt64() || v->GetInt64() < min) {
      Fail(name, min == 0 ? "must be an integer >= 0" : "must be an integer > 0");
      return 0;
    }
    return v->GetInt64();
  }

  const Value& object_;
  std::string path_;
  std::string& error_;
};

// --- POS messages (section 3), in the order of the so::Payload alternatives ---

constexpr std::array<std::string_view, 14> kMessageTypes = {
    "order.special_order_requested",
    "order.line_changed",
    "order.cancelled",
    "order.picked_up",
    "backoffice.special_order.order",
    "backoffice.special_order.transfer",
    "backoffice.special_order.allocate",
    "backoffice.special_order.cancel",
    "po.status_changed",
    "shipment.completed",
    "transfer.received",
    // The daemon's own timed messages (never on the bus: the subscriber does not subscribe to
    // them), kept in dead letters and flight records as bus JSON like the others.
    "clock.overdue",
    "clock.pickup_reminder",
    "clock.pickup_deadline",
};
static_assert(kMessageTypes.size() == std::variant_size_v<Payload>);

PickedUpLine ReadPickedUpLine(ObjectReader& r) {
  PickedUpLine line;
  line.order_line_id = r.RowId("order_line_id");
  line.quantity = r.Quantity("quantity", 1);
  return line;
}

ShipmentLine ReadShipmentLine(ObjectReader& r) {
  ShipmentLine line;
  line.po_line_id = r.RowId("po_line_id");
  line.product_id = r.RowId("product_id");
  line.quantity = r.Quantity("quantity", 1);
  return line;
}

TransferLine ReadTransferLine(ObjectReader& r) {
  TransferLine line;
  line.product_id = r.RowId("product_id");
  line.quantity = r.Quantity("quantity", 1);
  return line;
}

Payload ReadSpecialOrderRequested(ObjectReader& r) {
  SpecialOrderRequested p;
  p.order_id = r.RowId("order_id");
  p.order_line_id = r.RowId("order_line_id");
  p.store_id = r.RowId("store_id");
  p.customer_id = r.RowId("customer_id");
  p.product_id = r.RowId("product_id");
  p.quantity = r.Quantity("quantity", 1);
  p.requested_at = r.Time("requested_at");
  return p;
}

Payload ReadOrderLineChanged(ObjectReader& r) {
  OrderLineChanged p;
  p.order_id = r.RowId("order_id");
  p.order_line_id = r.RowId("order_line_id");
  p.special_order_qty = r.Quantity("special_order_qty", 0);
  return p;
}

Payload ReadOrderCancelled(ObjectReader& r) {
  OrderCancelled p;
  p.order_id = r.RowId("order_id");
  return p;
}

Payload ReadOrderPickedUp(ObjectReader& r) {
  OrderPickedUp p;
  p.order_id = r.RowId("order_id");
  p.lines = r.Objects("lines", &ReadPickedUpLine);
  return p;
}

Payload ReadBackofficeOrder(ObjectReader& r) {
  BackofficeOrder p;
  p.special_order_id = r.RowId("special_order_id");
  p.vendor_id = r.OptionalRowId("vendor_id");
  p.po_id = r.OptionalRowId("po_id");
  p.user = r.Text("user");
  return p;
}

Payload ReadBackofficeTransfer(ObjectReader& r) {
  BackofficeTransfer p;
  p.special_order_id = r.RowId("special_order_id");
  p.from_store_id = r.RowId("from_store_id");
  p.user = r.Text("user");
  return p;
}

Payload ReadBackofficeAllocate(ObjectReader& r) {
  BackofficeAllocate p;
  const auto [is_shipment, arrival_id] = r.OneOf("shipment_id", "transfer_id");
  (is_shipment ? p.shipment_id : p.transfer_id) = arrival_id;
  p.special_order_ids = r.OptionalIds("special_order_ids");
  p.user = r.Text("user");
  return p;
}

Payload ReadBackofficeCancel(ObjectReader& r) {
  BackofficeCancel p;
  p.special_order_id = r.RowId("special_order_id");
  p.user = r.Text("user");
  return p;
}

Payload ReadPoStatusChanged(ObjectReader& r) {
  PoStatusChanged p;
  p.po_id = r.RowId("po_id");
  p.status = r.Text("status");
  p.previous_status = r.Text("previous_status");
  return p;
}

Payload ReadShipmentCompleted(ObjectReader& r) {
  ShipmentCompleted p;
  p.shipment_id = r.RowId("shipment_id");
  p.po_id = r.RowId("po_id");
  p.store_id = r.RowId("store_id");
  p.vendor_id = r.RowId("vendor_id");
  p.lines = r.Objects("lines", &ReadShipmentLine);
  return p;
}

Payload ReadTransferReceived(ObjectReader& r) {
  TransferReceived p;
  p.transfer_id = r.RowId("transfer_id");
  p.from_store_id = r.RowId("from_store_id");
  p.to_store_id = r.RowId("to_store_id");
  p.lines = r.Objects("lines", &ReadTransferLine);
  return p;
}

Payload ReadClockOverdue(ObjectReader& r) {
  ClockOverdue p;
  p.special_order_id = r.RowId("special_order_id");
  p.promise_seq = static_cast<int>(r.Quantity("promise_seq", 1));
  return p;
}

Payload ReadClockPickupReminder(ObjectReader& r) {
  ClockPickupReminder p;
  p.special_order_id = r.RowId("special_order_id");
  p.days = static_cast<int>(r.Quantity("days", 1));
  p.ready_at = r.Time("ready_at");
  return p;
}

Payload ReadClockPickupDeadline(ObjectReader& r) {
  ClockPickupDeadline p;
  p.special_order_id = r.RowId("special_order_id");
  p.days = static_cast<int>(r.Quantity("days", 1));
  p.ready_at = r.Time("ready_at");
  return p;
}

using PayloadReader = Payload (*)(ObjectReader&);
constexpr std::array<PayloadReader, kMessageTypes.size()> kPayloadReaders = {
    &ReadSpecialOrderRequested, &ReadOrderLineChanged,    &ReadOrderCancelled,
    &ReadOrderPickedUp,         &ReadBackofficeOrder,     &ReadBackofficeTransfer,
    &ReadBackofficeAllocate,    &ReadBackofficeCancel,    &ReadPoStatusChanged,
    &ReadShipmentCompleted,     &ReadTransferReceived,    &ReadClockOverdue,
    &ReadClockPickupReminder,   &ReadClockPickupDeadline,
};

// --- Daemon events (section 4) ---

constexpr std::array<std::string_view, 10> kEventTypes = {
    "special_order.created",  "special_order.status_changed",
    "special_order.arrived",  "special_order.rejected",
    "purchase_order.created", "purchase_order.line_added",
    "transfer.requested",     "special_order.promised",
    "special_order.overdue",  "special_order.pickup_reminder",
};

ArrivedOrder ReadArrivedOrder(ObjectReader& r) {
  ArrivedOrder o;
  o.special_order_id = r.RowId("special_order_id");
  o.order_id = r.RowId("order_id");
  o.product_id = r.RowId("product_id");
  o.quantity = r.Quantity("quantity", 1);
  return o;
}

PoEventLine ReadPoEventLine(ObjectReader& r) {
  PoEventLine line;
  line.po_line_id = r.RowId("po_line_id");
  line.product_id = r.RowId("product_id");
  line.quantity = r.Quantity("quantity", 1);
  return line;
}

OutEvent ReadCreated(ObjectReader& r) {
  SpecialOrderCreatedEvent e;
  e.special_order_id = r.RowId("special_order_id");
  e.order_id = r.RowId("order_id");
  e.order_line_id = r.RowId("order_line_id");
  e.product_id = r.RowId("product_id");
  e.quantity = r.Quantity("quantity", 1);
  e.status = r.Status("status");
  return e;
}

OutEvent ReadStatusChanged(ObjectReader& r) {
  StatusChangedEvent e;
  e.special_order_id = r.RowId("special_order_id");
  e.order_id = r.RowId("order_id");
  e.from = r.Status("from");
  e.to = r.Status("to");
  e.rule = r.Text("rule");
  // A change the daemon makes while catching up from the database has no message behind it.
  e.cause_id = r.String("cause_id", /*allow_empty=*/true);
  return e;
}

OutEvent ReadArrived(ObjectReader& r) {
  ArrivedEvent e;
  const auto [is_shipment, arrival_id] = r.OneOf("shipment_id", "transfer_id");
  e.kind = is_shipment ? ArrivalKind::kShipment : ArrivalKind::kTransfer;
  e.arrival_id = arrival_id;
  e.store_id = r.RowId("store_id");
  e.special_orders = r.Objects("special_orders", &ReadArrivedOrder);
  return e;
}

OutEvent ReadRejected(ObjectReader& r) {
  RejectedEvent e;
  e.order_line_id = r.RowId("order_line_id");
  e.reason = r.Text("reason");
  return e;
}

PurchaseOrderEvent ReadPurchaseOrder(ObjectReader& r, bool created) {
  PurchaseOrderEvent e;
  e.created = created;
  e.po_id = r.RowId("po_id");
  e.vendor_id = r.RowId("vendor_id");
  e.store_id = r.RowId("store_id");
  e.lines = r.Objects("lines", &ReadPoEventLine);
  return e;
}

OutEvent ReadPoCreated(ObjectReader& r) { return ReadPurchaseOrder(r, true); }
OutEvent ReadPoLineAdded(ObjectReader& r) { return ReadPurchaseOrder(r, false); }

OutEvent ReadTransferRequested(ObjectReader& r) {
  TransferRequestedEvent e;
  e.transfer_id = r.RowId("transfer_id");
  e.from_store_id = r.RowId("from_store_id");
  e.to_store_id = r.RowId("to_store_id");
  e.lines = r.Objects("lines", &ReadTransferLine);
  return e;
}

OutEvent ReadPromised(ObjectReader& r) {
  PromisedEvent e;
  e.special_order_id = r.RowId("special_order_id");
  e.order_id = r.RowId("order_id");
  e.expected_on = r.Date("expected_on");
  e.basis = r.Basis("basis");
  return e;
}

OutEvent ReadOverdue(ObjectReader& r) {
  OverdueEvent e;
  e.special_order_id = r.RowId("special_order_id");
  e.order_id = r.RowId("order_id");
  e.store_id = r.RowId("store_id");
  e.vendor_id = r.OptionalRowId("vendor_id");
  e.expected_on = r.Date("expected_on");
  e.days_late = static_cast<int>(r.Quantity("days_late", 0));
  return e;
}

OutEvent ReadPickupReminder(ObjectReader& r) {
  PickupReminderEvent e;
  e.special_order_id = r.RowId("special_order_id");
  e.order_id = r.RowId("order_id");
  e.customer_id = r.RowId("customer_id");
  e.ready_since = r.Time("ready_since");
  e.days = static_cast<int>(r.Quantity("days", 1));
  return e;
}

using EventReader = OutEvent (*)(ObjectReader&);
constexpr std::array<EventReader, kEventTypes.size()> kEventReaders = {
    &ReadCreated,     &ReadStatusChanged,     &ReadArrived,  &ReadRejected, &ReadPoCreated,
    &ReadPoLineAdded, &ReadTransferRequested, &ReadPromised, &ReadOverdue,  &ReadPickupReminder,
};

// --- The envelope (section 2), shared by both directions ---

// Decodes body as an envelope whose type is one of types, then its payload with the reader of
// the same index. Decoded is so::Message or DecodedEvent: {envelope, value}.
// `min_seq` is 1 for what comes from the bus, 0 for a message the daemon made itself.
template <typename Decoded, typename T, size_t N>
std::variant<Decoded, DecodeError> Decode(std::string_view topic, std::string_view body,
                                          const std::array<std::string_view, N>& types,
                                          const std::array<T (*)(ObjectReader&), N>& readers,
                                          uint64_t min_seq = 1) {
  DecodeError err;
  err.type = std::string(topic);

  // A NUL byte is never valid JSON, but rapidjson's memory stream reads one as the end of the
  // input, which would let "{...}\0garbage" through.
  if (const size_t nul = body.find('\0'); nul != std::string_view::npos) {
    err.reason = "body: invalid JSON at offset " + std::to_string(nul) + ": NUL byte";
    return err;
  }
  rapidjson::Document doc;
  doc.Parse<kParseFlags>(body.data(), body.size());
  if (doc.HasParseError()) {
    err.reason = "body: invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                 rapidjson::GetParseError_En(doc.GetParseError());
    return err;
  }
  if (!doc.IsObject()) {
    err.reason = "body: must be a JSON object";
    return err;
  }

  // Filled before anything is checked, so that a refused message can be traced and recorded.
  const Lookup id = Find(doc, "id");
  if (!id.duplicate && id.value != nullptr && IsValidId(*id.value)) {
    err.message_id = std::string(View(*id.value));
  }
  const Lookup type = Find(doc, "type");
  if (!type.duplicate && type.value != nullptr && type.value->IsString() &&
      CountChars(View(*type.value))) {
    err.type = std::string(View(*type.value));
  }

  std::string error;
  ObjectReader r(doc, "", error);
  const auto failed = [&]() -> std::variant<Decoded, DecodeError> {
    err.reason = error;
    return err;
  };

  Envelope env;
  if (const Value* v = r.Required("v")) {
    if (!v->IsInt64()) {
      r.Fail("v", "must be the integer 1");
    } else if (v->GetInt64() != 1) {
      r.Fail("v", "unsupported contract version " + std::to_string(v->GetInt64()) + ", expected 1");
    }
  }
  if (!r.ok()) return failed();

  if (const Value* v = r.Required("id"); v != nullptr && !IsValidId(*v)) {
    r.Fail("id", "must be a string of 1-64 characters");
  }
  if (!r.ok()) return failed();
  env.id = *err.message_id;

  const Value* type_value = r.Required("type");
  if (type_value != nullptr && !type_value->IsString()) r.Fail("type", "must be a string");
  if (!r.ok()) return failed();
  if (View(*type_value) != topic) {
    r.Fail("type", "\"" + ToValidUtf8(View(*type_value)) + "\" does not match the topic frame \"" +
                       ToValidUtf8(topic) + "\"");
    return failed();
  }
  env.type = std::string(topic);

  env.source = r.Text("source");
  if (!r.ok()) return failed();

  if (const Value* v = r.Required("seq")) {
    if (!v->IsUint64() || v->GetUint64() < min_seq) {
      r.Fail("seq", min_seq == 0 ? "must be an integer >= 0" : "must be an integer >= 1");
    } else {
      env.seq = v->GetUint64();
    }
  }
  env.occurred_at = r.Time("occurred_at");
  if (!r.ok()) return failed();

  // The envelope is whole; only now is the type looked up, so that one the contract does not
  // define still tells its source and seq (a message of a newer POS still counts in the seq).
  size_t kind = 0;
  while (kind < N && types[kind] != topic) ++kind;
  if (kind == N) {
    err.reason = "unknown type \"" + ToValidUtf8(topic) + "\"";
    err.unknown_type = std::move(env);
    return err;
  }

  const Value* payload = r.Required("payload");
  if (payload != nullptr && !payload->IsObject()) r.Fail("payload", "must be an object");
  if (!r.ok()) return failed();

  ObjectReader p(*payload, "payload", error);
  T value = readers[kind](p);
  if (!p.ok()) return failed();
  return Decoded{std::move(env), std::move(value)};
}

// --- Writing ---

// A compact writer; strings are made valid UTF-8 on the way out.
class JsonWriter {
 public:
  JsonWriter() : writer_(buffer_) {}

  void StartObject() { writer_.StartObject(); }
  void EndObject() { writer_.EndObject(); }
  void StartArray(std::string_view key) {
    Key(key);
    writer_.StartArray();
  }
  void EndArray() { writer_.EndArray(); }

  void Key(std::string_view key) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  }
  void Int(std::string_view key, int64_t value) {
    Key(key);
    writer_.Int64(value);
  }
  void Int(int64_t value) { writer_.Int64(value); }
  void OptionalInt(std::string_view key, const std::optional<int64_t>& value) {
    if (value) Int(key, *value);
  }
  void Uint(std::string_view key, uint64_t value) {
    Key(key);
    writer_.Uint64(value);
  }
  void String(std::string_view key, std::string_view value) {
    Key(key);
    const std::string valid = ToValidUtf8(value);
    writer_.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
  }

  // The envelope up to and including the "payload" key; the caller writes the payload object.
  void Envelope(std::string_view id, std::string_view type, std::string_view source, uint64_t seq,
                Timestamp occurred_at) {
    StartObject();
    Int("v", 1);
    String("id", id);
    String("type", type);
    String("source", source);
    Uint("seq", seq);
    String("occurred_at", FormatRfc3339(occurred_at));
    Key("payload");
  }

  std::string Take() { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

void WriteTransferLines(JsonWriter& w, const std::vector<TransferLine>& lines) {
  w.StartArray("lines");
  for (const TransferLine& line : lines) {
    w.StartObject();
    w.Int("product_id", line.product_id);
    w.Int("quantity", line.quantity);
    w.EndObject();
  }
  w.EndArray();
}

void WritePayload(JsonWriter& w, const Payload& payload) {
  w.StartObject();
  std::visit(Overloaded{
                 [&w](const SpecialOrderRequested& p) {
                   w.Int("order_id", p.order_id);
                   w.Int("order_line_id", p.order_line_id);
                   w.Int("store_id", p.store_id);
                   w.Int("customer_id", p.customer_id);
                   w.Int("product_id", p.product_id);
                   w.Int("quantity", p.quantity);
                   w.String("requested_at", FormatRfc3339(p.requested_at));
                 },
                 [&w](const OrderLineChanged& p) {
                   w.Int("order_id", p.order_id);
                   w.Int("order_line_id", p.order_line_id);
                   w.Int("special_order_qty", p.special_order_qty);
                 },
                 [&w](const OrderCancelled& p) { w.Int("order_id", p.order_id); },
                 [&w](const OrderPickedUp& p) {
                   w.Int("order_id", p.order_id);
                   w.StartArray("lines");
                   for (const PickedUpLine& line : p.lines) {
                     w.StartObject();
                     w.Int("order_line_id", line.order_line_id);
                     w.Int("quantity", line.quantity);
                     w.EndObject();
                   }
                   w.EndArray();
                 },
                 [&w](const BackofficeOrder& p) {
                   w.Int("special_order_id", p.special_order_id);
                   w.OptionalInt("vendor_id", p.vendor_id);
                   w.OptionalInt("po_id", p.po_id);
                   w.String("user", p.user);
                 },
                 [&w](const BackofficeTransfer& p) {
                   w.Int("special_order_id", p.special_order_id);
                   w.Int("from_store_id", p.from_store_id);
                   w.String("user", p.user);
                 },
                 [&w](const BackofficeAllocate& p) {
                   w.OptionalInt("shipment_id", p.shipment_id);
                   w.OptionalInt("transfer_id", p.transfer_id);
                   if (p.special_order_ids) {
                     w.StartArray("special_order_ids");
                     for (Id id : *p.special_order_ids) w.Int(id);
                     w.EndArray();
                   }
                   w.String("user", p.user);
                 },
                 [&w](const BackofficeCancel& p) {
                   w.Int("special_order_id", p.special_order_id);
                   w.String("user", p.user);
                 },
                 [&w](const PoStatusChanged& p) {
                   w.Int("po_id", p.po_id);
                   w.String("status", p.status);
                   w.String("previous_status", p.previous_status);
                 },
                 [&w](const ShipmentCompleted& p) {
                   w.Int("shipment_id", p.shipment_id);
                   w.Int("po_id", p.po_id);
                   w.Int("store_id", p.store_id);
                   w.Int("vendor_id", p.vendor_id);
                   w.StartArray("lines");
                   for (const ShipmentLine& line : p.lines) {
                     w.StartObject();
                     w.Int("po_line_id", line.po_line_id);
                     w.Int("product_id", line.product_id);
                     w.Int("quantity", line.quantity);
                     w.EndObject();
                   }
                   w.EndArray();
                 },
                 [&w](const TransferReceived& p) {
                   w.Int("transfer_id", p.transfer_id);
                   w.Int("from_store_id", p.from_store_id);
                   w.Int("to_store_id", p.to_store_id);
                   WriteTransferLines(w, p.lines);
                 },
                 [&w](const ClockOverdue& p) {
                   w.Int("special_order_id", p.special_order_id);
                   w.Int("promise_seq", p.promise_seq);
                 },
                 [&w](const ClockPickupReminder& p) {
                   w.Int("special_order_id", p.special_order_id);
                   w.Int("days", p.days);
                   w.String("ready_at", FormatRfc3339(p.ready_at));
                 },
                 [&w](const ClockPickupDeadline& p) {
                   w.Int("special_order_id", p.special_order_id);
                   w.Int("days", p.days);
                   w.String("ready_at", FormatRfc3339(p.ready_at));
                 },
             },
             payload);
  w.EndObject();
}

void WriteEventPayload(JsonWriter& w, const OutEvent& event) {
  w.StartObject();
  std::visit(Overloaded{
                 [&w](const SpecialOrderCreatedEvent& e) {
                   w.Int("special_order_id", e.special_order_id);
                   w.Int("order_id", e.order_id);
                   w.Int("order_line_id", e.order_line_id);
                   w.Int("product_id", e.product_id);
                   w.Int("quantity", e.quantity);
                   w.String("status", ToString(e.status));
                 },
                 [&w](const StatusChangedEvent& e) {
                   w.Int("special_order_id", e.special_order_id);
                   w.Int("order_id", e.order_id);
                   w.String("from", ToString(e.from));
                   w.String("to", ToString(e.to));
                   w.String("rule", e.rule);
                   w.String("cause_id", e.cause_id);
                 },
                 [&w](const ArrivedEvent& e) {
                   w.Int(e.kind == ArrivalKind::kShipment ? "shipment_id" : "transfer_id",
                         e.arrival_id);
                   w.Int("store_id", e.store_id);
                   w.StartArray("special_orders");
                   for (const ArrivedOrder& o : e.special_orders) {
                     w.StartObject();
                     w.Int("special_order_id", o.special_order_id);
                     w.Int("order_id", o.order_id);
                     w.Int("product_id", o.product_id);
                     w.Int("quantity", o.quantity);
                     w.EndObject();
                   }
                   w.EndArray();
                 },
                 [&w](const RejectedEvent& e) {
                   w.Int("order_line_id", e.order_line_id);
                   w.String("reason", e.reason);
                 },
                 [&w](const PurchaseOrderEvent& e) {
                   w.Int("po_id", e.po_id);
                   w.Int("vendor_id", e.vendor_id);
                   w.Int("store_id", e.store_id);
                   w.StartArray("lines");
                   for (const PoEventLine& line : e.lines) {
                     w.StartObject();
                     w.Int("po_line_id", line.po_line_id);
                     w.Int("product_id", line.product_id);
                     w.Int("quantity", line.quantity);
                     w.EndObject();
                   }
                   w.EndArray();
                 },
                 [&w](const TransferRequestedEvent& e) {
                   w.Int("transfer_id", e.transfer_id);
                   w.Int("from_store_id", e.from_store_id);
                   w.Int("to_store_id", e.to_store_id);
                   WriteTransferLines(w, e.lines);
                 },
                 [&w](const PromisedEvent& e) {
                   w.Int("special_order_id", e.special_order_id);
                   w.Int("order_id", e.order_id);
                   w.String("expected_on", FormatDate(e.expected_on));
                   w.String("basis", ToString(e.basis));
                 },
                 [&w](const OverdueEvent& e) {
                   w.Int("special_order_id", e.special_order_id);
                   w.Int("order_id", e.order_id);
                   w.Int("store_id", e.store_id);
                   w.OptionalInt("vendor_id", e.vendor_id);
                   w.String("expected_on", FormatDate(e.expected_on));
                   w.Int("days_late", e.days_late);
                 },
                 [&w](const PickupReminderEvent& e) {
                   w.Int("special_order_id", e.special_order_id);
                   w.Int("order_id", e.order_id);
                   w.Int("customer_id", e.customer_id);
                   w.String("ready_since", FormatRfc3339(e.ready_since));
                   w.Int("days", e.days);
                 },
             },
             event);
  w.EndObject();
}

}  // namespace

std::string_view MessageType(const Payload& payload) { return kMessageTypes[payload.index()]; }

std::variant<Message, DecodeError> DecodeMessage(std::string_view topic, std::string_view body) {
  return Decode<Message>(topic, body, kMessageTypes, kPayloadReaders);
}

std::variant<Message, DecodeError> DecodeKeptMessage(std::string_view topic,
                                                     std::string_view body) {
  return Decode<Message>(topic, body, kMessageTypes, kPayloadReaders, /*min_seq=*/0);
}

std::string EncodeMessage(const Message& m) {
  JsonWriter w;
  w.Envelope(m.envelope.id, MessageType(m.payload), m.envelope.source, m.envelope.seq,
             m.envelope.occurred_at);
  WritePayload(w, m.payload);
  w.EndObject();
  return w.Take();
}

std::string EncodeEvent(const OutEvent& e, const std::string& id, const std::string& source,
                        uint64_t seq, Timestamp occurred_at) {
  JsonWriter w;
  w.Envelope(id, EventType(e), source, seq, occurred_at);
  WriteEventPayload(w, e);
  w.EndObject();
  return w.Take();
}

std::string EncodeStampedEvent(const Envelope& envelope, const OutEvent& e) {
  return EncodeEvent(e, envelope.id, envelope.source, envelope.seq, envelope.occurred_at);
}

std::variant<DecodedEvent, DecodeError> DecodeEvent(std::string_view topic, std::string_view body) {
  return Decode<DecodedEvent>(topic, body, kEventTypes, kEventReaders);
}

}  // namespace so::json
