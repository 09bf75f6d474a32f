#include "adapters/mysql/mysql_observe.hpp"

#include "adapters/mysql/mysql_session.hpp"

namespace so::mysql {

Observer::Observer(MysqlOptions options, int timeout_s)
    : options_(std::move(options)), session_(std::make_unique<Session>()) {
  options_.connect_timeout_s = timeout_s;
  options_.read_timeout_s = timeout_s;
  options_.write_timeout_s = timeout_s;
}

Observer::~Observer() = default;

Status Observer::EnsureConnected() {
  if (session_->connected()) return Status();
  if (Status s = session_->Connect(options_); !s.ok()) return s;
  // Whatever a bug might send on it, this connection cannot change the database.
  return session_->Run("Observer",
                       [&] { session_->ExecuteDirect("SET SESSION TRANSACTION READ ONLY"); });
}

Status Observer::Ping() {
  if (Status s = EnsureConnected(); !s.ok()) return s;
  if (Status s = session_->CheckNode(); !s.ok()) return s;
  return session_->RunRolledBack("Ping", [&] {
    if (!session_->Query("SELECT 1").Exists()) throw BadValue("SELECT 1 gave no row");
  });
}

Result<Observation> Observer::Observe() {
  if (Status s = EnsureConnected(); !s.ok()) return s.error();
  return session_->RunRolledBack("Observe", [&] {
    Observation o;
    o.open = session_
                 ->Query(
                     "SELECT status, store_id, COUNT(*), "
                     "TIMESTAMPDIFF(SECOND, MIN(requested_at), UTC_TIMESTAMP(6)) "
                     "FROM special_orders "
                     "WHERE status IN ('request', 'ordered', 'arrived', 'in_progress', 'ready') "
                     "GROUP BY status, store_id ORDER BY status, store_id")
                 .All([](const sql::ResultSet& rs) {
                   return OpenSpecialOrders{GetStr(rs, 1), rs.getInt64(2), rs.getInt64(3),
                                            rs.getInt64(4)};
                 });
    o.overdue = session_
                    ->Query(
                        "SELECT so.store_id, COALESCE(so.vendor_id, 0), COUNT(*) "
                        "FROM special_orders so "
                        "JOIN sod_promises c ON c.special_order_id = so.id "
                        "WHERE so.status IN ('ordered', 'in_progress') "
                        "AND so.quantity > so.allocated_qty AND c.overdue_seq = c.promise_seq "
                        "GROUP BY so.store_id, COALESCE(so.vendor_id, 0) ORDER BY 1, 2")
                    .All([](const sql::ResultSet& rs) {
                      return OverdueSpecialOrders{rs.getInt64(1), rs.getInt64(2), rs.getInt64(3)};
                    });
    o.dead_letters = session_->Query("SELECT COUNT(*) FROM sod_dead_letters")
                         .One([](const sql::ResultSet& rs) { return rs.getInt64(1); })
                         .value_or(0);
    return o;
  });
}

}  // namespace so::mysql
