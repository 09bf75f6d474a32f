// MysqlStore against the real private MariaDB (see tests/support/test_db.hpp): every HostStore
// call, transactions, the error kinds of deadlocks, lock waits and lost connections.

#include "adapters/mysql/mysql_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "rules/timestamp.hpp"
#include "tests/support/store_values.hpp"
#include "tests/support/test_db.hpp"

namespace so::mysql {
namespace {

using so::testing::Fields;
using so::testing::TestDatabase;
using so::testing::Ts;

// A small store: two stores, three vendors (one inactive), products, stock, one customer order
// with three lines, purchase orders of several statuses and times, two shipments.
constexpr const char* kSeed = R"sql(
INSERT INTO stores (id, code, name) VALUES (1, 'S1', 'Store 1'), (2, 'S2', 'Store 2');
INSERT INTO vendors (id, name, active) VALUES (10, 'Acme', 1), (11, 'Globex', 0), (12, 'Initech', 1);
INSERT INTO products (id, sku, name, primary_vendor_id, special_order_allowed) VALUES
  (100, 'SKU-100', 'Widget', 10, 1), (101, 'SKU-101', 'Gadget', NULL, 0),
  (102, 'SKU-102', 'Gizmo', 12, 1);
INSERT INTO product_vendors (product_id, vendor_id, unit_cost, pack_size, min_order_qty,
  lead_time_days) VALUES (100, 12, 7.25, 6, 12, 14), (100, 10, 12.34, 1, 1, 3),
  (100, 11, 9.99, 2, 1, 5);
INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES
  (1, 100, 5, 2, 3), (1, 102, 1, 0, 0);
INSERT INTO customers (id, name, email, phone) VALUES (1000, 'Ada', 'ada@example.com', NULL);
INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, created_at,
  updated_at) VALUES (5000, 1, 1000, 'open', 0, '2026-11-01 10:00:00', '2026-11-01 10:00:00'),
  (5001, 1, 1000, 'open', 0, '2026-11-01 11:00:00', '2026-11-01 11:00:00');
INSERT INTO customer_order_lines (id, order_id, product_id, quantity, special_order_qty, status,
  committed_qty, backordered_qty) VALUES (6000, 5000, 100, 3, 3, 'open', 0, 0),
  (6001, 5000, 102, 1, 1, 'open', 0, 0), (6002, 5000, 101, 2, 0, 'open', 0, 0),
  (6003, 5001, 100, 1, 1, 'open', 0, 0);
INSERT INTO purchase_orders (id, store_id, vendor_id, status, created_by, created_at,
  updated_at) VALUES
  (7000, 1, 10, 'draft', 'pos', '2026-11-01 09:00:00', '2026-11-01 09:00:00'),
  (7001, 1, 10, 'open', 'pos', '2026-11-02 09:00:00', '2026-11-02 09:00:00'),
  (7002, 1, 10, 'draft', 'pos', '2026-11-02 09:00:00', '2026-11-02 09:00:00'),
  (7003, 1, 10, 'closed', 'pos', '2026-11-05 09:00:00', '2026-11-05 09:00:00'),
  (7004, 2, 10, 'draft', 'pos', '2026-11-06 09:00:00', '2026-11-06 09:00:00'),
  (7005, 1, 12, 'draft', 'pos', '2026-11-07 09:00:00', '2026-11-07 09:00:00');
INSERT INTO purchase_order_lines (id, po_id, product_id, quantity_ordered, quantity_received,
  unit_cost) VALUES (8000, 7000, 100, 5, 0, 12.34), (8001, 7000, 100, 2, 0, 12.34),
  (8002, 7001, 102, 1, 0, 3.5);
INSERT INTO vendor_shipments (id, po_id, store_id, vendor_id, status, completed_at) VALUES
  (9000, 7001, 1, 10, 'completed', '2026-11-10 12:00:00.5'), (9001, 7000, 1, 10, 'open', NULL);
INSERT INTO vendor_shipment_lines (id, shipment_id, po_line_id, product_id, quantity) VALUES
  (9101, 9000, 8002, 102, 1), (9100, 9000, 8000, 100, 4);
)sql";

SpecialOrder NewSpecialOrder(Id line_id, Id order_id = 5000, Id product_id = 100) {
  SpecialOrder s;
  s.store_id = 1;
  s.order_id = order_id;
  s.order_line_id = line_id;
  s.customer_id = 1000;
  s.product_id = product_id;
  s.quantity = 3;
  s.requested_at = Ts("2026-11-29 20:16:16.123456");
  s.updated_at = Ts("2026-11-29 20:16:16.123456");
  return s;
}

class MysqlStoreTest : public ::testing::Test {
 protected:
  MysqlStoreTest() : db_("mysql_store") { db_.Exec(kSeed); }

  void SetUp() override {
    store_ = NewStore();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<MysqlStore> NewStore(MysqlOptions options) {
    auto store = std::make_unique<MysqlStore>(std::move(options));
    const Status s = store->Connect();
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return s.ok() ? std::move(store) : nullptr;
  }
  std::unique_ptr<MysqlStore> NewStore() { return NewStore(db_.options()); }

  // `lock` (a read of the store) on a second connection, in a transaction of its own, waits in
  // vain for a row store_ holds: a lock wait timeout (1205, kTransient) after 1 s.
  template <typename Lock>
  void ExpectLockWaitTimeout(Lock lock) {
    MysqlOptions quick = db_.options();
    quick.read_timeout_s = 2;  // lock wait timeout: 1 s
    auto other = NewStore(quick);
    ASSERT_NE(other, nullptr);
    Begin(*other);
    const auto blocked = lock(*other);
    ASSERT_FALSE(blocked.ok());
    EXPECT_EQ(blocked.error().kind, ErrorKind::kTransient) << blocked.error().ToString();
    EXPECT_EQ(blocked.error().code, 1205);
    other->Rollback();
  }

  void Begin(MysqlStore& store) {
    const Status s = store.Begin();
    ASSERT_TRUE(s.ok()) << s.error().ToString();
  }
  void Commit(MysqlStore& store) {
    const Status s = store.Commit();
    ASSERT_TRUE(s.ok()) << s.error().ToString();
  }

  // Declared first so that it outlives every store: dropping the database waits for the locks
  // of open transactions.
  TestDatabase db_;
  std::unique_ptr<MysqlStore> store_;
};

TEST_F(MysqlStoreTest, NotConnectedStoreReportsConnectionErrors) {
  MysqlStore store(db_.options());
  EXPECT_FALSE(store.connected());
  const Status s = store.Begin();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kConnection);
  const auto r = store.GetProduct(100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConnection);
  store.Rollback();  // never fails, even without a connection
}

TEST_F(MysqlStoreTest, ConnectRefusedByServerIsPermanentUnreachableIsConnection) {
  MysqlOptions bad_password = db_.options();
  bad_password.password = "wrong";
  MysqlStore refused(bad_password);
  const Status s1 = refused.Connect();
  ASSERT_FALSE(s1.ok());
  EXPECT_EQ(s1.error().kind, ErrorKind::kPermanent) << s1.error().ToString();
  EXPECT_EQ(s1.error().code, 1045);
  EXPECT_FALSE(refused.connected());

  MysqlOptions nowhere = db_.options();
  nowhere.socket = db_.options().socket + ".missing";
  MysqlStore unreachable(nowhere);
  const Status s2 = unreachable.Connect();
  ASSERT_FALSE(s2.ok());
  EXPECT_EQ(s2.error().kind, ErrorKind::kConnection) << s2.error().ToString();
}

TEST_F(MysqlStoreTest, ConnectsOverTcpToo) {
  MysqlOptions tcp = db_.options();
  tcp.socket.clear();
  auto store = NewStore(tcp);
  ASSERT_NE(store, nullptr);
  Begin(*store);
  EXPECT_TRUE(OK(store->GetProduct(100)).has_value());
  store->Rollback();
}

// database.hosts: the nodes are tried in order, the first usable one is taken; a plain server is
// not a Galera node and needs no check.
TEST_F(MysqlStoreTest, NodesAreTriedInOrderAndTheFirstThatAnswersIsUsed) {
  MysqlOptions options = db_.options();
  const MysqlNode server{"localhost", 3306, options.socket};
  const MysqlNode missing{"localhost", 3306, options.socket + ".missing"};
  options.nodes = {missing, server};
  auto store = NewStore(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->node(), options.socket);
  EXPECT_FALSE(store->galera());
  EXPECT_TRUE(store->CheckNode().ok());
  Begin(*store);
  EXPECT_TRUE(OK(store->GetProduct(100)).has_value());
  store->Rollback();
}

TEST_F(MysqlStoreTest, WhenNoNodeCanBeUsedTheErrorNamesEachAndWhy) {
  MysqlOptions options = db_.options();
  const MysqlNode server{"localhost", 3306, options.socket};
  const MysqlNode missing{"localhost", 3306, options.socket + ".missing"};
  options.nodes = {missing, server};
  options.password = "wrong";
  MysqlStore store(options);
  const Status s = store.Connect();
  ASSERT_FALSE(s.ok());
  // One node may come back: worth trying again.
  EXPECT_EQ(s.error().kind, ErrorKind::kConnection) << s.error().ToString();
  EXPECT_THAT(s.error().message,
              ::testing::StartsWith("no database node can be used: " + missing.socket + ": "));
  EXPECT_THAT(s.error().message, ::testing::HasSubstr("; " + server.socket + ": "));
  EXPECT_FALSE(store.connected());

  // Every node refused us for good: nothing to wait for.
  options.nodes = {server, server};
  MysqlStore refused(options);
  const Status r = refused.Connect();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent) << r.error().ToString();
  EXPECT_EQ(r.error().code, 1045);
}

TEST_F(MysqlStoreTest, ReadsProductsVendorsAndProductVendors) {
  Begin(*store_);
  const auto p = OK(store_->GetProduct(100));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->id, 100);
  EXPECT_EQ(p->sku, "SKU-100");
  EXPECT_EQ(p->primary_vendor_id, std::optional<Id>(10));
  EXPECT_TRUE(p->special_order_allowed);
  const auto p101 = OK(store_->GetProduct(101));
  ASSERT_TRUE(p101.has_value());
  EXPECT_EQ(p101->primary_vendor_id, std::nullopt);
  EXPECT_FALSE(p101->special_order_allowed);
  EXPECT_EQ(OK(store_->GetProduct(999)), std::nullopt);

  const auto v = OK(store_->GetVendor(11));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->name, "Globex");
  EXPECT_FALSE(v->active);
  EXPECT_FALSE(OK(store_->GetVendor(999)).has_value());

  const auto pvs = OK(store_->GetProductVendors(100));
  ASSERT_EQ(pvs.size(), 3u);
  EXPECT_EQ(pvs[0].vendor_id, 10);  // vendor id order
  EXPECT_EQ(pvs[0].unit_cost, "12.3400");
  EXPECT_TRUE(pvs[0].vendor_active);
  EXPECT_EQ(pvs[1].vendor_id, 11);
  EXPECT_FALSE(pvs[1].vendor_active);
  EXPECT_EQ(pvs[2].vendor_id, 12);
  EXPECT_EQ(pvs[2].unit_cost, "7.2500");
  EXPECT_EQ(pvs[2].pack_size, 6);
  EXPECT_EQ(pvs[2].min_order_qty, 12);
  EXPECT_EQ(pvs[2].lead_time_days, 14);
  EXPECT_TRUE(OK(store_->GetProductVendors(101)).empty());
  store_->Rollback();
}

TEST_F(MysqlStoreTest, LocksOrderAndOrderLine) {
  Begin(*store_);
  const auto o = OK(store_->LockOrder(5000));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->store_id, 1);
  EXPECT_EQ(o->customer_id, 1000);
  EXPECT_EQ(o->status, "open");
  EXPECT_FALSE(o->has_special_order);
  EXPECT_FALSE(OK(store_->LockOrder(1)).has_value());

  const auto l = OK(store_->LockOrderLine(6000));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->order_id, 5000);
  EXPECT_EQ(l->product_id, 100);
  EXPECT_EQ(l->quantity, 3);
  EXPECT_EQ(l->special_order_qty, 3);
  EXPECT_EQ(l->status, LineStatus::kOpen);
  EXPECT_FALSE(OK(store_->LockOrderLine(1)).has_value());
  store_->Rollback();
}

TEST_F(MysqlStoreTest, UpdateOrderLineWritesDaemonColumns) {
  Begin(*store_);
  OrderLine line = *OK(store_->LockOrderLine(6000));
  line.status = LineStatus::kBackordered;
  line.committed_qty = 1;
  line.backordered_qty = 2;
  ASSERT_OK(store_->UpdateOrderLine(line));
  // Writing the same values again still finds the row.
  ASSERT_OK(store_->UpdateOrderLine(line));
  line.id = 1;
  const Status missing = store_->UpdateOrderLine(line);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kPermanent);
  Commit(*store_);
  EXPECT_EQ(db_.Query("SELECT status, committed_qty, backordered_qty FROM customer_order_lines "
                      "WHERE id = 6000")[0],
            (std::vector<std::optional<std::string>>{"backordered", "1", "2"}));
}

TEST_F(MysqlStoreTest, SetHasSpecialOrderMovesUpdatedAtOnlyForwardAndOnChange) {
  Begin(*store_);
  ASSERT_OK(store_->SetHasSpecialOrder(5000, true, Ts("2026-11-29 08:00:00.25")));
  Commit(*store_);
  EXPECT_EQ(
      db_.Query("SELECT has_special_order, updated_at FROM customer_orders WHERE id = 5000")[0],
      (std::vector<std::optional<std::string>>{"1", "2026-11-29 08:00:00.250000"}));

  // Same flag: the time stays.
  Begin(*store_);
  ASSERT_OK(store_->SetHasSpecialOrder(5000, true, Ts("2026-11-30 08:00:00")));
  Commit(*store_);
  EXPECT_EQ(*db_.Query("SELECT updated_at FROM customer_orders WHERE id = 5000")[0][0],
            "2026-11-29 08:00:00.250000");

  // A change stamped earlier than the row (a replayed old message) never moves time back.
  Begin(*store_);
  ASSERT_OK(store_->SetHasSpecialOrder(5000, false, Ts("2026-10-01 00:00:00")));
  Commit(*store_);
  EXPECT_EQ(
      db_.Query("SELECT has_special_order, updated_at FROM customer_orders WHERE id = 5000")[0],
      (std::vector<std::optional<std::string>>{"0", "2026-11-29 08:00:00.250000"}));

  Begin(*store_);
  const Status missing = store_->SetHasSpecialOrder(1, true, Ts("2026-11-29 08:00:00"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kPermanent);
  store_->Rollback();
}

TEST_F(MysqlStoreTest, LockStockReadsZerosForMissingRowAndAddToStockCreatesIt) {
  Begin(*store_);
  const StockRow existing = OK(store_->LockStock(1, 100));
  EXPECT_EQ(std::make_tuple(existing.store_id, existing.product_id, existing.on_hand,
                            existing.committed, existing.backordered),
            std::make_tuple(Id{1}, Id{100}, Qty{5}, Qty{2}, Qty{3}));
  EXPECT_EQ(existing.open(), 3);

  const StockRow missing = OK(store_->LockStock(2, 102));
  EXPECT_EQ(std::make_tuple(missing.store_id, missing.product_id, missing.on_hand,
                            missing.committed, missing.backordered),
            std::make_tuple(Id{2}, Id{102}, Qty{0}, Qty{0}, Qty{0}));

  ASSERT_OK(store_->AddToStock(2, 102, 0, 4));
  ASSERT_OK(store_->AddToStock(1, 100, 1, -1));
  Commit(*store_);
  EXPECT_EQ(db_.Query("SELECT on_hand, committed, backordered FROM stock WHERE store_id = 2 AND "
                      "product_id = 102")[0],
            (std::vector<std::optional<std::string>>{"0", "0", "4"}));
  EXPECT_EQ(db_.Query("SELECT on_hand, committed, backordered FROM stock WHERE store_id = 1 AND "
                      "product_id = 100")[0],
            (std::vector<std::optional<std::string>>{"5", "3", "2"}));

  Begin(*store_);
  const StockRow created = OK(store_->LockStock(2, 102));
  EXPECT_EQ(created.backordered, 4);
  store_->Rollback();
}

TEST_F(MysqlStoreTest, AddToStockBelowZeroIsPermanentError) {
  Begin(*store_);
  const Status below_zero = store_->AddToStock(1, 102, -1, 0);  // committed is 0
  ASSERT_FALSE(below_zero.ok());
  EXPECT_EQ(below_zero.error().kind, ErrorKind::kPermanent) << below_zero.error().ToString();
  // Nothing to take from a row that does not exist.
  const Status no_row = store_->AddToStock(2, 101, 0, -1);
  ASSERT_FALSE(no_row.ok());
  EXPECT_EQ(no_row.error().kind, ErrorKind::kPermanent) << no_row.error().ToString();
  store_->Rollback();
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM stock WHERE store_id = 2"), 0);
}

TEST_F(MysqlStoreTest, GetShipmentReadsLinesInIdOrder) {
  Begin(*store_);
  const auto s = OK(store_->GetShipment(9000));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(std::make_tuple(s->id, s->po_id, s->store_id, s->vendor_id, s->status),
            std::make_tuple(Id{9000}, Id{7001}, Id{1}, Id{10}, std::string("completed")));
  ASSERT_EQ(s->lines.size(), 2u);
  EXPECT_EQ(std::make_tuple(s->lines[0].po_line_id, s->lines[0].product_id, s->lines[0].quantity),
            std::make_tuple(Id{8000}, Id{100}, Qty{4}));
  EXPECT_EQ(s->lines[1].po_line_id, 8002);

  const auto empty = OK(store_->GetShipment(9001));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->status, "open");
  EXPECT_TRUE(empty->lines.empty());
  EXPECT_FALSE(OK(store_->GetShipment(1)).has_value());
  store_->Rollback();
}

TEST_F(MysqlStoreTest, SpecialOrderInsertLockAndUpdateRoundTripEveryColumn) {
  Begin(*store_);
  SpecialOrder s = NewSpecialOrder(6000);
  s.id = OK(store_->InsertSpecialOrder(s));
  EXPECT_GT(s.id, 0);
  const auto read = OK(store_->LockSpecialOrder(s.id));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(Fields(*read), Fields(s));

  // Every mutable column, optional ones set, microseconds kept.
  s.quantity = 4;
  s.allocated_qty = 1;
  s.status = SoStatus::kArrived;
  s.source = SoSource::kVendor;
  s.vendor_id = 10;
  s.po_id = 7000;
  s.po_line_id = 8000;
  s.ordered_at = Ts("2026-11-29 21:00:00.000001");
  s.arrived_at = Ts("2026-11-30 09:30:00.5");
  s.ready_at = Ts("2026-11-30 10:00:00");
  s.completed_at = Ts("2026-12-01 10:00:00");
  s.cancelled_at = Ts("2026-12-02 10:00:00");
  s.updated_at = Ts("2026-12-02 10:00:00.999999");
  ASSERT_OK(store_->UpdateSpecialOrder(s));
  const auto updated = OK(store_->LockSpecialOrderByLine(6000));
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(Fields(*updated), Fields(s));

  // ... and back to NULLs.
  s.source.reset();
  s.vendor_id.reset();
  s.po_id.reset();
  s.po_line_id.reset();
  s.ordered_at.reset();
  s.arrived_at.reset();
  s.ready_at.reset();
  s.completed_at.reset();
  s.cancelled_at.reset();
  s.status = SoStatus::kRequest;
  ASSERT_OK(store_->UpdateSpecialOrder(s));
  EXPECT_EQ(Fields(*OK(store_->LockSpecialOrder(s.id))), Fields(s));

  EXPECT_FALSE(OK(store_->LockSpecialOrder(s.id + 100)).has_value());
  EXPECT_FALSE(OK(store_->LockSpecialOrderByLine(6002)).has_value());

  SpecialOrder ghost = s;
  ghost.id = s.id + 100;
  const Status missing = store_->UpdateSpecialOrder(ghost);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kPermanent);
  Commit(*store_);
}

TEST_F(MysqlStoreTest, SecondSpecialOrderForTheSameLineIsPermanentError) {
  Begin(*store_);
  ASSERT_TRUE(store_->InsertSpecialOrder(NewSpecialOrder(6000)).ok());
  const auto dup = store_->InsertSpecialOrder(NewSpecialOrder(6000));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(dup.error().code, 1062);
  store_->Rollback();
}

TEST_F(MysqlStoreTest, LocksSpecialOrdersOfOrderAndOnPoLines) {
  Begin(*store_);
  SpecialOrder a = NewSpecialOrder(6000);
  a.po_line_id = 8000;
  a.po_id = 7000;
  a.status = SoStatus::kOrdered;
  SpecialOrder b = NewSpecialOrder(6001, 5000, 102);
  b.po_line_id = 8002;
  b.po_id = 7001;
  b.status = SoStatus::kCompleted;
  SpecialOrder c = NewSpecialOrder(6003, 5001);
  c.po_line_id = 8001;
  c.po_id = 7000;
  c.status = SoStatus::kOrdered;
  SpecialOrder d = NewSpecialOrder(6002, 5000, 101);
  d.po_line_id = 8000;
  d.po_id = 7000;
  d.status = SoStatus::kCancelled;
  for (SpecialOrder* s : {&a, &b, &c, &d}) s->id = OK(store_->InsertSpecialOrder(*s));

  const auto of_order = OK(store_->LockSpecialOrdersOfOrder(5000));
  ASSERT_EQ(of_order.size(), 3u);
  EXPECT_EQ(of_order[0].id, a.id);
  EXPECT_EQ(of_order[1].id, b.id);
  EXPECT_EQ(of_order[2].id, d.id);
  EXPECT_EQ(Fields(of_order[1]), Fields(b));
  EXPECT_TRUE(OK(store_->LockSpecialOrdersOfOrder(1)).empty());

  // Three ids (padded to four placeholders): completed and cancelled ones are left out.
  const auto on_lines = OK(store_->LockSpecialOrdersOnPoLines({8002, 8001, 8000}));
  ASSERT_EQ(on_lines.size(), 2u);
  EXPECT_EQ(on_lines[0].id, a.id);
  EXPECT_EQ(on_lines[1].id, c.id);
  const auto one = OK(store_->LockSpecialOrdersOnPoLines({8001}));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(Fields(one[0]), Fields(c));
  EXPECT_TRUE(OK(store_->LockSpecialOrdersOnPoLines({})).empty());
  EXPECT_TRUE(OK(store_->LockSpecialOrdersOnPoLines({1, 2, 3, 4, 5})).empty());
  Commit(*store_);
}

TEST_F(MysqlStoreTest, LocksSpecialOrdersOnPoAndOnTransferLeavingOutClosedOnes) {
  db_.Exec(
      "INSERT INTO customer_order_lines (id, order_id, product_id, quantity, special_order_qty) "
      "VALUES (6004, 5001, 100, 1, 1), (6005, 5001, 102, 1, 1);\n"
      "INSERT INTO store_transfers (id, from_store_id, to_store_id, status, created_by, "
      "created_at) VALUES (9200, 2, 1, 'shipped', 'pos', '2026-11-03 09:00:00'), "
      "(9201, 2, 1, 'requested', 'pos', '2026-11-04 09:00:00')");
  Begin(*store_);
  // Two PO lines of 7000 (8000, 8001), another PO (7001), two transfers.
  SpecialOrder on_8001 = NewSpecialOrder(6000);
  on_8001.status = SoStatus::kOrdered;
  on_8001.po_id = 7000;
  on_8001.po_line_id = 8001;
  SpecialOrder on_8000 = NewSpecialOrder(6003, 5001);
  on_8000.status = SoStatus::kArrived;
  on_8000.po_id = 7000;
  on_8000.po_line_id = 8000;
  SpecialOrder cancelled_on_7000 = NewSpecialOrder(6002, 5000, 101);
  cancelled_on_7000.status = SoStatus::kCancelled;
  cancelled_on_7000.po_id = 7000;
  cancelled_on_7000.po_line_id = 8000;
  SpecialOrder on_7001 = NewSpecialOrder(6001, 5000, 102);
  on_7001.status = SoStatus::kOrdered;
  on_7001.po_id = 7001;
  on_7001.po_line_id = 8002;
  SpecialOrder on_9200 = NewSpecialOrder(6004, 5001);
  on_9200.status = SoStatus::kOrdered;
  on_9200.source = SoSource::kTransfer;
  on_9200.transfer_id = 9200;
  SpecialOrder completed_on_9200 = NewSpecialOrder(6005, 5001, 102);
  completed_on_9200.status = SoStatus::kCompleted;
  completed_on_9200.source = SoSource::kTransfer;
  completed_on_9200.transfer_id = 9200;
  for (SpecialOrder* s :
       {&on_8001, &on_8000, &cancelled_on_7000, &on_7001, &on_9200, &completed_on_9200}) {
    s->id = OK(store_->InsertSpecialOrder(*s));
  }

  // Any line of the PO, in id order (not line order).
  const auto on_po = OK(store_->LockSpecialOrdersOnPo(7000));
  ASSERT_EQ(on_po.size(), 2u);
  EXPECT_EQ(Fields(on_po[0]), Fields(on_8001));
  EXPECT_EQ(Fields(on_po[1]), Fields(on_8000));
  const auto on_other_po = OK(store_->LockSpecialOrdersOnPo(7001));
  ASSERT_EQ(on_other_po.size(), 1u);
  EXPECT_EQ(on_other_po[0].id, on_7001.id);
  EXPECT_TRUE(OK(store_->LockSpecialOrdersOnPo(7002)).empty());

  const auto on_transfer = OK(store_->LockSpecialOrdersOnTransfer(9200));
  ASSERT_EQ(on_transfer.size(), 1u);
  EXPECT_EQ(Fields(on_transfer[0]), Fields(on_9200));
  EXPECT_TRUE(OK(store_->LockSpecialOrdersOnTransfer(9201)).empty());
  EXPECT_TRUE(OK(store_->LockSpecialOrdersOnTransfer(1)).empty());
  store_->Rollback();
}

TEST_F(MysqlStoreTest, LockWaitingSpecialOrdersTakesThoseOfTheStoreAndProductStillShort) {
  db_.Exec(
      "INSERT INTO customer_order_lines (id, order_id, product_id, quantity, special_order_qty) "
      "VALUES (6004, 5001, 100, 3, 3), (6005, 5001, 100, 3, 3), (6006, 5001, 100, 3, 3), "
      "(6007, 5001, 102, 3, 3)");
  Begin(*store_);
  SpecialOrder nothing_yet = NewSpecialOrder(6000);  // 3 ordered, 0 allocated
  nothing_yet.status = SoStatus::kOrdered;
  SpecialOrder fully_allocated = NewSpecialOrder(6003, 5001);
  fully_allocated.status = SoStatus::kReady;
  fully_allocated.allocated_qty = 3;
  SpecialOrder partly = NewSpecialOrder(6004, 5001);
  partly.status = SoStatus::kArrived;
  partly.allocated_qty = 1;
  SpecialOrder cancelled = NewSpecialOrder(6005, 5001);
  cancelled.status = SoStatus::kCancelled;
  SpecialOrder other_store = NewSpecialOrder(6006, 5001);
  other_store.store_id = 2;
  SpecialOrder other_product = NewSpecialOrder(6007, 5001, 102);
  SpecialOrder request = NewSpecialOrder(6002, 5000);  // still "request": waits too
  for (SpecialOrder* s : {&nothing_yet, &fully_allocated, &partly, &cancelled, &other_store,
                          &other_product, &request}) {
    s->id = OK(store_->InsertSpecialOrder(*s));
  }
  // A completed special order that still shows a shortfall (picked up short) is not waiting.
  SpecialOrder completed = NewSpecialOrder(6001, 5000);
  completed.status = SoStatus::kCompleted;
  completed.id = OK(store_->InsertSpecialOrder(completed));

  const auto waiting = OK(store_->LockWaitingSpecialOrders(1, 100));
  ASSERT_EQ(waiting.size(), 3u);
  EXPECT_EQ(Fields(waiting[0]), Fields(nothing_yet));
  EXPECT_EQ(Fields(waiting[1]), Fields(partly));
  EXPECT_EQ(Fields(waiting[2]), Fields(request));
  ASSERT_EQ(OK(store_->LockWaitingSpecialOrders(2, 100)).size(), 1u);
  EXPECT_TRUE(OK(store_->LockWaitingSpecialOrders(2, 102)).empty());
  Commit(*store_);

  // The waiting ones stay locked until the transaction ends; the ones the query read and left
  // out (same store and product) do not (READ COMMITTED releases them).
  MysqlOptions quick = db_.options();
  quick.read_timeout_s = 2;  // lock wait timeout: 1 s
  auto other = NewStore(quick);
  ASSERT_NE(other, nullptr);
  Begin(*store_);
  ASSERT_EQ(OK(store_->LockWaitingSpecialOrders(1, 100)).size(), 3u);
  Begin(*other);
  EXPECT_TRUE(OK(other->LockSpecialOrder(fully_allocated.id)).has_value());
  EXPECT_TRUE(OK(other->LockSpecialOrder(cancelled.id)).has_value());
  const auto blocked = other->LockSpecialOrder(partly.id);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, 1205) << blocked.error().ToString();
  other->Rollback();
  store_->Rollback();
}

TEST_F(MysqlStoreTest, LockNewestPoPicksLatestCreatedThenHighestIdAmongStatuses) {
  Begin(*store_);
  // 7001 (open) and 7002 (draft) share created_at: the higher id wins.
  auto po = OK(store_->LockNewestPo(1, 10, {"draft", "open"}));
  ASSERT_TRUE(po.has_value());
  EXPECT_EQ(po->id, 7002);
  EXPECT_EQ(po->status, "draft");
  EXPECT_EQ(po->created_at, Ts("2026-11-02 09:00:00"));

  po = OK(store_->LockNewestPo(1, 10, {"open"}));
  ASSERT_TRUE(po.has_value());
  EXPECT_EQ(po->id, 7001);

  // 7003 is the newest of all but closed; 7004 is another store, 7005 another vendor.
  po = OK(store_->LockNewestPo(1, 10, {"draft"}));
  ASSERT_TRUE(po.has_value());
  EXPECT_EQ(po->id, 7002);
  po = OK(store_->LockNewestPo(1, 10, {"draft", "open", "partially_received"}));
  ASSERT_TRUE(po.has_value());
  EXPECT_EQ(po->id, 7002);
  po = OK(store_->LockNewestPo(1, 10, {"closed", "received", "cancelled", "open", "draft"}));
  ASSERT_TRUE(po.has_value());
  EXPECT_EQ(po->id, 7003);

  EXPECT_FALSE(OK(store_->LockNewestPo(1, 10, {"cancelled"})).has_value());
  EXPECT_FALSE(OK(store_->LockNewestPo(1, 11, {"draft"})).has_value());
  EXPECT_FALSE(OK(store_->LockNewestPo(1, 10, {})).has_value());
  store_->Rollback();
}

TEST_F(MysqlStoreTest, PurchaseOrdersAndLines) {
  Begin(*store_);
  const auto po = OK(store_->LockPo(7000));
  ASSERT_TRUE(po.has_value());
  EXPECT_EQ(std::make_tuple(po->store_id, po->vendor_id, po->status),
            std::make_tuple(Id{1}, Id{10}, std::string("draft")));
  EXPECT_FALSE(OK(store_->LockPo(1)).has_value());

  // Two lines for product 100 on PO 7000: the lowest id.
  const auto line = OK(store_->LockPoLine(7000, 100));
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->id, 8000);
  EXPECT_EQ(line->quantity_ordered, 5);
  EXPECT_EQ(line->unit_cost, "12.3400");
  EXPECT_FALSE(OK(store_->LockPoLine(7000, 102)).has_value());

  PurchaseOrder fresh;
  fresh.store_id = 2;
  fresh.vendor_id = 12;
  fresh.status = "draft";
  fresh.created_at = Ts("2026-11-29 20:16:16.5");
  const Id po_id = OK(store_->InsertPo(fresh, "special-ordersd"));
  EXPECT_GT(po_id, 7005);
  PoLine new_line;
  new_line.po_id = po_id;
  new_line.product_id = 100;
  new_line.quantity_ordered = 12;
  new_line.unit_cost = "7.2500";
  const Id line_id = OK(store_->InsertPoLine(new_line));
  ASSERT_OK(store_->SetPoLineQuantity(line_id, 24));
  const Status missing = store_->SetPoLineQuantity(1, 24);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kPermanent);

  PoLine no_cost = new_line;
  no_cost.unit_cost.clear();
  const auto refused = store_->InsertPoLine(no_cost);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kPermanent);
  Commit(*store_);

  EXPECT_EQ(db_.Query("SELECT store_id, vendor_id, status, created_by, created_at, updated_at "
                      "FROM purchase_orders WHERE id = " +
                      std::to_string(po_id))[0],
            (std::vector<std::optional<std::string>>{"2", "12", "draft", "special-ordersd",
                                                     "2026-11-29 20:16:16.500000",
                                                     "2026-11-29 20:16:16.500000"}));
  EXPECT_EQ(
      db_.Query("SELECT po_id, product_id, quantity_ordered, quantity_received, unit_cost "
                "FROM purchase_order_lines WHERE id = " +
                std::to_string(line_id))[0],
      (std::vector<std::optional<std::string>>{std::to_string(po_id), "100", "24", "0", "7.2500"}));
}

TEST_F(MysqlStoreTest, GetStockOfProductReadsEveryStoreInStoreOrderWithoutLocking) {
  db_.Exec(
      "INSERT INTO stores (id, code, name) VALUES (3, 'S3', 'Store 3');\n"
      "INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES "
      "(3, 100, 9, 1, 0), (2, 100, -2, 0, 4)");
  // A row another transaction holds locked is still read at once.
  auto other = NewStore();
  ASSERT_NE(other, nullptr);
  Begin(*other);
  ASSERT_TRUE(other->LockStock(2, 100).ok());

  Begin(*store_);
  const auto rows = OK(store_->GetStockOfProduct(100));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(Fields(rows[0]), std::make_tuple(Id{1}, Id{100}, Qty{5}, Qty{2}, Qty{3}));
  EXPECT_EQ(Fields(rows[1]), std::make_tuple(Id{2}, Id{100}, Qty{-2}, Qty{0}, Qty{4}));
  EXPECT_EQ(Fields(rows[2]), std::make_tuple(Id{3}, Id{100}, Qty{9}, Qty{1}, Qty{0}));
  EXPECT_TRUE(OK(store_->GetStockOfProduct(101)).empty());
  store_->Rollback();
  other->Rollback();
}

TEST_F(MysqlStoreTest, TransferInsertAndReadBackWithLinesInIdOrder) {
  Begin(*store_);
  const Id so_id = OK(store_->InsertSpecialOrder(NewSpecialOrder(6000)));
  StoreTransfer t;
  t.id = 77;             // ignored
  t.status = "shipped";  // ignored: the daemon only requests
  t.from_store_id = 2;
  t.to_store_id = 1;
  t.created_at = Ts("2026-11-29 20:16:16.000007");
  t.lines.push_back(StoreTransferLine{});  // ignored
  const Id transfer_id = OK(store_->InsertTransfer(t, "special-ordersd"));
  EXPECT_NE(transfer_id, 77);
  StoreTransferLine with_so{0, transfer_id, 100, 3, so_id};
  StoreTransferLine without_so{0, transfer_id, 102, 1, std::nullopt};
  with_so.id = OK(store_->InsertTransferLine(with_so));
  without_so.id = OK(store_->InsertTransferLine(without_so));
  EXPECT_GT(without_so.id, with_so.id);

  const auto read = OK(store_->GetTransfer(transfer_id));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(std::make_tuple(read->id, read->from_store_id, read->to_store_id, read->status,
                            read->created_at),
            std::make_tuple(transfer_id, Id{2}, Id{1}, std::string("requested"), t.created_at));
  ASSERT_EQ(read->lines.size(), 2u);
  EXPECT_EQ(Fields(read->lines[0]), Fields(with_so));
  EXPECT_EQ(Fields(read->lines[1]), Fields(without_so));

  const Id empty_id = OK(store_->InsertTransfer(t, "special-ordersd"));
  const auto empty = OK(store_->GetTransfer(empty_id));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->lines.empty());
  EXPECT_FALSE(OK(store_->GetTransfer(transfer_id + 100)).has_value());
  Commit(*store_);

  EXPECT_EQ(db_.Query("SELECT from_store_id, to_store_id, status, created_by, created_at "
                      "FROM store_transfers WHERE id = " +
                      std::to_string(transfer_id))[0],
            (std::vector<std::optional<std::string>>{"2", "1", "requested", "special-ordersd",
                                                     "2026-11-29 20:16:16.000007"}));
  EXPECT_EQ(db_.Query("SELECT special_order_id FROM store_transfer_lines WHERE id = " +
                      std::to_string(without_so.id))[0][0],
            std::nullopt);
}

TEST_F(MysqlStoreTest, GetTransferOrdersLinesByIdNotByInsertion) {
  db_.Exec(
      "INSERT INTO store_transfers (id, from_store_id, to_store_id, status, created_by, "
      "created_at) VALUES (9200, 1, 2, 'received', 'pos', '2026-11-03 09:00:00.5');\n"
      "INSERT INTO store_transfer_lines (id, transfer_id, product_id, quantity, special_order_id) "
      "VALUES (9301, 9200, 102, 1, NULL), (9300, 9200, 100, 4, NULL)");
  Begin(*store_);
  const auto t = OK(store_->GetTransfer(9200));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->status, "received");
  EXPECT_EQ(t->created_at, Ts("2026-11-03 09:00:00.5"));
  ASSERT_EQ(t->lines.size(), 2u);
  EXPECT_EQ(Fields(t->lines[0]),
            std::make_tuple(Id{9300}, Id{9200}, Id{100}, Qty{4}, std::optional<Id>()));
  EXPECT_EQ(t->lines[1].id, 9301);
  store_->Rollback();
}

TEST_F(MysqlStoreTest, TransferRowsTheSchemaRefusesArePermanentErrors) {
  Begin(*store_);
  StoreTransfer to_itself;
  to_itself.from_store_id = 1;
  to_itself.to_store_id = 1;
  const auto same_store = store_->InsertTransfer(to_itself, "special-ordersd");
  ASSERT_FALSE(same_store.ok());
  EXPECT_EQ(same_store.error().kind, ErrorKind::kPermanent) << same_store.error().ToString();
  EXPECT_EQ(same_store.error().code, 4025);  // ER_CONSTRAINT_FAILED: from and to differ

  StoreTransfer t;
  t.from_store_id = 2;
  t.to_store_id = 1;
  const Id transfer_id = OK(store_->InsertTransfer(t, "special-ordersd"));
  const auto zero = store_->InsertTransferLine(StoreTransferLine{0, transfer_id, 100, 0, {}});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().kind, ErrorKind::kPermanent) << zero.error().ToString();
  EXPECT_EQ(zero.error().code, 4025);  // quantity > 0
  const auto no_transfer =
      store_->InsertTransferLine(StoreTransferLine{0, transfer_id + 100, 100, 1, {}});
  ASSERT_FALSE(no_transfer.ok());
  EXPECT_EQ(no_transfer.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(no_transfer.error().code, 1452);  // ER_NO_REFERENCED_ROW_2
  store_->Rollback();
}

// The promised day is a DATE, written as the day (not its midnight as a DATETIME, which the
// column would truncate), and the clock row stays locked until the transaction ends.
TEST_F(MysqlStoreTest, SoClockKeepsTheDayAsADateAndStaysLockedUntilTheTransactionEnds) {
  SoClock clock;
  clock.special_order_id = 42;
  clock.promise_seq = 1;
  clock.expected_on = Ts("2026-12-10");
  clock.basis = PromiseBasis::kTransferDays;
  Begin(*store_);
  ASSERT_OK(store_->PutSoClock(clock));
  Commit(*store_);
  EXPECT_EQ(db_.Query("SELECT expected_on, basis, days FROM sod_promises"),
            (std::vector<std::vector<std::optional<std::string>>>{
                {"2026-12-10", "transfer_days", std::nullopt}}));
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '" +
                         db_.name() +
                         "' AND TABLE_NAME = 'sod_promises' AND COLUMN_NAME = 'expected_on' "
                         "AND DATA_TYPE = 'date'"),
            1);

  Begin(*store_);
  ASSERT_TRUE(OK(store_->LockSoClock(42)).has_value());
  ExpectLockWaitTimeout([](MysqlStore& other) { return other.LockSoClock(42); });
  store_->Rollback();
}

TEST_F(MysqlStoreTest, PickedQtyReadsZeroUntilSetThenOverwrites) {
  Begin(*store_);
  EXPECT_EQ(OK(store_->LockPickedQty(42)), 0);
  ASSERT_OK(store_->SetPickedQty(42, 2));
  EXPECT_EQ(OK(store_->LockPickedQty(42)), 2);
  ASSERT_OK(store_->SetPickedQty(42, 3));
  ASSERT_OK(store_->SetPickedQty(43, 0));
  EXPECT_EQ(OK(store_->LockPickedQty(42)), 3);
  const Status negative = store_->SetPickedQty(42, -1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().kind, ErrorKind::kPermanent) << negative.error().ToString();
  Commit(*store_);
  EXPECT_EQ(db_.Query("SELECT special_order_id, picked_qty FROM sod_pickups ORDER BY 1"),
            (std::vector<std::vector<std::optional<std::string>>>{{"42", "3"}, {"43", "0"}}));

  // The row stays locked until the transaction ends.
  Begin(*store_);
  EXPECT_EQ(OK(store_->LockPickedQty(42)), 3);
  ExpectLockWaitTimeout([](MysqlStore& other) { return other.LockPickedQty(42); });
  store_->Rollback();
}

TEST_F(MysqlStoreTest, ArrivalLinesInsertOverwriteAndLock) {
  Begin(*store_);
  ArrivalLine a{ArrivalKind::kShipment, 9000, 102, 1, 1, 0};
  ArrivalLine b{ArrivalKind::kShipment, 9000, 100, 1, 4, 0};
  ArrivalLine t{ArrivalKind::kTransfer, 9000, 100, 1, 2, 2};
  ASSERT_OK(store_->PutArrivalLine(a));
  ASSERT_OK(store_->PutArrivalLine(b));
  ASSERT_OK(store_->PutArrivalLine(t));
  b.allocated_qty = 3;
  ASSERT_OK(store_->PutArrivalLine(b));

  const auto lines = OK(store_->LockArrivalLines(ArrivalKind::kShipment, 9000));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].product_id, 100);  // product order
  EXPECT_EQ(std::make_tuple(lines[0].kind, lines[0].arrival_id, lines[0].store_id,
                            lines[0].quantity, lines[0].allocated_qty),
            std::make_tuple(ArrivalKind::kShipment, Id{9000}, Id{1}, Qty{4}, Qty{3}));
  EXPECT_EQ(lines[1].product_id, 102);
  const auto transfer = OK(store_->LockArrivalLines(ArrivalKind::kTransfer, 9000));
  ASSERT_EQ(transfer.size(), 1u);
  EXPECT_EQ(transfer[0].kind, ArrivalKind::kTransfer);
  EXPECT_EQ(transfer[0].allocated_qty, 2);
  EXPECT_TRUE(OK(store_->LockArrivalLines(ArrivalKind::kTransfer, 1)).empty());

  // Never more allocated than arrived: the schema refuses it.
  b.allocated_qty = 5;
  const Status over = store_->PutArrivalLine(b);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind, ErrorKind::kPermanent);
  store_->Rollback();
}

TEST_F(MysqlStoreTest, AuditKeepsFourByteCharactersAndNullSpecialOrder) {
  Begin(*store_);
  ASSERT_OK(store_->InsertAudit(AuditEntry{"m-1", 42, "vendor.pick", "attached_to_po",
                                           "PO 7000 \xF0\x9F\x93\xA6 line 8000",
                                           Ts("2026-11-29 20:16:16.000001")}));
  ASSERT_OK(store_->InsertAudit(
      AuditEntry{"m-1", std::nullopt, "contract", "refused", "", Ts("2026-11-29 20:16:17")}));
  Commit(*store_);
  const auto rows = db_.Query(
      "SELECT message_id, special_order_id, rule, decision, detail, at FROM sod_audit ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::optional<std::string>>{
                         "m-1", "42", "vendor.pick", "attached_to_po",
                         "PO 7000 \xF0\x9F\x93\xA6 line 8000", "2026-11-29 20:16:16.000001"}));
  EXPECT_EQ(rows[1][1], std::nullopt);
}

TEST_F(MysqlStoreTest, InboxRecordsMessagesWithTheirOccurredAt) {
  Envelope e;
  e.id = "pos-1:7";
  e.type = "order.cancelled";
  e.source = "pos-1";
  e.seq = 18446744073709551615ull;  // the whole uint64 range
  e.occurred_at = Ts("2026-11-29 20:16:16.123456");

  Begin(*store_);
  EXPECT_FALSE(OK(store_->InboxHas(e.id)));
  EXPECT_TRUE(OK(store_->InboxClaim(e)));
  ASSERT_OK(store_->InboxRefused(e.id, "order 5000 is not known"));
  EXPECT_TRUE(OK(store_->InboxHas(e.id)));
  EXPECT_FALSE(OK(store_->InboxClaim(e)));        // claimed already: a duplicate
  EXPECT_FALSE(OK(store_->InboxHas("POS-1:7")));  // ids compare byte for byte
  Commit(*store_);

  EXPECT_EQ(
      db_.Query("SELECT message_id, source, seq, type, outcome, detail, occurred_at, "
                "applied_at FROM sod_inbox")[0],
      (std::vector<std::optional<std::string>>{
          "pos-1:7", "pos-1", "18446744073709551615", "order.cancelled", "refused",
          "order 5000 is not known", "2026-11-29 20:16:16.123456", "2026-11-29 20:16:16.123456"}));

  // Another daemon claiming the same message after the commit is told it is a duplicate.
  auto other = NewStore();
  ASSERT_NE(other, nullptr);
  Begin(*other);
  EXPECT_FALSE(OK(other->InboxClaim(e)));
  other->Rollback();
}

// A second daemon claiming a message the first holds uncommitted waits for it, then sees a
// duplicate; if the first rolls back, the second gets the claim.
TEST_F(MysqlStoreTest, InboxClaimWaitsForTheTransactionHoldingTheSameId) {
  Envelope e;
  e.id = "m-contended";
  e.occurred_at = Ts("2026-11-29 20:16:16");
  auto other = NewStore();
  ASSERT_NE(other, nullptr);

  Begin(*store_);
  ASSERT_TRUE(OK(store_->InboxClaim(e)));
  Begin(*other);
  std::optional<Result<bool>> waited;
  std::thread t([&] { waited = other->InboxClaim(e); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(waited.has_value());  // still blocked on the row
  store_->Rollback();
  t.join();
  ASSERT_TRUE(waited && waited->ok());
  EXPECT_TRUE(**waited);  // the first one rolled back: ours now
  Commit(*other);

  // Committed: any later claim is a duplicate.
  Begin(*store_);
  EXPECT_FALSE(OK(store_->InboxClaim(e)));
  store_->Rollback();
}

TEST_F(MysqlStoreTest, RollbackDiscardsEveryWrite) {
  const std::string before = db_.Dump();
  Begin(*store_);
  ASSERT_OK(store_->AddToStock(1, 100, 1, 1));
  ASSERT_OK(store_->AddToStock(2, 100, 0, 1));
  ASSERT_TRUE(store_->InsertSpecialOrder(NewSpecialOrder(6000)).ok());
  ASSERT_OK(store_->SetHasSpecialOrder(5000, true, Ts("2026-11-29 08:00:00")));
  Envelope e;
  e.id = "m-rollback";
  ASSERT_TRUE(OK(store_->InboxClaim(e)));
  ASSERT_OK(store_->InsertAudit(AuditEntry{"m-rollback", std::nullopt, "r", "d", "", {}}));
  StoreTransfer t;
  t.from_store_id = 2;
  t.to_store_id = 1;
  const Id transfer_id = OK(store_->InsertTransfer(t, "special-ordersd"));
  ASSERT_TRUE(store_->InsertTransferLine(StoreTransferLine{0, transfer_id, 100, 1, {}}).ok());
  ASSERT_OK(store_->SetPickedQty(1, 1));
  store_->Rollback();
  EXPECT_EQ(db_.Dump(), before);

  // The store is still usable, in a new transaction.
  Begin(*store_);
  EXPECT_FALSE(OK(store_->InboxHas("m-rollback")));
  store_->Rollback();
}

TEST_F(MysqlStoreTest, CommitMakesWritesVisibleToASecondConnection) {
  auto reader = NewStore();
  ASSERT_NE(reader, nullptr);
  Envelope e;
  e.id = "m-visible";
  Begin(*store_);
  ASSERT_TRUE(OK(store_->InboxClaim(e)));
  ASSERT_OK(store_->AddToStock(1, 102, 1, 0));

  Begin(*reader);
  EXPECT_FALSE(OK(reader->InboxHas(e.id)));  // not before the commit
  reader->Rollback();
  EXPECT_EQ(db_.QueryInt("SELECT committed FROM stock WHERE store_id = 1 AND product_id = 102"), 0);

  Commit(*store_);
  Begin(*reader);
  EXPECT_TRUE(OK(reader->InboxHas(e.id)));
  EXPECT_EQ(OK(reader->LockStock(1, 102)).committed, 1);
  reader->Rollback();
}

TEST_F(MysqlStoreTest, BeginInsideATransactionIsRefused) {
  Begin(*store_);
  const Status again = store_->Begin();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kPermanent);
  store_->Rollback();
  Begin(*store_);
  store_->Rollback();
}

TEST_F(MysqlStoreTest, DeadLetterDuplicateIncrementsAttempts) {
  const std::string raw("{\"id\":\"m-9\"}\0\xff\xfe tail", 20);
  ASSERT_OK(store_->RecordDeadLetter("m-9", "order.cancelled", raw, "order 1 not found", "v1"));
  ASSERT_OK(
      store_->RecordDeadLetter("m-9", "order.cancelled", raw, "order 1 still not found", "v2"));
  ASSERT_OK(store_->RecordDeadLetter(std::nullopt, "garbage", "\x01\x02", "not JSON", "v2"));
  ASSERT_OK(store_->RecordDeadLetter(std::nullopt, "garbage", "\x01\x02", "not JSON", "v2"));

  const auto rows = db_.Query(
      "SELECT message_id, topic, HEX(raw), reason, attempts, rules_version, "
      "first_seen_at <= last_seen_at FROM sod_dead_letters ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);
  std::string raw_hex;
  for (unsigned char c : raw) {
    static const char* kHex = "0123456789ABCDEF";
    raw_hex += kHex[c >> 4];
    raw_hex += kHex[c & 15];
  }
  EXPECT_EQ(rows[0],
            (std::vector<std::optional<std::string>>{"m-9", "order.cancelled", raw_hex,
                                                     "order 1 still not found", "2", "v2", "1"}));
  EXPECT_EQ(rows[1][0], std::nullopt);
  EXPECT_EQ(rows[1][4], "1");
  EXPECT_EQ(rows[2][0], std::nullopt);

  // Inside a transaction it would commit the caller's work: refused.
  Begin(*store_);
  const Status inside = store_->RecordDeadLetter("m-10", "t", "r", "why", "v1");
  ASSERT_FALSE(inside.ok());
  EXPECT_EQ(inside.error().kind, ErrorKind::kPermanent);
  store_->Rollback();
}

TEST_F(MysqlStoreTest, EnsureDaemonSchemaCreatesMissingTablesAndIsIdempotent) {
  ASSERT_OK(store_->EnsureDaemonSchema());
  db_.Exec(
      "DROP TABLE sod_inbox;\nDROP TABLE sod_arrival_lines;\nDROP TABLE sod_pickups;\n"
      "DROP TABLE sod_promises");
  ASSERT_OK(store_->EnsureDaemonSchema());
  // inbox, audit, dead letters, arrival lines, pickups, flight recorder, promises, PO sent,
  // event sources, outbox
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" +
                         db_.name() + "' AND TABLE_NAME LIKE 'sod\\_%'"),
            10);
  ASSERT_OK(store_->EnsureDaemonSchema());
}

TEST_F(MysqlStoreTest, SchemaProblemsNameTheMissingIndexAndTheOldCollationWithTheirFix) {
  // The test database has pos_indexes.sql applied and the daemon's tables as they are made now.
  EXPECT_TRUE(OK(store_->SchemaProblems()).empty());
  db_.Exec("DROP INDEX ix_special_orders_po_line_waiting ON special_orders");
  // As an earlier version made it.
  db_.Exec(
      "ALTER TABLE sod_inbox MODIFY message_id VARCHAR(64) CHARACTER SET utf8mb4 "
      "COLLATE utf8mb4_bin NOT NULL");
  const auto problems = OK(store_->SchemaProblems());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_THAT(problems[0], ::testing::HasSubstr(
                               "special_orders has no index ix_special_orders_po_line_waiting"));
  EXPECT_THAT(problems[1], ::testing::HasSubstr("sod_inbox.message_id is utf8mb4_bin"));
  // The fixes they name: the file (idempotent) and the ALTER.
  db_.ExecFile(std::string(SO_SOURCE_DIR) + "/adapters/mysql/pos_indexes.sql");
  db_.ExecFile(std::string(SO_SOURCE_DIR) + "/adapters/mysql/pos_indexes.sql");
  db_.Exec(problems[1].substr(problems[1].find("ALTER TABLE")));
  EXPECT_TRUE(OK(store_->SchemaProblems()).empty());
}

TEST(SplitSqlStatementsTest, SplitsAtLineEndSemicolonsAndDropsCommentOnlyPieces) {
  EXPECT_EQ(SplitSqlStatements("-- header\n\nCREATE TABLE a (x INT);\n-- note\nSELECT 1;\n"
                               "-- trailing comment\n"),
            (std::vector<std::string>{"-- header\n\nCREATE TABLE a (x INT)", "-- note\nSELECT 1"}));
  EXPECT_EQ(SplitSqlStatements("SELECT 1; SELECT 2"),
            (std::vector<std::string>{"SELECT 1; SELECT 2"}));
  EXPECT_TRUE(SplitSqlStatements("").empty());
  EXPECT_EQ(SplitSqlStatements(kDaemonSchemaSql).size(), 10u);  // one per sod_ table
}

// Two connections, store_ and `other`, in transactions that lock two stock rows in opposite
// orders: InnoDB kills one of them. Returns the two results, store_'s first.
std::pair<Result<StockRow>, Result<StockRow>> Deadlock(MysqlStore& store, MysqlStore& other,
                                                       TestDatabase& db) {
  EXPECT_TRUE(store.Begin().ok());
  EXPECT_TRUE(other.Begin().ok());
  EXPECT_TRUE(store.LockStock(1, 100).ok());
  EXPECT_TRUE(other.LockStock(1, 102).ok());
  auto first = std::async(std::launch::async, [&] { return store.LockStock(1, 102); });
  // Wait until the first connection's statement is at the server, so the deadlock happens the
  // way round described. (Any interleaving deadlocks; this one is just the readable one.)
  // PROCESSLIST, not INNODB_TRX: the latter is a cache that polling faster than 0.1 s keeps stale.
  bool waiting = false;
  for (int i = 0; i < 500 && !waiting; ++i) {
    waiting = db.QueryInt(
                  "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                  "WHERE INFO LIKE 'SELECT store\\_id, product\\_id, on\\_hand%FOR UPDATE'") > 0;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Else the probe no longer matches LockStock()'s SQL, and the order below is left to chance.
  EXPECT_TRUE(waiting) << "the first connection's lock wait never showed in PROCESSLIST";
  Result<StockRow> second = other.LockStock(1, 100);
  Result<StockRow> first_result = first.get();
  return {std::move(first_result), std::move(second)};
}

// Which must come back as kTransient with MySQL's deadlock code.
TEST_F(MysqlStoreTest, DeadlockBetweenTwoConnectionsIsTransient1213) {
  auto other = NewStore();
  ASSERT_NE(other, nullptr);
  const auto [first_result, second] = Deadlock(*store_, *other, db_);
  ASSERT_NE(first_result.ok(), second.ok()) << "exactly one of the two is the victim";
  const Error& victim = first_result.ok() ? second.error() : first_result.error();
  EXPECT_EQ(victim.kind, ErrorKind::kTransient) << victim.ToString();
  EXPECT_EQ(victim.code, 1213);
  store_->Rollback();
  other->Rollback();

  // Both go on after rolling back.
  Begin(*store_);
  EXPECT_TRUE(store_->LockStock(1, 102).ok());
  store_->Rollback();
  Begin(*other);
  EXPECT_TRUE(other->LockStock(1, 100).ok());
  other->Rollback();
}

// The deadlock's victim has lost its whole transaction (InnoDB rolled it back; on Galera a
// brute-force abort by another node's writeset does the same), and the server would run its next
// statement in a new one. A caller that ignores the 1213 (a read whose error it takes for "not
// there") must not commit what it does next without what was rolled back: every later statement
// fails with the 1213 unsent, and so does Commit(), which writes nothing.
TEST_F(MysqlStoreTest, AfterADeadlockNothingMoreOfTheTransactionRunsOrCommits) {
  auto other = NewStore();
  ASSERT_NE(other, nullptr);
  const auto [first_result, second] = Deadlock(*store_, *other, db_);
  ASSERT_NE(first_result.ok(), second.ok()) << "exactly one of the two is the victim";
  MysqlStore& victim = first_result.ok() ? *other : *store_;
  MysqlStore& winner = first_result.ok() ? *store_ : *other;
  winner.Rollback();

  // The error ignored: the victim claims an inbox row, as a batch would go on.
  Envelope e;
  e.v = 1;
  e.id = "after-deadlock";
  e.type = "po.status_changed";
  e.source = "pos";
  e.seq = 1;
  e.occurred_at = Ts("2026-11-29 20:16:16");
  const Result<std::vector<bool>> claimed = victim.InboxClaimAll({e});
  ASSERT_FALSE(claimed.ok()) << "a statement ran in a new transaction after the deadlock";
  EXPECT_EQ(claimed.error().code, 1213) << claimed.error().ToString();
  const Status commit = victim.Commit();
  ASSERT_FALSE(commit.ok()) << "COMMIT of a transaction the server had rolled back";
  EXPECT_EQ(commit.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(commit.error().code, 1213);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM sod_inbox"), 0);

  // The next transaction is a normal one.
  Begin(victim);
  EXPECT_TRUE(victim.InboxClaimAll({e}).ok());
  Commit(victim);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM sod_inbox WHERE message_id = 'after-deadlock'"), 1);
}

// A lock held too long ends as a lock wait timeout (kTransient), well before the read timeout
// could turn it into a lost connection.
TEST_F(MysqlStoreTest, LockWaitTimeoutIsTransient1205) {
  MysqlOptions quick = db_.options();
  quick.read_timeout_s = 2;  // lock wait timeout: 1 s
  auto waiter = NewStore(quick);
  ASSERT_NE(waiter, nullptr);
  Begin(*store_);
  ASSERT_TRUE(store_->LockOrder(5000).ok());
  Begin(*waiter);
  const auto r = waiter->LockOrder(5000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient) << r.error().ToString();
  EXPECT_EQ(r.error().code, 1205);
  EXPECT_TRUE(waiter->connected());
  waiter->Rollback();
  store_->Rollback();
}

TEST_F(MysqlStoreTest, KilledConnectionIsConnectionErrorAndConnectRecovers) {
  const int64_t id = db_.QueryInt("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '" +
                                  db_.name() + "' AND ID <> CONNECTION_ID()");
  Begin(*store_);
  ASSERT_OK(store_->AddToStock(1, 100, 1, 0));
  db_.Exec("KILL " + std::to_string(id));

  const auto r = store_->LockStock(1, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConnection) << r.error().ToString();
  EXPECT_FALSE(store_->connected());
  // Every call after it says so too, until Connect().
  const auto again = store_->InboxHas("m");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kConnection);
  store_->Rollback();

  ASSERT_OK(store_->Connect());
  EXPECT_TRUE(store_->connected());
  Begin(*store_);
  // The killed transaction's write is gone; statements are prepared anew on the new connection.
  EXPECT_EQ(OK(store_->LockStock(1, 100)).committed, 2);
  ASSERT_OK(store_->AddToStock(1, 100, 1, 0));
  Commit(*store_);
  EXPECT_EQ(db_.QueryInt("SELECT committed FROM stock WHERE store_id = 1 AND product_id = 100"), 3);
}

// The same writes in two fresh databases dump to the same text; one more write does not.
TEST_F(MysqlStoreTest, DumpIsIdenticalForIdenticalData) {
  TestDatabase twin("mysql_store_twin");
  twin.Exec(kSeed);
  auto twin_store = NewStore(twin.options());
  ASSERT_NE(twin_store, nullptr);
  for (MysqlStore* s : {store_.get(), twin_store.get()}) {
    Begin(*s);
    ASSERT_TRUE(s->InsertSpecialOrder(NewSpecialOrder(6000)).ok());
    ASSERT_OK(s->AddToStock(1, 100, 0, 3));
    Envelope e;
    e.id = "m-1";
    e.occurred_at = Ts("2026-11-29 20:16:16.5");
    ASSERT_TRUE(OK(s->InboxClaim(e)));
    ASSERT_OK(s->InsertAudit(AuditEntry{"m-1", 1, "r", "created", "tab\there", e.occurred_at}));
    StoreTransfer t;
    t.from_store_id = 2;
    t.to_store_id = 1;
    t.created_at = e.occurred_at;
    const Id transfer_id = OK(s->InsertTransfer(t, "special-ordersd"));
    ASSERT_TRUE(s->InsertTransferLine(StoreTransferLine{0, transfer_id, 100, 3, 1}).ok());
    ASSERT_OK(s->SetPickedQty(1, 2));
    Commit(*s);
  }
  twin_store.reset();
  const std::string dump = db_.Dump();
  EXPECT_EQ(dump, twin.Dump());
  EXPECT_NE(dump.find("== sod_inbox (1 rows)"), std::string::npos) << dump;
  EXPECT_NE(dump.find("== special_orders (1 rows)"), std::string::npos);
  EXPECT_NE(dump.find("== sod_pickups (1 rows)\nspecial_order_id\tpicked_qty\n1\t2\n"),
            std::string::npos);
  EXPECT_NE(dump.find("== store_transfer_lines (1 rows)"), std::string::npos);
  EXPECT_NE(dump.find("tab\\there"), std::string::npos);

  twin.Exec("UPDATE stock SET on_hand = on_hand + 1 WHERE store_id = 1 AND product_id = 102");
  EXPECT_NE(dump, twin.Dump());
}

}  // namespace
}  // namespace so::mysql
