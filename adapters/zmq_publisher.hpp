// The daemon's side of the bus: its PUB socket, as the rules' EventSink (CONTRACT section 4).
// Belongs to the thread that runs the io_context.
#pragma once

#include <string>
#include <zmq.hpp>

#include "rules/ports.hpp"

namespace so::zmqbus {

// Publishes the daemon's events (CONTRACT section 4) as the outbox encoded them, with their
// envelope (rules/outbox.hpp): the same bytes each time an event is sent again.
class Publisher final : public EventSink {
 public:
  Publisher(zmq::context_t& ctx, std::string endpoint);

  Status Bind();

  // so::EventSink
  Status Publish(const StampedEvent& event) override;

 private:
  zmq::socket_t socket_;
  std::string endpoint_;
};

}  // namespace so::zmqbus
