// `serve`: one process holds the ledger and serves many clients over Cap'n Proto RPC
// (service/, INTERFACE.md §6, docs/service.md). The command wires the service to the
// program: it opens the ledger for writing, gives the writer a read handler that runs
// the very commands of the local program against the served ledger (their output
// captured), and serves until SIGTERM.
#ifndef ESMS_CLI_SERVE_COMMAND_H_
#define ESMS_CLI_SERVE_COMMAND_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/commands.h"
#include "ledger/ledger.h"

namespace CLI {
class App;
}  // namespace CLI

namespace esms::cli {

struct ServeArgs {
  std::string listen;     // --listen unix:PATH | HOST:PORT
  std::string tls_cert;   // --tls-cert FILE
  std::string tls_key;    // --tls-key FILE
  bool insecure = false;  // --insecure: TCP without TLS
  bool no_auth = false;   // --no-auth: anonymous connections
  size_t max_connections = 64;
  std::string http;  // --http ADDR: metrics, health and tlog-tiles (service/http.h)
  // --witness URL,KEY (repeatable) and --witness-quorum K (0: all of them):
  // service/witness_pusher.h.
  std::vector<std::string> witnesses;
  size_t witness_quorum = 0;
  // --export-tiles DIR: the tlog-tiles layout kept current (service/tiles_follower.h).
  std::string export_tiles;
};

CLI::App* AddServeCommand(CLI::App& app, ServeArgs* args);

int CmdServe(const Globals& g, const ServeArgs& args);

// The ledger of --ledger opened by this process (with --ledger-key for writing), never
// the served one (cli/ledger_commands.cc).
Result<std::unique_ptr<ledger::Ledger>> OpenLedgerToWrite(const Globals& g,
                                                          ledger::Ledger::Mode mode);
// The ledger of --ledger opened read-only; or, for a client's read that `serve` runs, the
// ledger it serves (not owned: the shared_ptr deletes nothing) (cli/ledger_commands.cc).
Result<std::shared_ptr<ledger::Ledger>> OpenLedgerToRead(const Globals& g);

}  // namespace esms::cli

#endif  // ESMS_CLI_SERVE_COMMAND_H_
