// The steps of the demo: see demo/run.h. Moved from cli/demo.cc (issue 17): the CLI wires.
#include "demo/run.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string_view>

#include "ledger/keys.h"
#include "projections/appender.h"

namespace esms::demo {
namespace {

namespace fs = std::filesystem;

// recordedAt of the demo's records: a fixed clock (2026-01-05T08:00:00Z, then one
// millisecond per record) from genesis on, so the same seed gives the same ledger and root.
constexpr int64_t kDemoClockStartMicros = 1767600000LL * 1000000;

Status WritePrivateFile(const fs::path& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot create " + path.string());
  ssize_t written = ::write(fd, text.data(), text.size());
  bool ok = written == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) return Status::IoError("cannot write " + path.string());
  return Status::OK();
}

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

}  // namespace

domain::Date Run::today() const { return *domain::Date::Parse(options.today); }

Result<std::unique_ptr<Run>> RunDemo(const fs::path& dir, const Options& options,
                                     Observer& observer) {
  auto run = std::make_unique<Run>();
  run->dir = dir;
  run->ledger_dir = dir / "ledger";
  run->options = options;
  auto phase_started = std::chrono::steady_clock::now();
  auto end_phase = [&](std::string name) {
    const auto now = std::chrono::steady_clock::now();
    run->phases.emplace_back(std::move(name),
                             std::chrono::duration<double>(now - phase_started).count());
    phase_started = now;
  };
  ASSIGN_OR_RETURN(run->generator, Generator::Create(options));
  end_phase("plan");
  const Generator& gen = *run->generator;
  const Summary& sum = gen.summary();
  observer.Planned(gen, sum.events + gen.keys().size());

  // Keys: written (mode 0600) and loaded back as any user's key would be.
  std::map<std::string, ledger::SigningKey> keys;
  for (const Key& k : gen.keys()) {
    fs::path file = dir / "keys" / (k.name + ".pem");
    RETURN_IF_ERROR(WritePrivateFile(file, KeyPem(options.seed, k.name)));
    ASSIGN_OR_RETURN(ledger::SigningKey loaded, ledger::SigningKey::LoadPem(file));
    keys.emplace(k.name, std::move(loaded));
  }
  const ledger::SigningKey& admin = keys.at(gen.keys().front().name);

  int64_t tick = 0;
  // The ledger key (it signs the checkpoints), derived from the seed too: the same seed
  // gives the same checkpoints. Kept as the ledger's ledger.key once the ledger exists.
  const std::string ledger_key_pem = KeyPem(options.seed, "ledger-key");
  const fs::path ledger_key_staged = dir / "keys" / "ledger-key.pem";
  RETURN_IF_ERROR(WritePrivateFile(ledger_key_staged, ledger_key_pem));
  ASSIGN_OR_RETURN(ledger::SigningKey ledger_key, ledger::SigningKey::LoadPem(ledger_key_staged));
  std::error_code removed;
  fs::remove(ledger_key_staged, removed);
  ASSIGN_OR_RETURN(
      run->ledger,
      ledger::Ledger::Create(
          run->ledger_dir, gen.origin(), gen.keys().front().name, admin,
          {.now_micros = [&tick] { return kDemoClockStartMicros + 1000 * tick++; },
           .ledger_key = std::make_shared<const ledger::SigningKey>(std::move(ledger_key))}));
  RETURN_IF_ERROR(WritePrivateFile(run->ledger_dir / ledger::kLedgerKeyFile, ledger_key_pem));
  ledger::Ledger& l = *run->ledger;
  ASSIGN_OR_RETURN(run->projector, projections::Projector::Open(l));
  projections::Projector& projector = *run->projector;

  std::ofstream events_file(dir / "events.jsonl", std::ios::binary | std::ios::trunc);
  if (!events_file) return Status::IoError("cannot write events.jsonl");
  events_file << "# esms-ledger demo, " << gen.scope_name() << ", seed " << options.seed
              << ": the accepted events in ledger order (each signed by the key named in\n"
                 "# DIR/keys; `esms-ledger import` re-imports them as \"existing\").\n";

  // The events' digest: SHA-256 chained over (signer, JSON line) in ledger order. The
  // same seed gives the same digest (the ledger root also covers recordedAt and the
  // genesis record's wall-clock time).
  ledger::Hash digest = ledger::Sha256(std::string_view("esms-ledger demo events"));
  MultiSignerImport import(l, projector, keys);
  uint64_t done = 0;
  auto add = [&](const std::string& signer, const std::string& id,
                 const std::string& line) -> Status {
    auto result = import.Add(signer, line);
    observer.Imported(++done);
    if (!result.ok()) {
      const Status& s = result.status();
      if (s.code() == StatusCode::kIoError || s.code() == StatusCode::kUnavailable ||
          s.code() == StatusCode::kDataLoss || s.code() == StatusCode::kInternal) {
        return s;
      }
      run->unexpected.push_back({id, signer, s});
      return Status::OK();
    }
    if (result->existing) {
      ++run->existing;
      return Status::OK();
    }
    ++run->appended;
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
    status = gen.Emit([&](const EventLine& e) { return add(e.signer, e.id, e.json); });
  }
  if (status.ok()) status = import.Commit();
  observer.ImportFinished();
  RETURN_IF_ERROR(status);
  run->import_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - import_started).count();
  events_file.close();
  if (!events_file) return Status::IoError("cannot write events.jsonl");
  run->events_digest = digest;
  end_phase("import");

  // The attempts, one by one: each must be refused with its code.
  for (const Attempt& a : gen.Attempts()) {
    Attempted result{a, std::nullopt};
    auto r = import.Add(a.signer, a.json);
    if (r.ok()) {
      RETURN_IF_ERROR(import.Commit());
    } else {
      result.refusal = r.status();
    }
    run->attempts.push_back(std::move(result));
  }
  run->commits = import.commits();
  end_phase("attempts");
  RETURN_IF_ERROR(projector.SaveSnapshot());
  end_phase("snapshot");

  // The checkpoint of the last commit (signed by the ledger key), and verify.
  ASSIGN_OR_RETURN(run->checkpoint, l.MakeCheckpoint());
  ASSIGN_OR_RETURN(run->verify, l.Verify());
  end_phase("checkpoint and verify");

  // The featured project, as the projections see it.
  const projections::ProgrammeState& state = projector.state();
  const domain::Date today = run->today();
  run->view = projections::ViewProject(state, sum.featured_project);
  run->check = projections::CheckProject(state, sum.featured_project, today);
  run->history = projections::History(l, state, sum.featured_project);
  // Issue 13's showcases: the amorçage deployment paid prorata (its check), the 2025
  // project that lapsed (its state), the complement paid by its own region (its state).
  if (!sum.prorata_project.empty()) {
    if (auto c = projections::CheckProject(state, sum.prorata_project, today); c.ok()) {
      for (const auto& t : c->tranches) {
        if (t.tranche == "deployment") run->prorata_check = t;
      }
    }
  }
  if (!sum.lapsed_project.empty()) {
    if (auto v = projections::ViewProject(state, sum.lapsed_project, today); v.ok()) {
      run->lapsed_status = v->status;
    }
  }
  if (!sum.complement_project.empty()) {
    if (auto v = projections::ViewProject(state, sum.complement_project, today); v.ok()) {
      run->complement_lead = v->lead_region;
    }
  }
  // The PNRR indicator as `esms-ledger report active-dui` computes it: at the end of 2024
  // (the EU's target date, 003 §3.1) by region (national) or département (one region),
  // and at the demo's today.
  const domain::Date end_2024 = *domain::Date::Parse("2024-12-31");
  run->report_by = options.scale == Scale::kNational ? projections::ReportBy::kRegion
                                                     : projections::ReportBy::kDepartment;
  ASSIGN_OR_RETURN(run->dui_2024, projections::ComputeActiveDui(state, end_2024, run->report_by));
  ASSIGN_OR_RETURN(run->dui_today, projections::ComputeActiveDui(state, today, run->report_by));
  RETURN_IF_ERROR(observer.Queried(*run));
  end_phase("queries");
  return run;
}

}  // namespace esms::demo
