// The `demo` command: generate, import, walk through. See cli/demo.h.
#include "cli/demo.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "cli/report_html.h"
#include "demo/generator.h"
#include "domain/date.h"
#include "domain/money.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "projections/appender.h"
#include "projections/projector.h"
#include "projections/queries.h"
#include "projections/report.h"

namespace esms::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kMarkerFile = ".esms-demo";
constexpr std::string_view kMarkerText =
    "esms-ledger demo directory: `esms-ledger demo` may replace it\n";
constexpr size_t kGroupCommit = 1000;
// recordedAt of the demo's records: a fixed clock (2026-01-05T08:00:00Z, then one
// millisecond per record) from genesis on, so the same seed gives the same ledger and root.
constexpr int64_t kDemoClockStartMicros = 1767600000LL * 1000000;

Status UsageError(std::string message) {
  return Status::InvalidArgument(error_code::kUsage, std::move(message));
}

// DIR must be absent, empty, or a previous demo (then removed).
Status PrepareDir(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return UsageError(dir.string() + " exists and is not a directory");
    }
    if (!fs::is_empty(dir, ec)) {
      if (!fs::exists(dir / kMarkerFile, ec)) {
        return UsageError(fmt::format(
            "{} is not empty and is not a previous demo (no {} file): give --dir a new or "
            "empty directory",
            dir.string(), kMarkerFile));
      }
      fs::remove_all(dir, ec);
      if (ec)
        return Status::IoError(fmt::format("cannot remove {}: {}", dir.string(), ec.message()));
    }
  }
  fs::create_directories(dir / "keys", ec);
  if (ec) return Status::IoError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  fs::permissions(dir / "keys", fs::perms::owner_all, ec);
  std::ofstream marker(dir / kMarkerFile);
  marker << kMarkerText;
  if (!marker) return Status::IoError("cannot write " + (dir / kMarkerFile).string());
  return Status::OK();
}

Status WritePrivateFile(const fs::path& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot create " + path.string());
  ssize_t written = ::write(fd, text.data(), text.size());
  bool ok = written == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) return Status::IoError("cannot write " + path.string());
  return Status::OK();
}

struct Attempted {
  demo::Attempt attempt;
  bool refused = false;
  std::string code;
  std::string message;
};

struct Unexpected {
  std::string id;
  std::string signer;
  Status status;
};

// Imports events signed by several keys into one batch: the events of every signer
// share one synced write, submitted every kGroupCommit events (the national demo's
// signers interleave by date, so a commit per change of signer would cost one fsync
// every few events). The writes are pipelined (EventAppender::Submit): the next events
// are checked and signed while the previous ones go to disk; Commit() waits for all.
class MultiSignerImport {
 public:
  // `keys` must outlive the import (the batch signs on another thread).
  MultiSignerImport(ledger::Ledger& ledger, projections::Projector& projector,
                    const std::map<std::string, ledger::SigningKey>& keys)
      : ledger_(ledger), projector_(projector), keys_(keys) {}

  // The result of adding one event signed by `signer`.
  Result<ledger::Appended> Add(const std::string& signer, const std::string& json_line) {
    auto key = keys_.find(signer);
    if (key == keys_.end()) return Status::Internal("demo: no key named " + signer);
    if (appender_ == nullptr) {
      appender_ = std::make_unique<projections::EventAppender>(ledger_, key->second);
      projector_.Install(*appender_);
    } else if (appender_->staged() >= kGroupCommit) {
      RETURN_IF_ERROR(Submit());
    }
    std::string id;
    return appender_->Add(json_line, &id, key->second);
  }

  // Starts the synced write of the events staged so far.
  Status Submit() {
    if (appender_ == nullptr || appender_->staged() == 0) return Status::OK();
    Status s = appender_->Submit();
    if (!s.ok()) {
      (void)projector_.Reload();
      return s;
    }
    ++commits_;
    return Status::OK();
  }

  // Everything added so far is durable when this returns OK.
  Status Commit() {
    if (appender_ == nullptr) return Status::OK();
    RETURN_IF_ERROR(Submit());
    Status s = appender_->Flush();
    if (!s.ok()) (void)projector_.Reload();
    return s;
  }

  uint64_t commits() const { return commits_; }

 private:
  ledger::Ledger& ledger_;
  projections::Projector& projector_;
  const std::map<std::string, ledger::SigningKey>& keys_;
  std::unique_ptr<projections::EventAppender> appender_;
  uint64_t commits_ = 0;
};

std::string Thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(' ');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

void Section(std::string_view title) { fmt::print("\n== {} ==\n", title); }

// Indents every line of `text` by `indent`.
std::string Indented(const std::string& text, std::string_view indent) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    constexpr size_t kWidth = 160;  // long evidence lists: the check command shows them all
    if (line.size() > kWidth) {
      size_t cut = line.rfind(", ", kWidth);
      line = line.substr(0, cut == std::string::npos ? kWidth : cut) + ", ...)";
    }
    out += (line.empty() ? "" : std::string(indent)) + line + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

CLI::App* AddDemoCommand(CLI::App& app, DemoArgs* args) {
  CLI::App* demo = app.add_subcommand(
      "demo",
      "Build a realistic synthetic ESMS numérique programme (deterministic from --seed) into "
      "a fresh ledger in DIR/ledger, with its keys in DIR/keys and the accepted events in "
      "DIR/events.jsonl, then walk through it: a project's history, state and payment "
      "check, the refused attempts, the PNRR active-DUI indicator, a checkpoint, verify");
  demo->add_option("--dir", args->dir,
                   "Demo directory (a new or empty one, or a previous demo, which is replaced)")
      ->capture_default_str();
  demo->add_option("--scale", args->scale,
                   "region: Bretagne, about 2 000 establishments; national: about 36 500 "
                   "establishments in 18 regions, monthly measurements 2022-2025")
      ->check(CLI::IsMember({"region", "national"}))
      ->capture_default_str();
  demo->add_option("--seed", args->seed, "Seed of the generator: the same seed, the same events")
      ->capture_default_str();
  demo->add_option("--until", args->until,
                   "Last year of the monthly measurements, and the demo's today (its 31 "
                   "December). The programme's own ends in 2025; later years let every "
                   "equipped establishment go on reporting each month, for a larger ledger "
                   "of the same programme: --scale national --until 2030 makes about "
                   "2.9 million records, --until 2034 about 4.5 million")
      ->check(CLI::Range(2025, 2040))
      ->capture_default_str();
  // For tests: a small programme. Hidden from --help (empty group).
  demo->add_option("--establishments", args->establishments,
                   "Number of establishments (test option)")
      ->group("");
  return demo;
}

int CmdDemo(const Globals& g, const DemoArgs& args) {
  const auto started = std::chrono::steady_clock::now();
  demo::Options options;
  options.scale = args.scale == "national" ? demo::Scale::kNational : demo::Scale::kRegion;
  options.seed = args.seed;
  options.establishments = args.establishments;
  options.today = fmt::format("{}-12-31", args.until);

  const fs::path dir = args.dir;
  const fs::path ledger_dir = dir / "ledger";
  if (Status s = PrepareDir(dir); !s.ok()) return ReportError(s, g.json);

  // Wall-clock seconds of each phase, for the walk-through and --json.
  std::vector<std::pair<std::string, double>> phases;
  auto phase_started = std::chrono::steady_clock::now();
  auto end_phase = [&](std::string name) {
    const auto now = std::chrono::steady_clock::now();
    phases.emplace_back(std::move(name),
                        std::chrono::duration<double>(now - phase_started).count());
    phase_started = now;
  };
  auto generated = demo::Generator::Create(options);
  if (!generated.ok()) return ReportError(generated.status(), g.json);
  end_phase("plan");
  const demo::Generator& gen = **generated;
  const demo::Summary& sum = gen.summary();
  if (!g.json) {  // the walk-through's header at once: the import takes a while
    fmt::print("esms-ledger demo: a synthetic ESMS numérique programme, {}, seed {}\n",
               gen.scope_name(), args.seed);
    fmt::print(
        "Everything below is made up by a deterministic generator (the same seed gives the same\n"
        "events), with real département and region codes and valid FINESS and SIRET numbers.\n");
    std::fflush(stdout);
  }

  // Keys: written (mode 0600) and loaded back as any user's key would be.
  std::map<std::string, ledger::SigningKey> keys;
  for (const demo::Key& k : gen.keys()) {
    fs::path file = dir / "keys" / (k.name + ".pem");
    if (Status s = WritePrivateFile(file, demo::KeyPem(args.seed, k.name)); !s.ok()) {
      return ReportError(s, g.json);
    }
    auto loaded = ledger::SigningKey::LoadPem(file);
    if (!loaded.ok()) return ReportError(loaded.status(), g.json);
    keys.emplace(k.name, std::move(loaded).value());
  }
  const ledger::SigningKey& admin = keys.at(gen.keys().front().name);

  int64_t tick = 0;
  // The ledger key (it signs the checkpoints), derived from the seed too: the same seed
  // gives the same checkpoints. Kept as the ledger's ledger.key once the ledger exists.
  const std::string ledger_key_pem = demo::KeyPem(args.seed, "ledger-key");
  const fs::path ledger_key_staged = dir / "keys" / "ledger-key.pem";
  if (Status s = WritePrivateFile(ledger_key_staged, ledger_key_pem); !s.ok()) {
    return ReportError(s, g.json);
  }
  auto ledger_key = ledger::SigningKey::LoadPem(ledger_key_staged);
  if (!ledger_key.ok()) return ReportError(ledger_key.status(), g.json);
  std::error_code removed;
  fs::remove(ledger_key_staged, removed);
  auto created = ledger::Ledger::Create(
      ledger_dir, gen.origin(), gen.keys().front().name, admin,
      {.now_micros = [&tick] { return kDemoClockStartMicros + 1000 * tick++; },
       .ledger_key = std::make_shared<const ledger::SigningKey>(std::move(ledger_key).value())});
  if (!created.ok()) return ReportError(created.status(), g.json);
  if (Status s = WritePrivateFile(ledger_dir / ledger::kLedgerKeyFile, ledger_key_pem); !s.ok()) {
    return ReportError(s, g.json);
  }
  ledger::Ledger& l = **created;
  auto projector_or = projections::Projector::Open(l);
  if (!projector_or.ok()) return ReportError(projector_or.status(), g.json);
  projections::Projector& projector = **projector_or;

  std::ofstream events_file(dir / "events.jsonl", std::ios::binary | std::ios::trunc);
  if (!events_file) return ReportError(Status::IoError("cannot write events.jsonl"), g.json);
  events_file << "# esms-ledger demo, " << gen.scope_name() << ", seed " << args.seed
              << ": the accepted events in ledger order (each signed by the key named in\n"
                 "# DIR/keys; `esms-ledger import` re-imports them as \"existing\").\n";

  // The events' digest: SHA-256 chained over (signer, JSON line) in ledger order. The
  // same seed gives the same digest (the ledger root also covers recordedAt and the
  // genesis record's wall-clock time).
  ledger::Hash digest = ledger::Sha256(std::string_view("esms-ledger demo events"));
  MultiSignerImport import(l, projector, keys);
  Progress progress("demo import", sum.events + gen.keys().size());
  uint64_t appended = 0, existing = 0, done = 0;
  std::vector<Unexpected> unexpected;
  auto add = [&](const std::string& signer, const std::string& id,
                 const std::string& line) -> Status {
    auto result = import.Add(signer, line);
    progress.Update(++done);
    if (!result.ok()) {
      const Status& s = result.status();
      if (s.code() == StatusCode::kIoError || s.code() == StatusCode::kUnavailable ||
          s.code() == StatusCode::kDataLoss || s.code() == StatusCode::kInternal) {
        return s;
      }
      unexpected.push_back({id, signer, s});
      return Status::OK();
    }
    if (result->existing) {
      ++existing;
      return Status::OK();
    }
    ++appended;
    events_file << line << '\n';
    std::string chained = ledger::ToHex(digest) + "\n" + signer + "\n" + line;
    digest = ledger::Sha256(std::string_view(chained));
    return Status::OK();
  };

  end_phase("keys and genesis");
  const auto import_started = std::chrono::steady_clock::now();
  Status status;
  // Key enrolments first: every other signer must be enrolled before it signs.
  for (size_t i = 1; i < gen.keys().size() && status.ok(); ++i) {
    auto enrolment = gen.KeyEnrolment(i, keys.at(gen.keys()[i].name).public_key());
    status = enrolment.ok() ? add(enrolment->signer, enrolment->id, enrolment->json)
                            : enrolment.status();
  }
  if (status.ok()) status = import.Commit();
  if (status.ok()) {
    status = gen.Emit([&](const demo::EventLine& e) { return add(e.signer, e.id, e.json); });
  }
  if (status.ok()) status = import.Commit();
  progress.Finish();
  if (!status.ok()) return ReportError(status, g.json);
  const double import_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - import_started).count();
  events_file.close();
  if (!events_file) return ReportError(Status::IoError("cannot write events.jsonl"), g.json);
  end_phase("import");

  // The attempts, one by one: each must be refused with its code.
  std::vector<Attempted> attempts;
  for (const demo::Attempt& a : gen.Attempts()) {
    Attempted result;
    result.attempt = a;
    auto r = import.Add(a.signer, a.json);
    if (r.ok()) {
      if (Status s = import.Commit(); !s.ok()) return ReportError(s, g.json);
    } else {
      result.refused = true;
      result.code = PublicCode(r.status());
      result.message = r.status().message();
    }
    attempts.push_back(std::move(result));
  }
  end_phase("attempts");
  if (Status s = projector.SaveSnapshot(); !s.ok()) return ReportError(s, g.json);
  end_phase("snapshot");

  // The checkpoint of the last commit (signed by the ledger key), and verify.
  auto note = l.MakeCheckpoint();
  if (!note.ok()) return ReportError(note.status(), g.json);
  auto verified = l.Verify();
  if (!verified.ok()) return ReportError(verified.status(), g.json);
  const auto& v = *verified;
  end_phase("checkpoint and verify");

  // The featured project, as the projections see it.
  const projections::ProgrammeState& state = projector.state();
  auto today = domain::Date::Parse(options.today);
  auto view = projections::ViewProject(state, sum.featured_project);
  auto check = projections::CheckProject(state, sum.featured_project, *today);
  auto history = projections::History(l, state, sum.featured_project);
  // Issue 13's showcases: the amorçage deployment paid prorata (its check), the 2025
  // project that lapsed (its state), the complement paid by its own region (its state).
  std::optional<projections::TrancheCheck> prorata_check;
  if (!sum.prorata_project.empty()) {
    if (auto c = projections::CheckProject(state, sum.prorata_project, *today); c.ok()) {
      for (const auto& t : c->tranches) {
        if (t.tranche == "deployment") prorata_check = t;
      }
    }
  }
  std::string lapsed_status, complement_lead;
  if (!sum.lapsed_project.empty()) {
    if (auto v = projections::ViewProject(state, sum.lapsed_project, *today); v.ok()) {
      lapsed_status = v->status;
    }
  }
  if (!sum.complement_project.empty()) {
    if (auto v = projections::ViewProject(state, sum.complement_project, *today); v.ok()) {
      complement_lead = v->lead_region;
    }
  }
  // The PNRR indicator as `esms-ledger report active-dui` computes it: at the end of 2024
  // (the EU's target date, 003 §3.1) by region (national) or département (one region),
  // and at the demo's today.
  const domain::Date end_2024 = *domain::Date::Parse("2024-12-31");
  const projections::ReportBy report_by = options.scale == demo::Scale::kNational
                                              ? projections::ReportBy::kRegion
                                              : projections::ReportBy::kDepartment;
  auto dui_2024 = projections::ComputeActiveDui(state, end_2024, report_by);
  if (!dui_2024.ok()) return ReportError(dui_2024.status(), g.json);
  auto dui_today = projections::ComputeActiveDui(state, *today, report_by);
  if (!dui_today.ok()) return ReportError(dui_today.status(), g.json);
  // The page `report active-dui --format html` writes, at today with its monthly
  // trajectory, next to the ledger.
  HtmlProvenance provenance;
  provenance.origin = gen.origin();
  provenance.ledger_size = v.size;
  provenance.ledger_root = ledger::ToHex(v.root);
  provenance.checkpoint_note = *note;
  provenance.checkpoint_size = v.size;
  provenance.checkpoint_root = ledger::ToHex(v.root);
  const fs::path html_path = dir / "report.html";
  {
    std::ofstream html(html_path, std::ios::binary | std::ios::trunc);
    html << RenderActiveDuiHtml(*dui_today, projections::ActiveDuiTrajectory(state, *today),
                                provenance);
    if (!html) return ReportError(Status::IoError("cannot write " + html_path.string()), g.json);
  }
  end_phase("queries");

  int attempts_as_expected = 0;
  for (const Attempted& a : attempts) {
    if (a.refused && a.code == a.attempt.expected_code) ++attempts_as_expected;
  }
  const double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double rate = import_seconds > 0 ? static_cast<double>(appended) / import_seconds : 0;
  const std::string root = ledger::ToHex(v.root);
  const std::string ledger_arg = ledger_dir.string();

  if (g.json) {
    json out = {{"dir", dir.string()},
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
                {"appended", appended},
                {"existing", existing},
                {"commits", import.commits()},
                {"importSeconds", import_seconds},
                {"eventsPerSecond", static_cast<int64_t>(rate)},
                {"totalSeconds", total_seconds},
                {"size", l.size()},
                {"root", root},
                {"eventsDigest", ledger::ToHex(digest)},
                {"featuredProject", sum.featured_project},
                {"unexpectedRefusals", json::array()},
                {"attempts", json::array()},
                {"attemptsRefusedAsExpected", attempts_as_expected},
                {"prorataProject", sum.prorata_project},
                {"prorataRemainingCents",
                 prorata_check.has_value() ? json(prorata_check->amount_cents) : json(nullptr)},
                {"lapsedProject", sum.lapsed_project},
                {"lapsedStatus", lapsed_status},
                {"complementProject", sum.complement_project},
                {"complementRegion", sum.complement_region},
                {"complementLeadRegion", complement_lead},
                {"activeDui",
                 {{"at", dui_2024->at.ToString()},
                  {"total", dui_2024->total},
                  {"establishments", dui_2024->establishments},
                  {"target", dui_2024->target},
                  {"percentOfTarget", dui_2024->PercentOfTarget()},
                  {"by", dui_2024->by},
                  {"latestAt", dui_today->at.ToString()},
                  {"latestTotal", dui_today->total},
                  {"latestEstablishments", dui_today->establishments},
                  {"html", html_path.string()},
                  // The generator's own expectation, from the data it drew (a cross-check).
                  {"generatedEnd2024", sum.active_dui_end_2024},
                  {"generatedLatest", sum.active_dui_latest}}},
                {"phases", json::object()},
                {"checkpoint", *note},
                {"verify",
                 {{"ok", v.ok},
                  {"size", v.size},
                  {"root", root},
                  {"firstBad", v.first_bad.has_value() ? json(*v.first_bad) : json(nullptr)},
                  {"problem", v.ok ? json(nullptr) : json(v.problem)}}}};
    for (const auto& [campaign, n] : sum.projects_by_campaign)
      out["projectsByCampaign"][campaign] = n;
    for (const auto& [name, seconds] : phases) out["phases"][name] = seconds;
    for (const Unexpected& u : unexpected) {
      out["unexpectedRefusals"].push_back(
          {{"id", u.id}, {"signer", u.signer}, {"error", json::parse(ErrorJson(u.status))}});
    }
    for (const Attempted& a : attempts) {
      out["attempts"].push_back({{"id", a.attempt.id},
                                 {"signer", a.attempt.signer},
                                 {"what", a.attempt.what},
                                 {"expectedCode", a.attempt.expected_code},
                                 {"refused", a.refused},
                                 {"code", a.code},
                                 {"message", a.message}});
    }
    std::string text = out.dump();
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    return v.ok ? kExitOk : kExitVerificationFailed;
  }

  // ---- the walk-through ----
  Section("1. The programme generated");
  fmt::print("{} organisations (OG) run {} establishments (ESSMS) in {} région(s).\n",
             Thousands(sum.organisations), Thousands(sum.establishments), sum.regions);
  std::string campaigns;
  for (const auto& [campaign, n] : sum.projects_by_campaign) {
    campaigns += fmt::format("{}{} {}", campaigns.empty() ? "" : ", ", n, campaign);
  }
  fmt::print("{} projects (grappes): {}; {} rejected at committee.\n", sum.projects, campaigns,
             sum.rejected);
  fmt::print(
      "{} grappe extensions, {} FINESS renumberings, {} mergers, {} SONS orders, {} EU fundings;\n"
      "{} monthly usage measurements; {} balances paid; {} grappe(s) with an establishment that\n"
      "never reaches the targets (so the whole grappe's balance is never paid).\n",
      sum.extensions, sum.renumberings, sum.mergers, sum.sons_orders, sum.eu_funds,
      Thousands(static_cast<int64_t>(sum.measurements)), sum.balances, sum.never_reaching_grappes);
  fmt::print("Keys in {}/keys (mode 0600), one per role:", dir.string());
  for (const demo::Key& k : gen.keys()) fmt::print(" {}", k.name);
  fmt::print("\n");

  Section("2. The ledger");
  fmt::print("{}: {} records, Merkle root\n  {}\n", ledger_arg,
             Thousands(static_cast<int64_t>(l.size())), root);
  fmt::print(
      "Imported {} events in {:.1f} s ({} events/s, {} group commits: one synced write\n"
      "of at most {} events of any signers, written while the next ones are signed).\n",
      Thousands(static_cast<int64_t>(appended)), import_seconds,
      Thousands(static_cast<int64_t>(rate)), import.commits(), kGroupCommit);
  fmt::print("Accepted events, for re-import: {}/events.jsonl (digest {})\n", dir.string(),
             ledger::ToHex(digest).substr(0, 16));
  if (!unexpected.empty()) {
    fmt::print("WARNING: {} generated events were refused; the generator and the rules disagree:\n",
               unexpected.size());
    for (size_t i = 0; i < unexpected.size() && i < 10; ++i) {
      fmt::print("  {} ({}): {}\n", unexpected[i].id, unexpected[i].signer,
                 StatusText(unexpected[i].status));
    }
  }

  Section("3. One project's history: " + sum.featured_project);
  if (history.ok()) {
    fmt::print("{:>8}  {:<10}  {:<20}  {}\n", "seq", "date", "type", "signer");
    for (uint64_t seq : *history) {
      auto r = l.Get(seq);
      if (!r.ok()) continue;
      fmt::print("{:>8}  {:<10}  {:<20}  {}\n", r->seq, r->at, r->type, r->signer);
    }
  } else {
    fmt::print("(history unavailable: {})\n", StatusText(history.status()));
  }
  if (view.ok()) {
    fmt::print("\nIts state (esms-ledger state {}):\n{}", sum.featured_project,
               Indented(projections::ToText(*view), "  "));
  } else {
    fmt::print("(state unavailable: {})\n", StatusText(view.status()));
  }
  if (check.ok()) {
    fmt::print("\nIts payment check on {} (esms-ledger check {}):\n{}", options.today,
               sum.featured_project, Indented(projections::ToText(*check), "  "));
  } else {
    fmt::print("(check unavailable: {})\n", StatusText(check.status()));
  }

  Section("4. The second reading of the texts (issue 13)");
  if (!sum.prorata_project.empty()) {
    fmt::print(
        "Amorçage {}: its deployment tranche (20 %) paid prorata of the usage its file\n"
        "announced (esms-ledger check {}):\n",
        sum.prorata_project, sum.prorata_project);
    if (prorata_check.has_value()) {
      for (const auto& c : prorata_check->conditions) {
        fmt::print("  {} {}: {}\n", c.met ? "[x]" : "[ ]", c.code, c.detail);
      }
    }
  }
  if (!sum.lapsed_project.empty()) {
    fmt::print(
        "2025 {}: state {} (its contractual duration ended with no qualifying period,\n"
        "002: the 50 % balance is not paid).\n",
        sum.lapsed_project, lapsed_status);
  }
  if (!sum.complement_project.empty()) {
    fmt::print(
        "{}: a complément de grappe of region {}, its share of the advance paid by that\n"
        "region's ARS (payingRegion {}); follow-up stays with the lead region {}.\n",
        sum.complement_project, sum.complement_region, sum.complement_region, complement_lead);
  }

  Section("5. What the rules refuse");
  fmt::print("Each attempt was imported on its own; a refusal writes nothing.\n");
  for (const Attempted& a : attempts) {
    if (a.refused) {
      fmt::print(
          "- {}\n  refused {}{}: {}\n", a.attempt.what, a.code,
          a.code == a.attempt.expected_code ? "" : " (expected " + a.attempt.expected_code + ")",
          a.message);
    } else {
      fmt::print("- {}\n  NOT refused (expected {}): the guard does not enforce this rule yet\n",
                 a.attempt.what, a.attempt.expected_code);
    }
  }
  fmt::print("{} of {} attempts refused with the expected code.\n", attempts_as_expected,
             attempts.size());

  Section("6. The PNRR indicator: active DUI files");
  fmt::print(
      "The sum of active DUI files over the establishments, each followed through its FINESS\n"
      "changes and counted once with its latest measurement (esms-ledger report active-dui\n"
      "--at 2024-12-31 --by {}):\n",
      projections::ToString(report_by));
  fmt::print("{}", Indented(projections::ToText(*dui_2024), "  "));
  fmt::print("At {}: {} active DUI files over {} establishments.\n", dui_today->at.ToString(),
             Thousands(dui_today->total), Thousands(dui_today->establishments));
  if (options.scale == demo::Scale::kRegion) {
    fmt::print("(410 000 is the national target; one region carries a share of it.)\n");
  }
  fmt::print(
      "The same indicator as a page, with its monthly trajectory and how to verify each\n"
      "figure: open {} in a browser.\n",
      html_path.string());

  Section("7. A checkpoint, signed with the admin key");
  fmt::print("{}", *note);
  fmt::print("(verifier key in {}/ledger.pub)\n", ledger_arg);

  Section("8. verify");
  if (v.ok) {
    fmt::print(
        "OK: {} records; hash chain, signatures, Merkle tree, checkpoints and indexes check\n"
        "root {}\n",
        Thousands(static_cast<int64_t>(v.size)), root);
  } else {
    fmt::print("FAILED: {}\n", v.problem);
  }

  Section("Explore further");
  fmt::print("  esms-ledger log --ledger {} --from 0 --to 40\n", ledger_arg);
  fmt::print("  esms-ledger history {} --ledger {}\n", sum.featured_project, ledger_arg);
  fmt::print("  esms-ledger state {} --ledger {}\n", sum.featured_project, ledger_arg);
  fmt::print("  esms-ledger check {} --ledger {}\n", sum.laggard_project, ledger_arg);
  fmt::print("  esms-ledger report active-dui --at 2024-12-31 --by {} --ledger {}\n",
             options.scale == demo::Scale::kNational ? "region" : "department", ledger_arg);
  fmt::print("  esms-ledger verify --ledger {}\n", ledger_arg);
  fmt::print("  esms-ledger prove 1000 --ledger {}\n", ledger_arg);
  fmt::print("  esms-ledger import {}/events.jsonl --key {}/keys/admin.pem --ledger {}\n",
             dir.string(), dir.string(), ledger_arg);
  std::string timings;
  for (const auto& [name, seconds] : phases) {
    timings += fmt::format("{}{} {:.1f} s", timings.empty() ? "" : ", ", name, seconds);
  }
  fmt::print("(done in {:.1f} s: {})\n", total_seconds, timings);
  std::fflush(stdout);
  return v.ok ? kExitOk : kExitVerificationFailed;
}

}  // namespace esms::cli
