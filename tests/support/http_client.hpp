// A plain-socket HTTP/1.1 client for the tests of the daemon's /metrics and /healthz: raw bytes
// in, the raw answer out, so that a test can send what no HTTP library would (a malformed
// request, a huge header). Blocking, with a timeout; any thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace so::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (the system's choice for port 0): for a
// daemon config, which cannot say "any port".
inline int FreeTcpPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free TCP port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

// Sends `request` to 127.0.0.1:`port` and returns everything the server sent until it closed
// the connection (or a reset, or `timeout_s`). Empty when the server closed without a word;
// throws when nothing listens.
inline std::string HttpExchange(int port, const std::string& request, int timeout_s = 10) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  for (size_t at = 0; at < request.size();) {
    const ssize_t n = send(fd, request.data() + at, request.size() - at, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed while we were still sending
    at += static_cast<size_t>(n);
  }
  std::string out;
  char buf[8192];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

struct HttpAnswer {
  int status = 0;  // 0: no answer
  std::string body;
};

// GET `path` with Connection: close.
inline HttpAnswer HttpGet(int port, const std::string& path) {
  const std::string raw = HttpExchange(
      port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  HttpAnswer answer;
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) return answer;
  answer.status = std::stoi(raw.substr(9, 3));
  const size_t body = raw.find("\r\n\r\n");
  if (body != std::string::npos) answer.body = raw.substr(body + 4);
  return answer;
}

}  // namespace so::testing
