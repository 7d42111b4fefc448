// The log's side of c2sp.org/tlog-witness. See witness/client.h.
#include "witness/client.h"

#include <utility>

#include <fmt/format.h>
#include <kj/compat/url.h>

#include "base/kj.h"

namespace esms::witness {
namespace {

// The largest answer read: a few cosignature lines, or a message.
constexpr uint64_t kMaxReplyBytes = 64 * 1024;

Status Unreachable(std::string_view url, std::string_view why) {
  return Status::FailedPrecondition(kWitnessUnreachable, fmt::format("witness {}: {}", url, why));
}

std::optional<uint64_t> ParseSizeLine(std::string_view body) {
  if (body.empty() || body.back() != '\n') return std::nullopt;
  body.remove_suffix(1);
  if (body.empty() || body.size() > 20 || (body.size() > 1 && body[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : body) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return std::nullopt;
    v = next;
  }
  return v;
}

}  // namespace

WitnessClient::WitnessClient(std::string url, kj::Timer& timer, kj::Network& network)
    : url_(std::move(url)), timer_(timer), table_(kj::heap<kj::HttpHeaderTable>()) {
  std::string prefix = url_;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  endpoint_ = prefix + "/add-checkpoint";
  http_ = kj::newHttpClient(timer_, *table_, network, nullptr);
}

WitnessClient::~WitnessClient() = default;

Result<std::unique_ptr<WitnessClient>> WitnessClient::Create(kj::AsyncIoProvider& io,
                                                             std::string url) {
  if (!url.starts_with("http://")) {
    return Status::BadInput(
        fmt::format("witness URL {}: expected http://HOST[:PORT][/prefix]", url));
  }
  bool parsed = false;
  std::optional<std::string> error =
      base::CatchKj([&]() { parsed = kj::Url::tryParse(kj::StringPtr(url.c_str())) != nullptr; });
  if (error || !parsed) return Status::BadInput(fmt::format("witness URL {} does not parse", url));
  return std::unique_ptr<WitnessClient>(
      new WitnessClient(std::move(url), io.getTimer(), io.getNetwork()));
}

kj::Promise<Result<SubmitReply>> WitnessClient::Submit(const AddCheckpointRequest& request) {
  std::string url = url_;
  return kj::evalNow([&]() {
           auto body = kj::heapString(FormatAddCheckpoint(request).c_str());
           kj::HttpHeaders headers(*table_);
           headers.set(kj::HttpHeaderId::CONTENT_TYPE, "text/plain; charset=utf-8");
           auto req = http_->request(kj::HttpMethod::POST, kj::StringPtr(endpoint_.c_str()),
                                     headers, body.size());
           auto written = req.body->write(body.begin(), body.size());
           return written.attach(kj::mv(req.body), kj::mv(body))
               .then([response = kj::mv(req.response)]() mutable { return kj::mv(response); })
               .then([](kj::HttpClient::Response&& response) {
                 const int status = static_cast<int>(response.statusCode);
                 std::string content_type;
                 KJ_IF_MAYBE (ct, response.headers->get(kj::HttpHeaderId::CONTENT_TYPE)) {
                   content_type = ct->cStr();
                 }
                 auto text = response.body->readAllText(kMaxReplyBytes);
                 return text.attach(kj::mv(response.body))
                     .then([status, content_type](kj::String&& text) -> Result<SubmitReply> {
                       SubmitReply reply;
                       reply.http_status = status;
                       reply.body = std::string(text.cStr(), text.size());
                       if (status == 409 && content_type.starts_with(kSizeContentType)) {
                         reply.witness_size = ParseSizeLine(reply.body);
                       }
                       return reply;
                     });
               });
         })
      .catch_([url](kj::Exception&& e) -> Result<SubmitReply> {
        return Unreachable(url, e.getDescription().cStr());
      });
}

Result<SubmitReply> SubmitCheckpoint(std::string_view url, const AddCheckpointRequest& request,
                                     std::chrono::milliseconds timeout) {
  Result<SubmitReply> result = Unreachable(url, "no answer");
  std::optional<std::string> error = base::CatchKj([&]() {
    auto io = kj::setupAsyncIo();
    Result<std::unique_ptr<WitnessClient>> client =
        WitnessClient::Create(*io.provider, std::string(url));
    if (!client.ok()) {
      result = client.status();
      return;
    }
    auto timed = io.provider->getTimer().timeoutAfter(timeout.count() * kj::MILLISECONDS,
                                                      (*client)->Submit(request));
    result = timed.wait(io.waitScope);
  });
  if (error) return Unreachable(url, *error);
  return result;
}

Result<AddCheckpointRequest> RequestFromLedger(const ledger::Ledger& ledger,
                                               uint64_t witness_size) {
  ASSIGN_OR_RETURN(std::optional<std::string> note, ledger.LatestCheckpoint());
  if (!note.has_value()) {
    return Status::FailedPrecondition("NO_CHECKPOINT", "the ledger has no checkpoint yet");
  }
  ASSIGN_OR_RETURN(ledger::Note parsed, ledger::ParseNote(*note));
  ASSIGN_OR_RETURN(ledger::Checkpoint cp, ledger::ParseCheckpoint(parsed.text));
  if (witness_size > cp.size) {
    return Status::BadInput(
        fmt::format("the witness holds {} leaves, the ledger's latest "
                    "checkpoint {}",
                    witness_size, cp.size));
  }
  AddCheckpointRequest request;
  request.old_size = witness_size;
  request.checkpoint = *std::move(note);
  if (witness_size > 0 && witness_size < cp.size) {
    ASSIGN_OR_RETURN(request.proof, ledger.ConsistencyProof(witness_size, cp.size));
  }
  return request;
}

Result<PushResult> PushLatestCheckpoint(const ledger::Ledger& ledger, std::string_view url,
                                        uint64_t believed_size,
                                        const std::optional<ledger::NoteVerifier>& witness_key,
                                        std::chrono::milliseconds timeout) {
  PushResult result;
  uint64_t old_size = believed_size;
  SubmitReply reply;
  AddCheckpointRequest request;
  while (true) {
    ++result.attempts;
    ASSIGN_OR_RETURN(std::optional<std::string> latest, ledger.LatestCheckpoint());
    if (!latest.has_value()) {
      return Status::FailedPrecondition("NO_CHECKPOINT", "the ledger has no checkpoint yet");
    }
    ASSIGN_OR_RETURN(ledger::Note parsed, ledger::ParseNote(*latest));
    ASSIGN_OR_RETURN(ledger::Checkpoint cp, ledger::ParseCheckpoint(parsed.text));
    result.size = cp.size;
    if (old_size > cp.size) {
      return Status::DataLoss(
          "ROLLBACK", fmt::format("the witness {} cosigned a tree of {} leaves of {}, "
                                  "larger than this ledger's {}: the ledger was rolled back",
                                  url, old_size, cp.origin, cp.size));
    }
    ASSIGN_OR_RETURN(request, RequestFromLedger(ledger, old_size));
    ASSIGN_OR_RETURN(reply, SubmitCheckpoint(url, request, timeout));
    // 409 with a size: retry from it (a larger size than the ledger's is a rollback,
    // found at the top of the loop); a few times, since another pusher of the same log
    // may move the witness meanwhile.
    if (reply.http_status == 409 && reply.witness_size.has_value() && result.attempts < 4) {
      old_size = *reply.witness_size;
      continue;
    }
    break;
  }
  if (reply.http_status == 409 && reply.witness_size.has_value()) {
    return Status::FailedPrecondition(
        kWitnessRefused, fmt::format("the witness {} moved to {} leaves at each of {} attempts",
                                     url, *reply.witness_size, result.attempts));
  }
  if (reply.http_status == 409 || reply.http_status == 422) {
    return Status::DataLoss("CONSISTENCY_FAILED",
                            fmt::format("the witness {} refused the checkpoint of size {} ({}): {}",
                                        url, result.size, reply.http_status, reply.body));
  }
  if (!reply.cosigned()) {
    return Status::FailedPrecondition(
        kWitnessRefused,
        fmt::format("the witness {} answered {}: {}", url, reply.http_status, reply.body));
  }
  result.cosigned_note = request.checkpoint + reply.body;
  Result<ledger::Note> parsed = ledger::ParseNote(result.cosigned_note);
  if (!parsed.ok()) {
    return Status::FailedPrecondition(kWitnessRefused,
                                      fmt::format("the witness {} answered lines that are not note "
                                                  "signatures: {}",
                                                  url, parsed.status().message()));
  }
  if (witness_key.has_value()) {
    Result<uint64_t> time = ledger::VerifyCosignature(result.cosigned_note, *witness_key);
    if (!time.ok()) {
      return Status::FailedPrecondition(
          kWitnessRefused, fmt::format("the witness {} answered no valid cosignature by {}: {}",
                                       url, witness_key->name, time.status().message()));
    }
    result.timestamp = *time;
  }
  return result;
}

}  // namespace esms::witness
