// The read side of the projections, for the `state`, `check` and `history` commands
// (INTERFACE.md §2, §3): typed results, their JSON (exact §3 field names) and a human
// text rendering. The CLI only prints them.
//
// Thread-safety: pure functions over a state (and a ledger, for history) that is not
// being modified during the call.
#ifndef ESMS_PROJECTIONS_QUERIES_H_
#define ESMS_PROJECTIONS_QUERIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/date.h"
#include "ledger/ledger.h"
#include "projections/rules.h"
#include "projections/state.h"

namespace esms::projections {

// ---- state PROJECT ----
struct EstablishmentView {
  std::string finess;          // as listed
  std::string current_finess;  // followed through FINESS changes
  int rank = 0;
  std::string situation;
  int64_t entitlement_cents = 0;
  bool in_convention = false;
};
struct PaymentView {
  uint64_t seq = 0;
  std::string tranche;
  int64_t amount_cents = 0;
  std::string paid_at;
  // A complément de grappe's payment: the region whose ARS paid it (else empty).
  std::string paying_region;
};
struct ProjectView {
  std::string project;
  std::string campaign;
  std::string status;
  std::string lead_region;  // INSEE code (DOMAIN.md §2)
  std::vector<EstablishmentView> establishments;
  int64_t entitlement_cents = 0;
  int64_t convention_cents = 0;  // 0 without a convention
  int64_t paid_cents = 0;
  std::vector<PaymentView> payments;
  std::vector<Warning> warnings;
};
// The signers of the ledger's records, for NOT_LEAD_REGION (`ledger` outlives it).
SignerLookup LedgerSigners(const ledger::Ledger& ledger);

// NotFound (UNKNOWN_PROJECT) for an unknown project. With `as_of`, a 2025 project
// past its convention's end with no qualifying period shows `lapsed` (IsLapsed,
// projections/deadlines.h); without, the status the records alone give. With
// `signer_of`, the warnings include NOT_LEAD_REGION (LeadRegionWarnings).
Result<ProjectView> ViewProject(const ProgrammeState& state, std::string_view project,
                                std::optional<domain::Date> as_of = std::nullopt,
                                const SignerLookup& signer_of = {});
// {"project", "campaign", "status", "establishments": [{"finess", "rank", "situation",
// "entitlementCents", "currentFiness", "inConvention"}], "entitlementCents",
// "conventionCents", "paidCents", "payments": [...], "warnings": [{"code", "message",
// "seqs"}]}.
std::string ToJson(const ProjectView& view);
std::string ToText(const ProjectView& view);

// ---- check PROJECT [--at DATE] ----
struct Condition {
  std::string code;  // CONVENTION_SIGNED, PREVIOUS_TRANCHE_PAID, NO_CUMULATION,
                     // EXPENSE_PROOF, EQUIPMENT_WITHIN_EXPENSE, USAGE_TARGETS_MET,
                     // TRANCHE_OUTSTANDING, COMPLEMENT_IN_CONVENTION
  bool met = false;
  std::vector<uint64_t> evidence;
  std::string detail;
};
struct TrancheCheck {
  std::string tranche;
  // Empty for the project's own tranches; a complément de grappe's tranches name the
  // region whose ARS pays them (projections/complement.h; JSON "payingRegion").
  std::string paying_region;
  bool payable = false;
  int64_t amount_cents = 0;  // what remains payable of the tranche's share
  std::vector<Condition> conditions;
};
struct CheckReport {
  std::string project;
  domain::Date at;
  std::vector<TrancheCheck> tranches;
  std::vector<Warning> warnings;
};
// Each tranche of the project's campaign, each of its conditions as of `at` (only
// records whose business dates are on or before `at` count as evidence).
// NotFound (UNKNOWN_PROJECT) for an unknown project.
Result<CheckReport> CheckProject(const ProgrammeState& state, std::string_view project,
                                 domain::Date at, const SignerLookup& signer_of = {});
// {"project", "at", "tranches": [{"tranche", "payable", "amountCents", "conditions":
// [{"code", "met", "evidence", "detail"}], "payingRegion" (a complement's tranches
// only)}], "warnings": [...]}.
std::string ToJson(const CheckReport& report);
std::string ToText(const CheckReport& report);

// ---- history PROJECT-or-FINESS ----
// The seqs, ascending, of a project's records (its stream); or, for a FINESS, of the
// establishment followed through FINESS changes: the facts of every number of its
// lineage (their streams, finess.changed included) and every project record naming
// one of them (submission, extension, convention). NotFound when `key` is neither a
// known project nor a FINESS with records.
Result<std::vector<uint64_t>> History(const ledger::Ledger& ledger, const ProgrammeState& state,
                                      std::string_view key);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_QUERIES_H_
