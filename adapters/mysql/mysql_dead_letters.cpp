// MysqlStore's dead letters (sod_dead_letters): parking a message that cannot be applied, and
// listing, deleting and retrying parked ones. Each call is a short transaction of its own.
#include <sstream>
#include <string>

#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"
#include "adapters/mysql/mysql_store.hpp"

namespace so::mysql {

Status MysqlStore::RecordDeadLetter(const std::optional<std::string>& message_id,
                                    std::string_view topic, std::string_view raw,
                                    std::string_view reason, std::string_view rules_version) {
  if (session_->in_transaction()) {
    return Error{ErrorKind::kPermanent, 0,
                 "RecordDeadLetter: called inside a transaction (it would commit it)"};
  }
  constexpr const char* kSql =
      "INSERT INTO sod_dead_letters (message_id, topic, raw, reason, attempts, "
      "rules_version, first_seen_at, last_seen_at) "
      "VALUES (?, ?, ?, ?, 1, ?, NOW(6), NOW(6)) ON DUPLICATE KEY UPDATE "
      "attempts = attempts + 1, reason = VALUES(reason), "
      "rules_version = VALUES(rules_version), last_seen_at = NOW(6)";
  Status status = session_->Run("RecordDeadLetter", [&] {
    // As a blob, not a string: the raw frame may be invalid UTF-8, which a string parameter
    // would have converted or refused.
    std::istringstream raw_stream{std::string(raw)};
    session_->Query(kSql, message_id, topic, Blob{raw_stream}, reason, rules_version).Execute();
    session_->ExecuteDirect("COMMIT");
  });
  if (!status.ok()) session_->Rollback();
  return status;
}

Result<std::vector<MysqlStore::StoredDeadLetter>> MysqlStore::ListDeadLetters(int64_t after_id,
                                                                              int limit) {
  constexpr const char* kSql =
      "SELECT id, message_id, topic, raw, attempts FROM sod_dead_letters "
      "WHERE id > ? ORDER BY id LIMIT ?";
  return session_->RunRolledBack("ListDeadLetters", [&] {
    return session_->Query(kSql, after_id, limit).All([](const sql::ResultSet& rs) {
      StoredDeadLetter l;
      l.id = rs.getInt64(1);
      if (!rs.isNull(2)) l.message_id = GetStr(rs, 2);
      l.topic = GetStr(rs, 3);
      l.raw = GetStr(rs, 4);
      l.attempts = rs.getInt(5);
      return l;
    });
  });
}

Status MysqlStore::DeleteDeadLetter(int64_t id) {
  constexpr const char* kSql = "DELETE FROM sod_dead_letters WHERE id = ?";
  return session_->RunCommitted("DeleteDeadLetter", [&] { session_->Query(kSql, id).Execute(); });
}

Status MysqlStore::RecordDeadLetterRetry(int64_t id, std::string_view reason,
                                         std::string_view rules_version) {
  constexpr const char* kSql =
      "UPDATE sod_dead_letters SET attempts = attempts + 1, reason = ?, "
      "rules_version = ?, last_seen_at = NOW(6) WHERE id = ?";
  return session_->RunCommitted(
      "RecordDeadLetterRetry", [&] { session_->Query(kSql, reason, rules_version, id).Execute(); });
}

}  // namespace so::mysql
