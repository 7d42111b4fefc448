// The `report` command. See cli/report_command.h.
#include "cli/report_command.h"

#include <cstdio>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/cosigned.h"
#include "cli/evidence_commands.h"
#include "cli/federation.h"
#include "cli/output.h"
#include "cli/remote.h"
#include "cli/report_html.h"
#include "domain/date.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "projections/bundle.h"
#include "projections/projector.h"
#include "projections/report.h"

namespace esms::cli {
namespace {

constexpr std::string_view kIndicator = "active-dui";

// Where the figures can be checked: the ledger's root now and its latest checkpoint.
Result<HtmlProvenance> Provenance(const ledger::Ledger& ledger) {
  HtmlProvenance p;
  p.origin = ledger.origin();
  p.ledger_size = ledger.size();
  if (ledger.size() > 0) {
    ASSIGN_OR_RETURN(ledger::Hash root, ledger.RootAt(ledger.size()));
    p.ledger_root = ledger::ToHex(root);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> note, ledger.LatestCheckpoint());
  if (note.has_value()) {
    ASSIGN_OR_RETURN(ledger::Note parsed, ledger::ParseNote(*note));
    ASSIGN_OR_RETURN(ledger::Checkpoint cp, ledger::ParseCheckpoint(parsed.text));
    p.checkpoint_note = *note;
    p.checkpoint_size = cp.size;
    p.checkpoint_root = ledger::ToHex(cp.root);
  }
  return p;
}

// The evidence bundle of the figure: the counted measurements and the finess.changed
// records of the lineages followed (BuildBundle adds the signers' key records).
// Proven against the checkpoint the witnesses cosigned when it covers them (cli/cosigned.h).
Result<std::string> BundleOf(const Globals& g, const ledger::Ledger& ledger,
                             const projections::ProgrammeState& state,
                             const projections::ActiveDuiReport& report) {
  projections::BundleClaim claim;
  claim.kind = projections::BundleClaim::Kind::kActiveDui;
  claim.at = report.at;
  claim.total = report.total;
  std::vector<uint64_t> seqs;
  seqs.reserve(report.evidence.size());
  claim.evidence.reserve(report.evidence.size());
  for (const auto& e : report.evidence) {
    claim.evidence.push_back({e.finess, e.seq, e.active_files});
    seqs.push_back(e.seq);
    seqs.insert(seqs.end(), e.change_seqs.begin(), e.change_seqs.end());
  }
  return BuildPreferringCosigned(g, g.ledger_dir, ledger, {}, "the report's bundle",
                                 [&](const projections::BundleOptions& options) {
                                   return projections::BuildBundle(ledger, state, seqs, claim,
                                                                   options);
                                 });
}

}  // namespace

Result<ReportRequest> ValidateReport(const Globals& g, const ReportArgs& args) {
  if (args.indicator != kIndicator) {
    return Status::InvalidArgument(
        error_code::kUsage,
        fmt::format("unknown indicator \"{}\" (known: {})", args.indicator, kIndicator));
  }
  ReportRequest r;
  if (args.at.empty()) return Status::InvalidArgument(error_code::kUsage, "--at is required");
  auto at = domain::Date::Parse(args.at);
  if (!at.ok()) return Status::BadInput("--at: " + at.status().message());
  r.at = *at;
  ASSIGN_OR_RETURN(r.by, projections::ParseReportBy(args.by.value_or("")));
  r.format = args.format.value_or(g.json ? "json" : "table");
  if (r.format != "table" && r.format != "csv" && r.format != "json" && r.format != "html") {
    return Status::InvalidArgument(
        error_code::kUsage,
        fmt::format("--format: unknown format \"{}\" (known: table, csv, json, html)", r.format));
  }
  if (args.out.has_value() && args.out->empty()) {
    return Status::InvalidArgument(error_code::kUsage, "--out: empty file name");
  }
  if (args.bundle.has_value() && args.bundle->empty()) {
    return Status::InvalidArgument(error_code::kUsage, "--bundle: empty file name");
  }
  if (args.out.has_value() && args.bundle.has_value() && *args.out == *args.bundle) {
    return Status::InvalidArgument(error_code::kUsage, "--out and --bundle name the same file");
  }
  return r;
}

Result<ReportProducts> ComputeReport(const Globals& g, const ledger::Ledger& ledger,
                                     const projections::ProgrammeState& state,
                                     const ReportRequest& r, const ReportArgs& args,
                                     bool need_json) {
  auto report = projections::ComputeActiveDui(state, r.at, r.by);
  if (!report.ok()) return report.status();
  ReportProducts p;
  if (r.format == "json") {
    p.text = projections::ToJson(*report);
  } else if (r.format == "csv") {
    p.text = projections::ToCsv(*report);
  } else if (r.format == "table") {
    p.text = projections::ToText(*report);
  } else {
    auto provenance = Provenance(ledger);
    if (!provenance.ok()) return provenance.status();
    provenance->bundle_file = args.bundle;
    p.text =
        RenderActiveDuiHtml(*report, projections::ActiveDuiTrajectory(state, r.at), *provenance);
  }
  if (need_json) p.json = r.format == "json" ? p.text : projections::ToJson(*report);
  // The bundle before anything is written: when it cannot be made (no checkpoint kept),
  // nothing is.
  if (args.bundle.has_value()) {
    auto bundle = BundleOf(g, ledger, state, *report);
    if (!bundle.ok()) return Status(bundle.status()).WithContext("--bundle");
    p.bundle = std::move(*bundle);
  }
  p.evidence = report->evidence.size();
  p.total = report->total;
  p.target = report->target;
  p.percent_of_target = report->PercentOfTarget();
  return p;
}

int EmitReport(const Globals& g, const ReportArgs& args, const ReportRequest& r,
               const ReportProducts& p) {
  if (args.bundle.has_value()) {
    Status written = WriteFileAtomically(*args.bundle, p.bundle.value_or(""));
    if (!written.ok()) return ReportError(written, g);
    std::fprintf(g.err,
                 "evidence bundle of %zu measurements written to %s (check it with: "
                 "esms-ledger verify-bundle %s --trust %s)\n",
                 p.evidence, args.bundle->c_str(), args.bundle->c_str(), TrustHint(g).c_str());
  }

  if (!args.out.has_value()) {
    PrintLine(g, p.text);
    return kExitOk;
  }
  Status written = WriteFileAtomically(*args.out, p.text);
  if (!written.ok()) return ReportError(written, g);
  if (g.json) {
    PrintLine(g, p.json);
  } else {
    std::fprintf(g.err,
                 "active DUI files at %s: %s (%s %% of the %s target); %s report "
                 "written to %s\n",
                 r.at.ToString().c_str(), projections::GroupDigits(p.total).c_str(),
                 std::to_string(p.percent_of_target).c_str(),
                 projections::GroupDigits(p.target).c_str(), r.format.c_str(), args.out->c_str());
  }
  return kExitOk;
}

CLI::App* AddReportCommand(CLI::App& app, ReportArgs* args) {
  auto* report = app.add_subcommand(
      "report",
      "The PNRR active-DUI indicator at a date: each ESSMS counted once (followed through "
      "FINESS changes) with its latest measurement ending on or before the date; the "
      "distance to the 410 000 target; the records behind each figure");
  report->add_option("INDICATOR", args->indicator, "active-dui")->required();
  report->add_option("--at", args->at,
                     "Date, YYYY-MM-DD (a measurement ending on it counts); required, but with "
                     "--federation (default: today, UTC)");
  report->add_option("--by", args->by, "Totals by region, department, project or campaign");
  report->add_option("--format", args->format,
                     "table (default), csv (one row per establishment, or per group with "
                     "--by), json (default with --json) or html (one self-contained page)");
  report->add_option("--out", args->out, "File to write (atomically) instead of stdout");
  report->add_option("--bundle", args->bundle,
                     "Also write the evidence bundle of the figure, verifiable offline with "
                     "verify-bundle, against the checkpoint the ledger signed at its last "
                     "commit");
  report->add_option(
      "--federation", args->federation,
      "The national figure across ledgers: FILE is a JSON list of {\"name\", \"ledger\": DIR "
      "or \"server\": unix:PATH|HOST:PORT (with \"tlsCa\": CA.pem for TCP), \"trust\": "
      "ledger.pub} (paths relative to FILE; servers are logged in to with --key, a national "
      "key); prints the national total and each ledger's share, each bound to its ledger's "
      "latest signed checkpoint; with --bundle, the national bundle (docs/federation.md)");
  return report;
}

int CmdReport(const Globals& g, const ReportArgs& args) {
  if (args.federation.has_value()) {
    if (args.indicator != kIndicator) return ReportError(ValidateReport(g, args).status(), g);
    if (!g.server.empty()) {
      return ReportError(Status::InvalidArgument(error_code::kUsage,
                                                 "--federation names its servers in its file "
                                                 "(\"server\" entries): no --server"),
                         g);
    }
    FederatedReportArgs f;
    f.federation = *args.federation;
    if (!args.at.empty()) f.at = args.at;
    f.by = args.by;
    f.format = args.format.value_or(g.json ? "json" : "table");
    f.out = args.out;
    f.bundle = args.bundle;
    if (f.out.has_value() && f.bundle.has_value() && *f.out == *f.bundle) {
      return ReportError(
          Status::InvalidArgument(error_code::kUsage, "--out and --bundle name the same file"), g);
    }
    return CmdFederatedReport(g, f);
  }
  Result<ReportRequest> request = ValidateReport(g, args);
  if (!request.ok()) return ReportError(request.status(), g);
  if (!g.server.empty()) return RemoteReport(g, args, *request);

  auto ledger = ledger::Ledger::Open(g.ledger_dir, ledger::Ledger::Mode::kReadOnly);
  if (!ledger.ok()) return ReportError(ledger.status(), g);
  auto projector = projections::Projector::Open(**ledger);
  if (!projector.ok()) return ReportError(projector.status(), g);
  auto products = ComputeReport(g, **ledger, (*projector)->state(), *request, args,
                                args.out.has_value() && g.json);
  if (!products.ok()) return ReportError(products.status(), g);
  return EmitReport(g, args, *request, *products);
}

}  // namespace esms::cli
