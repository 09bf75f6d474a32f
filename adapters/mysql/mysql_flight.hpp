// Reading the flight recorder's table (sod_flight_recorder) for `special-ordersd simulate`:
// read-only, in pages, in the order the records were written. Its retention is
// MysqlStore::PruneFlightRecords().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adapters/mysql/mysql_store.hpp"
#include "rules/flight_record.hpp"
#include "rules/result.hpp"

namespace so::mysql {

class Session;

class FlightReader {
 public:
  explicit FlightReader(MysqlOptions options);
  ~FlightReader();
  FlightReader(const FlightReader&) = delete;
  FlightReader& operator=(const FlightReader&) = delete;

  // Connects (as MysqlStore::Connect() does) with every transaction READ ONLY.
  Status Connect();

  struct Period {
    std::optional<Timestamp> since;  // messages that occurred at or after
    std::optional<Timestamp> until;  // and before
  };
  // Calls each() with every record of the period in the order written, a page of 500 at a time
  // (each page a transaction of its own: records written meanwhile may show), and bad() with the
  // message id and the reason of each one that does not decode.
  Status ForEach(const Period& period, const std::function<void(FlightRecord)>& each,
                 const std::function<void(const std::string&, const std::string&)>& bad);

  // The records and their bytes in all, for the summary.
  struct Size {
    int64_t records = 0, bytes = 0;
  };
  Result<Size> TableSize();

 private:
  MysqlOptions options_;
  std::unique_ptr<Session> session_;
};

}  // namespace so::mysql
