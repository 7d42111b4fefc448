// Builders of programme events as JSON (INTERFACE.md §1), for tests: realistic data with
// valid FINESS / SIRET numbers, each builder's defaults a valid event in Bretagne
// (region 53), OG Ej(1) with 20 ESSMS in all (not a small OG). Tests change a field
// of the returned object to reach a boundary.
//
// Thread-safety: pure functions.
#ifndef ESMS_TESTS_TESTING_EVENTS_H_
#define ESMS_TESTS_TESTING_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace esms::testing {

using nlohmann::json;

json Solution(const std::string& product = "Dossier", const std::string& vendor = "Editeur A",
              const std::string& version = "5");

// An establishment of OG Ej(1), named "ESSMS <finess>", in region 11 when its FINESS
// is Parisian (75...), else 53.
json Establishment(const std::string& finess, const std::string& situation = "acquisition");

// A project.submitted of OG Ej(1) for `establishments`, each in `situation`; kind
// "usage" for upgrades, else "acquisition".
json Submission(const std::string& project, const std::vector<std::string>& establishments,
                const std::string& campaign = "generalisation-2024",
                const std::string& situation = "acquisition",
                const std::string& submitted_at = "2024-03-10");

// A grappe.extended adding `ests` (acquisitions of OG 1, region 53) to `project`.
json Extension(const std::string& project, const std::vector<std::string>& ests, bool agreement,
               const std::string& at = "2024-09-01");

// A quarter's usage.measured: every rate at 100 % except the active files rate,
// active_files / persons.
json Measurement(const std::string& finess, int64_t persons, int64_t active_files,
                 const std::string& start = "2025-07-01", const std::string& end = "2025-09-30");
// The same over [start, end]; by default meeting every target (95 % active files).
json Measurement(const std::string& finess, const std::string& start, const std::string& end,
                 int64_t persons = 100, int64_t active_files = 95);

// The usage commitments an amorçage file announces (001 §3, required): rates 90 / 80 / 80 %,
// 300 MSSanté messages, 200 DMP documents (those of DOMAIN.md §5's worked example).
json AmorcageCommitments();
// An amorçage 2021 acquisition grappe of `ogs` OGs (10 ESSMS each) and `esms` ESMS
// Et(first)... spread over them.
json Amorcage(const std::string& project, int ogs, int esms, int first);
// A project.selected at `at`.
json Selected(const std::string& project, const std::string& at = "2024-04-15");
// A convention.signed for `ests`.
json Convention(const std::string& project, const std::vector<std::string>& ests, int64_t cents,
                const std::string& signed_at = "2024-06-01", int duration = 18);
// A payment.issued of `tranche` ("advance", "balance", ...).
json Payment(const std::string& project, const std::string& tranche, int64_t cents,
             const std::string& paid_at);
// An expenses.certified by a public accountant.
json Expenses(const std::string& project, int64_t total, int64_t equipment,
              const std::string& at = "2025-09-01");
// A sons.ordered for `finess`, validated at `validated_at` when not empty.
json SonsOrder(const std::string& finess, const json& solution,
               const std::string& validated_at = "");
// A finess.changed.
json FinessChange(const std::string& from, const std::string& to, const std::string& kind,
                  const std::string& at);

// One JSON line, "\n" included.
std::string Line(const std::string& id, const std::string& type, const std::string& at,
                 const json& data);

}  // namespace esms::testing

#endif  // ESMS_TESTS_TESTING_EVENTS_H_
