#include "cli/serve_command.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/evidence_commands.h"
#include "cli/federation.h"
#include "cli/output.h"
#include "cli/report_command.h"
#include "cli/serve_followers.h"
#include "projections/federation_share.h"
#include "projections/projector.h"
#include "projections/queries.h"
#include "service/access.h"
#include "service/http.h"
#include "service/metrics.h"
#include "service/server.h"
#include "service/writer.h"

namespace esms::cli {
namespace {

// A stdio stream whose bytes land in memory (open_memstream), for a command's output.
class MemoryStream {
 public:
  MemoryStream() : file_(::open_memstream(&buffer_, &size_)) {}
  ~MemoryStream() {
    if (file_ != nullptr) std::fclose(file_);
    std::free(buffer_);
  }
  MemoryStream(const MemoryStream&) = delete;
  MemoryStream& operator=(const MemoryStream&) = delete;
  std::FILE* file() { return file_; }
  // Closes the stream; its bytes.
  std::string Take() {
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
    return std::string(buffer_ == nullptr ? "" : buffer_, size_);
  }

 private:
  char* buffer_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_;
};

// report, bundle, share: the products the client writes and prints itself
// (cli/remote.cc, cli/federation.cc), computed as the local command computes them; an
// error printed on g as the command prints it (share: kept as a status).
int RunProductRead(const Globals& g, const service::ReadRequest& r, ledger::Ledger& ledger,
                   projections::Projector& projector, service::ReadOutput* products) {
  const projections::ProgrammeState& state = projector.state();
  using Command = service::ReadRequest::Command;
  if (r.command == Command::kReport) {
    ReportArgs args;
    args.indicator = "active-dui";
    args.at = r.at.value_or("");
    if (!r.by.empty()) args.by = r.by;
    args.format = r.format;
    if (r.bundle) args.bundle = r.bundle_name.value_or("bundle.json");
    Result<ReportRequest> request = ValidateReport(g, args);
    if (!request.ok()) return ReportError(request.status(), g);
    Result<ReportProducts> p = ComputeReport(g, ledger, state, *request, args, r.out || r.bundle);
    if (!p.ok()) return ReportError(p.status(), g);
    products->text = std::move(p->text);
    if (request->format != "json") products->json = std::move(p->json);
    products->bundle = std::move(p->bundle).value_or("");
    return kExitOk;
  }
  Result<domain::Date> at = domain::Date::Parse(r.at.value_or(""));
  if (r.command == Command::kBundle) {
    if (!at.ok()) return ReportError(Status::BadInput("--at: " + at.status().message()), g);
    Result<std::string> bundle = ComputeProjectBundle(g, ledger, state, r.key, *at, r.cosigned);
    if (!bundle.ok()) return ReportError(bundle.status(), g);
    products->bundle = std::move(*bundle);
    return kExitOk;
  }
  // A share (docs/federation.md): its checkpoint checked with the ledger's own key here;
  // the federating side checks it again with the key it trusts.
  Status failed;
  Result<projections::ReportBy> by = projections::ParseReportBy(r.by);
  Result<ledger::NoteVerifier> own = ledger::ParseVerifierKey(ledger.verifier_key());
  if (!at.ok()) {
    failed = Status::BadInput("--at: " + at.status().message());
  } else if (!by.ok()) {
    failed = by.status();
  } else if (!own.ok()) {
    failed = own.status();
  } else {
    std::string bundle;
    Result<projections::LedgerShare> share =
        ComputeShare(g, g.ledger_dir, ledger, state, *own, *at, *by, r.bundle ? &bundle : nullptr);
    if (share.ok()) {
      products->text = projections::ShareToJson(*share);
      products->bundle = std::move(bundle);
      return kExitOk;
    }
    failed = share.status();
  }
  products->error = failed;
  return ExitCodeFor(failed);
}

// Runs a client's read: the local command itself, on the served ledger and state, with
// its output captured. On the writer thread between two group commits, or on the reader
// thread with the read view's ledger and state (service/writer.h).
service::ReadOutput RunRead(const Globals& base, const service::ReadRequest& r,
                            ledger::Ledger& ledger, projections::Projector& projector) {
  MemoryStream out, err;
  if (out.file() == nullptr || err.file() == nullptr) {
    return {"", "error: INTERNAL: cannot capture the command's output\n", kExitStorage};
  }
  Globals g = base;
  g.out = out.file();
  g.err = err.file();
  g.json = r.json;
  g.key_file.clear();  // checkpoint: print the latest kept one
  g.served_ledger = &ledger;
  g.served_projector = &projector;
  auto logger = std::make_shared<spdlog::logger>(
      "esms-ledger",
      std::make_shared<spdlog::sinks::stdout_sink_base<spdlog::details::console_nullmutex>>(g.err));
  logger->set_level(spdlog::level::warn);
  logger->set_pattern("%^%l%$: %v");
  g.log = logger.get();
  int code = kExitOk;
  service::ReadOutput products;
  try {
    switch (r.command) {
      case service::ReadRequest::Command::kLog:
        code = CmdLog(g, r.from, r.to);
        break;
      case service::ReadRequest::Command::kVerify:
        code = CmdVerify(g, !r.no_signatures);
        break;
      case service::ReadRequest::Command::kCheckpoint:
        code = CmdCheckpoint(g);
        break;
      case service::ReadRequest::Command::kProve:
        // The file's text on stdout: the client writes its --out (RemoteProveTlog).
        code = r.tlog_proof ? CmdProveTlog(g, r.seq, r.size, std::nullopt)
                            : CmdProve(g, r.seq, r.size);
        break;
      case service::ReadRequest::Command::kConsistency:
        code = CmdConsistency(g, r.old_size, r.new_size);
        break;
      case service::ReadRequest::Command::kState:
        code = CmdState(g, r.key, r.at);
        break;
      case service::ReadRequest::Command::kCheck:
        code = CmdCheck(g, r.key, r.at);
        break;
      case service::ReadRequest::Command::kHistory:
        code = CmdHistory(g, r.key);
        break;
      case service::ReadRequest::Command::kReport:
      case service::ReadRequest::Command::kBundle:
      case service::ReadRequest::Command::kShare:
        code = RunProductRead(g, r, ledger, projector, &products);
        break;
    }
  } catch (const std::system_error&) {
    // fmt::print throws when a write fails: memory ran out.
    code = kExitStorage;
  }
  std::fflush(g.out);
  std::fflush(g.err);
  products.out = out.Take();
  products.err = err.Take();
  products.exit_code = code;
  return products;
}

int64_t UnixSecondsNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The metrics of a ledger about to be served: its size, and the time of its latest
// checkpoint, which is its head record's (a checkpoint is signed at every commit).
void SetInitialLedgerMetrics(const ledger::Ledger& ledger, service::Metrics& metrics) {
  int64_t checkpoint_seconds = 0;
  if (ledger.size() > 0) {
    auto head = ledger.Get(ledger.size() - 1);
    if (head.ok()) checkpoint_seconds = head->recorded_at_micros / 1'000'000;
  }
  metrics.SetLedger(ledger.size(), checkpoint_seconds);
}

// The writer's hooks feeding `metrics` (GET /metrics of --http). Called on the writer
// thread; Metrics may be written from any thread.
service::WriterObserver MetricsObserver(service::Metrics& metrics) {
  service::WriterObserver observer;
  observer.on_commit = [&metrics](int64_t duration_micros, uint64_t records) {
    metrics.ObserveCommit(duration_micros, records);
    metrics.CountAppends(records);  // the records new to the ledger
  };
  observer.on_refusal = [&metrics](std::string_view code) { metrics.CountRefusal(code); };
  observer.on_queue_depth = [&metrics](size_t depth) { metrics.SetQueueDepth(depth); };
  // Called right after a durable commit, which signed the checkpoint of this size.
  observer.on_size = [&metrics](uint64_t size) { metrics.SetLedger(size, UnixSecondsNow()); };
  return observer;
}

// `serve --http ADDR`: the HTTP front (service/http.h) on a thread of its own, its reads
// posted to the writer thread (between two group commits). Destroyed front first.
struct HttpServing {
  std::unique_ptr<service::PostedLedgerReads> reads;
  std::unique_ptr<service::HttpFrontThread> front;
};

Result<HttpServing> StartHttp(const std::string& address, service::Writer& writer,
                              service::Metrics& metrics, spdlog::logger* log,
                              const ServeFollowers& followers) {
  HttpServing serving;
  serving.reads = std::make_unique<service::PostedLedgerReads>(
      writer.ledger(), [&writer](std::function<void()> job) { writer.Post(std::move(job)); });
  service::HttpFrontOptions options;
  options.log_error = [log](std::string_view what) { log->error("http {}", what); };
  options.health_detail = HealthDetail(followers);
  ASSIGN_OR_RETURN(serving.front, service::HttpFrontThread::Start(address, *serving.reads, metrics,
                                                                  std::move(options)));
  log->info("http listening on {}", serving.front->address());
  return serving;
}

// ---- Who may read what (issue 15, docs/access.md §5) ----

service::Peer PeerOf(const service::Identity& who) {
  service::Peer peer;
  peer.anonymous = who.anonymous();
  peer.checked = true;
  peer.key_name = who.key_name;
  peer.roles = who.roles;
  peer.regions = who.regions;
  return peer;
}

// The identity a checked connection had at its login (roles as of then).
service::Identity IdentityAtLogin(const service::Peer& peer) {
  service::Identity who;
  if (peer.anonymous) return who;
  who.key_name = peer.key_name;
  who.roles = peer.roles;
  who.regions = peer.regions;
  return who;
}

// ServerOptions::authenticate: the challenge answer checked with the key enrolled under
// `key_name` in `keys` (the registry as of the last commit).
Result<service::Peer> AuthenticatePeer(const ledger::KeyRegistry& keys, std::string_view origin,
                                       ledger::ByteView nonce, std::string_view key_name,
                                       const ledger::Signature& signature) {
  ASSIGN_OR_RETURN(service::Identity who,
                   service::Authenticate(keys, origin, nonce, key_name, signature));
  return PeerOf(who);
}

// ServerOptions::authorize_read, on the event loop: what is decidable without the
// projected state (public reads; log and verify by role; nothing project-scoped for an
// anonymous connection). Where the read runs, it is checked again (ScopeRead), with the
// key as the head now says.
Status AuthorizeReadEarly(const service::Peer& peer, const service::ReadRequest& request) {
  if (!peer.checked) return Status();
  const service::Identity who = IdentityAtLogin(peer);
  const service::ReadCommandInfo& command = service::InfoOf(request.command);
  service::ReadTarget target;
  target.kind = command.kind;
  if (command.project_scoped) {
    if (!who.anonymous()) return Status();  // decided where the read runs
    target.subject = request.key;
  }
  return service::MayRead(who, target);
}

// Where the read runs (the writer thread, or the reader thread under a view lease), before
// it runs: the key resolved again at the head (a key
// revoked since the login reads nothing more), then the read's target, project-scoped
// reads from the projected state (ProjectTarget / HistoryTarget).
Status ScopeRead(const service::ReadRequest& request, ledger::Ledger& ledger,
                 projections::Projector& projector) {
  const service::Peer& peer = request.peer;
  if (!peer.checked) return Status();
  service::Identity who;
  if (!peer.anonymous) {
    ASSIGN_OR_RETURN(who, service::IdentityOf(ledger.keys(), peer.key_name));
  }
  service::ReadTarget target;
  using Command = service::ReadRequest::Command;
  if (request.command == Command::kState || request.command == Command::kCheck ||
      request.command == Command::kBundle) {
    target = service::ProjectTarget(service::InfoOf(request.command).kind, projector.state(),
                                    projections::LedgerSigners(ledger), request.key);
  } else if (request.command == Command::kHistory) {
    target =
        service::HistoryTarget(projector.state(), projections::LedgerSigners(ledger), request.key);
  } else if (request.command == Command::kReport || request.command == Command::kShare) {
    target = service::ActiveDuiTarget(who, request.bundle ? service::ReadKind::kReportBundle
                                                          : service::ReadKind::kReportActiveDui);
  } else {
    target.kind = service::InfoOf(request.command).kind;
  }
  return service::MayRead(who, target);
}

// The read handler with the scoping: a refusal is the command's output of an
// UNAUTHORIZED error (as any error, exit 3), logged with the request id.
service::ReadOutput ScopedRead(const Globals& base, const service::ReadRequest& r,
                               ledger::Ledger& ledger, projections::Projector& projector,
                               spdlog::logger* log) {
  Status allowed = ScopeRead(r, ledger, projector);
  if (allowed.ok()) return RunRead(base, r, ledger, projector);
  if (log != nullptr) {
    const service::Identity who = IdentityAtLogin(r.peer);
    log->warn("req={} who={} read={} refused: {}", r.request_id, who.Describe(),
              service::CommandName(r.command), allowed.ToString());
  }
  MemoryStream out, err;
  if (out.file() == nullptr || err.file() == nullptr) {
    return {"", "error: INTERNAL: cannot capture the command's output\n", kExitStorage};
  }
  const int code = ReportError(allowed, r.json, out.file(), err.file());
  service::ReadOutput refused{out.Take(), err.Take(), code};
  refused.error = std::move(allowed);  // a share's refusal is a status
  return refused;
}

// Sets the login check and the early read check on `options` (not with --no-auth).
void WireAccess(service::ServerOptions& options) {
  if (options.no_auth) return;
  options.authenticate = AuthenticatePeer;
  options.authorize_read = AuthorizeReadEarly;
}

}  // namespace

bool HasServiceLayer() { return true; }

int CmdServe(const Globals& g, const ServeArgs& args) {
  // Before any thread starts: the writer's threads inherit the blocked signals.
  service::PrepareServeSignals();
  auto opened = OpenLedgerToWrite(g, ledger::Ledger::Mode::kReadWrite);
  if (!opened.ok()) return ReportError(opened.status(), g);

  // Structured logs, one line per request, on stderr.
  auto log = std::make_shared<spdlog::logger>(
      "esms-ledger-serve",
      std::make_shared<spdlog::sinks::stdout_sink_base<spdlog::details::console_mutex>>(g.err));
  log->set_level(g.log != nullptr ? g.log->level() : spdlog::level::info);
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);
  log->flush_on(spdlog::level::info);

  service::Writer::Options writer_options;
  writer_options.log = log.get();
  Globals base = g;
  writer_options.read_handler =
      [base, log = log.get()](const service::ReadRequest& r, ledger::Ledger& l,
                              projections::Projector& p) { return ScopedRead(base, r, l, p, log); };
  service::Metrics metrics;  // outlives the writer and the HTTP front
  SetInitialLedgerMetrics(**opened, metrics);
  writer_options.observer = MetricsObserver(metrics);
  // Outlive the writer (its observer notifies them); stopped before it.
  auto followers = CreateFollowers(g, args, metrics, log.get());
  if (!followers.ok()) return ReportError(followers.status(), g);
  WireFollowers(*followers, writer_options.observer);
  const uint64_t initial_size = (*opened)->size();
  auto writer = service::Writer::Start(std::move(opened).value(), std::move(writer_options));
  if (!writer.ok()) return ReportError(writer.status(), g);
  StartFollowers(*followers, **writer, initial_size);
  HttpServing http;
  if (!args.http.empty()) {
    auto started = StartHttp(args.http, **writer, metrics, log.get(), *followers);
    if (!started.ok()) {
      StopFollowers(*followers);
      (*writer)->Stop();
      return ReportError(started.status(), g);
    }
    http = std::move(started).value();
  }

  service::ServerOptions options;
  options.listen = args.listen;
  options.tls_cert = args.tls_cert;
  options.tls_key = args.tls_key;
  options.insecure = args.insecure;
  options.no_auth = args.no_auth;
  options.max_connections = args.max_connections;
  WireAccess(options);
  options.log = log.get();
  options.on_listening = [&g, &http](const std::string& bound) {
    fmt::print(g.out, "listening on {}\n", bound);
    if (http.front != nullptr) fmt::print(g.out, "http listening on {}\n", http.front->address());
    std::fflush(g.out);
  };
  Status served = service::Serve(**writer, options);
  // The HTTP front first: its reads are posted to the writer.
  if (http.front != nullptr) http.front->Stop();
  StopFollowers(*followers);  // they post reads to the writer
  (*writer)->Stop();
  log->info("stopped");
  if (!served.ok()) return ReportError(served, g);
  return kExitOk;
}

}  // namespace esms::cli
