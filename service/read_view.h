// ReadView: the served ledger as of its last commit, for the reads that must not wait
// for the writer (issue 15: `state` / `check` while the writes run at full rate).
//
// Why a view: the writer (service/writer.h) stages a group commit into its Projector
// (each event folded as it is staged, so that the next one is guarded against it) and
// then waits for the synced write; for that whole time its state holds records that are
// not durable, so a read could not use it. The view keeps a second Projector of its own,
// a follower that only ever folds committed records (Projector::CatchUp up to
// Ledger::size()), and it reads the same Ledger object.
//
// Threading (the reasoning a race detector would make):
//  - The served Ledger's in-memory head (size, head hash, key registry) changes only in
//    the batch's reap of a finished write (ledger/batch.cc Reap, Reset), on the writer
//    thread. The writer does every such call (EventAppender::Submit, which reaps what is
//    written without waiting, Flush, the reset after a failed write, SaveSnapshot's
//    PutSnapshot) while holding Exclusive(); it waits for the disk between those calls
//    without it (service/writer.cc CommitVisible). Staging a batch only reads the Ledger.
//  - A reader holds a Lease, which holds the same mutex: while it lives the Ledger's head
//    is one commit's, whole (a reap is atomic under the mutex), and the follower is caught
//    up to exactly that size when the lease is given. So a read sees commit N entirely or
//    not at all, never a half-applied one.
//  - RocksDB reads are thread-safe. Records, tree nodes and checkpoints below the head's
//    size never change. What a write in flight may already have put in RocksDB past the
//    head (index entries, the next checkpoint) is read by Ledger methods not bounded by
//    size(): FindEventId, StreamSeqs, LatestCheckpoint. Reads that use those (log,
//    history, checkpoint, prove, ...) are not served from the view: they stay on the
//    writer thread, between two commits (ReadCommandInfo::on_view, service/writer.h).
//    state and check read the projected state, Ledger::Get (bounded) and keys().
//  - The follower is used by one lease at a time (its state loads measurement chunks
//    lazily, a mutation behind const), so leases are exclusive too: reads from the view
//    are serialized among themselves, but not behind the writer's disk wait.
//  - The writer's own Projector and the view's share nothing but the Ledger.
//
// Use: Current() is the one way to read: it returns a lease on the view as of the last
// commit (TryCurrent: the same when it is free and nearly caught up, for a caller that
// must not wait). Keep a lease for one read only (the writer waits for it to reap its
// next commit).
#ifndef ESMS_SERVICE_READ_VIEW_H_
#define ESMS_SERVICE_READ_VIEW_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "base/status.h"
#include "ledger/ledger.h"

namespace esms::projections {
class Projector;
}  // namespace esms::projections

namespace esms::service {

class ReadView {
 public:
  // A follower of `ledger`'s committed records (opened from the ledger's snapshot and
  // its records, as the writer's own state). Before the writer starts: `ledger` is not
  // written meanwhile. `ledger` must outlive the view.
  static Result<std::unique_ptr<ReadView>> Open(ledger::Ledger& ledger);
  ~ReadView();
  ReadView(const ReadView&) = delete;
  ReadView& operator=(const ReadView&) = delete;

  // The view as of the last commit, for one read. Movable, not copyable.
  class Lease {
   public:
    // Read-only use (the read commands take the types the local program opens).
    ledger::Ledger& ledger() const { return *ledger_; }
    projections::Projector& projector() const { return *projector_; }
    uint64_t size() const { return size_; }

   private:
    friend class ReadView;
    Lease(std::unique_lock<std::mutex> lock, ledger::Ledger* ledger,
          projections::Projector* projector, uint64_t size)
        : lock_(std::move(lock)), ledger_(ledger), projector_(projector), size_(size) {}
    std::unique_lock<std::mutex> lock_;
    ledger::Ledger* ledger_;
    projections::Projector* projector_;
    uint64_t size_;
  };
  // Waits for a reap in progress (microseconds) or another lease, folds the records
  // committed since the last lease, and gives the view. An error: the follower could not
  // fold them (storage).
  Result<Lease> Current();

  // The same without waiting: nullopt when the lock is taken, or when more than
  // `max_catch_up` records are to be folded first (or cannot be: Current() says why).
  std::optional<Lease> TryCurrent(uint64_t max_catch_up);

  // The writer's side: held while it changes the Ledger's head (see above).
  std::unique_lock<std::mutex> Exclusive() { return std::unique_lock<std::mutex>(mu_); }

 private:
  ReadView(ledger::Ledger& ledger, std::unique_ptr<projections::Projector> projector);

  std::mutex mu_;
  ledger::Ledger& ledger_;
  std::unique_ptr<projections::Projector> projector_;  // folded up to a commit
};

}  // namespace esms::service

#endif  // ESMS_SERVICE_READ_VIEW_H_
