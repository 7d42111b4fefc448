// Projector: owns the ProgrammeState of one open ledger and keeps it in step with the
// records. Opening loads the latest snapshot (RocksDB `snapshots` column family,
// stored with the seq it reflects) and replays only the records after it, so opening
// a ledger of millions of records does not replay it all. A snapshot is never
// trusted blindly: one that does not decode, claims a seq beyond the ledger, or whose
// recorded hash of its last record differs from the ledger's, is dropped and the
// state rebuilt from seq 0.
//
// Install() plugs the guard and the fold into an EventAppender (its SetGuard /
// SetObserver hooks): each event is guarded against the state including the events
// staged before it in the batch, and folded once staged. After a successful
// Commit(), call SaveSnapshot(); if Commit() fails, call Reload() (the state had
// folded records that were not written).
//
// Snapshot bytes, under kStateSnapshotName: "esms-projection-snapshot/v2\n", the
// lowercase hex hash of the last record reflected (empty line for an empty state),
// "\n", then the core of ProgrammeState::EncodeParts() (binary, with its own digest
// and the digest of each measurement chunk). Each measurement chunk is stored under
// kStateSnapshotName + "/m/" + its name; only the chunks that changed are written
// again. Opening decodes the core only; a chunk is read (and checked against its
// digest, else rebuilt from the records) when a query first reads its measurements,
// so `state` / `check` of a project read a few chunks, a report all of them. A "/v1"
// snapshot (JSON state) of an older ledger is still read whole; the next save
// writes v2.
//
// Thread-safety: not thread-safe; one Projector per open ledger, used by the thread
// that writes. The Ledger must outlive it.
#ifndef ESMS_PROJECTIONS_PROJECTOR_H_
#define ESMS_PROJECTIONS_PROJECTOR_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "base/status.h"
#include "ledger/ledger.h"
#include "projections/appender.h"
#include "projections/guard.h"
#include "projections/state.h"

namespace esms::projections {

inline constexpr std::string_view kStateSnapshotName = "programme-state";

class Projector {
 public:
  // How the state was obtained by the last Open / Reload.
  enum class Source { kEmpty, kSnapshot, kRebuilt };

  // Loads the snapshot (if valid) and replays the records after it.
  static Result<std::unique_ptr<Projector>> Open(ledger::Ledger& ledger);

  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  const ProgrammeState& state() const { return state_; }
  const Guard& guard() const { return guard_; }
  Source source() const { return source_; }
  // Records replayed by the last Open / Reload / CatchUp.
  uint64_t replayed() const { return replayed_; }

  // Folds the ledger's records not yet in the state.
  Status CatchUp();
  // Drops the state and folds every record from seq 0.
  Status Rebuild();
  // Loads again from the latest snapshot and the ledger (after a failed commit).
  Status Reload();
  // Stores the state as a snapshot, with the seq it reflects (state().next_seq()).
  Status SaveSnapshot();

  // The guard for the next event, against the current state.
  Status Check(const domain::Event& event, const ledger::KeyInfo& signer) const;
  // Plugs Check and the fold into `appender`, whose staged records the guard also
  // reads; `appender` must not be used after this Projector is destroyed, nor this
  // Projector's hooks after `appender` is.
  void Install(EventAppender& appender);

  // The snapshot bytes of `state` whose last record has hash `last_hash`.
  static ledger::Bytes SnapshotBytes(const ProgrammeState& state, const ledger::Hash& last_hash);

 private:
  explicit Projector(ledger::Ledger& ledger);
  // The state from the snapshot, or an error saying why it cannot be trusted.
  Result<ProgrammeState> LoadSnapshot() const;

  ledger::Ledger& ledger_;
  ProgrammeState state_;
  Guard guard_;
  Source source_ = Source::kEmpty;
  uint64_t replayed_ = 0;
};

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_PROJECTOR_H_
