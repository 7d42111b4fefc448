// The options of the commands that need the service layer (service/, witness/'s server and
// client, mirror/): `serve`, `witness serve`, `witness add-checkpoint` and `mirror`. Declared
// in every build of the program, so that one built without that layer (-DESMS_SERVICE=OFF,
// as `bash .ci/demo` builds it: cli/served_absent.cc) still parses them and answers what
// is missing rather than "unknown command". Their runs: cli/serve_command.cc,
// cli/witness_command.cc, cli/mirror_command.cc.
#include <cstddef>
#include <optional>

#include <CLI/CLI.hpp>

#include "cli/evidence_commands.h"
#include "cli/mirror_command.h"
#include "cli/serve_command.h"
#include "cli/witness_command.h"

namespace esms::cli {

CLI::App* AddServeCommand(CLI::App& app, ServeArgs* args) {
  auto* serve = app.add_subcommand(
      "serve",
      "Hold the ledger (--ledger, opened for writing) and serve many clients at once over "
      "Cap'n Proto RPC: their appends share the group commit, their reads give what the "
      "local commands give (clients: the global --server ADDR). Logs one line per request "
      "on stderr. SIGTERM or SIGINT: stop accepting, answer what was taken, exit 0");
  serve
      ->add_option("--listen", args->listen,
                   "unix:PATH (a Unix socket) or HOST:PORT (TCP, TLS with --tls-cert and "
                   "--tls-key; port 0: any free port). The bound address is printed on stdout "
                   "as 'listening on ADDR'")
      ->required();
  serve->add_option("--tls-cert", args->tls_cert, "TLS certificate chain (PEM) for HOST:PORT");
  serve->add_option("--tls-key", args->tls_key, "TLS private key (PEM) for HOST:PORT");
  serve->add_flag("--insecure", args->insecure,
                  "Serve plaintext TCP on HOST:PORT without TLS, on purpose");
  serve->add_flag("--no-auth", args->no_auth,
                  "Development mode: every connection may read everything, logins are "
                  "not checked. Without it, a client logs in with its enrolled key (--key) "
                  "and reads what its roles allow (docs/access.md); an anonymous one reads "
                  "checkpoints and proofs only. Appends are checked by the ledger either way");
  serve
      ->add_option("--max-connections", args->max_connections,
                   "Connections served at once; beyond, a client is told 'too many "
                   "connections' (exit 4)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  serve->add_option("--http", args->http,
                    "HOST:PORT (port 0: any free port) or unix:PATH: plain HTTP for public "
                    "data only: GET /metrics (Prometheus), /healthz, and the C2SP tlog-tiles "
                    "API (/checkpoint, /tile/...). The bound address is printed on stdout as "
                    "'http listening on ADDR', after the 'listening on' line");
  serve->add_option("--witness", args->witnesses,
                    "URL,KEY (repeatable): after the commits, push the latest checkpoint to "
                    "this tlog-witness (http://HOST:PORT[/prefix]; KEY its cosignature/v1 "
                    "verifier key, or a file holding it) and keep the checkpoint a quorum "
                    "cosigned in the ledger directory (cosigned.note, docs/witness.md)");
  serve
      ->add_option("--witness-quorum", args->witness_quorum,
                   "Cosignatures needed on a checkpoint before it is kept (default: every "
                   "--witness given)")
      ->check(CLI::Range(size_t{1}, size_t{1000}));
  serve->add_option("--export-tiles", args->export_tiles,
                    "DIR: keep the C2SP tlog-tiles layout of the ledger in DIR current after "
                    "the commits (the bytes export-tiles --to DIR writes; off the writer "
                    "thread, each file atomically, the checkpoint last)");
  return serve;
}

void AddWitnessCommands(CLI::App& witness, WitnessArgs* args) {
  args->serve = witness.add_subcommand(
      "serve",
      "Serve as an HTTP witness (C2SP tlog-witness: POST /add-checkpoint) for the logs given "
      "with --log, with the witness key --key: cosign each checkpoint consistent with the last "
      "one cosigned for its origin (refused: 409 with the size held, 422 an inconsistent "
      "proof, 404 an unknown log, 403 a bad signature), the state written durably to --state "
      "before answering. Prints the address and the witness's verifier key; stops on "
      "SIGTERM/SIGINT");
  args->serve
      ->add_option("--listen", args->listen, "HOST:PORT (port 0: any free port) or unix:PATH")
      ->required();
  args->serve->add_option("--name", args->name, "The witness's key name, e.g. witness.example/w1")
      ->required()
      ->check(CheckWitnessName, "NAME");
  args->serve
      ->add_option("--state", args->state_dir,
                   "Directory of the witness's state (created if needed; locked)")
      ->required();
  args->serve
      ->add_option("--log", args->logs,
                   "A log to witness: its ledger.pub file or verifier key line, as ORIGIN=KEY "
                   "when the origin is not the key's name (repeat for more logs)")
      ->required();

  args->add_checkpoint = witness.add_subcommand(
      "add-checkpoint",
      "Push the ledger's latest checkpoint to the witness at --url (C2SP tlog-witness) with "
      "the consistency proof from the size the witness holds; print the cosigned note. Exit 1 "
      "when the witness holds a larger tree (ROLLBACK) or refuses the proof (CONSISTENCY_FAILED)");
  args->add_checkpoint->add_option("--url", args->url, "The witness, http://HOST:PORT")->required();
  args->add_checkpoint->add_option(
      "--old", args->old_size,
      "The size the witness is believed to hold (default 0; on a 409 the size it names is used)");
  args->add_checkpoint->add_option(
      "--witness", args->witness_key,
      "Require a valid cosignature by this witness key (verifier key line or a file holding it)");
  args->add_checkpoint->add_option("--out", args->out, "Also write the cosigned note to this file");
}

std::optional<int> RunWitnessCommand(const Globals& g, const WitnessArgs& args) {
  if (args.serve != nullptr && *args.serve) return CmdWitnessServe(g, args);
  if (args.add_checkpoint != nullptr && *args.add_checkpoint)
    return CmdWitnessAddCheckpoint(g, args);
  return std::nullopt;
}

void AddMirrorCommand(CLI::App& app, MirrorArgs* args) {
  args->command = app.add_subcommand(
      "mirror",
      "Keep a read-only copy of a ledger from its C2SP tiles (a directory written by "
      "export-tiles, or an http:// tiles server): the checkpoint's signature by the trusted "
      "key, its consistency with the copy's, every tile, record and author signature are "
      "checked before anything is written; only new tiles are fetched. Exit 1 on ROLLBACK, "
      "CONSISTENCY_FAILED (a fork), CORRUPTION or UNAUTHORIZED, the copy left as it was. "
      "Read the copy with --ledger DIR. --json: {\"source\", \"dir\", \"oldSize\", \"size\", "
      "\"root\", \"records\", \"tiles\", \"seconds\"}");
  args->command
      ->add_option("--from", args->from, "The tiles: http://HOST:PORT[/PREFIX] or a directory")
      ->required();
  args->command->add_option("--dir", args->dir, "The copy (a ledger directory, created)")
      ->required();
  args->command
      ->add_option("--trust", args->trust,
                   "The ledger's verifier key, or the file holding it (ledger.pub)")
      ->required();
}

std::optional<int> RunMirrorCommand(const Globals& g, const MirrorArgs& args) {
  if (args.command != nullptr && *args.command) return CmdMirror(g, args);
  return std::nullopt;
}

}  // namespace esms::cli
