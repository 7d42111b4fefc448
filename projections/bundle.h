// Evidence bundles: everything an auditor needs to check a claim about the programme
// offline, with no ledger and no trust in the server that made the bundle — the
// records behind the claim (decoded for reading AND as their canonical bytes, with the
// statement each author signed and its signature),
// the key records that enrolled their signers back to genesis, one inclusion proof per
// record against one signed checkpoint, and the checkpoint note itself (with any
// witness cosignature lines). docs/bundle-format.md is the spec, field by field.
//
// Two claims are supported:
//   - {"kind": "project", "project", "at"}: the payment conditions of one project as
//     `check PROJECT --at DATE` reports them; the verifier folds the bundle's records
//     into a ProgrammeState and runs CheckProject again;
//   - {"kind": "active-dui", "at", "total", "evidence": [{"finess", "seq",
//     "activeFiles"}]}: the PNRR indicator of `report active-dui`; the verifier checks
//     that each evidence seq is a proven indicator.measured of that activeFiles and that
//     they add up to total.
//
// VerifyBundle never throws and never needs a ledger. A bundle that does not check is
// a verdict (ok = false, the first problem and its seq), not an error; errors are only
// for text that is not a bundle at all (Status BAD_INPUT).
//
// Thread-safety: pure functions over a ledger and a state that are not being modified
// during the call; safe from any thread.
#ifndef ESMS_PROJECTIONS_BUNDLE_H_
#define ESMS_PROJECTIONS_BUNDLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/date.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "projections/queries.h"
#include "projections/state.h"

namespace esms::projections {

// v2: records of format 2 (the author's statement and signature, docs/bundle-format.md).
inline constexpr std::string_view kBundleFormat = "esms-ledger-bundle/v2";
// Bundles of format-1 records: refused, naming the format (no format-1 ledger is read).
inline constexpr std::string_view kBundleFormatV1 = "esms-ledger-bundle/v1";
// The error codes of a bundle that does not check (exit 1).
inline constexpr std::string_view kBundleInvalid = "BUNDLE_INVALID";
inline constexpr std::string_view kWitnessMissing = "WITNESS_MISSING";
// BuildBundle when no kept checkpoint covers the records.
inline constexpr std::string_view kNoCheckpoint = "NO_CHECKPOINT";

// One measurement counted by an active-DUI claim.
struct ActiveDuiEvidence {
  std::string finess;  // the establishment as the report counts it (current number)
  uint64_t seq = 0;    // the indicator.measured record
  int64_t active_files = 0;
};

struct BundleClaim {
  enum class Kind { kProject, kActiveDui };
  Kind kind = Kind::kProject;
  domain::Date at;
  std::string project;                      // kProject
  int64_t total = 0;                        // kActiveDui
  std::vector<ActiveDuiEvidence> evidence;  // kActiveDui
};

struct BundleOptions {
  // The signed checkpoint note to prove against, e.g. the latest one as cosigned by a
  // witness (`witness cosign`). It must verify with the ledger key and its root must
  // be the ledger's root at its size. Default: the latest kept checkpoint.
  std::optional<std::string> checkpoint_note;
};

// The bundle JSON text (pretty-printed, ending in "\n") proving `seqs` (any order,
// duplicates ignored) for `claim`. Adds the key records of every signer (enrolment and
// revocation) and, recursively, of the admins who enrolled them, down to genesis.
// Errors: FailedPrecondition (NO_CHECKPOINT) when no kept checkpoint covers every record
// (format 2 signs one at every commit: only a commit cut short leaves none); NotFound for an
// unknown seq; BAD_INPUT for a checkpoint_note that is not one of this ledger.
Result<std::string> BuildBundle(const ledger::Ledger& ledger, const ProgrammeState& state,
                                std::vector<uint64_t> seqs, const BundleClaim& claim,
                                const BundleOptions& options = {});

// The records a project claim needs, ascending: the project's stream; for each of its
// establishments, History() of its FINESS (every number of its lineage: their streams,
// the finess.changed records, and the records of other projects naming them); the
// whole stream of every other project so named (its selection or rejection decides
// whether it competes for the same ESSMS); and the event.voided records voiding any of
// these (to a fixed point). Key records are added by BuildBundle.
// NotFound (UNKNOWN_PROJECT) for an unknown project.
Result<std::vector<uint64_t>> ProjectBundleSeqs(const ledger::Ledger& ledger,
                                                const ProgrammeState& state,
                                                std::string_view project);

struct BundleVerdict {
  bool ok = false;
  // Not ok: the public code (BUNDLE_INVALID, WITNESS_MISSING; empty when the check did
  // not name one, `canonical` then says what failed), the first problem found
  // ("seq 12: data.amountCents: the readable value 5000 is not the signed value 4000")
  // and the seq it concerns, when one does.
  std::string code;
  StatusCode canonical = StatusCode::kOk;
  std::string problem;
  std::optional<uint64_t> seq;

  // Ok: what was verified.
  BundleClaim claim;
  std::string origin;
  uint64_t checkpoint_size = 0;
  ledger::Hash root{};
  size_t records = 0;                    // records verified, key records included
  std::optional<uint64_t> witness_time;  // the cosignature's time, with a witness
  std::optional<CheckReport> check;      // project claims: CheckProject re-evaluated
};

// Verifies `bundle_json` against `trust` (the ledger's checkpoint key, the verifier line
// of its ledger.pub) and, when given, requires a valid cosignature by `witness` (a
// cosignature/v1 verifier) on the checkpoint. In order: the checkpoint's signature; for
// each record, in seq order: its bytes decode, leafHash = LeafHash(bytes), the
// inclusion proof reaches the checkpoint root, "statement"/"signature" are the record's,
// the statement names the checkpoint's origin, an expectedVersion in it is the record's
// streamVersion, the author's signature of the statement verifies with the signer's key
// as enrolled by the bundle's key records before that seq (genesis, seq 0, enrols the
// first admin with its own key), and every readable field (seq, id, type, at, stream,
// streamVersion, expectedVersion, signer, recordedAt, data) equals what the record
// says; stream versions of the streams the claim lists as
// complete run 0..n-1; then the claim is re-evaluated.
// BAD_INPUT only when the text is not JSON or not of format esms-ledger-bundle/v1.
Result<BundleVerdict> VerifyBundle(std::string_view bundle_json, const ledger::NoteVerifier& trust,
                                   const std::optional<ledger::NoteVerifier>& witness = {});

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_BUNDLE_H_
