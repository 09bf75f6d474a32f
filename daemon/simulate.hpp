// `special-ordersd simulate`: what candidate rules would have decided otherwise, recomputed from
// the flight recorder's records (rules/simulation.hpp) read through the daemon's config,
// read-only; as text for a person or as JSON (--json, the shape below). Runs once, on the calling
// thread.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "daemon/cli.hpp"
#include "rules/simulation.hpp"

namespace so::daemon {

inline constexpr const char* kSimulateUsage =
    "       special-ordersd simulate [--config FILE] --rules CANDIDATE.yaml [--since T]\n"
    "                                [--until T] [--json]\n"
    "                                            recompute the recorded messages of the period\n"
    "                                            (T: 2026-12-01 or RFC 3339) with CANDIDATE and\n"
    "                                            show each special order's first difference\n"
    "       special-ordersd simulate [--config FILE] --rules CANDIDATE.yaml --open [--json]\n"
    "                                            what CANDIDATE would do now with the special\n"
    "                                            orders in request and the waiting queues.\n"
    "                                            Both read-only. Exit 0 nothing differs, 1 some\n"
    "                                            does, 2 bad command line, config or candidate,\n"
    "                                            3 database error or records that cannot be read\n";

// Exit codes, as `check` has them.
inline constexpr int kSimulateAlike = 0;
inline constexpr int kSimulateDiffers = 1;
inline constexpr int kSimulateUsageError = 2;
inline constexpr int kSimulateDatabase = 3;

struct SimulateArgs {
  std::string config = kDefaultConfigPath;
  std::string rules;  // the candidate rules file
  std::optional<Timestamp> since, until;
  bool json = false;
  bool open = false;  // the live database instead of the record (daemon/simulate_open.hpp)
};

// The arguments after `simulate`; nullopt with `error` set when they are wrong.
std::optional<SimulateArgs> ParseSimulateArgs(const std::vector<std::string>& args,
                                              std::string& error);

// What the report says besides the simulation itself.
struct SimulateContext {
  std::string candidate_file, candidate_version;
  std::optional<Timestamp> since, until;
  // Rules versions the records were made under, with how many records each.
  std::vector<std::pair<std::string, int64_t>> recorded_with;
  // What the recorder's table holds in all, whatever the period.
  int64_t records_held = 0, bytes_held = 0;
  // Records that did not decode: message id and why.
  std::vector<std::pair<std::string, std::string>> undecodable;
};

// The report for a person: the summary (how many special orders differ, by aspect, by store),
// the note on first differences, then one block per special order.
std::string FormatSimulateText(const SimulateContext& context, const SimulationReport& report);

// The report as one JSON object (a line):
//   {"candidate": {"file", "version"}, "since", "until" (RFC 3339 or null),
//    "held": {"records", "bytes"}, "recorded_with": [{"rules_version", "messages"}], "messages", "identical",
//    "differing_special_orders",
//    "by_aspect": {"<aspect>": n}, "by_store": {"<store id>": n},
//    "differences": [{"special_order_id" (null: none was created), "order_line_id", "store_id",
//                     "message_id", "message_type", "at", "rule_was", "rule_would_be",
//                     "aspects": [{"name", "was", "would_be"}]}],
//    "unanswered": [{"message_id", "reason"}], "undecodable": [{"message_id", "reason"}]}
// Aspects: sourcing (wait, vendor, transfer, no_vendor, refused, none), vendor, po (PO <id>,
// new PO, none), po_line_qty, transfer_from, allocation (immediate, on_confirmation, none),
// order_of_service / surplus / freed_stock (the quantity allocated, named by where the units came
// from), status, decisions (the audit verbs, when nothing above differs).
std::string FormatSimulateJson(const SimulateContext& context, const SimulationReport& report);

int RunSimulate(const std::vector<std::string>& args);

}  // namespace so::daemon
