// The RocksDB adapter of a ledger directory (ledger/internal/storage.h): opening the
// database with the ledger's column families and options, reads and synced writes,
// and FromRocks, the one conversion of rocksdb::Status into our Status.
#include "ledger/internal/storage.h"

#include <fmt/format.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <system_error>

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

Result<std::unique_ptr<Storage>> Storage::Open(const fs::path& dir, bool create,
                                               bool read_only) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = create;
  db_options.create_missing_column_families = create;
  db_options.error_if_exists = create;
  db_options.paranoid_checks = true;
  db_options.max_open_files = -1;  // read-only opens keep their files while a writer compacts
  db_options.keep_log_file_num = 2;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

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
    RETURN_IF_ERROR(FromRocks(rocksdb::DB::ListColumnFamilies(db_options, path, &names),
                              "cannot list column families", dir));
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
  rocksdb::Status status =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &storage->handles_, &db)
                : rocksdb::DB::Open(db_options, path, descriptors, &storage->handles_, &db);
  RETURN_IF_ERROR(FromRocks(status, "cannot open", dir));
  storage->db_.reset(db);
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

}  // namespace esms::ledger
