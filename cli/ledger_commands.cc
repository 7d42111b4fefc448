// The ledger-level commands: init, key new, import, log, verify, checkpoint, prove,
// consistency.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "cli/commands.h"
#include "projections/appender.h"
#include "projections/projector.h"
#include "cli/output.h"
#include "cli/records.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/record.h"

namespace esms::cli {
namespace {

using ledger::Ledger;
using nlohmann::json;

// The `id` a JSON line carries (or its signed form's `event.id`), "" when it carries
// none: a line refused as BAD_INPUT is reported with the id its author gave it.
std::string IdCarriedBy(const std::string& line) {
  const json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return "";
  const json* object = &parsed;
  if (auto event = parsed.find("event"); event != parsed.end() && event->is_object()) {
    object = &*event;
  }
  auto id = object->find("id");
  return id != object->end() && id->is_string() ? id->get<std::string>() : "";
}

Result<std::unique_ptr<Ledger>> OpenLedger(const Globals& g, Ledger::Mode mode) {
  return Ledger::Open(g.ledger_dir, mode);
}

Result<ledger::SigningKey> LoadSigningKey(const Globals& g) {
  if (g.key_file.empty()) {
    return Status::InvalidArgument(error_code::kUsage,
                                   "this command signs: give --key FILE or set $ESMS_LEDGER_KEY");
  }
  return ledger::SigningKey::LoadPem(g.key_file);
}

std::string Hex(const ledger::Hash& h) { return ledger::ToHex(h); }

json HashList(const std::vector<ledger::Hash>& hashes) {
  json out = json::array();
  for (const auto& h : hashes) out.push_back(Hex(h));
  return out;
}

void PrintJson(const json& value) {
  std::string text = value.dump();
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

int CmdInit(const Globals& g, const std::string& origin, const std::string& admin_key_file,
            const std::string& admin_name) {
  auto key = ledger::SigningKey::LoadPem(admin_key_file);
  if (!key.ok()) return ReportError(key.status(), g.json);
  auto created = Ledger::Create(g.ledger_dir, origin, admin_name, *key);
  if (!created.ok()) return ReportError(created.status(), g.json);
  const Ledger& l = **created;
  std::string pub_path = (std::filesystem::path(g.ledger_dir) / "ledger.pub").string();
  if (g.json) {
    PrintJson({{"ledger", g.ledger_dir},
               {"origin", l.origin()},
               {"size", l.size()},
               {"verifierKey", l.verifier_key()},
               {"ledgerPub", pub_path}});
  } else {
    fmt::print("created ledger {} (origin {})\n", g.ledger_dir, l.origin());
    fmt::print("genesis: admin key '{}' enrolled at seq 0\n", admin_name);
    fmt::print("checkpoint verifier key written to {}:\n  {}\n", pub_path, l.verifier_key());
  }
  return kExitOk;
}

int CmdKeyNew(const Globals& g, const std::string& name, const std::string& out_file) {
  auto key = ledger::SigningKey::Generate();
  if (!key.ok()) return ReportError(key.status(), g.json);
  if (Status s = key->WritePem(out_file); !s.ok()) return ReportError(s, g.json);
  std::string public_key = ledger::Base64Encode(key->public_key());
  if (g.json) {
    PrintJson({{"name", name}, {"publicKey", public_key}, {"file", out_file}});
  } else {
    fmt::print("wrote private key {} (mode 0600)\n", out_file);
    fmt::print("public key of '{}': {}\n", name, public_key);
    fmt::print(
        "enrol it with an admin-signed event such as:\n"
        "  {{\"id\": \"key-{}\", \"type\": \"key.enrolled\", \"at\": \"YYYY-MM-DD\", \"data\": "
        "{{\"name\": \"{}\", \"publicKey\": \"{}\", \"roles\": [\"porteur\"], \"regions\": "
        "[\"53\"]}}}}\n",
        name, name, public_key);
  }
  return kExitOk;
}

int CmdImport(const Globals& g, const std::string& file) {
  auto key = LoadSigningKey(g);
  if (!key.ok()) return ReportError(key.status(), g.json);

  std::ifstream file_stream;
  std::istream* in = &std::cin;
  uint64_t total_bytes = 0;
  if (file != "-") {
    std::error_code ec;
    total_bytes = std::filesystem::file_size(file, ec);
    file_stream.open(file, std::ios::binary);
    if (!file_stream) {
      return ReportError(
          Status::InvalidArgument(error_code::kUsage, "cannot read events file " + file), g.json);
    }
    in = &file_stream;
  }

  auto opened = OpenLedger(g, Ledger::Mode::kReadWrite);
  if (!opened.ok()) return ReportError(opened.status(), g.json);
  Ledger& l = **opened;
  // The programme's state, from its snapshot plus the records after it: the guard
  // checks each event against it, and each staged event is folded into it.
  auto projector = projections::Projector::Open(l);
  if (!projector.ok()) return ReportError(projector.status(), g.json);
  projections::EventAppender appender(l, *key);
  (*projector)->Install(appender);

  // Results are printed only once their batch is durably committed, so a line that was
  // acknowledged is on disk even if the process is killed right after.
  constexpr size_t kGroupCommit = 1000;
  struct Pending {
    uint64_t line;
    std::string id;
    ledger::Appended appended;
  };
  std::vector<Pending> pending;
  uint64_t appended = 0, existing = 0, bytes_read = 0;
  bool first_result = true;
  if (g.json) std::fputs("{\"results\":[", stdout);

  auto emit = [&](const std::string& object) {
    if (!first_result) std::fputc(',', stdout);
    first_result = false;
    std::fputs(object.c_str(), stdout);
  };
  auto flush = [&]() -> Status {
    if (Status s = appender.Commit(); !s.ok()) {
      // The state folded records that were not written: reload it from the ledger.
      (void)(*projector)->Reload();
      return s;
    }
    for (const Pending& p : pending) {
      (p.appended.existing ? existing : appended)++;
      if (g.json) {
        emit(json{{"line", p.line},
                  {"id", p.id},
                  {"seq", p.appended.seq},
                  {"status", p.appended.existing ? "existing" : "appended"}}
                 .dump());
      }
    }
    pending.clear();
    if (g.json) std::fflush(stdout);
    return Status::OK();
  };

  Progress progress("import", total_bytes);
  std::string line;
  uint64_t line_no = 0;
  Status refusal;
  std::string refused_id;
  while (std::getline(*in, line)) {
    ++line_no;
    bytes_read += line.size() + 1;
    progress.Update(bytes_read);
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    refused_id.clear();
    auto result = appender.Add(line, &refused_id);
    if (!result.ok()) {
      refusal = std::move(result).TakeStatus();
      // A line refused before its event was decoded (BAD_INPUT) still names the id its
      // JSON carried (issue 13 item 12).
      if (refused_id.empty()) refused_id = IdCarriedBy(line);
      break;
    }
    pending.push_back({line_no, refused_id, *result});
    if (appender.staged() >= kGroupCommit) {
      if (Status s = flush(); !s.ok()) {
        refusal = s;
        break;
      }
    }
  }
  if (Status s = flush(); !s.ok() && refusal.ok()) refusal = s;
  progress.Finish();
  if (appended > 0) {
    // A lagging snapshot is only slower to open (the records after it are replayed),
    // so a failure here is logged, not fatal.
    if (Status s = (*projector)->SaveSnapshot(); !s.ok()) {
      g.log->warn("projection snapshot not saved: {}", s.ToString());
    }
  }

  if (!refusal.ok()) {
    if (g.json) {
      json r = {{"line", line_no}, {"id", refused_id}, {"status", "refused"},
                {"error", json::parse(ErrorJson(refusal))}};
      emit(r.dump());
      std::fputs("]}\n", stdout);
      std::fflush(stdout);
    } else {
      fmt::print("appended {}, already present {}\n", appended, existing);
      fmt::print(stderr, "line {} refused (id {}):\n", line_no,
                 refused_id.empty() ? "?" : refused_id);
      ReportError(refusal, false);
    }
    return ExitCodeFor(refusal);
  }
  if (g.json) {
    std::fputs("]}\n", stdout);
    std::fflush(stdout);
  } else {
    fmt::print("appended {}, already present {}; ledger size {}\n", appended, existing,
               l.size());
  }
  return kExitOk;
}

int CmdLog(const Globals& g, std::optional<uint64_t> from, std::optional<uint64_t> to) {
  auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g.json);
  const Ledger& l = **opened;
  uint64_t begin = from.value_or(0);
  uint64_t end = to.has_value() ? std::min(*to + 1, l.size()) : l.size();
  if (g.json) std::fputs("{\"records\":[", stdout);
  bool first = true;
  Status s = l.Scan(begin, end, [&](const ledger::Record& r) -> Status {
    if (g.json) {
      ASSIGN_OR_RETURN(std::string text, RecordJson(r));
      if (!first) std::fputc(',', stdout);
      first = false;
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
      fmt::print("{}\n", RecordLine(r));
    }
    return Status::OK();
  });
  if (g.json) std::fputs("]}\n", stdout);
  std::fflush(stdout);
  if (!s.ok()) return ReportError(s, g.json);
  return kExitOk;
}

int CmdVerify(const Globals& g, bool check_signatures) {
  auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g.json);
  const Ledger& l = **opened;
  Progress progress("verify", l.size());
  Ledger::VerifyOptions options;
  options.check_signatures = check_signatures;
  auto report = l.Verify(options, [&](uint64_t done, uint64_t total) {
    progress.SetTotal(total);
    progress.Update(done);
  });
  progress.Finish();
  if (!report.ok()) return ReportError(report.status(), g.json);
  const auto& r = *report;
  if (g.json) {
    PrintJson({{"ok", r.ok},
               {"size", r.size},
               {"root", Hex(r.root)},
               {"firstBad", r.first_bad.has_value() ? json(*r.first_bad) : json(nullptr)},
               {"problem", r.ok ? json(nullptr) : json(r.problem)},
               {"signatures", check_signatures}});
  } else if (r.ok && check_signatures) {
    fmt::print("OK: {} records; hash chain, signatures, Merkle tree, checkpoints and indexes "
               "check\nroot {}\n",
               r.size, Hex(r.root));
  } else if (r.ok) {
    fmt::print("OK (structural verify, record signatures not checked): {} records; canonical "
               "bytes, hash chain, key rules, Merkle tree, checkpoints and indexes check\n"
               "root {}\n",
               r.size, Hex(r.root));
  } else {
    fmt::print("FAILED{}: {}\n",
               check_signatures ? "" : " (structural verify, record signatures not checked)",
               r.problem);
  }
  return r.ok ? kExitOk : kExitVerificationFailed;
}

int CmdCheckpoint(const Globals& g) {
  std::string note;
  if (g.key_file.empty()) {
    auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
    if (!opened.ok()) return ReportError(opened.status(), g.json);
    auto latest = (*opened)->LatestCheckpoint();
    if (!latest.ok()) return ReportError(latest.status(), g.json);
    if (!latest->has_value()) {
      return ReportError(Status::NotFound(error_code::kNotFound,
                                          "no checkpoint kept yet; sign one with --key"),
                         g.json);
    }
    note = **latest;
  } else {
    auto key = LoadSigningKey(g);
    if (!key.ok()) return ReportError(key.status(), g.json);
    auto opened = OpenLedger(g, Ledger::Mode::kReadWrite);
    if (!opened.ok()) return ReportError(opened.status(), g.json);
    auto made = (*opened)->MakeCheckpoint(*key);
    if (!made.ok()) return ReportError(made.status(), g.json);
    note = *made;
  }
  if (g.json) {
    auto body = ledger::ParseNote(note);
    if (!body.ok()) return ReportError(body.status(), g.json);
    auto cp = ledger::ParseCheckpoint(body->text);
    if (!cp.ok()) return ReportError(cp.status(), g.json);
    PrintJson({{"note", note}, {"size", cp->size}, {"root", Hex(cp->root)}});
  } else {
    std::fwrite(note.data(), 1, note.size(), stdout);
  }
  return kExitOk;
}

int CmdProve(const Globals& g, uint64_t seq, std::optional<uint64_t> size) {
  auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g.json);
  const Ledger& l = **opened;
  uint64_t tree_size = size.value_or(l.size());
  if (tree_size > l.size() || seq >= tree_size) {
    return ReportError(
        Status::BadInput(fmt::format("no record {} in a tree of size {} (ledger size {})", seq,
                                     tree_size, l.size())),
        g.json);
  }
  auto record = l.Get(seq);
  if (!record.ok()) return ReportError(record.status(), g.json);
  auto proof = l.InclusionProof(seq, tree_size);
  if (!proof.ok()) return ReportError(proof.status(), g.json);
  auto root = l.RootAt(tree_size);
  if (!root.ok()) return ReportError(root.status(), g.json);
  if (g.json) {
    PrintJson({{"seq", seq},
               {"size", tree_size},
               {"leafHash", Hex(record->leaf_hash)},
               {"root", Hex(*root)},
               {"proof", HashList(*proof)}});
  } else {
    fmt::print("record {} is leaf {} of the tree of size {}\nleaf hash {}\nroot      {}\n", seq,
               seq, tree_size, Hex(record->leaf_hash), Hex(*root));
    fmt::print("inclusion proof (RFC 9162, {} hashes):\n", proof->size());
    for (const auto& h : *proof) fmt::print("  {}\n", Hex(h));
  }
  return kExitOk;
}

int CmdConsistency(const Globals& g, uint64_t old_size, uint64_t new_size) {
  auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g.json);
  const Ledger& l = **opened;
  if (old_size > new_size || new_size > l.size()) {
    return ReportError(Status::BadInput(fmt::format(
                           "need OLD <= NEW <= ledger size ({}), got {} and {}", l.size(),
                           old_size, new_size)),
                       g.json);
  }
  auto proof = l.ConsistencyProof(old_size, new_size);
  if (!proof.ok()) return ReportError(proof.status(), g.json);
  auto old_root = l.RootAt(old_size);
  if (!old_root.ok()) return ReportError(old_root.status(), g.json);
  auto new_root = l.RootAt(new_size);
  if (!new_root.ok()) return ReportError(new_root.status(), g.json);
  if (g.json) {
    PrintJson({{"old", old_size},
               {"new", new_size},
               {"oldRoot", Hex(*old_root)},
               {"newRoot", Hex(*new_root)},
               {"proof", HashList(*proof)}});
  } else {
    fmt::print("tree {} root {}\ntree {} root {}\nconsistency proof (RFC 9162, {} hashes):\n",
               old_size, Hex(*old_root), new_size, Hex(*new_root), proof->size());
    for (const auto& h : *proof) fmt::print("  {}\n", Hex(h));
  }
  return kExitOk;
}

}  // namespace esms::cli
