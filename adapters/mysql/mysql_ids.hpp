// Which store, vendor, product and customer ids the POS database has, for `special-ordersd
// --check-config --against-database`: a connection of its own that only reads (SELECT, in READ
// ONLY transactions). Not thread-safe: one reader per thread.
#pragma once

#include <memory>
#include <vector>

#include "adapters/mysql/mysql_store.hpp"
#include "rules/model.hpp"
#include "rules/result.hpp"

namespace so::mysql {

class Session;

// A POS table keyed by `id`.
enum class IdTable { kStores, kVendors, kProducts, kCustomers };

class IdReader {
 public:
  explicit IdReader(MysqlOptions options);
  ~IdReader();
  IdReader(const IdReader&) = delete;
  IdReader& operator=(const IdReader&) = delete;

  // Connects (as MysqlStore::Connect() does) and makes every transaction of the session READ
  // ONLY, so that the server refuses whatever would write.
  Status Connect();

  // Those of `ids` that `table` has a row for, in id order: one SELECT ... WHERE id IN (...), in
  // a transaction rolled back afterwards. No query when `ids` is empty.
  Result<std::vector<Id>> Existing(IdTable table, const std::vector<Id>& ids);

 private:
  MysqlOptions options_;
  std::unique_ptr<Session> session_;
};

}  // namespace so::mysql
