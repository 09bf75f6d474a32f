// Changes after the request: quantities that go up or down, cancellations, pickups. Each undoes
// exactly what was done: backorders and commitments go back, the red star follows.
#include <algorithm>

#include "rules/decision.hpp"

namespace so::internal {
namespace {

constexpr const char* kContractRule = kContractRuleName;

bool Done(const SpecialOrder& so) {
  return so.status == SoStatus::kCompleted || so.status == SoStatus::kCancelled;
}

}  // namespace

// The new quantity is the line's special_order_qty as the database has it, like a request's.
Status Decision::Handle(const OrderLineChanged& p) {
  SO_ASSIGN_OR_RETURN(auto order, store_.LockOrder(p.order_id));
  if (!order)
    return Refuse(std::nullopt, kContractRule, "order " + Str(p.order_id) + " does not exist");
  SO_ASSIGN_OR_RETURN(auto line, store_.LockOrderLine(p.order_line_id));
  if (!line || line->order_id != p.order_id) {
    return Refuse(
        std::nullopt, kContractRule,
        "order line " + Str(p.order_line_id) + " does not exist on order " + Str(p.order_id));
  }
  SO_ASSIGN_OR_RETURN(auto so, store_.LockSpecialOrderByLine(line->id));
  if (!so) return Request(*order, *line, env_.occurred_at);  // raised from 0: a request
  const Qty now = line->special_order_qty;
  if (so->status == SoStatus::kCompleted) {
    return Refuse(
        so->id, kContractRule,
        "special order " + Str(so->id) + " is completed; its quantity stays " + Str(so->quantity));
  }
  if (so->status == SoStatus::kCancelled) {
    if (now == 0) return Audit(so->id, kContractRule, "unchanged", "already cancelled");
    return Refuse(
        so->id, kContractRule,
        "special order " + Str(so->id) + " is cancelled; a new special order needs a new line");
  }
  if (now == so->quantity) {
    return Audit(so->id, kContractRule, "unchanged",
                 "line " + Str(line->id) + " still wants " + Str(now));
  }
  if (now == 0) return Cancel(*so, "the line's special-order quantity was set to 0");
  SO_ASSIGN_OR_RETURN(const Qty picked, store_.LockPickedQty(so->id));
  if (now < picked) {
    return Refuse(so->id, kContractRule,
                  "special order " + Str(so->id) + " has " + Str(picked) +
                      " picked up already; its quantity cannot go below that");
  }
  return now > so->quantity ? Grow(*so, now - so->quantity) : Shrink(*so, so->quantity - now);
}

// More wanted: more backordered, and the special order's PO line grows when its PO may still
// take it; otherwise the special order is sourced again for all it waits for.
Status Decision::Grow(SpecialOrder& so, Qty more) {
  const auto sel = Select(so);
  so.quantity += more;
  so.updated_at = env_.occurred_at;
  SO_RETURN_IF_ERROR(store_.AddToStock(so.store_id, so.product_id, 0, more));
  if (so.status == SoStatus::kReady) SO_RETURN_IF_ERROR(Move(so, SoStatus::kInProgress, sel.rule));
  SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
  SO_RETURN_IF_ERROR(SyncLine(so));
  SO_RETURN_IF_ERROR(
      Audit(so.id, sel.rule, "quantity_raised",
            "+" + Str(more) + " to " + Str(so.quantity) + "; backordered +" + Str(more)));
  if (so.status == SoStatus::kRequest) return Status();  // sourced later, for all it waits for

  std::optional<PurchaseOrder> po;
  if (so.source == SoSource::kVendor && so.po_id) {
    SO_ASSIGN_OR_RETURN(po, store_.LockPo(*so.po_id));
  }
  std::optional<PoLine> line;
  if (po && Contains(sel.settings.attach_po_statuses, po->status)) {
    SO_ASSIGN_OR_RETURN(line, store_.LockPoLine(po->id, so.product_id));
  }
  if (line && line->id == so.po_line_id) {
    SO_ASSIGN_OR_RETURN(auto offers, store_.GetProductVendors(so.product_id));
    std::optional<ProductVendor> terms;
    for (const auto& o : offers) {
      if (o.vendor_id == po->vendor_id) terms = o;
    }
    const Qty before = line->quantity_ordered;
    line->quantity_ordered = RoundForVendor(before + more, terms);
    SO_RETURN_IF_ERROR(store_.SetPoLineQuantity(line->id, line->quantity_ordered));
    Emit(PurchaseOrderEvent{false,
                            po->id,
                            po->vendor_id,
                            po->store_id,
                            {PoEventLine{line->id, so.product_id, line->quantity_ordered}}});
    return Audit(so.id, sel.rule, "grew_po_line",
                 "PO " + Str(po->id) + " line " + Str(line->id) + " from " + Str(before) + " to " +
                     Str(line->quantity_ordered));
  }
  SO_ASSIGN_OR_RETURN(auto product, store_.GetProduct(so.product_id));
  if (!product) return Refuse(so.id, sel.rule, "product " + Str(so.product_id) + " does not exist");
  const std::string why = po ? "PO " + Str(po->id) + " is " + po->status + " and takes no more"
                             : "a requested transfer cannot grow";
  SO_RETURN_IF_ERROR(Detach(so, sel.rule, why));
  return SourceAgain(so, *product);
}

// Fewer wanted: less backordered; allocated units beyond the new quantity go back to open
// stock (and to others that wait, when the rule says so); the PO is left alone unless the rule
// shrinks draft POs.
Status Decision::Shrink(SpecialOrder& so, Qty less) {
  const auto sel = Select(so);
  SO_ASSIGN_OR_RETURN(const Qty picked, store_.LockPickedQty(so.id));
  const Qty waited = so.waiting();
  so.quantity -= less;
  const Qty release = std::max<Qty>(0, so.allocated_qty - std::max(so.quantity, picked));
  so.allocated_qty -= release;
  so.updated_at = env_.occurred_at;
  const Qty unbackordered = waited - so.waiting();
  SO_RETURN_IF_ERROR(store_.AddToStock(so.store_id, so.product_id, -release, -unbackordered));
  if (picked >= so.quantity) {
    SO_RETURN_IF_ERROR(Move(so, SoStatus::kCompleted, sel.rule));
  } else if (so.allocated_qty > 0 && AllocatedStatus(so, sel.settings) != so.status) {
    SO_RETURN_IF_ERROR(Move(so, AllocatedStatus(so, sel.settings), sel.rule));
  }
  SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
  SO_RETURN_IF_ERROR(SyncLine(so));
  SO_RETURN_IF_ERROR(Audit(so.id, sel.rule, "quantity_lowered",
                           "-" + Str(less) + " to " + Str(so.quantity) + "; backordered -" +
                               Str(unbackordered) + ", committed -" + Str(release)));
  SO_RETURN_IF_ERROR(ShrinkDraftPo(so, unbackordered));
  return OfferFreedStock(so.store_id, so.product_id, release, so.id);
}

Status Decision::Cancel(SpecialOrder& so, const std::string& why) {
  const auto sel = Select(so);
  SO_ASSIGN_OR_RETURN(const Qty picked, store_.LockPickedQty(so.id));
  const Qty release = std::max<Qty>(0, so.allocated_qty - picked);
  const Qty waited = so.waiting();
  if (release != 0 || waited != 0) {
    SO_RETURN_IF_ERROR(store_.AddToStock(so.store_id, so.product_id, -release, -waited));
  }
  so.allocated_qty = 0;
  SO_RETURN_IF_ERROR(Move(so, SoStatus::kCancelled, sel.rule));
  SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
  SO_RETURN_IF_ERROR(SyncLine(so));
  SO_RETURN_IF_ERROR(UpdateRedStar(so.order_id));
  SO_RETURN_IF_ERROR(Audit(so.id, sel.rule, "cancelled",
                           why + "; backordered -" + Str(waited) + ", committed -" + Str(release)));
  SO_RETURN_IF_ERROR(ShrinkDraftPo(so, waited));
  return OfferFreedStock(so.store_id, so.product_id, release, so.id);
}

Status Decision::ShrinkDraftPo(const SpecialOrder& so, Qty units) {
  if (units <= 0 || so.source != SoSource::kVendor || !so.po_id || !so.po_line_id) {
    return Status();
  }
  const auto sel = Select(so);
  if (!sel.settings.shrink_draft_po) return Status();
  SO_ASSIGN_OR_RETURN(auto po, store_.LockPo(*so.po_id));
  if (!po || po->status != "draft") return Status();
  SO_ASSIGN_OR_RETURN(auto line, store_.LockPoLine(po->id, so.product_id));
  if (!line || line->id != *so.po_line_id) return Status();
  SO_ASSIGN_OR_RETURN(auto attached, store_.LockSpecialOrdersOnPoLines({line->id}));
  Qty floor = 0;
  for (const auto& other : attached) floor += other.waiting();
  const Qty shrunk = std::max(floor, line->quantity_ordered - units);
  if (shrunk >= line->quantity_ordered) return Status();
  SO_RETURN_IF_ERROR(store_.SetPoLineQuantity(line->id, shrunk));
  return Audit(so.id, sel.rule, "shrank_po_line",
               "draft PO " + Str(po->id) + " line " + Str(line->id) + " from " +
                   Str(line->quantity_ordered) + " to " + Str(shrunk));
}

Status Decision::UpdateRedStar(Id order_id) {
  SO_ASSIGN_OR_RETURN(auto all, store_.LockSpecialOrdersOfOrder(order_id));
  const bool any = std::any_of(all.begin(), all.end(), [](const SpecialOrder& so) {
    return so.status != SoStatus::kCancelled;
  });
  return store_.SetHasSpecialOrder(order_id, any, env_.occurred_at);
}

Status Decision::Handle(const OrderCancelled& p) {
  SO_ASSIGN_OR_RETURN(auto order, store_.LockOrder(p.order_id));
  if (!order)
    return Refuse(std::nullopt, kContractRule, "order " + Str(p.order_id) + " does not exist");
  if (order->status != "cancelled") {
    return Refuse(
        std::nullopt, kContractRule,
        "order " + Str(order->id) + " is " + order->status + " in the database, not cancelled");
  }
  SO_ASSIGN_OR_RETURN(auto all, store_.LockSpecialOrdersOfOrder(order->id));
  bool any = false;
  for (auto& so : all) {
    if (Done(so)) continue;
    any = true;
    SO_RETURN_IF_ERROR(Cancel(so, "order " + Str(order->id) + " was cancelled"));
  }
  if (any) return Status();
  return Audit(std::nullopt, kContractRule, "nothing_to_cancel",
               "order " + Str(order->id) + " has no open special order");
}

Status Decision::Handle(const BackofficeCancel& p) {
  SO_ASSIGN_OR_RETURN(auto so, store_.LockSpecialOrder(p.special_order_id));
  if (!so) {
    return Refuse(std::nullopt, kContractRule,
                  "special order " + Str(p.special_order_id) + " does not exist");
  }
  if (Done(*so)) {
    return Refuse(so->id, kContractRule,
                  "special order " + Str(so->id) + " is " + std::string(ToString(so->status)) +
                      " and cannot be cancelled");
  }
  return Cancel(*so, "cancelled by " + p.user + " in the Back Office");
}

// The POS has handed the goods over and taken them off on_hand. Units handed over beyond what
// was allocated came from open stock: they count as allocated at the pickup, so that backorder
// and commitment stay exact.
Status Decision::Handle(const OrderPickedUp& p) {
  SO_ASSIGN_OR_RETURN(auto order, store_.LockOrder(p.order_id));
  if (!order)
    return Refuse(std::nullopt, kContractRule, "order " + Str(p.order_id) + " does not exist");
  bool any = false;
  for (const auto& l : p.lines) {
    SO_ASSIGN_OR_RETURN(auto so, store_.LockSpecialOrderByLine(l.order_line_id));
    if (!so || so->order_id != order->id) continue;  // not special-ordered: the POS's business
    any = true;
    const auto sel = Select(*so);
    if (Done(*so)) {
      SO_RETURN_IF_ERROR(Audit(so->id, sel.rule, "pickup_ignored",
                               "special order is " + std::string(ToString(so->status))));
      continue;
    }
    SO_ASSIGN_OR_RETURN(const Qty picked, store_.LockPickedQty(so->id));
    const Qty from_committed = std::min(l.quantity, so->allocated_qty - picked);
    const Qty from_open = std::min(l.quantity - from_committed, so->waiting());
    so->allocated_qty += from_open;
    const Qty now_picked = picked + from_committed + from_open;
    SO_RETURN_IF_ERROR(
        store_.AddToStock(so->store_id, so->product_id, -from_committed, -from_open));
    SO_RETURN_IF_ERROR(store_.SetPickedQty(so->id, now_picked));
    so->updated_at = env_.occurred_at;
    if (now_picked >= so->quantity) {
      SO_RETURN_IF_ERROR(Move(*so, SoStatus::kCompleted, sel.rule));
    } else if (from_open > 0) {
      const SoStatus to = AllocatedStatus(*so, sel.settings);
      if (to != so->status) SO_RETURN_IF_ERROR(Move(*so, to, sel.rule));
    }
    SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(*so));
    SO_RETURN_IF_ERROR(SyncLine(*so));
    std::string detail = Str(l.quantity) + " handed over; picked up " + Str(now_picked) + " of " +
                         Str(so->quantity) + "; committed -" + Str(from_committed);
    if (from_open > 0)
      detail += ", " + Str(from_open) + " from open stock (backordered -" + Str(from_open) + ")";
    const Qty beyond = l.quantity - from_committed - from_open;
    if (beyond > 0) detail += ", " + Str(beyond) + " beyond the special order";
    SO_RETURN_IF_ERROR(Audit(so->id, sel.rule, "picked_up", detail));
  }
  if (any) return Status();
  return Audit(std::nullopt, kContractRule, "nothing_to_pick_up",
               "order " + Str(order->id) + " has no special-ordered line in this pickup");
}

}  // namespace so::internal
