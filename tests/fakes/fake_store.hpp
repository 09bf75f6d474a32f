// In-memory fakes of the rules/ ports for unit tests: a HostStore that refuses what the MySQL
// store refuses and undoes its transactions row by row on rollback, with failures injected on
// purpose; an event sink and a dead-letter sink that remember what they got. Single-threaded,
// like the tests that use them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "rules/outbox.hpp"
#include "rules/ports.hpp"

namespace so::fakes {

// A DECIMAL(12,4) value as MariaDB keeps it: "7.25" reads back as "7.2500", "7.12345" as "7.1235"
// (rounded half away from zero). Text that is not a plain decimal number is refused with 1366 and
// more than 8 digits before the point with 1264, both kPermanent, as in strict mode. (MariaDB
// also takes exponents such as "1e3"; the fake does not.)
Result<std::string> StoredDecimal(std::string_view column, std::string_view text);

// The host database's rows, as the fake keeps them. Customers are not kept: the daemon copies a
// customer id only from an order row, which the POS wrote with a customer that exists.
struct FakeDb {
  std::set<Id> stores;
  std::map<Id, Product> products;
  std::map<Id, Vendor> vendors;
  std::map<std::pair<Id, Id>, ProductVendor> product_vendors;  // (product, vendor)
  std::map<std::pair<Id, Id>, StockRow> stock;                 // (store, product)
  std::map<Id, CustomerOrder> orders;
  std::map<Id, Timestamp> order_created_at;  // customer_orders.created_at; Timestamp{} if unset
  std::map<Id, OrderLine> lines;
  std::map<Id, SpecialOrder> special_orders;
  std::map<Id, PurchaseOrder> pos;
  std::map<Id, PoLine> po_lines;
  std::map<Id, Shipment> shipments;  // lines in line id order (the fake keeps no line ids)
  std::map<Id, StoreTransfer> transfers;
  std::map<std::tuple<ArrivalKind, Id, Id>, ArrivalLine> arrivals;
  std::map<Id, Qty> picked;                     // special order id -> units handed over
  std::map<Id, SoClock> clocks;                 // sod_promises, by special order id
  std::map<Id, Timestamp> po_sent;              // sod_po_sent: PO id -> first seen sent
  std::map<std::string, std::string> inbox;     // message id -> outcome
  std::map<std::string, std::string> refusals;  // message id -> why it was refused
  std::vector<AuditEntry> audit;
  std::vector<FlightRecord> flight_records;  // the flight recorder's, in the order written
  // sod_event_sources, by name, and sod_outbox in the order written (rules/outbox.hpp).
  struct EventSourceRow {
    std::string source, instance;
    uint64_t last_seq = 0, sent_seq = 0;
  };
  std::map<std::string, EventSourceRow> event_sources;
  struct OutboxRow {
    StampedEvent event;
    Timestamp written_at;
  };
  std::vector<OutboxRow> outbox;
  // The server's clock, as sod_outbox.written_at and a new source's name take it.
  Timestamp now;
  // The last id handed out, per table. Like AUTO_INCREMENT, a new row's id is above every id its
  // table has and above every id handed out for it before, also by a transaction that was rolled
  // back.
  enum class Table { kSpecialOrders, kPos, kPoLines, kTransfers, kTransferLines };
  std::map<Table, Id> last_ids;

  // Hands out the next id of `table`, whose highest id is `highest`.
  Id NewId(Table table, Id highest);

  // Test set-up helpers: the POS's own writes.
  void AddStore(Id id) { stores.insert(id); }
  void AddProduct(Id id, std::optional<Id> primary_vendor, bool allowed = true);
  void AddVendor(Id id, bool active = true);
  void AddOffer(Id product, Id vendor, std::string cost, int lead_days, Qty pack = 1, Qty moq = 1);
  void SetOnHand(Id store, Id product, Qty on_hand);
  // An open order of `customer` with one line for `special_qty` units marked as special order.
  void AddOrderWithLine(Id order, Id line, Id store, Id product, Qty special_qty, Id customer = 7);
  Id AddPo(Id store, Id vendor, std::string status, Timestamp created_at);
  Id AddPoLine(Id po, Id product, Qty qty);
  // A completed shipment; on_hand and quantity_received grow as the POS does.
  void CompleteShipment(Id shipment, Id po, std::vector<ShipmentLine> lines);
  // The POS receives a transfer: on_hand moves from the sending to the receiving store.
  void ReceiveTransfer(Id transfer, const std::vector<TransferLine>& received);

  // The row, or zeros when the store never stocked the product (creates nothing).
  StockRow Stock(Id store, Id product) const;
};

// Refuses, with the MySQL error codes and before it changes anything, what the reference schema
// refuses: CHECK constraints, the unique line of a special order, foreign keys to the rows it
// keeps, a PO line without a cost, strings longer than their columns. A write to a row that does
// not exist is a kPermanent error, never an exception. Strings compare byte for byte, whereas
// MySQL's collations ignore case in statuses and trailing spaces everywhere.
// tests/adapters/host_store_conformance_test.cpp holds it to the MySQL store.
class FakeStore final : public HostStore, public OutboxStore {
 public:
  FakeDb db;

  // Fails the n-th port call from now on (1 = the next one) with `error`; 0 disables.
  void FailCall(int n, Error error) {
    fail_at_ = calls_ + n;
    fail_error_ = std::move(error);
  }
  // Fails every Commit() with `error` while set.
  std::optional<Error> fail_commits;
  // When set, Commit() applies the transaction and then reports this error (a commit whose
  // answer was lost with the connection).
  std::optional<Error> lose_commit_answer;

  // Fails the next `times` calls of ApplyWrites() with `error`, before writing anything.
  struct {
    int times = 0;
    Error error;
  } fail_apply_writes;

  int calls() const { return calls_; }
  // Transactions committed so far: a message that changed nothing committed none.
  int commits() const { return commits_; }
  bool in_transaction() const { return undo_.has_value(); }

  // HostStore
  Status Begin() override;
  Status Commit() override;
  void Rollback() override;
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
  // Batches (fake_store_batch.cpp): the writes go through the single-row methods above, one
  // call each, so that failures injected by FailCall() can hit them.
  Status ApplyWrites(const WriteSet& writes) override;
  Result<std::vector<StockRow>> LockStocks(const std::vector<StockKey>& keys) override;
  Result<std::vector<PoLine>> LockPoLinesOfPos(const std::vector<Id>& po_ids) override;
  Result<std::vector<PurchaseOrder>> LockPosOf(const std::vector<std::pair<Id, Id>>& pairs,
                                               const std::vector<std::string>& statuses) override;

  // OutboxStore (fake_outbox.cpp), with the MySQL store's cuts (mysql_outbox.cpp).
  Result<EventSourceState> ClaimEventSource(const std::string& name, const std::string& instance,
                                            Timestamp now) override;
  Result<EventSourceState> ReadEventSource(const std::string& name,
                                           const std::string& instance) override;
  Result<std::vector<StampedEvent>> ReadOutbox(const std::string& source, uint64_t after_seq,
                                               int limit) override;
  Status MarkEventsSent(const std::string& name, const std::string& instance,
                        uint64_t sent_seq) override;
  Result<int64_t> PruneOutbox(const std::string& source, uint64_t sent_seq, uint64_t last_seq,
                              const OutboxRetention& retention, Timestamp now) override;

 private:
  // Counts the call and returns the injected error when it is due.
  std::optional<Error> Tick();
  // ApplyWrites()'s outbox rows and event source (fake_outbox.cpp).
  Status WriteOutbox(const WriteSet& writes);

  // What the open transaction changed, for Rollback() to put back: each row's value before its
  // first write (nullopt: it did not exist) and the audit trail's length. last_ids are not put
  // back: MySQL does not hand out again the ids a rolled-back transaction took. A copy of the
  // whole database per transaction would cost as much, for tests that apply thousands of
  // messages, as everything else together.
  struct Undo {
    std::map<std::string, std::optional<std::string>> inbox;
    std::map<std::string, std::optional<std::string>> refusals;
    std::map<Id, std::optional<CustomerOrder>> orders;
    std::map<Id, std::optional<OrderLine>> lines;
    std::map<Id, std::optional<SpecialOrder>> special_orders;
    std::map<std::pair<Id, Id>, std::optional<StockRow>> stock;
    std::map<Id, std::optional<PurchaseOrder>> pos;
    std::map<Id, std::optional<PoLine>> po_lines;
    std::map<Id, std::optional<StoreTransfer>> transfers;
    std::map<std::tuple<ArrivalKind, Id, Id>, std::optional<ArrivalLine>> arrivals;
    std::map<Id, std::optional<Qty>> picked;
    std::map<Id, std::optional<SoClock>> clocks;
    std::map<Id, std::optional<Timestamp>> po_sent;
    size_t audit_size = 0;
    size_t flight_records_size = 0;
    size_t outbox_size = 0;
    std::optional<std::map<std::string, FakeDb::EventSourceRow>> event_sources;
  };
  std::optional<Undo> undo_;
  int calls_ = 0;
  int commits_ = 0;
  int fail_at_ = 0;
  Error fail_error_;
};

class FakeEventSink final : public EventSink {
 public:
  // The events of the batches as they made them, in the order handed over.
  std::vector<OutEvent> published;
  // Everything handed over, the events read back from the outbox included.
  std::vector<StampedEvent> sent;
  // Refuses every event with this error while set.
  std::optional<Error> fail;
  Status Publish(const StampedEvent& event) override {
    if (fail) return *fail;
    sent.push_back(event);
    if (event.event) published.push_back(*event.event);
    return Status();
  }
};

// An outbox over the fake store, opened, encoding as the daemon does (json::EncodeStampedEvent).
std::unique_ptr<Outbox> OpenOutbox(FakeStore& store, EventSink& sink,
                                   const std::string& name = "sod-test");

class FakeDeadLetters final : public DeadLetterSink {
 public:
  std::vector<DeadLetter> parked;
  std::optional<Error> fail;
  Status Park(const DeadLetter& letter) override {
    if (fail) return *fail;
    parked.push_back(letter);
    return Status();
  }
};

}  // namespace so::fakes
