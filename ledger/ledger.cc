#include "ledger/ledger.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <system_error>

#include "ledger/internal/batch.h"
#include "ledger/internal/storage.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/internal/verifier.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/replica.h"

namespace esms::ledger {

namespace fs = std::filesystem;

namespace {

using internal::SliceOf;
using internal::Storage;

ByteView ViewOf(const std::string& bytes) { return AsBytes(bytes); }

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '-';
}

// Signed-note key names: non-empty, no whitespace, no '+'.
bool IsValidOrigin(std::string_view origin) {
  if (origin.empty() || origin.size() > 256) return false;
  return std::none_of(origin.begin(), origin.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '+';
  });
}

std::string UtcDate(int64_t micros) {
  using namespace std::chrono;
  sys_days day = floor<days>(sys_time<microseconds>(microseconds(micros)));
  year_month_day ymd(day);
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

int64_t SystemNowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

bool IsValidEventId(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), IsIdChar);
}

bool IsValidBusinessDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (date[i] < '0' || date[i] > '9') return false;
  }
  int month = (date[5] - '0') * 10 + (date[6] - '0');
  int day = (date[8] - '0') * 10 + (date[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// ---------------------------------------------------------------------------------
// Opening.

Ledger::Ledger(fs::path dir, Mode mode, std::unique_ptr<internal::Storage> db, Options options)
    : dir_(std::move(dir)),
      mode_(mode),
      db_(std::move(db)),
      ledger_signer_(std::move(options.ledger_key)),
      clock_(options.now_micros ? std::move(options.now_micros) : SystemNowMicros) {}

Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>> Ledger::Create(const fs::path& dir, std::string_view origin,
                                               std::string_view admin_name, const SigningKey& admin,
                                               Options options) {
  if (!IsValidOrigin(origin)) {
    return Status::BadInput(fmt::format(
        "origin '{}' must be 1-256 chars without whitespace, control chars or '+'", origin));
  }
  if (!IsValidKeyName(admin_name)) {
    return Status::BadInput(
        fmt::format("admin key name '{}' is not 1-64 chars of [A-Za-z0-9._@-]", admin_name));
  }
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
      return Status::InvalidArgument(
          "USAGE", fmt::format("{} exists and is not an empty directory: a new ledger needs one",
                               dir.string()));
    }
  } else if (!fs::create_directories(dir, ec) || ec) {
    return Status::IoError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                   Storage::Open(dir, /*create=*/true, /*read_only=*/false));
  auto ledger = std::unique_ptr<Ledger>(
      new Ledger(dir, Mode::kReadWrite, std::move(storage), std::move(options)));
  ledger->origin_ = std::string(origin);
  if (ledger->ledger_signer_ == nullptr) {
    // A new ledger key, kept beside the ledger before anything is committed.
    ASSIGN_OR_RETURN(SigningKey generated, SigningKey::Generate());
    RETURN_IF_ERROR(generated.WritePem(dir / kLedgerKeyFile));
    ledger->ledger_signer_ = std::make_shared<const SigningKey>(std::move(generated));
  }
  ledger->ledger_key_ = ledger->ledger_signer_->public_key();

  // Genesis: the admin key enrols itself; the ledger's identity goes in the same write.
  std::unique_ptr<Batch> batch = ledger->NewBatch();
  batch->impl_->bootstrap_signer_ = std::string(admin_name);
  batch->impl_->meta_puts_ = {
      {std::string(storage::kMetaFormat), std::string(storage::kFormatVersion)},
      {std::string(storage::kMetaOrigin), std::string(origin)},
      {std::string(storage::kMetaLedgerKey),
       std::string(reinterpret_cast<const char*>(ledger->ledger_key_.data()), 32)}};
  Entry genesis{std::string(kGenesisEventId),
                UtcDate(ledger->NowMicros()),
                std::string(kProgrammeStream),
                0,
                std::string(kKeyEnrolledType),
                EncodeKeyEnrolled(admin_name, admin.public_key(), {std::string(kAdminRole)}, {})};
  RETURN_IF_ERROR(batch->Add(genesis, admin).status());
  RETURN_IF_ERROR(batch->Commit());

  {
    std::ofstream pub(dir / kLedgerPubFile, std::ios::out | std::ios::trunc);
    pub << ledger->verifier_key() << "\n";
    pub.close();
    if (!pub) {
      return Status::IoError(fmt::format("cannot write {}", (dir / kLedgerPubFile).string()));
    }
  }
  return ledger;
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const fs::path& dir, Mode mode, Options options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                   Storage::Open(dir, /*create=*/false, mode == Mode::kReadOnly));
  auto ledger =
      std::unique_ptr<Ledger>(new Ledger(dir, mode, std::move(storage), std::move(options)));
  RETURN_IF_ERROR(ledger->LoadState());
  if (mode == Mode::kReadWrite) {
    // A mirror's copy (ledger/replica.h) is written by `mirror` only.
    ASSIGN_OR_RETURN(std::optional<std::string> mirror,
                     ledger->db_->Get(ledger->db_->meta(), kMetaMirrorOf));
    if (mirror) {
      return Status::InvalidArgument(
          "USAGE", fmt::format("ledger {} is a mirror's copy of {}: it is read-only (only "
                               "`mirror` appends to it, from its source)",
                               dir.string(), *mirror));
    }
    RETURN_IF_ERROR(ledger->LoadLedgerKey());
  }
  return ledger;
}

Status Ledger::LoadState() {
  Storage& s = *db_;
  const std::string path = dir_.string();
  ASSIGN_OR_RETURN(std::optional<std::string> format, s.Get(s.meta(), storage::kMetaFormat));
  if (!format) {
    return Status::NotFound(fmt::format("{} is not a ledger: no format version", path));
  }
  if (*format == "1") {
    // Format 1 signed each record with its position; format 2 signs position-independent
    // statements. No ledger of format 1 is in use: there is no migration.
    return Status::InvalidArgument(
        "USAGE",
        fmt::format("ledger {} is in record format 1; this program reads record format {} only "
                    "(no migration: create a new ledger with `init` and import its events)",
                    path, storage::kFormatVersion));
  }
  if (*format != storage::kFormatVersion) {
    return Status::DataLoss(
        fmt::format("ledger {} has format version '{}'; this program reads version {} "
                    "(the meta value is damaged, or the ledger was written by another program)",
                    path, *format, storage::kFormatVersion));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> origin, s.Get(s.meta(), storage::kMetaOrigin));
  ASSIGN_OR_RETURN(std::optional<std::string> key, s.Get(s.meta(), storage::kMetaLedgerKey));
  ASSIGN_OR_RETURN(std::optional<std::string> head, s.Get(s.meta(), storage::kMetaHead));
  if (!origin || !key || key->size() != ledger_key_.size()) {
    return Status::DataLoss(fmt::format("ledger {}: meta origin or ledger key missing", path));
  }
  if (!head || head->size() != 8 + head_.size()) {
    return Status::DataLoss(fmt::format("ledger {}: meta head missing or malformed", path));
  }
  origin_ = *origin;
  std::copy(key->begin(), key->end(), ledger_key_.begin());
  size_ = *storage::ReadU64(std::string_view(*head).substr(0, 8));
  std::copy(head->begin() + 8, head->end(), head_.begin());

  // The key registry, from the key records only (the meta key index): O(keys).
  std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(s.meta(), false);
  for (it->Seek(SliceOf(storage::kMetaKeyRecordPrefix)); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (!k.starts_with(storage::kMetaKeyRecordPrefix)) break;
    std::optional<uint64_t> seq = storage::ReadU64(k.substr(storage::kMetaKeyRecordPrefix.size()));
    if (!seq) continue;
    // A key record that cannot be read or applied is skipped, not fatal: Open must
    // stay possible so that Verify() can name the damage precisely.
    Result<Record> record = Get(*seq);
    if (record.ok()) (void)registry_.Apply(*record);
  }
  return s.Error(it->status(), "cannot read the key index");
}

Status Ledger::LoadLedgerKey() {
  if (ledger_signer_ == nullptr) {
    const fs::path file = dir_ / kLedgerKeyFile;
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      return Status::InvalidArgument(
          "USAGE", fmt::format("ledger {} is written only with its ledger key, which signs a "
                               "checkpoint at every commit: {} is missing (give --ledger-key "
                               "FILE)",
                               dir_.string(), file.string()));
    }
    ASSIGN_OR_RETURN(SigningKey key, SigningKey::LoadPem(file));
    ledger_signer_ = std::make_shared<const SigningKey>(std::move(key));
  }
  if (ledger_signer_->public_key() != ledger_key_) {
    return Status::PermissionDenied(
        fmt::format("the ledger key given is not the key of {} ({})", origin_, verifier_key()));
  }
  return Status::OK();
}

Status Ledger::CheckWritable() const {
  if (mode_ == Mode::kReadOnly) {
    return Status::FailedPrecondition("USAGE",
                                      fmt::format("ledger {} is open read-only", dir_.string()));
  }
  return Status::OK();
}

int64_t Ledger::NowMicros() const { return clock_(); }

std::string Ledger::verifier_key() const { return VerifierKey(origin_, ledger_key_); }

Result<Appended> Ledger::Append(const Entry& entry, const SigningKey& key) {
  std::unique_ptr<Batch> batch = NewBatch();
  ASSIGN_OR_RETURN(Appended appended, batch->Add(entry, key));
  if (!appended.existing) RETURN_IF_ERROR(batch->Commit());
  return appended;
}

// ---------------------------------------------------------------------------------
// Reading.

Result<Record> Ledger::Get(uint64_t seq) const {
  if (seq >= size_) {
    return Status::NotFound(fmt::format("no record seq {} (the ledger has {})", seq, size_));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                   db_->Get(db_->records(), storage::SeqKey(seq)));
  if (!bytes) return Status::DataLoss(fmt::format("seq {}: record missing", seq));
  Result<Record> record = DecodeRecord(ViewOf(*bytes));
  if (!record.ok()) return std::move(record).TakeStatus().WithContext(fmt::format("seq {}", seq));
  if (record->seq != seq) {
    return Status::DataLoss(
        fmt::format("seq {}: the record stored there holds seq {}", seq, record->seq));
  }
  return record;
}

Status Ledger::Scan(uint64_t from, uint64_t to_exclusive,
                    const std::function<Status(const Record&)>& fn) const {
  const uint64_t end = std::min(to_exclusive, size_);
  if (from >= end) return Status::OK();
  internal::ScanPerfOff perf_off;
  std::unique_ptr<rocksdb::Iterator> it = db_->NewIterator(db_->records(), true);
  uint64_t expected = from;
  for (it->Seek(storage::SeqKey(from)); it->Valid() && expected < end; it->Next()) {
    std::optional<uint64_t> seq = storage::ReadU64(it->key().ToStringView());
    if (!seq || *seq != expected) {
      return Status::DataLoss(fmt::format("seq {}: record missing", expected));
    }
    std::string_view value = it->value().ToStringView();
    Result<Record> record = DecodeRecord(AsBytes(value));
    if (!record.ok()) {
      return std::move(record).TakeStatus().WithContext(fmt::format("seq {}", expected));
    }
    if (record->seq != expected) {
      return Status::DataLoss(
          fmt::format("seq {}: the record stored there holds seq {}", expected, record->seq));
    }
    RETURN_IF_ERROR(fn(*record));
    ++expected;
  }
  RETURN_IF_ERROR(db_->Error(it->status(), fmt::format("cannot read seq {}", expected)));
  if (expected < end) return Status::DataLoss(fmt::format("seq {}: record missing", expected));
  return Status::OK();
}

Result<std::optional<uint64_t>> Ledger::FindEventId(std::string_view id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value, db_->Get(db_->event_ids(), id));
  if (!value) return std::optional<uint64_t>();
  std::optional<uint64_t> seq = storage::ReadU64(*value);
  if (!seq) return Status::DataLoss(fmt::format("event_ids entry of '{}' is malformed", id));
  return seq;
}

Result<std::vector<uint64_t>> Ledger::StreamSeqs(std::string_view stream) const {
  std::vector<uint64_t> seqs;
  const std::string prefix = storage::StreamPrefix(stream);
  std::unique_ptr<rocksdb::Iterator> it = db_->NewIterator(db_->streams(), false);
  for (it->Seek(SliceOf(prefix)); it->Valid() && it->key().starts_with(SliceOf(prefix));
       it->Next()) {
    std::optional<uint64_t> version =
        storage::ReadU64(it->key().ToStringView().substr(prefix.size()));
    std::optional<uint64_t> seq = storage::ReadU64(it->value().ToStringView());
    if (!version || !seq || *version != seqs.size()) {
      return Status::DataLoss(
          fmt::format("streams index of '{}' is malformed at version {}", stream, seqs.size()));
    }
    seqs.push_back(*seq);
  }
  RETURN_IF_ERROR(db_->Error(it->status(), "cannot read the streams index"));
  return seqs;
}

// ---------------------------------------------------------------------------------
// Checkpoints and proofs.

Result<std::string> Ledger::MakeCheckpoint(const SigningKey& key) {
  RETURN_IF_ERROR(CheckWritable());
  if (key.public_key() != ledger_key_) {
    return Status::PermissionDenied(fmt::format(
        "checkpoints of {} are signed by the ledger key ({})", origin_, verifier_key()));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> kept,
                   db_->Get(db_->checkpoints(), storage::SeqKey(size_)));
  if (kept) return std::move(*kept);
  ASSIGN_OR_RETURN(Hash root, RootAt(size_));
  Checkpoint checkpoint{origin_, size_, root, {}};
  std::string note = SignNote(FormatCheckpoint(checkpoint), origin_, key);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(db_->Error(batch.Put(db_->checkpoints(), storage::SeqKey(size_), note),
                             "cannot stage the checkpoint"));
  RETURN_IF_ERROR(db_->Write(batch, /*sync=*/true));
  return note;
}

Result<std::string> Ledger::MakeCheckpoint() {
  RETURN_IF_ERROR(CheckWritable());
  if (ledger_signer_ == nullptr) return Status::Internal("a writable ledger without its key");
  return MakeCheckpoint(*ledger_signer_);
}

Result<std::optional<std::string>> Ledger::LatestCheckpoint() const {
  std::unique_ptr<rocksdb::Iterator> it = db_->NewIterator(db_->checkpoints(), false);
  it->SeekToLast();
  if (it->Valid()) return std::optional<std::string>(it->value().ToString());
  RETURN_IF_ERROR(db_->Error(it->status(), "cannot read checkpoints"));
  return std::optional<std::string>();
}

Result<std::string> Ledger::CheckpointAt(uint64_t size) const {
  ASSIGN_OR_RETURN(std::optional<std::string> note,
                   db_->Get(db_->checkpoints(), storage::SeqKey(size)));
  if (!note) {
    return Status::NotFound(fmt::format("no checkpoint of size {} is kept", size));
  }
  return std::move(*note);
}

Result<Hash> Ledger::RootAt(uint64_t size) const {
  if (size > size_) {
    return Status::BadInput(fmt::format("size {} is beyond the ledger's {} records", size, size_));
  }
  return ledger::RootAt(size, internal::StorageTree(*db_));
}

Result<std::vector<Hash>> Ledger::InclusionProof(uint64_t seq, uint64_t size) const {
  if (size > size_) {
    return Status::BadInput(fmt::format("size {} is beyond the ledger's {} records", size, size_));
  }
  return ledger::InclusionProof(seq, size, internal::StorageTree(*db_));
}

Result<std::vector<Hash>> Ledger::ConsistencyProof(uint64_t old_size, uint64_t new_size) const {
  if (new_size > size_) {
    return Status::BadInput(
        fmt::format("size {} is beyond the ledger's {} records", new_size, size_));
  }
  return ledger::ConsistencyProof(old_size, new_size, internal::StorageTree(*db_));
}

// ---------------------------------------------------------------------------------
// Snapshots.

void Ledger::StartFlush() { db_->StartFlush(); }

Status Ledger::PutSnapshot(std::string_view name, uint64_t seq, ByteView state) {
  RETURN_IF_ERROR(CheckWritable());
  if (name.empty()) return Status::BadInput("snapshot name is empty");
  if (seq > size_) {
    return Status::BadInput(
        fmt::format("snapshot seq {} is beyond the ledger's {} records", seq, size_));
  }
  std::string value = storage::U64Key(seq);
  value.append(reinterpret_cast<const char*>(state.data()), state.size());
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(
      db_->Error(batch.Put(db_->snapshots(), SliceOf(name), value), "cannot stage the snapshot"));
  return db_->Write(batch, /*sync=*/false);
}

Result<std::optional<std::pair<uint64_t, Bytes>>> Ledger::GetSnapshot(std::string_view name) const {
  using Snapshot = std::optional<std::pair<uint64_t, Bytes>>;
  rocksdb::PinnableSlice value;  // one copy of a snapshot of tens of MB, not two
  ASSIGN_OR_RETURN(bool found, db_->GetPinned(db_->snapshots(), name, &value));
  if (!found) return Snapshot();
  if (value.size() < 8) {
    return Status::DataLoss(fmt::format("snapshot '{}' is malformed", name));
  }
  uint64_t seq = *storage::ReadU64(value.ToStringView().substr(0, 8));
  const auto* bytes = reinterpret_cast<const uint8_t*>(value.data());
  return Snapshot(std::pair<uint64_t, Bytes>(seq, Bytes(bytes + 8, bytes + value.size())));
}

// ---------------------------------------------------------------------------------
// Verification (ledger/internal/verifier.h).

Result<Ledger::VerifyReport> Ledger::Verify(
    const std::function<void(uint64_t done, uint64_t total)>& progress) const {
  return Verify(VerifyOptions{}, progress);
}

Result<Ledger::VerifyReport> Ledger::Verify(
    const VerifyOptions& options,
    const std::function<void(uint64_t done, uint64_t total)>& progress) const {
  internal::Verifier verifier(*db_, origin_, ledger_key_, progress);
  verifier.set_check_signatures(options.check_signatures);
  return verifier.Run();
}

}  // namespace esms::ledger
