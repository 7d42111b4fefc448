// The HTTP front of the service (`serve --http ADDR`, INTERFACE.md §6): plain HTTP/1.1
// (kj-http) for public data only:
//
//   GET /metrics                     Prometheus text 0.0.4 (service/metrics.h)
//   GET /healthz                     200 "ok" when the ledger answers, else 503 and why
//   GET /checkpoint                  the latest signed checkpoint (c2sp.org/tlog-checkpoint)
//   GET /tile/<L>/<N>[.p/<W>]        hash tiles         } c2sp.org/tlog-tiles, as
//   GET /tile/entries/<N>[.p/<W>]    entry bundles      } ledger/tiles.h makes them
//
// Per c2sp.org/tlog-tiles: the checkpoint is text/plain; charset=utf-8 with
// "Cache-Control: no-cache" (it changes at every commit); tiles and bundles are
// application/octet-stream, immutable (a path names its content, partial tiles by their
// width) and cached for a year. A tile is served whenever the current tree holds all its
// hashes: every tile of the tree of any checkpoint produced so far, partial ones included;
// a tile beyond the tree is 404 (no-cache: it may exist later). Entry bundles are gzipped
// for a client whose Accept-Encoding takes gzip (the spec's SHOULD). HEAD is answered as GET
// without the body. Refused, never a crash: another method 405 (Allow: GET, HEAD), an
// unknown path 404, a malformed tile path 400, a malformed request or headers larger than
// kj's limit 400 (kj), a client that sends nothing for `header_timeout` is disconnected,
// and connections beyond `max_connections` get 503 and are closed.
//
// Threads: an HttpFront lives on one kj event loop and calls its ReadSource there;
// HttpFrontThread runs one on a thread of its own. The reads go through ReadSource, so
// that a server whose ledger belongs to its writer thread answers them there
// (PostedLedgerReads); LedgerReads reads a `const Ledger&` in place.
#ifndef ESMS_SERVICE_HTTP_H_
#define ESMS_SERVICE_HTTP_H_

#include <kj/async-io.h>
#include <kj/async.h>
#include <kj/time.h>
#include <kj/timer.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/tiles.h"
#include "service/metrics.h"

namespace esms::service {

// What a read found: a resource (the checkpoint note, a tile's bytes), nothing there yet
// (a 404), or an error (a 500). A plain struct: the promises of kj carry it as it is.
struct ReadAnswer {
  Status status;       // not OK: the read failed (a 500 naming the error)
  bool found = false;  // OK and false: no such resource (yet)
  std::string body;    // when found: the checkpoint note or the tile's bytes

  static ReadAnswer Found(std::string body) {
    return ReadAnswer{Status::OK(), true, std::move(body)};
  }
  static ReadAnswer Absent() { return ReadAnswer{Status::OK(), false, {}}; }
  static ReadAnswer Failed(Status status) { return ReadAnswer{std::move(status), false, {}}; }
};

// What the front reads. Called on the front's event loop; an answer may come later (a
// promise fulfilled from another thread: kj::newPromiseAndCrossThreadFulfiller). An
// error (a failed answer, or a broken promise) is a 500 to that request only.
class ReadSource {
 public:
  virtual ~ReadSource() = default;
  // The latest signed checkpoint note; absent when the ledger has none.
  virtual kj::Promise<ReadAnswer> Checkpoint() = 0;
  // The bytes of `tile` (ledger::LedgerTileBytes); absent when the tree does not hold all
  // of its hashes.
  virtual kj::Promise<ReadAnswer> Tile(const ledger::Tile& tile) = 0;
  // OK when the ledger answers (its head record and latest checkpoint read back); else why.
  virtual kj::Promise<Status> Health() = 0;
};

// The reads, made at once on the calling thread. The caller keeps every write to
// `ledger` off the front's thread while a read runs (Ledger's thread-safety rule): a
// ledger opened read-only, or one no batch writes while the front serves.
class LedgerReads final : public ReadSource {
 public:
  explicit LedgerReads(const ledger::Ledger& ledger) : ledger_(ledger) {}
  kj::Promise<ReadAnswer> Checkpoint() override;
  kj::Promise<ReadAnswer> Tile(const ledger::Tile& tile) override;
  kj::Promise<Status> Health() override;

 private:
  const ledger::Ledger& ledger_;
};

// The same reads, each run as a job handed to `post` (for a server: queued to the writer
// thread, which runs it between group commits), the answer going back to the front's
// thread. `post` may be called from the front's thread at any time and must run the job
// once, on any thread, or drop it (the request then gets a 500). `ledger` and `post`'s
// target outlive this object and the jobs.
class PostedLedgerReads final : public ReadSource {
 public:
  using Post = std::function<void(std::function<void()> job)>;
  PostedLedgerReads(const ledger::Ledger& ledger, Post post)
      : ledger_(ledger), post_(std::move(post)) {}
  kj::Promise<ReadAnswer> Checkpoint() override;
  kj::Promise<ReadAnswer> Tile(const ledger::Tile& tile) override;
  kj::Promise<Status> Health() override;

 private:
  const ledger::Ledger& ledger_;
  Post post_;
};

struct HttpFrontOptions {
  // A connection must send a whole request within this time of opening (or of its first
  // byte, for the next request on a kept-alive connection).
  kj::Duration header_timeout = 10 * kj::SECONDS;
  // Open connections served at once; the next ones get 503 and are closed.
  uint32_t max_connections = 256;
  // Unix seconds now, for /metrics' checkpoint age (default: the system clock).
  std::function<int64_t()> now_unix_seconds;
  // Told what went wrong when a request gets a 500 or a connection fails other than by
  // its client going away (for the server's log); called on the front's thread.
  std::function<void(std::string_view what)> log_error;
  // Lines added to /healthz's answer after its first line (serve --witness: the witness
  // quorum's state, service/witness_pusher.h); called on the front's thread.
  std::function<std::string()> health_detail;
};

// The HTTP service on a kj event loop. `timer`, `reads` and `metrics` outlive it.
// Thread-safety: on its event loop's thread only.
class HttpFront {
 public:
  HttpFront(kj::Timer& timer, ReadSource& reads, Metrics& metrics, HttpFrontOptions options = {});
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Accepts and serves connections from `receiver` until the promise is dropped (the
  // connections already open go on until Drain or destruction). `receiver` outlives it.
  kj::Promise<void> Listen(kj::ConnectionReceiver& receiver);
  // Stops reading new requests; resolves once the requests under way are answered.
  kj::Promise<void> Drain();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// An HttpFront on a thread of its own, with its own event loop: what `serve --http ADDR`
// starts. Thread-safety: Start, address and Stop from any one thread.
class HttpFrontThread {
 public:
  // Binds `address` (HOST:PORT, PORT 0 for any free port; or unix:PATH) and serves.
  // USAGE for an address that does not parse; STORAGE_ERROR when it cannot be bound (in
  // use, no permission). `reads` and `metrics` outlive the returned object.
  static Result<std::unique_ptr<HttpFrontThread>> Start(std::string_view address, ReadSource& reads,
                                                        Metrics& metrics,
                                                        HttpFrontOptions options = {});
  ~HttpFrontThread();  // Stop()
  HttpFrontThread(const HttpFrontThread&) = delete;
  HttpFrontThread& operator=(const HttpFrontThread&) = delete;

  // Where it listens: "127.0.0.1:41234" (the port bound), "unix:/run/esms/http.sock".
  const std::string& address() const { return address_; }
  // Stops accepting, answers the requests under way (at most `grace`), closes the
  // connections and joins the thread. Idempotent.
  void Stop(kj::Duration grace = 2 * kj::SECONDS);

 private:
  struct Shared;  // what the thread and its owner share
  HttpFrontThread() = default;
  std::string address_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace esms::service

#endif  // ESMS_SERVICE_HTTP_H_
