#include "adapters/zmq_publisher.hpp"

#include <array>
#include <zmq_addon.hpp>

namespace so::zmqbus {
namespace {

// Events queued per subscriber before PUB drops them (ZMQ_SNDHWM). A batch publishes all its
// events at once after its commit (three for a request: 768 for a batch of 256), faster than
// the I/O thread hands them to the socket: ZeroMQ's default of 1,000 dropped events of the next
// batches while a subscriber was keeping up. About 300 bytes each, so at most some 30 MB for a
// subscriber that stopped reading.
constexpr int kEventHighWaterMark = 100'000;

Error ZmqError(const std::string& what, const zmq::error_t& e) {
  return Error{ErrorKind::kPermanent, e.num(), what + ": " + e.what()};
}

}  // namespace

Publisher::Publisher(zmq::context_t& ctx, std::string endpoint)
    : socket_(ctx, zmq::socket_type::pub), endpoint_(std::move(endpoint)) {}

Status Publisher::Bind() {
  try {
    socket_.set(zmq::sockopt::linger, 1000);
    socket_.set(zmq::sockopt::sndhwm, kEventHighWaterMark);
    socket_.bind(endpoint_);
  } catch (const zmq::error_t& e) {
    return ZmqError("cannot bind the event socket to " + endpoint_, e);
  }
  return Status();
}

Status Publisher::Publish(const StampedEvent& event) {
  const std::string& type = event.envelope.type;
  const std::string& body = event.body;
  try {
    // PUB never blocks: a subscriber past its high-water mark loses the event, as the contract's
    // PUB/SUB does; the jump in seq tells it, and it reads what it missed from sod_outbox.
    std::array<zmq::const_buffer, 2> frames = {zmq::buffer(type), zmq::buffer(body)};
    if (!zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait)) {
      return Error{ErrorKind::kTransient, EAGAIN, "event socket would block"};
    }
  } catch (const zmq::error_t& e) {
    return ZmqError("cannot publish " + type, e);
  }
  return Status();
}

}  // namespace so::zmqbus
