#include "tests/pos_sim/pos_sim.hpp"

#include <set>
#include <stdexcept>
#include <thread>
#include <zmq_addon.hpp>

namespace so::testing {
namespace {

// 2026-12-01T09:00:00Z, the simulated POS clock's start.
constexpr int64_t kClockStart = 1'796'115'600LL * 1'000'000;

std::string N(int64_t v) { return std::to_string(v); }

// Every event waiting on `events` (a SUB to the daemon's), decoded, waiting up to `wait` for the
// first; an event that does not decode is the daemon's bug: thrown.
std::vector<json::DecodedEvent> TakeDecodedEvents(zmq::socket_t& events,
                                                  std::chrono::milliseconds wait);

}  // namespace

PosBus::PosBus(const std::string& pos_endpoint, const std::string& events_endpoint,
               std::string source, std::optional<Position> from)
    : pub_(ctx_, zmq::socket_type::xpub),
      events_(ctx_, zmq::socket_type::sub),
      monitor_(ctx_, zmq::socket_type::pair),
      source_(std::move(source)),
      seq_(from ? from->seq : 0),
      clock_(from ? from->clock : Timestamp{kClockStart}) {
  pub_.set(zmq::sockopt::linger, 0);
  pub_.set(zmq::sockopt::xpub_verbose, 1);
  pub_.set(zmq::sockopt::sndhwm, 0);  // the simulator itself never drops
  pub_.bind(pos_endpoint);
  events_.set(zmq::sockopt::linger, 0);
  events_.set(zmq::sockopt::rcvhwm, 0);
  events_.set(zmq::sockopt::subscribe, "");
  // Watch the event SUB's handshake, so that WaitForDaemon knows when it is really connected.
  static int monitors = 0;
  const std::string monitor_endpoint = "inproc://pos-sim-monitor-" + std::to_string(++monitors);
  if (zmq_socket_monitor(events_.handle(), monitor_endpoint.c_str(),
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0) {
    throw std::runtime_error("zmq_socket_monitor failed");
  }
  monitor_.connect(monitor_endpoint);
  events_.connect(events_endpoint);
}

void PosBus::WaitForDaemon(std::chrono::milliseconds timeout) {
  std::set<std::string> wanted = {"order.", "backoffice.", "po.", "shipment.", "transfer."};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  zmq::message_t msg;
  while (!wanted.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("the daemon did not subscribe in time");
    }
    zmq::pollitem_t item{pub_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    while (pub_.recv(msg, zmq::recv_flags::dontwait)) {
      const std::string s = msg.to_string();
      if (!s.empty() && s[0] == 1) wanted.erase(s.substr(1));
    }
  }
  // Our SUB to the daemon's events: wait for its handshake, after which the subscription is on
  // its way; a moment more lets the daemon's PUB take it in before the first event.
  while (!events_connected_) {
    zmq::pollitem_t item{monitor_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    std::vector<zmq::message_t> parts;
    if (zmq::recv_multipart(monitor_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      events_connected_ = true;
    } else if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("could not connect to the daemon's events in time");
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

std::string PosBus::Publish(const Payload& payload, std::string id) {
  ++seq_;
  clock_.micros += 1'000'000;
  if (id.empty()) id = source_ + "-" + std::to_string(seq_);
  Message m{Envelope{1, id, std::string(json::MessageType(payload)), source_, seq_, clock_},
            payload};
  const std::string topic = m.envelope.type;
  const std::string body = json::EncodeMessage(m);
  sent_[id] = {topic, body};
  sent_ids_.push_back(id);
  SendFrames({topic, body});
  return id;
}

std::string PosBus::PublishOtherType(const std::string& type, const std::string& payload_json) {
  ++seq_;
  clock_.micros += 1'000'000;
  const std::string id = source_ + "-" + std::to_string(seq_);
  const std::string body = R"({"v":1,"id":")" + id + R"(","type":")" + type + R"(","source":")" +
                           source_ + R"(","seq":)" + std::to_string(seq_) + R"(,"occurred_at":")" +
                           FormatRfc3339(clock_) + R"(","payload":)" + payload_json + "}";
  sent_ids_.push_back(id);
  SendFrames({type, body});
  return id;
}

void PosBus::Republish(const std::string& id) {
  const auto& [topic, body] = sent_.at(id);
  SendFrames({topic, body});
}

void PosBus::SendFrames(const std::vector<std::string>& frames) {
  std::vector<zmq::const_buffer> bufs;
  for (const auto& f : frames) bufs.push_back(zmq::buffer(f));
  zmq::send_multipart(pub_, bufs);
}

std::vector<json::DecodedEvent> PosBus::TakeEvents(std::chrono::milliseconds wait) {
  return TakeDecodedEvents(events_, wait);
}

EventScreen::EventScreen(const std::string& events_endpoint)
    : events_(ctx_, zmq::socket_type::sub) {
  events_.set(zmq::sockopt::linger, 0);
  events_.set(zmq::sockopt::rcvhwm, 0);
  events_.set(zmq::sockopt::subscribe, "");
  events_.connect(events_endpoint);
}

std::vector<json::DecodedEvent> EventScreen::TakeEvents(std::chrono::milliseconds wait) {
  return TakeDecodedEvents(events_, wait);
}

namespace {

std::vector<json::DecodedEvent> TakeDecodedEvents(zmq::socket_t& events,
                                                  std::chrono::milliseconds wait) {
  std::vector<json::DecodedEvent> out;
  zmq::pollitem_t item{events.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, wait);
  for (;;) {
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(events, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      break;
    }
    if (parts.size() != 2) throw std::runtime_error("daemon event without 2 frames");
    auto decoded = json::DecodeEvent(parts[0].to_string_view(), parts[1].to_string_view());
    if (auto* err = std::get_if<json::DecodeError>(&decoded)) {
      throw std::runtime_error("daemon published an invalid event: " + err->reason);
    }
    out.push_back(std::get<json::DecodedEvent>(std::move(decoded)));
  }
  return out;
}

}  // namespace

void WaitProcessed(TestDatabase& db, const std::string& message_id,
                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string sql =
      "SELECT (SELECT COUNT(*) FROM sod_inbox WHERE message_id = " + QuoteString(message_id) +
      ") + (SELECT COUNT(*) FROM sod_dead_letters WHERE message_id = " + QuoteString(message_id) +
      ")";
  while (db.QueryInt(sql) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("message " + message_id + " was not processed in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void PosWorld::LoadDemoData() {
  db_.Exec(
      "INSERT INTO stores (id, code, name) VALUES (1, 'S01', 'Downtown'), (2, 'S02', 'Harbour');\n"
      "INSERT INTO vendors (id, name, active) VALUES (10, 'Acme Furniture', 1), "
      "(11, 'Budget Wholesale', 1), (12, 'Express Supply', 1), (13, 'Defunct Ltd', 0);\n"
      "INSERT INTO products (id, sku, name, primary_vendor_id, special_order_allowed) VALUES "
      "(100, 'CHAIR-OAK', 'Oak dining chair', 10, 1), "
      "(101, 'DESK-WALNUT', 'Walnut desk', NULL, 1), "
      "(102, 'GIFT-CARD', 'Gift card', NULL, 0);\n"
      "INSERT INTO product_vendors (product_id, vendor_id, unit_cost, pack_size, min_order_qty, "
      "lead_time_days) VALUES (100, 10, 42.5000, 1, 1, 7), (100, 11, 39.9000, 1, 1, 14), "
      "(100, 12, 48.0000, 1, 1, 2), (101, 11, 310.0000, 1, 1, 21), (101, 12, 335.0000, 1, 1, 5);\n"
      "INSERT INTO customers (id, name, email, phone) VALUES (1, 'Ada Lovelace', "
      "'ada@example.org', NULL), (2, 'Grace Hopper', NULL, '555-0102'), (3, 'Alan Turing', "
      "NULL, NULL)");
}

void PosWorld::CreateOrderWithSpecialLine(Id order_id, Id line_id, Id store_id, Id customer_id,
                                          Id product_id, Qty qty) {
  db_.Exec(
      "INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, "
      "created_at, updated_at) VALUES (" +
      N(order_id) + ", " + N(store_id) + ", " + N(customer_id) +
      ", 'open', 0, '2026-12-01 08:00:00', '2026-12-01 08:00:00');\n"
      "INSERT INTO customer_order_lines (id, order_id, product_id, quantity, "
      "special_order_qty, status, committed_qty, backordered_qty) VALUES (" +
      N(line_id) + ", " + N(order_id) + ", " + N(product_id) + ", " + N(qty) + ", " + N(qty) +
      ", 'open', 0, 0)");
}

void PosWorld::SetPoStatus(Id po_id, const std::string& status) {
  db_.Exec("UPDATE purchase_orders SET status = " + QuoteString(status) +
           " WHERE id = " + N(po_id));
}

std::vector<ShipmentLine> PosWorld::CompleteShipment(
    Id shipment_id, Id po_id, const std::vector<std::pair<Id, Qty>>& line_qty) {
  const auto po =
      db_.Query("SELECT store_id, vendor_id FROM purchase_orders WHERE id = " + N(po_id));
  if (po.empty()) throw std::runtime_error("no PO " + N(po_id));
  const std::string store = *po[0][0];
  const std::string vendor = *po[0][1];
  std::string sql =
      "INSERT INTO vendor_shipments (id, po_id, store_id, vendor_id, status, "
      "completed_at) VALUES (" +
      N(shipment_id) + ", " + N(po_id) + ", " + store + ", " + vendor +
      ", 'completed', '2026-12-05 10:00:00');\n";
  std::vector<ShipmentLine> lines;
  for (const auto& [po_line, qty] : line_qty) {
    const Id product =
        db_.QueryInt("SELECT product_id FROM purchase_order_lines WHERE id = " + N(po_line));
    lines.push_back(ShipmentLine{po_line, product, qty});
    sql +=
        "INSERT INTO vendor_shipment_lines (shipment_id, po_line_id, product_id, quantity) "
        "VALUES (" +
        N(shipment_id) + ", " + N(po_line) + ", " + N(product) + ", " + N(qty) +
        ");\n"
        "UPDATE purchase_order_lines SET quantity_received = quantity_received + " +
        N(qty) + " WHERE id = " + N(po_line) +
        ";\n"
        "INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES (" +
        store + ", " + N(product) + ", " + N(qty) +
        ", 0, 0) ON DUPLICATE KEY UPDATE "
        "on_hand = on_hand + " +
        N(qty) + ";\n";
  }
  db_.Exec(sql);
  return lines;
}

Id PosWorld::PoLineOf(Id po_id, Id product_id) {
  return db_.QueryInt("SELECT MIN(id) FROM purchase_order_lines WHERE po_id = " + N(po_id) +
                      " AND product_id = " + N(product_id));
}

void PosWorld::SetOnHand(Id store_id, Id product_id, Qty qty) {
  db_.Exec("INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES (" +
           N(store_id) + ", " + N(product_id) + ", " + N(qty) +
           ", 0, 0) ON DUPLICATE KEY UPDATE on_hand = " + N(qty));
}

void PosWorld::AddSpecialLine(Id order_id, Id line_id, Id product_id, Qty qty) {
  db_.Exec(
      "INSERT INTO customer_order_lines (id, order_id, product_id, quantity, "
      "special_order_qty, status, committed_qty, backordered_qty) VALUES (" +
      N(line_id) + ", " + N(order_id) + ", " + N(product_id) + ", " + N(qty) + ", " + N(qty) +
      ", 'open', 0, 0)");
}

void PosWorld::ChangeSpecialOrderQty(Id line_id, Qty qty) {
  db_.Exec("UPDATE customer_order_lines SET special_order_qty = " + N(qty) +
           ", quantity = GREATEST(quantity, " + N(qty) + ") WHERE id = " + N(line_id));
}

void PosWorld::CancelOrder(Id order_id) {
  db_.Exec("UPDATE customer_orders SET status = 'cancelled' WHERE id = " + N(order_id));
}

OrderPickedUp PosWorld::PickUp(Id line_id, Qty qty) {
  const auto row = db_.Query(
      "SELECT l.order_id, o.store_id, l.product_id FROM "
      "customer_order_lines l JOIN customer_orders o ON o.id = l.order_id "
      "WHERE l.id = " +
      N(line_id));
  if (row.empty()) throw std::runtime_error("no order line " + N(line_id));
  const std::string order = *row[0][0];
  db_.Exec("INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES (" +
           *row[0][1] + ", " + *row[0][2] + ", " + N(-qty) +
           ", 0, 0) ON DUPLICATE KEY UPDATE on_hand = on_hand - " + N(qty));
  return OrderPickedUp{std::stoll(order), {PickedUpLine{line_id, qty}}};
}

TransferReceived PosWorld::ReceiveTransfer(Id transfer_id, const std::vector<TransferLine>& lines) {
  const auto t = db_.Query("SELECT from_store_id, to_store_id FROM store_transfers WHERE id = " +
                           N(transfer_id));
  if (t.empty()) throw std::runtime_error("no transfer " + N(transfer_id));
  const Id from = std::stoll(*t[0][0]);
  const Id to = std::stoll(*t[0][1]);
  std::string sql;
  for (const auto& l : lines) {
    for (const auto& [store, delta] : {std::pair{from, -l.quantity}, std::pair{to, l.quantity}}) {
      sql += "INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES (" +
             N(store) + ", " + N(l.product_id) + ", " + N(delta) +
             ", 0, 0) ON DUPLICATE KEY UPDATE on_hand = on_hand + " + N(delta) + ";\n";
    }
  }
  sql += "UPDATE store_transfers SET status = 'received' WHERE id = " + N(transfer_id);
  db_.Exec(sql);
  return TransferReceived{transfer_id, from, to, lines};
}

std::vector<std::string> CheckInvariants(TestDatabase& db) {
  std::vector<std::string> broken;
  auto check = [&](const std::string& what, const std::string& sql) {
    for (const auto& row : db.Query(sql)) {
      std::string line = what + ":";
      for (const auto& cell : row) line += " " + cell.value_or("NULL");
      broken.push_back(line);
    }
  };
  const std::string active = "so.status NOT IN ('completed', 'cancelled')";
  const std::string picked = "COALESCE(p.picked_qty, 0)";
  const std::string with_pickups =
      "special_orders so LEFT JOIN sod_pickups p ON p.special_order_id = so.id";
  // 1. The counters are exactly the sums over the special orders: committed is what is allocated
  // and not yet picked up, backordered what still waits for goods.
  check(
      "1 stock counters differ from the special orders (store product committed backordered "
      "expected_committed expected_backordered)",
      "SELECT k.store_id, k.product_id, COALESCE(s.committed, 0), COALESCE(s.backordered, 0), "
      "COALESCE(x.c, 0), COALESCE(x.b, 0) FROM "
      "(SELECT store_id, product_id FROM stock UNION SELECT store_id, product_id FROM "
      "special_orders) k "
      "LEFT JOIN stock s ON s.store_id = k.store_id AND s.product_id = k.product_id "
      "LEFT JOIN (SELECT so.store_id, so.product_id, SUM(so.allocated_qty - " +
          picked + ") c, SUM(so.quantity - so.allocated_qty) b FROM " + with_pickups + " WHERE " +
          active +
          " GROUP BY so.store_id, so.product_id) x "
          "ON x.store_id = k.store_id AND x.product_id = k.product_id "
          "WHERE COALESCE(s.committed, 0) <> COALESCE(x.c, 0) "
          "OR COALESCE(s.backordered, 0) <> COALESCE(x.b, 0)");
  check("1 special order picked up more than was allocated (special_order allocated picked)",
        "SELECT so.id, so.allocated_qty, " + picked + " FROM " + with_pickups + " WHERE " + active +
            " AND " + picked + " > so.allocated_qty");
  // 2. Allocation never pushes open stock below zero; no arrival allocates more than it brought.
  check("2 open stock below zero after allocation",
        "SELECT store_id, product_id, on_hand, committed FROM stock "
        "WHERE committed > 0 AND on_hand - committed < 0");
  check("2 arrival allocated more than it brought",
        "SELECT kind, arrival_id, product_id, quantity, allocated_qty FROM sod_arrival_lines "
        "WHERE allocated_qty > quantity OR allocated_qty < 0");
  // 3. A special-ordered line mirrors its special order; a cancelled special order holds nothing
  // and its line is cancelled, a completed one has its line fulfilled.
  check(
      "3 line out of step with its special order (line special_order_status line_status "
      "committed backordered allocated)",
      "SELECT l.id, so.status, l.status, l.committed_qty, l.backordered_qty, so.allocated_qty "
      "FROM special_orders so JOIN customer_order_lines l ON l.id = so.order_line_id WHERE "
      "(so.status = 'cancelled' AND (l.status <> 'cancelled' OR l.committed_qty <> 0 "
      "OR l.backordered_qty <> 0 OR so.allocated_qty <> 0)) "
      "OR (so.status <> 'cancelled' AND ("
      "l.committed_qty <> so.allocated_qty "
      "OR l.backordered_qty <> l.special_order_qty - so.allocated_qty "
      "OR l.backordered_qty < 0 "
      "OR l.status <> CASE WHEN so.status = 'completed' THEN 'fulfilled' "
      "WHEN l.backordered_qty > 0 THEN 'backordered' ELSE 'committed' END))");
  // 4. The red star.
  check("4 red star wrong (order has_special_order)",
        "SELECT o.id, o.has_special_order FROM customer_orders o WHERE o.has_special_order <> "
        "EXISTS (SELECT 1 FROM special_orders so WHERE so.order_id = o.id "
        "AND so.status <> 'cancelled')");
  // 5. A PO line orders at least what its active vendor-sourced special orders still wait for
  // (for one that got nothing yet, its whole quantity).
  check("5 PO line orders less than its special orders wait for (line ordered waiting)",
        "SELECT pl.id, pl.quantity_ordered, SUM(so.quantity - so.allocated_qty) FROM "
        "purchase_order_lines pl JOIN special_orders so ON so.po_line_id = pl.id WHERE " +
            active +
            " AND so.source = 'vendor' GROUP BY pl.id, pl.quantity_ordered "
            "HAVING pl.quantity_ordered < SUM(so.quantity - so.allocated_qty)");
  return broken;
}

}  // namespace so::testing
