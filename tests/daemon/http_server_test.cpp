// The HTTP server of /metrics and /healthz over real sockets on loopback (a port of the system's
// choosing): routing, keep-alive, and what a bad client gets: a malformed request, a huge
// header or body, silence, too many connections, a route that throws. The server runs on an
// io_context thread of its own, as on the daemon's loop.
#include "daemon/http_server.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

namespace so::daemon {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A blocking client socket; reads give up after 5 s.
class Client {
 public:
  explicit Client(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      throw std::runtime_error("cannot connect");
    }
  }
  ~Client() { close(fd_); }

  // Sends what it can (the server may close before it took all of it).
  void Send(const std::string& data) {
    for (size_t at = 0; at < data.size();) {
      const ssize_t n = send(fd_, data.data() + at, data.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return;
      at += static_cast<size_t>(n);
    }
  }
  // Everything until the server closes (or a reset, or the 5 s timeout).
  std::string ReadToEnd() {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = recv(fd_, buf, sizeof buf, 0)) > 0;)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }
  // Whether the server closed the connection within the 5 s.
  bool ClosedByServer() {
    char c;
    const ssize_t n = recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpLimits limits = {}) {
    server_ = std::make_unique<HttpServer>(io_, limits);
    server_->Handle("/metrics", [this] {
      ++scrapes_;
      return HttpResponse{200, "text/plain; version=0.0.4", "special_ordersd_up 1\n"};
    });
    server_->Handle("/boom", []() -> HttpResponse { throw std::runtime_error("kaput"); });
    ASSERT_TRUE(server_->Listen("127.0.0.1", 0).ok());
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    loop_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (!loop_.joinable()) return;
    boost::asio::post(io_, [this] { server_->Stop(); });
    loop_.join();  // run() returns once the server has nothing left to do: it let go of all
  }
  std::string Get(const std::string& request) {
    Client c(port_);
    c.Send(request);
    return c.ReadToEnd();
  }
  HttpServer::Stats Stats() {
    std::promise<HttpServer::Stats> p;
    boost::asio::post(io_, [&] { p.set_value(server_->stats()); });
    return p.get_future().get();
  }

  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::thread loop_;
  int scrapes_ = 0;  // the loop thread's
};

constexpr const char* kGetMetrics = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

TEST(HttpServerRespondTest, RoutesGetAndRefusesOtherMethodsAndUnknownPaths) {
  boost::asio::io_context io;
  HttpServer server(io);
  server.Handle("/healthz", [] { return HttpResponse{503, "text/plain", "database: gone\n"}; });
  const HttpResponse ok = server.Respond({"GET", "/healthz"});
  EXPECT_EQ(ok.status, 503);
  EXPECT_EQ(ok.body, "database: gone\n");
  const HttpResponse post = server.Respond({"POST", "/healthz"});
  EXPECT_EQ(post.status, 405);
  EXPECT_THAT(post.headers,
              ::testing::Contains(std::pair<std::string, std::string>("Allow", "GET")));
  EXPECT_EQ(server.Respond({"GET", "/"}).status, 404);
  EXPECT_EQ(server.Respond({"GET", "/healthz/"}).status, 404);
}

TEST_F(HttpServerTest, GetMetricsAnswersWithTheRoutesBody) {
  Start();
  const std::string r = Get(kGetMetrics);
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Content-Type: text/plain; version=0.0.4\r\n"));
  EXPECT_THAT(r, HasSubstr("Content-Length: 21\r\n"));
  EXPECT_THAT(r, ::testing::EndsWith("\r\n\r\nspecial_ordersd_up 1\n"));
  // The query string is not part of the path.
  EXPECT_THAT(Get("GET /metrics?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n"),
              StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(HttpServerTest, KeptAliveConnectionAnswersRequestsInTurn) {
  Start();
  const std::string r = Get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" + std::string(kGetMetrics));
  size_t answers = 0;
  for (size_t at = r.find("HTTP/1.1 200 OK"); at != std::string::npos;
       at = r.find("HTTP/1.1 200 OK", at + 1)) {
    ++answers;
  }
  EXPECT_EQ(answers, 2u) << r;
}

TEST_F(HttpServerTest, UnknownPathIs404AndPostIs405) {
  Start();
  EXPECT_THAT(Get("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n"), StartsWith("HTTP/1.1 404 "));
  const std::string post =
      Get("POST /metrics HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
  EXPECT_THAT(post, StartsWith("HTTP/1.1 405 "));
  EXPECT_THAT(post, HasSubstr("Allow: GET\r\n"));
}

TEST_F(HttpServerTest, MalformedRequestIsAnswered400AndClosed) {
  Start();
  EXPECT_THAT(Get("NOT HTTP AT ALL\r\n\r\n"), StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(Get("GET /metrics HTTP/9.9\r\n\r\n"), StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(Get("GET /metrics HTTP/1.1\r\nNo colon here\r\n\r\n"), StartsWith("HTTP/1.1 400 "));
  // And the server still answers.
  EXPECT_THAT(Get(kGetMetrics), StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Stats().bad_requests, 3u);
}

TEST_F(HttpServerTest, HugeHeaderIs431OrClosedAndHugeBodyIs413) {
  Start();
  const std::string huge = "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') +
                           "\r\nConnection: close\r\n\r\n";
  // The answer may be lost to a reset when the server closes with the client still sending.
  EXPECT_THAT(Get(huge), AnyOf(StartsWith("HTTP/1.1 431 "), IsEmpty()));
  EXPECT_THAT(Get("GET /metrics HTTP/1.1\r\nContent-Length: 100000\r\n\r\n"),
              StartsWith("HTTP/1.1 413 "));
  EXPECT_THAT(Get(kGetMetrics), StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(scrapes_, 1);  // the refused ones never reached the route (the loop is done by now)
}

TEST_F(HttpServerTest, SilentClientIsClosedAfterTheTimeout) {
  Start({.timeout = std::chrono::milliseconds(200)});
  Client c(port_);
  c.Send("GET /metrics HTTP/1.1\r\n");  // and never the rest
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.ClosedByServer());
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST_F(HttpServerTest, ConnectionsBeyondTheCapAreClosedAtOnce) {
  Start({.max_connections = 2});
  auto a = std::make_unique<Client>(port_);
  auto b = std::make_unique<Client>(port_);
  // Both accepted (each counted once the loop took it) before the third comes.
  for (int i = 0; i < 200 && Stats().accepted < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(Stats().accepted, 2u);
  Client third(port_);
  EXPECT_TRUE(third.ClosedByServer());
  EXPECT_EQ(Stats().refused, 1u);
  a.reset();  // one goes away: room again
  for (int i = 0; i < 200; ++i) {
    std::string r = Get(kGetMetrics);
    if (!r.empty()) {
      EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "no room after a connection closed";
}

TEST_F(HttpServerTest, RouteThatThrowsIsA500AndTheServerGoesOn) {
  Start();
  const std::string r = Get("GET /boom HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 500 "));
  EXPECT_THAT(r, HasSubstr("kaput"));
  EXPECT_THAT(Get(kGetMetrics), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST(HttpServerListenTest, ListeningOnAPortInUseFailsWithTheReason) {
  boost::asio::io_context io;
  HttpServer first(io);
  ASSERT_TRUE(first.Listen("127.0.0.1", 0).ok());
  HttpServer second(io);
  const Status s = second.Listen("127.0.0.1", first.port());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().ToString(), HasSubstr("cannot bind 127.0.0.1:"));
  EXPECT_FALSE(HttpServer(io).Listen("localhost", 1).ok());  // not an IP literal
}

}  // namespace
}  // namespace so::daemon
