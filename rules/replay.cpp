#include "rules/replay.hpp"

#include <algorithm>
#include <tuple>

#include "rules/batch_view.hpp"
#include "rules/recorder.hpp"

namespace so {
namespace {

std::string Str(Id id) { return std::to_string(id); }

// Ids handed to inserts the record has no id for: beyond the batch view's provisional ones.
constexpr Id kFirstUnrecordedId = 8'000'000'000'000'000'000;

// The store a replay reads: the read set, nothing else. Only the calls a batch view makes
// without a prefetch are answered; the others are bugs.
class SnapshotStore final : public HostStore {
 public:
  explicit SnapshotStore(const ReadSet& reads) : r_(reads) {}

  // The first question the record could not answer.
  const std::optional<std::string>& unknown() const { return unknown_; }

  Status Begin() override { return Status(); }
  Status Commit() override { return Status(); }
  void Rollback() override {}
  Result<bool> InboxHas(const std::string&) override { return Bug("InboxHas"); }
  Result<bool> InboxClaim(const Envelope&) override { return Bug("InboxClaim"); }
  Status InboxRefused(const std::string&, std::string_view) override { return Status(); }

  Result<bool> StoreExists(Id id) override { return Find(r_.stores, id, "store " + Str(id)); }
  Result<std::optional<Product>> GetProduct(Id id) override {
    return Find(r_.products, id, "product " + Str(id));
  }
  Result<std::optional<Vendor>> GetVendor(Id id) override {
    return Find(r_.vendors, id, "vendor " + Str(id));
  }
  Result<std::vector<ProductVendor>> GetProductVendors(Id id) override {
    return Find(r_.product_vendors, id, "the vendors of product " + Str(id));
  }
  Result<std::optional<CustomerOrder>> LockOrder(Id id) override {
    return Find(r_.orders, id, "order " + Str(id));
  }
  Result<std::optional<OrderLine>> LockOrderLine(Id id) override {
    return Find(r_.lines, id, "order line " + Str(id));
  }
  Result<StockRow> LockStock(Id store, Id product) override {
    return Find(r_.stock, std::make_pair(store, product),
                "the stock of product " + Str(product) + " at store " + Str(store));
  }
  Result<std::optional<Shipment>> GetShipment(Id id) override {
    return Find(r_.shipments, id, "shipment " + Str(id));
  }
  Result<std::vector<Id>> UnappliedShipmentsOfPo(Id id) override {
    return Find(r_.unapplied_shipments_of_po, id, "the shipments of PO " + Str(id));
  }
  Result<std::optional<SpecialOrder>> LockSpecialOrder(Id id) override {
    if (r_.missing_special_orders.contains(id)) return std::optional<SpecialOrder>();
    auto it = r_.special_orders.find(id);
    if (it == r_.special_orders.end()) return Unknown("special order " + Str(id));
    return std::optional<SpecialOrder>(it->second);
  }
  Result<std::optional<SpecialOrder>> LockSpecialOrderByLine(Id line) override {
    SO_ASSIGN_OR_RETURN(auto id, Find(r_.special_order_of_line, line,
                                      "the special order of order line " + Str(line)));
    if (!id) return std::optional<SpecialOrder>();
    return LockSpecialOrder(*id);
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOfOrder(Id order) override {
    return Rows(r_.special_orders_of_order, order, "the special orders of order " + Str(order));
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPoLines(
      const std::vector<Id>& lines) override {
    std::vector<SpecialOrder> out;
    for (Id line : lines) {
      SO_ASSIGN_OR_RETURN(auto rows,
                          Rows(r_.on_po_line, line, "the special orders on PO line " + Str(line)));
      out.insert(out.end(), rows.begin(), rows.end());
    }
    std::sort(out.begin(), out.end(),
              [](const SpecialOrder& a, const SpecialOrder& b) { return a.id < b.id; });
    return out;
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPo(Id po) override {
    return Rows(r_.on_po, po, "the special orders on PO " + Str(po));
  }
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnTransfer(Id t) override {
    return Rows(r_.on_transfer, t, "the special orders on transfer " + Str(t));
  }
  Result<std::vector<SpecialOrder>> LockWaitingSpecialOrders(Id store, Id product) override {
    return Rows(
        r_.waiting, std::make_pair(store, product),
        "the special orders waiting for product " + Str(product) + " at store " + Str(store));
  }
  Result<Id> InsertSpecialOrder(const SpecialOrder&) override { return Bug("InsertSpecialOrder"); }
  Status UpdateSpecialOrder(const SpecialOrder&) override { return Bug("UpdateSpecialOrder"); }
  Status UpdateOrderLine(const OrderLine&) override { return Bug("UpdateOrderLine"); }
  Status SetHasSpecialOrder(Id, bool, Timestamp) override { return Bug("SetHasSpecialOrder"); }
  Status AddToStock(Id, Id, Qty, Qty) override { return Bug("AddToStock"); }
  Result<std::optional<PurchaseOrder>> LockPo(Id id) override {
    return Find(r_.pos, id, "PO " + Str(id));
  }
  Result<std::optional<PurchaseOrder>> LockNewestPo(
      Id store, Id vendor, const std::vector<std::string>& statuses) override {
    std::optional<PurchaseOrder> best;
    for (const std::string& status : statuses) {
      SO_ASSIGN_OR_RETURN(auto id, Find(r_.newest_po, std::make_tuple(store, vendor, status),
                                        "the newest " + status + " PO of vendor " + Str(vendor) +
                                            " for store " + Str(store)));
      if (!id) continue;
      SO_ASSIGN_OR_RETURN(auto po, LockPo(*id));
      if (po &&
          (!best || std::tie(po->created_at, po->id) > std::tie(best->created_at, best->id))) {
        best = po;
      }
    }
    return best;
  }
  Result<std::optional<PoLine>> LockPoLine(Id po, Id product) override {
    SO_ASSIGN_OR_RETURN(auto lines, LockPoLinesOfPos({po}));
    for (const PoLine& l : lines) {
      if (l.product_id == product) return std::optional<PoLine>(l);
    }
    return std::optional<PoLine>();
  }
  Result<Id> InsertPo(const PurchaseOrder&, std::string_view) override {
    return Next(r_.new_pos, next_po_);
  }
  Result<Id> InsertPoLine(const PoLine&) override { return Next(r_.new_po_lines, next_po_line_); }
  Status SetPoLineQuantity(Id, Qty) override { return Bug("SetPoLineQuantity"); }
  Result<std::vector<StockRow>> GetStockOfProduct(Id product) override {
    return Find(r_.stock_of_product, product,
                "the stock of product " + Str(product) + " in every store");
  }
  Result<std::optional<StoreTransfer>> GetTransfer(Id id) override {
    return Find(r_.transfers, id, "transfer " + Str(id));
  }
  Result<Id> InsertTransfer(const StoreTransfer&, std::string_view) override {
    return Next(r_.new_transfers, next_transfer_);
  }
  Result<Id> InsertTransferLine(const StoreTransferLine&) override {
    return Bug("InsertTransferLine");
  }
  Result<Qty> LockPickedQty(Id id) override {
    return Find(r_.picked, id, "the picked quantity of special order " + Str(id));
  }
  Status SetPickedQty(Id, Qty) override { return Bug("SetPickedQty"); }
  Result<std::optional<SoClock>> LockSoClock(Id id) override {
    if (!r_.clocks_recorded) return std::optional<SoClock>();
    return Find(r_.clocks, id, "the clock of special order " + Str(id));
  }
  Status PutSoClock(const SoClock&) override { return Bug("PutSoClock"); }
  Result<std::optional<Timestamp>> GetPoSentAt(Id id) override {
    if (!r_.clocks_recorded) return std::optional<Timestamp>();
    return Find(r_.po_sent, id, "when PO " + Str(id) + " was sent");
  }
  Status SetPoSentAt(Id, Timestamp) override { return Bug("SetPoSentAt"); }
  Result<std::vector<ArrivalLine>> LockArrivalLines(ArrivalKind kind, Id id) override {
    return Find(r_.arrivals, std::make_pair(kind, id),
                "the arrival ledger of " + std::string(ToString(kind)) + " " + Str(id));
  }
  Status PutArrivalLine(const ArrivalLine&) override { return Bug("PutArrivalLine"); }
  Status InsertAudit(const AuditEntry&) override { return Bug("InsertAudit"); }
  Result<PendingFacts> FindPendingFacts(int, const StoreScope&) override {
    return Bug("FindPendingFacts");
  }
  Result<std::vector<ClockCandidate>> FindClockCandidates(const ClockQuery&,
                                                          const StoreScope&) override {
    return Bug("FindClockCandidates");
  }
  Status ApplyWrites(const WriteSet&) override { return Bug("ApplyWrites"); }
  Result<std::vector<StockRow>> LockStocks(const std::vector<StockKey>& keys) override {
    std::vector<StockRow> out;
    for (const StockKey& k : keys) {
      SO_ASSIGN_OR_RETURN(StockRow row, LockStock(k.first, k.second));
      out.push_back(row);
    }
    return out;
  }
  Result<std::vector<PoLine>> LockPoLinesOfPos(const std::vector<Id>& pos) override {
    std::vector<PoLine> out;
    for (Id po : pos) {
      SO_ASSIGN_OR_RETURN(auto lines, Find(r_.po_lines_of_po, po, "the lines of PO " + Str(po)));
      out.insert(out.end(), lines.begin(), lines.end());
    }
    return out;
  }
  Result<std::vector<PurchaseOrder>> LockPosOf(const std::vector<std::pair<Id, Id>>&,
                                               const std::vector<std::string>&) override {
    return Bug("LockPosOf");
  }

 private:
  Error Unknown(std::string what) {
    if (!unknown_) unknown_ = "the record does not hold " + what;
    return Error{ErrorKind::kPermanent, 0, *unknown_};
  }
  static Error Bug(const char* call) {
    return Error{ErrorKind::kPermanent, 0, std::string("bug: ") + call + " on a replay"};
  }
  template <typename Map, typename Key>
  Result<typename Map::mapped_type> Find(const Map& m, const Key& key, std::string what) {
    auto it = m.find(key);
    if (it == m.end()) return Unknown(std::move(what));
    return it->second;
  }
  template <typename Map, typename Key>
  Result<std::vector<SpecialOrder>> Rows(const Map& m, const Key& key, std::string what) {
    SO_ASSIGN_OR_RETURN(auto ids, Find(m, key, std::move(what)));
    std::vector<SpecialOrder> out;
    for (Id id : ids) {
      SO_ASSIGN_OR_RETURN(auto so, LockSpecialOrder(id));
      if (so) out.push_back(*so);
    }
    return out;
  }
  // The id the store gave the n-th insert, or one no row has when it gave fewer.
  static Id Next(const std::vector<Id>& given, size_t& n) {
    const size_t i = n++;
    return i < given.size() ? given[i] : kFirstUnrecordedId + static_cast<Id>(i);
  }

  const ReadSet& r_;
  std::optional<std::string> unknown_;
  size_t next_po_ = 0, next_po_line_ = 0, next_transfer_ = 0;
};

}  // namespace

Recomputed Recompute(const Engine& engine, const FlightRecord& record) {
  SnapshotStore snapshot(record.reads);
  BatchView view(snapshot);
  Recorder capture(view, Recorder::Mode::kCapture);
  Recomputed out;
  Result<Outcome> outcome = engine.Apply(record.message, capture);
  if (!outcome.ok()) {
    out.unknown = snapshot.unknown() ? *snapshot.unknown() : outcome.error().ToString();
    return out;
  }
  out.refused = outcome->disposition == Disposition::kRefused;
  Result<FlightRecord> finished = capture.Finish(record.message, *outcome);
  if (!finished.ok()) {
    out.unknown = finished.error().ToString();
    return out;
  }
  FlightRecord again = std::move(*finished);
  out.decisions = std::move(again.decisions);
  // The n-th special order the replay created is the n-th the store gave an id to; one the
  // recorded run did not create has none.
  const std::vector<Id>& created = again.reads.new_special_orders;
  for (SoDecision& d : out.decisions) {
    const auto it = std::find(created.begin(), created.end(), d.special_order_id);
    if (it == created.end()) continue;
    const auto n = static_cast<size_t>(it - created.begin());
    d.special_order_id =
        n < record.reads.new_special_orders.size() ? record.reads.new_special_orders[n] : 0;
  }
  return out;
}

}  // namespace so
