// Replica (ledger/replica.h): a mirror's copy, checked record by record, written in one
// atomic, durable write.
#include "ledger/replica.h"

#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ledger/internal/storage.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/internal/verifier_envelope.h"
#include "ledger/key_registry.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "ledger/tiles.h"

namespace esms::ledger {

namespace fs = std::filesystem;
using internal::SliceOf;
using internal::Storage;

namespace {

// No store: the tree of an empty copy.
class NoTree final : public SubtreeStore {
 public:
  Result<Hash> Get(int level, uint64_t index) const override {
    return Status::NotFound(
        fmt::format("tree node (level {}, index {}) is not stored", level, index));
  }
};

// One author signature to check.
struct SignatureJob {
  uint64_t seq = 0;
  ByteView statement;  // the signed bytes (within the entry, or a decoded record's)
  Signature signature{};
  PublicKey key{};
};

// The author signatures of an append, checked on worker threads while the records are
// still being read and checked in order (the one serial part), as Verify pipelines them.
// Jobs are published in order; a worker claims chunks of them and waits for a chunk's
// jobs to be published. The smallest seq that does not verify wins.
class SignatureChecker {
 public:
  explicit SignatureChecker(size_t capacity) : jobs_(capacity) {
    const unsigned threads = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    for (unsigned t = 0; t < threads; ++t) workers_.emplace_back([this] { Work(); });
  }
  ~SignatureChecker() { (void)Finish(); }
  SignatureChecker(const SignatureChecker&) = delete;
  SignatureChecker& operator=(const SignatureChecker&) = delete;

  // The next job; the bytes it views must stay until Finish().
  void Publish(const SignatureJob& job) {
    const size_t at = published_.load(std::memory_order_relaxed);
    jobs_[at] = job;
    published_.store(at + 1, std::memory_order_release);
  }
  // No more jobs: waits for the checks (helping them) and returns the first bad seq.
  std::optional<uint64_t> Finish() {
    closed_.store(true, std::memory_order_release);
    if (!workers_.empty()) {
      Work();
      for (std::thread& worker : workers_) worker.join();
      workers_.clear();
    }
    const uint64_t bad = first_bad_.load();
    if (bad == UINT64_MAX) return std::nullopt;
    return bad;
  }

 private:
  static constexpr size_t kChunk = 128;
  void Work() {
    for (;;) {
      const size_t begin = next_.fetch_add(kChunk);
      if (begin >= jobs_.size()) return;
      const size_t end = std::min(jobs_.size(), begin + kChunk);
      for (size_t i = begin; i < end; ++i) {
        while (published_.load(std::memory_order_acquire) <= i) {
          if (closed_.load(std::memory_order_acquire) &&
              published_.load(std::memory_order_acquire) <= i) {
            return;  // never published: the reading stopped before it
          }
          std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
        const SignatureJob& job = jobs_[i];
        if (job.seq >= first_bad_.load(std::memory_order_relaxed)) continue;
        if (!VerifyStatementSignature(job.statement, job.signature, job.key)) {
          uint64_t seen = first_bad_.load();
          while (job.seq < seen && !first_bad_.compare_exchange_weak(seen, job.seq)) {
          }
        }
      }
    }
  }

  std::vector<SignatureJob> jobs_;
  std::atomic<size_t> published_{0};
  std::atomic<size_t> next_{0};
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> first_bad_{UINT64_MAX};
  std::vector<std::thread> workers_;
};

}  // namespace

Replica::~Replica() = default;

const SubtreeStore& Replica::tree() const { return *tree_; }

Result<std::unique_ptr<Replica>> Replica::Open(const fs::path& dir, const NoteVerifier& log_key,
                                               std::string_view source) {
  auto replica = std::unique_ptr<Replica>(new Replica());
  replica->dir_ = dir;
  replica->source_ = std::string(source);
  replica->log_key_ = log_key;
  replica->tree_ = std::make_unique<NoTree>();
  replica->root_ = EmptyRoot();
  std::error_code ec;
  if (!fs::exists(dir, ec) || (fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    return replica;  // created by the first Append
  }
  ASSIGN_OR_RETURN(replica->db_, Storage::Open(dir, /*create=*/false, /*read_only=*/false));
  RETURN_IF_ERROR(replica->Load());
  return replica;
}

Status Replica::Load() {
  Storage& s = *db_;
  const std::string path = dir_.string();
  ASSIGN_OR_RETURN(std::optional<std::string> mirror, s.Get(s.meta(), kMetaMirrorOf));
  ASSIGN_OR_RETURN(std::optional<std::string> head, s.Get(s.meta(), storage::kMetaHead));
  if (!mirror && !head) {
    // A database created by a first run that stopped before its one write: still empty.
    fresh_ = true;
    return Status::OK();
  }
  if (!mirror) {
    return Status::InvalidArgument(
        "USAGE", fmt::format("{} is a ledger, not a mirror's copy: a mirror writes only the copy "
                             "it created (give another --dir)",
                             path));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> format, s.Get(s.meta(), storage::kMetaFormat));
  ASSIGN_OR_RETURN(std::optional<std::string> origin, s.Get(s.meta(), storage::kMetaOrigin));
  ASSIGN_OR_RETURN(std::optional<std::string> key, s.Get(s.meta(), storage::kMetaLedgerKey));
  if (!format || *format != storage::kFormatVersion || !origin || !key ||
      key->size() != log_key_.key.size() || !head || head->size() != 8 + head_.size()) {
    return Status::DataLoss(fmt::format("mirror copy {}: meta damaged", path));
  }
  if (*origin != log_key_.name ||
      !std::equal(key->begin(), key->end(), reinterpret_cast<const char*>(log_key_.key.data()))) {
    return Status::DataLoss(
        kUnauthorizedCode,
        fmt::format(
            "mirror copy {} follows the log '{}' under another key than the trusted one ({})", path,
            *origin, VerifierKey(log_key_.name, log_key_.key)));
  }
  size_ = *storage::ReadU64(std::string_view(*head).substr(0, 8));
  std::copy(head->begin() + 8, head->end(), head_.begin());
  tree_ = std::make_unique<internal::StorageTree>(s);
  if (size_ > 0) {
    ASSIGN_OR_RETURN(root_, RootAt(size_, *tree_));
    ASSIGN_OR_RETURN(std::optional<std::string> note,
                     s.Get(s.checkpoints(), storage::SeqKey(size_)));
    if (!note) {
      return Status::DataLoss(fmt::format("mirror copy {}: no checkpoint of size {}", path, size_));
    }
    checkpoint_ = std::move(note);
  }
  return Status::OK();
}

Result<Replica::Appended> Replica::Append(
    std::span<const ByteView> entries, const Checkpoint& checkpoint, std::string_view note,
    const std::function<void(uint64_t done, uint64_t total)>& progress) {
  const uint64_t first = size_;
  const uint64_t end = first + entries.size();
  if (checkpoint.size != end) {
    return Status::InvalidArgument(
        fmt::format("{} records from seq {} do not make the checkpoint's size {}", entries.size(),
                    first, checkpoint.size));
  }
  // The key registry as of the copy's head, replayed from its own key records.
  KeyRegistry registry;
  if (db_ != nullptr) {
    Storage& s = *db_;
    std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(s.meta(), false);
    for (it->Seek(SliceOf(storage::kMetaKeyRecordPrefix)); it->Valid(); it->Next()) {
      std::string_view k = it->key().ToStringView();
      if (!k.starts_with(storage::kMetaKeyRecordPrefix)) break;
      std::optional<uint64_t> seq =
          storage::ReadU64(k.substr(storage::kMetaKeyRecordPrefix.size()));
      if (!seq) return Status::DataLoss("mirror copy: malformed key index entry");
      ASSIGN_OR_RETURN(std::optional<std::string> bytes, s.Get(s.records(), storage::SeqKey(*seq)));
      if (!bytes) return Status::DataLoss(fmt::format("mirror copy: key record {} missing", *seq));
      ASSIGN_OR_RETURN(Record record, DecodeRecord(AsBytes(*bytes)));
      RETURN_IF_ERROR(registry.Apply(record));
    }
    RETURN_IF_ERROR(s.Error(it->status(), "cannot read the key index"));
  }

  // Every record, in order: what Verify checks of a record, but the signatures (checked
  // meanwhile on worker threads). The canonical form is read as the verifier reads it:
  // the exact envelope check, DecodeRecord for any other shape and for key records.
  using Checked = internal::RecordPut;  // what the write puts of each
  std::vector<Checked> records;
  records.reserve(entries.size());
  std::deque<Record> decoded_records;  // stable: signature jobs view their statements
  std::unordered_set<std::string_view> new_ids;
  std::unordered_map<std::string_view, uint64_t> stream_next;  // streams met in this append
  std::optional<Status> problem;                               // the first, at seq `problem_seq`
  uint64_t problem_seq = end;
  Hash prev = head_;
  std::map<std::pair<int, uint64_t>, Hash> nodes;
  OverlayTree overlay(nodes, *tree_);
  internal::EnvelopeHasher hasher;
  SignatureChecker checker(entries.size());
  auto stop = [&](uint64_t seq, Status status) {
    problem = std::move(status);
    problem_seq = seq;
  };
  for (uint64_t seq = first; seq < end && !problem; ++seq) {
    const ByteView bytes = entries[seq - first];
    const std::optional<internal::EnvelopeView> view = internal::ParseEnvelope(bytes);
    const Record* record = nullptr;  // decoded when the view cannot say, or for key records
    auto decode = [&]() -> Status {
      Result<Record> decoded = DecodeRecord(bytes);
      if (!decoded.ok()) {
        return Status::DataLoss(
            fmt::format("seq {}: record bytes corrupt: {}", seq, decoded.status().message()));
      }
      record = &decoded_records.emplace_back(std::move(decoded).value());
      return Status::OK();
    };
    if (!view) {
      if (Status decoded = decode(); !decoded.ok()) {
        stop(seq, std::move(decoded));
        break;
      }
    }
    Checked c;
    c.bytes = bytes;
    c.seq = view ? view->seq : record->seq;
    c.event_id = view ? view->event_id : std::string_view(record->event_id);
    c.stream = view ? view->stream : std::string_view(record->stream);
    c.stream_version = view ? view->stream_version : record->stream_version;
    const std::string_view origin = view ? view->origin : std::string_view(record->origin);
    const std::string_view type = view ? view->type : std::string_view(record->type);
    const std::string_view signer_name = view ? view->signer : std::string_view(record->signer);
    const std::optional<uint64_t> expected_version =
        view ? view->expected_version : record->expected_version;
    Hash prev_hash{};
    if (view) {
      std::copy(view->prev_hash.begin(), view->prev_hash.end(), prev_hash.begin());
    } else {
      prev_hash = record->prev_hash;
    }
    if (c.seq != seq) {
      stop(seq, Status::DataLoss(fmt::format("seq {}: the entry holds seq {}", seq, c.seq)));
      break;
    }
    if (prev_hash != prev) {
      // The first new record not chained to the copy's head: another history (a fork).
      if (seq == first && first > 0) {
        stop(seq, Status::DataLoss(
                      kConsistencyFailedCode,
                      fmt::format("seq {}: its prevHash is not the hash of the copy's last record "
                                  "{}: the source holds another history than the copy's",
                                  seq, seq - 1)));
      } else {
        stop(seq, Status::DataLoss(
                      fmt::format("seq {}: prevHash is not the hash of record {}", seq, seq - 1)));
      }
      break;
    }
    if (origin != log_key_.name) {
      stop(seq, Status::DataLoss(fmt::format("seq {}: the statement names origin '{}', not '{}'",
                                             seq, origin, log_key_.name)));
      break;
    }
    if (expected_version && *expected_version != c.stream_version) {
      stop(seq, Status::DataLoss(fmt::format("seq {}: expectedVersion {} but streamVersion {}", seq,
                                             *expected_version, c.stream_version)));
      break;
    }
    // The stream's version: the number of its earlier records.
    auto next = stream_next.find(c.stream);
    if (next == stream_next.end()) {
      // The copy's own records of the stream: versions 0 .. count - 1 (Verify vouches for
      // them), so version v comes next when v - 1 is stored and v is not.
      uint64_t count = 0;
      if (db_ != nullptr) {
        ASSIGN_OR_RETURN(std::optional<std::string> same,
                         db_->Get(db_->streams(), storage::StreamKey(c.stream, c.stream_version)));
        if (same) {
          count = c.stream_version + 1;  // at least
        } else if (c.stream_version > 0) {
          ASSIGN_OR_RETURN(
              std::optional<std::string> before,
              db_->Get(db_->streams(), storage::StreamKey(c.stream, c.stream_version - 1)));
          if (before) count = c.stream_version;
        }
      }
      next = stream_next.emplace(c.stream, count).first;
    }
    if (c.stream_version != next->second) {
      stop(seq, Status::DataLoss(
                    fmt::format("seq {}: streamVersion {} but stream '{}' holds {} earlier records",
                                seq, c.stream_version, c.stream, next->second)));
      break;
    }
    ++next->second;
    // The event id is recorded once.
    bool duplicate = !new_ids.insert(c.event_id).second;
    if (!duplicate && db_ != nullptr) {
      ASSIGN_OR_RETURN(std::optional<std::string> earlier, db_->Get(db_->event_ids(), c.event_id));
      duplicate = earlier.has_value();
    }
    if (duplicate) {
      stop(seq, Status::DataLoss(
                    fmt::format("seq {}: event id '{}' is already recorded", seq, c.event_id)));
      break;
    }
    // The signer as enrolled at this seq (replayed from the records). An active signer of
    // an ordinary record is all KeyRegistry::Check asks; anything else is decoded and
    // judged by it.
    c.key_record = IsKeyRecordType(type);
    SignatureJob job;
    job.seq = seq;
    const KeyInfo* signer = registry.empty() ? nullptr : registry.Find(signer_name);
    if (c.key_record || signer == nullptr || !signer->active()) {
      if (record == nullptr) {
        if (Status decoded = decode(); !decoded.ok()) {
          stop(seq, std::move(decoded));
          break;
        }
      }
      Status allowed = registry.Check(*record);
      if (!allowed.ok()) {
        if (allowed.code() == StatusCode::kPermissionDenied) {
          stop(seq, Status::DataLoss(
                        kUnauthorizedCode,
                        fmt::format("seq {}: {} refused: {}", seq,
                                    c.key_record ? "key record" : "signer", allowed.message())));
        } else {
          stop(seq, Status::DataLoss(
                        fmt::format("seq {}: key record refused: {}", seq, allowed.message())));
        }
        break;
      }
      if (registry.empty()) {  // genesis: the key it enrols signs it
        job.key = DecodeKeyEnrolled(record->payload)->public_key;
      } else {
        job.key = (*registry.Signer(signer_name))->key;
      }
      if (c.key_record) (void)registry.Apply(*record);
    } else {
      job.key = signer->key;
    }
    if (view) {
      job.statement = view->statement;
      std::copy(view->signature.begin(), view->signature.end(), job.signature.begin());
    } else {
      job.statement = record->statement_bytes;
      job.signature = record->signature;
    }
    checker.Publish(job);
    records.push_back(c);
    prev = view ? hasher.RecordHash(bytes) : record->hash;
    const Hash leaf = view ? hasher.LeafHash(bytes) : record->leaf_hash;
    ASSIGN_OR_RETURN(std::vector<SubtreeNode> completed,
                     NodesCompletedByAppend(seq, leaf, overlay));
    for (const SubtreeNode& node : completed) nodes[{node.level, node.index}] = node.hash;
    if (progress && (seq - first + 1) % 4096 == 0) progress(seq - first + 1, entries.size());
  }
  // The signatures of the records before the first problem.
  if (std::optional<uint64_t> bad = checker.Finish(); bad && *bad < problem_seq) {
    return Status::DataLoss(
        kUnauthorizedCode,
        fmt::format("seq {}: the author's signature does not verify with the key enrolled as its "
                    "signer at that seq",
                    *bad));
  }
  if (problem) return *problem;
  if (progress) progress(entries.size(), entries.size());

  ASSIGN_OR_RETURN(Hash root, end == 0 ? Result<Hash>(EmptyRoot()) : RootAt(end, overlay));
  if (root != checkpoint.root) {
    return Status::DataLoss(
        kConsistencyFailedCode,
        fmt::format("the records make the root {} at size {}, the checkpoint signs {}", ToHex(root),
                    end, ToHex(checkpoint.root)));
  }

  // Everything checked: one atomic, durable write (the copy is created by the first one).
  const bool create = db_ == nullptr || fresh_;
  if (db_ == nullptr) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
      return Status::IoError(fmt::format("cannot create {}: {}", dir_.string(), ec.message()));
    ASSIGN_OR_RETURN(db_, Storage::Open(dir_, /*create=*/true, /*read_only=*/false));
  }
  Storage& s = *db_;
  rocksdb::WriteBatch batch;
  rocksdb::Status status;
  auto put = [&](rocksdb::ColumnFamilyHandle* cf, rocksdb::Slice key, rocksdb::Slice value) {
    if (status.ok()) status = batch.Put(cf, key, value);
  };
  if (create) {
    put(s.meta(), SliceOf(storage::kMetaFormat), SliceOf(storage::kFormatVersion));
    put(s.meta(), SliceOf(storage::kMetaOrigin), SliceOf(log_key_.name));
    put(s.meta(), SliceOf(storage::kMetaLedgerKey), SliceOf(ByteView(log_key_.key)));
  }
  put(s.meta(), SliceOf(kMetaMirrorOf), SliceOf(source_));
  if (status.ok()) status = internal::PutRecords(s, records, batch);
  for (const auto& [at, hash] : nodes) {
    put(s.tree(), storage::TreeKey(at.first, at.second), SliceOf(ByteView(hash)));
  }
  if (end > 0) put(s.checkpoints(), storage::SeqKey(end), SliceOf(note));
  put(s.meta(), SliceOf(storage::kMetaHead), storage::HeadValue(end, prev));
  RETURN_IF_ERROR(s.Error(status, "cannot stage the write batch"));
  RETURN_IF_ERROR(s.WriteUnloggedAndFlush(batch));
  // ledger.pub beside it, as a ledger has (written again if a run stopped before it).
  const fs::path pub = dir_ / kLedgerPubFile;
  std::error_code ec;
  if (create || !fs::exists(pub, ec)) {
    std::ofstream out(pub, std::ios::out | std::ios::trunc);
    out << VerifierKey(log_key_.name, log_key_.key) << "\n";
    out.close();
    if (!out) return Status::IoError(fmt::format("cannot write {}", pub.string()));
  }
  if (create) tree_ = std::make_unique<internal::StorageTree>(s);
  fresh_ = false;
  size_ = end;
  head_ = prev;
  root_ = root;
  if (end > 0) checkpoint_ = std::string(note);
  return Appended{entries.size(), end};
}

}  // namespace esms::ledger
