// One ledger's share of the national figure on the wire (issue 16, docs/federation.md
// "server entries"): the `serve` process of a ledger computes its share (its report, the
// signed checkpoint it is bound to, its live project ids) and sends it as JSON; the
// federating side reads it back into a LedgerShare and checks it as it checks the share
// of a ledger directory (cli/federation.cc).
//
// The round trip is exact: ShareFromJson(ShareToJson(s)) gives back every field the
// national report and bundle read (ToJson of the report is equal byte for byte), so a
// federated report over servers prints what the same over the ledger directories prints.
//
// Thread-safety: pure functions; safe from any thread.
#ifndef ESMS_PROJECTIONS_FEDERATION_SHARE_H_
#define ESMS_PROJECTIONS_FEDERATION_SHARE_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "projections/federation.h"
#include "projections/report.h"

namespace esms::projections {

// The inverse of ToJson(ActiveDuiReport) (projections/report.h): BAD_INPUT naming the
// field when the text is not such a report (a field missing or of the wrong type, a
// bad date, an unknown byKind).
Result<ActiveDuiReport> ActiveDuiReportFromJson(std::string_view json_text);

// {"report": <ToJson(share.report)>, "checkpoint": <the signed note>, "projects": [...]}.
// The name, location and trusted key are the federating side's, not sent.
std::string ShareToJson(const LedgerShare& share);
// The share of ShareToJson: report, checkpoint_note and projects set; the checkpoint
// itself is parsed (not verified: the caller verifies the note with the key it trusts).
// BAD_INPUT when the text is not a share.
Result<LedgerShare> ShareFromJson(std::string_view json_text);

}  // namespace esms::projections

#endif  // ESMS_PROJECTIONS_FEDERATION_SHARE_H_
