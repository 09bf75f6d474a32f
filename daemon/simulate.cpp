#include "daemon/simulate.hpp"

#include <iostream>
#include <map>
#include <sstream>

#include "adapters/mysql/mysql_flight.hpp"
#include "config/config_loader.hpp"
#include "daemon/daemon.hpp"
#include "daemon/json_writer.hpp"
#include "daemon/simulate_open.hpp"

namespace so::daemon {
namespace {

constexpr const char* kFirstOnly =
    "Only the first difference of each special order is shown: a changed decision would also "
    "have changed what later messages saw, which the record cannot know.";

// "2026-12-01" (midnight, UTC) or an RFC 3339 time.
std::optional<Timestamp> ParseTime(const std::string& text) {
  if (auto t = ParseRfc3339(text)) return t;
  if (text.size() == 10) return ParseRfc3339(text + "T00:00:00Z");
  return std::nullopt;
}

std::string Subject(const Difference& d) {
  std::string s = d.special_order_id ? "special order " + std::to_string(d.special_order_id)
                                     : "order line " + std::to_string(d.order_line_id) +
                                           " (no special order)";
  if (d.special_order_id && d.order_line_id) s += " (line " + std::to_string(d.order_line_id) + ")";
  if (d.order_line_id == 0) s = "no special order in particular";
  return s;
}

std::string Rule(const std::string& rule) { return rule.empty() ? "(none)" : rule; }


}  // namespace

std::optional<SimulateArgs> ParseSimulateArgs(const std::vector<std::string>& args,
                                              std::string& error) {
  SimulateArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--json") {
      out.json = true;
    } else if (a == "--open") {
      out.open = true;
    } else if (a == "--config" || a == "--rules" || a == "--since" || a == "--until") {
      if (!has_value) {
        error = a + " needs a value";
        return std::nullopt;
      }
      const std::string& v = args[++i];
      if (a == "--config") {
        out.config = v;
      } else if (a == "--rules") {
        out.rules = v;
      } else {
        const auto t = ParseTime(v);
        if (!t) {
          error = a + " " + v + ": not a date (2026-12-01) or an RFC 3339 time";
          return std::nullopt;
        }
        (a == "--since" ? out.since : out.until) = t;
      }
    } else {
      error = "unknown argument " + a;
      return std::nullopt;
    }
  }
  if (out.rules.empty()) {
    error = "--rules CANDIDATE.yaml is required";
    return std::nullopt;
  }
  if (out.open && (out.since || out.until)) {
    error = "--open reads the database as it is now: no --since or --until";
    return std::nullopt;
  }
  if (out.since && out.until && *out.until <= *out.since) {
    error = "--until must be after --since";
    return std::nullopt;
  }
  return out;
}

std::string FormatSimulateText(const SimulateContext& c, const SimulationReport& r) {
  std::ostringstream o;
  o << "Candidate rules " << c.candidate_file << " (" << c.candidate_version << ")\n";
  o << "Recorded messages " << (c.since ? "from " + FormatRfc3339(*c.since) : "since the first")
    << (c.until ? " until " + FormatRfc3339(*c.until) : ", until the last") << ": " << r.messages;
  if (!c.recorded_with.empty()) {
    o << " (recorded with rules";
    for (size_t i = 0; i < c.recorded_with.size(); ++i) {
      o << (i ? "," : "") << " " << c.recorded_with[i].first << " x " << c.recorded_with[i].second;
    }
    o << ")";
  }
  o << "\nThe recorder holds " << c.records_held << " records, " << (c.bytes_held + 512) / 1024
    << " KiB in all\n\n";
  o << "Summary: " << r.differences.size() << " special order"
    << (r.differences.size() == 1 ? "" : "s") << " would be decided differently; "
    << r.identical << " of " << r.messages << " messages alike";
  if (!r.unanswered.empty()) o << "; " << r.unanswered.size() << " could not be recomputed";
  o << ".\n";
  if (!r.by_aspect.empty()) {
    o << "  by aspect:";
    for (const auto& [name, n] : r.by_aspect) o << " " << name << " " << n << ";";
    o << "\n  by store:";
    for (const auto& [store, n] : r.by_store) o << " store " << store << ": " << n << ";";
    o << "\n";
  }
  o << kFirstOnly << "\n";
  for (const Difference& d : r.differences) {
    o << "\n" << Subject(d) << ", store " << d.store_id << ": " << d.message_type << " "
      << d.message_id << " at " << FormatRfc3339(d.at) << "\n";
    o << "    rule: " << Rule(d.rule_was) << " -> " << Rule(d.rule_would_be) << "\n";
    for (const Aspect& a : d.aspects) {
      o << "    " << a.name << ": " << a.was << " -> " << a.would_be << "\n";
    }
  }
  for (const auto& u : r.unanswered) {
    o << "\nnot recomputed: " << u.message_id << ": " << u.reason << "\n";
  }
  for (const auto& [id, why] : c.undecodable) {
    o << "\nnot read: record of " << id << ": " << why << "\n";
  }
  return o.str();
}

std::string FormatSimulateJson(const SimulateContext& c, const SimulationReport& r) {
  rapidjson::StringBuffer buffer;
  JsonWriter j(buffer);
  j.StartObject();
  j.Key("candidate");
  j.StartObject();
  j.Key("file");
  Str(j, c.candidate_file);
  j.Key("version");
  Str(j, c.candidate_version);
  j.EndObject();
  j.Key("since");
  OptTime(j, c.since);
  j.Key("until");
  OptTime(j, c.until);
  j.Key("held");
  j.StartObject();
  j.Key("records");
  j.Int64(c.records_held);
  j.Key("bytes");
  j.Int64(c.bytes_held);
  j.EndObject();
  j.Key("recorded_with");
  j.StartArray();
  for (const auto& [version, n] : c.recorded_with) {
    j.StartObject();
    j.Key("rules_version");
    Str(j, version);
    j.Key("messages");
    j.Int64(n);
    j.EndObject();
  }
  j.EndArray();
  j.Key("messages");
  j.Int64(r.messages);
  j.Key("identical");
  j.Int64(r.identical);
  j.Key("differing_special_orders");
  j.Int64(static_cast<int64_t>(r.differences.size()));
  j.Key("by_aspect");
  j.StartObject();
  for (const auto& [name, n] : r.by_aspect) {
    j.Key(name.c_str());
    j.Int64(n);
  }
  j.EndObject();
  j.Key("by_store");
  j.StartObject();
  for (const auto& [store, n] : r.by_store) {
    j.Key(std::to_string(store).c_str());
    j.Int64(n);
  }
  j.EndObject();
  j.Key("differences");
  j.StartArray();
  for (const Difference& d : r.differences) {
    j.StartObject();
    j.Key("special_order_id");
    OptId(j, d.special_order_id ? std::optional<Id>(d.special_order_id) : std::nullopt);
    j.Key("order_line_id");
    j.Int64(d.order_line_id);
    j.Key("store_id");
    j.Int64(d.store_id);
    j.Key("message_id");
    Str(j, d.message_id);
    j.Key("message_type");
    Str(j, d.message_type);
    j.Key("at");
    Str(j, FormatRfc3339(d.at));
    j.Key("rule_was");
    Str(j, d.rule_was);
    j.Key("rule_would_be");
    Str(j, d.rule_would_be);
    j.Key("aspects");
    j.StartArray();
    for (const Aspect& a : d.aspects) {
      j.StartObject();
      j.Key("name");
      Str(j, a.name);
      j.Key("was");
      Str(j, a.was);
      j.Key("would_be");
      Str(j, a.would_be);
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
  }
  j.EndArray();
  const auto pairs = [&j](const char* key, const auto& list) {
    j.Key(key);
    j.StartArray();
    for (const auto& [id, reason] : list) {
      j.StartObject();
      j.Key("message_id");
      Str(j, id);
      j.Key("reason");
      Str(j, reason);
      j.EndObject();
    }
    j.EndArray();
  };
  std::vector<std::pair<std::string, std::string>> unanswered;
  for (const auto& u : r.unanswered) unanswered.emplace_back(u.message_id, u.reason);
  pairs("unanswered", unanswered);
  pairs("undecodable", c.undecodable);
  j.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

int RunSimulate(const std::vector<std::string>& argv) {
  std::string error;
  const auto args = ParseSimulateArgs(argv, error);
  if (!args) {
    std::cerr << "special-ordersd simulate: " << error << "\nusage:\n" << kSimulateUsage;
    return kSimulateUsageError;
  }
  auto loaded = config::LoadDaemonConfig(args->config);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::cerr << p.ToString() << "\n";
    std::cerr << "special-ordersd simulate: invalid config " << args->config << "\n";
    return kSimulateUsageError;
  }
  auto candidate = config::LoadRulesFile(args->rules);
  if (!candidate.ok()) {
    for (const auto& p : candidate.problems) std::cerr << p.ToString() << "\n";
    std::cerr << "special-ordersd simulate: invalid candidate rules " << args->rules << "\n";
    return kSimulateUsageError;
  }
  if (args->open) {
    return RunSimulateOpen(*loaded.value, loaded.value->rules, *candidate.value, args->json,
                           std::cout, std::cerr);
  }
  mysql::FlightReader reader(ToMysqlOptions(loaded.value->database));
  if (Status s = reader.Connect(); !s.ok()) {
    std::cerr << "special-ordersd simulate: cannot reach the database: " << s.error().ToString()
              << "\n";
    return kSimulateDatabase;
  }
  SimulateContext context;
  context.candidate_file = args->rules;
  context.candidate_version = candidate.value->version();
  context.since = args->since;
  context.until = args->until;
  const Engine engine(*candidate.value);
  Simulation simulation(engine);
  std::map<std::string, int64_t> versions;
  std::vector<std::string> order;
  const Status read = reader.ForEach(
      {args->since, args->until},
      [&](FlightRecord record) {
        if (versions[record.rules_version]++ == 0) order.push_back(record.rules_version);
        simulation.Add(record);
      },
      [&](const std::string& id, const std::string& why) {
        context.undecodable.emplace_back(id, why);
      });
  if (!read.ok()) {
    std::cerr << "special-ordersd simulate: " << read.error().ToString() << "\n";
    return kSimulateDatabase;
  }
  for (const std::string& v : order) context.recorded_with.emplace_back(v, versions.at(v));
  const auto held = reader.TableSize();
  if (!held.ok()) {
    std::cerr << "special-ordersd simulate: " << held.error().ToString() << "\n";
    return kSimulateDatabase;
  }
  context.records_held = held->records;
  context.bytes_held = held->bytes;
  if (!loaded.value->recorder.on()) {
    std::cerr << "special-ordersd simulate: note: the flight recorder is off in "
              << args->config << " (recorder.retention_days: 0): only older records are read\n";
  }
  const SimulationReport& report = simulation.report();
  std::cout << (args->json ? FormatSimulateJson(context, report)
                           : FormatSimulateText(context, report));
  // Records that could not be read are a reading error, whatever the others say.
  if (!context.undecodable.empty()) return kSimulateDatabase;
  return report.differences.empty() && report.unanswered.empty() ? kSimulateAlike
                                                                 : kSimulateDiffers;
}

}  // namespace so::daemon
