// The daemon's side of the bus: its PUB socket, as the rules' EventSink (CONTRACT section 4).
// Belongs to the thread that runs the io_context.
#pragma once

#include <cstdint>
#include <string>
#include <zmq.hpp>

#include "rules/ports.hpp"
#include "rules/timestamp.hpp"

namespace so::zmqbus {

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

}  // namespace so::zmqbus
