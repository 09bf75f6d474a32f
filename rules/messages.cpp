#include "rules/messages.hpp"

namespace so {
namespace {

struct TypeName {
  std::string operator()(const SpecialOrderCreatedEvent&) const { return "special_order.created"; }
  std::string operator()(const StatusChangedEvent&) const { return "special_order.status_changed"; }
  std::string operator()(const ArrivedEvent&) const { return "special_order.arrived"; }
  std::string operator()(const RejectedEvent&) const { return "special_order.rejected"; }
  std::string operator()(const PurchaseOrderEvent& e) const {
    return e.created ? "purchase_order.created" : "purchase_order.line_added";
  }
  std::string operator()(const TransferRequestedEvent&) const { return "transfer.requested"; }
  std::string operator()(const PromisedEvent&) const { return "special_order.promised"; }
  std::string operator()(const OverdueEvent&) const { return "special_order.overdue"; }
  std::string operator()(const PickupReminderEvent&) const {
    return "special_order.pickup_reminder";
  }
};

}  // namespace

std::string EventType(const OutEvent& e) { return std::visit(TypeName{}, e); }

}  // namespace so
