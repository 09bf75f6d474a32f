// The flight recorder's record of one applied message: the message, the rows the engine read to
// decide it as the message found them (its read set), and what it decided about each special
// order. Enough to recompute the decisions without the database: the engine is a function of
// (rules, message, rows read) to writes and events. Written by rules/recorder.hpp, recomputed by
// rules/replay.hpp, compared by rules/simulation.hpp. Plain values.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "rules/messages.hpp"
#include "rules/model.hpp"

namespace so {

// Every answer is the one the message would have had before it wrote anything, per query key;
// a key that is not here was not read and cannot be answered. nullopt: known not to exist.
struct ReadSet {
  std::map<Id, bool> stores;
  std::map<Id, std::optional<Product>> products;
  std::map<Id, std::optional<Vendor>> vendors;
  std::map<Id, std::vector<ProductVendor>> product_vendors;
  std::map<Id, std::optional<CustomerOrder>> orders;
  std::map<Id, std::optional<OrderLine>> lines;
  // LockStock's answers (zeros for a row that does not exist).
  std::map<std::pair<Id, Id>, StockRow> stock;
  std::map<Id, std::vector<StockRow>> stock_of_product;
  std::map<Id, std::optional<Shipment>> shipments;
  std::map<Id, std::vector<Id>> unapplied_shipments_of_po;
  // Every special order any answer named, and those asked for by id that do not exist.
  std::map<Id, SpecialOrder> special_orders;
  std::set<Id> missing_special_orders;
  // The set queries over special orders: the ids of their answers.
  std::map<Id, std::optional<Id>> special_order_of_line;
  std::map<Id, std::vector<Id>> special_orders_of_order;
  std::map<Id, std::vector<Id>> on_po_line;
  std::map<Id, std::vector<Id>> on_po;
  std::map<Id, std::vector<Id>> on_transfer;
  std::map<std::pair<Id, Id>, std::vector<Id>> waiting;  // (store, product)
  std::map<Id, std::optional<PurchaseOrder>> pos;
  // LockNewestPo per (store, vendor, one status): the id of the newest, the PO itself in `pos`.
  std::map<std::tuple<Id, Id, std::string>, std::optional<Id>> newest_po;
  // Every line of the PO (as LockPoLine reads them all).
  std::map<Id, std::vector<PoLine>> po_lines_of_po;
  std::map<Id, std::optional<StoreTransfer>> transfers;
  std::map<Id, Qty> picked;
  std::map<std::pair<ArrivalKind, Id>, std::vector<ArrivalLine>> arrivals;
  // The ids the store gave the message's inserts, in the order asked.
  std::vector<Id> new_special_orders, new_pos, new_po_lines, new_transfers;
  // The daemon's clock rows (sod_promises) and PO sent times (sod_po_sent).
  std::map<Id, std::optional<SoClock>> clocks;
  std::map<Id, std::optional<Timestamp>> po_sent;
  // False for a record of format 1, made before the daemon kept clocks: every clock question
  // then has the answer the database had, none. Not stored; the decoder sets it.
  bool clocks_recorded = true;
};

// What one message decided about one special order (or, when the request was refused, about the
// order line that would have had one): the facts `simulate` compares. Keyed by order line: a
// special order has one, and a refused request has no special order to be named by.
struct SoDecision {
  Id order_line_id = 0;
  Id special_order_id = 0;  // 0: none (a refused request)
  Id store_id = 0;
  // The audit rows about it, in the order decided: the verb and the rule that decided.
  std::vector<std::pair<std::string, std::string>> decisions;
  // Its values after the message.
  std::optional<SoStatus> status;
  Qty allocated_qty = 0;
  std::optional<SoSource> source;
  std::optional<Id> vendor_id;
  std::optional<Id> po_id;
  bool new_po = false;             // the message created that PO
  std::optional<Qty> po_line_qty;  // its PO line after the message, when the message wrote it
  std::optional<Id> transfer_from_store;  // a transfer the message requested for it
  // Where what the message allocated to it came from: "arrival" (the goods that came, in the
  // order of service), "surplus" (an arrival's units beyond its own special orders), "freed"
  // (stock another special order gave back); empty when it allocated nothing.
  std::string allocated_from;

  friend bool operator==(const SoDecision&, const SoDecision&) = default;
};

struct FlightRecord {
  Message message;
  ReadSet reads;
  std::vector<SoDecision> decisions;  // in order line order
  bool refused = false;
  // The rules in force (RuleSet::version()): kept beside the record, for people.
  std::string rules_version;
};

}  // namespace so
