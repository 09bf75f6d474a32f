#include "adapters/zmq_subscriber.hpp"

#include <malloc.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstring>
#include <zmq_addon.hpp>

#include "adapters/json_codec.hpp"

namespace so::zmqbus {
namespace {

// A draft context option of libzmq 4.3 (ZMQ_ZERO_COPY_RECV, under ZMQ_BUILD_DRAFT_API in zmq.h).
// With it on (libzmq's default) a received message larger than 33 bytes points into the 8 KiB
// buffer the engine read it with, and keeps the whole buffer alive while it waits in a queue:
// messages that arrive one read at a time then cost 8 KiB each instead of their size.
constexpr int kZeroCopyRecv = 10;

// How long the reader waits for a message, or for room in the queue, before it looks whether it
// should stop.
constexpr std::chrono::milliseconds kReaderTick{100};

// Messages read in one go before the reader takes the lock again.
constexpr size_t kReadBurst = 512;

// What malloc adds to each allocation (its header and rounding), as glibc does on 64 bits.
constexpr size_t kMallocOverhead = 16;

// A queue that drained after holding this much gives its heap back (malloc_trim): glibc keeps
// freed small chunks in its arenas otherwise, and the process stays at its peak for good.
constexpr size_t kTrimAfterBytes = size_t{4} << 20;

Error ZmqError(const std::string& what, const zmq::error_t& e) {
  return Error{ErrorKind::kPermanent, e.num(), what + ": " + e.what()};
}

size_t HeapBytes(const std::string& s) {
  // Short strings live inside the object (SSO); longer ones own a block of capacity + 1.
  return s.capacity() > 15 ? s.capacity() + 1 + kMallocOverhead : 0;
}

template <typename T>
size_t HeapBytes(const std::vector<T>& v) {
  return v.capacity() > 0 ? v.capacity() * sizeof(T) + kMallocOverhead : 0;
}

size_t HeapBytes(const Envelope& e) {
  return HeapBytes(e.id) + HeapBytes(e.type) + HeapBytes(e.source);
}

struct PayloadBytes {
  size_t operator()(const OrderPickedUp& p) const { return HeapBytes(p.lines); }
  size_t operator()(const ShipmentCompleted& p) const { return HeapBytes(p.lines); }
  size_t operator()(const TransferReceived& p) const { return HeapBytes(p.lines); }
  size_t operator()(const BackofficeAllocate& p) const {
    return HeapBytes(p.user) + (p.special_order_ids ? HeapBytes(*p.special_order_ids) : 0);
  }
  size_t operator()(const BackofficeOrder& p) const { return HeapBytes(p.user); }
  size_t operator()(const BackofficeTransfer& p) const { return HeapBytes(p.user); }
  size_t operator()(const BackofficeCancel& p) const { return HeapBytes(p.user); }
  size_t operator()(const PoStatusChanged& p) const {
    return HeapBytes(p.status) + HeapBytes(p.previous_status);
  }
  template <typename P>
  size_t operator()(const P&) const {
    return 0;
  }
};

}  // namespace

Inbound Decode(std::vector<std::string> frames) {
  if (frames.size() != 2) {
    Undecodable bad;
    bad.topic = frames.empty() ? "" : frames[0];
    bad.raw = frames.size() > 1 ? frames[1] : "";
    bad.reason = "expected 2 frames, got " + std::to_string(frames.size());
    return bad;
  }
  auto decoded = json::DecodeMessage(frames[0], frames[1]);
  if (auto* err = std::get_if<json::DecodeError>(&decoded)) {
    if (err->unknown_type) return UnknownType{std::move(*err->unknown_type)};
    return Undecodable{std::move(err->message_id), std::move(frames[0]), std::move(frames[1]),
                       std::move(err->reason)};
  }
  return Delivery{std::move(std::get<Message>(decoded)), std::move(frames[0]),
                  std::move(frames[1])};
}

size_t QueuedBytes(const Inbound& message) {
  size_t bytes = sizeof(Inbound);
  if (const auto* d = std::get_if<Delivery>(&message)) {
    bytes += HeapBytes(d->topic) + HeapBytes(d->raw) + HeapBytes(d->message.envelope) +
             std::visit(PayloadBytes{}, d->message.payload);
  } else if (const auto* u = std::get_if<Undecodable>(&message)) {
    bytes += HeapBytes(u->topic) + HeapBytes(u->raw) + HeapBytes(u->reason) +
             (u->message_id ? HeapBytes(*u->message_id) : 0);
  } else {
    bytes += HeapBytes(std::get<UnknownType>(message).envelope);
  }
  return bytes;
}

Subscriber::Subscriber(boost::asio::io_context& io, zmq::context_t& ctx, SubscriberOptions options)
    : io_(io), ctx_(ctx), socket_(ctx, zmq::socket_type::sub), options_(std::move(options)) {}

Subscriber::~Subscriber() { Stop(); }

Status Subscriber::Start(Handler handler, Failed failed) {
  handler_ = std::move(handler);
  failed_ = std::move(failed);
  // Before the connection exists: the engine reads the option when it is made. Where libzmq has
  // no draft options the call fails and messages keep libzmq's default (more memory per message
  // queued inside ZeroMQ, which the receive queue's bound does not see).
  (void)zmq_ctx_set(ctx_.handle(), kZeroCopyRecv, 0);
  try {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, options_.receive_high_water_mark);
    if (options_.heartbeat_interval_ms > 0) {
      socket_.set(zmq::sockopt::heartbeat_ivl, options_.heartbeat_interval_ms);
      socket_.set(zmq::sockopt::heartbeat_timeout, 3 * options_.heartbeat_interval_ms);
    }
    for (const auto& p : options_.prefixes) socket_.set(zmq::sockopt::subscribe, p);
    // Before connecting, so that the first handshake is seen.
    const std::string monitor_endpoint =
        "inproc://so-subscriber-monitor-" + std::to_string(reinterpret_cast<uintptr_t>(this));
    if (zmq_socket_monitor(socket_.handle(), monitor_endpoint.c_str(),
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0) {
      throw zmq::error_t();
    }
    monitor_ = zmq::socket_t(ctx_, zmq::socket_type::pair);
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(monitor_endpoint);
    socket_.connect(options_.endpoint);
    connected_ = options_.endpoint.rfind("inproc://", 0) == 0;
  } catch (const zmq::error_t& e) {
    return ZmqError("cannot subscribe to " + options_.endpoint, e);
  }
  started_ = true;
  paused_ = false;
  // From here on the socket is the reader thread's (a ZeroMQ socket may move between threads
  // with a memory barrier, which starting the thread is).
  reader_ = std::thread([this] { ReadLoop(); });
  return Status();
}

void Subscriber::Resume() {
  if (!started_ || !paused_) return;
  paused_ = false;
  std::lock_guard lock(mu_);
  WakeLocked();
}

void Subscriber::Stop() {
  if (!started_) return;
  started_ = false;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
    queued_bytes_ = 0;
  }
  space_.notify_all();
  if (reader_.joinable()) reader_.join();
  socket_.close();
  monitor_.close();
  connected_ = false;
}

Subscriber::Stats Subscriber::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::optional<std::string> Subscriber::reader_error() const {
  std::lock_guard lock(mu_);
  return reader_error_;
}

void Subscriber::ReadLoop() {
  // Whatever stops this thread is told to the loop (Fail): a reader gone quiet would leave the
  // daemon running and receiving nothing.
  try {
    for (;;) {
      if (!ReadOnce()) return;
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != ETERM) Fail(std::string("the POS bus reader stopped: ") + e.what());
  } catch (const std::exception& e) {  // out of memory decoding, say: nothing more is read
    Fail(std::string("the POS bus reader stopped: ") + e.what());
  } catch (...) {
    Fail("the POS bus reader stopped on an unknown exception");
  }
}

bool Subscriber::ReadOnce() {
  try {
    ReadMonitor();  // also while the queue is full and the socket is not read
    {
      std::unique_lock lock(mu_);
      if (!space_.wait_for(lock, kReaderTick, [this] {
            return stopping_ || queued_bytes_ < options_.receive_queue_bytes;
          })) {
        return true;  // still full
      }
      if (stopping_) return false;
    }
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                               {monitor_.handle(), 0, ZMQ_POLLIN, 0}};
    if (zmq::poll(items, 2, kReaderTick) == 0) return true;
    if ((items[0].revents & ZMQ_POLLIN) == 0) return true;  // a monitor event: read next time
    while (ReadSome()) {
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return true;   // a signal is never an error for the reader
    if (e.num() == ETERM) return false;  // the context is closing: the process is stopping
    throw;
  }
  return true;
}

void Subscriber::Fail(std::string why) {
  std::lock_guard lock(mu_);
  reader_error_ = why;
  if (failed_ && !stopping_) {
    boost::asio::post(io_, [this, why = std::move(why)] {
      if (started_) failed_(why);
    });
  }
}

bool Subscriber::ReadSome() {
  size_t room = 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queued_bytes_ >= options_.receive_queue_bytes) return false;
    room = options_.receive_queue_bytes - queued_bytes_;
  }
  // Read and decoded without the lock; the bound may be passed by the last message read.
  std::vector<Inbound> read;
  std::vector<size_t> sizes;
  size_t bytes = 0;
  bool more = true;
  while (bytes < room && read.size() < kReadBurst) {
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(socket_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      more = false;
      break;
    }
    const auto received_at = std::chrono::steady_clock::now();
    std::vector<std::string> frames;
    for (auto& p : parts) frames.push_back(p.to_string());
    read.push_back(Decode(std::move(frames)));
    if (auto* d = std::get_if<Delivery>(&read.back())) d->received_at = received_at;
    sizes.push_back(QueuedBytes(read.back()));
    bytes += sizes.back();
  }
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  for (size_t i = 0; i < read.size(); ++i) {
    queue_.push_back(std::move(read[i]));
    queued_bytes_ += sizes[i];
    bytes_since_trim_ += sizes[i];
  }
  stats_.received += read.size();
  stats_.queued = queue_.size();
  stats_.queued_bytes = queued_bytes_;
  stats_.peak_bytes = std::max(stats_.peak_bytes, queued_bytes_);
  if (!read.empty()) WakeLocked();
  if (queued_bytes_ >= options_.receive_queue_bytes) {
    ++stats_.times_full;
    return false;
  }
  return more;
}

void Subscriber::ReadMonitor() {
  for (;;) {
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(monitor_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      return;
    }
    // Frame 1: the event (uint16) and its value (uint32), in host byte order; frame 2: the
    // endpoint.
    if (parts.empty() || parts[0].size() < sizeof(uint16_t)) continue;
    uint16_t event = 0;
    std::memcpy(&event, parts[0].data(), sizeof event);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) connected_ = true;
    if (event == ZMQ_EVENT_DISCONNECTED) connected_ = false;
  }
}

void Subscriber::WakeLocked() {
  if (posted_ || stopping_) return;
  posted_ = true;
  boost::asio::post(io_, [this] { Deliver(); });
}

void Subscriber::Deliver() {
  std::vector<Inbound> batch;
  {
    std::lock_guard lock(mu_);
    posted_ = false;
    if (!started_ || paused_) return;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      queued_bytes_ -= QueuedBytes(queue_.front());
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    stats_.queued = queue_.size();
    stats_.queued_bytes = queued_bytes_;
  }
  space_.notify_one();
  if (batch.empty()) return;
  const bool go_on = handler_(std::move(batch));
  if (!go_on) {
    paused_ = true;
    return;
  }
  bool trim = false;
  {
    std::lock_guard lock(mu_);
    if (!queue_.empty()) {
      WakeLocked();
    } else if (bytes_since_trim_ >= kTrimAfterBytes) {
      bytes_since_trim_ = 0;
      trim = true;
    }
  }
  if (trim) malloc_trim(0);
}

}  // namespace so::zmqbus
