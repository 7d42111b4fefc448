// RunDemo: the steps of `esms-ledger demo` (cli/demo.h) after its directory is prepared:
// draw the programme (Generator), write its keys (DIR/keys, mode 0600) and load them back,
// create the ledger in DIR/ledger under a fixed clock, import the events of every signer
// (DIR/events.jsonl keeps the accepted ones), import the attempts one by one, save the
// projections' snapshot, sign a checkpoint, verify, and run the queries the walk-through shows.
// What the CLI prints (cli/demo_walkthrough.h) is in the returned Run; the Observer lets it
// speak while the steps run (the header, the import's progress, the HTML page).
//
// Thread-safety: single-threaded.
#ifndef ESMS_DEMO_RUN_H_
#define ESMS_DEMO_RUN_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "demo/generator.h"
#include "domain/date.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "projections/projector.h"
#include "projections/queries.h"
#include "projections/report.h"

namespace esms::demo {

// The import submits a synced write every kGroupCommit events.
inline constexpr size_t kGroupCommit = 1000;

// An attempt as imported: refused (with its status) or, wrongly, accepted.
struct Attempted {
  Attempt attempt;
  std::optional<Status> refusal;
};

// A generated event the ledger refused (the generator and the rules disagree).
struct Unexpected {
  std::string id;
  std::string signer;
  Status status;
};

struct Run {
  std::filesystem::path dir, ledger_dir;
  Options options;
  std::unique_ptr<Generator> generator;
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<projections::Projector> projector;
  // The import.
  uint64_t appended = 0, existing = 0, commits = 0;
  double import_seconds = 0;
  // SHA-256 chained over (signer, JSON line) of the accepted events, in ledger order.
  ledger::Hash events_digest{};
  std::vector<Unexpected> unexpected;
  std::vector<Attempted> attempts;
  // The checkpoint and verify.
  std::string checkpoint;
  ledger::Ledger::VerifyReport verify;
  // The queries: the featured project, issue 13's showcases, the PNRR indicator.
  Result<std::vector<uint64_t>> history = Status::Internal("not run");
  Result<projections::ProjectView> view = Status::Internal("not run");
  Result<projections::CheckReport> check = Status::Internal("not run");
  std::optional<projections::TrancheCheck> prorata_check;  // its deployment tranche
  std::string lapsed_status, complement_lead;
  projections::ReportBy report_by = projections::ReportBy::kDepartment;
  std::optional<projections::ActiveDuiReport> dui_2024, dui_today;  // set when Run succeeds
  // Wall-clock seconds of each phase, in order.
  std::vector<std::pair<std::string, double>> phases;

  domain::Date today() const;
};

class Observer {
 public:
  virtual ~Observer() = default;
  // The programme is drawn; `to_import` events will be imported.
  virtual void Planned(const Generator& /*generator*/, uint64_t /*to_import*/) {}
  virtual void Imported(uint64_t /*done*/) {}
  virtual void ImportFinished() {}
  // The queries are done (within their phase): the CLI writes its page.
  virtual Status Queried(const Run& /*run*/) { return Status::OK(); }
};

// Runs the steps into `dir` (prepared: it holds an empty keys/ folder).
Result<std::unique_ptr<Run>> RunDemo(const std::filesystem::path& dir, const Options& options,
                                     Observer& observer);

}  // namespace esms::demo

#endif  // ESMS_DEMO_RUN_H_
