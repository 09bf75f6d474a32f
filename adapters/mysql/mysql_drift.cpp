// MysqlStore's drift check: the rows rules/drift.hpp recomputes, read set-wise in one consistent
// snapshot a page at a time (of live special orders, of stock keys, of customer orders), and the
// repair that writes what it finds under lock.
#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"
#include "adapters/mysql/mysql_store.hpp"

namespace so::mysql {
namespace {

constexpr const char* kLiveStatuses = "('request', 'ordered', 'arrived', 'in_progress', 'ready')";

// The select list of ReadDriftSpecialOrder(), over `special_orders so` LEFT JOIN `sod_pickups p`.
const std::string kSoColumns =
    "so.id, so.store_id, so.order_id, so.order_line_id, so.product_id, so.quantity, "
    "so.allocated_qty, COALESCE(p.picked_qty, 0), so.status";
const std::string kSoFrom =
    " FROM special_orders so LEFT JOIN sod_pickups p ON p.special_order_id = so.id ";

DriftSpecialOrder ReadDriftSpecialOrder(const sql::ResultSet& rs) {
  const std::string status = GetStr(rs, 9);
  return {rs.getInt64(1),
          rs.getInt64(2),
          rs.getInt64(3),
          rs.getInt64(4),
          rs.getInt64(5),
          rs.getInt64(6),
          rs.getInt64(7),
          rs.getInt64(8),
          Parsed(ParseSoStatus(status), "special_orders.status", status)};
}

// Columns 10..12 after kSoColumns: the line's status, committed_qty, backordered_qty.
DriftLine ReadDriftLine(const sql::ResultSet& rs) {
  const std::string status = GetStr(rs, 10);
  return {rs.getInt64(4), Parsed(ParseLineStatus(status), "customer_order_lines.status", status),
          rs.getInt64(11), rs.getInt64(12)};
}

DriftStock ReadDriftStock(const sql::ResultSet& rs) {
  return {rs.getInt64(1), rs.getInt64(2), rs.getInt64(3), rs.getInt64(4)};
}

DriftOrder ReadDriftOrder(const sql::ResultSet& rs) { return {rs.getInt64(1), rs.getInt(2) != 0}; }

void Append(std::vector<Drift>& to, std::vector<Drift> from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

// Keys in one IN list at most: a statement's placeholders are bounded (65,535), and a repair
// after years of edits may name more rows than that.
constexpr size_t kChunk = 1024;

// read() over pieces of at most kChunk keys, the rows joined in order; the first error ends it.
template <typename T, typename Read>
auto Chunked(const std::vector<T>& keys, Read&& read) -> decltype(read(keys)) {
  std::decay_t<decltype(read(keys).value())> out;
  for (size_t from = 0; from < keys.size(); from += kChunk) {
    const std::vector<T> piece(
        keys.begin() + static_cast<std::ptrdiff_t>(from),
        keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), from + kChunk)));
    auto rows = read(piece);
    if (!rows.ok()) return rows.error();
    out.insert(out.end(), std::make_move_iterator(rows->begin()),
               std::make_move_iterator(rows->end()));
  }
  return out;
}

bool IsStock(DriftField f) {
  return f == DriftField::kStockCommitted || f == DriftField::kStockBackordered;
}

}  // namespace

Result<MysqlStore::DriftReport> MysqlStore::FindDrift(DriftScope scope, int page) {
  // The live special orders, one status at a time in id order (a range of the status index,
  // whatever the history), with their lines and orders: they make the stock counters, summed as
  // they come, and (kLive) their lines and red stars are checked a page at a time; a live special
  // order stars its order, so a page decides the stars of its orders.
  static const std::string kLivePage =
      "SELECT " + kSoColumns +
      ", l.status, l.committed_qty, l.backordered_qty, o.id, o.has_special_order" + kSoFrom +
      "JOIN customer_order_lines l ON l.id = so.order_line_id "
      "JOIN customer_orders o ON o.id = so.order_id "
      "WHERE so.status = ? AND so.id > ? ORDER BY so.id LIMIT ?";
  // kAll: stock rows with a counter that is not zero, in key order, a page at a time.
  static const std::string kNonZeroStock =
      "SELECT store_id, product_id, committed, backordered FROM stock "
      "WHERE (store_id > ? OR (store_id = ? AND product_id > ?)) "
      "AND (committed <> 0 OR backordered <> 0) ORDER BY store_id, product_id LIMIT ?";
  // kAll: customer orders by id, a page at a time, with every special order of the page's range
  // (the order index) and their lines.
  static const std::string kOrderPage =
      "SELECT id, has_special_order FROM customer_orders WHERE id > ? ORDER BY id LIMIT ?";
  static const std::string kSosOfOrders =
      "SELECT " + kSoColumns + ", l.status, l.committed_qty, l.backordered_qty" + kSoFrom +
      "JOIN customer_order_lines l ON l.id = so.order_line_id "
      "WHERE so.order_id BETWEEN ? AND ?";
  return session_->RunSnapshot("FindDrift", [&] {
    DriftReport report;
    std::vector<Drift> lines_and_stars;
    // An order's star is checked with the first page holding one of its live special orders
    // (any of them makes it starred): once, however many pages and statuses its others are in.
    std::set<Id> orders_checked;
    StockExpectation expected;
    for (const SoStatus status : {SoStatus::kRequest, SoStatus::kOrdered, SoStatus::kArrived,
                                  SoStatus::kInProgress, SoStatus::kReady}) {
      for (Id after = 0;;) {
        std::vector<DriftSpecialOrder> sos;
        std::vector<DriftLine> lines;
        std::map<Id, bool> orders;
        session_->Query(kLivePage, status, after, page).ForEach([&](const sql::ResultSet& rs) {
          sos.push_back(ReadDriftSpecialOrder(rs));
          expected.Add(sos.back());
          lines.push_back(ReadDriftLine(rs));
          orders[rs.getInt64(13)] = rs.getInt(14) != 0;
        });
        if (sos.empty()) break;
        after = sos.back().id;
        if (scope != DriftScope::kLive) continue;
        std::vector<DriftOrder> starred;
        for (const auto& [id, star] : orders) {
          if (orders_checked.insert(id).second) starred.push_back({id, star});
        }
        report.special_orders += static_cast<int64_t>(sos.size());
        report.orders += static_cast<int64_t>(starred.size());
        Append(lines_and_stars, OrderDrift(sos, lines, starred));
      }
    }
    // The rows of the keys the live special orders make, by row-value IN lists (ranges of the
    // primary key); kAll adds the rows of other keys whose counters are not zero, each of which
    // is a difference.
    std::vector<DriftStock> stock;
    const std::vector<StockKey> keys = expected.Keys();
    for (size_t from = 0; from < keys.size(); from += static_cast<size_t>(page)) {
      const std::vector<StockKey> chunk(
          keys.begin() + static_cast<std::ptrdiff_t>(from),
          keys.begin() +
              static_cast<std::ptrdiff_t>(std::min(keys.size(), from + static_cast<size_t>(page))));
      const InList in(chunk);
      session_
          ->Query(
              "SELECT store_id, product_id, committed, backordered FROM stock "
              "WHERE (store_id, product_id) IN " +
                  in.Placeholders(),
              in)
          .ForEach([&](const sql::ResultSet& rs) { stock.push_back(ReadDriftStock(rs)); });
    }
    if (scope == DriftScope::kAll) {
      for (StockKey after{0, 0};;) {
        const std::vector<DriftStock> rows =
            session_->Query(kNonZeroStock, after.first, after.first, after.second, page)
                .All(ReadDriftStock);
        if (rows.empty()) break;
        after = {rows.back().store_id, rows.back().product_id};
        for (const DriftStock& r : rows) {
          if (!expected.Covers(r.store_id, r.product_id)) stock.push_back(r);
        }
      }
    }
    report.stock_rows = static_cast<int64_t>(stock.size());
    report.drifts = expected.Compare(stock);
    Append(report.drifts, std::move(lines_and_stars));
    if (scope == DriftScope::kLive) return report;

    for (Id after = 0;;) {
      const std::vector<DriftOrder> orders =
          session_->Query(kOrderPage, after, page).All(ReadDriftOrder);
      if (orders.empty()) break;
      const Id first = orders.front().id;
      after = orders.back().id;
      std::vector<DriftSpecialOrder> sos;
      std::vector<DriftLine> lines;
      session_->Query(kSosOfOrders, first, after).ForEach([&](const sql::ResultSet& rs) {
        sos.push_back(ReadDriftSpecialOrder(rs));
        lines.push_back(ReadDriftLine(rs));
      });
      report.special_orders += static_cast<int64_t>(sos.size());
      report.orders += static_cast<int64_t>(orders.size());
      Append(report.drifts, OrderDrift(sos, lines, orders));
    }
    return report;
  });
}

Result<std::vector<Drift>> MysqlStore::RepairDrift(const std::vector<Drift>& found,
                                                   const std::string& message_id, Timestamp at) {
  std::set<Id> order_set, line_set;
  std::set<StockKey> key_set;
  for (const Drift& d : found) {
    if (IsStock(d.field)) {
      key_set.insert({d.row_id, d.product_id});
    } else if (d.field == DriftField::kRedStar) {
      order_set.insert(d.row_id);
    } else {
      line_set.insert(d.row_id);
    }
  }
  const std::vector<Id> order_ids(order_set.begin(), order_set.end());
  const std::vector<Id> line_ids(line_set.begin(), line_set.end());
  const std::vector<StockKey> keys(key_set.begin(), key_set.end());
  if (Status s = Begin(); !s.ok()) return s.error();
  const auto fail = [&](const Error& e) {
    Rollback();
    return e;
  };
  // The counters first, then the special orders behind them. Every change to what the special
  // orders make a counter writes that counter in the same transaction (invariants 1, 3, 4), so
  // with the counters locked no such change can commit while the special orders are read: the
  // two are read as of one moment. The daemon locks in the other order; a deadlock between the
  // two is retried by whichever InnoDB rolls back.
  auto orders = Chunked(order_ids, [&](const std::vector<Id>& ids) { return LockOrders(ids); });
  if (!orders.ok()) return fail(orders.error());
  auto lines = Chunked(line_ids, [&](const std::vector<Id>& ids) { return LockOrderLines(ids); });
  if (!lines.ok()) return fail(lines.error());
  auto stock = Chunked(keys, [&](const std::vector<StockKey>& k) { return LockStocks(k); });
  if (!stock.ok()) return fail(stock.error());
  // Every special order of the orders, of the lines, and the live ones of the stock keys.
  const std::string so_select = "SELECT " + kSoColumns + kSoFrom;
  const auto lock_sos = [&](const std::string& where, const auto& ids) {
    return Chunked(ids, [&](const auto& piece) {
      return session_->Run("RepairDrift", [&] {
        const InList in(piece);
        return session_
            ->Query(so_select + where + in.Placeholders() + " ORDER BY so.id FOR UPDATE", in)
            .All(ReadDriftSpecialOrder);
      });
    });
  };
  std::map<Id, DriftSpecialOrder> by_id;
  const auto keep = [&](Result<std::vector<DriftSpecialOrder>> rows) {
    if (!rows.ok()) return rows.status();
    for (const DriftSpecialOrder& so : *rows) by_id[so.id] = so;
    return Status();
  };
  if (Status s = keep(lock_sos("WHERE so.order_id IN ", order_ids)); !s.ok()) {
    return fail(s.error());
  }
  if (Status s = keep(lock_sos("WHERE so.order_line_id IN ", line_ids)); !s.ok()) {
    return fail(s.error());
  }
  if (Status s = keep(lock_sos(std::string("WHERE so.status IN ") + kLiveStatuses +
                                   " AND (so.store_id, so.product_id) IN ",
                               keys));
      !s.ok()) {
    return fail(s.error());
  }
  std::vector<DriftSpecialOrder> sos;
  for (const auto& [id, so] : by_id) sos.push_back(so);

  // Recomputed over what is locked: the stock keys get only their own special orders.
  std::vector<DriftSpecialOrder> of_keys;
  for (const DriftSpecialOrder& so : sos) {
    if (key_set.contains({so.store_id, so.product_id})) of_keys.push_back(so);
  }
  std::vector<DriftStock> stock_rows;
  for (const StockRow& r : *stock) {
    stock_rows.push_back({r.store_id, r.product_id, r.committed, r.backordered});
  }
  std::vector<DriftLine> drift_lines;
  std::map<Id, OrderLine> line_rows;
  for (const OrderLine& l : *lines) {
    drift_lines.push_back({l.id, l.status, l.committed_qty, l.backordered_qty});
    line_rows[l.id] = l;
  }
  std::vector<DriftOrder> drift_orders;
  for (const CustomerOrder& o : *orders) drift_orders.push_back({o.id, o.has_special_order});
  std::vector<Drift> repaired = StockDrift(of_keys, stock_rows);
  Append(repaired, OrderDrift(sos, drift_lines, drift_orders));

  WriteSet w;
  std::map<StockKey, WriteSet::StockDelta> deltas;
  std::map<Id, OrderLine> changed_lines;
  for (const Drift& d : repaired) {
    switch (d.field) {
      case DriftField::kStockCommitted:
      case DriftField::kStockBackordered: {
        auto& delta = deltas[{d.row_id, d.product_id}];
        delta.store_id = d.row_id;
        delta.product_id = d.product_id;
        (d.field == DriftField::kStockCommitted ? delta.committed : delta.backordered) =
            d.expected - d.found;
        break;
      }
      case DriftField::kLineStatus:
      case DriftField::kLineCommittedQty:
      case DriftField::kLineBackorderedQty: {
        auto [it, fresh] = changed_lines.try_emplace(d.row_id, line_rows.at(d.row_id));
        OrderLine& l = it->second;
        if (d.field == DriftField::kLineStatus) l.status = static_cast<LineStatus>(d.expected);
        if (d.field == DriftField::kLineCommittedQty) l.committed_qty = d.expected;
        if (d.field == DriftField::kLineBackorderedQty) l.backordered_qty = d.expected;
        break;
      }
      case DriftField::kRedStar:
        w.red_stars.push_back({d.row_id, d.expected != 0, at});
        break;
    }
    w.audit.push_back({message_id, d.special_order_id, "check --repair", "repaired_drift",
                       ToString(d) + "; set to " + ValueText(d.field, d.expected), at});
  }
  for (auto& [key, delta] : deltas) w.stock.push_back(delta);
  for (auto& [id, line] : changed_lines) w.order_lines.push_back(line);
  if (Status s = ApplyWrites(w); !s.ok()) return fail(s.error());
  if (Status s = Commit(); !s.ok()) return s.error();
  return repaired;
}

}  // namespace so::mysql
