// The observer of /metrics and /healthz on the private MariaDB: the open special orders by
// status and store with the age of the oldest, the overdue ones by store and vendor, the dead
// letters, SELECT 1, and errors as values when the server cannot be reached.
#include "adapters/mysql/mysql_observe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "tests/support/test_db.hpp"

namespace so::mysql {
namespace {

using so::testing::TestDatabase;

// Two stores, one customer and product, one order with a line per special order. Ages are
// relative to now (the session's time zone is UTC, as the daemon writes the times).
constexpr const char* kSeed = R"sql(
INSERT INTO stores (id, code, name) VALUES (1, 'S1', 'Store 1'), (2, 'S2', 'Store 2');
INSERT INTO products (id, sku, name) VALUES (100, 'SKU-100', 'Widget');
INSERT INTO customers (id, name) VALUES (1000, 'Ada');
INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, created_at,
  updated_at) VALUES (5000, 1, 1000, 'open', 1, UTC_TIMESTAMP(), UTC_TIMESTAMP());
INSERT INTO customer_order_lines (id, order_id, product_id, quantity, special_order_qty, status,
  committed_qty, backordered_qty) VALUES (6001, 5000, 100, 1, 1, 'backordered', 0, 1),
  (6002, 5000, 100, 1, 1, 'backordered', 0, 1), (6003, 5000, 100, 1, 1, 'backordered', 0, 1),
  (6004, 5000, 100, 1, 1, 'backordered', 0, 1), (6005, 5000, 100, 1, 1, 'fulfilled', 0, 0),
  (6006, 5000, 100, 1, 1, 'cancelled', 0, 0);
INSERT INTO special_orders (store_id, order_id, order_line_id, customer_id, product_id, quantity,
  status, requested_at, updated_at) VALUES
  (1, 5000, 6001, 1000, 100, 1, 'ordered', UTC_TIMESTAMP() - INTERVAL 2 HOUR, UTC_TIMESTAMP()),
  (1, 5000, 6002, 1000, 100, 1, 'ordered', UTC_TIMESTAMP() - INTERVAL 1 HOUR, UTC_TIMESTAMP()),
  (2, 5000, 6003, 1000, 100, 1, 'ordered', UTC_TIMESTAMP() - INTERVAL 3 HOUR, UTC_TIMESTAMP()),
  (1, 5000, 6004, 1000, 100, 1, 'request', UTC_TIMESTAMP() - INTERVAL 10 MINUTE, UTC_TIMESTAMP()),
  (1, 5000, 6005, 1000, 100, 1, 'completed', UTC_TIMESTAMP() - INTERVAL 30 DAY, UTC_TIMESTAMP()),
  (1, 5000, 6006, 1000, 100, 1, 'cancelled', UTC_TIMESTAMP() - INTERVAL 40 DAY, UTC_TIMESTAMP());
INSERT INTO sod_dead_letters (message_id, topic, raw, reason, rules_version, first_seen_at,
  last_seen_at) VALUES ('a', 'order.x', '{}', 'r', 'v', UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (NULL, 'order.y', '{', 'r', 'v', UTC_TIMESTAMP(), UTC_TIMESTAMP());
)sql";

// Special orders of two stores and two vendors (and one sourced by a transfer, without a vendor)
// with their sod_promises rows written by hand: overdue when overdue_seq is the current
// promise_seq and the goods are still awaited (ordered, in_progress). Special order 9 has no
// sod_promises row.
constexpr const char* kOverdueSeed = R"sql(
INSERT INTO stores (id, code, name) VALUES (1, 'S1', 'Store 1'), (2, 'S2', 'Store 2');
INSERT INTO vendors (id, name) VALUES (70, 'Vendor 70'), (71, 'Vendor 71');
INSERT INTO products (id, sku, name) VALUES (100, 'SKU-100', 'Widget');
INSERT INTO customers (id, name) VALUES (1000, 'Ada');
INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, created_at,
  updated_at) VALUES (5000, 1, 1000, 'open', 1, UTC_TIMESTAMP(), UTC_TIMESTAMP());
INSERT INTO customer_order_lines (id, order_id, product_id, quantity, special_order_qty, status,
  committed_qty, backordered_qty) VALUES (7001, 5000, 100, 1, 1, 'backordered', 0, 1),
  (7002, 5000, 100, 1, 1, 'backordered', 0, 1), (7003, 5000, 100, 1, 1, 'backordered', 0, 1),
  (7004, 5000, 100, 1, 1, 'backordered', 0, 1), (7005, 5000, 100, 1, 1, 'backordered', 0, 1),
  (7006, 5000, 100, 1, 1, 'backordered', 0, 1), (7007, 5000, 100, 1, 1, 'backordered', 0, 1),
  (7008, 5000, 100, 1, 1, 'cancelled', 0, 0), (7009, 5000, 100, 1, 1, 'backordered', 0, 1),
  (7010, 5000, 100, 1, 1, 'backordered', 0, 1);
INSERT INTO special_orders (id, store_id, order_id, order_line_id, customer_id, product_id,
  quantity, status, source, vendor_id, requested_at, updated_at) VALUES
  (1, 1, 5000, 7001, 1000, 100, 1, 'ordered', 'vendor', 70, UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (2, 1, 5000, 7002, 1000, 100, 1, 'in_progress', 'vendor', 70, UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (3, 1, 5000, 7003, 1000, 100, 1, 'ordered', 'vendor', 71, UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (4, 2, 5000, 7004, 1000, 100, 1, 'ordered', 'transfer', NULL, UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (5, 1, 5000, 7005, 1000, 100, 1, 'ordered', 'vendor', 70, UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (6, 1, 5000, 7006, 1000, 100, 1, 'ordered', 'vendor', 70, UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (7, 1, 5000, 7007, 1000, 100, 1, 'ready', 'vendor', 70, UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (8, 1, 5000, 7008, 1000, 100, 1, 'cancelled', 'vendor', 70, UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (9, 2, 5000, 7009, 1000, 100, 1, 'in_progress', 'vendor', 70, UTC_TIMESTAMP(), UTC_TIMESTAMP()),
  (10, 2, 5000, 7010, 1000, 100, 1, 'arrived', 'vendor', 70, UTC_TIMESTAMP(), UTC_TIMESTAMP());
INSERT INTO sod_promises (special_order_id, promise_seq, expected_on, basis, overdue_seq) VALUES
  (1, 2, '2026-11-01', 'vendor_lead_time_from_sent', 2),  -- overdue: counted
  (2, 1, '2026-11-01', 'vendor_lead_time_from_sent', 1),  -- overdue, in_progress: counted
  (3, 1, '2026-11-01', 'vendor_lead_time_from_sent', 1),  -- overdue, the other vendor
  (4, 1, '2026-11-01', 'transfer_days', 1),               -- overdue, no vendor
  (5, 1, '2026-11-01', 'vendor_lead_time_from_sent', NULL),  -- not published overdue
  (6, 3, '2026-11-01', 'vendor_lead_time_from_sent', 2),  -- overdue of an older promise
  (7, 1, '2026-11-01', 'vendor_lead_time_from_sent', 1),  -- ready: the goods came
  (8, 1, '2026-11-01', 'vendor_lead_time_from_sent', 1),  -- cancelled
  (9, 1, '2026-11-01', 'vendor_lead_time_from_sent', 1),  -- in_progress, allocated in full
  (10, 1, '2026-11-01', 'vendor_lead_time_from_sent', 1);  -- arrived
)sql";

// Ages are read a moment after the seed: within a few seconds of what it wrote.
MATCHER_P(AgeNear, seconds, "") { return arg >= seconds && arg <= seconds + 10; }

TEST(MysqlObserveTest, OpenSpecialOrdersByStatusAndStoreWithTheOldestAgeAndDeadLetters) {
  TestDatabase db("observe");
  db.Exec(kSeed);
  Observer observer(db.options(), 2);
  auto o = observer.Observe();
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  ASSERT_EQ(o->open.size(), 3u);  // completed and cancelled are not open
  EXPECT_EQ(o->open[0].status, "ordered");
  EXPECT_EQ(o->open[0].store_id, 1);
  EXPECT_EQ(o->open[0].count, 2);
  EXPECT_THAT(o->open[0].oldest_age_s, AgeNear(7200));
  EXPECT_EQ(o->open[1].status, "ordered");
  EXPECT_EQ(o->open[1].store_id, 2);
  EXPECT_EQ(o->open[1].count, 1);
  EXPECT_THAT(o->open[1].oldest_age_s, AgeNear(10800));
  EXPECT_EQ(o->open[2].status, "request");
  EXPECT_EQ(o->open[2].count, 1);
  EXPECT_THAT(o->open[2].oldest_age_s, AgeNear(600));
  EXPECT_TRUE(o->overdue.empty());  // no sod_promises rows
  EXPECT_EQ(o->dead_letters, 2);
  EXPECT_TRUE(observer.Ping().ok());
}

TEST(MysqlObserveTest, OverdueSpecialOrdersStillAwaitingTheirGoodsByStoreAndVendor) {
  TestDatabase db("observe_overdue");
  db.Exec(kOverdueSeed);
  db.Exec("UPDATE special_orders SET allocated_qty = 1 WHERE id = 9");  // waits for nothing
  Observer observer(db.options(), 2);
  auto o = observer.Observe();
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  std::vector<std::tuple<int64_t, int64_t, int64_t>> overdue;
  for (const auto& s : o->overdue) overdue.emplace_back(s.store_id, s.vendor_id, s.count);
  EXPECT_THAT(overdue, ::testing::ElementsAre(std::tuple<int64_t, int64_t, int64_t>{1, 70, 2},
                                              std::tuple<int64_t, int64_t, int64_t>{1, 71, 1},
                                              std::tuple<int64_t, int64_t, int64_t>{2, 0, 1}));
}

TEST(MysqlObserveTest, AnEmptyDatabaseHasNothingOpenAndNoDeadLetters) {
  TestDatabase db("observe_empty");
  Observer observer(db.options(), 2);
  auto o = observer.Observe();
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  EXPECT_TRUE(o->open.empty());
  EXPECT_TRUE(o->overdue.empty());
  EXPECT_EQ(o->dead_letters, 0);
}

TEST(MysqlObserveTest, AServerThatIsNotThereIsAConnectionErrorNotAnException) {
  TestDatabase db("observe_gone");
  MysqlOptions options = db.options();
  options.socket = "/nonexistent/mysqld.sock";
  Observer observer(options, 1);
  const Status ping = observer.Ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::kConnection) << ping.error().ToString();
  EXPECT_FALSE(observer.Observe().ok());
}

}  // namespace
}  // namespace so::mysql
