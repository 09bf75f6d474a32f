#include "adapters/zmq_publisher.hpp"

#include <array>
#include <cstdio>
#include <zmq_addon.hpp>

#include "adapters/json_codec.hpp"

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

Publisher::Publisher(zmq::context_t& ctx, std::string endpoint, const std::string& source_name,
                     Timestamp started_at)
    : socket_(ctx, zmq::socket_type::pub),
      endpoint_(std::move(endpoint)),
      source_(source_name + "#" + FormatRfc3339(started_at)) {
  // Ids must stay within the contract's 64 characters however long the source is, and unique
  // across instances: a hash of the source, then the seq.
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (unsigned char c : source_) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  id_prefix_ = std::string("sod-") + hex + "-";
}

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

Status Publisher::Publish(const OutEvent& event) {
  const std::string type = EventType(event);
  const uint64_t seq = seq_ + 1;
  const std::string body =
      json::EncodeEvent(event, id_prefix_ + std::to_string(seq), source_, seq, Now());
  try {
    // PUB never blocks: a subscriber past its high-water mark loses the event, as the contract's
    // PUB/SUB does; the POS re-reads the database for what it missed.
    std::array<zmq::const_buffer, 2> frames = {zmq::buffer(type), zmq::buffer(body)};
    if (!zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait)) {
      return Error{ErrorKind::kTransient, EAGAIN, "event socket would block"};
    }
  } catch (const zmq::error_t& e) {
    return ZmqError("cannot publish " + type, e);
  }
  seq_ = seq;
  return Status();
}

}  // namespace so::zmqbus
