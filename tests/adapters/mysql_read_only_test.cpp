// MysqlStore's read-only mode (MysqlOptions::read_only) against the real private MariaDB: its
// Lock*() reads take no row locks (another connection locks the same rows with NOWAIT meanwhile,
// which a store in the ordinary mode prevents), and every write is refused with kPermanent
// before anything reaches the database, which stays byte for byte the same.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/mysql/mysql_store.hpp"
#include "tests/support/test_db.hpp"

namespace so::mysql {
namespace {

using so::testing::TestDatabase;
using ::testing::HasSubstr;

constexpr const char* kSeed = R"sql(
INSERT INTO stores (id, code, name) VALUES (1, 'S1', 'Store 1'), (2, 'S2', 'Store 2');
INSERT INTO vendors (id, name, active) VALUES (10, 'Acme', 1);
INSERT INTO products (id, sku, name, primary_vendor_id, special_order_allowed) VALUES
  (100, 'SKU-100', 'Widget', 10, 1);
INSERT INTO product_vendors (product_id, vendor_id, unit_cost, pack_size, min_order_qty,
  lead_time_days) VALUES (100, 10, 12.34, 1, 1, 3);
INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES (1, 100, 0, 0, 3);
INSERT INTO customers (id, name, email, phone) VALUES (1000, 'Ada', NULL, NULL);
INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, created_at,
  updated_at) VALUES (5000, 1, 1000, 'open', 1, '2026-11-01 10:00:00', '2026-11-01 10:00:00');
INSERT INTO customer_order_lines (id, order_id, product_id, quantity, special_order_qty, status,
  committed_qty, backordered_qty) VALUES (6000, 5000, 100, 3, 3, 'backordered', 0, 3);
INSERT INTO purchase_orders (id, store_id, vendor_id, status, created_by, created_at,
  updated_at) VALUES (7000, 1, 10, 'draft', 'pos', '2026-11-01 09:00:00', '2026-11-01 09:00:00');
INSERT INTO purchase_order_lines (id, po_id, product_id, quantity_ordered, quantity_received,
  unit_cost) VALUES (8000, 7000, 100, 3, 0, 12.34);
INSERT INTO special_orders (id, store_id, order_id, order_line_id, customer_id, product_id,
  quantity, allocated_qty, status, source, vendor_id, po_id, po_line_id, requested_at,
  ordered_at, updated_at) VALUES (1, 1, 5000, 6000, 1000, 100, 3, 0, 'ordered', 'vendor', 10,
  7000, 8000, '2026-11-01 10:00:00', '2026-11-01 10:00:00', '2026-11-01 10:00:00');
INSERT INTO sod_promises (special_order_id, promise_seq) VALUES (1, 0);
)sql";

// Locking reads of every row the store's reads lock, each refusing to wait.
const std::vector<std::string>& RowsLockedElsewhere() {
  static const std::vector<std::string> kSql = {
      "SELECT id FROM customer_orders WHERE id = 5000 FOR UPDATE NOWAIT",
      "SELECT id FROM customer_order_lines WHERE id = 6000 FOR UPDATE NOWAIT",
      "SELECT id FROM special_orders WHERE id = 1 FOR UPDATE NOWAIT",
      "SELECT store_id FROM stock WHERE store_id = 1 AND product_id = 100 FOR UPDATE NOWAIT",
      "SELECT id FROM purchase_orders WHERE id = 7000 FOR UPDATE NOWAIT",
      "SELECT id FROM purchase_order_lines WHERE id = 8000 FOR UPDATE NOWAIT",
      "SELECT special_order_id FROM sod_promises WHERE special_order_id = 1 FOR UPDATE NOWAIT",
  };
  return kSql;
}

class MysqlReadOnlyTest : public ::testing::Test {
 protected:
  MysqlReadOnlyTest() : db_("read_only") { db_.Exec(kSeed); }

  MysqlOptions Options(bool read_only) {
    MysqlOptions o = db_.options();
    o.read_only = read_only;
    return o;
  }

  // Every locking read of the port, inside the store's open transaction.
  static void ReadEverything(MysqlStore& store) {
    ASSERT_TRUE(store.LockOrder(5000).ok());
    ASSERT_TRUE(store.LockOrderLine(6000).ok());
    ASSERT_TRUE(store.LockStock(1, 100).ok());
    ASSERT_TRUE(store.LockStocks({{1, 100}}).ok());
    ASSERT_TRUE(store.LockSpecialOrder(1).ok());
    ASSERT_TRUE(store.LockSpecialOrderByLine(6000).ok());
    ASSERT_TRUE(store.LockSpecialOrdersOfOrder(5000).ok());
    ASSERT_TRUE(store.LockSpecialOrdersOnPoLines({8000}).ok());
    ASSERT_TRUE(store.LockSpecialOrdersOnPo(7000).ok());
    ASSERT_TRUE(store.LockWaitingSpecialOrders(1, 100).ok());
    ASSERT_TRUE(store.LockPo(7000).ok());
    ASSERT_TRUE(store.LockPosOf({{1, 10}}, {"draft"}).ok());
    auto newest = store.LockNewestPo(1, 10, {"draft"});
    ASSERT_TRUE(newest.ok());
    ASSERT_TRUE(newest->has_value());
    EXPECT_EQ((*newest)->id, 7000);
    auto line = store.LockPoLine(7000, 100);
    ASSERT_TRUE(line.ok());
    ASSERT_TRUE(line->has_value());
    EXPECT_EQ((*line)->quantity_ordered, 3);
    ASSERT_TRUE(store.LockPoLinesOfPos({7000}).ok());
    ASSERT_TRUE(store.LockPickedQty(1).ok());
    ASSERT_TRUE(store.LockArrivalLines(ArrivalKind::kShipment, 9000).ok());
    auto clock = store.LockSoClock(1);
    ASSERT_TRUE(clock.ok());
    ASSERT_TRUE(clock->has_value());
    ASSERT_TRUE(store.GetPoSentAt(7000).ok());
  }

  TestDatabase db_;
};

TEST_F(MysqlReadOnlyTest, LockingReadsTakeNoRowLocks) {
  MysqlStore store(Options(true));
  ASSERT_TRUE(store.Connect().ok());
  ASSERT_TRUE(store.Begin().ok());
  ReadEverything(store);
  auto so = store.LockSpecialOrder(1);
  ASSERT_TRUE(so.ok() && so->has_value());
  EXPECT_EQ((*so)->quantity, 3);
  for (const std::string& sql : RowsLockedElsewhere()) {
    EXPECT_NO_THROW(db_.Query(sql)) << sql;
  }
  store.Rollback();
}

// The control: the same reads in the ordinary mode hold every one of those rows.
TEST_F(MysqlReadOnlyTest, TheOrdinaryStoreHoldsTheSameRows) {
  MysqlStore store(Options(false));
  ASSERT_TRUE(store.Connect().ok());
  ASSERT_TRUE(store.Begin().ok());
  ReadEverything(store);
  for (const std::string& sql : RowsLockedElsewhere()) {
    EXPECT_THROW(db_.Query(sql), std::runtime_error) << sql;
  }
  store.Rollback();
}

TEST_F(MysqlReadOnlyTest, EveryWriteIsRefusedAndNothingChanges) {
  const std::string before = db_.Dump();
  MysqlStore store(Options(true));
  ASSERT_TRUE(store.Connect().ok());
  ASSERT_TRUE(store.Begin().ok());
  auto so = store.LockSpecialOrder(1);
  ASSERT_TRUE(so.ok() && so->has_value());
  SpecialOrder changed = **so;
  changed.allocated_qty = 1;
  auto line = store.LockOrderLine(6000);
  ASSERT_TRUE(line.ok() && line->has_value());
  const Timestamp at = (*so)->updated_at;
  Envelope envelope{1, "m-1", "order.cancelled", "pos", 1, at};

  std::vector<std::pair<std::string, Status>> writes;
  writes.emplace_back("InboxClaim", store.InboxClaim(envelope).status());
  writes.emplace_back("InboxClaimAll", store.InboxClaimAll({envelope}).status());
  writes.emplace_back("InboxRefused", store.InboxRefused("m-1", "no"));
  writes.emplace_back("InsertSpecialOrder", store.InsertSpecialOrder(changed).status());
  writes.emplace_back("UpdateSpecialOrder", store.UpdateSpecialOrder(changed));
  writes.emplace_back("UpdateOrderLine", store.UpdateOrderLine(**line));
  writes.emplace_back("SetHasSpecialOrder", store.SetHasSpecialOrder(5000, false, at));
  writes.emplace_back("AddToStock", store.AddToStock(1, 100, 1, -1));
  writes.emplace_back("InsertPo",
                      store.InsertPo(PurchaseOrder{0, 1, 10, "draft", at}, "t").status());
  writes.emplace_back("InsertPoLine",
                      store.InsertPoLine(PoLine{0, 7000, 100, 1, 0, "1.0000"}).status());
  writes.emplace_back("SetPoLineQuantity", store.SetPoLineQuantity(8000, 9));
  writes.emplace_back("InsertTransfer",
                      store.InsertTransfer(StoreTransfer{0, 2, 1, "", at, {}}, "t").status());
  writes.emplace_back("InsertTransferLine",
                      store.InsertTransferLine(StoreTransferLine{0, 1, 100, 1, 1}).status());
  writes.emplace_back("SetPickedQty", store.SetPickedQty(1, 1));
  SoClock clock;
  clock.special_order_id = 1;
  writes.emplace_back("PutSoClock", store.PutSoClock(clock));
  writes.emplace_back("SetPoSentAt", store.SetPoSentAt(7000, at));
  writes.emplace_back("PutArrivalLine", store.PutArrivalLine(ArrivalLine{ArrivalKind::kShipment,
                                                                         9000, 100, 1, 1, 0}));
  writes.emplace_back("InsertAudit",
                      store.InsertAudit(AuditEntry{"m-1", 1, "defaults", "allocated", "x", at}));
  store.Rollback();
  writes.emplace_back("RecordDeadLetter", store.RecordDeadLetter("m-2", "t", "{}", "bad", "v"));
  writes.emplace_back("EnsureDaemonSchema", store.EnsureDaemonSchema());
  for (const auto& [call, status] : writes) {
    SCOPED_TRACE(call);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().kind, ErrorKind::kPermanent);
    EXPECT_THAT(status.error().message, HasSubstr("read-only"));
  }
  EXPECT_TRUE(store.connected());
  EXPECT_EQ(db_.Dump(), before);
}

}  // namespace
}  // namespace so::mysql
