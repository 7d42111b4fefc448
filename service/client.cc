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

namespace {

// ---- A signed line read without a DOM (the import's client, per line) ----
//
// The plain form of `sign`'s output: {"event": OBJECT, "signer": S, "signature": S} (any
// key order and JSON whitespace), each key once, no other key, the key names and both
// strings printable ASCII without escapes, a 64-byte base64 signature, and the whole line
// valid JSON by nlohmann's rules (the slow path's parser): the event's own text is then
// sent as it is, without a DOM and a re-serialization. The server decodes it as the local
// import decodes such a line (service/writer.cc PrepareJob: the text as it is, else
// re-serialized). Anything else (an escape in a key, a number with a fraction or an
// exponent, a BOM, ...) is read by projections::ParseSignedLine, with its messages.

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class PlainJson {
 public:
  explicit PlainJson(std::string_view text) : text_(text) {}

  size_t at() const { return i_; }
  void SkipSpace() {
    while (i_ < text_.size() && IsJsonSpace(text_[i_])) ++i_;
  }
  bool Take(char c) {
    if (i_ >= text_.size() || text_[i_] != c) return false;
    ++i_;
    return true;
  }
  bool AtEnd() const { return i_ == text_.size(); }

  // A string of printable ASCII without escapes: its content (quotes excluded).
  std::optional<std::string_view> PlainString() {
    if (!Take('"')) return std::nullopt;
    const size_t start = i_;
    for (; i_ < text_.size(); ++i_) {
      const unsigned char c = static_cast<unsigned char>(text_[i_]);
      if (c == '"') return text_.substr(start, i_++ - start);
      if (c < 0x20 || c > 0x7e || c == '\\') return std::nullopt;
    }
    return std::nullopt;
  }

  // Skips one JSON value, checking it as nlohmann::json::parse would (false: not valid,
  // or not in the subset read here: numbers other than integers of at most 18 digits).
  bool Value(int depth = 0) {
    if (depth > 512 || i_ >= text_.size()) return false;
    switch (text_[i_]) {
      case '{': {
        ++i_;
        SkipSpace();
        if (Take('}')) return true;
        for (;;) {
          SkipSpace();
          if (!String()) return false;
          SkipSpace();
          if (!Take(':')) return false;
          SkipSpace();
          if (!Value(depth + 1)) return false;
          SkipSpace();
          if (Take('}')) return true;
          if (!Take(',')) return false;
        }
      }
      case '[': {
        ++i_;
        SkipSpace();
        if (Take(']')) return true;
        for (;;) {
          SkipSpace();
          if (!Value(depth + 1)) return false;
          SkipSpace();
          if (Take(']')) return true;
          if (!Take(',')) return false;
        }
      }
      case '"':
        return String();
      case 't':
        return Word("true");
      case 'f':
        return Word("false");
      case 'n':
        return Word("null");
      default:
        return Integer();
    }
  }

 private:
  bool Word(std::string_view word) {
    if (text_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  // -?(0|[1-9][0-9]*), at most 18 digits (an int64 for sure), not followed by a fraction
  // or an exponent.
  bool Integer() {
    Take('-');
    const size_t start = i_;
    while (i_ < text_.size() && text_[i_] >= '0' && text_[i_] <= '9') ++i_;
    const size_t digits = i_ - start;
    if (digits == 0 || digits > 18 || (digits > 1 && text_[start] == '0')) return false;
    return i_ >= text_.size() || (text_[i_] != '.' && text_[i_] != 'e' && text_[i_] != 'E');
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // The code unit of a \uXXXX at text_[i_] (the backslash), or -1.
  int Escaped16() {
    if (text_.substr(i_, 2) != "\\u" || i_ + 6 > text_.size()) return -1;
    int unit = 0;
    for (size_t k = i_ + 2; k < i_ + 6; ++k) {
      const int h = Hex(text_[k]);
      if (h < 0) return -1;
      unit = unit * 16 + h;
    }
    i_ += 6;
    return unit;
  }

  // A string: no control character, valid escapes (a surrogate pair whole), valid UTF-8
  // (RFC 3629, as nlohmann's lexer checks it).
  bool String() {
    if (!Take('"')) return false;
    while (i_ < text_.size()) {
      const unsigned char c = static_cast<unsigned char>(text_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i_ + 1 >= text_.size()) return false;
        const char e = text_[i_ + 1];
        if (e == 'u') {
          const int unit = Escaped16();
          if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return false;
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            const int low = Escaped16();
            if (low < 0xDC00 || low > 0xDFFF) return false;
          }
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
            e != 't') {
          return false;
        }
        i_ += 2;
        continue;
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      if (!Utf8()) return false;
    }
    return false;
  }

  // One multi-byte UTF-8 sequence at text_[i_].
  bool Utf8() {
    auto byte = [&](size_t k) -> int {
      return i_ + k < text_.size() ? static_cast<unsigned char>(text_[i_ + k]) : -1;
    };
    auto in = [](int b, int lo, int hi) { return b >= lo && b <= hi; };
    const int b0 = byte(0);
    size_t n = 0;
    int lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (in(b0, 0xC2, 0xDF)) {
      n = 2;
    } else if (b0 == 0xE0) {
      n = 3, lo = 0xA0;
    } else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) {
      n = 3;
    } else if (b0 == 0xED) {
      n = 3, hi = 0x9F;
    } else if (b0 == 0xF0) {
      n = 4, lo = 0x90;
    } else if (in(b0, 0xF1, 0xF3)) {
      n = 4;
    } else if (b0 == 0xF4) {
      n = 4, hi = 0x8F;
    } else {
      return false;
    }
    if (!in(byte(1), lo, hi)) return false;
    for (size_t k = 2; k < n; ++k) {
      if (!in(byte(k), 0x80, 0xBF)) return false;
    }
    i_ += n;
    return true;
  }

  std::string_view text_;
  size_t i_ = 0;
};

// The plain form of a signed line (above), or nullopt for any other line.
std::optional<AppendLine> ReadPlainSignedLine(std::string_view line) {
  PlainJson json(line);
  json.SkipSpace();
  if (!json.Take('{')) return std::nullopt;
  std::optional<std::string_view> event, signer, signature;
  for (;;) {
    json.SkipSpace();
    std::optional<std::string_view> key = json.PlainString();
    if (!key) return std::nullopt;
    std::optional<std::string_view>* slot = *key == "event"       ? &event
                                            : *key == "signer"    ? &signer
                                            : *key == "signature" ? &signature
                                                                  : nullptr;
    if (slot == nullptr || slot->has_value()) return std::nullopt;
    json.SkipSpace();
    if (!json.Take(':')) return std::nullopt;
    json.SkipSpace();
    if (slot == &event) {
      const size_t start = json.at();
      if (start >= line.size() || line[start] != '{' || !json.Value()) return std::nullopt;
      *slot = line.substr(start, json.at() - start);
    } else {
      *slot = json.PlainString();
      if (!slot->has_value()) return std::nullopt;
    }
    json.SkipSpace();
    if (json.Take('}')) break;
    if (!json.Take(',')) return std::nullopt;
  }
  json.SkipSpace();
  if (!json.AtEnd() || !event || !signer || !signature) return std::nullopt;
  Result<std::vector<uint8_t>> raw = ledger::Base64Decode(*signature);
  AppendLine out;
  if (!raw.ok() || raw->size() != out.signature.size()) return std::nullopt;
  out.event_json = std::string(*event);
  out.signer = std::string(*signer);
  std::memcpy(out.signature.data(), raw->data(), raw->size());
  return out;
}

}  // namespace

Result<std::optional<AppendLine>> ParseSignedLine(std::string_view line) {
  if (std::optional<AppendLine> plain = ReadPlainSignedLine(line)) {
    return std::optional<AppendLine>(std::move(plain));
  }
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
        q.setTlogProof(r.tlog_proof);
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
