// The POS side of the bus: a SUB socket drained by a reader thread of its own into a receive
// queue bounded in bytes, each message decoded there, and handed to the io_context's thread in
// batches of what is already queued. Start(), Resume(), Stop() and the handler belong to the
// thread that runs the io_context; the reader thread is internal.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>
#include <zmq.hpp>

#include "rules/processor.hpp"

namespace so::zmqbus {

// The prefixes the contract says the daemon subscribes to (CONTRACT section 2).
inline const std::vector<std::string> kPosTopics = {"order.", "backoffice.", "po.", "shipment.",
                                                    "transfer."};

// A message that could not be decoded, with its frames as they came (for the dead letter).
struct Undecodable {
  std::optional<std::string> message_id;  // when the envelope had a valid one
  std::string topic;
  std::string raw;
  std::string reason;
};

// A valid message of a type the contract does not define, under a subscribed prefix (a newer
// POS's `order.voided`): the bus carries more than special orders. It is counted and skipped,
// never dead-lettered; its seq still counts, so that it is not taken for a gap.
struct UnknownType {
  Envelope envelope;
};

// One message off the bus.
using Inbound = std::variant<Delivery, Undecodable, UnknownType>;

// Decodes the frames of one message (CONTRACT section 2: topic and JSON body).
Inbound Decode(std::vector<std::string> frames);

// What a queued message costs: its strings and vectors as allocated, with the allocator's
// overhead, and the queue's own slot. Used to hold the queue to its bound in bytes.
size_t QueuedBytes(const Inbound& message);

struct SubscriberOptions {
  std::string endpoint;  // the POS PUB endpoint to connect to
  std::vector<std::string> prefixes = kPosTopics;
  // ZMQ_RCVHWM: messages ZeroMQ queues in front of the receive queue. The reader thread drains
  // them as they come, so they queue only while the receive queue is full; beyond it the POS's
  // PUB drops them and the seq gap shows it. Default 10000.
  int receive_high_water_mark = 10000;
  // ZMTP heartbeat interval, ms; a peer silent for 3 intervals is dropped and reconnected.
  // 0 disables. Default 2000.
  int heartbeat_interval_ms = 2000;
  // Bytes of decoded messages the receive queue holds at most (QueuedBytes()); when it is full
  // the reader stops reading. Default 32 MiB.
  size_t receive_queue_bytes = size_t{32} << 20;
  // Messages handed over at most in one batch. Default 1024.
  size_t max_batch = 1024;
};

class Subscriber {
 public:
  // Called with every message queued when it runs (up to max_batch), never waiting for more;
  // returns false to pause (the messages were handled or kept by the handler, either way they
  // are not handed over again).
  using Handler = std::function<bool(std::vector<Inbound>&&)>;

  Subscriber(boost::asio::io_context& io, zmq::context_t& ctx, SubscriberOptions options);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Called on the io_context when the reader thread stopped on an error it cannot get past
  // (nothing more will be received), with the error.
  using Failed = std::function<void(const std::string& why)>;

  // Connects, subscribes and starts the reader thread; batches flow to `handler` from the
  // io_context.
  Status Start(Handler handler, Failed failed = nullptr);
  void Resume();
  // Stops reading and joins the reader thread; what is queued is dropped with the socket (the
  // POS re-publishes, the sweep catches up).
  void Stop();

  struct Stats {
    uint64_t received = 0;    // messages read off the socket
    size_t queued = 0;        // in the receive queue now
    size_t queued_bytes = 0;  // QueuedBytes() of those
    size_t peak_bytes = 0;    // the most the queue held
    uint64_t times_full = 0;  // times the reader stopped at the bound
  };
  Stats stats() const;
  // The error that stopped the reader thread, if one did.
  std::optional<std::string> reader_error() const;
  // Whether the SUB socket holds a connection to the POS, its ZMTP handshake done (a ZeroMQ
  // socket monitor read by the reader thread; false again when it disconnects, heartbeats
  // included). inproc:// endpoints produce no monitor events: they count as connected from
  // Start(). Any thread.
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

 private:
  void ReadLoop();
  // One turn of the reader: the monitor, room in the queue, then what the socket has. False when
  // the reader should end (stopping); throws what it cannot get past.
  bool ReadOnce();
  // Takes in the messages that are there, up to the bound; false when the socket has no more.
  bool ReadSome();
  // Records why the reader thread stops and tells the io_context's thread (failed_).
  void Fail(std::string why);
  // Reads the socket monitor's events that are there and updates connected_.
  void ReadMonitor();
  // On the io_context: hands the next batch over.
  void Deliver();
  // Posts Deliver() unless it is posted already; called with mu_ held.
  void WakeLocked();

  boost::asio::io_context& io_;
  zmq::context_t& ctx_;
  zmq::socket_t socket_;   // the reader thread's once started
  zmq::socket_t monitor_;  // PAIR receiving socket_'s monitor events; the reader thread's too
  std::atomic<bool> connected_{false};
  SubscriberOptions options_;
  Handler handler_;
  Failed failed_;
  std::thread reader_;

  mutable std::mutex mu_;
  std::condition_variable space_;  // the queue has room again, or stopping
  std::deque<Inbound> queue_;
  size_t queued_bytes_ = 0;
  // Queued since the heap was last given back (malloc_trim) once the queue drained.
  size_t bytes_since_trim_ = 0;
  bool posted_ = false;  // a Deliver() is posted and has not started
  bool stopping_ = false;
  Stats stats_;
  std::optional<std::string> reader_error_;

  // The io_context's thread only.
  bool paused_ = false;
  bool started_ = false;
};

}  // namespace so::zmqbus
