#include "rules/reconciler.hpp"

namespace so {
namespace {

constexpr const char* kSweepSource = "special-ordersd-sweep";

}  // namespace

Result<std::vector<Message>> Reconciler::MessagesFor(const PendingFacts& facts, Timestamp now) {
  std::vector<Message> out;
  auto add = [&](std::string id, Payload payload, std::string type) {
    out.push_back(Message{Envelope{1, std::move(id), std::move(type), kSweepSource, 0, now},
                          std::move(payload)});
  };
  const auto s = [](Id id) { return std::to_string(id); };

  // Facts in the order the POS most likely made them: requests, then what arrived for them, then
  // changes of quantity (which may need what arrived), then what went wrong, then the ends of
  // orders.
  for (const auto& l : facts.unrequested_lines) {
    add("sweep:request:" + s(l.line_id),
        SpecialOrderRequested{l.order_id, l.line_id, 0, 0, l.product_id, 1, l.ordered_at},
        "order.special_order_requested");
  }
  // A PO sent while its message was lost: counted as sent now, the earliest the daemon knows.
  for (const auto& po : facts.sent_pos) {
    add("sweep:po_sent:" + s(po.po_id), PoStatusChanged{po.po_id, po.status, "draft"},
        "po.status_changed");
  }
  for (Id shipment : facts.shipments) {
    // The engine reads the shipment from the database; the payload only names it.
    add("sweep:shipment:" + s(shipment), ShipmentCompleted{shipment, 0, 0, 0, {}},
        "shipment.completed");
  }
  // What a transfer brought is not in the database (only what was requested): the sweep takes
  // the requested quantities, which is what a transfer received in full brings.
  for (Id transfer_id : facts.transfers) {
    SO_RETURN_IF_ERROR(store_.Begin());
    Result<std::optional<StoreTransfer>> t = store_.GetTransfer(transfer_id);
    store_.Rollback();
    if (!t.ok()) return t.error();
    if (!*t) continue;
    TransferReceived p{transfer_id, (*t)->from_store_id, (*t)->to_store_id, {}};
    for (const auto& l : (*t)->lines) p.lines.push_back(TransferLine{l.product_id, l.quantity});
    add("sweep:transfer:" + s(transfer_id), std::move(p), "transfer.received");
  }
  for (const auto& l : facts.changed_lines) {
    add("sweep:line:" + s(l.line_id) + ":" + std::to_string(l.special_order_qty) + ":" +
            std::to_string(l.special_order_updated_at.micros),
        OrderLineChanged{l.order_id, l.line_id, l.special_order_qty}, "order.line_changed");
  }
  for (const auto& po : facts.pos_gone_wrong) {
    add("sweep:po:" + s(po.po_id) + ":" + po.status, PoStatusChanged{po.po_id, po.status, ""},
        "po.status_changed");
  }
  for (Id order : facts.cancelled_orders) {
    add("sweep:cancel:" + s(order), OrderCancelled{order}, "order.cancelled");
  }
  // A completed order has handed everything over: what each special order still had to pick up.
  for (Id order : facts.completed_orders) {
    SO_RETURN_IF_ERROR(store_.Begin());
    OrderPickedUp p{order, {}};
    Result<std::vector<SpecialOrder>> all = store_.LockSpecialOrdersOfOrder(order);
    Status st = all.status();
    if (st.ok()) {
      for (const auto& so : *all) {
        if (so.status == SoStatus::kCompleted || so.status == SoStatus::kCancelled) continue;
        Result<Qty> picked = store_.LockPickedQty(so.id);
        if (!picked.ok()) {
          st = picked.status();
          break;
        }
        if (so.quantity > *picked) p.lines.push_back({so.order_line_id, so.quantity - *picked});
      }
    }
    store_.Rollback();
    if (!st.ok()) return st.error();
    if (!p.lines.empty()) add("sweep:pickup:" + s(order), std::move(p), "order.picked_up");
  }
  return out;
}

SweepReport Reconciler::Sweep(Timestamp now) {
  SweepReport report;
  for (;;) {
    Result<PendingFacts> facts = store_.FindPendingFacts(batch_, scope_);
    if (!facts.ok()) {
      report.unavailable = true;
      return report;
    }
    if (facts->empty()) return report;
    Result<std::vector<Message>> messages = MessagesFor(*facts, now);
    if (!messages.ok()) {
      report.unavailable = true;
      return report;
    }
    // A fact that was refused stays pending (a line for a product that may not be
    // special-ordered has no special order, ever): its repair is a duplicate the next time.
    // A round that repaired nothing new ends the sweep.
    OwnMessagesTally round;
    for (const Message& m : *messages) {
      const Processed p = processor_.Process(m, m.envelope.type, "");
      if (observer_) observer_(m, p);
      if (!round.Add(p)) break;
    }
    report.repairs += round.applied;
    report.failed += round.failed;
    report.unavailable = round.unavailable;
    if (round.unavailable || round.applied == 0) return report;
  }
}

}  // namespace so
