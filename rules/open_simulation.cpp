#include "rules/open_simulation.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "rules/batch_view.hpp"
#include "rules/queries.hpp"
#include "rules/recorder.hpp"
#include "rules/service.hpp"

namespace so {
namespace {

const char* ToText(OnRequest o) { return o == OnRequest::kWait ? "wait" : "order"; }

const char* ToText(AllocationMode m) {
  return m == AllocationMode::kOnConfirmation ? "on_confirmation" : "immediate";
}

// Inside the caller's transaction.
Result<OpenDecision> Decide(const Engine& engine, HostStore& store, const SpecialOrder& so,
                            Timestamp now) {
  OpenDecision d;
  SO_ASSIGN_OR_RETURN(auto product, store.GetProduct(so.product_id));
  const auto sel = engine.rules().Select(
      MatchKey{so.store_id, so.product_id, product ? product->primary_vendor_id : std::nullopt,
               so.customer_id});
  d.on_request = sel.settings.on_request;
  d.on_request_rule = sel.rule;

  // The batch view keeps every write in memory and is never flushed; what it sends on at once
  // the dry run answers without writing.
  DryRunStore dry(store);
  BatchView view(dry);
  Recorder capture(view, Recorder::Mode::kCapture);
  Message m;
  m.envelope = Envelope{1,
                        "simulate-open:" + std::to_string(so.id),
                        "backoffice.special_order.order",
                        "special-ordersd simulate",
                        0,
                        now};
  m.payload = BackofficeOrder{so.id, std::nullopt, std::nullopt, "simulate --open"};
  SO_ASSIGN_OR_RETURN(Outcome outcome, engine.Apply(m, capture));
  if (outcome.disposition == Disposition::kRefused) d.refusal = outcome.detail;
  SO_ASSIGN_OR_RETURN(FlightRecord record, capture.Finish(m, outcome));
  for (SoDecision& x : record.decisions) {
    if (x.order_line_id == so.order_line_id) d.order = std::move(x);
  }
  d.rule = RuleOf(d.order);
  return d;
}

}  // namespace

Result<OpenDecision> DecideOrderNow(const Engine& engine, HostStore& store, const SpecialOrder& so,
                                    Timestamp now) {
  SO_RETURN_IF_ERROR(store.Begin());
  Result<OpenDecision> d = Decide(engine, store, so, now);
  store.Rollback();
  return d;
}

std::vector<Aspect> CompareOpen(const OpenDecision& current, const OpenDecision& candidate) {
  std::vector<Aspect> out;
  if (current.on_request != candidate.on_request) {
    out.push_back({"on_request", ToText(current.on_request), ToText(candidate.on_request)});
  }
  if (current.order || candidate.order) {
    for (Aspect& a : Compare(current.order, candidate.order)) out.push_back(std::move(a));
  }
  return out;
}

QueueSide QueueUnder(const RuleSet& rules, Id store_id, Id product_id, std::optional<Id> vendor_id,
                     std::vector<SpecialOrder> waiting) {
  const auto sel = rules.Select(MatchKey{store_id, product_id, vendor_id, std::nullopt});
  QueueSide q;
  q.rule = sel.rule;
  q.service_order = sel.settings.service_order;
  q.allocation = sel.settings.allocation;
  q.transfer_allocation = sel.settings.transfer_allocation;
  q.status_after_allocation = sel.settings.status_after_allocation;
  SortForService(rules, sel.settings, waiting);
  for (const SpecialOrder& so : waiting) q.order.push_back(so.id);
  return q;
}

Result<OpenSimulationReport> SimulateOpen(const Engine& current, const Engine& candidate,
                                          HostStore& store,
                                          const std::vector<SpecialOrder>& in_request,
                                          const std::vector<SpecialOrder>& waiting, Timestamp now) {
  OpenSimulationReport r;
  std::vector<SpecialOrder> requests = in_request;
  std::sort(requests.begin(), requests.end(),
            [](const SpecialOrder& a, const SpecialOrder& b) { return a.id < b.id; });
  for (const SpecialOrder& so : requests) {
    ++r.in_request;
    Result<OpenDecision> a = DecideOrderNow(current, store, so, now);
    Result<OpenDecision> b = a.ok() ? DecideOrderNow(candidate, store, so, now) : a;
    if (!b.ok() || !a.ok()) {
      const Error& e = a.ok() ? b.error() : a.error();
      if (e.kind == ErrorKind::kConnection) return e;
      r.failures.push_back({so.id, e.ToString()});
      continue;
    }
    std::vector<Aspect> aspects = CompareOpen(*a, *b);
    if (aspects.empty()) continue;
    for (const Aspect& x : aspects) ++r.by_aspect[x.name];
    ++r.by_store[so.store_id];
    r.requests.push_back({so, std::move(*a), std::move(*b), std::move(aspects)});
  }

  std::map<StockKey, std::vector<SpecialOrder>> queues;
  std::set<Id> product_ids;
  for (const SpecialOrder& so : waiting) {
    if (!queries::Waits(so)) continue;
    queues[{so.store_id, so.product_id}].push_back(so);
    product_ids.insert(so.product_id);
  }
  std::map<Id, std::optional<Id>> primary;
  if (!product_ids.empty()) {
    SO_RETURN_IF_ERROR(store.Begin());
    Result<std::vector<Product>> products =
        store.GetProducts(std::vector<Id>(product_ids.begin(), product_ids.end()));
    store.Rollback();
    if (!products.ok()) return products.error();
    for (const Product& p : *products) primary[p.id] = p.primary_vendor_id;
  }
  for (const auto& [key, rows] : queues) {
    ++r.queues;
    QueueDifference d;
    d.store_id = key.first;
    d.product_id = key.second;
    std::set<Id> vendors;
    for (const SpecialOrder& so : rows) {
      if (so.vendor_id) vendors.insert(*so.vendor_id);
    }
    d.vendor_id = vendors.size() == 1 ? std::optional<Id>(*vendors.begin()) : primary[key.second];
    d.current = QueueUnder(current.rules(), d.store_id, d.product_id, d.vendor_id, rows);
    d.candidate = QueueUnder(candidate.rules(), d.store_id, d.product_id, d.vendor_id, rows);
    const auto differ = [&d](const char* name, std::string_view was, std::string_view would) {
      if (was != would) d.settings.push_back({name, std::string(was), std::string(would)});
    };
    differ("service_order", ToString(d.current.service_order), ToString(d.candidate.service_order));
    differ("allocation", ToText(d.current.allocation), ToText(d.candidate.allocation));
    differ("transfer_allocation", ToText(d.current.transfer_allocation),
           ToText(d.candidate.transfer_allocation));
    differ("status_after_allocation", ToString(d.current.status_after_allocation),
           ToString(d.candidate.status_after_allocation));
    std::map<Id, int64_t> was;
    for (size_t i = 0; i < d.current.order.size(); ++i) {
      was[d.current.order[i]] = static_cast<int64_t>(i + 1);
    }
    for (size_t i = 0; i < d.candidate.order.size(); ++i) {
      const Id id = d.candidate.order[i];
      const auto would = static_cast<int64_t>(i + 1);
      if (was[id] != would) d.moves.push_back({id, was[id], would});
    }
    if (!d.settings.empty() || !d.moves.empty()) r.queue_differences.push_back(std::move(d));
  }
  return r;
}

}  // namespace so
