// MysqlStore's batch writes: the inbox rows of a batch and its WriteSet, as multi-row statements.
// Rows go in pieces whose sizes are powers of two (or padded to one, where a row given twice
// changes nothing), so that a handful of statement shapes, each prepared once per connection,
// serve every batch.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adapters/flight_codec.hpp"
#include "adapters/mysql/mysql_rows.hpp"
#include "adapters/mysql/mysql_session.hpp"
#include "adapters/mysql/mysql_store.hpp"

namespace so::mysql {
namespace {

// Rows in one multi-row UPDATE at most (a power of two).
constexpr size_t kMaxUpdateRows = 256;
// Rows in one multi-row INSERT at most (a power of two): its cost grows with its rows only.
constexpr size_t kMaxInsertRows = 512;
// A flight record's read set beyond this is left out; the records of one INSERT stay below the
// other.
constexpr size_t kMaxFlightRecordBytes = size_t{1} << 20;
constexpr size_t kMaxFlightRecordStatementBytes = size_t{4} << 20;

// Calls piece(first, count) over [0, n) in pieces of power-of-two sizes up to `max`, largest
// first.
template <typename F>
void InPieces(size_t n, size_t max, F piece) {
  for (size_t at = 0; at < n;) {
    size_t count = max;
    while (count > n - at) count /= 2;
    piece(at, count);
    at += count;
  }
}

// Calls chunk(first, count, padded) over [0, n) in chunks of `max` rows at most, each to be
// padded to `padded` rows (a power of two) by repeating its last row.
template <typename F>
void InPaddedChunks(size_t n, size_t max, F chunk) {
  for (size_t at = 0; at < n; at += max) {
    const size_t count = std::min(max, n - at);
    chunk(at, count, PaddedCount(count));
  }
}

std::string Repeat(std::string_view item, size_t n, std::string_view separator = ", ") {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) s += separator;
    s += item;
  }
  return s;
}

// One column of a multi-row UPDATE. `expr` is the new value, `$` standing for the row's own
// value; an expression without `$` sets every row alike and binds nothing.
struct SetColumn {
  std::string_view column;
  std::string_view expr = "$";
  bool bound() const { return expr.find('$') != std::string_view::npos; }
};

// UPDATE <table> t JOIN (SELECT ? AS k0, ..., ? AS c0, ... UNION ALL SELECT ?, ... ) v
// ON t.<key> = v.k0 ... SET t.<column> = <expr, $ being v.c<i>>, for `rows` rows: each row is
// found by its primary key and given its own values, at a cost that grows with the rows (a CASE
// per column would compare every row with every branch).
std::string UpdateSql(std::string_view table, const std::vector<std::string_view>& keys,
                      const std::vector<SetColumn>& set, size_t rows) {
  std::string first = "SELECT ", next = "SELECT ";
  for (size_t k = 0; k < keys.size(); ++k) {
    first += (k > 0 ? ", ? AS k" : "? AS k") + std::to_string(k);
    next += k > 0 ? ", ?" : "?";
  }
  std::string assignments, on;
  size_t bound = 0;
  for (size_t c = 0; c < set.size(); ++c) {
    std::string value(set[c].expr);
    if (const size_t at = value.find('$'); at != std::string::npos) {
      first += ", ? AS c" + std::to_string(bound);
      next += ", ?";
      value.replace(at, 1, "v.c" + std::to_string(bound++));
    }
    assignments += (c > 0 ? ", t." : "t.") + std::string(set[c].column) + " = " + value;
  }
  for (size_t k = 0; k < keys.size(); ++k) {
    on += (k > 0 ? " AND t." : "t.") + std::string(keys[k]) + " = v.k" + std::to_string(k);
  }
  std::string sql = "UPDATE " + std::string(table) + " t JOIN (" + first;
  for (size_t r = 1; r < rows; ++r) sql += " UNION ALL " + next;
  return sql + ") v ON " + on + " SET " + assignments;
}

// Updates existing rows by key, every one of them or NoRow: each `row` of `rows` binds its key
// columns with key(params, row) and its value of bound column c with value(params, row, c).
// Chunks are padded by repeating their last row: a row of the table joined twice is still
// updated once.
template <typename Row, typename Key, typename Value>
void UpdateRows(Session& session, std::string_view table, const std::vector<std::string_view>& keys,
                const std::vector<SetColumn>& set, const std::vector<Row>& rows, Key bind_key,
                Value bind_value) {
  InPaddedChunks(rows.size(), kMaxUpdateRows, [&](size_t first, size_t count, size_t padded) {
    sql::PreparedStatement& ps = session.Prepared(UpdateSql(table, keys, set, padded));
    Params params(ps);
    for (size_t i = 0; i < padded; ++i) {
      const Row& row = rows[first + std::min(i, count - 1)];
      bind_key(params, row);
      for (size_t c = 0; c < set.size(); ++c) {
        if (set[c].bound()) bind_value(params, row, c);
      }
    }
    // CLIENT_FOUND_ROWS: the rows matched, whether or not their values changed.
    const int matched = ps.executeUpdate();
    if (matched != static_cast<int>(count)) {
      throw NoRow(std::string(table) + ": " + std::to_string(count - matched) + " of " +
                  std::to_string(count) + " rows to update do not exist");
    }
  });
}

// How the rows of a multi-row INSERT are cut into statements.
enum class Cut {
  kPieces,  // power-of-two pieces: for inserts where a row given twice would be two rows
  kPadded,  // chunks padded by repeating their last row: for upserts that overwrite
  kWhole,   // one statement of exactly the rows given (at most kMaxInsertRows)
};

// INSERT INTO ... VALUES <row>, <row>, ... <tail>: each row binds its values with bind(params,
// row).
template <typename Row, typename Bind>
void InsertRows(Session& session, std::string_view head, std::string_view row_placeholder,
                std::string_view tail, Cut cut, const std::vector<Row>& rows, Bind bind) {
  const auto run = [&](size_t first, size_t count, size_t shape) {
    sql::PreparedStatement& ps =
        session.Prepared(std::string(head) + Repeat(row_placeholder, shape) + std::string(tail));
    Params params(ps);
    for (size_t i = 0; i < shape; ++i) bind(params, rows[first + std::min(i, count - 1)]);
    ps.executeUpdate();
  };
  switch (cut) {
    case Cut::kPieces:
      return InPieces(rows.size(), kMaxInsertRows,
                      [&](size_t first, size_t count) { run(first, count, count); });
    case Cut::kPadded:
      return InPaddedChunks(rows.size(), kMaxInsertRows, run);
    case Cut::kWhole:
      if (!rows.empty()) run(0, rows.size(), rows.size());
      return;
  }
}

// Binds the columns of a special order that an insert writes, in kSpecialOrderInsert's order.
void BindNewSpecialOrder(Params& p, const SpecialOrder& so) {
  p.Add(so.store_id);
  p.Add(so.order_id);
  p.Add(so.order_line_id);
  p.Add(so.customer_id);
  p.Add(so.product_id);
  p.Add(so.quantity);
  p.Add(so.allocated_qty);
  p.Add(so.status);
  p.Add(so.source);
  p.Add(so.vendor_id);
  p.Add(so.po_id);
  p.Add(so.po_line_id);
  p.Add(so.transfer_id);
  p.Add(so.requested_at);
  p.Add(so.ordered_at);
  p.Add(so.arrived_at);
  p.Add(so.ready_at);
  p.Add(so.completed_at);
  p.Add(so.cancelled_at);
  p.Add(so.updated_at);
}

constexpr const char* kSpecialOrderInsert =
    "INSERT INTO special_orders (store_id, order_id, order_line_id, customer_id, product_id, "
    "quantity, allocated_qty, status, source, vendor_id, po_id, po_line_id, transfer_id, "
    "requested_at, ordered_at, arrived_at, ready_at, completed_at, cancelled_at, updated_at) "
    "VALUES ";

constexpr const char* kInboxInsert =
    "INSERT INTO sod_inbox (message_id, source, seq, type, outcome, detail, occurred_at, "
    "applied_at) VALUES ";

}  // namespace

// Multi-row, the ids by RETURNING, which MariaDB gives in the order of the rows; where the server
// has no RETURNING (MySQL), one row a statement, each with its LAST_INSERT_ID().
Result<std::vector<Id>> MysqlStore::InsertSpecialOrders(const std::vector<SpecialOrder>& rows) {
  return session_->Run("InsertSpecialOrders", [&] {
    std::vector<Id> ids;
    const bool returning = session_->has_returning();
    InPieces(rows.size(), returning ? kMaxInsertRows : 1, [&](size_t first, size_t count) {
      sql::PreparedStatement& ps =
          session_->Prepared(kSpecialOrderInsert + Repeat(Placeholders(20), count) +
                             (returning ? " RETURNING id" : ""));
      Params params(ps);
      for (size_t i = first; i < first + count; ++i) BindNewSpecialOrder(params, rows[i]);
      if (!returning) {
        ps.executeUpdate();
        ids.push_back(session_->LastInsertId());
        return;
      }
      std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
      while (rs->next()) ids.push_back(rs->getInt64(1));
    });
    if (ids.size() != rows.size()) {
      throw BadValue("INSERT ... RETURNING gave " + std::to_string(ids.size()) + " ids for " +
                     std::to_string(rows.size()) + " rows");
    }
    return ids;
  });
}

// One multi-row INSERT per power-of-two piece. A duplicate fails the whole statement (1062, the
// statement undone): the ids already there are found, left out, and the rest of the piece tried
// again in one statement.
// A second daemon holding one of the ids uncommitted makes the INSERT wait for it, as for one
// message.
Result<std::vector<bool>> MysqlStore::InboxClaimAll(const std::vector<Envelope>& envelopes) {
  std::vector<bool> claimed(envelopes.size(), false);
  Status status = session_->Run("InboxClaimAll", [&] {
    InPieces(envelopes.size(), kMaxInsertRows, [&](size_t first, size_t count) {
      std::vector<const Envelope*> left;
      for (size_t i = first; i < first + count; ++i) left.push_back(&envelopes[i]);
      while (!left.empty()) {
        try {
          // One statement, so that a duplicate leaves none of its rows behind.
          InsertRows(*session_, kInboxInsert, "(?, ?, ?, ?, 'applied', '', ?, ?)", "", Cut::kWhole,
                     left, [](Params& p, const Envelope* e) {
                       p.Add(e->id);
                       p.Add(e->source);
                       p.Add(e->seq);
                       p.Add(e->type);
                       p.Add(e->occurred_at);
                       p.Add(e->occurred_at);
                     });
          for (const Envelope* e : left) claimed[static_cast<size_t>(e - envelopes.data())] = true;
          return;
        } catch (const sql::SQLException& e) {
          if (e.getErrorCode() != 1062) throw;
        }
        std::vector<std::string> ids;
        for (const Envelope* e : left) ids.push_back(e->id);
        const InList in(ids);
        std::set<std::string> there;
        session_
            ->Query("SELECT message_id FROM sod_inbox WHERE message_id IN " + in.Placeholders(), in)
            .ForEach([&](const sql::ResultSet& rs) { there.insert(GetStr(rs, 1)); });
        // Nothing there after all: the duplicate was this piece's own, which cannot be.
        if (there.empty()) throw NoRow("sod_inbox: a duplicate id that is not in the inbox");
        std::erase_if(left, [&](const Envelope* e) { return there.contains(e->id); });
        // Another node's commit of these ids may have been applied here by aborting this
        // transaction: the rest must not be claimed outside it.
        session_->ExpectOpenTransaction();
      }
    });
  });
  if (!status.ok()) return status.error();
  return claimed;
}

Status MysqlStore::ApplyWrites(const WriteSet& w) {
  return session_->Run("ApplyWrites", [&] {
    Session& s = *session_;
    s.ExpectOpenTransaction();
    const auto id_key = [](Params& p, const auto& row) { p.Add(row.id); };

    // Assignments run left to right, but both values here are the row's own: the flag it ends
    // with, and the time it last changed, which updated_at moves forward to, never back.
    UpdateRows(
        s, "customer_orders", {"id"},
        {{"updated_at", "GREATEST(t.updated_at, $)"}, {"has_special_order"}}, w.red_stars,
        [](Params& p, const WriteSet::RedStar& r) { p.Add(r.order_id); },
        [](Params& p, const WriteSet::RedStar& r, size_t c) {
          c == 0 ? p.Add(r.changed_at) : p.Add(r.has_special_order);
        });

    UpdateRows(s, "customer_order_lines", {"id"},
               {{"status"}, {"committed_qty"}, {"backordered_qty"}}, w.order_lines, id_key,
               [](Params& p, const OrderLine& l, size_t c) {
                 if (c == 0) p.Add(l.status);
                 if (c == 1) p.Add(l.committed_qty);
                 if (c == 2) p.Add(l.backordered_qty);
               });

    UpdateRows(s, "special_orders", {"id"},
               {{"quantity"},
                {"allocated_qty"},
                {"status"},
                {"source"},
                {"vendor_id"},
                {"po_id"},
                {"po_line_id"},
                {"transfer_id"},
                {"ordered_at"},
                {"arrived_at"},
                {"ready_at"},
                {"completed_at"},
                {"cancelled_at"},
                {"updated_at"}},
               w.special_orders, id_key, [](Params& p, const SpecialOrder& so, size_t c) {
                 switch (c) {
                   case 0:
                     return p.Add(so.quantity);
                   case 1:
                     return p.Add(so.allocated_qty);
                   case 2:
                     return p.Add(so.status);
                   case 3:
                     return p.Add(so.source);
                   case 4:
                     return p.Add(so.vendor_id);
                   case 5:
                     return p.Add(so.po_id);
                   case 6:
                     return p.Add(so.po_line_id);
                   case 7:
                     return p.Add(so.transfer_id);
                   case 8:
                     return p.Add(so.ordered_at);
                   case 9:
                     return p.Add(so.arrived_at);
                   case 10:
                     return p.Add(so.ready_at);
                   case 11:
                     return p.Add(so.completed_at);
                   case 12:
                     return p.Add(so.cancelled_at);
                   default:
                     return p.Add(so.updated_at);
                 }
               });

    InsertRows(s,
               "INSERT INTO sod_arrival_lines (kind, arrival_id, product_id, store_id, quantity, "
               "allocated_qty) VALUES ",
               "(?, ?, ?, ?, ?, ?)",
               " ON DUPLICATE KEY UPDATE quantity = VALUES(quantity), "
               "allocated_qty = VALUES(allocated_qty)",
               Cut::kPadded, w.arrival_lines, [](Params& p, const ArrivalLine& l) {
                 p.Add(l.kind);
                 p.Add(l.arrival_id);
                 p.Add(l.product_id);
                 p.Add(l.store_id);
                 p.Add(l.quantity);
                 p.Add(l.allocated_qty);
               });

    // Adding creates a missing row; taking away needs the row to exist already, and the upsert
    // cannot do it: MariaDB checks the CHECK constraints (committed >= 0, backordered >= 0) on
    // the row to insert before it finds the duplicate key, so a negative delta in VALUES always
    // fails.
    std::vector<WriteSet::StockDelta> add, take;
    for (const auto& d : w.stock)
      (d.committed >= 0 && d.backordered >= 0 ? add : take).push_back(d);
    InsertRows(s,
               "INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES ",
               "(?, ?, 0, ?, ?)",
               " ON DUPLICATE KEY UPDATE committed = committed + VALUES(committed), "
               "backordered = backordered + VALUES(backordered)",
               Cut::kPieces, add, [](Params& p, const WriteSet::StockDelta& d) {
                 p.Add(d.store_id);
                 p.Add(d.product_id);
                 p.Add(d.committed);
                 p.Add(d.backordered);
               });
    UpdateRows(
        s, "stock", {"store_id", "product_id"},
        {{"committed", "t.committed + $"}, {"backordered", "t.backordered + $"}}, take,
        [](Params& p, const WriteSet::StockDelta& d) {
          p.Add(d.store_id);
          p.Add(d.product_id);
        },
        [](Params& p, const WriteSet::StockDelta& d, size_t c) {
          p.Add(c == 0 ? d.committed : d.backordered);
        });

    UpdateRows(
        s, "purchase_order_lines", {"id"}, {{"quantity_ordered"}}, w.po_lines,
        [](Params& p, const WriteSet::PoLineQuantity& l) { p.Add(l.po_line_id); },
        [](Params& p, const WriteSet::PoLineQuantity& l, size_t) { p.Add(l.quantity_ordered); });

    // The ids of the new lines are never read back.
    InsertRows(s,
               "INSERT INTO store_transfer_lines (transfer_id, product_id, quantity, "
               "special_order_id) VALUES ",
               "(?, ?, ?, ?)", "", Cut::kPieces, w.transfer_lines,
               [](Params& p, const StoreTransferLine& l) {
                 p.Add(l.transfer_id);
                 p.Add(l.product_id);
                 p.Add(l.quantity);
                 p.Add(l.special_order_id);
               });

    InsertRows(s, "INSERT INTO sod_pickups (special_order_id, picked_qty) VALUES ", "(?, ?)",
               " ON DUPLICATE KEY UPDATE picked_qty = VALUES(picked_qty)", Cut::kPadded, w.pickups,
               [](Params& p, const WriteSet::Pickup& k) {
                 p.Add(k.special_order_id);
                 p.Add(k.picked_qty);
               });

    // Every column, so that a clock reads back as it was put, NULLs included. The promised day
    // goes as a date: its midnight as a DATETIME would be a truncation to the DATE column.
    InsertRows(s,
               "INSERT INTO sod_promises (special_order_id, promise_seq, expected_on, basis, "
               "base_at, days, rule, promised_at, overdue_seq, reminded_days, reminded_ready_at) "
               "VALUES ",
               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               " ON DUPLICATE KEY UPDATE promise_seq = VALUES(promise_seq), "
               "expected_on = VALUES(expected_on), basis = VALUES(basis), "
               "base_at = VALUES(base_at), days = VALUES(days), rule = VALUES(rule), "
               "promised_at = VALUES(promised_at), overdue_seq = VALUES(overdue_seq), "
               "reminded_days = VALUES(reminded_days), "
               "reminded_ready_at = VALUES(reminded_ready_at)",
               Cut::kPadded, w.clocks, [](Params& p, const SoClock& c) {
                 p.Add(c.special_order_id);
                 p.Add(c.promise_seq);
                 p.Add(c.expected_on ? std::optional<std::string>(FormatDate(*c.expected_on))
                                     : std::nullopt);
                 p.Add(c.basis);
                 p.Add(c.base_at);
                 p.Add(c.days);
                 p.Add(c.rule);
                 p.Add(c.promised_at);
                 p.Add(c.overdue_seq);
                 p.Add(c.reminded_days);
                 p.Add(c.reminded_ready_at);
               });

    // The first time seen wins: a PO already there keeps its row. Not INSERT IGNORE, which would
    // also turn a bad value into a warning.
    InsertRows(s, "INSERT INTO sod_po_sent (po_id, sent_at) VALUES ", "(?, ?)",
               " ON DUPLICATE KEY UPDATE po_id = po_id", Cut::kPadded, w.po_sent,
               [](Params& p, const std::pair<Id, Timestamp>& sent) { p.Add(sent); });

    InsertRows(s,
               "INSERT INTO sod_audit (message_id, special_order_id, rule, decision, detail, at) "
               "VALUES ",
               "(?, ?, ?, ?, ?, ?)", "", Cut::kPieces, w.audit, [](Params& p, const AuditEntry& a) {
                 p.Add(a.message_id);
                 p.Add(a.special_order_id);
                 p.Add(a.rule);
                 p.Add(a.decision);
                 p.Add(a.detail);
                 p.Add(a.at);
               });

    // Encoded here, on the daemon's thread, in the transaction's time: the price of the recorder.
    // A record too large to be worth keeping keeps its message and decisions without its read
    // set (simulate then says what it lacks); the statements are cut by bytes as well as by rows,
    // far below max_allowed_packet (16 MiB by default).
    struct Encoded {
      const FlightRecord* record;
      std::string bytes;
    };
    std::vector<Encoded> chunk;
    size_t chunk_bytes = 0;
    const auto insert = [&] {
      InsertRows(s,
                 "INSERT INTO sod_flight_recorder (message_id, message_type, occurred_at, "
                 "rules_version, bytes, record) VALUES ",
                 "(?, ?, ?, ?, ?, ?)", "", Cut::kPieces, chunk, [](Params& p, const Encoded& e) {
                   p.Add(e.record->message.envelope.id);
                   p.Add(e.record->message.envelope.type);
                   p.Add(e.record->message.envelope.occurred_at);
                   p.Add(e.record->rules_version);
                   p.Add(static_cast<int64_t>(e.bytes.size()));
                   p.Add(e.bytes);
                 });
      chunk.clear();
      chunk_bytes = 0;
    };
    for (const FlightRecord& r : w.flight_records) {
      std::string bytes = flight::Encode(r);
      if (bytes.size() > kMaxFlightRecordBytes) {
        FlightRecord without = r;
        without.reads = ReadSet{};
        bytes = flight::Encode(without);
      }
      if (chunk_bytes + bytes.size() > kMaxFlightRecordStatementBytes) insert();
      chunk_bytes += bytes.size();
      chunk.push_back({&r, std::move(bytes)});
    }
    if (!chunk.empty()) insert();

    UpdateRows(
        s, "sod_inbox", {"message_id"}, {{"outcome", "'refused'"}, {"detail"}}, w.refusals,
        [](Params& p, const WriteSet::Refusal& r) { p.Add(r.message_id); },
        [](Params& p, const WriteSet::Refusal& r, size_t) { p.Add(r.reason); });

    // The outbox: the source moved past the batch's events, which must still be this run's and
    // where this run left it (checked first, so that a stale count is not a duplicate key), then
    // the events as they will be published.
    if (w.event_source) AdvanceEventSource(*w.event_source);
    InsertRows(s,
               "INSERT INTO sod_outbox (source, seq, event_id, type, occurred_at, body) VALUES ",
               "(?, ?, ?, ?, ?, ?)", "", Cut::kPieces, w.events,
               [](Params& p, const StampedEvent& e) {
                 p.Add(e.envelope.source);
                 p.Add(e.envelope.seq);
                 p.Add(e.envelope.id);
                 p.Add(e.envelope.type);
                 p.Add(e.envelope.occurred_at);
                 p.Add(e.body);
               });
  });
}

}  // namespace so::mysql
