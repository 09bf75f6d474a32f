// Arrivals and allocation: vendor shipments and received transfers, short and over, announced
// and allocated at once or on the Back Office's confirmation.
#include <algorithm>
#include <map>

#include "rules/decision.hpp"
#include "rules/service.hpp"

namespace so::internal {
namespace {

constexpr const char* kContractRule = kContractRuleName;

}  // namespace

Status Decision::Handle(const ShipmentCompleted& p) { return ApplyShipment(p.shipment_id); }

Status Decision::ApplyShipment(Id shipment_id) {
  SO_ASSIGN_OR_RETURN(auto shipment, store_.GetShipment(shipment_id));
  if (!shipment) {
    return Refuse(std::nullopt, kContractRule, "shipment " + Str(shipment_id) + " does not exist");
  }
  if (shipment->status != "completed") {
    return Refuse(std::nullopt, kContractRule,
                  "shipment " + Str(shipment->id) + " is " + shipment->status +
                      " in the database, not completed");
  }
  Arrival a{ArrivalKind::kShipment, shipment->id, shipment->store_id,
            shipment->vendor_id,    {},           shipment->po_id};
  std::vector<Id> po_lines;
  std::vector<std::pair<Id, Qty>> brought;
  for (const auto& l : shipment->lines) {
    po_lines.push_back(l.po_line_id);
    brought.emplace_back(l.product_id, l.quantity);
  }
  SO_ASSIGN_OR_RETURN(a.waiting, store_.LockSpecialOrdersOnPoLines(po_lines));
  return Arrive(a, brought);
}

// The quantities are the payload's: the database keeps what a transfer was requested for, not
// what arrived, and the POS moved on_hand by what the message says.
Status Decision::Handle(const TransferReceived& p) {
  SO_ASSIGN_OR_RETURN(auto transfer, store_.GetTransfer(p.transfer_id));
  if (!transfer) {
    return Refuse(std::nullopt, kContractRule,
                  "transfer " + Str(p.transfer_id) + " does not exist");
  }
  if (transfer->status != "received") {
    return Refuse(std::nullopt, kContractRule,
                  "transfer " + Str(transfer->id) + " is " + transfer->status +
                      " in the database, not received");
  }
  Arrival a{ArrivalKind::kTransfer, transfer->id, transfer->to_store_id,
            std::nullopt,           {},           std::nullopt};
  std::vector<std::pair<Id, Qty>> brought;
  for (const auto& l : p.lines) brought.emplace_back(l.product_id, l.quantity);
  SO_ASSIGN_OR_RETURN(a.waiting, store_.LockSpecialOrdersOnTransfer(transfer->id));
  return Arrive(a, brought);
}

Status Decision::Arrive(Arrival& a, const std::vector<std::pair<Id, Qty>>& brought) {
  const std::string what = std::string(ToString(a.kind)) + " " + Str(a.id);
  SO_ASSIGN_OR_RETURN(auto ledger, store_.LockArrivalLines(a.kind, a.id));
  if (!ledger.empty()) {
    return Audit(std::nullopt, kContractRule, "already_arrived", what + " was applied before");
  }
  std::map<Id, Qty> per_product;
  for (const auto& [product_id, qty] : brought) per_product[product_id] += qty;
  for (const auto& [product_id, qty] : per_product) {
    ledger.push_back(ArrivalLine{a.kind, a.id, product_id, a.store_id, qty, 0});
  }
  std::erase_if(a.waiting, [](const SpecialOrder& so) { return !ServedByArrival(so); });

  // Announce every special order this arrival serves, in order of service, with what it would
  // get (the POS pop-up), then move each to `arrived`.
  ArrivedEvent arrived{a.kind, a.id, a.store_id, {}};
  std::vector<SpecialOrder*> served;
  for (const auto& line : ledger) {
    const auto sel = Select(a.store_id, line.product_id, a.vendor_id);
    std::vector<SpecialOrder*> candidates;
    for (auto& so : a.waiting) {
      if (so.product_id == line.product_id) candidates.push_back(&so);
    }
    so::SortForService(rules_, sel.settings, candidates);
    Qty left = line.quantity;
    for (SpecialOrder* so : candidates) {
      if (left == 0) break;
      const Qty q = std::min(so->waiting(), left);
      left -= q;
      arrived.special_orders.push_back(ArrivedOrder{so->id, so->order_id, so->product_id, q});
      served.push_back(so);
    }
  }
  if (!arrived.special_orders.empty()) Emit(arrived);
  for (size_t i = 0; i < served.size(); ++i) {
    SpecialOrder& so = *served[i];
    const auto sel = Select(so);
    if (so.status == SoStatus::kOrdered) {
      SO_RETURN_IF_ERROR(Move(so, SoStatus::kArrived, sel.rule));
      SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
    }
    SO_RETURN_IF_ERROR(Audit(so.id, sel.rule, "arrived",
                             Str(arrived.special_orders[i].quantity) + " for it on " + what));
  }

  for (auto& line : ledger) {
    const auto sel = Select(a.store_id, line.product_id, a.vendor_id);
    const AllocationMode mode = a.kind == ArrivalKind::kShipment ? sel.settings.allocation
                                                                 : sel.settings.transfer_allocation;
    if (mode == AllocationMode::kImmediate) {
      SO_RETURN_IF_ERROR(Allocate(a, line, nullptr));
    } else {
      SO_RETURN_IF_ERROR(Audit(std::nullopt, sel.rule, "awaits_confirmation",
                               "allocation of product " + Str(line.product_id) + " from " + what +
                                   " waits for the Back Office"));
    }
    SO_RETURN_IF_ERROR(store_.PutArrivalLine(line));
  }
  return ResourceWhatNothingMoreBrings(a);
}

Status Decision::ResourceWhatNothingMoreBrings(Arrival& a,
                                               const std::optional<std::set<Id>>& confirmed) {
  if (a.kind == ArrivalKind::kShipment) {
    if (!a.po_id) return Status();
    SO_ASSIGN_OR_RETURN(auto po, store_.LockPo(*a.po_id));
    if (!po || !PoGoneWrong(po->status)) return Status();
  }
  const std::string what = a.kind == ArrivalKind::kTransfer
                               ? "transfer " + Str(a.id) + " brought too little"
                               : "PO " + Str(*a.po_id) + " brings nothing more";
  for (auto& so : a.waiting) {
    const bool from_it =
        a.kind == ArrivalKind::kTransfer ? so.transfer_id == a.id : so.po_id == a.po_id;
    const bool awaits_confirmation =
        so.status == SoStatus::kArrived &&
        !(confirmed && (confirmed->empty() || confirmed->contains(so.id)));
    if (!from_it || so.waiting() <= 0 || awaits_confirmation) continue;
    SO_ASSIGN_OR_RETURN(auto product, store_.GetProduct(so.product_id));
    if (!product) continue;
    SO_RETURN_IF_ERROR(
        Detach(so, Select(so).rule, what + "; " + Str(so.waiting()) + " still wanted"));
    SO_RETURN_IF_ERROR(SourceAgain(so, *product));
  }
  return Status();
}

// Never more than the arrival brought, never below zero open stock (invariant 2): stock the POS
// sold meanwhile is not taken. The arrival's own special orders come first; the surplus goes to
// others of the store that still wait only when the rule says so, else it stays open stock.
Status Decision::Allocate(Arrival& a, ArrivalLine& line, const std::set<Id>* only) {
  const auto sel = Select(a.store_id, line.product_id, a.vendor_id);
  const std::string from = std::string(ToString(a.kind)) + " " + Str(a.id);
  SO_ASSIGN_OR_RETURN(StockRow stock, store_.LockStock(a.store_id, line.product_id));
  Qty budget = std::min(line.quantity - line.allocated_qty, std::max<Qty>(0, stock.open()));
  Qty total = 0;
  SortForService(a.waiting, sel.settings);
  for (auto& so : a.waiting) {
    if (so.product_id != line.product_id || (only && !only->contains(so.id))) continue;
    const Qty take = std::min(so.waiting(), budget);
    if (take <= 0) continue;
    budget -= take;
    total += take;
    SO_RETURN_IF_ERROR(Give(so, take, sel.rule, from));
  }
  if (budget > 0 && !only && sel.settings.allocate_surplus) {
    SO_ASSIGN_OR_RETURN(auto others, store_.LockWaitingSpecialOrders(a.store_id, line.product_id));
    std::erase_if(others, [&a](const SpecialOrder& so) {
      return std::any_of(a.waiting.begin(), a.waiting.end(),
                         [&so](const SpecialOrder& w) { return w.id == so.id; });
    });
    SortForService(others, sel.settings);
    for (auto& so : others) {
      const Qty take = std::min(so.waiting(), budget);
      if (take <= 0) continue;
      budget -= take;
      total += take;
      SO_RETURN_IF_ERROR(Give(so, take, sel.rule, "the surplus of " + from));
    }
  }
  if (total == 0) return Status();
  line.allocated_qty += total;
  return store_.AddToStock(a.store_id, line.product_id, total, -total);
}

Status Decision::Handle(const BackofficeAllocate& p) {
  Arrival a;
  if (p.shipment_id) {
    SO_ASSIGN_OR_RETURN(auto shipment, store_.GetShipment(*p.shipment_id));
    if (!shipment) {
      return Refuse(std::nullopt, kContractRule,
                    "shipment " + Str(*p.shipment_id) + " does not exist");
    }
    a = Arrival{ArrivalKind::kShipment, shipment->id, shipment->store_id,
                shipment->vendor_id,    {},           shipment->po_id};
    std::vector<Id> po_lines;
    for (const auto& l : shipment->lines) po_lines.push_back(l.po_line_id);
    SO_ASSIGN_OR_RETURN(a.waiting, store_.LockSpecialOrdersOnPoLines(po_lines));
  } else {
    SO_ASSIGN_OR_RETURN(auto transfer, store_.GetTransfer(*p.transfer_id));
    if (!transfer) {
      return Refuse(std::nullopt, kContractRule,
                    "transfer " + Str(*p.transfer_id) + " does not exist");
    }
    a = Arrival{ArrivalKind::kTransfer, transfer->id, transfer->to_store_id,
                std::nullopt,           {},           std::nullopt};
    SO_ASSIGN_OR_RETURN(a.waiting, store_.LockSpecialOrdersOnTransfer(transfer->id));
  }
  return Confirm(a, p.special_order_ids, p.user);
}

Status Decision::Confirm(Arrival& a, const std::optional<std::vector<Id>>& ids,
                         const std::string& user) {
  const std::string what = std::string(ToString(a.kind)) + " " + Str(a.id);
  std::erase_if(a.waiting, [](const SpecialOrder& so) { return !ServedByArrival(so); });
  SO_ASSIGN_OR_RETURN(auto ledger, store_.LockArrivalLines(a.kind, a.id));
  if (ledger.empty()) return Refuse(std::nullopt, kContractRule, what + " has not arrived yet");
  std::set<Id> only;
  if (ids) {
    only.insert(ids->begin(), ids->end());
    for (Id id : only) {
      const bool known = std::any_of(a.waiting.begin(), a.waiting.end(),
                                     [id](const SpecialOrder& so) { return so.id == id; });
      if (!known) {
        return Refuse(id, kContractRule,
                      "special order " + Str(id) + " is not waiting for " + what);
      }
    }
  }
  for (auto& line : ledger) {
    const Qty before = line.allocated_qty;
    SO_RETURN_IF_ERROR(Allocate(a, line, ids ? &only : nullptr));
    if (line.allocated_qty != before) SO_RETURN_IF_ERROR(store_.PutArrivalLine(line));
  }
  SO_RETURN_IF_ERROR(
      Audit(std::nullopt, kContractRule, "allocation_confirmed", "by " + user + " for " + what));
  return ResourceWhatNothingMoreBrings(a, only);
}

}  // namespace so::internal
