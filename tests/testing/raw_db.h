// A ledger's RocksDB opened directly, for damaging it in tamper tests in the manner of
// LevelDB's db/log_test.cc: the same column families (ledger/internal/storage_keys.h),
// opened with the ledger's table options (LedgerColumnFamilyOptions) unless asked for
// RocksDB's defaults. The ledger must be closed while a RawDb is open.
//
// Failed RocksDB calls fail the current test (gtest) and return nothing.
//
// Thread-safety: one thread.
#ifndef ESMS_TESTS_TESTING_RAW_DB_H_
#define ESMS_TESTS_TESTING_RAW_DB_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace esms::testing {

class RawDb {
 public:
  // kLedger: the ledger's table options; kRocksDbDefaults: RocksDB's own (Snappy), the
  // tables of a ledger written before the ledger chose its options.
  enum class Tables { kLedger, kRocksDbDefaults };

  explicit RawDb(const std::filesystem::path& dir, Tables tables = Tables::kLedger);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  bool ok() const { return db_ != nullptr; }

  // The value under `key`, or nothing when there is none.
  std::optional<std::string> Get(std::string_view family, const std::string& key);
  // The value under `key`; fails the test when there is none.
  std::string Value(std::string_view family, const std::string& key);
  void Put(std::string_view family, const std::string& key, const std::string& value);
  void Delete(std::string_view family, const std::string& key);
  // Every key of a column family, in order.
  std::vector<std::string> Keys(std::string_view family);

  // The stored bytes of record `seq`, and their replacement.
  std::string Record(uint64_t seq);
  void PutRecord(uint64_t seq, const std::string& bytes);

  // The compression of each table file of a family ("LZ4", "Snappy", ...).
  std::vector<std::string> TableCompressions(std::string_view family);
  // Rewrites every table of every family with this handle's options.
  void CompactAll();
  // Flushes the records family to an SST file and returns its path.
  std::filesystem::path FlushRecords();

 private:
  rocksdb::ColumnFamilyHandle* Family(std::string_view name);

  std::filesystem::path dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, then kColumnFamilies
};

}  // namespace esms::testing

#endif  // ESMS_TESTS_TESTING_RAW_DB_H_
