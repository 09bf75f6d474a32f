// /metrics and /healthz end to end: the real daemon with metrics.listen on a port the test picks,
// the private MariaDB and real ZeroMQ. The scrape's counts by type and fate follow the messages
// sent, promtool check metrics accepts the body, /healthz follows the database (a server of the
// test's own, stopped and started) and the POS connection, and bad HTTP clients do not keep the
// daemon from applying messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <regex>
#include <string>
#include <thread>

#include "tests/integration/daemon_fixture.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/own_mariadb.hpp"
#include "tests/support/promtool.hpp"

namespace so::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr Id kDowntown = 1;
constexpr Id kChair = 100, kGiftCard = 102;
constexpr Id kAda = 1;

bool WaitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// The sample `series` ("name{labels}" as rendered) of a scrape, or -1 when it is not there.
double Sample(const std::string& scrape, const std::string& series) {
  const std::string at = "\n" + series + " ";
  const size_t pos = scrape.find(at);
  if (pos == std::string::npos) return -1;
  return std::stod(scrape.substr(pos + at.size()));
}

std::string Processed(const std::string& type, const std::string& fate) {
  return "special_ordersd_messages_processed_total{type=\"" + type + "\",fate=\"" + fate + "\"}";
}

class MetricsEndpointTest : public DaemonTest {
 protected:
  MetricsEndpointTest() : DaemonTest("metrics") {}

  void SetUp() override {
    world_.LoadDemoData();
    metrics_port_ = FreeTcpPort();
    StartDaemon("version: 1\n");
  }

  std::string Scrape() {
    const HttpAnswer a = HttpGet(metrics_port_, "/metrics");
    EXPECT_EQ(a.status, 200) << a.body;
    return a.body;
  }

  std::string Request(Id order, Id line, Id product) {
    world_.CreateOrderWithSpecialLine(order, line, kDowntown, kAda, product, 2);
    return Send(SpecialOrderRequested{order, line, kDowntown, kAda, product, 2, bus_->clock()});
  }
};

TEST_F(MetricsEndpointTest, ScrapeCountsMessagesByTypeAndFateAndPassesPromtool) {
  const std::string applied = Request(5001, 50011, kChair);
  Request(5002, 50021, kGiftCard);              // refused: not special-orderable
  Send(PoStatusChanged{999, "open", "draft"});  // refused: no such PO
  bus_->Republish(applied);
  daemon_->WaitForLog("duplicate order.special_order_requested id=" + applied);
  bus_->SendFrames({"order.cancelled", "{not json"});
  ASSERT_TRUE(WaitUntil([&] { return Int("SELECT COUNT(*) FROM sod_dead_letters") == 1; }));
  daemon_->WaitForLog("dead_lettered order.cancelled");
  // The chair's promise as the clock marks it once it is published overdue (by hand here).
  db_.Exec("UPDATE sod_promises SET overdue_seq = promise_seq");
  const int64_t vendor = Int("SELECT vendor_id FROM special_orders WHERE status = 'ordered'");
  // The events go out once the hold after the start (bus.publish_delay_ms) is over.
  ASSERT_TRUE(WaitUntil(
      [&] { return Sample(Scrape(), "special_ordersd_outbox_unsent") == 0; }));

  const std::string m = Scrape();
  const std::string requested = "order.special_order_requested";
  EXPECT_EQ(Sample(m, "special_ordersd_messages_received_total{type=\"" + requested + "\"}"), 3)
      << m;
  EXPECT_EQ(Sample(m, "special_ordersd_messages_received_total{type=\"po.status_changed\"}"), 1);
  EXPECT_EQ(Sample(m, "special_ordersd_messages_received_total{type=\"undecodable\"}"), 1);
  EXPECT_EQ(Sample(m, Processed(requested, "applied")), 1);
  EXPECT_EQ(Sample(m, Processed(requested, "refused")), 1);
  EXPECT_EQ(Sample(m, Processed(requested, "duplicate")), 1);
  EXPECT_EQ(Sample(m, Processed("po.status_changed", "refused")), 1);
  EXPECT_EQ(Sample(m, Processed("undecodable", "dead_lettered")), 1);
  EXPECT_EQ(Sample(m, Processed(requested, "dead_lettered")), -1);  // none: no series
  EXPECT_EQ(Sample(m, "special_ordersd_bus_messages_read_total"), 5);
  // The three that committed (applied or refused) were timed from their read off the bus.
  EXPECT_EQ(Sample(m, "special_ordersd_receive_to_commit_seconds_count"), 3);
  EXPECT_GT(Sample(m, "special_ordersd_receive_to_commit_seconds_sum"), 0);
  EXPECT_GE(Sample(m, "special_ordersd_batch_messages_count"), 4);
  EXPECT_EQ(Sample(m, "special_ordersd_seq_gaps_total{cause=\"gap\"}"), 0);
  // Read from the database: the chair was ordered at once, at store 1.
  EXPECT_EQ(Sample(m, "special_ordersd_special_orders{status=\"ordered\",store=\"1\"}"), 1);
  EXPECT_GE(Sample(m, "special_ordersd_special_order_oldest_age_seconds{status=\"ordered\"}"), 0);
  EXPECT_EQ(Sample(m, "special_ordersd_special_orders_overdue{store=\"1\",vendor=\"" +
                          std::to_string(vendor) + "\"}"),
            1);
  EXPECT_EQ(Sample(m, "special_ordersd_dead_letters_waiting"), 1);
  EXPECT_EQ(Sample(m, "special_ordersd_database_up"), 1);
  EXPECT_EQ(Sample(m, "special_ordersd_subscription_connected"), 1);
  // The chair's created, purchase_order.created, status_changed and promised; the gift card's
  // rejected (a refused PO message publishes nothing).
  EXPECT_EQ(Sample(m, "special_ordersd_events_published_total"), 5);
  EXPECT_EQ(Sample(m, "special_ordersd_event_last_seq"), 5);
  EXPECT_EQ(Sample(m, "special_ordersd_events_resent_total"), 0);
  EXPECT_EQ(Sample(m, "special_ordersd_event_publish_errors_total"), 0);
  EXPECT_EQ(Sample(m, "special_ordersd_config_last_reload_successful"), 1);
  EXPECT_GT(Sample(m, "special_ordersd_config_last_reload_success_timestamp_seconds"),
            1'700'000'000);
  std::smatch version;
  const std::string log = daemon_->Log();
  ASSERT_TRUE(
      std::regex_search(log, version, std::regex("starting: rules .* \\((fnv1a64:[0-9a-f]+)\\)")));
  EXPECT_EQ(Sample(m, "special_ordersd_rules_info{version=\"" + version[1].str() + "\"}"), 1);
  EXPECT_THAT(m, HasSubstr("\nspecial_ordersd_build_info{version=\""));

  const PromtoolResult check = PromtoolCheckMetrics(m);
  EXPECT_EQ(check.exit_code, 0) << SO_PROMTOOL << " check metrics: " << check.output << "\n" << m;
}

TEST_F(MetricsEndpointTest, AGapAndTheSweepsRepairAreCounted) {
  Request(5001, 50011, kChair);
  // The POS commits a request and its message is lost: the next message's seq jumps over it.
  world_.CreateOrderWithSpecialLine(5002, 50021, kDowntown, kAda, kChair, 1);
  PosBus::Position position = bus_->position();
  position.seq += 1;
  bus_.reset();
  bus_ = std::make_unique<PosBus>(daemon_->pos_endpoint(), daemon_->events_endpoint(), "pos-sim",
                                  position);
  bus_->WaitForDaemon();
  // The sweep before it repairs both the lost request and this one's (the POS committed its line
  // before publishing); the message itself then finds its fact applied.
  Request(5003, 50031, kChair);
  daemon_->WaitForLog("sweep (gap): 2 repaired");
  const std::string m = Scrape();
  EXPECT_EQ(Sample(m, "special_ordersd_seq_gaps_total{cause=\"gap\"}"), 1) << m;
  EXPECT_EQ(Sample(m, "special_ordersd_seq_gaps_total{cause=\"new_source\"}"), 0);
  EXPECT_EQ(Sample(m, "special_ordersd_sweep_repairs_total{kind=\"request\",fate=\"applied\"}"), 2);
  // The repairs are not messages off the bus.
  EXPECT_EQ(Sample(m, Processed("order.special_order_requested", "applied")), 2);
  EXPECT_EQ(Sample(m, "special_ordersd_special_orders{status=\"ordered\",store=\"1\"}"), 3);
}

TEST_F(MetricsEndpointTest, AFailedReloadShowsAndKeepsTheLastSuccessTime) {
  const std::string before = Scrape();
  const double success =
      Sample(before, "special_ordersd_config_last_reload_success_timestamp_seconds");
  WriteRules("version: 1\nbogus: 1\n");
  daemon_->SendSignal(SIGHUP);
  daemon_->WaitForLog("reload refused");
  const std::string after = Scrape();
  EXPECT_EQ(Sample(after, "special_ordersd_config_last_reload_successful"), 0);
  EXPECT_EQ(Sample(after, "special_ordersd_config_last_reload_success_timestamp_seconds"), success);
  WriteRules("version: 1\ndefaults:\n  on_request: wait\n");
  daemon_->SendSignal(SIGHUP);
  daemon_->WaitForLog("reloaded rules");
  const std::string fixed = Scrape();
  EXPECT_EQ(Sample(fixed, "special_ordersd_config_last_reload_successful"), 1);
  EXPECT_GE(Sample(fixed, "special_ordersd_config_last_reload_success_timestamp_seconds"), success);
  // One rules_info series: the new version's.
  size_t series = 0;
  for (size_t at = fixed.find("\nspecial_ordersd_rules_info{"); at != std::string::npos;
       at = fixed.find("\nspecial_ordersd_rules_info{", at + 1)) {
    ++series;
  }
  EXPECT_EQ(series, 1u);
}

TEST_F(MetricsEndpointTest, BadHttpClientsGetAnAnswerOrAClosedConnectionAndMessagesGoOn) {
  EXPECT_THAT(HttpExchange(metrics_port_, "THIS IS NOT HTTP\r\n\r\n"),
              AnyOf(StartsWith("HTTP/1.1 400 "), IsEmpty()));
  const std::string huge =
      "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(1 << 20, 'x') + "\r\n\r\n";
  EXPECT_THAT(HttpExchange(metrics_port_, huge), AnyOf(StartsWith("HTTP/1.1 431 "), IsEmpty()));
  EXPECT_THAT(HttpExchange(metrics_port_, std::string(256 * 1024, '\0')),
              AnyOf(StartsWith("HTTP/1.1 400 "), IsEmpty()));
  EXPECT_EQ(HttpGet(metrics_port_, "/nope").status, 404);
  EXPECT_THAT(HttpExchange(metrics_port_, "DELETE /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"),
              StartsWith("HTTP/1.1 405 "));
  // A client that says half a request and stays: the daemon does not wait for it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(metrics_port_));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_GT(send(fd, "GET /metr", 9, MSG_NOSIGNAL), 0);

  // Messages are applied all the same, and the endpoint still answers.
  const std::string id = Request(5001, 50011, kChair);
  EXPECT_EQ(Str("SELECT status FROM special_orders WHERE order_line_id = 50011"), "ordered");
  const std::string m = Scrape();
  EXPECT_EQ(Sample(m, Processed("order.special_order_requested", "applied")), 1);
  EXPECT_EQ(HttpGet(metrics_port_, "/healthz").status, 200);
  close(fd);
  EXPECT_TRUE(daemon_->running());
}

TEST(MetricsListenTest, ADaemonThatCannotListenDoesNotStart) {
  TestDatabase db("metricsport");
  PosWorld(db).LoadDemoData();
  const std::string work_dir = std::string(SO_BINARY_DIR) + "/test-work/MetricsListenTest";
  std::filesystem::remove_all(work_dir);
  std::filesystem::create_directories(work_dir);
  std::ofstream(work_dir + "/rules.yaml") << "version: 1\n";
  // Someone else listens on the port.
  const int taken = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(taken, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(taken, 1), 0);
  ASSERT_EQ(getsockname(taken, reinterpret_cast<sockaddr*>(&a), &len), 0);
  DaemonSetup setup{db.options(), work_dir + "/rules.yaml", work_dir};
  setup.metrics_port = ntohs(a.sin_port);
  DaemonProcess daemon(std::move(setup));
  EXPECT_THROW(daemon.Start(), std::runtime_error);
  EXPECT_EQ(daemon.last_exit_status(), 1);
  EXPECT_THAT(daemon.Log(), HasSubstr("cannot bind 127.0.0.1:" + std::to_string(ntohs(a.sin_port)) +
                                      " for HTTP: Address already in use"));
  EXPECT_THAT(daemon.Log(), Not(HasSubstr("ready:")));
  close(taken);
}

// /healthz over a database of the test's own that it stops and starts, and a POS that goes away.
TEST(MetricsHealthTest, HealthzFollowsTheDatabaseAndTheSubscription) {
  OwnMariadb server(std::string(SO_BINARY_DIR) + "/test-work/metrics-mariadb-" +
                    std::to_string(getpid()));
  server.Start();
  TestDatabase db("metricshealth", server.info());
  PosWorld world(db);
  world.LoadDemoData();
  const std::string work_dir = std::string(SO_BINARY_DIR) + "/test-work/MetricsHealthTest";
  std::filesystem::remove_all(work_dir);
  std::filesystem::create_directories(work_dir);
  std::ofstream(work_dir + "/rules.yaml") << "version: 1\n";
  DaemonSetup setup{db.options(), work_dir + "/rules.yaml", work_dir};
  setup.metrics_port = FreeTcpPort();
  const int port = setup.metrics_port;
  DaemonProcess daemon(std::move(setup));
  daemon.Start();
  auto bus = std::make_unique<PosBus>(daemon.pos_endpoint(), daemon.events_endpoint());
  bus->WaitForDaemon();

  const auto health = [&] { return HttpGet(port, "/healthz"); };
  ASSERT_TRUE(WaitUntil([&] { return health().status == 200; })) << health().body;
  EXPECT_EQ(health().body, "ok\n");

  server.Stop();
  ASSERT_TRUE(WaitUntil([&] { return health().status == 503; })) << daemon.Log();
  const HttpAnswer down = health();
  EXPECT_THAT(down.body, StartsWith("database: "));
  EXPECT_THAT(down.body, Not(HasSubstr("subscription")));
  // /metrics still answers, with the database figures gone and database_up 0 (once the figures
  // are read again: at most every 5 s).
  ASSERT_TRUE(WaitUntil([&] {
    const HttpAnswer m = HttpGet(port, "/metrics");
    return m.status == 200 && Sample(m.body, "special_ordersd_database_up") == 0;
  }));
  EXPECT_THAT(HttpGet(port, "/metrics").body, HasSubstr("special_ordersd_messages_received_total"));

  server.Start();
  db.Reconnect();
  ASSERT_TRUE(WaitUntil([&] { return health().status == 200; }, std::chrono::seconds(30)))
      << health().body;
  // Messages are applied again.
  world.CreateOrderWithSpecialLine(5001, 50011, kDowntown, kAda, kChair, 1);
  const std::string id =
      bus->Publish(SpecialOrderRequested{5001, 50011, kDowntown, kAda, kChair, 1, bus->clock()});
  WaitProcessed(db, id);

  // The POS goes away: its PUB socket closes, the daemon's subscription loses its connection.
  const PosBus::Position position = bus->position();
  bus.reset();
  ASSERT_TRUE(WaitUntil([&] { return health().status == 503; })) << daemon.Log();
  EXPECT_EQ(health().body, "subscription: not connected to " + daemon.pos_endpoint() + "\n");
  EXPECT_EQ(Sample(HttpGet(port, "/metrics").body, "special_ordersd_subscription_connected"), 0);
  bus = std::make_unique<PosBus>(daemon.pos_endpoint(), daemon.events_endpoint(), "pos-sim",
                                 position);
  bus->WaitForDaemon();
  ASSERT_TRUE(WaitUntil([&] { return health().status == 200; })) << health().body;

  bus.reset();
  EXPECT_EQ(daemon.Stop(), 0) << daemon.Log();
}

}  // namespace
}  // namespace so::testing
