// An HTTP/1.1 request to 127.0.0.1 over a plain socket, as a client does it: one request,
// the answer read as its head, then Content-Length bytes (none for HEAD), with a 10 s
// timeout. For the suites that test a server's HTTP front (serve --http, witness serve)
// with real sockets.
#ifndef ESMS_TESTS_TESTING_HTTP_H_
#define ESMS_TESTS_TESTING_HTTP_H_

#include <string>
#include <string_view>

namespace esms::testing {

struct HttpAnswer {
  int status = 0;    // 0: no connection, or no HTTP answer
  std::string head;  // the status line and the headers
  std::string body;

  // The value of header `name` ("Content-Type"), "" when absent.
  std::string Header(std::string_view name) const;
};

// A socket connected to 127.0.0.1:`port`, its reads timing out after 10 s; -1 when
// nothing listens there.
int HttpConnect(int port);

// `method` `path` on 127.0.0.1:`port` on a fresh connection ("Connection: close"), with
// `body` (and its Content-Length) when not empty.
HttpAnswer HttpRequest(int port, std::string_view method, std::string_view path,
                       std::string_view body = {});

// GET `path` on "HOST:PORT" (the port after the last ':'; the host is 127.0.0.1).
HttpAnswer HttpGet(std::string_view address, std::string_view path);

// The answer of `raw` (everything a server sent): its status, head and body.
HttpAnswer ParseHttpAnswer(const std::string& raw);

}  // namespace esms::testing

#endif  // ESMS_TESTS_TESTING_HTTP_H_
