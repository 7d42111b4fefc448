#include "tests/testing/ids.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "domain/finess.h"

namespace esms::testing {

std::string WithLuhnKey(const std::string& prefix) {
  for (char c = '0'; c <= '9'; ++c) {
    if (domain::LuhnValid(prefix + c)) return prefix + c;
  }
  return "";
}

std::string Et(int n) { return WithLuhnKey(fmt::format("3500{:04}", n)); }
std::string EtIdf(int n) { return WithLuhnKey(fmt::format("7500{:04}", n)); }
std::string Ej(int n) { return WithLuhnKey(fmt::format("3509{:04}", n)); }

std::string MakeFiness(const std::string& prefix8) {
  for (char c = '0'; c <= '9'; ++c) {
    std::string text = prefix8 + c;
    if (domain::Finess::Parse(text).ok()) return text;
  }
  ADD_FAILURE() << "no FINESS key for " << prefix8;
  return "";
}

std::string MakeSiret(const std::string& prefix13) {
  for (char c = '0'; c <= '9'; ++c) {
    std::string text = prefix13 + c;
    if (domain::Siret::Parse(text).ok()) return text;
  }
  ADD_FAILURE() << "no SIRET key for " << prefix13;
  return "";
}

std::string SolutionLines(int count, int first) {
  std::string out;
  for (int i = first; i < first + count; ++i) {
    out += fmt::format(
        R"({{"id": "sol-{}", "type": "solution.referenced", "at": "2023-02-01", "data": )"
        R"({{"solution": {{"vendor": "Editeur {}", "product": "DUI", "version": "{}.0"}}, )"
        R"("corridor": "medico-social", "status": "referenced", "referencedAt": "2023-02-01"}}}})"
        "\n",
        i, i % 7, i);
  }
  return out;
}

}  // namespace esms::testing
