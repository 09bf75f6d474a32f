#include "tests/support/world.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "adapters/mysql/mysql_store.hpp"
#include "rules/timestamp.hpp"
#include "tests/fakes/fake_store.hpp"
#include "tests/support/test_db.hpp"

namespace so::testing {
namespace {

// --- The fake: the POS's rows are written straight into its tables ---

class FakeWorld final : public World {
 public:
  HostStore& store() override { return store_; }

  void AddStore(Id id) override { db().AddStore(id); }
  void AddVendor(const Vendor& vendor) override { db().vendors[vendor.id] = vendor; }
  void AddProduct(const Product& product) override { db().products[product.id] = product; }
  void AddOffer(Id product_id, const ProductVendor& offer) override {
    ProductVendor row = offer;
    row.unit_cost = Decimal("product_vendors.unit_cost", offer.unit_cost);
    db().product_vendors[{product_id, offer.vendor_id}] = row;
  }
  void AddCustomer(Id) override {}  // the fake keeps no customers
  void PutStock(const StockRow& row) override { db().stock[{row.store_id, row.product_id}] = row; }
  void AddOrder(const CustomerOrder& order, Timestamp created_at) override {
    db().orders[order.id] = order;
    db().order_created_at[order.id] = created_at;
  }
  void AddOrderLine(const OrderLine& line) override { db().lines[line.id] = line; }
  void AddPo(const PurchaseOrder& po) override { db().pos[po.id] = po; }
  void AddPoLine(const PoLine& line) override {
    PoLine row = line;
    row.unit_cost = Decimal("purchase_order_lines.unit_cost", line.unit_cost);
    db().po_lines[line.id] = row;
  }
  // The fake keeps no line ids: it keeps the lines in id order.
  void AddShipment(const Shipment& shipment, const std::vector<Id>& line_ids) override {
    std::vector<size_t> order(shipment.lines.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(),
              [&line_ids](size_t a, size_t b) { return line_ids.at(a) < line_ids.at(b); });
    Shipment row = shipment;
    row.lines.clear();
    for (size_t i : order) row.lines.push_back(shipment.lines[i]);
    db().shipments[shipment.id] = row;
  }
  void AddTransfer(const StoreTransfer& transfer) override {
    db().transfers[transfer.id] = transfer;
  }

  std::optional<InboxRow> Inbox(const std::string& message_id) override {
    auto it = db().inbox.find(message_id);
    if (it == db().inbox.end()) return std::nullopt;
    auto why = db().refusals.find(message_id);
    return InboxRow{it->second, why == db().refusals.end() ? "" : why->second};
  }
  std::vector<AuditEntry> Audit() override { return db().audit; }

 private:
  fakes::FakeDb& db() { return store_.db; }

  static std::string Decimal(std::string_view column, const std::string& text) {
    Result<std::string> stored = fakes::StoredDecimal(column, text);
    if (!stored.ok()) throw std::invalid_argument(stored.error().ToString());
    return std::move(stored).value();
  }

  fakes::FakeStore store_;
};

// --- MySQL: the POS's rows are inserted over a connection of their own ---

std::string Sql(Id id) { return std::to_string(id); }
std::string Sql(const std::string& text) { return QuoteString(text); }
std::string Sql(Timestamp t) { return QuoteString(FormatSqlDatetime(t)); }
std::string Sql(bool b) { return b ? "1" : "0"; }
template <typename T>
std::string Sql(const std::optional<T>& v) {
  return v ? Sql(*v) : "NULL";
}

// "(a, b, c)"
template <typename... T>
std::string Row(const T&... values) {
  std::string out;
  ((out += (out.empty() ? "(" : ", ") + Sql(values)), ...);
  return out + ")";
}

class MysqlWorld final : public World {
 public:
  explicit MysqlWorld(const std::string& prefix) : db_(prefix), store_(db_.options()) {
    const Status s = store_.Connect();
    if (!s.ok()) throw std::runtime_error("MysqlWorld: " + s.error().ToString());
  }

  HostStore& store() override { return store_; }

  void AddStore(Id id) override {
    Insert("stores (id, code, name)", Row(id, "S" + Sql(id), "Store " + Sql(id)));
  }
  void AddVendor(const Vendor& v) override {
    Insert("vendors (id, name, active)", Row(v.id, v.name, v.active));
  }
  void AddProduct(const Product& p) override {
    Insert("products (id, sku, name, primary_vendor_id, special_order_allowed)",
           Row(p.id, p.sku, p.sku, p.primary_vendor_id, p.special_order_allowed));
  }
  void AddOffer(Id product_id, const ProductVendor& o) override {
    Insert(
        "product_vendors (product_id, vendor_id, unit_cost, pack_size, min_order_qty, "
        "lead_time_days)",
        Row(product_id, o.vendor_id, o.unit_cost, o.pack_size, o.min_order_qty,
            Id{o.lead_time_days}));
  }
  void AddCustomer(Id id) override {
    Insert("customers (id, name)", Row(id, "Customer " + Sql(id)));
  }
  void PutStock(const StockRow& r) override {
    db_.Exec("INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES " +
             Row(r.store_id, r.product_id, r.on_hand, r.committed, r.backordered) +
             " ON DUPLICATE KEY UPDATE on_hand = VALUES(on_hand), committed = VALUES(committed), "
             "backordered = VALUES(backordered)");
  }
  void AddOrder(const CustomerOrder& o, Timestamp created_at) override {
    Insert(
        "customer_orders (id, store_id, customer_id, status, has_special_order, created_at, "
        "updated_at)",
        Row(o.id, o.store_id, o.customer_id, o.status, o.has_special_order, created_at,
            created_at));
  }
  void AddOrderLine(const OrderLine& l) override {
    Insert(
        "customer_order_lines (id, order_id, product_id, quantity, special_order_qty, status, "
        "committed_qty, backordered_qty)",
        Row(l.id, l.order_id, l.product_id, l.quantity, l.special_order_qty,
            std::string(ToString(l.status)), l.committed_qty, l.backordered_qty));
  }
  void AddPo(const PurchaseOrder& po) override {
    Insert("purchase_orders (id, store_id, vendor_id, status, created_by, created_at, updated_at)",
           Row(po.id, po.store_id, po.vendor_id, po.status, std::string("pos"), po.created_at,
               po.created_at));
  }
  void AddPoLine(const PoLine& l) override {
    Insert(
        "purchase_order_lines (id, po_id, product_id, quantity_ordered, quantity_received, "
        "unit_cost)",
        Row(l.id, l.po_id, l.product_id, l.quantity_ordered, l.quantity_received, l.unit_cost));
  }
  void AddShipment(const Shipment& s, const std::vector<Id>& line_ids) override {
    const std::optional<Timestamp> completed_at =
        s.status == "completed" ? ParseSqlDatetime("2026-11-10 12:00:00") : std::nullopt;
    Insert("vendor_shipments (id, po_id, store_id, vendor_id, status, completed_at)",
           Row(s.id, s.po_id, s.store_id, s.vendor_id, s.status, completed_at));
    for (size_t i = 0; i < s.lines.size(); ++i) {
      const ShipmentLine& l = s.lines[i];
      Insert("vendor_shipment_lines (id, shipment_id, po_line_id, product_id, quantity)",
             Row(line_ids.at(i), s.id, l.po_line_id, l.product_id, l.quantity));
    }
  }
  void AddTransfer(const StoreTransfer& t) override {
    Insert("store_transfers (id, from_store_id, to_store_id, status, created_by, created_at)",
           Row(t.id, t.from_store_id, t.to_store_id, t.status, std::string("pos"), t.created_at));
    for (const StoreTransferLine& l : t.lines) {
      Insert("store_transfer_lines (id, transfer_id, product_id, quantity, special_order_id)",
             Row(l.id, t.id, l.product_id, l.quantity, l.special_order_id));
    }
  }

  std::optional<InboxRow> Inbox(const std::string& message_id) override {
    const auto rows = db_.Query("SELECT outcome, detail FROM sod_inbox WHERE message_id = " +
                                QuoteString(message_id));
    if (rows.empty()) return std::nullopt;
    return InboxRow{rows[0][0].value_or(""), rows[0][1].value_or("")};
  }
  std::vector<AuditEntry> Audit() override {
    std::vector<AuditEntry> out;
    for (const auto& r : db_.Query("SELECT message_id, special_order_id, rule, decision, detail, "
                                   "at FROM sod_audit ORDER BY id")) {
      AuditEntry e;
      e.message_id = r[0].value_or("");
      if (r[1]) e.special_order_id = std::stoll(*r[1]);
      e.rule = r[2].value_or("");
      e.decision = r[3].value_or("");
      e.detail = r[4].value_or("");
      const std::optional<Timestamp> at = ParseSqlDatetime(r[5].value_or(""));
      if (!at) throw std::runtime_error("sod_audit.at: not a DATETIME: " + r[5].value_or(""));
      e.at = *at;
      out.push_back(std::move(e));
    }
    return out;
  }

 private:
  void Insert(const std::string& table_and_columns, const std::string& row) {
    db_.Exec("INSERT INTO " + table_and_columns + " VALUES " + row);
  }

  // Declared first so that it outlives the store: dropping the database waits for the locks of
  // an open transaction.
  TestDatabase db_;
  so::mysql::MysqlStore store_;
};

}  // namespace

std::unique_ptr<World> NewFakeWorld() { return std::make_unique<FakeWorld>(); }

std::unique_ptr<World> NewMysqlWorld(const std::string& prefix) {
  return std::make_unique<MysqlWorld>(prefix);
}

}  // namespace so::testing
