#include "daemon/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <optional>

namespace so::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Shared {
  Shared(asio::io_context& io_context, HttpLimits l)
      : io(io_context), limits(l), acceptor(io_context), pause(io_context) {}

  asio::io_context& io;
  HttpLimits limits;
  std::map<std::string, Route> routes;
  tcp::acceptor acceptor;
  asio::steady_timer pause;  // after a failed accept (out of file descriptors), before the next
  std::vector<std::weak_ptr<Connection>> connections;
  int open = 0;
  bool stopped = false;
  Stats stats;
};

namespace {

HttpResponse Plain(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

// One client connection: reads requests one after the other (keep-alive), answers each, and
// closes on any error, on a request it refuses, or when the client is too slow.
class HttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Shared> shared, tcp::socket socket)
      : shared_(std::move(shared)),
        stream_(std::move(socket)),
        // Bounded: a client cannot make it grow past a request the limits allow.
        buffer_(shared_->limits.header_bytes + shared_->limits.body_bytes + 1024) {
    ++shared_->open;
  }
  ~Connection() { --shared_->open; }

  void Start() { Read(); }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->limits.header_bytes));
    parser_->body_limit(shared_->limits.body_bytes);
    stream_.expires_after(shared_->limits.timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       try {
                         self->OnRead(ec);
                       } catch (const std::exception&) {
                         self->Close();
                       }
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return Close();  // the client is done
    if (ec) {
      ++shared_->stats.bad_requests;
      // A request the parser refused is answered, once, and the connection closed; a timeout or
      // a broken connection is just closed.
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        return Write(Plain(431, "request header fields too large\n"), false);
      }
      if (ec == http::error::body_limit) {
        return Write(Plain(413, "request body too large\n"), false);
      }
      // Any other complaint of the parser about what was sent; not a request cut short (the
      // client went away) or a timeout or a socket error, which are not answered.
      if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
          ec != http::error::partial_message) {
        return Write(Plain(400, "bad request\n"), false);
      }
      return Close();
    }
    const auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    const beast::string_view target = req.target();
    request.path = std::string(target.substr(0, target.find('?')));
    HttpResponse response;
    try {
      response = RespondWith(*shared_, request);
    } catch (const std::exception& e) {
      response = Plain(500, std::string("internal error: ") + e.what() + "\n");
    }
    Write(std::move(response), req.keep_alive());
  }

  void Write(HttpResponse response, bool keep_alive) {
    response_.emplace();
    response_->version(11);
    response_->result(static_cast<unsigned>(response.status));
    response_->set(http::field::server, "special-ordersd");
    response_->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) response_->set(name, value);
    response_->keep_alive(keep_alive);
    response_->body() = std::move(response.body);
    response_->prepare_payload();
    stream_.expires_after(shared_->limits.timeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        try {
                          if (ec || !keep_alive || self->shared_->stopped) return self->Close();
                          self->Read();
                        } catch (const std::exception&) {
                          self->Close();
                        }
                      });
  }

  std::shared_ptr<Shared> shared_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

HttpServer::HttpServer(asio::io_context& io, HttpLimits limits)
    : shared_(std::make_shared<Shared>(io, limits)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& path, Route route) {
  shared_->routes[path] = std::move(route);
}

Status HttpServer::Listen(const std::string& address, uint16_t port) {
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) return Error{ErrorKind::kPermanent, 0, "'" + address + "' is not an IP address"};
  const tcp::endpoint endpoint(ip, port);
  const auto fail = [&](const std::string& what) {
    beast::error_code ignored;
    shared_->acceptor.close(ignored);
    return Error{ErrorKind::kPermanent, ec.value(),
                 "cannot " + what + " " + address + ":" + std::to_string(port) +
                     " for HTTP: " + ec.message()};
  };
  if (shared_->acceptor.open(endpoint.protocol(), ec)) return fail("open");
  if (shared_->acceptor.set_option(asio::socket_base::reuse_address(true), ec)) {
    return fail("set up");
  }
  if (shared_->acceptor.bind(endpoint, ec)) return fail("bind");
  if (shared_->acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
    return fail("listen on");
  }
  Accept();
  return Status();
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  const tcp::endpoint e = shared_->acceptor.local_endpoint(ec);
  return ec ? 0 : e.port();
}

void HttpServer::Accept() { AcceptNext(shared_); }

void HttpServer::AcceptNext(const std::shared_ptr<Shared>& shared) {
  shared->acceptor.async_accept([shared](beast::error_code ec, tcp::socket socket) {
    if (shared->stopped) return;
    if (ec) {
      // Out of file descriptors, most likely: try again shortly rather than spin.
      shared->pause.expires_after(std::chrono::milliseconds(100));
      shared->pause.async_wait([shared](beast::error_code wait_ec) {
        if (!wait_ec && !shared->stopped) AcceptNext(shared);
      });
      return;
    }
    try {
      if (shared->open >= shared->limits.max_connections) {
        ++shared->stats.refused;
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        ++shared->stats.accepted;
        auto connection = std::make_shared<Connection>(shared, std::move(socket));
        std::erase_if(shared->connections, [](const auto& c) { return c.expired(); });
        shared->connections.push_back(connection);
        connection->Start();
      }
    } catch (const std::exception&) {
      // bad_alloc and the like: this client is dropped, the server goes on.
    }
    AcceptNext(shared);
  });
}

void HttpServer::Stop() {
  if (shared_->stopped) return;
  shared_->stopped = true;
  beast::error_code ignored;
  shared_->acceptor.close(ignored);
  shared_->pause.cancel();
  for (auto& weak : shared_->connections) {
    if (auto c = weak.lock()) c->Close();
  }
  shared_->connections.clear();
}

HttpResponse HttpServer::Respond(const HttpRequest& request) const {
  return RespondWith(*shared_, request);
}

HttpResponse HttpServer::RespondWith(const Shared& shared, const HttpRequest& request) {
  const auto it = shared.routes.find(request.path);
  if (it == shared.routes.end()) return Plain(404, "not found\n");
  if (request.method != "GET") {
    HttpResponse r = Plain(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  return it->second();
}

HttpServer::Stats HttpServer::stats() const { return shared_->stats; }

}  // namespace so::daemon
