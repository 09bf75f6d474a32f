// The flight recorder's encoding: every field of a record survives encoding and decoding, and
// bytes that are not a record of this format are refused with a reason.
#include "adapters/flight_codec.hpp"

#include <gtest/gtest.h>

namespace so {
namespace {

SpecialOrder AnOrder(Id id) {
  SpecialOrder so;
  so.id = id;
  so.store_id = 2;
  so.order_id = 30;
  so.order_line_id = 300 + id;
  so.customer_id = 7;
  so.product_id = 100;
  so.quantity = 5;
  so.allocated_qty = 2;
  so.status = SoStatus::kInProgress;
  so.source = SoSource::kVendor;
  so.vendor_id = 11;
  so.po_id = 40;
  so.po_line_id = 41;
  so.requested_at = Timestamp{1'800'000'000'000'000};
  so.ordered_at = Timestamp{1'800'000'001'000'000};
  so.updated_at = Timestamp{1'800'000'002'000'000};
  return so;
}

FlightRecord ARecord() {
  FlightRecord r;
  r.message = Message{Envelope{1, "pos-1", "shipment.completed", "pos", 9, Timestamp{1'800'000'003'000'000}},
                      ShipmentCompleted{50, 40, 2, 11, {ShipmentLine{41, 100, 3}}}};
  r.refused = true;
  ReadSet& s = r.reads;
  s.stores[2] = true;
  s.products[100] = Product{100, "SKU-100", 11, true};
  s.products[101] = std::nullopt;
  s.vendors[11] = Vendor{11, "Acme", false};
  s.product_vendors[100] = {ProductVendor{11, "4.5000", 6, 12, 3, true}};
  s.orders[30] = CustomerOrder{30, 2, 7, "open", true};
  s.lines[301] = OrderLine{301, 30, 100, 5, 5, LineStatus::kBackordered, 2, 3};
  s.stock[{2, 100}] = StockRow{2, 100, -1, 2, 3};
  s.stock_of_product[100] = {StockRow{1, 100, 4, 0, 0}};
  s.shipments[50] = Shipment{50, 40, 2, 11, "completed", {ShipmentLine{41, 100, 3}}};
  s.unapplied_shipments_of_po[40] = {50};
  s.special_orders[1] = AnOrder(1);
  s.missing_special_orders = {99};
  s.special_order_of_line[301] = 1;
  s.special_order_of_line[302] = std::nullopt;
  s.special_orders_of_order[30] = {1};
  s.on_po_line[41] = {1};
  s.on_po[40] = {1};
  s.on_transfer[60] = {};
  s.waiting[{2, 100}] = {1};
  s.pos[40] = PurchaseOrder{40, 2, 11, "open", Timestamp{1'799'000'000'000'000}};
  s.newest_po[{2, 11, "open"}] = 40;
  s.newest_po[{2, 11, "draft"}] = std::nullopt;
  s.po_lines_of_po[40] = {PoLine{41, 40, 100, 12, 0, "4.5000"}};
  s.transfers[60] = StoreTransfer{60, 1, 2, "received", Timestamp{5}, {StoreTransferLine{61, 60, 100, 2, 1}}};
  s.picked[1] = 1;
  s.arrivals[{ArrivalKind::kShipment, 50}] = {ArrivalLine{ArrivalKind::kShipment, 50, 100, 2, 3, 0}};
  s.new_special_orders = {2};
  s.new_pos = {42};
  s.new_po_lines = {43};
  s.new_transfers = {62};
  SoDecision d;
  d.order_line_id = 301;
  d.special_order_id = 1;
  d.store_id = 2;
  d.decisions = {{"allocated", "rule-a"}, {"refused", "contract"}};
  d.status = SoStatus::kReady;
  d.allocated_qty = 5;
  d.source = SoSource::kTransfer;
  d.vendor_id = 11;
  d.po_id = 40;
  d.new_po = true;
  d.po_line_qty = 12;
  d.transfer_from_store = 1;
  r.decisions = {d};
  return r;
}

TEST(FlightCodecTest, EveryFieldSurvivesARoundTrip) {
  const FlightRecord r = ARecord();
  const std::string bytes = flight::Encode(r);
  auto decoded = flight::Decode(bytes);
  ASSERT_TRUE(std::holds_alternative<FlightRecord>(decoded)) << std::get<std::string>(decoded);
  const FlightRecord& back = std::get<FlightRecord>(decoded);
  // The encoding is a function of the values: equal bytes, equal records.
  EXPECT_EQ(flight::Encode(back), bytes);
  EXPECT_EQ(back.message.envelope.id, "pos-1");
  EXPECT_EQ(std::get<ShipmentCompleted>(back.message.payload).lines.at(0).quantity, 3);
  EXPECT_TRUE(back.refused);
  EXPECT_EQ(back.decisions, r.decisions);
  const SpecialOrder& so = back.reads.special_orders.at(1);
  EXPECT_EQ(so.status, SoStatus::kInProgress);
  EXPECT_EQ(so.ordered_at, r.reads.special_orders.at(1).ordered_at);
  EXPECT_FALSE(so.arrived_at);
  EXPECT_EQ(back.reads.vendors.at(11)->active, false);
  EXPECT_EQ(back.reads.products.at(101), std::nullopt);
  EXPECT_EQ(back.reads.newest_po.at(std::make_tuple(Id{2}, Id{11}, std::string("open"))), 40);
  EXPECT_EQ(back.reads.stock.at({2, 100}).on_hand, -1);
  EXPECT_EQ(back.reads.transfers.at(60)->lines.at(0).special_order_id, 1);
  EXPECT_EQ(back.reads.new_transfers, std::vector<Id>{62});
  // Compact: a record of this size takes well under a kilobyte.
  EXPECT_LT(bytes.size(), 1000u);
}

TEST(FlightCodecTest, TheDaemonsOwnMessagesWithSeqZeroSurviveARoundTrip) {
  FlightRecord r;
  r.message = Message{Envelope{1, "clock:reminder:1:3:1796115603", "clock.pickup_reminder",
                               "special-ordersd-clock", 0, Timestamp{1'796'374'803'000'000}},
                      ClockPickupReminder{1, 3, Timestamp{1'796'115'603'000'000}}};
  auto decoded = flight::Decode(flight::Encode(r));
  ASSERT_TRUE(std::holds_alternative<FlightRecord>(decoded)) << std::get<std::string>(decoded);
  const Message& back = std::get<FlightRecord>(decoded).message;
  EXPECT_EQ(back.envelope.seq, 0u);
  EXPECT_EQ(back.envelope.id, r.message.envelope.id);
  EXPECT_EQ(std::get<ClockPickupReminder>(back.payload).days, 3);
}

TEST(FlightCodecTest, ClockRowsSurviveARoundTrip) {
  FlightRecord r = ARecord();
  SoClock c;
  c.special_order_id = 1;
  c.promise_seq = 2;
  c.expected_on = Timestamp{1'800'000'000'000'000};
  c.basis = PromiseBasis::kVendorFromSent;
  c.base_at = Timestamp{1'799'000'000'000'000};
  c.days = 7;
  c.rule = "rule-a";
  c.promised_at = Timestamp{1'799'000'000'000'001};
  c.overdue_seq = 1;
  r.reads.clocks[1] = c;
  r.reads.clocks[3] = std::nullopt;
  r.reads.po_sent[40] = Timestamp{1'799'000'000'000'000};
  r.reads.po_sent[41] = std::nullopt;
  const std::string bytes = flight::Encode(r);
  auto decoded = flight::Decode(bytes);
  ASSERT_TRUE(std::holds_alternative<FlightRecord>(decoded)) << std::get<std::string>(decoded);
  const ReadSet& back = std::get<FlightRecord>(decoded).reads;
  EXPECT_TRUE(back.clocks_recorded);
  ASSERT_TRUE(back.clocks.at(1));
  EXPECT_EQ(back.clocks.at(1)->basis, PromiseBasis::kVendorFromSent);
  EXPECT_EQ(back.clocks.at(1)->rule, "rule-a");
  EXPECT_EQ(back.clocks.at(1)->overdue_seq, 1);
  EXPECT_FALSE(back.clocks.at(1)->reminded_days);
  EXPECT_EQ(back.clocks.at(3), std::nullopt);
  EXPECT_EQ(back.po_sent.at(40), r.reads.po_sent.at(40));
  EXPECT_EQ(back.po_sent.at(41), std::nullopt);
  EXPECT_EQ(flight::Encode(std::get<FlightRecord>(decoded)), bytes);
}

// A record the daemon wrote before it kept clocks (format 1: the read set without its last two
// maps) still decodes, as one that found no clock rows.
TEST(FlightCodecTest, ARecordOfFormat1ReadsAsHavingFoundNoClocks) {
  std::string bytes = flight::Encode(ARecord());
  ASSERT_EQ(bytes[1], '\x02');
  bytes[1] = '\x01';
  // The read set: an array of 30 (0xdc 00 1e), ending in new_transfers [62] and two empty maps.
  const size_t header = bytes.find(std::string("\xdc\x00\x1e", 3));
  ASSERT_NE(header, std::string::npos);
  bytes[header + 2] = '\x1c';
  const std::string tail("\x91\x3e\x80\x80", 4);
  const size_t end = bytes.find(tail);
  ASSERT_NE(end, std::string::npos);
  bytes.replace(end, tail.size(), std::string("\x91\x3e", 2));
  auto decoded = flight::Decode(bytes);
  ASSERT_TRUE(std::holds_alternative<FlightRecord>(decoded)) << std::get<std::string>(decoded);
  const FlightRecord& back = std::get<FlightRecord>(decoded);
  EXPECT_FALSE(back.reads.clocks_recorded);
  EXPECT_EQ(back.reads.new_transfers, std::vector<Id>{62});
  EXPECT_EQ(back.decisions, ARecord().decisions);
  // A format-2 record of that shape is refused: its read set has a field too few.
  bytes[1] = '\x02';
  EXPECT_TRUE(std::holds_alternative<std::string>(flight::Decode(bytes)));
}

TEST(FlightCodecTest, BytesThatAreNotARecordAreRefusedWithAReason) {
  auto garbage = flight::Decode("not msgpack at all");
  ASSERT_TRUE(std::holds_alternative<std::string>(garbage));
  std::string bytes = flight::Encode(ARecord());
  bytes[1] = 0x07;  // the version: 2 -> 7
  auto other = flight::Decode(bytes);
  ASSERT_TRUE(std::holds_alternative<std::string>(other));
  EXPECT_NE(std::get<std::string>(other).find("format 7"), std::string::npos)
      << std::get<std::string>(other);
  auto truncated = flight::Decode(flight::Encode(ARecord()).substr(0, 40));
  EXPECT_TRUE(std::holds_alternative<std::string>(truncated));
  auto longer = flight::Decode(flight::Encode(ARecord()) + "x");
  ASSERT_TRUE(std::holds_alternative<std::string>(longer));
  EXPECT_NE(std::get<std::string>(longer).find("bytes after its end"), std::string::npos);
}

// A row of another shape (a field more or less, as another layout without a new format version
// would write) is refused, not filled with defaults.
TEST(FlightCodecTest, ARowWithAFieldMoreOrLessIsRefused) {
  const std::string good = flight::Encode(ARecord());
  // The vendor row {11, "Acme", false} is packed as 0x93 0x0b 0xa4 'A' 'c' 'm' 'e' 0xc2.
  const std::string vendor("\x93\x0b\xa4" "Acme" "\xc2", 8);
  const size_t at = good.find(vendor);
  ASSERT_NE(at, std::string::npos);
  std::string shorter = good;
  shorter.replace(at, vendor.size(), std::string("\x92\x0b\xa4" "Acme", 7));
  EXPECT_TRUE(std::holds_alternative<std::string>(flight::Decode(shorter)));
  std::string longer = good;
  longer.replace(at, vendor.size(), std::string("\x94\x0b\xa4" "Acme" "\xc2\x01", 9));
  EXPECT_TRUE(std::holds_alternative<std::string>(flight::Decode(longer)));
  EXPECT_TRUE(std::holds_alternative<FlightRecord>(flight::Decode(good)));
}

}  // namespace
}  // namespace so
