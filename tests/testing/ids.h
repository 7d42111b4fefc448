// Valid identifiers for tests: FINESS and SIRET numbers (DOMAIN.md §0: a Luhn key over
// all the digits), and ready-made JSON event lines for tests of the ledger itself.
//
// Thread-safety: pure functions.
#ifndef ESMS_TESTS_TESTING_IDS_H_
#define ESMS_TESTS_TESTING_IDS_H_

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
// A valid FINESS made of `prefix8` (8 characters, "2A"/"2B" for Corsica) and its key,
// as domain::Finess::Parse accepts it; fails the current test when there is none.
std::string MakeFiness(const std::string& prefix8);
// A valid SIRET made of `prefix13` and its Luhn key (domain::Siret::Parse).
std::string MakeSiret(const std::string& prefix13);

// `count` solution.referenced event lines with ids sol-<first>... (each ends with "\n"):
// events any national-role key may sign, for tests of the ledger itself.
std::string SolutionLines(int count, int first = 0);

}  // namespace esms::testing

#endif  // ESMS_TESTS_TESTING_IDS_H_
