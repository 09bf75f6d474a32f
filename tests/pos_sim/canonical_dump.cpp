#include "tests/pos_sim/canonical_dump.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

namespace so::testing {
namespace {

// Why ids are renumbered: the daemon's inserts take their ids from AUTO_INCREMENT, and InnoDB
// never gives back a value that a transaction took and then rolled back. A daemon killed before
// its COMMIT (or a transaction that failed and was dead-lettered) burns ids, so after recovery
// the same special orders, POs, PO lines, transfers, transfer lines and audit rows can carry
// higher ids than in a run that never failed. What must be equal is which row is which: the
// n-th special order of one run is the n-th of the other, and every reference to it points at
// the n-th. So each id of these tables becomes its rank among that table's ids, and so does
// every column that refers to one.
enum class Family { kSpecialOrder, kPo, kPoLine, kTransfer, kTransferLine, kAudit };

struct Surrogate {
  Family family;
  const char* table;  // the table whose AUTO_INCREMENT id it is
};

constexpr Surrogate kSurrogates[] = {
    {Family::kSpecialOrder, "special_orders"},       {Family::kPo, "purchase_orders"},
    {Family::kPoLine, "purchase_order_lines"},       {Family::kTransfer, "store_transfers"},
    {Family::kTransferLine, "store_transfer_lines"}, {Family::kAudit, "sod_audit"},
};

struct Reference {
  const char* table;
  const char* column;
  Family family;
};

// Every column holding one of those ids: the tables' own ids and every reference to them,
// declared as a foreign key or not (sod_audit, sod_pickups, sod_promises and sod_po_sent have
// none, by design).
constexpr Reference kReferences[] = {
    {"special_orders", "id", Family::kSpecialOrder},
    {"special_orders", "po_id", Family::kPo},
    {"special_orders", "po_line_id", Family::kPoLine},
    {"special_orders", "transfer_id", Family::kTransfer},
    {"purchase_orders", "id", Family::kPo},
    {"purchase_order_lines", "id", Family::kPoLine},
    {"purchase_order_lines", "po_id", Family::kPo},
    {"store_transfers", "id", Family::kTransfer},
    {"store_transfer_lines", "id", Family::kTransferLine},
    {"store_transfer_lines", "transfer_id", Family::kTransfer},
    {"store_transfer_lines", "special_order_id", Family::kSpecialOrder},
    {"sod_audit", "id", Family::kAudit},
    {"sod_audit", "special_order_id", Family::kSpecialOrder},
    {"sod_pickups", "special_order_id", Family::kSpecialOrder},
    {"sod_promises", "special_order_id", Family::kSpecialOrder},
    {"sod_po_sent", "po_id", Family::kPo},
    // The POS writes its shipments against the PO and PO lines the daemon created.
    {"vendor_shipments", "po_id", Family::kPo},
    {"vendor_shipment_lines", "po_line_id", Family::kPoLine},
};

// sod_arrival_lines.arrival_id is a store transfer's id when kind = 'transfer' (renumbered) and a
// vendor shipment's, which the POS chose, when kind = 'shipment' (kept).
constexpr const char* kArrivalTable = "sod_arrival_lines";
constexpr const char* kArrivalColumn = "arrival_id";

// Integer id columns whose values the POS (here: the test) chose, the same in every run of a
// scenario: kept as they are. Listed so that CanonicalDump() notices an id column it does not
// know (a new reference to a surrogate id would otherwise compare unrenumbered).
constexpr std::pair<const char*, const char*> kPosIds[] = {
    {"stores", "id"},
    {"vendors", "id"},
    {"products", "id"},
    {"products", "primary_vendor_id"},
    {"product_vendors", "product_id"},
    {"product_vendors", "vendor_id"},
    {"stock", "store_id"},
    {"stock", "product_id"},
    {"customers", "id"},
    {"customer_orders", "id"},
    {"customer_orders", "store_id"},
    {"customer_orders", "customer_id"},
    {"customer_order_lines", "id"},
    {"customer_order_lines", "order_id"},
    {"customer_order_lines", "product_id"},
    {"special_orders", "store_id"},
    {"special_orders", "order_id"},
    {"special_orders", "order_line_id"},
    {"special_orders", "customer_id"},
    {"special_orders", "product_id"},
    {"special_orders", "vendor_id"},
    {"purchase_orders", "store_id"},
    {"purchase_orders", "vendor_id"},
    {"purchase_order_lines", "product_id"},
    {"vendor_shipments", "id"},
    {"vendor_shipments", "store_id"},
    {"vendor_shipments", "vendor_id"},
    {"vendor_shipment_lines", "id"},
    {"vendor_shipment_lines", "shipment_id"},
    {"vendor_shipment_lines", "product_id"},
    {"store_transfers", "from_store_id"},
    {"store_transfers", "to_store_id"},
    {"store_transfer_lines", "product_id"},
    {"sod_arrival_lines", "product_id"},
    {"sod_arrival_lines", "store_id"},
};

// Why digits are masked in free text: the audit trail's and the inbox's details are prose that
// names those same ids ("created draft PO 3, new line 5 for 2"), and prose cannot be renumbered
// column by column. Every run of digits there becomes '#'; the decisions themselves are still
// compared through the other columns of these rows and through the business tables.
constexpr std::pair<const char*, const char*> kFreeText[] = {
    {"sod_audit", "detail"},
    {"sod_inbox", "detail"},
};

// Why sod_dead_letters is left out: its times are the server's NOW(6), not a message's time, and
// a fault test parks and replays letters that a reference run never has. sod_flight_recorder:
// its times are the server's too, and its records are bytes that name the surrogate ids inside
// (a recorder test compares what they decode to). sod_event_sources and sod_outbox: the source
// names the daemon's start and its run, and which daemon's source an event is in depends on which
// daemon applied its message (outbox_flow_test compares the events the bus carried instead).
constexpr const char* kLeftOut[] = {"sod_dead_letters", "sod_flight_recorder",
                                    "sod_event_sources", "sod_outbox"};

constexpr const char* kBusinessTables[] = {
    "special_orders",    "customer_orders",      "customer_order_lines", "stock",
    "purchase_orders",   "purchase_order_lines", "store_transfers",      "store_transfer_lines",
    "sod_arrival_lines", "sod_pickups",          "sod_promises",         "sod_po_sent",
};

std::string MaskDigits(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (out.empty() || out.back() != '#') out += '#';
      while (i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool IsIdColumn(const std::string& name) {
  return name == "id" || (name.size() > 3 && name.compare(name.size() - 3, 3, "_id") == 0);
}

bool IsIntegerType(const std::string& type) {
  return type == "bigint" || type == "int" || type == "mediumint" || type == "smallint" ||
         type == "tinyint";
}

bool IsTimeType(const std::string& type) {
  return type == "datetime" || type == "timestamp" || type == "date" || type == "time";
}

enum class Treatment { kVerbatim, kRenumber, kArrivalId, kMaskDigits };

struct Column {
  std::string name;
  Treatment treatment = Treatment::kVerbatim;
  Family family = Family::kSpecialOrder;  // for kRenumber
};

// Each id of the family with its store, in id order (CanonicalDumpOptions::ranks_per_store).
std::string StoreOfIdSql(Family family) {
  switch (family) {
    case Family::kSpecialOrder:
      return "SELECT id, store_id FROM special_orders ORDER BY id";
    case Family::kPo:
      return "SELECT id, store_id FROM purchase_orders ORDER BY id";
    case Family::kPoLine:
      return "SELECT l.id, p.store_id FROM purchase_order_lines l LEFT JOIN purchase_orders p "
             "ON p.id = l.po_id ORDER BY l.id";
    case Family::kTransfer:
      return "SELECT id, to_store_id FROM store_transfers ORDER BY id";
    case Family::kTransferLine:
      return "SELECT l.id, t.to_store_id FROM store_transfer_lines l LEFT JOIN store_transfers t "
             "ON t.id = l.transfer_id ORDER BY l.id";
    case Family::kAudit:
      return "SELECT a.id, so.store_id FROM sod_audit a LEFT JOIN special_orders so "
             "ON so.id = a.special_order_id ORDER BY a.id";
  }
  throw std::logic_error("StoreOfIdSql: unknown family");
}

}  // namespace

std::string CanonicalDump(TestDatabase& db, const CanonicalDumpOptions& options) {
  const std::string schema = QuoteString(db.name());

  // id -> "#rank" (1, 2, ...) per family, or "#s<store>.<rank>".
  std::map<Family, std::map<std::string, std::string>> ranks;
  for (const auto& s : kSurrogates) {
    if (!options.ranks_per_store) {
      int64_t rank = 0;
      for (const auto& row :
           db.Query("SELECT id FROM " + QuoteIdentifier(s.table) + " ORDER BY id")) {
        ranks[s.family][*row[0]] = "#" + std::to_string(++rank);
      }
      continue;
    }
    std::map<std::string, int64_t> per_store;
    for (const auto& row : db.Query(StoreOfIdSql(s.family))) {
      const std::string store = row[1].value_or("0");
      ranks[s.family][*row[0]] = "#s" + store + "." + std::to_string(++per_store[store]);
    }
  }
  const auto renumber = [&](Family family, const std::string& id) {
    const auto& m = ranks[family];
    const auto it = m.find(id);
    // A reference to a row that does not exist shows as such rather than as some rank.
    return it == m.end() ? "dangling:" + id : it->second;
  };

  std::vector<std::string> tables = options.tables;
  if (tables.empty()) {
    for (const auto& row : db.Query(
             "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + schema +
             " AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")) {
      if (std::find(std::begin(kLeftOut), std::end(kLeftOut), *row[0]) == std::end(kLeftOut)) {
        tables.push_back(*row[0]);
      }
    }
  }

  std::string out;
  for (const std::string& table : tables) {
    const auto column_rows = db.Query(
        "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
        schema + " AND TABLE_NAME = " + QuoteString(table) + " ORDER BY ORDINAL_POSITION");
    if (column_rows.empty()) throw std::runtime_error("CanonicalDump: no table " + table);
    std::vector<Column> columns;
    for (const auto& row : column_rows) {
      Column c{*row[0]};
      const std::string& type = *row[1];
      if (options.without_times && IsTimeType(type)) continue;
      bool known = false;
      for (const auto& r : kReferences) {
        if (table == r.table && c.name == r.column) {
          c.treatment = Treatment::kRenumber;
          c.family = r.family;
          known = true;
        }
      }
      if (table == kArrivalTable && c.name == kArrivalColumn) {
        c.treatment = Treatment::kArrivalId;
        known = true;
      }
      for (const auto& [t, name] : kFreeText) {
        if (table == t && c.name == name) c.treatment = Treatment::kMaskDigits;
      }
      for (const auto& [t, name] : kPosIds) known = known || (table == t && c.name == name);
      if (!known && IsIntegerType(type) && IsIdColumn(c.name)) {
        throw std::runtime_error("CanonicalDump: id column " + table + "." + c.name +
                                 " is not classified; say in tests/pos_sim/canonical_dump.cpp "
                                 "whether it holds an AUTO_INCREMENT id of the daemon's inserts");
      }
      columns.push_back(std::move(c));
    }
    const auto key = db.Query(
        "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = " +
        schema + " AND TABLE_NAME = " + QuoteString(table) +
        " AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION");
    // The kind of an arrival line decides what its arrival_id is: read it even when it is not
    // dumped.
    std::string select = "SELECT ";
    std::string header;
    for (size_t i = 0; i < columns.size(); ++i) {
      select += (i == 0 ? "" : ", ") + QuoteIdentifier(columns[i].name);
      header += (i == 0 ? "" : "\t") + columns[i].name;
    }
    if (table == kArrivalTable) select += ", `kind`";
    select += " FROM " + QuoteIdentifier(table);
    // Ranks keep the order of the ids, so ordering by the stored key orders by the renumbered
    // one too. Without a primary key every column orders the rows.
    if (key.empty()) {
      for (size_t i = 0; i < columns.size(); ++i) {
        select += (i == 0 ? " ORDER BY " : ", ") + QuoteIdentifier(columns[i].name);
      }
    } else {
      for (size_t i = 0; i < key.size(); ++i) {
        select += (i == 0 ? " ORDER BY " : ", ") + QuoteIdentifier(*key[i][0]);
      }
    }
    const auto rows = db.Query(select);
    out += "== " + table + " (" + std::to_string(rows.size()) + " rows)\n" + header + "\n";
    std::vector<std::string> lines;
    for (const auto& row : rows) {
      std::string line;
      for (size_t i = 0; i < columns.size(); ++i) {
        if (i > 0) line += '\t';
        if (!row[i]) {
          line += "\\N";
          continue;
        }
        std::string value = *row[i];
        switch (columns[i].treatment) {
          case Treatment::kVerbatim:
            break;
          case Treatment::kRenumber:
            value = renumber(columns[i].family, value);
            break;
          case Treatment::kArrivalId:
            if (row.back().value_or("") == "transfer") value = renumber(Family::kTransfer, value);
            break;
          case Treatment::kMaskDigits:
            value = MaskDigits(value);
            break;
        }
        AppendEscaped(line, value);
      }
      lines.push_back(std::move(line));
    }
    if (options.ranks_per_store) std::sort(lines.begin(), lines.end());
    for (const auto& line : lines) out += line + '\n';
  }
  return out;
}

std::string BusinessDump(TestDatabase& db) {
  CanonicalDumpOptions options;
  options.tables.assign(std::begin(kBusinessTables), std::end(kBusinessTables));
  options.without_times = true;
  return CanonicalDump(db, options);
}

std::string BusinessDumpPerStore(TestDatabase& db) {
  CanonicalDumpOptions options;
  options.tables.assign(std::begin(kBusinessTables), std::end(kBusinessTables));
  options.without_times = true;
  options.ranks_per_store = true;
  return CanonicalDump(db, options);
}

}  // namespace so::testing
