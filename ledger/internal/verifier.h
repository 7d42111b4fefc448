// Private to ledger/: Ledger::Verify's engine. It re-derives everything from the
// records alone, in one streaming pass over the records column family in seq order,
// and names the first bad seq with a precise reason (docs/format.md "Verification").
// Signatures are verified on worker threads while the main thread decodes.
//
// Thread-safety: one Verifier per call; it only reads the Storage.
#ifndef ESMS_LEDGER_INTERNAL_VERIFIER_H_
#define ESMS_LEDGER_INTERNAL_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/internal/storage.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/status.h"

namespace esms::ledger::internal {

// The compact range [0, size) of a Merkle tree: the roots of its complete subtrees,
// largest first. Appending a leaf yields the nodes it completes.
class Frontier {
 public:
  // Appends leaf number size(); `completed` receives (0, index, leaf) and each parent
  // completed, lowest level first.
  void Append(const Hash& leaf_hash, std::vector<SubtreeNode>* completed);
  Hash Root() const;
  uint64_t size() const { return size_; }

 private:
  std::vector<SubtreeNode> stack_;  // strictly decreasing levels
  uint64_t size_ = 0;
};

class Verifier {
 public:
  using Progress = std::function<void(uint64_t done, uint64_t total)>;
  Verifier(const Storage& storage, std::string origin, const PublicKey& ledger_key,
           Progress progress);
  // false: the records' signatures are not checked (structural verify).
  void set_check_signatures(bool check) { check_signatures_ = check; }
  Result<Ledger::VerifyReport> Run();

 private:
  enum Priority { kRecordProblem = 0, kIndexProblem = 1, kTreeProblem = 2 };
  struct Problem {
    uint64_t seq;
    int priority;
    std::string message;
  };
  // Keeps the problem with the smallest (seq, priority); the first one on ties.
  void Report(uint64_t seq, Priority priority, std::string message);
  // A problem with no seq (a checkpoint that does not verify, meta damage).
  void ReportGeneral(std::string message);

  void ReadHead();
  void ReadCheckpoints();
  void PassRecords();
  void CheckIndexes(const Record& record);
  void CheckNode(const SubtreeNode& node, uint64_t seq);
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

  std::optional<uint64_t> head_size_;
  Hash head_hash_{};
  std::map<uint64_t, Hash> checkpoint_roots_;  // checkpoints whose note verifies
  Frontier frontier_;
  uint64_t processed_ = 0;  // records read in order from seq 0
  uint64_t limit_ = 0;      // records that passed every record-level check
  std::set<uint64_t> key_record_seqs_;
  // Records whose index entry is missing or points elsewhere, and the keys of the
  // entries that point elsewhere (already reported at their record, so not "extra").
  std::set<uint64_t> bad_id_entries_;
  std::set<uint64_t> bad_stream_entries_;
  std::set<std::string> misdirected_ids_;
  std::set<std::string> misdirected_stream_keys_;
  std::vector<std::unique_ptr<rocksdb::Iterator>> tree_levels_;  // CheckNode, one per level
  std::optional<Problem> first_;
  std::optional<std::string> general_;
};

}  // namespace esms::ledger::internal

#endif  // ESMS_LEDGER_INTERNAL_VERIFIER_H_
