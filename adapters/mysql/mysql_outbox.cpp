// MysqlStore as the OutboxStore (rules/outbox.hpp): the daemon's event source and its outbox,
// sod_event_sources and sod_outbox; the rows of a batch go in with its WriteSet
// (mysql_writes.cpp), the source's counter through AdvanceEventSource() below.
#include <algorithm>
#include <string>
#include <vector>

#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"
#include "adapters/mysql/mysql_store.hpp"

namespace so::mysql {
namespace {

// Rows deleted per transaction, and transactions per PruneOutbox() call (the next sweep goes on).
constexpr int kPruneChunk = 1000;
constexpr int kPruneChunksPerCall = 10;

}  // namespace

Result<EventSourceState> MysqlStore::ClaimEventSource(const std::string& name,
                                                      const std::string& instance, Timestamp now) {
  return session_->RunCommitted("ClaimEventSource", [&] {
    // A new name makes a new source; one that exists keeps its source and seq and changes hands.
    session_
        ->Query(
            "INSERT INTO sod_event_sources (name, source, instance, created_at, claimed_at) "
            "VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE instance = VALUES(instance), "
            "claimed_at = VALUES(claimed_at)",
            name, name + "#" + FormatRfc3339(now), instance, now, now)
        .Execute();
    return *session_
                ->Query("SELECT source, last_seq, sent_seq FROM sod_event_sources WHERE name = ?",
                        name)
                .One([](const sql::ResultSet& rs) {
                  return EventSourceState{GetStr(rs, 1), rs.getUInt64(2), rs.getUInt64(3)};
                });
  });
}

void MysqlStore::AdvanceEventSource(const WriteSet::EventSourceAdvance& a) {
  Session& s = *session_;
  const int matched =
      s.Query(
           "UPDATE sod_event_sources SET last_seq = ?, sent_seq = GREATEST(sent_seq, ?) "
           "WHERE name = ? AND instance = ? AND last_seq = ?",
           a.last_seq, a.sent_seq, a.name, a.instance, a.from_seq)
          .Execute();
  if (matched == 1) return;
  // Only on the way out: who holds it now, for the operator.
  struct Holder {
    std::string instance, since;
    uint64_t last_seq;
  };
  const auto holder =
      s.Query("SELECT instance, claimed_at, last_seq FROM sod_event_sources WHERE name = ?", a.name)
          .One([](const sql::ResultSet& rs) {
            return Holder{GetStr(rs, 1), FormatRfc3339(GetTime(rs, 2, "claimed_at")),
                          rs.getUInt64(3)};
          });
  if (holder && holder->instance == a.instance) {
    throw StaleEventSource("the event source '" + a.name + "' is at seq " +
                           std::to_string(holder->last_seq) + ", this daemon counted " +
                           std::to_string(a.from_seq) + " (a commit whose answer was lost)");
  }
  throw SourceTaken("the event source '" + a.name + "' is no longer this daemon's (" + a.instance +
                    "): " +
                    (holder ? "another daemon started with the same bus.source holds it (" +
                                  holder->instance + " since " + holder->since + ")"
                            : "its row in sod_event_sources is gone") +
                    "; two daemons must not share a bus.source");
}

Result<EventSourceState> MysqlStore::ReadEventSource(const std::string& name,
                                                     const std::string& instance) {
  return session_->RunRolledBack("ReadEventSource", [&] {
    struct Row {
      EventSourceState state;
      std::string instance;
    };
    const auto row =
        session_
            ->Query(
                "SELECT source, last_seq, sent_seq, instance FROM sod_event_sources "
                "WHERE name = ?",
                name)
            .One([](const sql::ResultSet& rs) {
              return Row{{GetStr(rs, 1), rs.getUInt64(2), rs.getUInt64(3)}, GetStr(rs, 4)};
            });
    if (!row || row->instance != instance) {
      throw SourceTaken("the event source '" + name + "' is no longer this daemon's (" + instance +
                        "); two daemons must not share a bus.source");
    }
    return row->state;
  });
}

Result<std::vector<StampedEvent>> MysqlStore::ReadOutbox(const std::string& source,
                                                         uint64_t after_seq, int limit) {
  return session_->RunRolledBack("ReadOutbox", [&] {
    return session_
        ->Query(
            "SELECT seq, event_id, type, occurred_at, body FROM sod_outbox "
            "WHERE source = ? AND seq > ? ORDER BY seq LIMIT ?",
            source, after_seq, limit)
        .All([&](const sql::ResultSet& rs) {
          StampedEvent e;
          e.envelope.source = source;
          e.envelope.seq = rs.getUInt64(1);
          e.envelope.id = GetStr(rs, 2);
          e.envelope.type = GetStr(rs, 3);
          e.envelope.occurred_at = GetTime(rs, 4, "occurred_at");
          e.body = GetStr(rs, 5);
          return e;
        });
  });
}

Status MysqlStore::MarkEventsSent(const std::string& name, const std::string& instance,
                                  uint64_t sent_seq) {
  return session_->RunCommitted("MarkEventsSent", [&] {
    const int matched = session_
                            ->Query(
                                "UPDATE sod_event_sources SET sent_seq = GREATEST(sent_seq, ?) "
                                "WHERE name = ? AND instance = ?",
                                sent_seq, name, instance)
                            .Execute();
    if (matched == 0) {
      throw SourceTaken("the event source '" + name + "' is no longer this daemon's (" + instance +
                        "); two daemons must not share a bus.source");
    }
  });
}

Result<int64_t> MysqlStore::PruneOutbox(const std::string& source, uint64_t sent_seq,
                                        uint64_t last_seq, const OutboxRetention& retention,
                                        Timestamp now) {
  const uint64_t max_rows = static_cast<uint64_t>(std::max<int64_t>(retention.max_rows, 0));
  const uint64_t beyond_count = last_seq > max_rows ? last_seq - max_rows : 0;
  // By age: up to the first sent row written since the cut-off. Rows are written in seq order,
  // so the scan from the oldest stops at the first young one: it reads no more than it deletes.
  const Result<uint64_t> beyond_age = session_->RunRolledBack("PruneOutbox", [&] {
    const auto young =
        session_
            ->Query(
                "SELECT seq FROM sod_outbox WHERE source = ? AND seq <= ? AND written_at >= ? "
                "ORDER BY seq LIMIT 1",
                source, sent_seq, AddDays(now, -retention.retention_days))
            .One([](const sql::ResultSet& rs) { return rs.getUInt64(1); });
    return young ? *young - 1 : sent_seq;
  });
  if (!beyond_age.ok()) return beyond_age.error();
  const uint64_t cut = std::min(sent_seq, std::max(*beyond_age, beyond_count));
  int64_t deleted = 0;
  for (int chunks = 0; cut > 0 && chunks < kPruneChunksPerCall; ++chunks) {
    Result<int> n = session_->RunCommitted("PruneOutbox", [&] {
      return session_
          ->Query("DELETE FROM sod_outbox WHERE source = ? AND seq <= ? ORDER BY seq LIMIT ?",
                  source, cut, kPruneChunk)
          .Execute();
    });
    if (!n.ok()) return n.error();
    deleted += *n;
    if (*n < kPruneChunk) break;
  }
  return deleted;
}

}  // namespace so::mysql
