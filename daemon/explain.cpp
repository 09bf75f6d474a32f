#include "daemon/explain.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <sstream>

#include "config/config_loader.hpp"
#include "daemon/daemon.hpp"
#include "rules/audit_counters.hpp"
#include "rules/service.hpp"

namespace so::daemon {
namespace {

using mysql::ExplainBy;
using mysql::ExplainedOrder;
using mysql::ExplainHistoryEntry;

std::string_view ToString(ExplainBy by) {
  switch (by) {
    case ExplainBy::kSpecialOrder:
      return "special_order";
    case ExplainBy::kOrderLine:
      return "order_line";
    case ExplainBy::kOrder:
      return "order";
    case ExplainBy::kPo:
      return "po";
  }
  return "?";
}

// What a special order waits for now, worked out from its rows.
struct Now {
  std::string waits_for;  // as the JSON names it
  Qty missing = 0;        // what it still waits for
  ServiceQueue queue;
  std::optional<Qty> still_due;          // of its PO line: ordered less received
  std::optional<Qty> transfer_quantity;  // of its line on its transfer
};

Now WorkOut(const ExplainedOrder& e, const RuleSet& rules) {
  const SpecialOrder& so = e.so;
  Now now;
  now.queue = QueueOf(rules, so, e.same_source);
  const bool live = so.status != SoStatus::kCompleted && so.status != SoStatus::kCancelled;
  now.missing = live ? std::max<Qty>(0, so.waiting()) : 0;
  if (e.po_line) {
    now.still_due = std::max<Qty>(0, e.po_line->quantity_ordered - e.po_line->quantity_received);
  }
  if (e.transfer) {
    for (const auto& l : e.transfer->lines) {
      if (l.special_order_id == so.id) now.transfer_quantity = l.quantity;
    }
  }
  if (!live) {
    now.waits_for = "nothing";
  } else if (now.missing == 0) {
    now.waits_for = "pickup";
  } else if (so.status == SoStatus::kRequest) {
    now.waits_for = "ordering";
  } else if (so.status == SoStatus::kArrived) {
    now.waits_for = "allocation";
  } else if (so.source == SoSource::kTransfer) {
    now.waits_for = "transfer";
  } else {
    now.waits_for = "po_line";
  }
  return now;
}

std::string Time(Timestamp t) { return FormatRfc3339(t); }

// The counters that moved, as the engine words them; "0" when the decision names them but moved
// nothing, "-" when it is not about counters.
std::string Counters(const CountersMoved& c) {
  if (!c.named) return "-";
  auto signed_text = [](Qty q) { return (q < 0 ? "" : "+") + std::to_string(q); };
  std::string s;
  if (c.committed != 0) s = "committed " + signed_text(c.committed);
  if (c.backordered != 0) {
    s += std::string(s.empty() ? "" : ", ") + "backordered " + signed_text(c.backordered);
  }
  return s.empty() ? "0" : s;
}

// --- Text ---

// When the special order took its current status, where a column says so: in_progress has none,
// and one back in request after it was ordered (taken off a PO or transfer) neither.
std::optional<Timestamp> Since(const SpecialOrder& so) {
  switch (so.status) {
    case SoStatus::kRequest:
      return so.ordered_at ? std::nullopt : std::optional<Timestamp>(so.requested_at);
    case SoStatus::kOrdered:
      return so.ordered_at;
    case SoStatus::kArrived:
      return so.arrived_at;
    case SoStatus::kReady:
      return so.ready_at;
    case SoStatus::kCompleted:
      return so.completed_at;
    case SoStatus::kCancelled:
      return so.cancelled_at;
    case SoStatus::kInProgress:
      break;
  }
  return std::nullopt;
}

void WriteHistory(std::ostream& out, const std::vector<ExplainHistoryEntry>& history) {
  if (history.empty()) {
    out << "  (no audit rows)\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"time (UTC)", "message id", "type", "rule", "decision", "counters", "detail"}};
  for (const auto& h : history) {
    rows.push_back({Time(h.at), h.message_id, h.message_type.value_or("?"), h.rule,
                    h.special_order_id ? h.decision : "(" + h.decision + ")",
                    Counters(ParseCountersMoved(h.detail)), h.detail});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    out << " ";
    for (size_t i = 0; i < r.size(); ++i) {
      out << " " << r[i];
      if (i + 1 < r.size()) out << std::string(width[i] - r[i].size() + 1, ' ');
    }
    out << "\n";
  }
}

// The day promised for the goods and what it was counted from; nullopt when never promised.
std::optional<std::string> PromiseText(const ExplainedOrder& e) {
  if (!e.clock || e.clock->promise_seq == 0) return std::nullopt;
  const SoClock& c = *e.clock;
  if (!c.expected_on || !c.basis || !c.base_at || !c.days) {
    return "no date (the source gives no lead time; see the audit row no_promise)";
  }
  const std::string days = std::to_string(*c.days) + " days";
  std::string how;
  switch (*c.basis) {
    case PromiseBasis::kVendorFromSent:
      how = "vendor lead time " + days + " from PO sent " + FormatDate(*c.base_at);
      break;
    case PromiseBasis::kVendorFromNow:
      how = "vendor lead time " + days + " from " + FormatDate(*c.base_at) +
            "; the PO is still draft, counted again when it is sent";
      break;
    case PromiseBasis::kTransferDays:
      how = "transfer_days " + days + " from " + FormatDate(*c.base_at);
      break;
  }
  std::string text = FormatDate(*c.expected_on) + " (" + how;
  if (c.rule) text += ", rule " + *c.rule;
  text += ", promise " + std::to_string(c.promise_seq) + ")";
  // Once the goods came, the promise is history: shown beside the day they came. One taken off
  // its source keeps its last promise until it is sourced again.
  if (e.so.arrived_at) {
    text += "; the goods came " + FormatDate(*e.so.arrived_at);
  } else if (!ServedByArrival(e.so)) {
    text += "; not waiting on a source now";
  }
  return text;
}

void WriteNow(std::ostream& out, const ExplainedOrder& e, const Now& now) {
  const SpecialOrder& so = e.so;
  auto field = [&out](const std::string& name, const std::string& value) {
    out << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') << value
        << "\n";
  };
  std::string status = std::string(ToString(so.status));
  const std::optional<Timestamp> since = Since(so);
  if (since) status += " since " + Time(*since);
  out << "Now: " << status << "; " << so.allocated_qty << " of " << so.quantity << " allocated, "
      << (now.missing == 0 ? "nothing" : std::to_string(now.missing)) << " missing, "
      << e.picked_qty << " picked up\n";

  std::string waits;
  if (now.waits_for == "nothing") {
    waits = "nothing (" + std::string(ToString(so.status)) + ")";
  } else if (now.waits_for == "pickup") {
    waits = "the customer to pick up " + std::to_string(so.quantity - e.picked_qty);
  } else if (now.waits_for == "ordering") {
    waits = "to be ordered (by the Back Office, or by the rules when it is sourced again)";
  } else if (now.waits_for == "allocation") {
    waits = "the Back Office to allocate what arrived (allocation on confirmation)";
  } else if (now.waits_for == "transfer") {
    waits = "transfer " + (so.transfer_id ? std::to_string(*so.transfer_id) : "?");
  } else {
    waits = "PO " + (so.po_id ? std::to_string(*so.po_id) : "?") + " line " +
            (so.po_line_id ? std::to_string(*so.po_line_id) : "?");
  }
  field("waits for", waits);
  if (so.ordered_at) field("ordered", Time(*so.ordered_at));
  if (const std::optional<std::string> promise = PromiseText(e)) field("expected", *promise);
  if (e.po) {
    std::string po = "PO " + std::to_string(e.po->id) + " " + e.po->status + ", vendor " +
                     std::to_string(e.po->vendor_id);
    if (e.vendor_name) po += " (" + *e.vendor_name + ")";
    po += ", created " + Time(e.po->created_at);
    if (e.po_line) {
      po += "; line " + std::to_string(e.po_line->id) + ": " +
            std::to_string(e.po_line->quantity_ordered) + " ordered, " +
            std::to_string(e.po_line->quantity_received) + " received, " +
            std::to_string(*now.still_due) + " still due";
    }
    field("PO", po);
    if (e.po_line) {
      std::string arrived = e.po_line_shipments.empty() ? "nothing yet" : "";
      for (size_t i = 0; i < e.po_line_shipments.size(); ++i) {
        const auto& sh = e.po_line_shipments[i];
        arrived += (i ? "; " : "") + std::string("shipment ") + std::to_string(sh.id) + ": " +
                   std::to_string(sh.quantity) + " (" + sh.status;
        if (sh.completed_at) arrived += " " + Time(*sh.completed_at);
        arrived += sh.applied ? ", " + std::to_string(sh.allocated) + " of it allocated)"
                              : ", not applied by the daemon yet)";
      }
      field("arrived", arrived);
    }
  }
  if (e.transfer) {
    std::string t = "transfer " + std::to_string(e.transfer->id) + " " + e.transfer->status +
                    ", from store " + std::to_string(e.transfer->from_store_id);
    if (e.transfer_from_code) t += " (" + *e.transfer_from_code + ")";
    t += ", created " + Time(e.transfer->created_at);
    if (now.transfer_quantity) t += "; " + std::to_string(*now.transfer_quantity) + " for it";
    field("transfer", t);
  }
  if (now.waits_for == "po_line" || now.waits_for == "transfer") {
    const auto& q = now.queue;
    std::string ahead = q.ahead.empty() ? "nobody" : "";
    for (size_t i = 0; i < q.ahead.size(); ++i) {
      const auto& a = q.ahead[i];
      ahead += (i ? "; " : "") + std::string("special order ") + std::to_string(a.id) + " (order " +
               std::to_string(a.order_id) + ", requested " + Time(a.requested_at) + ", priority " +
               std::to_string(q.ahead_priority[i]) + ", " + std::to_string(a.waiting()) +
               " missing)";
    }
    field("ahead of it", ahead + " (order of service " + std::string(ToString(q.service_order)) +
                             ", rule " + q.rule + ")");
    if (now.still_due) {
      const Qty need = q.ahead_waiting + now.missing;
      const std::string sums = std::to_string(*now.still_due) + " still due, " +
                               std::to_string(q.ahead_waiting) + " for those ahead, " +
                               std::to_string(now.missing) + " for it";
      field("covered", need <= *now.still_due
                           ? "yes: " + sums
                           : "no, short by " + std::to_string(need - *now.still_due) + ": " + sums);
    }
  }
  field("line " + std::to_string(so.order_line_id),
        e.line_status + ", special order qty " + std::to_string(e.line_special_order_qty) +
            ", committed " + std::to_string(e.line_committed_qty) + ", backordered " +
            std::to_string(e.line_backordered_qty) + "; order " + std::to_string(so.order_id) +
            " " + e.order_status + ", red star " + (e.red_star ? "on" : "off"));
  field("stock", "store " + std::to_string(so.store_id) +
                     (e.store_code.empty() ? "" : " (" + e.store_code + ")") + ", " +
                     (e.sku.empty() ? "product " + std::to_string(so.product_id) : e.sku) +
                     ": on hand " + std::to_string(e.stock.on_hand) + ", committed " +
                     std::to_string(e.stock.committed) + ", backordered " +
                     std::to_string(e.stock.backordered) + ", open " +
                     std::to_string(e.stock.open()));
}

// --- JSON ---

class Json {
 public:
  Json() : w_(buffer_) {}
  rapidjson::Writer<rapidjson::StringBuffer>& w() { return w_; }
  void Key(std::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void Str(std::string_view k, std::string_view v) {
    Key(k);
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  void Int(std::string_view k, int64_t v) {
    Key(k);
    w_.Int64(v);
  }
  void Bool(std::string_view k, bool v) {
    Key(k);
    w_.Bool(v);
  }
  void Null(std::string_view k) {
    Key(k);
    w_.Null();
  }
  template <typename T>
  void Opt(std::string_view k, const std::optional<T>& v) {
    if (!v) return Null(k);
    if constexpr (std::is_same_v<T, Timestamp>) {
      Str(k, Time(*v));
    } else if constexpr (std::is_same_v<T, std::string>) {
      Str(k, *v);
    } else if constexpr (std::is_enum_v<T>) {
      Str(k, ToString(*v));
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      Key(k);
      w_.Uint64(*v);
    } else {
      Int(k, *v);
    }
  }
  std::string Take() { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

void WriteJsonOrder(Json& j, const ExplainedOrder& e, const Now& now) {
  const SpecialOrder& so = e.so;
  auto& w = j.w();
  w.StartObject();
  j.Int("id", so.id);
  j.Str("status", ToString(so.status));
  j.Int("store_id", so.store_id);
  j.Str("store_code", e.store_code);
  j.Int("order_id", so.order_id);
  j.Int("order_line_id", so.order_line_id);
  j.Int("customer_id", so.customer_id);
  j.Str("customer_name", e.customer_name);
  j.Int("product_id", so.product_id);
  j.Str("sku", e.sku);
  j.Str("product_name", e.product_name);
  j.Int("quantity", so.quantity);
  j.Int("allocated_qty", so.allocated_qty);
  j.Int("picked_qty", e.picked_qty);
  j.Int("missing", now.missing);
  j.Opt("source", so.source);
  j.Opt("vendor_id", so.vendor_id);
  j.Opt("po_id", so.po_id);
  j.Opt("po_line_id", so.po_line_id);
  j.Opt("transfer_id", so.transfer_id);
  j.Str("requested_at", Time(so.requested_at));
  j.Opt("ordered_at", so.ordered_at);
  j.Opt("arrived_at", so.arrived_at);
  j.Opt("ready_at", so.ready_at);
  j.Opt("completed_at", so.completed_at);
  j.Opt("cancelled_at", so.cancelled_at);

  j.Key("history");
  w.StartArray();
  for (const auto& h : e.history) {
    w.StartObject();
    j.Str("at", Time(h.at));
    j.Str("message_id", h.message_id);
    j.Opt("message_type", h.message_type);
    j.Opt("source", h.source);
    j.Opt("seq", h.seq);
    j.Opt("outcome", h.outcome);
    j.Opt("special_order_id", h.special_order_id);
    j.Str("rule", h.rule);
    j.Str("decision", h.decision);
    j.Str("detail", h.detail);
    const CountersMoved c = ParseCountersMoved(h.detail);
    if (c.named) {
      j.Key("counters");
      w.StartObject();
      j.Int("committed", c.committed);
      j.Int("backordered", c.backordered);
      w.EndObject();
    } else {
      j.Null("counters");
    }
    w.EndObject();
  }
  w.EndArray();

  j.Key("now");
  w.StartObject();
  j.Str("waits_for", now.waits_for);
  j.Int("missing", now.missing);
  if (e.po) {
    j.Key("po");
    w.StartObject();
    j.Int("id", e.po->id);
    j.Str("status", e.po->status);
    j.Int("vendor_id", e.po->vendor_id);
    j.Opt("vendor_name", e.vendor_name);
    j.Str("created_at", Time(e.po->created_at));
    w.EndObject();
  } else {
    j.Null("po");
  }
  if (e.po_line) {
    j.Key("po_line");
    w.StartObject();
    j.Int("id", e.po_line->id);
    j.Int("quantity_ordered", e.po_line->quantity_ordered);
    j.Int("quantity_received", e.po_line->quantity_received);
    j.Opt("still_due", now.still_due);
    j.Key("shipments");
    w.StartArray();
    for (const auto& sh : e.po_line_shipments) {
      w.StartObject();
      j.Int("id", sh.id);
      j.Str("status", sh.status);
      j.Opt("completed_at", sh.completed_at);
      j.Int("quantity", sh.quantity);
      j.Bool("applied", sh.applied);
      j.Int("allocated", sh.allocated);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  } else {
    j.Null("po_line");
  }
  if (e.transfer) {
    j.Key("transfer");
    w.StartObject();
    j.Int("id", e.transfer->id);
    j.Str("status", e.transfer->status);
    j.Int("from_store_id", e.transfer->from_store_id);
    j.Opt("from_store_code", e.transfer_from_code);
    j.Int("to_store_id", e.transfer->to_store_id);
    j.Str("created_at", Time(e.transfer->created_at));
    j.Opt("quantity", now.transfer_quantity);
    w.EndObject();
  } else {
    j.Null("transfer");
  }
  if (e.clock && e.clock->promise_seq > 0) {
    const SoClock& c = *e.clock;
    j.Key("promise");
    w.StartObject();
    j.Int("promise_seq", c.promise_seq);
    if (c.expected_on) {
      j.Str("expected_on", FormatDate(*c.expected_on));
    } else {
      j.Null("expected_on");
    }
    j.Opt("basis", c.basis);
    j.Opt("base_at", c.base_at);
    j.Opt("days", c.days);
    j.Opt("rule", c.rule);
    w.EndObject();
  } else {
    j.Null("promise");
  }
  j.Key("queue");
  w.StartObject();
  j.Str("rule", now.queue.rule);
  j.Str("service_order", ToString(now.queue.service_order));
  j.Int("ahead_missing", now.queue.ahead_waiting);
  j.Key("ahead");
  w.StartArray();
  for (size_t i = 0; i < now.queue.ahead.size(); ++i) {
    const auto& a = now.queue.ahead[i];
    w.StartObject();
    j.Int("special_order_id", a.id);
    j.Int("order_id", a.order_id);
    j.Str("requested_at", Time(a.requested_at));
    j.Int("missing", a.waiting());
    j.Int("priority", now.queue.ahead_priority[i]);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  j.Key("line");
  w.StartObject();
  j.Str("status", e.line_status);
  j.Int("special_order_qty", e.line_special_order_qty);
  j.Int("committed_qty", e.line_committed_qty);
  j.Int("backordered_qty", e.line_backordered_qty);
  w.EndObject();
  j.Key("order");
  w.StartObject();
  j.Str("status", e.order_status);
  j.Bool("red_star", e.red_star);
  w.EndObject();
  j.Key("stock");
  w.StartObject();
  j.Int("on_hand", e.stock.on_hand);
  j.Int("committed", e.stock.committed);
  j.Int("backordered", e.stock.backordered);
  j.Int("open", e.stock.open());
  w.EndObject();
  w.EndObject();  // now

  w.EndObject();
}

std::string Describe(ExplainBy by, Id id) {
  switch (by) {
    case ExplainBy::kSpecialOrder:
      return "special order " + std::to_string(id);
    case ExplainBy::kOrderLine:
      return "order line " + std::to_string(id);
    case ExplainBy::kOrder:
      return "order " + std::to_string(id);
    case ExplainBy::kPo:
      return "PO " + std::to_string(id);
  }
  return "?";
}

}  // namespace

std::optional<ExplainArgs> ParseExplainArgs(const std::vector<std::string>& args,
                                            std::string& error) {
  ExplainArgs out;
  int selectors = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      out.json = true;
      continue;
    }
    static const std::pair<const char*, ExplainBy> kSelectors[] = {
        {"--special-order", ExplainBy::kSpecialOrder},
        {"--order-line", ExplainBy::kOrderLine},
        {"--order", ExplainBy::kOrder},
        {"--po", ExplainBy::kPo}};
    const auto* selector = std::find_if(std::begin(kSelectors), std::end(kSelectors),
                                        [&a](const auto& s) { return a == s.first; });
    if (a != "--config" && selector == std::end(kSelectors)) {
      error = "unknown argument '" + a + "'";
      return std::nullopt;
    }
    if (i + 1 >= args.size()) {
      error = a + " needs a value";
      return std::nullopt;
    }
    const std::string& value = args[++i];
    if (a == "--config") {
      out.config = value;
      continue;
    }
    Id id = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
    if (ec != std::errc() || end != value.data() + value.size() || id <= 0) {
      error = a + " needs a positive whole number, not '" + value + "'";
      return std::nullopt;
    }
    out.by = selector->second;
    out.id = id;
    ++selectors;
  }
  if (selectors != 1) {
    error = "give exactly one of --special-order, --order-line, --order, --po";
    return std::nullopt;
  }
  return out;
}

std::string FormatExplainText(const std::vector<ExplainedOrder>& orders, const RuleSet& rules) {
  std::ostringstream out;
  for (size_t i = 0; i < orders.size(); ++i) {
    const ExplainedOrder& e = orders[i];
    const SpecialOrder& so = e.so;
    if (i > 0) out << "\n";
    out << "special order " << so.id << ": " << so.quantity << " x "
        << (e.sku.empty() ? "product " + std::to_string(so.product_id) : e.sku);
    if (!e.product_name.empty()) out << " (" << e.product_name << ")";
    out << " for " << (e.customer_name.empty() ? "customer" : e.customer_name) << " (customer "
        << so.customer_id << "), order " << so.order_id << " line " << so.order_line_id
        << ", store " << so.store_id;
    if (!e.store_code.empty()) out << " (" << e.store_code << ")";
    out << ", requested " << Time(so.requested_at) << "\n";
    WriteHistory(out, e.history);
    WriteNow(out, e, WorkOut(e, rules));
  }
  return out.str();
}

std::string FormatExplainJson(const ExplainArgs& args, const std::vector<ExplainedOrder>& orders,
                              const RuleSet& rules) {
  Json j;
  j.w().StartObject();
  j.Str("by", ToString(args.by));
  j.Int("id", args.id);
  j.Key("special_orders");
  j.w().StartArray();
  for (const auto& e : orders) WriteJsonOrder(j, e, WorkOut(e, rules));
  j.w().EndArray();
  j.w().EndObject();
  return j.Take() + "\n";
}

int RunExplain(const std::vector<std::string>& argv) {
  std::string error;
  const auto args = ParseExplainArgs(argv, error);
  if (!args) {
    std::cerr << "special-ordersd explain: " << error << "\nusage:\n" << kExplainUsage;
    return 2;
  }
  auto loaded = config::LoadDaemonConfig(args->config);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::cerr << p.ToString() << "\n";
    std::cerr << "special-ordersd explain: invalid config " << args->config << "\n";
    return 2;
  }
  mysql::ExplainReader reader(ToMysqlOptions(loaded.value->database));
  if (Status s = reader.Connect(); !s.ok()) {
    std::cerr << "special-ordersd explain: cannot reach the database: " << s.error().ToString()
              << "\n";
    return 1;
  }
  auto orders = reader.Read(args->by, args->id);
  if (!orders.ok()) {
    std::cerr << "special-ordersd explain: " << orders.error().ToString() << "\n";
    return 1;
  }
  if (orders->empty()) {
    std::cerr << "special-ordersd explain: no special order for " << Describe(args->by, args->id)
              << "\n";
    if (args->json) std::cout << FormatExplainJson(*args, *orders, loaded.value->rules);
    return 1;
  }
  std::cout << (args->json ? FormatExplainJson(*args, *orders, loaded.value->rules)
                           : FormatExplainText(*orders, loaded.value->rules));
  return 0;
}

}  // namespace so::daemon
