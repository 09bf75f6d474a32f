// so::HostStore on MySQL / MariaDB through Connector/C++ 1.1: one connection, prepared statements
// cached per connection, every library error turned into a so::Error carrying the MySQL code.
// Not thread-safe: one thread at a time per MysqlStore; use one store per connection/thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/drift.hpp"
#include "rules/ports.hpp"

namespace so::mysql {

class Session;

// The daemon's own tables (adapters/mysql/daemon_schema.sql), compiled in. Statements end with
// ";" at the end of a line.
extern const char* const kDaemonSchemaSql;

// Splits a SQL script into statements at each ";" that ends a line, dropping pieces that hold
// only blank lines and "--" comments. Enough for our schema files, not a SQL parser: a ";" at the
// end of a line inside a string literal would split it too.
std::vector<std::string> SplitSqlStatements(std::string_view script);

// One database server: a TCP host and port, or a unix socket.
struct MysqlNode {
  // TCP host; used only when `socket` is empty. "localhost" means 127.0.0.1 over TCP (the
  // connector's rule), not the default socket.
  std::string host = "localhost";
  int port = 3306;
  // Unix socket path; when set, it is used instead of host and port.
  std::string socket;

  // "host:port" ("[v6]:port"), or the socket path: how the log and the metrics name the node.
  std::string ToString() const;
  bool operator==(const MysqlNode&) const = default;
};

// Where and how to connect. Plain values; every field has a working default except the
// credentials and the database.
struct MysqlOptions {
  // TCP host; used only when `socket` is empty. "localhost" means 127.0.0.1 over TCP (the
  // connector's rule), not the default socket. Default "localhost".
  std::string host = "localhost";
  // TCP port. Default 3306.
  int port = 3306;
  // Unix socket path; when set, it is used instead of host and port. Default empty.
  std::string socket;
  // The nodes of a cluster (MariaDB Galera), tried in this order at each connect: the first that
  // answers and, where it is a Galera node, is in the primary component and ready (wsrep_ready
  // ON) is used. Empty: the one server of host, port and socket above. Default empty.
  std::vector<MysqlNode> nodes;
  std::string user;
  std::string password;
  // The database (schema) holding the POS tables and the sod_ tables.
  std::string database;
  // Seconds to wait for the TCP/socket connection and handshake. Default 5.
  int connect_timeout_s = 5;
  // Seconds to wait for one read from the server before the connection counts as lost
  // (kConnection). The session's innodb_lock_wait_timeout is set to half of it (1..50 s) so that
  // a long lock wait ends as a lock wait timeout (kTransient), not as a lost connection.
  // Default 30.
  int read_timeout_s = 30;
  // Seconds to wait for one write to the server. Default 30.
  int write_timeout_s = 30;
  // A store that never writes and never locks, for reports that run the rules over the live
  // database (`simulate --open`). Every transaction is READ ONLY over one consistent snapshot
  // (REPEATABLE READ for that transaction; the server refuses any write), the Lock*() reads are
  // plain SELECTs without FOR UPDATE (they take no row locks, so the daemon and the POS are
  // never made to wait), and every statement that is not a SELECT is refused before it is sent,
  // as a kPermanent error naming it. Default false.
  bool read_only = false;

  // `nodes`, or the one server of host, port and socket.
  std::vector<MysqlNode> Nodes() const;
};

class MysqlStore final : public so::HostStore, public so::OutboxStore {
 public:
  explicit MysqlStore(MysqlOptions options);
  ~MysqlStore() override;
  MysqlStore(const MysqlStore&) = delete;
  MysqlStore& operator=(const MysqlStore&) = delete;

  // Opens a new connection, dropping the old one if any (and with it any open transaction and
  // every prepared statement). Sets the session up explicitly every time: autocommit off,
  // READ COMMITTED, strict sql_mode, time_zone '+00:00', utf8mb4. kConnection when the server
  // cannot be reached, kPermanent for bad credentials or a missing database. With several nodes
  // (MysqlOptions::nodes) each is tried in order and the first usable one is taken; a Galera
  // node must be in the primary component and ready, and its reads then wait for what the
  // cluster committed before them (wsrep_sync_wait = 1). When none can be used: kPermanent if
  // every node refused us for good, else kConnection; the message names each node and why.
  so::Status Connect();

  // The node of the last successful Connect() ("host:port" or the socket); empty before.
  const std::string& node() const;
  // Whether that node is a Galera node.
  bool galera() const;
  // On a Galera node: kConnection (code 1047) naming why the node cannot be used now (it left
  // the primary component, it is not ready), and the connection is dropped for the next
  // Connect() to find another. Ok elsewhere. Outside a transaction.
  so::Status CheckNode();

  // Creates the sod_ tables that do not exist yet (kDaemonSchemaSql). Call it outside a
  // transaction: DDL commits implicitly.
  so::Status EnsureDaemonSchema();

  // What the operator should change in the schema, one sentence each with the fix: an index of
  // adapters/mysql/pos_indexes.sql the host database lacks, a column of the daemon's tables as an
  // earlier version made it. Empty when all is well. Call it outside a transaction.
  so::Result<std::vector<std::string>> SchemaProblems();

  // Parks a message that cannot be applied, in its own short transaction: call it outside a
  // transaction (after Rollback()), else it fails with kPermanent rather than commit the caller's
  // half-done work. A second call with the same message_id adds one to attempts and updates
  // reason, rules_version and last_seen_at; a message without an id always gets a new row.
  so::Status RecordDeadLetter(const std::optional<std::string>& message_id, std::string_view topic,
                              std::string_view raw, std::string_view reason,
                              std::string_view rules_version);

  // A parked message as sod_dead_letters keeps it.
  struct StoredDeadLetter {
    int64_t id = 0;
    std::optional<std::string> message_id;
    std::string topic;
    std::string raw;
    int attempts = 0;
  };
  // Dead letters with an id above `after_id`, oldest first, at most `limit`. Outside a
  // transaction, like the two below; each ends its own.
  so::Result<std::vector<StoredDeadLetter>> ListDeadLetters(int64_t after_id, int limit);
  // Removes a dead letter whose message has since been applied.
  so::Status DeleteDeadLetter(int64_t id);
  // Counts one more failed attempt at a dead letter, with the new reason.
  so::Status RecordDeadLetterRetry(int64_t id, std::string_view reason,
                                   std::string_view rules_version);

  // --- The flight recorder's retention, in mysql_flight.cpp ---

  // Deletes the records written more than `retention_days` ago, then, oldest first, those beyond
  // `max_bytes` in all; in transactions of its own of at most 1000 rows each, at most 10 of each
  // kind per call (the next sweep goes on; call it outside a transaction). Returns how many it
  // deleted.
  so::Result<int64_t> PruneFlightRecords(int retention_days, int64_t max_bytes);

  // --- The drift check (rules/drift.hpp), in mysql_drift.cpp ---

  enum class DriftScope {
    // What the live special orders (neither completed nor cancelled) make: the stock rows of
    // their (store, product)s, their order lines and red stars. Costs in proportion to the live
    // special orders, whatever the history: the daemon's sweep.
    kLive,
    // kLive, and every stock row with a counter that is not zero, the lines of every special
    // order ever made and the red star of every customer order. Costs in proportion to those
    // tables: `special-ordersd check`.
    kAll,
  };
  struct DriftReport {
    std::vector<so::Drift> drifts;  // stock first (by store, product), then lines and red stars
    int64_t special_orders = 0;     // special orders whose lines were checked
    int64_t stock_rows = 0;
    int64_t orders = 0;
  };
  // Every difference between the counters and what the special orders make them, read in one
  // consistent snapshot that locks nothing and writes nothing, a page of `page` rows at a time;
  // memory: two sums per (store, product) with a live special order, and a page. Call it outside
  // a transaction.
  so::Result<DriftReport> FindDrift(DriftScope scope, int page = 1000);
  // Repairs `found` (from FindDrift) in one transaction: locks the rows it names (the counters
  // first, then their special orders), recomputes them, and sets each counter that still
  // differs to what the special orders make it, with one sod_audit row each (message_id,
  // rule "check --repair", decision "repaired_drift", the difference as detail, `at`). Returns what
  // it repaired: less than `found` when something changed meanwhile. Call it outside a transaction;
  // kTransient (a deadlock with the daemon) may be retried.
  so::Result<std::vector<so::Drift>> RepairDrift(const std::vector<so::Drift>& found,
                                                 const std::string& message_id, so::Timestamp at);

  // --- What `simulate --open` reads (mysql_open.cpp): outside a transaction, each call in a
  // read-only snapshot of its own, without locks. ---

  // Every special order in status `request`, in id order.
  so::Result<std::vector<so::SpecialOrder>> SpecialOrdersInRequest();
  // Every special order that still waits for goods (neither completed nor cancelled, quantity >
  // allocated_qty), by store, product and id: the queues of what arrives or is freed.
  so::Result<std::vector<so::SpecialOrder>> WaitingSpecialOrders();

  // --- A daemon that applies some stores only (rules/store_scope.hpp), in mysql_scope.cpp ---

  // The store of each reference that names a row (an order, a special order, a PO, a shipment,
  // a transfer: its receiving store), and of each kStore one; a row that does not exist is left
  // out. Outside a transaction, in one of its own that locks nothing.
  so::Result<std::map<so::StoreRef, so::Id>> StoresOf(const std::vector<so::StoreRef>& refs);

  // True from a successful Connect() until a kConnection error or destruction. Does not ask the
  // server: a connection dropped by the server is noticed by the next call.
  bool connected() const;

  // so::HostStore
  so::Status Begin() override;
  so::Status Commit() override;
  void Rollback() override;
  so::Result<bool> InboxHas(const std::string& message_id) override;
  so::Result<bool> InboxClaim(const so::Envelope& envelope) override;
  so::Status InboxRefused(const std::string& message_id, std::string_view reason) override;
  so::Result<bool> StoreExists(so::Id store_id) override;
  so::Result<std::optional<so::Product>> GetProduct(so::Id product_id) override;
  so::Result<std::optional<so::Vendor>> GetVendor(so::Id vendor_id) override;
  so::Result<std::vector<so::ProductVendor>> GetProductVendors(so::Id product_id) override;
  so::Result<std::optional<so::CustomerOrder>> LockOrder(so::Id order_id) override;
  so::Result<std::optional<so::OrderLine>> LockOrderLine(so::Id order_line_id) override;
  so::Result<so::StockRow> LockStock(so::Id store_id, so::Id product_id) override;
  so::Result<std::optional<so::Shipment>> GetShipment(so::Id shipment_id) override;
  so::Result<std::vector<so::Id>> UnappliedShipmentsOfPo(so::Id po_id) override;
  so::Result<std::optional<so::SpecialOrder>> LockSpecialOrder(so::Id special_order_id) override;
  so::Result<std::optional<so::SpecialOrder>> LockSpecialOrderByLine(so::Id order_line_id) override;
  so::Result<std::vector<so::SpecialOrder>> LockSpecialOrdersOfOrder(so::Id order_id) override;
  so::Result<std::vector<so::SpecialOrder>> LockSpecialOrdersOnPoLines(
      const std::vector<so::Id>& po_line_ids) override;
  so::Result<std::vector<so::SpecialOrder>> LockSpecialOrdersOnPo(so::Id po_id) override;
  so::Result<std::vector<so::SpecialOrder>> LockSpecialOrdersOnTransfer(
      so::Id transfer_id) override;
  so::Result<std::vector<so::SpecialOrder>> LockWaitingSpecialOrders(so::Id store_id,
                                                                     so::Id product_id) override;
  so::Result<so::Id> InsertSpecialOrder(const so::SpecialOrder& so) override;
  so::Status UpdateSpecialOrder(const so::SpecialOrder& so) override;
  so::Status UpdateOrderLine(const so::OrderLine& line) override;
  so::Status SetHasSpecialOrder(so::Id order_id, bool value, so::Timestamp at) override;
  so::Status AddToStock(so::Id store_id, so::Id product_id, so::Qty committed_delta,
                        so::Qty backordered_delta) override;
  so::Result<std::optional<so::PurchaseOrder>> LockPo(so::Id po_id) override;
  so::Result<std::optional<so::PurchaseOrder>> LockNewestPo(
      so::Id store_id, so::Id vendor_id, const std::vector<std::string>& statuses) override;
  so::Result<std::optional<so::PoLine>> LockPoLine(so::Id po_id, so::Id product_id) override;
  so::Result<so::Id> InsertPo(const so::PurchaseOrder& po, std::string_view created_by) override;
  so::Result<so::Id> InsertPoLine(const so::PoLine& line) override;
  so::Status SetPoLineQuantity(so::Id po_line_id, so::Qty quantity_ordered) override;
  so::Result<std::vector<so::StockRow>> GetStockOfProduct(so::Id product_id) override;
  so::Result<std::optional<so::StoreTransfer>> GetTransfer(so::Id transfer_id) override;
  so::Result<so::Id> InsertTransfer(const so::StoreTransfer& transfer,
                                    std::string_view created_by) override;
  so::Result<so::Id> InsertTransferLine(const so::StoreTransferLine& line) override;
  so::Result<so::Qty> LockPickedQty(so::Id special_order_id) override;
  so::Status SetPickedQty(so::Id special_order_id, so::Qty picked_qty) override;
  so::Result<std::optional<so::SoClock>> LockSoClock(so::Id special_order_id) override;
  so::Status PutSoClock(const so::SoClock& clock) override;
  so::Result<std::optional<so::Timestamp>> GetPoSentAt(so::Id po_id) override;
  so::Status SetPoSentAt(so::Id po_id, so::Timestamp at) override;
  so::Result<std::vector<so::ArrivalLine>> LockArrivalLines(so::ArrivalKind kind,
                                                            so::Id arrival_id) override;
  so::Status PutArrivalLine(const so::ArrivalLine& line) override;
  so::Status InsertAudit(const so::AuditEntry& entry) override;
  so::Result<so::PendingFacts> FindPendingFacts(int limit, const so::StoreScope& scope) override;
  so::Result<std::vector<so::ClockCandidate>> FindClockCandidates(
      const so::ClockQuery& q, const so::StoreScope& scope) override;
  // Batches: the writes as multi-row statements (mysql_writes.cpp); the set-wise reads as IN
  // lists, next to their single-row twins (mysql_store.cpp).
  so::Result<std::vector<bool>> InboxClaimAll(const std::vector<so::Envelope>& envelopes) override;
  so::Result<std::vector<so::Id>> InsertSpecialOrders(
      const std::vector<so::SpecialOrder>& rows) override;
  so::Status ApplyWrites(const so::WriteSet& writes) override;
  so::Result<std::vector<so::CustomerOrder>> LockOrders(const std::vector<so::Id>& ids) override;
  so::Result<std::vector<so::OrderLine>> LockOrderLines(const std::vector<so::Id>& ids) override;
  so::Result<std::vector<so::SpecialOrder>> LockSpecialOrders(
      const std::vector<so::Id>& ids) override;
  so::Result<std::vector<so::SpecialOrder>> LockSpecialOrdersByLines(
      const std::vector<so::Id>& order_line_ids) override;
  so::Result<std::vector<so::SpecialOrder>> LockSpecialOrdersOfOrders(
      const std::vector<so::Id>& order_ids) override;
  so::Result<std::vector<so::ArrivalLine>> LockArrivalLinesOf(
      const std::vector<so::ArrivalKey>& keys) override;
  so::Result<std::vector<so::StockRow>> LockStocks(const std::vector<so::StockKey>& keys) override;
  so::Result<std::vector<so::PurchaseOrder>> LockPos(const std::vector<so::Id>& ids) override;
  so::Result<std::vector<so::PurchaseOrder>> LockPosOf(
      const std::vector<std::pair<so::Id, so::Id>>& pairs,
      const std::vector<std::string>& statuses) override;
  so::Result<std::vector<so::PoLine>> LockPoLinesOfPos(const std::vector<so::Id>& po_ids) override;
  so::Result<std::vector<std::pair<so::Id, so::Qty>>> LockPickedQtys(
      const std::vector<so::Id>& ids) override;
  so::Result<std::vector<so::SoClock>> LockSoClocks(const std::vector<so::Id>& ids) override;
  so::Result<std::vector<so::Product>> GetProducts(const std::vector<so::Id>& ids) override;
  so::Result<std::vector<so::Vendor>> GetVendors(const std::vector<so::Id>& ids) override;
  so::Result<std::map<so::Id, std::vector<so::ProductVendor>>> GetProductVendorsOf(
      const std::vector<so::Id>& product_ids) override;
  so::Result<std::vector<so::Shipment>> GetShipments(const std::vector<so::Id>& ids) override;

  // OutboxStore (mysql_outbox.cpp).
  so::Result<so::EventSourceState> ClaimEventSource(const std::string& name,
                                                    const std::string& instance,
                                                    so::Timestamp now) override;
  so::Result<so::EventSourceState> ReadEventSource(const std::string& name,
                                                   const std::string& instance) override;
  so::Result<std::vector<so::StampedEvent>> ReadOutbox(const std::string& source,
                                                       uint64_t after_seq, int limit) override;
  so::Status MarkEventsSent(const std::string& name, const std::string& instance,
                            uint64_t sent_seq) override;
  so::Result<int64_t> PruneOutbox(const std::string& source, uint64_t sent_seq, uint64_t last_seq,
                                  const so::OutboxRetention& retention,
                                  so::Timestamp now) override;

 private:
  // In ApplyWrites(): moves the event source past the batch's events (mysql_outbox.cpp). Throws
  // SourceTaken when the row is no longer this run's, StaleEventSource when it is but its count
  // is ahead of the run's.
  void AdvanceEventSource(const so::WriteSet::EventSourceAdvance& advance);

  MysqlOptions options_;
  // The connection and its prepared statements (mysql_session.hpp).
  std::unique_ptr<Session> session_;
};

}  // namespace so::mysql
