// MysqlStore's reads for `simulate --open`: the special orders the candidate rules would decide
// about now. Each in a read-only snapshot of its own, without locks, whatever the store's mode.
#include <string>
#include <vector>

#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"
#include "adapters/mysql/mysql_store.hpp"

namespace so::mysql {

// Through the index on special_orders.status.
Result<std::vector<SpecialOrder>> MysqlStore::SpecialOrdersInRequest() {
  static const std::string kSql = SelectSpecialOrders("WHERE status = 'request' ORDER BY id");
  return session_->RunSnapshot("SpecialOrdersInRequest",
                               [&] { return session_->Query(kSql).All(ReadSpecialOrder); });
}

Result<std::vector<SpecialOrder>> MysqlStore::WaitingSpecialOrders() {
  static const std::string kSql = SelectSpecialOrders(
      "WHERE status NOT IN ('completed', 'cancelled') AND quantity > allocated_qty "
      "ORDER BY store_id, product_id, id");
  return session_->RunSnapshot("WaitingSpecialOrders",
                               [&] { return session_->Query(kSql).All(ReadSpecialOrder); });
}

}  // namespace so::mysql
