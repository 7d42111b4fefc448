// The HTTP front: /metrics, /healthz and the C2SP tlog-tiles read API (service/http.h).
#include "service/http.h"

#include <kj/compat/gzip.h>
#include <kj/compat/http.h>
#include <pthread.h>
#include <signal.h>

#include <fmt/format.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

#include "base/kj.h"

namespace esms::service {

namespace {

// --- The reads, made on whatever thread calls them -----------------------------------

ReadAnswer ReadCheckpoint(const ledger::Ledger& ledger) {
  Result<std::optional<std::string>> checkpoint = ledger.LatestCheckpoint();
  if (!checkpoint.ok()) return ReadAnswer::Failed(checkpoint.status());
  if (!*checkpoint) return ReadAnswer::Absent();
  return ReadAnswer::Found(std::move(**checkpoint));
}

// Whether the tree of `size` leaves holds every hash of `tile` (saturating arithmetic:
// ParseTilePath accepts indexes and levels far beyond any tree).
bool TreeHolds(uint64_t size, const ledger::Tile& tile) {
  const uint64_t first = tile.first_leaf();
  const uint64_t count = tile.leaf_count();
  return first <= size && count <= size - first;
}

ReadAnswer ReadTile(const ledger::Ledger& ledger, const ledger::Tile& tile) {
  if (!TreeHolds(ledger.size(), tile)) return ReadAnswer::Absent();
  Result<ledger::Bytes> bytes = ledger::LedgerTileBytes(ledger, tile);
  if (!bytes.ok()) return ReadAnswer::Failed(bytes.status());
  return ReadAnswer::Found(std::string(bytes->begin(), bytes->end()));
}

Status CheckHealth(const ledger::Ledger& ledger) {
  if (ledger.size() == 0) return Status::Unavailable("the ledger holds no record");
  Result<ledger::Record> head = ledger.Get(ledger.size() - 1);
  if (!head.ok()) return Status(head.status()).WithContext("reading the head record");
  Result<std::optional<std::string>> checkpoint = ledger.LatestCheckpoint();
  if (!checkpoint.ok()) return Status(checkpoint.status()).WithContext("reading the checkpoint");
  if (!*checkpoint) return Status::Unavailable("the ledger holds no checkpoint");
  return Status::OK();
}

// Runs `read` as a job given to `post`; its result comes back to this thread's loop. The
// result travels in a slot beside a void promise (kj's cross-thread fulfiller copies a
// value through ExceptionOr, where g++ 12 sees uninitialized variants).
template <typename T, typename Read>
kj::Promise<T> PostRead(const PostedLedgerReads::Post& post, Read read) {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
  auto slot = std::make_shared<std::optional<T>>();
  // std::function wants a copyable job: the fulfiller is shared by the copies.
  auto fulfiller =
      std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<void>>>(kj::mv(paf.fulfiller));
  post([fulfiller, slot, read = std::move(read)]() mutable {
    slot->emplace(read());
    (*fulfiller)->fulfill();
  });
  return paf.promise.then([slot]() -> T { return std::move(**slot); });
}

// --- Responses --------------------------------------------------------------------------

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kOctetStream = "application/octet-stream";
// c2sp.org/tlog-tiles: the checkpoint "SHOULD prevent caching beyond a few seconds"; tiles
// are immutable, "caching headers SHOULD be long-lived".
constexpr std::string_view kNoCache = "no-cache";
constexpr std::string_view kNoStore = "no-store";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";

struct Reply {
  unsigned status = 200;
  std::string_view content_type = kTextPlain;
  std::string_view cache_control = kNoStore;
  std::string body;
  bool allow_header = false;  // 405: Allow: GET, HEAD
  bool gzip = false;          // an entry bundle for a client that accepts gzip
};

kj::StringPtr StatusText(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 400 && status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

Reply Text(unsigned status, std::string body, std::string_view cache_control = kNoStore) {
  return Reply{status, kTextPlain, cache_control, std::move(body), false};
}

// Whether an Accept-Encoding value accepts gzip: a "gzip" (or "*") element whose q is not 0.
bool AcceptsGzip(std::string_view accept) {
  while (!accept.empty()) {
    const size_t comma = accept.find(',');
    std::string_view element = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const size_t semicolon = element.find(';');
    std::string_view coding = element.substr(0, semicolon);
    std::string_view params =
        semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon + 1);
    auto trim = [](std::string_view text) {
      while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
      while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
      return text;
    };
    coding = trim(coding);
    params = trim(params);
    if (coding != "gzip" && coding != "*") continue;
    // q=0, q=0.0, q=0.000: refused.
    if (params.size() >= 3 && (params[0] == 'q' || params[0] == 'Q') && params[1] == '=' &&
        params.substr(2).find_first_not_of("0.") == std::string_view::npos) {
      continue;
    }
    return true;
  }
  return false;
}

// `body` gzipped (kj-gzip, zlib's default level).
std::string Gzip(const std::string& body) {
  kj::VectorOutputStream out(body.size() / 2 + 64);
  {
    kj::GzipOutputStream gzip(out);
    gzip.write(body.data(), body.size());
  }  // the destructor ends the stream
  kj::ArrayPtr<kj::byte> bytes = out.getArray();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

int64_t SystemUnixSeconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

// --- ReadSource implementations -----------------------------------------------------------

kj::Promise<ReadAnswer> LedgerReads::Checkpoint() { return ReadCheckpoint(ledger_); }
kj::Promise<ReadAnswer> LedgerReads::Tile(const ledger::Tile& tile) {
  return ReadTile(ledger_, tile);
}
kj::Promise<Status> LedgerReads::Health() { return CheckHealth(ledger_); }

kj::Promise<ReadAnswer> PostedLedgerReads::Checkpoint() {
  const ledger::Ledger* ledger = &ledger_;
  return PostRead<ReadAnswer>(post_, [ledger] { return ReadCheckpoint(*ledger); });
}
kj::Promise<ReadAnswer> PostedLedgerReads::Tile(const ledger::Tile& tile) {
  const ledger::Ledger* ledger = &ledger_;
  return PostRead<ReadAnswer>(post_, [ledger, tile] { return ReadTile(*ledger, tile); });
}
kj::Promise<Status> PostedLedgerReads::Health() {
  const ledger::Ledger* ledger = &ledger_;
  return PostRead<Status>(post_, [ledger] { return CheckHealth(*ledger); });
}

// --- HttpFront ---------------------------------------------------------------------------

class HttpFront::Impl final : public kj::HttpService,
                              public kj::HttpServerErrorHandler,
                              private kj::TaskSet::ErrorHandler {
 public:
  Impl(kj::Timer& timer, ReadSource& reads, Metrics& metrics, HttpFrontOptions options)
      : timer_(timer), reads_(reads), metrics_(metrics), options_(std::move(options)) {
    if (!options_.now_unix_seconds) options_.now_unix_seconds = SystemUnixSeconds;
    kj::HttpHeaderTable::Builder builder;
    cache_control_ = builder.add("Cache-Control");
    allow_ = builder.add("Allow");
    accept_encoding_ = builder.add("Accept-Encoding");
    content_encoding_ = builder.add("Content-Encoding");
    vary_ = builder.add("Vary");
    table_ = builder.build();
    kj::HttpServerSettings settings;
    settings.headerTimeout = options_.header_timeout;
    settings.errorHandler = *this;
    server_ = kj::heap<kj::HttpServer>(timer_, *table_, *this, settings);
  }

  kj::Promise<void> Listen(kj::ConnectionReceiver& receiver) {
    return receiver.accept().then([this, &receiver](kj::Own<kj::AsyncIoStream>&& connection) {
      if (open_ >= options_.max_connections) {
        tasks_.add(Busy(kj::mv(connection)));
      } else {
        ++open_;
        tasks_.add(server_->listenHttp(kj::mv(connection)).attach(kj::defer([this] { --open_; })));
      }
      return Listen(receiver);
    });
  }

  kj::Promise<void> Drain() { return server_->drain(); }

  // kj::HttpService
  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url,
                            const kj::HttpHeaders& headers, kj::AsyncInputStream& /*body*/,
                            Response& response) override {
    if (method != kj::HttpMethod::GET && method != kj::HttpMethod::HEAD) {
      Reply reply = Text(405, "only GET and HEAD are served\n");
      reply.allow_header = true;
      return Send(response, std::move(reply));
    }
    std::string_view path(url.cStr(), url.size());
    path = path.substr(0, path.find_first_of("?#"));
    if (path == "/metrics") {
      return Send(response, Reply{200, kMetricsType, kNoStore,
                                  metrics_.Render(options_.now_unix_seconds()), false});
    }
    if (path == "/healthz") {
      return reads_.Health().then([this, &response](Status health) {
        std::string detail;
        if (options_.health_detail) detail = options_.health_detail();
        if (!detail.empty() && detail.back() != '\n') detail.push_back('\n');
        return Send(response, health.ok()
                                  ? Text(200, "ok\n" + detail)
                                  : Text(503, "unhealthy: " + health.ToString() + "\n" + detail));
      });
    }
    if (path == "/checkpoint") {
      return reads_.Checkpoint().then([this, &response](ReadAnswer checkpoint) {
        if (!checkpoint.status.ok()) return Send(response, Error(checkpoint.status));
        if (!checkpoint.found) return Send(response, Text(404, "no checkpoint yet\n", kNoCache));
        return Send(response, Reply{200, kTextPlain, kNoCache, std::move(checkpoint.body), false});
      });
    }
    if (path.rfind("/tile/", 0) == 0) {
      Result<ledger::Tile> tile = ledger::ParseTilePath(path.substr(1));
      if (!tile.ok()) {
        return Send(
            response,
            Text(400, "not a tile path (c2sp.org/tlog-tiles): " + tile.status().message() + "\n"));
      }
      // c2sp.org/tlog-tiles: "Entry bundles SHOULD be compressed at the HTTP layer": gzip
      // when the client accepts it.
      bool gzip = false;
      KJ_IF_MAYBE (accepted, headers.get(accept_encoding_)) {
        gzip = tile->entries && AcceptsGzip(std::string_view(accepted->cStr(), accepted->size()));
      }
      return reads_.Tile(*tile).then([this, &response, gzip](ReadAnswer bytes) {
        if (!bytes.status.ok()) return Send(response, Error(bytes.status));
        if (!bytes.found) return Send(response, Text(404, "beyond the current tree\n", kNoCache));
        return Send(response,
                    Reply{200, kOctetStream, kImmutable, std::move(bytes.body), false, gzip});
      });
    }
    return Send(response, Text(404, "not found: /metrics, /healthz, /checkpoint, /tile/...\n"));
  }

  // kj::HttpServerErrorHandler: the one place where kj's errors become HTTP answers.
  kj::Promise<void> handleClientProtocolError(kj::HttpHeaders::ProtocolError error,
                                              Response& response) override {
    // A client's error is a 4xx: kj's own code when it is one, else 400; the status text
    // is ours (kj pairs 400 with "Not Implemented" for an unknown method).
    const bool client_code = error.statusCode >= 400 && error.statusCode < 500;
    Reply reply = Text(client_code ? error.statusCode : 400,
                       fmt::format("bad request: {}\n", error.description.cStr()));
    return Send(response, std::move(reply));
  }
  kj::Promise<void> handleApplicationError(kj::Exception exception,
                                           kj::Maybe<Response&> response) override {
    if (exception.getType() == kj::Exception::Type::DISCONNECTED) return kj::READY_NOW;
    Log(exception);
    KJ_IF_MAYBE (r, response) {
      return Send(*r, Text(500, "internal error\n"));
    }
    return kj::READY_NOW;
  }

 private:
  // kj::TaskSet::ErrorHandler: a connection that failed (a client gone mid-answer).
  void taskFailed(kj::Exception&& exception) override {
    if (exception.getType() != kj::Exception::Type::DISCONNECTED) Log(exception);
  }
  void Log(const kj::Exception& exception) {
    if (options_.log_error) options_.log_error(exception.getDescription().cStr());
  }

  Reply Error(const Status& status) {
    if (options_.log_error) options_.log_error(status.ToString());
    return Text(500, "error: " + status.ToString() + "\n");
  }

  kj::Promise<void> Send(Response& response, Reply reply) {
    metrics_.CountHttpResponse(static_cast<int>(reply.status));
    kj::HttpHeaders headers(*table_);
    const std::string content_type(reply.content_type);
    const std::string cache_control(reply.cache_control);
    headers.set(kj::HttpHeaderId::CONTENT_TYPE, content_type.c_str());
    headers.set(cache_control_, cache_control.c_str());
    if (reply.allow_header) headers.set(allow_, "GET, HEAD");
    if (reply.gzip) {
      reply.body = Gzip(reply.body);
      headers.set(content_encoding_, "gzip");
    }
    if (reply.content_type == kOctetStream) headers.set(vary_, "Accept-Encoding");
    auto body = kj::heap<std::string>(std::move(reply.body));
    auto stream = response.send(reply.status, StatusText(reply.status), headers,
                                static_cast<uint64_t>(body->size()));
    if (body->empty()) return kj::Promise<void>(kj::READY_NOW).attach(kj::mv(stream));
    auto written = stream->write(body->data(), body->size());
    return written.attach(kj::mv(stream), kj::mv(body));
  }

  // 503 to a connection beyond max_connections, then close it (after reading what it
  // sent, a second at most, so that the close does not reset the answer away).
  kj::Promise<void> Busy(kj::Own<kj::AsyncIoStream> connection) {
    metrics_.CountHttpResponse(503);
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; "
        "charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: 21\r\n\r\n"
        "too many connections\n";
    // The stream and the buffer live on the heap, owned by the attachments below: the
    // continuations hold plain pointers to them.
    kj::AsyncIoStream* stream = connection.get();
    auto buffer = kj::heapArray<kj::byte>(4096);
    kj::byte* bytes = buffer.begin();
    const size_t size = buffer.size();
    return stream->write(kBusy.data(), kBusy.size())
        .then([stream] { stream->shutdownWrite(); })
        .then([this, stream, bytes, size] {
          return timer_.timeoutAfter(1 * kj::SECONDS,
                                     stream->tryRead(bytes, 1, size).ignoreResult());
        })
        .attach(kj::mv(connection), kj::mv(buffer));
  }

  kj::Timer& timer_;
  ReadSource& reads_;
  Metrics& metrics_;
  HttpFrontOptions options_;
  kj::HttpHeaderId cache_control_ = kj::HttpHeaderId::HOST;  // set by the constructor
  kj::HttpHeaderId allow_ = kj::HttpHeaderId::HOST;
  kj::HttpHeaderId accept_encoding_ = kj::HttpHeaderId::HOST;
  kj::HttpHeaderId content_encoding_ = kj::HttpHeaderId::HOST;
  kj::HttpHeaderId vary_ = kj::HttpHeaderId::HOST;
  kj::Own<kj::HttpHeaderTable> table_;
  kj::Own<kj::HttpServer> server_;
  uint32_t open_ = 0;
  kj::TaskSet tasks_{*this};  // last: its connections go before what they use
};

HttpFront::HttpFront(kj::Timer& timer, ReadSource& reads, Metrics& metrics,
                     HttpFrontOptions options)
    : impl_(std::make_unique<Impl>(timer, reads, metrics, std::move(options))) {}
HttpFront::~HttpFront() = default;
kj::Promise<void> HttpFront::Listen(kj::ConnectionReceiver& receiver) {
  return impl_->Listen(receiver);
}
kj::Promise<void> HttpFront::Drain() { return impl_->Drain(); }

// --- HttpFrontThread ---------------------------------------------------------------------

struct HttpFrontThread::Shared {
  std::mutex mu;
  // The thread's stop signal while it serves (null before and after).
  kj::CrossThreadPromiseFulfiller<kj::Duration>* stop = nullptr;
  std::thread thread;
  bool stopped = false;
};

namespace {

struct Started {
  std::string address;  // as bound
  Status status;
};

}  // namespace

Result<std::unique_ptr<HttpFrontThread>> HttpFrontThread::Start(std::string_view address,
                                                                ReadSource& reads, Metrics& metrics,
                                                                HttpFrontOptions options) {
  auto shared = std::make_shared<Shared>();
  auto started = std::make_shared<std::promise<Started>>();
  std::future<Started> ready = started->get_future();
  shared->thread = std::thread([shared_ptr = shared.get(), started, address = std::string(address),
                                &reads, &metrics, options = std::move(options)]() mutable {
    Shared& s = *shared_ptr;
    // A write to a connection its client closed is an EPIPE error, not a signal that
    // kills the process: SIGPIPE stays blocked on this thread.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    bool announced = false;
    bool parsed = false;
    std::optional<std::string> error = base::CatchKj([&] {
      auto io = kj::setupAsyncIo();
      kj::Own<kj::NetworkAddress> network_address =
          io.provider->getNetwork().parseAddress(kj::StringPtr(address.c_str())).wait(io.waitScope);
      parsed = true;
      kj::Own<kj::ConnectionReceiver> receiver = network_address->listen();
      std::string where = address;
      if (address.rfind("unix:", 0) != 0) {
        where = fmt::format("{}:{}", address.substr(0, address.rfind(':')), receiver->getPort());
      }
      HttpFront front(io.provider->getTimer(), reads, metrics, std::move(options));
      auto stop = kj::newPromiseAndCrossThreadFulfiller<kj::Duration>();
      {
        std::lock_guard<std::mutex> lock(s.mu);
        s.stop = stop.fulfiller.get();
      }
      KJ_DEFER({
        std::lock_guard<std::mutex> lock(s.mu);
        s.stop = nullptr;
      });
      started->set_value(Started{where, Status::OK()});
      announced = true;
      kj::Duration grace = stop.promise
                               .exclusiveJoin(front.Listen(*receiver).then(
                                   []() -> kj::Duration { return 0 * kj::SECONDS; }))
                               .wait(io.waitScope);
      receiver = nullptr;  // no new connection
      front.Drain().exclusiveJoin(io.provider->getTimer().afterDelay(grace)).wait(io.waitScope);
    });
    if (!announced) {
      started->set_value(Started{
          "",
          parsed || !error
              ? Status::IoError(fmt::format("--http {}: {}", address, error.value_or("stopped")))
              : Status::InvalidArgument("USAGE", fmt::format("--http {}: not an address (HOST:PORT "
                                                             "or unix:PATH): {}",
                                                             address, *error))});
    }
  });
  Started result = ready.get();
  if (!result.status.ok()) {
    shared->thread.join();
    return result.status;
  }
  auto front = std::unique_ptr<HttpFrontThread>(new HttpFrontThread());
  front->address_ = std::move(result.address);
  front->shared_ = std::move(shared);
  return front;
}

void HttpFrontThread::Stop(kj::Duration grace) {
  if (shared_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (shared_->stopped) return;
    shared_->stopped = true;
    if (shared_->stop != nullptr) shared_->stop->fulfill(kj::cp(grace));
  }
  if (shared_->thread.joinable()) shared_->thread.join();
}

HttpFrontThread::~HttpFrontThread() { Stop(); }

}  // namespace esms::service
