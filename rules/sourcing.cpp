// Requests and sourcing: creating special orders, choosing a vendor or a sending store, POs and
// transfers, and sending special orders back to be sourced again when their PO goes wrong.
#include <algorithm>
#include <tuple>

#include "rules/decision.hpp"

namespace so::internal {
namespace {

constexpr const char* kContractRule = kContractRuleName;

}  // namespace

Status Decision::Handle(const SpecialOrderRequested& p) {
  SO_ASSIGN_OR_RETURN(auto order, store_.LockOrder(p.order_id));
  if (!order) {
    return RejectLine(p.order_line_id, kContractRule,
                      "order " + Str(p.order_id) + " does not exist");
  }
  SO_ASSIGN_OR_RETURN(auto line, store_.LockOrderLine(p.order_line_id));
  if (!line || line->order_id != p.order_id) {
    return RejectLine(
        p.order_line_id, kContractRule,
        "order line " + Str(p.order_line_id) + " does not exist on order " + Str(p.order_id));
  }
  if (line->product_id != p.product_id) {
    return RejectLine(p.order_line_id, kContractRule,
                      "order line " + Str(p.order_line_id) + " is for product " +
                          Str(line->product_id) + ", not " + Str(p.product_id));
  }
  return Request(*order, *line, p.requested_at);
}

// Creates the special order for a line the POS marked, if the rules allow it. The quantity is
// the line's special_order_qty as the database has it now: the POS committed it before it
// published, and a later change the database already shows must not be undone.
Status Decision::Request(CustomerOrder& order, OrderLine& line, Timestamp requested_at) {
  SO_ASSIGN_OR_RETURN(auto existing, store_.LockSpecialOrderByLine(line.id));
  if (existing) {
    return Audit(existing->id, kContractRule, "already_requested",
                 "line " + Str(line.id) + " already has special order " + Str(existing->id));
  }
  if (line.special_order_qty <= 0) {
    return Audit(std::nullopt, kContractRule, "nothing_to_request",
                 "line " + Str(line.id) + " no longer has a special-order quantity");
  }
  if (order.status == "cancelled") {
    return RejectLine(line.id, kContractRule, "order " + Str(order.id) + " is cancelled");
  }
  SO_ASSIGN_OR_RETURN(auto product, store_.GetProduct(line.product_id));
  if (!product) {
    return RejectLine(line.id, kContractRule,
                      "product " + Str(line.product_id) + " does not exist");
  }
  const auto sel =
      Select(order.store_id, product->id, product->primary_vendor_id, order.customer_id);
  if (!product->special_order_allowed) {
    return RejectLine(line.id, sel.rule, "product " + product->sku + " may not be special-ordered");
  }
  SO_ASSIGN_OR_RETURN(StockRow stock, store_.LockStock(order.store_id, product->id));
  if (stock.open() > 0 && !sel.settings.allow_positive_open_stock) {
    return RejectLine(line.id, sel.rule,
                      "product " + product->sku + " has " + Str(stock.open()) +
                          " in open stock at store " + Str(order.store_id) +
                          "; special orders are for zero or negative open stock");
  }
  // A product nobody can supply is refused now rather than left waiting for ever.
  SO_ASSIGN_OR_RETURN(auto offers, store_.GetProductVendors(product->id));
  bool supplied = !sel.settings.transfer_from_stores.empty() ||
                  std::any_of(offers.begin(), offers.end(),
                              [](const ProductVendor& o) { return o.vendor_active; });
  if (!supplied && product->primary_vendor_id) {
    SO_ASSIGN_OR_RETURN(auto primary, store_.GetVendor(*product->primary_vendor_id));
    supplied = primary && primary->active;
  }
  if (!supplied) {
    return RejectLine(line.id, sel.rule, "no active vendor supplies product " + product->sku);
  }

  SpecialOrder so;
  so.store_id = order.store_id;
  so.order_id = order.id;
  so.order_line_id = line.id;
  so.customer_id = order.customer_id;
  so.product_id = product->id;
  so.quantity = line.special_order_qty;
  so.status = SoStatus::kRequest;
  so.requested_at = requested_at;
  so.updated_at = env_.occurred_at;
  SO_ASSIGN_OR_RETURN(so.id, store_.InsertSpecialOrder(so));

  SO_RETURN_IF_ERROR(SyncLine(so));
  SO_RETURN_IF_ERROR(store_.AddToStock(so.store_id, so.product_id, 0, so.quantity));
  if (!order.has_special_order) {
    SO_RETURN_IF_ERROR(store_.SetHasSpecialOrder(order.id, true, env_.occurred_at));
    order.has_special_order = true;
  }
  Emit(SpecialOrderCreatedEvent{so.id, so.order_id, so.order_line_id, so.product_id, so.quantity,
                                so.status});
  SO_RETURN_IF_ERROR(Audit(so.id, sel.rule, "created",
                           "special order for " + Str(so.quantity) + " x " + product->sku +
                               " on line " + Str(line.id) + "; backordered +" + Str(so.quantity)));
  return Source(so, *product, sel);
}

Status Decision::SourceAgain(SpecialOrder& so, const Product& product) {
  return Source(so, product,
                Select(so.store_id, so.product_id, product.primary_vendor_id, so.customer_id));
}

Status Decision::Source(SpecialOrder& so, const Product& product, RuleSet::Selected sel) {
  if (sel.settings.on_request == OnRequest::kWait) {
    return Audit(so.id, sel.rule, "waits_for_back_office",
                 "rule says to wait for the Back Office to order it");
  }
  if (!sel.settings.transfer_from_stores.empty()) {
    SO_ASSIGN_OR_RETURN(auto rows, store_.GetStockOfProduct(so.product_id));
    for (Id from : sel.settings.transfer_from_stores) {
      if (from == so.store_id) continue;
      const auto row = std::find_if(rows.begin(), rows.end(),
                                    [from](const StockRow& r) { return r.store_id == from; });
      const Qty open = row == rows.end() ? 0 : row->open();
      // Written so that no huge transfer_min_left can overflow.
      if (open >= so.waiting() && open - so.waiting() >= sel.settings.transfer_min_left) {
        return SourceFromTransfer(so, from, sel,
                                  "store " + Str(from) + " has " + Str(open) + " open");
      }
    }
  }
  SO_ASSIGN_OR_RETURN(auto pick, ChooseVendor(product, sel.settings));
  if (!pick) {
    return Audit(so.id, sel.rule, "no_vendor",
                 "no active vendor for product " + product.sku +
                     " by the rule's vendor choice; waits for the Back Office");
  }
  return SourceFromVendor(so, product, sel, *pick, std::nullopt);
}

Result<std::optional<Decision::VendorPick>> Decision::ChooseVendor(const Product& product,
                                                                   const Settings& s) {
  SO_ASSIGN_OR_RETURN(auto offers, store_.GetProductVendors(product.id));
  std::erase_if(offers, [](const ProductVendor& o) { return !o.vendor_active; });
  auto terms_of = [&](Id vendor_id) -> std::optional<ProductVendor> {
    for (const auto& o : offers) {
      if (o.vendor_id == vendor_id) return o;
    }
    return std::nullopt;
  };
  for (VendorChoice choice : s.vendor_choice) {
    std::optional<Id> vendor_id;
    std::string how;
    if (choice == VendorChoice::kPrimary) {
      vendor_id = product.primary_vendor_id;
      how = "primary vendor";
    } else if (!offers.empty()) {
      // Costs are DECIMAL(12,4) text; a double holds every such value closely enough to rank.
      auto cost = [](const ProductVendor& o) { return std::stod(o.unit_cost); };
      auto best = offers.begin();
      for (auto it = offers.begin(); it != offers.end(); ++it) {
        const bool better =
            choice == VendorChoice::kCheapest
                ? std::make_tuple(cost(*it), it->lead_time_days, it->vendor_id) <
                      std::make_tuple(cost(*best), best->lead_time_days, best->vendor_id)
                : std::make_tuple(it->lead_time_days, cost(*it), it->vendor_id) <
                      std::make_tuple(best->lead_time_days, cost(*best), best->vendor_id);
        if (better) best = it;
      }
      vendor_id = best->vendor_id;
      how = choice == VendorChoice::kCheapest ? "cheapest vendor" : "shortest lead time";
    }
    if (!vendor_id) continue;
    SO_ASSIGN_OR_RETURN(auto vendor, store_.GetVendor(*vendor_id));
    if (!vendor || !vendor->active) continue;
    return std::optional<VendorPick>(VendorPick{*vendor, terms_of(*vendor_id), how});
  }
  return std::optional<VendorPick>();
}

// Orders what the special order still waits for from the picked vendor: on `po` when the Back
// Office named one, else on the newest attachable PO of the vendor and store, else on a new
// draft PO. The line is rounded to the vendor's minimum and pack size.
Status Decision::SourceFromVendor(SpecialOrder& so, const Product& product, RuleSet::Selected sel,
                                  const VendorPick& pick, std::optional<PurchaseOrder> po) {
  const Vendor& vendor = pick.vendor;
  if (!po) {
    SO_ASSIGN_OR_RETURN(
        po, store_.LockNewestPo(so.store_id, vendor.id, sel.settings.attach_po_statuses));
  }
  PurchaseOrderEvent event;
  event.vendor_id = vendor.id;
  event.store_id = so.store_id;
  std::string what;
  if (!po) {
    PurchaseOrder fresh;
    fresh.store_id = so.store_id;
    fresh.vendor_id = vendor.id;
    fresh.status = "draft";
    fresh.created_at = env_.occurred_at;
    SO_ASSIGN_OR_RETURN(fresh.id, store_.InsertPo(fresh, actor_));
    po = fresh;
    event.created = true;
    what = "created draft PO " + Str(po->id);
  } else {
    what = "attached to " + po->status + " PO " + Str(po->id);
  }
  event.po_id = po->id;

  const Qty need = so.waiting();
  std::optional<PoLine> line;
  if (!event.created) {
    SO_ASSIGN_OR_RETURN(line, store_.LockPoLine(po->id, product.id));
  }
  if (line) {
    const Qty before = line->quantity_ordered;
    line->quantity_ordered = RoundForVendor(before + need, pick.terms);
    SO_RETURN_IF_ERROR(store_.SetPoLineQuantity(line->id, line->quantity_ordered));
    what += ", its line " + Str(line->id) + " from " + Str(before) + " to " +
            Str(line->quantity_ordered);
  } else {
    line = PoLine{0,          po->id,
                  product.id, RoundForVendor(need, pick.terms),
                  0,          pick.terms ? pick.terms->unit_cost : "0.0000"};
    SO_ASSIGN_OR_RETURN(line->id, store_.InsertPoLine(*line));
    what += ", new line " + Str(line->id) + " for " + Str(line->quantity_ordered);
  }
  if (pick.terms && (pick.terms->pack_size > 1 || pick.terms->min_order_qty > 1)) {
    what += " (packs of " + Str(pick.terms->pack_size) + ", minimum " +
            Str(pick.terms->min_order_qty) + ")";
  }
  event.lines.push_back(PoEventLine{line->id, product.id, line->quantity_ordered});

  // The PO event first: the POS learns of the line before the status that points at it.
  const char* decision = event.created ? "created_po" : "attached_to_po";
  Emit(std::move(event));
  so.source = SoSource::kVendor;
  so.vendor_id = vendor.id;
  so.po_id = po->id;
  so.po_line_id = line->id;
  SO_RETURN_IF_ERROR(MarkSourced(so, sel.rule));
  SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
  SO_RETURN_IF_ERROR(
      Audit(so.id, sel.rule, decision,
            "vendor " + Str(vendor.id) + " (" + vendor.name + ", " + pick.how + "); " + what));
  return PromiseFromVendor(so, sel.rule, *po, pick.terms);
}

// A transfer request reserves nothing at the sending store: its stock is the POS's until it
// ships, and committed counts only what the daemon allocated.
Status Decision::SourceFromTransfer(SpecialOrder& so, Id from_store_id, RuleSet::Selected sel,
                                    const std::string& how) {
  const std::string& rule = sel.rule;
  StoreTransfer t;
  t.from_store_id = from_store_id;
  t.to_store_id = so.store_id;
  t.created_at = env_.occurred_at;
  SO_ASSIGN_OR_RETURN(t.id, store_.InsertTransfer(t, actor_));
  const StoreTransferLine line{0, t.id, so.product_id, so.waiting(), so.id};
  SO_RETURN_IF_ERROR(store_.InsertTransferLine(line).status());
  Emit(TransferRequestedEvent{
      t.id, from_store_id, so.store_id, {TransferLine{so.product_id, line.quantity}}});
  so.source = SoSource::kTransfer;
  so.transfer_id = t.id;
  so.vendor_id.reset();
  so.po_id.reset();
  so.po_line_id.reset();
  SO_RETURN_IF_ERROR(MarkSourced(so, rule));
  SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
  SO_RETURN_IF_ERROR(Audit(so.id, rule, "requested_transfer",
                           "transfer " + Str(t.id) + " of " + Str(line.quantity) + " from store " +
                               Str(from_store_id) + " (" + how + ")"));
  const int days = sel.settings.transfer_days;
  return Promise(so, rule, PromiseBasis::kTransferDays, env_.occurred_at, days,
                 "transfer " + Str(t.id) + " takes " + Str(days) + " days (transfer_days)");
}

Status Decision::Detach(SpecialOrder& so, const std::string& rule, const std::string& why) {
  std::string from = so.po_id         ? "PO " + Str(*so.po_id)
                     : so.transfer_id ? "transfer " + Str(*so.transfer_id)
                                      : "nothing";
  so.source.reset();
  so.vendor_id.reset();
  so.po_id.reset();
  so.po_line_id.reset();
  so.transfer_id.reset();
  SO_RETURN_IF_ERROR(Move(so, SoStatus::kRequest, rule));
  SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
  return Audit(so.id, rule, "back_to_request",
               "taken off " + from + " (" + why + "); " + Str(so.waiting()) + " to source again");
}

Status Decision::MarkSourced(SpecialOrder& so, const std::string& rule) {
  so.ordered_at = env_.occurred_at;
  return Move(so, so.allocated_qty > 0 ? SoStatus::kInProgress : SoStatus::kOrdered, rule);
}

Result<std::optional<SpecialOrder>> Decision::LockInRequest(Id special_order_id,
                                                            const std::string& verb) {
  SO_ASSIGN_OR_RETURN(auto so, store_.LockSpecialOrder(special_order_id));
  if (!so) {
    SO_RETURN_IF_ERROR(Refuse(std::nullopt, kContractRule,
                              "special order " + Str(special_order_id) + " does not exist"));
  } else if (so->status != SoStatus::kRequest) {
    SO_RETURN_IF_ERROR(Refuse(so->id, kContractRule,
                              "special order " + Str(so->id) + " is " +
                                  std::string(ToString(so->status)) +
                                  "; only a special order in request can be " + verb));
    so.reset();
  }
  return so;
}

Status Decision::Handle(const BackofficeOrder& p) {
  SO_ASSIGN_OR_RETURN(auto so, LockInRequest(p.special_order_id, "ordered"));
  if (!so) return Status();
  SO_ASSIGN_OR_RETURN(auto product, store_.GetProduct(so->product_id));
  if (!product) {
    return Refuse(so->id, kContractRule, "product " + Str(so->product_id) + " does not exist");
  }

  std::optional<PurchaseOrder> po;
  std::optional<Id> vendor_id = p.vendor_id;
  if (p.po_id) {
    SO_ASSIGN_OR_RETURN(po, store_.LockPo(*p.po_id));
    if (!po) return Refuse(so->id, kContractRule, "PO " + Str(*p.po_id) + " does not exist");
    if (po->store_id != so->store_id) {
      return Refuse(so->id, kContractRule,
                    "PO " + Str(po->id) + " is for store " + Str(po->store_id) +
                        ", the special order for store " + Str(so->store_id));
    }
    if (vendor_id && *vendor_id != po->vendor_id) {
      return Refuse(so->id, kContractRule,
                    "PO " + Str(po->id) + " is for vendor " + Str(po->vendor_id) + ", not vendor " +
                        Str(*vendor_id));
    }
    vendor_id = po->vendor_id;
  }
  const auto sel = Select(so->store_id, so->product_id,
                          vendor_id ? vendor_id : product->primary_vendor_id, so->customer_id);
  if (po && !Contains(sel.settings.attach_po_statuses, po->status)) {
    return Refuse(so->id, sel.rule,
                  "PO " + Str(po->id) + " is " + po->status +
                      "; the rule attaches special orders only to POs that are " +
                      Join(sel.settings.attach_po_statuses));
  }
  std::optional<VendorPick> pick;
  if (vendor_id) {
    SO_ASSIGN_OR_RETURN(auto vendor, store_.GetVendor(*vendor_id));
    if (!vendor) return Refuse(so->id, sel.rule, "vendor " + Str(*vendor_id) + " does not exist");
    if (!vendor->active) {
      return Refuse(so->id, sel.rule, "vendor " + Str(vendor->id) + " is not active");
    }
    SO_ASSIGN_OR_RETURN(auto offers, store_.GetProductVendors(product->id));
    pick = VendorPick{*vendor, std::nullopt, "chosen by " + p.user + " in the Back Office"};
    for (const auto& o : offers) {
      if (o.vendor_id == vendor->id) pick->terms = o;
    }
  } else {
    SO_ASSIGN_OR_RETURN(pick, ChooseVendor(*product, sel.settings));
    if (!pick) return Refuse(so->id, sel.rule, "no active vendor for product " + product->sku);
  }
  return SourceFromVendor(*so, *product, sel, *pick, po);
}

Status Decision::Handle(const BackofficeTransfer& p) {
  SO_ASSIGN_OR_RETURN(auto so, LockInRequest(p.special_order_id, "transferred"));
  if (!so) return Status();
  if (p.from_store_id == so->store_id) {
    return Refuse(
        so->id, kContractRule,
        "a transfer needs another store than the special order's own store " + Str(so->store_id));
  }
  SO_ASSIGN_OR_RETURN(const bool exists, store_.StoreExists(p.from_store_id));
  if (!exists) {
    return Refuse(so->id, kContractRule, "store " + Str(p.from_store_id) + " does not exist");
  }
  // The operator's choice stands even when the sending store shows too little open stock (it
  // may know better); the audit keeps what the daemon saw.
  SO_ASSIGN_OR_RETURN(auto rows, store_.GetStockOfProduct(so->product_id));
  Qty open = 0;
  for (const auto& r : rows) {
    if (r.store_id == p.from_store_id) open = r.open();
  }
  return SourceFromTransfer(*so, p.from_store_id, Select(*so),
                            "chosen by " + p.user + " in the Back Office; store " +
                                Str(p.from_store_id) + " has " + Str(open) + " open");
}

// A PO that is cancelled, or closed or received with special orders still waiting on it, sends
// them back to `request`, to be sourced again as their rules say.
Status Decision::Handle(const PoStatusChanged& p) {
  SO_ASSIGN_OR_RETURN(auto po, store_.LockPo(p.po_id));
  if (!po) return Refuse(std::nullopt, kContractRule, "PO " + Str(p.po_id) + " does not exist");
  SO_RETURN_IF_ERROR(Audit(std::nullopt, kContractRule, "po_status_recorded",
                           "PO " + Str(p.po_id) + " " + p.previous_status + " -> " + p.status +
                               "; the database has " + po->status));
  if (po->status != "draft" && po->status != "cancelled") SO_RETURN_IF_ERROR(PoSent(*po));
  if (!PoGoneWrong(po->status)) return Status();
  // The POS committed its shipments before it said the PO is received or closed, and their
  // messages may not be here yet: apply them first, so that only what really did not come is
  // ordered again.
  SO_ASSIGN_OR_RETURN(auto shipments, store_.UnappliedShipmentsOfPo(po->id));
  for (Id shipment : shipments) SO_RETURN_IF_ERROR(ApplyShipment(shipment));
  SO_ASSIGN_OR_RETURN(auto attached, store_.LockSpecialOrdersOnPo(po->id));
  for (auto& so : attached) {
    // Goods that arrived and wait for the Back Office's confirmation are in the store already.
    if (so.waiting() <= 0 || so.status == SoStatus::kArrived) continue;
    SO_ASSIGN_OR_RETURN(auto product, store_.GetProduct(so.product_id));
    const auto sel = Select(so);
    SO_RETURN_IF_ERROR(Detach(so, sel.rule, "PO " + Str(po->id) + " is " + po->status));
    if (!product) continue;
    SO_RETURN_IF_ERROR(SourceAgain(so, *product));
  }
  return Status();
}

}  // namespace so::internal
