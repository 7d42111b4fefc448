// Private to ledger/: the RocksDB handles of one ledger directory, and the one adapter
// from rocksdb::Status to our Status (FromRocks). Nothing outside ledger/*.cc sees a
// RocksDB type.
//
// Thread-safety: RocksDB reads and writes are thread-safe; a Storage is used under the
// Ledger's contract (see ledger/ledger.h).
#ifndef ESMS_LEDGER_INTERNAL_STORAGE_H_
#define ESMS_LEDGER_INTERNAL_STORAGE_H_

#include <rocksdb/db.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"

namespace esms::ledger::internal {

// lock held -> Unavailable (LEDGER_LOCKED); corruption -> DataLoss; else IoError.
Status FromRocks(const rocksdb::Status& status, std::string_view what,
                 const std::filesystem::path& dir);

class Storage {
 public:
  // `create`: a new database (the directory must be empty); else an existing one with
  // all the ledger's column families (NotFound otherwise). `read_only` takes no lock.
  // A read-only open that races the writer (files deleted under it) tries again.
  static Result<std::unique_ptr<Storage>> Open(const std::filesystem::path& dir, bool create,
                                               bool read_only);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Status Error(const rocksdb::Status& status, std::string_view what) const;
  // The value, or nullopt when the key is absent (checksums verified).
  Result<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* cf,
                                         std::string_view key) const;
  // The same into a pinned slice (no copy out of the block it is in): true when found.
  Result<bool> GetPinned(rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                         rocksdb::PinnableSlice* value) const;
  Status Write(rocksdb::WriteBatch& batch, bool sync);
  // A large write made durable without the write-ahead log: the batch goes to the
  // memtables only, then every column family is flushed to table files in one atomic
  // flush (atomic_flush): after a crash the database holds all of it or none of it.
  // For a mirror's copy (ledger/replica.cc), whose one write can be 100 MB: the log's
  // copy and its sync are saved. The writer must be the only one (no other write may
  // be in the memtables unlogged).
  Status WriteUnloggedAndFlush(rocksdb::WriteBatch& batch);
  // Starts flushing every memtable to table files and returns at once (best effort: the
  // close flushes and waits in any case). No effect when read-only.
  void StartFlush();
  // `bulk`: a long sequential read (no block cache fill, readahead). A bulk reader may
  // hold a ScanPerfOff on its thread.
  std::unique_ptr<rocksdb::Iterator> NewIterator(rocksdb::ColumnFamilyHandle* cf, bool bulk) const;

  rocksdb::ColumnFamilyHandle* records() const { return records_; }
  rocksdb::ColumnFamilyHandle* event_ids() const { return event_ids_; }
  rocksdb::ColumnFamilyHandle* streams() const { return streams_; }
  rocksdb::ColumnFamilyHandle* tree() const { return tree_; }
  rocksdb::ColumnFamilyHandle* checkpoints() const { return checkpoints_; }
  rocksdb::ColumnFamilyHandle* snapshots() const { return snapshots_; }
  rocksdb::ColumnFamilyHandle* meta() const { return meta_; }
  const std::filesystem::path& dir() const { return dir_; }
  // The database itself, for what the accessors above do not cover (ledger/backup.cc:
  // RocksDB's Checkpoint).
  rocksdb::DB* db() const { return db_.get(); }

 private:
  // One attempt; `*race_lost`: it failed because a file it read was deleted meanwhile,
  // or (read-only) it opened while the writer changed the MANIFEST: try again.
  static Result<std::unique_ptr<Storage>> OpenOnce(const std::filesystem::path& dir, bool create,
                                                   bool read_only, bool* race_lost);
  Storage() = default;

  std::filesystem::path dir_;
  bool read_only_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, then kColumnFamilies
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  rocksdb::ColumnFamilyHandle* event_ids_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* tree_ = nullptr;
  rocksdb::ColumnFamilyHandle* checkpoints_ = nullptr;
  rocksdb::ColumnFamilyHandle* snapshots_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
};

// The options of every column family of a ledger (table format, block size,
// compression): Storage::Open's; the benchmark compacts with them, tests compare.
rocksdb::ColumnFamilyOptions LedgerColumnFamilyOptions();
// Every column family of a ledger (the default one first, then storage::kColumnFamilies),
// each with those options and its own memtable options (memory only): what Storage::Open
// opens; the benchmark opens a ledger's database with them.
std::vector<rocksdb::ColumnFamilyDescriptor> LedgerColumnFamilyDescriptors();

// One record of a write, with what the ledger's column families index it by.
struct RecordPut {
  ByteView bytes;
  uint64_t seq = 0;
  std::string_view event_id;
  std::string_view stream;
  uint64_t stream_version = 0;
  bool key_record = false;  // key.enrolled / key.revoked: marked in meta
};
// Puts the records of one write into `batch`: each record under its seq, its event_ids and
// streams entries in key order (the memtable's insert hint of those column families,
// LedgerColumnFamilyDescriptors: each goes a few nodes after the one before instead of a search
// from the skip list's top), and the key records' marks. A ledger's write (batch.cc) and
// a mirror's (replica.cc).
rocksdb::Status PutRecords(Storage& storage, const std::vector<RecordPut>& records,
                           rocksdb::WriteBatch& batch);

// For the lifetime of the object, RocksDB keeps no perf counters on this thread (its
// default counts every iterator step in thread-local storage: about 3% of a full
// verify, measured). The thread's level is restored after.
class ScanPerfOff {
 public:
  ScanPerfOff() : saved_(rocksdb::GetPerfLevel()) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  }
  ~ScanPerfOff() { rocksdb::SetPerfLevel(saved_); }
  ScanPerfOff(const ScanPerfOff&) = delete;
  ScanPerfOff& operator=(const ScanPerfOff&) = delete;

 private:
  rocksdb::PerfLevel saved_;
};

// Bytes and text as RocksDB slices (no copy; valid as long as what they view).
inline rocksdb::Slice SliceOf(ByteView bytes) {
  return rocksdb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
inline rocksdb::Slice SliceOf(std::string_view text) {
  return rocksdb::Slice(text.data(), text.size());
}

// The stored tree as a SubtreeStore.
class StorageTree final : public SubtreeStore {
 public:
  explicit StorageTree(const Storage& storage) : storage_(storage) {}
  Result<Hash> Get(int level, uint64_t index) const override;

 private:
  const Storage& storage_;
};

}  // namespace esms::ledger::internal

#endif  // ESMS_LEDGER_INTERNAL_STORAGE_H_
