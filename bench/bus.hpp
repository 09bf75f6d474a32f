// The benchmark's end of the POS bus: an XPUB that the daemon subscribes to, and a SUB on the
// daemon's events, read by a thread of its own that stamps when each message was answered (the
// first special_order.status_changed whose cause_id is the message's id). Publish from one
// thread; the answer queries are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "bench/fixture.hpp"

namespace so::bench {

using Clock = std::chrono::steady_clock;

class BenchBus {
 public:
  // Binds the POS side on `pos_endpoint` (never dropping: no send high-water mark) and connects
  // to the daemon's events on `events_endpoint`.
  BenchBus(const std::string& pos_endpoint, const std::string& events_endpoint);
  // Several daemons on one POS (each subscribed to `pos_endpoint`), the events of every one of
  // them read; WaitForDaemon() then waits for each daemon's subscriptions and connections.
  BenchBus(const std::string& pos_endpoint, const std::vector<std::string>& events_endpoints);
  ~BenchBus();  // stops the reader
  BenchBus(const BenchBus&) = delete;
  BenchBus& operator=(const BenchBus&) = delete;

  // Waits until the daemon (each daemon) has subscribed to every contract prefix and our SUB has
  // reached the daemon's (each daemon's) PUB, then starts the reader. Throws std::runtime_error on timeout.
  void WaitForDaemon(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Sends the message's two frames; returns the time taken just before the send.
  Clock::time_point Publish(const Outgoing& m);

  // When the message was answered, if it was.
  std::optional<Clock::time_point> AnsweredAt(const std::string& id) const;
  // How many distinct messages have been answered so far.
  size_t answered() const;

  // Waits until msgs[0..count) are all answered and returns the latest answer time. `check` runs
  // every few ms (e.g. to see that the daemon is still alive) and may throw. Throws after
  // `timeout`, or at once when the daemon rejected a request, saying what is missing.
  Clock::time_point WaitAnswered(const std::vector<Outgoing>& msgs, size_t count,
                                 std::chrono::milliseconds timeout,
                                 const std::function<void()>& check);

 private:
  void Read();

  zmq::context_t ctx_{1};
  zmq::socket_t pub_;
  zmq::socket_t events_;   // owned by the reader thread once it runs
  zmq::socket_t monitor_;  // handshake events of events_
  size_t daemons_ = 1;     // events endpoints connected: the daemons on the POS
  std::thread reader_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  std::unordered_map<std::string, Clock::time_point> answers_;
  std::vector<std::string> rejections_;
  std::string reader_error_;
};

}  // namespace so::bench
