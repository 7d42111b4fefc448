// The witness's HTTP front. See witness/server.h.
#include "witness/server.h"

#include <signal.h>

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/compat/http.h>
#include <kj/debug.h>

#include "base/bounded_queue.h"
#include "base/kj.h"

namespace esms::witness {
namespace {

kj::StringPtr StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 422:
      return "Unprocessable Entity";
    default:
      return "Internal Server Error";
  }
}

// Reads a request body of at most kMaxRequestBytes.
struct BodyReader {
  explicit BodyReader(kj::AsyncInputStream& in) : in(in) {}
  kj::AsyncInputStream& in;
  std::string text;
  kj::byte buffer[16384];
};

// True when the whole body was read, false when it is larger than the limit.
kj::Promise<bool> ReadBody(BodyReader& r) {
  return r.in.tryRead(r.buffer, 1, sizeof r.buffer).then([&r](size_t n) -> kj::Promise<bool> {
    if (n == 0) return true;
    r.text.append(reinterpret_cast<const char*>(r.buffer), n);
    if (r.text.size() > kMaxRequestBytes) return false;
    return ReadBody(r);
  });
}

class WitnessService final : public kj::HttpService, private kj::TaskSet::ErrorHandler {
 public:
  WitnessService(Witness& witness, const kj::HttpHeaderTable& table, const ServeOptions& options)
      : witness_(witness), table_(table), options_(options), tasks_(*this) {}

  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url,
                            const kj::HttpHeaders& /*headers*/, kj::AsyncInputStream& body,
                            Response& response) override {
    const std::string method_name = kj::str(method).cStr();
    std::string path = url.cStr();
    if (path != "/add-checkpoint") {
      return Send(response, method_name, path,
                  Reply{404, "text/plain; charset=utf-8", "not found: POST /add-checkpoint\n"});
    }
    if (method != kj::HttpMethod::POST) {
      return Send(response, method_name, path,
                  Reply{405, "text/plain; charset=utf-8", "use POST for /add-checkpoint\n"});
    }
    KJ_IF_MAYBE (length, body.tryGetLength()) {
      if (*length > kMaxRequestBytes) {
        return Send(response, method_name, path, TooLarge());
      }
    }
    auto reader = kj::heap<BodyReader>(body);
    BodyReader& r = *reader;
    return ReadBody(r)
        .then([this, &r, &response, method_name, path](bool complete) -> kj::Promise<void> {
          if (!complete) return Send(response, method_name, path, TooLarge());
          Reply reply = witness_.Add(r.text, static_cast<uint64_t>(std::time(nullptr)));
          if (!reply.accepted()) return Send(response, method_name, path, reply);
          return AwaitPersist().then(
              [this, &response, method_name, path, reply = std::move(reply)](bool durable) {
                if (!durable) {
                  return Send(response, method_name, path,
                              Reply{500, "text/plain; charset=utf-8",
                                    "the witness could not write its state: not cosigned\n"});
                }
                return Send(response, method_name, path, reply);
              });
        })
        .attach(kj::mv(reader));
  }

 private:
  static Reply TooLarge() {
    return Reply{400, "text/plain; charset=utf-8",
                 "request body larger than " + std::to_string(kMaxRequestBytes) + " bytes\n"};
  }

  kj::Promise<void> Send(Response& response, const std::string& method, const std::string& path,
                         const Reply& reply) {
    if (options_.on_request) options_.on_request(method, path, reply.http_status);
    kj::HttpHeaders headers(table_);
    headers.set(kj::HttpHeaderId::CONTENT_TYPE, kj::str(reply.content_type.c_str()));
    auto body = kj::heapString(reply.body.data(), reply.body.size());
    auto stream = response.send(static_cast<uint>(reply.http_status), StatusText(reply.http_status),
                                headers, body.size());
    auto written = stream->write(body.begin(), body.size());
    return written.attach(kj::mv(stream), kj::mv(body));
  }

  // Resolves once the checkpoints accepted so far are on disk (true) or failed to be
  // written (false).
  kj::Promise<bool> AwaitPersist() {
    auto paf = kj::newPromiseAndFulfiller<bool>();
    pending_.push_back(kj::mv(paf.fulfiller));
    if (!write_scheduled_) {
      write_scheduled_ = true;
      // Once this turn's requests are all checked: they share the write.
      tasks_.add(kj::evalLast([this]() {
        write_scheduled_ = false;
        StartWrite();
      }));
    }
    return kj::mv(paf.promise);
  }

  // Starts writing the pending checkpoints on the writer thread, unless a write is in
  // flight (its end starts the next one, with everything accepted meanwhile).
  void StartWrite() {
    if (writing_) return;
    std::optional<std::string> contents = witness_.BeginPersist();
    if (!contents.has_value()) return;
    writing_ = true;
    inflight_ = std::move(pending_);
    pending_.clear();
    auto paf = kj::newPromiseAndCrossThreadFulfiller<bool>();
    auto job = [this, contents = std::move(*contents),
                fulfiller = std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<bool>>>(
                    kj::mv(paf.fulfiller))]() mutable {
      const Status written = witness_.WriteState(contents);
      if (!written.ok()) KJ_LOG(ERROR, "witness state not written", written.ToString().c_str());
      (*fulfiller)->fulfill(written.ok());
    };
    writer_.Push(std::move(job));
    tasks_.add(paf.promise.then([this](bool written) { EndWrite(written); }));
  }

  void EndWrite(bool written) {
    witness_.EndPersist(written);
    writing_ = false;
    auto answer = [written](std::vector<kj::Own<kj::PromiseFulfiller<bool>>>& waiters) {
      std::vector<kj::Own<kj::PromiseFulfiller<bool>>> now = std::move(waiters);
      waiters.clear();
      for (auto& fulfiller : now) fulfiller->fulfill(bool(written));
    };
    answer(inflight_);
    // A failed write drops the checkpoints accepted meanwhile too (they were checked
    // against the ones it held).
    if (!written) answer(pending_);
    StartWrite();
  }

  void taskFailed(kj::Exception&& exception) override {
    KJ_LOG(ERROR, "witness task failed", exception);
  }

  Witness& witness_;
  const kj::HttpHeaderTable& table_;
  const ServeOptions& options_;
  // The writer thread: one durable write of the state at a time.
  struct Writer {
    Writer()
        : thread([this] {
            while (std::optional<std::function<void()>> job = jobs.Pop()) (*job)();
          }) {}
    ~Writer() {
      jobs.Finish();
      thread.join();
    }
    void Push(std::function<void()> job) { jobs.Push(std::move(job)); }
    base::BoundedQueue<std::function<void()>> jobs{4};
    std::thread thread;
  };

  std::vector<kj::Own<kj::PromiseFulfiller<bool>>> pending_;   // accepted, not in a write
  std::vector<kj::Own<kj::PromiseFulfiller<bool>>> inflight_;  // in the write under way
  bool write_scheduled_ = false;
  bool writing_ = false;
  kj::TaskSet tasks_;
  Writer writer_;  // last: joined first, while the rest is still there
};

}  // namespace

Status Serve(Witness& witness, const ServeOptions& options) {
  Status result;
  std::optional<std::string> error = base::CatchKj([&]() {
    kj::UnixEventPort::captureSignal(SIGTERM);
    kj::UnixEventPort::captureSignal(SIGINT);
    auto io = kj::setupAsyncIo();
    auto address = io.provider->getNetwork()
                       .parseAddress(kj::StringPtr(options.listen.c_str()))
                       .wait(io.waitScope);
    auto receiver = address->listen();
    std::string bound = options.listen;
    if (!bound.starts_with("unix:")) {
      const size_t colon = bound.rfind(':');
      bound = bound.substr(0, colon == std::string::npos ? bound.size() : colon) + ":" +
              std::to_string(receiver->getPort());
    }
    kj::HttpHeaderTable table;
    WitnessService service(witness, table, options);
    kj::HttpServer server(io.provider->getTimer(), table, service);
    if (options.on_listening) options.on_listening(bound);
    auto stop = io.unixEventPort.onSignal(SIGTERM).ignoreResult().exclusiveJoin(
        io.unixEventPort.onSignal(SIGINT).ignoreResult());
    stop.exclusiveJoin(server.listenHttp(*receiver)).wait(io.waitScope);
  });
  if (error) return Status::Unavailable("witness serve " + options.listen + ": " + *error);
  return result;
}

}  // namespace esms::witness
