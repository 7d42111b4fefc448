#include "service/client.h"

#include <cstring>
#include <utility>

#include <capnp/message.h>
#include <capnp/rpc-twoparty.h>
#include <fmt/format.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include "base/kj.h"
#include "ledger/hash.h"
#include "projections/import_pipeline.h"
#include "service/access.h"
#include "service/address.h"
#include "service/ledger_service.capnp.h"

namespace esms::service {
namespace {

// What a client accepts from the server: reads can print a large ledger's log.
capnp::ReaderOptions ClientReaderOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = (uint64_t{1} << 31) / sizeof(capnp::word);  // 2 GiB
  options.nestingLimit = 16;
  return options;
}

Status StatusFromWire(schema::Error::Reader e) {
  std::string code(e.getCode().cStr(), e.getCode().size());
  std::string message(e.getMessage().cStr(), e.getMessage().size());
  Status status;
  switch (static_cast<StatusCode>(e.getCanonical())) {
    case StatusCode::kInvalidArgument:
      status = Status::InvalidArgument(code, std::move(message));
      break;
    case StatusCode::kNotFound:
      status = Status::NotFound(code, std::move(message));
      break;
    case StatusCode::kAlreadyExists:
      status = Status::AlreadyExists(code, std::move(message));
      break;
    case StatusCode::kFailedPrecondition:
      status = Status::FailedPrecondition(code, std::move(message));
      break;
    case StatusCode::kAborted:
      status = Status::Aborted(code, std::move(message));
      break;
    case StatusCode::kPermissionDenied:
      status = Status::PermissionDenied(std::move(message));
      break;
    case StatusCode::kDataLoss:
      status = Status::DataLoss(code, std::move(message));
      break;
    case StatusCode::kUnavailable:
      status = Status::Unavailable(std::move(message));
      break;
    case StatusCode::kIoError:
      status = Status::IoError(std::move(message));
      break;
    default:
      status = Status::Internal(std::move(message));
      break;
  }
  std::vector<uint64_t> conflicts;
  for (uint64_t seq : e.getConflicts()) conflicts.push_back(seq);
  return std::move(status).WithConflicts(std::move(conflicts));
}

std::string Text(capnp::Data::Reader data) {
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}

// Not 0, for a share's refusal (the caller reports its status).
int ExitCodeOf(const Status& status) { return status.ok() ? 0 : 1; }

}  // namespace

bool IsTransportError(const Status& status) {
  return status.code() == StatusCode::kIoError || status.code() == StatusCode::kUnavailable;
}

Result<std::optional<AppendLine>> ParseSignedLine(std::string_view line) {
  ASSIGN_OR_RETURN(std::optional<projections::SignedLine> parsed,
                   projections::ParseSignedLine(line));
  if (!parsed.has_value()) return std::optional<AppendLine>();
  AppendLine out;
  out.event_json = std::move(parsed->event);
  out.signer = std::move(parsed->signer);
  out.signature = parsed->signature;
  return std::optional<AppendLine>(std::move(out));
}

struct Client::Impl {
  Impl() : io(kj::setupAsyncIo()) {}
  kj::AsyncIoContext io;
  std::unique_ptr<TlsSetup> tls;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyVatNetwork> network;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
  schema::Ledger::Client ledger = nullptr;
  std::string server;
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  ASSIGN_OR_RETURN(Address address, ParseAddress(options.server));
  auto impl = std::make_unique<Impl>();
  impl->server = address.ToString();
  if (!address.is_unix) {
    if (options.tls_ca.empty()) {
      return Status::InvalidArgument(
          "USAGE", fmt::format("--server {} is TCP: give --tls-ca FILE, the CA that signed the "
                               "server's certificate",
                               address.ToString()));
    }
    ASSIGN_OR_RETURN(impl->tls, TlsSetup::ForClient(options.tls_ca));
  }
  Status login;
  std::optional<std::string> error = base::CatchKj([&] {
    kj::WaitScope& ws = impl->io.waitScope;
    auto parsed = impl->io.provider->getNetwork().parseAddress(address.ToString()).wait(ws);
    impl->stream = parsed->connect().wait(ws);
    if (impl->tls) {
      std::string host = address.host;
      if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
      impl->stream = impl->tls->context().wrapClient(kj::mv(impl->stream), host).wait(ws);
    }
    impl->network = kj::heap<capnp::TwoPartyVatNetwork>(
        *impl->stream, capnp::rpc::twoparty::Side::CLIENT, ClientReaderOptions());
    impl->rpc = kj::heap(capnp::makeRpcClient(*impl->network));
    capnp::word scratch[4];
    memset(scratch, 0, sizeof(scratch));
    capnp::MallocMessageBuilder message(scratch);
    auto vat = message.getRoot<capnp::rpc::twoparty::VatId>();
    vat.setSide(capnp::rpc::twoparty::Side::SERVER);
    auto gate = impl->rpc->bootstrap(vat).castAs<schema::Gate>();
    if (options.key != nullptr) {
      auto challenge = gate.challengeRequest().send().wait(ws);
      auto nonce = challenge.getNonce();
      const ledger::Signature signature = SignChallenge(
          *options.key,
          std::string_view(challenge.getOrigin().cStr(), challenge.getOrigin().size()),
          ledger::ByteView(nonce.begin(), nonce.size()), options.key_name);
      auto request = gate.authenticateRequest();
      request.setKeyName(options.key_name);
      request.setSignature(kj::arrayPtr(signature.data(), signature.size()));
      auto reply = request.send().wait(ws);
      if (reply.hasError() && reply.getError().getCode().size() > 0) {
        login = StatusFromWire(reply.getError());
        return;
      }
      impl->ledger = reply.getLedger();
    } else {
      auto reply = gate.anonymousRequest().send().wait(ws);
      if (reply.hasError() && reply.getError().getCode().size() > 0) {
        login = StatusFromWire(reply.getError());
        return;
      }
      impl->ledger = reply.getLedger();
    }
  });
  if (error) {
    return Status::IoError(
        fmt::format("cannot reach the server {}: {}", address.ToString(), *error));
  }
  if (!login.ok())
    return std::move(login).WithContext(fmt::format("server {}", address.ToString()));
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Result<LedgerInfo> Client::Info(const std::optional<ledger::PublicKey>& public_key) {
  LedgerInfo info;
  std::optional<std::string> error = base::CatchKj([&] {
    auto request = impl_->ledger.infoRequest();
    if (public_key) request.setPublicKey(kj::arrayPtr(public_key->data(), public_key->size()));
    auto reply = request.send().wait(impl_->io.waitScope);
    info.origin = reply.getOrigin();
    info.verifier_key = reply.getVerifierKey();
    info.size = reply.getSize();
    info.signer = reply.getSigner();
  });
  if (error) return Status::IoError(fmt::format("server {}: {}", impl_->server, *error));
  return info;
}

Result<AppendResult> Client::Append(const std::vector<AppendLine>& lines) {
  AppendResult result;
  Status call;
  std::optional<std::string> error = base::CatchKj([&] {
    auto request = impl_->ledger.appendRequest();
    auto list = request.initLines(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      auto item = list[i];
      item.setLine(lines[i].line);
      item.setEvent(lines[i].event_json);
      item.setSigner(lines[i].signer);
      item.setSignature(kj::arrayPtr(lines[i].signature.data(), lines[i].signature.size()));
    }
    auto reply = request.send().wait(impl_->io.waitScope);
    result.size = reply.getSize();
    for (auto r : reply.getResults()) {
      result.results.push_back({r.getLine(), r.getId(), {r.getSeq(), r.getExisting()}});
    }
    if (reply.getRefused()) {
      result.refusal = StatusFromWire(reply.getError());
      result.refused_line = reply.getRefusedLine();
      result.refused_last = reply.getRefusedLast();
      result.refused_id = reply.getRefusedId();
    } else if (reply.hasError() && reply.getError().getCode().size() > 0) {
      call = StatusFromWire(reply.getError());
    }
  });
  if (error) return Status::IoError(fmt::format("server {}: {}", impl_->server, *error));
  if (!call.ok()) return call;
  return result;
}

Result<ReadOutput> Client::Read(const ReadRequest& r) {
  ReadOutput output;
  std::optional<std::string> error = base::CatchKj([&] {
    auto take = [&](schema::Output::Reader o) {
      output.out.assign(reinterpret_cast<const char*>(o.getOut().begin()), o.getOut().size());
      output.err.assign(reinterpret_cast<const char*>(o.getErr().begin()), o.getErr().size());
      output.exit_code = o.getExitCode();
    };
    kj::WaitScope& ws = impl_->io.waitScope;
    auto& l = impl_->ledger;
    switch (r.command) {
      case ReadRequest::Command::kLog: {
        auto q = l.logRequest();
        q.setJson(r.json);
        q.setHasFrom(r.from.has_value());
        q.setFrom(r.from.value_or(0));
        q.setHasTo(r.to.has_value());
        q.setTo(r.to.value_or(0));
        take(q.send().wait(ws).getOutput());
        break;
      }
      case ReadRequest::Command::kVerify: {
        auto q = l.verifyRequest();
        q.setJson(r.json);
        q.setNoSignatures(r.no_signatures);
        take(q.send().wait(ws).getOutput());
        break;
      }
      case ReadRequest::Command::kCheckpoint: {
        auto q = l.checkpointRequest();
        q.setJson(r.json);
        take(q.send().wait(ws).getOutput());
        break;
      }
      case ReadRequest::Command::kProve: {
        auto q = l.proveRequest();
        q.setJson(r.json);
        q.setSeq(r.seq);
        q.setHasSize(r.size.has_value());
        q.setSize(r.size.value_or(0));
        take(q.send().wait(ws).getOutput());
        break;
      }
      case ReadRequest::Command::kConsistency: {
        auto q = l.consistencyRequest();
        q.setJson(r.json);
        q.setOld(r.old_size);
        q.setNew(r.new_size);
        take(q.send().wait(ws).getOutput());
        break;
      }
      case ReadRequest::Command::kState:
      case ReadRequest::Command::kCheck: {
        if (r.command == ReadRequest::Command::kState) {
          auto q = l.stateRequest();
          q.setJson(r.json);
          q.setProject(r.key);
          q.setHasAt(r.at.has_value());
          q.setAt(r.at.value_or(""));
          take(q.send().wait(ws).getOutput());
        } else {
          auto q = l.checkRequest();
          q.setJson(r.json);
          q.setProject(r.key);
          q.setHasAt(r.at.has_value());
          q.setAt(r.at.value_or(""));
          take(q.send().wait(ws).getOutput());
        }
        break;
      }
      case ReadRequest::Command::kHistory: {
        auto q = l.historyRequest();
        q.setJson(r.json);
        q.setKey(r.key);
        take(q.send().wait(ws).getOutput());
        break;
      }
      case ReadRequest::Command::kReport: {
        auto q = l.reportRequest();
        q.setJson(r.json);
        q.setAt(r.at.value_or(""));
        q.setBy(r.by);
        q.setFormat(r.format);
        q.setBundle(r.bundle);
        q.setOut(r.out);
        q.setHasBundleName(r.bundle_name.has_value());
        q.setBundleName(r.bundle_name.value_or(""));
        auto reply = q.send().wait(ws);
        take(reply.getOutput());
        output.text = Text(reply.getText());
        output.json = Text(reply.getJson());
        output.bundle = Text(reply.getBundle());
        break;
      }
      case ReadRequest::Command::kBundle: {
        auto q = l.bundleRequest();
        q.setJson(r.json);
        q.setProject(r.key);
        q.setAt(r.at.value_or(""));
        q.setHasCosigned(r.cosigned.has_value());
        q.setCosigned(r.cosigned.value_or(""));
        auto reply = q.send().wait(ws);
        take(reply.getOutput());
        output.bundle = Text(reply.getBundle());
        break;
      }
      case ReadRequest::Command::kShare: {
        auto q = l.shareRequest();
        q.setAt(r.at.value_or(""));
        q.setBy(r.by);
        q.setBundle(r.bundle);
        auto reply = q.send().wait(ws);
        if (reply.hasError() && reply.getError().getCode().size() > 0) {
          output.error = StatusFromWire(reply.getError());
          output.exit_code = ExitCodeOf(output.error);
        } else {
          output.text = Text(reply.getShare());
          output.bundle = Text(reply.getBundle());
        }
        break;
      }
    }
  });
  if (error) return Status::IoError(fmt::format("server {}: {}", impl_->server, *error));
  return output;
}

}  // namespace esms::service
