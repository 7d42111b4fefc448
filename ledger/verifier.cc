#include "ledger/internal/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "ledger/internal/storage_keys.h"
#include "ledger/key_registry.h"
#include "ledger/note.h"
#include "ledger/record.h"

namespace esms::ledger::internal {
namespace {

std::string QuoteName(std::string_view name) { return fmt::format("'{}'", name); }

// One signature to check, with what the message needs if it fails.
struct SignatureJob {
  uint64_t seq = 0;
  PublicKey key{};
  std::string signer;
  uint64_t enrolled_seq = 0;
  Bytes signed_bytes;
  Signature signature{};
};

// Verifies signatures on worker threads, fed in chunks by the decoding thread. Knows
// the lowest seq whose signature failed.
class SignatureChecker {
 public:
  explicit SignatureChecker(unsigned threads) {
    for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~SignatureChecker() { (void)Finish(); }
  SignatureChecker(const SignatureChecker&) = delete;
  SignatureChecker& operator=(const SignatureChecker&) = delete;

  void Add(SignatureJob job) {
    chunk_.push_back(std::move(job));
    if (chunk_.size() >= kChunk) Push();
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  // Waits for every job; the failing job with the lowest seq, if any.
  std::optional<SignatureJob> Finish() {
    if (!finished_) {
      Push();
      {
        std::lock_guard<std::mutex> lock(mu_);
        done_ = true;
      }
      ready_.notify_all();
      for (std::thread& worker : workers_) worker.join();
      finished_ = true;
    }
    return failure_;
  }

 private:
  static constexpr size_t kChunk = 256;
  static constexpr size_t kMaxQueued = 16;

  void Push() {
    if (chunk_.empty()) return;
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
    queue_.push_back(std::move(chunk_));
    chunk_ = {};
    chunk_.reserve(kChunk);
    lock.unlock();
    ready_.notify_one();
  }

  void Work() {
    for (;;) {
      std::vector<SignatureJob> chunk;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [this] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        chunk = std::move(queue_.front());
        queue_.pop_front();
      }
      space_.notify_one();
      for (SignatureJob& job : chunk) {
        if (!VerifySignature(job.key, job.signed_bytes, job.signature)) {
          std::lock_guard<std::mutex> lock(mu_);
          if (!failure_ || job.seq < failure_->seq) failure_ = std::move(job);
          failed_.store(true, std::memory_order_relaxed);
          break;  // the rest of the chunk has higher seqs
        }
      }
    }
  }

  std::vector<SignatureJob> chunk_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<std::vector<SignatureJob>> queue_;
  bool done_ = false;
  bool finished_ = false;
  std::atomic<bool> failed_{false};
  std::optional<SignatureJob> failure_;
  std::vector<std::thread> workers_;
};

unsigned SignatureThreads() {
  unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(cores, 1u, 8u);
}

}  // namespace

void Frontier::Append(const Hash& leaf_hash, std::vector<SubtreeNode>* completed) {
  completed->clear();
  SubtreeNode node{0, size_++, leaf_hash};
  completed->push_back(node);
  while (!stack_.empty() && stack_.back().level == node.level) {
    node = SubtreeNode{node.level + 1, node.index >> 1, NodeHash(stack_.back().hash, node.hash)};
    stack_.pop_back();
    completed->push_back(node);
  }
  stack_.push_back(node);
}

Hash Frontier::Root() const {
  if (stack_.empty()) return EmptyRoot();
  Hash root = stack_.back().hash;
  for (size_t i = stack_.size() - 1; i-- > 0;) root = NodeHash(stack_[i].hash, root);
  return root;
}

Verifier::Verifier(const Storage& storage, std::string origin, const PublicKey& ledger_key,
                   Progress progress)
    : storage_(storage),
      origin_(std::move(origin)),
      ledger_key_(ledger_key),
      progress_(std::move(progress)) {}

void Verifier::Report(uint64_t seq, Priority priority, std::string message) {
  if (!first_ || seq < first_->seq || (seq == first_->seq && priority < first_->priority)) {
    first_ = Problem{seq, priority, std::move(message)};
  }
}

void Verifier::ReportGeneral(std::string message) {
  if (!general_) general_ = std::move(message);
}

Result<Ledger::VerifyReport> Verifier::Run() {
  ReadHead();
  ReadCheckpoints();
  PassRecords();
  CheckTreeBeyond();
  CheckEventIdIndex();
  CheckStreamIndex();
  CheckKeyIndex();

  Ledger::VerifyReport report;
  report.size = limit_;
  report.root = limit_ == frontier_.size() ? frontier_.Root() : RootOfFirst(limit_);
  if (first_) {
    report.ok = false;
    report.first_bad = first_->seq;
    report.problem = first_->message;
  } else if (general_) {
    report.ok = false;
    report.problem = *general_;
  } else {
    report.ok = true;
  }
  if (progress_) progress_(processed_, head_size_.value_or(processed_));
  return report;
}

void Verifier::ReadHead() {
  Result<std::optional<std::string>> head = storage_.Get(storage_.meta(), storage::kMetaHead);
  if (!head.ok()) {
    ReportGeneral("meta head unreadable: " + head.status().message());
  } else if (!*head || (*head)->size() != 8 + head_hash_.size()) {
    ReportGeneral("meta head missing or malformed");
  } else {
    head_size_ = storage::ReadU64(std::string_view(**head).substr(0, 8));
    std::copy((*head)->begin() + 8, (*head)->end(), head_hash_.begin());
  }
}

void Verifier::ReadCheckpoints() {
  Result<NoteVerifier> verifier = ParseVerifierKey(VerifierKey(origin_, ledger_key_));
  if (!verifier.ok()) {
    ReportGeneral("ledger key unusable: " + verifier.status().message());
    return;
  }
  std::vector<NoteVerifier> verifiers = {*verifier};
  std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(storage_.checkpoints(), false);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::optional<uint64_t> size = storage::ReadU64(it->key().ToStringView());
    std::string label = size ? fmt::format("checkpoint of size {}", *size) : "checkpoint";
    if (!size) {
      ReportGeneral(label + ": malformed key");
      continue;
    }
    Result<std::string> text = OpenNote(it->value().ToStringView(), verifiers);
    if (!text.ok()) {
      ReportGeneral(fmt::format("{}: {}", label, text.status().message()));
      continue;
    }
    Result<Checkpoint> checkpoint = ParseCheckpoint(*text);
    if (!checkpoint.ok()) {
      ReportGeneral(fmt::format("{}: {}", label, checkpoint.status().message()));
      continue;
    }
    if (checkpoint->origin != origin_ || checkpoint->size != *size) {
      ReportGeneral(fmt::format("{}: it names origin '{}' and size {}", label,
                                checkpoint->origin, checkpoint->size));
      continue;
    }
    checkpoint_roots_[*size] = checkpoint->root;
  }
  if (!it->status().ok()) {
    ReportGeneral("checkpoints unreadable: " + storage_.Error(it->status(), "").message());
  }
}

void Verifier::PassRecords() {
  SignatureChecker checker(check_signatures_ ? SignatureThreads() : 0);
  KeyRegistry registry;
  std::unordered_map<std::string, uint64_t> stream_counts;
  std::vector<SubtreeNode> completed;
  Hash prev{};
  uint64_t expected = 0;
  std::optional<uint64_t> record_problem;
  auto fail = [&](std::string message) {
    Report(expected, kRecordProblem, std::move(message));
    record_problem = expected;
  };
  const uint64_t total = head_size_.value_or(0);

  std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(storage_.records(), true);
  for (it->SeekToFirst(); it->Valid() && !checker.failed(); it->Next()) {
    std::optional<uint64_t> key_seq = storage::ReadU64(it->key().ToStringView());
    if (!key_seq) {
      fail(fmt::format("seq {}: malformed key in the records column family", expected));
      break;
    }
    if (*key_seq != expected) {
      fail(fmt::format("seq {}: record missing (gap)", expected));
      break;
    }
    if (head_size_ && expected >= *head_size_) {
      fail(fmt::format("seq {}: record beyond the head (the meta head records {} records)",
                       expected, *head_size_));
      break;
    }
    Bytes signed_bytes;
    Result<Record> decoded = DecodeRecord(AsBytes(it->value().ToStringView()), &signed_bytes);
    if (!decoded.ok()) {
      fail(fmt::format("seq {}: record bytes corrupt: {}", expected, decoded.status().message()));
      break;
    }
    const Record& r = *decoded;
    if (r.seq != expected) {
      fail(fmt::format("seq {}: record stored under seq {} holds seq {}", expected, expected,
                       r.seq));
      break;
    }
    if (r.prev_hash != prev) {
      fail(expected == 0
               ? std::string("seq 0: genesis prevHash is not zero")
               : fmt::format("seq {}: prevHash does not match hash of seq {}", expected,
                             expected - 1));
      break;
    }
    uint64_t& stream_count = stream_counts[r.stream];
    if (r.stream_version != stream_count) {
      fail(fmt::format("seq {}: streamVersion {} but stream '{}' holds {} earlier records",
                       expected, r.stream_version, r.stream, stream_count));
      break;
    }
    // The signer as enrolled at this seq (replayed from the records, not the stored
    // registry).
    Status allowed = registry.Check(r);
    if (!allowed.ok()) {
      fail(fmt::format("seq {}: {} refused: {}", expected,
                       IsKeyRecordType(r.type) ? "key record" : "signer", allowed.message()));
      break;
    }
    if (check_signatures_) {
      SignatureJob job;
      job.seq = r.seq;
      job.signer = r.signer;
      job.signature = r.signature;
      if (registry.empty()) {  // genesis: the key it enrols signs it
        job.key = DecodeKeyEnrolled(r.payload)->public_key;
        job.enrolled_seq = r.seq;
      } else {
        const KeyInfo* info = *registry.Signer(r.signer);
        job.key = info->key;
        job.enrolled_seq = info->enrolled_seq;
      }
      job.signed_bytes = std::move(signed_bytes);
      checker.Add(std::move(job));
    }
    (void)registry.Apply(r);  // Check() passed
    if (IsKeyRecordType(r.type)) key_record_seqs_.insert(r.seq);
    ++stream_count;

    CheckIndexes(r);
    frontier_.Append(r.leaf_hash, &completed);
    for (const SubtreeNode& node : completed) CheckNode(node, r.seq);
    auto checkpoint = checkpoint_roots_.find(r.seq + 1);
    if (checkpoint != checkpoint_roots_.end() && checkpoint->second != frontier_.Root()) {
      Report(r.seq, kRecordProblem,
             fmt::format("seq {}: records 0..{} give root {}, not the root {} signed in the "
                         "checkpoint of size {}",
                         r.seq, r.seq, ToHex(frontier_.Root()), ToHex(checkpoint->second),
                         r.seq + 1));
    }
    prev = r.hash;
    ++expected;
    if (progress_ && expected % 4096 == 0) progress_(expected, std::max(total, expected));
  }
  if (!it->status().ok() && !record_problem && !checker.failed()) {
    fail(fmt::format("seq {}: record unreadable: {}", expected,
                     storage_.Error(it->status(), "records").message()));
  }
  std::optional<SignatureJob> bad = checker.Finish();
  if (bad) {
    Report(bad->seq, kRecordProblem,
           fmt::format("seq {}: signature does not verify with key {} as enrolled at seq {}",
                       bad->seq, QuoteName(bad->signer), bad->enrolled_seq));
  }
  processed_ = expected;
  limit_ = expected;
  if (record_problem) limit_ = std::min(limit_, *record_problem);
  if (bad) limit_ = std::min(limit_, bad->seq);
  if (limit_ < processed_) return;

  // Every record read is sound: now the ends.
  if (head_size_) {
    if (processed_ < *head_size_) {
      Report(processed_, kRecordProblem,
             fmt::format("seq {}: record missing (the meta head records {} records)", processed_,
                         *head_size_));
    } else if (prev != head_hash_) {
      Report(processed_ == 0 ? 0 : processed_ - 1, kRecordProblem,
             fmt::format("seq {}: the meta head hash does not match the hash of seq {}",
                         processed_ == 0 ? 0 : processed_ - 1, processed_ == 0 ? 0 : processed_ - 1));
    }
  }
  if (!checkpoint_roots_.empty() && checkpoint_roots_.rbegin()->first > processed_) {
    Report(processed_, kRecordProblem,
           fmt::format("seq {}: record missing: the checkpoint of size {} commits to {} records "
                       "but the ledger has {} (truncated)",
                       processed_, checkpoint_roots_.rbegin()->first,
                       checkpoint_roots_.rbegin()->first, processed_));
  }
}

void Verifier::CheckIndexes(const Record& r) {
  const std::string seq_value = storage::SeqKey(r.seq);
  Result<std::optional<std::string>> id = storage_.Get(storage_.event_ids(), r.event_id);
  if (!id.ok()) {
    Report(r.seq, kIndexProblem,
           fmt::format("seq {}: event_ids entry of '{}' unreadable: {}", r.seq, r.event_id,
                       id.status().message()));
    bad_id_entries_.insert(r.seq);
  } else if (!*id) {
    Report(r.seq, kIndexProblem,
           fmt::format("seq {}: event id '{}' missing from the event_ids index", r.seq,
                       r.event_id));
    bad_id_entries_.insert(r.seq);
  } else if (**id != seq_value) {
    std::optional<uint64_t> points = storage::ReadU64(**id);
    Report(r.seq, kIndexProblem,
           fmt::format("seq {}: event_ids entry of '{}' points to seq {}, not to this record",
                       r.seq, r.event_id, points ? std::to_string(*points) : "(malformed)"));
    bad_id_entries_.insert(r.seq);
    misdirected_ids_.insert(r.event_id);
  }

  const std::string stream_key = storage::StreamKey(r.stream, r.stream_version);
  Result<std::optional<std::string>> stream = storage_.Get(storage_.streams(), stream_key);
  if (!stream.ok() || !*stream || **stream != seq_value) {
    Report(r.seq, kIndexProblem,
           fmt::format("seq {}: stream '{}' version {} is {} in the streams index", r.seq,
                       r.stream, r.stream_version,
                       !stream.ok() ? "unreadable" : (!*stream ? "missing" : "misdirected")));
    bad_stream_entries_.insert(r.seq);
    if (stream.ok() && *stream) misdirected_stream_keys_.insert(stream_key);
  }

  if (IsKeyRecordType(r.type)) {
    Result<std::optional<std::string>> key =
        storage_.Get(storage_.meta(), storage::KeyRecordKey(r.seq));
    if (!key.ok() || !*key) {
      Report(r.seq, kIndexProblem,
             fmt::format("seq {}: key record missing from the key index", r.seq));
    }
  }
}

// Nodes of one level complete in index order, so one forward iterator per level reads
// them sequentially instead of one point lookup each.
void Verifier::CheckNode(const SubtreeNode& node, uint64_t seq) {
  if (tree_levels_.size() <= static_cast<size_t>(node.level)) tree_levels_.resize(node.level + 1);
  std::unique_ptr<rocksdb::Iterator>& it = tree_levels_[node.level];
  const std::string key = storage::TreeKey(node.level, node.index);
  if (!it) {
    it = storage_.NewIterator(storage_.tree(), true);
    it->Seek(key);
  } else {
    while (it->Valid() && it->key().compare(key) < 0) it->Next();
  }
  if (!it->Valid() || it->key() != rocksdb::Slice(key)) {
    bool unreadable = !it->status().ok();
    Report(seq, kTreeProblem,
           fmt::format("seq {}: tree node (level {}, index {}) is {}", seq, node.level,
                       node.index, unreadable ? "unreadable" : "missing"));
    if (unreadable) it.reset();
    return;
  }
  ByteView stored_hash = AsBytes(it->value().ToStringView());
  if (!std::equal(node.hash.begin(), node.hash.end(), stored_hash.begin(), stored_hash.end())) {
    Report(seq, kTreeProblem,
           fmt::format("seq {}: stored tree node (level {}, index {}) does not match the hash "
                       "recomputed from the records",
                       seq, node.level, node.index));
  }
}

// Nodes covering leaves at or beyond limit_ must not exist. At level l those are the
// indexes >= limit_ >> l: one seek per level.
void Verifier::CheckTreeBeyond() {
  if (limit_ != processed_) return;  // nothing beyond a bad record can be judged
  std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(storage_.tree(), false);
  for (int level = 0; level < 64; ++level) {
    const uint64_t first_extra = limit_ >> level;
    it->Seek(storage::TreeKey(level, first_extra));
    if (!it->Valid()) break;
    std::string_view key = it->key().ToStringView();
    if (key.size() != 9 || static_cast<uint8_t>(key[0]) != level) continue;
    uint64_t index = *storage::ReadU64(key.substr(1));
    uint64_t first_leaf = index << level;
    Report(std::max(first_leaf, limit_), kTreeProblem,
           fmt::format("seq {}: the tree holds node (level {}, index {}), beyond the ledger's {} "
                       "records",
                       std::max(first_leaf, limit_), level, index, limit_));
  }
  it->SeekToLast();
  if (it->Valid()) {
    std::string_view key = it->key().ToStringView();
    if (key.size() != 9 || static_cast<uint8_t>(key[0]) >= 64) {
      ReportGeneral("the tree column family holds a malformed key");
    }
  }
  if (!it->status().ok()) {
    ReportGeneral("tree unreadable: " + storage_.Error(it->status(), "tree").message());
  }
}

// Every record has its entry (CheckIndexes); here: no entry more. Counting suffices
// unless there are extras, which a second scan then names. The event_ids and streams
// indexes differ only in what they are called and in which record field they key.
void Verifier::CheckReverseIndex(const ReverseIndex& index) {
  uint64_t below = 0;
  std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(index.cf, true);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (index.misdirected.count(it->key().ToString())) continue;
    std::optional<uint64_t> seq = storage::ReadU64(it->value().ToStringView());
    if (!seq) {
      ReportGeneral(index.entry(it->key().ToStringView()) + " is malformed");
    } else if (*seq < limit_) {
      ++below;
    } else if (limit_ == processed_) {
      Report(limit_, kIndexProblem,
             fmt::format("seq {}: {} points to seq {}, beyond the ledger's {} records", limit_,
                         index.entry(it->key().ToStringView()), *seq, limit_));
    }
  }
  if (!it->status().ok()) {
    ReportGeneral(index.name + " unreadable: " + storage_.Error(it->status(), "").message());
    return;
  }
  uint64_t sound = limit_ - static_cast<uint64_t>(std::count_if(
                                index.bad_entries.begin(), index.bad_entries.end(),
                                [this](uint64_t s) { return s < limit_; }));
  if (below <= sound) return;
  // Extras: an entry whose record is keyed otherwise.
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (index.misdirected.count(it->key().ToString())) continue;
    std::optional<uint64_t> seq = storage::ReadU64(it->value().ToStringView());
    if (!seq || *seq >= limit_) continue;
    Result<std::optional<std::string>> bytes =
        storage_.Get(storage_.records(), storage::SeqKey(*seq));
    if (!bytes.ok() || !*bytes) continue;
    Result<Record> record = DecodeRecord(AsBytes(**bytes));
    if (record.ok() && index.key_of(*record) != it->key().ToStringView()) {
      Report(*seq, kIndexProblem,
             fmt::format("seq {}: {} points to seq {}, {}", *seq,
                         index.entry(it->key().ToStringView()), *seq, index.describe(*record)));
    }
  }
}

void Verifier::CheckEventIdIndex() {
  CheckReverseIndex(ReverseIndex{
      .name = "event_ids",
      .cf = storage_.event_ids(),
      .bad_entries = bad_id_entries_,
      .misdirected = misdirected_ids_,
      .entry = [](std::string_view key) { return fmt::format("event_ids entry '{}'", key); },
      .key_of = [](const Record& r) { return r.event_id; },
      .describe =
          [](const Record& r) { return fmt::format("whose event id is '{}'", r.event_id); },
  });
}

void Verifier::CheckStreamIndex() {
  CheckReverseIndex(ReverseIndex{
      .name = "streams",
      .cf = storage_.streams(),
      .bad_entries = bad_stream_entries_,
      .misdirected = misdirected_stream_keys_,
      .entry = [](std::string_view) { return std::string("a streams index entry"); },
      .key_of = [](const Record& r) { return storage::StreamKey(r.stream, r.stream_version); },
      .describe =
          [](const Record& r) {
            return fmt::format("which is version {} of stream '{}'", r.stream_version, r.stream);
          },
  });
}

void Verifier::CheckKeyIndex() {
  std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(storage_.meta(), false);
  const std::string prefix(storage::kMetaKeyRecordPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::optional<uint64_t> seq = storage::ReadU64(it->key().ToStringView().substr(prefix.size()));
    if (!seq) {
      ReportGeneral("a key index entry is malformed");
    } else if (*seq < limit_ && !key_record_seqs_.count(*seq)) {
      Report(*seq, kIndexProblem,
             fmt::format("seq {}: the key index lists seq {}, which is not a key record", *seq,
                         *seq));
    } else if (*seq >= limit_ && limit_ == processed_) {
      Report(limit_, kIndexProblem,
             fmt::format("seq {}: the key index lists seq {}, beyond the ledger's {} records",
                         limit_, *seq, limit_));
    }
  }
  if (!it->status().ok()) {
    ReportGeneral("meta unreadable: " + storage_.Error(it->status(), "").message());
  }
}

// The root of the first n records, from their bytes alone (used when a record at or
// after n failed, so the pass's frontier went past n).
Hash Verifier::RootOfFirst(uint64_t n) {
  Frontier frontier;
  std::vector<SubtreeNode> completed;
  std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(storage_.records(), true);
  for (it->SeekToFirst(); it->Valid() && frontier.size() < n; it->Next()) {
    frontier.Append(LeafHash(AsBytes(it->value().ToStringView())), &completed);
  }
  return frontier.Root();
}

}  // namespace esms::ledger::internal
