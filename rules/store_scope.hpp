// Which stores a daemon applies, for a chain that runs several daemons on one database (a daemon
// on each Galera node): config `stores:` (a list) or `partition: {index, count}` (a hash of the
// store id). Messages and sweep repairs of other stores are skipped, so that daemons on
// different nodes rarely write the same rows. Plain values; thread-compatible.
#pragma once

#include <compare>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rules/messages.hpp"
#include "rules/model.hpp"
#include "rules/result.hpp"

namespace so {

struct StoreScope {
  // When not empty: exactly these stores (sorted, no repeats).
  std::vector<Id> stores;
  // When count > 0: the stores whose id modulo count is index (0 <= index < count). Store ids are
  // usually consecutive, which spreads them evenly; a chain whose ids follow a pattern (every
  // store id even) lists its stores instead.
  int partition_index = 0;
  int partition_count = 0;

  // These stores (sorted here).
  static StoreScope Of(std::vector<Id> stores);
  // Partition `index` of `count`.
  static StoreScope Partition(int index, int count);

  // Neither given: every store (the default; several daemons then each apply every message and
  // the inbox keeps each applied once: a hot standby).
  bool all() const { return stores.empty() && partition_count == 0; }
  bool Owns(Id store_id) const;
  // "every store", "stores 1, 2, 7", "partition 0 of 3 (stores whose id % 3 is 0)".
  std::string ToString() const;
};

// What tells a message's store: the store itself where the message names it, else the row whose
// store it is (the store of an order, a special order or a PO never changes).
struct StoreRef {
  enum class Kind { kStore, kOrder, kSpecialOrder, kPo, kShipment, kTransfer };
  Kind kind = Kind::kStore;
  Id id = 0;

  auto operator<=>(const StoreRef&) const = default;
};

// The store a message belongs to, as a reference to resolve: a transfer's is the receiving store
// (where its goods are allocated), an allocation's that of its shipment or transfer. nullopt for
// an allocation that names neither (the engine refuses it wherever it is applied).
std::optional<StoreRef> StoreRefOf(const Payload& payload);

// Which messages a daemon with a StoreScope applies. A message whose store cannot be told (its
// order or special order is not in the database, or the allocation names nothing) is applied by
// every daemon alike, as without a scope: the engine refuses or parks it, and the inbox keeps
// one outcome. Not thread-safe.
class StoreFilter {
 public:
  // The stores of the rows `refs` name (kStore ones need none); a row that does not exist is
  // left out. MysqlStore::StoresOf() in the daemon.
  using Lookup = std::function<Result<std::map<StoreRef, Id>>(const std::vector<StoreRef>& refs)>;

  StoreFilter(StoreScope scope, Lookup lookup);

  const StoreScope& scope() const { return scope_; }
  // Looks up, in one call, the stores of the messages that do not name theirs and were not
  // looked up before (a row's store never changes: what was found is kept, up to a bound). An
  // error leaves the filter as it was; Applies() must then not be asked about these messages.
  Status Resolve(const std::vector<const Message*>& messages);
  // Whether the daemon applies `m`. With a scope, after Resolve() of a list holding it.
  bool Applies(const Message& m) const;

 private:
  StoreScope scope_;
  Lookup lookup_;
  std::map<StoreRef, Id> known_;
};

}  // namespace so
