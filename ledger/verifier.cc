#include "ledger/internal/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>

#include "base/bounded_queue.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/internal/verifier_envelope.h"
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
      queue_.Finish();
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
    (void)queue_.Push(std::move(chunk_));  // never cancelled
    chunk_ = {};
    chunk_.reserve(kChunk);
  }

  void Work() {
    while (std::optional<std::vector<SignatureJob>> chunk = queue_.Pop()) {
      for (SignatureJob& job : *chunk) {
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
  base::BoundedQueue<std::vector<SignatureJob>> queue_{kMaxQueued};
  std::mutex mu_;  // guards failure_
  bool finished_ = false;
  std::atomic<bool> failed_{false};
  std::optional<SignatureJob> failure_;
  std::vector<std::thread> workers_;
};

unsigned SignatureThreads() {
  unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(cores, 1u, 8u);
}

// SipHash-1-3 (Aumasson and Bernstein's SipHash with one compression and three
// finalization rounds), 64-bit output: a keyed hash an adversary who does not know
// the key cannot make collide.
inline uint64_t Rotl(uint64_t x, int b) { return std::rotl(x, b); }

// One SipRound, on four lanes kept in registers (a macro-free inline function: the
// lambda it replaces was not inlined and cost a call per round).
inline void SipRound(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = Rotl(v1, 13);
  v1 ^= v0;
  v0 = Rotl(v0, 32);
  v2 += v3;
  v3 = Rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl(v1, 17);
  v1 ^= v2;
  v2 = Rotl(v2, 32);
}

uint64_t SipHash13(uint64_t k0, uint64_t k1, const uint8_t* in, size_t size) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
  uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
  uint64_t v3 = 0x7465646279746573ULL ^ k1;
  const size_t whole = size - size % 8;
  for (size_t i = 0; i < whole; i += 8) {
    uint64_t m;
    std::memcpy(&m, in + i, 8);
    if constexpr (std::endian::native == std::endian::big) m = __builtin_bswap64(m);
    v3 ^= m;
    SipRound(v0, v1, v2, v3);
    v0 ^= m;
  }
  uint64_t last = uint64_t{size & 0xff} << 56;
  for (size_t i = 0; i < size % 8; ++i) last |= uint64_t{in[whole + i]} << (8 * i);
  v3 ^= last;
  SipRound(v0, v1, v2, v3);
  v0 ^= last;
  v2 ^= 0xff;
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  SipRound(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

// Adds (key, value) to a digest: the SipHash-1-3 of u32le(key size) || key || value.
class DigestAdder {
 public:
  DigestAdder(uint64_t k0, uint64_t k1) : k0_(k0), k1_(k1) {}
  void Add(std::string_view key, std::string_view value, IndexDigest* digest) {
    const size_t size = 4 + key.size() + value.size();
    char* out = size <= sizeof(small_) ? small_ : Large(size);
    const uint32_t key_size = static_cast<uint32_t>(key.size());
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(key_size >> (8 * i));
    std::memcpy(out + 4, key.data(), key.size());
    std::memcpy(out + 4 + key.size(), value.data(), value.size());
    digest->sum += SipHash13(k0_, k1_, reinterpret_cast<const uint8_t*>(out), size);
    ++digest->count;
  }

 private:
  char* Large(size_t size) {
    large_.resize(size);
    return large_.data();
  }
  uint64_t k0_;
  uint64_t k1_;
  char small_[256];
  std::string large_;
};

// The u64be seq as stored in the index values, without an allocation.
std::string_view SeqValue(uint64_t seq, char (&out)[8]) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(seq >> (56 - 8 * i));
  return std::string_view(out, 8);
}

// storage::TreeKey(node.level, node.index), without an allocation.
void TreeKeyBytes(const SubtreeNode& node, char (&out)[9]) {
  out[0] = static_cast<char>(node.level);
  for (int i = 0; i < 8; ++i) out[1 + i] = static_cast<char>(node.index >> (56 - 8 * i));
}

// Where a text is in a record's bytes.
struct TextSpan {
  uint32_t offset = 0;
  uint32_t size = 0;
};
TextSpan OffsetIn(ByteView bytes, std::string_view text) {
  return TextSpan{
      static_cast<uint32_t>(reinterpret_cast<const uint8_t*>(text.data()) - bytes.data()),
      static_cast<uint32_t>(text.size())};
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The envelope fields the reading thread checks, from a fast view or a decoded Record.
struct Fields {
  uint64_t seq;
  std::string_view event_id;
  std::string_view stream;
  uint64_t stream_version;
  std::string_view type;
  std::string_view signer;
  std::string_view origin;
  std::optional<uint64_t> expected_version;
};

Fields FieldsOf(const EnvelopeView& v) {
  return Fields{v.seq,  v.event_id, v.stream, v.stream_version,
                v.type, v.signer,   v.origin, v.expected_version};
}
Fields FieldsOf(const Record& r) {
  return Fields{r.seq,  r.event_id, r.stream, r.stream_version,
                r.type, r.signer,   r.origin, r.expected_version};
}

}  // namespace

struct Verifier::PassChunk {
  // One record handed from the reading thread to the hashing thread.
  struct Item {
    uint64_t seq = 0;
    size_t offset = 0;  // of its bytes in the chunk's arena (fast view only)
    size_t size = 0;
    // Fast view only: where its event id and stream are in its bytes.
    TextSpan event_id;
    TextSpan stream;
    uint64_t stream_version = 0;
    bool hashed = false;      // decoded by DecodeRecord: hash is given (leaf_hash always is)
    bool chain_only = false;  // refused by the reader after decoding: only its prevHash counts
    Hash prev_hash{};
    Hash hash{};
    Hash leaf_hash{};
  };

  static constexpr size_t kItems = 512;
  std::string bytes;  // the fast-view records' bytes, one after the other
  std::vector<Item> items;
};

// Single producer (the reading thread), single consumer (the hashing thread), bounded;
// emptied chunks come back for reuse. The consumer may stop early (Close): pushes are
// then dropped.
class Verifier::ChunkQueue {
 public:
  std::unique_ptr<PassChunk> NewChunk() {
    std::unique_ptr<PassChunk> chunk;
    {
      std::lock_guard<std::mutex> lock(free_mu_);
      if (!free_.empty()) {
        chunk = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!chunk) {
      chunk = std::make_unique<PassChunk>();
      chunk->items.reserve(PassChunk::kItems);
    }
    chunk->bytes.clear();
    chunk->items.clear();
    return chunk;
  }
  // Dropped once the consumer has stopped (Close).
  void Push(std::unique_ptr<PassChunk> chunk) { (void)queue_.Push(std::move(chunk)); }
  // No more pushes.
  void Finish() { queue_.Finish(); }
  // The next chunk, or null once Finish()ed and empty.
  std::unique_ptr<PassChunk> Pop() {
    std::optional<std::unique_ptr<PassChunk>> chunk = queue_.Pop();
    return chunk ? std::move(*chunk) : nullptr;
  }
  void Recycle(std::unique_ptr<PassChunk> chunk) {
    std::lock_guard<std::mutex> lock(free_mu_);
    free_.push_back(std::move(chunk));
  }
  // The consumer stops: pushes are dropped from now on.
  void Close() { queue_.Cancel(); }

 private:
  static constexpr size_t kMaxQueued = 8;
  base::BoundedQueue<std::unique_ptr<PassChunk>> queue_{kMaxQueued};
  std::mutex free_mu_;
  std::vector<std::unique_ptr<PassChunk>> free_;
};

void Frontier::Append(const Hash& leaf_hash, std::vector<SubtreeNode>* completed,
                      EnvelopeHasher* hasher) {
  completed->clear();
  SubtreeNode node{0, size_++, leaf_hash};
  completed->push_back(node);
  while (!stack_.empty() && stack_.back().level == node.level) {
    const Hash parent = hasher != nullptr ? hasher->NodeHash(stack_.back().hash, node.hash)
                                          : NodeHash(stack_.back().hash, node.hash);
    node = SubtreeNode{node.level + 1, node.index >> 1, parent};
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

void Verifier::ProblemLog::Report(uint64_t seq, int priority, std::string message) {
  if (!first_ || seq < first_->seq || (seq == first_->seq && priority < first_->priority)) {
    first_ = Problem{seq, priority, std::move(message)};
  }
}

void Verifier::ProblemLog::Merge(const ProblemLog& other) {
  if (other.first_) Report(other.first_->seq, other.first_->priority, other.first_->message);
}

Verifier::Verifier(const Storage& storage, std::string origin, const PublicKey& ledger_key,
                   Progress progress)
    : storage_(storage),
      origin_(std::move(origin)),
      ledger_key_(ledger_key),
      progress_(std::move(progress)) {
  std::random_device random;
  sip_key_.k0 = (uint64_t{random()} << 32) ^ random();
  sip_key_.k1 = (uint64_t{random()} << 32) ^ random();
}

Verifier::~Verifier() = default;

void Verifier::Report(uint64_t seq, Priority priority, std::string message) {
  log_.Report(seq, priority, std::move(message));
}

void Verifier::ReportGeneral(std::string message) {
  if (!general_) general_ = std::move(message);
}

Result<Ledger::VerifyReport> Verifier::Run() {
  std::optional<Ledger::VerifyReport> report = RunPass();
  if (report) return *report;
  // The streams index cannot vouch for the stream versions (or something else is
  // wrong): the exact pass, which counts them record by record, decides.
  Verifier exact(storage_, origin_, ledger_key_, progress_);
  exact.check_signatures_ = check_signatures_;
  exact.count_streams_ = true;
  return *exact.RunPass();
}

std::optional<Ledger::VerifyReport> Verifier::RunPass() {
  ReadHead();
  ReadCheckpoints();
  PassRecords();
  indexes_agree_ = digested_ == processed_ && ids_scanned_ok_ && streams_scanned_ok_ &&
                   stored_ids_ == expected_ids_ && stored_streams_ == expected_streams_;
  if (!count_streams_ && !(indexes_agree_ && streams_in_order_)) return std::nullopt;
  CheckIndexes();
  CheckTree();
  if (!indexes_agree_) {
    CheckEventIdIndex();
    CheckStreamIndex();
  }
  CheckKeyIndex();

  Ledger::VerifyReport report;
  report.size = limit_;
  report.root = limit_ == frontier_.size() ? frontier_.Root() : RootOfFirst(limit_);
  if (log_.first()) {
    report.ok = false;
    report.first_bad = log_.first()->seq;
    report.problem = log_.first()->message;
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
      ReportGeneral(fmt::format("{}: it names origin '{}' and size {}", label, checkpoint->origin,
                                checkpoint->size));
      continue;
    }
    checkpoint_roots_[*size] = checkpoint->root;
  }
  if (!it->status().ok()) {
    ReportGeneral("checkpoints unreadable: " + storage_.Error(it->status(), "").message());
  }
}

void Verifier::PassRecords() {
  ChunkQueue queue;
  std::thread hashing([this, &queue] { HashRecords(&queue); });
  std::thread indexes([this] { ScanIndexes(); });

  SignatureChecker checker(check_signatures_ ? SignatureThreads() : 0);
  KeyRegistry registry;
  std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> stream_counts;
  uint64_t expected = 0;
  std::optional<Problem> reader_problem;  // the check of the reading thread that stopped it
  auto fail = [&](std::string message) {
    reader_problem = Problem{expected, kRecordProblem, std::move(message)};
  };
  const uint64_t total = head_size_.value_or(0);
  DigestAdder digests(sip_key_.k0, sip_key_.k1);
  EnvelopeHasher leaf_hasher;
  std::string stream_key;
  char seq_value[8];
  std::unique_ptr<PassChunk> chunk = queue.NewChunk();

  ScanPerfOff perf_off;
  std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(storage_.records(), true);
  for (it->SeekToFirst();
       it->Valid() && !checker.failed() && !chain_broken_.load(std::memory_order_relaxed);
       it->Next()) {
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
    const ByteView value = AsBytes(it->value().ToStringView());
    // The exact fast check of the canonical form; DecodeRecord for every other case
    // (and for key records, whose payloads the registry decodes).
    const std::optional<EnvelopeView> view = ParseEnvelope(value);
    std::optional<Record> record;
    Bytes signed_bytes;
    auto decode = [&]() -> Status {
      Result<Record> decoded = DecodeRecord(value, check_signatures_ ? &signed_bytes : nullptr);
      if (!decoded.ok()) return decoded.status();
      record = std::move(decoded).value();
      return Status::OK();
    };
    if (!view) {
      Status decoded = decode();
      if (!decoded.ok()) {
        fail(fmt::format("seq {}: record bytes corrupt: {}", expected, decoded.message()));
        break;
      }
    }
    const Fields f = view ? FieldsOf(*view) : FieldsOf(*record);
    if (f.seq != expected) {
      fail(fmt::format("seq {}: record stored under seq {} holds seq {}", expected, expected,
                       f.seq));
      break;
    }
    // Decoded and numbered: from here on the hashing thread judges its prevHash first.
    PassChunk::Item& item = chunk->items.emplace_back();
    item.seq = f.seq;
    if (view) {
      item.offset = chunk->bytes.size();
      item.size = value.size();
      item.event_id = OffsetIn(value, view->event_id);
      item.stream = OffsetIn(value, view->stream);
      item.stream_version = view->stream_version;
      std::copy(view->prev_hash.begin(), view->prev_hash.end(), item.prev_hash.begin());
      // The leaf hash here, the record hash on the hashing thread: the two SHA-256
      // passes over a record split between the two threads of the pass (measured:
      // the best balance against the third thread, which scans the stored indexes).
      item.leaf_hash = leaf_hasher.LeafHash(value);
      chunk->bytes.append(reinterpret_cast<const char*>(value.data()), value.size());
    } else {
      item.hashed = true;
      item.prev_hash = record->prev_hash;
      item.hash = record->hash;
      item.leaf_hash = record->leaf_hash;
    }
    auto stop_here = [&](std::string message) {
      item.chain_only = true;
      fail(std::move(message));
    };

    // The statement belongs to this ledger, and its expectedVersion (under the author's
    // signature) is the position the record holds in its stream.
    if (f.origin != origin_) {
      stop_here(fmt::format("seq {}: the statement names origin '{}', not this ledger's '{}'",
                            expected, f.origin, origin_));
      break;
    }
    if (f.expected_version && *f.expected_version != f.stream_version) {
      stop_here(fmt::format("seq {}: expectedVersion {} but streamVersion {}", expected,
                            *f.expected_version, f.stream_version));
      break;
    }

    // Stream versions: counted here in the exact pass; in the fast one, proven after
    // the pass from the streams index (CheckStreamVersions).
    uint64_t* stream_count = nullptr;
    if (count_streams_) {
      auto counted = stream_counts.find(f.stream);
      if (counted == stream_counts.end()) {
        counted = stream_counts.emplace(std::string(f.stream), 0).first;
      }
      stream_count = &counted->second;
      if (f.stream_version != *stream_count) {
        stop_here(fmt::format("seq {}: streamVersion {} but stream '{}' holds {} earlier records",
                              expected, f.stream_version, f.stream, *stream_count));
        break;
      }
    }
    // The signer as enrolled at this seq (replayed from the records, not the stored
    // registry). An active signer of an ordinary record is all KeyRegistry::Check asks.
    const bool key_record = IsKeyRecordType(f.type);
    const KeyInfo* signer = registry.empty() ? nullptr : registry.Find(f.signer);
    if (key_record || signer == nullptr || !signer->active()) {
      if (!record) {
        Status decoded = decode();
        if (!decoded.ok()) {  // cannot be: the bytes were read as a canonical envelope
          stop_here(fmt::format("seq {}: record bytes corrupt: {}", expected, decoded.message()));
          break;
        }
      }
      Status allowed = registry.Check(*record);
      if (!allowed.ok()) {
        stop_here(fmt::format("seq {}: {} refused: {}", expected,
                              key_record ? "key record" : "signer", allowed.message()));
        break;
      }
    }
    if (check_signatures_) {
      SignatureJob job;
      job.seq = f.seq;
      job.signer = std::string(f.signer);
      if (view) {
        std::copy(view->signature.begin(), view->signature.end(), job.signature.begin());
        job.signed_bytes = EnvelopeSignedBytes(*view);
      } else {
        job.signature = record->signature;
        job.signed_bytes = std::move(signed_bytes);
      }
      if (registry.empty()) {  // genesis: the key it enrols signs it
        job.key = DecodeKeyEnrolled(record->payload)->public_key;
        job.enrolled_seq = f.seq;
      } else {
        const KeyInfo* info = *registry.Signer(f.signer);
        job.key = info->key;
        job.enrolled_seq = info->enrolled_seq;
      }
      checker.Add(std::move(job));
    }
    if (key_record) {
      (void)registry.Apply(*record);  // Check() passed
      key_record_seqs_.insert(f.seq);
    }
    if (stream_count != nullptr) ++*stream_count;

    // The index entries this record needs, into the expected digests: here for a
    // decoded Record, on the hashing thread for a fast view.
    if (!view) {
      SeqValue(f.seq, seq_value);
      const std::string_view seq_view(seq_value, 8);
      digests.Add(f.event_id, seq_view, &reader_ids_);
      stream_key.assign(f.stream);
      stream_key.push_back('\0');
      storage::AppendU64(stream_key, f.stream_version);
      digests.Add(stream_key, seq_view, &reader_streams_);
    }

    ++expected;
    if (chunk->items.size() >= PassChunk::kItems) {
      queue.Push(std::move(chunk));
      chunk = queue.NewChunk();
    }
    if (progress_ && expected % 4096 == 0) progress_(expected, std::max(total, expected));
  }
  if (!it->status().ok() && !reader_problem && !checker.failed() &&
      !chain_broken_.load(std::memory_order_relaxed)) {
    fail(fmt::format("seq {}: record unreadable: {}", expected,
                     storage_.Error(it->status(), "records").message()));
  }
  it.reset();
  if (!chunk->items.empty()) queue.Push(std::move(chunk));
  queue.Finish();
  hashing.join();
  std::optional<SignatureJob> bad = checker.Finish();
  indexes.join();
  digested_ = expected;
  expected_ids_.count += reader_ids_.count;
  expected_ids_.sum += reader_ids_.sum;
  expected_streams_.count += reader_streams_.count;
  expected_streams_.sum += reader_streams_.sum;

  // The problems in the order one thread would have found them: at one seq, the
  // prevHash (hashing thread) comes before the reader's later checks; every other
  // report of the hashing thread is at a seq the reader passed.
  log_.Merge(hashing_log_);
  if (reader_problem) {
    Report(reader_problem->seq, kRecordProblem, std::move(reader_problem->message));
  }
  if (bad) {
    Report(bad->seq, kRecordProblem,
           fmt::format("seq {}: signature does not verify with key {} as enrolled at seq {}",
                       bad->seq, QuoteName(bad->signer), bad->enrolled_seq));
  }
  std::optional<uint64_t> record_problem;
  if (reader_problem) record_problem = expected;
  processed_ = expected;
  if (chain_break_ && *chain_break_ <= processed_) {
    processed_ = *chain_break_;
    record_problem = *chain_break_;
  }
  limit_ = processed_;
  if (record_problem) limit_ = std::min(limit_, *record_problem);
  if (bad) limit_ = std::min(limit_, bad->seq);
  if (limit_ < processed_) return;

  // Every record read is sound: now the ends.
  const Hash& prev = last_hash_;
  if (head_size_) {
    if (processed_ < *head_size_) {
      Report(processed_, kRecordProblem,
             fmt::format("seq {}: record missing (the meta head records {} records)", processed_,
                         *head_size_));
    } else if (prev != head_hash_) {
      Report(
          processed_ == 0 ? 0 : processed_ - 1, kRecordProblem,
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

void Verifier::HashRecords(ChunkQueue* queue) {
  EnvelopeHasher hasher;
  std::vector<SubtreeNode> completed;
  DigestAdder digests(sip_key_.k0, sip_key_.k1);
  std::string stream_key;
  char seq_value[8];
  Hash prev{};
  while (std::unique_ptr<PassChunk> chunk = queue->Pop()) {
    for (PassChunk::Item& item : chunk->items) {
      if (!item.hashed) {
        item.hash = hasher.RecordHash(
            AsBytes(std::string_view(chunk->bytes)
                        .substr(item.offset, item.size)));  // its leaf hash is the reader's
      }
      if (item.prev_hash != prev) {
        hashing_log_.Report(item.seq, kRecordProblem,
                            item.seq == 0
                                ? std::string("seq 0: genesis prevHash is not zero")
                                : fmt::format("seq {}: prevHash does not match hash of seq {}",
                                              item.seq, item.seq - 1));
        chain_break_ = item.seq;
        chain_broken_.store(true, std::memory_order_relaxed);
        queue->Close();
        last_hash_ = prev;
        return;
      }
      if (item.chain_only) break;  // the reader stopped at this record
      frontier_.Append(item.leaf_hash, &completed, &hasher);
      for (const SubtreeNode& node : completed) {
        char key[9];
        TreeKeyBytes(node, key);
        digests.Add(
            std::string_view(key, sizeof(key)),
            std::string_view(reinterpret_cast<const char*>(node.hash.data()), node.hash.size()),
            &expected_tree_);
      }
      if (!item.hashed) {  // the index entries it needs (the reader did the others)
        const char* bytes = chunk->bytes.data() + item.offset;
        SeqValue(item.seq, seq_value);
        const std::string_view seq_view(seq_value, 8);
        digests.Add(std::string_view(bytes + item.event_id.offset, item.event_id.size), seq_view,
                    &expected_ids_);
        stream_key.assign(bytes + item.stream.offset, item.stream.size);
        stream_key.push_back('\0');
        storage::AppendU64(stream_key, item.stream_version);
        digests.Add(stream_key, seq_view, &expected_streams_);
      }
      auto checkpoint = checkpoint_roots_.find(item.seq + 1);
      if (checkpoint != checkpoint_roots_.end() && checkpoint->second != frontier_.Root()) {
        hashing_log_.Report(
            item.seq, kRecordProblem,
            fmt::format("seq {}: records 0..{} give root {}, not the root {} signed in the "
                        "checkpoint of size {}",
                        item.seq, item.seq, ToHex(frontier_.Root()), ToHex(checkpoint->second),
                        item.seq + 1));
      }
      prev = item.hash;
    }
    queue->Recycle(std::move(chunk));
  }
  last_hash_ = prev;
}

void Verifier::ScanIndexes() {
  ScanPerfOff perf_off;
  DigestAdder digests(sip_key_.k0, sip_key_.k1);
  auto scan = [&](rocksdb::ColumnFamilyHandle* cf, IndexDigest* digest) {
    std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(cf, true);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      digests.Add(it->key().ToStringView(), it->value().ToStringView(), digest);
    }
    return it->status().ok();
  };
  ids_scanned_ok_ = scan(storage_.event_ids(), &stored_ids_);
  // The streams index, in key order: each stream's versions 0, 1, 2... at increasing
  // seqs. With its digest equal to the records' entries this proves every record's
  // streamVersion is the number of earlier records of its stream.
  {
    std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(storage_.streams(), true);
    std::string stream;
    uint64_t version = 0;
    uint64_t seq = 0;
    bool in_order = true;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = it->key().ToStringView();
      const std::string_view value = it->value().ToStringView();
      digests.Add(key, value, &stored_streams_);
      if (!in_order) continue;
      std::optional<uint64_t> entry_seq = storage::ReadU64(value);
      if (key.size() < 9 || key[key.size() - 9] != '\0' || !entry_seq) {
        in_order = false;
        continue;
      }
      const std::string_view entry_stream = key.substr(0, key.size() - 9);
      const uint64_t entry_version = *storage::ReadU64(key.substr(key.size() - 8));
      if (stored_streams_.count > 1 && entry_stream == stream) {
        in_order = entry_version == version + 1 && *entry_seq > seq;
      } else {
        in_order = entry_version == 0;
        stream.assign(entry_stream);
      }
      version = entry_version;
      seq = *entry_seq;
    }
    streams_scanned_ok_ = it->status().ok();
    streams_in_order_ = in_order;
  }
  tree_scanned_ok_ = scan(storage_.tree(), &stored_tree_);
}

// Each record's entries: event_ids[eventId] = seq, streams[stream, version] = seq, and
// the key index for key records. When both stored indexes digest to exactly the
// entries the records need, none can be missing nor point elsewhere; otherwise the
// point lookups name the record (and note the entries CheckReverseIndex must skip).
void Verifier::CheckIndexes() {
  if (!indexes_agree_) {
    ReplayIndexLookups();
    return;
  }
  for (uint64_t seq : key_record_seqs_) {
    if (seq < processed_) CheckKeyIndexEntry(seq);
  }
}

void Verifier::ReplayIndexLookups() {
  std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(storage_.records(), true);
  uint64_t seq = 0;
  for (it->SeekToFirst(); it->Valid() && seq < processed_; it->Next(), ++seq) {
    const ByteView value = AsBytes(it->value().ToStringView());
    if (std::optional<EnvelopeView> view = ParseEnvelope(value)) {
      CheckRecordIndexes(view->seq, view->event_id, view->stream, view->stream_version,
                         IsKeyRecordType(view->type));
    } else if (Result<Record> record = DecodeRecord(value); record.ok()) {
      CheckRecordIndexes(record->seq, record->event_id, record->stream, record->stream_version,
                         IsKeyRecordType(record->type));
    }
  }
}

void Verifier::CheckRecordIndexes(uint64_t seq, std::string_view event_id, std::string_view stream,
                                  uint64_t stream_version, bool key_record) {
  const std::string seq_value = storage::SeqKey(seq);
  Result<std::optional<std::string>> id = storage_.Get(storage_.event_ids(), event_id);
  if (!id.ok()) {
    Report(seq, kIndexProblem,
           fmt::format("seq {}: event_ids entry of '{}' unreadable: {}", seq, event_id,
                       id.status().message()));
    bad_id_entries_.insert(seq);
  } else if (!*id) {
    Report(seq, kIndexProblem,
           fmt::format("seq {}: event id '{}' missing from the event_ids index", seq, event_id));
    bad_id_entries_.insert(seq);
  } else if (**id != seq_value) {
    std::optional<uint64_t> points = storage::ReadU64(**id);
    Report(seq, kIndexProblem,
           fmt::format("seq {}: event_ids entry of '{}' points to seq {}, not to this record", seq,
                       event_id, points ? std::to_string(*points) : "(malformed)"));
    bad_id_entries_.insert(seq);
    misdirected_ids_.insert(std::string(event_id));
  }

  const std::string stream_key = storage::StreamKey(stream, stream_version);
  Result<std::optional<std::string>> stored = storage_.Get(storage_.streams(), stream_key);
  if (!stored.ok() || !*stored || **stored != seq_value) {
    Report(seq, kIndexProblem,
           fmt::format("seq {}: stream '{}' version {} is {} in the streams index", seq, stream,
                       stream_version,
                       !stored.ok() ? "unreadable" : (!*stored ? "missing" : "misdirected")));
    bad_stream_entries_.insert(seq);
    if (stored.ok() && *stored) misdirected_stream_keys_.insert(stream_key);
  }

  if (key_record) CheckKeyIndexEntry(seq);
}

void Verifier::CheckKeyIndexEntry(uint64_t seq) {
  Result<std::optional<std::string>> key =
      storage_.Get(storage_.meta(), storage::KeyRecordKey(seq));
  if (!key.ok() || !*key) {
    Report(seq, kIndexProblem, fmt::format("seq {}: key record missing from the key index", seq));
  }
}

constexpr int kBulkTreeLevels = 3;

// The stored tree holds exactly the nodes the records complete when the digests agree:
// none missing, none different, none beyond. Otherwise the nodes are compared one by
// one, in the order the pass completes them.
void Verifier::CheckTree() {
  const bool agree = tree_scanned_ok_ && stored_tree_ == expected_tree_;
  if (agree) return;
  ReplayTree();
  CheckTreeBeyond();
}

void Verifier::ReplayTree() {
  EnvelopeHasher hasher;
  Frontier frontier;
  std::vector<SubtreeNode> completed;
  std::unique_ptr<rocksdb::Iterator> it = storage_.NewIterator(storage_.records(), true);
  uint64_t seq = 0;
  for (it->SeekToFirst(); it->Valid() && seq < processed_; it->Next(), ++seq) {
    const ByteView value = AsBytes(it->value().ToStringView());
    Hash leaf_hash;
    if (ParseEnvelope(value)) {
      leaf_hash = hasher.LeafHash(value);
    } else if (Result<Record> record = DecodeRecord(value); record.ok()) {
      leaf_hash = record->leaf_hash;
    } else {
      break;  // cannot be: the pass read it
    }
    frontier.Append(leaf_hash, &completed, &hasher);
    for (const SubtreeNode& node : completed) CheckNode(node, seq, &log_);
  }
  tree_levels_.clear();
}

// Nodes of one level complete in index order, so one forward iterator per level reads
// them sequentially instead of one point lookup each.
void Verifier::CheckNode(const SubtreeNode& node, uint64_t seq, ProblemLog* log) {
  if (tree_levels_.size() <= static_cast<size_t>(node.level)) tree_levels_.resize(node.level + 1);
  std::unique_ptr<rocksdb::Iterator>& it = tree_levels_[node.level];
  char key_bytes[9];
  TreeKeyBytes(node, key_bytes);
  const rocksdb::Slice key(key_bytes, sizeof(key_bytes));
  if (!it) {
    // Level l holds n >> l nodes: a long read ahead pays off only for the lowest levels
    // (above, it would read megabytes of other levels for a few nodes).
    it = storage_.NewIterator(storage_.tree(), /*bulk=*/node.level < kBulkTreeLevels);
    it->Seek(key);
  } else {
    while (it->Valid() && it->key().compare(key) < 0) it->Next();
  }
  if (!it->Valid() || it->key() != key) {
    bool unreadable = !it->status().ok();
    log->Report(seq, kTreeProblem,
                fmt::format("seq {}: tree node (level {}, index {}) is {}", seq, node.level,
                            node.index, unreadable ? "unreadable" : "missing"));
    if (unreadable) it.reset();
    return;
  }
  ByteView stored_hash = AsBytes(it->value().ToStringView());
  if (!std::equal(node.hash.begin(), node.hash.end(), stored_hash.begin(), stored_hash.end())) {
    log->Report(seq, kTreeProblem,
                fmt::format("seq {}: stored tree node (level {}, index {}) does not match the "
                            "hash recomputed from the records",
                            seq, node.level, node.index));
  }
}

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
  uint64_t sound = limit_ - static_cast<uint64_t>(
                                std::count_if(index.bad_entries.begin(), index.bad_entries.end(),
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
      .describe = [](const Record& r) { return fmt::format("whose event id is '{}'", r.event_id); },
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
      Report(
          *seq, kIndexProblem,
          fmt::format("seq {}: the key index lists seq {}, which is not a key record", *seq, *seq));
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
