// The engine's test fixture: the in-memory fake store with a small catalogue, a Processor in
// front of the Engine, and helpers that play the POS's part. Every message sent is followed by
// a check of the contract's invariants. Single-threaded.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>

#include "rules/clock_scan.hpp"
#include "rules/engine.hpp"
#include "rules/processor.hpp"
#include "tests/fakes/fake_store.hpp"
#include "tests/fakes/invariants.hpp"

namespace so {

constexpr Id kStore = 1, kOtherStore = 2;
constexpr Id kProduct = 100, kProduct2 = 101;
constexpr Id kPrimary = 10, kCheap = 11, kFast = 12;
constexpr Id kCustomer = 7, kTradeCustomer = 8;

inline Timestamp At(int64_t minute) {
  return Timestamp{int64_t{1'800'000'000} * 1'000'000 + minute * 60'000'000};
}

template <typename T>
std::vector<T> EventsOf(const std::vector<OutEvent>& events) {
  std::vector<T> out;
  for (const auto& e : events) {
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  }
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& db = store_.db;
    for (Id s : {kStore, kOtherStore}) db.AddStore(s);
    for (Id v : {kPrimary, kCheap, kFast}) db.AddVendor(v);
    db.AddProduct(kProduct, kPrimary);
    db.AddProduct(kProduct2, std::nullopt);
    db.AddOffer(kProduct, kPrimary, "5.0000", 7);
    db.AddOffer(kProduct, kCheap, "4.5000", 10);
    db.AddOffer(kProduct, kFast, "6.0000", 2);
    db.AddOffer(kProduct2, kCheap, "3.0000", 5);
    db.AddOffer(kProduct2, kFast, "3.5000", 1);
  }

  // Rebuilds the engine from `defaults_` and `rules_`.
  Engine& engine() {
    engine_ = std::make_unique<Engine>(RuleSet(defaults_, rules_, "test"));
    if (!outbox_) outbox_ = fakes::OpenOutbox(store_, sink_);
    processor_ = std::make_unique<Processor>(
        *engine_, store_, dead_, *outbox_, RetryPolicy{},
        [this](std::chrono::milliseconds d) { slept_.push_back(d); },
        [this] {
          ++reconnects_;
          return reconnect_result_;
        });
    return *engine_;
  }

  Processed Send(Payload payload, std::string id = "") {
    if (!engine_) engine();
    ++seq_;
    Message m{Envelope{1, id.empty() ? "msg-" + std::to_string(seq_) : id, "test", "pos", seq_,
                       At(static_cast<int64_t>(seq_))},
              std::move(payload)};
    sink_.published.clear();
    Processed r = processor_->Process(m, "test", "{}");
    EXPECT_FALSE(store_.in_transaction());
    if (check_invariants_) {
      EXPECT_THAT(fakes::CheckInvariants(store_.db), ::testing::IsEmpty())
          << "after " << m.envelope.id;
    }
    return r;
  }

  // The POS marks a line and publishes the request.
  Processed Request(Id order, Id line, Qty qty, Id product = kProduct, Id store = kStore,
                    Id customer = kCustomer) {
    store_.db.AddOrderWithLine(order, line, store, product, qty, customer);
    return Send(SpecialOrderRequested{order, line, store, customer, product, qty, At(order)});
  }

  const SpecialOrder& SoOfLine(Id line) {
    for (const auto& [id, so] : store_.db.special_orders) {
      if (so.order_line_id == line) return so;
    }
    throw std::runtime_error("no special order for line " + std::to_string(line));
  }

  // The POS completes a shipment of `qty` for the PO line the special order of `line` is on.
  Processed Ship(Id shipment, Id line, Qty qty) {
    const SpecialOrder& so = SoOfLine(line);
    store_.db.CompleteShipment(shipment, *so.po_id, {{*so.po_line_id, so.product_id, qty}});
    const auto& s = store_.db.shipments.at(shipment);
    return Send(ShipmentCompleted{shipment, s.po_id, s.store_id, s.vendor_id, s.lines});
  }

  // The POS receives the whole of a transfer the daemon requested (or `qty` of it).
  Processed ReceiveTransfer(Id transfer, std::optional<Qty> qty = std::nullopt) {
    const StoreTransfer& t = store_.db.transfers.at(transfer);
    std::vector<TransferLine> lines;
    for (const auto& l : t.lines) lines.push_back({l.product_id, qty.value_or(l.quantity)});
    store_.db.ReceiveTransfer(transfer, lines);
    return Send(TransferReceived{transfer, t.from_store_id, t.to_store_id, lines});
  }

  // The clerk changes the line's special-order quantity.
  Processed ChangeLine(Id line, Qty qty) {
    OrderLine& l = store_.db.lines.at(line);
    l.special_order_qty = qty;
    return Send(OrderLineChanged{l.order_id, line, qty});
  }

  Processed CancelOrder(Id order) {
    store_.db.orders.at(order).status = "cancelled";
    return Send(OrderCancelled{order});
  }

  // The POS hands `qty` of the line over and takes it off on_hand.
  Processed PickUp(Id line, Qty qty) {
    const OrderLine& l = store_.db.lines.at(line);
    const CustomerOrder& o = store_.db.orders.at(l.order_id);
    store_.db.SetOnHand(o.store_id, l.product_id,
                        store_.db.Stock(o.store_id, l.product_id).on_hand - qty);
    return Send(OrderPickedUp{l.order_id, {{line, qty}}});
  }

  // The daemon's clock looks at `now` (the tests' fake clock), through the inbox as the daemon's
  // does, in pages of `batch`.
  OwnMessagesTally Tick(Timestamp now, int batch = 500) {
    if (!engine_) engine();
    sink_.published.clear();
    OwnMessagesTally r = ClockScanner(store_, *processor_, batch).Tick(now);
    EXPECT_FALSE(store_.in_transaction());
    if (check_invariants_) {
      EXPECT_THAT(fakes::CheckInvariants(store_.db), ::testing::IsEmpty())
          << "after the clock at " << FormatRfc3339(now);
    }
    return r;
  }

  // The last audit row of `decision`.
  const AuditEntry& LastAudit(const std::string& decision) const {
    for (auto it = store_.db.audit.rbegin(); it != store_.db.audit.rend(); ++it) {
      if (it->decision == decision) return *it;
    }
    throw std::runtime_error("no audit row " + decision);
  }

  // Off only around a POS edit the daemon refuses and the POS takes back.
  bool check_invariants_ = true;
  Settings defaults_;
  std::vector<Rule> rules_;
  fakes::FakeStore store_;
  fakes::FakeEventSink sink_;
  std::unique_ptr<Outbox> outbox_;
  fakes::FakeDeadLetters dead_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Processor> processor_;
  std::vector<std::chrono::milliseconds> slept_;
  int reconnects_ = 0;
  Status reconnect_result_;  // what each reconnect returns
  uint64_t seq_ = 0;
};

}  // namespace so
