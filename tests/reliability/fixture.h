// Shared by the reliability suite (tests that try to break the ledger): event data
// builders, a child runner with resource limits (RLIMIT_FSIZE, another uid), a ledger
// with one key per role built through the real program, and direct access to the
// ledger's RocksDB for damaging it.
//
// Thread-safety: test helpers; a fixture object is used by one test thread.
#ifndef ESMS_TESTS_RELIABILITY_FIXTURE_H_
#define ESMS_TESTS_RELIABILITY_FIXTURE_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/cli/harness.h"
#include "tests/cli/test_data.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace esms::testing {

using nlohmann::json;

// Valid identifiers (WithLuhnKey, Et, EtIdf, Ej) and SolutionLines: tests/cli/test_data.h.

// ---- Event data (INTERFACE.md §1) ----
json Solution(const std::string& product = "Dossier", const std::string& vendor = "Editeur A",
              const std::string& version = "5");
json Establishment(const std::string& finess, const std::string& situation = "acquisition");
json Submission(const std::string& project, const std::vector<std::string>& establishments);
json Measurement(const std::string& finess, int64_t persons, int64_t active_files);
// One JSON line.
std::string Line(const std::string& id, const std::string& type, const std::string& at,
                 const json& data);

// ---- Running the program with limits ----
struct Limits {
  std::optional<uint64_t> file_size;  // RLIMIT_FSIZE in bytes; SIGXFSZ ignored (EFBIG)
  bool as_nobody = false;             // when run by root: setuid/setgid 65534 first
};
CliResult RunCliWith(const std::vector<std::string>& args, const std::string& stdin_text,
                     const Limits& limits);

// ---- A ledger with one key per role ----
// Keys: admin (genesis), and the `grants` given (name -> roles, regions), enrolled by
// the admin in one import. Each is a PEM file named <name>.pem in the directory.
struct Grant {
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> regions;
};
class KeyedLedger {
 public:
  // Builds it under `dir` (ledger at dir/ledger.db); ok() says whether it worked,
  // error() why not.
  KeyedLedger(const std::filesystem::path& dir, const std::vector<Grant>& grants);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& ledger() const { return ledger_; }
  std::string KeyFile(const std::string& name) const;
  std::string PublicKey(const std::string& name) const { return public_keys_.at(name); }
  uint64_t EnrolledSeq(const std::string& name) const { return enrolled_seq_.at(name); }

  // Runs a command on this ledger (--ledger appended).
  CliResult Run(std::vector<std::string> args, const std::string& in = "") const;
  // `import - --json --key <name>.pem` of `lines`.
  CliResult Import(const std::string& signer, const std::string& lines) const;
  // The last result object of an import's JSON output (or the {"error"} object).
  static json LastResult(const CliResult& r);
  // "size N root R" from `verify --json`, or "verify failed: ..." .
  std::string Fingerprint() const;

 private:
  std::filesystem::path dir_;
  std::string ledger_;
  std::string error_;
  std::map<std::string, std::string> public_keys_;
  std::map<std::string, uint64_t> enrolled_seq_;
};

// ---- The ledger's RocksDB, opened directly (the ledger must be closed) ----
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& dir);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  bool ok() const { return db_ != nullptr; }

  std::optional<std::string> Get(std::string_view family, const std::string& key);
  void Put(std::string_view family, const std::string& key, const std::string& value);
  void Delete(std::string_view family, const std::string& key);
  // Every key of a column family, in order.
  std::vector<std::string> Keys(std::string_view family);

 private:
  rocksdb::ColumnFamilyHandle* Family(std::string_view name);
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace esms::testing

#endif  // ESMS_TESTS_RELIABILITY_FIXTURE_H_
