// A small HTTP/1.1 server for /metrics and /healthz on the daemon's io_context (Boost.Beast: no
// parsing of our own). Routes are plain functions from a request to a response, which never see
// a socket; the server bounds what a client may cost (header and body sizes, a read timeout,
// simultaneous connections) and nothing it does throws out of a handler into io_context::run().
// The io_context's thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rules/result.hpp"

namespace so::daemon {

struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string path;    // the target without its query string
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};  // extra ones, e.g. Allow
};

struct HttpLimits {
  // Bytes of the request line and headers; a larger request is answered 431. Default 8 KiB.
  size_t header_bytes = 8 * 1024;
  // Bytes of a request body (GET has none); a larger one is answered 413. Default 1 KiB.
  size_t body_bytes = 1024;
  // Time a client has to send a whole request (and, kept alive, the next one) and to take the
  // response; the connection is closed after it. Default 10 s.
  std::chrono::milliseconds timeout{10'000};
  // Connections open at once; one more is closed as soon as it is accepted. Default 16.
  int max_connections = 16;
};

class HttpServer {
 public:
  // Answers a GET of its path. Exceptions it throws become a 500.
  using Route = std::function<HttpResponse()>;

  HttpServer(boost::asio::io_context& io, HttpLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void Handle(const std::string& path, Route route);

  // Binds `address` (an IP literal) and `port` (0: any free port) and starts accepting.
  Status Listen(const std::string& address, uint16_t port);
  // The port listened on (after Listen()).
  uint16_t port() const;
  // Stops accepting and closes every connection.
  void Stop();

  // The answer to `request`, socket aside: the route's for a GET of a known path, 404 for an
  // unknown path, 405 (with Allow: GET) for another method on a known one.
  HttpResponse Respond(const HttpRequest& request) const;

  struct Stats {
    uint64_t accepted = 0;
    uint64_t refused = 0;       // closed at once: max_connections open already
    uint64_t bad_requests = 0;  // answered 400, 413 or 431, or timed out
  };
  Stats stats() const;

 private:
  // What the server's connections and pending handlers share (they may outlive the server
  // until the io_context drops them).
  struct Shared;
  class Connection;
  void Accept();
  static void AcceptNext(const std::shared_ptr<Shared>& shared);
  static HttpResponse RespondWith(const Shared& shared, const HttpRequest& request);

  std::shared_ptr<Shared> shared_;
};

}  // namespace so::daemon
