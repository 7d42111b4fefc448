// The HTML page of `report active-dui --format html`: ONE self-contained file (no
// network, no external script, font or style sheet) for people who will never run the
// CLI: the total against the 410 000 target (big figure and progress bar), the monthly
// trajectory as an inline SVG line chart with the target line, a bar per region, the
// table by establishment (capped at kHtmlTableRows rows; the full list is in the CSV /
// JSON formats), and how each figure can be verified (checkpoint size and root,
// `prove SEQ`, `verify-bundle`). Every text is HTML-escaped; every number is an integer,
// grouped by thousands with U+202F as French typography does.
//
// Thread-safety: a pure function.
#ifndef ESMS_CLI_REPORT_HTML_H_
#define ESMS_CLI_REPORT_HTML_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/report.h"

namespace esms::cli {

inline constexpr size_t kHtmlTableRows = 500;
// The trajectory line's colour: the rendering test looks for it in the screenshot.
inline constexpr std::string_view kHtmlLineColour = "#1f6feb";

// Where the figures can be checked.
struct HtmlProvenance {
  std::string origin;        // the ledger's log origin
  uint64_t ledger_size = 0;  // records in the ledger when the report was made
  std::string ledger_root;   // lowercase hex Merkle root at ledger_size
  // The latest signed checkpoint kept by the ledger, if any.
  std::optional<std::string> checkpoint_note;
  uint64_t checkpoint_size = 0;
  std::string checkpoint_root;             // lowercase hex
  std::optional<std::string> bundle_file;  // --bundle FILE, when written with the page
};

// The whole page, "<!DOCTYPE html>..." ending in "\n".
std::string RenderActiveDuiHtml(const projections::ActiveDuiReport& report,
                                const std::vector<projections::TrajectoryPoint>& trajectory,
                                const HtmlProvenance& provenance);

// `text` with &, <, >, " and ' escaped.
std::string HtmlEscape(std::string_view text);

}  // namespace esms::cli

#endif  // ESMS_CLI_REPORT_HTML_H_
