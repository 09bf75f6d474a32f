// What `special-ordersd explain` reads: special orders with their audit trail and inbox rows and
// the rows they wait on, in one read-only transaction over one consistent snapshot, on a
// connection of its own that never writes (SET SESSION TRANSACTION READ ONLY; the daemon's tables
// are not created). Plain values out; not thread-safe: one reader per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/mysql/mysql_store.hpp"
#include "rules/model.hpp"
#include "rules/result.hpp"

namespace so::mysql {

class Session;

// What the special orders are looked up by.
enum class ExplainBy { kSpecialOrder, kOrderLine, kOrder, kPo };

// One row of sod_audit, with the message that caused it as sod_inbox keeps it.
struct ExplainHistoryEntry {
  int64_t audit_id = 0;
  Timestamp at;  // the message's occurred_at
  std::string message_id;
  // The special order the row is about; nullopt for a row of the same message about no special
  // order in particular (an arrival that waits for the Back Office, a confirmation).
  std::optional<Id> special_order_id;
  std::string rule;
  std::string decision;
  std::string detail;
  // From sod_inbox; nullopt when the message has no inbox row (an audit row written by hand).
  std::optional<std::string> message_type;
  std::optional<std::string> source;
  std::optional<uint64_t> seq;
  std::optional<std::string> outcome;  // applied / refused
};

// A vendor shipment that brought goods for a PO line, as the POS wrote it and as far as the
// daemon applied it (sod_arrival_lines).
struct ExplainShipment {
  Id id = 0;
  std::string status;  // open / completed
  std::optional<Timestamp> completed_at;
  Qty quantity = 0;  // of the PO line
  // Whether the daemon has applied it, and how many of the units it brought of the product it
  // allocated (to any special order).
  bool applied = false;
  Qty allocated = 0;
};

// One special order as explain shows it: the row, the rows around it, its history.
struct ExplainedOrder {
  SpecialOrder so;
  std::string store_code;
  std::string sku;
  std::string product_name;
  std::string customer_name;
  Qty picked_qty = 0;            // sod_pickups
  std::optional<SoClock> clock;  // sod_promises: its promise (and, later, reminders)
  // Its line and order as the POS database has them now.
  std::string line_status;
  Qty line_special_order_qty = 0;
  Qty line_committed_qty = 0;
  Qty line_backordered_qty = 0;
  std::string order_status;
  bool red_star = false;  // customer_orders.has_special_order
  StockRow stock;         // of its store and product; zeros when the row does not exist
  // Its vendor, PO and PO line, when it is sourced from a vendor.
  std::optional<std::string> vendor_name;
  std::optional<PurchaseOrder> po;
  std::optional<PoLine> po_line;
  // The shipments with goods for its PO line, in id order.
  std::vector<ExplainShipment> po_line_shipments;
  // Its transfer, when it is sourced by one, with the quantity of its line on it.
  std::optional<StoreTransfer> transfer;
  std::optional<std::string> transfer_from_code;
  // The live special orders that still wait on the same PO line or transfer (itself included),
  // for the order of service (rules/service.hpp).
  std::vector<SpecialOrder> same_source;
  // Its audit rows, and the other rows of the same messages about no special order, in the
  // order they were written.
  std::vector<ExplainHistoryEntry> history;
};

class ExplainReader {
 public:
  explicit ExplainReader(MysqlOptions options);
  ~ExplainReader();
  ExplainReader(const ExplainReader&) = delete;
  ExplainReader& operator=(const ExplainReader&) = delete;

  // Connects (as MysqlStore::Connect() does) and makes the session read-only: every transaction
  // it runs is READ ONLY (the server refuses any write) at REPEATABLE READ, so that one
  // transaction reads one snapshot.
  Status Connect();

  // The special orders `by` `id` names, in id order (none: an empty list), each with all it
  // shows, read in one transaction WITH CONSISTENT SNAPSHOT, READ ONLY, rolled back at the end.
  // A special order that was on PO `id` and was taken off it is not among those of --po.
  Result<std::vector<ExplainedOrder>> Read(ExplainBy by, Id id);

 private:
  ExplainedOrder Complete(SpecialOrder so);

  MysqlOptions options_;
  std::unique_ptr<Session> session_;
};

}  // namespace so::mysql
