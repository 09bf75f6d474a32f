#include "daemon/check.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <thread>
#include <tuple>

#include "adapters/mysql/mysql_store.hpp"
#include "daemon/daemon.hpp"
#include "daemon/json_writer.hpp"
#include "rules/timestamp.hpp"

namespace so::daemon {
namespace {

std::string Table(DriftField f) {
  switch (f) {
    case DriftField::kStockCommitted:
    case DriftField::kStockBackordered:
      return "stock";
    case DriftField::kLineStatus:
    case DriftField::kLineCommittedQty:
    case DriftField::kLineBackorderedQty:
      return "customer_order_lines";
    case DriftField::kRedStar:
      return "customer_orders";
  }
  return "?";
}

void WriteJson(JsonWriter& w, const Drift& d) {
  const auto key = [&](const char* k) { w.Key(k); };
  w.StartObject();
  key("table");
  w.String(Table(d.field).c_str());
  if (d.field == DriftField::kStockCommitted || d.field == DriftField::kStockBackordered) {
    key("store_id");
    w.Int64(d.row_id);
    key("product_id");
    w.Int64(d.product_id);
  } else {
    key("id");
    w.Int64(d.row_id);
  }
  if (d.special_order_id) {
    key("special_order_id");
    w.Int64(*d.special_order_id);
  }
  key("field");
  w.String(std::string(ToString(d.field)).c_str());
  const auto value = [&](int64_t v) {
    if (d.field == DriftField::kLineStatus) {
      w.String(ValueText(d.field, v).c_str());
    } else {
      w.Int64(v);
    }
  };
  key("expected");
  value(d.expected);
  key("found");
  value(d.found);
  w.EndObject();
}

void WriteJson(JsonWriter& w, const std::vector<Drift>& drifts) {
  w.StartArray();
  for (const Drift& d : drifts) WriteJson(w, d);
  w.EndArray();
}

// The report for people: one row per difference, aligned.
void PrintTable(std::ostream& out, const std::vector<Drift>& drifts) {
  out << std::left << std::setw(16) << "row" << std::setw(19) << "field" << std::right
      << std::setw(12) << "expected" << std::setw(12) << "found"
      << "  special order\n";
  for (const Drift& d : drifts) {
    out << std::left << std::setw(16) << RowName(d) << std::setw(19)
        << std::string(ToString(d.field)) << std::right << std::setw(12)
        << ValueText(d.field, d.expected) << std::setw(12) << ValueText(d.field, d.found);
    if (d.special_order_id) out << "  " << *d.special_order_id;
    out << "\n";
  }
}

// The same differences, in whatever order.
bool SameRows(std::vector<Drift> a, std::vector<Drift> b) {
  const auto key = [](const Drift& d) {
    return std::tuple(static_cast<int>(d.field), d.row_id, d.product_id, d.expected, d.found);
  };
  const auto less = [&](const Drift& x, const Drift& y) { return key(x) < key(y); };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  return a == b;
}

}  // namespace

std::string DriftSummary(const std::vector<Drift>& drifts, size_t cap) {
  std::string s = std::to_string(drifts.size()) +
                  (drifts.size() == 1 ? " counter differs" : " counters differ") +
                  " from what the special orders make them:";
  for (size_t i = 0; i < drifts.size() && i < cap; ++i) {
    const Drift& d = drifts[i];
    s += (i ? "; " : " ") + RowName(d) + "." + std::string(ToString(d.field)) + " expected " +
         ValueText(d.field, d.expected) + " found " + ValueText(d.field, d.found);
  }
  if (drifts.size() > cap) s += "; and " + std::to_string(drifts.size() - cap) + " more";
  return s;
}

int RunCheck(const config::DaemonConfig& config, const CheckOptions& options, std::ostream& out,
             std::ostream& err) {
  mysql::MysqlStore store(ToMysqlOptions(config.database));
  const auto database_error = [&](const Error& e) {
    err << "special-ordersd check: database error, nothing checked"
        << (options.repair ? " or repaired" : "") << ": " << e.ToString() << "\n";
    return kCheckDatabase;
  };
  if (Status s = store.Connect(); !s.ok()) return database_error(s.error());
  const auto start = std::chrono::steady_clock::now();
  auto report = store.FindDrift(mysql::MysqlStore::DriftScope::kAll);
  if (!report.ok()) return database_error(report.error());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<Drift>& found = report->drifts;

  std::vector<Drift> repaired;
  std::string message_id;
  if (options.repair && !found.empty()) {
    const Timestamp now = Now();
    message_id = "check-repair:" + FormatRfc3339(now);
    // A deadlock with the running daemon rolls the repair back whole: try again.
    for (int attempt = 1;; ++attempt) {
      auto r = store.RepairDrift(found, message_id, now);
      if (r.ok()) {
        repaired = std::move(*r);
        break;
      }
      if (r.error().kind != ErrorKind::kTransient || attempt == 5) {
        if (!options.json) PrintTable(out, found);
        err << "special-ordersd check: the repair failed and was rolled back, nothing "
               "repaired: "
            << r.error().ToString() << "\n";
        return kCheckDatabase;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    }
  }

  if (options.json) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("checked");
    w.StartObject();
    w.Key("special_orders");
    w.Int64(report->special_orders);
    w.Key("stock_rows");
    w.Int64(report->stock_rows);
    w.Key("customer_orders");
    w.Int64(report->orders);
    w.EndObject();
    w.Key("drift");
    WriteJson(w, found);
    if (options.repair) {
      w.Key("repaired");
      WriteJson(w, repaired);
      if (!message_id.empty()) {
        w.Key("audit_message_id");
        w.String(message_id.c_str());
      }
    }
    w.EndObject();
    out << buffer.GetString() << "\n";
    return found.empty() ? kCheckClean : kCheckDrift;
  }
  char took[32];
  std::snprintf(took, sizeof took, "%.3f", seconds);
  const std::string checked = std::to_string(report->special_orders) + " special orders, " +
                              std::to_string(report->stock_rows) + " stock rows, " +
                              std::to_string(report->orders) + " customer orders read in " + took +
                              " s";
  if (found.empty()) {
    out << "no drift: every counter is what the special orders make it (" << checked << ")\n";
    return kCheckClean;
  }
  out << found.size() << (found.size() == 1 ? " counter differs" : " counters differ")
      << " from what the special orders make " << (found.size() == 1 ? "it" : "them") << " ("
      << checked << "):\n";
  PrintTable(out, found);
  if (!options.repair) {
    out << "nothing changed; `special-ordersd check --repair` sets them to the expected values\n";
    return kCheckDrift;
  }
  if (SameRows(repaired, found)) {
    out << "repaired all " << repaired.size()
        << " in one transaction, one sod_audit row each (message_id " << message_id << ")\n";
    return kCheckDrift;
  }
  // Something changed between the check and the locks (the daemon or the POS wrote meanwhile):
  // what was repaired is what the rows showed under lock.
  out << "re-read under lock, " << repaired.size()
      << " differed; repaired them in one transaction, one sod_audit row each (message_id "
      << message_id << "):\n";
  PrintTable(out, repaired);
  return kCheckDrift;
}

}  // namespace so::daemon
