// The RocksDB adapter of a ledger directory (ledger/internal/storage.h): opening the
// database with the ledger's column families and options, reads and synced writes,
// and FromRocks, the one conversion of rocksdb::Status into our Status.
#include "ledger/internal/storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <optional>
#include <system_error>
#include <thread>

#include "ledger/internal/storage_keys.h"

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
  if (status.IsIOError() && (detail.find("While lock file") != std::string::npos ||
                             detail.find("lock hold by current process") != std::string::npos ||
                             detail.find("Resource temporarily unavailable") != std::string::npos ||
                             detail.find("No locks available") != std::string::npos)) {
    return Status::Unavailable(fmt::format("ledger {} is locked by another process", dir.string()));
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
    (void)db_->Flush(flush, handles_);
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
  const bool lz4 =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end();
  options.compression = lz4 ? rocksdb::kLZ4Compression : rocksdb::kSnappyCompression;
  // Block size and compression are recorded in each table file: ledgers written with
  // other ones (Snappy and 4 KB before this choice) read the same.
  return options;
}

namespace {
rocksdb::ColumnFamilyOptions LedgerMemtableOptions(std::string_view cf,
                                                   rocksdb::ColumnFamilyOptions base) {
  // event_ids: a Bloom filter of the memtable's whole keys (in memory only; nothing on
  // disk changes): an import looks up every new event id (idempotency), almost always
  // absent, and the lookup then skips the memtable's skip list, 85% of its cost
  // (callgrind: 8 500 of 10 100 instructions per record, BENCHMARKS.md). Only there: the
  // filter takes 2% of the write buffer (1.3 MB), zeroed whenever a memtable is made,
  // and the other column families are read by seeks or by keys mostly present.
  if (cf == storage::kEventIds) {
    base.memtable_whole_key_filtering = true;
    base.memtable_prefix_bloom_size_ratio = 0.02;
  }
  // event_ids, streams: the entries of one write arrive sorted (batch.cc), so each is
  // inserted into the memtable's skip list starting from where the one before went (one
  // hint for the whole column family: a prefix of 0 bytes) instead of from its top. In
  // memory only: nothing on disk depends on it.
  if (cf == storage::kEventIds || cf == storage::kStreams) {
    base.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  }
  return base;
}
}  // namespace

std::vector<rocksdb::ColumnFamilyDescriptor> LedgerColumnFamilyDescriptors() {
  const rocksdb::ColumnFamilyOptions options = LedgerColumnFamilyOptions();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, options);
  for (std::string_view name : storage::kColumnFamilies) {
    descriptors.emplace_back(std::string(name), LedgerMemtableOptions(name, options));
  }
  return descriptors;
}

rocksdb::Status PutRecords(Storage& s, const std::vector<RecordPut>& records,
                           rocksdb::WriteBatch& batch) {
  const size_t n = records.size();
  std::vector<std::string> seqs(n), stream_keys(n);  // sized once: the views below stay valid
  std::vector<std::pair<std::string_view, std::string_view>> event_ids(n), streams(n);
  rocksdb::Status status;
  auto put = [&](rocksdb::ColumnFamilyHandle* cf, rocksdb::Slice key, rocksdb::Slice value) {
    if (status.ok()) status = batch.Put(cf, key, value);
  };
  for (size_t i = 0; i < n; ++i) {
    const RecordPut& r = records[i];
    seqs[i] = storage::SeqKey(r.seq);
    stream_keys[i] = storage::StreamKey(r.stream, r.stream_version);
    put(s.records(), seqs[i], SliceOf(r.bytes));
    event_ids[i] = {r.event_id, seqs[i]};
    streams[i] = {stream_keys[i], seqs[i]};
    if (r.key_record) put(s.meta(), storage::KeyRecordKey(r.seq), rocksdb::Slice());
  }
  std::sort(event_ids.begin(), event_ids.end());
  std::sort(streams.begin(), streams.end());
  for (const auto& [key, value] : event_ids) put(s.event_ids(), SliceOf(key), SliceOf(value));
  for (const auto& [key, value] : streams) put(s.streams(), SliceOf(key), SliceOf(value));
  return status;
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
  for (std::string_view sign :
       {"No such file or directory", "Can't access", "non-existent file", "does not exist"}) {
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

Result<std::unique_ptr<Storage>> Storage::Open(const fs::path& dir, bool create, bool read_only) {
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

Result<std::unique_ptr<Storage>> Storage::OpenOnce(const fs::path& dir, bool create, bool read_only,
                                                   bool* race_lost) {
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

  const std::string path = dir.string();
  if (!create) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return Status::NotFound(
          fmt::format("{} is not a ledger: {}", path,
                      fs::exists(dir, ec) ? "it is a file, not a directory" : "no such directory"));
    }
    if (!fs::exists(dir / "CURRENT", ec)) {
      return Status::NotFound(fmt::format("{} is not a ledger: it holds no ledger database", path));
    }
    std::vector<std::string> names;
    rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
    *race_lost = read_only && IsMissingFileRace(listed);
    RETURN_IF_ERROR(FromRocks(listed, "cannot list column families", dir));
    for (std::string_view wanted : storage::kColumnFamilies) {
      if (std::find(names.begin(), names.end(), wanted) == names.end()) {
        return Status::NotFound(fmt::format(
            "{} is not a ledger: its database has no \"{}\" column family", path, wanted));
      }
    }
  }

  const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = LedgerColumnFamilyDescriptors();
  auto storage = std::unique_ptr<Storage>(new Storage());
  storage->dir_ = dir;
  storage->read_only_ = read_only;
  rocksdb::DB* db = nullptr;
  const std::optional<ManifestMark> before = read_only ? ReadManifestMark(dir) : std::nullopt;
  rocksdb::Status status =
      read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &storage->handles_, &db)
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
  rocksdb::Status status = db_->Get(options, cf, rocksdb::Slice(key.data(), key.size()), value);
  if (status.IsNotFound()) return false;
  RETURN_IF_ERROR(Error(status, fmt::format("cannot read {}", cf->GetName())));
  return true;
}

Status Storage::Write(rocksdb::WriteBatch& batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return Error(db_->Write(options, &batch), "cannot write");
}

Status Storage::WriteUnloggedAndFlush(rocksdb::WriteBatch& batch) {
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  RETURN_IF_ERROR(Error(db_->Write(options, &batch), "cannot write"));
  rocksdb::FlushOptions flush;
  flush.wait = true;
  return Error(db_->Flush(flush, handles_), "cannot flush");
}

void Storage::StartFlush() {
  if (read_only_) return;
  rocksdb::FlushOptions flush;
  flush.wait = false;
  flush.allow_write_stall = true;
  (void)db_->Flush(flush, handles_);
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
    return Status::NotFound(
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

}  // namespace esms::ledger
