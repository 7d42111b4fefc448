// The offline-evidence commands. See cli/evidence_commands.h.
#include "cli/evidence_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/cosigned.h"
#include "cli/federation.h"
#include "cli/input.h"
#include "cli/output.h"
#include "cli/remote.h"
#include "cli/serve_command.h"
#include "domain/date.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "projections/bundle.h"
#include "projections/federation.h"
#include "projections/projector.h"
#include "projections/queries.h"
#include "witness/cosigned.h"

namespace esms::cli {
namespace {

using ledger::Ledger;
using nlohmann::json;

constexpr std::string_view kWitnessStateFormat = "esms-ledger-witness-state/v1";

// An error with our own code and exit code (the Status codes of output.h do not carry
// BUNDLE_INVALID & co. to exit 1), printed as ReportError prints: {"error": {...}} on
// g.out with --json, "error: CODE: message" on g.err otherwise.
int Refuse(const Globals& g, std::string_view code, const std::string& message, int exit_code,
           std::optional<uint64_t> seq = std::nullopt) {
  if (g.json) {
    json error = {{"code", code}, {"message", message}};
    if (seq.has_value()) error["seq"] = *seq;
    PrintLine(g, json{{"error", error}}.dump());
  } else {
    fmt::print(g.err, "error: {}: {}\n", code, message);
  }
  return exit_code;
}

// A key, note or witness state file: small, text (cli/input.h).
Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  return ReadFileCapped(path, kMaxSmallFileBytes, "file");
}

Result<ledger::SigningKey> LoadKey(const Globals& g, std::string_view what) {
  if (g.key_file.empty()) {
    return Status::InvalidArgument(error_code::kUsage,
                                   fmt::format("give {} with --key FILE", what));
  }
  return ledger::SigningKey::LoadPem(g.key_file);
}

// ---- bundle ----

int CmdBundle(const Globals& g, const EvidenceArgs& a) {
  Result<domain::Date> at = DateOrToday(a.bundle_at);
  if (!at.ok()) return ReportError(at.status(), g);
  std::optional<std::string> cosigned;
  if (a.bundle_cosigned.has_value()) {
    Result<std::string> note = ReadWholeFile(*a.bundle_cosigned);
    if (!note.ok()) return ReportError(std::move(note).TakeStatus().WithContext("--cosigned"), g);
    cosigned = std::move(*note);
  }
  if (!g.server.empty()) return RemoteBundle(g, a.bundle_project, *at, cosigned, a.bundle_out);
  auto opened = Ledger::Open(g.ledger_dir, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g);
  auto projector = projections::Projector::Open(**opened);
  if (!projector.ok()) return ReportError(projector.status(), g);
  auto bundle =
      ComputeProjectBundle(g, **opened, (*projector)->state(), a.bundle_project, *at, cosigned);
  if (!bundle.ok()) return ReportError(bundle.status(), g);
  return EmitProjectBundle(g, a.bundle_project, *at, a.bundle_out, *bundle);
}

// ---- verify-bundle ----

int CmdVerifyBundle(const Globals& g, const EvidenceArgs& a) {
  auto text = ReadFileCapped(a.verify_file, kMaxBundleBytes, "bundle");
  if (!text.ok()) return ReportError(text.status(), g);
  // The national figure across ledgers: one part per ledger, each with its own key.
  if (projections::IsNationalBundle(*text)) {
    if (!a.witness_keys.empty()) {
      return ReportError(Status::InvalidArgument(error_code::kUsage,
                                                 "--witness: not with a national bundle (its "
                                                 "federation file names each part's witnesses)"),
                         g);
    }
    return CmdVerifyNationalBundle(g, *text, a.trust, a.verify_federation);
  }
  if (a.trust.size() != 1 || a.verify_federation.has_value()) {
    return ReportError(
        Status::InvalidArgument(error_code::kUsage,
                                "a single ledger's bundle is checked with one --trust (several "
                                "--trust or --federation: a national bundle)"),
        g);
  }
  auto trust = ledger::LoadVerifierKey(a.trust.front(), ledger::kSignatureTypeEd25519, "--trust");
  if (!trust.ok()) return ReportError(trust.status(), g);
  std::vector<ledger::NoteVerifier> witnesses;
  for (const std::string& k : a.witness_keys) {
    auto w = ledger::LoadVerifierKey(k, ledger::kSignatureTypeCosignatureV1, "--witness");
    if (!w.ok()) return ReportError(w.status(), g);
    witnesses.push_back(*w);
  }
  if (a.witness_quorum > 0 && a.witness_quorum > witnesses.size()) {
    return ReportError(Status::InvalidArgument(
                           error_code::kUsage,
                           fmt::format("--witness-quorum {}: between 1 and the {} --witness given",
                                       a.witness_quorum, witnesses.size())),
                       g);
  }
  // One witness: VerifyBundle requires its cosignature (and reports its time).
  std::optional<ledger::NoteVerifier> witness;
  if (witnesses.size() == 1) witness = witnesses.front();
  auto verdict = projections::VerifyBundle(*text, *trust, witness);
  if (!verdict.ok()) return ReportError(verdict.status(), g);
  const projections::BundleVerdict& v = *verdict;
  if (!v.ok) {
    return Refuse(g, PublicCode(v.canonical, v.code), v.problem, kExitVerificationFailed, v.seq);
  }
  std::string cosigners;
  if (witnesses.size() > 1) {
    // Several: the checkpoint (verified above) must carry the quorum of cosignatures.
    const json parsed = json::parse(*text, nullptr, false);
    const std::string note =
        parsed.is_object() && parsed.contains("checkpoint") && parsed["checkpoint"].is_string()
            ? parsed["checkpoint"].get<std::string>()
            : std::string();
    auto checked = CheckCosignatures(note, witnesses, a.witness_quorum);
    if (!checked.ok()) {
      return Refuse(g, std::string(projections::kWitnessMissing), checked.status().message(),
                    kExitVerificationFailed, std::nullopt);
    }
    cosigners = fmt::format(", cosigned by {}", fmt::join(*checked, ", "));
  }
  std::string summary =
      fmt::format("bundle verified: {} records proven against checkpoint {} of {} (root {}){}{}",
                  v.records, v.checkpoint_size, v.origin, ledger::ToHex(v.root),
                  v.witness_time.has_value()
                      ? fmt::format(", cosigned by {} at {}", witness->name, *v.witness_time)
                      : std::string(),
                  cosigners);
  if (v.check.has_value()) {
    // The same verdict `check PROJECT --at DATE --json` prints.
    fmt::print(g.err, "{}\n", summary);
    PrintLine(g, g.json ? projections::ToJson(*v.check) : projections::ToText(*v.check));
    return kExitOk;
  }
  if (g.json) {
    json evidence = json::array();
    for (const auto& e : v.claim.evidence) {
      evidence.push_back({{"finess", e.finess}, {"seq", e.seq}, {"activeFiles", e.active_files}});
    }
    PrintLine(g, json{{"verified", true},
                      {"claim",
                       {{"kind", "active-dui"},
                        {"at", v.claim.at.ToString()},
                        {"total", v.claim.total},
                        {"evidence", evidence}}},
                      {"size", v.checkpoint_size},
                      {"root", ledger::ToHex(v.root)}}
                     .dump());
  } else {
    fmt::print(g.out,
               "{}\nactive DUI files as of {}: {} over {} establishments, each a signed, "
               "proven measurement\n",
               summary, v.claim.at.ToString(), v.claim.total, v.claim.evidence.size());
  }
  return kExitOk;
}

// ---- witness ----

struct WitnessState {
  std::string witness;
  std::string log_key;  // the ledger's verifier key, pinned at the first cosignature
  uint64_t size = 0;
  ledger::Hash root{};
  std::string note;  // the last cosigned checkpoint
};

Result<std::optional<WitnessState>> LoadWitnessState(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<WitnessState>();
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  json j = json::parse(text, nullptr, false);
  auto bad = [&](std::string why) {
    return Status::BadInput(fmt::format("witness state {}: {}", path.string(), why));
  };
  if (j.is_discarded() || !j.is_object()) return bad("not JSON");
  if (j.value("format", "") != kWitnessStateFormat) return bad("not a witness state file");
  WitnessState s;
  try {
    s.witness = j.at("witness").get<std::string>();
    s.log_key = j.at("log").get<std::string>();
    s.size = j.at("size").get<uint64_t>();
    s.note = j.at("note").get<std::string>();
    auto root = ledger::HashFromHex(j.at("root").get<std::string>());
    if (!root.ok()) return bad("root: " + root.status().message());
    s.root = *root;
  } catch (const json::exception& e) {
    return bad(e.what());
  }
  return std::optional<WitnessState>(std::move(s));
}

int CmdWitnessCosign(const Globals& g, const EvidenceArgs& a) {
  auto key = LoadKey(g, "the witness's private key");
  if (!key.ok()) return ReportError(key.status(), g);
  auto previous = LoadWitnessState(a.witness_state);
  if (!previous.ok()) return ReportError(previous.status(), g);
  auto opened = Ledger::Open(g.ledger_dir, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g);
  const Ledger& l = **opened;
  const std::string log_key = l.verifier_key();
  if (previous->has_value() && (*previous)->log_key != log_key) {
    return Refuse(g, kConsistencyFailed,
                  fmt::format("the ledger's key is {}, but this witness follows {}", log_key,
                              (*previous)->log_key),
                  kExitVerificationFailed);
  }
  if (previous->has_value() && (*previous)->witness != a.witness_name) {
    return ReportError(
        Status::InvalidArgument(error_code::kUsage,
                                fmt::format("the state file {} is the witness {}'s, not {}'s",
                                            a.witness_state, (*previous)->witness, a.witness_name)),
        g);
  }
  auto latest = l.LatestCheckpoint();
  if (!latest.ok()) return ReportError(latest.status(), g);
  if (!latest->has_value()) {
    return ReportError(Status::FailedPrecondition(
                           projections::kNoCheckpoint,
                           "the ledger keeps no checkpoint (it signs one at every commit: was "
                           "its first commit cut short?)"),
                       g);
  }
  const std::string& note = **latest;
  const ledger::NoteVerifier log_verifier = ledger::MakeNoteVerifier(l.origin(), l.ledger_key());
  auto body = ledger::OpenNote(note, std::span(&log_verifier, 1));
  if (!body.ok()) {
    return Refuse(g, kConsistencyFailed, "the latest checkpoint: " + body.status().message(),
                  kExitVerificationFailed);
  }
  auto cp = ledger::ParseCheckpoint(*body);
  if (!cp.ok()) return ReportError(cp.status(), g);
  if (previous->has_value()) {
    const WitnessState& old = **previous;
    if (cp->size < old.size) {
      return Refuse(g, kRollback,
                    fmt::format("the ledger's latest checkpoint has size {}, smaller than the "
                                "size {} this witness already cosigned",
                                cp->size, old.size),
                    kExitVerificationFailed);
    }
    auto proof = l.ConsistencyProof(old.size, cp->size);
    if (!proof.ok()) return ReportError(proof.status(), g);
    if (!ledger::VerifyConsistency(old.size, cp->size, *proof, old.root, cp->root)) {
      return Refuse(
          g, kConsistencyFailed,
          fmt::format("the checkpoint of size {} (root {}) does not extend the one of "
                      "size {} (root {}) this witness cosigned",
                      cp->size, ledger::ToHex(cp->root), old.size, ledger::ToHex(old.root)),
          kExitVerificationFailed);
    }
  }
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  std::string cosigned = ledger::CosignNote(note, a.witness_name, *key, now);
  const ledger::NoteVerifier self = ledger::MakeWitnessVerifier(a.witness_name, key->public_key());
  if (!ledger::VerifyCosignature(cosigned, self).ok()) {
    return ReportError(Status::Internal("the new cosignature does not verify"), g);
  }
  json state = {{"format", kWitnessStateFormat},
                {"witness", a.witness_name},
                {"log", log_key},
                {"origin", cp->origin},
                {"size", cp->size},
                {"root", ledger::ToHex(cp->root)},
                {"time", now},
                {"note", cosigned}};
  // The note first: a crash between the two writes leaves the state at the older
  // checkpoint, from which this one is still consistent.
  if (a.witness_out.has_value()) {
    Status s = WriteFileAtomically(*a.witness_out, cosigned);
    if (!s.ok()) return ReportError(s, g);
  }
  Status s = WriteFileAtomically(a.witness_state, state.dump(1) + "\n");
  if (!s.ok()) return ReportError(s, g);
  const std::string vkey = ledger::WitnessVerifierKey(a.witness_name, key->public_key());
  if (g.json) {
    PrintLine(g, json{{"note", cosigned},
                      {"size", cp->size},
                      {"root", ledger::ToHex(cp->root)},
                      {"witness", vkey},
                      {"time", now}}
                     .dump());
  } else {
    fmt::print(g.err, "cosigned checkpoint {} of {} as witness {}\n", cp->size, cp->origin, vkey);
    std::fwrite(cosigned.data(), 1, cosigned.size(), g.out);
  }
  return kExitOk;
}

int CmdWitnessKey(const Globals& g, const EvidenceArgs& a) {
  auto key = LoadKey(g, "the witness's private key");
  if (!key.ok()) return ReportError(key.status(), g);
  const std::string vkey = ledger::WitnessVerifierKey(a.witness_name, key->public_key());
  PrintLine(g, g.json ? json{{"witness", vkey}}.dump() : vkey);
  return kExitOk;
}

}  // namespace

namespace {

// Writes all of `contents` to `fd`; false with errno set on failure.
bool WriteAll(int fd, std::string_view contents) {
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// An --out that names a FIFO or a device node: written through, never replaced.
Status WriteThrough(const std::filesystem::path& path, std::string_view contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return Status::IoError(fmt::format("open {}: {}", path.string(), std::strerror(errno)));
  const bool written = WriteAll(fd, contents);
  const int error = errno;
  if (::close(fd) != 0 && written) {
    return Status::IoError(fmt::format("close {}: {}", path.string(), std::strerror(errno)));
  }
  if (!written)
    return Status::IoError(fmt::format("write {}: {}", path.string(), std::strerror(error)));
  return Status::OK();
}

}  // namespace

Status WriteFileAtomically(const std::filesystem::path& given, std::string_view contents) {
  // What `given` is decides how it is written (never by replacing a special file).
  std::filesystem::path path = given;
  struct stat link {};
  if (::lstat(given.c_str(), &link) == 0) {
    struct stat target {};
    if (S_ISLNK(link.st_mode)) {
      if (::stat(given.c_str(), &target) != 0) {
        return Status::InvalidArgument(
            error_code::kUsage,
            fmt::format("{} is a symbolic link to nothing: refusing to write through it",
                        given.string()));
      }
    } else {
      target = link;
    }
    if (S_ISDIR(target.st_mode)) {
      return Status::InvalidArgument(error_code::kUsage,
                                     fmt::format("{} is a directory, not a file", given.string()));
    }
    if (S_ISFIFO(target.st_mode) || S_ISCHR(target.st_mode) || S_ISBLK(target.st_mode)) {
      return WriteThrough(given, contents);
    }
    if (!S_ISREG(target.st_mode)) {
      return Status::InvalidArgument(
          error_code::kUsage,
          fmt::format("{} is neither a file, a FIFO nor a device: refusing to write to it",
                      given.string()));
    }
    if (S_ISLNK(link.st_mode)) {
      // The link stays; the regular file it names is replaced.
      std::error_code ec;
      path = std::filesystem::canonical(given, ec);
      if (ec) return Status::IoError(fmt::format("resolve {}: {}", given.string(), ec.message()));
    }
  }
  const std::filesystem::path dir =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::filesystem::path tmp =
      dir / fmt::format(".{}.tmp.{}", path.filename().string(), ::getpid());
  auto fail = [&](std::string what) {
    Status s = Status::IoError(fmt::format("{} {}: {}", what, tmp.string(), std::strerror(errno)));
    ::unlink(tmp.c_str());
    return s;
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::IoError(fmt::format("create {}: {}", tmp.string(), std::strerror(errno)));
  if (!WriteAll(fd, contents)) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return fail("write");
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("fsync");
  }
  if (::close(fd) != 0) return fail("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename to " + path.string() + " from");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

void AddEvidenceCommands(CLI::App& app, EvidenceArgs* args) {
  args->bundle = app.add_subcommand(
      "bundle",
      "Evidence bundle of a project, verifiable offline: every record of the project and of "
      "its establishments (through their FINESS lineage), the key records of their signers, "
      "each with the statement its author signed and an inclusion proof against the latest "
      "checkpoint (the ledger signs one at every commit), and that checkpoint. "
      "Human-readable JSON (docs/bundle-format.md)");
  args->bundle->add_option("PROJECT", args->bundle_project, "Project id")->required();
  args->bundle->add_option("--out", args->bundle_out, "Bundle file to write (atomically)")
      ->required();
  args->bundle->add_option("--at", args->bundle_at,
                           "Date of the payment check the bundle proves, YYYY-MM-DD "
                           "(default: today, UTC)");
  args->bundle->add_option(
      "--cosigned", args->bundle_cosigned,
      "Prove against this checkpoint note instead, e.g. one cosigned by a witness "
      "(`witness cosign --out FILE`); it must be one of this ledger's checkpoints");

  args->verify_bundle = app.add_subcommand(
      "verify-bundle",
      "Verify an evidence bundle with no ledger: the checkpoint signature (--trust), every "
      "record's statement signature against its signer's key as enrolled by the bundle's key "
      "records, the statement's origin, "
      "every inclusion proof, and that every readable field is what the signed bytes say; "
      "then re-evaluate the claim and print the verdict `check` prints. Exit 1 names the "
      "first problem and its seq");
  args->verify_bundle->add_option("FILE", args->verify_file, "Bundle file")->required();
  args->verify_bundle
      ->add_option("--trust", args->trust,
                   "The ledger's checkpoint verifier key: its ledger.pub file, or the line; "
                   "a national bundle: once per ledger")
      ->take_all()
      ->expected(1);
  args->verify_bundle->add_option(
      "--federation", args->verify_federation,
      "A national bundle: the federation file whose entries name each ledger's trusted key");
  args->verify_bundle->add_option(
      "--witness", args->witness_keys,
      "Require a valid cosignature of the checkpoint by this witness: its verifier key line "
      "(printed by `witness key` / `witness cosign`), or a file holding it. Repeatable: "
      "every one is required, or --witness-quorum of them");
  args->verify_bundle
      ->add_option("--witness-quorum", args->witness_quorum,
                   "With several --witness: how many valid cosignatures are required "
                   "(default: all)")
      ->check(CLI::Range(size_t{1}, size_t{1000}));

  args->witness = app.add_subcommand(
      "witness",
      "A second key (e.g. the national level) that cosigns the ledger's checkpoints after "
      "checking each one extends the last it cosigned (C2SP tlog-cosignature)");
  args->witness->require_subcommand(1);
  args->witness_cosign = args->witness->add_subcommand(
      "cosign",
      "Cosign the ledger's latest kept checkpoint with the witness key (--key), after "
      "checking it is consistent with the last checkpoint this witness cosigned, kept in "
      "--state (written atomically; created at the first cosignature). Refuses (exit 1) a "
      "smaller checkpoint (ROLLBACK) or one that does not extend it (CONSISTENCY_FAILED). "
      "Prints the cosigned checkpoint note; give it to `bundle --cosigned` so that "
      "`verify-bundle --witness` accepts the bundle");
  args->witness_cosign->add_option("--name", args->witness_name, "The witness's key name")
      ->required()
      ->check(CheckWitnessName, "NAME");
  args->witness_cosign
      ->add_option("--state", args->witness_state,
                   "The witness's state file: the last checkpoint it cosigned")
      ->required();
  args->witness_cosign->add_option("--out", args->witness_out,
                                   "Also write the cosigned checkpoint note to this file");
  args->witness_show_key = args->witness->add_subcommand(
      "key",
      "Print the verifier key of the witness whose private key is --key, under --name (for "
      "`verify-bundle --witness`)");
  args->witness_show_key->add_option("--name", args->witness_name, "The witness's key name")
      ->required()
      ->check(CheckWitnessName, "NAME");
}

std::string CheckWitnessName(const std::string& name) {
  // The rule the signed notes apply to every key name (ledger::CheckKeyName), and a length.
  const bool ok = name.size() <= 256 && ledger::CheckKeyName(name).ok();
  return ok ? std::string()
            : fmt::format(
                  "witness name '{}' must be 1-256 chars without whitespace, control "
                  "chars or '+' (a signed-note key name)",
                  name);
}

Result<std::string> ComputeProjectBundle(const Globals& g, const Ledger& ledger,
                                         const projections::ProgrammeState& state,
                                         const std::string& project, domain::Date at,
                                         const std::optional<std::string>& cosigned) {
  projections::BundleOptions options;
  if (cosigned.has_value()) options.checkpoint_note = *cosigned;
  ASSIGN_OR_RETURN(auto seqs, projections::ProjectBundleSeqs(ledger, state, project));
  projections::BundleClaim claim;
  claim.kind = projections::BundleClaim::Kind::kProject;
  claim.project = project;
  claim.at = at;
  return BuildPreferringCosigned(g, g.ledger_dir, ledger, options,
                                 fmt::format("the bundle of {}", project),
                                 [&](const projections::BundleOptions& o) {
                                   return projections::BuildBundle(ledger, state, seqs, claim, o);
                                 });
}

int EmitProjectBundle(const Globals& g, const std::string& project, domain::Date at,
                      const std::string& out, const std::string& bundle) {
  Status written = WriteFileAtomically(out, bundle);
  if (!written.ok()) return ReportError(written, g);
  json parsed = json::parse(bundle, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed["checkpoint"].is_string() || !parsed["records"].is_array() ||
      !parsed["keys"].is_array()) {
    return ReportError(Status::DataLoss("the bundle written is not a bundle's JSON"), g);
  }
  auto cp = ledger::ParseNote(parsed["checkpoint"].get<std::string>());
  uint64_t size = 0;
  if (cp.ok()) {
    auto body = ledger::ParseCheckpoint(cp->text);
    if (body.ok()) size = body->size;
  }
  if (g.json) {
    PrintLine(g, json{{"out", out},
                      {"project", project},
                      {"at", at.ToString()},
                      {"records", parsed["records"].size()},
                      {"keys", parsed["keys"].size()},
                      {"checkpointSize", size}}
                     .dump());
  } else {
    fmt::print(g.out,
               "bundle of {} as of {}: {} records and {} key records, proven against the "
               "checkpoint of size {}\nwritten to {}\nverify it with: esms-ledger verify-bundle "
               "{} --trust {}\n",
               project, at.ToString(), parsed["records"].size(), parsed["keys"].size(), size, out,
               out, TrustHint(g));
  }
  return kExitOk;
}

std::optional<int> RunEvidenceCommand(const Globals& g, const EvidenceArgs& args) {
  if (args.bundle != nullptr && *args.bundle) return CmdBundle(g, args);
  if (args.verify_bundle != nullptr && *args.verify_bundle) return CmdVerifyBundle(g, args);
  if (args.witness_cosign != nullptr && *args.witness_cosign) return CmdWitnessCosign(g, args);
  if (args.witness_show_key != nullptr && *args.witness_show_key) return CmdWitnessKey(g, args);
  return std::nullopt;
}

int CmdProveTlog(const Globals& g, uint64_t seq, std::optional<uint64_t> size,
                 const std::optional<std::string>& out) {
  auto opened = OpenLedgerToRead(g);
  if (!opened.ok()) return ReportError(opened.status(), g);
  const Ledger& l = **opened;
  if (seq >= l.size()) {
    return ReportError(
        Status::BadInput(fmt::format("no record {} (ledger size {})", seq, l.size())), g);
  }
  std::string note;
  if (size.has_value()) {
    auto kept = l.CheckpointAt(*size);
    if (!kept.ok()) {
      return ReportError(Status::NotFound(error_code::kNotFound,
                                          fmt::format("no checkpoint of size {} is kept", *size)),
                         g);
    }
    note = *kept;
  } else {
    auto latest = l.LatestCheckpoint();
    if (!latest.ok()) return ReportError(latest.status(), g);
    if (latest->has_value()) note = **latest;
    // The checkpoint the witnesses cosigned (serve --witness), when it covers the record.
    if (std::optional<std::string> cosigned = CosignedOfLedger(g, g.ledger_dir, l)) {
      auto cosigned_size = witness::CheckpointSize(*cosigned);
      if (cosigned_size.ok() && seq < *cosigned_size) {
        note = *cosigned;
      } else {
        fmt::print(g.err,
                   "note: the witnessed checkpoint (size {}) does not cover record {}: proven "
                   "against the latest checkpoint, without witness cosignatures\n",
                   cosigned_size.ok() ? *cosigned_size : 0, seq);
      }
    }
  }
  const ledger::NoteVerifier verifier = ledger::MakeNoteVerifier(l.origin(), l.ledger_key());
  uint64_t tree_size = 0;
  if (!note.empty()) {
    auto body = ledger::OpenNote(note, std::span(&verifier, 1));
    if (!body.ok()) return ReportError(body.status(), g);
    auto cp = ledger::ParseCheckpoint(*body);
    if (!cp.ok()) return ReportError(cp.status(), g);
    tree_size = cp->size;
  }
  if (seq >= tree_size) {
    return ReportError(
        Status::FailedPrecondition(
            projections::kNoCheckpoint,
            size.has_value()
                ? fmt::format("record {} is not in the checkpoint of size {}: give a larger "
                              "--size, or none for the latest",
                              seq, tree_size)
                : fmt::format("record {} is not covered by the latest kept checkpoint (size "
                              "{}; the ledger signs one at every commit: was the last one cut "
                              "short? `esms-ledger checkpoint --key LEDGER-KEY.pem` signs one)",
                              seq, tree_size)),
        g);
  }
  auto record = l.Get(seq);
  if (!record.ok()) return ReportError(record.status(), g);
  auto proof = l.InclusionProof(seq, tree_size);
  if (!proof.ok()) return ReportError(proof.status(), g);
  ledger::TlogProof p;
  p.index = seq;
  p.proof = *proof;
  p.checkpoint_note = note;
  p.extra = record->bytes;  // the leaf itself: the file can be checked alone
  // Never hand out a proof that does not check.
  auto checked = ledger::VerifyTlogProof(p, record->leaf_hash, std::span(&verifier, 1));
  if (!checked.ok()) return ReportError(checked.status(), g);
  const std::string text = ledger::FormatTlogProof(p);
  if (!out.has_value()) {
    std::fwrite(text.data(), 1, text.size(), g.out);
    std::fflush(g.out);
    return kExitOk;
  }
  Status written = WriteFileAtomically(*out, text);
  if (!written.ok()) return ReportError(written, g);
  if (g.json) {
    PrintLine(g, json{{"out", *out},
                      {"seq", seq},
                      {"size", tree_size},
                      {"leafHash", ledger::ToHex(record->leaf_hash)}}
                     .dump());
  } else {
    fmt::print(g.out, "tlog-proof of record {} against the checkpoint of size {} written to {}\n",
               seq, tree_size, *out);
  }
  return kExitOk;
}

}  // namespace esms::cli
