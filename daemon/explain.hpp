// `special-ordersd explain`: why each special order is where it is, read from the audit trail,
// the inbox and the POS rows through the daemon's config, read-only; as text for a person or as
// JSON (--json, the shape below). Runs once, on the calling thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/mysql/mysql_explain.hpp"
#include "daemon/cli.hpp"
#include "rules/policy.hpp"

namespace so::daemon {

inline constexpr const char* kExplainUsage =
    "       special-ordersd explain [--config FILE] (--special-order N | --order-line N |\n"
    "                               --order N | --po N) [--json]\n"
    "                                            the history of special orders and what they\n"
    "                                            wait for, read-only (config default\n"
    "                                            /etc/special-ordersd/special-ordersd.yaml)\n";

struct ExplainArgs {
  std::string config = kDefaultConfigPath;
  mysql::ExplainBy by = mysql::ExplainBy::kSpecialOrder;
  Id id = 0;
  bool json = false;
};

// The arguments after `explain`; nullopt with `error` set when they are wrong (exactly one of the
// four selectors, with a positive id).
std::optional<ExplainArgs> ParseExplainArgs(const std::vector<std::string>& args,
                                            std::string& error);

// The report, as text: per special order a head line, one line per audit row (time, message id,
// message type, rule, decision, counters moved, detail), then a "Now:" block.
std::string FormatExplainText(const std::vector<mysql::ExplainedOrder>& orders,
                              const RuleSet& rules);

// The report as one JSON object (a line):
//   {"by": "special_order"|"order_line"|"order"|"po", "id": N, "special_orders": [
//     {"id", "status", "store_id", "store_code", "order_id", "order_line_id", "customer_id",
//      "customer_name", "product_id", "sku", "product_name", "quantity", "allocated_qty",
//      "picked_qty", "missing", "source" (null|"vendor"|"transfer"), "vendor_id", "po_id",
//      "po_line_id", "transfer_id", "requested_at", "ordered_at", "arrived_at", "ready_at",
//      "completed_at", "cancelled_at" (RFC 3339 or null),
//      "history": [{"at", "message_id", "message_type", "source", "seq", "outcome",
//                   "special_order_id", "rule", "decision", "detail",
//                   "counters": {"committed", "backordered"} or null}],
//      "now": {"waits_for": "po_line"|"transfer"|"ordering"|"allocation"|"pickup"|"nothing",
//              "missing", "po": {"id", "status", "vendor_id", "vendor_name", "created_at"}|null,
//              "po_line": {"id", "quantity_ordered", "quantity_received", "still_due",
//                          "shipments": [{"id", "status", "completed_at", "quantity",
//                                         "applied", "allocated"}]}|null,
//              "transfer": {"id", "status", "from_store_id", "from_store_code", "to_store_id",
//                           "created_at", "quantity"}|null,
//              "promise": {"promise_seq", "expected_on" ("YYYY-MM-DD"), "basis", "base_at",
//                          "days", "rule"}|null (expected_on.. rule null: no date was given),
//              "queue": {"rule", "service_order", "ahead_missing",
//                        "ahead": [{"special_order_id", "order_id", "requested_at",
//                                   "missing", "priority"}]},
//              "line": {"status", "special_order_qty", "committed_qty", "backordered_qty"},
//              "order": {"status", "red_star"},
//              "stock": {"on_hand", "committed", "backordered", "open"}}}]}
// Ids and quantities are numbers, absent values null; keys are only ever added.
std::string FormatExplainJson(const ExplainArgs& args,
                              const std::vector<mysql::ExplainedOrder>& orders,
                              const RuleSet& rules);

// The subcommand: `args` are the arguments after `explain`. Exit codes: 0 something found, 1
// nothing found or a database error, 2 a bad command line or config.
int RunExplain(const std::vector<std::string>& args);

}  // namespace so::daemon
