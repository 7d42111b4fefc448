// The offline-evidence commands. See cli/evidence_commands.h.
#include "cli/evidence_commands.h"

#include <CLI/CLI.hpp>

#include "cli/output.h"

namespace esms::cli {

void AddEvidenceCommands(CLI::App& app, EvidenceArgs* args) {
  args->bundle = app.add_subcommand("bundle", "Evidence bundle of a project (not built yet)");
  args->bundle->add_option("PROJECT", args->bundle_project, "Project id")->required();
  args->bundle->add_option("--out", args->bundle_out, "Bundle file")->required();
  args->verify_bundle =
      app.add_subcommand("verify-bundle", "Verify an evidence bundle offline (not built yet)");
  args->verify_bundle->add_option("FILE", args->verify_file, "Bundle file")->required();
  args->verify_bundle->add_option("--trust", args->trust, "ledger.pub")->required();
}

std::optional<int> RunEvidenceCommand(const Globals& g, const EvidenceArgs& args) {
  if ((args.bundle != nullptr && *args.bundle) ||
      (args.verify_bundle != nullptr && *args.verify_bundle)) {
    return ReportError(Status::InvalidArgument(error_code::kUsage, "not built yet"), g.json);
  }
  return std::nullopt;
}

int CmdProveTlog(const Globals& g, uint64_t, std::optional<uint64_t>,
                 const std::optional<std::string>&) {
  return ReportError(Status::InvalidArgument(error_code::kUsage, "tlog-proof is not built yet"),
                     g.json);
}

}  // namespace esms::cli
