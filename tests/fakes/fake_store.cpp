#include "tests/fakes/fake_store.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "rules/queries.hpp"

namespace so::fakes {
namespace {

// The MySQL error codes the real store passes on, so that a test can tell the fake's refusals
// apart as it would the server's.
constexpr int kNotNull = 1048;          // ER_BAD_NULL_ERROR
constexpr int kDuplicateKey = 1062;     // ER_DUP_ENTRY
constexpr int kOutOfRange = 1264;       // ER_WARN_DATA_OUT_OF_RANGE (strict mode)
constexpr int kBadValue = 1366;         // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (strict mode)
constexpr int kDataTooLong = 1406;      // ER_DATA_TOO_LONG (strict mode)
constexpr int kNoReferencedRow = 1452;  // ER_NO_REFERENCED_ROW_2: a foreign key
constexpr int kCheckFailed = 4025;      // ER_CONSTRAINT_FAILED: a CHECK constraint

constexpr size_t kTextBytes = 65535;  // a TEXT column

Error Permanent(int code, std::string message) {
  return Error{ErrorKind::kPermanent, code, std::move(message)};
}

std::string Str(Id id) { return std::to_string(id); }

// The error the server gives for a write that names a parent row that does not exist.
template <typename Table>
std::optional<Error> Reference(const Table& table, std::string_view column, std::optional<Id> id) {
  if (!id || table.contains(*id)) return std::nullopt;
  return Permanent(kNoReferencedRow, "foreign key " + std::string(column) + " = " + Str(*id) +
                                         ": no such row (cannot add or update a child row)");
}

std::optional<Error> Check(bool holds, std::string_view constraint) {
  if (holds) return std::nullopt;
  return Permanent(kCheckFailed, "CONSTRAINT " + std::string(constraint) + " failed");
}

// VARCHAR(n) counts characters (utf8mb4), not bytes.
size_t Chars(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::optional<Error> Varchar(std::string_view column, std::string_view value, size_t chars) {
  if (Chars(value) <= chars) return std::nullopt;
  return Permanent(kDataTooLong, "Data too long for column '" + std::string(column) + "'");
}

std::optional<Error> Text(std::string_view column, std::string_view value) {
  if (value.size() <= kTextBytes) return std::nullopt;
  return Permanent(kDataTooLong, "Data too long for column '" + std::string(column) + "'");
}

// The first error of several checks, in the order given.
std::optional<Error> First(std::initializer_list<std::optional<Error>> checks) {
  for (const auto& e : checks) {
    if (e) return e;
  }
  return std::nullopt;
}

template <typename Map>
Id HighestKey(const Map& m) {
  return m.empty() ? 0 : m.rbegin()->first;
}

// Whether the arrival is in the ledger. The ledger is keyed (kind, arrival, product): one lookup
// finds any line of the arrival, so that tests applying thousands of messages do not scan it.
bool Recorded(const FakeDb& db, ArrivalKind kind, Id arrival_id) {
  auto it = db.arrivals.lower_bound({kind, arrival_id, std::numeric_limits<Id>::min()});
  return it != db.arrivals.end() && std::get<0>(it->first) == kind &&
         std::get<1>(it->first) == arrival_id;
}

bool Live(const SpecialOrder& so) {
  return so.status != SoStatus::kCompleted && so.status != SoStatus::kCancelled;
}

template <typename M, typename K>
auto Find(const M& m, const K& k) -> std::optional<typename M::mapped_type> {
  auto it = m.find(k);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

// The special orders that pass `keep` and are neither completed nor cancelled, in id order.
template <typename Pred>
std::vector<SpecialOrder> ActiveWhere(const FakeDb& db, Pred keep) {
  std::vector<SpecialOrder> out;
  for (const auto& [id, so] : db.special_orders) {
    if (Live(so) && keep(so)) out.push_back(so);
  }
  return out;
}

bool IsPoStatus(const std::string& s) {
  return s == "draft" || s == "open" || s == "partially_received" || s == "received" ||
         s == "closed" || s == "cancelled";
}

}  // namespace

Result<std::string> StoredDecimal(std::string_view column, std::string_view text) {
  const auto bad = [&] {
    return Permanent(kBadValue, "Incorrect decimal value: '" + std::string(text) +
                                    "' for column '" + std::string(column) + "'");
  };
  std::string_view t = text;
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  bool negative = false;
  if (!t.empty() && (t.front() == '+' || t.front() == '-')) {
    negative = t.front() == '-';
    t.remove_prefix(1);
  }
  const auto digits_of = [&t] {
    std::string d;
    while (!t.empty() && t.front() >= '0' && t.front() <= '9') {
      d += t.front();
      t.remove_prefix(1);
    }
    return d;
  };
  const std::string whole = digits_of();
  std::string fraction;
  if (!t.empty() && t.front() == '.') {
    t.remove_prefix(1);
    fraction = digits_of();
  }
  if (!t.empty() || (whole.empty() && fraction.empty())) return bad();
  // The value in units of 0.0001, as decimal digits, rounded half away from zero.
  std::string units = whole + (fraction + "0000").substr(0, 4);
  if (fraction.size() > 4 && fraction[4] >= '5') {
    size_t i = units.size();
    while (i > 0 && units[i - 1] == '9') units[--i] = '0';
    if (i == 0) {
      units.insert(units.begin(), '1');
    } else {
      ++units[i - 1];
    }
  }
  units.erase(0, std::min(units.find_first_not_of('0'), units.size()));
  if (units.size() > 12) {
    return Permanent(kOutOfRange, "Out of range value for column '" + std::string(column) + "'");
  }
  if (units.empty()) negative = false;  // -0.00001 is stored as 0.0000
  units.insert(0, std::string(units.size() < 5 ? 5 - units.size() : 0, '0'));
  return (negative ? "-" : "") + units.substr(0, units.size() - 4) + "." +
         units.substr(units.size() - 4);
}

Id FakeDb::NewId(Table table, Id highest) {
  auto [it, fresh] = last_ids.try_emplace(table, 1000);
  it->second = std::max(it->second, highest) + 1;
  return it->second;
}

StockRow FakeDb::Stock(Id store, Id product) const {
  auto it = stock.find({store, product});
  return it == stock.end() ? StockRow{store, product, 0, 0, 0} : it->second;
}

void FakeDb::AddProduct(Id id, std::optional<Id> primary_vendor, bool allowed) {
  products[id] = Product{id, "SKU-" + std::to_string(id), primary_vendor, allowed};
}

void FakeDb::AddVendor(Id id, bool active) {
  vendors[id] = Vendor{id, "Vendor " + std::to_string(id), active};
}

void FakeDb::AddOffer(Id product, Id vendor, std::string cost, int lead_days, Qty pack, Qty moq) {
  Result<std::string> stored = StoredDecimal("product_vendors.unit_cost", cost);
  if (!stored.ok()) throw std::invalid_argument("AddOffer: " + stored.error().ToString());
  product_vendors[{product, vendor}] =
      ProductVendor{vendor, std::move(stored).value(), pack, moq, lead_days, true};
}

void FakeDb::SetOnHand(Id store, Id product, Qty on_hand) {
  auto& row = stock[{store, product}];
  row.store_id = store;
  row.product_id = product;
  row.on_hand = on_hand;
}

void FakeDb::AddOrderWithLine(Id order, Id line, Id store, Id product, Qty special_qty,
                              Id customer) {
  if (!orders.contains(order)) orders[order] = CustomerOrder{order, store, customer, "open", false};
  OrderLine l;
  l.id = line;
  l.order_id = order;
  l.product_id = product;
  l.quantity = special_qty;
  l.special_order_qty = special_qty;
  lines[line] = l;
}

Id FakeDb::AddPo(Id store, Id vendor, std::string status, Timestamp created_at) {
  const Id id = NewId(Table::kPos, HighestKey(pos));
  pos[id] = PurchaseOrder{id, store, vendor, std::move(status), created_at};
  return id;
}

Id FakeDb::AddPoLine(Id po, Id product, Qty qty) {
  const Id id = NewId(Table::kPoLines, HighestKey(po_lines));
  po_lines[id] = PoLine{id, po, product, qty, 0, "1.0000"};
  return id;
}

void FakeDb::CompleteShipment(Id shipment, Id po, std::vector<ShipmentLine> shipped) {
  const PurchaseOrder& p = pos.at(po);
  for (const auto& l : shipped) {
    auto& row = stock[{p.store_id, l.product_id}];
    row.store_id = p.store_id;
    row.product_id = l.product_id;
    row.on_hand += l.quantity;
    po_lines.at(l.po_line_id).quantity_received += l.quantity;
  }
  shipments[shipment] = Shipment{shipment, po, p.store_id, p.vendor_id, "completed", shipped};
}

void FakeDb::ReceiveTransfer(Id transfer, const std::vector<TransferLine>& received) {
  StoreTransfer& t = transfers.at(transfer);
  for (const auto& l : received) {
    SetOnHand(t.from_store_id, l.product_id,
              Stock(t.from_store_id, l.product_id).on_hand - l.quantity);
    SetOnHand(t.to_store_id, l.product_id, Stock(t.to_store_id, l.product_id).on_hand + l.quantity);
  }
  t.status = "received";
}

std::optional<Error> FakeStore::Tick() {
  ++calls_;
  if (fail_at_ != 0 && calls_ == fail_at_) {
    fail_at_ = 0;
    return fail_error_;
  }
  return std::nullopt;
}

#define FAKE_TICK()                 \
  do {                              \
    if (auto e = Tick()) return *e; \
  } while (false)

// What the server refuses, it refuses before it changes anything: the statement fails, the
// transaction goes on.
#define FAKE_REFUSE_IF(check)        \
  do {                               \
    if (auto e = (check)) return *e; \
  } while (false)

// Keeps a row's value before the transaction's first write to it (outside a transaction there is
// nothing to undo).
template <typename Table, typename Undo>
static void Remember(
    const Table& table, std::optional<Undo>& undo,
    std::map<typename Table::key_type, std::optional<typename Table::mapped_type>> Undo::*kept,
    const typename Table::key_type& key) {
  if (!undo) return;
  auto& saved = (*undo).*kept;
  if (saved.contains(key)) return;
  auto it = table.find(key);
  saved.emplace(key, it == table.end() ? std::nullopt
                                       : std::optional<typename Table::mapped_type>(it->second));
}

template <typename Table, typename Saved>
static void Restore(Table& table, Saved& saved) {
  for (auto& [key, value] : saved) {
    if (value) {
      table[key] = std::move(*value);
    } else {
      table.erase(key);
    }
  }
}

#define FAKE_REMEMBER(table, key) Remember(db.table, undo_, &Undo::table, key)

Status FakeStore::Begin() {
  FAKE_TICK();
  // As the MySQL store: START TRANSACTION would silently commit the open one.
  if (undo_) return Permanent(0, "Begin: a transaction is already open");
  undo_.emplace();
  undo_->audit_size = db.audit.size();
  undo_->flight_records_size = db.flight_records.size();
  undo_->outbox_size = db.outbox.size();
  return Status();
}

Status FakeStore::Commit() {
  FAKE_TICK();
  if (fail_commits) return *fail_commits;
  undo_.reset();
  ++commits_;
  if (lose_commit_answer) {
    Error e = *lose_commit_answer;
    lose_commit_answer.reset();
    return e;
  }
  return Status();
}

void FakeStore::Rollback() {
  if (!undo_) return;
  Undo& u = *undo_;
  Restore(db.inbox, u.inbox);
  Restore(db.refusals, u.refusals);
  Restore(db.orders, u.orders);
  Restore(db.lines, u.lines);
  Restore(db.special_orders, u.special_orders);
  Restore(db.stock, u.stock);
  Restore(db.pos, u.pos);
  Restore(db.po_lines, u.po_lines);
  Restore(db.transfers, u.transfers);
  Restore(db.arrivals, u.arrivals);
  Restore(db.picked, u.picked);
  Restore(db.clocks, u.clocks);
  Restore(db.po_sent, u.po_sent);
  db.audit.resize(u.audit_size);
  db.flight_records.resize(u.flight_records_size);
  db.outbox.resize(u.outbox_size);
  if (u.event_sources) db.event_sources = std::move(*u.event_sources);
  undo_.reset();
}

Result<bool> FakeStore::InboxHas(const std::string& message_id) {
  FAKE_TICK();
  return db.inbox.contains(message_id);
}

Result<bool> FakeStore::InboxClaim(const Envelope& envelope) {
  FAKE_TICK();
  FAKE_REFUSE_IF(
      First({Varchar("message_id", envelope.id, 64), Varchar("source", envelope.source, 128),
             Varchar("type", envelope.type, 128)}));
  if (db.inbox.contains(envelope.id)) return false;
  FAKE_REMEMBER(inbox, envelope.id);
  db.inbox.emplace(envelope.id, "applied");
  return true;
}

Status FakeStore::InboxRefused(const std::string& message_id, std::string_view reason) {
  FAKE_TICK();
  FAKE_REFUSE_IF(Text("detail", reason));
  if (!db.inbox.contains(message_id)) return Permanent(0, "no inbox row for " + message_id);
  FAKE_REMEMBER(inbox, message_id);
  FAKE_REMEMBER(refusals, message_id);
  db.inbox.at(message_id) = "refused";
  db.refusals[message_id] = std::string(reason);
  return Status();
}

Result<bool> FakeStore::StoreExists(Id store_id) {
  FAKE_TICK();
  return db.stores.contains(store_id);
}

Result<std::optional<Product>> FakeStore::GetProduct(Id id) {
  FAKE_TICK();
  return Find(db.products, id);
}

Result<std::optional<Vendor>> FakeStore::GetVendor(Id id) {
  FAKE_TICK();
  return Find(db.vendors, id);
}

Result<std::vector<ProductVendor>> FakeStore::GetProductVendors(Id product_id) {
  FAKE_TICK();
  std::vector<ProductVendor> out;
  for (const auto& [key, pv] : db.product_vendors) {
    if (key.first != product_id) continue;
    // Joined with the vendor, as the query does.
    auto v = db.vendors.find(key.second);
    if (v == db.vendors.end()) continue;
    ProductVendor copy = pv;
    copy.vendor_active = v->second.active;
    out.push_back(copy);
  }
  return out;
}

Result<std::optional<CustomerOrder>> FakeStore::LockOrder(Id id) {
  FAKE_TICK();
  return Find(db.orders, id);
}

Result<std::optional<OrderLine>> FakeStore::LockOrderLine(Id id) {
  FAKE_TICK();
  return Find(db.lines, id);
}

Result<StockRow> FakeStore::LockStock(Id store_id, Id product_id) {
  FAKE_TICK();
  return db.Stock(store_id, product_id);
}

Result<std::optional<Shipment>> FakeStore::GetShipment(Id id) {
  FAKE_TICK();
  return Find(db.shipments, id);
}

Result<std::vector<Id>> FakeStore::UnappliedShipmentsOfPo(Id po_id) {
  FAKE_TICK();
  std::vector<Id> out;
  for (const auto& [id, s] : db.shipments) {
    if (s.po_id == po_id && s.status == "completed" && !Recorded(db, ArrivalKind::kShipment, id)) {
      out.push_back(id);
    }
  }
  return out;
}

Result<std::optional<SpecialOrder>> FakeStore::LockSpecialOrder(Id id) {
  FAKE_TICK();
  return Find(db.special_orders, id);
}

Result<std::optional<SpecialOrder>> FakeStore::LockSpecialOrderByLine(Id line_id) {
  FAKE_TICK();
  for (const auto& [id, so] : db.special_orders) {
    if (so.order_line_id == line_id) return std::optional<SpecialOrder>(so);
  }
  return std::optional<SpecialOrder>();
}

Result<std::vector<SpecialOrder>> FakeStore::LockSpecialOrdersOfOrder(Id order_id) {
  FAKE_TICK();
  std::vector<SpecialOrder> out;
  for (const auto& [id, so] : db.special_orders) {
    if (so.order_id == order_id) out.push_back(so);
  }
  return out;
}

Result<std::vector<SpecialOrder>> FakeStore::LockSpecialOrdersOnPoLines(
    const std::vector<Id>& po_line_ids) {
  FAKE_TICK();
  return ActiveWhere(db, [&](const SpecialOrder& so) {
    return std::any_of(po_line_ids.begin(), po_line_ids.end(),
                       [&so](Id line) { return queries::OnPoLine(so, line); });
  });
}

Result<std::vector<SpecialOrder>> FakeStore::LockSpecialOrdersOnPo(Id po_id) {
  FAKE_TICK();
  return ActiveWhere(db, [&](const SpecialOrder& so) { return queries::OnPo(so, po_id); });
}

Result<std::vector<SpecialOrder>> FakeStore::LockSpecialOrdersOnTransfer(Id transfer_id) {
  FAKE_TICK();
  return ActiveWhere(db,
                     [&](const SpecialOrder& so) { return queries::OnTransfer(so, transfer_id); });
}

Result<std::vector<SpecialOrder>> FakeStore::LockWaitingSpecialOrders(Id store_id, Id product_id) {
  FAKE_TICK();
  return ActiveWhere(
      db, [&](const SpecialOrder& so) { return queries::WaitsAt(so, store_id, product_id); });
}

// The constraints of special_orders on the columns a write may change.
static std::optional<Error> SpecialOrderRefused(const FakeDb& db, const SpecialOrder& so) {
  return First({Check(so.quantity >= 0, "ck_special_orders_quantity"),
                Check(so.allocated_qty >= 0, "ck_special_orders_allocated"),
                Reference(db.vendors, "special_orders.vendor_id", so.vendor_id),
                Reference(db.pos, "special_orders.po_id", so.po_id),
                Reference(db.po_lines, "special_orders.po_line_id", so.po_line_id),
                Reference(db.transfers, "special_orders.transfer_id", so.transfer_id)});
}

Result<Id> FakeStore::InsertSpecialOrder(const SpecialOrder& so) {
  FAKE_TICK();
  FAKE_REFUSE_IF(First({SpecialOrderRefused(db, so),
                        Reference(db.stores, "special_orders.store_id", so.store_id),
                        Reference(db.orders, "special_orders.order_id", so.order_id),
                        Reference(db.lines, "special_orders.order_line_id", so.order_line_id),
                        Reference(db.products, "special_orders.product_id", so.product_id)}));
  for (const auto& [id, other] : db.special_orders) {
    if (other.order_line_id == so.order_line_id) {
      return Permanent(kDuplicateKey, "Duplicate entry '" + Str(so.order_line_id) +
                                          "' for key 'uq_special_orders_order_line'");
    }
  }
  SpecialOrder row = so;
  row.id = db.NewId(FakeDb::Table::kSpecialOrders, HighestKey(db.special_orders));
  FAKE_REMEMBER(special_orders, row.id);
  db.special_orders[row.id] = row;
  return row.id;
}

Status FakeStore::UpdateSpecialOrder(const SpecialOrder& so) {
  FAKE_TICK();
  auto it = db.special_orders.find(so.id);
  if (it == db.special_orders.end()) {
    return Permanent(0, "special_orders has no row with id " + Str(so.id));
  }
  FAKE_REFUSE_IF(SpecialOrderRefused(db, so));
  FAKE_REMEMBER(special_orders, so.id);
  // The mutable columns only: store, order, line, customer, product and requested_at stay as
  // inserted.
  SpecialOrder& row = it->second;
  row.quantity = so.quantity;
  row.allocated_qty = so.allocated_qty;
  row.status = so.status;
  row.source = so.source;
  row.vendor_id = so.vendor_id;
  row.po_id = so.po_id;
  row.po_line_id = so.po_line_id;
  row.transfer_id = so.transfer_id;
  row.ordered_at = so.ordered_at;
  row.arrived_at = so.arrived_at;
  row.ready_at = so.ready_at;
  row.completed_at = so.completed_at;
  row.cancelled_at = so.cancelled_at;
  row.updated_at = so.updated_at;
  return Status();
}

Status FakeStore::UpdateOrderLine(const OrderLine& line) {
  FAKE_TICK();
  auto it = db.lines.find(line.id);
  if (it == db.lines.end()) {
    return Permanent(0, "customer_order_lines has no row with id " + Str(line.id));
  }
  FAKE_REFUSE_IF(First({Check(line.committed_qty >= 0, "ck_customer_order_lines_committed"),
                        Check(line.backordered_qty >= 0, "ck_customer_order_lines_backordered")}));
  FAKE_REMEMBER(lines, line.id);
  it->second.status = line.status;
  it->second.committed_qty = line.committed_qty;
  it->second.backordered_qty = line.backordered_qty;
  return Status();
}

// customer_orders.updated_at, which MySQL moves along, is not kept: the port never reads it.
Status FakeStore::SetHasSpecialOrder(Id order_id, bool value, Timestamp) {
  FAKE_TICK();
  auto it = db.orders.find(order_id);
  if (it == db.orders.end()) {
    return Permanent(0, "customer_orders has no row with id " + Str(order_id));
  }
  FAKE_REMEMBER(orders, order_id);
  it->second.has_special_order = value;
  return Status();
}

Status FakeStore::AddToStock(Id store_id, Id product_id, Qty committed_delta,
                             Qty backordered_delta) {
  FAKE_TICK();
  const auto key = std::make_pair(store_id, product_id);
  auto it = db.stock.find(key);
  if (it == db.stock.end()) {
    if (committed_delta < 0 || backordered_delta < 0) {
      return Permanent(0, "stock has no row for store " + Str(store_id) + " and product " +
                              Str(product_id) + " to take from");
    }
    FAKE_REFUSE_IF(First({Reference(db.stores, "stock.store_id", store_id),
                          Reference(db.products, "stock.product_id", product_id)}));
  } else {
    FAKE_REFUSE_IF(
        First({Check(it->second.committed + committed_delta >= 0, "ck_stock_committed"),
               Check(it->second.backordered + backordered_delta >= 0, "ck_stock_backordered")}));
  }
  FAKE_REMEMBER(stock, key);
  StockRow& row = db.stock[key];
  row.store_id = store_id;
  row.product_id = product_id;
  row.committed += committed_delta;
  row.backordered += backordered_delta;
  return Status();
}

Result<std::optional<PurchaseOrder>> FakeStore::LockPo(Id id) {
  FAKE_TICK();
  return Find(db.pos, id);
}

Result<std::optional<PurchaseOrder>> FakeStore::LockNewestPo(
    Id store_id, Id vendor_id, const std::vector<std::string>& statuses) {
  FAKE_TICK();
  std::optional<PurchaseOrder> best;
  for (const auto& [id, po] : db.pos) {
    if (po.store_id != store_id || po.vendor_id != vendor_id ||
        std::find(statuses.begin(), statuses.end(), po.status) == statuses.end()) {
      continue;
    }
    if (!best || std::tie(po.created_at, po.id) > std::tie(best->created_at, best->id)) best = po;
  }
  return best;
}

Result<std::optional<PoLine>> FakeStore::LockPoLine(Id po_id, Id product_id) {
  FAKE_TICK();
  for (const auto& [id, line] : db.po_lines) {
    if (line.po_id == po_id && line.product_id == product_id) return std::optional<PoLine>(line);
  }
  return std::optional<PoLine>();
}

// created_by is checked, not kept: the port never reads it.
Result<Id> FakeStore::InsertPo(const PurchaseOrder& po, std::string_view created_by) {
  FAKE_TICK();
  FAKE_REFUSE_IF(First({Varchar("created_by", created_by, 64),
                        Check(IsPoStatus(po.status), "ck_purchase_orders_status"),
                        Reference(db.stores, "purchase_orders.store_id", po.store_id),
                        Reference(db.vendors, "purchase_orders.vendor_id", po.vendor_id)}));
  PurchaseOrder row = po;
  row.id = db.NewId(FakeDb::Table::kPos, HighestKey(db.pos));
  FAKE_REMEMBER(pos, row.id);
  db.pos[row.id] = row;
  return row.id;
}

Result<Id> FakeStore::InsertPoLine(const PoLine& line) {
  FAKE_TICK();
  // An empty cost is a missing one, which the MySQL store sends as NULL.
  if (line.unit_cost.empty()) return Permanent(kNotNull, "Column 'unit_cost' cannot be null");
  SO_ASSIGN_OR_RETURN(std::string cost, StoredDecimal("unit_cost", line.unit_cost));
  FAKE_REFUSE_IF(
      First({Check(line.quantity_ordered >= 0, "ck_purchase_order_lines_ordered"),
             Check(line.quantity_received >= 0, "ck_purchase_order_lines_received"),
             Check(cost.front() != '-', "ck_purchase_order_lines_unit_cost"),
             Reference(db.pos, "purchase_order_lines.po_id", line.po_id),
             Reference(db.products, "purchase_order_lines.product_id", line.product_id)}));
  PoLine row = line;
  row.id = db.NewId(FakeDb::Table::kPoLines, HighestKey(db.po_lines));
  row.unit_cost = std::move(cost);
  FAKE_REMEMBER(po_lines, row.id);
  db.po_lines[row.id] = row;
  return row.id;
}

Status FakeStore::SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) {
  FAKE_TICK();
  auto it = db.po_lines.find(po_line_id);
  if (it == db.po_lines.end()) {
    return Permanent(0, "purchase_order_lines has no row with id " + Str(po_line_id));
  }
  FAKE_REFUSE_IF(Check(quantity_ordered >= 0, "ck_purchase_order_lines_ordered"));
  FAKE_REMEMBER(po_lines, po_line_id);
  it->second.quantity_ordered = quantity_ordered;
  return Status();
}

Result<std::vector<StockRow>> FakeStore::GetStockOfProduct(Id product_id) {
  FAKE_TICK();
  std::vector<StockRow> out;
  for (const auto& [key, row] : db.stock) {
    if (key.second == product_id) out.push_back(row);
  }
  return out;
}

Result<std::optional<StoreTransfer>> FakeStore::GetTransfer(Id transfer_id) {
  FAKE_TICK();
  std::optional<StoreTransfer> t = Find(db.transfers, transfer_id);
  if (t) {
    std::sort(t->lines.begin(), t->lines.end(),
              [](const StoreTransferLine& a, const StoreTransferLine& b) { return a.id < b.id; });
  }
  return t;
}

Result<Id> FakeStore::InsertTransfer(const StoreTransfer& transfer, std::string_view created_by) {
  FAKE_TICK();
  FAKE_REFUSE_IF(
      First({Varchar("created_by", created_by, 64),
             Check(transfer.from_store_id != transfer.to_store_id, "ck_store_transfers_stores"),
             Reference(db.stores, "store_transfers.from_store_id", transfer.from_store_id),
             Reference(db.stores, "store_transfers.to_store_id", transfer.to_store_id)}));
  StoreTransfer row = transfer;
  row.id = db.NewId(FakeDb::Table::kTransfers, HighestKey(db.transfers));
  row.status = "requested";
  row.lines.clear();
  FAKE_REMEMBER(transfers, row.id);
  db.transfers[row.id] = row;
  return row.id;
}

Result<Id> FakeStore::InsertTransferLine(const StoreTransferLine& line) {
  FAKE_TICK();
  FAKE_REFUSE_IF(
      First({Check(line.quantity > 0, "ck_store_transfer_lines_quantity"),
             Reference(db.transfers, "store_transfer_lines.transfer_id", line.transfer_id),
             Reference(db.products, "store_transfer_lines.product_id", line.product_id),
             Reference(db.special_orders, "store_transfer_lines.special_order_id",
                       line.special_order_id)}));
  Id highest = 0;
  for (const auto& [id, t] : db.transfers) {
    for (const auto& l : t.lines) highest = std::max(highest, l.id);
  }
  StoreTransferLine row = line;
  row.id = db.NewId(FakeDb::Table::kTransferLines, highest);
  FAKE_REMEMBER(transfers, line.transfer_id);
  db.transfers.at(line.transfer_id).lines.push_back(row);
  return row.id;
}

Result<Qty> FakeStore::LockPickedQty(Id special_order_id) {
  FAKE_TICK();
  auto it = db.picked.find(special_order_id);
  return it == db.picked.end() ? Qty{0} : it->second;
}

Status FakeStore::SetPickedQty(Id special_order_id, Qty picked_qty) {
  FAKE_TICK();
  FAKE_REFUSE_IF(Check(picked_qty >= 0, "ck_sod_pickups_picked"));
  FAKE_REMEMBER(picked, special_order_id);
  db.picked[special_order_id] = picked_qty;
  return Status();
}

Result<std::optional<SoClock>> FakeStore::LockSoClock(Id special_order_id) {
  FAKE_TICK();
  auto it = db.clocks.find(special_order_id);
  return it == db.clocks.end() ? std::nullopt : std::optional<SoClock>(it->second);
}

Status FakeStore::PutSoClock(const SoClock& clock) {
  FAKE_TICK();
  if (clock.rule) FAKE_REFUSE_IF(Varchar("rule", *clock.rule, 128));
  FAKE_REMEMBER(clocks, clock.special_order_id);
  db.clocks[clock.special_order_id] = clock;
  return Status();
}

Result<std::optional<Timestamp>> FakeStore::GetPoSentAt(Id po_id) {
  FAKE_TICK();
  auto it = db.po_sent.find(po_id);
  return it == db.po_sent.end() ? std::nullopt : std::optional<Timestamp>(it->second);
}

Status FakeStore::SetPoSentAt(Id po_id, Timestamp at) {
  FAKE_TICK();
  FAKE_REMEMBER(po_sent, po_id);
  db.po_sent.emplace(po_id, at);
  return Status();
}

Result<std::vector<ArrivalLine>> FakeStore::LockArrivalLines(ArrivalKind kind, Id arrival_id) {
  FAKE_TICK();
  std::vector<ArrivalLine> out;
  for (const auto& [key, line] : db.arrivals) {
    if (std::get<0>(key) == kind && std::get<1>(key) == arrival_id) out.push_back(line);
  }
  return out;
}

Status FakeStore::PutArrivalLine(const ArrivalLine& line) {
  FAKE_TICK();
  FAKE_REFUSE_IF(Check(line.allocated_qty >= 0 && line.allocated_qty <= line.quantity,
                       "ck_sod_arrival_lines_allocated"));
  const auto key = std::make_tuple(line.kind, line.arrival_id, line.product_id);
  FAKE_REMEMBER(arrivals, key);
  // An existing line keeps its store: the upsert overwrites the two quantities only.
  auto [it, inserted] = db.arrivals.emplace(key, line);
  if (!inserted) {
    it->second.quantity = line.quantity;
    it->second.allocated_qty = line.allocated_qty;
  }
  return Status();
}

Status FakeStore::InsertAudit(const AuditEntry& entry) {
  FAKE_TICK();
  FAKE_REFUSE_IF(
      First({Varchar("message_id", entry.message_id, 64), Varchar("rule", entry.rule, 128),
             Varchar("decision", entry.decision, 64), Text("detail", entry.detail)}));
  db.audit.push_back(entry);
  return Status();
}

// The same facts as the MySQL queries, from the fake's rows (see PendingFacts for each kind),
// each list in the same order and cut at the limit the same way, of the stores in `scope` only.
Result<PendingFacts> FakeStore::FindPendingFacts(int limit, const StoreScope& scope) {
  FAKE_TICK();
  // As the MySQL store, which opens a transaction of its own for it.
  if (undo_) return Permanent(0, "Begin: a transaction is already open");
  PendingFacts f;
  const auto full = [limit](size_t size) { return static_cast<int>(size) >= limit; };
  std::set<Id> lines_with_so, orders_with_live_so, pos_waited_on, pos_not_arrived, transfers,
      pos_promised_from_now;
  for (const auto& [id, so] : db.special_orders) {
    lines_with_so.insert(so.order_line_id);
    if (!Live(so)) continue;
    orders_with_live_so.insert(so.order_id);
    if (so.waiting() <= 0) continue;
    if (so.po_id) pos_waited_on.insert(*so.po_id);
    if (so.po_id && so.status != SoStatus::kArrived) pos_not_arrived.insert(*so.po_id);
    if (so.transfer_id) transfers.insert(*so.transfer_id);
    const auto clock = db.clocks.find(id);
    if (so.po_id && (so.status == SoStatus::kOrdered || so.status == SoStatus::kInProgress) &&
        clock != db.clocks.end() && clock->second.basis == PromiseBasis::kVendorFromNow) {
      pos_promised_from_now.insert(*so.po_id);
    }
  }
  for (const auto& [id, line] : db.lines) {
    if (full(f.unrequested_lines.size())) break;
    auto order = db.orders.find(line.order_id);
    if (order == db.orders.end() || order->second.status != "open" || line.special_order_qty <= 0 ||
        lines_with_so.contains(id) || !scope.Owns(order->second.store_id)) {
      continue;
    }
    auto created = db.order_created_at.find(line.order_id);
    f.unrequested_lines.push_back(
        {line.order_id, id, line.product_id,
         created == db.order_created_at.end() ? Timestamp{} : created->second});
  }
  for (const auto& [id, so] : db.special_orders) {
    if (full(f.changed_lines.size())) break;
    auto line = db.lines.find(so.order_line_id);
    if (!Live(so) || line == db.lines.end() || line->second.special_order_qty == so.quantity ||
        !scope.Owns(so.store_id)) {
      continue;
    }
    f.changed_lines.push_back(
        {line->second.order_id, line->first, line->second.special_order_qty, so.updated_at});
  }
  // One query, one limit for both lists.
  for (Id id : orders_with_live_so) {
    if (full(f.cancelled_orders.size() + f.completed_orders.size())) break;
    auto order = db.orders.find(id);
    if (order == db.orders.end() || !scope.Owns(order->second.store_id)) continue;
    if (order->second.status == "cancelled") f.cancelled_orders.push_back(id);
    if (order->second.status == "completed") f.completed_orders.push_back(id);
  }
  for (const auto& [id, s] : db.shipments) {
    if (full(f.shipments.size())) break;
    if (s.status == "completed" && pos_waited_on.contains(s.po_id) && scope.Owns(s.store_id) &&
        !Recorded(db, ArrivalKind::kShipment, id)) {
      f.shipments.push_back(id);
    }
  }
  for (Id id : transfers) {
    if (full(f.transfers.size())) break;
    auto t = db.transfers.find(id);
    if (t != db.transfers.end() && t->second.status == "received" &&
        scope.Owns(t->second.to_store_id) && !Recorded(db, ArrivalKind::kTransfer, id)) {
      f.transfers.push_back(id);
    }
  }
  for (Id id : pos_not_arrived) {
    if (full(f.pos_gone_wrong.size())) break;
    auto po = db.pos.find(id);
    if (po == db.pos.end() || !scope.Owns(po->second.store_id)) continue;
    const std::string& status = po->second.status;
    if (status == "cancelled" || status == "closed" || status == "received") {
      f.pos_gone_wrong.push_back({id, status});
    }
  }
  for (Id id : pos_promised_from_now) {
    if (full(f.sent_pos.size())) break;
    auto po = db.pos.find(id);
    if (po == db.pos.end() || !scope.Owns(po->second.store_id) || db.po_sent.contains(id)) continue;
    const std::string& status = po->second.status;
    if (status == "open" || status == "partially_received") f.sent_pos.push_back({id, status});
  }
  return f;
}

// queries::ClockCandidate() over the special orders in id order, as the MySQL query pages them.
Result<std::vector<ClockCandidate>> FakeStore::FindClockCandidates(const ClockQuery& q,
                                                                   const StoreScope& scope) {
  FAKE_TICK();
  // As the MySQL store, which opens a transaction of its own for it.
  if (undo_) return Permanent(0, "Begin: a transaction is already open");
  std::vector<ClockCandidate> out;
  for (auto it = db.special_orders.upper_bound(q.after_id);
       it != db.special_orders.end() && static_cast<int>(out.size()) < q.limit; ++it) {
    const SpecialOrder& so = it->second;
    auto clock = db.clocks.find(so.id);
    ClockCandidate c{
        so, clock == db.clocks.end() ? std::nullopt : std::optional<SoClock>(clock->second)};
    if (scope.Owns(so.store_id) && queries::ClockCandidate(c.so, c.clock, q)) {
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace so::fakes
