// The subscriber over real ZeroMQ sockets on loopback: messages decoded by its reader thread and
// handed over in batches of what is queued, in order; the receive queue held to its bound in
// bytes while the loop does not take them; nothing lost below ZeroMQ's high-water mark.
#include "adapters/zmq_subscriber.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>
#include <zmq_addon.hpp>

#include "adapters/json_codec.hpp"

namespace so::zmqbus {
namespace {

using ::testing::HasSubstr;

// The POS's PUB socket on a port of the system's choosing.
class Pos {
 public:
  Pos() : pub_(ctx_, zmq::socket_type::pub) {
    pub_.set(zmq::sockopt::sndhwm, 1'000'000);
    pub_.bind("tcp://127.0.0.1:*");
  }
  std::string endpoint() { return pub_.get(zmq::sockopt::last_endpoint); }

  // A request of the contract with seq n (its body is about 330 bytes, as the POS's are).
  void Publish(uint64_t n) {
    Message m{Envelope{1, "pos-" + std::to_string(n), "order.special_order_requested", "pos-1", n,
                       Timestamp{1'800'000'000'000'000}},
              SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, Timestamp{1'800'000'000'000'000}}};
    Send({"order.special_order_requested", json::EncodeMessage(m)});
  }
  void Send(const std::vector<std::string>& frames) {
    std::vector<zmq::const_buffer> parts;
    for (const auto& f : frames) parts.push_back(zmq::buffer(f));
    zmq::send_multipart(pub_, parts);
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t pub_;
};

class SubscriberTest : public ::testing::Test {
 protected:
  // Starts the subscriber on `pos` and waits until its subscription has reached the PUB (a
  // first message gets through).
  void Start(Pos& pos, SubscriberOptions options) {
    options.endpoint = pos.endpoint();
    subscriber_ = std::make_unique<Subscriber>(io_, ctx_, options);
    ASSERT_TRUE(subscriber_
                    ->Start([this](std::vector<Inbound>&& batch) {
                      batches_.push_back(batch.size());
                      for (auto& m : batch) got_.push_back(std::move(m));
                      return !pause_;
                    })
                    .ok());
    for (int i = 0; i < 200 && got_.empty(); ++i) {
      pos.Send({"order.hello", "{}"});
      RunFor(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(got_.empty()) << "the subscription never reached the PUB socket";
    got_.clear();
    batches_.clear();
  }

  void RunFor(std::chrono::milliseconds d) {
    io_.restart();
    io_.run_for(d);
  }
  // Runs the loop until `n` messages came, or 10 s.
  void RunUntil(size_t n) {
    for (int i = 0; i < 500 && got_.size() < n; ++i) RunFor(std::chrono::milliseconds(20));
  }

  boost::asio::io_context io_;
  // Keeps run_for() running its whole time even when nothing is posted yet.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  zmq::context_t ctx_{1};
  std::unique_ptr<Subscriber> subscriber_;
  std::vector<Inbound> got_;
  std::vector<size_t> batches_;
  bool pause_ = false;
};

TEST_F(SubscriberTest, HandsOverWhatIsQueuedInBatchesInOrder) {
  Pos pos;
  SubscriberOptions options;
  options.max_batch = 64;
  Start(pos, options);
  for (uint64_t n = 1; n <= 1000; ++n) pos.Publish(n);
  RunUntil(1000);
  ASSERT_EQ(got_.size(), 1000u);
  for (uint64_t n = 1; n <= 1000; ++n) {
    const auto* d = std::get_if<Delivery>(&got_[n - 1]);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->message.envelope.seq, n);
    EXPECT_EQ(d->topic, "order.special_order_requested");
    EXPECT_NE(d->received_at.time_since_epoch().count(), 0);  // stamped by the reader
    EXPECT_LE(d->received_at, std::chrono::steady_clock::now());
  }
  // A burst comes in batches of more than one, never more than the bound.
  EXPECT_LT(batches_.size(), 1000u);
  EXPECT_LE(*std::max_element(batches_.begin(), batches_.end()), 64u);
}

TEST_F(SubscriberTest, ConnectedFollowsTheConnectionToThePos) {
  auto pos = std::make_unique<Pos>();
  Start(*pos, {});
  EXPECT_TRUE(subscriber_->connected());  // a message came through: the handshake is done
  pos.reset();                            // the POS goes away
  for (int i = 0; i < 100 && subscriber_->connected(); ++i) RunFor(std::chrono::milliseconds(20));
  EXPECT_FALSE(subscriber_->connected());
}

TEST_F(SubscriberTest, NotConnectedWhileNobodyListensOnTheEndpoint) {
  std::string endpoint;
  {
    Pos gone;  // a port that was free a moment ago, and is free again
    endpoint = gone.endpoint();
  }
  SubscriberOptions options;
  options.endpoint = endpoint;
  Subscriber subscriber(io_, ctx_, options);
  ASSERT_TRUE(subscriber.Start([](std::vector<Inbound>&&) { return true; }).ok());
  RunFor(std::chrono::milliseconds(300));
  EXPECT_FALSE(subscriber.connected());
  subscriber.Stop();
}

TEST_F(SubscriberTest, UndecodableMessagesComeWithTheirFramesAndReason) {
  Pos pos;
  Start(pos, {});
  pos.Send({"order.cancelled", "{not json"});
  pos.Send({"order.cancelled", "{}", "third"});
  RunUntil(2);
  ASSERT_EQ(got_.size(), 2u);
  const auto* bad_json = std::get_if<Undecodable>(&got_[0]);
  ASSERT_NE(bad_json, nullptr);
  EXPECT_EQ(bad_json->raw, "{not json");
  EXPECT_THAT(bad_json->reason, HasSubstr("body"));
  const auto* three = std::get_if<Undecodable>(&got_[1]);
  ASSERT_NE(three, nullptr);
  EXPECT_EQ(three->reason, "expected 2 frames, got 3");
}

TEST_F(SubscriberTest, AValidMessageOfAnUnknownTypeComesWithItsEnvelope) {
  Pos pos;
  Start(pos, {});
  pos.Send({"order.voided",
            R"({"v":1,"id":"v-1","type":"order.voided","source":"pos-store12-boot-0007",)"
            R"("seq":7,"occurred_at":"2026-11-29T20:16:16Z","payload":{}})"});
  RunUntil(1);
  ASSERT_EQ(got_.size(), 1u);
  const auto* other = std::get_if<UnknownType>(&got_[0]);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->envelope.type, "order.voided");
  EXPECT_EQ(other->envelope.seq, 7u);
  EXPECT_GT(QueuedBytes(got_[0]), sizeof(Inbound));
}

TEST_F(SubscriberTest, TheReceiveQueueStopsAtItsBoundInBytesAndLosesNothingBelowTheMark) {
  Pos pos;
  SubscriberOptions options;
  options.receive_queue_bytes = size_t{1} << 20;
  options.receive_high_water_mark = 100'000;
  Start(pos, options);
  // The loop takes one batch and pauses: the rest waits in the receive queue, then in ZeroMQ.
  pause_ = true;
  constexpr uint64_t kSent = 5000;
  for (uint64_t n = 1; n <= kSent; ++n) pos.Publish(n);
  RunFor(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const Subscriber::Stats full = subscriber_->stats();
  const size_t one = QueuedBytes(got_.front());
  EXPECT_GE(full.times_full, 1u);
  EXPECT_LE(full.queued_bytes, options.receive_queue_bytes + one);
  EXPECT_GE(full.queued_bytes, options.receive_queue_bytes - one);
  EXPECT_LT(full.received, kSent) << "the reader did not stop at the bound";

  pause_ = false;
  subscriber_->Resume();
  RunUntil(kSent);
  ASSERT_EQ(got_.size(), kSent);
  for (uint64_t n = 1; n <= kSent; ++n) {
    ASSERT_EQ(std::get<Delivery>(got_[n - 1]).message.envelope.seq, n);
  }
  EXPECT_EQ(subscriber_->stats().queued, 0u);
  EXPECT_EQ(subscriber_->stats().queued_bytes, 0u);
  EXPECT_FALSE(subscriber_->reader_error().has_value());
}

TEST(QueuedBytesTest, CountsAMessageAsItIsAllocated) {
  Message m{Envelope{1, "pos-1", "order.special_order_requested", "pos-1", 1, Timestamp{}},
            SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, Timestamp{}}};
  std::string body = json::EncodeMessage(m);
  body.resize(330, ' ');  // the size the POS's messages have (JSON allows trailing spaces)
  const Inbound in = Decode({"order.special_order_requested", body});
  ASSERT_TRUE(std::holds_alternative<Delivery>(in));
  const size_t bytes = QueuedBytes(in);
  // The body, its topic and the decoded copy's strings, plus the queue's slot.
  EXPECT_GT(bytes, body.size() + sizeof(Inbound));
  EXPECT_LT(bytes, 3 * body.size() + sizeof(Inbound));
  std::cout << "a queued 330-byte request costs " << bytes << " bytes (sizeof(Inbound) "
            << sizeof(Inbound) << ")\n";
}

}  // namespace
}  // namespace so::zmqbus
