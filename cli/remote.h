// The commands as clients of a server (the global --server ADDR [--tls-ca FILE]): the
// same output and exit codes as on a local ledger (INTERFACE.md §6). A read runs on the
// server, which sends back what the command printed and its exit code; `import` signs
// plain lines here with --key (as `sign` does), sends the signed lines by chunks, and on
// a lost connection reconnects and sends the unacknowledged chunk again (event ids make
// a resent event `existing`).
#ifndef ESMS_CLI_REMOTE_H_
#define ESMS_CLI_REMOTE_H_

#include <string>

#include "cli/commands.h"
#include "service/writer.h"

namespace esms::cli {

int RemoteImport(const Globals& g, const std::string& file);
int RemoteRead(const Globals& g, const service::ReadRequest& request);

}  // namespace esms::cli

#endif  // ESMS_CLI_REMOTE_H_
