// The randomized scenario (scenario_test.cpp and simulation_test.cpp play it): a generator driven
// by one seed plays the POS over several stores, products, vendors, customers and orders, and
// interleaves every message the POS publishes with the POS's own writes (sales, receipts,
// pickups) under rules drawn from the same seed (or given). After every message the contract's
// invariants must hold and nothing may be dead-lettered. A failure names the seed to replay it
// with. Included by one test file per test program (everything is in an unnamed namespace).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "rules/audit_counters.hpp"
#include "rules/clock_scan.hpp"
#include "rules/engine.hpp"
#include "rules/processor.hpp"
#include "tests/fakes/drift_of.hpp"
#include "tests/fakes/dump.hpp"
#include "tests/fakes/fake_store.hpp"
#include "tests/fakes/invariants.hpp"

namespace so {
namespace {

constexpr uint64_t kDefaultSeed = 20261129;
constexpr int64_t kDefaultMessages = 10'000;
// Ids no POS row ever has: messages that name missing rows use them.
constexpr Id kMissing = 9'000'000;

// --- Replay knobs ---

inline std::optional<uint64_t> EnvSeed() {
  const char* text = std::getenv("SO_SCENARIO_SEED");
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const unsigned long long seed = std::strtoull(text, &end, 10);
  if (*end != '\0') {
    ADD_FAILURE() << "SO_SCENARIO_SEED=" << text << " is not a number";
    return std::nullopt;
  }
  return seed;
}

inline int64_t EnvMessages() {
  const char* text = std::getenv("SO_SCENARIO_MESSAGES");
  if (text == nullptr || *text == '\0') return kDefaultMessages;
  char* end = nullptr;
  const long long n = std::strtoll(text, &end, 10);
  if (*end != '\0' || n <= 0) {
    ADD_FAILURE() << "SO_SCENARIO_MESSAGES=" << text << " is not a positive number";
    return kDefaultMessages;
  }
  return n;
}

// --- Randomness ---

// Draws are written out rather than taken from <random>'s distributions, whose results differ
// between standard libraries: a seed replays the same run wherever it is built.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}

  // Uniform in [lo, hi].
  int64_t In(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(gen_() % span);
  }
  bool Chance(int percent) { return In(0, 99) < percent; }
  template <typename T>
  T Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(In(0, static_cast<int64_t>(v.size()) - 1))];
  }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1], v[static_cast<size_t>(In(0, static_cast<int64_t>(i) - 1))]);
    }
  }
  // A random subset of `from`, in random order; never empty when `from` is not.
  template <typename T>
  std::vector<T> Some(std::vector<T> from, size_t at_most) {
    Shuffle(from);
    from.resize(std::min(from.size(), static_cast<size_t>(In(1, static_cast<int64_t>(at_most)))));
    return from;
  }
  // An index into `weights`, drawn in proportion to them.
  size_t Weighted(const std::vector<int>& weights) {
    int total = 0;
    for (int w : weights) total += w;
    int64_t x = In(0, total - 1);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 gen_;
};

// --- The world: five stores, sixteen products, seven vendors ---

std::vector<Id> Stores() { return {1, 2, 3, 4, 5}; }
// 13 and 15 are inactive; 16 is active and carries nothing (the Back Office may still pick it).
std::vector<Id> Vendors() { return {10, 11, 12, 13, 14, 15, 16}; }
constexpr Id kNotAllowed = 104;    // special_order_allowed = 0
constexpr Id kOnlyInactive = 105;  // its only vendor is inactive

std::vector<Id> Products() {
  std::vector<Id> v;
  for (Id p = 100; p <= 115; ++p) v.push_back(p);
  return v;
}

void BuildCatalogue(fakes::FakeDb& db, Rng& rng) {
  for (Id s : Stores()) db.AddStore(s);
  for (Id v : Vendors()) db.AddVendor(v, v != 13 && v != 15);
  db.AddProduct(100, 10);
  db.AddOffer(100, 10, "5.0000", 7);
  db.AddOffer(100, 11, "4.5000", 10);
  db.AddOffer(100, 12, "6.0000", 2);
  db.AddProduct(101, std::nullopt);
  db.AddOffer(101, 11, "3.0000", 5);
  db.AddOffer(101, 12, "3.5000", 1);
  db.AddProduct(102, 14);
  db.AddOffer(102, 14, "2.0000", 3, /*pack=*/6, /*moq=*/10);
  db.AddProduct(103, 10);
  db.AddOffer(103, 10, "8.0000", 4, /*pack=*/4);
  db.AddOffer(103, 11, "7.5000", 6, /*pack=*/1, /*moq=*/5);
  db.AddProduct(kNotAllowed, 10, /*allowed=*/false);
  db.AddOffer(kNotAllowed, 10, "1.0000", 1);
  db.AddProduct(kOnlyInactive, 13);
  db.AddOffer(kOnlyInactive, 13, "2.5000", 2);
  db.AddProduct(106, 15);  // inactive primary: another choice must find 11 or 12
  db.AddOffer(106, 11, "9.0000", 3);
  db.AddOffer(106, 12, "9.0000", 3);
  db.AddProduct(107, 12);  // primary without a product_vendors row
  db.AddProduct(108, 11);
  db.AddOffer(108, 11, "1.2500", 2, /*pack=*/12, /*moq=*/12);
  db.AddOffer(108, 14, "1.1000", 9);
  db.AddProduct(109, std::nullopt);
  db.AddOffer(109, 14, "4.0000", 4, /*pack=*/1, /*moq=*/3);
  db.AddProduct(110, 10);
  db.AddOffer(110, 10, "2.0000", 5);
  db.AddOffer(110, 12, "2.0000", 1);
  db.AddProduct(111, 12);
  db.AddOffer(111, 12, "12.0000", 2, /*pack=*/2);
  db.AddProduct(112, 11);
  db.AddOffer(112, 11, "0.9900", 7);
  db.AddOffer(112, 13, "0.5000", 1);  // cheaper, but inactive
  db.AddProduct(113, 14);
  db.AddOffer(113, 14, "3.3300", 5);
  db.AddOffer(113, 10, "3.3300", 5);
  db.AddProduct(114, 10);
  db.AddOffer(114, 10, "7.0000", 8);
  db.AddOffer(114, 11, "6.5000", 12);
  db.AddOffer(114, 12, "7.5000", 1);
  db.AddProduct(115, std::nullopt);
  db.AddOffer(115, 10, "6.0000", 3, /*pack=*/3, /*moq=*/6);
  // Mostly nothing on the shelf, some stock to sell or transfer, some oversold, some never
  // stocked (no row).
  for (Id s : Stores()) {
    for (Id p : Products()) {
      const int64_t draw = rng.In(0, 99);
      if (draw < 45) {
        db.SetOnHand(s, p, 0);
      } else if (draw < 75) {
        db.SetOnHand(s, p, rng.In(1, 8));
      } else if (draw < 85) {
        db.SetOnHand(s, p, -rng.In(1, 3));
      }
    }
  }
}

// --- Rules drawn from the seed ---

std::string Names(const std::vector<Id>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]";
}

Settings DrawSettings(Rng& rng) {
  Settings s;
  s.on_request = rng.Chance(80) ? OnRequest::kOrder : OnRequest::kWait;
  s.vendor_choice =
      rng.Some(std::vector<VendorChoice>{VendorChoice::kPrimary, VendorChoice::kCheapest,
                                         VendorChoice::kShortestLeadTime},
               3);
  s.attach_po_statuses.clear();
  for (const char* status : {"draft", "open", "partially_received"}) {
    if (rng.Chance(std::string(status) == "draft" ? 80 : 35)) {
      s.attach_po_statuses.push_back(status);
    }
  }
  if (s.attach_po_statuses.empty()) s.attach_po_statuses.push_back("open");
  s.allocation = rng.Chance(65) ? AllocationMode::kImmediate : AllocationMode::kOnConfirmation;
  s.status_after_allocation = rng.Chance(50) ? SoStatus::kReady : SoStatus::kInProgress;
  s.allow_positive_open_stock = rng.Chance(25);
  if (rng.Chance(50)) s.transfer_from_stores = rng.Some(Stores(), 3);
  s.transfer_min_left = rng.In(0, 2);
  s.transfer_allocation =
      rng.Chance(65) ? AllocationMode::kImmediate : AllocationMode::kOnConfirmation;
  s.service_order =
      rng.Chance(50) ? ServiceOrder::kOldestRequestFirst : ServiceOrder::kSmallestFirst;
  s.allocate_surplus = rng.Chance(50);
  s.reallocate_freed_stock = rng.Chance(50);
  s.shrink_draft_po = rng.Chance(50);
  s.overdue_grace_days = static_cast<int>(rng.In(0, 2));
  if (rng.Chance(50)) {
    s.pickup_reminder_days = rng.Some(std::vector<int>{1, 2, 3, 5}, 2);
    std::sort(s.pickup_reminder_days.begin(), s.pickup_reminder_days.end());
  }
  if (rng.Chance(35)) {
    const int last = s.pickup_reminder_days.empty() ? 0 : s.pickup_reminder_days.back();
    s.pickup_deadline_days = last + static_cast<int>(rng.In(1, 3));
  }
  return s;
}

std::string SettingsText(const Settings& s) {
  std::ostringstream text;
  const char* choice_names[] = {"primary", "cheapest", "shortest_lead_time"};
  text << "on_request=" << (s.on_request == OnRequest::kOrder ? "order" : "wait")
       << " vendor_choice=[";
  for (size_t i = 0; i < s.vendor_choice.size(); ++i) {
    text << (i ? "," : "") << choice_names[static_cast<int>(s.vendor_choice[i])];
  }
  text << "] attach_po_statuses=[";
  for (size_t i = 0; i < s.attach_po_statuses.size(); ++i) {
    text << (i ? "," : "") << s.attach_po_statuses[i];
  }
  text << "] allocation="
       << (s.allocation == AllocationMode::kImmediate ? "immediate" : "on_confirmation")
       << " status_after_allocation=" << ToString(s.status_after_allocation)
       << " allow_positive_open_stock=" << s.allow_positive_open_stock
       << " transfer_from_stores=" << Names(s.transfer_from_stores)
       << " transfer_min_left=" << s.transfer_min_left << " transfer_allocation="
       << (s.transfer_allocation == AllocationMode::kImmediate ? "immediate" : "on_confirmation")
       << " service_order="
       << (s.service_order == ServiceOrder::kOldestRequestFirst ? "oldest_request_first"
                                                                : "smallest_first")
       << " allocate_surplus=" << s.allocate_surplus
       << " reallocate_freed_stock=" << s.reallocate_freed_stock
       << " shrink_draft_po=" << s.shrink_draft_po
       << " overdue_grace_days=" << s.overdue_grace_days << " pickup_reminder_days=[";
  for (size_t i = 0; i < s.pickup_reminder_days.size(); ++i) {
    text << (i ? "," : "") << s.pickup_reminder_days[i];
  }
  text << "] pickup_deadline_days="
       << (s.pickup_deadline_days ? std::to_string(*s.pickup_deadline_days) : "off");
  return text.str();
}

RuleSet DrawRules(Rng& rng, std::string& description) {
  Settings defaults = DrawSettings(rng);
  std::vector<Rule> rules;
  const int64_t n = rng.In(2, 4);
  for (int64_t i = 1; i <= n; ++i) {
    Rule r;
    r.name = "rule-" + std::to_string(i);
    if (rng.Chance(45)) r.match.stores = rng.Some(Stores(), 2);
    if (rng.Chance(45)) r.match.products = rng.Some(Products(), 4);
    if (rng.Chance(30)) r.match.vendors = rng.Some(std::vector<Id>{10, 11, 12, 14}, 2);
    r.settings = DrawSettings(rng);
    rules.push_back(std::move(r));
  }
  // Whatever the draw, some settings wait for the Back Office, source by transfer and allocate
  // on confirmation, so that every seed takes every path.
  const auto some = [&]() -> Settings& {
    const int64_t i =
        rng.In(-static_cast<int64_t>(rules.size()), static_cast<int64_t>(rules.size()) - 1);
    return i < 0 ? defaults : rules[static_cast<size_t>(i)].settings;
  };
  some().on_request = OnRequest::kWait;
  Settings& transfers = some();
  transfers.transfer_from_stores = rng.Some(Stores(), 3);
  some().allocation = AllocationMode::kOnConfirmation;
  some().transfer_allocation = AllocationMode::kOnConfirmation;
  // The first rule and the defaults remind and release, since a rule that matches everything
  // may come first; the first one's special orders become ready when allocated in full (partly
  // allocated ones are in progress whatever the rule).
  for (Settings* timed : {&defaults, &rules.front().settings}) {
    timed->pickup_reminder_days = {1, 2};
    timed->pickup_deadline_days = 3;
  }
  rules.front().settings.status_after_allocation = SoStatus::kReady;
  std::ostringstream text;
  text << "  defaults: " << SettingsText(defaults);
  for (const Rule& r : rules) {
    text << "\n  " << r.name << ": match stores=" << Names(r.match.stores)
         << " products=" << Names(r.match.products) << " vendors=" << Names(r.match.vendors)
         << "\n    " << SettingsText(r.settings);
  }
  description = text.str();
  return RuleSet(std::move(defaults), std::move(rules), "scenario");
}

// --- Messages as text, for failure reports ---

constexpr std::array<const char*, std::variant_size_v<Payload>> kTypes = {
    "order.special_order_requested",
    "order.line_changed",
    "order.cancelled",
    "order.picked_up",
    "backoffice.special_order.order",
    "backoffice.special_order.transfer",
    "backoffice.special_order.allocate",
    "backoffice.special_order.cancel",
    "po.status_changed",
    "shipment.completed",
    "transfer.received",
    "clock.overdue",
    "clock.pickup_reminder",
    "clock.pickup_deadline"};

std::string Opt(const std::optional<Id>& id) { return id ? std::to_string(*id) : "-"; }

struct PayloadText {
  std::ostringstream& o;
  void operator()(const SpecialOrderRequested& p) {
    o << "order=" << p.order_id << " line=" << p.order_line_id << " store=" << p.store_id
      << " customer=" << p.customer_id << " product=" << p.product_id << " quantity=" << p.quantity;
  }
  void operator()(const OrderLineChanged& p) {
    o << "order=" << p.order_id << " line=" << p.order_line_id
      << " special_order_qty=" << p.special_order_qty;
  }
  void operator()(const OrderCancelled& p) { o << "order=" << p.order_id; }
  void operator()(const OrderPickedUp& p) {
    o << "order=" << p.order_id << " lines=[";
    for (const auto& l : p.lines) o << " " << l.order_line_id << "x" << l.quantity;
    o << " ]";
  }
  void operator()(const BackofficeOrder& p) {
    o << "special_order=" << p.special_order_id << " vendor=" << Opt(p.vendor_id)
      << " po=" << Opt(p.po_id);
  }
  void operator()(const BackofficeTransfer& p) {
    o << "special_order=" << p.special_order_id << " from_store=" << p.from_store_id;
  }
  void operator()(const BackofficeAllocate& p) {
    o << "shipment=" << Opt(p.shipment_id) << " transfer=" << Opt(p.transfer_id);
    if (p.special_order_ids) o << " special_orders=" << Names(*p.special_order_ids);
  }
  void operator()(const BackofficeCancel& p) { o << "special_order=" << p.special_order_id; }
  void operator()(const PoStatusChanged& p) {
    o << "po=" << p.po_id << " " << p.previous_status << " -> " << p.status;
  }
  void operator()(const ShipmentCompleted& p) {
    o << "shipment=" << p.shipment_id << " po=" << p.po_id << " store=" << p.store_id
      << " vendor=" << p.vendor_id << " lines=[";
    for (const auto& l : p.lines) {
      o << " po_line " << l.po_line_id << ": " << l.quantity << " x " << l.product_id;
    }
    o << " ]";
  }
  void operator()(const TransferReceived& p) {
    o << "transfer=" << p.transfer_id << " from=" << p.from_store_id << " to=" << p.to_store_id
      << " lines=[";
    for (const auto& l : p.lines) o << " " << l.quantity << " x " << l.product_id;
    o << " ]";
  }
  void operator()(const ClockOverdue& p) {
    o << "special_order=" << p.special_order_id << " promise=" << p.promise_seq;
  }
  void operator()(const ClockPickupReminder& p) {
    o << "special_order=" << p.special_order_id << " days=" << p.days
      << " ready_at=" << FormatRfc3339(p.ready_at);
  }
  void operator()(const ClockPickupDeadline& p) {
    o << "special_order=" << p.special_order_id << " days=" << p.days
      << " ready_at=" << FormatRfc3339(p.ready_at);
  }
};

std::string Describe(const Message& m) {
  std::ostringstream o;
  o << m.envelope.id << " " << m.envelope.type << " {";
  std::visit(PayloadText{o}, m.payload);
  o << "}";
  return o.str();
}

// --- What the rows must agree on besides the contract's invariants ---

bool Done(const SpecialOrder& so) {
  return so.status == SoStatus::kCompleted || so.status == SoStatus::kCancelled;
}

// A special order's status agrees with its quantities, and what it says it is sourced from
// exists and fits: the PO line is on its PO, for its product; the PO or transfer is for its store.
// Appends what is wrong to `broken`.
void CheckStatus(const fakes::FakeDb& db, const SpecialOrder& so,
                 std::vector<std::string>& broken) {
  const auto fail = [&](const std::string& what) {
    broken.push_back("special order " + std::to_string(so.id) + " (" +
                     std::string(ToString(so.status)) + ", " + std::to_string(so.allocated_qty) +
                     " of " + std::to_string(so.quantity) + " allocated) " + what);
  };
  switch (so.status) {
    case SoStatus::kRequest:
      if (so.source || so.vendor_id || so.po_id || so.po_line_id || so.transfer_id) {
        fail("is in request but still sourced");
      }
      [[fallthrough]];
    case SoStatus::kOrdered:
    case SoStatus::kArrived:
      if (so.waiting() <= 0) fail("waits for nothing");
      if (so.status != SoStatus::kRequest && !so.source) fail("has no source");
      break;
    case SoStatus::kInProgress:
      if (so.allocated_qty <= 0) fail("has nothing allocated");
      break;
    case SoStatus::kReady:
      if (so.allocated_qty <= 0 || so.waiting() != 0) fail("is not fully allocated");
      break;
    case SoStatus::kCompleted:
      if (!db.picked.contains(so.id) || db.picked.at(so.id) < so.quantity || !so.completed_at) {
        fail("was not all picked up");
      }
      break;
    case SoStatus::kCancelled:
      if (!so.cancelled_at) fail("has no cancelled_at");
      break;
  }
  if (Done(so)) return;
  if (so.source == SoSource::kVendor) {
    if (!so.vendor_id || !so.po_id || !so.po_line_id || so.transfer_id) {
      fail("is sourced from a vendor without vendor, PO and PO line");
    } else if (!db.pos.contains(*so.po_id) || !db.po_lines.contains(*so.po_line_id)) {
      fail("names a PO or PO line that does not exist");
    } else {
      const PurchaseOrder& po = db.pos.at(*so.po_id);
      const PoLine& line = db.po_lines.at(*so.po_line_id);
      if (po.vendor_id != *so.vendor_id || po.store_id != so.store_id || line.po_id != po.id ||
          line.product_id != so.product_id) {
        fail("is on PO " + std::to_string(po.id) + " line " + std::to_string(line.id) +
             " of another vendor, store or product");
      }
    }
  } else if (so.source == SoSource::kTransfer) {
    if (!so.transfer_id || so.po_id || so.po_line_id || so.vendor_id) {
      fail("is sourced from a transfer without only a transfer");
    } else if (!db.transfers.contains(*so.transfer_id)) {
      fail("names a transfer that does not exist");
    } else {
      const StoreTransfer& t = db.transfers.at(*so.transfer_id);
      const bool carries =
          std::any_of(t.lines.begin(), t.lines.end(),
                      [&](const StoreTransferLine& l) { return l.product_id == so.product_id; });
      if (t.to_store_id != so.store_id || !carries) {
        fail("is on transfer " + std::to_string(t.id) + " to another store or of another product");
      }
    }
  }
}

// --- The scenario ---

// Whether `text` holds a number as large as the batch view's provisional ids, which must never
// leave it.
bool HasProvisionalId(const std::string& text) {
  size_t run = 0;
  for (char c : text) {
    run = std::isdigit(static_cast<unsigned char>(c)) ? run + 1 : 0;
    if (run >= 19) return true;
  }
  return false;
}

// How the messages reach the processor.
enum class Feed {
  kAtOnce,   // each as it is sent: Processor::Process before the POS does anything else
  kQueued,   // queued while the POS goes on; a queue of random length is then given to
             // Processor::Process one by one
  kBatched,  // the same queues, each given to Processor::ProcessBatch as one batch
};

struct RunOptions {
  uint64_t seed = kDefaultSeed;
  int64_t messages = kDefaultMessages;
  bool deliver_twice = false;  // every message delivered twice in a row, as a replaying POS does
  Feed feed = Feed::kAtOnce;
  // The rules, instead of those drawn from the seed (which are drawn all the same, so that the
  // POS makes the same draws).
  std::optional<RuleSet> rules;
  bool record = false;  // the flight recorder on (rules/recorder.hpp)
  // Called before each message's first delivery (Feed::kAtOnce), with the store as the message
  // finds it.
  std::function<void(const Message&, fakes::FakeStore&)> before;
};

// Plays the POS: it writes its own rows first, then publishes the message that announces them,
// and it reads the rows the daemon writes (special orders, POs, transfers) only to choose what to
// send, ship, receive or cancel next. It is a careful POS: it sells and ships transfers only from
// open stock, hands over at most what is there, and never lowers a special-order quantity below
// what was handed over (the contract's invariant 3 could not hold), though it may set it to 0.
class Scenario {
 public:
  explicit Scenario(RunOptions options)
      : options_(options), rng_(options.seed), queue_rng_(options.seed ^ 0x5bd1e995u) {
    BuildCatalogue(db(), rng_);
    RuleSet drawn = DrawRules(rng_, rules_text_);
    if (options_.rules) rules_text_ = "  given, version " + options_.rules->version();
    engine_ = std::make_unique<Engine>(options_.rules ? *options_.rules : std::move(drawn));
    outbox_ = fakes::OpenOutbox(store_, sink_);
    processor_ = std::make_unique<Processor>(
        *engine_, store_, dead_, *outbox_, RetryPolicy{}, [](std::chrono::milliseconds) {},
        [] { return Status(); });
    processor_->set_recording(options_.record);
  }

  const std::string& rules_text() const { return rules_text_; }
  const fakes::FakeDb& result() const { return store_.db; }
  bool failed() const { return failed_; }
  int64_t deliveries() const { return deliveries_; }
  int64_t duplicates_seen() const { return duplicates_seen_; }
  // "<id> <fate>: <detail>" of every delivery, in order.
  const std::vector<std::string>& fate_log() const { return fate_log_; }

  // Plays until `messages` POS messages have been published or one of them broke something
  // (reported as a test failure).
  void Run() {
    next_flush_ = QueueLength();
    while (sent_ < options_.messages && !failed_) {
      Step();
      if (queue_.size() >= next_flush_) {
        Flush();
        next_flush_ = QueueLength();
      }
    }
    Flush();
    if (failed_) return;
    std::vector<std::string> broken;
    for (const auto& [id, so] : store_.db.special_orders) CheckStatus(store_.db, so, broken);
    if (options_.feed == Feed::kAtOnce) {
      for (const Drift& d : fakes::DriftOf(store_.db)) broken.push_back("drift: " + ToString(d));
    }
    for (const auto& b : broken) ADD_FAILURE() << "seed " << options_.seed << ", at the end: " << b;
    failed_ = !broken.empty();
  }

  // Per message type: how many were sent and what became of them.
  std::string Summary() const {
    std::ostringstream o;
    for (const auto& [type, fates] : fates_) {
      o << "  " << type << ":";
      for (const auto& [fate, n] : fates) o << " " << fate << "=" << n;
      o << "\n";
    }
    std::map<std::string, int64_t> rows;
    for (const auto& [id, so] : store_.db.special_orders) {
      ++rows["special orders " + std::string(ToString(so.status))];
    }
    for (const auto& [id, po] : store_.db.pos) ++rows["POs " + po.status];
    for (const auto& [id, t] : store_.db.transfers) ++rows["transfers " + t.status];
    rows["orders"] = static_cast<int64_t>(store_.db.orders.size());
    rows["shipments"] = static_cast<int64_t>(store_.db.shipments.size());
    rows["audit rows"] = static_cast<int64_t>(store_.db.audit.size());
    o << "  refusals:\n";
    for (const auto& [reason, n] : refusals_) o << "    " << n << " x " << reason << "\n";
    std::map<std::string, int64_t> decisions;
    for (const auto& a : store_.db.audit) ++decisions[a.decision];
    o << "  decisions:";
    for (const auto& [decision, n] : decisions) o << " " << decision << "=" << n << ";";
    // Special orders that wait for goods nothing will bring: not a broken invariant, but a
    // customer who waits for ever unless stock is freed or the Back Office cancels.
    std::map<std::string, int64_t> stuck;
    std::map<std::string, Id> example;
    for (const auto& [id, so] : store_.db.special_orders) {
      if (Done(so) || so.waiting() <= 0) continue;
      std::string what;
      if (!so.source && so.status != SoStatus::kRequest) {
        what = " without a source";
      } else if (so.po_id && (store_.db.pos.at(*so.po_id).status == "cancelled" ||
                              store_.db.pos.at(*so.po_id).status == "closed" ||
                              store_.db.pos.at(*so.po_id).status == "received")) {
        what = " on a " + store_.db.pos.at(*so.po_id).status + " PO";
      } else if (so.transfer_id && store_.db.transfers.at(*so.transfer_id).status == "received") {
        what = " on a received transfer";
      } else {
        continue;
      }
      what = std::string(ToString(so.status)) + what;
      if (++stuck[what] == 1) example[what] = id;
    }
    o << "\n  waiting for goods nothing will bring:";
    for (const auto& [what, n] : stuck) {
      o << " " << what << "=" << n << " (special order " << example[what] << ", say);";
    }
    if (options_.feed != Feed::kAtOnce) {
      o << "\n  invariants found broken after a queue (POS choices from stale rows): "
        << invariants_broken_;
    }
    o << "\n  live special orders: " << (steps_ ? live_sum_ / steps_ : 0) << " on average, "
      << live_max_ << " at most\n";
    o << "  in the end:";
    for (const auto& [what, n] : rows) o << " " << what << "=" << n << ";";
    o << "\n";
    return o.str();
  }

  // Every type was sent, and every type was applied at least once: a run that only ever
  // refuses, say, allocations tests little.
  void ExpectEveryTypeApplied() const {
    for (const char* type : kTypes) {
      auto it = fates_.find(type);
      EXPECT_TRUE(it != fates_.end() && it->second.contains("applied"))
          << type << " was never applied with seed " << options_.seed;
    }
  }

 private:
  fakes::FakeDb& db() { return store_.db; }

  // One step of the POS: an action drawn by weight. Actions that find nothing to do (no draft PO
  // to send, say) do nothing; sales, stock counts and hand-written POs publish no message.
  void Step() {
    const size_t live = live_.size();
    live_sum_ += live;
    live_max_ = std::max(live_max_, live);
    ++steps_;
    struct Action {
      int weight;
      void (Scenario::*act)();
    };
    // Enough new orders to keep every path busy, few enough that the run stays quick: past a
    // few hundred live special orders the clerks mostly finish what they started.
    const Action actions[] = {
        {live > 300 ? 2 : 14, &Scenario::NewOrder},
        {8, &Scenario::LineChange},
        {3, &Scenario::CancelOrder},
        {7, &Scenario::BoOrder},
        {3, &Scenario::BoTransfer},
        {6, &Scenario::BoAllocate},
        {3, &Scenario::BoCancel},
        {6, &Scenario::PoSend},
        {1, &Scenario::PoCancel},
        {1, &Scenario::PoClose},
        {9, &Scenario::Ship},
        {4, &Scenario::ReceiveTransfer},
        {10, &Scenario::PickUp},
        {12, &Scenario::Sale},
        {1, &Scenario::Restock},
        {1, &Scenario::BuyerPo},
        {3, &Scenario::MissingRow},
        {2, &Scenario::CatchUp},
        {1, &Scenario::Replay},
        {2, &Scenario::ClockTick},
        {1, &Scenario::Night},
    };
    std::vector<int> weights;
    for (const Action& a : actions) weights.push_back(a.weight);
    (this->*actions[rng_.Weighted(weights)].act)();
  }

  // --- Reading the database as the POS can ---

  // A message every four minutes, and now and then a night with none (Night): a run of 10,000
  // spans months, so that promises fall due and ready special orders wait days for customers.
  Timestamp At(int64_t n) const {
    return Timestamp{int64_t{1'800'000'000} * 1'000'000 + n * 240'000'000 + nights_};
  }
  Timestamp Now() const { return At(sent_ + 1); }

  Qty Open(Id store, Id product) const {
    auto it = store_.db.stock.find({store, product});
    return it == store_.db.stock.end() ? 0 : it->second.open();
  }
  Qty OnHand(Id store, Id product) const {
    auto it = store_.db.stock.find({store, product});
    return it == store_.db.stock.end() ? 0 : it->second.on_hand;
  }
  Qty Picked(Id so_id) const {
    auto it = store_.db.picked.find(so_id);
    return it == store_.db.picked.end() ? 0 : it->second;
  }
  const SpecialOrder* SoOfLine(Id line) const {
    auto it = so_of_line_.find(line);
    if (it == so_of_line_.end()) return nullptr;
    return &store_.db.special_orders.at(it->second);
  }
  // Live special orders (neither completed nor cancelled) that pass `keep`, in id order.
  template <typename Pred>
  std::vector<Id> LiveWhere(Pred keep) const {
    std::vector<Id> out;
    for (Id id : live_) {
      if (keep(store_.db.special_orders.at(id))) out.push_back(id);
    }
    return out;
  }
  // Any special order, live or done.
  std::optional<Id> AnySpecialOrder() {
    if (all_.empty()) return std::nullopt;
    return rng_.Pick(all_);
  }
  template <typename Pred>
  std::vector<Id> PosWhere(Pred keep) const {
    std::vector<Id> out;
    for (const auto& [id, po] : store_.db.pos) {
      if (keep(po)) out.push_back(id);
    }
    return out;
  }
  // Every PO's lines, in id order: one pass, as a rule that never attaches to drafts leaves
  // hundreds of them.
  std::map<Id, std::vector<Id>> LinesByPo() const {
    std::map<Id, std::vector<Id>> out;
    for (const auto& [id, line] : store_.db.po_lines) out[line.po_id].push_back(id);
    return out;
  }
  Qty Quantity() {
    const int64_t draw = rng_.In(0, 99);
    return draw < 70 ? rng_.In(1, 3) : draw < 95 ? rng_.In(4, 8) : rng_.In(9, 20);
  }
  // Open stock may be exhausted meanwhile by a sale, so the POS writes it as it is now.
  void AddOnHand(Id store, Id product, Qty delta) {
    db().SetOnHand(store, product, OnHand(store, product) + delta);
  }

  // --- What the clerks do ---

  // A customer order with one to three lines, most of them special-ordered: the POS writes the
  // order and its lines, then publishes one request per special-ordered line.
  void NewOrder() {
    const Id order = ++last_order_;
    const Id store = rng_.Pick(Stores());
    const Id customer = rng_.In(1, 40);
    db().orders[order] = CustomerOrder{order, store, customer, "open", false};
    open_orders_.insert(order);
    std::vector<Id> products = Products();
    rng_.Shuffle(products);
    // The clerk special-orders what the shelf does not have, mostly; now and then something it
    // has, which the rules may refuse.
    std::stable_partition(products.begin(), products.end(),
                          [&](Id p) { return Open(store, p) <= 0; });
    if (rng_.Chance(10)) rng_.Shuffle(products);
    std::erase_if(products, [&](Id p) {
      return (p == kNotAllowed || p == kOnlyInactive) && !rng_.Chance(10);
    });
    const int64_t n = rng_.In(1, 3);
    std::vector<OrderLine> special;
    for (int64_t k = 1; k <= n && k <= static_cast<int64_t>(products.size()); ++k) {
      OrderLine l;
      l.id = order * 10 + k;
      l.order_id = order;
      l.product_id = products[static_cast<size_t>(k - 1)];
      l.special_order_qty = rng_.Chance(80) ? Quantity() : 0;
      l.quantity = std::max<Qty>(l.special_order_qty, rng_.In(1, 3));
      db().lines[l.id] = l;
      lines_of_order_[order].push_back(l.id);
      if (l.special_order_qty > 0) special.push_back(l);
    }
    for (const auto& l : special) {
      Send(SpecialOrderRequested{order, l.id, store, customer, l.product_id, l.special_order_qty,
                                 Now()});
    }
  }

  // The clerk changes the special-order quantity of a line: up, down, to 0, or from 0 on a line
  // that had none.
  void LineChange() {
    std::vector<Id> with_so, without_so, cancelled;
    for (Id order_id : open_orders_) {
      for (Id line : lines_of_order_.at(order_id)) {
        const SpecialOrder* so = SoOfLine(line);
        if (so == nullptr) {
          if (store_.db.lines.at(line).special_order_qty == 0) without_so.push_back(line);
        } else if (so->status == SoStatus::kCancelled) {
          cancelled.push_back(line);
        } else if (so->status != SoStatus::kCompleted) {
          with_so.push_back(line);
        }
      }
    }
    const size_t kind = rng_.Weighted(
        {with_so.empty() ? 0 : 80, without_so.empty() ? 0 : 15, cancelled.empty() ? 0 : 5, 1});
    if (kind == 3) return;
    OrderLine& line = db().lines.at(rng_.Pick(kind == 0   ? with_so
                                              : kind == 1 ? without_so
                                                          : cancelled));
    Qty now = line.special_order_qty;
    if (kind == 0) {
      const Qty floor = std::max<Qty>(1, Picked(SoOfLine(line.id)->id));
      const size_t how = rng_.Weighted({40, now > floor ? 30 : 0, 20, 5});
      now = how == 0   ? now + rng_.In(1, 4)
            : how == 1 ? rng_.In(floor, now - 1)
            : how == 2 ? 0
                       : now;
    } else {
      now = kind == 1 ? Quantity() : rng_.In(1, 3);
    }
    line.special_order_qty = now;
    line.quantity = std::max(line.quantity, now);
    Send(OrderLineChanged{line.order_id, line.id, now});
  }

  void CancelOrder() {
    std::vector<Id> open;
    for (Id id : open_orders_) {
      if (store_.db.orders.at(id).has_special_order || rng_.Chance(10)) open.push_back(id);
    }
    if (open.empty()) return;
    const Id order = rng_.Pick(open);
    db().orders.at(order).status = "cancelled";
    open_orders_.erase(order);
    Send(OrderCancelled{order});
  }

  // A special order for the Back Office: mostly one in `request`, now and then any.
  std::optional<Id> BackOfficePick() {
    auto requested =
        LiveWhere([](const SpecialOrder& so) { return so.status == SoStatus::kRequest; });
    if (!requested.empty() && rng_.Chance(85)) return rng_.Pick(requested);
    if (requested.empty() && !rng_.Chance(20)) return std::nullopt;
    return AnySpecialOrder();
  }

  // "Select Vendor", "attach to existing PO" (usable or not), or neither: the rules choose.
  void BoOrder() {
    const auto so_id = BackOfficePick();
    if (!so_id) return;
    const SpecialOrder& so = store_.db.special_orders.at(*so_id);
    BackofficeOrder m{*so_id, std::nullopt, std::nullopt, "buyer"};
    const int64_t draw = rng_.In(0, 99);
    if (draw < 30) {
      // neither
    } else if (draw < 60) {
      m.vendor_id = rng_.Pick(Vendors());
    } else if (draw < 93) {
      auto usable = PosWhere([&](const PurchaseOrder& po) {
        return po.store_id == so.store_id &&
               (po.status == "draft" || po.status == "open" || po.status == "partially_received");
      });
      auto any = PosWhere([](const PurchaseOrder&) { return true; });
      if (!usable.empty() && rng_.Chance(65)) {
        m.po_id = rng_.Pick(usable);
      } else if (!any.empty()) {
        m.po_id = rng_.Pick(any);
      }
      if (m.po_id && rng_.Chance(25)) {
        m.vendor_id = rng_.Chance(50) ? store_.db.pos.at(*m.po_id).vendor_id : rng_.Pick(Vendors());
      }
    } else if (rng_.Chance(50)) {
      m.po_id = kMissing + 1;
    } else {
      m.vendor_id = kMissing + 2;
    }
    Send(m);
  }

  void BoTransfer() {
    const auto so_id = BackOfficePick();
    if (!so_id) return;
    const SpecialOrder& so = store_.db.special_orders.at(*so_id);
    std::vector<Id> others, stocked;
    for (Id s : Stores()) {
      if (s == so.store_id) continue;
      others.push_back(s);
      if (Open(s, so.product_id) > 0) stocked.push_back(s);
    }
    const Id from = rng_.Chance(8)                        ? so.store_id
                    : !stocked.empty() && rng_.Chance(70) ? rng_.Pick(stocked)
                                                          : rng_.Pick(others);
    Send(BackofficeTransfer{*so_id, from, "buyer"});
  }

  // The special orders an arrival may allocate to, as the arrival pop-up lists them.
  std::vector<Id> WaitingOn(ArrivalKind kind, Id arrival) const {
    std::set<Id> po_lines;
    if (kind == ArrivalKind::kShipment) {
      for (const auto& l : store_.db.shipments.at(arrival).lines) po_lines.insert(l.po_line_id);
    }
    return LiveWhere([&](const SpecialOrder& so) {
      if (so.waiting() <= 0 || so.status == SoStatus::kRequest) return false;
      return kind == ArrivalKind::kShipment ? so.po_line_id && po_lines.contains(*so.po_line_id)
                                            : so.transfer_id == arrival;
    });
  }

  // The "Allocate stock" button of an arrival pop-up the clerk left open (the daemon published
  // special_order.arrived for it); else of any arrival with units left, of a transfer that has
  // not come yet, or of one that does not exist.
  void BoAllocate() {
    if (!popups_.empty() && rng_.Chance(85)) {
      const auto target = popups_.front();
      popups_.pop_front();
      return Allocate(target);
    }
    std::vector<std::pair<ArrivalKind, Id>> arrived, pending;
    std::set<std::pair<ArrivalKind, Id>> seen;
    for (const auto& [key, line] : store_.db.arrivals) {
      const auto a = std::make_pair(std::get<0>(key), std::get<1>(key));
      if (line.allocated_qty < line.quantity && seen.insert(a).second) arrived.push_back(a);
    }
    for (const auto& [id, t] : store_.db.transfers) {
      if (t.status == "requested") pending.emplace_back(ArrivalKind::kTransfer, id);
    }
    const int64_t draw = rng_.In(0, 99);
    if (!arrived.empty() && draw < 80) {
      Allocate(rng_.Pick(arrived));
    } else if (!pending.empty() && draw < 92) {
      Allocate(rng_.Pick(pending));
    } else {
      Allocate({rng_.Chance(50) ? ArrivalKind::kShipment : ArrivalKind::kTransfer, kMissing + 3});
    }
  }

  // Allocates an arrival's stock, to all that wait for it or to some (now and then naming a
  // special order that does not wait for it, which refuses the whole command); the pop-up stays
  // open until the clerk allocates to all.
  void Allocate(std::pair<ArrivalKind, Id> target) {
    BackofficeAllocate m;
    m.user = "clerk";
    if (target.first == ArrivalKind::kShipment) {
      m.shipment_id = target.second;
    } else {
      m.transfer_id = target.second;
    }
    const bool exists = target.first == ArrivalKind::kShipment
                            ? store_.db.shipments.contains(target.second)
                            : store_.db.transfers.contains(target.second);
    const int64_t which = rng_.In(0, 99);
    if (exists && which < 25) {
      auto waiting = WaitingOn(target.first, target.second);
      if (!waiting.empty()) m.special_order_ids = rng_.Some(waiting, waiting.size());
    } else if (which < 30 && !all_.empty()) {
      m.special_order_ids = std::vector<Id>{all_.back()};
    }
    if (exists && m.special_order_ids) popups_.push_back(target);
    Send(m);
  }

  // The arrival pop-ups the daemon asked for since the last call: the clerk mostly presses
  // "Allocate stock" at once, else leaves the pop-up for later.
  void AnswerPopups() {
    while (!new_popups_.empty()) {
      const auto target = new_popups_.front();
      new_popups_.pop_front();
      if (rng_.Chance(60)) {
        Allocate(target);
      } else {
        popups_.push_back(target);
      }
    }
  }

  void BoCancel() {
    const auto any = AnySpecialOrder();
    if (!live_.empty() && rng_.Chance(85)) {
      Send(BackofficeCancel{
          *std::next(live_.begin(), rng_.In(0, static_cast<int64_t>(live_.size()) - 1)), "buyer"});
    } else if (any) {
      Send(BackofficeCancel{*any, "buyer"});  // most of them completed or cancelled already
    }
  }

  // The buyer changes a PO in the POS, which then publishes the change.
  void SetPoStatus(Id po, const std::string& status) {
    const std::string before = db().pos.at(po).status;
    db().pos.at(po).status = status;
    Send(PoStatusChanged{po, status, before});
  }

  void PoSend() {
    const auto lines = LinesByPo();
    auto drafts = PosWhere(
        [&](const PurchaseOrder& po) { return po.status == "draft" && lines.contains(po.id); });
    if (!drafts.empty()) SetPoStatus(rng_.Pick(drafts), "open");
  }

  // Only a PO nothing was received on can be cancelled; one that got some is closed instead.
  void PoCancel() {
    const auto lines = LinesByPo();
    auto cancellable = PosWhere([&](const PurchaseOrder& po) {
      if (po.status != "draft" && po.status != "open") return false;
      if (!lines.contains(po.id)) return true;
      for (Id l : lines.at(po.id)) {
        if (store_.db.po_lines.at(l).quantity_received > 0) return false;
      }
      return true;
    });
    if (!cancellable.empty()) SetPoStatus(rng_.Pick(cancellable), "cancelled");
  }

  // Mostly a PO the vendor shipped part of and will ship no more of.
  void PoClose() {
    const bool short_only = rng_.Chance(80);
    auto closable = PosWhere([&](const PurchaseOrder& po) {
      return po.status == "partially_received" || (!short_only && po.status == "open");
    });
    if (!closable.empty()) SetPoStatus(rng_.Pick(closable), "closed");
  }

  // The vendor's goods come in on a sent PO: some lines short, some exact, some over. The POS
  // completes the shipment (on_hand and quantity_received grow), marks the PO partially received
  // or received, and publishes both.
  void Ship() {
    const auto lines_of = LinesByPo();
    auto sent = PosWhere([&](const PurchaseOrder& po) {
      return (po.status == "open" || po.status == "partially_received") && lines_of.contains(po.id);
    });
    if (sent.empty()) return;
    const Id po = rng_.Pick(sent);
    std::vector<ShipmentLine> lines;
    for (Id id : lines_of.at(po)) {
      const PoLine& l = store_.db.po_lines.at(id);
      const Qty due = l.quantity_ordered - l.quantity_received;
      if (due <= 0 ? !rng_.Chance(10) : !rng_.Chance(85)) continue;
      const size_t how = rng_.Weighted({due > 1 ? 35 : 0, due > 0 ? 45 : 0, 20});
      const Qty q = how == 0   ? rng_.In(1, due - 1)
                    : how == 1 ? due
                               : std::max<Qty>(due, 0) + rng_.In(1, 3);
      lines.push_back(ShipmentLine{id, l.product_id, q});
    }
    if (lines.empty()) return;
    // Now and then a line comes in two cartons, as two lines of the shipment.
    if (lines.back().quantity > 1 && rng_.Chance(5)) {
      const Qty part = rng_.In(1, lines.back().quantity - 1);
      lines.back().quantity -= part;
      lines.push_back(ShipmentLine{lines.back().po_line_id, lines.back().product_id, part});
    }
    const Id shipment = ++last_shipment_;
    db().CompleteShipment(shipment, po, lines);
    bool all_in = true;
    for (Id id : lines_of.at(po)) {
      const PoLine& l = store_.db.po_lines.at(id);
      all_in = all_in && l.quantity_received >= l.quantity_ordered;
    }
    const PurchaseOrder p = store_.db.pos.at(po);
    const std::string status = all_in ? "received" : "partially_received";
    db().pos.at(po).status = status;
    Send(ShipmentCompleted{shipment, po, p.store_id, p.vendor_id, lines});
    if (status != p.status) Send(PoStatusChanged{po, status, p.status});
    AnswerPopups();
  }

  // The sending store ships what the daemon asked for, or less when its open stock is short
  // (it never ships goods promised to its own customers); the POS receives it and moves on_hand.
  void ReceiveTransfer() {
    std::vector<Id> shippable;
    for (const auto& [id, t] : store_.db.transfers) {
      if (t.status != "requested" || t.lines.empty()) continue;
      if (Open(t.from_store_id, t.lines.front().product_id) > 0) shippable.push_back(id);
    }
    if (shippable.empty()) return;
    const StoreTransfer t = store_.db.transfers.at(rng_.Pick(shippable));
    std::vector<TransferLine> lines;
    std::map<Id, Qty> left;
    for (const auto& l : t.lines) {
      auto it = left.try_emplace(l.product_id, Open(t.from_store_id, l.product_id)).first;
      const Qty can = std::max<Qty>(0, it->second);
      const size_t how = rng_.Weighted({70, l.quantity > 1 ? 20 : 0, 10});
      Qty q = how == 0   ? l.quantity
              : how == 1 ? rng_.In(1, l.quantity - 1)
                         : l.quantity + rng_.In(1, 2);
      q = std::min(q, can);
      it->second -= q;
      lines.push_back(TransferLine{l.product_id, q});
    }
    db().ReceiveTransfer(t.id, lines);
    received_[t.id] = lines;
    Send(TransferReceived{t.id, t.from_store_id, t.to_store_id, lines});
    AnswerPopups();
  }

  // The customer collects: allocated goods, sometimes more from open stock, sometimes with a
  // line that was never special-ordered. The POS takes it all off on_hand first.
  void PickUp() {
    auto ready =
        LiveWhere([&](const SpecialOrder& so) { return so.allocated_qty > Picked(so.id); });
    auto from_shelf = LiveWhere([&](const SpecialOrder& so) {
      return so.waiting() > 0 && Open(so.store_id, so.product_id) > 0;
    });
    if (ready.empty() && from_shelf.empty()) return;
    const bool shelf = !from_shelf.empty() && (ready.empty() || rng_.Chance(10));
    const Id chosen = rng_.Pick(shelf ? from_shelf : ready);
    const Id order = store_.db.special_orders.at(chosen).order_id;
    const Id store = store_.db.orders.at(order).store_id;
    OrderPickedUp m{order, {}};
    for (Id line : lines_of_order_.at(order)) {
      const SpecialOrder* so = SoOfLine(line);
      const OrderLine& l = store_.db.lines.at(line);
      const Id product = l.product_id;
      Qty on_shelf = std::max<Qty>(0, Open(store, product));  // what may come off the shelf
      Qty q = 0;
      if (so != nullptr && !Done(*so) && (so->id == chosen || rng_.Chance(50))) {
        const Qty held = so->allocated_qty - Picked(so->id);
        if (held > 0) q = rng_.Chance(70) ? held : rng_.In(1, held);
        if (on_shelf > 0 && so->waiting() > 0 && (held == 0 || rng_.Chance(15))) {
          const Qty more = rng_.In(1, std::min(on_shelf, so->waiting()));
          q += more;
          on_shelf -= more;
        }
        // The units of the line that were never special-ordered, when the shelf has them.
        const Qty plain = l.quantity - l.special_order_qty;
        if (on_shelf > 0 && plain > 0 && rng_.Chance(10)) {
          q += rng_.In(1, std::min(on_shelf, plain));
        }
      } else if (so == nullptr && on_shelf > 0 && rng_.Chance(20)) {
        q = 1;  // an ordinary line, none of the daemon's business
      }
      if (q == 0) continue;
      AddOnHand(store, product, -q);
      m.lines.push_back(PickedUpLine{line, q});
    }
    if (m.lines.empty()) return;
    Send(m);
    // Once everything special-ordered on it is handed over or cancelled, the POS closes the order.
    bool finished = true;
    for (Id line : lines_of_order_.at(order)) {
      const SpecialOrder* so = SoOfLine(line);
      finished = finished && (so == nullptr || Done(*so));
    }
    if (finished && open_orders_.erase(order) > 0) db().orders.at(order).status = "completed";
  }

  // A sale over the counter: the daemon never hears of it. A careful POS sells only open stock.
  void Sale() {
    std::vector<std::pair<Id, Id>> sellable;
    for (const auto& [key, row] : store_.db.stock) {
      if (row.open() > 0) sellable.push_back(key);
    }
    if (sellable.empty()) return;
    const auto [store, product] = rng_.Pick(sellable);
    const Qty open = Open(store, product);
    AddOnHand(store, product, rng_.Chance(50) ? -open : -rng_.In(1, open));
  }

  // A stock count finds a few more units: no message either.
  void Restock() {
    const Id store = rng_.Pick(Stores());
    const Id product = rng_.Pick(Products());
    AddOnHand(store, product, rng_.In(1, 4));
  }

  // The buyer writes a draft PO by hand in the POS; rules may attach special orders to it.
  void BuyerPo() {
    const Id store = rng_.Pick(Stores());
    const Id vendor = rng_.Pick(Vendors());
    const Id po = db().AddPo(store, vendor, "draft", Now());
    std::vector<Id> carried;
    for (const auto& [key, pv] : store_.db.product_vendors) {
      if (key.second == vendor) carried.push_back(key.first);
    }
    if (carried.empty()) carried = Products();
    for (Id product : rng_.Some(carried, 2)) db().AddPoLine(po, product, rng_.In(1, 6));
  }

  // Messages naming rows that do not exist, or that do not belong together.
  void MissingRow() {
    const Id any_order = last_order_ > 0 ? rng_.In(1, last_order_) : 1;
    switch (rng_.In(0, 12)) {
      case 0:
        Send(SpecialOrderRequested{kMissing, kMissing, 1, 1, 100, 1, Now()});
        break;
      case 1:
        Send(SpecialOrderRequested{any_order, kMissing, 1, 1, 100, 1, Now()});
        break;
      case 2: {  // a line of another order, or of another product
        if (store_.db.lines.empty()) return;
        const OrderLine& l = std::next(store_.db.lines.begin(),
                                       rng_.In(0, static_cast<int64_t>(store_.db.lines.size()) - 1))
                                 ->second;
        const bool other_order = rng_.Chance(50);
        Send(SpecialOrderRequested{other_order ? l.order_id + 1 : l.order_id, l.id, 1, 1,
                                   other_order ? l.product_id : l.product_id + 1, 1, Now()});
        break;
      }
      case 3:
        Send(OrderLineChanged{rng_.Chance(50) ? kMissing : any_order, kMissing, 2});
        break;
      case 4:
        Send(OrderCancelled{kMissing});
        break;
      case 5:
        Send(OrderPickedUp{kMissing, {{kMissing, 1}}});
        break;
      case 6:
        Send(BackofficeOrder{kMissing, std::nullopt, std::nullopt, "buyer"});
        break;
      case 7:
        Send(BackofficeTransfer{kMissing, 2, "buyer"});
        break;
      case 8:
        Send(BackofficeCancel{kMissing, "buyer"});
        break;
      case 9:
        Send(PoStatusChanged{kMissing, "open", "draft"});
        break;
      case 10:
        Send(ShipmentCompleted{kMissing, kMissing, 1, 10, {{kMissing, 100, 1}}});
        break;
      case 11:
        Send(TransferReceived{kMissing, 1, 2, {{100, 1}}});
        break;
      default: {
        BackofficeAllocate m;
        m.shipment_id = kMissing;
        m.user = "clerk";
        Send(m);
        break;
      }
    }
  }

  // The same fact under a new message id, as a catch-up from the database would publish it.
  void CatchUp() {
    const int64_t draw = rng_.In(0, 2);
    if (draw == 0 && !so_of_line_.empty()) {
      const auto& [line_id, so_id] =
          *std::next(so_of_line_.begin(), rng_.In(0, static_cast<int64_t>(so_of_line_.size()) - 1));
      const OrderLine& l = store_.db.lines.at(line_id);
      const CustomerOrder& o = store_.db.orders.at(l.order_id);
      Send(SpecialOrderRequested{o.id, l.id, o.store_id, o.customer_id, l.product_id,
                                 std::max<Qty>(1, l.special_order_qty), Now()});
    } else if (draw == 1 && !store_.db.shipments.empty()) {
      const Shipment& s =
          std::next(store_.db.shipments.begin(),
                    rng_.In(0, static_cast<int64_t>(store_.db.shipments.size()) - 1))
              ->second;
      Send(ShipmentCompleted{s.id, s.po_id, s.store_id, s.vendor_id, s.lines});
    } else if (!received_.empty()) {
      const auto& [id, lines] =
          *std::next(received_.begin(), rng_.In(0, static_cast<int64_t>(received_.size()) - 1));
      const StoreTransfer& t = store_.db.transfers.at(id);
      Send(TransferReceived{id, t.from_store_id, t.to_store_id, lines});
    }
  }

  // The daemon's clock looks at the POS's now, between batches as the daemon's timer fires: what
  // is due is applied as the clock's own messages, now and then twice (as a second daemon's
  // clock, or one restarted before it was told, finds the same).
  void ClockTick() {
    Flush();
    if (failed_) return;
    ClockQuery q = ClockBounds(engine_->rules(), Now());
    q.limit = 1'000'000;
    Result<std::vector<ClockCandidate>> rows = store_.FindClockCandidates(q, StoreScope{});
    if (!rows.ok()) {
      ADD_FAILURE() << "seed " << options_.seed << ": " << rows.error().ToString();
      failed_ = true;
      return;
    }
    for (Message& m : DueClockMessages(engine_->rules(), *rows, Now())) {
      Deliver(m, /*duplicate=*/false);
      if (options_.deliver_twice) Deliver(m, /*duplicate=*/true);
      if (failed_) return;
      recent_.push_back(std::move(m));
      if (recent_.size() > 6) recent_.pop_front();
    }
  }

  // The store is closed for 12 to 36 hours: nothing happens but the daemon's clock.
  void Night() {
    nights_ += rng_.In(12, 36) * 3'600'000'000;
    ClockTick();
  }

  // The POS restarted and publishes its last messages again, ids and all.
  void Replay() {
    if (recent_.empty()) return;
    const size_t n = static_cast<size_t>(rng_.In(1, static_cast<int64_t>(recent_.size())));
    const std::vector<Message> again(recent_.end() - static_cast<std::ptrdiff_t>(n), recent_.end());
    for (const auto& m : again) {
      ++sent_;
      Deliver(m, /*duplicate=*/true);
      if (options_.deliver_twice) Deliver(m, /*duplicate=*/true);
      if (failed_) return;
    }
  }

  // --- Delivery and checks ---

  void Send(Payload payload) {
    if (failed_) return;
    ++sent_;
    Message m{Envelope{1, "pos-" + std::to_string(sent_), kTypes[payload.index()], "pos-scenario",
                       static_cast<uint64_t>(sent_), At(sent_)},
              std::move(payload)};
    Deliver(m, /*duplicate=*/false);
    if (options_.deliver_twice) Deliver(m, /*duplicate=*/true);
    recent_.push_back(std::move(m));
    if (recent_.size() > 6) recent_.pop_front();
  }

  void Deliver(const Message& m, bool duplicate) {
    if (options_.feed != Feed::kAtOnce) {
      queue_.push_back({m, duplicate});
      return;
    }
    if (options_.before && !duplicate) options_.before(m, store_);
    sink_.published.clear();
    const int commits = store_.commits();
    const Processed r = processor_->Process(m, m.envelope.type, Describe(m));
    if (Judge(m, duplicate, r, sink_.published, store_.commits() - commits) && !duplicate) {
      CheckDatabase(m);
    }
  }

  // How many messages queue up before the next delivery: often one, sometimes many, as a
  // daemon that falls behind finds them. Drawn apart from the POS's own draws, so that a queued
  // run and a batched run of one seed cut the same queues.
  size_t QueueLength() {
    if (options_.feed == Feed::kAtOnce) return 1;
    const int64_t draw = queue_rng_.In(0, 99);
    return static_cast<size_t>(draw < 30   ? 1
                               : draw < 90 ? queue_rng_.In(2, 40)
                                           : queue_rng_.In(41, 300));
  }

  // Delivers what is queued, one by one or as one batch; the database is checked once all of it
  // is applied (before that, what the POS wrote for the messages still queued shows).
  void Flush() {
    if (queue_.empty() || failed_) return;
    std::vector<Queued> queued = std::move(queue_);
    queue_.clear();
    if (options_.feed == Feed::kQueued) {
      for (const Queued& q : queued) {
        sink_.published.clear();
        const int commits = store_.commits();
        const Processed r = processor_->Process(q.m, q.m.envelope.type, Describe(q.m));
        if (!Judge(q.m, q.duplicate, r, sink_.published, store_.commits() - commits)) return;
      }
    } else {
      std::vector<Delivery> batch;
      for (const Queued& q : queued) batch.push_back({q.m, q.m.envelope.type, Describe(q.m)});
      const std::vector<Processed> results = processor_->ProcessBatch(batch);
      for (size_t i = 0; i < queued.size(); ++i) {
        if (!Judge(queued[i].m, queued[i].duplicate, results[i], results[i].events, std::nullopt)) {
          return;
        }
      }
    }
    CheckDatabase(queued.back().m);
  }

  // What became of one delivery, as the processor says; false (and the run failed) when that is
  // wrong. `commits`: the transactions it committed, when they can be told apart.
  bool Judge(const Message& m, bool duplicate, const Processed& r,
             const std::vector<OutEvent>& published, std::optional<int> commits) {
    ++deliveries_;
    fate_log_.push_back(m.envelope.id + " " + std::string(ToString(r.fate)) + ": " + r.detail);
    ++fates_[m.envelope.type][std::string(ToString(r.fate))];
    if (r.fate == Fate::kRefused) {
      std::string reason;
      for (char c : r.detail) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          reason += c;
        } else if (reason.empty() || reason.back() != '#') {
          reason += '#';
        }
      }
      ++refusals_[reason];
    }
    if (r.fate == Fate::kDeadLettered || r.fate == Fate::kUnavailable) {
      Fail(m, duplicate, "the processor says " + std::string(ToString(r.fate)) + ": " + r.detail);
      return false;
    }
    if (store_.in_transaction()) {
      Fail(m, duplicate, "the transaction was left open");
      return false;
    }
    if (duplicate) {
      ++duplicates_seen_;
      if (r.fate != Fate::kDuplicate || !r.events.empty() ||
          (commits && (*commits != 0 || !published.empty()))) {
        Fail(m, duplicate,
             "delivered again it was " + std::string(ToString(r.fate)) + ", published " +
                 std::to_string(r.events.size()) + " events and committed " +
                 (commits ? std::to_string(*commits) : "?") + " transactions");
        return false;
      }
      // Nothing committed: the database is the one checked after the first delivery.
      return true;
    }
    if (r.fate == Fate::kDuplicate) {
      Fail(m, duplicate, "a new message was taken for a duplicate");
      return false;
    }
    for (const auto& e : r.events) {
      if (const auto* arrived = std::get_if<ArrivedEvent>(&e)) {
        new_popups_.emplace_back(arrived->kind, arrived->arrival_id);
      }
    }
    // Every special order an event names is a row, by the id the store gave it (a batch's new
    // special orders have provisional ids until it is written).
    for (const auto& e : r.events) {
      std::vector<Id> named;
      if (const auto* created = std::get_if<SpecialOrderCreatedEvent>(&e)) {
        named.push_back(created->special_order_id);
      } else if (const auto* changed = std::get_if<StatusChangedEvent>(&e)) {
        named.push_back(changed->special_order_id);
      } else if (const auto* arrived = std::get_if<ArrivedEvent>(&e)) {
        for (const auto& o : arrived->special_orders) named.push_back(o.special_order_id);
      }
      for (Id id : named) {
        if (store_.db.special_orders.contains(id)) continue;
        Fail(m, duplicate, "an event names special order " + std::to_string(id) + ", no row");
        return false;
      }
    }
    if (HasProvisionalId(r.detail)) {
      Fail(m, duplicate, "a provisional id in the outcome: " + r.detail);
      return false;
    }
    return true;
  }

  // The database after `last` and everything before it: the POS's view of the daemon's rows is
  // brought up to date, and the invariants and every live special order are checked.
  void CheckDatabase(const Message& last) {
    // The POS learns of new special orders from the daemon's rows (and events); it keeps which
    // line has which, as its screens do.
    for (auto it = store_.db.special_orders.upper_bound(last_so_seen_);
         it != store_.db.special_orders.end(); ++it) {
      so_of_line_[it->second.order_line_id] = it->first;
      all_.push_back(it->first);
      live_.insert(it->first);
      last_so_seen_ = it->first;
    }
    auto broken = fakes::CheckInvariants(store_.db);
    // The production drift check must agree with the test's own oracle: no difference in a
    // world where every invariant holds. After every 8th message and at the end: after each one
    // it would triple the run's time.
    if (sent_ % 8 == 0) {
      for (const Drift& d : fakes::DriftOf(store_.db)) broken.push_back("drift: " + ToString(d));
    }
    for (size_t i = audit_checked_; i < store_.db.audit.size(); ++i) {
      const AuditEntry& a = store_.db.audit[i];
      if ((a.special_order_id && !store_.db.special_orders.contains(*a.special_order_id)) ||
          HasProvisionalId(a.detail)) {
        broken.push_back("audit row of " + a.message_id + " names no special order: " +
                         (a.special_order_id ? std::to_string(*a.special_order_id) : "-") + ", " +
                         a.detail);
      }
    }
    audit_checked_ = store_.db.audit.size();
    // Every special order is checked while it lives and once more as it ends (neither completed
    // nor cancelled ever changes again; Run() checks them all once more at the end).
    for (auto it = live_.begin(); it != live_.end();) {
      const SpecialOrder& so = store_.db.special_orders.at(*it);
      CheckStatus(store_.db, so, broken);
      it = Done(so) ? live_.erase(it) : std::next(it);
    }
    if (broken.empty()) return;
    // A queuing POS chooses from the daemon's rows as they were before the queue: it may lower a
    // quantity below what it handed over meanwhile, which the daemon refuses (invariant 3 then
    // waits for the POS to take it back). Such runs are compared with each other, not judged.
    if (options_.feed != Feed::kAtOnce) {
      invariants_broken_ += static_cast<int64_t>(broken.size());
      return;
    }
    std::string what = "invariants broken:";
    for (const auto& b : broken) what += "\n    " + b;
    Fail(last, /*duplicate=*/false, what);
  }

  void Fail(const Message& m, bool duplicate, const std::string& what) {
    failed_ = true;
    std::ostringstream o;
    o << "seed " << options_.seed << " (replay: SO_SCENARIO_SEED=" << options_.seed
      << "), message #" << sent_ << (duplicate ? " delivered again" : "") << ": " << Describe(m)
      << "\n  " << what << "\n  its audit trail:";
    for (const auto& a : store_.db.audit) {
      if (a.message_id != m.envelope.id) continue;
      o << "\n    [" << a.rule << "] " << a.decision << " (special order "
        << (a.special_order_id ? std::to_string(*a.special_order_id) : "-") << "): " << a.detail;
    }
    o << "\n  the messages before it:";
    for (const auto& before : recent_) o << "\n    " << Describe(before);
    o << "\n  rules:\n" << rules_text_;
    ADD_FAILURE() << o.str();
  }

  RunOptions options_;
  Rng rng_;
  Rng queue_rng_;
  struct Queued {
    Message m;
    bool duplicate;
  };
  std::vector<Queued> queue_;
  size_t next_flush_ = 1;
  std::vector<std::string> fate_log_;
  int64_t invariants_broken_ = 0;  // queued runs only: counted, not failed
  size_t audit_checked_ = 0;       // audit rows checked so far
  fakes::FakeStore store_;
  fakes::FakeEventSink sink_;
  std::unique_ptr<Outbox> outbox_;
  fakes::FakeDeadLetters dead_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Processor> processor_;
  std::string rules_text_;

  int64_t sent_ = 0;
  int64_t nights_ = 0;  // microseconds of the nights passed (Night)
  int64_t deliveries_ = 0;
  int64_t duplicates_seen_ = 0;
  bool failed_ = false;
  Id last_order_ = 0;
  Id last_shipment_ = 0;
  Id last_so_seen_ = 0;
  std::map<Id, std::vector<Id>> lines_of_order_;
  std::map<Id, Id> so_of_line_;
  std::vector<Id> all_;                               // every special order, in id order
  std::set<Id> live_;                                 // those neither completed nor cancelled
  std::set<Id> open_orders_;                          // customer orders the POS still has open
  std::map<Id, std::vector<TransferLine>> received_;  // what each received transfer brought
  std::deque<Message> recent_;
  // Arrival pop-ups (special_order.arrived) not answered yet: just shown, and left for later.
  std::deque<std::pair<ArrivalKind, Id>> new_popups_, popups_;
  std::map<std::string, std::map<std::string, int64_t>> fates_;
  std::map<std::string, int64_t> refusals_;
  size_t live_sum_ = 0, live_max_ = 0,
         steps_ =
             0;  // live special orders, over the steps  // reason, digits left out -> how often
};

// Runs one seed and reports what it did; the seed is printed first so that any failure, even a
// crash, can be replayed.
std::unique_ptr<Scenario> Play(RunOptions options, const char* how) {
  std::cout << "[ scenario ] seed " << options.seed << " (" << how
            << "; replay with env SO_SCENARIO_SEED=" << options.seed << "), " << options.messages
            << " messages" << (options.deliver_twice ? ", each delivered twice" : "") << std::endl;
  const auto start = std::chrono::steady_clock::now();
  auto scenario = std::make_unique<Scenario>(options);
  std::cout << "[ scenario ] rules:\n" << scenario->rules_text() << std::endl;
  scenario->Run();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::cout << "[ scenario ] " << scenario->deliveries() << " deliveries in " << ms << " ms\n"
            << scenario->Summary() << std::flush;
  return scenario;
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The first lines (at most 10) where `a` and `b` differ, as text; empty when they are equal.
std::string Diff(const std::vector<std::string>& a, const std::string& a_name,
                 const std::vector<std::string>& b, const std::string& b_name) {
  std::ostringstream diff;
  int shown = 0;
  for (size_t i = 0; i < std::max(a.size(), b.size()) && shown < 10; ++i) {
    const std::string& la = i < a.size() ? a[i] : "<end>";
    const std::string& lb = i < b.size() ? b[i] : "<end>";
    if (la == lb) continue;
    diff << "\n  line " << i + 1 << "\n    " << a_name << ": " << la << "\n    " << b_name << ": "
         << lb;
    ++shown;
  }
  if (shown > 0) diff << "\n  (" << a.size() << " lines against " << b.size() << ")";
  return diff.str();
}

inline uint64_t SeedFromTheClock() {
  std::random_device device;
  const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
  return (static_cast<uint64_t>(device()) << 32) ^ static_cast<uint64_t>(ticks);
}


}  // namespace
}  // namespace so
