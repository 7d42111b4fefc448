#include "tests/cli/test_data.h"

#include <fmt/format.h>

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
