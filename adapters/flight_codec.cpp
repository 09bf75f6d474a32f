#include "adapters/flight_codec.hpp"

#include <msgpack.hpp>

#include <tuple>
#include <type_traits>

#include "adapters/json_codec.hpp"

// --- Each row as the tuple of its fields, in declaration order ---
namespace so::flight {

inline auto Fields(Product& x) {
  return std::tie(x.id, x.sku, x.primary_vendor_id, x.special_order_allowed);
}
inline auto Fields(Vendor& x) { return std::tie(x.id, x.name, x.active); }
inline auto Fields(ProductVendor& x) {
  return std::tie(x.vendor_id, x.unit_cost, x.pack_size, x.min_order_qty, x.lead_time_days,
                  x.vendor_active);
}
inline auto Fields(StockRow& x) {
  return std::tie(x.store_id, x.product_id, x.on_hand, x.committed, x.backordered);
}
inline auto Fields(CustomerOrder& x) {
  return std::tie(x.id, x.store_id, x.customer_id, x.status, x.has_special_order);
}
inline auto Fields(OrderLine& x) {
  return std::tie(x.id, x.order_id, x.product_id, x.quantity, x.special_order_qty, x.status,
                  x.committed_qty, x.backordered_qty);
}
inline auto Fields(SpecialOrder& x) {
  return std::tie(x.id, x.store_id, x.order_id, x.order_line_id, x.customer_id, x.product_id,
                  x.quantity, x.allocated_qty, x.status, x.source, x.vendor_id, x.po_id,
                  x.po_line_id, x.transfer_id, x.requested_at, x.ordered_at, x.arrived_at,
                  x.ready_at, x.completed_at, x.cancelled_at, x.updated_at);
}
inline auto Fields(PurchaseOrder& x) {
  return std::tie(x.id, x.store_id, x.vendor_id, x.status, x.created_at);
}
inline auto Fields(PoLine& x) {
  return std::tie(x.id, x.po_id, x.product_id, x.quantity_ordered, x.quantity_received,
                  x.unit_cost);
}
inline auto Fields(ShipmentLine& x) { return std::tie(x.po_line_id, x.product_id, x.quantity); }
inline auto Fields(Shipment& x) {
  return std::tie(x.id, x.po_id, x.store_id, x.vendor_id, x.status, x.lines);
}
inline auto Fields(StoreTransferLine& x) {
  return std::tie(x.id, x.transfer_id, x.product_id, x.quantity, x.special_order_id);
}
inline auto Fields(StoreTransfer& x) {
  return std::tie(x.id, x.from_store_id, x.to_store_id, x.status, x.created_at, x.lines);
}
inline auto Fields(ArrivalLine& x) {
  return std::tie(x.kind, x.arrival_id, x.product_id, x.store_id, x.quantity, x.allocated_qty);
}
inline auto Fields(Timestamp& x) { return std::tie(x.micros); }
inline auto Fields(SoClock& x) {
  return std::tie(x.special_order_id, x.promise_seq, x.expected_on, x.basis, x.base_at, x.days,
                  x.rule, x.promised_at, x.overdue_seq, x.reminded_days, x.reminded_ready_at);
}
// The read set of format 1, before the clocks: a prefix of format 2's.
inline auto FieldsOfFormat1(ReadSet& x) {
  return std::tie(x.stores, x.products, x.vendors, x.product_vendors, x.orders, x.lines, x.stock,
                  x.stock_of_product, x.shipments, x.unapplied_shipments_of_po, x.special_orders,
                  x.missing_special_orders, x.special_order_of_line, x.special_orders_of_order,
                  x.on_po_line, x.on_po, x.on_transfer, x.waiting, x.pos, x.newest_po,
                  x.po_lines_of_po, x.transfers, x.picked, x.arrivals, x.new_special_orders,
                  x.new_pos, x.new_po_lines, x.new_transfers);
}
inline auto Fields(ReadSet& x) {
  return std::tuple_cat(FieldsOfFormat1(x), std::tie(x.clocks, x.po_sent));
}
// Decodes a read set of format 1 in place.
struct ReadSetOfFormat1 {
  ReadSet& reads;
};
inline auto Fields(ReadSetOfFormat1& x) { return FieldsOfFormat1(x.reads); }
inline auto Fields(SoDecision& x) {
  return std::tie(x.order_line_id, x.special_order_id, x.store_id, x.decisions, x.status,
                  x.allocated_qty, x.source, x.vendor_id, x.po_id, x.new_po, x.po_line_qty,
                  x.transfer_from_store, x.allocated_from);
}

template <typename T>
concept HasFields = requires(T& x) { Fields(x); };

}  // namespace so::flight

MSGPACK_ADD_ENUM(so::SoStatus);
MSGPACK_ADD_ENUM(so::LineStatus);
MSGPACK_ADD_ENUM(so::SoSource);
MSGPACK_ADD_ENUM(so::ArrivalKind);
MSGPACK_ADD_ENUM(so::PromiseBasis);

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {

  template <typename T>
    requires so::flight::HasFields<T>
  struct pack<T> {
    template <typename Stream>
    packer<Stream>& operator()(packer<Stream>& o, const T& v) const {
      return o.pack(so::flight::Fields(const_cast<T&>(v)));
    }
  };

  template <typename T>
    requires so::flight::HasFields<T>
  struct convert<T> {
    const msgpack::object& operator()(const msgpack::object& o, T& v) const {
      auto fields = so::flight::Fields(v);
      // msgpack-c would fill a longer tuple's missing fields with defaults: a row of another
      // shape is refused instead.
      if (o.type != msgpack::type::ARRAY ||
          o.via.array.size != std::tuple_size_v<decltype(fields)>) {
        throw msgpack::type_error();
      }
      // The same tuple, of values: converted, then assigned through the references.
      using Values = decltype(std::apply(
          [](auto&... f) { return std::tuple<std::decay_t<decltype(f)>...>(); }, fields));
      Values values;
      o.convert(values);
      fields = values;
      return o;
    }
  };

  }  // namespace adaptor
}
}  // namespace msgpack

namespace so::flight {

std::string Encode(const FlightRecord& record) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_array(6);
  packer.pack(kFormatVersion);
  packer.pack(record.message.envelope.type);
  packer.pack(json::EncodeMessage(record.message));
  packer.pack(record.refused);
  packer.pack(record.reads);
  packer.pack(record.decisions);
  return std::string(buffer.data(), buffer.size());
}

std::variant<FlightRecord, std::string> Decode(std::string_view bytes) {
  try {
    std::size_t offset = 0;
    const msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), offset);
    if (offset != bytes.size()) return std::string("not a flight record: bytes after its end");
    const msgpack::object& o = handle.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 6) {
      return std::string("not a flight record (expected an array of 6)");
    }
    const msgpack::object* f = o.via.array.ptr;
    const int version = f[0].as<int>();
    if (version != kFormatVersion && version != 1) {
      return "a flight record of format " + std::to_string(version) + ", this build reads " +
             std::to_string(kFormatVersion);
    }
    const std::string type = f[1].as<std::string>();
    const std::string body = f[2].as<std::string>();
    auto message = json::DecodeKeptMessage(type, body);
    if (auto* e = std::get_if<json::DecodeError>(&message)) {
      return "its message does not decode: " + e->reason;
    }
    FlightRecord record;
    record.message = std::get<Message>(std::move(message));
    record.refused = f[3].as<bool>();
    if (version == 1) {
      ReadSetOfFormat1 reads{record.reads};
      f[4].convert(reads);
      record.reads.clocks_recorded = false;
    } else {
      f[4].convert(record.reads);
    }
    f[5].convert(record.decisions);
    return record;
  } catch (const std::exception& e) {
    return std::string("not a flight record: ") + e.what();
  }
}

}  // namespace so::flight
