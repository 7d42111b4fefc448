// What `esms-ledger demo` shows (cli/demo.h): while demo::RunDemo runs, the walk-through's
// header, the import's progress and the page DIR/report.html (DemoObserver); then the
// walk-through of the result, or its --json object (PrintDemo).
//
// Thread-safety: single-threaded, like every command.
#ifndef ESMS_CLI_DEMO_WALKTHROUGH_H_
#define ESMS_CLI_DEMO_WALKTHROUGH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/demo.h"
#include "cli/output.h"
#include "demo/run.h"

namespace esms::cli {

class DemoObserver : public demo::Observer {
 public:
  // `g` (the run's options and console) must outlive the observer.
  DemoObserver(const Globals& g, uint64_t seed) : g_(g), seed_(seed) {}
  void Planned(const demo::Generator& generator, uint64_t to_import) override;
  void Imported(uint64_t done) override;
  void ImportFinished() override;
  Status Queried(const demo::Run& run) override;

 private:
  const Globals& g_;
  uint64_t seed_;
  std::optional<Progress> progress_;
};

// A line of `check`'s text longer than `width` with its evidence list shortened,
// "(seqs 1, 2, ...)", keeping at least one seq; any other line whole, however long (its
// words are what it says: a complement's paying region, a tranche's share).
std::string ShortenEvidenceList(const std::string& line, size_t width);

// Prints the result; returns the exit code: 0, or 1 when the ledger does not verify.
int PrintDemo(const demo::Run& run, const DemoArgs& args, const Globals& g, double total_seconds);

}  // namespace esms::cli

#endif  // ESMS_CLI_DEMO_WALKTHROUGH_H_
