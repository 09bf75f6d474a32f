// The operator's rules as the engine sees them: named rules, first match wins, each carrying the
// settings it overrides. Built by config/ from YAML; immutable once built, so safe to share
// between threads for reading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rules/model.hpp"

namespace so {

enum class OnRequest {
  kOrder,  // source the special order as soon as it is requested
  kWait,   // leave it in `request` until the Back Office orders it
};

enum class VendorChoice {
  kPrimary,           // products.primary_vendor_id
  kCheapest,          // lowest product_vendors.unit_cost; ties: shorter lead time, lower id
  kShortestLeadTime,  // lowest lead_time_days; ties: lower cost, lower id
};

enum class AllocationMode {
  kImmediate,       // allocate when the goods arrive
  kOnConfirmation,  // announce the arrival, allocate on backoffice.special_order.allocate
};

// Who is served first when supply is short, among special orders of equal priority
// (Settings::priority). Whatever the order, special orders attached to the arriving PO line or
// transfer come before other waiting ones, and ties go to the earlier request, then the lower id.
enum class ServiceOrder {
  kOldestRequestFirst,  // first come, first served
  kSmallestFirst,       // the fewest units still waiting first: more customers complete sooner
};

struct Settings {
  // What a new special order does. Default: order at once.
  OnRequest on_request = OnRequest::kOrder;
  // Ways to choose the vendor, tried in order until one gives an active vendor (the primary
  // vendor counts even without a product_vendors row; its PO line then costs 0 until the buyer
  // prices it). Default: the primary vendor, else the cheapest.
  std::vector<VendorChoice> vendor_choice = {VendorChoice::kPrimary, VendorChoice::kCheapest};
  // PO statuses a special order may be attached to. Default: draft only (a PO sent to the vendor
  // is not silently changed).
  std::vector<std::string> attach_po_statuses = {"draft"};
  // When arrived stock is allocated. Default: at once.
  AllocationMode allocation = AllocationMode::kImmediate;
  // Status of a fully allocated special order: kReady or kInProgress (the POS's "dialogue
  // settings"). A partly allocated one is always kInProgress. Default: kReady.
  SoStatus status_after_allocation = SoStatus::kReady;
  // Whether a product whose open stock is positive may be special-ordered. Default: no, as the
  // POS help page says (zero or negative open stock only).
  bool allow_positive_open_stock = false;

  // Stores asked, in this order, for a store transfer before a vendor is ordered from, whenever
  // the rules source a special order (not on a Back Office `order`, which names a vendor or lets
  // the rules pick one): the first whose open stock covers what the special order still waits
  // for plus `transfer_min_left` sends it. The special order's own store is skipped. Empty (the
  // default): never source by transfer automatically.
  std::vector<Id> transfer_from_stores;
  // Open stock a sending store keeps after a transfer, in units. Default 0.
  Qty transfer_min_left = 0;
  // Days a store transfer takes to arrive, counted from its request: the date the daemon promises
  // for a special order sourced by transfer (a vendor PO counts the vendor's lead_time_days).
  // 0 to 365. Default 3.
  int transfer_days = 3;
  // When a received transfer is allocated. Default: at once (a transfer needs no confirmation).
  AllocationMode transfer_allocation = AllocationMode::kImmediate;
  // Order of service when supply is short. Default: oldest request first.
  ServiceOrder service_order = ServiceOrder::kOldestRequestFirst;
  // Whether units an arrival brings beyond what its own special orders wait for go to other
  // special orders of the same store and product that still wait, in the order of service.
  // Default: no, the surplus stays open stock.
  bool allocate_surplus = false;
  // Whether stock freed by a cancellation or a lower quantity is offered at once to other special
  // orders of the same store and product that still wait, in the order of service. Default: no.
  bool reallocate_freed_stock = false;
  // Whether a lower quantity or a cancellation also shrinks the special order's line on a PO that
  // is still draft. Default: no (the POS's own store leaves the PO alone; the buyer decides).
  bool shrink_draft_po = false;
  // Who is served first when supply is short, before the service order and the request time: a
  // special order whose own rule (chosen by its store, product, vendor and customer) gives a
  // higher priority is served before one with a lower. Any integer. Default 0.
  int64_t priority = 0;
  // Days of grace after the promised day before a special order still waiting for its goods is
  // published as overdue (special_order.overdue, once per promise). 0 to 365. Default 0: overdue
  // from the first day after the promised one.
  int overdue_grace_days = 0;
  // Days after a special order became ready, not yet picked up, at which the customer is reminded
  // (special_order.pickup_reminder, once per day count and ready period). Each 1 to 365, no
  // repeats, kept sorted. Default: none.
  std::vector<int> pickup_reminder_days;
  // Days after a special order became ready at which, not picked up, it is cancelled and its
  // stock released (as a cancellation; reallocate_freed_stock applies). 1 to 365 and after the
  // last reminder. Default: off.
  std::optional<int> pickup_deadline_days;
};

// Empty lists match anything.
struct Match {
  std::vector<Id> stores;
  std::vector<Id> vendors;
  std::vector<Id> products;
  std::vector<Id> customers;
};

struct Rule {
  std::string name;
  Match match;
  Settings settings;  // the defaults with this rule's overrides applied
};

// What a decision is about. The vendor is unknown before one is chosen; a rule that names vendors
// then matches on the product's primary vendor, and not at all when there is none. Decisions
// about a transfer-sourced special order have no vendor: rules naming vendors do not match them.
// The customer is known only for decisions about one special order; the queue of an arrival or of
// freed stock has none, so rules naming customers do not choose a queue's rule.
struct MatchKey {
  Id store_id = 0;
  Id product_id = 0;
  std::optional<Id> vendor_id;
  std::optional<Id> customer_id;
};

// The rule name used when no rule matches and the defaults decide.
inline constexpr const char* kDefaultsRuleName = "defaults";
// The rule name of decisions the contract fixes rather than an operator's rule (a refusal of a
// message naming a missing row, say). Neither name may be used by a rule.
inline constexpr const char* kContractRuleName = "contract";

class RuleSet {
 public:
  RuleSet() = default;
  RuleSet(Settings defaults, std::vector<Rule> rules, std::string version)
      : defaults_(std::move(defaults)), rules_(std::move(rules)), version_(std::move(version)) {}

  // Refers into this RuleSet: valid while it lives (a reload builds a new one).
  struct Selected {
    const std::string& rule;
    const Settings& settings;
  };
  // The first rule that matches, else the defaults under kDefaultsRuleName.
  Selected Select(const MatchKey& key) const;

  const Settings& defaults() const { return defaults_; }
  const std::vector<Rule>& rules() const { return rules_; }
  // Identifies the rules file's content (a hash), kept with dead letters and in logs.
  const std::string& version() const { return version_; }

 private:
  Settings defaults_;
  std::vector<Rule> rules_;
  std::string version_ = "builtin";
  std::string defaults_name_ = kDefaultsRuleName;
};

}  // namespace so
