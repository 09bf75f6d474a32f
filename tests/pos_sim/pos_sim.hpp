// A stand-in for the host POS, for the integration tests and the demo: it writes the POS's own
// rows (committed before it publishes, as the POS does), publishes the contract's messages on a
// real ZeroMQ socket, and watches the daemon's events. Not thread-safe; one owner.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "adapters/json_codec.hpp"
#include "rules/messages.hpp"
#include "tests/support/test_db.hpp"

namespace so::testing {

class PosBus {
 public:
  // Where a POS instance's numbering stands: the last seq it used and its simulated clock.
  struct Position {
    uint64_t seq = 0;
    Timestamp clock;
  };

  // Binds the POS's PUB side (an XPUB, so that it can see the daemon subscribe) and connects a
  // SUB to the daemon's events. With `from`, the bus goes on where another bus of the same
  // source stopped (the same POS instance whose PUB socket went away and came back: next seq,
  // clock going on); otherwise it starts at seq 1 and the clock's fixed start.
  PosBus(const std::string& pos_endpoint, const std::string& events_endpoint,
         std::string source = "pos-sim", std::optional<Position> from = std::nullopt);

  // Waits until the daemon has subscribed to every contract prefix and our event SUB is
  // connected to the daemon's PUB. Throws on timeout.
  void WaitForDaemon(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Publishes a message with the next seq and returns its id (generated unless given).
  // occurred_at is a simulated clock: one second per message from a fixed start, so that two runs
  // of a scenario write identical rows.
  std::string Publish(const Payload& payload, std::string id = "");
  // A message of a type the contract does not define (a newer POS's `order.voided`), with the
  // next seq, as a POS publishes it among the others; returns its id.
  std::string PublishOtherType(const std::string& type, const std::string& payload_json);
  // Uses up `n` seqs without publishing: messages the daemon never gets (a gap).
  void Lose(uint64_t n) { seq_ += n; }
  // The same bytes again under the same id, as the POS does after its restart.
  void Republish(const std::string& id);
  // Arbitrary frames (malformed messages).
  void SendFrames(const std::vector<std::string>& frames);

  // Every event the daemon published since the last call, waiting up to `wait` for the first.
  std::vector<json::DecodedEvent> TakeEvents(std::chrono::milliseconds wait);

  const std::vector<std::string>& sent_ids() const { return sent_ids_; }
  Timestamp clock() const { return clock_; }
  Position position() const { return Position{seq_, clock_}; }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t pub_;
  zmq::socket_t events_;
  zmq::socket_t monitor_;  // handshake events of events_
  bool events_connected_ = false;
  std::string source_;
  uint64_t seq_ = 0;
  Timestamp clock_;
  std::vector<std::string> sent_ids_;
  std::map<std::string, std::pair<std::string, std::string>> sent_;  // id -> (topic, body)
};

// A POS screen apart from the bus: a SUB of its own to the daemon's events, which a test opens and
// closes to play a screen that was away.
class EventScreen {
 public:
  explicit EventScreen(const std::string& events_endpoint);
  // As PosBus::TakeEvents().
  std::vector<json::DecodedEvent> TakeEvents(std::chrono::milliseconds wait);

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t events_;
};

// Waits until the daemon has recorded the message: in its inbox (applied or refused) or among
// its dead letters. Throws with the daemon's state on timeout.
void WaitProcessed(TestDatabase& db, const std::string& message_id,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));

// The POS's own writes, as the POS commits them before it publishes.
class PosWorld {
 public:
  explicit PosWorld(TestDatabase& db) : db_(db) {}

  // Stores 1-2, vendors 10 (Acme, primary), 11 (Budget), 12 (Express), 13 (inactive), products
  // 100 (oak chair, primary 10), 101 (walnut desk, no primary vendor), 102 (gift card, not
  // special-orderable), a few customers; no stock.
  void LoadDemoData();
  // A new open order with one line of `qty` marked as special order.
  void CreateOrderWithSpecialLine(Id order_id, Id line_id, Id store_id, Id customer_id,
                                  Id product_id, Qty qty);
  void SetPoStatus(Id po_id, const std::string& status);
  // Writes the shipment `completed` with its lines, adds the quantities to on_hand and to the
  // PO lines' quantity_received; returns the lines for the message.
  std::vector<ShipmentLine> CompleteShipment(Id shipment_id, Id po_id,
                                             const std::vector<std::pair<Id, Qty>>& line_qty);
  // The PO line the daemon put the product on.
  Id PoLineOf(Id po_id, Id product_id);
  // Sets the stock row's on_hand, creating the row if the store never stocked the product (stock
  // counted, sold or received some way the daemon does not hear of).
  void SetOnHand(Id store_id, Id product_id, Qty qty);
  // One more line on an existing order, marked as special order for `qty`.
  void AddSpecialLine(Id order_id, Id line_id, Id product_id, Qty qty);
  // The clerk changes the line's special_order_qty (0: the special order is removed); the line's
  // quantity is raised to it when it was lower.
  void ChangeSpecialOrderQty(Id line_id, Qty qty);
  // Sets the order's status to cancelled.
  void CancelOrder(Id order_id);
  // Hands `qty` of the line over to the customer and takes it off stock.on_hand of the order's
  // store; returns the message that announces it.
  OrderPickedUp PickUp(Id line_id, Qty qty);
  // Receives the transfer: moves on_hand of each line from the sending to the receiving store and
  // sets the transfer received; returns the message that announces it.
  TransferReceived ReceiveTransfer(Id transfer_id, const std::vector<TransferLine>& lines);

 private:
  TestDatabase& db_;
};

// The invariants of CONTRACT section 5 over the real database: one readable line per broken
// one, empty when all hold. Assumes the daemon is the only writer of committed and backordered,
// and that nothing was sold meanwhile, as in the tests. The same logic as
// tests/fakes/invariants.cpp over the fake: committed counts what is allocated and not yet picked
// up (sod_pickups), and a PO line must order what its vendor-sourced special orders still wait
// for.
std::vector<std::string> CheckInvariants(TestDatabase& db);

}  // namespace so::testing
