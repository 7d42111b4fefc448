#include "tests/testing/http.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace esms::testing {

HttpAnswer ParseHttpAnswer(const std::string& raw) {
  HttpAnswer answer;
  const size_t end = raw.find("\r\n\r\n");
  answer.head = raw.substr(0, end);
  if (end != std::string::npos) answer.body = raw.substr(end + 4);
  if (raw.rfind("HTTP/1.1 ", 0) == 0) answer.status = std::atoi(raw.c_str() + 9);
  return answer;
}

std::string HttpAnswer::Header(std::string_view name) const {
  const std::string key = "\r\n" + std::string(name) + ": ";
  const size_t at = head.find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size();
  return head.substr(from, head.find("\r\n", from) - from);
}

int HttpConnect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return fd;
}

HttpAnswer HttpRequest(int port, std::string_view method, std::string_view path,
                       std::string_view body) {
  const int fd = HttpConnect(port);
  if (fd < 0) return {};
  std::string request = std::string(method) + " " + std::string(path) +
                        " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n";
  if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n";
  request += body;
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buffer[65536];
  size_t want = std::string::npos;  // the whole answer's length, once the head is in
  while (want == std::string::npos || raw.size() < want) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
    const size_t end = raw.find("\r\n\r\n");
    if (want == std::string::npos && end != std::string::npos) {
      const size_t length = raw.find("Content-Length: ");
      const size_t body = method == "HEAD" || length == std::string::npos || length > end
                              ? 0
                              : std::strtoull(raw.c_str() + length + 16, nullptr, 10);
      want = end + 4 + body;
    }
  }
  ::close(fd);
  return ParseHttpAnswer(raw);
}

HttpAnswer HttpGet(std::string_view address, std::string_view path) {
  const std::string port(address.substr(address.rfind(':') + 1));
  return HttpRequest(std::atoi(port.c_str()), "GET", path);
}

}  // namespace esms::testing
