#include "rules/engine.hpp"

#include <algorithm>

#include "rules/decision.hpp"
#include "rules/service.hpp"

namespace so {
namespace internal {

std::string Str(Id id) { return std::to_string(id); }

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool PoGoneWrong(const std::string& status) {
  return status == "cancelled" || status == "closed" || status == "received";
}

// The extra units are ordinary stock on order, promised to nobody.
Qty RoundForVendor(Qty qty, const std::optional<ProductVendor>& terms) {
  if (!terms) return qty;
  qty = std::max(qty, terms->min_order_qty);
  const Qty pack = std::max<Qty>(1, terms->pack_size);
  return (qty + pack - 1) / pack * pack;
}

bool CanMove(SoStatus from, SoStatus to) {
  const bool live = from != SoStatus::kCompleted && from != SoStatus::kCancelled;
  switch (to) {
    case SoStatus::kRequest:
      return from == SoStatus::kOrdered || from == SoStatus::kArrived ||
             from == SoStatus::kInProgress;
    case SoStatus::kOrdered:
      return from == SoStatus::kRequest;
    case SoStatus::kArrived:
      return from == SoStatus::kOrdered;
    case SoStatus::kInProgress:
    case SoStatus::kReady:
    case SoStatus::kCompleted:
    case SoStatus::kCancelled:
      return live && from != to;
  }
  return false;
}

Result<Outcome> Decision::Dispatch(const Payload& payload) {
  Status st = std::visit([this](const auto& p) { return Handle(p); }, payload);
  if (!st.ok()) return st.error();
  return std::move(outcome_);
}

Status Decision::Audit(std::optional<Id> so_id, const std::string& rule, std::string decision,
                       std::string detail) {
  return store_.InsertAudit(
      AuditEntry{env_.id, so_id, rule, std::move(decision), std::move(detail), env_.occurred_at});
}

Status Decision::Refuse(std::optional<Id> so_id, const std::string& rule, std::string reason) {
  outcome_.disposition = Disposition::kRefused;
  outcome_.detail = reason;
  return Audit(so_id, rule, "refused", std::move(reason));
}

Status Decision::RejectLine(Id line_id, const std::string& rule, std::string reason) {
  Emit(RejectedEvent{line_id, reason});
  return Refuse(std::nullopt, rule, std::move(reason));
}

// A move the status machine forbids is a bug; it fails the message (parked as a dead letter,
// nothing written) rather than the daemon, so the stream keeps flowing.
Status Decision::Move(SpecialOrder& so, SoStatus to, const std::string& rule) {
  if (!CanMove(so.status, to)) {
    return Error{ErrorKind::kPermanent, 0,
                 "bug: special order " + Str(so.id) + " cannot move from " +
                     std::string(ToString(so.status)) + " to " + std::string(ToString(to))};
  }
  const SoStatus from = so.status;
  so.status = to;
  so.updated_at = env_.occurred_at;
  switch (to) {
    case SoStatus::kOrdered:
      so.ordered_at = env_.occurred_at;
      break;
    case SoStatus::kArrived:
      so.arrived_at = env_.occurred_at;
      break;
    case SoStatus::kReady:
      so.ready_at = env_.occurred_at;
      break;
    case SoStatus::kCompleted:
      so.completed_at = env_.occurred_at;
      break;
    case SoStatus::kCancelled:
      so.cancelled_at = env_.occurred_at;
      break;
    default:
      break;
  }
  Emit(StatusChangedEvent{so.id, so.order_id, from, to, rule, env_.id});
  return Status();
}

RuleSet::Selected Decision::Select(Id store_id, Id product_id, std::optional<Id> vendor_id,
                                   std::optional<Id> customer_id) const {
  return rules_.Select(MatchKey{store_id, product_id, vendor_id, customer_id});
}

RuleSet::Selected Decision::Select(const SpecialOrder& so) const {
  return Select(so.store_id, so.product_id, so.vendor_id, so.customer_id);
}

Status Decision::SyncLine(const SpecialOrder& so) {
  SO_ASSIGN_OR_RETURN(auto line, store_.LockOrderLine(so.order_line_id));
  if (!line) {
    return Error{ErrorKind::kPermanent, 0,
                 "order line " + Str(so.order_line_id) + " of special order " + Str(so.id) +
                     " is gone (the POS never deletes it)"};
  }
  if (so.status == SoStatus::kCancelled) {
    line->committed_qty = 0;
    line->backordered_qty = 0;
    line->status = LineStatus::kCancelled;
  } else {
    line->committed_qty = so.allocated_qty;
    line->backordered_qty = std::max<Qty>(0, line->special_order_qty - so.allocated_qty);
    line->status = so.status == SoStatus::kCompleted ? LineStatus::kFulfilled
                   : line->backordered_qty > 0       ? LineStatus::kBackordered
                                                     : LineStatus::kCommitted;
  }
  return store_.UpdateOrderLine(*line);
}

SoStatus Decision::AllocatedStatus(const SpecialOrder& so, const Settings& s) {
  if (so.waiting() == 0) return s.status_after_allocation;
  return so.status == SoStatus::kRequest ? SoStatus::kRequest : SoStatus::kInProgress;
}

Status Decision::Give(SpecialOrder& so, Qty take, const std::string& rule,
                      const std::string& from) {
  so.allocated_qty += take;
  so.updated_at = env_.occurred_at;
  const SoStatus to = AllocatedStatus(so, Select(so).settings);
  if (to != so.status) SO_RETURN_IF_ERROR(Move(so, to, rule));
  SO_RETURN_IF_ERROR(store_.UpdateSpecialOrder(so));
  SO_RETURN_IF_ERROR(SyncLine(so));
  return Audit(so.id, rule, "allocated",
               Str(take) + " from " + from + "; allocated " + Str(so.allocated_qty) + " of " +
                   Str(so.quantity) + "; committed +" + Str(take) + ", backordered -" + Str(take));
}

void Decision::SortForService(std::vector<SpecialOrder>& v, const Settings& s) const {
  so::SortForService(rules_, s, v);
}

Status Decision::OfferFreedStock(Id store_id, Id product_id, Qty units, Id except_so) {
  const auto sel = Select(store_id, product_id, std::nullopt);
  if (!sel.settings.reallocate_freed_stock || units <= 0) return Status();
  SO_ASSIGN_OR_RETURN(auto waiting, store_.LockWaitingSpecialOrders(store_id, product_id));
  std::erase_if(waiting, [except_so](const SpecialOrder& so) { return so.id == except_so; });
  SortForService(waiting, sel.settings);
  SO_ASSIGN_OR_RETURN(StockRow stock, store_.LockStock(store_id, product_id));
  Qty budget = std::min(units, std::max<Qty>(0, stock.open()));
  Qty total = 0;
  for (auto& so : waiting) {
    const Qty take = std::min(so.waiting(), budget);
    if (take <= 0) continue;
    budget -= take;
    total += take;
    SO_RETURN_IF_ERROR(Give(so, take, sel.rule, "stock freed by special order " + Str(except_so)));
  }
  if (total == 0) return Status();
  return store_.AddToStock(store_id, product_id, total, -total);
}

}  // namespace internal

std::string_view ToString(Disposition d) {
  switch (d) {
    case Disposition::kApplied:
      return "applied";
    case Disposition::kRefused:
      return "refused";
  }
  return "?";
}

Engine::Engine(RuleSet rules, std::string actor)
    : rules_(std::move(rules)), actor_(std::move(actor)) {}

Result<Outcome> Engine::Apply(const Message& message, HostStore& store) const {
  return internal::Decision(rules_, actor_, message.envelope, store).Dispatch(message.payload);
}

}  // namespace so
