// Entitlement: what a project and each of its ESSMS are owed under a campaign's
// rulebook (DOMAIN.md §3), and the grappe-size assessment of the project's shape
// (DOMAIN.md §2). Pure, exact integer calculations over the establishments and
// organisations of a submission (plus its extensions), as decoded in events.h.
//
// Thread-safety: pure functions over value types; safe from any thread.
#ifndef ESMS_DOMAIN_ENTITLEMENT_H_
#define ESMS_DOMAIN_ENTITLEMENT_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/events.h"
#include "domain/finess.h"
#include "domain/money.h"
#include "domain/rulebook.h"

namespace esms::domain {

// One ESSMS's entitlement.
struct EntitlementLine {
  Finess finess;
  Finess finess_ej;
  int rank = 0;  // 1-based, over the whole project in listing order
  Situation situation = Situation::kAcquisition;
  bool small_og = false;     // its OG runs fewer than 15 ESSMS (8 overseas / Corsica)
  Money usage;               // usage development at its rank (amorçage: the forfait)
  Money software;            // software equipment at its rank (upgrade, amorçage: 0)
  Money forfait;             // usage + software, SAAD-prorated, rounded down once
  Money small_og_equipment;  // min(quote, cap) for a small OG's ESSMS, else 0
  Money total;               // forfait + small_og_equipment
  std::string note;          // e.g. "SAAD prorata 800/1000 h", "rank 31 > 30: not funded"
};

// A project's entitlement: the lines in rank order and the totals.
struct ProjectEntitlement {
  Campaign campaign = Campaign::kGeneralisation2024;
  std::vector<EntitlementLine> lines;
  Money essms_total;               // sum of the lines' totals
  Money amoa;                      // AMOA for a grappe of small OGs (0 if none)
  Money total;                     // essms_total + amoa: the single lump-sum subsidy
  std::vector<std::string> notes;  // project-level remarks (AMOA refused, ...)
};

// Computes the entitlement of a project.
//
// `establishments` are in rank order: the submission's list as submitted, then each
// extension's list in the order of the extensions. `organisations` are all OGs of the
// project (submission + extensions); each establishment's finess_ej must be one of
// them. `amoa_requested` is the submission's amoaRequestedCents, if any.
//
// Errors: BAD_INPUT (empty list, unknown OG, negative quote, impossible SAAD hours),
// DUPLICATE_FINESS (a FINESS ET listed twice), INVALID_PROJECT_KIND (amorçage project
// mixing acquisition and conformity).
Result<ProjectEntitlement> ComputeEntitlement(Campaign campaign,
                                              const std::vector<OrganisationEntry>& organisations,
                                              const std::vector<EstablishmentEntry>& establishments,
                                              std::optional<Money> amoa_requested);

// The shape of a project: what the size, guichet and window rules count.
struct ProjectShape {
  int unique_essms = 0;              // unique FINESS ET
  int ogs = 0;                       // distinct OGs (finess_ej) of those establishments
  int regions = 0;                   // distinct regions of those establishments
  bool overseas_or_corsica = false;  // every ESSMS's FINESS is 2A/2B/97/98
  int acquisitions = 0;              // ESSMS in situation acquisition
  int upgrades = 0;                  // ESSMS in situation upgrade
};

ProjectShape ShapeOf(const std::vector<EstablishmentEntry>& establishments);

// The grappe-size assessment (DOMAIN.md §2).
struct GrappeSizeAssessment {
  enum class Outcome {
    kOk,       // at or above the thresholds, or no threshold applies
    kWarning,  // GRAPPE_TOO_SMALL as a warning: généralisation, the ARS judges
    kRefusal,  // GRAPPE_TOO_SMALL as a refusal: amorçage acquisition
  };
  Outcome outcome = Outcome::kOk;
  bool below = false;  // below a threshold that applies
  int unique_essms = 0;
  int ogs = 0;
  bool overseas_or_corsica = false;
  int required_essms = 0;  // 0 = no threshold applies
  int required_ogs = 0;    // 0 = no OG threshold (généralisation)
  std::string detail;      // human explanation, with the figures
  std::string_view source;
};

// Errors: INVALID_PROJECT_KIND (amorçage mixing acquisition and conformity),
// BAD_INPUT (empty project, unknown OG).
Result<GrappeSizeAssessment> AssessGrappeSize(
    Campaign campaign, const std::vector<OrganisationEntry>& organisations,
    const std::vector<EstablishmentEntry>& establishments);

// 000 §4.7, DOMAIN.md §2: `acquisition` = every ESSMS in acquisition, `usage` = every
// ESSMS in upgrade, `mixed` = both present; else INVALID_PROJECT_KIND
// (FailedPrecondition).
Status CheckProjectKind(ProjectKind kind, const ProjectShape& shape);

// Whether an OG with `essms_total` ESSMS is "small" under `campaign`: fewer than 15,
// fewer than 8 when `overseas_or_corsica` (000 §4.4.2 3, 003 §3.3.2 3).
bool IsSmallOg(Campaign campaign, int64_t essms_total, bool overseas_or_corsica);

}  // namespace esms::domain

#endif  // ESMS_DOMAIN_ENTITLEMENT_H_
