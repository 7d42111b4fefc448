// Replica: a mirror's copy of another ledger, written from records fetched elsewhere
// (mirror/mirror.h) and checked here as Ledger::Verify checks a ledger's own records.
//
// The copy is an ordinary ledger directory (the RocksDB layout of docs/format.md and
// ledger.pub, no ledger.key) that every read command opens with Ledger::Open(kReadOnly).
// Its meta column family also holds "mirror" = the source it follows, and Ledger::Open
// refuses to open such a copy for writing (USAGE): only Replica::Append writes it.
//
// Append checks every record, in order, before anything is written: the canonical form
// (DecodeRecord), the seq, the prevHash chain from the copy's head, the origin, the
// stream version and expectedVersion, the event id's uniqueness, the key registry rules
// and the author's signature against the key enrolled as its signer at that seq (key
// records are replayed from the copy's own records), then the Merkle tree they extend:
// its root at the new size must be the signed checkpoint's. Then the records, their
// indexes, the tree nodes, the checkpoint note and the head go in one RocksDB write made
// durable by one atomic flush of every column family (no write-ahead log: after a crash
// the copy holds all of it or none of it): a refusal leaves the copy exactly as it was.
//
// Errors: a record that is not well formed or breaks a rule, DataLoss CORRUPTION naming
// its seq; a signature that does not verify or a signer not enrolled, DataLoss
// UNAUTHORIZED naming its seq; a first record not chained to the copy's head, or a root
// that is not the checkpoint's, DataLoss CONSISTENCY_FAILED; storage, IoError.
//
// Thread-safety: one Replica per directory and process (it holds the RocksDB lock:
// LEDGER_LOCKED for a second writer); not thread-safe. Append uses worker threads of its
// own for the signatures.
#ifndef ESMS_LEDGER_REPLICA_H_
#define ESMS_LEDGER_REPLICA_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

namespace esms::ledger {

namespace internal {
class Storage;
}  // namespace internal

// The meta key that marks a ledger directory as a mirror's copy (value: its source).
inline constexpr std::string_view kMetaMirrorOf = "mirror";
// The code of a checkpoint or record whose signature does not verify with the trusted
// keys: to a mirror it is tampering, a verification failure (DataLoss, exit 1).
inline constexpr std::string_view kUnauthorizedCode = "UNAUTHORIZED";

class Replica {
 public:
  // The copy in `dir`, for writing. An absent or empty `dir` is a new, empty copy (size 0)
  // that the first Append creates. An existing one must be a mirror copy of the log
  // `log_key` names (same origin and ledger key: DataLoss UNAUTHORIZED otherwise; a ledger that is
  // not a mirror copy: USAGE).
  static Result<std::unique_ptr<Replica>> Open(const std::filesystem::path& dir,
                                               const NoteVerifier& log_key,
                                               std::string_view source);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  uint64_t size() const { return size_; }
  // MTH of the copy's records (EmptyRoot() when empty).
  const Hash& root() const { return root_; }
  // The checkpoint note the copy holds for its size (nullopt when empty).
  const std::optional<std::string>& checkpoint() const { return checkpoint_; }
  // The copy's stored complete subtrees (NotFound beyond its size).
  const SubtreeStore& tree() const;

  struct Appended {
    uint64_t records = 0;  // appended
    uint64_t size = 0;     // the copy's size after
  };
  // Checks `entries` (the records of seqs size(), size() + 1, ...) and, when every check
  // passes and their tree's root at the new size is `checkpoint.root`, appends them with
  // `note` (the checkpoint's signed note) in one atomic, durable write. `checkpoint.size` must be
  // size() + entries.size(). `progress(done, total)`: records checked.
  Result<Appended> Append(std::span<const ByteView> entries, const Checkpoint& checkpoint,
                          std::string_view note,
                          const std::function<void(uint64_t done, uint64_t total)>& progress = {});

 private:
  class Impl;
  Replica() = default;
  Status Load();

  std::filesystem::path dir_;
  std::string source_;
  NoteVerifier log_key_;
  std::unique_ptr<internal::Storage> db_;  // null while the copy is not created yet
  bool fresh_ = false;                     // db_ is open but empty (no write yet)
  std::unique_ptr<SubtreeStore> tree_;
  uint64_t size_ = 0;
  Hash head_{};
  Hash root_{};
  std::optional<std::string> checkpoint_;
};

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_REPLICA_H_
