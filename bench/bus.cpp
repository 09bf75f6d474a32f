#include "bench/bus.hpp"

#include <array>
#include <map>
#include <set>
#include <stdexcept>
#include <variant>
#include <zmq_addon.hpp>

#include "adapters/json_codec.hpp"

namespace so::bench {

BenchBus::BenchBus(const std::string& pos_endpoint, const std::string& events_endpoint)
    : BenchBus(pos_endpoint, std::vector<std::string>{events_endpoint}) {}

BenchBus::BenchBus(const std::string& pos_endpoint,
                   const std::vector<std::string>& events_endpoints)
    : pub_(ctx_, zmq::socket_type::xpub),
      events_(ctx_, zmq::socket_type::sub),
      monitor_(ctx_, zmq::socket_type::pair) {
  pub_.set(zmq::sockopt::linger, 0);
  pub_.set(zmq::sockopt::xpub_verbose, 1);
  pub_.set(zmq::sockopt::sndhwm, 0);
  pub_.bind(pos_endpoint);
  events_.set(zmq::sockopt::linger, 0);
  events_.set(zmq::sockopt::rcvhwm, 0);
  // Every event, as the POS screens take them; only special_order.* ones are decoded.
  events_.set(zmq::sockopt::subscribe, "");
  static std::atomic<int> monitors{0};
  const std::string monitor_endpoint = "inproc://bench-monitor-" + std::to_string(++monitors);
  if (zmq_socket_monitor(events_.handle(), monitor_endpoint.c_str(),
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0) {
    throw std::runtime_error("zmq_socket_monitor failed");
  }
  monitor_.connect(monitor_endpoint);
  if (events_endpoints.empty()) throw std::invalid_argument("BenchBus: no events endpoint");
  daemons_ = events_endpoints.size();
  for (const auto& e : events_endpoints) events_.connect(e);
}

BenchBus::~BenchBus() {
  stop_ = true;
  if (reader_.joinable()) reader_.join();
}

void BenchBus::WaitForDaemon(std::chrono::milliseconds timeout) {
  // Each daemon subscribes to each prefix once; the XPUB (verbose) passes every subscription on.
  std::map<std::string, size_t> wanted = {
      {"order.", daemons_}, {"po.", daemons_}, {"backoffice.", daemons_},
      {"shipment.", daemons_}, {"transfer.", daemons_}};
  const auto deadline = Clock::now() + timeout;
  zmq::message_t msg;
  while (!wanted.empty()) {
    if (Clock::now() > deadline) throw std::runtime_error("the daemon did not subscribe in time");
    zmq::pollitem_t item{pub_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    while (pub_.recv(msg, zmq::recv_flags::dontwait)) {
      const std::string s = msg.to_string();
      if (s.empty() || s[0] != 1) continue;
      const auto it = wanted.find(s.substr(1));
      if (it != wanted.end() && --it->second == 0) wanted.erase(it);
    }
  }
  for (size_t connected = 0; connected < daemons_;) {
    zmq::pollitem_t item{monitor_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    std::vector<zmq::message_t> parts;
    if (zmq::recv_multipart(monitor_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      ++connected;
    } else if (Clock::now() > deadline) {
      throw std::runtime_error("could not connect to the daemon's events in time");
    }
  }
  // The subscription travels after the handshake; give the daemon's PUB a moment to take it in.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  reader_ = std::thread([this] { Read(); });
}

Clock::time_point BenchBus::Publish(const Outgoing& m) {
  const auto at = Clock::now();
  std::array<zmq::const_buffer, 2> frames = {zmq::buffer(m.topic), zmq::buffer(m.body)};
  zmq::send_multipart(pub_, frames);
  return at;
}

void BenchBus::Read() {
  try {
    while (!stop_) {
      zmq::pollitem_t item{events_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
      for (;;) {
        std::vector<zmq::message_t> parts;
        if (!zmq::recv_multipart(events_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
          break;
        }
        const auto at = Clock::now();
        if (parts.size() != 2) throw std::runtime_error("daemon event without 2 frames");
        if (parts[0].to_string_view().rfind("special_order.", 0) != 0) continue;
        auto decoded = json::DecodeEvent(parts[0].to_string_view(), parts[1].to_string_view());
        if (auto* err = std::get_if<json::DecodeError>(&decoded)) {
          throw std::runtime_error("the daemon published an invalid event: " + err->reason);
        }
        const OutEvent& e = std::get<json::DecodedEvent>(decoded).event;
        std::lock_guard lock(mu_);
        if (const auto* c = std::get_if<StatusChangedEvent>(&e)) {
          answers_.try_emplace(c->cause_id, at);
        } else if (const auto* r = std::get_if<RejectedEvent>(&e)) {
          rejections_.push_back("line " + std::to_string(r->order_line_id) + ": " + r->reason);
        }
      }
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    reader_error_ = e.what();
  }
}

std::optional<Clock::time_point> BenchBus::AnsweredAt(const std::string& id) const {
  std::lock_guard lock(mu_);
  const auto it = answers_.find(id);
  if (it == answers_.end()) return std::nullopt;
  return it->second;
}

size_t BenchBus::answered() const {
  std::lock_guard lock(mu_);
  return answers_.size();
}

Clock::time_point BenchBus::WaitAnswered(const std::vector<Outgoing>& msgs, size_t count,
                                         std::chrono::milliseconds timeout,
                                         const std::function<void()>& check) {
  const auto deadline = Clock::now() + timeout;
  Clock::time_point last{};
  size_t next = 0;  // messages before it are answered; the daemon answers them in order
  while (next < count) {
    {
      std::lock_guard lock(mu_);
      if (!reader_error_.empty()) throw std::runtime_error(reader_error_);
      if (!rejections_.empty()) {
        throw std::runtime_error("the daemon rejected " + std::to_string(rejections_.size()) +
                                 " request(s), e.g. " + rejections_.front());
      }
      for (; next < count; ++next) {
        const auto it = answers_.find(msgs[next].id);
        if (it == answers_.end()) break;
        last = std::max(last, it->second);
      }
    }
    if (next == count) break;
    if (Clock::now() > deadline) {
      throw std::runtime_error(std::to_string(count - next) + " of " + std::to_string(count) +
                               " messages unanswered after " +
                               std::to_string(timeout.count() / 1000) +
                               " s (first: " + msgs[next].id + ")");
    }
    if (check) check();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return last;
}

}  // namespace so::bench
