#include "rules/store_scope.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

namespace so {

StoreScope StoreScope::Of(std::vector<Id> stores) {
  std::sort(stores.begin(), stores.end());
  StoreScope scope;
  scope.stores = std::move(stores);
  return scope;
}

StoreScope StoreScope::Partition(int index, int count) {
  StoreScope scope;
  scope.partition_index = index;
  scope.partition_count = count;
  return scope;
}

bool StoreScope::Owns(Id store_id) const {
  if (!stores.empty()) return std::binary_search(stores.begin(), stores.end(), store_id);
  if (partition_count > 0) {
    // The mathematical modulo, so that a (nonsensical) negative id still has one owner.
    const Id r = store_id % partition_count;
    return (r < 0 ? r + partition_count : r) == partition_index;
  }
  return true;
}

std::string StoreScope::ToString() const {
  if (!stores.empty()) {
    std::string s = stores.size() == 1 ? "store " : "stores ";
    for (size_t i = 0; i < stores.size(); ++i) {
      s += (i == 0 ? "" : ", ") + std::to_string(stores[i]);
    }
    return s;
  }
  if (partition_count > 0) {
    return "partition " + std::to_string(partition_index) + " of " +
           std::to_string(partition_count) + " (stores whose id % " +
           std::to_string(partition_count) + " is " + std::to_string(partition_index) + ")";
  }
  return "every store";
}

std::optional<StoreRef> StoreRefOf(const Payload& payload) {
  using Kind = StoreRef::Kind;
  return std::visit(
      [](const auto& p) -> std::optional<StoreRef> {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, SpecialOrderRequested> ||
                      std::is_same_v<T, ShipmentCompleted>) {
          return StoreRef{Kind::kStore, p.store_id};
        } else if constexpr (std::is_same_v<T, TransferReceived>) {
          return StoreRef{Kind::kStore, p.to_store_id};
        } else if constexpr (std::is_same_v<T, OrderLineChanged> ||
                             std::is_same_v<T, OrderCancelled> ||
                             std::is_same_v<T, OrderPickedUp>) {
          return StoreRef{Kind::kOrder, p.order_id};
        } else if constexpr (std::is_same_v<T, BackofficeOrder> ||
                             std::is_same_v<T, BackofficeTransfer> ||
                             std::is_same_v<T, BackofficeCancel> ||
                             std::is_same_v<T, ClockOverdue> ||
                             std::is_same_v<T, ClockPickupReminder> ||
                             std::is_same_v<T, ClockPickupDeadline>) {
          return StoreRef{Kind::kSpecialOrder, p.special_order_id};
        } else if constexpr (std::is_same_v<T, BackofficeAllocate>) {
          if (p.shipment_id) return StoreRef{Kind::kShipment, *p.shipment_id};
          if (p.transfer_id) return StoreRef{Kind::kTransfer, *p.transfer_id};
          return std::nullopt;
        } else {
          static_assert(std::is_same_v<T, PoStatusChanged>);
          return StoreRef{Kind::kPo, p.po_id};
        }
      },
      payload);
}

namespace {

// Rows whose store is kept at most; beyond it the filter starts again empty (a few MB).
constexpr size_t kKnownStores = 100'000;

}  // namespace

StoreFilter::StoreFilter(StoreScope scope, Lookup lookup)
    : scope_(std::move(scope)), lookup_(std::move(lookup)) {}

Status StoreFilter::Resolve(const std::vector<const Message*>& messages) {
  if (scope_.all()) return Status();
  std::vector<StoreRef> missing;
  for (const Message* m : messages) {
    const std::optional<StoreRef> ref = StoreRefOf(m->payload);
    if (ref && ref->kind != StoreRef::Kind::kStore && !known_.contains(*ref)) {
      missing.push_back(*ref);
    }
  }
  if (missing.empty()) return Status();
  Result<std::map<StoreRef, Id>> found = lookup_(missing);
  if (!found.ok()) return found.error();
  if (known_.size() + found->size() > kKnownStores) known_.clear();
  known_.merge(*found);
  return Status();
}

bool StoreFilter::Applies(const Message& m) const {
  if (scope_.all()) return true;
  const std::optional<StoreRef> ref = StoreRefOf(m.payload);
  if (!ref) return true;
  if (ref->kind == StoreRef::Kind::kStore) return scope_.Owns(ref->id);
  const auto it = known_.find(*ref);
  return it == known_.end() || scope_.Owns(it->second);
}

}  // namespace so
