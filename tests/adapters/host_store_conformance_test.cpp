// One suite of the HostStore port (rules/ports.hpp), every test run twice: against the in-memory
// fake that the rules tests use and against MysqlStore on a fresh database in the private
// MariaDB. Where they differ, the fake is wrong (the MySQL store is the reference), so the rules
// tests cannot pass on behaviour the real database would not have. What only MySQL can show (lock
// waits between connections, deadlocks, lost connections, dead letters) is in mysql_store_test.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "rules/ports.hpp"
#include "tests/support/store_values.hpp"
#include "tests/support/world.hpp"

namespace so::testing {
namespace {

enum class Impl { kFake, kMysql };

std::string Name(Impl impl) { return impl == Impl::kFake ? "Fake" : "Mysql"; }
void PrintTo(Impl impl, std::ostream* os) { *os << Name(impl); }

// The MySQL error codes the suite expects (the fake gives the same).
constexpr int kNoRow = 0;               // an UPDATE that matched no row: the store's own error
constexpr int kNotNull = 1048;          // ER_BAD_NULL_ERROR
constexpr int kDuplicateKey = 1062;     // ER_DUP_ENTRY
constexpr int kOutOfRange = 1264;       // ER_WARN_DATA_OUT_OF_RANGE
constexpr int kBadValue = 1366;         // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
constexpr int kDataTooLong = 1406;      // ER_DATA_TOO_LONG
constexpr int kNoReferencedRow = 1452;  // ER_NO_REFERENCED_ROW_2
constexpr int kCheckFailed = 4025;      // ER_CONSTRAINT_FAILED

// The shop every test starts from.
constexpr Id kStore = 1, kStore2 = 2, kStore3 = 3, kNoStore = 9;
constexpr Id kAcme = 10, kGlobex = 11 /* inactive */, kInitech = 12, kNoVendor = 99;
constexpr Id kWidget = 100, kGadget = 101 /* not allowed */, kGizmo = 102, kNoProduct = 999;
constexpr Id kAda = 1000;
constexpr Id kOrder = 5000, kOrder2 = 5001;
constexpr Id kLine = 6000 /* widget 3 */, kGizmoLine = 6001, kGadgetLine = 6002 /* qty 0 */,
             kLine2 = 6003 /* order 2, widget 1 */;
constexpr Id kPo = 7000;                       // store 1, Acme, draft
constexpr Id kPoLine = 8000, kPoLineB = 8001;  // both widgets on kPo

template <typename T>
auto Ids(const std::vector<T>& rows) {
  std::vector<Id> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

// The row a read that must find one found.
template <typename T>
T Found(std::optional<T> row, const char* what) {
  if (!row) {
    ADD_FAILURE() << what << ": no row";
    throw std::runtime_error(std::string(what) + " found no row");
  }
  return std::move(*row);
}
#define FOUND(expr) Found(OK(expr), #expr)

// A permanent error with the MySQL error code `code`, as the port returns for bad data.
::testing::AssertionResult Permanent(const Status& s, int code) {
  if (s.ok()) return ::testing::AssertionFailure() << "succeeded";
  if (s.error().kind != ErrorKind::kPermanent || s.error().code != code) {
    return ::testing::AssertionFailure()
           << s.error().ToString() << " (expected a permanent error " << code << ")";
  }
  return ::testing::AssertionSuccess();
}
template <typename T>
::testing::AssertionResult Permanent(const Result<T>& r, int code) {
  return Permanent(r.status(), code);
}

SpecialOrder NewSo(Id line_id, Id order_id = kOrder, Id product_id = kWidget) {
  SpecialOrder s;
  s.store_id = kStore;
  s.order_id = order_id;
  s.order_line_id = line_id;
  s.customer_id = kAda;
  s.product_id = product_id;
  s.quantity = 3;
  s.requested_at = Ts("2026-11-29 20:16:16.123456");
  s.updated_at = Ts("2026-11-29 20:16:16.123456");
  return s;
}

Envelope NewEnvelope(std::string id) {
  Envelope e;
  e.id = std::move(id);
  e.type = "order.cancelled";
  e.source = "pos-1";
  e.seq = 7;
  e.occurred_at = Ts("2026-11-29 20:16:16.5");
  return e;
}

// A clock with every column set.
SoClock FullClock(Id special_order_id) {
  SoClock c;
  c.special_order_id = special_order_id;
  c.promise_seq = 2;
  c.expected_on = Ts("2026-12-10");
  c.basis = PromiseBasis::kVendorFromSent;
  c.base_at = Ts("2026-12-03 09:15:00.25");
  c.days = 7;
  c.rule = "rush";
  c.promised_at = Ts("2026-12-03 10:00:00.5");
  c.overdue_seq = 1;
  c.reminded_days = 3;
  c.reminded_ready_at = Ts("2026-12-01 08:00:00.125");
  return c;
}

// The special order ids of a FindClockCandidates() page.
std::vector<Id> SoIds(const std::vector<ClockCandidate>& page) {
  std::vector<Id> ids;
  for (const auto& c : page) ids.push_back(c.so.id);
  return ids;
}

class HostStoreTest : public ::testing::TestWithParam<Impl> {
 protected:
  void SetUp() override {
    world_ = GetParam() == Impl::kFake ? NewFakeWorld() : NewMysqlWorld("conformance");
    World& w = *world_;
    for (Id s : {kStore, kStore2, kStore3}) w.AddStore(s);
    w.AddVendor({kAcme, "Acme", true});
    w.AddVendor({kGlobex, "Globex", false});
    w.AddVendor({kInitech, "Initech", true});
    w.AddProduct({kWidget, "SKU-100", kAcme, true});
    w.AddProduct({kGadget, "SKU-101", std::nullopt, false});
    w.AddProduct({kGizmo, "SKU-102", kInitech, true});
    w.AddCustomer(kAda);
    AddOrder(kOrder, "open", Ts("2026-11-01 10:00:00"));
    AddOrder(kOrder2, "open", Ts("2026-11-01 11:00:00"));
    AddLine(kLine, kOrder, kWidget, 3);
    AddLine(kGizmoLine, kOrder, kGizmo, 1);
    AddLine(kGadgetLine, kOrder, kGadget, 0);
    AddLine(kLine2, kOrder2, kWidget, 1);
    AddPo(kPo, kStore, kAcme, "draft", Ts("2026-11-01 09:00:00"));
    AddPoLine(kPoLine, kPo, kWidget, 5);
    AddPoLine(kPoLineB, kPo, kWidget, 2);
    w.PutStock({kStore, kWidget, 5, 2, 3});
    w.PutStock({kStore, kGizmo, 1, 0, 0});
  }

  HostStore& store() { return world_->store(); }
  World& world() { return *world_; }

  void AddOrder(Id id, const std::string& status, Timestamp created_at, Id store_id = kStore) {
    world_->AddOrder({id, store_id, kAda, status, false}, created_at);
  }
  // A line of `qty` units, all of them special-ordered.
  void AddLine(Id id, Id order_id, Id product_id, Qty qty) {
    OrderLine l;
    l.id = id;
    l.order_id = order_id;
    l.product_id = product_id;
    l.quantity = qty;
    l.special_order_qty = qty;
    world_->AddOrderLine(l);
  }
  void AddPo(Id id, Id store_id, Id vendor_id, const std::string& status, Timestamp created_at) {
    world_->AddPo({id, store_id, vendor_id, status, created_at});
  }
  void AddPoLine(Id id, Id po_id, Id product_id, Qty qty) {
    world_->AddPoLine({id, po_id, product_id, qty, 0, "12.34"});
  }
  void AddTransfer(Id id, const std::string& status, std::vector<StoreTransferLine> lines = {}) {
    world_->AddTransfer({id, kStore2, kStore, status, Ts("2026-11-03 09:00:00.5"), lines});
  }

  void Begin() { ASSERT_OK(store().Begin()); }
  void Commit() { ASSERT_OK(store().Commit()); }
  // Inserts the special order in a transaction of its own; returns it with its id.
  SpecialOrder Seed(SpecialOrder so) {
    Begin();
    so.id = OK(store().InsertSpecialOrder(so));
    Commit();
    return so;
  }
  // The ledger line, in a transaction of its own.
  void SeedArrival(ArrivalKind kind, Id arrival_id, Id product_id, Qty qty, Qty allocated = 0) {
    Begin();
    ASSERT_OK(store().PutArrivalLine({kind, arrival_id, product_id, kStore, qty, allocated}));
    Commit();
  }

  std::unique_ptr<World> world_;
};

// --- Transactions ---

TEST_P(HostStoreTest, CommittedWritesAreVisibleAndALaterRollbackKeepsThem) {
  Begin();
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("m-1"))));
  ASSERT_OK(store().AddToStock(kStore2, kWidget, 0, 2));
  ASSERT_OK(store().InsertAudit({"m-1", std::nullopt, "r", "created", "", Ts("2026-11-29")}));
  Commit();
  Begin();
  ASSERT_OK(store().AddToStock(kStore2, kWidget, 0, 1));
  store().Rollback();

  Begin();
  EXPECT_TRUE(OK(store().InboxHas("m-1")));
  EXPECT_EQ(OK(store().LockStock(kStore2, kWidget)).backordered, 2);
  store().Rollback();
  EXPECT_EQ(world().Inbox("m-1"), (InboxRow{"applied", ""}));
  EXPECT_EQ(world().Audit().size(), 1u);
}

TEST_P(HostStoreTest, RollbackUndoesEveryWriteOfTheTransaction) {
  AddTransfer(9200, "requested");
  SpecialOrder seeded = Seed(NewSo(kLine));
  Begin();
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("m-1"))));
  ASSERT_OK(store().InboxRefused("m-1", "no"));
  const Id so_id = OK(store().InsertSpecialOrder(NewSo(kGizmoLine, kOrder, kGizmo)));
  SpecialOrder changed = seeded;
  changed.allocated_qty = 1;
  changed.status = SoStatus::kInProgress;
  ASSERT_OK(store().UpdateSpecialOrder(changed));
  ASSERT_OK(
      store().UpdateOrderLine({kLine, kOrder, kWidget, 3, 3, LineStatus::kBackordered, 1, 2}));
  ASSERT_OK(store().SetHasSpecialOrder(kOrder, true, Ts("2026-11-29")));
  ASSERT_OK(store().AddToStock(kStore, kWidget, 1, 1));
  ASSERT_OK(store().AddToStock(kStore2, kWidget, 0, 1));
  const Id po_id = OK(store().InsertPo({0, kStore, kInitech, "draft", Ts("2026-11-29")}, "d"));
  ASSERT_TRUE(store().InsertPoLine({0, po_id, kGizmo, 1, 0, "1.00"}).ok());
  ASSERT_OK(store().SetPoLineQuantity(kPoLine, 9));
  const Id transfer_id = OK(store().InsertTransfer({0, kStore2, kStore, "", {}, {}}, "d"));
  ASSERT_TRUE(store().InsertTransferLine({0, transfer_id, kWidget, 1, so_id}).ok());
  ASSERT_TRUE(store().InsertTransferLine({0, 9200, kWidget, 1, std::nullopt}).ok());
  ASSERT_OK(store().SetPickedQty(seeded.id, 1));
  ASSERT_OK(store().PutSoClock(FullClock(seeded.id)));
  ASSERT_OK(store().SetPoSentAt(kPo, Ts("2026-11-29")));
  ASSERT_OK(store().PutArrivalLine({ArrivalKind::kShipment, 9000, kWidget, kStore, 2, 1}));
  ASSERT_OK(store().InsertAudit({"m-1", so_id, "r", "created", "", Ts("2026-11-29")}));
  store().Rollback();

  Begin();
  EXPECT_FALSE(OK(store().InboxHas("m-1")));
  EXPECT_FALSE(OK(store().LockSpecialOrder(so_id)).has_value());
  EXPECT_FALSE(OK(store().LockSpecialOrderByLine(kGizmoLine)).has_value());
  EXPECT_EQ(Fields(FOUND(store().LockSpecialOrder(seeded.id))), Fields(seeded));
  const OrderLine line = FOUND(store().LockOrderLine(kLine));
  EXPECT_EQ(std::make_tuple(line.status, line.committed_qty, line.backordered_qty),
            std::make_tuple(LineStatus::kOpen, Qty{0}, Qty{0}));
  EXPECT_FALSE(FOUND(store().LockOrder(kOrder)).has_special_order);
  const auto stock = OK(store().GetStockOfProduct(kWidget));
  ASSERT_EQ(stock.size(), 1u);  // the row made for store 2 is gone too
  EXPECT_EQ(Fields(stock[0]), Fields(StockRow{kStore, kWidget, 5, 2, 3}));
  EXPECT_FALSE(OK(store().LockPo(po_id)).has_value());
  EXPECT_EQ(FOUND(store().LockPoLine(kPo, kWidget)).quantity_ordered, 5);
  EXPECT_FALSE(OK(store().GetTransfer(transfer_id)).has_value());
  EXPECT_TRUE(FOUND(store().GetTransfer(9200)).lines.empty());
  EXPECT_EQ(OK(store().LockPickedQty(seeded.id)), 0);
  EXPECT_FALSE(OK(store().LockSoClock(seeded.id)).has_value());
  EXPECT_FALSE(OK(store().GetPoSentAt(kPo)).has_value());
  EXPECT_TRUE(OK(store().LockArrivalLines(ArrivalKind::kShipment, 9000)).empty());
  store().Rollback();
  EXPECT_EQ(world().Inbox("m-1"), std::nullopt);
  EXPECT_TRUE(world().Audit().empty());
}

// Both hand out ids as AUTO_INCREMENT does (rules/ports.hpp, Rollback()): never again one that a
// rolled-back insert took.
TEST_P(HostStoreTest, IdsTakenByARolledBackInsertAreNotHandedOutAgain) {
  Begin();
  const Id so_id = OK(store().InsertSpecialOrder(NewSo(kLine)));
  const Id po_id = OK(store().InsertPo({0, kStore, kAcme, "draft", Ts("2026-11-29")}, "d"));
  store().Rollback();
  Begin();
  EXPECT_GT(OK(store().InsertSpecialOrder(NewSo(kLine))), so_id);
  EXPECT_GT(OK(store().InsertPo({0, kStore, kAcme, "draft", Ts("2026-11-29")}, "d")), po_id);
  Commit();
}

TEST_P(HostStoreTest, NewIdsAreAboveEveryIdTheirTableHas) {
  AddTransfer(9200, "requested", {{9300, 9200, kWidget, 1, std::nullopt}});
  Begin();
  const Id po_id = OK(store().InsertPo({0, kStore, kAcme, "draft", Ts("2026-11-29")}, "d"));
  EXPECT_GT(po_id, kPo);
  EXPECT_GT(OK(store().InsertPoLine({0, po_id, kWidget, 1, 0, "1"})), kPoLineB);
  const Id transfer_id = OK(store().InsertTransfer({0, kStore2, kStore, "", {}, {}}, "d"));
  EXPECT_GT(transfer_id, 9200);
  EXPECT_GT(OK(store().InsertTransferLine({0, transfer_id, kWidget, 1, std::nullopt})), 9300);
  const Id first = OK(store().InsertSpecialOrder(NewSo(kLine)));
  EXPECT_GT(OK(store().InsertSpecialOrder(NewSo(kLine2, kOrder2))), first);
  Commit();
}

TEST_P(HostStoreTest, BeginInsideATransactionIsAPermanentErrorAndKeepsTheOpenOne) {
  Begin();
  ASSERT_OK(store().AddToStock(kStore2, kWidget, 0, 1));
  EXPECT_TRUE(Permanent(store().Begin(), kNoRow));
  EXPECT_EQ(OK(store().LockStock(kStore2, kWidget)).backordered, 1);
  store().Rollback();  // undoes the write made before the refused Begin()
  Begin();
  EXPECT_EQ(OK(store().LockStock(kStore2, kWidget)).backordered, 0);
  store().Rollback();
}

// --- Inbox ---

TEST_P(HostStoreTest, InboxClaimTakesAnIdOnceAndThenSaysDuplicate) {
  Begin();
  EXPECT_FALSE(OK(store().InboxHas("m-1")));
  EXPECT_TRUE(OK(store().InboxClaim(NewEnvelope("m-1"))));
  EXPECT_TRUE(OK(store().InboxHas("m-1")));
  EXPECT_FALSE(OK(store().InboxClaim(NewEnvelope("m-1"))));  // in the same transaction
  Commit();
  Begin();
  EXPECT_FALSE(OK(store().InboxClaim(NewEnvelope("m-1"))));  // and in a later one
  store().Rollback();
  EXPECT_EQ(world().Inbox("m-1"), (InboxRow{"applied", ""}));
}

TEST_P(HostStoreTest, AClaimRolledBackCanBeClaimedAgain) {
  Begin();
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("m-1"))));
  store().Rollback();
  Begin();
  EXPECT_FALSE(OK(store().InboxHas("m-1")));
  EXPECT_TRUE(OK(store().InboxClaim(NewEnvelope("m-1"))));
  Commit();
}

TEST_P(HostStoreTest, InboxComparesMessageIdsByteForByte) {
  Begin();
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("pos-1:7"))));
  EXPECT_FALSE(OK(store().InboxHas("POS-1:7")));
  EXPECT_FALSE(OK(store().InboxHas("pos-1:")));
  EXPECT_TRUE(OK(store().InboxClaim(NewEnvelope("POS-1:7"))));  // another message
  Commit();
}

// Byte for byte: a PAD SPACE collation (utf8mb4_bin, as earlier versions had) took "pos-1:7 " for
// "pos-1:7", and its message was dropped as a duplicate.
TEST_P(HostStoreTest, InboxTellsIdsThatDifferInTrailingSpacesApart) {
  Begin();
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("pos-1:7"))));
  EXPECT_FALSE(OK(store().InboxHas("pos-1:7 ")));
  EXPECT_TRUE(OK(store().InboxClaim(NewEnvelope("pos-1:7 "))));
  Commit();
}

TEST_P(HostStoreTest, InboxRefusedRecordsTheOutcomeAndTheReason) {
  Begin();
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("m-1"))));
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("m-2"))));
  ASSERT_OK(store().InboxRefused("m-1", "order 5000 is not known"));
  EXPECT_TRUE(OK(store().InboxHas("m-1")));  // a refused message is a duplicate when it comes again
  Commit();
  EXPECT_EQ(world().Inbox("m-1"), (InboxRow{"refused", "order 5000 is not known"}));
  EXPECT_EQ(world().Inbox("m-2"), (InboxRow{"applied", ""}));
}

TEST_P(HostStoreTest, InboxRefusedOfAMessageNeverClaimedIsAPermanentError) {
  Begin();
  EXPECT_TRUE(Permanent(store().InboxRefused("m-never", "why"), kNoRow));
  EXPECT_TRUE(OK(store().InboxClaim(NewEnvelope("m-1"))));  // the transaction goes on
  Commit();
  EXPECT_EQ(world().Inbox("m-never"), std::nullopt);
}

// sod_inbox.message_id is VARCHAR(64): characters, not bytes.
TEST_P(HostStoreTest, InboxClaimOfAnIdLongerThan64CharactersIsAPermanentError) {
  std::string accents;
  for (int i = 0; i < 64; ++i) accents += "\xC3\xA9";  // é, two bytes each
  Begin();
  EXPECT_TRUE(OK(store().InboxClaim(NewEnvelope(std::string(64, 'x')))));
  EXPECT_TRUE(OK(store().InboxClaim(NewEnvelope(accents))));
  EXPECT_TRUE(Permanent(store().InboxClaim(NewEnvelope(std::string(65, 'x'))), kDataTooLong));
  Commit();
  EXPECT_EQ(world().Inbox(accents), (InboxRow{"applied", ""}));
}

// --- Reads of POS rows ---

TEST_P(HostStoreTest, StoreExistsForTheStoresOfThePos) {
  Begin();
  EXPECT_TRUE(OK(store().StoreExists(kStore2)));
  EXPECT_FALSE(OK(store().StoreExists(kNoStore)));
  store().Rollback();
}

TEST_P(HostStoreTest, GetProductReadsEveryColumnOrNullopt) {
  Begin();
  const Product p = FOUND(store().GetProduct(kWidget));
  EXPECT_EQ(std::make_tuple(p.id, p.sku, p.primary_vendor_id, p.special_order_allowed),
            std::make_tuple(kWidget, std::string("SKU-100"), std::optional<Id>(kAcme), true));
  const Product g = FOUND(store().GetProduct(kGadget));
  EXPECT_EQ(std::make_tuple(g.primary_vendor_id, g.special_order_allowed),
            std::make_tuple(std::optional<Id>(), false));
  EXPECT_FALSE(OK(store().GetProduct(kNoProduct)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, GetVendorReadsEveryColumnOrNullopt) {
  Begin();
  const Vendor v = FOUND(store().GetVendor(kGlobex));
  EXPECT_EQ(std::make_tuple(v.id, v.name, v.active),
            std::make_tuple(kGlobex, std::string("Globex"), false));
  EXPECT_TRUE(FOUND(store().GetVendor(kAcme)).active);
  EXPECT_FALSE(OK(store().GetVendor(kNoVendor)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, GetProductVendorsComeInVendorOrderWithTheVendorsActiveFlag) {
  world().AddOffer(kWidget, {kInitech, "7.25", 6, 12, 14, true});
  world().AddOffer(kWidget, {kAcme, "12.34", 1, 1, 3, false});  // the flag is the vendor's
  world().AddOffer(kWidget, {kGlobex, "9.99", 2, 1, 5, true});
  Begin();
  const auto offers = OK(store().GetProductVendors(kWidget));
  ASSERT_EQ(offers.size(), 3u);
  const auto fields = [](const ProductVendor& o) {
    return std::make_tuple(o.vendor_id, o.unit_cost, o.pack_size, o.min_order_qty, o.lead_time_days,
                           o.vendor_active);
  };
  EXPECT_EQ(fields(offers[0]),
            std::make_tuple(kAcme, std::string("12.3400"), Qty{1}, Qty{1}, 3, true));
  EXPECT_EQ(fields(offers[1]),
            std::make_tuple(kGlobex, std::string("9.9900"), Qty{2}, Qty{1}, 5, false));
  EXPECT_EQ(fields(offers[2]),
            std::make_tuple(kInitech, std::string("7.2500"), Qty{6}, Qty{12}, 14, true));
  EXPECT_TRUE(OK(store().GetProductVendors(kGadget)).empty());
  store().Rollback();
}

TEST_P(HostStoreTest, LockOrderReadsEveryColumnOrNullopt) {
  world().AddOrder({5002, kStore2, kAda, "cancelled", true}, Ts("2026-11-02"));
  Begin();
  const CustomerOrder o = FOUND(store().LockOrder(5002));
  EXPECT_EQ(std::make_tuple(o.id, o.store_id, o.customer_id, o.status, o.has_special_order),
            std::make_tuple(Id{5002}, kStore2, kAda, std::string("cancelled"), true));
  EXPECT_FALSE(FOUND(store().LockOrder(kOrder)).has_special_order);
  EXPECT_FALSE(OK(store().LockOrder(1)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, LockOrderLineReadsEveryColumnOrNullopt) {
  const OrderLine seeded{6004, kOrder2, kGizmo, 4, 3, LineStatus::kBackordered, 1, 2};
  world().AddOrderLine(seeded);
  Begin();
  EXPECT_EQ(Fields(FOUND(store().LockOrderLine(6004))), Fields(seeded));
  EXPECT_FALSE(OK(store().LockOrderLine(1)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, LockStockReadsAMissingRowAsZerosAndCreatesNone) {
  Begin();
  const StockRow existing = OK(store().LockStock(kStore, kWidget));
  EXPECT_EQ(Fields(existing), Fields(StockRow{kStore, kWidget, 5, 2, 3}));
  EXPECT_EQ(existing.open(), 3);
  EXPECT_EQ(Fields(OK(store().LockStock(kStore2, kGizmo))),
            Fields(StockRow{kStore2, kGizmo, 0, 0, 0}));
  EXPECT_EQ(OK(store().GetStockOfProduct(kGizmo)).size(), 1u);  // store 1's only
  Commit();
}

TEST_P(HostStoreTest, GetStockOfProductListsEveryStoreWithARowInStoreOrder) {
  world().PutStock({kStore3, kWidget, 9, 1, 0});
  world().PutStock({kStore2, kWidget, -2, 0, 4});  // oversold: on_hand may be negative
  Begin();
  const auto rows = OK(store().GetStockOfProduct(kWidget));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(Fields(rows[0]), Fields(StockRow{kStore, kWidget, 5, 2, 3}));
  EXPECT_EQ(Fields(rows[1]), Fields(StockRow{kStore2, kWidget, -2, 0, 4}));
  EXPECT_EQ(Fields(rows[2]), Fields(StockRow{kStore3, kWidget, 9, 1, 0}));
  EXPECT_TRUE(OK(store().GetStockOfProduct(kGadget)).empty());
  store().Rollback();
}

TEST_P(HostStoreTest, GetShipmentReadsItsLinesInIdOrder) {
  AddPoLine(8002, kPo, kGizmo, 1);
  world().AddShipment(
      {9000, kPo, kStore, kAcme, "completed", {{8002, kGizmo, 1}, {kPoLine, kWidget, 4}}},
      {9101, 9100});
  world().AddShipment({9001, kPo, kStore, kAcme, "open", {}}, {});
  Begin();
  const Shipment s = FOUND(store().GetShipment(9000));
  EXPECT_EQ(std::make_tuple(s.id, s.po_id, s.store_id, s.vendor_id, s.status),
            std::make_tuple(Id{9000}, kPo, kStore, kAcme, std::string("completed")));
  ASSERT_EQ(s.lines.size(), 2u);
  EXPECT_EQ(std::make_tuple(s.lines[0].po_line_id, s.lines[0].product_id, s.lines[0].quantity),
            std::make_tuple(kPoLine, kWidget, Qty{4}));
  EXPECT_EQ(std::make_tuple(s.lines[1].po_line_id, s.lines[1].product_id, s.lines[1].quantity),
            std::make_tuple(Id{8002}, kGizmo, Qty{1}));
  const Shipment open = FOUND(store().GetShipment(9001));
  EXPECT_EQ(open.status, "open");
  EXPECT_TRUE(open.lines.empty());
  EXPECT_FALSE(OK(store().GetShipment(1)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, UnappliedShipmentsOfPoAreItsCompletedOnesNotInTheLedgerInIdOrder) {
  AddPo(7001, kStore, kAcme, "open", Ts("2026-11-02"));
  for (const auto& [id, po, status] :
       {std::make_tuple(9003, kPo, "completed"), std::make_tuple(9000, kPo, "completed"),
        std::make_tuple(9001, kPo, "open"), std::make_tuple(9002, kPo, "completed"),
        std::make_tuple(9004, Id{7001}, "completed")}) {
    world().AddShipment({id, po, kStore, kAcme, status, {}}, {});
  }
  SeedArrival(ArrivalKind::kShipment, 9002, kWidget, 1);
  SeedArrival(ArrivalKind::kTransfer, 9000, kWidget, 1);  // a transfer with the same id
  Begin();
  EXPECT_EQ(OK(store().UnappliedShipmentsOfPo(kPo)), (std::vector<Id>{9000, 9003}));
  EXPECT_EQ(OK(store().UnappliedShipmentsOfPo(7001)), (std::vector<Id>{9004}));
  EXPECT_TRUE(OK(store().UnappliedShipmentsOfPo(1)).empty());
  store().Rollback();
}

// --- Special orders ---

TEST_P(HostStoreTest, AnInsertedSpecialOrderReadsBackEveryColumn) {
  SpecialOrder s = NewSo(kLine);
  s.status = SoStatus::kOrdered;
  s.source = SoSource::kVendor;
  s.vendor_id = kAcme;
  s.po_id = kPo;
  s.po_line_id = kPoLine;
  s.ordered_at = Ts("2026-11-29 21:00:00.000001");
  Begin();
  s.id = OK(store().InsertSpecialOrder(s));
  EXPECT_GT(s.id, 0);
  EXPECT_EQ(Fields(FOUND(store().LockSpecialOrder(s.id))), Fields(s));
  EXPECT_EQ(Fields(FOUND(store().LockSpecialOrderByLine(kLine))), Fields(s));
  EXPECT_FALSE(OK(store().LockSpecialOrder(s.id + 100)).has_value());
  EXPECT_FALSE(OK(store().LockSpecialOrderByLine(kLine2)).has_value());
  Commit();
}

TEST_P(HostStoreTest, UpdateSpecialOrderWritesEveryMutableColumn) {
  AddTransfer(9200, "shipped");
  SpecialOrder s = Seed(NewSo(kLine));
  s.quantity = 4;
  s.allocated_qty = 1;
  s.status = SoStatus::kArrived;
  s.source = SoSource::kTransfer;
  s.vendor_id = kAcme;
  s.po_id = kPo;
  s.po_line_id = kPoLine;
  s.transfer_id = 9200;
  s.ordered_at = Ts("2026-11-29 21:00:00.000001");
  s.arrived_at = Ts("2026-11-30 09:30:00.5");
  s.ready_at = Ts("2026-11-30 10:00:00");
  s.completed_at = Ts("2026-12-01 10:00:00");
  s.cancelled_at = Ts("2026-12-02 10:00:00");
  s.updated_at = Ts("2026-12-02 10:00:00.999999");
  Begin();
  ASSERT_OK(store().UpdateSpecialOrder(s));
  ASSERT_OK(store().UpdateSpecialOrder(s));  // the same values again still find the row
  EXPECT_EQ(Fields(FOUND(store().LockSpecialOrder(s.id))), Fields(s));
  // ... and back to NULLs.
  s.source.reset();
  s.vendor_id.reset();
  s.po_id.reset();
  s.po_line_id.reset();
  s.transfer_id.reset();
  s.ordered_at.reset();
  s.arrived_at.reset();
  s.ready_at.reset();
  s.completed_at.reset();
  s.cancelled_at.reset();
  s.status = SoStatus::kRequest;
  ASSERT_OK(store().UpdateSpecialOrder(s));
  EXPECT_EQ(Fields(FOUND(store().LockSpecialOrder(s.id))), Fields(s));
  Commit();
}

TEST_P(HostStoreTest, UpdateSpecialOrderLeavesTheColumnsFixedAtInsertAlone) {
  const SpecialOrder inserted = Seed(NewSo(kLine));
  SpecialOrder moved = inserted;
  moved.store_id = kStore2;
  moved.order_id = kOrder2;
  moved.order_line_id = kLine2;
  moved.customer_id = kAda + 1;
  moved.product_id = kGizmo;
  moved.requested_at = Ts("2027-01-01");
  moved.quantity = 5;
  Begin();
  ASSERT_OK(store().UpdateSpecialOrder(moved));
  SpecialOrder expected = inserted;
  expected.quantity = 5;
  EXPECT_EQ(Fields(FOUND(store().LockSpecialOrder(inserted.id))), Fields(expected));
  EXPECT_FALSE(OK(store().LockSpecialOrderByLine(kLine2)).has_value());
  Commit();
}

TEST_P(HostStoreTest, UpdateSpecialOrderOfAMissingRowIsAPermanentError) {
  SpecialOrder ghost = NewSo(kLine);
  ghost.id = 4242;
  Begin();
  EXPECT_TRUE(Permanent(store().UpdateSpecialOrder(ghost), kNoRow));
  EXPECT_FALSE(OK(store().LockSpecialOrder(4242)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, ASecondSpecialOrderForTheSameLineIsAPermanentError) {
  Begin();
  const Id first = OK(store().InsertSpecialOrder(NewSo(kLine)));
  SpecialOrder again = NewSo(kLine);
  again.quantity = 1;
  EXPECT_TRUE(Permanent(store().InsertSpecialOrder(again), kDuplicateKey));
  // The transaction goes on with the first one.
  EXPECT_EQ(FOUND(store().LockSpecialOrderByLine(kLine)).id, first);
  EXPECT_EQ(OK(store().LockSpecialOrdersOfOrder(kOrder)).size(), 1u);
  Commit();
}

TEST_P(HostStoreTest, ASpecialOrderNamingRowsThatDoNotExistIsAPermanentError) {
  Begin();
  EXPECT_TRUE(Permanent(store().InsertSpecialOrder(NewSo(6999)), kNoReferencedRow));
  SpecialOrder no_po = NewSo(kLine);
  no_po.po_id = 7999;
  EXPECT_TRUE(Permanent(store().InsertSpecialOrder(no_po), kNoReferencedRow));
  SpecialOrder no_store = NewSo(kLine);
  no_store.store_id = kNoStore;
  EXPECT_TRUE(Permanent(store().InsertSpecialOrder(no_store), kNoReferencedRow));
  SpecialOrder negative = NewSo(kLine);
  negative.quantity = -1;
  EXPECT_TRUE(Permanent(store().InsertSpecialOrder(negative), kCheckFailed));

  SpecialOrder s = NewSo(kLine);
  s.id = OK(store().InsertSpecialOrder(s));
  SpecialOrder no_transfer = s;
  no_transfer.transfer_id = 9999;
  EXPECT_TRUE(Permanent(store().UpdateSpecialOrder(no_transfer), kNoReferencedRow));
  SpecialOrder no_vendor = s;
  no_vendor.vendor_id = kNoVendor;
  EXPECT_TRUE(Permanent(store().UpdateSpecialOrder(no_vendor), kNoReferencedRow));
  SpecialOrder below_zero = s;
  below_zero.allocated_qty = -1;
  EXPECT_TRUE(Permanent(store().UpdateSpecialOrder(below_zero), kCheckFailed));
  EXPECT_EQ(Fields(FOUND(store().LockSpecialOrder(s.id))), Fields(s));
  Commit();
}

TEST_P(HostStoreTest, LockSpecialOrdersOfOrderTakesEveryStatusInIdOrder) {
  SpecialOrder cancelled = NewSo(kGadgetLine, kOrder, kGadget);
  cancelled.status = SoStatus::kCancelled;
  cancelled = Seed(cancelled);  // first: the lowest id, on the highest line
  SpecialOrder completed = NewSo(kGizmoLine, kOrder, kGizmo);
  completed.status = SoStatus::kCompleted;
  completed = Seed(completed);
  const SpecialOrder other_order = Seed(NewSo(kLine2, kOrder2));
  const SpecialOrder request = Seed(NewSo(kLine));
  Begin();
  const auto of_order = OK(store().LockSpecialOrdersOfOrder(kOrder));
  EXPECT_EQ(Ids(of_order), (std::vector<Id>{cancelled.id, completed.id, request.id}));
  ASSERT_EQ(of_order.size(), 3u);
  EXPECT_EQ(Fields(of_order[1]), Fields(completed));
  EXPECT_EQ(Ids(OK(store().LockSpecialOrdersOfOrder(kOrder2))), (std::vector<Id>{other_order.id}));
  EXPECT_TRUE(OK(store().LockSpecialOrdersOfOrder(1)).empty());
  store().Rollback();
}

TEST_P(HostStoreTest, LockSpecialOrdersOnPoLinesTakesThoseStillWaitingForGoods) {
  AddPoLine(8002, kPo, kGizmo, 1);
  const auto on = [&](Id line, Id order, Id product, Id po_line, SoStatus status) {
    SpecialOrder s = NewSo(line, order, product);
    s.status = status;
    s.source = SoSource::kVendor;
    s.po_id = kPo;
    s.po_line_id = po_line;
    return Seed(s);
  };
  const SpecialOrder a = on(kLine2, kOrder2, kWidget, kPoLineB, SoStatus::kOrdered);
  const SpecialOrder b = on(kLine, kOrder, kWidget, kPoLine, SoStatus::kArrived);
  on(kGizmoLine, kOrder, kGizmo, 8002, SoStatus::kCompleted);
  on(kGadgetLine, kOrder, kGadget, kPoLine, SoStatus::kCancelled);
  AddLine(6010, kOrder2, kWidget, 3);
  SpecialOrder on_the_shelf =
      NewSo(6010, kOrder2, kWidget);  // allocated in full: waits for nothing
  on_the_shelf.status = SoStatus::kReady;
  on_the_shelf.allocated_qty = on_the_shelf.quantity;
  on_the_shelf.source = SoSource::kVendor;
  on_the_shelf.po_id = kPo;
  on_the_shelf.po_line_id = kPoLine;
  Seed(on_the_shelf);
  Begin();
  // Three ids in any order, one of them twice: in special order id order.
  const auto both = OK(store().LockSpecialOrdersOnPoLines({8002, kPoLine, kPoLineB, kPoLine}));
  EXPECT_EQ(Ids(both), (std::vector<Id>{a.id, b.id}));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(Fields(both[1]), Fields(b));
  EXPECT_EQ(Ids(OK(store().LockSpecialOrdersOnPoLines({kPoLineB}))), (std::vector<Id>{a.id}));
  EXPECT_TRUE(OK(store().LockSpecialOrdersOnPoLines({8002})).empty());
  EXPECT_TRUE(OK(store().LockSpecialOrdersOnPoLines({})).empty());
  EXPECT_TRUE(OK(store().LockSpecialOrdersOnPoLines({1, 2, 3, 4, 5})).empty());
  store().Rollback();
}

TEST_P(HostStoreTest, LockSpecialOrdersOnPoTakesAnyOfItsLinesStillWaitingForGoods) {
  AddPo(7001, kStore, kAcme, "open", Ts("2026-11-02"));
  AddPoLine(8002, 7001, kGizmo, 1);
  const auto on = [&](Id line, Id order, Id product, Id po, Id po_line, SoStatus status) {
    SpecialOrder s = NewSo(line, order, product);
    s.status = status;
    s.source = SoSource::kVendor;
    s.po_id = po;
    s.po_line_id = po_line;
    return Seed(s);
  };
  const SpecialOrder on_b = on(kLine, kOrder, kWidget, kPo, kPoLineB, SoStatus::kOrdered);
  const SpecialOrder on_a = on(kLine2, kOrder2, kWidget, kPo, kPoLine, SoStatus::kReady);
  on(kGadgetLine, kOrder, kGadget, kPo, kPoLine, SoStatus::kCancelled);
  const SpecialOrder other = on(kGizmoLine, kOrder, kGizmo, 7001, 8002, SoStatus::kOrdered);
  AddLine(6010, kOrder2, kWidget, 3);
  SpecialOrder in_progress = NewSo(6010, kOrder2, kWidget);  // allocated in full
  in_progress.status = SoStatus::kInProgress;
  in_progress.allocated_qty = in_progress.quantity;
  in_progress.source = SoSource::kVendor;
  in_progress.po_id = kPo;
  in_progress.po_line_id = kPoLineB;
  Seed(in_progress);
  Begin();
  const auto on_po = OK(store().LockSpecialOrdersOnPo(kPo));
  EXPECT_EQ(Ids(on_po), (std::vector<Id>{on_b.id, on_a.id}));
  ASSERT_EQ(on_po.size(), 2u);
  EXPECT_EQ(Fields(on_po[1]), Fields(on_a));
  EXPECT_EQ(Ids(OK(store().LockSpecialOrdersOnPo(7001))), (std::vector<Id>{other.id}));
  EXPECT_TRUE(OK(store().LockSpecialOrdersOnPo(7002)).empty());
  store().Rollback();
}

TEST_P(HostStoreTest, LockSpecialOrdersOnTransferTakesThoseStillWaitingForGoods) {
  AddTransfer(9200, "shipped");
  AddTransfer(9201, "requested");
  const auto on = [&](Id line, Id order, Id product, Id transfer, SoStatus status) {
    SpecialOrder s = NewSo(line, order, product);
    s.status = status;
    s.source = SoSource::kTransfer;
    s.transfer_id = transfer;
    return Seed(s);
  };
  const SpecialOrder arrived = on(kLine, kOrder, kWidget, 9200, SoStatus::kArrived);
  on(kGizmoLine, kOrder, kGizmo, 9200, SoStatus::kCompleted);
  on(kGadgetLine, kOrder, kGadget, 9200, SoStatus::kCancelled);
  const SpecialOrder ordered = on(kLine2, kOrder2, kWidget, 9200, SoStatus::kOrdered);
  AddLine(6010, kOrder2, kWidget, 3);
  SpecialOrder ready = NewSo(6010, kOrder2, kWidget);  // allocated in full
  ready.status = SoStatus::kReady;
  ready.allocated_qty = ready.quantity;
  ready.source = SoSource::kTransfer;
  ready.transfer_id = 9200;
  Seed(ready);
  Begin();
  const auto on_transfer = OK(store().LockSpecialOrdersOnTransfer(9200));
  EXPECT_EQ(Ids(on_transfer), (std::vector<Id>{arrived.id, ordered.id}));
  ASSERT_EQ(on_transfer.size(), 2u);
  EXPECT_EQ(Fields(on_transfer[0]), Fields(arrived));
  EXPECT_TRUE(OK(store().LockSpecialOrdersOnTransfer(9201)).empty());
  EXPECT_TRUE(OK(store().LockSpecialOrdersOnTransfer(1)).empty());
  store().Rollback();
}

TEST_P(HostStoreTest, LockWaitingSpecialOrdersAreTheLiveOnesOfTheStoreAndProductStillShort) {
  for (Id line = 6004; line <= 6009; ++line) AddLine(line, kOrder2, kWidget, 3);
  const auto with = [&](Id line, SoStatus status, Qty allocated, Id store_id = kStore) {
    SpecialOrder s = NewSo(line, kOrder2);
    s.status = status;
    s.allocated_qty = allocated;
    s.store_id = store_id;
    return Seed(s);
  };
  const SpecialOrder nothing_yet = with(6004, SoStatus::kOrdered, 0);
  with(6005, SoStatus::kReady, 3);  // fully allocated
  const SpecialOrder partly = with(6006, SoStatus::kInProgress, 1);
  with(6007, SoStatus::kCancelled, 0);
  with(6008, SoStatus::kCompleted, 1);  // picked up short: waits for nothing
  const SpecialOrder elsewhere = with(6009, SoStatus::kOrdered, 0, kStore2);
  const SpecialOrder request = with(kLine, SoStatus::kRequest, 0);  // waits too
  Seed(NewSo(kGizmoLine, kOrder, kGizmo));                          // another product
  Begin();
  const auto waiting = OK(store().LockWaitingSpecialOrders(kStore, kWidget));
  EXPECT_EQ(Ids(waiting), (std::vector<Id>{nothing_yet.id, partly.id, request.id}));
  ASSERT_EQ(waiting.size(), 3u);
  EXPECT_EQ(Fields(waiting[1]), Fields(partly));
  EXPECT_EQ(Ids(OK(store().LockWaitingSpecialOrders(kStore2, kWidget))),
            (std::vector<Id>{elsewhere.id}));
  EXPECT_TRUE(OK(store().LockWaitingSpecialOrders(kStore2, kGizmo)).empty());
  store().Rollback();
}

// --- Order lines and orders ---

TEST_P(HostStoreTest, UpdateOrderLineWritesItsStatusAndQuantitiesOnly) {
  Begin();
  // The POS's columns in the value are not written.
  const OrderLine update{kLine, kOrder2, kGizmo, 9, 9, LineStatus::kBackordered, 1, 2};
  ASSERT_OK(store().UpdateOrderLine(update));
  ASSERT_OK(store().UpdateOrderLine(update));  // the same values again still find the row
  Commit();
  Begin();
  EXPECT_EQ(Fields(FOUND(store().LockOrderLine(kLine))),
            Fields(OrderLine{kLine, kOrder, kWidget, 3, 3, LineStatus::kBackordered, 1, 2}));
  store().Rollback();
}

TEST_P(HostStoreTest, UpdateOrderLineOfAMissingLineOrBelowZeroIsAPermanentError) {
  Begin();
  EXPECT_TRUE(Permanent(
      store().UpdateOrderLine({6999, kOrder, kWidget, 1, 1, LineStatus::kCommitted, 1, 0}),
      kNoRow));
  EXPECT_TRUE(Permanent(
      store().UpdateOrderLine({kLine, kOrder, kWidget, 3, 3, LineStatus::kBackordered, -1, 3}),
      kCheckFailed));
  EXPECT_TRUE(Permanent(
      store().UpdateOrderLine({kLine, kOrder, kWidget, 3, 3, LineStatus::kBackordered, 0, -1}),
      kCheckFailed));
  EXPECT_EQ(FOUND(store().LockOrderLine(kLine)).status, LineStatus::kOpen);
  store().Rollback();
}

TEST_P(HostStoreTest, SetHasSpecialOrderRaisesAndLowersTheRedStar) {
  Begin();
  ASSERT_OK(store().SetHasSpecialOrder(kOrder, true, Ts("2026-11-29 08:00:00")));
  ASSERT_OK(store().SetHasSpecialOrder(kOrder, true, Ts("2026-11-29 09:00:00")));
  EXPECT_TRUE(FOUND(store().LockOrder(kOrder)).has_special_order);
  EXPECT_FALSE(FOUND(store().LockOrder(kOrder2)).has_special_order);
  Commit();
  Begin();
  EXPECT_TRUE(FOUND(store().LockOrder(kOrder)).has_special_order);
  ASSERT_OK(store().SetHasSpecialOrder(kOrder, false, Ts("2026-11-30")));
  EXPECT_FALSE(FOUND(store().LockOrder(kOrder)).has_special_order);
  EXPECT_TRUE(Permanent(store().SetHasSpecialOrder(1, true, Ts("2026-11-30")), kNoRow));
  Commit();
}

// --- Stock ---

TEST_P(HostStoreTest, AddToStockCreatesAMissingRowWithNothingOnHand) {
  Begin();
  ASSERT_OK(store().AddToStock(kStore2, kGizmo, 0, 4));
  ASSERT_OK(store().AddToStock(kStore3, kGizmo, 0, 0));  // a row of zeros is a row too
  EXPECT_EQ(Fields(OK(store().LockStock(kStore2, kGizmo))),
            Fields(StockRow{kStore2, kGizmo, 0, 0, 4}));
  Commit();
  Begin();
  const auto rows = OK(store().GetStockOfProduct(kGizmo));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(Fields(rows[1]), Fields(StockRow{kStore2, kGizmo, 0, 0, 4}));
  EXPECT_EQ(Fields(rows[2]), Fields(StockRow{kStore3, kGizmo, 0, 0, 0}));
  store().Rollback();
}

TEST_P(HostStoreTest, AddToStockAddsToAnExistingRowAndLeavesOnHandAlone) {
  Begin();
  ASSERT_OK(store().AddToStock(kStore, kWidget, 1, -1));
  ASSERT_OK(store().AddToStock(kStore, kWidget, 0, 0));
  ASSERT_OK(store().AddToStock(kStore, kWidget, -3, 2));
  Commit();
  Begin();
  EXPECT_EQ(Fields(OK(store().LockStock(kStore, kWidget))),
            Fields(StockRow{kStore, kWidget, 5, 0, 4}));
  store().Rollback();
}

TEST_P(HostStoreTest, AddToStockBelowZeroIsAPermanentErrorAndChangesNothing) {
  Begin();
  EXPECT_TRUE(Permanent(store().AddToStock(kStore, kGizmo, -1, 0), kCheckFailed));
  // Neither delta is applied when one would go below zero.
  EXPECT_TRUE(Permanent(store().AddToStock(kStore, kWidget, -3, 1), kCheckFailed));
  EXPECT_TRUE(Permanent(store().AddToStock(kStore, kWidget, 1, -4), kCheckFailed));
  EXPECT_EQ(Fields(OK(store().LockStock(kStore, kWidget))),
            Fields(StockRow{kStore, kWidget, 5, 2, 3}));
  // The transaction goes on: down to zero is fine.
  ASSERT_OK(store().AddToStock(kStore, kWidget, -2, -3));
  Commit();
  Begin();
  EXPECT_EQ(Fields(OK(store().LockStock(kStore, kWidget))),
            Fields(StockRow{kStore, kWidget, 5, 0, 0}));
  EXPECT_EQ(Fields(OK(store().LockStock(kStore, kGizmo))),
            Fields(StockRow{kStore, kGizmo, 1, 0, 0}));
  store().Rollback();
}

TEST_P(HostStoreTest, AddToStockTakingFromAMissingRowIsAPermanentErrorAndCreatesNone) {
  Begin();
  EXPECT_TRUE(Permanent(store().AddToStock(kStore2, kGadget, 0, -1), kNoRow));
  EXPECT_TRUE(Permanent(store().AddToStock(kStore2, kGadget, 1, -1), kNoRow));
  EXPECT_TRUE(Permanent(store().AddToStock(kStore2, kGadget, -1, 0), kNoRow));
  EXPECT_TRUE(OK(store().GetStockOfProduct(kGadget)).empty());
  Commit();
}

TEST_P(HostStoreTest, AddToStockOfAStoreOrProductThatDoesNotExistIsAPermanentError) {
  Begin();
  EXPECT_TRUE(Permanent(store().AddToStock(kNoStore, kWidget, 0, 1), kNoReferencedRow));
  EXPECT_TRUE(Permanent(store().AddToStock(kStore, kNoProduct, 0, 1), kNoReferencedRow));
  EXPECT_EQ(OK(store().GetStockOfProduct(kWidget)).size(), 1u);
  EXPECT_TRUE(OK(store().GetStockOfProduct(kNoProduct)).empty());
  store().Rollback();
}

// --- Purchase orders ---

TEST_P(HostStoreTest, LockPoReadsEveryColumnOrNullopt) {
  Begin();
  EXPECT_EQ(Fields(FOUND(store().LockPo(kPo))),
            Fields(PurchaseOrder{kPo, kStore, kAcme, "draft", Ts("2026-11-01 09:00:00")}));
  EXPECT_FALSE(OK(store().LockPo(1)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, LockNewestPoTakesTheLatestCreatedThenTheHighestIdAmongTheStatuses) {
  AddPo(7001, kStore, kAcme, "open", Ts("2026-11-02 09:00:00"));
  AddPo(7002, kStore, kAcme, "draft", Ts("2026-11-02 09:00:00"));
  AddPo(7003, kStore, kAcme, "closed", Ts("2026-11-05 09:00:00"));
  AddPo(7004, kStore2, kAcme, "draft", Ts("2026-11-06 09:00:00"));
  AddPo(7005, kStore, kInitech, "draft", Ts("2026-11-07 09:00:00"));
  AddPo(7006, kStore, kAcme, "draft", Ts("2026-11-01 08:00:00"));  // a higher id, but older
  const auto newest = [&](Id store_id, Id vendor_id, std::vector<std::string> statuses) {
    const auto po = OK(store().LockNewestPo(store_id, vendor_id, statuses));
    return po ? po->id : Id{0};
  };
  Begin();
  // 7001 (open) and 7002 (draft) share created_at: the higher id wins.
  EXPECT_EQ(newest(kStore, kAcme, {"draft", "open"}), 7002);
  EXPECT_EQ(Fields(FOUND(store().LockNewestPo(kStore, kAcme, {"draft"}))),
            Fields(PurchaseOrder{7002, kStore, kAcme, "draft", Ts("2026-11-02 09:00:00")}));
  EXPECT_EQ(newest(kStore, kAcme, {"open"}), 7001);
  EXPECT_EQ(newest(kStore, kAcme, {"closed", "received", "cancelled", "open", "draft"}), 7003);
  EXPECT_EQ(newest(kStore2, kAcme, {"draft"}), 7004);
  EXPECT_EQ(newest(kStore, kInitech, {"draft", "draft"}), 7005);
  EXPECT_EQ(newest(kStore, kAcme, {"cancelled"}), 0);
  EXPECT_EQ(newest(kStore, kGlobex, {"draft"}), 0);
  EXPECT_EQ(newest(kStore, kAcme, {}), 0);
  store().Rollback();
}

TEST_P(HostStoreTest, LockPoLineTakesTheLowestIdOfTheProductsLinesOnThePo) {
  AddPoLine(7999, kPo, kWidget, 9);  // the lowest id, added last
  AddPo(7001, kStore, kAcme, "open", Ts("2026-11-02"));
  AddPoLine(7998, 7001, kWidget, 1);  // lower still, but on another PO
  Begin();
  EXPECT_EQ(Fields(FOUND(store().LockPoLine(kPo, kWidget))),
            Fields(PoLine{7999, kPo, kWidget, 9, 0, "12.3400"}));
  EXPECT_FALSE(OK(store().LockPoLine(kPo, kGizmo)).has_value());
  EXPECT_FALSE(OK(store().LockPoLine(1, kWidget)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, AnInsertedPoAndItsLineReadBack) {
  const PurchaseOrder fresh{0, kStore2, kInitech, "draft", Ts("2026-11-29 20:16:16.5")};
  Begin();
  const Id po_id = OK(store().InsertPo(fresh, "special-ordersd"));
  EXPECT_EQ(Fields(FOUND(store().LockPo(po_id))),
            Fields(PurchaseOrder{po_id, kStore2, kInitech, "draft", fresh.created_at}));
  EXPECT_EQ(FOUND(store().LockNewestPo(kStore2, kInitech, {"draft"})).id, po_id);
  const Id line_id = OK(store().InsertPoLine({0, po_id, kGizmo, 12, 1, "7.2500"}));
  EXPECT_EQ(Fields(FOUND(store().LockPoLine(po_id, kGizmo))),
            Fields(PoLine{line_id, po_id, kGizmo, 12, 1, "7.2500"}));
  ASSERT_OK(store().SetPoLineQuantity(line_id, 24));
  ASSERT_OK(store().SetPoLineQuantity(line_id, 24));  // the same value again still finds the row
  Commit();
  Begin();
  EXPECT_EQ(FOUND(store().LockPoLine(po_id, kGizmo)).quantity_ordered, 24);
  store().Rollback();
}

// purchase_order_lines.unit_cost is DECIMAL(12,4): the text reads back as the column keeps it.
TEST_P(HostStoreTest, APoLinesCostReadsBackAsTheDecimalColumnKeepsIt) {
  const std::vector<std::pair<std::string, std::string>> costs = {
      {"7.25", "7.2500"},    {"3", "3.0000"},       {".5", "0.5000"},
      {"7.12345", "7.1235"}, {"0.00005", "0.0001"}, {"99999999.99994", "99999999.9999"}};
  Begin();
  for (const auto& [given, kept] : costs) {
    const Id po_id = OK(store().InsertPo({0, kStore, kAcme, "draft", Ts("2026-11-29")}, "d"));
    ASSERT_TRUE(store().InsertPoLine({0, po_id, kWidget, 1, 0, given}).ok()) << given;
    EXPECT_EQ(FOUND(store().LockPoLine(po_id, kWidget)).unit_cost, kept) << given;
  }
  store().Rollback();
}

TEST_P(HostStoreTest, PoRowsTheSchemaRefusesArePermanentErrors) {
  Begin();
  const auto line = [](Qty ordered, std::string cost, Id po = kPo, Id product = kWidget) {
    return PoLine{0, po, product, ordered, 0, std::move(cost)};
  };
  EXPECT_TRUE(Permanent(store().InsertPoLine(line(1, "")), kNotNull));  // no cost is no zero
  EXPECT_TRUE(Permanent(store().InsertPoLine(line(1, "abc")), kBadValue));
  EXPECT_TRUE(Permanent(store().InsertPoLine(line(1, "99999999.99995")), kOutOfRange));
  EXPECT_TRUE(Permanent(store().InsertPoLine(line(1, "-1")), kCheckFailed));
  EXPECT_TRUE(Permanent(store().InsertPoLine(line(-1, "1")), kCheckFailed));
  EXPECT_TRUE(Permanent(store().InsertPoLine(line(1, "1", 7999)), kNoReferencedRow));
  EXPECT_TRUE(Permanent(store().InsertPoLine(line(1, "1", kPo, kNoProduct)), kNoReferencedRow));
  const auto po = [](Id store_id, Id vendor_id, std::string status) {
    return PurchaseOrder{0, store_id, vendor_id, std::move(status), Ts("2026-11-29")};
  };
  EXPECT_TRUE(Permanent(store().InsertPo(po(kNoStore, kAcme, "draft"), "d"), kNoReferencedRow));
  EXPECT_TRUE(Permanent(store().InsertPo(po(kStore, kNoVendor, "draft"), "d"), kNoReferencedRow));
  EXPECT_TRUE(Permanent(store().InsertPo(po(kStore, kAcme, "sent"), "d"), kCheckFailed));
  EXPECT_TRUE(Permanent(store().SetPoLineQuantity(7999, 1), kNoRow));
  EXPECT_TRUE(Permanent(store().SetPoLineQuantity(kPoLine, -1), kCheckFailed));
  EXPECT_EQ(Fields(FOUND(store().LockPoLine(kPo, kWidget))),
            Fields(PoLine{kPoLine, kPo, kWidget, 5, 0, "12.3400"}));
  EXPECT_EQ(FOUND(store().LockNewestPo(kStore, kAcme, {"draft", "sent"})).id, kPo);
  store().Rollback();
}

// --- Store transfers ---

TEST_P(HostStoreTest, AnInsertedTransferIsRequestedAndReadsBackWithItsLines) {
  const SpecialOrder so = Seed(NewSo(kLine));
  StoreTransfer t;
  t.id = 77;             // ignored
  t.status = "shipped";  // ignored: the daemon only requests
  t.from_store_id = kStore2;
  t.to_store_id = kStore;
  t.created_at = Ts("2026-11-29 20:16:16.000007");
  t.lines.push_back(StoreTransferLine{1, 1, kGizmo, 9, std::nullopt});  // ignored
  Begin();
  const Id transfer_id = OK(store().InsertTransfer(t, "special-ordersd"));
  EXPECT_NE(transfer_id, 77);
  StoreTransferLine with_so{0, transfer_id, kWidget, 3, so.id};
  StoreTransferLine without_so{0, transfer_id, kGizmo, 1, std::nullopt};
  with_so.id = OK(store().InsertTransferLine(with_so));
  without_so.id = OK(store().InsertTransferLine(without_so));
  EXPECT_GT(without_so.id, with_so.id);
  const StoreTransfer read = FOUND(store().GetTransfer(transfer_id));
  EXPECT_EQ(
      std::make_tuple(read.id, read.from_store_id, read.to_store_id, read.status, read.created_at),
      std::make_tuple(transfer_id, kStore2, kStore, std::string("requested"), t.created_at));
  ASSERT_EQ(read.lines.size(), 2u);
  EXPECT_EQ(Fields(read.lines[0]), Fields(with_so));
  EXPECT_EQ(Fields(read.lines[1]), Fields(without_so));
  const Id empty_id = OK(store().InsertTransfer(t, "special-ordersd"));
  EXPECT_TRUE(FOUND(store().GetTransfer(empty_id)).lines.empty());
  Commit();
}

TEST_P(HostStoreTest, GetTransferReadsItsLinesInIdOrderNotInTheOrderWritten) {
  AddTransfer(9200, "received",
              {{9301, 9200, kGizmo, 1, std::nullopt}, {9300, 9200, kWidget, 4, std::nullopt}});
  Begin();
  const StoreTransfer t = FOUND(store().GetTransfer(9200));
  EXPECT_EQ(std::make_tuple(t.from_store_id, t.to_store_id, t.status, t.created_at),
            std::make_tuple(kStore2, kStore, std::string("received"), Ts("2026-11-03 09:00:00.5")));
  ASSERT_EQ(t.lines.size(), 2u);
  EXPECT_EQ(Fields(t.lines[0]), Fields(StoreTransferLine{9300, 9200, kWidget, 4, std::nullopt}));
  EXPECT_EQ(t.lines[1].id, 9301);
  // A line added later with a higher id comes last.
  const Id added = OK(store().InsertTransferLine({0, 9200, kWidget, 1, std::nullopt}));
  EXPECT_EQ(FOUND(store().GetTransfer(9200)).lines.back().id, added);
  EXPECT_FALSE(OK(store().GetTransfer(1)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, TransferRowsTheSchemaRefusesArePermanentErrors) {
  Begin();
  const auto transfer = [](Id from, Id to) {
    return StoreTransfer{0, from, to, "requested", Ts("2026-11-29"), {}};
  };
  EXPECT_TRUE(Permanent(store().InsertTransfer(transfer(kStore, kStore), "d"), kCheckFailed));
  EXPECT_TRUE(Permanent(store().InsertTransfer(transfer(kNoStore, kStore), "d"), kNoReferencedRow));
  EXPECT_TRUE(
      Permanent(store().InsertTransfer(transfer(kStore2, kNoStore), "d"), kNoReferencedRow));
  const Id id = OK(store().InsertTransfer(transfer(kStore2, kStore), "d"));
  EXPECT_TRUE(Permanent(store().InsertTransferLine({0, id, kWidget, 0, std::nullopt}),
                        kCheckFailed));  // quantity > 0
  EXPECT_TRUE(Permanent(store().InsertTransferLine({0, id + 100, kWidget, 1, std::nullopt}),
                        kNoReferencedRow));
  EXPECT_TRUE(Permanent(store().InsertTransferLine({0, id, kNoProduct, 1, std::nullopt}),
                        kNoReferencedRow));
  EXPECT_TRUE(Permanent(store().InsertTransferLine({0, id, kWidget, 1, 4242}), kNoReferencedRow));
  EXPECT_TRUE(FOUND(store().GetTransfer(id)).lines.empty());
  store().Rollback();
}

// --- Pickups ---

TEST_P(HostStoreTest, PickedQtyReadsZeroUntilSetThenTheLastValueSet) {
  Begin();
  EXPECT_EQ(OK(store().LockPickedQty(42)), 0);
  ASSERT_OK(store().SetPickedQty(42, 2));
  EXPECT_EQ(OK(store().LockPickedQty(42)), 2);
  ASSERT_OK(store().SetPickedQty(42, 3));
  ASSERT_OK(store().SetPickedQty(43, 0));
  EXPECT_TRUE(Permanent(store().SetPickedQty(42, -1), kCheckFailed));
  Commit();
  Begin();
  EXPECT_EQ(OK(store().LockPickedQty(42)), 3);
  EXPECT_EQ(OK(store().LockPickedQty(43)), 0);
  store().Rollback();
}

// --- The clock per special order ---

TEST_P(HostStoreTest, SoClockReadsNulloptUntilPutThenEveryColumnAsPut) {
  Begin();
  EXPECT_FALSE(OK(store().LockSoClock(42)).has_value());
  const SoClock full = FullClock(42);
  ASSERT_OK(store().PutSoClock(full));
  EXPECT_EQ(Fields(FOUND(store().LockSoClock(42))), Fields(full));
  // Every column is overwritten, with NULL too: reminders without a promise.
  SoClock reminders_only;
  reminders_only.special_order_id = 43;
  reminders_only.reminded_days = 7;
  reminders_only.reminded_ready_at = Ts("2026-12-02 08:00:00");
  ASSERT_OK(store().PutSoClock(FullClock(43)));
  ASSERT_OK(store().PutSoClock(reminders_only));
  SoClock transfer = full;
  transfer.promise_seq = 3;
  transfer.basis = PromiseBasis::kTransferDays;
  transfer.overdue_seq = std::nullopt;
  ASSERT_OK(store().PutSoClock(transfer));
  SoClock long_rule = full;
  long_rule.rule = std::string(129, 'r');
  EXPECT_TRUE(Permanent(store().PutSoClock(long_rule), kDataTooLong));
  Commit();
  Begin();
  EXPECT_EQ(Fields(FOUND(store().LockSoClock(42))), Fields(transfer));
  EXPECT_EQ(Fields(FOUND(store().LockSoClock(43))), Fields(reminders_only));
  EXPECT_FALSE(OK(store().LockSoClock(44)).has_value());
  store().Rollback();
}

TEST_P(HostStoreTest, PoSentAtKeepsTheFirstTimeSet) {
  const Timestamp first = Ts("2026-12-03 09:00:00.5");
  Begin();
  EXPECT_FALSE(OK(store().GetPoSentAt(kPo)).has_value());
  ASSERT_OK(store().SetPoSentAt(kPo, first));
  ASSERT_OK(store().SetPoSentAt(kPo, Ts("2026-12-04 09:00:00")));
  EXPECT_EQ(OK(store().GetPoSentAt(kPo)), first);
  Commit();
  Begin();
  WriteSet w;
  w.po_sent = {{kPo, Ts("2026-12-05")}, {7001, Ts("2026-12-05")}};
  ASSERT_OK(store().ApplyWrites(w));
  Commit();
  Begin();
  EXPECT_EQ(OK(store().GetPoSentAt(kPo)), first);
  EXPECT_EQ(OK(store().GetPoSentAt(7001)), Ts("2026-12-05"));
  store().Rollback();
}

// --- The arrival ledger ---

TEST_P(HostStoreTest, ArrivalLinesComeInProductOrderForOneKindAndArrival) {
  Begin();
  const ArrivalLine gizmo{ArrivalKind::kShipment, 9000, kGizmo, kStore, 1, 0};
  const ArrivalLine widget{ArrivalKind::kShipment, 9000, kWidget, kStore, 4, 2};
  const ArrivalLine transfer{ArrivalKind::kTransfer, 9000, kWidget, kStore2, 2, 2};
  for (const ArrivalLine& l : {gizmo, transfer, widget}) ASSERT_OK(store().PutArrivalLine(l));
  ASSERT_OK(store().PutArrivalLine({ArrivalKind::kShipment, 9001, kWidget, kStore, 1, 0}));
  Commit();
  Begin();
  const auto lines = OK(store().LockArrivalLines(ArrivalKind::kShipment, 9000));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Fields(lines[0]), Fields(widget));
  EXPECT_EQ(Fields(lines[1]), Fields(gizmo));
  const auto of_transfer = OK(store().LockArrivalLines(ArrivalKind::kTransfer, 9000));
  ASSERT_EQ(of_transfer.size(), 1u);
  EXPECT_EQ(Fields(of_transfer[0]), Fields(transfer));
  EXPECT_TRUE(OK(store().LockArrivalLines(ArrivalKind::kTransfer, 9001)).empty());
  store().Rollback();
}

TEST_P(HostStoreTest, PutArrivalLineOverwritesTheQuantitiesAndKeepsTheStore) {
  Begin();
  ASSERT_OK(store().PutArrivalLine({ArrivalKind::kShipment, 9000, kWidget, kStore, 4, 0}));
  ASSERT_OK(store().PutArrivalLine({ArrivalKind::kShipment, 9000, kWidget, kStore2, 5, 3}));
  Commit();
  Begin();
  const auto lines = OK(store().LockArrivalLines(ArrivalKind::kShipment, 9000));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Fields(lines[0]),
            Fields(ArrivalLine{ArrivalKind::kShipment, 9000, kWidget, kStore, 5, 3}));
  store().Rollback();
}

TEST_P(HostStoreTest, AnArrivalLineAllocatingMoreThanItBroughtOrBelowZeroIsAPermanentError) {
  const ArrivalLine line{ArrivalKind::kTransfer, 9200, kWidget, kStore, 4, 1};
  Begin();
  ASSERT_OK(store().PutArrivalLine(line));
  ArrivalLine over = line;
  over.allocated_qty = 5;
  EXPECT_TRUE(Permanent(store().PutArrivalLine(over), kCheckFailed));
  ArrivalLine below = line;
  below.allocated_qty = -1;
  EXPECT_TRUE(Permanent(store().PutArrivalLine(below), kCheckFailed));
  ArrivalLine new_over = line;
  new_over.product_id = kGizmo;
  new_over.allocated_qty = 5;
  EXPECT_TRUE(Permanent(store().PutArrivalLine(new_over), kCheckFailed));
  const auto lines = OK(store().LockArrivalLines(ArrivalKind::kTransfer, 9200));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Fields(lines[0]), Fields(line));
  Commit();
}

// --- The audit trail ---

TEST_P(HostStoreTest, TheAuditTrailKeepsEveryEntryInTheOrderWritten) {
  const AuditEntry first{"m-1",
                         42,
                         "vendor.pick",
                         "attached_to_po",
                         "PO 7000 \xF0\x9F\x93\xA6 line 8000",
                         Ts("2026-11-29 20:16:16.000001")};
  const AuditEntry second{"m-1", std::nullopt, "contract", "refused", "", Ts("2026-11-29")};
  const AuditEntry third{"m-0", 7, "contract", "created", "tab\there", Ts("2026-11-28")};
  Begin();
  for (const AuditEntry& e : {first, second, third}) ASSERT_OK(store().InsertAudit(e));
  Commit();
  const auto trail = world().Audit();
  ASSERT_EQ(trail.size(), 3u);
  EXPECT_EQ(Fields(trail[0]), Fields(first));
  EXPECT_EQ(Fields(trail[1]), Fields(second));
  EXPECT_EQ(Fields(trail[2]), Fields(third));
}

// sod_audit: message_id VARCHAR(64), rule VARCHAR(128), decision VARCHAR(64).
TEST_P(HostStoreTest, AnAuditEntryLongerThanItsColumnsIsAPermanentError) {
  const auto entry = [](size_t id_chars, size_t rule_chars, size_t decision_chars) {
    return AuditEntry{std::string(id_chars, 'm'),       std::nullopt, std::string(rule_chars, 'r'),
                      std::string(decision_chars, 'd'), "",           Ts("2026-11-29")};
  };
  Begin();
  ASSERT_OK(store().InsertAudit(entry(64, 128, 64)));
  EXPECT_TRUE(Permanent(store().InsertAudit(entry(65, 1, 1)), kDataTooLong));
  EXPECT_TRUE(Permanent(store().InsertAudit(entry(1, 129, 1)), kDataTooLong));
  EXPECT_TRUE(Permanent(store().InsertAudit(entry(1, 1, 65)), kDataTooLong));
  Commit();
  EXPECT_EQ(world().Audit().size(), 1u);
}

// --- Catch-up: FindPendingFacts ---

TEST_P(HostStoreTest, PendingFactsListUnrequestedLinesOfOpenOrdersInLineOrder) {
  AddOrder(5002, "cancelled", Ts("2026-11-02"));
  AddOrder(5003, "completed", Ts("2026-11-02"));
  AddLine(6004, 5002, kWidget, 1);
  AddLine(6005, 5003, kWidget, 1);
  SpecialOrder cancelled = NewSo(kGizmoLine, kOrder, kGizmo);
  cancelled.status = SoStatus::kCancelled;
  Seed(cancelled);  // a line with a special order has been requested, whatever became of it
  const PendingFacts f = OK(store().FindPendingFacts(10, StoreScope{}));
  ASSERT_EQ(f.unrequested_lines.size(), 2u);  // not the line of 0 units either
  const auto fields = [](const PendingFacts::UnrequestedLine& l) {
    return std::make_tuple(l.order_id, l.line_id, l.product_id, l.ordered_at);
  };
  EXPECT_EQ(fields(f.unrequested_lines[0]),
            std::make_tuple(kOrder, kLine, kWidget, Ts("2026-11-01 10:00:00")));
  EXPECT_EQ(fields(f.unrequested_lines[1]),
            std::make_tuple(kOrder2, kLine2, kWidget, Ts("2026-11-01 11:00:00")));
  EXPECT_TRUE(f.changed_lines.empty());
  EXPECT_TRUE(f.cancelled_orders.empty());
  EXPECT_TRUE(f.completed_orders.empty());
}

TEST_P(HostStoreTest, PendingFactsListLinesWhoseQuantityDiffersFromTheirLiveSpecialOrder) {
  SpecialOrder raised = NewSo(kLine2, kOrder2);  // wants 3, the line says 1; the lowest id
  raised.updated_at = Ts("2026-11-29 08:00:00.25");
  raised = Seed(raised);
  Seed(NewSo(kLine));  // 3 and 3
  SpecialOrder done = NewSo(kGizmoLine, kOrder, kGizmo);
  done.status = SoStatus::kCompleted;
  Seed(done);
  const SpecialOrder zeroed = Seed(NewSo(kGadgetLine, kOrder, kGadget));  // the line says 0
  const PendingFacts f = OK(store().FindPendingFacts(10, StoreScope{}));
  EXPECT_TRUE(f.unrequested_lines.empty());
  ASSERT_EQ(f.changed_lines.size(), 2u);
  const auto fields = [](const PendingFacts::ChangedLine& l) {
    return std::make_tuple(l.order_id, l.line_id, l.special_order_qty, l.special_order_updated_at);
  };
  // In special order id order, not line order.
  EXPECT_EQ(fields(f.changed_lines[0]),
            std::make_tuple(kOrder2, kLine2, Qty{1}, Ts("2026-11-29 08:00:00.25")));
  EXPECT_EQ(fields(f.changed_lines[1]),
            std::make_tuple(kOrder, kGadgetLine, Qty{0}, zeroed.updated_at));
}

TEST_P(HostStoreTest, PendingFactsListCancelledAndCompletedOrdersWithLiveSpecialOrders) {
  for (const auto& [order, status, line, so_status] :
       {std::make_tuple(5002, "cancelled", 6004, SoStatus::kOrdered),
        std::make_tuple(5003, "completed", 6005, SoStatus::kReady),
        std::make_tuple(5004, "cancelled", 6006, SoStatus::kCancelled),
        std::make_tuple(5005, "completed", 6007, SoStatus::kCompleted)}) {
    AddOrder(order, status, Ts("2026-11-02"));
    AddLine(line, order, kWidget, 3);
    SpecialOrder s = NewSo(line, order);
    s.status = so_status;
    Seed(s);
  }
  Seed(NewSo(kLine));  // an open order's
  const PendingFacts f = OK(store().FindPendingFacts(10, StoreScope{}));
  EXPECT_EQ(f.cancelled_orders, (std::vector<Id>{5002}));
  EXPECT_EQ(f.completed_orders, (std::vector<Id>{5003}));
}

TEST_P(HostStoreTest, PendingFactsListCompletedShipmentsForWaitingSpecialOrdersNotInTheLedger) {
  AddPo(7001, kStore, kAcme, "open", Ts("2026-11-02"));
  AddPoLine(8002, 7001, kWidget, 1);
  SpecialOrder waiting = NewSo(kLine);
  waiting.status = SoStatus::kOrdered;
  waiting.source = SoSource::kVendor;
  waiting.po_id = kPo;
  waiting.po_line_id = kPoLine;
  Seed(waiting);
  SpecialOrder served = NewSo(kLine2, kOrder2);  // on the other PO, allocated in full
  served.status = SoStatus::kReady;
  served.allocated_qty = 3;
  served.source = SoSource::kVendor;
  served.po_id = 7001;
  served.po_line_id = 8002;
  Seed(served);
  for (const auto& [id, po, status] :
       {std::make_tuple(9002, kPo, "completed"), std::make_tuple(9000, kPo, "completed"),
        std::make_tuple(9001, kPo, "open"), std::make_tuple(9003, Id{7001}, "completed")}) {
    world().AddShipment({id, po, kStore, kAcme, status, {}}, {});
  }
  SeedArrival(ArrivalKind::kShipment, 9002, kWidget, 1);
  const PendingFacts f = OK(store().FindPendingFacts(10, StoreScope{}));
  EXPECT_EQ(f.shipments, (std::vector<Id>{9000}));
  EXPECT_TRUE(f.pos_gone_wrong.empty());
}

TEST_P(HostStoreTest, PendingFactsListReceivedTransfersForWaitingSpecialOrdersNotInTheLedger) {
  AddLine(6004, kOrder2, kWidget, 3);
  for (const auto& [transfer, status, line, order, so_status] :
       {std::make_tuple(9203, "received", kLine, kOrder, SoStatus::kOrdered),
        std::make_tuple(9200, "received", kLine2, kOrder2, SoStatus::kArrived),
        std::make_tuple(9201, "shipped", kGizmoLine, kOrder, SoStatus::kOrdered),
        std::make_tuple(9202, "received", kGadgetLine, kOrder, SoStatus::kCancelled),
        std::make_tuple(9204, "received", Id{6004}, kOrder2, SoStatus::kOrdered)}) {
    AddTransfer(transfer, status);
    SpecialOrder s = NewSo(line, order);
    s.status = so_status;
    s.source = SoSource::kTransfer;
    s.transfer_id = transfer;
    Seed(s);
  }
  SeedArrival(ArrivalKind::kTransfer, 9204, kWidget, 3);
  const PendingFacts f = OK(store().FindPendingFacts(10, StoreScope{}));
  EXPECT_EQ(f.transfers, (std::vector<Id>{9200, 9203}));
}

TEST_P(HostStoreTest, PendingFactsListPosGoneWrongWithSpecialOrdersNotArrivedYet) {
  for (Id line = 6004; line <= 6008; ++line) AddLine(line, kOrder2, kWidget, 3);
  for (const auto& [po, status, line, so_status, allocated] :
       {std::make_tuple(7001, "cancelled", 6004, SoStatus::kOrdered, 0),
        std::make_tuple(7002, "closed", 6005, SoStatus::kArrived, 0),
        std::make_tuple(7003, "received", 6006, SoStatus::kInProgress, 1),
        std::make_tuple(7004, "draft", 6007, SoStatus::kOrdered, 0),
        std::make_tuple(7005, "closed", 6008, SoStatus::kReady, 3)}) {
    AddPo(po, kStore, kAcme, status, Ts("2026-11-02"));
    SpecialOrder s = NewSo(line, kOrder2);
    s.status = so_status;
    s.allocated_qty = allocated;
    s.source = SoSource::kVendor;
    s.po_id = po;
    Seed(s);
  }
  const PendingFacts f = OK(store().FindPendingFacts(10, StoreScope{}));
  ASSERT_EQ(f.pos_gone_wrong.size(), 2u);
  EXPECT_EQ(std::make_tuple(f.pos_gone_wrong[0].po_id, f.pos_gone_wrong[0].status),
            std::make_tuple(Id{7001}, std::string("cancelled")));
  EXPECT_EQ(std::make_tuple(f.pos_gone_wrong[1].po_id, f.pos_gone_wrong[1].status),
            std::make_tuple(Id{7003}, std::string("received")));
}

// A PO the POS sent while its message was lost: open or partly received, no sod_po_sent row, and
// a special order still waiting on it that was promised while it was a draft.
TEST_P(HostStoreTest, PendingFactsListSentPosWhoseSendingTheDaemonNeverSaw) {
  for (Id line = 6004; line <= 6010; ++line) AddLine(line, kOrder2, kWidget, 3);
  struct Case {
    Id po;
    const char* status;
    Id line;
    SoStatus so_status;
    PromiseBasis basis;
  };
  for (const Case& c : {
           Case{7106, "open", 6004, SoStatus::kOrdered, PromiseBasis::kVendorFromNow},  // listed
           Case{7101, "partially_received", 6005, SoStatus::kInProgress,
                PromiseBasis::kVendorFromNow},                                          // listed
           Case{7102, "draft", 6006, SoStatus::kOrdered, PromiseBasis::kVendorFromNow},
           Case{7103, "open", 6007, SoStatus::kOrdered, PromiseBasis::kVendorFromSent},
           Case{7104, "open", 6008, SoStatus::kArrived, PromiseBasis::kVendorFromNow},
           Case{7105, "open", 6009, SoStatus::kOrdered, PromiseBasis::kVendorFromNow},  // seen sent
           Case{7107, "closed", 6010, SoStatus::kOrdered, PromiseBasis::kVendorFromNow},
       }) {
    AddPo(c.po, kStore, kAcme, c.status, Ts("2026-11-02"));
    SpecialOrder s = NewSo(c.line, kOrder2);
    s.status = c.so_status;
    s.allocated_qty = c.so_status == SoStatus::kInProgress ? 1 : 0;
    s.source = SoSource::kVendor;
    s.po_id = c.po;
    const Id id = Seed(s).id;
    Begin();
    SoClock clock = FullClock(id);
    clock.basis = c.basis;
    ASSERT_OK(store().PutSoClock(clock));
    if (c.po == 7105) ASSERT_OK(store().SetPoSentAt(c.po, Ts("2026-11-03")));
    ASSERT_OK(store().Commit());
  }
  const PendingFacts f = OK(store().FindPendingFacts(10, StoreScope{}));
  ASSERT_EQ(f.sent_pos.size(), 2u);
  EXPECT_EQ(std::make_tuple(f.sent_pos[0].po_id, f.sent_pos[0].status),
            std::make_tuple(Id{7101}, std::string("partially_received")));
  EXPECT_EQ(std::make_tuple(f.sent_pos[1].po_id, f.sent_pos[1].status),
            std::make_tuple(Id{7106}, std::string("open")));
  EXPECT_EQ(OK(store().FindPendingFacts(1, StoreScope{})).sent_pos.size(), 1u);
  EXPECT_TRUE(OK(store().FindPendingFacts(10, StoreScope::Of({kStore + 1}))).sent_pos.empty());
}

// Cancelled and completed orders come from one query in the MySQL store and share its limit,
// which the port allows ("at most `limit` of each kind").
TEST_P(HostStoreTest, PendingFactsStopAtTheLimitOldestFirst) {
  for (const auto& [order, status, line] :
       {std::make_tuple(5003, "completed", 6005), std::make_tuple(5002, "cancelled", 6004)}) {
    AddOrder(order, status, Ts("2026-11-02"));
    AddLine(line, order, kWidget, 3);
    Seed(NewSo(line, order));
  }
  const PendingFacts f = OK(store().FindPendingFacts(1, StoreScope{}));
  ASSERT_EQ(f.unrequested_lines.size(), 1u);  // of kLine, kGizmoLine and kLine2
  EXPECT_EQ(f.unrequested_lines[0].line_id, kLine);
  EXPECT_EQ(f.cancelled_orders, (std::vector<Id>{5002}));
  EXPECT_TRUE(f.completed_orders.empty());
  const PendingFacts more = OK(store().FindPendingFacts(3, StoreScope{}));
  EXPECT_EQ(more.unrequested_lines.size(), 3u);
  EXPECT_EQ(more.cancelled_orders, (std::vector<Id>{5002}));
  EXPECT_EQ(more.completed_orders, (std::vector<Id>{5003}));
}

// A daemon that applies some stores only (config stores: / partition:) reads their facts only.
TEST_P(HostStoreTest, PendingFactsAreOfTheStoresInScopeOnly) {
  const Timestamp at = Ts("2026-11-02");
  AddOrder(5003, "cancelled", at);  // store 1's, with a live special order
  AddLine(6009, 5003, kWidget, 3);
  Seed(NewSo(6009, 5003));
  AddOrder(5102, "open", at, kStore2);
  AddOrder(5103, "cancelled", at, kStore2);
  AddLine(6102, 5102, kWidget, 2);  // not requested yet
  AddLine(6103, 5103, kWidget, 3);
  for (Id line = 6104; line <= 6106; ++line) AddLine(line, 5102, kWidget, 3);
  AddLine(6107, 5102, kWidget, 1);  // its special order wants 3
  AddPo(7102, kStore2, kAcme, "cancelled", at);
  AddPo(7103, kStore2, kAcme, "open", at);
  world().AddShipment({9102, 7103, kStore2, kAcme, "completed", {}}, {});
  world().AddTransfer({9302, kStore, kStore2, "received", at, {}});
  const auto seed = [&](Id line, Id order, SoStatus status, std::optional<Id> po,
                        std::optional<Id> transfer) {
    SpecialOrder s = NewSo(line, order);
    s.store_id = kStore2;
    s.status = status;
    s.po_id = po;
    s.transfer_id = transfer;
    if (po) s.source = SoSource::kVendor;
    if (transfer) s.source = SoSource::kTransfer;
    Seed(s);
  };
  seed(6103, 5103, SoStatus::kRequest, std::nullopt, std::nullopt);
  seed(6104, 5102, SoStatus::kOrdered, Id{7102}, std::nullopt);
  seed(6105, 5102, SoStatus::kOrdered, Id{7103}, std::nullopt);
  seed(6106, 5102, SoStatus::kOrdered, std::nullopt, Id{9302});
  seed(6107, 5102, SoStatus::kRequest, std::nullopt, std::nullopt);

  for (const StoreScope& scope : {StoreScope::Of({kStore2}), StoreScope::Partition(0, 2)}) {
    const PendingFacts f = OK(store().FindPendingFacts(10, scope));
    ASSERT_EQ(f.unrequested_lines.size(), 1u) << scope.ToString();
    EXPECT_EQ(f.unrequested_lines[0].line_id, 6102);
    ASSERT_EQ(f.changed_lines.size(), 1u) << scope.ToString();
    EXPECT_EQ(f.changed_lines[0].line_id, 6107);
    EXPECT_EQ(f.cancelled_orders, (std::vector<Id>{5103})) << scope.ToString();
    EXPECT_EQ(f.shipments, (std::vector<Id>{9102})) << scope.ToString();
    EXPECT_EQ(f.transfers, (std::vector<Id>{9302})) << scope.ToString();
    ASSERT_EQ(f.pos_gone_wrong.size(), 1u) << scope.ToString();
    EXPECT_EQ(f.pos_gone_wrong[0].po_id, 7102);
  }
  // Store 1's, and none of store 2's.
  const PendingFacts one = OK(store().FindPendingFacts(10, StoreScope::Partition(1, 2)));
  std::vector<Id> lines;
  for (const auto& l : one.unrequested_lines) lines.push_back(l.line_id);
  EXPECT_EQ(lines, (std::vector<Id>{kLine, kGizmoLine, kLine2}));
  EXPECT_TRUE(one.changed_lines.empty());
  EXPECT_EQ(one.cancelled_orders, (std::vector<Id>{5003}));
  EXPECT_TRUE(one.shipments.empty());
  EXPECT_TRUE(one.transfers.empty());
  EXPECT_TRUE(one.pos_gone_wrong.empty());
}

TEST_P(HostStoreTest, FindPendingFactsInsideATransactionIsAPermanentErrorAndKeepsIt) {
  Begin();
  ASSERT_OK(store().AddToStock(kStore2, kWidget, 0, 1));
  EXPECT_TRUE(Permanent(store().FindPendingFacts(10, StoreScope{}), kNoRow));
  EXPECT_EQ(OK(store().LockStock(kStore2, kWidget)).backordered, 1);
  store().Rollback();
  // Outside a transaction it runs in one of its own and leaves none open.
  EXPECT_EQ(OK(store().FindPendingFacts(10, StoreScope{})).unrequested_lines.size(), 3u);
  Begin();
  store().Rollback();
}

// --- Catch-up: FindClockCandidates ---

// The predicate (queries::ClockCandidate) row by row, the scope, and the keyset pages.
TEST_P(HostStoreTest, ClockCandidatesAreLateOrWaitingForPickupInIdOrderAndPageByKey) {
  const Timestamp day = Ts("2026-12-10");  // the bound of both kinds below
  Id next_line = 6100;
  AddOrder(5102, "open", Ts("2026-11-02"), kStore2);
  // A special order in `status`, `allocated` of 3, with a clock promising `expected` when set.
  const auto seed = [&](SoStatus status, Qty allocated, std::optional<Timestamp> expected,
                        std::optional<Timestamp> ready_at = std::nullopt, Id store_id = kStore) {
    const Id order = store_id == kStore ? kOrder : 5102;
    AddLine(next_line, order, kWidget, 3);
    SpecialOrder so = NewSo(next_line++, order);
    so.store_id = store_id;
    so.status = status;
    so.allocated_qty = allocated;
    so.ready_at = ready_at;
    so = Seed(so);
    if (expected) {
      SoClock c = FullClock(so.id);
      c.expected_on = expected;
      Begin();
      EXPECT_TRUE(store().PutSoClock(c).ok());
      Commit();
    }
    return so.id;
  };
  const Id late = seed(SoStatus::kOrdered, 0, Ts("2026-12-09"));
  seed(SoStatus::kOrdered, 0, day);  // due on the day itself: not before it
  const Id late_in_progress = seed(SoStatus::kInProgress, 1, Ts("2026-12-01"));
  seed(SoStatus::kInProgress, 3, Ts("2026-12-01"));  // waits for nothing
  seed(SoStatus::kArrived, 0, Ts("2026-12-01"));     // its goods came
  seed(SoStatus::kRequest, 0, Ts("2026-12-01"));     // not sourced (a stale promise)
  seed(SoStatus::kCancelled, 0, Ts("2026-12-01"));
  seed(SoStatus::kOrdered, 0, std::nullopt);  // never promised
  const Id ready = seed(SoStatus::kReady, 3, std::nullopt, Ts("2026-12-05 08:00:00"));
  const Id ready_on_the_bound = seed(SoStatus::kReady, 3, Ts("2026-11-01"), day);
  seed(SoStatus::kReady, 3, std::nullopt, Ts("2026-12-10 00:00:00.000001"));
  seed(SoStatus::kCompleted, 3, std::nullopt, Ts("2026-12-01"));
  const Id other_store = seed(SoStatus::kOrdered, 0, Ts("2026-12-01"), std::nullopt, kStore2);
  // Late, but its promise was published overdue already: nothing more to do for it.
  const Id reported = seed(SoStatus::kOrdered, 0, std::nullopt);
  SoClock reported_clock = FullClock(reported);
  reported_clock.expected_on = Ts("2026-12-01");
  reported_clock.overdue_seq = reported_clock.promise_seq;
  Begin();
  EXPECT_TRUE(store().PutSoClock(reported_clock).ok());
  Commit();

  const auto find = [&](ClockQuery q, const StoreScope& scope = StoreScope{}) {
    return OK(store().FindClockCandidates(q, scope));
  };
  const std::vector<ClockCandidate> all = find({day, day, 0, 100});
  EXPECT_EQ(SoIds(all),
            (std::vector<Id>{late, late_in_progress, ready, ready_on_the_bound, other_store}));
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(Fields(all[0].so), Fields(FOUND(store().LockSpecialOrder(late))));
  SoClock late_clock = FullClock(late);
  late_clock.expected_on = Ts("2026-12-09");
  ASSERT_TRUE(all[0].clock.has_value());
  EXPECT_EQ(Fields(*all[0].clock), Fields(late_clock));
  EXPECT_FALSE(all[2].clock.has_value());  // ready, never promised
  // The day compares as its midnight: a bound just after it takes the special order due then.
  EXPECT_EQ(SoIds(find({Ts("2026-12-10 00:00:00.000001"), std::nullopt, 0, 100})).size(), 4u);
  // A kind whose bound is empty is left out.
  EXPECT_EQ(SoIds(find({day, std::nullopt, 0, 100})),
            (std::vector<Id>{late, late_in_progress, other_store}));
  EXPECT_EQ(SoIds(find({std::nullopt, day, 0, 100})), (std::vector<Id>{ready, ready_on_the_bound}));
  EXPECT_TRUE(find({std::nullopt, std::nullopt, 0, 100}).empty());
  // Pages of two, each after the last id of the one before.
  EXPECT_EQ(SoIds(find({day, day, 0, 2})), (std::vector<Id>{late, late_in_progress}));
  EXPECT_EQ(SoIds(find({day, day, late_in_progress, 2})),
            (std::vector<Id>{ready, ready_on_the_bound}));
  EXPECT_EQ(SoIds(find({day, day, ready_on_the_bound, 2})), (std::vector<Id>{other_store}));
  EXPECT_TRUE(find({day, day, other_store, 2}).empty());
  // Of the stores in scope only.
  EXPECT_EQ(SoIds(find({day, day, 0, 100}, StoreScope::Of({kStore2}))),
            (std::vector<Id>{other_store}));
  EXPECT_EQ(SoIds(find({day, day, 0, 100}, StoreScope::Partition(1, 2))),
            (std::vector<Id>{late, late_in_progress, ready, ready_on_the_bound}));
  // Read in a transaction of its own, as FindPendingFacts().
  Begin();
  EXPECT_TRUE(Permanent(store().FindClockCandidates({day, day, 0, 100}, StoreScope{}), kNoRow));
  store().Rollback();
}

// --- Batches: the inbox of many messages, set-wise reads, a WriteSet ---

TEST_P(HostStoreTest, InboxClaimAllClaimsNewIdsAndTellsDuplicatesApart) {
  Begin();
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("m-2"))));
  Commit();
  // More than one statement's worth of rows, with duplicates here and there.
  std::vector<Envelope> envelopes;
  for (int i = 1; i <= 300; ++i) envelopes.push_back(NewEnvelope("m-" + std::to_string(i)));
  Begin();
  const std::vector<bool> first = OK(store().InboxClaimAll({envelopes[0], envelopes[2]}));
  EXPECT_EQ(first, (std::vector<bool>{true, true}));
  const std::vector<bool> claimed = OK(store().InboxClaimAll(envelopes));
  Commit();
  ASSERT_EQ(claimed.size(), 300u);
  for (int i = 1; i <= 300; ++i) {
    EXPECT_EQ(claimed[static_cast<size_t>(i - 1)], i > 3) << "m-" << i;
    EXPECT_EQ(world().Inbox("m-" + std::to_string(i)), (InboxRow{"applied", ""}));
  }
  EXPECT_TRUE(OK(store().InboxClaimAll({})).empty());
}

TEST_P(HostStoreTest, SetWiseReadsGiveTheRowsThatExistInKeyOrder) {
  const SpecialOrder a = Seed(NewSo(kLine2, kOrder2));
  const SpecialOrder b = Seed(NewSo(kLine));
  Begin();
  ASSERT_OK(store().SetPickedQty(b.id, 2));
  ASSERT_OK(store().PutSoClock(FullClock(b.id)));
  ASSERT_OK(store().PutSoClock(FullClock(a.id)));
  ASSERT_OK(store().PutArrivalLine({ArrivalKind::kShipment, 9001, kWidget, kStore, 3, 1}));
  Commit();
  Begin();
  EXPECT_EQ(Ids(OK(store().LockOrders({kOrder2, 1, kOrder, kOrder2}))),
            (std::vector<Id>{kOrder, kOrder2}));
  EXPECT_EQ(Ids(OK(store().LockOrderLines({kLine2, kLine, 1}))), (std::vector<Id>{kLine, kLine2}));
  EXPECT_EQ(Ids(OK(store().LockSpecialOrders({b.id, 1, a.id}))), (std::vector<Id>{a.id, b.id}));
  EXPECT_EQ(Ids(OK(store().LockSpecialOrdersByLines({kLine2, kLine, kGizmoLine}))),
            (std::vector<Id>{b.id, a.id}));  // by line: kLine < kLine2
  EXPECT_EQ(Ids(OK(store().LockSpecialOrdersOfOrders({kOrder2, kOrder}))),
            (std::vector<Id>{a.id, b.id}));
  const auto stock =
      OK(store().LockStocks({{kStore, kGizmo}, {kStore2, kWidget}, {kStore, kWidget}}));
  ASSERT_EQ(stock.size(), 2u);  // store 2 never stocked widgets
  EXPECT_EQ(std::make_pair(stock[0].product_id, stock[0].on_hand), std::make_pair(kWidget, 5L));
  EXPECT_EQ(std::make_pair(stock[1].product_id, stock[1].on_hand), std::make_pair(kGizmo, 1L));
  EXPECT_EQ(OK(store().LockPickedQtys({b.id, a.id})),
            (std::vector<std::pair<Id, Qty>>{{a.id, 0}, {b.id, 2}}));
  std::vector<Id> clocks;
  for (const SoClock& c : OK(store().LockSoClocks({b.id, 1, a.id, b.id}))) {
    clocks.push_back(c.special_order_id);
  }
  EXPECT_EQ(clocks, (std::vector<Id>{a.id, b.id}));
  EXPECT_TRUE(OK(store().LockSoClocks({})).empty());
  const auto arrivals = OK(
      store().LockArrivalLinesOf({{ArrivalKind::kTransfer, 9001}, {ArrivalKind::kShipment, 9001}}));
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0].allocated_qty, 1);
  EXPECT_EQ(Ids(OK(store().LockPos({kPo, 7999}))), (std::vector<Id>{kPo}));
  EXPECT_EQ(Ids(OK(store().LockPoLinesOfPos({kPo}))), (std::vector<Id>{kPoLine, kPoLineB}));
  EXPECT_EQ(Ids(OK(store().GetProducts({kGizmo, kNoProduct, kWidget}))),
            (std::vector<Id>{kWidget, kGizmo}));
  EXPECT_EQ(Ids(OK(store().GetVendors({kInitech, kAcme}))), (std::vector<Id>{kAcme, kInitech}));
  EXPECT_TRUE(OK(store().LockOrders({})).empty());
  EXPECT_TRUE(OK(store().LockStocks({})).empty());
  store().Rollback();
}

TEST_P(HostStoreTest, ApplyWritesWritesEveryKindOfRowOfABatch) {
  const SpecialOrder seeded = Seed(NewSo(kLine));
  Begin();
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("m-1"))));
  ASSERT_TRUE(OK(store().InboxClaim(NewEnvelope("m-2"))));
  WriteSet w;
  w.red_stars.push_back({kOrder, true, Ts("2026-11-30 08:00:00")});
  OrderLine line = FOUND(store().LockOrderLine(kLine));
  line.status = LineStatus::kCommitted;
  line.committed_qty = 3;
  line.backordered_qty = 0;
  w.order_lines.push_back(line);
  SpecialOrder so = seeded;
  so.status = SoStatus::kReady;
  so.allocated_qty = 3;
  so.ready_at = Ts("2026-11-30 08:00:00");
  w.special_orders.push_back(so);
  w.arrival_lines.push_back({ArrivalKind::kShipment, 9001, kWidget, kStore, 3, 3});
  w.stock.push_back({kStore, kWidget, 3, -3});  // the row is there: 2 committed, 3 backordered
  w.stock.push_back({kStore3, kGizmo, 0, 2});   // a row made for it
  w.po_lines.push_back({kPoLineB, 9});
  w.pickups.push_back({seeded.id, 1});
  w.clocks.push_back(FullClock(seeded.id));
  w.po_sent.push_back({kPo, Ts("2026-11-30 07:00:00")});
  for (int i = 0; i < 3; ++i) {
    w.audit.push_back({"m-1", seeded.id, "r", "d" + std::to_string(i), "x", Ts("2026-11-30")});
  }
  w.refusals.push_back({"m-2", "because"});
  ASSERT_OK(store().ApplyWrites(w));
  Commit();

  Begin();
  EXPECT_TRUE(FOUND(store().LockOrder(kOrder)).has_special_order);
  const OrderLine l = FOUND(store().LockOrderLine(kLine));
  EXPECT_EQ(std::make_tuple(l.status, l.committed_qty, l.backordered_qty, l.special_order_qty),
            std::make_tuple(LineStatus::kCommitted, 3L, 0L, 3L));
  EXPECT_EQ(Fields(FOUND(store().LockSpecialOrder(seeded.id))), Fields(so));
  EXPECT_EQ(OK(store().LockArrivalLines(ArrivalKind::kShipment, 9001)).at(0).allocated_qty, 3);
  const StockRow widgets = OK(store().LockStock(kStore, kWidget));
  EXPECT_EQ(std::make_tuple(widgets.on_hand, widgets.committed, widgets.backordered),
            std::make_tuple(5L, 5L, 0L));
  EXPECT_EQ(OK(store().LockStock(kStore3, kGizmo)).backordered, 2);
  const auto po_lines = OK(store().LockPoLinesOfPos({kPo}));
  ASSERT_EQ(Ids(po_lines), (std::vector<Id>{kPoLine, kPoLineB}));
  EXPECT_EQ(po_lines[1].quantity_ordered, 9);
  EXPECT_EQ(OK(store().LockPickedQty(seeded.id)), 1);
  EXPECT_EQ(Fields(FOUND(store().LockSoClock(seeded.id))), Fields(FullClock(seeded.id)));
  EXPECT_EQ(OK(store().GetPoSentAt(kPo)), Ts("2026-11-30 07:00:00"));
  store().Rollback();
  const auto audit = world().Audit();
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_EQ(audit[2].decision, "d2");  // in the order decided
  EXPECT_EQ(world().Inbox("m-2"), (InboxRow{"refused", "because"}));
  EXPECT_EQ(world().Inbox("m-1"), (InboxRow{"applied", ""}));
}

TEST_P(HostStoreTest, ApplyWritesOfManyRowsWritesThemAll) {
  // More rows than one statement takes, of every shape: updates by key, upserts, inserts.
  std::vector<SpecialOrder> seeded;
  for (Id line = 6100; line < 6100 + 150; ++line) {
    AddLine(line, kOrder2, kWidget, 3);
    seeded.push_back(Seed(NewSo(line, kOrder2)));
  }
  Begin();
  WriteSet w;
  for (SpecialOrder so : seeded) {
    so.status = SoStatus::kOrdered;
    so.quantity = 2;
    w.special_orders.push_back(so);
    w.pickups.push_back({so.id, 1});
    SoClock clock = FullClock(so.id);
    clock.days = static_cast<int>(so.id % 100);
    w.clocks.push_back(clock);
    w.po_sent.push_back({so.id, Ts("2026-11-30")});
    w.audit.push_back({"m", so.id, "r", "ordered", "", Ts("2026-11-30")});
    w.audit.push_back({"m", so.id, "r", "again", "", Ts("2026-11-30")});
  }
  ASSERT_OK(store().ApplyWrites(w));
  Commit();
  Begin();
  std::vector<Id> ids;
  for (const auto& so : seeded) ids.push_back(so.id);
  for (const auto& so : OK(store().LockSpecialOrders(ids))) {
    EXPECT_EQ(std::make_pair(so.status, so.quantity), std::make_pair(SoStatus::kOrdered, 2L));
  }
  for (const auto& [id, picked] : OK(store().LockPickedQtys(ids))) EXPECT_EQ(picked, 1);
  const std::vector<SoClock> clocks = OK(store().LockSoClocks(ids));
  ASSERT_EQ(clocks.size(), ids.size());
  for (const SoClock& c : clocks) EXPECT_EQ(c.days, c.special_order_id % 100);
  EXPECT_EQ(OK(store().GetPoSentAt(ids.back())), Ts("2026-11-30"));
  store().Rollback();
  EXPECT_EQ(world().Audit().size(), 300u);
}

TEST_P(HostStoreTest, ApplyWritesRefusesWhatTheSingleRowWritesRefuse) {
  const SpecialOrder seeded = Seed(NewSo(kLine));
  const auto refused = [&](WriteSet w, int code) {
    Begin();
    const Status s = store().ApplyWrites(w);
    store().Rollback();
    return Permanent(s, code);
  };
  WriteSet missing_so;
  SpecialOrder gone = seeded;
  gone.id = seeded.id + 1000;
  missing_so.special_orders.push_back(gone);
  EXPECT_TRUE(refused(missing_so, kNoRow));
  WriteSet missing_line;
  OrderLine no_line;
  no_line.id = 1;
  missing_line.order_lines.push_back(no_line);
  EXPECT_TRUE(refused(missing_line, kNoRow));
  WriteSet below_zero;
  below_zero.stock.push_back({kStore, kWidget, -3, 0});  // 2 committed
  EXPECT_TRUE(refused(below_zero, kCheckFailed));
  WriteSet no_stock_row;
  no_stock_row.stock.push_back({kStore2, kWidget, 0, -1});
  EXPECT_TRUE(refused(no_stock_row, kNoRow));
  WriteSet no_inbox_row;
  no_inbox_row.refusals.push_back({"m-never", "why"});
  EXPECT_TRUE(refused(no_inbox_row, kNoRow));
  // Nothing of them was written.
  Begin();
  EXPECT_EQ(OK(store().LockStock(kStore, kWidget)).committed, 2);
  EXPECT_EQ(Fields(FOUND(store().LockSpecialOrder(seeded.id))), Fields(seeded));
  store().Rollback();
}

INSTANTIATE_TEST_SUITE_P(Conformance, HostStoreTest, ::testing::Values(Impl::kFake, Impl::kMysql),
                         [](const ::testing::TestParamInfo<Impl>& param) {
                           return Name(param.param);
                         });

}  // namespace
}  // namespace so::testing
