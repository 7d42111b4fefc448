// The national figure across ledgers, on the command line (issue 16, docs/federation.md):
//   - `report active-dui --federation FILE [--at DATE] [--by KIND] [--json]
//      [--out FILE] [--bundle FILE] [--key K]`: each ledger of FILE opened read-only (or
//     its share fetched from its server), checked
//     against the key FILE trusts it with, its own `report active-dui` bound to its
//     latest signed checkpoint; the national total and each ledger's share; with
//     --bundle, the national bundle (every ledger's active-DUI bundle and the sum);
//   - `verify-bundle NATIONAL.json --trust a.pub --trust b.pub ...` (or --federation
//     FILE for the keys): every part checked with its own ledger's key only, the sum
//     recomputed.
// The projections/federation.h functions do the work; this file reads files, opens
// ledgers and asks the `serve` processes of `server` entries for their shares.
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_FEDERATION_H_
#define ESMS_CLI_FEDERATION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cli/commands.h"
#include "domain/date.h"
#include "ledger/note.h"
#include "projections/federation.h"
#include "projections/report.h"

namespace esms::ledger {
class Ledger;
class SigningKey;
}  // namespace esms::ledger
namespace esms::projections {
class ProgrammeState;
}

namespace esms::cli {

struct FederatedReportArgs {
  std::string federation;         // FILE
  std::optional<std::string> at;  // default: today (UTC)
  std::optional<std::string> by;
  std::string format;  // "table" or "json" (csv and html are per ledger: USAGE)
  std::optional<std::string> out;
  std::optional<std::string> bundle;
};

// A `server` entry's share is fetched from that ledger's `serve` process (the share
// RPC method, docs/service.md), logged in with the global --key when given (a national
// key enrolled in each ledger), else anonymously, and checked as a directory's share.
//
// Exit codes (INTERFACE.md §5): 2 for a bad FILE (missing, not JSON, a bad field —
// named by its path —, a duplicate name, ledger or server) and a bad trust file; 3 for
// a ledger or server signing with another key than the one trusted, or a server
// refusing the login or the read (UNAUTHORIZED), a ledger that is not there (NOT_FOUND),
// no checkpoint covering the ledger (NO_CHECKPOINT), an establishment or a project held
// by two ledgers (DUPLICATE_FINESS, DUPLICATE_PROJECT); 1 for a checkpoint that does not
// verify (CORRUPTION); 4 for storage errors and a server that cannot be reached
// (STORAGE_ERROR "cannot reach the server ADDR", naming the entry).
int CmdFederatedReport(const Globals& g, const FederatedReportArgs& args);

// A `server` entry's share, from the ledger's serve process at `server` (TLS CA `tls_ca`
// for HOST:PORT), logged in with `key` as `key_name` (anonymously when null): the server's
// checkpoint key must be `ledger_key` (UNAUTHORIZED otherwise, naming `trust_file`), the
// share's checkpoint must verify with `trust`, name the server's origin and cover
// exactly the records its report reads, and be the report at `at` grouped by `by`. With
// `bundle`, the part bundle the server sends. name, location and ledger_key are left
// for the caller. cli/federation_server.cc; in a build without the service layer
// (-DESMS_SERVICE=OFF) cli/served_absent.cc, which refuses with USAGE.
struct ServerShareQuery {
  std::string server;
  std::optional<std::string> tls_ca;
  const ledger::SigningKey* key = nullptr;
  std::string key_name;
  const ledger::NoteVerifier* trust = nullptr;
  std::string ledger_key;  // the trusted verifier key line
  std::string trust_file;  // the entry's `trust`, for the messages
  domain::Date at;
  projections::ReportBy by = projections::ReportBy::kNone;
};
Result<projections::LedgerShare> FetchServerShare(const ServerShareQuery& query,
                                                  std::string* bundle);

// One ledger's share of the national figure, on `ledger` and its projected `state`:
// the ledger's checkpoint of exactly its records (NO_CHECKPOINT when none), verified
// with `trust` (CORRUPTION when it does not), its origin and root checked against the
// ledger, the report at `at` grouped by `by`, the live projects; with `bundle`, the
// active-DUI bundle proven against that checkpoint. name, location and ledger_key are
// left for the caller. The checkpoint is the one `serve --witness` stored in `ledger_dir`,
// with its cosignatures, when it is that very checkpoint (cli/cosigned.h). Used for a
// ledger entry and by `serve` for the share method.
Result<projections::LedgerShare> ComputeShare(const Globals& g, const std::string& ledger_dir,
                                              const ledger::Ledger& ledger,
                                              const projections::ProgrammeState& state,
                                              const ledger::NoteVerifier& trust, domain::Date at,
                                              projections::ReportBy by, std::string* bundle);

// `verify-bundle` of a national bundle (`text`): the keys from `trust` (files or lines,
// one per ledger) or from the federation file. Exit 0 verified, 1 not (BUNDLE_INVALID
// or the part's own code, naming the part), 2 bad arguments.
int CmdVerifyNationalBundle(const Globals& g, std::string_view text,
                            const std::vector<std::string>& trust,
                            const std::optional<std::string>& federation);

}  // namespace esms::cli

#endif  // ESMS_CLI_FEDERATION_H_
