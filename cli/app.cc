#include "cli/app.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/backup_command.h"
#include "cli/commands.h"
#include "cli/demo.h"
#include "cli/evidence_commands.h"
#include "cli/mirror_command.h"
#include "cli/output.h"
#include "cli/remote.h"
#include "cli/report_command.h"
#include "cli/serve_command.h"
#include "cli/tiles_command.h"
#include "cli/witness_command.h"

namespace esms::cli {
namespace {

constexpr const char* kFooter = R"(
Global options, before or after the command (described by esms-ledger --help):
  --ledger DIR  --key FILE  --ledger-key FILE  --json  --server ADDR  --tls-ca FILE
  --log-level LEVEL

Environment:
  ESMS_LEDGER       ledger directory when --ledger is not given
  ESMS_LEDGER_KEY   signing key file when --key is not given
  ESMS_LEDGER_LOG   log level when --log-level is not given

Served (INTERFACE.md §6, docs/service.md; a client logs in with its enrolled --key):
  esms-ledger serve --listen unix:/run/esms/bzh.sock --ledger bzh.db
  esms-ledger import events.jsonl --key instructor.pem --server unix:/run/esms/bzh.sock
  esms-ledger state P-2023-0001 --key instructor.pem --server unix:/run/esms/bzh.sock

Exit codes:
  0 done   1 verification failed   2 usage error or malformed event (BAD_INPUT)
  3 event refused by a rule, a value check or authorization   4 storage error or ledger locked
  (4 also when standard output cannot be written: a full disk, /dev/full, a closed stdout)

Limits:
  an import line: 8 MiB, no NUL byte; a bundle (verify-bundle): 1 GiB; a key, note or
  witness state file: 1 MiB. --out onto a FIFO or a device writes through it; onto a
  symbolic link, replaces the file it names; onto a regular file, replaces it atomically.

Example, from nothing to a verified ledger (README.md, "A first ledger", step by step):
  esms-ledger key new admin --out admin.pem
  esms-ledger init --origin ars-bretagne.example/esms --admin-key admin.pem --ledger bzh.db
  esms-ledger import keys.jsonl --key admin.pem --ledger bzh.db    # key.enrolled events
  esms-ledger import events.jsonl --key dgos.pem --ledger bzh.db   # by an enrolled key
  esms-ledger verify --ledger bzh.db
)";

// The help's last words in a build without the service layer (cli/served_absent.cc).
constexpr const char* kNoServiceLayer = R"(
This build has no service layer (built with -DESMS_SERVICE=OFF, as `bash .ci/demo` builds
it for the demo): serve, --server, witness serve, witness add-checkpoint, mirror and demo
--federated answer USAGE (exit 2). `bash .ci/build` builds the whole program.
)";

// Which standard streams were closed when the program started.
struct ClosedStreams {
  bool in = false;
  bool out = false;
};

// Reopens a closed fd 0, 1 or 2 before anything else opens a file, so that no file the
// program opens (RocksDB's info log, a ledger file) takes the place of a standard
// stream and receives its output: fd 0 and 2 on /dev/null, fd 1 on /dev/full, so that
// output written to a closed stdout is an error (exit 4), not silently dropped.
ClosedStreams KeepStandardStreamsOpen() {
  ClosedStreams closed;
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (fd == 0) closed.in = true;
    if (fd == 1) closed.out = true;
    int opened = ::open(fd == 1 ? "/dev/full" : "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened >= 0 && opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
  }
  return closed;
}

// Every number on the command line is a count or a seq: digits only, so that "-1"
// is a usage error rather than 2^64 - 1 (strtoull accepts a minus sign).
const CLI::Validator kNonNegative(
    [](std::string& text) -> std::string {
      if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
        return "expected a whole number >= 0, got '" + text + "'";
      }
      const std::string_view digits =
          std::string_view(text).substr(std::min(text.find_first_not_of('0'), text.size()));
      constexpr std::string_view kMax = "18446744073709551615";  // 2^64 - 1
      if (digits.size() > kMax.size() || (digits.size() == kMax.size() && digits > kMax)) {
        return "'" + text + "' is beyond 2^64 - 1";
      }
      return {};
    },
    "UINT", "non-negative");

// stdout is checked once at the end: a write error (a full disk, /dev/full, a closed
// stdout) turns a success into exit 4, with a message on stderr. `failed`: a write
// already failed (fmt::print threw).
int CheckStdout(int code, const ClosedStreams& closed, bool failed, std::FILE* out,
                std::FILE* err) {
  const bool flushed = std::fflush(out) == 0;
  const int error = errno;
  if (!failed && flushed && std::ferror(out) == 0) return code;
  std::string why = closed.out ? "it was closed when the program started: the output is lost"
                    : failed || flushed ? "a write failed: the output is incomplete"
                                        : std::strerror(error);
  std::fprintf(err, "error: STORAGE_ERROR: cannot write standard output: %s\n", why.c_str());
  return code == kExitOk || failed ? kExitStorage : code;
}

std::string EnvOr(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace

namespace {

// The number of single-character edits from `a` to `b` (Levenshtein).
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Where a command was expected (`esms-ledger WORD`, `esms-ledger key WORD`), CLI11 says
// only "A subcommand is required", even when the user typed one with a typo: this names
// the word that is no command, the closest command, and the commands there are.
// Empty when a command was given where one was required.
std::string MissingCommandMessage(const CLI::App& app) {
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) at = at->get_subcommands().front();
  if (at->get_require_subcommand_min() == 0) return {};
  std::string path = at->get_name();
  for (const CLI::App* p = at->get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  std::vector<std::string> names;
  // get_subcommands(filter) is not const in CLI11 2.1; it only reads.
  for (const CLI::App* sub : const_cast<CLI::App*>(at)->get_subcommands(
           [](CLI::App* c) { return !c->get_group().empty(); })) {
    names.push_back(sub->get_name());
    for (const std::string& alias : sub->get_aliases()) names.push_back(alias);
  }
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
  const std::vector<std::string> extra = app.remaining(/*recurse=*/true);
  auto word = std::find_if(extra.begin(), extra.end(),
                           [](const std::string& a) { return !a.empty() && a[0] != '-'; });
  if (word == extra.end()) return fmt::format("{} needs a command: {}", path, list);
  std::string closest;
  size_t best = std::max<size_t>(2, word->size() / 3) + 1;
  for (const std::string& name : names) {
    const size_t d = EditDistance(*word, name);
    if (d < best) {
      best = d;
      closest = name;
    }
  }
  return fmt::format("\"{}\" is not a command of {}{}; the commands: {}", *word, path,
                     closest.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", closest), list);
}

// CLI11 prints help and usage errors to the streams it is given: the run's console.
int ExitWith(const CLI::App& app, const CLI::Error& e, const Globals& g) {
  std::ostringstream out, err;
  const int code = app.exit(e, out, err);
  fmt::print(g.out, "{}", out.str());
  fmt::print(g.err, "{}", err.str());
  return code;
}

int RunCommand(int argc, char** argv, bool stdin_closed, const Globals& console) {
  CLI::App app{
      "esms-ledger: the audit ledger of the ESMS numérique programme.\n"
      "Every programme event is appended as a signed, hash-chained record, committed to a\n"
      "Merkle tree with signed checkpoints; projections rebuild each project's state and\n"
      "enforce the programme's rules.",
      "esms-ledger"};
  app.footer(HasServiceLayer() ? std::string(kFooter) : std::string(kFooter) + kNoServiceLayer);
  app.require_subcommand(1);
  app.fallthrough();  // global options may come after the command too

  Globals g = console;
  g.stdin_closed = stdin_closed;
  g.ledger_dir = EnvOr("ESMS_LEDGER", "esms-ledger.db");
  g.key_file = EnvOr("ESMS_LEDGER_KEY", "");
  std::string log_level = EnvOr("ESMS_LEDGER_LOG", "warn");
  app.add_option("--ledger", g.ledger_dir,
                 "Ledger directory ($ESMS_LEDGER, else ./esms-ledger.db)");
  app.add_option("--key", g.key_file,
                 "Signing key: Ed25519 private key, PKCS#8 PEM, mode 0600 ($ESMS_LEDGER_KEY)");
  app.add_option("--ledger-key", g.ledger_key_file,
                 "The ledger key, which signs a checkpoint at every commit (PEM, mode 0600): "
                 "for init, the key to use instead of a new DIR/ledger.key; for the commands "
                 "that write, the key to use when DIR/ledger.key is not there");
  app.add_flag("--json", g.json, "Machine output on stdout (messages and progress go to stderr)");
  app.add_option("--server", g.server,
                 "Run the command against `esms-ledger serve` at ADDR (unix:PATH or HOST:PORT) "
                 "instead of a local ledger: the same output and exit codes; import signs "
                 "plain lines here with --key");
  app.add_option("--tls-ca", g.tls_ca,
                 "With --server HOST:PORT: the CA certificate (PEM) that signed the server's "
                 "certificate");
  app.add_option("--log-level", log_level,
                 "Log level on stderr: trace, debug, info, warn (default; serve: info), error, "
                 "critical, off "
                 "($ESMS_LEDGER_LOG)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  // init
  std::string origin, admin_key, admin_name = "admin";
  auto* init = app.add_subcommand(
      "init",
      "Create a ledger: the admin key signs the genesis record, which enrols it; a new "
      "ledger key (DIR/ledger.key, mode 0600, or --ledger-key FILE) signs a checkpoint at "
      "every commit; writes ledger.pub (its verifier key) in the ledger directory");
  init->add_option("--origin", origin,
                   "Log origin named in every checkpoint, e.g. ars-bretagne.example/esms")
      ->required();
  init->add_option("--admin-key", admin_key, "The admin's private key file (PEM)")->required();
  init->add_option("--admin-name", admin_name, "Name under which the admin key is enrolled")
      ->capture_default_str();

  // key new
  auto* key = app.add_subcommand("key", "Manage signing keys");
  key->require_subcommand(1);
  std::string key_name, key_out;
  auto* key_new = key->add_subcommand(
      "new",
      "Create an Ed25519 key pair: writes the private key (PEM, mode 0600) and prints "
      "the public key to put in a key.enrolled event");
  key_new->add_option("NAME", key_name, "Key name, e.g. ars-bzh-instructor")->required();
  key_new->add_option("--out", key_out, "Private key file to create (never overwritten)")
      ->required();

  // sign
  std::string sign_file, sign_trust, sign_out, sign_signer;
  auto* sign = app.add_subcommand(
      "sign",
      "Sign events offline with --key, on the author's machine: one line per event, "
      "{\"event\": {...}, \"signer\": NAME, \"signature\": BASE64}, for the ledger whose "
      "ledger.pub is given (its origin is signed: no replay into another ledger)");
  sign->add_option("FILE", sign_file, "JSON Lines file of events, or - for stdin")->required();
  sign->add_option("--trust", sign_trust, "The ledger.pub of the ledger the events are for")
      ->required();
  sign->add_option("--out", sign_out, "File of signed lines to write (default: stdout)");
  sign->add_option("--signer", sign_signer,
                   "Name under which --key is enrolled (default: the key file's name "
                   "without extension)");

  // append / import
  std::string import_file;
  auto* import = app.add_subcommand(
      "import",
      "Append the events of a JSON Lines file in order ('-' = stdin); stops at the "
      "first refused line and reports its number; lines before it stay appended; "
      "rerunning the same file is safe (event ids). Lines of at most 8 MiB. A line signed "
      "with `sign` needs no key (its signature is checked against the key as enrolled); a "
      "plain event line is signed here with --key; both kinds may mix in one file");
  import->alias("append");
  import->add_option("FILE", import_file, "JSON Lines file, or - for stdin")->required();

  // log
  std::optional<uint64_t> log_from, log_to;
  auto* log = app.add_subcommand("log", "Print the records in order");
  log->add_option("--from", log_from, "First seq (default 0)")->check(kNonNegative);
  log->add_option("--to", log_to, "Last seq, included (default: the last record)")
      ->check(kNonNegative);

  auto* verify = app.add_subcommand(
      "verify",
      "Re-check the whole ledger from its records: hash chain, signatures against "
      "the keys as enrolled, Merkle tree and checkpoints, indexes. Exit 1 names the "
      "first bad record");
  bool verify_no_signatures = false;
  verify->add_flag(
      "--no-signatures", verify_no_signatures,
      "Structural verify, many times faster: skips the Ed25519 check of each record's "
      "signature. Still proves each record's canonical bytes, seq and hash chain, stream "
      "versions, the key rules (signer enrolled and not revoked, admin for key records), "
      "the Merkle tree against every stored node, the signed checkpoints (their signatures "
      "are checked), the indexes and the head. It does not prove who signed: records "
      "rewritten after the latest checkpoint, chain and tree recomputed, pass it; only the "
      "full verify catches them");
  auto* checkpoint =
      app.add_subcommand("checkpoint",
                         "Sign and keep a checkpoint of the current tree with the ledger key "
                         "(--key); without --key, print the latest kept checkpoint");

  uint64_t prove_seq = 0;
  std::optional<uint64_t> prove_size;
  auto* prove = app.add_subcommand("prove", "Inclusion proof of a record (RFC 9162)");
  prove->add_option("SEQ", prove_seq, "Record seq")->required()->check(kNonNegative);
  prove->add_option("--size", prove_size, "Tree size to prove against (default: current)")
      ->check(kNonNegative);
  std::string prove_format = "text";
  std::optional<std::string> prove_out;
  prove
      ->add_option("--format", prove_format,
                   "text (default; --json for JSON) or tlog-proof (a C2SP tlog-proof file, "
                   "checkable by any C2SP verifier)")
      ->check(CLI::IsMember({"text", "tlog-proof"}));
  prove->add_option("--out", prove_out, "With --format tlog-proof: file to write (default stdout)");

  uint64_t cons_old = 0, cons_new = 0;
  auto* consistency =
      app.add_subcommand("consistency", "Consistency proof between two tree sizes (RFC 9162)");
  consistency->add_option("OLD", cons_old, "Older tree size")->required()->check(kNonNegative);
  consistency->add_option("NEW", cons_new, "Newer tree size")->required()->check(kNonNegative);

  std::string state_project;
  auto* state = app.add_subcommand(
      "state",
      "The project as it stands: status, establishments with rank and entitlement, "
      "convention, payments, warnings");
  state->add_option("PROJECT", state_project, "Project id")->required();
  std::optional<std::string> state_at;
  state->add_option("--at", state_at,
                    "As of this date, YYYY-MM-DD (default: today, UTC): a 2025 project past "
                    "its convention's end with no qualifying period is lapsed");

  std::string history_key;
  auto* history =
      app.add_subcommand("history",
                         "The records of a project; or of an establishment followed through FINESS "
                         "changes: its own facts and every project record that names it");
  history->add_option("PROJECT_OR_FINESS", history_key, "Project id or FINESS number")->required();

  std::string check_project;
  std::optional<std::string> check_at;
  auto* check = app.add_subcommand(
      "check",
      "Each payment tranche's conditions, met or not, with the records that prove "
      "them");
  check->add_option("PROJECT", check_project, "Project id")->required();
  check->add_option("--at", check_at, "Date of the check, YYYY-MM-DD (default: today, UTC)");

  std::optional<std::string> rules_campaign;
  auto* rules =
      app.add_subcommand("rules", "Print a campaign's rulebook figures, each with its source text");
  rules->add_option("CAMPAIGN", rules_campaign,
                    "amorcage-2021, generalisation-2023, generalisation-2024 or "
                    "generalisation-2025 (default: all)");

  ReportArgs report_args;
  CLI::App* report = AddReportCommand(app, &report_args);
  EvidenceArgs evidence_args;
  AddEvidenceCommands(app, &evidence_args);
  WitnessArgs witness_args;
  AddWitnessCommands(*evidence_args.witness, &witness_args);
  TilesArgs tiles_args;
  AddTilesCommands(app, &tiles_args);
  BackupArgs backup_args;
  AddBackupCommands(app, &backup_args);
  MirrorArgs mirror_args;
  AddMirrorCommand(app, &mirror_args);

  DemoArgs demo_args;
  CLI::App* demo = AddDemoCommand(app, &demo_args);
  ServeArgs serve_args;
  CLI::App* serve = AddServeCommand(app, &serve_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return ExitWith(app, e, g);
  } catch (const CLI::CallForAllHelp& e) {
    return ExitWith(app, e, g);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return ExitWith(app, e, g);
    // A usage error, in the documented form (INTERFACE.md §3-§5).
    std::string message = e.what();
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      if (std::string missing = MissingCommandMessage(app); !missing.empty()) message = missing;
    }
    std::fprintf(g.err, "error: USAGE: %s\nRun with --help for more information.\n",
                 message.c_str());
    if (g.json) {
      ReportError(Status::InvalidArgument(error_code::kUsage, message), /*json=*/true, g.out,
                  g.err);
    }
    return kExitUsage;
  }

  // Not registered in spdlog's global registry: a second run in the same process makes
  // its own.
  auto logger = std::make_shared<spdlog::logger>(
      "esms-ledger",
      std::make_shared<spdlog::sinks::stdout_sink_base<spdlog::details::console_nullmutex>>(g.err));
  logger->set_level(spdlog::level::from_str(log_level));
  logger->set_pattern("%^%l%$: %v");
  g.log = logger.get();

  if (*serve) {
    // One log line per request unless a level was asked for.
    if (app.count("--log-level") == 0 && std::getenv("ESMS_LEDGER_LOG") == nullptr) {
      logger->set_level(spdlog::level::info);
    }
    if (!g.server.empty()) {
      return ReportError(
          Status::InvalidArgument(error_code::kUsage, "serve holds a local ledger: no --server"),
          g);
    }
    return CmdServe(g, serve_args);
  }
  if (!g.server.empty()) {
    // The commands that need no ledger run here; the ledger's run on the server.
    using Command = service::ReadRequest::Command;
    service::ReadRequest r;
    if (*import) return RemoteImport(g, import_file);
    if (*log) {
      r.command = Command::kLog;
      r.from = log_from;
      r.to = log_to;
      return RemoteRead(g, r);
    }
    if (*verify) {
      r.command = Command::kVerify;
      r.no_signatures = verify_no_signatures;
      return RemoteRead(g, r);
    }
    // Served, --key is the connection's login key and the ledger key stays on the server,
    // which signs a checkpoint at every commit: `checkpoint` prints the latest kept one.
    if (*checkpoint) {
      r.command = Command::kCheckpoint;
      return RemoteRead(g, r);
    }
    if (*prove && prove_format == "tlog-proof") {
      return RemoteProveTlog(g, prove_seq, prove_size, prove_out);
    }
    if (*prove) {
      r.command = Command::kProve;
      r.seq = prove_seq;
      r.size = prove_size;
      return RemoteRead(g, r);
    }
    if (*consistency) {
      r.command = Command::kConsistency;
      r.old_size = cons_old;
      r.new_size = cons_new;
      return RemoteRead(g, r);
    }
    if (*state || *check) {
      r.command = *state ? Command::kState : Command::kCheck;
      r.key = *state ? state_project : check_project;
      r.at = *state ? state_at : check_at;
      return RemoteRead(g, r);
    }
    if (*history) {
      r.command = Command::kHistory;
      r.key = history_key;
      return RemoteRead(g, r);
    }
    // Their products (--out, --bundle) are written here (cli/remote.h).
    if (*report) return CmdReport(g, report_args);
    if (evidence_args.bundle != nullptr && *evidence_args.bundle) {
      return RunEvidenceCommand(g, evidence_args).value_or(kExitUsage);
    }
    // Those that read no ledger (a bundle, a witness's key) run here, as without --server.
    const bool no_ledger =
        *key_new || *sign || *rules ||
        (evidence_args.verify_bundle != nullptr && *evidence_args.verify_bundle) ||
        (evidence_args.witness_show_key != nullptr && *evidence_args.witness_show_key);
    if (!no_ledger) {
      return ReportError(
          Status::InvalidArgument(
              error_code::kUsage,
              "this command does not run against a server (--server) yet: run it on the "
              "server's machine (a read-only open works while it serves)"),
          g);
    }
  }

  if (*init) return CmdInit(g, origin, admin_key, admin_name);
  if (*key_new) return CmdKeyNew(g, key_name, key_out);
  if (*import) return CmdImport(g, import_file);
  if (*sign) return CmdSign(g, sign_file, sign_trust, sign_out, sign_signer);
  if (*log) return CmdLog(g, log_from, log_to);
  if (*verify) return CmdVerify(g, !verify_no_signatures);
  if (*checkpoint) return CmdCheckpoint(g);
  if (*prove && prove_format == "tlog-proof") {
    return CmdProveTlog(g, prove_seq, prove_size, prove_out);
  }
  if (*prove) return CmdProve(g, prove_seq, prove_size);
  if (*consistency) return CmdConsistency(g, cons_old, cons_new);
  if (*state) return CmdState(g, state_project, state_at);
  if (*history) return CmdHistory(g, history_key);
  if (*check) return CmdCheck(g, check_project, check_at);
  if (*rules) return CmdRules(g, rules_campaign);
  if (*report) return CmdReport(g, report_args);
  if (auto code = RunEvidenceCommand(g, evidence_args)) return *code;
  if (auto code = RunWitnessCommand(g, witness_args)) return *code;
  if (auto code = RunTilesCommand(g, tiles_args)) return *code;
  if (auto code = RunBackupCommand(g, backup_args)) return *code;
  if (auto code = RunMirrorCommand(g, mirror_args)) return *code;
  if (*demo) return CmdDemo(g, demo_args);
  return ReportError(Status::InvalidArgument(error_code::kUsage, "no command given"), g);
}

}  // namespace

int Run(int argc, char** argv, const Console& console) {
  Globals streams;  // the process's own, or streams of the console's descriptors
  ClosedStreams closed;
  if (console.IsProcess()) {
    closed = KeepStandardStreamsOpen();
    std::clearerr(stdout);  // a run in the same process starts with a clean stream
  } else {
    streams.in = console.in;
    streams.out = ::fdopen(::dup(console.out), "w");
    streams.err = ::fdopen(::dup(console.err), "w");
    if (streams.out == nullptr || streams.err == nullptr) std::abort();  // a bad descriptor
  }
  int code = kExitOk;
  bool failed = false;
  try {
    code = RunCommand(argc, argv, closed.in, streams);
  } catch (const std::system_error&) {
    // fmt::print throws when its write to the output fails (a full disk, /dev/full).
    failed = true;
  }
  code = CheckStdout(code, closed, failed, streams.out, streams.err);
  if (!console.IsProcess()) {
    std::fclose(streams.out);
    std::fclose(streams.err);
  }
  return code;
}

}  // namespace esms::cli
