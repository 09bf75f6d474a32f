#include "daemon/simulate_open.hpp"

#include <string>

#include "adapters/mysql/mysql_store.hpp"
#include "daemon/daemon.hpp"
#include "daemon/json_writer.hpp"
#include "rules/service.hpp"

namespace so::daemon {
namespace {


const char* ToText(OnRequest o) { return o == OnRequest::kWait ? "wait" : "order"; }

const char* ToText(AllocationMode m) {
  return m == AllocationMode::kOnConfirmation ? "on_confirmation" : "immediate";
}

std::string Ids(const std::vector<Id>& ids) {
  std::string s;
  for (Id id : ids) s += (s.empty() ? "" : ", ") + std::to_string(id);
  return s.empty() ? "none" : s;
}

// --- Text ---

void PrintRequest(const OpenRequestDifference& d, std::ostream& out) {
  out << "special order " << d.so.id << " (store " << d.so.store_id << ", product "
      << d.so.product_id << ", order line " << d.so.order_line_id << ", " << d.so.waiting()
      << " waiting): ";
  if (d.current.rule == d.candidate.rule) {
    out << "rule " << (d.current.rule.empty() ? "none" : d.current.rule) << " both ways\n";
  } else {
    out << "rule " << (d.current.rule.empty() ? "none" : d.current.rule) << " -> "
        << (d.candidate.rule.empty() ? "none" : d.candidate.rule) << "\n";
  }
  for (const Aspect& a : d.aspects) {
    out << "  " << a.name << ": " << a.was << " -> " << a.would_be;
    if (a.name == "on_request") {
      out << " (rule " << d.current.on_request_rule << " -> " << d.candidate.on_request_rule << ")";
    }
    out << "\n";
  }
  if (!d.current.refusal.empty()) out << "  in force refuses: " << d.current.refusal << "\n";
  if (!d.candidate.refusal.empty()) out << "  candidate refuses: " << d.candidate.refusal << "\n";
}

void PrintQueue(const QueueDifference& d, std::ostream& out) {
  out << "queue of store " << d.store_id << ", product " << d.product_id;
  if (d.vendor_id) out << " (rules selected by vendor " << *d.vendor_id << ")";
  out << ": rule " << d.current.rule;
  if (d.candidate.rule != d.current.rule) out << " -> " << d.candidate.rule;
  out << "\n";
  for (const Aspect& a : d.settings) {
    out << "  " << a.name << ": " << a.was << " -> " << a.would_be << "\n";
  }
  out << "  order of service: " << Ids(d.current.order);
  if (!d.moves.empty()) out << " -> " << Ids(d.candidate.order);
  out << "\n";
  for (const QueueDifference::Move& m : d.moves) {
    out << "  special order " << m.special_order_id << ": " << m.was << " -> " << m.would_be
        << "\n";
  }
}

// --- JSON ---

void WriteDecision(JsonWriter& w, const OpenDecision& d) {
  w.StartObject();
  w.Key("rule");
  Str(w, d.rule);
  w.Key("sourcing");
  const std::string sourcing = d.order ? SourcingOf(*d.order) : "";
  if (sourcing.empty()) {
    w.Null();
  } else {
    Str(w, sourcing);
  }
  const bool any = d.order.has_value();
  w.Key("vendor_id");
  OptId(w, any ? d.order->vendor_id : std::nullopt);
  w.Key("po_id");
  OptId(w, any && !d.order->new_po ? d.order->po_id : std::nullopt);
  w.Key("new_po");
  w.Bool(any && d.order->new_po);
  w.Key("po_line_qty");
  OptId(w, any ? d.order->po_line_qty : std::nullopt);
  w.Key("transfer_from_store");
  OptId(w, any ? d.order->transfer_from_store : std::nullopt);
  w.Key("status");
  if (any && d.order->status) {
    Str(w, ToString(*d.order->status));
  } else {
    w.Null();
  }
  w.Key("refusal");
  if (d.refusal.empty()) {
    w.Null();
  } else {
    Str(w, d.refusal);
  }
  w.Key("on_request");
  w.String(ToText(d.on_request));
  w.Key("on_request_rule");
  Str(w, d.on_request_rule);
  w.EndObject();
}

void WriteAspects(JsonWriter& w, const std::vector<Aspect>& aspects) {
  w.StartArray();
  for (const Aspect& a : aspects) {
    w.StartObject();
    w.Key("name");
    Str(w, a.name);
    w.Key("in_force");
    Str(w, a.was);
    w.Key("candidate");
    Str(w, a.would_be);
    w.EndObject();
  }
  w.EndArray();
}

void WriteQueueSide(JsonWriter& w, const QueueSide& q) {
  w.StartObject();
  w.Key("rule");
  Str(w, q.rule);
  w.Key("service_order");
  Str(w, ToString(q.service_order));
  w.Key("allocation");
  w.String(ToText(q.allocation));
  w.Key("transfer_allocation");
  w.String(ToText(q.transfer_allocation));
  w.Key("status_after_allocation");
  Str(w, ToString(q.status_after_allocation));
  w.Key("order");
  w.StartArray();
  for (Id id : q.order) w.Int64(id);
  w.EndArray();
  w.EndObject();
}

}  // namespace

void PrintSimulateOpenText(const OpenSimulationReport& r, const RuleSet& current,
                           const RuleSet& candidate, std::ostream& out) {
  out << "simulate --open: candidate rules " << candidate.version()
      << " against the rules in force " << current.version() << ", on the database as it is now\n";
  out << "special orders in request: " << r.in_request << ", the candidate would decide "
      << r.requests.size() << " otherwise (if the Back Office ordered each now, the rules "
      << "choosing)\n";
  if (!r.by_aspect.empty()) {
    out << "  by aspect:";
    bool first = true;
    for (const auto& [name, n] : r.by_aspect) {
      out << (first ? " " : ", ") << name << " " << n;
      first = false;
    }
    out << "\n  by store:";
    first = true;
    for (const auto& [store, n] : r.by_store) {
      out << (first ? " " : ", ") << "store " << store << " " << n;
      first = false;
    }
    out << "\n";
  }
  out << "queues of special orders waiting for goods: " << r.queues << ", "
      << r.queue_differences.size() << " would be served otherwise\n";
  if (!r.failures.empty()) {
    out << "could not simulate " << r.failures.size() << " special order"
        << (r.failures.size() == 1 ? "" : "s") << "\n";
  }
  if (!r.requests.empty()) out << "\n";
  for (const OpenRequestDifference& d : r.requests) PrintRequest(d, out);
  if (!r.queue_differences.empty()) out << "\n";
  for (const QueueDifference& d : r.queue_differences) PrintQueue(d, out);
  if (!r.failures.empty()) out << "\n";
  for (const auto& f : r.failures) {
    out << "special order " << f.special_order_id << ": not simulated: " << f.reason << "\n";
  }
}

void PrintSimulateOpenJson(const OpenSimulationReport& r, const RuleSet& current,
                           const RuleSet& candidate, std::ostream& out) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("rules");
  w.StartObject();
  w.Key("in_force");
  Str(w, current.version());
  w.Key("candidate");
  Str(w, candidate.version());
  w.EndObject();

  w.Key("summary");
  w.StartObject();
  w.Key("in_request");
  w.Int64(r.in_request);
  w.Key("differ");
  w.Int64(static_cast<int64_t>(r.requests.size()));
  w.Key("by_aspect");
  w.StartObject();
  for (const auto& [name, n] : r.by_aspect) {
    Str(w, name);
    w.Int64(n);
  }
  w.EndObject();
  w.Key("by_store");
  w.StartObject();
  for (const auto& [store, n] : r.by_store) {
    Str(w, std::to_string(store));
    w.Int64(n);
  }
  w.EndObject();
  w.Key("queues");
  w.Int64(r.queues);
  w.Key("queues_differ");
  w.Int64(static_cast<int64_t>(r.queue_differences.size()));
  w.Key("failures");
  w.Int64(static_cast<int64_t>(r.failures.size()));
  w.EndObject();

  w.Key("special_orders");
  w.StartArray();
  for (const OpenRequestDifference& d : r.requests) {
    w.StartObject();
    w.Key("special_order_id");
    w.Int64(d.so.id);
    w.Key("store_id");
    w.Int64(d.so.store_id);
    w.Key("product_id");
    w.Int64(d.so.product_id);
    w.Key("order_line_id");
    w.Int64(d.so.order_line_id);
    w.Key("waiting");
    w.Int64(d.so.waiting());
    w.Key("in_force");
    WriteDecision(w, d.current);
    w.Key("candidate");
    WriteDecision(w, d.candidate);
    w.Key("aspects");
    WriteAspects(w, d.aspects);
    w.EndObject();
  }
  w.EndArray();

  w.Key("queues");
  w.StartArray();
  for (const QueueDifference& d : r.queue_differences) {
    w.StartObject();
    w.Key("store_id");
    w.Int64(d.store_id);
    w.Key("product_id");
    w.Int64(d.product_id);
    w.Key("vendor_id");
    OptId(w, d.vendor_id);
    w.Key("in_force");
    WriteQueueSide(w, d.current);
    w.Key("candidate");
    WriteQueueSide(w, d.candidate);
    w.Key("settings");
    WriteAspects(w, d.settings);
    w.Key("moves");
    w.StartArray();
    for (const QueueDifference::Move& m : d.moves) {
      w.StartObject();
      w.Key("special_order_id");
      w.Int64(m.special_order_id);
      w.Key("in_force");
      w.Int64(m.was);
      w.Key("candidate");
      w.Int64(m.would_be);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();

  w.Key("failures");
  w.StartArray();
  for (const auto& f : r.failures) {
    w.StartObject();
    w.Key("special_order_id");
    w.Int64(f.special_order_id);
    w.Key("reason");
    Str(w, f.reason);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out << buffer.GetString() << "\n";
}

int RunSimulateOpen(const config::DaemonConfig& config, const RuleSet& current,
                    const RuleSet& candidate, bool json, std::ostream& out, std::ostream& err) {
  mysql::MysqlOptions options = ToMysqlOptions(config.database);
  options.read_only = true;
  mysql::MysqlStore store(options);
  const auto database_error = [&](const Error& e) {
    err << "special-ordersd simulate --open: cannot read the database, nothing simulated: "
        << e.ToString() << "\n";
    return kSimulateOpenDatabase;
  };
  if (Status s = store.Connect(); !s.ok()) return database_error(s.error());
  auto in_request = store.SpecialOrdersInRequest();
  if (!in_request.ok()) return database_error(in_request.error());
  auto waiting = store.WaitingSpecialOrders();
  if (!waiting.ok()) return database_error(waiting.error());
  const Engine in_force(current), trial(candidate);
  auto report = SimulateOpen(in_force, trial, store, *in_request, *waiting, Now());
  if (!report.ok()) return database_error(report.error());
  if (json) {
    PrintSimulateOpenJson(*report, current, candidate, out);
  } else {
    PrintSimulateOpenText(*report, current, candidate, out);
  }
  if (!report->failures.empty()) {
    err << "special-ordersd simulate --open: " << report->failures.size()
        << " special order(s) could not be simulated; see the report\n";
    return kSimulateOpenDatabase;
  }
  return report->requests.empty() && report->queue_differences.empty() ? kSimulateOpenAlike
                                                                       : kSimulateOpenDiffers;
}

}  // namespace so::daemon
