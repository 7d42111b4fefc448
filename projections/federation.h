// The national figure across ledgers (issue 16, docs/federation.md): one ledger per ARS
// plus a national one, each with its own checkpoint key; the national PNRR active-DUI
// indicator is the sum of each ledger's own `report active-dui`, each share bound to
// that ledger's latest signed checkpoint (origin, size, root), and the whole figure is
// checkable offline with the ledgers' `ledger.pub` files only (the national bundle).
//
// This file holds the pure parts: the federation file's schema, the sum of the shares
// with its counted-once rule, the outputs, and the national bundle (its writing from
// the per-ledger bundles, and its verification). Opening the ledgers is the caller's
// (cli/federation.cc).
//
// Counted once (issue 16, "What to build": « a project lives in its porteur's region's
// ledger; a national-guichet project (50 ESSMS or more in several regions) in the
// national ledger »; DOMAIN.md §8: « each ESSMS ... counted once »): a grappe across
// regions, its extensions paid by another ARS included, is in one ledger only, and so
// are its establishments' measurements. Interpretation: two ledgers of the federation
// that both count one establishment (the same FINESS, as counted or as measured), or
// that both hold one project (the same id, not rejected in either), make the national
// figure ambiguous: it is refused (DUPLICATE_FINESS / DUPLICATE_PROJECT, naming both
// ledgers and their records), never summed twice and never settled by a guess.
//
// Thread-safety: pure functions; safe from any thread.
#ifndef ESMS_PROJECTIONS_FEDERATION_H_
#define ESMS_PROJECTIONS_FEDERATION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/date.h"
#include "ledger/hash.h"
#include "ledger/note.h"
#include "projections/bundle.h"
#include "projections/report.h"
#include "projections/state.h"

namespace esms::projections {

inline constexpr std::string_view kNationalBundleFormat = "esms-ledger-national-bundle/v1";
inline constexpr std::string_view kDuplicateFiness = "DUPLICATE_FINESS";
inline constexpr std::string_view kDuplicateProject = "DUPLICATE_PROJECT";

// One entry of the federation file: a JSON list of
//   {"name": "bzh", "ledger": "DIR", "trust": "bzh/ledger.pub"}
// or {"name": "bzh", "server": "unix:PATH" | "HOST:PORT", "trust": "...",
//     "tlsCa": "ca.pem"} (exactly one of ledger / server; tlsCa only with a server, and
// required for HOST:PORT: the server speaks TLS).
struct FederationEntry {
  std::string name;  // 1-64 chars of [A-Za-z0-9._-], unique in the file
  std::optional<std::string> ledger;
  std::optional<std::string> server;
  std::string trust;                  // a file holding the ledger's verifier key (its ledger.pub)
  std::optional<std::string> tls_ca;  // server HOST:PORT: the CA of its TLS certificate
};

// The entries of a federation file, in order. BAD_INPUT naming the path of the bad
// field ("[2].trust: missing", "[1].name: 'bzh' is already the name of [0]"): not
// JSON, not a non-empty list, an element that is not an object, a missing, empty or
// wrongly typed field, an unknown field, both or neither of ledger / server, a
// duplicate name, a tlsCa without a server or a HOST:PORT server without a tlsCa.
Result<std::vector<FederationEntry>> ParseFederation(std::string_view json_text);

// One ledger's share of the national figure: its own report, bound to its checkpoint.
struct LedgerShare {
  std::string name;        // the federation entry
  std::string location;    // its ledger directory (or server address), for reading
  std::string ledger_key;  // the verifier key line it was trusted with (= its ledger.pub)
  std::string checkpoint_note;
  ledger::Checkpoint checkpoint;  // origin, size, root of that note
  ActiveDuiReport report;         // ComputeActiveDui on that ledger, as of checkpoint.size
  // The projects the ledger holds that are not rejected (for the counted-once check).
  std::vector<std::string> projects;
};

struct NationalReport {
  domain::Date at;
  int64_t total = 0;
  int64_t target = kActiveDuiTarget;
  int64_t establishments = 0;
  ReportBy by_kind = ReportBy::kNone;
  std::map<std::string, int64_t> by;  // the shares' --by totals, summed key by key
  std::vector<LedgerShare> shares;    // in the federation file's order

  int64_t DistanceToTarget() const { return target - total; }
  int64_t PercentOfTarget() const { return target > 0 ? total * 100 / target : 0; }
  // floor(share * 100 / total), integer math; 0 when the total is 0.
  int64_t PercentOfTotal(const LedgerShare& share) const {
    return total > 0 ? share.report.total * 100 / total : 0;
  }
};

// The non-rejected project ids of `state`, for LedgerShare::projects.
std::vector<std::string> LiveProjects(const ProgrammeState& state);

// The national figure: the sum of the shares. Each share's report must be at `at` with
// the same grouping. Refuses (FailedPrecondition DUPLICATE_FINESS / DUPLICATE_PROJECT)
// an establishment or a project held by two ledgers (see the top of this file), and
// (InvalidArgument) two shares of one origin or one ledger key.
Result<NationalReport> CombineShares(domain::Date at, ReportBy by, std::vector<LedgerShare> shares);

// {"at", "total", "target", "establishments", "by", "distanceToTarget",
//  "percentOfTarget", "byKind", "ledgers": N,
//  "shares": [{"name", "origin", "ledgerKey", "total", "establishments",
//              "percentOfTotal", "by", "checkpoint": {"origin", "size", "root", "note"},
//              "stateSize"}],
//  "evidence": [{"ledger", "finess", "seq", "activeFiles"}]} (docs/federation.md).
std::string ToJson(const NationalReport& report);
// For people: the national total against the target, then one row per ledger with its
// share and the checkpoint it is bound to.
std::string ToText(const NationalReport& report);

// The national bundle (docs/federation.md): `part_bundles[i]` is the active-DUI bundle
// (BuildBundle, esms-ledger-bundle/v2) of report.shares[i], proven against that
// share's checkpoint. BAD_INPUT if a part is not a bundle's JSON.
Result<std::string> BuildNationalBundle(const NationalReport& report,
                                        const std::vector<std::string>& part_bundles);

// How the verifier knows which key each part must be signed by.
struct NationalTrust {
  // --federation FILE: the name of each entry and its key; every entry must have a
  // part of that name.
  std::map<std::string, ledger::NoteVerifier> by_name;
  // --trust KEY ...: the keys; each part names the key it claims (its ledgerKey), which
  // must be one of them, each used by exactly one part.
  std::vector<ledger::NoteVerifier> keys;
};

struct NationalVerdict {
  bool ok = false;
  std::string code;  // not ok: BUNDLE_INVALID (or the part's own code)
  std::string problem;
  std::optional<std::string> part;  // the part the problem is in, when one
  std::optional<uint64_t> seq;      // and the record, when one

  // ok: what was verified.
  domain::Date at;
  int64_t total = 0;
  int64_t establishments = 0;
  struct Part {
    std::string name;
    std::string origin;
    uint64_t checkpoint_size = 0;
    ledger::Hash root{};
    int64_t total = 0;
    int64_t establishments = 0;
    size_t records = 0;
  };
  std::vector<Part> parts;
};

// Verifies a national bundle offline: every part with VerifyBundle against its own
// ledger's key only, each part's claim equal to the national claim's share of it, no
// establishment counted by two parts, and the national total (and establishments) the
// sum of the parts'. A bundle that does not check is a verdict (ok = false); BAD_INPUT
// only when the text is not JSON or not of kNationalBundleFormat.
Result<NationalVerdict> VerifyNationalBundle(std::string_view bundle_json,
                                             const NationalTrust& trust);

// True when `bundle_json` is a national bundle (its "format"), so that verify-bundle
// can tell it from a single ledger's.
bool IsNationalBundle(std::string_view bundle_json);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_FEDERATION_H_
