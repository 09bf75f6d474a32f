// Every message type of CONTRACT section 3 end to end: the real daemon, real ZeroMQ and the
// private MariaDB. The POS simulator commits the POS's own writes before it publishes, every
// invariant of CONTRACT section 5 is checked after each message (DaemonTest::Send), and each test
// checks the rows and the events the daemon published.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.hpp"

namespace so::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// The demo catalogue (PosWorld::LoadDemoData).
constexpr Id kDowntown = 1, kHarbour = 2;
constexpr Id kAcme = 10, kBudget = 11;
constexpr Id kChair = 100, kDesk = 101, kGiftCard = 102;
constexpr Id kAda = 1;

constexpr const char* kOrderAtOnce = "version: 1\n";
constexpr const char* kWaitForBackOffice =
    "version: 1\n"
    "defaults:\n"
    "  on_request: wait\n";
constexpr const char* kDowntownAsksHarbour =
    "version: 1\n"
    "rules:\n"
    "  - name: downtown-asks-harbour\n"
    "    match: { stores: [1] }\n"
    "    transfer_from_stores: [2]\n";
constexpr const char* kDowntownAsksHarbourAndConfirms =
    "version: 1\n"
    "rules:\n"
    "  - name: downtown-asks-harbour\n"
    "    match: { stores: [1] }\n"
    "    transfer_from_stores: [2]\n"
    "    transfer_allocation: on_confirmation\n";
constexpr const char* kAllocateSurplus =
    "version: 1\n"
    "defaults:\n"
    "  allocate_surplus: true\n";

std::string S(int64_t v) { return std::to_string(v); }

class MessageTypesTest : public DaemonTest {
 protected:
  MessageTypesTest() : DaemonTest("msgtypes") {}

  // The clerk marks a line of a new order for Ada as special order; the POS publishes it.
  std::string Request(Id order, Id line, Qty qty, Id product = kChair, Id store = kDowntown) {
    world_.CreateOrderWithSpecialLine(order, line, store, kAda, product, qty);
    return Send(SpecialOrderRequested{order, line, store, kAda, product, qty, bus_->clock()});
  }
  // One more special-ordered line on an existing order.
  std::string RequestOnOrder(Id order, Id line, Qty qty, Id product) {
    world_.AddSpecialLine(order, line, product, qty);
    return Send(SpecialOrderRequested{order, line, kDowntown, kAda, product, qty, bus_->clock()});
  }
  std::string ChangeLine(Id order, Id line, Qty qty) {
    world_.ChangeSpecialOrderQty(line, qty);
    return Send(OrderLineChanged{order, line, qty});
  }
  // The POS sends the PO to the vendor.
  std::string OpenPo(Id po) {
    world_.SetPoStatus(po, "open");
    return Send(PoStatusChanged{po, "open", "draft"});
  }
  // The vendor shipment brings `qty` of the product for the PO's line.
  std::string Ship(Id shipment, Id po, Qty qty, Id product = kChair) {
    const auto lines = world_.CompleteShipment(shipment, po, {{world_.PoLineOf(po, product), qty}});
    const std::string of_po = " FROM purchase_orders WHERE id = " + S(po);
    return Send(ShipmentCompleted{shipment, po, Int("SELECT store_id" + of_po),
                                  Int("SELECT vendor_id" + of_po), lines});
  }

  // A column of the line's special order.
  int64_t OfSo(Id line, const std::string& column) {
    return Int("SELECT " + column + " FROM special_orders WHERE order_line_id = " + S(line));
  }
  Id SoOf(Id line) { return OfSo(line, "id"); }
  Id PoOf(Id line) { return OfSo(line, "po_id"); }
  Id TransferOf(Id line) { return OfSo(line, "transfer_id"); }
  // "<status> <allocated_qty>/<quantity>" of the line's special order.
  std::string SoState(Id line) {
    const std::string where = " WHERE order_line_id = " + S(line);
    return Str("SELECT CONCAT(status, ' ', allocated_qty, '/', quantity) FROM special_orders" +
               where);
  }
  // "<status>:<committed_qty>:<backordered_qty>" of the order line.
  std::string LineState(Id line) {
    const std::string from = " FROM customer_order_lines WHERE id = " + S(line);
    return Str("SELECT CONCAT(status, ':', committed_qty, ':', backordered_qty)" + from);
  }
  // "<on_hand> <committed> <backordered>", or "<none>" without a stock row.
  std::string StockOf(Id store, Id product) {
    const std::string where = " WHERE store_id = " + S(store) + " AND product_id = " + S(product);
    return Str("SELECT CONCAT(on_hand, ' ', committed, ' ', backordered) FROM stock" + where);
  }
  int64_t RedStar(Id order) {
    return Int("SELECT has_special_order FROM customer_orders WHERE id = " + S(order));
  }
  int64_t PoLineQty(Id po, Id product = kChair) {
    return Int("SELECT quantity_ordered FROM purchase_order_lines WHERE id = " +
               S(world_.PoLineOf(po, product)));
  }
  // "<outcome>: <detail>" of the message in the daemon's inbox.
  std::string Inbox(const std::string& id) {
    const std::string where = " WHERE message_id = '" + id + "'";
    return Str("SELECT CONCAT(outcome, ': ', detail) FROM sod_inbox" + where);
  }
  // The details of the message's decisions of that kind, in order, separated by " | ".
  std::string AuditOf(const std::string& id, const std::string& decision) {
    const std::string where = " WHERE message_id = '" + id + "' AND decision = '" + decision + "'";
    return Str("SELECT GROUP_CONCAT(detail ORDER BY id SEPARATOR ' | ') FROM sod_audit" + where);
  }
  // Every row the daemon writes in the POS tables and its own, as text (not the inbox and the
  // audit trail).
  std::string PosSide() {
    std::string out;
    for (const char* sql :
         {"SELECT * FROM special_orders ORDER BY id",
          "SELECT id, status, committed_qty, backordered_qty FROM customer_order_lines "
          "ORDER BY id",
          "SELECT id, has_special_order, updated_at FROM customer_orders ORDER BY id",
          "SELECT * FROM stock ORDER BY store_id, product_id",
          "SELECT * FROM purchase_orders ORDER BY id",
          "SELECT * FROM purchase_order_lines ORDER BY id",
          "SELECT * FROM store_transfers ORDER BY id",
          "SELECT * FROM store_transfer_lines ORDER BY id",
          "SELECT * FROM sod_arrival_lines ORDER BY kind, arrival_id, product_id",
          "SELECT * FROM sod_pickups ORDER BY special_order_id"}) {
      for (const auto& row : db_.Query(sql)) {
        for (const auto& cell : row) out += cell.value_or("NULL") + "\t";
        out += "\n";
      }
    }
    return out;
  }
};

// --- order.special_order_requested ---

TEST_F(MessageTypesTest, ProductNotAllowedForSpecialOrdersIsRejectedWithItsReason) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  const std::string id = Request(5001, 50011, 1, kGiftCard);
  EXPECT_EQ(Inbox(id), "refused: product GIFT-CARD may not be special-ordered");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM special_orders"), 0);
  EXPECT_EQ(LineState(50011), "open:0:0");
  EXPECT_EQ(RedStar(5001), 0);
  EXPECT_EQ(StockOf(kDowntown, kGiftCard), "<none>");
  const auto events = EventsOf(id);
  ASSERT_THAT(Types(events), ElementsAre("special_order.rejected"));
  const auto rejected = Only<RejectedEvent>(events).at(0);
  EXPECT_EQ(rejected.order_line_id, 50011);
  EXPECT_EQ(rejected.reason, "product GIFT-CARD may not be special-ordered");
}

TEST_F(MessageTypesTest, PositiveOpenStockIsRejectedUnderTheDefaultRules) {
  world_.LoadDemoData();
  world_.SetOnHand(kDowntown, kChair, 1);
  StartDaemon(kOrderAtOnce);
  const std::string id = Request(5001, 50011, 2);
  EXPECT_THAT(Inbox(id), AllOf(StartsWith("refused: "), HasSubstr("has 1 in open stock")));
  EXPECT_EQ(Int("SELECT COUNT(*) FROM special_orders"), 0);
  EXPECT_EQ(StockOf(kDowntown, kChair), "1 0 0");
  EXPECT_THAT(Types(EventsOf(id)), ElementsAre("special_order.rejected"));
}

// --- store transfers: by rule, by the Back Office, received, confirmed ---

TEST_F(MessageTypesTest, RuleSourcesByTransferAndTheReceivedTransferIsAllocated) {
  world_.LoadDemoData();
  world_.SetOnHand(kHarbour, kChair, 5);
  StartDaemon(kDowntownAsksHarbour);
  const std::string requested = Request(5001, 50011, 2);
  const Id so = SoOf(50011);
  const Id transfer = TransferOf(50011);
  EXPECT_EQ(Str("SELECT CONCAT(status, ' ', source, ' ', IFNULL(po_id, '-')) FROM special_orders"),
            "ordered transfer -");
  EXPECT_EQ(Str("SELECT CONCAT(from_store_id, '>', to_store_id, ' ', status, ' ', created_by) "
                "FROM store_transfers WHERE id = " +
                S(transfer)),
            "2>1 requested special-ordersd");
  EXPECT_EQ(Str("SELECT CONCAT(product_id, ' x', quantity, ' for ', special_order_id) FROM "
                "store_transfer_lines WHERE transfer_id = " +
                S(transfer)),
            "100 x2 for " + S(so));
  EXPECT_EQ(Int("SELECT COUNT(*) FROM purchase_orders"), 0);
  EXPECT_EQ(StockOf(kHarbour, kChair), "5 0 0");  // nothing reserved at the sending store
  EXPECT_EQ(StockOf(kDowntown, kChair), "0 0 2");
  EXPECT_THAT(AuditOf(requested, "requested_transfer"), HasSubstr("store 2 has 5 open"));
  auto events = EventsOf(requested);
  EXPECT_THAT(Types(events), ElementsAre("special_order.created", "transfer.requested",
                                         "special_order.status_changed", "special_order.promised"));
  EXPECT_EQ(Only<PromisedEvent>(events).at(0).basis, PromiseBasis::kTransferDays);
  const auto asked = Only<TransferRequestedEvent>(events).at(0);
  EXPECT_EQ(asked.transfer_id, transfer);
  EXPECT_EQ(asked.from_store_id, kHarbour);
  EXPECT_EQ(asked.to_store_id, kDowntown);
  ASSERT_EQ(asked.lines.size(), 1u);
  EXPECT_EQ(asked.lines[0].product_id, kChair);
  EXPECT_EQ(asked.lines[0].quantity, 2);
  EXPECT_EQ(Only<StatusChangedEvent>(events).at(0).rule, "downtown-asks-harbour");

  const std::string received = Send(world_.ReceiveTransfer(transfer, {{kChair, 2}}));
  EXPECT_EQ(Inbox(received), "applied: ");
  EXPECT_EQ(SoState(50011), "ready 2/2");
  EXPECT_EQ(LineState(50011), "committed:2:0");
  EXPECT_EQ(StockOf(kDowntown, kChair), "2 2 0");
  EXPECT_EQ(StockOf(kHarbour, kChair), "3 0 0");
  EXPECT_EQ(Str("SELECT CONCAT(kind, ' ', arrival_id, ' ', quantity, ' ', allocated_qty) FROM "
                "sod_arrival_lines"),
            "transfer " + S(transfer) + " 2 2");
  events = EventsOf(received);
  EXPECT_THAT(Types(events), ElementsAre("special_order.arrived", "special_order.status_changed",
                                         "special_order.status_changed"));
  const auto arrived = Only<ArrivedEvent>(events).at(0);
  EXPECT_EQ(arrived.kind, ArrivalKind::kTransfer);
  EXPECT_EQ(arrived.arrival_id, transfer);
  EXPECT_EQ(arrived.store_id, kDowntown);
  ASSERT_EQ(arrived.special_orders.size(), 1u);
  EXPECT_EQ(arrived.special_orders[0].special_order_id, so);
  EXPECT_EQ(arrived.special_orders[0].order_id, 5001);
  EXPECT_EQ(arrived.special_orders[0].quantity, 2);
  EXPECT_THAT(Moves(events),
              ElementsAre(S(so) + ": ordered -> arrived", S(so) + ": arrived -> ready"));
}

TEST_F(MessageTypesTest, TransferNotReceivedInTheDatabaseIsRefused) {
  world_.LoadDemoData();
  world_.SetOnHand(kHarbour, kChair, 5);
  StartDaemon(kDowntownAsksHarbour);
  Request(5001, 50011, 2);
  const Id transfer = TransferOf(50011);
  const std::string early = Send(TransferReceived{transfer, kHarbour, kDowntown, {{kChair, 2}}});
  EXPECT_EQ(Inbox(early),
            "refused: transfer " + S(transfer) + " is requested in the database, not received");
  const std::string unknown = Send(TransferReceived{999, kHarbour, kDowntown, {{kChair, 2}}});
  EXPECT_EQ(Inbox(unknown), "refused: transfer 999 does not exist");
  EXPECT_EQ(SoState(50011), "ordered 0/2");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_arrival_lines"), 0);
}

TEST_F(MessageTypesTest, BackOfficeTransferSendsTheGoodsFromTheChosenStore) {
  world_.LoadDemoData();
  world_.SetOnHand(kHarbour, kChair, 3);
  StartDaemon(kWaitForBackOffice);
  Request(5001, 50011, 2);
  const Id so = SoOf(50011);
  EXPECT_EQ(SoState(50011), "request 0/2");

  const std::string own = Send(BackofficeTransfer{so, kDowntown, "bo-user"});
  EXPECT_EQ(Inbox(own),
            "refused: a transfer needs another store than the special order's own store 1");
  EXPECT_THAT(EventsOf(own), IsEmpty());

  const std::string chosen = Send(BackofficeTransfer{so, kHarbour, "bo-user"});
  EXPECT_EQ(Inbox(chosen), "applied: ");
  const Id transfer = TransferOf(50011);
  EXPECT_EQ(Str("SELECT CONCAT(status, ' ', source) FROM special_orders"), "ordered transfer");
  EXPECT_EQ(Str("SELECT CONCAT(from_store_id, '>', to_store_id, ' ', status) FROM "
                "store_transfers WHERE id = " +
                S(transfer)),
            "2>1 requested");
  EXPECT_THAT(AuditOf(chosen, "requested_transfer"),
              HasSubstr("chosen by bo-user in the Back Office; store 2 has 3 open"));
  auto events = EventsOf(chosen);
  EXPECT_THAT(Types(events), ElementsAre("transfer.requested", "special_order.status_changed",
                                         "special_order.promised"));
  EXPECT_EQ(Only<TransferRequestedEvent>(events).at(0).from_store_id, kHarbour);
  EXPECT_THAT(Moves(events), ElementsAre(S(so) + ": request -> ordered"));

  const std::string again = Send(BackofficeTransfer{so, kHarbour, "bo-user"});
  EXPECT_THAT(Inbox(again), HasSubstr("only a special order in request can be transferred"));

  const std::string received = Send(world_.ReceiveTransfer(transfer, {{kChair, 2}}));
  EXPECT_EQ(SoState(50011), "ready 2/2");
  EXPECT_EQ(StockOf(kDowntown, kChair), "2 2 0");
  EXPECT_EQ(StockOf(kHarbour, kChair), "1 0 0");
  EXPECT_EQ(Only<ArrivedEvent>(EventsOf(received)).at(0).arrival_id, transfer);
}

TEST_F(MessageTypesTest, BackOfficeAllocatesAReceivedTransferOnConfirmation) {
  world_.LoadDemoData();
  world_.SetOnHand(kHarbour, kChair, 5);
  StartDaemon(kDowntownAsksHarbourAndConfirms);
  Request(5001, 50011, 2);
  const Id so = SoOf(50011);
  const Id transfer = TransferOf(50011);
  const std::string too_early =
      Send(BackofficeAllocate{std::nullopt, transfer, std::nullopt, "bo-user"});
  EXPECT_EQ(Inbox(too_early), "refused: transfer " + S(transfer) + " has not arrived yet");

  const std::string received = Send(world_.ReceiveTransfer(transfer, {{kChair, 2}}));
  EXPECT_EQ(SoState(50011), "arrived 0/2");
  EXPECT_EQ(LineState(50011), "backordered:0:2");
  EXPECT_EQ(StockOf(kDowntown, kChair), "2 0 2");
  EXPECT_THAT(AuditOf(received, "awaits_confirmation"), HasSubstr("waits for the Back Office"));
  auto events = EventsOf(received);
  EXPECT_THAT(Types(events), ElementsAre("special_order.arrived", "special_order.status_changed"));
  const auto arrived = Only<ArrivedEvent>(events).at(0);
  EXPECT_EQ(arrived.kind, ArrivalKind::kTransfer);
  EXPECT_EQ(arrived.arrival_id, transfer);
  EXPECT_EQ(arrived.special_orders.at(0).quantity, 2);

  const std::string stranger =
      Send(BackofficeAllocate{std::nullopt, transfer, std::vector<Id>{999}, "bo-user"});
  EXPECT_EQ(Inbox(stranger),
            "refused: special order 999 is not waiting for transfer " + S(transfer));
  EXPECT_EQ(StockOf(kDowntown, kChair), "2 0 2");

  const std::string confirmed =
      Send(BackofficeAllocate{std::nullopt, transfer, std::vector<Id>{so}, "bo-user"});
  EXPECT_EQ(Inbox(confirmed), "applied: ");
  EXPECT_EQ(SoState(50011), "ready 2/2");
  EXPECT_EQ(LineState(50011), "committed:2:0");
  EXPECT_EQ(StockOf(kDowntown, kChair), "2 2 0");
  EXPECT_EQ(Int("SELECT allocated_qty FROM sod_arrival_lines WHERE kind = 'transfer'"), 2);
  EXPECT_THAT(AuditOf(confirmed, "allocation_confirmed"),
              HasSubstr("by bo-user for transfer " + S(transfer)));
  EXPECT_THAT(Moves(EventsOf(confirmed)), ElementsAre(S(so) + ": arrived -> ready"));
}

// --- backoffice.special_order.order ---

TEST_F(MessageTypesTest, BackOfficeOrderTakesTheVendorThePoOrTheRulesChoice) {
  world_.LoadDemoData();
  StartDaemon(kWaitForBackOffice);
  Request(5001, 50011, 2);
  Request(5002, 50021, 1);
  Request(5003, 50031, 1);
  const Id first = SoOf(50011);

  const std::string vendor = Send(BackofficeOrder{first, kBudget, std::nullopt, "bo-user"});
  const Id po = PoOf(50011);
  EXPECT_EQ(Str("SELECT CONCAT(status, ' ', vendor_id) FROM special_orders WHERE id = " + S(first)),
            "ordered 11");
  EXPECT_EQ(Str("SELECT CONCAT(status, ' ', vendor_id, ' ', created_by) FROM purchase_orders "
                "WHERE id = " +
                S(po)),
            "draft 11 special-ordersd");
  EXPECT_EQ(Str("SELECT unit_cost FROM purchase_order_lines WHERE po_id = " + S(po)), "39.9000");
  auto events = EventsOf(vendor);
  EXPECT_THAT(Types(events), ElementsAre("purchase_order.created", "special_order.status_changed",
                                         "special_order.promised"));
  EXPECT_EQ(Only<PurchaseOrderEvent>(events).at(0).po_id, po);

  const std::string attach = Send(BackofficeOrder{SoOf(50021), std::nullopt, po, "bo-user"});
  EXPECT_EQ(PoOf(50021), po);
  EXPECT_EQ(PoLineQty(po), 3);
  EXPECT_THAT(AuditOf(attach, "attached_to_po"), HasSubstr("attached to draft PO " + S(po)));
  events = EventsOf(attach);
  ASSERT_THAT(Types(events), ElementsAre("purchase_order.line_added",
                                         "special_order.status_changed", "special_order.promised"));
  EXPECT_EQ(Only<PurchaseOrderEvent>(events).at(0).lines.at(0).quantity, 3);

  Send(BackofficeOrder{SoOf(50031), std::nullopt, std::nullopt, "bo-user"});
  EXPECT_EQ(Str("SELECT vendor_id FROM purchase_orders WHERE id = " + S(PoOf(50031))),
            S(kAcme));  // the rules: the primary vendor

  const std::string twice = Send(BackofficeOrder{first, kAcme, std::nullopt, "bo-user"});
  EXPECT_EQ(Inbox(twice), "refused: special order " + S(first) +
                              " is ordered; only a special order in request can be ordered");
  EXPECT_EQ(PoOf(50011), po);
}

// --- shipment.completed ---

TEST_F(MessageTypesTest, ShortShipmentLeavesTheRestBackorderedAndTheNextOneCompletesIt) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 5);
  const Id so = SoOf(50011);
  const Id po = PoOf(50011);
  OpenPo(po);

  const std::string short_one = Ship(9001, po, 2);
  EXPECT_EQ(SoState(50011), "in_progress 2/5");
  EXPECT_EQ(LineState(50011), "backordered:2:3");
  EXPECT_EQ(StockOf(kDowntown, kChair), "2 2 3");
  EXPECT_EQ(PoOf(50011), po);  // the rest still waits on the same PO line
  auto events = EventsOf(short_one);
  ASSERT_THAT(Types(events), ElementsAre("special_order.arrived", "special_order.status_changed",
                                         "special_order.status_changed"));
  EXPECT_EQ(Only<ArrivedEvent>(events).at(0).special_orders.at(0).quantity, 2);
  EXPECT_THAT(Moves(events),
              ElementsAre(S(so) + ": ordered -> arrived", S(so) + ": arrived -> in_progress"));

  const std::string rest = Ship(9002, po, 3);
  EXPECT_EQ(SoState(50011), "ready 5/5");
  EXPECT_EQ(LineState(50011), "committed:5:0");
  EXPECT_EQ(StockOf(kDowntown, kChair), "5 5 0");
  EXPECT_EQ(Int("SELECT quantity_received FROM purchase_order_lines WHERE po_id = " + S(po)), 5);
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(CONCAT(arrival_id, ':', allocated_qty, '/', quantity) "
                "ORDER BY arrival_id) FROM sod_arrival_lines"),
            "9001:2/2,9002:3/3");
  events = EventsOf(rest);
  EXPECT_EQ(Only<ArrivedEvent>(events).at(0).special_orders.at(0).quantity, 3);
  EXPECT_THAT(Moves(events), ElementsAre(S(so) + ": in_progress -> ready"));
}

TEST_F(MessageTypesTest, OverShipmentGoesToAnotherWaitingSpecialOrderWhenTheRuleSaysSo) {
  world_.LoadDemoData();
  StartDaemon(kAllocateSurplus);
  Request(5001, 50011, 2);
  const Id first_po = PoOf(50011);
  OpenPo(first_po);
  Request(5002, 50021, 4);  // the first PO is sent: a new draft PO for this one
  const Id second_po = PoOf(50021);
  ASSERT_NE(second_po, first_po);
  const Id first = SoOf(50011), second = SoOf(50021);

  const std::string over = Ship(9001, first_po, 5);
  EXPECT_EQ(SoState(50011), "ready 2/2");
  EXPECT_EQ(SoState(50021), "in_progress 3/4");
  EXPECT_EQ(LineState(50021), "backordered:3:1");
  EXPECT_EQ(StockOf(kDowntown, kChair), "5 5 1");
  EXPECT_EQ(Int("SELECT allocated_qty FROM sod_arrival_lines WHERE arrival_id = 9001"), 5);
  EXPECT_EQ(PoOf(50021), second_po);  // still waits there for its last unit
  EXPECT_THAT(Str("SELECT detail FROM sod_audit WHERE decision = 'allocated' AND "
                  "special_order_id = " +
                  S(second)),
              HasSubstr("the surplus of shipment 9001"));
  const auto events = EventsOf(over);
  const auto arrived = Only<ArrivedEvent>(events).at(0);
  ASSERT_EQ(arrived.special_orders.size(), 1u);  // the pop-up lists the PO's own special orders
  EXPECT_EQ(arrived.special_orders[0].special_order_id, first);
  EXPECT_THAT(Moves(events),
              ElementsAre(S(first) + ": ordered -> arrived", S(first) + ": arrived -> ready",
                          S(second) + ": ordered -> in_progress"));
}

TEST_F(MessageTypesTest, OverShipmentSurplusStaysOpenStockByDefault) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 2);
  const Id first_po = PoOf(50011);
  OpenPo(first_po);
  Request(5002, 50021, 4);
  Ship(9001, first_po, 5);
  EXPECT_EQ(SoState(50011), "ready 2/2");
  EXPECT_EQ(SoState(50021), "ordered 0/4");
  EXPECT_EQ(StockOf(kDowntown, kChair), "5 2 4");  // 3 open
  EXPECT_EQ(Int("SELECT allocated_qty FROM sod_arrival_lines WHERE arrival_id = 9001"), 2);
}

TEST_F(MessageTypesTest, ShipmentNotCompletedInTheDatabaseIsRefused) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 2);
  const Id po = PoOf(50011);
  const std::string unknown = Send(
      ShipmentCompleted{9001, po, kDowntown, kAcme, {{world_.PoLineOf(po, kChair), kChair, 2}}});
  EXPECT_EQ(Inbox(unknown), "refused: shipment 9001 does not exist");
  EXPECT_EQ(SoState(50011), "ordered 0/2");
}

// --- po.status_changed ---

TEST_F(MessageTypesTest, CancelledPoSendsItsSpecialOrderToANewPo) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 2);
  const Id so = SoOf(50011);
  const Id cancelled_po = PoOf(50011);
  world_.SetPoStatus(cancelled_po, "cancelled");
  const std::string id = Send(PoStatusChanged{cancelled_po, "cancelled", "draft"});
  const Id new_po = PoOf(50011);
  EXPECT_NE(new_po, cancelled_po);
  EXPECT_EQ(SoState(50011), "ordered 0/2");
  EXPECT_EQ(
      Str("SELECT CONCAT(status, ' ', vendor_id) FROM purchase_orders WHERE id = " + S(new_po)),
      "draft 10");
  EXPECT_EQ(PoLineQty(new_po), 2);
  EXPECT_EQ(StockOf(kDowntown, kChair), "0 0 2");
  EXPECT_THAT(AuditOf(id, "back_to_request"), HasSubstr("PO " + S(cancelled_po) + " is cancelled"));
  const auto events = EventsOf(id);
  EXPECT_THAT(Types(events), ElementsAre("special_order.status_changed", "purchase_order.created",
                                         "special_order.status_changed", "special_order.promised"));
  EXPECT_EQ(Only<PurchaseOrderEvent>(events).at(0).po_id, new_po);
  EXPECT_THAT(Moves(events),
              ElementsAre(S(so) + ": ordered -> request", S(so) + ": request -> ordered"));

  const std::string unknown = Send(PoStatusChanged{999, "open", "draft"});
  EXPECT_EQ(Inbox(unknown), "refused: PO 999 does not exist");
}

// The POS receives a whole PO at once (shipment completed, PO received, both committed) and
// announces the PO's status first. The daemon applies the completed shipment it finds in the
// database before it looks for what still waits, so nothing is ordered twice.
TEST_F(MessageTypesTest, PoReceivedAnnouncedBeforeItsShipmentDoesNotOrderTheGoodsAgain) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 2);
  const Id po = PoOf(50011);
  OpenPo(po);
  const auto lines = world_.CompleteShipment(9001, po, {{world_.PoLineOf(po, kChair), 2}});
  world_.SetPoStatus(po, "received");
  Send(PoStatusChanged{po, "received", "open"});
  Send(ShipmentCompleted{9001, po, kDowntown, kAcme, lines});
  EXPECT_EQ(SoState(50011), "ready 2/2");
  EXPECT_EQ(PoOf(50011), po);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM purchase_orders"), 1);
  EXPECT_EQ(StockOf(kDowntown, kChair), "2 2 0");
}

// --- order.line_changed ---

TEST_F(MessageTypesTest, LineChangedUpGrowsTheDraftPoLineAndTheBackorder) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 2);
  const Id po = PoOf(50011);
  const std::string id = ChangeLine(5001, 50011, 5);
  EXPECT_EQ(SoState(50011), "ordered 0/5");
  EXPECT_EQ(LineState(50011), "backordered:0:5");
  EXPECT_EQ(StockOf(kDowntown, kChair), "0 0 5");
  EXPECT_EQ(PoOf(50011), po);
  EXPECT_EQ(PoLineQty(po), 5);
  const auto events = EventsOf(id);
  ASSERT_THAT(Types(events), ElementsAre("purchase_order.line_added"));
  const auto added = Only<PurchaseOrderEvent>(events).at(0);
  EXPECT_EQ(added.po_id, po);
  EXPECT_EQ(added.lines.at(0).quantity, 5);
}

TEST_F(MessageTypesTest, LineChangedDownReleasesTheAllocatedUnitsAndLeavesThePoAlone) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 4);
  const Id po = PoOf(50011);
  OpenPo(po);
  Ship(9001, po, 4);
  ASSERT_EQ(SoState(50011), "ready 4/4");
  const std::string id = ChangeLine(5001, 50011, 1);
  EXPECT_EQ(SoState(50011), "ready 1/1");
  EXPECT_EQ(LineState(50011), "committed:1:0");
  EXPECT_EQ(StockOf(kDowntown, kChair), "4 1 0");  // 3 back in open stock
  EXPECT_EQ(PoLineQty(po), 4);
  EXPECT_THAT(AuditOf(id, "quantity_lowered"), HasSubstr("committed -3"));
  EXPECT_THAT(EventsOf(id), IsEmpty());
}

TEST_F(MessageTypesTest, LineChangedToZeroCancelsTheSpecialOrder) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 2);
  const Id so = SoOf(50011);
  const std::string id = ChangeLine(5001, 50011, 0);
  EXPECT_EQ(SoState(50011), "cancelled 0/2");
  EXPECT_EQ(Int("SELECT cancelled_at IS NOT NULL FROM special_orders"), 1);
  EXPECT_EQ(LineState(50011), "cancelled:0:0");
  EXPECT_EQ(RedStar(5001), 0);
  EXPECT_EQ(StockOf(kDowntown, kChair), "0 0 0");
  EXPECT_THAT(Moves(EventsOf(id)), ElementsAre(S(so) + ": ordered -> cancelled"));
  const std::string raise = ChangeLine(5001, 50011, 1);
  EXPECT_EQ(Inbox(raise), "refused: special order " + S(so) +
                              " is cancelled; a new special order needs a new line");
}

TEST_F(MessageTypesTest, LineChangedFromZeroOnALineWithoutSpecialOrderIsARequest) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  world_.CreateOrderWithSpecialLine(5001, 50011, kDowntown, kAda, kChair, 3);
  world_.ChangeSpecialOrderQty(50011, 0);  // an ordinary line
  const std::string id = ChangeLine(5001, 50011, 2);
  EXPECT_EQ(SoState(50011), "ordered 0/2");
  EXPECT_EQ(Int("SELECT requested_at = (SELECT occurred_at FROM sod_inbox WHERE message_id = '" +
                id + "') FROM special_orders"),
            1);
  EXPECT_EQ(LineState(50011), "backordered:0:2");
  EXPECT_EQ(RedStar(5001), 1);
  EXPECT_EQ(StockOf(kDowntown, kChair), "0 0 2");
  EXPECT_THAT(Types(EventsOf(id)),
              ElementsAre("special_order.created", "purchase_order.created",
                          "special_order.status_changed", "special_order.promised"));
}

// --- order.cancelled and backoffice.special_order.cancel ---

TEST_F(MessageTypesTest, OrderCancelledReleasesBackorderAndCommitmentAndClearsTheRedStar) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 3);
  RequestOnOrder(5001, 50012, 1, kDesk);
  const Id chair = SoOf(50011), desk = SoOf(50012);
  const Id po = PoOf(50011);
  OpenPo(po);
  Ship(9001, po, 2);
  ASSERT_EQ(SoState(50011), "in_progress 2/3");
  ASSERT_EQ(StockOf(kDowntown, kChair), "2 2 1");

  const std::string still_open = Send(OrderCancelled{5001});
  EXPECT_EQ(Inbox(still_open), "refused: order 5001 is open in the database, not cancelled");
  EXPECT_EQ(RedStar(5001), 1);

  world_.CancelOrder(5001);
  const std::string id = Send(OrderCancelled{5001});
  EXPECT_EQ(Inbox(id), "applied: ");
  EXPECT_EQ(SoState(50011), "cancelled 0/3");
  EXPECT_EQ(SoState(50012), "cancelled 0/1");
  EXPECT_EQ(LineState(50011), "cancelled:0:0");
  EXPECT_EQ(LineState(50012), "cancelled:0:0");
  EXPECT_EQ(RedStar(5001), 0);
  EXPECT_EQ(StockOf(kDowntown, kChair), "2 0 0");  // the 2 that came are open stock again
  EXPECT_EQ(StockOf(kDowntown, kDesk), "0 0 0");
  EXPECT_THAT(AuditOf(id, "cancelled"), AllOf(HasSubstr("backordered -1, committed -2"),
                                              HasSubstr("backordered -1, committed -0")));
  EXPECT_THAT(Moves(EventsOf(id)), ElementsAre(S(chair) + ": in_progress -> cancelled",
                                               S(desk) + ": ordered -> cancelled"));
}

TEST_F(MessageTypesTest, BackOfficeCancelKeepsTheRedStarWhileAnotherSpecialOrderLives) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 1);
  RequestOnOrder(5001, 50012, 1, kDesk);
  const Id chair = SoOf(50011), desk = SoOf(50012);

  const std::string first = Send(BackofficeCancel{chair, "bo-user"});
  EXPECT_EQ(SoState(50011), "cancelled 0/1");
  EXPECT_EQ(LineState(50011), "cancelled:0:0");
  EXPECT_EQ(RedStar(5001), 1);
  EXPECT_EQ(StockOf(kDowntown, kChair), "0 0 0");
  EXPECT_THAT(AuditOf(first, "cancelled"), HasSubstr("cancelled by bo-user in the Back Office"));
  EXPECT_THAT(Moves(EventsOf(first)), ElementsAre(S(chair) + ": ordered -> cancelled"));

  Send(BackofficeCancel{desk, "bo-user"});
  EXPECT_EQ(SoState(50012), "cancelled 0/1");
  EXPECT_EQ(RedStar(5001), 0);
  EXPECT_EQ(StockOf(kDowntown, kDesk), "0 0 0");

  const std::string again = Send(BackofficeCancel{desk, "bo-user"});
  EXPECT_EQ(Inbox(again),
            "refused: special order " + S(desk) + " is cancelled and cannot be cancelled");
  const std::string unknown = Send(BackofficeCancel{999, "bo-user"});
  EXPECT_EQ(Inbox(unknown), "refused: special order 999 does not exist");
}

// --- order.picked_up ---

TEST_F(MessageTypesTest, PickupInPartsReleasesTheCommitmentAndFulfilsTheLine) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 3);
  const Id so = SoOf(50011);
  const Id po = PoOf(50011);
  OpenPo(po);
  Ship(9001, po, 3);
  ASSERT_EQ(StockOf(kDowntown, kChair), "3 3 0");

  const std::string part = Send(world_.PickUp(50011, 1));
  EXPECT_EQ(SoState(50011), "ready 3/3");
  EXPECT_EQ(LineState(50011), "committed:3:0");
  EXPECT_EQ(StockOf(kDowntown, kChair), "2 2 0");
  EXPECT_EQ(Int("SELECT picked_qty FROM sod_pickups WHERE special_order_id = " + S(so)), 1);
  EXPECT_THAT(AuditOf(part, "picked_up"), HasSubstr("picked up 1 of 3"));
  EXPECT_THAT(EventsOf(part), IsEmpty());

  const std::string rest = Send(world_.PickUp(50011, 2));
  EXPECT_EQ(SoState(50011), "completed 3/3");
  EXPECT_EQ(Int("SELECT completed_at IS NOT NULL FROM special_orders"), 1);
  EXPECT_EQ(LineState(50011), "fulfilled:3:0");
  EXPECT_EQ(StockOf(kDowntown, kChair), "0 0 0");
  EXPECT_EQ(Int("SELECT picked_qty FROM sod_pickups WHERE special_order_id = " + S(so)), 3);
  EXPECT_EQ(RedStar(5001), 1);  // completed, not cancelled
  EXPECT_THAT(Moves(EventsOf(rest)), ElementsAre(S(so) + ": ready -> completed"));
}

TEST_F(MessageTypesTest, PickupBeyondTheAllocationTakesTheRestFromOpenStock) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 3);
  const Id po = PoOf(50011);
  OpenPo(po);
  Ship(9001, po, 1);
  world_.SetOnHand(kDowntown, kChair, 3);  // shelf stock came in some other way
  const std::string id = Send(world_.PickUp(50011, 3));
  EXPECT_EQ(SoState(50011), "completed 3/3");
  EXPECT_EQ(LineState(50011), "fulfilled:3:0");
  EXPECT_EQ(StockOf(kDowntown, kChair), "0 0 0");
  EXPECT_THAT(AuditOf(id, "picked_up"), HasSubstr("2 from open stock"));
}

TEST_F(MessageTypesTest, PickupOfALineThatIsNotSpecialOrderedIsNoneOfTheDaemonsBusiness) {
  world_.LoadDemoData();
  world_.SetOnHand(kDowntown, kDesk, 4);
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 1);
  world_.AddSpecialLine(5001, 50012, kDesk, 2);
  world_.ChangeSpecialOrderQty(50012, 0);  // an ordinary line, served from the shelf
  const std::string id = Send(world_.PickUp(50012, 2));
  EXPECT_EQ(Inbox(id), "applied: ");
  EXPECT_THAT(AuditOf(id, "nothing_to_pick_up"), HasSubstr("order 5001"));
  EXPECT_EQ(StockOf(kDowntown, kDesk), "2 0 0");  // the POS's own write, nothing of ours
  EXPECT_EQ(SoState(50011), "ordered 0/1");
  EXPECT_EQ(LineState(50012), "open:0:0");
  EXPECT_THAT(EventsOf(id), IsEmpty());
}

// --- refusals of Back Office commands ---

TEST_F(MessageTypesTest, BackOfficeCommandsOnACompletedSpecialOrderAreRefusedWithTheirReason) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  Request(5001, 50011, 1);
  const Id so = SoOf(50011);
  const Id po = PoOf(50011);
  OpenPo(po);
  Ship(9001, po, 1);
  Send(world_.PickUp(50011, 1));
  ASSERT_EQ(SoState(50011), "completed 1/1");
  const std::string before = PosSide();

  const std::string prefix = "refused: special order " + S(so) + " is completed";
  const std::string cancel = Send(BackofficeCancel{so, "bo-user"});
  EXPECT_EQ(Inbox(cancel), prefix + " and cannot be cancelled");
  const std::string order = Send(BackofficeOrder{so, kBudget, std::nullopt, "bo-user"});
  EXPECT_EQ(Inbox(order), prefix + "; only a special order in request can be ordered");
  const std::string transfer = Send(BackofficeTransfer{so, kHarbour, "bo-user"});
  EXPECT_EQ(Inbox(transfer), prefix + "; only a special order in request can be transferred");
  const std::string allocate =
      Send(BackofficeAllocate{9001, std::nullopt, std::vector<Id>{so}, "bo-user"});
  EXPECT_EQ(Inbox(allocate),
            "refused: special order " + S(so) + " is not waiting for shipment 9001");

  for (const auto& id : {cancel, order, transfer, allocate}) {
    EXPECT_EQ(Str("SELECT COUNT(*) FROM sod_audit WHERE message_id = '" + id +
                  "' AND decision = 'refused'"),
              "1")
        << id;
    EXPECT_THAT(EventsOf(id), IsEmpty()) << id;
  }
  // Nothing but the inbox and the audit trail changed.
  EXPECT_EQ(PosSide(), before);
}

// --- every new type delivered again ---

TEST_F(MessageTypesTest, RedeliveringEveryMessageTypeLeavesTheDatabaseByteForByte) {
  world_.LoadDemoData();
  world_.SetOnHand(kHarbour, kDesk, 5);
  StartDaemon(kDowntownAsksHarbour);
  Request(5001, 50011, 2);  // Harbour has no chairs: a PO
  ChangeLine(5001, 50011, 3);
  const Id po = PoOf(50011);
  Request(5002, 50021, 1, kDesk);  // Harbour has desks: a transfer
  Send(world_.ReceiveTransfer(TransferOf(50021), {{kDesk, 1}}));
  Send(BackofficeCancel{SoOf(50021), "bo-user"});
  OpenPo(po);
  Ship(9001, po, 3);
  Send(world_.PickUp(50011, 1));
  Send(world_.PickUp(50011, 2));
  Send(BackofficeOrder{SoOf(50011), kBudget, std::nullopt, "bo-user"});  // refused
  Request(5003, 50031, 1);
  const Id draft = PoOf(50031);
  world_.SetPoStatus(draft, "cancelled");
  Send(PoStatusChanged{draft, "cancelled", "draft"});
  world_.CancelOrder(5003);
  Send(OrderCancelled{5003});
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(status ORDER BY id) FROM special_orders"),
            "completed,cancelled,cancelled");
  EXPECT_EQ(StockOf(kDowntown, kDesk), "1 0 0");
  EXPECT_EQ(StockOf(kDowntown, kChair), "0 0 0");

  const std::string before = db_.Dump();
  for (const auto& id : bus_->sent_ids()) bus_->Republish(id);
  daemon_->WaitForLog("duplicate order.cancelled id=" + bus_->sent_ids().back());
  EXPECT_EQ(db_.Dump(), before);
}

}  // namespace
}  // namespace so::testing
