#include "ledger/ledger.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <limits>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

#include "ledger/internal/storage.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/internal/verifier.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

namespace esms::ledger {

namespace fs = std::filesystem;

namespace internal {

// THE rocksdb::Status adapter of the ledger: every RocksDB status goes through here.
//   lock held (by another process, or by this one) -> Unavailable (LEDGER_LOCKED)
//   corruption (checksum mismatch, bad block)      -> DataLoss (CORRUPTION)
//   I/O error, no space, anything else             -> IoError (STORAGE_ERROR)
Status FromRocks(const rocksdb::Status& status, std::string_view what, const fs::path& dir) {
  if (status.ok()) return Status::OK();
  std::string detail = status.ToString();
  if (status.IsIOError() &&
      (detail.find("While lock file") != std::string::npos ||
       detail.find("lock hold by current process") != std::string::npos ||
       detail.find("Resource temporarily unavailable") != std::string::npos ||
       detail.find("No locks available") != std::string::npos)) {
    return Status::Unavailable(
        fmt::format("ledger {} is locked by another process", dir.string()));
  }
  std::string message = fmt::format("ledger {}: {}: {}", dir.string(), what, detail);
  if (status.IsCorruption()) return Status::DataLoss(std::move(message));
  return Status::IoError(std::move(message));
}

Storage::~Storage() {
  if (db_ == nullptr) return;
  if (!read_only_) {
    // Memtables to SST files before closing: the next open (often a read-only
    // `state` or `check`) then has no write-ahead log to replay. Best effort.
    rocksdb::FlushOptions flush;
    (void)db_->Flush(flush, std::vector<rocksdb::ColumnFamilyHandle*>(handles_.begin(),
                                                                        handles_.end()));
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    (void)db_->DestroyColumnFamilyHandle(handle);
  }
  (void)db_->Close();
}

rocksdb::ColumnFamilyOptions LedgerColumnFamilyOptions() {
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // 16 KB blocks rather than 4 KB: the ledger is mostly read in long scans (verify,
  // rebuild), which then fetch, check and decompress a quarter of the blocks. Measured
  // on 5 M records: structural verify 1.03 -> 1.08-1.13 M records/s and 6% less disk;
  // a point read (`history`, bundles) decompresses 16 KB instead of 4, microseconds.
  table.block_size = 16 << 10;
  rocksdb::ColumnFamilyOptions options;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // LZ4 rather than RocksDB's default Snappy: the same size on disk for our records
  // (+0.7% measured), and a full verify of 5 M records spent 8% of its time in Snappy's
  // decompression, about half of that with LZ4 (BENCHMARKS.md).
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  const bool lz4 = std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) !=
                   supported.end();
  options.compression = lz4 ? rocksdb::kLZ4Compression : rocksdb::kSnappyCompression;
  // Block size and compression are recorded in each table file: ledgers written with
  // other ones (Snappy and 4 KB before this choice) read the same.
  return options;
}

// RocksDB's info log (the LOG file of the ledger directory), written so that it can
// never fail an operation: RocksDB's own logger asserts that its writes succeed, which
// aborted the program on a full disk (issue 18). Lines go out with one write(2) each,
// whose errors are ignored; warnings and errors only. A LOG over 1 MiB is moved to
// LOG.old by the next writer's open. If LOG cannot be opened (a read-only directory),
// nothing is logged.
class LedgerInfoLog final : public rocksdb::Logger {
 public:
  LedgerInfoLog(const fs::path& dir, bool rotate)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {
    const fs::path log = dir / "LOG";
    struct stat st {};
    if (rotate && ::stat(log.c_str(), &st) == 0 && st.st_size > (1 << 20)) {
      (void)::rename(log.c_str(), (dir / "LOG.old").c_str());
    }
    fd_ = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
  }
  ~LedgerInfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }
  LedgerInfoLog(const LedgerInfoLog&) = delete;
  LedgerInfoLog& operator=(const LedgerInfoLog&) = delete;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[2048];
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    size_t n = std::strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &utc);
    va_list copy;
    va_copy(copy, ap);
    int written = std::vsnprintf(line + n, sizeof line - n - 1, format, copy);
    va_end(copy);
    if (written < 0) return;
    n = std::min(sizeof line - 2, n + static_cast<size_t>(written));
    line[n++] = '\n';
    (void)!::write(fd_, line, n);  // best effort: a full disk must not fail anything
  }

 private:
  int fd_ = -1;
};

// A read-only open races the writer's open, flushes and compactions: the MANIFEST it
// read, or a table or log file that MANIFEST names, can be deleted under it. RocksDB
// then answers "No such file or directory" (as an I/O error, or a corruption: "Can't
// access ...sst"), which is no damage: opening again reads the new MANIFEST.
bool IsMissingFileRace(const rocksdb::Status& status) {
  if (status.ok()) return false;
  if (status.IsPathNotFound()) return true;
  const std::string text = status.ToString();
  for (std::string_view sign : {"No such file or directory", "Can't access", "non-existent file",
                                "does not exist"}) {
    if (text.find(sign) != std::string::npos) return true;
  }
  return false;
}

// Which MANIFEST is current and how long it is: a read-only open that starts and ends
// with the same mark raced no flush, compaction or writer open.
struct ManifestMark {
  std::string current;
  int64_t size = -1;
  bool operator==(const ManifestMark&) const = default;
};

std::optional<ManifestMark> ReadManifestMark(const fs::path& dir) {
  ManifestMark mark;
  int fd = ::open((dir / "CURRENT").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char name[256];
  ssize_t n = ::read(fd, name, sizeof name);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  mark.current.assign(name, static_cast<size_t>(n));
  while (!mark.current.empty() && mark.current.back() == '\n') mark.current.pop_back();
  struct stat st {};
  if (::stat((dir / mark.current).c_str(), &st) != 0) return std::nullopt;
  mark.size = st.st_size;
  return mark;
}

Result<std::unique_ptr<Storage>> Storage::Open(const fs::path& dir, bool create,
                                               bool read_only) {
  // A read-only open that lost a race with the writer (a file missing, or the MANIFEST
  // changed while it opened) tries again, up to kOpenAttempts times over about 3 s; it
  // never waits for the writer, only for its own next attempt. A file that stays
  // missing is reported as before.
  constexpr int kOpenAttempts = 14;
  auto backoff = [](int attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2 << attempt, 250)));
  };
  for (int attempt = 0;; ++attempt) {
    bool race_lost = false;
    Result<std::unique_ptr<Storage>> opened = OpenOnce(dir, create, read_only, &race_lost);
    // The last attempt keeps what it opened: an older state is still a consistent one.
    if (!race_lost || attempt + 1 >= kOpenAttempts) return opened;
    backoff(attempt);
  }
}

Result<std::unique_ptr<Storage>> Storage::OpenOnce(const fs::path& dir, bool create,
                                                   bool read_only, bool* race_lost) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = create;
  db_options.create_missing_column_families = create;
  db_options.error_if_exists = create;
  db_options.paranoid_checks = true;
  db_options.max_open_files = -1;  // read-only opens keep their files while a writer compacts
  db_options.keep_log_file_num = 2;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.info_log = std::make_shared<LedgerInfoLog>(dir, /*rotate=*/!read_only);
  // The column families of one ledger are flushed together, in one MANIFEST record:
  // a reader whose open races a flush sees all of it or none of it, never records
  // without the head that counts them.
  db_options.atomic_flush = true;

  const rocksdb::ColumnFamilyOptions cf_options = LedgerColumnFamilyOptions();

  const std::string path = dir.string();
  if (!create) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return Status::NotFound(
          error_code::kNotFound,
          fmt::format("{} is not a ledger: {}", path,
                      fs::exists(dir, ec) ? "it is a file, not a directory"
                                          : "no such directory"));
    }
    if (!fs::exists(dir / "CURRENT", ec)) {
      return Status::NotFound(error_code::kNotFound,
                              fmt::format("{} is not a ledger: it holds no ledger database", path));
    }
    std::vector<std::string> names;
    rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
    *race_lost = read_only && IsMissingFileRace(listed);
    RETURN_IF_ERROR(FromRocks(listed, "cannot list column families", dir));
    for (std::string_view wanted : storage::kColumnFamilies) {
      if (std::find(names.begin(), names.end(), wanted) == names.end()) {
        return Status::NotFound(
            error_code::kNotFound,
            fmt::format("{} is not a ledger: its database has no \"{}\" column family", path,
                        wanted));
      }
    }
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (std::string_view name : storage::kColumnFamilies) {
    descriptors.emplace_back(std::string(name), cf_options);
  }
  auto storage = std::unique_ptr<Storage>(new Storage());
  storage->dir_ = dir;
  storage->read_only_ = read_only;
  rocksdb::DB* db = nullptr;
  const std::optional<ManifestMark> before = read_only ? ReadManifestMark(dir) : std::nullopt;
  rocksdb::Status status =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &storage->handles_, &db)
                : rocksdb::DB::Open(db_options, path, descriptors, &storage->handles_, &db);
  *race_lost = read_only && IsMissingFileRace(status);
  RETURN_IF_ERROR(FromRocks(status, "cannot open", dir));
  storage->db_.reset(db);
  // The MANIFEST changed during the open: a flush installed meanwhile may have deleted
  // a log file before this open listed them, leaving an older (consistent) state than
  // an earlier reader saw. Storage::Open tries again.
  if (read_only && (!before || before != ReadManifestMark(dir))) *race_lost = true;
  storage->records_ = storage->handles_[1];
  storage->event_ids_ = storage->handles_[2];
  storage->streams_ = storage->handles_[3];
  storage->tree_ = storage->handles_[4];
  storage->checkpoints_ = storage->handles_[5];
  storage->snapshots_ = storage->handles_[6];
  storage->meta_ = storage->handles_[7];
  return storage;
}

Status Storage::Error(const rocksdb::Status& status, std::string_view what) const {
  return FromRocks(status, what, dir_);
}

Result<std::optional<std::string>> Storage::Get(rocksdb::ColumnFamilyHandle* cf,
                                                std::string_view key) const {
  std::string value;
  rocksdb::PinnableSlice pinned(&value);  // reads straight into `value`
  ASSIGN_OR_RETURN(bool found, GetPinned(cf, key, &pinned));
  if (!found) return std::optional<std::string>();
  if (pinned.IsPinned()) value.assign(pinned.data(), pinned.size());
  return std::optional<std::string>(std::move(value));
}

Result<bool> Storage::GetPinned(rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                                rocksdb::PinnableSlice* value) const {
  rocksdb::ReadOptions options;
  options.verify_checksums = true;
  rocksdb::Status status =
      db_->Get(options, cf, rocksdb::Slice(key.data(), key.size()), value);
  if (status.IsNotFound()) return false;
  RETURN_IF_ERROR(Error(status, fmt::format("cannot read {}", cf->GetName())));
  return true;
}

Status Storage::Write(rocksdb::WriteBatch& batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return Error(db_->Write(options, &batch), "cannot write");
}

std::unique_ptr<rocksdb::Iterator> Storage::NewIterator(rocksdb::ColumnFamilyHandle* cf,
                                                        bool bulk) const {
  rocksdb::ReadOptions options;
  options.verify_checksums = true;
  if (bulk) {
    options.fill_cache = false;
    options.readahead_size = 2 << 20;
  }
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, cf));
}

Result<Hash> StorageTree::Get(int level, uint64_t index) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   storage_.Get(storage_.tree(), storage::TreeKey(level, index)));
  if (!value) {
    return Status::NotFound(error_code::kNotFound,
                            fmt::format("tree node (level {}, index {}) is not stored", level, index));
  }
  Hash hash;
  if (value->size() != hash.size()) {
    return Status::DataLoss(
        fmt::format("tree node (level {}, index {}) has {} bytes", level, index, value->size()));
  }
  std::copy(value->begin(), value->end(), hash.begin());
  return hash;
}

}  // namespace internal

namespace {

using internal::Storage;

rocksdb::Slice SliceOf(ByteView bytes) {
  return rocksdb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
rocksdb::Slice SliceOf(std::string_view text) { return rocksdb::Slice(text.data(), text.size()); }
ByteView ViewOf(const std::string& bytes) { return AsBytes(bytes); }

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
}

bool IsValidType(std::string_view type) {
  if (type.empty() || type.size() > 128) return false;
  return std::all_of(type.begin(), type.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

bool IsValidStream(std::string_view stream) {
  if (stream.empty() || stream.size() > 256) return false;
  return std::none_of(stream.begin(), stream.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
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

// The tree as a batch sees it: its staged nodes over the stored ones.
class BatchTree final : public SubtreeStore {
 public:
  BatchTree(const std::map<std::pair<int, uint64_t>, Hash>& staged,
            const internal::StorageTree& stored)
      : staged_(staged), stored_(stored) {}
  Result<Hash> Get(int level, uint64_t index) const override {
    auto it = staged_.find({level, index});
    if (it != staged_.end()) return it->second;
    return stored_.Get(level, index);
  }

 private:
  const std::map<std::pair<int, uint64_t>, Hash>& staged_;
  const internal::StorageTree& stored_;
};

bool SameContent(const Record& record, const Entry& entry) {
  return record.type == entry.type && record.at == entry.at && record.stream == entry.stream &&
         record.payload == entry.payload;
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

Ledger::Ledger(fs::path dir, Mode mode, std::unique_ptr<internal::Storage> db)
    : dir_(std::move(dir)), mode_(mode), db_(std::move(db)), clock_(SystemNowMicros) {}

Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>> Ledger::Create(const fs::path& dir, std::string_view origin,
                                               std::string_view admin_name,
                                               const SigningKey& admin,
                                               std::function<int64_t()> now_micros) {
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
          error_code::kUsage,
          fmt::format("{} exists and is not an empty directory: a new ledger needs one",
                      dir.string()));
    }
  } else if (!fs::create_directories(dir, ec) || ec) {
    return Status::IoError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                   Storage::Open(dir, /*create=*/true, /*read_only=*/false));
  auto ledger = std::unique_ptr<Ledger>(new Ledger(dir, Mode::kReadWrite, std::move(storage)));
  ledger->origin_ = std::string(origin);
  ledger->ledger_key_ = admin.public_key();
  if (now_micros) ledger->clock_ = std::move(now_micros);

  // Genesis: the admin key enrols itself; the ledger's identity goes in the same write.
  std::unique_ptr<Batch> batch = ledger->NewBatch();
  batch->bootstrap_signer_ = std::string(admin_name);
  batch->meta_puts_ = {
      {std::string(storage::kMetaFormat), std::string(storage::kFormatVersion)},
      {std::string(storage::kMetaOrigin), std::string(origin)},
      {std::string(storage::kMetaLedgerKey),
       std::string(reinterpret_cast<const char*>(admin.public_key().data()), 32)}};
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
      return Status::IoError(
          fmt::format("cannot write {}", (dir / kLedgerPubFile).string()));
    }
  }
  RETURN_IF_ERROR(ledger->MakeCheckpoint(admin).status());
  return ledger;
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const fs::path& dir, Mode mode) {
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                   Storage::Open(dir, /*create=*/false, mode == Mode::kReadOnly));
  auto ledger = std::unique_ptr<Ledger>(new Ledger(dir, mode, std::move(storage)));
  RETURN_IF_ERROR(ledger->LoadState());
  return ledger;
}

Status Ledger::LoadState() {
  Storage& s = *db_;
  const std::string path = dir_.string();
  ASSIGN_OR_RETURN(std::optional<std::string> format, s.Get(s.meta(), storage::kMetaFormat));
  if (!format) {
    return Status::NotFound(error_code::kNotFound,
                            fmt::format("{} is not a ledger: no format version", path));
  }
  if (*format != storage::kFormatVersion) {
    // Only one format version has ever been written: any other value is damage.
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

Status Ledger::CheckWritable() const {
  if (mode_ == Mode::kReadOnly) {
    return Status::FailedPrecondition(
        error_code::kUsage, fmt::format("ledger {} is open read-only", dir_.string()));
  }
  return Status::OK();
}

int64_t Ledger::NowMicros() const { return clock_(); }

void Ledger::SetClockForTesting(std::function<int64_t()> now_micros) {
  clock_ = std::move(now_micros);
}

std::string Ledger::verifier_key() const { return VerifierKey(origin_, ledger_key_); }

// ---------------------------------------------------------------------------------
// Appending.

// The pipeline of a batch: Add() checks an entry and encodes it (PrepareRecord) on the
// caller's thread; the sealing thread writes the previous record's hash into it and
// signs it, in order (each record's signed bytes hold the hash of the previous one, so
// signing is serial: that thread does nothing else); at a Submit() mark it hands the
// sealed run to the writing thread, which computes the leaf hashes and Merkle nodes and
// makes the one synced write, while the next entries are checked and signed.
class Ledger::Batch::Pipeline {
 public:
  struct Done {
    Status status;
    Hash head{};
  };

  // `head`: the hash the first record sealed chains to.
  Pipeline(Storage& storage, const Hash& head)
      : storage_(storage), stored_(storage), head_(head), sealed_head_(head) {
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
    {
      // Writes already handed over are finished: a submitted run is never half done.
      std::lock_guard<std::mutex> lock(write_mu_);
      write_stop_ = true;
    }
    write_cv_.notify_all();
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
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [this] { return pending_ == 0; });
  }
  std::vector<Record>& open_records() { return open_; }
  const Hash& sealed_head() const { return sealed_head_; }

  // The result of the oldest write not yet taken; false if none is ready (and !wait).
  bool TakeDone(bool wait, Done* out) {
    std::unique_lock<std::mutex> lock(write_mu_);
    if (wait) done_cv_.wait(lock, [this] { return !done_.empty(); });
    if (done_.empty()) return false;
    *out = std::move(done_.front());
    done_.pop_front();
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
    std::lock_guard<std::mutex> lock(write_mu_);
    failed_ = false;
    done_.clear();
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

  void Push(Job job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      seal_in_.push_back(std::move(job));
      ++pending_;
    }
    seal_cv_.notify_one();
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
          Record r = SealPrepared(std::move(job.prepared), head, *job.key,
                                  /*with_leaf_hash=*/false);
          head = r.hash;
          open_.push_back(std::move(r));
          continue;
        }
        WriteJob write{std::move(open_), head, job.end_size, std::move(job.meta_puts)};
        open_.clear();
        {
          std::lock_guard<std::mutex> lock(write_mu_);
          write_in_.push_back(std::move(write));
        }
        write_cv_.notify_one();
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
    for (;;) {
      WriteJob job;
      bool failed;
      {
        std::unique_lock<std::mutex> lock(write_mu_);
        write_cv_.wait(lock, [this] { return write_stop_ || !write_in_.empty(); });
        if (write_in_.empty()) return;  // stopped
        job = std::move(write_in_.front());
        write_in_.pop_front();
        failed = failed_;
      }
      Done done;
      done.head = job.head;
      if (failed) {
        done.status = Status::Aborted(error_code::kVersionConflict,
                                      "an earlier write of this batch failed; nothing after it "
                                      "was written");
      } else {
        done.status = Write(job);
      }
      {
        std::lock_guard<std::mutex> lock(write_mu_);
        if (!done.status.ok()) failed_ = true;
        done_.push_back(std::move(done));
      }
      done_cv_.notify_all();
    }
  }

  // One synced write: the records, their indexes, the Merkle nodes they complete, the
  // head. The earlier runs are on disk already (writes are in order).
  Status Write(WriteJob& job) {
    std::map<std::pair<int, uint64_t>, Hash> nodes;
    for (Record& r : job.records) {
      r.leaf_hash = LeafHash(r.bytes);
      BatchTree tree(nodes, stored_);
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
    for (const Record& r : job.records) {
      const std::string seq = storage::SeqKey(r.seq);
      put(s.records(), seq, SliceOf(r.bytes));
      put(s.event_ids(), SliceOf(r.event_id), seq);
      put(s.streams(), storage::StreamKey(r.stream, r.stream_version), seq);
      if (IsKeyRecordType(r.type)) put(s.meta(), storage::KeyRecordKey(r.seq), rocksdb::Slice());
    }
    for (const auto& [at, hash] : nodes) {
      put(s.tree(), storage::TreeKey(at.first, at.second), SliceOf(ByteView(hash)));
    }
    put(s.meta(), SliceOf(storage::kMetaHead), storage::HeadValue(job.end_size, job.head));
    RETURN_IF_ERROR(s.Error(status, "cannot stage the write batch"));
    return s.Write(batch, /*sync=*/true);
  }

  Storage& storage_;
  internal::StorageTree stored_;

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

  // Writing: write_mu_ guards the queue and the results.
  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::condition_variable done_cv_;
  std::deque<WriteJob> write_in_;
  std::deque<Done> done_;
  bool failed_ = false;  // a write failed: the later ones are not attempted
  bool write_stop_ = false;

  std::thread sealer_;
  std::thread writer_;
};

Ledger::Batch::Batch(Ledger* ledger) : ledger_(ledger) { Reset(); }

Ledger::Batch::~Batch() {
  // Submitted runs are finished (their writes are under way); the rest is dropped.
  if (!in_flight_.empty()) (void)Reap(0);
  if (ledger_->writing_batch_ == this) ledger_->writing_batch_ = nullptr;
}

void Ledger::Batch::Drain() const {
  if (pipeline_ != nullptr) pipeline_->WaitSealed();
}

const Hash& Ledger::Batch::head_hash() const {
  if (pipeline_ == nullptr) return ledger_->head_;
  Drain();
  return pipeline_->sealed_head();
}

const std::vector<Record>& Ledger::Batch::staged_records() const {
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

void Ledger::Batch::Reset() {
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

Status Ledger::Batch::Reap(size_t max_in_flight) {
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

Result<Record> Ledger::Batch::Get(uint64_t seq) {
  if (seq < ledger_->size_) return ledger_->Get(seq);
  if (seq >= size_) {
    return Status::NotFound(error_code::kNotFound,
                            fmt::format("no record seq {} (the batch has {})", seq, size_));
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

Result<std::optional<uint64_t>> Ledger::Batch::FindEventId(std::string_view id) {
  auto staged = staged_ids_.find(std::string(id));
  if (staged != staged_ids_.end()) return std::optional<uint64_t>(staged->second);
  if (last_lookup_size_ == size_ && last_lookup_id_ == id) return last_lookup_seq_;
  ASSIGN_OR_RETURN(std::optional<uint64_t> seq, ledger_->FindEventId(id));
  last_lookup_id_ = std::string(id);
  last_lookup_seq_ = seq;
  last_lookup_size_ = size_;
  return seq;
}

Result<std::optional<Record>> Ledger::Batch::RecordWithEventId(const std::string& event_id) {
  ASSIGN_OR_RETURN(std::optional<uint64_t> seq, FindEventId(event_id));
  if (!seq) return std::optional<Record>();
  ASSIGN_OR_RETURN(Record record, Get(*seq));
  return std::optional<Record>(std::move(record));
}

Result<Ledger::Batch::StreamState> Ledger::Batch::StreamAt(const std::string& stream) {
  auto cached = streams_.find(stream);
  if (cached != streams_.end()) return cached->second;
  Storage& s = *ledger_->db_;
  std::string prefix = storage::StreamPrefix(stream);
  std::string last_key = storage::StreamKey(stream, std::numeric_limits<uint64_t>::max());
  std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(s.streams(), false);
  it->SeekForPrev(SliceOf(last_key));
  StreamState state;
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

Result<Appended> Ledger::Batch::Add(const Entry& entry, const SigningKey& key) {
  RETURN_IF_ERROR(ledger_->CheckWritable());
  if (!failed_.ok()) return failed_;
  if (in_flight_.empty() && staged() == 0 && meta_puts_.empty() &&
      ledger_->size_ != base_size_) {
    Reset();  // another batch committed since: the caches are stale
  }
  if (!IsValidEventId(entry.event_id)) {
    return Status::BadInput(fmt::format("event id '{}' is not 1-128 chars of [A-Za-z0-9._:/-]",
                                        entry.event_id));
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
    return Status::AlreadyExists(error_code::kEventIdConflict,
                                 fmt::format("event id '{}' was recorded at seq {} with other "
                                             "content",
                                             entry.event_id, existing->seq))
        .WithConflicts({existing->seq});
  }

  // The signer.
  std::string signer;
  if (const KeyInfo* info = registry_.FindActive(key.public_key())) {
    signer = info->name;
  } else if (registry_.empty() && !bootstrap_signer_.empty()) {
    signer = bootstrap_signer_;  // genesis: checked by the registry's bootstrap rule
  } else {
    for (const auto& [name, info] : registry_.keys()) {
      if (info.key == key.public_key() && info.revoked_seq) {
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
  fields.type = entry.type;
  fields.payload = entry.payload;
  fields.signer = std::move(signer);

  // Key records: admin role and registry rules (and the signer for any record).
  RETURN_IF_ERROR(registry_.Check(fields));

  if (entry.expected_version && *entry.expected_version != stream.count) {
    std::vector<uint64_t> conflicts;
    if (stream.last_seq) conflicts.push_back(*stream.last_seq);
    return Status::Aborted(error_code::kVersionConflict,
                           fmt::format("stream '{}' holds {} records, not the {} expected",
                                       entry.stream, stream.count, *entry.expected_version))
        .WithConflicts(std::move(conflicts));
  }

  // The signed bytes, but for the previous record's hash (known only when the sealing
  // thread gets there).
  ASSIGN_OR_RETURN(PreparedRecord prepared, PrepareRecord(std::move(fields)));
  RETURN_IF_ERROR(registry_.Apply(prepared.fields));
  // Nothing below can fail: the batch changes only now.
  const uint64_t seq = size_;
  if (pipeline_ == nullptr) {
    pipeline_ = std::make_unique<Pipeline>(*ledger_->db_, ledger_->head_);
  }
  pipeline_->Seal(std::move(prepared), &key);
  streams_[entry.stream] = StreamState{stream.count + 1, seq};
  staged_ids_[entry.event_id] = seq;
  size_ = seq + 1;
  return Appended{seq, false};
}

Status Ledger::Batch::Submit() {
  RETURN_IF_ERROR(ledger_->CheckWritable());
  if (!failed_.ok()) return failed_;
  if (!in_flight_.empty()) RETURN_IF_ERROR(Reap(in_flight_.size()));
  if (staged() == 0 && meta_puts_.empty()) return Status::OK();
  if (ledger_->writing_batch_ != nullptr && ledger_->writing_batch_ != this) {
    return Status::Aborted(error_code::kVersionConflict,
                           "another batch of this ledger is being written; nothing of this "
                           "batch was written");
  }
  if (ledger_->size_ != base_size_) {
    return Status::Aborted(error_code::kVersionConflict,
                           fmt::format("the ledger grew from {} to {} records since this batch "
                                       "began; nothing of the batch was written",
                                       base_size_, ledger_->size_));
  }
  // At most two writes in flight: a third waits for the oldest.
  constexpr size_t kMaxInFlight = 2;
  if (in_flight_.size() >= kMaxInFlight) RETURN_IF_ERROR(Reap(kMaxInFlight - 1));
  if (pipeline_ == nullptr) {
    pipeline_ = std::make_unique<Pipeline>(*ledger_->db_, ledger_->head_);
  }
  pipeline_->Close(size_, std::move(meta_puts_));
  in_flight_.push_back(InFlight{size_, registry_});
  ledger_->writing_batch_ = this;
  open_first_seq_ = size_;
  meta_puts_.clear();
  bootstrap_signer_.clear();
  return Status::OK();
}

Status Ledger::Batch::Flush() {
  RETURN_IF_ERROR(ledger_->CheckWritable());
  if (!failed_.ok()) return failed_;
  return Reap(0);
}

Status Ledger::Batch::Commit() {
  RETURN_IF_ERROR(Submit());
  return Flush();
}

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
    return Status::NotFound(error_code::kNotFound,
                            fmt::format("no record seq {} (the ledger has {})", seq, size_));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                   db_->Get(db_->records(), storage::SeqKey(seq)));
  if (!bytes) return Status::DataLoss(fmt::format("seq {}: record missing", seq));
  Result<Record> record = DecodeRecord(ViewOf(*bytes));
  if (!record.ok()) return std::move(record).TakeStatus().WithContext(fmt::format("seq {}", seq));
  if (record->seq != seq) {
    return Status::DataLoss(fmt::format("seq {}: the record stored there holds seq {}", seq,
                                        record->seq));
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
      return Status::DataLoss(fmt::format("seq {}: the record stored there holds seq {}",
                                          expected, record->seq));
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
      return Status::DataLoss(fmt::format("streams index of '{}' is malformed at version {}",
                                          stream, seqs.size()));
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
    return Status::PermissionDenied(
        fmt::format("checkpoints of {} are signed by the ledger key ({})", origin_,
                    verifier_key()));
  }
  ASSIGN_OR_RETURN(Hash root, RootAt(size_));
  Checkpoint checkpoint{origin_, size_, root, {}};
  std::string note = SignNote(FormatCheckpoint(checkpoint), origin_, key);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(db_->Error(batch.Put(db_->checkpoints(), storage::SeqKey(size_), note),
                             "cannot stage the checkpoint"));
  RETURN_IF_ERROR(db_->Write(batch, /*sync=*/true));
  return note;
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
    return Status::NotFound(error_code::kNotFound,
                            fmt::format("no checkpoint of size {} is kept", size));
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
  RETURN_IF_ERROR(db_->Error(batch.Put(db_->snapshots(), SliceOf(name), value),
                             "cannot stage the snapshot"));
  return db_->Write(batch, /*sync=*/false);
}

Result<std::optional<std::pair<uint64_t, Bytes>>> Ledger::GetSnapshot(
    std::string_view name) const {
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
