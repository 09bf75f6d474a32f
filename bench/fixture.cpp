#include "bench/fixture.hpp"

#include <stdexcept>

#include "adapters/json_codec.hpp"

namespace so::bench {
namespace {

// Ids of the benchmark's own orders and shipments start here, above any history.
constexpr int64_t kFixtureIdBase = 2'000'001;
// 2026-12-01T09:00:00Z, the start of the simulated POS clock.
constexpr int64_t kClockStart = 1'796'115'600LL * 1'000'000;
constexpr int64_t kClockStepMicros = 100'000;

std::string N(int64_t v) { return std::to_string(v); }

// "seq_A_to_B", MariaDB's Sequence engine: a table of the integers A..B.
std::string Seq(int64_t from, int64_t to) { return "seq_" + N(from) + "_to_" + N(to); }

}  // namespace

MessageStream::MessageStream(std::string source)
    : source_(std::move(source)), clock_{kClockStart} {}

Outgoing MessageStream::Next(const Payload& payload) {
  ++seq_;
  clock_.micros += kClockStepMicros;
  Message m{Envelope{1, source_ + "-" + N(static_cast<int64_t>(seq_)),
                     std::string(json::MessageType(payload)), source_, seq_, clock_},
            payload};
  return Outgoing{m.envelope.id, m.envelope.type, json::EncodeMessage(m)};
}

Fixture::Fixture(so::testing::TestDatabase& db, CatalogShape shape)
    : db_(db), shape_(shape), next_order_(kFixtureIdBase), next_shipment_(kFixtureIdBase) {}

void Fixture::LoadCatalog() {
  db_.Exec(
      "INSERT INTO stores (id, code, name) SELECT seq, CONCAT('S', LPAD(seq, 2, '0')), "
      "CONCAT('Store ', seq) FROM " +
      Seq(1, shape_.stores) +
      ";\n"
      "INSERT INTO vendors (id, name, active) VALUES (10, 'Acme Furniture', 1), "
      "(11, 'Budget Wholesale', 1), (12, 'Express Supply', 1);\n"
      "INSERT INTO products (id, sku, name, primary_vendor_id, special_order_allowed) "
      "SELECT 1000 + seq, CONCAT('SKU-', 1000 + seq), CONCAT('Product ', seq), 10 + seq % 3, 1 "
      "FROM " +
      Seq(1, shape_.products) +
      ";\n"
      // Every vendor sells every product, at a cost and lead time that differ by vendor.
      "INSERT INTO product_vendors (product_id, vendor_id, unit_cost, pack_size, min_order_qty, "
      "lead_time_days) SELECT p.id, v.id, 20 + p.id % 17 + (v.id - 10) * 3, 1, 1, 2 + v.id % 5 "
      "FROM products p CROSS JOIN vendors v;\n"
      "INSERT INTO customers (id, name, email, phone) SELECT seq, CONCAT('Customer ', seq), "
      "CONCAT('c', seq, '@example.org'), NULL FROM " +
      Seq(1, shape_.customers));
}

void Fixture::LoadHistory(const HistoryShape& h) {
  if (h.order_lines < 4 || h.special_orders < 1 || h.special_orders * 10 > h.order_lines ||
      h.order_lines >= kFixtureIdBase) {
    throw std::runtime_error("history: need 10 order lines per special order, below " +
                             N(kFixtureIdBase));
  }
  // Line L belongs to order (L - 1) DIV 4 + 1; every 10th line is special-ordered; special order
  // k is on line 10k and has PO, PO line and shipment k of its own. Expressions of `seq`:
  const std::string stores = N(shape_.stores);
  const std::string products = N(shape_.products);
  auto order_of = [](const std::string& line) { return "((" + line + " - 1) DIV 4 + 1)"; };
  auto product_of = [&](const std::string& line) {
    return "(1001 + (" + line + " * 7 + " + line + " DIV 10) % " + products + ")";
  };
  auto store_of = [&](const std::string& line) {
    return "(" + order_of(line) + " % " + stores + " + 1)";
  };
  auto vendor_of = [&](const std::string& line) {
    return "(10 + (" + product_of(line) + " - 1000) % 3)";
  };
  const std::string so_line = "(seq * 10)";
  const std::string at = "'2025-06-01 00:00:00' + INTERVAL seq MINUTE";
  const int64_t orders = h.order_lines / 4;
  const int64_t sos = h.special_orders;
  db_.Exec("SET SESSION foreign_key_checks = 0, unique_checks = 0");
  db_.Exec(
      "INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, "
      "created_at, updated_at) SELECT seq, seq % " +
      stores + " + 1, seq % " + N(shape_.customers) +
      " + 1, 'completed', "
      // The red star: order o holds lines 4o-3..4o, and the one multiple of 10 among them, if
      // any, is 10 * (4o DIV 10); it is a special order's line up to line 10 * sos.
      "(4 * seq) DIV 10 BETWEEN 1 AND " +
      N(sos) + " AND 10 * ((4 * seq) DIV 10) >= 4 * seq - 3, " + at + ", " + at + " FROM " +
      Seq(1, orders) +
      ";\n"
      "INSERT INTO customer_order_lines (id, order_id, product_id, quantity, special_order_qty, "
      "status, committed_qty, backordered_qty) SELECT seq, " +
      order_of("seq") + ", " + product_of("seq") +
      ", 1, IF(seq % 10 = 0 AND seq <= " + N(sos * 10) + ", 1, 0), 'fulfilled', " +
      "IF(seq % 10 = 0 AND seq <= " + N(sos * 10) + ", 1, 0), 0 FROM " + Seq(1, orders * 4) +
      ";\n"
      "INSERT INTO purchase_orders (id, store_id, vendor_id, status, created_by, created_at, "
      "updated_at) SELECT seq, " +
      store_of(so_line) + ", " + vendor_of(so_line) + ", 'closed', 'history', " + at + ", " + at +
      " FROM " + Seq(1, sos) +
      ";\n"
      "INSERT INTO purchase_order_lines (id, po_id, product_id, quantity_ordered, "
      "quantity_received, unit_cost) SELECT seq, seq, " +
      product_of(so_line) + ", 1, 1, 25 FROM " + Seq(1, sos) +
      ";\n"
      "INSERT INTO vendor_shipments (id, po_id, store_id, vendor_id, status, completed_at) "
      "SELECT seq, seq, " +
      store_of(so_line) + ", " + vendor_of(so_line) + ", 'completed', " + at + " FROM " +
      Seq(1, sos) +
      ";\n"
      "INSERT INTO vendor_shipment_lines (id, shipment_id, po_line_id, product_id, quantity) "
      "SELECT seq, seq, seq, " +
      product_of(so_line) + ", 1 FROM " + Seq(1, sos) +
      ";\n"
      "INSERT INTO special_orders (id, store_id, order_id, order_line_id, customer_id, "
      "product_id, quantity, allocated_qty, status, source, vendor_id, po_id, po_line_id, "
      "requested_at, ordered_at, arrived_at, ready_at, completed_at, updated_at) SELECT seq, " +
      store_of(so_line) + ", " + order_of(so_line) + ", " + so_line + ", " + order_of(so_line) +
      " % " + N(shape_.customers) + " + 1, " + product_of(so_line) + ", 1, 1, 'completed', " +
      "'vendor', " + vendor_of(so_line) + ", seq, seq, " + at + ", " + at + ", " + at + ", " + at +
      ", " + at + ", " + at + " FROM " + Seq(1, sos) +
      ";\n"
      "INSERT INTO sod_arrival_lines (kind, arrival_id, product_id, store_id, quantity, "
      "allocated_qty) SELECT 'shipment', seq, " +
      product_of(so_line) + ", " + store_of(so_line) + ", 1, 1 FROM " + Seq(1, sos) +
      ";\n"
      // Two messages per special order: its request and its shipment.
      "INSERT INTO sod_inbox (message_id, source, seq, type, outcome, detail, occurred_at, "
      "applied_at) SELECT CONCAT('history-', seq), 'pos-history', seq, IF(seq % 2 = 1, "
      "'order.special_order_requested', 'shipment.completed'), 'applied', '', " +
      at + ", " + at + " FROM " + Seq(1, 2 * sos) +
      ";\n"
      "INSERT INTO sod_audit (message_id, special_order_id, rule, decision, detail, at) SELECT "
      "CONCAT('history-', seq), (seq + 1) DIV 2, 'defaults', IF(seq % 2 = 1, 'created_po', "
      "'allocated'), 'history', " +
      at + " FROM " + Seq(1, 2 * sos));
  db_.Exec("SET SESSION foreign_key_checks = 1, unique_checks = 1");
  // Fresh statistics, as a server that has run for a while would have.
  db_.Exec(
      "ANALYZE TABLE customer_orders, customer_order_lines, purchase_orders, "
      "purchase_order_lines, vendor_shipments, vendor_shipment_lines, special_orders, "
      "sod_arrival_lines, sod_inbox, sod_audit");
}

std::vector<SpecialOrderRequested> Fixture::AddOrders(int64_t count) {
  std::vector<SpecialOrderRequested> out;
  if (count <= 0) return out;
  const int64_t first = next_order_;
  const int64_t last = first + count - 1;
  next_order_ = last + 1;
  // Consecutive orders go to store 1, 2, 3, 4, then the next product: every store and product
  // pair comes round once in stores * products orders.
  db_.Exec(
      "INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, "
      "created_at, updated_at) SELECT seq, seq % " +
      N(shape_.stores) + " + 1, seq % " + N(shape_.customers) +
      " + 1, 'open', 0, '2026-12-01 08:00:00', '2026-12-01 08:00:00' FROM " + Seq(first, last) +
      ";\n"
      "INSERT INTO customer_order_lines (id, order_id, product_id, quantity, special_order_qty, "
      "status, committed_qty, backordered_qty) SELECT seq, seq, 1001 + seq DIV " +
      N(shape_.stores) + " % " + N(shape_.products) + ", 1, 1, 'open', 0, 0 FROM " +
      Seq(first, last));
  // The messages say what the rows say: read them back rather than repeat the arithmetic.
  const auto rows = db_.Query(
      "SELECT o.id, l.id, o.store_id, o.customer_id, l.product_id, l.special_order_qty "
      "FROM customer_orders o JOIN customer_order_lines l ON l.order_id = o.id "
      "WHERE o.id BETWEEN " +
      N(first) + " AND " + N(last) + " ORDER BY o.id");
  out.reserve(rows.size());
  for (const auto& r : rows) {
    SpecialOrderRequested p;
    p.order_id = std::stoll(*r[0]);
    p.order_line_id = std::stoll(*r[1]);
    p.store_id = std::stoll(*r[2]);
    p.customer_id = std::stoll(*r[3]);
    p.product_id = std::stoll(*r[4]);
    p.quantity = std::stoll(*r[5]);
    p.requested_at = Timestamp{kClockStart + (p.order_id - kFixtureIdBase) * kClockStepMicros};
    out.push_back(p);
  }
  if (static_cast<int64_t>(out.size()) != count) throw std::runtime_error("orders not written");
  return out;
}

std::vector<PoStatusChanged> Fixture::OpenDraftPos() {
  std::vector<PoStatusChanged> out;
  for (const auto& r : db_.Query("SELECT id FROM purchase_orders WHERE status = 'draft' "
                                 "ORDER BY id")) {
    out.push_back(PoStatusChanged{std::stoll(*r[0]), "open", "draft"});
  }
  db_.Exec(
      "UPDATE purchase_orders SET status = 'open', updated_at = '2026-12-02 09:00:00' "
      "WHERE status = 'draft'");
  return out;
}

std::vector<ShipmentCompleted> Fixture::ShipEveryWaitingUnit() {
  const int64_t base = next_shipment_ - 1;
  const std::string waiting =
      " FROM special_orders so WHERE so.status = 'ordered' AND so.source = 'vendor' "
      "AND so.quantity = 1 AND so.allocated_qty = 0";
  const std::string number = N(base) + " + ROW_NUMBER() OVER (ORDER BY so.id)";
  db_.Exec(
      "INSERT INTO vendor_shipments (id, po_id, store_id, vendor_id, status, completed_at) "
      "SELECT " +
      number + ", so.po_id, so.store_id, so.vendor_id, 'completed', '2026-12-05 10:00:00'" +
      waiting +
      ";\n"
      "INSERT INTO vendor_shipment_lines (shipment_id, po_line_id, product_id, quantity) "
      "SELECT " +
      number + ", so.po_line_id, so.product_id, 1" + waiting +
      ";\n"
      "UPDATE purchase_order_lines pl JOIN (SELECT so.po_line_id, COUNT(*) n" +
      waiting +
      " GROUP BY so.po_line_id) w ON w.po_line_id = pl.id "
      "SET pl.quantity_received = pl.quantity_received + w.n;\n"
      "INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) "
      "SELECT so.store_id, so.product_id, COUNT(*), 0, 0" +
      waiting +
      " GROUP BY so.store_id, so.product_id "
      "ON DUPLICATE KEY UPDATE on_hand = stock.on_hand + VALUES(on_hand)");
  std::vector<ShipmentCompleted> out;
  for (const auto& r :
       db_.Query("SELECT s.id, s.po_id, s.store_id, s.vendor_id, l.po_line_id, l.product_id, "
                 "l.quantity FROM vendor_shipments s JOIN vendor_shipment_lines l ON "
                 "l.shipment_id = s.id WHERE s.id > " +
                 N(base) + " ORDER BY s.id")) {
    ShipmentCompleted p;
    p.shipment_id = std::stoll(*r[0]);
    p.po_id = std::stoll(*r[1]);
    p.store_id = std::stoll(*r[2]);
    p.vendor_id = std::stoll(*r[3]);
    p.lines.push_back(ShipmentLine{std::stoll(*r[4]), std::stoll(*r[5]), std::stoll(*r[6])});
    out.push_back(std::move(p));
  }
  next_shipment_ += static_cast<int64_t>(out.size());
  return out;
}

}  // namespace so::bench
