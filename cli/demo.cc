// The `demo` command: its options, its directory, then demo::RunDemo (the steps) and
// PrintDemo (cli/demo_walkthrough.h). See cli/demo.h.
#include "cli/demo.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/demo_federated.h"
#include "cli/demo_walkthrough.h"
#include "cli/output.h"
#include "demo/run.h"

namespace esms::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMarkerFile = ".esms-demo";
constexpr std::string_view kMarkerText =
    "esms-ledger demo directory: `esms-ledger demo` may replace it\n";

Status UsageError(std::string message) {
  return Status::InvalidArgument(error_code::kUsage, std::move(message));
}

}  // namespace

Status PrepareDemoDir(const fs::path& dir) {
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

CLI::App* AddDemoCommand(CLI::App& app, DemoArgs* args) {
  CLI::App* demo = app.add_subcommand(
      "demo",
      "Build a realistic synthetic ESMS numérique programme (deterministic from --seed) into "
      "a fresh ledger in DIR/ledger, with its keys in DIR/keys and the accepted events in "
      "DIR/events.jsonl, then walk through it: a project's history, state and payment "
      "check, the refused attempts, the PNRR active-DUI indicator, a checkpoint, verify");
  demo->add_option("--dir", args->dir,
                   "Demo directory (a new or empty one, or a previous demo, which is replaced); "
                   "default: esms-demo, or with --federated a new directory under the temp dir");
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
  // For the federated report's tests and measures: one region's ledger (INSEE code).
  demo->add_option("--region", args->region, "Region of --scale region (INSEE code)")->group("");
  demo->add_flag("--federated", args->federated,
                 "With --scale national: one ledger per ARS and a national one, each served by a "
                 "process of its own (serve), one witness, one mirror, the national report across "
                 "them; then a witness refusing a rolled-back ledger and the mirror catching a "
                 "tampered tile (docs/federation.md §8)");
  // For tests: the federated demo over the first N regions only.
  demo->add_option("--regions", args->regions, "Regions of the federated demo (test option)")
      ->check(CLI::Range(2, 18))
      ->group("");
  return demo;
}

int CmdDemo(const Globals& g, const DemoArgs& args) {
  if (args.federated && args.scale == "national") return CmdDemoFederated(g, args);
  const auto started = std::chrono::steady_clock::now();
  demo::Options options;
  options.scale = args.scale == "national" ? demo::Scale::kNational : demo::Scale::kRegion;
  options.seed = args.seed;
  options.establishments = args.establishments;
  options.region = args.region;
  options.federated = args.federated;
  options.today = fmt::format("{}-12-31", args.until);

  const fs::path dir = args.dir.empty() ? fs::path("esms-demo") : fs::path(args.dir);
  if (Status s = PrepareDemoDir(dir); !s.ok()) return ReportError(s, g);
  DemoObserver observer(g, args.seed);
  auto run = demo::RunDemo(dir, options, observer);
  if (!run.ok()) return ReportError(run.status(), g);
  const double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return PrintDemo(**run, args, g, total_seconds);
}

}  // namespace esms::cli
