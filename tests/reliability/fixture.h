// Shared by the reliability suite (tests that try to break the ledger): a child runner
// with resource limits (RLIMIT_FSIZE, another uid) and a ledger with one key per role
// built through the program's commands. Event builders, identifiers and direct access
// to the ledger's RocksDB: tests/testing/.
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

#include "tests/testing/cli.h"
#include "tests/testing/events.h"
#include "tests/testing/ids.h"
#include "tests/testing/raw_db.h"

namespace esms::testing {

using nlohmann::json;

// How many rounds a loop that repeats one scenario at random moments (SIGKILLs, readers
// racing writers) runs, for a full count of `count`. CI runs every suite twice
// (.ci/run): built by gcc at -O2, where these loops run their full count, and under
// ASan + UBSan (.ci/sanitize; ThreadSanitizer too, .ci/tsan: ESMS_TESTS_SANITIZED), where
// the program runs three to four times slower and the loops run a third of it: there
// their purpose is that the sanitizers see each path a round takes (recovery after a
// kill, a reader's retry), which a third of the rounds does, not the number of random
// moments.
// One round (or value: TamperCfTest) of every kSanitizedShare runs under the sanitizers.
#ifdef ESMS_TESTS_SANITIZED
inline constexpr int kSanitizedShare = 3;
#else
inline constexpr int kSanitizedShare = 1;
#endif
constexpr int Repetitions(int count) {
  return count / kSanitizedShare > 0 ? count / kSanitizedShare : 1;
}

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

}  // namespace esms::testing

#endif  // ESMS_TESTS_RELIABILITY_FIXTURE_H_
