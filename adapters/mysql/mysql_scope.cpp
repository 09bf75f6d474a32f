// MysqlStore::StoresOf: the store of each message a daemon that applies some stores only
// (rules/store_scope.hpp) cannot tell from the message itself.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"
#include "adapters/mysql/mysql_store.hpp"

namespace so::mysql {

Result<std::map<StoreRef, Id>> MysqlStore::StoresOf(const std::vector<StoreRef>& refs) {
  using Kind = StoreRef::Kind;
  // Where each kind of row keeps its store: a transfer's is the receiving store's.
  static const std::map<Kind, std::string> kSql = {
      {Kind::kOrder, "SELECT id, store_id FROM customer_orders WHERE id IN "},
      {Kind::kSpecialOrder, "SELECT id, store_id FROM special_orders WHERE id IN "},
      {Kind::kPo, "SELECT id, store_id FROM purchase_orders WHERE id IN "},
      {Kind::kShipment, "SELECT id, store_id FROM vendor_shipments WHERE id IN "},
      {Kind::kTransfer, "SELECT id, to_store_id FROM store_transfers WHERE id IN "},
  };
  std::map<Kind, std::vector<Id>> ids;
  std::map<StoreRef, Id> stores;
  for (const StoreRef& ref : refs) {
    if (ref.kind == Kind::kStore) {
      stores[ref] = ref.id;
    } else {
      ids[ref.kind].push_back(ref.id);
    }
  }
  if (ids.empty()) return stores;
  // Read in a transaction of its own that locks nothing: these columns never change.
  Status s = session_->RunRolledBack("StoresOf", [&] {
    for (auto& [kind, list] : ids) {
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
      const InList<Id> in(list);
      session_->Query(kSql.at(kind) + in.Placeholders(), in).ForEach([&](const sql::ResultSet& rs) {
        stores[StoreRef{kind, rs.getInt64(1)}] = rs.getInt64(2);
      });
    }
  });
  if (!s.ok()) return s.error();
  return stores;
}

}  // namespace so::mysql
