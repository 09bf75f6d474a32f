// `special-ordersd simulate --rules CANDIDATE.yaml --open [--json]`: what candidate rules would
// do now, compared with the rules in force, over the live database of the daemon's config, read
// on a read-only connection that takes no row locks and writes nothing (rules/open_simulation.hpp
// decides, this file reads and prints). Runs once, on the calling thread.
#pragma once

#include <ostream>

#include "config/config_loader.hpp"
#include "rules/open_simulation.hpp"
#include "rules/policy.hpp"

namespace so::daemon {

// Exit codes, as `check` has them: 1 means the candidate would decide something otherwise.
constexpr int kSimulateOpenAlike = 0;
constexpr int kSimulateOpenDiffers = 1;
// The database could not be read, or some special orders could not be simulated (the report is
// printed all the same, naming them).
constexpr int kSimulateOpenDatabase = 3;

// Simulates against config.database (MysqlOptions::read_only) and prints the report to `out`,
// errors to `err`; returns one of the exit codes above. `current` is the rules in force (the
// config's rules file), `candidate` the rules to try.
//
// Text: a summary first (the special orders in request and how many the candidate would decide
// otherwise, by aspect and by store; the queues and how many differ), then one block per special
// order that differs (its aspects, each "in force -> candidate") and per queue that differs (its
// settings, its order of service each way, the positions that move).
//
// JSON (--json), one object on one line; ids and quantities are numbers, absent values null,
// keys only ever added:
//   {"rules": {"in_force": VERSION, "candidate": VERSION},
//    "summary": {"in_request": N, "differ": N, "by_aspect": {ASPECT: N}, "by_store": {"ID": N},
//                "queues": N, "queues_differ": N, "failures": N},
//    "special_orders": [{"special_order_id", "store_id", "product_id", "order_line_id",
//                        "waiting", "in_force": DECISION, "candidate": DECISION,
//                        "aspects": [{"name", "in_force", "candidate"}]}],
//    "queues": [{"store_id", "product_id", "vendor_id", "in_force": QUEUE, "candidate": QUEUE,
//                "settings": [{"name", "in_force", "candidate"}],
//                "moves": [{"special_order_id", "in_force", "candidate"}]}],
//    "failures": [{"special_order_id", "reason"}]}
//   DECISION: {"rule", "sourcing" ("vendor"|"refused"|...|null), "vendor_id", "po_id" (null when
//              a new PO), "new_po", "po_line_qty", "transfer_from_store", "status", "refusal",
//              "on_request" ("wait"|"order"), "on_request_rule"}
//   QUEUE: {"rule", "service_order", "allocation", "transfer_allocation",
//           "status_after_allocation", "order": [special order ids in order of service]}
// Aspects are those of rules/simulation.hpp ("sourcing", "vendor", "po", "po_line_qty",
// "transfer_from", "allocation", "order_of_service", "surplus", "freed_stock", "status",
// "decisions") and "on_request"; queue
// settings are "service_order", "allocation", "transfer_allocation", "status_after_allocation";
// positions count from 1.
int RunSimulateOpen(const config::DaemonConfig& config, const RuleSet& current,
                    const RuleSet& candidate, bool json, std::ostream& out, std::ostream& err);

// The report as text and as JSON (the shapes above), apart for tests.
void PrintSimulateOpenText(const OpenSimulationReport& report, const RuleSet& current,
                           const RuleSet& candidate, std::ostream& out);
void PrintSimulateOpenJson(const OpenSimulationReport& report, const RuleSet& current,
                           const RuleSet& candidate, std::ostream& out);

}  // namespace so::daemon
