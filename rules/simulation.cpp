#include "rules/simulation.hpp"

#include <algorithm>

#include "rules/replay.hpp"

namespace so {
namespace {

bool Has(const SoDecision& d, const char* verb) {
  return std::any_of(d.decisions.begin(), d.decisions.end(),
                     [verb](const auto& v) { return v.first == verb; });
}

std::string Opt(const std::optional<Id>& id) { return id ? std::to_string(*id) : "none"; }
std::string OptQty(const std::optional<Qty>& q) { return q ? std::to_string(*q) : "unchanged"; }

// How the goods that came were given: at once, on confirmation, or neither by this message.
std::string AllocationOf(const SoDecision& d) {
  if (Has(d, "awaits_confirmation")) return "on_confirmation";
  if (Has(d, "allocated")) return "immediate";
  return "";
}

std::string PoOf(const SoDecision& d) {
  if (!d.po_id) return "none";
  return d.new_po ? "new PO" : "PO " + std::to_string(*d.po_id);
}

std::string Verbs(const SoDecision& d) {
  std::string s;
  for (const auto& [verb, rule] : d.decisions) s += (s.empty() ? "" : ", ") + verb;
  return s.empty() ? "nothing" : s;
}

// The aspect of an allocated quantity, by where the units came from (SoDecision::allocated_from).
const char* AllocationAspect(const std::string& from) {
  return from == "surplus" ? "surplus" : from == "freed" ? "freed_stock" : "order_of_service";
}

std::map<Id, SoDecision> ByLine(const std::vector<SoDecision>& v) {
  std::map<Id, SoDecision> out;
  for (const SoDecision& d : v) out.emplace(d.order_line_id, d);
  return out;
}

}  // namespace

std::string RuleOf(const std::optional<SoDecision>& d) {
  if (!d || d->decisions.empty()) return "";
  for (auto it = d->decisions.rbegin(); it != d->decisions.rend(); ++it) {
    if (it->second != kContractRuleName) return it->second;
  }
  return d->decisions.back().second;
}

std::string SourcingOf(const SoDecision& d) {
  if (Has(d, "refused")) return "refused";
  if (Has(d, "waits_for_back_office")) return "wait";
  if (Has(d, "requested_transfer")) return "transfer";
  if (Has(d, "created_po") || Has(d, "attached_to_po")) return "vendor";
  if (Has(d, "no_vendor")) return "no_vendor";
  return "";
}

std::vector<Aspect> Compare(const std::optional<SoDecision>& recorded,
                            const std::optional<SoDecision>& candidate) {
  std::vector<Aspect> out;
  if (!recorded || !candidate) {
    // Decided one way only: named by what that way did.
    const SoDecision& d = recorded ? *recorded : *candidate;
    const char* name = !d.allocated_from.empty() ? AllocationAspect(d.allocated_from)
                       : !SourcingOf(d).empty()  ? "sourcing"
                                                 : "decisions";
    std::string what = Verbs(d);
    if (!d.allocated_from.empty()) what += ", allocated " + std::to_string(d.allocated_qty);
    out.push_back({name, recorded ? what : "nothing", candidate ? what : "nothing"});
    return out;
  }
  const SoDecision& a = *recorded;
  const SoDecision& b = *candidate;
  const auto differ = [&out](const char* name, const std::string& was, const std::string& would) {
    if (was != would) out.push_back({name, was, would});
  };
  const std::string sourcing_a = SourcingOf(a), sourcing_b = SourcingOf(b);
  differ("sourcing", sourcing_a.empty() ? "none" : sourcing_a,
         sourcing_b.empty() ? "none" : sourcing_b);
  if (sourcing_a == sourcing_b) {
    differ("vendor", Opt(a.vendor_id), Opt(b.vendor_id));
    differ("po", PoOf(a), PoOf(b));
    differ("po_line_qty", OptQty(a.po_line_qty), OptQty(b.po_line_qty));
    differ("transfer_from", Opt(a.transfer_from_store), Opt(b.transfer_from_store));
  }
  differ("allocation", AllocationOf(a).empty() ? "none" : AllocationOf(a),
         AllocationOf(b).empty() ? "none" : AllocationOf(b));
  if (a.allocated_qty != b.allocated_qty) {
    // Named by where the units came from: an arrival's own (who is served first when short),
    // its surplus, or stock freed by another special order.
    const std::string& from = !a.allocated_from.empty() ? a.allocated_from : b.allocated_from;
    out.push_back({AllocationAspect(from), std::to_string(a.allocated_qty),
                   std::to_string(b.allocated_qty)});
  }
  differ("status", a.status ? std::string(ToString(*a.status)) : "none",
         b.status ? std::string(ToString(*b.status)) : "none");
  // Anything else (another rule deciding alike, a different verb): the decisions themselves.
  if (out.empty() && a.decisions != b.decisions) {
    std::string was, would;
    for (const auto& [verb, rule] : a.decisions) was += (was.empty() ? "" : ", ") + verb + " (" + rule + ")";
    for (const auto& [verb, rule] : b.decisions) would += (would.empty() ? "" : ", ") + verb + " (" + rule + ")";
    out.push_back({"decisions", was, would});
  }
  return out;
}

void Simulation::Add(const FlightRecord& record) { Add(record, Recompute(candidate_, record)); }

void Simulation::Add(const FlightRecord& record, const Recomputed& again) {
  ++report_.messages;
  const std::map<Id, SoDecision> was = ByLine(record.decisions);
  if (again.unknown) {
    report_.unanswered.push_back({record.message.envelope.id, *again.unknown});
    for (const auto& [line, d] : was) {
      if (line != 0) differed_.insert(line);
    }
    return;
  }
  const std::map<Id, SoDecision> would = ByLine(again.decisions);
  std::set<Id> lines;
  for (const auto& [line, d] : was) lines.insert(line);
  for (const auto& [line, d] : would) lines.insert(line);
  bool alike = true;
  for (Id line : lines) {
    if (differed_.contains(line)) continue;
    const auto a = was.find(line), b = would.find(line);
    const std::optional<SoDecision> recorded =
        a == was.end() ? std::nullopt : std::optional<SoDecision>(a->second);
    const std::optional<SoDecision> candidate =
        b == would.end() ? std::nullopt : std::optional<SoDecision>(b->second);
    std::vector<Aspect> aspects = Compare(recorded, candidate);
    if (aspects.empty()) continue;
    alike = false;
    Difference d;
    const SoDecision& any = recorded ? *recorded : *candidate;
    d.order_line_id = line;
    d.special_order_id = recorded && recorded->special_order_id ? recorded->special_order_id
                                                                 : any.special_order_id;
    d.store_id = any.store_id;
    d.message_id = record.message.envelope.id;
    d.message_type = record.message.envelope.type;
    d.at = record.message.envelope.occurred_at;
    d.rule_was = RuleOf(recorded);
    d.rule_would_be = RuleOf(candidate);
    d.aspects = std::move(aspects);
    for (const Aspect& x : d.aspects) ++report_.by_aspect[x.name];
    ++report_.by_store[d.store_id];
    report_.differences.push_back(std::move(d));
    if (line != 0) differed_.insert(line);
  }
  if (alike) ++report_.identical;
}

}  // namespace so
