// The log's side of c2sp.org/tlog-witness: submits a checkpoint and its consistency
// proof to a witness (`POST <prefix>/add-checkpoint`) and reads back its cosignature,
// or its refusal as a value (409 carries the size the witness holds).
//
//   - WitnessClient: one witness URL, HTTP keep-alive, on the caller's KJ event loop
//     (the service pushes each new checkpoint with it);
//   - SubmitCheckpoint: the same, synchronous, on an event loop of its own;
//   - PushLatestCheckpoint: what `witness add-checkpoint` does by hand: the ledger's
//     latest checkpoint, first from the size the caller believes the witness holds, and
//     after a 409 once more from the size the witness named, with the consistency proof
//     the ledger gives (a few times if it keeps moving); the cosigned note back.
//
// Errors (transport): a URL that is not http://HOST[:PORT][/prefix] (BAD_INPUT); no
// connection, a timeout, a broken answer (FailedPrecondition WITNESS_UNREACHABLE).
//
// Thread-safety: a WitnessClient lives on its event loop's thread. SubmitCheckpoint and
// PushLatestCheckpoint make an event loop of their own: call them from a thread that has
// none.
#ifndef ESMS_WITNESS_CLIENT_H_
#define ESMS_WITNESS_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <kj/async-io.h>
#include <kj/compat/http.h>

#include "base/status.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "witness/witness.h"

namespace esms::witness {

inline constexpr std::string_view kWitnessUnreachable = "WITNESS_UNREACHABLE";
inline constexpr std::string_view kWitnessRefused = "WITNESS_REFUSED";

// A witness's answer.
struct SubmitReply {
  int http_status = 0;
  // 200: the cosignature line(s); otherwise the witness's message.
  std::string body;
  // 409 with Content-Type text/x.tlog.size: the size of the latest checkpoint the
  // witness cosigned for that origin.
  std::optional<uint64_t> witness_size;
  bool cosigned() const { return http_status == 200; }
};

class WitnessClient {
 public:
  // `url`: the witness's submission prefix, "http://HOST:PORT" or "http://HOST:PORT/p".
  static Result<std::unique_ptr<WitnessClient>> Create(kj::AsyncIoProvider& io, std::string url);
  ~WitnessClient();
  WitnessClient(const WitnessClient&) = delete;
  WitnessClient& operator=(const WitnessClient&) = delete;

  // One add-checkpoint request. Resolves to the answer, or to WITNESS_UNREACHABLE; never
  // rejects.
  kj::Promise<Result<SubmitReply>> Submit(const AddCheckpointRequest& request);
  const std::string& url() const { return url_; }

 private:
  WitnessClient(std::string url, kj::Timer& timer, kj::Network& network);
  std::string url_;
  std::string endpoint_;
  kj::Timer& timer_;
  kj::Own<kj::HttpHeaderTable> table_;
  kj::Own<kj::HttpClient> http_;
};

// One request on an event loop of its own, bounded by `timeout`.
Result<SubmitReply> SubmitCheckpoint(std::string_view url, const AddCheckpointRequest& request,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The request that brings a witness holding `witness_size` leaves of this ledger to the
// ledger's latest checkpoint (NO_CHECKPOINT without one; BAD_INPUT when the ledger is
// smaller than `witness_size`).
Result<AddCheckpointRequest> RequestFromLedger(const ledger::Ledger& ledger, uint64_t witness_size);

struct PushResult {
  std::string cosigned_note;  // the checkpoint with the witness's cosignature line(s)
  uint64_t size = 0;
  uint64_t attempts = 0;              // 1, or 2 after a 409
  std::optional<uint64_t> timestamp;  // the cosignature's time, when `witness_key` given
};
// Pushes the ledger's latest checkpoint to the witness at `url`, first with old size
// `believed_size`, then from the size a 409 names. Refusals: the witness holds more
// leaves than the ledger (DataLoss ROLLBACK: the ledger was rolled back); a fork or a proof it does
// not accept (409 at the same size, 422: DataLoss CONSISTENCY_FAILED); any other refusal
// (FailedPrecondition WITNESS_REFUSED, with the witness's status and message). With
// `witness_key`, the answer must hold a valid cosignature by that key (else
// WITNESS_REFUSED).
Result<PushResult> PushLatestCheckpoint(
    const ledger::Ledger& ledger, std::string_view url, uint64_t believed_size,
    const std::optional<ledger::NoteVerifier>& witness_key,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace esms::witness

#endif  // ESMS_WITNESS_CLIENT_H_
