// BatchView::Prefetch: what a batch of messages will read, read set-wise before the engine runs.
// A guess from the payloads, never a decision: whatever it misses is read when asked for, and
// what it reads too much is only read.
#include <algorithm>
#include <map>
#include <tuple>
#include <variant>

#include "rules/batch_view.hpp"
#include "rules/queries.hpp"

namespace so {
namespace {

// The keys the payloads name.
struct Wanted {
  std::vector<Id> orders, lines, special_orders, special_orders_of_lines, special_orders_of_orders;
  std::vector<Id> products, shipments, transfers, pos, po_lines;
  std::vector<StockKey> stock;
  std::vector<ArrivalKey> arrivals;
  // Messages that undo or move what is allocated read the special orders' picked quantities and
  // take from their stock rows: by line, by order, by id.
  std::vector<Id> changed_lines, cancelled_orders, cancelled_special_orders;
  // (order, product) of each request.
  std::vector<std::pair<Id, Id>> requested;
  // Units the batch's shipments bring to each PO line.
  std::map<Id, Qty> units_on_po_line;

  void Add(const Payload& payload) {
    std::visit([this](const auto& p) { Name(p); }, payload);
  }

 private:
  void Name(const SpecialOrderRequested& p) {
    requested.emplace_back(p.order_id, p.product_id);
    orders.push_back(p.order_id);
    lines.push_back(p.order_line_id);
    special_orders_of_lines.push_back(p.order_line_id);
    products.push_back(p.product_id);
    stock.emplace_back(p.store_id, p.product_id);
  }
  void Name(const OrderLineChanged& p) {
    orders.push_back(p.order_id);
    lines.push_back(p.order_line_id);
    special_orders_of_lines.push_back(p.order_line_id);
    changed_lines.push_back(p.order_line_id);
  }
  void Name(const OrderCancelled& p) {
    orders.push_back(p.order_id);
    special_orders_of_orders.push_back(p.order_id);
    cancelled_orders.push_back(p.order_id);
  }
  void Name(const OrderPickedUp& p) {
    orders.push_back(p.order_id);
    for (const auto& l : p.lines) {
      special_orders_of_lines.push_back(l.order_line_id);
      changed_lines.push_back(l.order_line_id);
    }
  }
  void Name(const BackofficeOrder& p) {
    special_orders.push_back(p.special_order_id);
    if (p.po_id) pos.push_back(*p.po_id);
  }
  void Name(const BackofficeTransfer& p) { special_orders.push_back(p.special_order_id); }
  void Name(const BackofficeAllocate& p) {
    if (p.shipment_id) {
      shipments.push_back(*p.shipment_id);
      arrivals.emplace_back(ArrivalKind::kShipment, *p.shipment_id);
    }
    if (p.transfer_id) arrivals.emplace_back(ArrivalKind::kTransfer, *p.transfer_id);
  }
  void Name(const BackofficeCancel& p) {
    special_orders.push_back(p.special_order_id);
    cancelled_special_orders.push_back(p.special_order_id);
  }
  void Name(const PoStatusChanged& p) { pos.push_back(p.po_id); }
  void Name(const ShipmentCompleted& p) {
    shipments.push_back(p.shipment_id);
    arrivals.emplace_back(ArrivalKind::kShipment, p.shipment_id);
  }
  void Name(const TransferReceived& p) {
    transfers.push_back(p.transfer_id);
    arrivals.emplace_back(ArrivalKind::kTransfer, p.transfer_id);
    for (const auto& l : p.lines) stock.emplace_back(p.to_store_id, l.product_id);
  }
  // The clock's messages read their clock row when they ask (one each; they come one by one).
  void Name(const ClockOverdue& p) { special_orders.push_back(p.special_order_id); }
  void Name(const ClockPickupReminder& p) { special_orders.push_back(p.special_order_id); }
  void Name(const ClockPickupDeadline& p) {
    special_orders.push_back(p.special_order_id);
    cancelled_special_orders.push_back(p.special_order_id);
  }
};

}  // namespace

Status BatchView::Prefetch(const std::vector<const Message*>& messages, bool recording) {
  Wanted w;
  for (const Message* m : messages) w.Add(m->payload);
  // (store, product) of what the recorder's Widen() will source for: requests and shipment lines.
  std::vector<StockKey> sourced;

  // Rows read without locks first: they name the rows to lock.
  SO_RETURN_IF_ERROR(LoadShipments(w.shipments));
  for (Id id : w.shipments) {
    const auto& shipment = shipments_.at(id);
    if (!shipment) continue;
    w.pos.push_back(shipment->po_id);
    for (const auto& l : shipment->lines) {
      w.po_lines.push_back(l.po_line_id);
      w.units_on_po_line[l.po_line_id] += l.quantity;
      w.stock.emplace_back(shipment->store_id, l.product_id);
      if (recording) {
        w.products.push_back(l.product_id);
        sourced.emplace_back(shipment->store_id, l.product_id);
      }
    }
  }
  SO_RETURN_IF_ERROR(LoadProducts(w.products));
  SO_RETURN_IF_ERROR(LoadProductVendors(w.products));
  std::vector<Id> vendors;
  for (Id id : w.products) {
    if (const auto& p = products_.at(id); p && p->primary_vendor_id) {
      vendors.push_back(*p->primary_vendor_id);
    }
    for (const auto& offer : product_vendors_.at(id)) vendors.push_back(offer.vendor_id);
  }
  SO_RETURN_IF_ERROR(LoadVendors(vendors));
  for (Id id : w.transfers) SO_RETURN_IF_ERROR(LoadTransfer(id));

  // Locked reads, in the lock order of HostStore.
  SO_RETURN_IF_ERROR(LoadOrders(w.orders));
  SO_RETURN_IF_ERROR(LoadLines(w.lines));
  SO_RETURN_IF_ERROR(LoadSpecialOrders(w.special_orders));
  SO_RETURN_IF_ERROR(LoadSpecialOrdersOfLines(w.special_orders_of_lines));
  SO_RETURN_IF_ERROR(LoadSpecialOrdersOfOrders(w.special_orders_of_orders));
  // What the special orders found point at: their lines (every allocation or change rewrites
  // them), and for the messages that take stock back, their picked quantities and stock rows.
  std::vector<Id> their_lines, their_picked;
  std::vector<StockKey> their_stock;
  for (const auto& [id, so] : special_orders_) {
    if (queries::IsLive(so)) their_lines.push_back(so.order_line_id);
  }
  // Of those a shipment finds waiting on its PO line, only the lines of the ones its units go to
  // first in the default order of service (oldest request first): a PO line may have many
  // waiting, and a rule that serves otherwise only costs a read more for each one it picks.
  SO_RETURN_IF_ERROR(LoadSpecialOrdersOnPoLines(w.po_lines));
  for (const auto& [line_id, units] : w.units_on_po_line) {
    const Id po_line = line_id;  // a structured binding cannot be captured before clang 16
    std::vector<SpecialOrder> waiting =
        Kept(Among(index_.by_po_line, po_line),
             [po_line](const SpecialOrder& so) { return queries::OnPoLine(so, po_line); });
    std::sort(waiting.begin(), waiting.end(), [](const SpecialOrder& a, const SpecialOrder& b) {
      return std::tie(a.requested_at, a.id) < std::tie(b.requested_at, b.id);
    });
    Qty left = units;
    for (const SpecialOrder& so : waiting) {
      if (left <= 0) break;
      left -= so.waiting();
      their_lines.push_back(so.order_line_id);
    }
  }
  const auto takes_back = [&](const SpecialOrder& so) {
    their_picked.push_back(so.id);
    their_stock.emplace_back(so.store_id, so.product_id);
  };
  for (Id line : w.changed_lines) {
    if (auto it = special_order_of_line_.find(line); it != special_order_of_line_.end()) {
      takes_back(special_orders_.at(it->second));
    }
  }
  for (Id id : w.cancelled_special_orders) {
    if (auto it = special_orders_.find(id); it != special_orders_.end()) takes_back(it->second);
  }
  for (Id order : w.cancelled_orders) {
    for (const auto& so :
         Kept(Among(index_.by_order, order), [](const SpecialOrder&) { return true; })) {
      takes_back(so);
    }
  }
  SO_RETURN_IF_ERROR(LoadLines(their_lines));
  SO_RETURN_IF_ERROR(LoadArrivals(w.arrivals));
  w.stock.insert(w.stock.end(), their_stock.begin(), their_stock.end());
  SO_RETURN_IF_ERROR(LoadStock(w.stock, /*lock=*/true));
  SO_RETURN_IF_ERROR(LoadPos(w.pos));
  // The POs a request may be put on: those of its store and its product's primary vendor that a
  // PO may still take lines in, with their lines. A guess: rules that choose another vendor, or
  // attach to POs in other statuses, read theirs when they ask.
  std::vector<std::pair<Id, Id>> store_vendors;
  for (const auto& [order, product] : w.requested) {
    const auto& o = orders_.at(order);
    const auto& p = products_.at(product);
    if (o && p && p->primary_vendor_id)
      store_vendors.emplace_back(o->store_id, *p->primary_vendor_id);
    if (recording && o) sourced.emplace_back(o->store_id, product);
  }
  // The recorder asks every carrying vendor's newest PO in each of these statuses, one by one.
  for (const auto& [store, product] : sourced) {
    if (const auto& p = products_.at(product); p && p->primary_vendor_id) {
      store_vendors.emplace_back(store, *p->primary_vendor_id);
    }
    for (const auto& offer : product_vendors_.at(product)) {
      store_vendors.emplace_back(store, offer.vendor_id);
    }
  }
  SO_RETURN_IF_ERROR(LoadPosOf(std::move(store_vendors), {"draft", "open", "partially_received"}));
  return LoadPicked(their_picked);
}

}  // namespace so
