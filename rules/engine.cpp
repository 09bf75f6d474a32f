#include "rules/engine.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace so {
namespace {

constexpr const char* kContractRule = kContractRuleName;

std::string Str(Id id) { return std::to_string(id); }

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The status machine of CONTRACT section 5.
bool CanMove(SoStatus from, SoStatus to) {
  switch (to) {
    case SoStatus::kRequest:
      return false;
    case SoStatus::kOrdered:
      return from == SoStatus::kRequest;
    case SoStatus::kArrived:
      return from == SoStatus::kOrdered;
    case SoStatus::kInProgress:
    case SoStatus::kReady:
      return from == SoStatus::kOrdered || from == SoStatus::kArrived ||
             from == SoStatus::kInProgress;
    case SoStatus::kCompleted:
      return from == SoStatus::kReady || from == SoStatus::kInProgress;
    case SoStatus::kCancelled:
      return from != SoStatus::kCompleted && from != SoStatus::kCancelled;
  }
  return false;
}

// FIFO by request time, ties by id: the order of service when supply is short.
void SortFifo(std::vector<SpecialOrder>& orders) {
  std::sort(orders.begin(), orders.end(), [](const SpecialOrder& a, const SpecialOrder& b) {
    return a.requested_at != b.requested_at ? a.requested_at < b.requested_at : a.id < b.id;
  });
}

// The work of one message: the envelope, the store, and what it decided so far.
class Run {
 public:
  Run(const RuleSet& rules, const std::string& actor, const Envelope& env, HostStore& store)
      : rules_(rules), actor_(actor), env_(env), store_(store) {}

  Result<Outcome> Dispatch(const Payload& payload) {
    Status st = std::visit([this](const auto& p) { return Handle(p); }, payload);
    if (!st.ok()) return st.error();
    return std::move(outcome_);
  }

 private:
  // --- Outcomes ---

  Status Audit(std::optional<Id> so_id, const std::string& rule, std::string decision,
               std::string detail) {
    return store_.InsertAudit(
        AuditEntry{env_.id, so_id, rule, std::move(decision), std::move(detail), env_.occurred_at});
  }

  // A business refusal: nothing but the audit row is written.
  Status Refuse(std::optional<Id> so_id, const std::string& rule, std::string reason) {
    outcome_.disposition = Disposition::kRefused;
    outcome_.detail = reason;
    return Audit(so_id, rule, "refused", std::move(reason));
  }

  Status NotHandled(const std::string& what) {
    outcome_.disposition = Disposition::kNotHandled;
    outcome_.detail = what + " is not handled by this version";
    return Status();
  }

  void Emit(OutEvent e) { outcome_.events.push_back(std::move(e)); }

  // Moves the special order to `to`, stamps the matching time and announces it. A move the
  // status machine forbids is a bug; it fails the message (parked as a dead letter, nothing
  // written) rather than the daemon, so the stream keeps flowing.
  [[nodiscard]] Status Move(SpecialOrder& so, SoStatus to, const std::string& rule) {
    if (!CanMove(so.status, to)) {
      return Error{ErrorKind::kPermanent, 0,
                   "bug: special order " + Str(so.id) + " cannot move from " +
                       std::string(ToString(so.status)) + " to " + std::string(ToString(to))};
    }
    const SoStatus from = so.status;
    so.status = to;
    so.updated_at = env_.occurred_at;
    switch (to) {
      case SoStatus::kOrdered: so.ordered_at = env_.occurred_at; break;
      case SoStatus::kArrived: so.arrived_at = env_.occurred_at; break;
      case SoStatus::kReady: so.ready_at = env_.occurred_at; break;
      case SoStatus::kCompleted: so.completed_at = env_.occurred_at; break;
      case SoStatus::kCancelled: so.cancelled_at = env_.occurred_at; break;
      default: break;
    }
    Emit(StatusChangedEvent{so.id, so.order_id, from, to, rule, env_.id});
    return Status();
  }

  RuleSet::Selected Select(Id store_id, Id product_id, std::optional<Id> vendor_id) const {
    return rules_.Select(MatchKey{store_id, product_id, vendor_id});
  }

  // --- order.special_order_requested ---

  Status Handle(const SpecialOrderRequested& p) {
    SO_ASSIGN_OR_RETURN(auto order, store_.LockOrder(p.order_id));
    if (!order) return Refuse(std::nullopt, kContractRule, "order " + Str(p.order_id) + " does not exist");
    SO_ASSIGN_OR_RETURN(auto line, store_.LockOrderLine(p.order_line_id));
    if (!line || line->order_id != p.order_id) {
      return RejectLine(p.order_line_id, kContractRule,
                        "order line " + Str(p.order_line_id) + " does not exist on order " +
                            Str(p.order_id));
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
  Status Request(CustomerOrder& order, OrderLine& line, Timestamp requested_at) {
    SO_ASSIGN_OR_RETURN(auto existing, store_.LockSpecialOrderByLine(line.id));
    if (existing) {
      return Audit(existing->id, kContractRule, "already_requested",
                   "line " + Str(line.id) + " already has special order " + Str(existing->id));
    }
    if (line.special_order_qty <= 0) {
      return Audit(std::nullopt, kContractRule, "nothing_to_request",
                   "line " + Str(line.id) + " no longer has a special-order quantity");
    }
    SO_ASSIGN_OR_RETURN(auto product, store_.GetProduct(line.product_id));
    if (!product) {
      return RejectLine(line.id, kContractRule,
                        "product " + Str(line.product_id) + " does not exist");
    }
    const auto sel = Select(order.store_id, product->id, product->primary_vendor_id);
    if (!product->special_order_allowed) {
      return RejectLine(line.id, sel.rule,
                        "product " + product->sku + " may not be special-ordered");
    }
    SO_ASSIGN_OR_RETURN(StockRow stock, store_.LockStock(order.store_id, product->id));
    if (stock.open() > 0 && !sel.settings.allow_positive_open_stock) {
      return RejectLine(line.id, sel.rule,
                        "product " + product->sku + " has " + Str(stock.open()) +
                            " in open stock at store " + Str(order.store_id) +
                            "; special orders are for zero or negative open stock");
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

    SO_RETURN_IF_ERROR(SyncLine(line, so));
    SO_RETURN_IF_ERROR(store_.AddToStock(so.store_id, so.product_id, 0, so.quantity));
    if (!order.has_special_order) {
      SO_RETURN_IF_ERROR(store_.SetHasSpecialOrder(order.id, true, env_.occurred_at));
      order.has_special_order = true;
    }
    Emit(SpecialOrderCreatedEvent{so.id, so.order_id, so.order_line_id, so.product_id,
                                  so.quantity, so.status});
    SO_RETURN_IF_ERROR(Audit(so.id, sel.rule, "created",
                             "special order for " + Str(so.quantity) + " x " + product->sku +
                                 " on line " + Str(line.id) + "; backordered +" +
                                 Str(so.quantity)));

    if (sel.settings.on_request == OnRequest::kWait) {
      return Audit(so.id, sel.rule, "waits_for_back_office",
                   "rule says to wait for the Back Office to order it");
    }
    SO_ASSIGN_OR_RETURN(auto pick, ChooseVendor(*product, sel.settings));
    if (!pick) {
      return Audit(so.id, sel.rule, "no_vendor",
                   "no active vendor for product " + product->sku +
                       " by the rule's vendor choice; waits for the Back Office");
    }
    return SourceFromVendor(so, *product, sel, *pick, std::nullopt);
  }

  Status RejectLine(Id line_id, const std::string& rule, std::string reason) {
    Emit(RejectedEvent{line_id, reason});
    return Refuse(std::nullopt, rule, std::move(reason));
  }

  // Writes the daemon's columns of a special-ordered line from its special order (invariant 3).
  Status SyncLine(OrderLine& line, const SpecialOrder& so) {
    line.committed_qty = so.allocated_qty;
    line.backordered_qty = std::max<Qty>(0, line.special_order_qty - so.allocated_qty);
    line.status = line.backordered_qty > 0 ? LineStatus::kBackordered : LineStatus::kCommitted;
    return store_.UpdateOrderLine(line);
  }

  // --- Sourcing from a vendor ---

  struct VendorPick {
    Vendor vendor;
    std::optional<ProductVendor> terms;  // nullopt: the primary vendor has no product_vendors row
    std::string how;                     // which vendor_choice picked it
  };

  Result<std::optional<VendorPick>> ChooseVendor(const Product& product, const Settings& s) {
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

  // Orders the special order from the picked vendor: attached to `po` when the Back Office named
  // one, else to the newest attachable PO of the vendor and store, else to a new draft PO.
  Status SourceFromVendor(SpecialOrder& so, const Product& product, RuleSet::Selected sel,
                          const VendorPick& pick, std::optional<PurchaseOrder> po) {
    const Vendor& vendor = pick.vendor;
    if (!po) {
      SO_ASSIGN_OR_RETURN(po, store_.LockNewestPo(so.store_id, vendor.id,
                                                  sel.settings.attach_po_statuses));
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

    std::optional<PoLine> line;
    if (!event.created) {
      SO_ASSIGN_OR_RETURN(line, store_.LockPoLine(po->id, product.id));
    }
    if (line) {
      line->quantity_ordered += so.quantity;
      SO_RETURN_IF_ERROR(store_.SetPoLineQuantity(line->id, line->quantity_ordered));
      what += ", its line " + Str(line->id) + " grown by " + Str(so.quantity) + " to " +
              Str(line->quantity_ordered);
    } else {
      line = PoLine{0, po->id, product.id, so.quantity, 0,
                    pick.terms ? pick.terms->unit_cost : "0.0000"};
      SO_ASSIGN_OR_RETURN(line->id, store_.InsertPoLine(*line));
      what += ", new line " + Str(line->id) + " for " + Str(so.quantity);
    }
    event.lines.push_back(PoEventLine{line->id, product.id, line->quantity_ordered});

    // The PO event first: the POS learns of the line before the status that points at it.
    const char* decision = event.created ? "created_po" : "attached_to_po";
    Emit(std::move(event));
    so.source = SoSource::kVendor;
    so.vendor_id = vendor.id;
    so.po_id = po->id;
    so.po_line_id = line->id;
    SO_RETURN_IF_ERROR(Move(so, SoStatus::kOrdered, sel.rule));
    SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
    return Audit(so.id, sel.rule, decision,
                 "vendor " + Str(vendor.id) + " (" + vendor.name + ", " + pick.how + "); " + what);
  }

  // --- backoffice.special_order.order ---

  Status Handle(const BackofficeOrder& p) {
    SO_ASSIGN_OR_RETURN(auto so, store_.LockSpecialOrder(p.special_order_id));
    if (!so) {
      return Refuse(std::nullopt, kContractRule,
                    "special order " + Str(p.special_order_id) + " does not exist");
    }
    if (so->status != SoStatus::kRequest) {
      return Refuse(so->id, kContractRule,
                    "special order " + Str(so->id) + " is " + std::string(ToString(so->status)) +
                        "; only a special order in request can be ordered");
    }
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
                      "PO " + Str(po->id) + " is for vendor " + Str(po->vendor_id) +
                          ", not vendor " + Str(*vendor_id));
      }
      vendor_id = po->vendor_id;
    }
    const auto sel = Select(so->store_id, so->product_id,
                            vendor_id ? vendor_id : product->primary_vendor_id);
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

  static std::string Join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  // --- po.status_changed ---

  Status Handle(const PoStatusChanged& p) {
    SO_ASSIGN_OR_RETURN(auto po, store_.LockPo(p.po_id));
    if (!po) return Refuse(std::nullopt, kContractRule, "PO " + Str(p.po_id) + " does not exist");
    // Whether a PO takes attachments is read from its current status at each decision, so
    // recording the change is all there is to do until POs that go wrong are handled.
    return Audit(std::nullopt, kContractRule, "po_status_recorded",
                 "PO " + Str(p.po_id) + " " + p.previous_status + " -> " + p.status +
                     "; the database has " + po->status);
  }

  // --- shipment.completed ---

  Status Handle(const ShipmentCompleted& p) {
    SO_ASSIGN_OR_RETURN(auto shipment, store_.GetShipment(p.shipment_id));
    if (!shipment) {
      return Refuse(std::nullopt, kContractRule,
                    "shipment " + Str(p.shipment_id) + " does not exist");
    }
    if (shipment->status != "completed") {
      return Refuse(std::nullopt, kContractRule,
                    "shipment " + Str(shipment->id) + " is " + shipment->status +
                        " in the database, not completed");
    }
    SO_ASSIGN_OR_RETURN(auto waiting, WaitingOnShipment(*shipment));
    SO_ASSIGN_OR_RETURN(auto ledger, store_.LockArrivalLines(ArrivalKind::kShipment, shipment->id));
    if (!ledger.empty()) {
      return Audit(std::nullopt, kContractRule, "already_arrived",
                   "shipment " + Str(shipment->id) + " was applied before");
    }

    // What came, per product; the ledger remembers it for later allocations.
    std::map<Id, Qty> brought;
    for (const auto& l : shipment->lines) brought[l.product_id] += l.quantity;
    for (const auto& [product_id, qty] : brought) {
      ledger.push_back(ArrivalLine{ArrivalKind::kShipment, shipment->id, product_id,
                                   shipment->store_id, qty, 0});
    }

    // Announce every waiting special order this arrival can serve, FIFO, with what it would
    // get (the POS pop-up), then move each to `arrived`.
    ArrivedEvent arrived{ArrivalKind::kShipment, shipment->id, shipment->store_id, {}};
    std::vector<SpecialOrder*> served;
    for (const auto& line : ledger) {
      Qty left = line.quantity;
      for (auto& so : waiting) {
        if (so.product_id != line.product_id || left == 0) continue;
        const Qty q = std::min(so.waiting(), left);
        left -= q;
        arrived.special_orders.push_back(ArrivedOrder{so.id, so.order_id, so.product_id, q});
        served.push_back(&so);
      }
    }
    if (!arrived.special_orders.empty()) Emit(arrived);
    for (size_t i = 0; i < served.size(); ++i) {
      SpecialOrder& so = *served[i];
      const auto sel = Select(so.store_id, so.product_id, shipment->vendor_id);
      if (so.status == SoStatus::kOrdered) {
        SO_RETURN_IF_ERROR(Move(so, SoStatus::kArrived, sel.rule));
        SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
      }
      SO_RETURN_IF_ERROR(Audit(so.id, sel.rule, "arrived",
                               Str(arrived.special_orders[i].quantity) + " for it on shipment " +
                                   Str(shipment->id)));
    }

    for (auto& line : ledger) {
      const auto sel = Select(shipment->store_id, line.product_id, shipment->vendor_id);
      if (sel.settings.allocation == AllocationMode::kImmediate) {
        SO_RETURN_IF_ERROR(Allocate(line, waiting, nullptr, shipment->vendor_id));
      } else {
        SO_RETURN_IF_ERROR(Audit(std::nullopt, sel.rule, "awaits_confirmation",
                                 "allocation of product " + Str(line.product_id) +
                                     " from shipment " + Str(shipment->id) +
                                     " waits for the Back Office"));
      }
      SO_RETURN_IF_ERROR(store_.PutArrivalLine(line));
    }
    return Status();
  }

  // The special orders still waiting for goods on the shipment's PO lines, FIFO.
  Result<std::vector<SpecialOrder>> WaitingOnShipment(const Shipment& shipment) {
    std::vector<Id> po_lines;
    for (const auto& l : shipment.lines) po_lines.push_back(l.po_line_id);
    SO_ASSIGN_OR_RETURN(auto orders, store_.LockSpecialOrdersOnPoLines(po_lines));
    std::erase_if(orders, [](const SpecialOrder& so) {
      return so.waiting() <= 0 || so.status == SoStatus::kRequest;
    });
    SortFifo(orders);
    return orders;
  }

  // Gives the arrival's unallocated units of one product to the waiting special orders, FIFO,
  // never more than the arrival brought and never below zero open stock (invariant 2). `only`,
  // when set, limits it to those special orders.
  Status Allocate(ArrivalLine& arrival, std::vector<SpecialOrder>& waiting,
                  const std::set<Id>* only, std::optional<Id> vendor_id) {
    SO_ASSIGN_OR_RETURN(StockRow stock, store_.LockStock(arrival.store_id, arrival.product_id));
    Qty budget = std::min(arrival.quantity - arrival.allocated_qty, std::max<Qty>(0, stock.open()));
    Qty total = 0;
    for (auto& so : waiting) {
      if (so.product_id != arrival.product_id || (only && !only->contains(so.id))) continue;
      const Qty take = std::min(so.waiting(), budget);
      if (take <= 0) continue;
      budget -= take;
      total += take;
      so.allocated_qty += take;
      const auto sel = Select(so.store_id, so.product_id, vendor_id);
      const SoStatus to =
          so.waiting() == 0 ? sel.settings.status_after_allocation : SoStatus::kInProgress;
      if (to != so.status) {
        SO_RETURN_IF_ERROR(Move(so, to, sel.rule));
      }
      so.updated_at = env_.occurred_at;
      SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
      SO_ASSIGN_OR_RETURN(auto line, store_.LockOrderLine(so.order_line_id));
      if (line) {
        SO_RETURN_IF_ERROR(SyncLine(*line, so));
      }
      SO_RETURN_IF_ERROR(Audit(so.id, sel.rule, "allocated",
                               Str(take) + " from " + std::string(ToString(arrival.kind)) + " " +
                                   Str(arrival.arrival_id) + "; allocated " +
                                   Str(so.allocated_qty) + " of " + Str(so.quantity) +
                                   "; committed +" + Str(take) + ", backordered -" + Str(take)));
    }
    if (total == 0) return Status();
    arrival.allocated_qty += total;
    return store_.AddToStock(arrival.store_id, arrival.product_id, total, -total);
  }

  // --- backoffice.special_order.allocate ---

  Status Handle(const BackofficeAllocate& p) {
    if (p.transfer_id) return NotHandled("allocation from store transfers is not handled yet");
    SO_ASSIGN_OR_RETURN(auto shipment, store_.GetShipment(*p.shipment_id));
    if (!shipment) {
      return Refuse(std::nullopt, kContractRule,
                    "shipment " + Str(*p.shipment_id) + " does not exist");
    }
    SO_ASSIGN_OR_RETURN(auto waiting, WaitingOnShipment(*shipment));
    SO_ASSIGN_OR_RETURN(auto ledger, store_.LockArrivalLines(ArrivalKind::kShipment, shipment->id));
    if (ledger.empty()) {
      return Refuse(std::nullopt, kContractRule,
                    "shipment " + Str(shipment->id) + " has not arrived yet");
    }
    std::set<Id> only;
    if (p.special_order_ids) {
      only.insert(p.special_order_ids->begin(), p.special_order_ids->end());
      for (Id id : only) {
        const bool known = std::any_of(waiting.begin(), waiting.end(),
                                       [id](const SpecialOrder& so) { return so.id == id; });
        if (!known) {
          return Refuse(id, kContractRule,
                        "special order " + Str(id) + " is not waiting for shipment " +
                            Str(shipment->id));
        }
      }
    }
    for (auto& line : ledger) {
      const Qty before = line.allocated_qty;
      SO_RETURN_IF_ERROR(
          Allocate(line, waiting, p.special_order_ids ? &only : nullptr, shipment->vendor_id));
      if (line.allocated_qty != before) SO_RETURN_IF_ERROR(store_.PutArrivalLine(line));
    }
    return Audit(std::nullopt, kContractRule, "allocation_confirmed",
                 "by " + p.user + " for shipment " + Str(shipment->id));
  }

  // --- Types of the contract that later versions handle ---

  Status Handle(const OrderLineChanged&) { return NotHandled("order.line_changed"); }
  Status Handle(const OrderCancelled&) { return NotHandled("order.cancelled"); }
  Status Handle(const OrderPickedUp&) { return NotHandled("order.picked_up"); }
  Status Handle(const BackofficeTransfer&) {
    return NotHandled("backoffice.special_order.transfer");
  }
  Status Handle(const BackofficeCancel&) { return NotHandled("backoffice.special_order.cancel"); }
  Status Handle(const TransferReceived&) { return NotHandled("transfer.received"); }

  const RuleSet& rules_;
  const std::string& actor_;
  const Envelope& env_;
  HostStore& store_;
  Outcome outcome_;
};

}  // namespace

std::string_view ToString(Disposition d) {
  switch (d) {
    case Disposition::kApplied: return "applied";
    case Disposition::kRefused: return "refused";
    case Disposition::kNotHandled: return "not_handled";
  }
  return "?";
}

Engine::Engine(RuleSet rules, std::string actor)
    : rules_(std::move(rules)), actor_(std::move(actor)) {}

Result<Outcome> Engine::Apply(const Message& message, HostStore& store) const {
  return Run(rules_, actor_, message.envelope, store).Dispatch(message.payload);
}

}  // namespace so
