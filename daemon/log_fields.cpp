#include "daemon/log_fields.hpp"

#include <set>
#include <type_traits>
#include <variant>

#include "daemon/log_ids.hpp"

namespace so::daemon {
namespace {

// The rows a message and its events name, each once, in id order.
struct Named {
  std::set<Id> orders, special_orders, pos;
  std::set<std::string> rules;

  void Add(const OutEvent& e) {
    if (const auto* c = std::get_if<SpecialOrderCreatedEvent>(&e)) {
      orders.insert(c->order_id);
      special_orders.insert(c->special_order_id);
    } else if (const auto* s = std::get_if<StatusChangedEvent>(&e)) {
      orders.insert(s->order_id);
      special_orders.insert(s->special_order_id);
      if (!s->rule.empty()) rules.insert(s->rule);
    } else if (const auto* a = std::get_if<ArrivedEvent>(&e)) {
      for (const ArrivedOrder& o : a->special_orders) {
        orders.insert(o.order_id);
        special_orders.insert(o.special_order_id);
      }
    } else if (const auto* p = std::get_if<PurchaseOrderEvent>(&e)) {
      pos.insert(p->po_id);
    }
  }

  void Add(const Payload& payload) {
    std::visit(
        [this](const auto& p) {
          using P = std::decay_t<decltype(p)>;
          if constexpr (requires { p.order_id; }) orders.insert(p.order_id);
          if constexpr (requires { p.special_order_id; }) special_orders.insert(p.special_order_id);
          if constexpr (std::is_same_v<P, BackofficeAllocate>) {
            if (p.special_order_ids)
              special_orders.insert(p.special_order_ids->begin(), p.special_order_ids->end());
          }
          if constexpr (std::is_same_v<P, BackofficeOrder>) {
            if (p.po_id) pos.insert(*p.po_id);
          } else if constexpr (requires { p.po_id; }) {
            pos.insert(p.po_id);
          }
        },
        payload);
  }
};

}  // namespace

LogFields MessageFields(const std::string& topic, const std::optional<std::string>& message_id,
                        const Message* message, const Processed& processed) {
  LogFields f;
  if (message_id) f.Add("SO_MESSAGE_ID", *message_id);
  f.Add("SO_TYPE", topic);
  f.Add("SO_FATE", std::string(ToString(processed.fate)));
  Named named;
  if (message != nullptr) named.Add(message->payload);
  for (const OutEvent& e : processed.events) named.Add(e);
  for (Id id : named.orders) f.Add("SO_ORDER_ID", std::to_string(id));
  for (Id id : named.special_orders) f.Add("SO_SPECIAL_ORDER_ID", std::to_string(id));
  for (Id id : named.pos) f.Add("SO_PO_ID", std::to_string(id));
  for (const std::string& rule : named.rules) f.Add("SO_RULE", rule);
  return f;
}

void Tally::Count(const std::string& type, const Processed& processed) {
  switch (processed.fate) {
    case Fate::kApplied:
      ++applied_;
      break;
    case Fate::kRefused:
      ++refused_;
      break;
    case Fate::kDuplicate:
      ++duplicates_;
      break;
    case Fate::kDeadLettered:
      ++dead_lettered_;
      break;
    case Fate::kUnavailable:
      return;
  }
  ++by_type_[type];
}

std::string Tally::Text(int seconds) const {
  std::string s = "last " + std::to_string(seconds) + " s: " + std::to_string(applied_) +
                  " applied, " + std::to_string(refused_) + " refused, " +
                  std::to_string(duplicates_) + " duplicates, " + std::to_string(dead_lettered_) +
                  " dead-lettered in " + std::to_string(batches_) + " batches";
  const char* sep = "; ";
  for (const auto& [type, n] : by_type_) {
    s += sep + type + " " + std::to_string(n);
    sep = ", ";
  }
  return s;
}

LogFields Tally::Fields() const {
  LogFields f{log_ids::kSummary};
  f.Add("SO_APPLIED", std::to_string(applied_))
      .Add("SO_REFUSED", std::to_string(refused_))
      .Add("SO_DUPLICATES", std::to_string(duplicates_))
      .Add("SO_DEAD_LETTERED", std::to_string(dead_lettered_))
      .Add("SO_BATCHES", std::to_string(batches_));
  return f;
}

}  // namespace so::daemon
