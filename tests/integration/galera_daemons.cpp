#include "tests/integration/galera_daemons.hpp"

#include <cppconn/statement.h>
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/pos_sim/canonical_dump.hpp"
#include "tests/support/http_client.hpp"

namespace so::testing::galera {
namespace {

// Every request is ordered at once from the product's primary vendor, onto the store's draft PO
// for that vendor; an arrival goes to the special orders of its PO line oldest first and, with
// allocate_surplus, what they do not need to the others of its store and product.
constexpr const char* kRules =
    "version: 1\n"
    "defaults:\n"
    "  on_request: order\n"
    "  vendor_choice: [primary]\n"
    "  attach_po_statuses: [draft]\n"
    "  allocation: immediate\n"
    "  status_after_allocation: ready\n"
    "  allow_positive_open_stock: true\n"
    "  allocate_surplus: true\n";

}  // namespace

std::string N(int64_t v) { return std::to_string(v); }

so::mysql::MysqlNode NodeAddress(int n) {
  so::mysql::MysqlNode node;
  node.host = "127.0.0.1";
  node.port = GaleraNode(n).port;
  return node;
}

double Sample(const std::string& scrape, const std::string& series) {
  const std::string at = "\n" + series + " ";
  const size_t pos = scrape.find(at);
  return pos == std::string::npos ? 0 : std::stod(scrape.substr(pos + at.size()));
}

double SumOf(const std::string& scrape, const std::string& name, const std::string& label) {
  double sum = 0;
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0) continue;
    const size_t close = line.find("} ");
    if (close == std::string::npos) continue;
    if (!label.empty() && line.substr(0, close).find(label) == std::string::npos) continue;
    sum += std::stod(line.substr(close + 2));
  }
  return sum;
}

double Handled(const std::string& scrape) {
  double n = SumOf(scrape, "special_ordersd_messages_other_stores_total");
  for (const char* fate : {"applied", "refused", "duplicate", "dead_lettered"}) {
    n += SumOf(scrape, "special_ordersd_messages_processed_total",
               std::string("fate=\"") + fate + "\"");
  }
  return n;
}

bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void LoadCatalog(TestDatabase& db) {
  std::string customers;
  for (int c = 1; c <= kCustomers; ++c) {
    customers += (c == 1 ? "" : ", ") + std::string("(") + N(c) + ", 'Customer " + N(c) + "')";
  }
  db.Exec(
      "INSERT INTO stores (id, code, name) VALUES (1, 'S01', 'North'), (2, 'S02', 'South'), "
      "(3, 'S03', 'East');\n"
      "INSERT INTO vendors (id, name, active) VALUES (10, 'Acme', 1), (11, 'Budget', 1);\n"
      "INSERT INTO products (id, sku, name, primary_vendor_id, special_order_allowed) VALUES "
      "(100, 'P100', 'Chair', 10, 1), (101, 'P101', 'Desk', 10, 1), "
      "(102, 'P102', 'Lamp', 11, 1), (103, 'P103', 'Shelf', 11, 1);\n"
      "INSERT INTO product_vendors (product_id, vendor_id, unit_cost, pack_size, min_order_qty, "
      "lead_time_days) VALUES (100, 10, 40.0000, 1, 1, 7), (101, 10, 300.0000, 1, 1, 14), "
      "(102, 11, 25.0000, 1, 1, 5), (103, 11, 80.0000, 1, 1, 10);\n"
      "INSERT INTO customers (id, name) VALUES " +
      customers);
}

void Pos::SendRequests() {
  std::string orders, lines;
  std::vector<SpecialOrderRequested> requests;
  for (int n = 1; n <= kRequests; ++n) {
    const Id order = kFirstOrder + n, line = order, store = 1 + n % kStores;
    const Id product = 100 + (n / kStores) % kProducts, customer = 1 + n % kCustomers;
    const Qty qty = 1 + (n / (kStores * kProducts)) % 2;
    orders += (n == 1 ? "" : ", ") + std::string("(") + N(order) + ", " + N(store) + ", " +
              N(customer) + ", 'open', 0, '2026-12-01 08:00:00', '2026-12-01 08:00:00')";
    lines += (n == 1 ? "" : ", ") + std::string("(") + N(line) + ", " + N(order) + ", " +
             N(product) + ", " + N(qty) + ", " + N(qty) + ", 'open', 0, 0)";
    requests.push_back(
        SpecialOrderRequested{order, line, store, customer, product, qty, bus_.clock()});
  }
  db_.Exec(
      "INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, "
      "created_at, updated_at) VALUES " +
      orders +
      ";\n"
      "INSERT INTO customer_order_lines (id, order_id, product_id, quantity, "
      "special_order_qty, status, committed_qty, backordered_qty) VALUES " +
      lines);
  for (const auto& r : requests) Publish(r, r.store_id);
}

void Pos::SendOpenPos() {
  const auto pos = db_.Query(
      "SELECT id, store_id FROM purchase_orders WHERE status = 'draft' "
      "ORDER BY store_id, vendor_id");
  EXPECT_EQ(pos.size(), static_cast<size_t>(kStores * 2)) << "one draft PO per store and vendor";
  db_.Exec("UPDATE purchase_orders SET status = 'open' WHERE status = 'draft'");
  for (const auto& row : pos) {
    Publish(PoStatusChanged{std::stoll(*row[0]), "open", "draft"}, std::stoll(*row[1]));
  }
}

// 500 units in all, spread over the 12 PO lines (41 or 42 each, against about 125 ordered on
// each), in shipments of 1, 2 or 3 units: every arrival finds more special orders waiting
// than it can serve. Shipment ids follow the PO lines in (store, product) order, so that two
// runs number them alike whatever ids the daemons gave the POs.
void Pos::SendShipments() {
  const auto po_lines = db_.Query(
      "SELECT l.id, l.po_id, p.store_id, p.vendor_id, l.product_id FROM purchase_order_lines l "
      "JOIN purchase_orders p ON p.id = l.po_id ORDER BY p.store_id, l.product_id");
  const int count = kStores * kProducts;
  ASSERT_EQ(po_lines.size(), static_cast<size_t>(count)) << "one PO line per store and product";
  std::string shipments, lines, updates;
  std::vector<ShipmentCompleted> messages;
  Id shipment = kFirstShipment;
  for (int j = 0; j < count; ++j) {
    const auto& row = po_lines[static_cast<size_t>(j)];
    const Id po_line = std::stoll(*row[0]), po = std::stoll(*row[1]);
    const Id store = std::stoll(*row[2]), vendor = std::stoll(*row[3]);
    const Id product = std::stoll(*row[4]);
    const Qty budget = kUnits / count + (j < kUnits % count ? 1 : 0);
    for (Qty left = budget, k = 0; left > 0; ++k) {
      const Qty qty = std::min<Qty>(left, 1 + (k + j) % 3);
      left -= qty;
      ++shipment;
      shipments += std::string(shipments.empty() ? "" : ", ") + "(" + N(shipment) + ", " +
                   N(po) + ", " + N(store) + ", " + N(vendor) +
                   ", 'completed', '2026-12-05 10:00:00')";
      lines += std::string(lines.empty() ? "" : ", ") + "(" + N(shipment) + ", " + N(po_line) +
               ", " + N(product) + ", " + N(qty) + ")";
      messages.push_back(
          ShipmentCompleted{shipment, po, store, vendor, {ShipmentLine{po_line, product, qty}}});
    }
    updates += ";\nUPDATE purchase_order_lines SET quantity_received = quantity_received + " +
               N(budget) + " WHERE id = " + N(po_line) +
               ";\nINSERT INTO stock (store_id, product_id, on_hand, committed, backordered) "
               "VALUES (" +
               N(store) + ", " + N(product) + ", " + N(budget) +
               ", 0, 0) ON DUPLICATE KEY UPDATE on_hand = on_hand + " + N(budget);
  }
  db_.Exec(
      "INSERT INTO vendor_shipments (id, po_id, store_id, vendor_id, status, completed_at) "
      "VALUES " +
      shipments +
      ";\nINSERT INTO vendor_shipment_lines (shipment_id, po_line_id, product_id, quantity) "
      "VALUES " +
      lines + updates);
  for (const auto& m : messages) Publish(m, m.store_id);
}

void Pos::Publish(const Payload& p, Id store) {
  const std::string id = bus_.Publish(p);
  sent_.push_back(Sent{id, std::string(json::MessageType(p)), store});
}

int64_t Pos::Recorded() {
  return db_.QueryInt(
      "SELECT (SELECT COUNT(*) FROM sod_inbox) + (SELECT COUNT(*) FROM sod_dead_letters)");
}

void Pos::WaitRecorded(const std::string& phase) {
  const auto start = std::chrono::steady_clock::now();
  const bool done = Eventually(
      [&] { return Recorded() >= static_cast<int64_t>(sent_.size()); }, kPhaseTimeout);
  ASSERT_TRUE(done) << phase << ": " << Recorded() << " of " << sent_.size()
                    << " messages recorded";
  std::cout << phase << ": " << sent_.size() << " messages recorded after " << Seconds(start)
            << " s\n";
}

void PlayStream(Pos& pos) {
  pos.SendRequests();
  pos.WaitRecorded("requests");
  pos.SendOpenPos();
  pos.WaitRecorded("POs opened");
  pos.SendShipments();
  pos.WaitRecorded("shipments");
}

std::vector<std::string> CheckNode(TestDatabase& db, const std::vector<Sent>& sent) {
  std::vector<std::string> problems = CheckInvariants(db);
  const auto rows = [&](const std::string& what, const std::string& sql) {
    for (const auto& row : db.Query(sql)) {
      std::string line = what + ":";
      for (const auto& cell : row) line += " " + cell.value_or("NULL");
      problems.push_back(line);
    }
  };
  const auto equal = [&](const std::string& what, const std::string& sql, int64_t expected) {
    const int64_t got = db.QueryInt(sql);
    if (got != expected) {
      problems.push_back(what + ": " + N(got) + ", expected " + N(expected));
    }
  };
  // Every message applied exactly once: the inbox holds each id sent, once, and nothing else.
  std::set<std::string> ids;
  for (const auto& s : sent) ids.insert(s.id);
  std::set<std::string> inbox;
  int64_t inbox_rows = 0;
  for (const auto& row : db.Query("SELECT message_id FROM sod_inbox")) {
    inbox.insert(*row[0]);
    ++inbox_rows;
  }
  if (inbox != ids || inbox_rows != static_cast<int64_t>(sent.size())) {
    problems.push_back("inbox: " + N(inbox_rows) + " rows, " + N(static_cast<int64_t>(inbox.size())) +
                       " ids, for " + N(static_cast<int64_t>(sent.size())) + " messages sent");
  }
  // ...and did its work once: a message applied by two daemons, its inbox row kept once, would
  // show here as its decisions written twice.
  rows("audit rows written twice by one message (message special_order rule decision rows)",
       "SELECT message_id, special_order_id, rule, decision, COUNT(*) FROM sod_audit "
       "GROUP BY message_id, special_order_id, rule, decision, detail HAVING COUNT(*) > 1");
  equal("messages refused", "SELECT COUNT(*) FROM sod_inbox WHERE outcome <> 'applied'", 0);
  equal("dead letters", "SELECT COUNT(*) FROM sod_dead_letters", 0);
  equal("special orders", "SELECT COUNT(*) FROM special_orders", kRequests);
  equal("special orders made twice for a line",
        "SELECT COUNT(*) FROM (SELECT order_line_id FROM special_orders GROUP BY order_line_id "
        "HAVING COUNT(*) > 1) d",
        0);
  // No counter negative.
  rows("negative stock counter (store product on_hand committed backordered)",
       "SELECT store_id, product_id, on_hand, committed, backordered FROM stock "
       "WHERE on_hand < 0 OR committed < 0 OR backordered < 0");
  rows("special order allocated outside 0..quantity (id quantity allocated)",
       "SELECT id, quantity, allocated_qty FROM special_orders "
       "WHERE allocated_qty < 0 OR allocated_qty > quantity");
  rows("negative line counter (line committed backordered)",
       "SELECT id, committed_qty, backordered_qty FROM customer_order_lines "
       "WHERE committed_qty < 0 OR backordered_qty < 0");
  rows("negative PO line quantity (line ordered received)",
       "SELECT id, quantity_ordered, quantity_received FROM purchase_order_lines "
       "WHERE quantity_ordered < 0 OR quantity_received < 0");
  // No unit allocated twice: the arrival ledger is what the POS shipped, each arrival allocated
  // at most what it brought, and per store and product the special orders hold exactly what
  // arrived there (more was wanted everywhere), which is what the ledger says was allocated.
  rows("arrival ledger differs from the shipment (shipment product shipped ledger)",
       "SELECT l.shipment_id, l.product_id, l.quantity, a.quantity FROM vendor_shipment_lines l "
       "LEFT JOIN sod_arrival_lines a ON a.kind = 'shipment' AND a.arrival_id = l.shipment_id "
       "AND a.product_id = l.product_id WHERE a.quantity IS NULL OR a.quantity <> l.quantity");
  rows("arrival allocated more than it brought (shipment brought allocated)",
       "SELECT arrival_id, SUM(quantity), SUM(allocated_qty) FROM sod_arrival_lines "
       "GROUP BY arrival_id HAVING SUM(allocated_qty) > SUM(quantity)");
  rows("allocated differs from what arrived (store product arrived allocated ledger committed)",
       "SELECT k.store_id, k.product_id, k.arrived, COALESCE(so.allocated, 0), k.ledger, "
       "COALESCE(st.committed, 0) FROM "
       "(SELECT s.store_id, l.product_id, SUM(l.quantity) arrived, SUM(a.allocated_qty) ledger "
       " FROM vendor_shipment_lines l JOIN vendor_shipments s ON s.id = l.shipment_id "
       " LEFT JOIN sod_arrival_lines a ON a.kind = 'shipment' AND a.arrival_id = l.shipment_id "
       " AND a.product_id = l.product_id GROUP BY s.store_id, l.product_id) k "
       "LEFT JOIN (SELECT store_id, product_id, SUM(allocated_qty) allocated FROM special_orders "
       " GROUP BY store_id, product_id) so ON so.store_id = k.store_id "
       "AND so.product_id = k.product_id "
       "LEFT JOIN stock st ON st.store_id = k.store_id AND st.product_id = k.product_id "
       "WHERE COALESCE(so.allocated, 0) <> k.arrived OR k.ledger <> k.arrived "
       "OR COALESCE(st.committed, 0) <> k.arrived");
  equal("units allocated in all", "SELECT COALESCE(SUM(allocated_qty), 0) FROM special_orders",
        kUnits);
  equal("units on the arrival ledger",
        "SELECT COALESCE(SUM(allocated_qty), 0) FROM sod_arrival_lines", kUnits);
  // Allocation chose: oldest requests first within each store and product, so no special order
  // got units while an older one of its store and product still waits for some.
  rows("a newer special order served before an older one (store product older newer)",
       "SELECT o.store_id, o.product_id, o.order_line_id, n.order_line_id FROM special_orders o "
       "JOIN special_orders n ON n.store_id = o.store_id AND n.product_id = o.product_id "
       "AND n.order_line_id > o.order_line_id WHERE o.allocated_qty < o.quantity "
       "AND n.allocated_qty > 0 LIMIT 5");
  return problems;
}

std::vector<std::unique_ptr<TestDatabase>> OnEveryNode(const TestDatabase& db) {
  std::vector<std::unique_ptr<TestDatabase>> nodes;
  for (int n = 1; n <= kNodes; ++n) {
    nodes.push_back(
        std::make_unique<TestDatabase>(TestDatabase::Existing{db.name()}, GaleraNode(n)));
    nodes.back()->Exec("SET SESSION wsrep_sync_wait = 1");
  }
  return nodes;
}

void ExpectSameInbox(TestDatabase& a, TestDatabase& b) {
  const std::string inbox = "SELECT message_id, type, outcome FROM sod_inbox ORDER BY message_id";
  EXPECT_EQ(a.Query(inbox), b.Query(inbox));
}

void GaleraDaemons::SetUp() {
  auto node1 = ConnectTo(GaleraNode(1));
  std::unique_ptr<sql::Statement> stmt(node1->createStatement());
  const auto size = QueryText(*stmt, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'");
  ASSERT_EQ(size.size(), 1u);
  ASSERT_EQ(size[0].at(1).value_or(""), "3") << "a test before left a node out";
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  work_dir_ = std::string(SO_BINARY_DIR) + "/test-work/" + test->test_suite_name() + "/" +
              test->name();
  std::filesystem::remove_all(work_dir_);
  std::filesystem::create_directories(work_dir_);
  std::ofstream(work_dir_ + "/rules.yaml") << kRules;
}

void GaleraDaemons::TearDown() {
  StopDaemons();
  bus_.reset();
  // Every test leaves the cluster as it found it: three Synced nodes.
  EXPECT_NO_THROW(GaleraScript("status"));
}

TestDatabase& GaleraDaemons::MakeDatabase(const std::string& prefix) {
  dbs_.push_back(std::make_unique<TestDatabase>(prefix, GaleraNode(1)));
  TestDatabase& db = *dbs_.back();
  db.Exec("SET SESSION wsrep_sync_wait = 1");
  LoadCatalog(db);
  return db;
}

void GaleraDaemons::StartDaemon(const TestDatabase& db, const std::string& name,
                               const std::vector<int>& nodes, const std::string& extra) {
  DaemonSetup setup{db.options(), work_dir_ + "/rules.yaml", work_dir_ + "/" + name};
  if (!nodes.empty()) {
    setup.database.nodes.clear();
    for (int n : nodes) setup.database.nodes.push_back(NodeAddress(n));
  }
  setup.database.connect_timeout_s = 5;
  setup.source = "special-ordersd-" + name;
  setup.reconcile = ReconcileSetup{false, 0};
  setup.log_level = "debug";  // a line per message: which daemon applied what
  setup.metrics_port = FreeTcpPort();
  setup.extra_config = extra;
  if (!daemons_.empty()) setup.subscribe = daemons_.front()->pos_endpoint();
  ports_.push_back(setup.metrics_port);
  daemons_.push_back(std::make_unique<DaemonProcess>(std::move(setup)));
  daemons_.back()->Start();
  if (!bus_) {
    bus_ = std::make_unique<PosBus>(daemons_.back()->pos_endpoint(),
                                    daemons_.back()->events_endpoint());
  }
  bus_->WaitForDaemon();  // this daemon's subscriptions reached the POS
}

void GaleraDaemons::StartThreeDaemons(const TestDatabase& db,
                                     const std::vector<std::string>& extra) {
  for (int i = 0; i < kNodes; ++i) {
    std::vector<int> nodes = {i + 1};
    for (int n = 1; n <= kNodes; ++n) {
      if (n != i + 1) nodes.push_back(n);
    }
    StartDaemon(db, "daemon" + N(i + 1), nodes, extra.at(static_cast<size_t>(i)));
  }
}

std::string GaleraDaemons::Scrape(size_t daemon) {
  const HttpAnswer a = HttpGet(ports_.at(daemon), "/metrics");
  EXPECT_EQ(a.status, 200) << "daemon " << daemon + 1;
  return a.body;
}

std::string GaleraDaemons::AppliedByMoreThanOne() const {
  std::map<std::string, std::vector<std::string>> lines;  // message id -> "daemon N: line"
  for (size_t i = 0; i < daemons_.size(); ++i) {
    std::istringstream log(daemons_[i]->Log());
    for (std::string line; std::getline(log, line);) {
      const size_t at = line.find("applied ");
      const size_t id = line.find(" id=", at);
      if (at == std::string::npos || id == std::string::npos) continue;
      const size_t end = line.find_first_of(" :", id + 4);
      lines[line.substr(id + 4, end == std::string::npos ? end : end - id - 4)].push_back(
          "daemon " + std::to_string(i + 1) + ": " + line);
    }
  }
  std::string out;
  for (const auto& [id, of_id] : lines) {
    if (of_id.size() < 2) continue;
    for (const std::string& line : of_id) out += line + "\n";
  }
  return out;
}

std::vector<std::string> GaleraDaemons::FinalScrapes(size_t messages) {
  std::vector<std::string> scrapes(daemons_.size());
  for (size_t i = 0; i < daemons_.size(); ++i) {
    const bool done = Eventually(
        [&] {
          scrapes[i] = Scrape(i);
          return Handled(scrapes[i]) >= static_cast<double>(messages);
        },
        kPhaseTimeout);
    EXPECT_TRUE(done) << "daemon " << i + 1 << " handled " << Handled(scrapes[i]) << " of "
                      << messages << "\n"
                      << scrapes[i];
  }
  return scrapes;
}

void GaleraDaemons::StopDaemons() {
  for (auto& d : daemons_) {
    if (d->running()) {
      EXPECT_EQ(d->Stop(), 0) << d->log_path();
    }
  }
}

void GaleraDaemons::CheckEveryNode(const TestDatabase& db, const std::vector<Sent>& sent) {
  auto nodes = OnEveryNode(db);
  std::vector<std::string> dumps;
  for (int n = 1; n <= kNodes; ++n) {
    TestDatabase& node = *nodes[static_cast<size_t>(n - 1)];
    EXPECT_THAT(CheckNode(node, sent), ::testing::IsEmpty()) << "on node " << n;
    dumps.push_back(node.Dump());
  }
  EXPECT_EQ(dumps[1], dumps[0]) << "node 2's database differs from node 1's";
  EXPECT_EQ(dumps[2], dumps[0]) << "node 3's database differs from node 1's";
}

void GaleraDaemons::PlayReference(TestDatabase& single, const std::vector<int>& nodes,
                                  size_t messages) {
  ForgetDaemons();
  StartDaemon(single, "single", nodes);
  Pos reference(single, *bus_);
  PlayStream(reference);
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_EQ(reference.sent().size(), messages);
  StopDaemons();
  EXPECT_THAT(CheckNode(single, reference.sent()), ::testing::IsEmpty());
}

void GaleraDaemons::ForgetDaemons() {
  StopDaemons();
  daemons_.clear();
  ports_.clear();
  bus_.reset();
}

}  // namespace so::testing::galera
