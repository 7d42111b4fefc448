#include "tests/testing/raw_db.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>
#include <rocksdb/table_properties.h>

#include "ledger/internal/storage.h"
#include "ledger/internal/storage_keys.h"

namespace esms::testing {

namespace storage = ledger::storage;

RawDb::RawDb(const std::filesystem::path& dir, Tables tables) : dir_(dir) {
  const rocksdb::ColumnFamilyOptions options = tables == Tables::kLedger
                                                   ? ledger::internal::LedgerColumnFamilyOptions()
                                                   : rocksdb::ColumnFamilyOptions();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, options);
  for (std::string_view name : storage::kColumnFamilies) {
    descriptors.emplace_back(std::string(name), options);
  }
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(rocksdb::DBOptions(), dir.string(), descriptors, &handles_, &db);
  EXPECT_TRUE(s.ok()) << dir << ": " << s.ToString();
  db_.reset(s.ok() ? db : nullptr);
}

RawDb::~RawDb() {
  if (db_ == nullptr) return;
  for (auto* handle : handles_) (void)db_->DestroyColumnFamilyHandle(handle);
  (void)db_->Close();
}

rocksdb::ColumnFamilyHandle* RawDb::Family(std::string_view name) {
  for (size_t i = 0; i < storage::kColumnFamilies.size(); ++i) {
    if (storage::kColumnFamilies[i] == name) return handles_[i + 1];
  }
  ADD_FAILURE() << "no column family " << name;
  return nullptr;
}

std::optional<std::string> RawDb::Get(std::string_view family, const std::string& key) {
  if (!ok()) return std::nullopt;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Family(family), key, &value);
  if (!s.ok()) return std::nullopt;
  return value;
}

std::string RawDb::Value(std::string_view family, const std::string& key) {
  std::optional<std::string> value = Get(family, key);
  EXPECT_TRUE(value.has_value()) << "no key " << key << " in " << family;
  return value.value_or("");
}

void RawDb::Put(std::string_view family, const std::string& key, const std::string& value) {
  ASSERT_TRUE(ok());
  rocksdb::WriteOptions w;
  w.sync = true;
  rocksdb::Status s = db_->Put(w, Family(family), key, value);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

void RawDb::Delete(std::string_view family, const std::string& key) {
  ASSERT_TRUE(ok());
  rocksdb::WriteOptions w;
  w.sync = true;
  rocksdb::Status s = db_->Delete(w, Family(family), key);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

std::vector<std::string> RawDb::Keys(std::string_view family) {
  std::vector<std::string> keys;
  if (!ok()) return keys;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Family(family)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
  return keys;
}

std::string RawDb::Record(uint64_t seq) { return Value(storage::kRecords, storage::SeqKey(seq)); }

void RawDb::PutRecord(uint64_t seq, const std::string& bytes) {
  Put(storage::kRecords, storage::SeqKey(seq), bytes);
}

std::vector<std::string> RawDb::TableCompressions(std::string_view family) {
  std::vector<std::string> names;
  if (!ok()) return names;
  rocksdb::TablePropertiesCollection tables;
  EXPECT_TRUE(db_->GetPropertiesOfAllTables(Family(family), &tables).ok());
  for (const auto& [file, properties] : tables) names.push_back(properties->compression_name);
  return names;
}

void RawDb::CompactAll() {
  ASSERT_TRUE(ok());
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* handle : handles_) {
    EXPECT_TRUE(db_->CompactRange(options, handle, nullptr, nullptr).ok());
  }
}

std::filesystem::path RawDb::FlushRecords() {
  if (!ok()) return {};
  EXPECT_TRUE(db_->Flush(rocksdb::FlushOptions(), Family(storage::kRecords)).ok());
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  for (const auto& file : files) {
    if (file.column_family_name == storage::kRecords) {
      return dir_ / std::filesystem::path(file.name).filename();
    }
  }
  ADD_FAILURE() << "no SST file for records";
  return {};
}

}  // namespace esms::testing
