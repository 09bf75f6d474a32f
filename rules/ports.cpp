// The defaults of HostStore's set-wise reads: one single-row call per key, in key order. A store
// overrides them with set-wise queries where round trips cost (adapters/mysql does).
#include "rules/ports.hpp"

#include <algorithm>
#include <type_traits>

namespace so {
namespace {

template <typename K>
std::vector<K> Sorted(std::vector<K> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// Calls `one(key)` for each distinct key in order and keeps what it found.
template <typename T, typename K, typename F>
Result<std::vector<T>> EachOf(const std::vector<K>& keys, F one) {
  std::vector<T> out;
  for (const K& key : Sorted(keys)) {
    auto found = one(key);
    if (!found.ok()) return found.error();
    if constexpr (std::is_same_v<std::decay_t<decltype(*found)>, std::vector<T>>) {
      out.insert(out.end(), found->begin(), found->end());
    } else if (*found) {
      out.push_back(std::move(**found));
    }
  }
  return out;
}

}  // namespace

Result<std::vector<bool>> HostStore::InboxClaimAll(const std::vector<Envelope>& envelopes) {
  std::vector<bool> claimed;
  for (const Envelope& e : envelopes) {
    Result<bool> one = InboxClaim(e);
    if (!one.ok()) return one.error();
    claimed.push_back(*one);
  }
  return claimed;
}

Result<std::vector<Id>> HostStore::InsertSpecialOrders(const std::vector<SpecialOrder>& rows) {
  std::vector<Id> ids;
  for (const SpecialOrder& so : rows) {
    Result<Id> id = InsertSpecialOrder(so);
    if (!id.ok()) return id.error();
    ids.push_back(*id);
  }
  return ids;
}

Result<std::vector<CustomerOrder>> HostStore::LockOrders(const std::vector<Id>& ids) {
  return EachOf<CustomerOrder>(ids, [this](Id id) { return LockOrder(id); });
}

Result<std::vector<OrderLine>> HostStore::LockOrderLines(const std::vector<Id>& ids) {
  return EachOf<OrderLine>(ids, [this](Id id) { return LockOrderLine(id); });
}

Result<std::vector<SpecialOrder>> HostStore::LockSpecialOrders(const std::vector<Id>& ids) {
  return EachOf<SpecialOrder>(ids, [this](Id id) { return LockSpecialOrder(id); });
}

Result<std::vector<SpecialOrder>> HostStore::LockSpecialOrdersByLines(
    const std::vector<Id>& order_line_ids) {
  return EachOf<SpecialOrder>(order_line_ids,
                              [this](Id line) { return LockSpecialOrderByLine(line); });
}

Result<std::vector<SpecialOrder>> HostStore::LockSpecialOrdersOfOrders(
    const std::vector<Id>& order_ids) {
  auto all =
      EachOf<SpecialOrder>(order_ids, [this](Id order) { return LockSpecialOrdersOfOrder(order); });
  if (all.ok()) {
    std::sort(all->begin(), all->end(),
              [](const SpecialOrder& a, const SpecialOrder& b) { return a.id < b.id; });
  }
  return all;
}

Result<std::vector<ArrivalLine>> HostStore::LockArrivalLinesOf(
    const std::vector<ArrivalKey>& keys) {
  return EachOf<ArrivalLine>(
      keys, [this](const ArrivalKey& k) { return LockArrivalLines(k.first, k.second); });
}

Result<std::vector<PurchaseOrder>> HostStore::LockPos(const std::vector<Id>& ids) {
  return EachOf<PurchaseOrder>(ids, [this](Id id) { return LockPo(id); });
}

Result<std::vector<std::pair<Id, Qty>>> HostStore::LockPickedQtys(const std::vector<Id>& ids) {
  std::vector<std::pair<Id, Qty>> out;
  for (Id id : Sorted(ids)) {
    Result<Qty> picked = LockPickedQty(id);
    if (!picked.ok()) return picked.error();
    out.emplace_back(id, *picked);
  }
  return out;
}

Result<std::vector<SoClock>> HostStore::LockSoClocks(const std::vector<Id>& ids) {
  return EachOf<SoClock>(ids, [this](Id id) { return LockSoClock(id); });
}

Result<std::vector<Product>> HostStore::GetProducts(const std::vector<Id>& ids) {
  return EachOf<Product>(ids, [this](Id id) { return GetProduct(id); });
}

Result<std::vector<Vendor>> HostStore::GetVendors(const std::vector<Id>& ids) {
  return EachOf<Vendor>(ids, [this](Id id) { return GetVendor(id); });
}

Result<std::map<Id, std::vector<ProductVendor>>> HostStore::GetProductVendorsOf(
    const std::vector<Id>& product_ids) {
  std::map<Id, std::vector<ProductVendor>> out;
  for (Id id : Sorted(product_ids)) {
    Result<std::vector<ProductVendor>> offers = GetProductVendors(id);
    if (!offers.ok()) return offers.error();
    out[id] = std::move(*offers);
  }
  return out;
}

Result<std::vector<Shipment>> HostStore::GetShipments(const std::vector<Id>& ids) {
  return EachOf<Shipment>(ids, [this](Id id) { return GetShipment(id); });
}

}  // namespace so
