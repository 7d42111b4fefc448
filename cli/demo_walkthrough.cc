// What the demo shows: see cli/demo_walkthrough.h. Moved from cli/demo.cc (issue 17).
#include "cli/demo_walkthrough.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/report_html.h"
#include "ledger/hash.h"
#include "projections/queries.h"
#include "projections/report.h"

namespace esms::cli {
namespace {

using nlohmann::json;

std::string Thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(' ');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace

std::string ShortenEvidenceList(const std::string& line, size_t width) {
  if (line.size() <= width || line.empty() || line.back() != ')') return line;
  const size_t seqs = line.rfind("(seqs ");
  if (seqs == std::string::npos) return line;
  const size_t first = line.find(", ", seqs);
  if (first == std::string::npos) return line;  // one seq: nothing to shorten
  size_t cut = line.rfind(", ", width);
  if (cut == std::string::npos || cut < first) cut = first;
  return line.substr(0, cut) + ", ...)";
}

namespace {

void Section(const Globals& g, std::string_view title) { fmt::print(g.out, "\n== {} ==\n", title); }

// Indents every line of `text` by `indent`.
std::string Indented(const std::string& text, std::string_view indent) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    constexpr size_t kWidth = 160;  // long evidence lists: the check command shows them all
    const std::string line = ShortenEvidenceList(text.substr(start, end - start), kWidth);
    out += (line.empty() ? "" : std::string(indent)) + line + "\n";
    start = end + 1;
  }
  return out;
}

std::string CodeOf(const demo::Attempted& a) {
  return a.refusal ? std::string(PublicCode(*a.refusal)) : std::string();
}
std::string MessageOf(const demo::Attempted& a) {
  return a.refusal ? a.refusal->message() : std::string();
}

}  // namespace

void DemoObserver::Planned(const demo::Generator& gen, uint64_t to_import) {
  if (!g_.json) {  // the walk-through's header at once: the import takes a while
    fmt::print(g_.out, "esms-ledger demo: a synthetic ESMS numérique programme, {}, seed {}\n",
               gen.scope_name(), seed_);
    fmt::print(
        g_.out,
        "Everything below is made up by a deterministic generator (the same seed gives the same\n"
        "events), with real département and region codes and valid FINESS and SIRET numbers.\n");
    std::fflush(g_.out);
  }
  progress_.emplace("demo import", to_import, g_.err);
}

void DemoObserver::Imported(uint64_t done) { progress_->Update(done); }

void DemoObserver::ImportFinished() { progress_->Finish(); }

// The page `report active-dui --format html` writes, at today with its monthly
// trajectory, next to the ledger.
Status DemoObserver::Queried(const demo::Run& run) {
  HtmlProvenance provenance;
  provenance.origin = run.generator->origin();
  provenance.ledger_size = run.verify.size;
  provenance.ledger_root = ledger::ToHex(run.verify.root);
  provenance.checkpoint_note = run.checkpoint;
  provenance.checkpoint_size = run.verify.size;
  provenance.checkpoint_root = ledger::ToHex(run.verify.root);
  const std::filesystem::path html_path = run.dir / "report.html";
  std::ofstream html(html_path, std::ios::binary | std::ios::trunc);
  html << RenderActiveDuiHtml(*run.dui_today,
                              projections::ActiveDuiTrajectory(run.projector->state(), run.today()),
                              provenance);
  if (!html) return Status::IoError("cannot write " + html_path.string());
  return Status::OK();
}

int PrintDemo(const demo::Run& run, const DemoArgs& args, const Globals& g, double total_seconds) {
  const demo::Generator& gen = *run.generator;
  const demo::Summary& sum = gen.summary();
  const ledger::Ledger::VerifyReport& v = run.verify;
  int attempts_as_expected = 0;
  for (const demo::Attempted& a : run.attempts) {
    if (a.refusal && PublicCode(*a.refusal) == a.attempt.expected_code) ++attempts_as_expected;
  }
  const double rate =
      run.import_seconds > 0 ? static_cast<double>(run.appended) / run.import_seconds : 0;
  const std::string root = ledger::ToHex(v.root);
  const std::string ledger_arg = run.ledger_dir.string();
  const std::filesystem::path html_path = run.dir / "report.html";
  const auto& attempts = run.attempts;

  if (g.json) {
    json out = {
        {"dir", run.dir.string()},
        {"ledger", ledger_arg},
        {"scope", gen.scope_name()},
        {"scale", args.scale},
        {"seed", args.seed},
        {"regions", sum.regions},
        {"organisations", sum.organisations},
        {"establishments", sum.establishments},
        {"projects", sum.projects},
        {"projectsByCampaign", json::object()},
        {"rejected", sum.rejected},
        {"balances", sum.balances},
        {"neverReachingGrappes", sum.never_reaching_grappes},
        {"extensions", sum.extensions},
        {"renumberings", sum.renumberings},
        {"mergers", sum.mergers},
        {"sonsOrders", sum.sons_orders},
        {"euFunds", sum.eu_funds},
        {"measurements", sum.measurements},
        {"appended", run.appended},
        {"existing", run.existing},
        {"commits", run.commits},
        {"importSeconds", run.import_seconds},
        {"eventsPerSecond", static_cast<int64_t>(rate)},
        {"totalSeconds", total_seconds},
        {"size", run.ledger->size()},
        {"root", root},
        {"eventsDigest", ledger::ToHex(run.events_digest)},
        {"featuredProject", sum.featured_project},
        {"unexpectedRefusals", json::array()},
        {"attempts", json::array()},
        {"attemptsRefusedAsExpected", attempts_as_expected},
        {"prorataProject", sum.prorata_project},
        {"prorataRemainingCents",
         run.prorata_check.has_value() ? json(run.prorata_check->amount_cents) : json(nullptr)},
        {"lapsedProject", sum.lapsed_project},
        {"lapsedStatus", run.lapsed_status},
        {"complementProject", sum.complement_project},
        {"complementRegion", sum.complement_region},
        {"complementLeadRegion", run.complement_lead},
        {"activeDui",
         {{"at", run.dui_2024->at.ToString()},
          {"total", run.dui_2024->total},
          {"establishments", run.dui_2024->establishments},
          {"target", run.dui_2024->target},
          {"percentOfTarget", run.dui_2024->PercentOfTarget()},
          {"by", run.dui_2024->by},
          {"latestAt", run.dui_today->at.ToString()},
          {"latestTotal", run.dui_today->total},
          {"latestEstablishments", run.dui_today->establishments},
          {"html", html_path.string()},
          // The generator's own expectation, from the data it drew (a cross-check).
          {"generatedEnd2024", sum.active_dui_end_2024},
          {"generatedLatest", sum.active_dui_latest}}},
        {"phases", json::object()},
        {"checkpoint", run.checkpoint},
        {"verify",
         {{"ok", v.ok},
          {"size", v.size},
          {"root", root},
          {"firstBad", v.first_bad.has_value() ? json(*v.first_bad) : json(nullptr)},
          {"problem", v.ok ? json(nullptr) : json(v.problem)}}}};
    for (const auto& [campaign, n] : sum.projects_by_campaign)
      out["projectsByCampaign"][campaign] = n;
    for (const auto& [name, seconds] : run.phases) out["phases"][name] = seconds;
    for (const demo::Unexpected& u : run.unexpected) {
      out["unexpectedRefusals"].push_back(
          {{"id", u.id}, {"signer", u.signer}, {"error", json::parse(ErrorJson(u.status))}});
    }
    for (const demo::Attempted& a : attempts) {
      out["attempts"].push_back({{"id", a.attempt.id},
                                 {"signer", a.attempt.signer},
                                 {"what", a.attempt.what},
                                 {"expectedCode", a.attempt.expected_code},
                                 {"refused", a.refusal.has_value()},
                                 {"code", CodeOf(a)},
                                 {"message", MessageOf(a)}});
    }
    std::string text = out.dump();
    std::fwrite(text.data(), 1, text.size(), g.out);
    std::fputc('\n', g.out);
    std::fflush(g.out);
    return v.ok ? kExitOk : kExitVerificationFailed;
  }

  // ---- the walk-through ----
  Section(g, "1. The programme generated");
  fmt::print(g.out, "{} organisations (OG) run {} establishments (ESSMS) in {} région(s).\n",
             Thousands(sum.organisations), Thousands(sum.establishments), sum.regions);
  std::string campaigns;
  for (const auto& [campaign, n] : sum.projects_by_campaign) {
    campaigns += fmt::format("{}{} {}", campaigns.empty() ? "" : ", ", n, campaign);
  }
  fmt::print(g.out, "{} projects (grappes): {}; {} rejected at committee.\n", sum.projects,
             campaigns, sum.rejected);
  fmt::print(
      g.out,
      "{} grappe extensions, {} FINESS renumberings, {} mergers, {} SONS orders, {} EU fundings;\n"
      "{} monthly usage measurements; {} balances paid; {} grappe(s) with an establishment that\n"
      "never reaches the targets (so the whole grappe's balance is never paid).\n",
      sum.extensions, sum.renumberings, sum.mergers, sum.sons_orders, sum.eu_funds,
      Thousands(static_cast<int64_t>(sum.measurements)), sum.balances, sum.never_reaching_grappes);
  fmt::print(g.out, "Keys in {}/keys (mode 0600), one per role:", run.dir.string());
  for (const demo::Key& k : gen.keys()) fmt::print(g.out, " {}", k.name);
  fmt::print(g.out, "\n");

  Section(g, "2. The ledger");
  fmt::print(g.out, "{}: {} records, Merkle root\n  {}\n", ledger_arg,
             Thousands(static_cast<int64_t>(run.ledger->size())), root);
  fmt::print(g.out,
             "Imported {} events in {:.1f} s ({} events/s, {} group commits: one synced write\n"
             "of at most {} events of any signers, written while the next ones are signed).\n",
             Thousands(static_cast<int64_t>(run.appended)), run.import_seconds,
             Thousands(static_cast<int64_t>(rate)), run.commits, demo::kGroupCommit);
  fmt::print(g.out, "Accepted events, for re-import: {}/events.jsonl (digest {})\n",
             run.dir.string(), ledger::ToHex(run.events_digest).substr(0, 16));
  if (!run.unexpected.empty()) {
    fmt::print(g.out,
               "WARNING: {} generated events were refused; the generator and the rules disagree:\n",
               run.unexpected.size());
    for (size_t i = 0; i < run.unexpected.size() && i < 10; ++i) {
      fmt::print(g.out, "  {} ({}): {}\n", run.unexpected[i].id, run.unexpected[i].signer,
                 StatusText(run.unexpected[i].status));
    }
  }

  Section(g, "3. One project's history: " + sum.featured_project);
  if (run.history.ok()) {
    fmt::print(g.out, "{:>8}  {:<10}  {:<20}  {}\n", "seq", "date", "type", "signer");
    for (uint64_t seq : *run.history) {
      auto r = run.ledger->Get(seq);
      if (!r.ok()) continue;
      fmt::print(g.out, "{:>8}  {:<10}  {:<20}  {}\n", r->seq, r->at, r->type, r->signer);
    }
  } else {
    fmt::print(g.out, "(history unavailable: {})\n", StatusText(run.history.status()));
  }
  if (run.view.ok()) {
    fmt::print(g.out, "\nIts state (esms-ledger state {}):\n{}", sum.featured_project,
               Indented(projections::ToText(*run.view), "  "));
  } else {
    fmt::print(g.out, "(state unavailable: {})\n", StatusText(run.view.status()));
  }
  if (run.check.ok()) {
    fmt::print(g.out, "\nIts payment check on {} (esms-ledger check {}):\n{}", run.options.today,
               sum.featured_project, Indented(projections::ToText(*run.check), "  "));
  } else {
    fmt::print(g.out, "(check unavailable: {})\n", StatusText(run.check.status()));
  }

  Section(g, "4. The second reading of the texts (issue 13)");
  if (!sum.prorata_project.empty()) {
    fmt::print(g.out,
               "Amorçage {}: its deployment tranche (20 %) paid prorata of the usage its file\n"
               "announced (esms-ledger check {}):\n",
               sum.prorata_project, sum.prorata_project);
    if (run.prorata_check.has_value()) {
      for (const auto& c : run.prorata_check->conditions) {
        fmt::print(g.out, "  {} {}: {}\n", c.met ? "[x]" : "[ ]", c.code, c.detail);
      }
    }
  }
  if (!sum.lapsed_project.empty()) {
    fmt::print(g.out,
               "2025 {}: state {} (its contractual duration ended with no qualifying period,\n"
               "002: the 50 % balance is not paid).\n",
               sum.lapsed_project, run.lapsed_status);
  }
  if (!sum.complement_project.empty()) {
    fmt::print(g.out,
               "{}: a complément de grappe of region {}, its share of the advance paid by that\n"
               "region's ARS (payingRegion {}); follow-up stays with the lead region {}.\n",
               sum.complement_project, sum.complement_region, sum.complement_region,
               run.complement_lead);
  }

  Section(g, "5. What the rules refuse");
  fmt::print(g.out, "Each attempt was imported on its own; a refusal writes nothing.\n");
  for (const demo::Attempted& a : attempts) {
    if (a.refusal.has_value()) {
      fmt::print(
          g.out, "- {}\n  refused {}{}: {}\n", a.attempt.what, CodeOf(a),
          CodeOf(a) == a.attempt.expected_code ? "" : " (expected " + a.attempt.expected_code + ")",
          MessageOf(a));
    } else {
      fmt::print(g.out,
                 "- {}\n  NOT refused (expected {}): the guard does not enforce this rule yet\n",
                 a.attempt.what, a.attempt.expected_code);
    }
  }
  fmt::print(g.out, "{} of {} attempts refused with the expected code.\n", attempts_as_expected,
             attempts.size());

  Section(g, "6. The PNRR indicator: active DUI files");
  fmt::print(
      g.out,
      "The sum of active DUI files over the establishments, each followed through its FINESS\n"
      "changes and counted once with its latest measurement (esms-ledger report active-dui\n"
      "--at 2024-12-31 --by {}):\n",
      projections::ToString(run.report_by));
  fmt::print(g.out, "{}", Indented(projections::ToText(*run.dui_2024), "  "));
  fmt::print(g.out, "At {}: {} active DUI files over {} establishments.\n",
             run.dui_today->at.ToString(), Thousands(run.dui_today->total),
             Thousands(run.dui_today->establishments));
  if (run.options.scale == demo::Scale::kRegion) {
    fmt::print(g.out, "(410 000 is the national target; one region carries a share of it.)\n");
  }
  fmt::print(g.out,
             "The same indicator as a page, with its monthly trajectory and how to verify each\n"
             "figure: open {} in a browser.\n",
             html_path.string());

  Section(g, "7. A checkpoint, signed with the ledger key");
  fmt::print(g.out, "{}", run.checkpoint);
  fmt::print(g.out, "(verifier key in {}/ledger.pub)\n", ledger_arg);

  Section(g, "8. verify");
  if (v.ok) {
    fmt::print(
        g.out,
        "OK: {} records; hash chain, signatures, Merkle tree, checkpoints and indexes check\n"
        "root {}\n",
        Thousands(static_cast<int64_t>(v.size)), root);
  } else {
    fmt::print(g.out, "FAILED: {}\n", v.problem);
  }

  Section(g, "Explore further");
  fmt::print(g.out, "  esms-ledger log --ledger {} --from 0 --to 40\n", ledger_arg);
  fmt::print(g.out, "  esms-ledger history {} --ledger {}\n", sum.featured_project, ledger_arg);
  fmt::print(g.out, "  esms-ledger state {} --ledger {}\n", sum.featured_project, ledger_arg);
  fmt::print(g.out, "  esms-ledger check {} --ledger {}\n", sum.laggard_project, ledger_arg);
  fmt::print(g.out, "  esms-ledger report active-dui --at 2024-12-31 --by {} --ledger {}\n",
             run.options.scale == demo::Scale::kNational ? "region" : "department", ledger_arg);
  fmt::print(g.out, "  esms-ledger verify --ledger {}\n", ledger_arg);
  fmt::print(g.out, "  esms-ledger prove 1000 --ledger {}\n", ledger_arg);
  fmt::print(g.out, "  esms-ledger import {}/events.jsonl --key {}/keys/admin.pem --ledger {}\n",
             run.dir.string(), run.dir.string(), ledger_arg);
  std::string timings;
  for (const auto& [name, seconds] : run.phases) {
    timings += fmt::format("{}{} {:.1f} s", timings.empty() ? "" : ", ", name, seconds);
  }
  fmt::print(g.out, "(done in {:.1f} s: {})\n", total_seconds, timings);
  std::fflush(g.out);
  return v.ok ? kExitOk : kExitVerificationFailed;
}

}  // namespace esms::cli
