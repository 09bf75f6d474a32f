#include "adapters/zmq_bus.hpp"

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <zmq_addon.hpp>

#include "adapters/json_codec.hpp"

namespace so::zmqbus {
namespace {

Error ZmqError(const std::string& what, const zmq::error_t& e) {
  return Error{ErrorKind::kPermanent, e.num(), what + ": " + e.what()};
}

// Messages read in one go before other handlers (signals, timers) get a turn.
constexpr int kDrainBatch = 256;

}  // namespace

Timestamp Now() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return Timestamp{us.count()};
}

Subscriber::Subscriber(boost::asio::io_context& io, zmq::context_t& ctx, SubscriberOptions options)
    : io_(io), socket_(ctx, zmq::socket_type::sub), options_(std::move(options)), fd_(io) {}

Subscriber::~Subscriber() {
  Stop();
  // The descriptor belongs to ZeroMQ: release it so Asio does not close it.
  if (fd_.is_open()) fd_.release();
}

Status Subscriber::Start(Handler handler) {
  handler_ = std::move(handler);
  try {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, options_.receive_high_water_mark);
    if (options_.heartbeat_interval_ms > 0) {
      socket_.set(zmq::sockopt::heartbeat_ivl, options_.heartbeat_interval_ms);
      socket_.set(zmq::sockopt::heartbeat_timeout, 3 * options_.heartbeat_interval_ms);
    }
    for (const auto& p : options_.prefixes) socket_.set(zmq::sockopt::subscribe, p);
    socket_.connect(options_.endpoint);
    if (!fd_.is_open()) fd_.assign(socket_.get(zmq::sockopt::fd));
  } catch (const zmq::error_t& e) {
    return ZmqError("cannot subscribe to " + options_.endpoint, e);
  }
  stopped_ = false;
  paused_ = false;
  boost::asio::post(io_, [this] { Drain(); });
  return Status();
}

void Subscriber::Resume() {
  if (stopped_ || !paused_) return;
  paused_ = false;
  boost::asio::post(io_, [this] { Drain(); });
}

void Subscriber::Stop() {
  stopped_ = true;
  if (fd_.is_open()) {
    boost::system::error_code ignored;
    fd_.cancel(ignored);
  }
}

// ZMQ_FD is edge-triggered: it signals when the socket's state changes, not while messages wait.
// So after every read the loop asks ZMQ_EVENTS, and only waits on the descriptor once no input
// is left; otherwise a burst would stall until the next message arrives.
void Subscriber::Drain() {
  if (stopped_ || paused_) return;
  for (int i = 0; i < kDrainBatch; ++i) {
    std::vector<zmq::message_t> parts;
    zmq::recv_result_t got;
    try {
      got = zmq::recv_multipart(socket_, std::back_inserter(parts), zmq::recv_flags::dontwait);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;  // a signal is never an error for the loop
      throw;
    }
    if (!got) break;
    Frames frames;
    for (auto& p : parts) frames.parts.push_back(p.to_string());
    if (!handler_(std::move(frames))) {
      paused_ = true;  // until Resume()
      return;
    }
    if (stopped_ || paused_) return;
  }
  if (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN) {
    boost::asio::post(io_, [this] { Drain(); });
  } else {
    WaitReadable();
  }
}

void Subscriber::WaitReadable() {
  if (waiting_) return;
  waiting_ = true;
  fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [this](const boost::system::error_code& ec) {
                   waiting_ = false;
                   if (!ec) Drain();
                 });
}

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
