// Private to ledger/: Ledger::Verify's engine. It re-derives everything from the
// records alone, in one streaming pass over the records column family in seq order,
// and names the first bad seq with a precise reason (docs/format.md "Verification").
//
// The pass is a pipeline of three threads. The calling thread reads the records and
// checks their canonical form (verifier_envelope.h: exact, without re-encoding), seq
// and key rules. A hashing thread computes their record and leaf hashes, the chain,
// the Merkle frontier and the checkpoints' roots, and accumulates an order-independent
// keyed digest (IndexDigest) of the index entries and tree nodes the records imply. An
// index thread reads the event_ids, streams and tree column families sequentially
// into the same digests. Equal digests prove the stored indexes and tree are exactly
// what the records imply, with no point lookup; when they differ, the records are
// read again and checked entry by entry, node by node, to name the first bad seq.
// Stream versions are proven by the streams index (each stream's versions 0, 1, 2...
// at increasing seqs, and its digest equal to the records'); when it cannot vouch for
// them, the whole verification runs again in its exact form, counting them record by
// record. Signatures (unless disabled: the structural verify) are verified on worker
// threads. Every problem is reported as the one-thread order of docs/format.md §8
// would: the smallest (seq, priority), and on ties the check that comes first.
//
// Thread-safety: one Verifier per call; it only reads the Storage. Run() starts and
// joins its own threads.
#ifndef ESMS_LEDGER_INTERNAL_VERIFIER_H_
#define ESMS_LEDGER_INTERNAL_VERIFIER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/internal/storage.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"

namespace esms::ledger::internal {

class EnvelopeHasher;

// The compact range [0, size) of a Merkle tree: the roots of its complete subtrees,
// largest first. Appending a leaf yields the nodes it completes.
class Frontier {
 public:
  // Appends leaf number size(); `completed` receives (0, index, leaf) and each parent
  // completed, lowest level first. `hasher`, when given, computes the node hashes.
  void Append(const Hash& leaf_hash, std::vector<SubtreeNode>* completed,
              EnvelopeHasher* hasher = nullptr);
  Hash Root() const;
  uint64_t size() const { return size_; }

 private:
  std::vector<SubtreeNode> stack_;  // strictly decreasing levels
  uint64_t size_ = 0;
};

// A keyed, order-independent digest of a set of (key, value) pairs: their count and
// the sum of their SipHash-1-3 under a random 128-bit key (drawn per verification, so
// stored data cannot be made to collide on purpose).
struct IndexDigest {
  uint64_t count = 0;
  uint64_t sum = 0;
  bool operator==(const IndexDigest&) const = default;
};

class Verifier {
 public:
  using Progress = std::function<void(uint64_t done, uint64_t total)>;
  Verifier(const Storage& storage, std::string origin, const PublicKey& ledger_key,
           Progress progress);
  ~Verifier();
  // false: the records' signatures are not checked (structural verify).
  void set_check_signatures(bool check) { check_signatures_ = check; }
  Result<Ledger::VerifyReport> Run();

 private:
  // One verification. The fast one (count_streams_ false) leaves stream versions to
  // the streams index and gives up (nullopt) when that index cannot vouch for them;
  // the exact one always reports.
  std::optional<Ledger::VerifyReport> RunPass();
  enum Priority { kRecordProblem = 0, kIndexProblem = 1, kTreeProblem = 2 };
  struct Problem {
    uint64_t seq;
    int priority;
    std::string message;
  };
  // The first problem of a sequence of reports: the smallest (seq, priority), the
  // first one on ties.
  class ProblemLog {
   public:
    void Report(uint64_t seq, int priority, std::string message);
    // As if `other`'s reports came now, in their order.
    void Merge(const ProblemLog& other);
    const std::optional<Problem>& first() const { return first_; }

   private:
    std::optional<Problem> first_;
  };
  struct PassChunk;
  class ChunkQueue;
  struct SipKey {
    uint64_t k0 = 0;
    uint64_t k1 = 0;
  };

  void Report(uint64_t seq, Priority priority, std::string message);
  // A problem with no seq (a checkpoint that does not verify, meta damage).
  void ReportGeneral(std::string message);

  void ReadHead();
  void ReadCheckpoints();
  void PassRecords();
  // The hashing thread of the pass: chain, leaves, frontier, stored tree, checkpoints.
  void HashRecords(ChunkQueue* queue);
  // The index thread: the digests of the event_ids and streams column families.
  void ScanIndexes();
  void CheckIndexes();
  void CheckRecordIndexes(uint64_t seq, std::string_view event_id, std::string_view stream,
                          uint64_t stream_version, bool key_record);
  void CheckKeyIndexEntry(uint64_t seq);
  // Point lookups of every record's index entries (when a digest differs).
  void ReplayIndexLookups();
  // The stored tree against the tree digest; node by node when they differ.
  void CheckTree();
  void ReplayTree();
  void CheckNode(const SubtreeNode& node, uint64_t seq, ProblemLog* log);
  void CheckTreeBeyond();
  // A reverse index (key -> seq) and how to name its entries and match a record.
  struct ReverseIndex {
    std::string name;  // the column family, in messages
    rocksdb::ColumnFamilyHandle* cf;
    const std::set<uint64_t>& bad_entries;
    const std::set<std::string>& misdirected;
    std::function<std::string(std::string_view key)> entry;  // "event_ids entry 'x'"
    std::function<std::string(const Record&)> key_of;        // the record's index key
    std::function<std::string(const Record&)> describe;      // "whose event id is 'y'"
  };
  void CheckReverseIndex(const ReverseIndex& index);
  void CheckEventIdIndex();
  void CheckStreamIndex();
  void CheckKeyIndex();
  Hash RootOfFirst(uint64_t n);

  const Storage& storage_;
  std::string origin_;
  PublicKey ledger_key_;
  Progress progress_;
  bool check_signatures_ = true;
  bool count_streams_ = false;  // the exact pass: stream versions counted per record

  std::optional<uint64_t> head_size_;
  Hash head_hash_{};
  std::map<uint64_t, Hash> checkpoint_roots_;  // checkpoints whose note verifies
  uint64_t processed_ = 0;                     // records read in order from seq 0
  uint64_t limit_ = 0;                         // records that passed every record-level check
  std::set<uint64_t> key_record_seqs_;

  // The pass's hashing thread owns these until it is joined.
  Frontier frontier_;
  IndexDigest expected_tree_;  // of the nodes the records complete
  ProblemLog hashing_log_;
  std::optional<uint64_t> chain_break_;  // the seq whose prevHash is wrong
  std::atomic<bool> chain_broken_{false};
  Hash last_hash_{};  // of the last record hashed

  // The index digests: of what the records need (reading thread), of what is stored
  // (index thread; `*_scanned_ok` false if a column family could not be read).
  SipKey sip_key_;
  uint64_t digested_ = 0;     // records whose entries are in the expected digests
  IndexDigest expected_ids_;  // hashing thread (records read as a fast view)
  IndexDigest expected_streams_;
  IndexDigest reader_ids_;  // reading thread (records decoded by DecodeRecord)
  IndexDigest reader_streams_;
  IndexDigest stored_ids_;
  IndexDigest stored_streams_;
  IndexDigest stored_tree_;
  bool ids_scanned_ok_ = false;
  bool streams_scanned_ok_ = false;
  bool tree_scanned_ok_ = false;
  bool indexes_agree_ = false;
  bool streams_in_order_ = false;  // per stream: versions 0, 1, ... at increasing seqs
  std::vector<std::unique_ptr<rocksdb::Iterator>> tree_levels_;  // CheckNode, one per level

  // Records whose index entry is missing or points elsewhere, and the keys of the
  // entries that point elsewhere (already reported at their record, so not "extra").
  std::set<uint64_t> bad_id_entries_;
  std::set<uint64_t> bad_stream_entries_;
  std::set<std::string> misdirected_ids_;
  std::set<std::string> misdirected_stream_keys_;
  ProblemLog log_;
  std::optional<std::string> general_;
};

}  // namespace esms::ledger::internal

#endif  // ESMS_LEDGER_INTERNAL_VERIFIER_H_
