// Test data shared by the CLI and reliability suites: valid FINESS / SIRET numbers
// (DOMAIN.md §0: a Luhn key over all the digits) and ready-made JSON event lines.
//
// Thread-safety: pure functions.
#ifndef ESMS_TESTS_CLI_TEST_DATA_H_
#define ESMS_TESTS_CLI_TEST_DATA_H_

#include <string>

namespace esms::testing {

// `prefix` followed by the digit that makes the whole number Luhn-valid.
std::string WithLuhnKey(const std::string& prefix);
// Bretagne (département 35, region 53) establishment `n`.
std::string Et(int n);
// Île-de-France (département 75, region 11) establishment `n`.
std::string EtIdf(int n);
// A Bretagne OG (FINESS juridique) `n`.
std::string Ej(int n);

// `count` solution.referenced event lines with ids sol-<first>... (each ends with "\n"):
// events any national-role key may sign, for tests of the ledger itself.
std::string SolutionLines(int count, int first = 0);

}  // namespace esms::testing

#endif  // ESMS_TESTS_CLI_TEST_DATA_H_
