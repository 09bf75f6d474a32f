// MysqlStore's drift check (mysql_drift.cpp) on a consistent world of realistic size written
// straight into the private MariaDB: no difference in either scope, each edit found by the scope
// that covers it, and the repair (missing stock row included) leaves nothing. Prints how long
// each check took: SO_DRIFT_LIVE and SO_DRIFT_HISTORY (special orders) set the size.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>

#include "adapters/mysql/mysql_store.hpp"
#include "rules/drift.hpp"
#include "tests/support/test_db.hpp"

namespace so::mysql {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Scope = MysqlStore::DriftScope;

int64_t EnvOr(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoll(v) : fallback;
}

class MysqlDriftTest : public ::testing::Test {
 protected:
  MysqlDriftTest() : db_("drift"), store_(db_.options()) {}

  void SetUp() override { ASSERT_TRUE(store_.Connect().ok()); }

  // `live` special orders (neither completed nor cancelled) and `history` completed or
  // cancelled ones, one order and line each, over 4 stores and 500 of 2,000 products; every
  // counter what they make it (stock: 4 x 2,000 rows).
  void WriteWorld(int64_t live, int64_t history) {
    // {n}: the live ones are 1..n; {all}: the sequence 1..live+history; {cancelled}: history
    // that was cancelled (every fifth); {allocated}: allocated_qty (live i: i % 4 of 3).
    const auto exec = [&](std::string sql) {
      const std::pair<std::string, std::string> vars[] = {
          {"{cancelled}", "(seq > {n} AND seq % 5 = 0)"},
          {"{allocated}", "IF(seq <= {n}, seq % 4, IF(seq % 5 = 0, 0, 3))"},
          {"{n}", std::to_string(live)},
          {"{all}", "seq_1_to_" + std::to_string(live + history)}};
      for (const auto& [name, value] : vars) {
        for (size_t at; (at = sql.find(name)) != std::string::npos;)
          sql.replace(at, name.size(), value);
      }
      db_.Exec(sql);
    };
    exec("INSERT INTO stores (id, code, name) SELECT seq, CONCAT('S', seq), 's' FROM seq_1_to_4");
    exec("INSERT INTO customers (id, name) VALUES (1, 'Ada')");
    exec(
        "INSERT INTO products (id, sku, name) SELECT seq, CONCAT('P', seq), 'p' "
        "FROM seq_1_to_2000");
    exec(
        "INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, "
        "created_at, updated_at) SELECT seq, 1 + seq % 4, 1, "
        "IF(seq <= {n}, 'open', IF({cancelled}, 'cancelled', 'completed')), "
        "IF({cancelled}, 0, 1), '2026-01-01', '2026-01-01' FROM {all}");
    exec(
        "INSERT INTO customer_order_lines (id, order_id, product_id, quantity, "
        "special_order_qty, status, committed_qty, backordered_qty) "
        "SELECT seq, seq, 1 + seq % 500, 3, 3, CASE WHEN {cancelled} THEN 'cancelled' "
        "WHEN seq > {n} THEN 'fulfilled' WHEN seq % 4 = 3 THEN 'committed' "
        "ELSE 'backordered' END, IF({cancelled}, 0, {allocated}), "
        "IF({cancelled}, 0, 3 - {allocated}) FROM {all}");
    exec(
        "INSERT INTO special_orders (id, store_id, order_id, order_line_id, customer_id, "
        "product_id, quantity, allocated_qty, status, requested_at, updated_at) "
        "SELECT seq, 1 + seq % 4, seq, seq, 1, 1 + seq % 500, 3, {allocated}, "
        "IF(seq <= {n}, ELT(seq % 4 + 1, 'ordered', 'in_progress', 'in_progress', 'ready'), "
        "IF({cancelled}, 'cancelled', 'completed')), '2026-01-01', '2026-01-01' FROM {all}");
    // Some ready ones have 1 of 3 picked up; the completed ones all of it.
    exec(
        "INSERT INTO sod_pickups (special_order_id, picked_qty) SELECT id, "
        "IF(status = 'completed', 3, 1) FROM special_orders "
        "WHERE status = 'completed' OR (status = 'ready' AND id % 8 = 3)");
    exec(
        "INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) "
        "SELECT s.id, p.id, 10, COALESCE(x.c, 0), COALESCE(x.b, 0) FROM stores s "
        "CROSS JOIN products p LEFT JOIN (SELECT so.store_id, so.product_id, "
        "SUM(so.allocated_qty - COALESCE(k.picked_qty, 0)) c, "
        "SUM(so.quantity - so.allocated_qty) b FROM special_orders so "
        "LEFT JOIN sod_pickups k ON k.special_order_id = so.id "
        "WHERE so.status NOT IN ('completed', 'cancelled') "
        "GROUP BY so.store_id, so.product_id) x ON x.store_id = s.id AND x.product_id = p.id");
  }

  MysqlStore::DriftReport Find(Scope scope, const char* name) {
    const auto start = std::chrono::steady_clock::now();
    auto r = store_.FindDrift(scope);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    if (!r.ok()) return {};
    std::cout << "[ measure ] FindDrift(" << name << "): " << r->special_orders
              << " special orders, " << r->stock_rows << " stock rows, " << r->orders
              << " customer orders in " << ms << " ms; " << r->drifts.size() << " differences\n";
    return std::move(*r);
  }

  so::testing::TestDatabase db_;
  MysqlStore store_;
};

TEST_F(MysqlDriftTest, ConsistentWorldHasNoDriftAndEachEditIsFoundByItsScope) {
  const int64_t live = EnvOr("SO_DRIFT_LIVE", 10'000);
  const int64_t history = EnvOr("SO_DRIFT_HISTORY", 20'000);
  WriteWorld(live, history);
  const auto all = Find(Scope::kAll, "all");
  EXPECT_THAT(all.drifts, IsEmpty());
  EXPECT_EQ(all.special_orders, live + history);
  EXPECT_EQ(all.orders, live + history);
  const auto lives = Find(Scope::kLive, "live");
  EXPECT_THAT(lives.drifts, IsEmpty());
  EXPECT_EQ(lives.special_orders, live);

  // Special order 5 (store 2, product 6) is live: 3 units, 1 allocated. Order 30 is history
  // (cancelled). Product 1999 was never special-ordered.
  db_.Exec("UPDATE stock SET committed = committed + 3 WHERE store_id = 2 AND product_id = 6");
  db_.Exec("UPDATE stock SET backordered = 4 WHERE store_id = 3 AND product_id = 1999");
  const int64_t old = live + 5 * (history / 10);  // a cancelled one: a multiple of 5
  db_.Exec("UPDATE customer_orders SET has_special_order = 1 WHERE id = " + std::to_string(old));
  db_.Exec("UPDATE customer_order_lines SET backordered_qty = 0 WHERE id = 5");
  const auto kept =
      db_.QueryInt("SELECT committed FROM stock WHERE store_id = 2 AND product_id = 6");

  EXPECT_THAT(Find(Scope::kLive, "live").drifts,
              ElementsAre(Drift{DriftField::kStockCommitted, 2, 6, std::nullopt, kept - 3, kept},
                          Drift{DriftField::kLineBackorderedQty, 5, 0, 5, 2, 0}));
  const auto found = Find(Scope::kAll, "all").drifts;
  EXPECT_THAT(found,
              ElementsAre(Drift{DriftField::kStockCommitted, 2, 6, std::nullopt, kept - 3, kept},
                          Drift{DriftField::kStockBackordered, 3, 1999, std::nullopt, 0, 4},
                          Drift{DriftField::kLineBackorderedQty, 5, 0, 5, 2, 0},
                          Drift{DriftField::kRedStar, old, 0, std::nullopt, 0, 1}));

  // A stock row the POS deleted reads as zeros; the repair creates it.
  const int64_t c7 =
      db_.QueryInt("SELECT committed FROM stock WHERE store_id = 3 AND product_id = 7");
  const int64_t b7 =
      db_.QueryInt("SELECT backordered FROM stock WHERE store_id = 3 AND product_id = 7");
  db_.Exec("DELETE FROM stock WHERE store_id = 3 AND product_id = 7");
  auto with_missing = Find(Scope::kAll, "all").drifts;
  ASSERT_EQ(with_missing.size(), found.size() + 2);

  const auto start = std::chrono::steady_clock::now();
  auto repaired = store_.RepairDrift(with_missing, "check-repair:test", Timestamp{1});
  ASSERT_TRUE(repaired.ok()) << repaired.error().ToString();
  std::cout << "[ measure ] RepairDrift of " << repaired->size() << " in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count()
            << " ms\n";
  EXPECT_EQ(repaired->size(), with_missing.size());
  EXPECT_THAT(Find(Scope::kAll, "all").drifts, IsEmpty());
  EXPECT_EQ(db_.QueryInt("SELECT committed FROM stock WHERE store_id = 3 AND product_id = 7"), c7);
  EXPECT_EQ(db_.QueryInt("SELECT backordered FROM stock WHERE store_id = 3 AND product_id = 7"),
            b7);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM sod_audit WHERE message_id = 'check-repair:test' "
                         "AND decision = 'repaired_drift'"),
            static_cast<int64_t>(with_missing.size()));
}

// More rows than one IN list takes: the repair locks and writes them in pieces, in one
// transaction.
// An order whose live special orders are in several statuses (so in several of the sweep's
// pages) has its wrong star counted once.
TEST_F(MysqlDriftTest, AStarIsOneDifferenceHoweverManyPagesItsSpecialOrdersAreIn) {
  WriteWorld(4, 0);  // special orders 3 (ready) and 4 (ordered) move to order 1 (in progress)
  db_.Exec("UPDATE special_orders SET order_id = 1 WHERE id IN (3, 4)");
  db_.Exec("UPDATE customer_order_lines SET order_id = 1 WHERE id IN (3, 4)");
  db_.Exec("UPDATE customer_orders SET has_special_order = 0 WHERE id = 1");
  const auto live = Find(Scope::kLive, "live");
  ASSERT_EQ(live.drifts.size(), 1u);
  EXPECT_EQ(live.drifts[0].field, DriftField::kRedStar);
  EXPECT_EQ(live.drifts[0].row_id, 1);
  EXPECT_EQ(live.orders, 2);  // orders 1 and 2; 3 and 4 have no special order any more
}

TEST_F(MysqlDriftTest, RepairOfThousandsOfRowsGoesInPiecesOfOneTransaction) {
  WriteWorld(3000, 0);
  db_.Exec("UPDATE customer_order_lines SET committed_qty = committed_qty + 1 WHERE id <= 2500");
  db_.Exec("UPDATE customer_orders SET has_special_order = 0 WHERE id > 500");
  db_.Exec("UPDATE stock SET backordered = backordered + 1 WHERE product_id <= 500");
  const auto found = Find(Scope::kAll, "all").drifts;
  ASSERT_EQ(found.size(), 2500u + 2500u + 4u * 500u);  // lines, stars, stock of 4 stores
  auto repaired = store_.RepairDrift(found, "check-repair:many", Timestamp{1});
  ASSERT_TRUE(repaired.ok()) << repaired.error().ToString();
  EXPECT_EQ(repaired->size(), found.size());
  EXPECT_THAT(Find(Scope::kAll, "all").drifts, IsEmpty());
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM sod_audit WHERE message_id = 'check-repair:many'"),
            static_cast<int64_t>(found.size()));
}

TEST_F(MysqlDriftTest, RepairOfWhatWasPutRightMeanwhileWritesNothing) {
  WriteWorld(40, 10);
  db_.Exec("UPDATE stock SET committed = committed + 1 WHERE store_id = 2 AND product_id = 6");
  const auto found = Find(Scope::kAll, "all").drifts;
  ASSERT_EQ(found.size(), 1u);
  db_.Exec("UPDATE stock SET committed = committed - 1 WHERE store_id = 2 AND product_id = 6");
  auto repaired = store_.RepairDrift(found, "check-repair:late", Timestamp{1});
  ASSERT_TRUE(repaired.ok()) << repaired.error().ToString();
  EXPECT_THAT(*repaired, IsEmpty());
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM sod_audit"), 0);
}

}  // namespace
}  // namespace so::mysql
