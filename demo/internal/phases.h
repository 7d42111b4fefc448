// The phases of the demo's plan, in the order Generator::Create runs them. Each draws
// from the one Rng in turn: the order of the phases, and of the draws inside each, is
// part of the output (the same seed, the same events).
//
// Thread-safety: one thread at a time, on one Plan.
#ifndef ESMS_DEMO_INTERNAL_PHASES_H_
#define ESMS_DEMO_INTERNAL_PHASES_H_

#include <optional>

#include "base/status.h"
#include "demo/internal/plan.h"
#include "demo/internal/rng.h"

namespace esms::demo::internal {

// The regions of the scale and one key per role (admin, national, then per region its
// instructor, payer and porteurs, then the auditor).
void ChooseRegionsAndKeys(Plan& plan);
// Organisations (many small OGs, a few large ones) and their establishments, region by
// region, `target` establishments in all.
Status DrawOrganisations(Plan& plan, Rng& rng, int target);
// Which OGs stay outside the programme, which join a grappe later, and the grappes.
void DrawGrappes(Plan& plan, Rng& rng);
// Each project's campaign and fate (featured, laggard, rejected), situations, quotes,
// AMOA; then every establishment's usage curve.
Status DrawCampaigns(Plan& plan, Rng& rng);
void DrawUsageCurves(Plan& plan, Rng& rng);
// Two small OGs of a region next to the featured project's (region scale: Pays de la
// Loire, with its payer's and porteurs' keys): a multi-regional complément de grappe of
// the featured project paid by its own region, and the PAYING_REGION_MISMATCH attempt.
// After DrawUsageCurves (their curves are drawn here).
Status DrawNeighbourOgs(Plan& plan, Rng& rng);
// The Ségur referencing of the solutions (national), before any submission.
void ReferenceSolutions(Plan& plan);
// The life of each project: submission, selection or rejection, convention, advances,
// extension and amended convention, expenses (project_lives.cc).
Status LiveProjects(Plan& plan, Rng& rng);
// FINESS renumberings after the convention (002: history follows the ESSMS).
Status RenumberFiness(Plan& plan, Rng& rng);
// A SONS order of `est` for `solution` on `ordered`, validated on `validated` when there
// is one (the event is dated at its last fact).
Status AddSonsOrder(Plan& plan, Est& est, int solution, Date ordered,
                    std::optional<Date> validated);
// Establishments outside the programme: SONS orders, EU funds, mergers.
Status DrawOutsideProgramme(Plan& plan, Rng& rng);
// Balances, when the whole grappe met the targets over 3 months.
// Amorçage: the deployment paid prorata of the usage announced, on its invoice.
Status PayBalances(Plan& plan);
// The timeline in ledger order, and the summary.
void OrderAndSummarize(Plan& plan);
// The attempts the rules refuse (attempts.cc).
Status DrawRefusedAttempts(Plan& plan);

}  // namespace esms::demo::internal

#endif  // ESMS_DEMO_INTERNAL_PHASES_H_
