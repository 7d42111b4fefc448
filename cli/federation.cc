// The national figure across ledgers. See cli/federation.h.
#include "cli/federation.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/cosigned.h"
#include "cli/evidence_commands.h"
#include "cli/input.h"
#include "cli/output.h"
#include "domain/date.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "projections/bundle.h"
#include "projections/federation.h"
#include "projections/federation_share.h"
#include "projections/projector.h"
#include "projections/report.h"
#include "witness/cosigned.h"

namespace esms::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using projections::FederationEntry;
using projections::LedgerShare;

constexpr std::string_view kNoCheckpoint = "NO_CHECKPOINT";

// A path of the federation file: relative ones are relative to the file's directory.
fs::path Resolve(const fs::path& base, const std::string& path) {
  fs::path p(path);
  return p.is_absolute() ? p : base / p;
}

// A verifier key an entry names (`what`: "trust", "witness"): a file relative to the
// federation file holding it (a ledger.pub), or the key's line itself.
Result<ledger::NoteVerifier> LoadEntryKey(const fs::path& base, const std::string& arg,
                                          uint8_t type, std::string_view what) {
  std::error_code ec;
  const fs::path file = Resolve(base, arg);
  return ledger::LoadVerifierKey(fs::is_regular_file(file, ec) ? file.string() : arg, type, what);
}

// The ledger's checkpoint key of an entry (its `trust`).
Result<ledger::NoteVerifier> LoadTrust(const fs::path& base, const std::string& trust) {
  return LoadEntryKey(base, trust, ledger::kSignatureTypeEd25519, "trust");
}

// The federation file, its entries and its directory.
struct Federation {
  fs::path base;
  std::vector<FederationEntry> entries;
};

Result<Federation> LoadFederation(const std::string& file) {
  ASSIGN_OR_RETURN(std::string text, ReadFileCapped(file, kMaxSmallFileBytes, "federation file"));
  Result<std::vector<FederationEntry>> entries = projections::ParseFederation(text);
  if (!entries.ok()) return std::move(entries).TakeStatus().WithContext(file);
  Federation f;
  f.base = fs::path(file).parent_path();
  f.entries = std::move(*entries);
  std::map<fs::path, size_t> dirs;
  std::map<std::string, size_t> servers;
  for (size_t i = 0; i < f.entries.size(); ++i) {
    const FederationEntry& e = f.entries[i];
    if (e.server.has_value()) {
      auto [it, inserted] = servers.emplace(*e.server, i);
      if (!inserted) {
        return Status::BadInput(fmt::format("{}: [{}].server: the same server as [{}] ({})", file,
                                            i, it->second, *e.server));
      }
      continue;
    }
    std::error_code ec;
    fs::path dir = fs::weakly_canonical(Resolve(f.base, *e.ledger), ec);
    if (ec) dir = Resolve(f.base, *e.ledger);
    auto [it, inserted] = dirs.emplace(dir, i);
    if (!inserted) {
      return Status::BadInput(fmt::format("{}: [{}].ledger: the same ledger as [{}] ({})", file, i,
                                          it->second, dir.string()));
    }
  }
  return f;
}

// A ledger directory's share: opened read-only, its key checked against the trusted one,
// then ComputeShare.
Result<LedgerShare> ShareOfLedger(const Globals& g, const fs::path& base, const FederationEntry& e,
                                  domain::Date at, projections::ReportBy by, std::string* bundle) {
  std::string location = Resolve(base, *e.ledger).string();
  ASSIGN_OR_RETURN(ledger::NoteVerifier trust, LoadTrust(base, e.trust));
  std::string ledger_key = ledger::VerifierKey(trust.name, trust.key);

  ASSIGN_OR_RETURN(auto ledger, ledger::Ledger::Open(location, ledger::Ledger::Mode::kReadOnly));
  if (ledger->verifier_key() != ledger_key) {
    return Status::PermissionDenied(
        fmt::format("the ledger at {} signs its checkpoints with {}, not with the key trusted by "
                    "{} ({})",
                    location, ledger->verifier_key(), e.trust, ledger_key));
  }
  ASSIGN_OR_RETURN(auto projector, projections::Projector::Open(*ledger));
  ASSIGN_OR_RETURN(LedgerShare share,
                   ComputeShare(g, location, *ledger, projector->state(), trust, at, by, bundle));
  share.name = e.name;
  share.location = std::move(location);
  share.ledger_key = std::move(ledger_key);
  return share;
}

// The login of the federating command on each server: --key, named by its file's stem
// (as `sign` names the signer), or anonymous.
struct FederationLogin {
  std::optional<ledger::SigningKey> key;
  std::string name;
};

// A server entry's share: fetched from the ledger's serve process and checked against
// the trusted key (FetchServerShare).
Result<LedgerShare> ShareOfServer(const fs::path& base, const FederationEntry& e,
                                  const FederationLogin& login, domain::Date at,
                                  projections::ReportBy by, std::string* bundle) {
  ServerShareQuery q;
  ASSIGN_OR_RETURN(ledger::NoteVerifier trust, LoadTrust(base, e.trust));
  q.ledger_key = ledger::VerifierKey(trust.name, trust.key);
  q.server = *e.server;
  if (e.tls_ca.has_value()) q.tls_ca = Resolve(base, *e.tls_ca).string();
  q.key = login.key ? &*login.key : nullptr;
  q.key_name = login.name;
  q.trust = &trust;
  q.trust_file = e.trust;
  q.at = at;
  q.by = by;
  ASSIGN_OR_RETURN(LedgerShare share, FetchServerShare(q, bundle));
  share.name = e.name;
  share.location = *e.server;
  share.ledger_key = std::move(q.ledger_key);
  return share;
}

}  // namespace

Result<LedgerShare> ComputeShare(const Globals& g, const std::string& ledger_dir,
                                 const ledger::Ledger& ledger,
                                 const projections::ProgrammeState& state,
                                 const ledger::NoteVerifier& trust, domain::Date at,
                                 projections::ReportBy by, std::string* bundle) {
  LedgerShare share;
  // The checkpoint of exactly the records this view holds (every commit signs one), so
  // that a writer committing meanwhile changes nothing of the share.
  Result<std::string> note = ledger.CheckpointAt(ledger.size());
  if (!note.ok()) {
    if (note.status().code() != StatusCode::kNotFound) return note.status();
    return Status::FailedPrecondition(
        kNoCheckpoint, fmt::format("no signed checkpoint covers its {} records to bind its share "
                                   "to (a commit cut short: a writer's next commit signs one)",
                                   ledger.size()));
  }
  share.checkpoint_note = *note;
  Result<std::string> text = ledger::OpenNote(*note, std::span(&trust, 1));
  if (!text.ok()) return std::move(text).TakeStatus().WithContext("its latest checkpoint");
  ASSIGN_OR_RETURN(share.checkpoint, ledger::ParseCheckpoint(*text));
  if (share.checkpoint.origin != ledger.origin()) {
    return Status::DataLoss(fmt::format("its latest checkpoint names origin {}, the ledger is {}",
                                        share.checkpoint.origin, ledger.origin()));
  }
  ASSIGN_OR_RETURN(ledger::Hash root, ledger.RootAt(share.checkpoint.size));
  if (root != share.checkpoint.root) {
    return Status::DataLoss(fmt::format("its latest checkpoint (size {}) has root {}, the tree {}",
                                        share.checkpoint.size, ledger::ToHex(share.checkpoint.root),
                                        ledger::ToHex(root)));
  }
  // The same checkpoint as cosigned by the witnesses (serve --witness), when the ledger
  // holds it: the share carries the cosignatures.
  if (std::optional<std::string> cosigned =
          CosignedSameCheckpoint(g, ledger_dir, share.checkpoint_note)) {
    share.checkpoint_note = *std::move(cosigned);
  }
  if (state.next_seq() != share.checkpoint.size) {
    return Status::FailedPrecondition(
        kNoCheckpoint, fmt::format("its latest checkpoint covers {} of its {} records",
                                   share.checkpoint.size, state.next_seq()));
  }
  ASSIGN_OR_RETURN(share.report, projections::ComputeActiveDui(state, at, by));
  share.projects = projections::LiveProjects(state);

  if (bundle != nullptr) {
    projections::BundleClaim claim;
    claim.kind = projections::BundleClaim::Kind::kActiveDui;
    claim.at = at;
    claim.total = share.report.total;
    std::vector<uint64_t> seqs;
    for (const auto& ev : share.report.evidence) {
      claim.evidence.push_back({ev.finess, ev.seq, ev.active_files});
      seqs.push_back(ev.seq);
      seqs.insert(seqs.end(), ev.change_seqs.begin(), ev.change_seqs.end());
    }
    projections::BundleOptions options;
    options.checkpoint_note = share.checkpoint_note;
    Result<std::string> built =
        projections::BuildBundle(ledger, state, std::move(seqs), claim, options);
    if (!built.ok()) return std::move(built).TakeStatus().WithContext("--bundle");
    *bundle = std::move(*built);
  }
  return share;
}

int CmdFederatedReport(const Globals& g, const FederatedReportArgs& args) {
  if (args.format != "table" && args.format != "json") {
    return ReportError(
        Status::InvalidArgument(error_code::kUsage,
                                fmt::format("--format {} is not available with --federation "
                                            "(table or json; csv and html are per ledger)",
                                            args.format)),
        g);
  }
  for (const auto* file : {&args.out, &args.bundle}) {
    if (file->has_value() && (*file)->empty()) {
      return ReportError(Status::InvalidArgument(error_code::kUsage,
                                                 file == &args.out ? "--out: empty file name"
                                                                   : "--bundle: empty file name"),
                         g);
    }
  }
  Result<domain::Date> at = DateOrToday(args.at);
  if (!at.ok()) return ReportError(at.status(), g);
  Result<projections::ReportBy> by = projections::ParseReportBy(args.by.value_or(""));
  if (!by.ok()) return ReportError(by.status(), g);
  Result<Federation> federation = LoadFederation(args.federation);
  if (!federation.ok()) return ReportError(federation.status(), g);

  // --key logs in to the servers (a federation of directories does not read it).
  FederationLogin login;
  const bool has_server =
      std::any_of(federation->entries.begin(), federation->entries.end(),
                  [](const FederationEntry& e) { return e.server.has_value(); });
  if (has_server && !g.key_file.empty()) {
    Result<ledger::SigningKey> key = ledger::SigningKey::LoadPem(g.key_file);
    if (!key.ok()) return ReportError(std::move(key).TakeStatus().WithContext("--key"), g);
    login.key.emplace(std::move(*key));
    login.name = fs::path(g.key_file).stem().string();
  }

  // The servers' shares are fetched at once, one connection (and its kj event loop) per
  // thread, while the directories are read here: on a busy machine a share's wall time
  // is mostly its server's wait for a core, and the waits overlap. The first entry that
  // fails, in the file's order, is reported (as when they are read one by one).
  const std::vector<FederationEntry>& entries = federation->entries;
  std::vector<std::optional<Result<LedgerShare>>> fetched(entries.size());
  std::vector<std::string> fetched_bundles(entries.size());
  {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!entries[i].server.has_value()) continue;
      std::string* wanted = args.bundle.has_value() ? &fetched_bundles[i] : nullptr;
      threads.emplace_back([&, i, wanted] {
        fetched[i].emplace(ShareOfServer(federation->base, entries[i], login, *at, *by, wanted));
      });
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].server.has_value()) continue;
      std::string* wanted = args.bundle.has_value() ? &fetched_bundles[i] : nullptr;
      fetched[i].emplace(ShareOfLedger(g, federation->base, entries[i], *at, *by, wanted));
    }
    for (std::thread& t : threads) t.join();
  }
  std::vector<LedgerShare> shares;
  std::vector<std::string> bundles;
  for (size_t i = 0; i < entries.size(); ++i) {
    const FederationEntry& e = entries[i];
    Result<LedgerShare>& share = *fetched[i];
    if (!share.ok()) {
      return ReportError(
          std::move(share).TakeStatus().WithContext(fmt::format(
              "{}: '{}' ({})", args.federation, e.name, e.server ? *e.server : *e.ledger)),
          g);
    }
    if (!e.witness.empty()) {
      Result<ledger::Note> note = ledger::ParseNote(share->checkpoint_note);
      if (note.ok() && note->signatures.size() < 2) {
        fmt::print(g.err,
                   "note: '{}': the witnesses have not cosigned its latest checkpoint (size {}): "
                   "its share is bound to it without their cosignatures\n",
                   e.name, share->checkpoint.size);
      }
    }
    shares.push_back(std::move(*share));
    if (args.bundle.has_value()) bundles.push_back(std::move(fetched_bundles[i]));
  }
  Result<projections::NationalReport> national =
      projections::CombineShares(*at, *by, std::move(shares));
  if (!national.ok()) {
    return ReportError(std::move(national).TakeStatus().WithContext(args.federation), g);
  }

  if (args.bundle.has_value()) {
    Result<std::string> text = projections::BuildNationalBundle(*national, bundles);
    if (!text.ok()) return ReportError(text.status(), g);
    Status written = WriteFileAtomically(*args.bundle, *text);
    if (!written.ok()) return ReportError(written, g);
    std::string trusts;
    for (const FederationEntry& e : federation->entries) trusts += " --trust " + e.trust;
    std::fprintf(g.err,
                 "national bundle of %zu ledgers written to %s (check it with: esms-ledger "
                 "verify-bundle %s --federation %s, or%s)\n",
                 national->shares.size(), args.bundle->c_str(), args.bundle->c_str(),
                 args.federation.c_str(), trusts.c_str());
  }

  const std::string text =
      args.format == "json" ? projections::ToJson(*national) : projections::ToText(*national);
  if (!args.out.has_value()) {
    PrintLine(g, text);
    return kExitOk;
  }
  Status written = WriteFileAtomically(*args.out, text);
  if (!written.ok()) return ReportError(written, g);
  if (g.json) {
    PrintLine(g, projections::ToJson(*national));
  } else {
    std::fprintf(g.err, "national active DUI files at %s: %s over %zu ledgers; written to %s\n",
                 at->ToString().c_str(), projections::GroupDigits(national->total).c_str(),
                 national->shares.size(), args.out->c_str());
  }
  return kExitOk;
}

int CmdVerifyNationalBundle(const Globals& g, std::string_view text,
                            const std::vector<std::string>& trust,
                            const std::optional<std::string>& federation) {
  projections::NationalTrust keys;
  if (federation.has_value()) {
    if (!trust.empty()) {
      return ReportError(Status::InvalidArgument(error_code::kUsage,
                                                 "give the keys by --trust or by --federation, "
                                                 "not both"),
                         g);
    }
    Result<Federation> f = LoadFederation(*federation);
    if (!f.ok()) return ReportError(f.status(), g);
    for (const FederationEntry& e : f->entries) {
      Result<ledger::NoteVerifier> key = LoadTrust(f->base, e.trust);
      if (!key.ok()) {
        return ReportError(
            std::move(key).TakeStatus().WithContext(fmt::format("{}: '{}'", *federation, e.name)),
            g);
      }
      keys.by_name.emplace(e.name, *key);
      for (const std::string& w : e.witness) {
        Result<ledger::NoteVerifier> witness =
            LoadEntryKey(f->base, w, ledger::kSignatureTypeCosignatureV1, "witness");
        if (!witness.ok()) {
          return ReportError(std::move(witness).TakeStatus().WithContext(
                                 fmt::format("{}: '{}'", *federation, e.name)),
                             g);
        }
        keys.witnesses_by_name[e.name].push_back(*witness);
      }
    }
  } else {
    for (const std::string& t : trust) {
      Result<ledger::NoteVerifier> key =
          ledger::LoadVerifierKey(t, ledger::kSignatureTypeEd25519, "--trust");
      if (!key.ok()) return ReportError(key.status(), g);
      keys.keys.push_back(*key);
    }
  }
  Result<projections::NationalVerdict> verdict = projections::VerifyNationalBundle(text, keys);
  if (!verdict.ok()) return ReportError(verdict.status(), g);
  const projections::NationalVerdict& v = *verdict;
  if (!v.ok) {
    if (g.json) {
      json error = {{"code", v.code}, {"message", v.problem}};
      if (v.part.has_value()) error["part"] = *v.part;
      if (v.seq.has_value()) error["seq"] = *v.seq;
      PrintLine(g, json{{"error", error}}.dump());
    } else {
      std::fprintf(g.err, "error: %s: %s\n", v.code.c_str(), v.problem.c_str());
    }
    return kExitVerificationFailed;
  }
  if (g.json) {
    json parts = json::array();
    for (const auto& p : v.parts) {
      parts.push_back({{"name", p.name},
                       {"origin", p.origin},
                       {"size", p.checkpoint_size},
                       {"root", ledger::ToHex(p.root)},
                       {"total", p.total},
                       {"establishments", p.establishments},
                       {"records", p.records}});
    }
    PrintLine(g, json{{"verified", true},
                      {"claim",
                       {{"kind", "national-active-dui"},
                        {"at", v.at.ToString()},
                        {"total", v.total},
                        {"establishments", v.establishments}}},
                      {"parts", parts}}
                     .dump());
    return kExitOk;
  }
  std::string out = fmt::format(
      "national bundle verified: {} parts, each proven against its own ledger's checkpoint\n",
      v.parts.size());
  for (const auto& p : v.parts) {
    out += fmt::format(
        "  {}: {} active files over {} establishments ({} records, checkpoint {} "
        "of {}, root {})\n",
        p.name, p.total, p.establishments, p.records, p.checkpoint_size, p.origin,
        ledger::ToHex(p.root));
  }
  out += fmt::format(
      "national active DUI files as of {}: {} over {} establishments, the sum of "
      "the parts\n",
      v.at.ToString(), v.total, v.establishments);
  PrintLine(g, out);
  return kExitOk;
}

}  // namespace esms::cli
