// A transaction-local view of the host store for a batch of messages: the engine decides message
// after message over it, each message seeing what the earlier ones wrote, while the view reads
// rows from the store set-wise and once, keeps every write in memory and hands them over at the
// end as one WriteSet. One view per batch transaction, on one thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "rules/messages.hpp"
#include "rules/ports.hpp"

namespace so {

// How the view answers. Every row it read or wrote is kept as it is now in the batch; a query
// whose whole answer was read from the store once (a key "loaded") is answered from those rows
// from then on. That is exact because the store's rows that the batch did not read are as the
// batch found them, and the rows it locked cannot be changed by others until it commits:
//  - a row read twice keeps the view's version (the store's may be older than a write);
//  - the answer to a query on a loaded key is every kept row that matches it now
//  (rules/queries.hpp),
//    so a row moved onto (or off) a PO line by an earlier message is found (or not) as it
//    would be in the store after that message.
// New POs and their lines, and new transfers, go to the store at once: their ids show in what
// the engine writes about them. New special orders and transfer lines wait like every other
// write, under provisional ids (numbers of 19 digits that no row has, from kFirstProvisionalId):
// Flush() inserts the special orders in one go with their final values, and puts the store's
// ids in place of the provisional ones wherever they went, rows, texts and events alike
// (Resolve()). So a request costs no round trip of its own, and its special order is written
// once, not inserted and then updated.
class BatchView final : public HostStore {
 public:
  static constexpr Id kFirstProvisionalId = 9'000'000'000'000'000'000;

  explicit BatchView(HostStore& store) : store_(store) {}

  // Reads, set-wise and in the lock order of HostStore, the rows these messages are likely to
  // need: what their payloads name, then what those rows point at. Anything it misses is read
  // when asked for. `recording`: the flight recorder widens each message (Recorder::Widen()), so
  // also the products of the shipments' lines and, for every (store, product) of a request or a
  // shipment line, the POs of each vendor that carries the product in the statuses a PO may be
  // attached in, with their lines.
  Status Prefetch(const std::vector<const Message*>& messages, bool recording = false);

  // The special orders the batch created (under their provisional ids until Flush()), in the
  // order they were created, with their values as the batch left them.
  std::vector<SpecialOrder> NewSpecialOrders() const;
  // The net writes of the rows the batch changed (the new special orders apart), ready for
  // HostStore::ApplyWrites(); after Flush(), with the store's ids. Once: the audit rows and
  // refusals are handed over, not copied.
  WriteSet TakeWrites();
  // Inserts the new special orders, then writes the rest: everything the batch decided, and
  // what `complete` adds to it once the store's ids are known (the outbox's events).
  Status Flush(const std::function<void(WriteSet&)>& complete = nullptr);
  // What the batch publishes and says, with the store's ids in place of provisional ones (once
  // Flush() has them; the same before).
  void Resolve(OutEvent& event) const;
  std::string Resolve(std::string text) const;

  // Keeps the flight recorder's record of a message of the batch, for TakeWrites() to hand over
  // with the store's ids.
  void Record(FlightRecord record) { flight_records_.push_back(std::move(record)); }

  // Reads sent to the store (set-wise reads count once), for tests and the benchmark.
  int store_reads() const { return store_reads_; }

  // HostStore. Transactions belong to the caller of the view: Begin() and Commit() are refused.
  Status Begin() override;
  Status Commit() override;
  void Rollback() override {}
  Result<bool> InboxHas(const std::string& message_id) override;
  Result<bool> InboxClaim(const Envelope& envelope) override;
  Status InboxRefused(const std::string& message_id, std::string_view reason) override;
  Result<bool> StoreExists(Id store_id) override;
  Result<std::optional<Product>> GetProduct(Id product_id) override;
  Result<std::optional<Vendor>> GetVendor(Id vendor_id) override;
  Result<std::vector<ProductVendor>> GetProductVendors(Id product_id) override;
  Result<std::optional<CustomerOrder>> LockOrder(Id order_id) override;
  Result<std::optional<OrderLine>> LockOrderLine(Id order_line_id) override;
  Result<StockRow> LockStock(Id store_id, Id product_id) override;
  Result<std::optional<Shipment>> GetShipment(Id shipment_id) override;
  Result<std::vector<Id>> UnappliedShipmentsOfPo(Id po_id) override;
  Result<std::optional<SpecialOrder>> LockSpecialOrder(Id special_order_id) override;
  Result<std::optional<SpecialOrder>> LockSpecialOrderByLine(Id order_line_id) override;
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOfOrder(Id order_id) override;
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPoLines(
      const std::vector<Id>& po_line_ids) override;
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnPo(Id po_id) override;
  Result<std::vector<SpecialOrder>> LockSpecialOrdersOnTransfer(Id transfer_id) override;
  Result<std::vector<SpecialOrder>> LockWaitingSpecialOrders(Id store_id, Id product_id) override;
  Result<Id> InsertSpecialOrder(const SpecialOrder& so) override;
  Status UpdateSpecialOrder(const SpecialOrder& so) override;
  Status UpdateOrderLine(const OrderLine& line) override;
  Status SetHasSpecialOrder(Id order_id, bool value, Timestamp at) override;
  Status AddToStock(Id store_id, Id product_id, Qty committed_delta,
                    Qty backordered_delta) override;
  Result<std::optional<PurchaseOrder>> LockPo(Id po_id) override;
  Result<std::optional<PurchaseOrder>> LockNewestPo(
      Id store_id, Id vendor_id, const std::vector<std::string>& statuses) override;
  Result<std::optional<PoLine>> LockPoLine(Id po_id, Id product_id) override;
  Result<Id> InsertPo(const PurchaseOrder& po, std::string_view created_by) override;
  Result<Id> InsertPoLine(const PoLine& line) override;
  Status SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) override;
  Result<std::vector<StockRow>> GetStockOfProduct(Id product_id) override;
  Result<std::optional<StoreTransfer>> GetTransfer(Id transfer_id) override;
  Result<Id> InsertTransfer(const StoreTransfer& transfer, std::string_view created_by) override;
  Result<Id> InsertTransferLine(const StoreTransferLine& line) override;
  Result<Qty> LockPickedQty(Id special_order_id) override;
  Status SetPickedQty(Id special_order_id, Qty picked_qty) override;
  Result<std::optional<SoClock>> LockSoClock(Id special_order_id) override;
  Status PutSoClock(const SoClock& clock) override;
  Result<std::optional<Timestamp>> GetPoSentAt(Id po_id) override;
  Status SetPoSentAt(Id po_id, Timestamp at) override;
  Result<std::vector<ArrivalLine>> LockArrivalLines(ArrivalKind kind, Id arrival_id) override;
  Status PutArrivalLine(const ArrivalLine& line) override;
  Status InsertAudit(const AuditEntry& entry) override;
  Result<PendingFacts> FindPendingFacts(int limit, const StoreScope& scope) override;
  Result<std::vector<ClockCandidate>> FindClockCandidates(const ClockQuery& q,
                                                          const StoreScope& scope) override;
  // A view is not nested: the batch's own writes are TakeWrites().
  Status ApplyWrites(const WriteSet& writes) override;
  Result<std::vector<StockRow>> LockStocks(const std::vector<StockKey>& keys) override;
  // Set-wise: the lines it does not have yet in one read (the recorder's waiting queues).
  Result<std::vector<OrderLine>> LockOrderLines(const std::vector<Id>& order_line_ids) override;
  Result<std::vector<PoLine>> LockPoLinesOfPos(const std::vector<Id>& po_ids) override;
  Result<std::vector<PurchaseOrder>> LockPosOf(const std::vector<std::pair<Id, Id>>& pairs,
                                               const std::vector<std::string>& statuses) override;
  // Set-wise: the clocks it does not have yet in one read.
  Result<std::vector<SoClock>> LockSoClocks(const std::vector<Id>& ids) override;

 private:
  // --- Loading from the store; each takes what is not known yet and keeps it ---
  Status LoadOrders(std::vector<Id> ids);
  Status LoadLines(std::vector<Id> ids);
  Status LoadSpecialOrders(std::vector<Id> ids);
  Status LoadSpecialOrdersOfLines(std::vector<Id> line_ids);
  Status LoadSpecialOrdersOfOrders(std::vector<Id> order_ids);
  Status LoadSpecialOrdersOnPoLines(std::vector<Id> po_line_ids);
  Status LoadArrivals(std::vector<ArrivalKey> keys);
  // `lock`: the rows are needed locked (a row read without a lock is read again).
  Status LoadStock(std::vector<StockKey> keys, bool lock);
  Status LoadPos(std::vector<Id> ids);
  // Every PO of these (store, vendor) pairs in one of `statuses`, with their lines.
  Status LoadPosOf(std::vector<std::pair<Id, Id>> pairs, const std::vector<std::string>& statuses);
  Status LoadPoLinesOfPos(std::vector<Id> po_ids);
  Status LoadPicked(std::vector<Id> ids);
  // A new special order has no clock in the store: it is not asked for one.
  Status LoadClocks(std::vector<Id> ids);
  Status LoadProducts(std::vector<Id> ids);
  Status LoadVendors(std::vector<Id> ids);
  Status LoadProductVendors(std::vector<Id> product_ids);
  Status LoadShipments(std::vector<Id> ids);
  Status LoadTransfer(Id id);
  // Keeps a special order read from the store unless the view has it already.
  void Keep(const SpecialOrder& so);
  // The kept special orders by what the queries ask for, each set in id order: a batch keeps
  // thousands of them, too many to look through for every query.
  struct SpecialOrderIndex {
    std::map<Id, std::set<Id>> by_order, by_po_line, by_po, by_transfer;
    std::map<StockKey, std::set<Id>> by_store_product;
    void Add(const SpecialOrder& so);
    void Move(const SpecialOrder& from, const SpecialOrder& to);
  };
  // The kept special orders with these ids (from the index) that `matches`, in id order.
  template <typename Pred>
  std::vector<SpecialOrder> Kept(const std::set<Id>& ids, Pred matches) const {
    std::vector<SpecialOrder> out;
    for (Id id : ids) {
      const SpecialOrder& so = special_orders_.at(id);
      if (matches(so)) out.push_back(so);
    }
    return out;
  }
  template <typename K>
  static const std::set<Id>& Among(const std::map<K, std::set<Id>>& index, const K& key) {
    static const std::set<Id> kNone;
    auto it = index.find(key);
    return it == index.end() ? kNone : it->second;
  }

  bool IsNew(Id id) const { return id >= kFirstProvisionalId; }
  Id Resolve(Id id) const;
  std::optional<Id> Resolve(const std::optional<Id>& id) const;

  HostStore& store_;
  int store_reads_ = 0;
  Id next_provisional_id_ = kFirstProvisionalId;
  std::vector<Id> new_special_orders_;  // provisional ids, in the order created
  std::map<Id, Id> stored_ids_;         // provisional id -> the store's, after Flush()
  std::vector<StoreTransferLine> transfer_lines_;

  // --- What the batch has read or written; nullopt: known not to exist ---
  std::map<Id, std::optional<CustomerOrder>> orders_;
  std::map<Id, std::optional<OrderLine>> lines_;
  std::map<Id, SpecialOrder> special_orders_;
  SpecialOrderIndex index_;
  std::set<Id> missing_special_orders_;
  std::map<Id, Id> special_order_of_line_;
  // Keys whose whole answer the view has: order lines (their special order), orders (all their
  // special orders), PO lines (their live special orders), POs, transfers, (store, product).
  std::set<Id> loaded_lines_, loaded_orders_, loaded_po_lines_, loaded_pos_, loaded_transfers_;
  std::set<StockKey> loaded_waiting_;

  struct Stock {
    StockRow base;         // as read from the store (zeros when missing or not read)
    bool read = false;     // base is the store's
    bool locked = false;   // and was read with a lock
    bool exists = false;   // in the store, or created by this batch
    bool written = false;  // AddToStock() was called on it
    Qty committed_delta = 0, backordered_delta = 0;
  };
  std::map<StockKey, Stock> stock_;
  std::set<Id> loaded_stock_of_product_;

  std::map<Id, std::optional<PurchaseOrder>> pos_;
  std::vector<Id> inserted_pos_;
  // LockNewestPo's answer from the store, per (store, vendor, statuses).
  std::map<std::tuple<Id, Id, std::vector<std::string>>, std::optional<Id>> newest_po_;
  // (store, vendor) pairs whose POs in these statuses the view all has (LoadPosOf).
  std::map<std::pair<Id, Id>, std::set<std::string>> loaded_pos_of_;
  std::map<Id, PoLine> po_lines_;
  std::set<Id> loaded_po_lines_of_po_;
  std::map<Id, std::optional<StoreTransfer>> transfers_;
  std::map<Id, Qty> picked_;
  std::map<Id, std::optional<SoClock>> clocks_;
  std::map<Id, std::optional<Timestamp>> po_sent_;
  std::map<std::tuple<ArrivalKind, Id, Id>, ArrivalLine> arrivals_;
  std::set<ArrivalKey> loaded_arrivals_;

  std::map<Id, bool> stores_;
  std::map<Id, std::optional<Product>> products_;
  std::map<Id, std::optional<Vendor>> vendors_;
  std::map<Id, std::vector<ProductVendor>> product_vendors_;
  std::map<Id, std::optional<Shipment>> shipments_;
  std::map<Id, std::vector<Id>> unapplied_shipments_;

  // --- What TakeWrites() hands over ---
  std::map<Id, WriteSet::RedStar> red_stars_;
  std::set<Id> written_lines_, written_special_orders_, written_po_lines_, written_picked_,
      written_clocks_, written_po_sent_;
  std::set<std::tuple<ArrivalKind, Id, Id>> written_arrivals_;
  std::vector<AuditEntry> audit_;
  std::vector<WriteSet::Refusal> refusals_;
  std::vector<FlightRecord> flight_records_;

  // The special order ids of a record, resolved (TakeWrites()).
  void Resolve(FlightRecord& record) const;
};

}  // namespace so
