// Ledgers for the federation suites (the federated report over directories and over
// servers): a second ledger that counts an establishment another one counts.
#ifndef ESMS_TESTS_TESTING_FEDERATION_H_
#define ESMS_TESTS_TESTING_FEDERATION_H_

#include <filesystem>
#include <string>

namespace esms::testing {

// Makes the ledger `ledger` (origin dup.example/esms) with its admin and an instructor
// (region 53) enrolled, their keys made in `keys_dir` (dup-admin.pem, dup-instr.pem), and
// `more_keys` (key.enrolled lines, JSON Lines) enrolled beside them; the instructor then
// records a measurement at `at` of the first establishment that `counted`'s active-DUI
// report at `at` counts: a federation of both ledgers counts it twice (DUPLICATE_FINESS).
// Returns that FINESS; a failed step fails the test and returns "".
std::string MakeDuplicateLedger(const std::filesystem::path& keys_dir, const std::string& ledger,
                                const std::string& counted, const std::string& at,
                                const std::string& more_keys = "");

}  // namespace esms::testing

#endif  // ESMS_TESTS_TESTING_FEDERATION_H_
