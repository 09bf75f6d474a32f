// The HostStore calls of MysqlStore, each with its SQL. The connection, transactions and the
// statement helper are in mysql_session.*, value conversions in mysql_rows.*; the dead letters,
// the daemon's schema and the catch-up queries have files of their own.
#include "adapters/mysql/mysql_store.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"

namespace so::mysql {
namespace {

// The one row of a set-wise read of one key, if any.
template <typename T>
Result<std::optional<T>> First(Result<std::vector<T>> rows) {
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows->front()));
}

Product ReadProduct(const sql::ResultSet& rs) {
  Product p;
  p.id = rs.getInt64(1);
  p.sku = GetStr(rs, 2);
  p.primary_vendor_id = GetOptId(rs, 3);
  p.special_order_allowed = rs.getBoolean(4);
  return p;
}

Vendor ReadVendor(const sql::ResultSet& rs) {
  Vendor v;
  v.id = rs.getInt64(1);
  v.name = GetStr(rs, 2);
  v.active = rs.getBoolean(3);
  return v;
}

CustomerOrder ReadOrder(const sql::ResultSet& rs) {
  CustomerOrder o;
  o.id = rs.getInt64(1);
  o.store_id = rs.getInt64(2);
  o.customer_id = rs.getInt64(3);
  o.status = GetStr(rs, 4);
  o.has_special_order = rs.getBoolean(5);
  return o;
}

OrderLine ReadOrderLine(const sql::ResultSet& rs) {
  OrderLine l;
  l.id = rs.getInt64(1);
  l.order_id = rs.getInt64(2);
  l.product_id = rs.getInt64(3);
  l.quantity = rs.getInt64(4);
  l.special_order_qty = rs.getInt64(5);
  const std::string status = GetStr(rs, 6);
  l.status = Parsed(ParseLineStatus(status), "customer_order_lines.status", status);
  l.committed_qty = rs.getInt64(7);
  l.backordered_qty = rs.getInt64(8);
  return l;
}

// Column order: store_id, product_id, on_hand, committed, backordered.
StockRow ReadStockRow(const sql::ResultSet& rs) {
  StockRow row;
  row.store_id = rs.getInt64(1);
  row.product_id = rs.getInt64(2);
  row.on_hand = rs.getInt64(3);
  row.committed = rs.getInt64(4);
  row.backordered = rs.getInt64(5);
  return row;
}

ArrivalLine ReadArrivalLine(const sql::ResultSet& rs) {
  ArrivalLine line;
  const std::string k = GetStr(rs, 1);
  if (k == ToString(ArrivalKind::kShipment)) {
    line.kind = ArrivalKind::kShipment;
  } else if (k == ToString(ArrivalKind::kTransfer)) {
    line.kind = ArrivalKind::kTransfer;
  } else {
    throw BadValue("sod_arrival_lines.kind: unknown value '" + k + "'");
  }
  line.arrival_id = rs.getInt64(2);
  line.product_id = rs.getInt64(3);
  line.store_id = rs.getInt64(4);
  line.quantity = rs.getInt64(5);
  line.allocated_qty = rs.getInt64(6);
  return line;
}

}  // namespace

MysqlStore::MysqlStore(MysqlOptions options)
    : options_(std::move(options)), session_(std::make_unique<Session>()) {}

MysqlStore::~MysqlStore() = default;

bool MysqlStore::connected() const { return session_->connected(); }

Status MysqlStore::Connect() { return session_->Connect(options_); }

const std::string& MysqlStore::node() const { return session_->node(); }

bool MysqlStore::galera() const { return session_->galera(); }

Status MysqlStore::CheckNode() { return session_->CheckNode(); }

// --- Transactions ---

Status MysqlStore::Begin() { return session_->Begin(); }

Status MysqlStore::Commit() { return session_->Commit(); }

void MysqlStore::Rollback() { session_->Rollback(); }

// --- Inbox ---

Result<bool> MysqlStore::InboxHas(const std::string& message_id) {
  constexpr const char* kSql = "SELECT 1 FROM sod_inbox WHERE message_id = ?";
  return session_->Run("InboxHas", [&] { return session_->Query(kSql, message_id).Exists(); });
}

Result<bool> MysqlStore::InboxClaim(const Envelope& envelope) {
  constexpr const char* kSql =
      "INSERT INTO sod_inbox (message_id, source, seq, type, outcome, detail, occurred_at, "
      "applied_at) VALUES (?, ?, ?, ?, 'applied', '', ?, ?)";
  Result<bool> claimed = session_->Run("InboxClaim", [&] {
    session_
        ->Query(kSql, envelope.id, envelope.source, envelope.seq, envelope.type,
                envelope.occurred_at, envelope.occurred_at)
        .Execute();
    return true;
  });
  // The id is there: applied before, or by another daemon that committed while we waited. Not
  // INSERT IGNORE, which would also turn real errors into warnings.
  if (!claimed.ok() && claimed.error().code == 1062) return false;
  return claimed;
}

Status MysqlStore::InboxRefused(const std::string& message_id, std::string_view reason) {
  WriteSet w;
  w.refusals.push_back({message_id, std::string(reason)});
  return ApplyWrites(w);
}

// --- Reads of POS-owned rows ---

Result<bool> MysqlStore::StoreExists(Id store_id) {
  constexpr const char* kSql = "SELECT 1 FROM stores WHERE id = ?";
  return session_->Run("StoreExists", [&] { return session_->Query(kSql, store_id).Exists(); });
}

// Each single-row read below is its set-wise twin with one key: one statement shape per table.

Result<std::optional<Product>> MysqlStore::GetProduct(Id product_id) {
  return First(GetProducts({product_id}));
}

Result<std::vector<Product>> MysqlStore::GetProducts(const std::vector<Id>& ids) {
  if (ids.empty()) return std::vector<Product>();
  return session_->Run("GetProducts", [&] {
    const InList in(ids);
    return session_
        ->Query(
            "SELECT id, sku, primary_vendor_id, special_order_allowed FROM products "
            "WHERE id IN " +
                in.Placeholders() + " ORDER BY id",
            in)
        .All(ReadProduct);
  });
}

Result<std::optional<Vendor>> MysqlStore::GetVendor(Id vendor_id) {
  return First(GetVendors({vendor_id}));
}

Result<std::vector<Vendor>> MysqlStore::GetVendors(const std::vector<Id>& ids) {
  if (ids.empty()) return std::vector<Vendor>();
  return session_->Run("GetVendors", [&] {
    const InList in(ids);
    return session_
        ->Query("SELECT id, name, active FROM vendors WHERE id IN " + in.Placeholders() +
                    " ORDER BY id",
                in)
        .All(ReadVendor);
  });
}

Result<std::vector<ProductVendor>> MysqlStore::GetProductVendors(Id product_id) {
  Result<std::map<Id, std::vector<ProductVendor>>> offers = GetProductVendorsOf({product_id});
  if (!offers.ok()) return offers.error();
  return std::move((*offers)[product_id]);
}

Result<std::map<Id, std::vector<ProductVendor>>> MysqlStore::GetProductVendorsOf(
    const std::vector<Id>& product_ids) {
  std::map<Id, std::vector<ProductVendor>> out;
  if (product_ids.empty()) return out;
  return session_->Run("GetProductVendorsOf", [&] {
    const InList in(product_ids);
    session_
        ->Query(
            "SELECT pv.product_id, pv.vendor_id, pv.unit_cost, pv.pack_size, "
            "pv.min_order_qty, pv.lead_time_days, v.active FROM product_vendors pv "
            "JOIN vendors v ON v.id = pv.vendor_id WHERE pv.product_id IN " +
                in.Placeholders() + " ORDER BY pv.product_id, pv.vendor_id",
            in)
        .ForEach([&](const sql::ResultSet& rs) {
          ProductVendor pv;
          pv.vendor_id = rs.getInt64(2);
          pv.unit_cost = GetStr(rs, 3);  // DECIMAL as its exact text, never through a double
          pv.pack_size = rs.getInt64(4);
          pv.min_order_qty = rs.getInt64(5);
          pv.lead_time_days = rs.getInt(6);
          pv.vendor_active = rs.getBoolean(7);
          out[rs.getInt64(1)].push_back(std::move(pv));
        });
    return out;
  });
}

Result<std::optional<CustomerOrder>> MysqlStore::LockOrder(Id order_id) {
  return First(LockOrders({order_id}));
}

Result<std::vector<CustomerOrder>> MysqlStore::LockOrders(const std::vector<Id>& ids) {
  if (ids.empty()) return std::vector<CustomerOrder>();
  return session_->Run("LockOrders", [&] {
    const InList in(ids);
    return session_
        ->Query(
            "SELECT id, store_id, customer_id, status, has_special_order FROM customer_orders "
            "WHERE id IN " +
                in.Placeholders() + " ORDER BY id FOR UPDATE",
            in)
        .All(ReadOrder);
  });
}

Result<std::optional<OrderLine>> MysqlStore::LockOrderLine(Id order_line_id) {
  return First(LockOrderLines({order_line_id}));
}

Result<std::vector<OrderLine>> MysqlStore::LockOrderLines(const std::vector<Id>& ids) {
  if (ids.empty()) return std::vector<OrderLine>();
  return session_->Run("LockOrderLines", [&] {
    const InList in(ids);
    return session_
        ->Query(
            "SELECT id, order_id, product_id, quantity, special_order_qty, status, "
            "committed_qty, backordered_qty FROM customer_order_lines WHERE id IN " +
                in.Placeholders() + " ORDER BY id FOR UPDATE",
            in)
        .All(ReadOrderLine);
  });
}

Result<StockRow> MysqlStore::LockStock(Id store_id, Id product_id) {
  // No row locks nothing under READ COMMITTED; that is safe because a missing row has no
  // on_hand to allocate, and AddToStock() creates it with an atomic, additive upsert.
  Result<std::optional<StockRow>> row = First(LockStocks({{store_id, product_id}}));
  if (!row.ok()) return row.error();
  return row->value_or(StockRow{store_id, product_id, 0, 0, 0});
}

Result<std::vector<StockRow>> MysqlStore::LockStocks(const std::vector<StockKey>& keys) {
  if (keys.empty()) return std::vector<StockRow>();
  // A row-value IN list is a range of the primary key.
  return session_->Run("LockStocks", [&] {
    const InList in(keys);
    return session_
        ->Query(
            "SELECT store_id, product_id, on_hand, committed, backordered FROM stock "
            "WHERE (store_id, product_id) IN " +
                in.Placeholders() + " ORDER BY store_id, product_id FOR UPDATE",
            in)
        .All(ReadStockRow);
  });
}

Result<std::optional<Shipment>> MysqlStore::GetShipment(Id shipment_id) {
  return First(GetShipments({shipment_id}));
}

Result<std::vector<Shipment>> MysqlStore::GetShipments(const std::vector<Id>& ids) {
  if (ids.empty()) return std::vector<Shipment>();
  // One round trip for the shipments and their lines; a shipment without lines gives one row
  // with NULL line columns.
  return session_->Run("GetShipments", [&] {
    const InList in(ids);
    std::vector<Shipment> out;
    session_
        ->Query(
            "SELECT s.id, s.po_id, s.store_id, s.vendor_id, s.status, l.po_line_id, "
            "l.product_id, l.quantity FROM vendor_shipments s "
            "LEFT JOIN vendor_shipment_lines l ON l.shipment_id = s.id "
            "WHERE s.id IN " +
                in.Placeholders() + " ORDER BY s.id, l.id",
            in)
        .ForEach([&](const sql::ResultSet& rs) {
          if (out.empty() || out.back().id != rs.getInt64(1)) {
            Shipment& shipment = out.emplace_back();
            shipment.id = rs.getInt64(1);
            shipment.po_id = rs.getInt64(2);
            shipment.store_id = rs.getInt64(3);
            shipment.vendor_id = rs.getInt64(4);
            shipment.status = GetStr(rs, 5);
          }
          if (rs.isNull(6)) return;  // a shipment without lines
          ShipmentLine line;
          line.po_line_id = rs.getInt64(6);
          line.product_id = rs.getInt64(7);
          line.quantity = rs.getInt64(8);
          out.back().lines.push_back(line);
        });
    return out;
  });
}

// --- Special orders ---

Result<std::optional<SpecialOrder>> MysqlStore::LockSpecialOrder(Id special_order_id) {
  return First(LockSpecialOrders({special_order_id}));
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrders(const std::vector<Id>& ids) {
  if (ids.empty()) return std::vector<SpecialOrder>();
  return session_->Run("LockSpecialOrders", [&] {
    const InList in(ids);
    return session_
        ->Query(SelectSpecialOrders("WHERE id IN " + in.Placeholders() + " ORDER BY id FOR UPDATE"),
                in)
        .All(ReadSpecialOrder);
  });
}

Result<std::optional<SpecialOrder>> MysqlStore::LockSpecialOrderByLine(Id order_line_id) {
  return First(LockSpecialOrdersByLines({order_line_id}));
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersByLines(
    const std::vector<Id>& order_line_ids) {
  if (order_line_ids.empty()) return std::vector<SpecialOrder>();
  return session_->Run("LockSpecialOrdersByLines", [&] {
    const InList in(order_line_ids);
    return session_
        ->Query(SelectSpecialOrders("WHERE order_line_id IN " + in.Placeholders() +
                                    " ORDER BY order_line_id FOR UPDATE"),
                in)
        .All(ReadSpecialOrder);
  });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersOfOrder(Id order_id) {
  return LockSpecialOrdersOfOrders({order_id});
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersOfOrders(
    const std::vector<Id>& order_ids) {
  if (order_ids.empty()) return std::vector<SpecialOrder>();
  return session_->Run("LockSpecialOrdersOfOrders", [&] {
    const InList in(order_ids);
    return session_
        ->Query(SelectSpecialOrders("WHERE order_id IN " + in.Placeholders() +
                                    " ORDER BY id FOR UPDATE"),
                in)
        .All(ReadSpecialOrder);
  });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersOnPoLines(
    const std::vector<Id>& po_line_ids) {
  if (po_line_ids.empty()) return std::vector<SpecialOrder>();
  return session_->Run("LockSpecialOrdersOnPoLines", [&] {
    const InList ids(po_line_ids);
    return session_
        ->Query(SelectSpecialOrders("WHERE po_line_id IN " + ids.Placeholders() +
                                    " AND status NOT IN ('completed', 'cancelled') "
                                    "AND quantity > allocated_qty ORDER BY id FOR UPDATE"),
                ids)
        .All(ReadSpecialOrder);
  });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersOnPo(Id po_id) {
  static const std::string kSql = SelectSpecialOrders(
      "WHERE po_id = ? AND status NOT IN ('completed', 'cancelled') "
      "AND quantity > allocated_qty ORDER BY id FOR UPDATE");
  return session_->Run("LockSpecialOrdersOnPo",
                       [&] { return session_->Query(kSql, po_id).All(ReadSpecialOrder); });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockSpecialOrdersOnTransfer(Id transfer_id) {
  static const std::string kSql = SelectSpecialOrders(
      "WHERE transfer_id = ? AND status NOT IN ('completed', 'cancelled') "
      "AND quantity > allocated_qty ORDER BY id FOR UPDATE");
  return session_->Run("LockSpecialOrdersOnTransfer",
                       [&] { return session_->Query(kSql, transfer_id).All(ReadSpecialOrder); });
}

Result<std::vector<SpecialOrder>> MysqlStore::LockWaitingSpecialOrders(Id store_id, Id product_id) {
  // A range of the (store_id, product_id, status) index; READ COMMITTED releases the locks on
  // the rows it reads there that the rest of the WHERE clause rejects.
  static const std::string kSql = SelectSpecialOrders(
      "WHERE store_id = ? AND product_id = ? "
      "AND status NOT IN ('completed', 'cancelled') AND quantity > allocated_qty "
      "ORDER BY id FOR UPDATE");
  return session_->Run("LockWaitingSpecialOrders", [&] {
    return session_->Query(kSql, store_id, product_id).All(ReadSpecialOrder);
  });
}

// The single-row writes below are their batch twins with one row (mysql_writes.cpp): one
// statement shape for each.

Result<Id> MysqlStore::InsertSpecialOrder(const SpecialOrder& so) {
  Result<std::vector<Id>> ids = InsertSpecialOrders({so});
  if (!ids.ok()) return ids.error();
  return ids->front();
}

Status MysqlStore::UpdateSpecialOrder(const SpecialOrder& so) {
  WriteSet w;
  w.special_orders.push_back(so);
  return ApplyWrites(w);
}

// --- Writes to POS rows ---

Status MysqlStore::UpdateOrderLine(const OrderLine& line) {
  WriteSet w;
  w.order_lines.push_back(line);
  return ApplyWrites(w);
}

Status MysqlStore::SetHasSpecialOrder(Id order_id, bool value, Timestamp at) {
  // Assignments run left to right, so updated_at sees the old flag: the time moves only when the
  // flag changes, and never backwards (a replayed older message keeps the newer time).
  constexpr const char* kSql =
      "UPDATE customer_orders SET updated_at = IF(has_special_order = ?, updated_at, "
      "GREATEST(updated_at, ?)), has_special_order = ? WHERE id = ?";
  return session_->Run("SetHasSpecialOrder", [&] {
    session_->Query(kSql, value, at, value, order_id).UpdateOne("customer_orders", order_id);
  });
}

Status MysqlStore::AddToStock(Id store_id, Id product_id, Qty committed_delta,
                              Qty backordered_delta) {
  WriteSet w;
  w.stock.push_back({store_id, product_id, committed_delta, backordered_delta});
  return ApplyWrites(w);
}

// --- Purchase orders ---

Result<std::optional<PurchaseOrder>> MysqlStore::LockPo(Id po_id) {
  return First(LockPos({po_id}));
}

Result<std::vector<PurchaseOrder>> MysqlStore::LockPos(const std::vector<Id>& ids) {
  if (ids.empty()) return std::vector<PurchaseOrder>();
  return session_->Run("LockPos", [&] {
    const InList in(ids);
    return session_
        ->Query("SELECT " + PoColumns() + " FROM purchase_orders WHERE id IN " + in.Placeholders() +
                    " ORDER BY id FOR UPDATE",
                in)
        .All(ReadPo);
  });
}

Result<std::vector<PurchaseOrder>> MysqlStore::LockPosOf(
    const std::vector<std::pair<Id, Id>>& pairs, const std::vector<std::string>& statuses) {
  if (pairs.empty() || statuses.empty()) return std::vector<PurchaseOrder>();
  return session_->Run("LockPosOf", [&] {
    // A range of the (store_id, vendor_id, status, created_at) index per pair and status.
    const InList of(pairs);
    const InList in(statuses);
    return session_
        ->Query("SELECT " + PoColumns() + " FROM purchase_orders WHERE (store_id, vendor_id) IN " +
                    of.Placeholders() + " AND status IN " + in.Placeholders() +
                    " ORDER BY id FOR UPDATE",
                of, in)
        .All(ReadPo);
  });
}

Result<std::optional<PurchaseOrder>> MysqlStore::LockNewestPo(
    Id store_id, Id vendor_id, const std::vector<std::string>& statuses) {
  if (statuses.empty()) return std::optional<PurchaseOrder>();
  return session_->Run("LockNewestPo", [&] {
    // Under READ COMMITTED this locks every PO that matches (the sort needs them all), which is
    // the few draft/open POs of one vendor for one store, not the closed history.
    const InList in(statuses);
    return session_
        ->Query("SELECT " + PoColumns() +
                    " FROM purchase_orders WHERE store_id = ? AND vendor_id = ? AND status IN " +
                    in.Placeholders() + " ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE",
                store_id, vendor_id, in)
        .One(ReadPo);
  });
}

Result<std::optional<PoLine>> MysqlStore::LockPoLine(Id po_id, Id product_id) {
  // (po_id, product_id) index entries are in id order, so LIMIT 1 locks only the first.
  static const std::string kSql = "SELECT " + PoLineColumns() +
                                  " FROM purchase_order_lines WHERE po_id = ? AND product_id = ? "
                                  "ORDER BY id LIMIT 1 FOR UPDATE";
  return session_->Run("LockPoLine",
                       [&] { return session_->Query(kSql, po_id, product_id).One(ReadPoLine); });
}

Result<std::vector<PoLine>> MysqlStore::LockPoLinesOfPos(const std::vector<Id>& po_ids) {
  if (po_ids.empty()) return std::vector<PoLine>();
  return session_->Run("LockPoLinesOfPos", [&] {
    const InList in(po_ids);
    return session_
        ->Query("SELECT " + PoLineColumns() + " FROM purchase_order_lines WHERE po_id IN " +
                    in.Placeholders() + " ORDER BY id FOR UPDATE",
                in)
        .All(ReadPoLine);
  });
}

Result<Id> MysqlStore::InsertPo(const PurchaseOrder& po, std::string_view created_by) {
  constexpr const char* kSql =
      "INSERT INTO purchase_orders (store_id, vendor_id, status, created_by, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?)";
  return session_->Run("InsertPo", [&] {
    return session_
        ->Query(kSql, po.store_id, po.vendor_id, po.status, created_by, po.created_at,
                po.created_at)
        .Insert();
  });
}

Result<Id> MysqlStore::InsertPoLine(const PoLine& line) {
  constexpr const char* kSql =
      "INSERT INTO purchase_order_lines (po_id, product_id, quantity_ordered, "
      "quantity_received, unit_cost) VALUES (?, ?, ?, ?, ?)";
  return session_->Run("InsertPoLine", [&] {
    // An empty cost is a missing one: NULL, which the NOT NULL column refuses (1048), rather
    // than a made-up zero on a vendor's PO.
    return session_
        ->Query(kSql, line.po_id, line.product_id, line.quantity_ordered, line.quantity_received,
                Decimal{line.unit_cost})
        .Insert();
  });
}

Status MysqlStore::SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) {
  WriteSet w;
  w.po_lines.push_back({po_line_id, quantity_ordered});
  return ApplyWrites(w);
}

// --- Store transfers ---

Result<std::vector<StockRow>> MysqlStore::GetStockOfProduct(Id product_id) {
  // The (product_id) index holds the primary key after it, so its entries come in store order
  // already.
  constexpr const char* kSql =
      "SELECT store_id, product_id, on_hand, committed, backordered FROM stock "
      "WHERE product_id = ? ORDER BY store_id";
  return session_->Run("GetStockOfProduct",
                       [&] { return session_->Query(kSql, product_id).All(ReadStockRow); });
}

Result<std::optional<StoreTransfer>> MysqlStore::GetTransfer(Id transfer_id) {
  return session_->Run("GetTransfer", [&] {
    std::optional<StoreTransfer> transfer;
    session_->Query(SelectTransferWithLines(), transfer_id).ForEach([&](const sql::ResultSet& rs) {
      AddTransferRow(rs, transfer);
    });
    return transfer;
  });
}

Result<Id> MysqlStore::InsertTransfer(const StoreTransfer& transfer, std::string_view created_by) {
  // The daemon only ever requests a transfer; shipping and receiving are the POS's.
  constexpr const char* kSql =
      "INSERT INTO store_transfers (from_store_id, to_store_id, status, created_by, "
      "created_at) VALUES (?, ?, 'requested', ?, ?)";
  return session_->Run("InsertTransfer", [&] {
    return session_
        ->Query(kSql, transfer.from_store_id, transfer.to_store_id, created_by, transfer.created_at)
        .Insert();
  });
}

Result<Id> MysqlStore::InsertTransferLine(const StoreTransferLine& line) {
  constexpr const char* kSql =
      "INSERT INTO store_transfer_lines (transfer_id, product_id, quantity, "
      "special_order_id) VALUES (?, ?, ?, ?)";
  return session_->Run("InsertTransferLine", [&] {
    return session_
        ->Query(kSql, line.transfer_id, line.product_id, line.quantity, line.special_order_id)
        .Insert();
  });
}

// --- Pickups ---

Result<Qty> MysqlStore::LockPickedQty(Id special_order_id) {
  Result<std::vector<std::pair<Id, Qty>>> picked = LockPickedQtys({special_order_id});
  if (!picked.ok()) return picked.error();
  return picked->front().second;
}

Result<std::vector<std::pair<Id, Qty>>> MysqlStore::LockPickedQtys(const std::vector<Id>& ids) {
  std::vector<Id> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<std::pair<Id, Qty>> out;
  if (sorted.empty()) return out;
  return session_->Run("LockPickedQtys", [&] {
    // No row locks nothing under READ COMMITTED. That is safe as long as the caller locked the
    // special order first (LockSpecialOrder*), which serializes two pickups of it; and
    // SetPickedQty() writes with an atomic upsert whatever happens.
    const InList in(sorted);
    std::map<Id, Qty> found;
    session_
        ->Query("SELECT special_order_id, picked_qty FROM sod_pickups WHERE special_order_id IN " +
                    in.Placeholders() + " FOR UPDATE",
                in)
        .ForEach([&](const sql::ResultSet& rs) { found[rs.getInt64(1)] = rs.getInt64(2); });
    for (Id id : sorted) out.emplace_back(id, found.contains(id) ? found.at(id) : Qty{0});
    return out;
  });
}

Status MysqlStore::SetPickedQty(Id special_order_id, Qty picked_qty) {
  WriteSet w;
  w.pickups.push_back({special_order_id, picked_qty});
  return ApplyWrites(w);
}

// --- The clock per special order ---

Result<std::optional<SoClock>> MysqlStore::LockSoClock(Id special_order_id) {
  Result<std::vector<SoClock>> clocks = LockSoClocks({special_order_id});
  if (!clocks.ok()) return clocks.error();
  if (clocks->empty()) return std::optional<SoClock>();
  return std::optional<SoClock>(std::move(clocks->front()));
}

Result<std::vector<SoClock>> MysqlStore::LockSoClocks(const std::vector<Id>& ids) {
  if (ids.empty()) return std::vector<SoClock>();
  return session_->Run("LockSoClocks", [&] {
    // As LockPickedQtys(): a missing row locks nothing, the special order's lock serializes its
    // writers, and PutSoClock() writes with an atomic upsert.
    const InList in(ids);
    return session_
        ->Query("SELECT " + ClockColumns() + " FROM sod_promises c WHERE c.special_order_id IN " +
                    in.Placeholders() + " ORDER BY c.special_order_id FOR UPDATE",
                in)
        .All([](const sql::ResultSet& rs) { return ReadClock(rs, 1); });
  });
}

Status MysqlStore::PutSoClock(const SoClock& clock) {
  WriteSet w;
  w.clocks.push_back(clock);
  return ApplyWrites(w);
}

Result<std::optional<Timestamp>> MysqlStore::GetPoSentAt(Id po_id) {
  return session_->Run("GetPoSentAt", [&] {
    return session_
        ->Query("SELECT " + TimeColumn("sent_at") + " FROM sod_po_sent WHERE po_id = ?", po_id)
        .One([](const sql::ResultSet& rs) { return GetTime(rs, 1, "sod_po_sent.sent_at"); });
  });
}

Status MysqlStore::SetPoSentAt(Id po_id, Timestamp at) {
  WriteSet w;
  w.po_sent.emplace_back(po_id, at);
  return ApplyWrites(w);
}

// --- Arrival ledger ---

Result<std::vector<ArrivalLine>> MysqlStore::LockArrivalLines(ArrivalKind kind, Id arrival_id) {
  return LockArrivalLinesOf({{kind, arrival_id}});
}

Result<std::vector<ArrivalLine>> MysqlStore::LockArrivalLinesOf(
    const std::vector<ArrivalKey>& keys) {
  if (keys.empty()) return std::vector<ArrivalLine>();
  return session_->Run("LockArrivalLinesOf", [&] {
    const InList in(keys);
    return session_
        ->Query(
            "SELECT kind, arrival_id, product_id, store_id, quantity, allocated_qty "
            "FROM sod_arrival_lines WHERE (kind, arrival_id) IN " +
                in.Placeholders() + " ORDER BY kind, arrival_id, product_id FOR UPDATE",
            in)
        .All(ReadArrivalLine);
  });
}

Status MysqlStore::PutArrivalLine(const ArrivalLine& line) {
  WriteSet w;
  w.arrival_lines.push_back(line);
  return ApplyWrites(w);
}

// --- Audit ---

Status MysqlStore::InsertAudit(const AuditEntry& entry) {
  WriteSet w;
  w.audit.push_back(entry);
  return ApplyWrites(w);
}

}  // namespace so::mysql
