#include "adapters/mysql/mysql_flight.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "adapters/flight_codec.hpp"
#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"

namespace so::mysql {
namespace {

constexpr int64_t kPruneChunk = 1000;
// Chunks deleted at most per sweep and per bound: the sweep runs between batches, and a
// retention lowered from years to days catches up over several sweeps rather than in one stall.
constexpr int kPruneChunksPerSweep = 10;
constexpr int kReadPage = 500;

}  // namespace

Result<int64_t> MysqlStore::PruneFlightRecords(int retention_days, int64_t max_bytes) {
  int64_t deleted = 0;
  // By age: the oldest ids first, a chunk per transaction, so that no delete holds many locks.
  for (int chunks = 0; chunks < kPruneChunksPerSweep; ++chunks) {
    Result<int> n = session_->RunCommitted("PruneFlightRecords", [&] {
      return session_
          ->Query("DELETE FROM sod_flight_recorder WHERE recorded_at < "
                  "UTC_TIMESTAMP(6) - INTERVAL ? DAY ORDER BY id LIMIT 1000",
                  static_cast<int64_t>(retention_days))
          .Execute();
    });
    if (!n.ok()) return n.error();
    deleted += *n;
    if (*n < kPruneChunk) break;
  }
  // By size: what is beyond the bound, oldest first. SUM(bytes) reads the index on bytes, not
  // the records.
  Result<int64_t> total = session_->RunRolledBack("PruneFlightRecords", [&] {
    return session_->Query("SELECT COALESCE(SUM(bytes), 0) FROM sod_flight_recorder")
        .One(ReadInt64)
        .value_or(0);
  });
  if (!total.ok()) return total.error();
  int64_t excess = *total - max_bytes;
  for (int chunks = 0; excess > 0 && chunks < kPruneChunksPerSweep; ++chunks) {
    // The id up to which the oldest rows free `excess` bytes, within one chunk.
    Result<std::pair<int64_t, int64_t>> cut = session_->RunRolledBack("PruneFlightRecords", [&] {
      int64_t freed = 0, last = 0;
      session_->Query("SELECT id, bytes FROM sod_flight_recorder ORDER BY id LIMIT 1000")
          .ForEach([&](const sql::ResultSet& rs) {
            if (freed >= excess) return;
            last = rs.getInt64(1);
            freed += rs.getInt64(2);
          });
      return std::make_pair(last, freed);
    });
    if (!cut.ok()) return cut.error();
    if (cut->first == 0) break;
    Result<int> n = session_->RunCommitted("PruneFlightRecords", [&] {
      return session_->Query("DELETE FROM sod_flight_recorder WHERE id <= ?", cut->first).Execute();
    });
    if (!n.ok()) return n.error();
    deleted += *n;
    excess -= cut->second;
  }
  return deleted;
}

FlightReader::FlightReader(MysqlOptions options)
    : options_(std::move(options)), session_(std::make_unique<Session>()) {}

FlightReader::~FlightReader() = default;

Status FlightReader::Connect() {
  if (Status s = session_->Connect(options_); !s.ok()) return s;
  return session_->Run("FlightReader::Connect",
                       [&] { session_->ExecuteDirect("SET SESSION TRANSACTION READ ONLY"); });
}

Status FlightReader::ForEach(const Period& period, const std::function<void(FlightRecord)>& each,
                             const std::function<void(const std::string&, const std::string&)>& bad) {
  const Timestamp since = period.since.value_or(Timestamp{0});
  // DATETIME(6) reaches 9999-12-31: the end of time, as far as the table can tell.
  const Timestamp until = period.until.value_or(Timestamp{253'402'300'799'000'000});
  uint64_t after = 0;
  for (;;) {
    struct Row {
      uint64_t id;
      std::string message_id, rules_version, bytes;
    };
    Result<std::vector<Row>> page = session_->RunRolledBack("FlightReader::ForEach", [&] {
      return session_
          ->Query("SELECT id, message_id, rules_version, record FROM sod_flight_recorder "
                  "WHERE id > ? AND occurred_at >= ? AND occurred_at < ? ORDER BY id LIMIT 500",
                  after, since, until)
          .All([](const sql::ResultSet& rs) {
            return Row{rs.getUInt64(1), GetStr(rs, 2), GetStr(rs, 3), GetStr(rs, 4)};
          });
    });
    if (!page.ok()) return page.error();
    for (Row& row : *page) {
      auto decoded = flight::Decode(row.bytes);
      if (auto* reason = std::get_if<std::string>(&decoded)) {
        bad(row.message_id, *reason);
      } else {
        FlightRecord& record = std::get<FlightRecord>(decoded);
        record.rules_version = std::move(row.rules_version);
        each(std::move(record));
      }
      after = row.id;
    }
    if (static_cast<int>(page->size()) < kReadPage) return Status();
  }
}

Result<FlightReader::Size> FlightReader::TableSize() {
  return session_->RunRolledBack("FlightReader::TableSize", [&] {
    Size size;
    session_->Query("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM sod_flight_recorder")
        .ForEach([&](const sql::ResultSet& rs) {
          size.records = rs.getInt64(1);
          size.bytes = rs.getInt64(2);
        });
    return size;
  });
}

}  // namespace so::mysql
