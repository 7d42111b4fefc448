// Guard: decides whether a new event may enter the ledger, against the state folded
// from the records before it (DESIGN.md "The path of one event", step 2). First the
// signer's authorization (INTERFACE.md §1: role per event type, region scope of the
// ARS roles, revoked keys), then the programme rules of the event's project and
// establishments (DOMAIN.md §2-§7). A refusal is a Status with the public code
// (INTERFACE.md §4) and, in conflicts(), the seqs of the records it conflicts with.
// Nothing is written when the guard refuses; warnings never refuse (they show in
// `state` and `check`, see rules.h WarningsOf).
//
// Thread-safety: Check is const and reads the state only; the state must not be
// modified during the call.
#ifndef ESMS_PROJECTIONS_GUARD_H_
#define ESMS_PROJECTIONS_GUARD_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/events.h"
#include "ledger/key_registry.h"
#include "ledger/record.h"
#include "projections/state.h"

namespace esms::projections {

// Reads a committed record by seq (event.voided needs to know what it voids).
using RecordLookup = std::function<Result<ledger::Record>(uint64_t seq)>;

// Codes the guard adds to INTERFACE.md §4 (documented in the reply to the lead):
// a convention naming an ESSMS that is not the project's.
inline constexpr std::string_view kEstablishmentNotInProject = "ESTABLISHMENT_NOT_IN_PROJECT";

// The roles that may sign `type` (INTERFACE.md §1 table).
std::vector<std::string_view> RolesFor(std::string_view type);

// The regions an ARS key must hold one of to sign `data` (nullopt: no region scope,
// e.g. solutions). Project events: the project's regions (extensions: its initial
// regions, 002: follow-up stays there; a payment with payingRegion: that region).
// Establishment facts: the region of the establishment (as listed in a project of
// its lineage, else from its FINESS département).
std::optional<std::set<std::string>> ScopeOf(const domain::EventData& data,
                                             const ProgrammeState& state);

class Guard {
 public:
  explicit Guard(RecordLookup lookup = {}) : lookup_(std::move(lookup)) {}

  // OK, or the refusal. `next_seq` is the seq the event would get.
  Status Check(const domain::Event& event, const ledger::KeyInfo& signer, uint64_t next_seq,
               const ProgrammeState& state) const;

  // UNAUTHORIZED unless `signer` is active and holds a role that may sign the event,
  // within its regions for an ARS role.
  Status Authorize(const domain::Event& event, const ledger::KeyInfo& signer,
                   const ProgrammeState& state) const;

  // The programme rules alone (no authorization).
  Status CheckRules(const domain::Event& event, uint64_t next_seq,
                    const ProgrammeState& state) const;

 private:
  RecordLookup lookup_;
};

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_GUARD_H_
