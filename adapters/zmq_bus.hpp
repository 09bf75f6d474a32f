// The POS bus over ZeroMQ: a SUB socket read from an Asio io_context, and the daemon's PUB
// socket as the rules' EventSink. Both belong to the thread that runs the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "rules/ports.hpp"
#include "rules/timestamp.hpp"

namespace so::zmqbus {

// The prefixes the contract says the daemon subscribes to (CONTRACT section 2).
inline const std::vector<std::string> kPosTopics = {"order.", "backoffice.", "po.", "shipment.",
                                                    "transfer."};

struct SubscriberOptions {
  std::string endpoint;  // the POS PUB endpoint to connect to
  std::vector<std::string> prefixes = kPosTopics;
  // ZMQ_RCVHWM: messages queued while the daemon is busy or paused; beyond it the POS's PUB
  // drops them and the seq gap shows it. Default 100000.
  int receive_high_water_mark = 100000;
  // ZMTP heartbeat interval, ms; a peer silent for 3 intervals is dropped and reconnected.
  // 0 disables. Default 2000.
  int heartbeat_interval_ms = 2000;
};

struct Frames {
  std::vector<std::string> parts;  // every frame of one multipart message
};

class Subscriber {
 public:
  // Called for each message; returns false to pause reading (the message was handled, or kept
  // by the handler, either way not redelivered by the subscriber).
  using Handler = std::function<bool(Frames&&)>;

  Subscriber(boost::asio::io_context& io, zmq::context_t& ctx, SubscriberOptions options);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Connects and subscribes; messages flow to `handler` from the io_context.
  Status Start(Handler handler);
  void Pause() { paused_ = true; }
  void Resume();
  // Stops reading; queued messages stay in the socket until it is closed.
  void Stop();

 private:
  void Drain();
  void WaitReadable();

  boost::asio::io_context& io_;
  zmq::socket_t socket_;
  SubscriberOptions options_;
  boost::asio::posix::stream_descriptor fd_;
  Handler handler_;
  bool paused_ = false;
  bool stopped_ = true;
  bool waiting_ = false;
};

// Publishes the daemon's events (CONTRACT section 4) with its own envelope: `source` is the
// configured name plus the start time, since seq restarts at 1 with every start.
class Publisher final : public EventSink {
 public:
  Publisher(zmq::context_t& ctx, std::string endpoint, const std::string& source_name,
            Timestamp started_at);

  Status Bind();
  const std::string& source() const { return source_; }
  uint64_t published() const { return seq_; }

  // so::EventSink
  Status Publish(const OutEvent& event) override;

 private:
  zmq::socket_t socket_;
  std::string endpoint_;
  std::string source_;
  std::string id_prefix_;
  uint64_t seq_ = 0;
};

// The current wall-clock time.
Timestamp Now();

}  // namespace so::zmqbus
