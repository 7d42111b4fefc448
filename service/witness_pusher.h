// WitnessPusher: `serve --witness URL,KEY` (docs/witness.md "serve --witness"). After
// the commits, a thread of its own pushes the ledger's latest checkpoint to each witness
// (c2sp.org/tlog-witness add-checkpoint, witness/client.h), with the consistency proof
// from the size that witness last cosigned; each cosignature returned is verified with
// that witness's key before it is kept; once `quorum` witnesses cosigned one checkpoint,
// that cosigned checkpoint (the note and every valid cosignature line on it) replaces
// DIR/cosigned.note durably (witness/cosigned.h).
//
// Never in the writer's way: Notify (called by the writer after each commit) only
// records the new size; the pusher reads the checkpoint and the proofs in one short job
// posted to the writer between two group commits, and speaks HTTP on its own kj event
// loop. Coalescing: a round pushes the latest checkpoint only; the commits made while a
// round is under way are covered by the next round, one request per witness.
//
// The size a witness holds: at start, the stored cosigned checkpoint's for the
// witnesses that cosigned it (0 for the others); after each answer, the size it
// cosigned, or the size its 409 names (then pushed again at once, with the proof from
// that size). A witness that refuses (a 409 naming more leaves than the ledger holds: a
// rollback; 409 at the size it holds or 422: a fork; 403, 404, any other status, an
// invalid cosignature) or that cannot be reached is logged (URL, HTTP status), counted
// (esms_witness_pushes_total{witness,result}) and tried again with an exponential
// backoff; the service goes on serving.
//
// Thread-safety: Notify, Health and Stop may be called from any thread.
#ifndef ESMS_SERVICE_WITNESS_PUSHER_H_
#define ESMS_SERVICE_WITNESS_PUSHER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "witness/cosigned.h"

namespace spdlog {
class logger;
}

namespace kj {
template <typename T>
class CrossThreadPromiseFulfiller;
}

namespace esms::service {

class Metrics;
class Writer;

struct WitnessPusherOptions {
  std::vector<witness::WitnessSpec> witnesses;
  size_t quorum = 0;                          // 1..witnesses.size()
  std::filesystem::path ledger_dir;           // where cosigned.note is kept
  std::chrono::milliseconds timeout{10'000};  // one add-checkpoint request
  std::chrono::milliseconds min_backoff{250}, max_backoff{30'000};
  spdlog::logger* log = nullptr;  // must outlive the pusher; may be null
  Metrics* metrics = nullptr;     // must outlive the pusher; may be null
};

// The witnesses' state as /healthz reports it.
struct WitnessQuorumState {
  size_t quorum = 0, witnesses = 0;
  uint64_t latest_size = 0;    // the ledger's latest checkpoint pushed or to push
  size_t cosigned_latest = 0;  // witnesses holding a valid cosignature of it
  uint64_t stored_size = 0;    // the size of DIR/cosigned.note (0: none)
  bool met() const { return cosigned_latest >= quorum; }
};

class WitnessPusher {
 public:
  // Checks the options (USAGE: no witness, quorum out of 1..n) and reads the stored
  // cosigned checkpoint; no thread yet.
  static Result<std::unique_ptr<WitnessPusher>> Create(WitnessPusherOptions options);
  ~WitnessPusher();  // Stop()
  WitnessPusher(const WitnessPusher&) = delete;
  WitnessPusher& operator=(const WitnessPusher&) = delete;

  // Starts the thread; `writer` outlives the pusher's Stop(). `size`: the ledger's size.
  void Start(Writer& writer, uint64_t size);
  // A commit made the ledger `size` records long (cheap: any thread, the writer's).
  void Notify(uint64_t size);
  WitnessQuorumState State() const;
  // One line for /healthz: "witnesses: quorum K of N met at size S" or why not.
  std::string HealthLine() const;
  // Ends the round under way (its requests are dropped) and joins the thread. Idempotent.
  void Stop();

 private:
  struct Peer;
  struct Round;
  explicit WitnessPusher(WitnessPusherOptions options);
  void Loop();
  std::optional<Round> Fetch();
  void Count(const Peer& peer, std::string_view result);
  void Backoff(Peer& peer, std::chrono::steady_clock::time_point now);
  void StoreIfQuorum(const Round& round);

  WitnessPusherOptions options_;
  Writer* writer_ = nullptr;
  std::vector<Peer> peers_;  // the pusher thread's only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t notified_size_ = 0;
  WitnessQuorumState state_;
  kj::CrossThreadPromiseFulfiller<void>* stop_fulfiller_ = nullptr;  // the thread's own

  std::thread thread_;
};

}  // namespace esms::service

#endif  // ESMS_SERVICE_WITNESS_PUSHER_H_
