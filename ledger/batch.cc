// The batch pipeline of a ledger (Ledger::Batch, group commit): the checks of Add(),
// the sealing thread (chain and sign, in order), the writing thread (Merkle nodes and
// one synced RocksDB write per run), and what the batch sees before the ledger does.
#include "ledger/internal/batch.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/bounded_queue.h"
#include "ledger/internal/storage.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

namespace esms::ledger {

namespace {

using internal::SliceOf;
using internal::Storage;

bool IsValidType(std::string_view type) {
  if (type.empty() || type.size() > 128) return false;
  return std::all_of(type.begin(), type.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool IsValidStream(std::string_view stream) {
  if (stream.empty() || stream.size() > 256) return false;
  return std::none_of(stream.begin(), stream.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Whether `statement` states exactly the statement fields of `record`.
bool IsStatementOf(const Statement& statement, const Record& record) {
  return statement.origin == record.origin && statement.event_id == record.event_id &&
         statement.type == record.type && statement.stream == record.stream &&
         statement.at == record.at && statement.expected_version == record.expected_version &&
         statement.payload == record.payload && statement.signer == record.signer;
}

bool SameContent(const Record& record, const Entry& entry) {
  return record.type == entry.type && record.at == entry.at && record.stream == entry.stream &&
         record.payload == entry.payload;
}

}  // namespace

// ---------------------------------------------------------------------------------
// Appending.

// The pipeline of a batch: Add() checks an entry and encodes it (PrepareRecord) on the
// caller's thread; the sealing thread writes the previous record's hash into it and
// signs it, in order (each record's signed bytes hold the hash of the previous one, so
// signing is serial: that thread does nothing else); at a Submit() mark it hands the
// sealed run to the writing thread, which computes the leaf hashes and Merkle nodes and
// makes the one synced write, while the next entries are checked and signed.
class Ledger::Batch::Impl::Pipeline {
 public:
  struct Done {
    Status status;
    Hash head{};
  };

  // `head`: the hash the first record sealed chains to. Every write carries a checkpoint
  // of the tree it leaves, named `origin` and signed by `ledger_key` (one signature per
  // group commit).
  Pipeline(Storage& storage, const Hash& head, std::string origin,
           std::shared_ptr<const SigningKey> ledger_key)
      : storage_(storage),
        stored_(storage),
        origin_(std::move(origin)),
        ledger_key_(std::move(ledger_key)),
        head_(head),
        sealed_head_(head) {
    sealer_ = std::thread([this] { SealLoop(); });
    writer_ = std::thread([this] { WriteLoop(); });
  }
  ~Pipeline() {
    {
      // Entries not sealed yet are dropped (their batch goes away unsubmitted).
      std::lock_guard<std::mutex> lock(mu_);
      seal_in_.clear();
      stop_ = true;
    }
    seal_cv_.notify_all();
    sealer_.join();
    // Writes already handed over are finished: a submitted run is never half done.
    write_in_.Finish();
    writer_.join();
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void Seal(PreparedRecord prepared, const SigningKey* key) {
    Push(Job{false, std::move(prepared), key, 0, {}});
  }
  // Marks the end of a run: the records sealed so far (and `meta_puts`) are written in
  // one synced write that leaves the ledger `end_size` records.
  void Close(uint64_t end_size, std::vector<std::pair<std::string, std::string>> meta_puts) {
    Push(Job{true, PreparedRecord{}, nullptr, end_size, std::move(meta_puts)});
  }

  // Waits until every queued entry is sealed. Until the next Seal/Close, open_records()
  // (the records sealed since the last Close) and sealed_head() may be read.
  void WaitSealed() {
    seal_cv_.notify_one();  // records fewer than kWakeEvery may be waiting for it
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [this] { return pending_ == 0; });
  }
  std::vector<Record>& open_records() { return open_; }
  const Hash& sealed_head() const { return sealed_head_; }

  // The result of the oldest write not yet taken; false if none is ready (and !wait).
  bool TakeDone(bool wait, Done* out) {
    std::optional<Done> done = wait ? done_.Pop() : done_.TryPop();
    if (!done) return false;
    *out = std::move(*done);
    return true;
  }

  // Only when idle (everything sealed, every write's result taken): the records sealed
  // since the last Close are dropped and the next one chains to `head`.
  void Restart(const Hash& head) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_.clear();
      head_ = head;
      sealed_head_ = head;
    }
    // Idle: the writing thread waits for a job, every result has been taken.
    failed_.store(false, std::memory_order_relaxed);
  }

 private:
  struct Job {
    bool close = false;
    PreparedRecord prepared;
    const SigningKey* key = nullptr;
    uint64_t end_size = 0;
    std::vector<std::pair<std::string, std::string>> meta_puts;
  };
  struct WriteJob {
    std::vector<Record> records;
    Hash head{};
    uint64_t end_size = 0;
    std::vector<std::pair<std::string, std::string>> meta_puts;
  };

  // The sealing thread is woken by a run's end, by a full handful of records, or by a
  // wait for it (WaitSealed): woken at every record, it sealed one or two at a time and
  // slept again (a futex call and two context switches per record or so).
  static constexpr size_t kWakeEvery = 64;
  void Push(Job job) {
    bool wake = job.close;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seal_in_.push_back(std::move(job));
      ++pending_;
      wake = wake || seal_in_.size() >= kWakeEvery;
    }
    if (wake) seal_cv_.notify_one();
  }

  void SealLoop() {
    std::deque<Job> jobs;
    for (;;) {
      Hash head;
      {
        std::unique_lock<std::mutex> lock(mu_);
        seal_cv_.wait(lock, [this] { return stop_ || !seal_in_.empty(); });
        if (stop_) return;
        jobs.swap(seal_in_);
        head = head_;
      }
      for (Job& job : jobs) {
        if (!job.close) {
          if (job.key != nullptr) SignPrepared(job.prepared, *job.key);
          Record r = SealPrepared(std::move(job.prepared), head, /*with_leaf_hash=*/false);
          head = r.hash;
          open_.push_back(std::move(r));
          continue;
        }
        WriteJob write{std::move(open_), head, job.end_size, std::move(job.meta_puts)};
        open_.clear();
        (void)write_in_.Push(std::move(write));  // never cancelled
      }
      const size_t n = jobs.size();
      jobs.clear();
      {
        std::lock_guard<std::mutex> lock(mu_);
        head_ = head;
        sealed_head_ = head;
        pending_ -= n;
        if (pending_ == 0) idle_cv_.notify_all();
      }
    }
  }

  void WriteLoop() {
    while (std::optional<WriteJob> job = write_in_.Pop()) {
      Done done;
      done.head = job->head;
      if (failed_.load(std::memory_order_relaxed)) {
        done.status = Status::Aborted(
            "an earlier write of this batch failed; nothing after it "
            "was written");
      } else {
        done.status = Write(*job);
      }
      if (!done.status.ok()) failed_.store(true, std::memory_order_relaxed);
      (void)done_.Push(std::move(done));  // never cancelled
    }
  }

  // One synced write: the records, their indexes, the Merkle nodes they complete, the
  // head. The earlier runs are on disk already (writes are in order).
  Status Write(WriteJob& job) {
    std::map<std::pair<int, uint64_t>, Hash> nodes;
    for (Record& r : job.records) {
      r.leaf_hash = LeafHash(r.bytes);
      OverlayTree tree(nodes, stored_);
      ASSIGN_OR_RETURN(std::vector<SubtreeNode> completed,
                       NodesCompletedByAppend(r.seq, r.leaf_hash, tree));
      for (const SubtreeNode& node : completed) nodes[{node.level, node.index}] = node.hash;
    }
    Storage& s = storage_;
    rocksdb::WriteBatch batch;
    rocksdb::Status status;
    auto put = [&](rocksdb::ColumnFamilyHandle* cf, rocksdb::Slice key, rocksdb::Slice value) {
      if (status.ok()) status = batch.Put(cf, key, value);
    };
    for (const auto& [key, value] : job.meta_puts) put(s.meta(), SliceOf(key), SliceOf(value));
    std::vector<internal::RecordPut> records;
    records.reserve(job.records.size());
    for (const Record& r : job.records) {
      records.push_back(
          {r.bytes, r.seq, r.event_id, r.stream, r.stream_version, IsKeyRecordType(r.type)});
    }
    if (status.ok()) status = internal::PutRecords(s, records, batch);
    for (const auto& [at, hash] : nodes) {
      put(s.tree(), storage::TreeKey(at.first, at.second), SliceOf(ByteView(hash)));
    }
    if (ledger_key_ != nullptr && job.end_size > 0) {
      // The checkpoint of the tree this write leaves, in the same synced write.
      OverlayTree tree(nodes, stored_);
      ASSIGN_OR_RETURN(Hash root, ledger::RootAt(job.end_size, tree));
      const std::string note = SignNote(
          FormatCheckpoint(Checkpoint{origin_, job.end_size, root, {}}), origin_, *ledger_key_);
      put(s.checkpoints(), storage::SeqKey(job.end_size), note);
    }
    put(s.meta(), SliceOf(storage::kMetaHead), storage::HeadValue(job.end_size, job.head));
    RETURN_IF_ERROR(s.Error(status, "cannot stage the write batch"));
    return s.Write(batch, /*sync=*/true);
  }

  Storage& storage_;
  internal::StorageTree stored_;
  const std::string origin_;
  const std::shared_ptr<const SigningKey> ledger_key_;

  // Sealing: mu_ guards the queue, the counters and the heads; open_ belongs to the
  // sealing thread while pending_ > 0, to the batch's thread otherwise.
  std::mutex mu_;
  std::condition_variable seal_cv_;
  std::condition_variable idle_cv_;
  std::deque<Job> seal_in_;
  size_t pending_ = 0;
  bool stop_ = false;
  Hash head_;         // what the next record chains to
  Hash sealed_head_;  // the same, as last published
  std::vector<Record> open_;

  // Writing: the runs to write, and their results. At most two are in flight (Submit),
  // so neither queue is ever full. failed_ is the writing thread's, but when idle.
  static constexpr size_t kMaxWrites = 4;
  base::BoundedQueue<WriteJob> write_in_{kMaxWrites};
  base::BoundedQueue<Done> done_{kMaxWrites};
  std::atomic<bool> failed_{false};  // a write failed: the later ones are not attempted

  std::thread sealer_;
  std::thread writer_;
};

Ledger::Batch::Impl::Impl(Ledger* ledger) : ledger_(ledger) { Reset(); }

Ledger::Batch::Impl::~Impl() {
  // Submitted runs are finished (their writes are under way); the rest is dropped.
  if (!in_flight_.empty()) (void)Reap(0);
  if (ledger_->writing_batch_ == this) ledger_->writing_batch_ = nullptr;
}

void Ledger::Batch::Impl::Drain() const {
  if (pipeline_ != nullptr) pipeline_->WaitSealed();
}

const Hash& Ledger::Batch::Impl::head_hash() const {
  if (pipeline_ == nullptr) return ledger_->head_;
  Drain();
  return pipeline_->sealed_head();
}

const std::vector<Record>& Ledger::Batch::Impl::staged_records() const {
  static const std::vector<Record> kNone;
  if (pipeline_ == nullptr) return kNone;
  Drain();
  std::vector<Record>& open = pipeline_->open_records();
  // The leaf hashes are computed by the writing thread; fill them in for a reader.
  for (Record& r : open) {
    if (r.leaf_hash == Hash{}) r.leaf_hash = LeafHash(r.bytes);
  }
  return open;
}

void Ledger::Batch::Impl::Reset() {
  if (pipeline_ != nullptr) {
    pipeline_->WaitSealed();
    pipeline_->Restart(ledger_->head_);
  }
  in_flight_.clear();
  if (ledger_->writing_batch_ == this) ledger_->writing_batch_ = nullptr;
  base_size_ = ledger_->size_;
  open_first_seq_ = ledger_->size_;
  size_ = ledger_->size_;
  registry_ = ledger_->registry_;
  staged_ids_.clear();
  streams_.clear();
  last_lookup_id_.clear();
  last_lookup_seq_.reset();
  last_lookup_size_ = UINT64_MAX;
  meta_puts_.clear();
  bootstrap_signer_.clear();
}

Status Ledger::Batch::Impl::Reap(size_t max_in_flight) {
  Status first_error;
  while (!in_flight_.empty()) {
    const bool wait = !first_error.ok() || in_flight_.size() > max_in_flight;
    Pipeline::Done done;
    if (!pipeline_->TakeDone(wait, &done)) break;
    InFlight run = std::move(in_flight_.front());
    in_flight_.erase(in_flight_.begin());
    if (!first_error.ok()) continue;  // after a failed write: not written either
    if (!done.status.ok()) {
      first_error = std::move(done.status);
      continue;
    }
    ledger_->size_ = run.end_size;
    ledger_->head_ = done.head;
    ledger_->registry_ = std::move(run.registry);
    base_size_ = run.end_size;
  }
  if (!first_error.ok()) {
    // Nothing after the failed write is in the ledger: back to what is on disk, and
    // no more writes from this batch (a retry must not look like a success).
    Reset();
    failed_ = first_error;
    return first_error;
  }
  if (in_flight_.empty() && ledger_->writing_batch_ == this) ledger_->writing_batch_ = nullptr;
  const uint64_t durable = ledger_->size_;
  std::erase_if(staged_ids_, [durable](const auto& id) { return id.second < durable; });
  return Status::OK();
}

std::unique_ptr<Ledger::Batch> Ledger::NewBatch() {
  return std::unique_ptr<Batch>(new Batch(this));
}

Result<Record> Ledger::Batch::Impl::Get(uint64_t seq) {
  if (seq < ledger_->size_) return ledger_->Get(seq);
  if (seq >= size_) {
    return Status::NotFound(fmt::format("no record seq {} (the batch has {})", seq, size_));
  }
  if (seq >= open_first_seq_) {
    const std::vector<Record>& open = staged_records();
    const uint64_t index = seq - open_first_seq_;
    if (index >= open.size()) return Status::Internal("a staged record is missing");
    return open[index];
  }
  // Being written: wait for it.
  RETURN_IF_ERROR(Reap(0));
  return ledger_->Get(seq);
}

Result<std::optional<uint64_t>> Ledger::Batch::Impl::FindEventId(std::string_view id) {
  auto staged = staged_ids_.find(std::string(id));
  if (staged != staged_ids_.end()) return std::optional<uint64_t>(staged->second);
  if (last_lookup_size_ == size_ && last_lookup_id_ == id) return last_lookup_seq_;
  ASSIGN_OR_RETURN(std::optional<uint64_t> seq, ledger_->FindEventId(id));
  last_lookup_id_ = std::string(id);
  last_lookup_seq_ = seq;
  last_lookup_size_ = size_;
  return seq;
}

Result<std::optional<Record>> Ledger::Batch::Impl::RecordWithEventId(const std::string& event_id) {
  ASSIGN_OR_RETURN(std::optional<uint64_t> seq, FindEventId(event_id));
  if (!seq) return std::optional<Record>();
  ASSIGN_OR_RETURN(Record record, Get(*seq));
  return std::optional<Record>(std::move(record));
}

Result<Ledger::Batch::Impl::StreamState> Ledger::Batch::Impl::StreamAt(const std::string& stream) {
  auto cached = streams_.find(stream);
  if (cached != streams_.end()) return cached->second;
  Storage& s = *ledger_->db_;
  StreamState state;
  // A stream's index entries run from version 0 without a gap (docs/format.md), so a
  // stream without a version 0 has none: a point read, which the Bloom filters (the
  // memtable's and the tables') answer for a new stream without searching, where the
  // seek below costs 3-4 times more (callgrind: BENCHMARKS.md, issue 14).
  {
    rocksdb::PinnableSlice first;
    ASSIGN_OR_RETURN(bool exists, s.GetPinned(s.streams(), storage::StreamKey(stream, 0), &first));
    if (!exists) return state;
  }
  std::string prefix = storage::StreamPrefix(stream);
  std::string last_key = storage::StreamKey(stream, std::numeric_limits<uint64_t>::max());
  std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(s.streams(), false);
  it->SeekForPrev(SliceOf(last_key));
  if (it->Valid() && it->key().starts_with(SliceOf(prefix))) {
    std::optional<uint64_t> version =
        storage::ReadU64(it->key().ToStringView().substr(prefix.size()));
    std::optional<uint64_t> seq = storage::ReadU64(it->value().ToStringView());
    if (!version || !seq) {
      return Status::DataLoss(fmt::format("streams index entry of '{}' is malformed", stream));
    }
    state.count = *version + 1;
    state.last_seq = *seq;
  }
  RETURN_IF_ERROR(s.Error(it->status(), "cannot read the streams index"));
  return state;
}

Result<Appended> Ledger::Batch::Impl::Add(const Entry& entry, const SigningKey& key) {
  return AddEntry(entry, &key, {}, nullptr, nullptr, nullptr);
}

Result<Appended> Ledger::Batch::Impl::AddSigned(const Entry& entry, std::string_view signer,
                                                const Signature& signature,
                                                const PublicKey* verified_with,
                                                const EncodedStatement* statement) {
  return AddEntry(entry, nullptr, signer, &signature, verified_with, statement);
}

Result<Appended> Ledger::Batch::Impl::AddEntry(const Entry& entry, const SigningKey* key,
                                               std::string_view signer_name,
                                               const Signature* signature,
                                               const PublicKey* verified_with,
                                               const EncodedStatement* statement) {
  RETURN_IF_ERROR(ledger_->CheckWritable());
  if (!failed_.ok()) return failed_;
  if (in_flight_.empty() && staged() == 0 && meta_puts_.empty() && ledger_->size_ != base_size_) {
    Reset();  // another batch committed since: the caches are stale
  }
  if (!IsValidEventId(entry.event_id)) {
    return Status::BadInput(
        fmt::format("event id '{}' is not 1-128 chars of [A-Za-z0-9._:/-]", entry.event_id));
  }
  if (!IsValidType(entry.type)) {
    return Status::BadInput(
        fmt::format("type '{}' is not 1-128 chars of [A-Za-z0-9._-]", entry.type));
  }
  if (!IsValidStream(entry.stream)) {
    return Status::BadInput(
        fmt::format("stream '{}' is not 1-256 chars without control chars", entry.stream));
  }
  if (!IsValidBusinessDate(entry.at)) {
    return Status::BadInput(fmt::format("at '{}' is not a date YYYY-MM-DD", entry.at));
  }
  if (entry.payload.size() > kMaxPayloadBytes) {
    return Status::BadInput(fmt::format("payload of {} bytes exceeds {} bytes",
                                        entry.payload.size(), kMaxPayloadBytes));
  }

  // Idempotency.
  ASSIGN_OR_RETURN(std::optional<Record> existing, RecordWithEventId(entry.event_id));
  if (existing) {
    if (SameContent(*existing, entry)) return Appended{existing->seq, true};
    return Status::AlreadyExists("EVENT_ID_CONFLICT",
                                 fmt::format("event id '{}' was recorded at seq {} with other "
                                             "content",
                                             entry.event_id, existing->seq))
        .WithConflicts({existing->seq});
  }

  // The signer.
  std::string signer;
  const KeyInfo* author = nullptr;  // the key enrolled as the author of a signed entry
  if (key == nullptr) {
    author = registry_.Find(signer_name);
    if (author == nullptr) {
      return Status::PermissionDenied(
          fmt::format("the signer '{}' is not enrolled in this ledger", signer_name));
    }
    if (author->revoked_seq) {
      return Status::PermissionDenied(
                 fmt::format("key '{}' was revoked at seq {}", signer_name, *author->revoked_seq))
          .WithConflicts({*author->revoked_seq});
    }
    signer = author->name;
  } else if (const KeyInfo* info = registry_.FindActive(key->public_key())) {
    signer = info->name;
  } else if (registry_.empty() && !bootstrap_signer_.empty()) {
    signer = bootstrap_signer_;  // genesis: checked by the registry's bootstrap rule
  } else {
    for (const auto& [name, info] : registry_.keys()) {
      if (info.key == key->public_key() && info.revoked_seq) {
        return Status::PermissionDenied(
                   fmt::format("key '{}' was revoked at seq {}", name, *info.revoked_seq))
            .WithConflicts({*info.revoked_seq});
      }
    }
    return Status::PermissionDenied("the signing key is not enrolled in this ledger");
  }

  ASSIGN_OR_RETURN(StreamState stream, StreamAt(entry.stream));
  Record fields;
  fields.seq = size_;
  fields.recorded_at_micros = ledger_->NowMicros();
  fields.at = entry.at;
  fields.event_id = entry.event_id;
  fields.stream = entry.stream;
  fields.stream_version = stream.count;
  fields.origin = ledger_->origin_;
  fields.expected_version = entry.expected_version;
  fields.type = entry.type;
  fields.payload = entry.payload;
  fields.signer = std::move(signer);
  if (statement != nullptr && IsStatementOf(statement->statement, fields)) {
    fields.statement_bytes = statement->bytes;  // encoded once, where it was signed or checked
  }

  // Key records: admin role and registry rules (and the signer for any record).
  RETURN_IF_ERROR(registry_.Check(fields));

  if (entry.expected_version && *entry.expected_version != stream.count) {
    std::vector<uint64_t> conflicts;
    if (stream.last_seq) conflicts.push_back(*stream.last_seq);
    return Status::Aborted(fmt::format("stream '{}' holds {} records, not the {} expected",
                                       entry.stream, stream.count, *entry.expected_version))
        .WithConflicts(std::move(conflicts));
  }

  // The signed bytes, but for the previous record's hash (known only when the sealing
  // thread gets there).
  ASSIGN_OR_RETURN(PreparedRecord prepared, PrepareRecord(std::move(fields)));
  if (signature != nullptr) {
    // The author's signature of the statement, against the key enrolled as the signer.
    if (verified_with == nullptr || *verified_with != author->key) {
      if (!VerifyStatementSignature(prepared.fields.statement_bytes, *signature, author->key)) {
        return Status::PermissionDenied(fmt::format(
            "the signature does not verify with key '{}' as enrolled at seq {} (the event was "
            "altered after signing, signed for another ledger, or by another key)",
            author->name, author->enrolled_seq));
      }
    }
    SetPreparedSignature(prepared, *signature);
  }
  RETURN_IF_ERROR(registry_.Apply(prepared.fields));
  // Nothing below can fail: the batch changes only now.
  const uint64_t seq = size_;
  if (pipeline_ == nullptr) {
    pipeline_ = std::make_unique<Pipeline>(*ledger_->db_, ledger_->head_, ledger_->origin_,
                                           ledger_->ledger_signer_);
  }
  pipeline_->Seal(std::move(prepared), key);
  streams_[entry.stream] = StreamState{stream.count + 1, seq};
  staged_ids_[entry.event_id] = seq;
  size_ = seq + 1;
  return Appended{seq, false};
}

Status Ledger::Batch::Impl::Submit() {
  RETURN_IF_ERROR(ledger_->CheckWritable());
  if (!failed_.ok()) return failed_;
  if (!in_flight_.empty()) RETURN_IF_ERROR(Reap(in_flight_.size()));
  if (staged() == 0 && meta_puts_.empty()) return Status::OK();
  if (ledger_->writing_batch_ != nullptr && ledger_->writing_batch_ != this) {
    return Status::Aborted(
        "another batch of this ledger is being written; nothing of this "
        "batch was written");
  }
  if (ledger_->size_ != base_size_) {
    return Status::Aborted(
        fmt::format("the ledger grew from {} to {} records since this batch "
                    "began; nothing of the batch was written",
                    base_size_, ledger_->size_));
  }
  // At most two writes in flight: a third waits for the oldest.
  constexpr size_t kMaxInFlight = 2;
  if (in_flight_.size() >= kMaxInFlight) RETURN_IF_ERROR(Reap(kMaxInFlight - 1));
  if (pipeline_ == nullptr) {
    pipeline_ = std::make_unique<Pipeline>(*ledger_->db_, ledger_->head_, ledger_->origin_,
                                           ledger_->ledger_signer_);
  }
  pipeline_->Close(size_, std::move(meta_puts_));
  in_flight_.push_back(InFlight{size_, registry_});
  ledger_->writing_batch_ = this;
  open_first_seq_ = size_;
  meta_puts_.clear();
  bootstrap_signer_.clear();
  return Status::OK();
}

Status Ledger::Batch::Impl::Flush() {
  RETURN_IF_ERROR(ledger_->CheckWritable());
  if (!failed_.ok()) return failed_;
  return Reap(0);
}

Status Ledger::Batch::Impl::Commit() {
  RETURN_IF_ERROR(Submit());
  return Flush();
}

// ---------------------------------------------------------------------------------
// The public face of a batch (ledger/ledger.h): everything is the Impl's.

Ledger::Batch::Batch(Ledger* ledger) : impl_(std::make_unique<Impl>(ledger)) {}
Ledger::Batch::~Batch() = default;

Result<Appended> Ledger::Batch::Add(const Entry& entry, const SigningKey& key) {
  return impl_->Add(entry, key);
}
Result<Appended> Ledger::Batch::AddSigned(const Entry& entry, std::string_view signer,
                                          const Signature& signature,
                                          const PublicKey* verified_with,
                                          const EncodedStatement* statement) {
  return impl_->AddSigned(entry, signer, signature, verified_with, statement);
}
Status Ledger::Batch::Commit() { return impl_->Commit(); }
Status Ledger::Batch::Submit() { return impl_->Submit(); }
Status Ledger::Batch::Flush() { return impl_->Flush(); }
size_t Ledger::Batch::staged() const { return impl_->staged(); }
uint64_t Ledger::Batch::size() const { return impl_->size(); }
const Hash& Ledger::Batch::head_hash() const { return impl_->head_hash(); }
const KeyRegistry& Ledger::Batch::keys() const { return impl_->keys(); }
const std::vector<Record>& Ledger::Batch::staged_records() const { return impl_->staged_records(); }
Result<Record> Ledger::Batch::Get(uint64_t seq) { return impl_->Get(seq); }
Result<std::optional<uint64_t>> Ledger::Batch::FindEventId(std::string_view id) {
  return impl_->FindEventId(id);
}

}  // namespace esms::ledger
