// The program without the service layer (-DESMS_SERVICE=OFF, as `bash .ci/demo` builds
// it: the demo needs no server, and Cap'n Proto RPC, kj-http and kj-tls are most of the
// build): in place of cli/remote.cc, serve_command.cc, serve_followers.cc,
// witness_command.cc, mirror_command.cc, federation_server.cc and demo_federated.cc,
// their commands parse their options as always (cli/served_options.cc) and then refuse
// with USAGE (exit 2, INTERFACE.md §5), naming what is missing and how to build it.
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "cli/demo_federated.h"
#include "cli/federation.h"
#include "cli/mirror_command.h"
#include "cli/remote.h"
#include "cli/serve_command.h"
#include "cli/witness_command.h"

namespace esms::cli {
namespace {

Status NotBuilt(std::string_view what) {
  return Status::InvalidArgument(
      error_code::kUsage,
      fmt::format("{} is not in this build of esms-ledger: it was built without the service "
                  "layer (-DESMS_SERVICE=OFF, as `bash .ci/demo` builds it for the demo); "
                  "`bash .ci/build` builds the whole program (or cmake -DESMS_SERVICE=ON)",
                  what));
}

}  // namespace

bool HasServiceLayer() { return false; }

int CmdServe(const Globals& g, const ServeArgs&) { return ReportError(NotBuilt("serve"), g); }

int CmdWitnessServe(const Globals& g, const WitnessArgs&) {
  return ReportError(NotBuilt("witness serve"), g);
}

int CmdWitnessAddCheckpoint(const Globals& g, const WitnessArgs&) {
  return ReportError(NotBuilt("witness add-checkpoint"), g);
}

int CmdMirror(const Globals& g, const MirrorArgs&) { return ReportError(NotBuilt("mirror"), g); }

int CmdDemoFederated(const Globals& g, const DemoArgs&) {
  return ReportError(NotBuilt("demo --federated"), g);
}

int RemoteImport(const Globals& g, const std::string&) {
  return ReportError(NotBuilt("--server"), g);
}

int RemoteReport(const Globals& g, const ReportArgs&, const ReportRequest&) {
  return ReportError(NotBuilt("--server"), g);
}

int RemoteBundle(const Globals& g, const std::string&, domain::Date,
                 const std::optional<std::string>&, const std::string&) {
  return ReportError(NotBuilt("--server"), g);
}

int RemoteRead(const Globals& g, service::ReadRequest) {
  return ReportError(NotBuilt("--server"), g);
}

int RemoteProveTlog(const Globals& g, uint64_t, std::optional<uint64_t>,
                    const std::optional<std::string>&) {
  return ReportError(NotBuilt("--server"), g);
}

Result<projections::LedgerShare> FetchServerShare(const ServerShareQuery& query, std::string*) {
  return NotBuilt(fmt::format("a federation's server entry ({})", query.server));
}

}  // namespace esms::cli
