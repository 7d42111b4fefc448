// The commands as clients of a server (the global --server ADDR [--tls-ca FILE]): the
// same output and exit codes as on a local ledger (INTERFACE.md §6). A read runs on the
// server, which sends back what the command printed and its exit code; `import` signs
// plain lines here with --key (as `sign` does), sends the signed lines by chunks, and on
// a lost connection reconnects and sends the unacknowledged chunk again (event ids make
// a resent event `existing`).
//
// A build without the service layer (-DESMS_SERVICE=OFF, as `bash .ci/demo` builds the
// program) links cli/served_absent.cc instead of cli/remote.cc: each of these functions
// then refuses with USAGE (exit 2), naming the full build.
#ifndef ESMS_CLI_REMOTE_H_
#define ESMS_CLI_REMOTE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/report_command.h"
#include "domain/date.h"
#include "service/read_request.h"

namespace esms::cli {

int RemoteImport(const Globals& g, const std::string& file);
// `report active-dui` on the server (--at, --by, --format as given): the client writes
// --out and --bundle and prints what the local command prints (EmitReport).
int RemoteReport(const Globals& g, const ReportArgs& args, const ReportRequest& r);
// `bundle PROJECT` on the server (`cosigned`: the --cosigned note's text, read here);
// the client writes --out (EmitProjectBundle).
int RemoteBundle(const Globals& g, const std::string& project, domain::Date at,
                 const std::optional<std::string>& cosigned, const std::string& out);
// A read command (log, verify, checkpoint, prove, consistency, state, check, history) as
// app.cc parsed it, run on the server (its `json` is set here from g.json). Prints what the
// command printed there; returns its exit code.
int RemoteRead(const Globals& g, service::ReadRequest request);
// `prove SEQ --format tlog-proof` on the server, which proves and checks the proof as the
// local command does; the client writes --out (or stdout) and prints what it prints.
int RemoteProveTlog(const Globals& g, uint64_t seq, std::optional<uint64_t> size,
                    const std::optional<std::string>& out);

}  // namespace esms::cli

#endif  // ESMS_CLI_REMOTE_H_
