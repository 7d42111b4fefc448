// g++ 12 sees a moved-from AppendResult's strings as "maybe uninitialized" where kj's
// cross-thread fulfiller destroys its ExceptionOr (a false positive of its inliner, in
// the append callback). The pragma must precede the headers: the warning's location is
// in <string>.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "service/server.h"

#include <openssl/rand.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include <capnp/message.h>
#include <capnp/rpc-twoparty.h>
#include <capnp/rpc.capnp.h>
#include <capnp/serialize-async.h>
#include <capnp/serialize.h>
#include <fmt/format.h>
#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/compat/tls.h>
#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "base/kj.h"
#include "base/text.h"
#include "service/access.h"
#include "service/address.h"
#include "service/ledger_service.capnp.h"

namespace esms::service {
namespace {

// The longest event a line may carry (cli/input.h kMaxLineBytes: the import's line limit).
constexpr size_t kMaxEventBytes = 8 << 20;

capnp::ReaderOptions ReaderOptionsFor(uint64_t max_message_bytes) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = max_message_bytes / sizeof(capnp::word);
  options.nestingLimit = 16;
  return options;
}

void SetError(schema::Error::Builder error, const Status& status) {
  error.setCanonical(static_cast<uint8_t>(status.code()));
  std::string_view code = status.error_code();
  error.setCode(std::string(code.empty() ? DefaultErrorCode(status.code()) : code));
  error.setMessage(status.message());
  auto conflicts = error.initConflicts(status.conflicts().size());
  for (size_t i = 0; i < status.conflicts().size(); ++i) conflicts.set(i, status.conflicts()[i]);
}

// A refused read, printed as the command prints an error (cli/output.h ReportError).
ReadOutput RefusedRead(const Status& status, bool json, int exit_code) {
  std::string_view code = status.error_code();
  if (code.empty()) code = DefaultErrorCode(status.code());
  ReadOutput output;
  output.exit_code = exit_code;
  output.error = status;
  if (json) {
    output.out =
        nlohmann::json{{"error", {{"code", code}, {"message", status.message()}}}}.dump() + "\n";
  } else {
    output.err = fmt::format("error: {}: {}\n", code, status.message());
  }
  return output;
}

std::vector<AppendLine> DecodeLines(capnp::List<schema::SignedLine>::Reader lines) {
  std::vector<AppendLine> out;
  out.reserve(lines.size());
  for (schema::SignedLine::Reader wire : lines) {
    AppendLine& line = out.emplace_back();
    line.line = wire.getLine();
    capnp::Text::Reader event = wire.getEvent();
    capnp::Data::Reader signature = wire.getSignature();
    line.signer = std::string(wire.getSigner().cStr(), wire.getSigner().size());
    if (event.size() > kMaxEventBytes) {
      line.refusal = Status::BadInput(fmt::format(
          "the event is {} bytes, more than the {} a line may hold", event.size(), kMaxEventBytes));
    } else if (std::memchr(event.begin(), '\0', event.size()) != nullptr) {
      line.refusal = Status::BadInput("a NUL byte in the event: an event line is text");
    } else if (signature.size() != line.signature.size()) {
      line.refusal = Status::BadInput("a signed line's \"signature\" is not 64 bytes of base64");
    } else {
      line.event_json = std::string(event.cStr(), event.size());
      std::memcpy(line.signature.data(), signature.begin(), signature.size());
    }
    if (!line.refusal.ok()) break;  // the request ends at its first bad line
  }
  return out;
}

// What every connection shares.
struct Shared {
  Writer& writer;
  const ServerOptions& options;
  std::string origin;
  std::atomic<uint64_t> next_request{1};
  bool draining = false;
  // The clients' requests taken and not answered yet (appends and reads; on the event
  // loop only): what SIGTERM's drain waits for. The writer may also run jobs of its own
  // followers and the HTTP front meanwhile; those have no client to answer.
  size_t pending = 0;
  kj::Timer* timer = nullptr;
  uint64_t NextId() { return next_request++; }
};

template <typename T>
using SharedFulfiller = std::shared_ptr<kj::Own<kj::CrossThreadPromiseFulfiller<T>>>;

class LedgerImpl final : public schema::Ledger::Server {
 public:
  LedgerImpl(Shared& shared, Peer peer, uint64_t connection)
      : shared_(shared), peer_(std::move(peer)), connection_(connection) {}

  kj::Promise<void> info(InfoContext context) override {
    auto params = context.getParams();
    std::optional<ledger::PublicKey> key;
    if (params.hasPublicKey() && params.getPublicKey().size() == ledger::PublicKey{}.size()) {
      key.emplace();
      std::memcpy(key->data(), params.getPublicKey().begin(), key->size());
    }
    LedgerInfo info = shared_.writer.Info(key);
    auto results = context.getResults();
    results.setOrigin(info.origin);
    results.setVerifierKey(info.verifier_key);
    results.setSize(info.size);
    results.setSigner(info.signer);
    return kj::READY_NOW;
  }

  kj::Promise<void> append(AppendContext context) override {
    const uint64_t id = shared_.NextId();
    std::vector<AppendLine> lines = DecodeLines(context.getParams().getLines());
    context.releaseParams();
    if (shared_.draining) {
      SetError(context.getResults().initError(),
               Status::Unavailable("the server is shutting down: nothing of this request was "
                                   "written; retry against the restarted server"));
      return kj::READY_NOW;
    }
    if (shared_.options.log != nullptr) {
      shared_.options.log->debug("req={} conn={} key={} append lines={}", id, connection_,
                                 peer_.key_name, lines.size());
    }
    auto paf = kj::newPromiseAndCrossThreadFulfiller<AppendResult>();
    auto fulfiller = std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<AppendResult>>>(
        kj::mv(paf.fulfiller));
    shared_.writer.Append(id, std::move(lines), [fulfiller](AppendResult result) {
      (*fulfiller)->fulfill(kj::mv(result));
    });
    return Pending(paf.promise.then([context](AppendResult result) mutable {
      auto out = context.getResults();
      auto list = out.initResults(result.results.size());
      for (size_t i = 0; i < result.results.size(); ++i) {
        const LineOutcome& r = result.results[i];
        auto item = list[i];
        item.setLine(r.line);
        item.setId(r.id);
        item.setSeq(r.appended.seq);
        item.setExisting(r.appended.existing);
      }
      out.setSize(result.size);
      if (!result.refusal.ok()) {
        out.setRefused(true);
        out.setRefusedLine(result.refused_line);
        out.setRefusedLast(result.refused_last);
        out.setRefusedId(result.refused_id);
        SetError(out.initError(), result.refusal);
      }
    }));
  }

  // The read methods: each fills a ReadRequest from its parameters (every one has `json`).
  kj::Promise<void> log(LogContext context) override {
    return ReadParams(ReadRequest::Command::kLog, context, [](ReadRequest& r, auto p) {
      if (p.getHasFrom()) r.from = p.getFrom();
      if (p.getHasTo()) r.to = p.getTo();
    });
  }
  kj::Promise<void> verify(VerifyContext context) override {
    return ReadParams(ReadRequest::Command::kVerify, context,
                      [](ReadRequest& r, auto p) { r.no_signatures = p.getNoSignatures(); });
  }
  kj::Promise<void> checkpoint(CheckpointContext context) override {
    return ReadParams(ReadRequest::Command::kCheckpoint, context, [](ReadRequest&, auto) {});
  }
  kj::Promise<void> prove(ProveContext context) override {
    return ReadParams(ReadRequest::Command::kProve, context, [](ReadRequest& r, auto p) {
      r.seq = p.getSeq();
      if (p.getHasSize()) r.size = p.getSize();
      r.tlog_proof = p.getTlogProof();
    });
  }
  kj::Promise<void> consistency(ConsistencyContext context) override {
    return ReadParams(ReadRequest::Command::kConsistency, context, [](ReadRequest& r, auto p) {
      r.old_size = p.getOld();
      r.new_size = p.getNew();
    });
  }
  kj::Promise<void> state(StateContext context) override {
    return ReadParams(ReadRequest::Command::kState, context, ProjectParams{});
  }
  kj::Promise<void> check(CheckContext context) override {
    return ReadParams(ReadRequest::Command::kCheck, context, ProjectParams{});
  }
  kj::Promise<void> history(HistoryContext context) override {
    return ReadParams(ReadRequest::Command::kHistory, context,
                      [](ReadRequest& r, auto p) { r.key = p.getKey(); });
  }
  // The reads whose products the client writes itself (cli/remote.cc).
  kj::Promise<void> report(ReportContext context) override {
    auto p = context.getParams();
    ReadRequest r;
    r.command = ReadRequest::Command::kReport;
    r.json = p.getJson();
    r.at = std::string(p.getAt());
    r.by = p.getBy();
    r.format = p.getFormat();
    r.bundle = p.getBundle();
    r.out = p.getOut();
    if (p.getHasBundleName()) r.bundle_name = std::string(p.getBundleName());
    return Read(std::move(r), context, [](auto results, const ReadOutput& output) {
      SetOutput(results.initOutput(), output);
      if (output.exit_code != 0) return;
      results.setText(Bytes(output.text));
      results.setJson(Bytes(output.json));
      results.setBundle(Bytes(output.bundle));
    });
  }
  kj::Promise<void> bundle(BundleContext context) override {
    auto p = context.getParams();
    ReadRequest r;
    r.command = ReadRequest::Command::kBundle;
    r.json = p.getJson();
    r.key = p.getProject();
    r.at = std::string(p.getAt());
    if (p.getHasCosigned()) r.cosigned = std::string(p.getCosigned());
    return Read(std::move(r), context, [](auto results, const ReadOutput& output) {
      SetOutput(results.initOutput(), output);
      if (output.exit_code == 0) results.setBundle(Bytes(output.bundle));
    });
  }
  kj::Promise<void> share(ShareContext context) override {
    auto p = context.getParams();
    ReadRequest r;
    r.command = ReadRequest::Command::kShare;
    r.at = std::string(p.getAt());
    r.by = p.getBy();
    r.bundle = p.getBundle();
    return Read(std::move(r), context, [](auto results, const ReadOutput& output) {
      if (!output.error.ok()) {
        SetError(results.initError(), output.error);
      } else if (output.exit_code != 0) {
        // The writer stopping (exit 4) before the share was computed.
        SetError(results.initError(), output.exit_code == 4 ? Status::Unavailable(output.err)
                                                            : Status::Internal(output.err));
      } else {
        results.setShare(Bytes(output.text));
        results.setBundle(Bytes(output.bundle));
      }
    });
  }

 private:
  static kj::ArrayPtr<const kj::byte> Bytes(const std::string& s) {
    return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
  }

  // state and check: the same parameters (a project, --at).
  struct ProjectParams {
    template <typename Params>
    void operator()(ReadRequest& r, Params p) const {
      r.key = p.getProject();
      if (p.getHasAt()) r.at = std::string(p.getAt());
    }
  };

  // A read whose request is `command` with its parameters set by `fill(request, params)`.
  template <typename Context, typename Fill>
  kj::Promise<void> ReadParams(ReadRequest::Command command, Context context, Fill fill) {
    auto params = context.getParams();
    ReadRequest r;
    r.command = command;
    r.json = params.getJson();
    fill(r, params);
    return Read(std::move(r), context);
  }

  template <typename Context>
  kj::Promise<void> Read(ReadRequest request, Context context) {
    return Read(std::move(request), context, [](auto results, const ReadOutput& output) {
      SetOutput(results.initOutput(), output);
    });
  }

  // Checks the read against the connection (authorize_read), queues it on the writer
  // thread, and answers with `fill(results, output)`.
  template <typename Context, typename Fill>
  kj::Promise<void> Read(ReadRequest request, Context context, Fill fill) {
    const uint64_t id = shared_.NextId();
    request.peer = peer_;
    request.request_id = id;
    context.releaseParams();
    std::optional<ReadOutput> refused;
    if (shared_.draining) {
      refused = RefusedRead(Status::Unavailable("the server is shutting down"), request.json, 4);
    } else if (shared_.options.authorize_read) {
      // The read checked against the connection's identity (auth15's role scoping).
      if (Status s = shared_.options.authorize_read(peer_, request); !s.ok()) {
        if (shared_.options.log != nullptr) {
          shared_.options.log->warn("req={} conn={} key={} read={} refused: {}", id, connection_,
                                    peer_.key_name, CommandName(request.command), s.ToString());
        }
        refused = RefusedRead(s, request.json, 3);
      }
    }
    if (refused) {
      fill(context.getResults(), *refused);
      return kj::READY_NOW;
    }
    auto paf = kj::newPromiseAndCrossThreadFulfiller<ReadOutput>();
    auto fulfiller = std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<ReadOutput>>>(
        kj::mv(paf.fulfiller));
    shared_.writer.Read(id, std::move(request),
                        [fulfiller](ReadOutput output) { (*fulfiller)->fulfill(kj::mv(output)); });
    return Pending(paf.promise.then(
        [context, fill](ReadOutput output) mutable { fill(context.getResults(), output); }));
  }

  // `answer`, counted in Shared::pending until it is answered or dropped (the client gone).
  kj::Promise<void> Pending(kj::Promise<void> answer) {
    ++shared_.pending;
    return answer.attach(kj::defer([&shared = shared_] { --shared.pending; }));
  }

  static void SetOutput(schema::Output::Builder out, const ReadOutput& output) {
    out.setOut(
        kj::arrayPtr(reinterpret_cast<const kj::byte*>(output.out.data()), output.out.size()));
    out.setErr(
        kj::arrayPtr(reinterpret_cast<const kj::byte*>(output.err.data()), output.err.size()));
    out.setExitCode(output.exit_code);
  }

  Shared& shared_;
  Peer peer_;
  uint64_t connection_;
};

class GateImpl final : public schema::Gate::Server {
 public:
  // `*logged_in` becomes true when a login hands out the connection's Ledger.
  GateImpl(Shared& shared, uint64_t connection, std::shared_ptr<bool> logged_in)
      : shared_(shared), connection_(connection), logged_in_(std::move(logged_in)) {}

  // Each challenge a fresh nonce, which takes one answer (docs/access.md §1: nobody tries
  // several keys or signatures against one nonce).
  kj::Promise<void> challenge(ChallengeContext context) override {
    broken_ = RAND_bytes(nonce_.data(), static_cast<int>(nonce_.size())) != 1;
    if (broken_) nonce_.fill(0);  // no randomness: no nonce a login could be checked against
    auto results = context.getResults();
    results.setNonce(kj::arrayPtr(nonce_.data(), nonce_.size()));
    results.setOrigin(shared_.origin);
    challenged_ = true;
    challenged_at_ = std::chrono::steady_clock::now();
    return kj::READY_NOW;
  }

  kj::Promise<void> authenticate(AuthenticateContext context) override {
    auto params = context.getParams();
    std::string key_name(params.getKeyName().cStr(), params.getKeyName().size());
    auto results = context.getResults();
    ledger::Signature signature{};
    const bool expired = std::chrono::steady_clock::now() - challenged_at_ > kChallengeTtl;
    if (params.getSignature().size() != signature.size() || !challenged_ || broken_ || expired) {
      challenged_ = false;
      SetError(results.initError(),
               Status::PermissionDenied("authentication needs a fresh challenge() (one answer "
                                        "each, within 60 s) and a 64-byte signature of its "
                                        "message"));
      return kj::READY_NOW;
    }
    std::memcpy(signature.data(), params.getSignature().begin(), signature.size());
    challenged_ = false;  // this nonce is spent, whatever the answer
    Peer peer;
    peer.key_name = key_name;
    if (shared_.options.authenticate) {
      Result<Peer> checked = shared_.options.authenticate(
          *shared_.writer.Keys(), shared_.origin, ledger::ByteView(nonce_.data(), nonce_.size()),
          key_name, signature);
      if (!checked.ok()) {
        if (shared_.options.log != nullptr) {
          shared_.options.log->warn("conn={} key={} login refused: {}", connection_, key_name,
                                    checked.status().ToString());
        }
        SetError(results.initError(), checked.status());
        return kj::READY_NOW;
      }
      peer = std::move(checked).value();
    } else if (!shared_.options.no_auth) {
      SetError(results.initError(), Status::PermissionDenied("this server cannot check logins"));
      return kj::READY_NOW;
    }
    if (shared_.options.log != nullptr) {
      shared_.options.log->info("conn={} login key={}{}", connection_, key_name,
                                peer.checked ? "" : " (not checked: --no-auth)");
    }
    results.setLedger(kj::heap<LedgerImpl>(shared_, std::move(peer), connection_));
    *logged_in_ = true;
    return kj::READY_NOW;
  }

  kj::Promise<void> anonymous(AnonymousContext context) override {
    auto results = context.getResults();
    // With logins checked, an anonymous connection reads what is public (authorize_read
    // and the read handler scope it); with neither, only --no-auth lets it in.
    if (!shared_.options.no_auth && !shared_.options.authenticate) {
      SetError(results.initError(),
               Status::PermissionDenied(
                   "this server needs a login: give --key, the key enrolled in the ledger"));
      return kj::READY_NOW;
    }
    Peer peer;
    peer.checked = static_cast<bool>(shared_.options.authenticate);
    if (shared_.options.log != nullptr) {
      shared_.options.log->info("conn={} login anonymous{}", connection_,
                                peer.checked ? " (public reads only)" : " (--no-auth)");
    }
    results.setLedger(kj::heap<LedgerImpl>(shared_, std::move(peer), connection_));
    *logged_in_ = true;
    return kj::READY_NOW;
  }

 private:
  Shared& shared_;
  uint64_t connection_;
  std::shared_ptr<bool> logged_in_;
  std::array<uint8_t, 32> nonce_{};
  bool challenged_ = false;
  std::chrono::steady_clock::time_point challenged_at_;
  bool broken_ = false;
};

// The gate of a connection beyond the limit: every call says so.
class BusyGate final : public schema::Gate::Server {
 public:
  explicit BusyGate(size_t limit)
      : status_(Status::Unavailable(
            fmt::format("too many connections to the server (limit {}): retry later", limit))) {}
  kj::Promise<void> challenge(ChallengeContext) override {
    // The message alone (KJ_EXCEPTION would prefix it with the expression's text).
    return kj::Exception(kj::Exception::Type::OVERLOADED, __FILE__, __LINE__,
                         kj::str(status_.message()));
  }
  kj::Promise<void> authenticate(AuthenticateContext context) override {
    SetError(context.getResults().initError(), status_);
    return kj::READY_NOW;
  }
  kj::Promise<void> anonymous(AnonymousContext context) override {
    SetError(context.getResults().initError(), status_);
    return kj::READY_NOW;
  }

 private:
  Status status_;
};

// The connection's message stream, which notes the Abort the RPC system sends when it
// drops the connection for a protocol error (garbage bytes, a message above the size or
// nesting limits, a malformed call): the RPC system tells nobody else why, and the
// server's log must say it.
class AbortNotingStream final : public capnp::MessageStream {
 public:
  explicit AbortNotingStream(kj::AsyncIoStream& stream) : inner_(stream) {}

  // The reason of the Abort sent ("" if none; a peer that hung up is no protocol error).
  const std::string& abort_reason() const { return abort_reason_; }

  kj::Promise<kj::Maybe<capnp::MessageReaderAndFds>> tryReadMessage(
      kj::ArrayPtr<kj::AutoCloseFd> fd_space, capnp::ReaderOptions options,
      kj::ArrayPtr<capnp::word> scratch) override {
    return inner_.tryReadMessage(fd_space, options, scratch);
  }
  kj::Promise<void> writeMessage(
      kj::ArrayPtr<const int> fds,
      kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) override {
    Note(segments);
    return inner_.writeMessage(fds, segments);
  }
  kj::Promise<void> writeMessages(
      kj::ArrayPtr<kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>> messages) override {
    for (const auto& segments : messages) Note(segments);
    return inner_.writeMessages(messages);
  }
  kj::Maybe<int> getSendBufferSize() override { return inner_.getSendBufferSize(); }
  kj::Promise<void> end() override { return inner_.end(); }

 private:
  void Note(kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments) {
    if (!abort_reason_.empty()) return;
    (void)base::CatchKj([&] {
      capnp::SegmentArrayMessageReader reader(segments);
      auto message = reader.getRoot<capnp::rpc::Message>();
      if (!message.isAbort()) return;
      auto abort = message.getAbort();
      if (abort.getType() == capnp::rpc::Exception::Type::DISCONNECTED) return;
      abort_reason_ = abort.hasReason() ? abort.getReason().cStr() : "(no reason)";
    });
  }

  capnp::AsyncIoMessageStream inner_;
  std::string abort_reason_;
};

struct Connection {
  Connection(kj::Own<kj::AsyncIoStream> s, capnp::Capability::Client bootstrap,
             capnp::ReaderOptions options)
      : stream(kj::mv(s)),
        messages(*stream),
        network(messages, capnp::rpc::twoparty::Side::SERVER, options),
        rpc(capnp::makeRpcServer(network, kj::mv(bootstrap))) {}
  kj::Own<kj::AsyncIoStream> stream;
  AbortNotingStream messages;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
};

class Listener final : private kj::TaskSet::ErrorHandler {
 public:
  Listener(Shared& shared, kj::Own<kj::ConnectionReceiver> receiver, TlsSetup* tls)
      : shared_(shared), receiver_(kj::mv(receiver)), tls_(tls), tasks_(*this) {}

  kj::Promise<void> AcceptLoop() {
    return receiver_->accept().then([this](kj::Own<kj::AsyncIoStream> stream) {
      const uint64_t id = next_connection_++;
      ++open_;
      if (tls_ != nullptr) {
        // The handshake counts against the login deadline: a client that opens the
        // connection and never sends its ClientHello is dropped with it.
        tasks_.add(
            shared_.timer->timeoutAfter(LoginTimeout(), tls_->context().wrapServer(kj::mv(stream)))
                .then([this,
                       id](kj::Own<kj::AsyncIoStream> secured) { return Run(kj::mv(secured), id); },
                      [this, id](kj::Exception&& e) {
                        --open_;
                        if (shared_.options.log != nullptr) {
                          shared_.options.log->warn("conn={} TLS handshake failed: {}", id,
                                                    e.getDescription().cStr());
                        }
                      }));
      } else {
        tasks_.add(Run(kj::mv(stream), id));
      }
      return AcceptLoop();
    });
  }

  size_t open() const { return open_; }

 private:
  kj::Duration LoginTimeout() const {
    return std::max(shared_.options.login_timeout_ms, 1) * kj::MILLISECONDS;
  }

  kj::Promise<void> Run(kj::Own<kj::AsyncIoStream> stream, uint64_t id) {
    const size_t limit = shared_.options.max_connections;
    const bool busy = open_ > limit;
    auto logged_in = std::make_shared<bool>(false);
    capnp::Capability::Client bootstrap =
        busy ? capnp::Capability::Client(kj::heap<BusyGate>(limit))
             : capnp::Capability::Client(kj::heap<GateImpl>(shared_, id, logged_in));
    if (shared_.options.log != nullptr) {
      if (busy) {
        shared_.options.log->warn("conn={} refused: too many connections (limit {})", id, limit);
      } else {
        shared_.options.log->info("conn={} open", id);
      }
    }
    auto connection = kj::heap<Connection>(kj::mv(stream), kj::mv(bootstrap),
                                           ReaderOptionsFor(shared_.options.max_message_bytes));
    // Not logged in by the deadline (a client that connects and never speaks, or keeps
    // failing its login): the connection is dropped, its slot freed.
    kj::Promise<void> deadline =
        shared_.timer->afterDelay(LoginTimeout()).then([this, id, logged_in]() {
          if (*logged_in) return kj::Promise<void>(kj::NEVER_DONE);
          if (shared_.options.log != nullptr) {
            shared_.options.log->warn("conn={} closed: no login within {} ms", id,
                                      shared_.options.login_timeout_ms);
          }
          return kj::Promise<void>(KJ_EXCEPTION(DISCONNECTED, "no login in time"));
        });
    auto disconnected = connection->network.onDisconnect().exclusiveJoin(kj::mv(deadline));
    const AbortNotingStream& messages = connection->messages;
    return disconnected
        .then([this, id, &messages]() {
          --open_;
          if (shared_.options.log == nullptr) return;
          if (messages.abort_reason().empty()) {
            shared_.options.log->info("conn={} closed", id);
          } else {
            shared_.options.log->warn("conn={} closed: protocol error: {}", id,
                                      base::Quote(messages.abort_reason(), 300));
          }
        })
        .attach(kj::mv(connection))
        .then([]() {},
              [this, id](kj::Exception&& e) {
                --open_;
                if (shared_.options.log != nullptr) {
                  shared_.options.log->info("conn={} closed: {}", id, e.getDescription().cStr());
                }
              });
  }

  void taskFailed(kj::Exception&& exception) override {
    if (shared_.options.log != nullptr) {
      shared_.options.log->warn("connection task failed: {}", exception.getDescription().cStr());
    }
  }

  Shared& shared_;
  kj::Own<kj::ConnectionReceiver> receiver_;
  TlsSetup* tls_;
  kj::TaskSet tasks_;
  uint64_t next_connection_ = 1;
  size_t open_ = 0;
};

// A unix socket file left by a server that is gone (killed): nobody accepts on it.
bool IsStaleSocket(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_socket(path, ec)) return false;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool refused =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno == ECONNREFUSED;
  ::close(fd);
  return refused;
}

}  // namespace

void PrepareServeSignals() {
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  ::signal(SIGPIPE, SIG_IGN);
}

Result<std::vector<AppendLine>> DecodeAppendRequest(ledger::ByteView message,
                                                    uint64_t max_message_bytes) {
  if (message.size() % sizeof(capnp::word) != 0) {
    return Status::BadInput("an append request is a whole number of 8-byte words");
  }
  // The message is copied into words (aligned) before it is read.
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(message.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), message.data(), message.size());
  std::vector<AppendLine> lines;
  Status status = base::RunCatchingKj(base::KjErrorMeans::kBadInput, "append request", [&] {
    capnp::FlatArrayMessageReader reader(words, ReaderOptionsFor(max_message_bytes));
    lines = DecodeLines(reader.getRoot<schema::Ledger::AppendParams>().getLines());
  });
  if (!status.ok()) return status;
  return lines;
}

Status Serve(Writer& writer, const ServerOptions& options) {
  ASSIGN_OR_RETURN(Address address, ParseAddress(options.listen));
  std::unique_ptr<TlsSetup> tls;
  if (!address.is_unix) {
    if (!options.tls_cert.empty() || !options.tls_key.empty()) {
      if (options.tls_cert.empty() || options.tls_key.empty()) {
        return Status::InvalidArgument("USAGE", "TLS needs both --tls-cert and --tls-key");
      }
      ASSIGN_OR_RETURN(tls, TlsSetup::ForServer(options.tls_cert, options.tls_key));
    } else if (!options.insecure) {
      return Status::InvalidArgument(
          "USAGE", fmt::format("listening on TCP {} without TLS: give --tls-cert and --tls-key, "
                               "or --insecure to serve plaintext on purpose",
                               address.ToString()));
    }
  } else if (!options.tls_cert.empty() || !options.tls_key.empty()) {
    return Status::InvalidArgument("USAGE", "--tls-cert/--tls-key are for a HOST:PORT listen");
  }
  if (address.is_unix && IsStaleSocket(address.path)) {
    std::error_code ec;
    std::filesystem::remove(address.path, ec);
  }

  Shared shared{writer, options, writer.Info(std::nullopt).origin};
  Status result;
  std::optional<std::string> error = base::CatchKj([&] {
    auto io = kj::setupAsyncIo();
    shared.timer = &io.provider->getTimer();
    auto parsed = io.provider->getNetwork().parseAddress(address.ToString()).wait(io.waitScope);
    auto receiver = parsed->listen();
    std::string bound = address.is_unix ? address.ToString()
                                        : fmt::format("{}:{}", address.host, receiver->getPort());
    Listener listener(shared, kj::mv(receiver), tls.get());
    auto accepting = listener.AcceptLoop().eagerlyEvaluate([&](kj::Exception&& e) {
      if (options.log != nullptr) {
        options.log->error("accepting stopped: {}", e.getDescription().cStr());
      }
    });
    if (options.log != nullptr) options.log->info("listening on {}", bound);
    if (options.on_listening) options.on_listening(bound);
    auto signal = io.unixEventPort.onSignal(SIGTERM)
                      .exclusiveJoin(io.unixEventPort.onSignal(SIGINT))
                      .wait(io.waitScope);
    if (options.log != nullptr) {
      options.log->info("signal {}: stop accepting, drain {} request(s)", signal.si_signo,
                        shared.pending);
    }
    // Stop accepting; refuse new requests; answer what was taken.
    accepting = kj::READY_NOW;
    shared.draining = true;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.drain_timeout_ms);
    while (shared.pending > 0 && std::chrono::steady_clock::now() < deadline) {
      io.provider->getTimer().afterDelay(5 * kj::MILLISECONDS).wait(io.waitScope);
    }
    // Let the answers reach their sockets.
    io.provider->getTimer().afterDelay(20 * kj::MILLISECONDS).wait(io.waitScope);
    if (shared.pending > 0) {
      result = Status::Unavailable(
          fmt::format("{} request(s) still running after the drain", shared.pending));
    }
  });
  if (address.is_unix) {
    std::error_code ec;
    std::filesystem::remove(address.path, ec);
  }
  if (error) return Status::IoError(fmt::format("serving on {}: {}", address.ToString(), *error));
  return result;
}

}  // namespace esms::service
