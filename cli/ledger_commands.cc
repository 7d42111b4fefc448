// The ledger-level commands: init, key new, import, log, verify, checkpoint, prove,
// consistency.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/import_report.h"
#include "cli/input.h"
#include "cli/output.h"
#include "cli/records.h"
#include "cli/serve_command.h"
#include "domain/event_codec.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/record.h"
#include "projections/appender.h"
#include "projections/import_pipeline.h"
#include "projections/projector.h"

namespace esms::cli {
namespace {

using ledger::Ledger;
using nlohmann::json;

// The ledger key given with --ledger-key, if any.
Result<std::shared_ptr<const ledger::SigningKey>> GivenLedgerKey(const Globals& g) {
  if (g.ledger_key_file.empty()) return std::shared_ptr<const ledger::SigningKey>();
  ASSIGN_OR_RETURN(ledger::SigningKey key, ledger::SigningKey::LoadPem(g.ledger_key_file));
  return std::make_shared<const ledger::SigningKey>(std::move(key));
}

}  // namespace

Result<std::unique_ptr<Ledger>> OpenLedgerToWrite(const Globals& g, Ledger::Mode mode) {
  Ledger::Options options;
  if (mode == Ledger::Mode::kReadWrite) {
    ASSIGN_OR_RETURN(options.ledger_key, GivenLedgerKey(g));
  }
  return Ledger::Open(g.ledger_dir, mode, std::move(options));
}

Result<std::shared_ptr<Ledger>> OpenLedgerToRead(const Globals& g) {
  if (g.served_ledger != nullptr) return std::shared_ptr<Ledger>(g.served_ledger, [](Ledger*) {});
  ASSIGN_OR_RETURN(std::unique_ptr<Ledger> owned, OpenLedgerToWrite(g, Ledger::Mode::kReadOnly));
  return std::shared_ptr<Ledger>(std::move(owned));
}

namespace {

// The ledger of --ledger; or, read-only, the one `serve` serves (OpenLedgerToRead).
Result<std::shared_ptr<Ledger>> OpenLedger(const Globals& g, Ledger::Mode mode) {
  if (mode == Ledger::Mode::kReadOnly) return OpenLedgerToRead(g);
  ASSIGN_OR_RETURN(std::unique_ptr<Ledger> owned, OpenLedgerToWrite(g, mode));
  return std::shared_ptr<Ledger>(std::move(owned));
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

}  // namespace

int CmdInit(const Globals& g, const std::string& origin, const std::string& admin_key_file,
            const std::string& admin_name) {
  auto key = ledger::SigningKey::LoadPem(admin_key_file);
  if (!key.ok()) return ReportError(key.status(), g);
  auto ledger_key = GivenLedgerKey(g);
  if (!ledger_key.ok()) return ReportError(ledger_key.status(), g);
  // What this init creates, so that a failure (a full disk...) leaves nothing behind
  // and a retry works: the directory and its missing parents, or the files put in an
  // empty directory given.
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::absolute(g.ledger_dir, ec);
  fs::path created_top;  // the topmost directory this init creates, if any
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created_top = p;
    if (p == p.parent_path()) break;
  }
  const bool was_empty_dir =
      created_top.empty() && fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
  Ledger::Options options;
  options.ledger_key = *ledger_key;
  auto created = Ledger::Create(g.ledger_dir, origin, admin_name, *key, std::move(options));
  if (!created.ok()) {
    const Status& s = created.status();
    // A usage error or bad input refused the init before it wrote anything.
    if (PublicCode(s) != error_code::kUsage && PublicCode(s) != error_code::kBadInput) {
      if (!created_top.empty()) {
        fs::remove_all(created_top, ec);
      } else if (was_empty_dir) {
        std::vector<fs::path> made;
        for (const auto& entry : fs::directory_iterator(dir, ec)) made.push_back(entry.path());
        for (const fs::path& p : made) fs::remove_all(p, ec);
      }
    }
    return ReportError(s, g);
  }
  const Ledger& l = **created;
  std::string pub_path = (std::filesystem::path(g.ledger_dir) / "ledger.pub").string();
  if (g.json) {
    PrintJson(g, {{"ledger", g.ledger_dir},
                  {"origin", l.origin()},
                  {"size", l.size()},
                  {"verifierKey", l.verifier_key()},
                  {"ledgerPub", pub_path}});
  } else {
    fmt::print(g.out, "created ledger {} (origin {})\n", g.ledger_dir, l.origin());
    fmt::print(g.out, "genesis: admin key '{}' enrolled at seq 0\n", admin_name);
    if (g.ledger_key_file.empty()) {
      fmt::print(g.out,
                 "ledger key (signs a checkpoint at every commit) written to {} (mode 0600)\n",
                 (std::filesystem::path(g.ledger_dir) / ledger::kLedgerKeyFile).string());
    } else {
      fmt::print(g.out, "ledger key (signs a checkpoint at every commit): {}\n", g.ledger_key_file);
    }
    fmt::print(g.out, "checkpoint verifier key written to {}:\n  {}\n", pub_path, l.verifier_key());
  }
  return kExitOk;
}

int CmdKeyNew(const Globals& g, const std::string& name, const std::string& out_file) {
  auto key = ledger::SigningKey::Generate();
  if (!key.ok()) return ReportError(key.status(), g);
  if (Status s = key->WritePem(out_file); !s.ok()) return ReportError(s, g);
  std::string public_key = ledger::Base64Encode(key->public_key());
  if (g.json) {
    PrintJson(g, {{"name", name}, {"publicKey", public_key}, {"file", out_file}});
  } else {
    fmt::print(g.out, "wrote private key {} (mode 0600)\n", out_file);
    fmt::print(g.out, "public key of '{}': {}\n", name, public_key);
    fmt::print(
        g.out,
        "enrol it with an admin-signed event such as:\n"
        "  {{\"id\": \"key-{}\", \"type\": \"key.enrolled\", \"at\": \"YYYY-MM-DD\", \"data\": "
        "{{\"name\": \"{}\", \"publicKey\": \"{}\", \"roles\": [\"porteur\"], \"regions\": "
        "[\"53\"]}}}}\n",
        name, name, public_key);
  }
  return kExitOk;
}

int CmdImport(const Globals& g, const std::string& file) {
  // Signed lines need no key; plain lines are signed on the spot with --key.
  std::optional<ledger::SigningKey> key;
  if (!g.key_file.empty()) {
    auto loaded = ledger::SigningKey::LoadPem(g.key_file);
    if (!loaded.ok()) return ReportError(loaded.status(), g);
    key.emplace(std::move(loaded).value());
  }

  // A read error is an error, never the end of the input (LineReader).
  auto reader = LineReader::Open(file, g.stdin_closed, g.in);
  if (!reader.ok()) return ReportError(reader.status(), g);
  LineReader& in = **reader;

  auto opened = OpenLedger(g, Ledger::Mode::kReadWrite);
  if (!opened.ok()) return ReportError(opened.status(), g);
  Ledger& l = **opened;
  // The programme's state, from its snapshot plus the records after it: the guard
  // checks each event against it, and each staged event is folded into it.
  auto projector = projections::Projector::Open(l);
  if (!projector.ok()) return ReportError(projector.status(), g);
  std::unique_ptr<projections::EventAppender> appender_owned =
      key ? std::make_unique<projections::EventAppender>(l, *key)
          : std::make_unique<projections::EventAppender>(l);
  projections::EventAppender& appender = *appender_owned;
  (*projector)->Install(appender);

  // Lines are read by chunks; the lines of a chunk are decoded, and their signatures
  // made (plain lines, with --key) or checked (signed lines), on every core while the
  // previous chunks go through the guard and the ledger in order on this thread
  // (projections/import_pipeline.h). So the order of the results and the refusal at the
  // first bad line are as if each line were taken alone; a result is printed only once
  // its group commit is durable, so a line that was acknowledged is on disk even if the
  // process is killed right after.
  ImportReport report(g);

  Progress progress("import", in.total_bytes(), g.err);
  uint64_t line_no_read = 0;
  auto read_lines = [&](std::vector<projections::ImportLine>& lines, size_t max) {
    progress.Update(in.bytes_read());
    std::string line;
    for (size_t n = 0; n < max; ++n) {
      Status read_error;
      LineReader::Next next = in.Read(&line, &read_error);
      if (next == LineReader::Next::kEnd) return false;
      projections::ImportLine& item = lines.emplace_back();
      item.line_no = ++line_no_read;
      if (next == LineReader::Next::kError) {
        item.read_error = std::move(read_error);
        return false;
      }
      item.text = std::move(line);
      line.clear();
    }
    return true;
  };
  auto answer = [&](const std::vector<projections::ImportPipeline::LineResult>& results) {
    for (const projections::ImportPipeline::LineResult& r : results) {
      report.Acknowledged(r.line_no, r.id, r.appended);
    }
    report.Flush();
  };
  projections::ImportPipeline::Options pipeline_options;
  pipeline_options.key = key ? &*key : nullptr;
  pipeline_options.group_commit = 1000;
  projections::ImportPipeline pipeline(l, appender, projector->get(), pipeline_options);
  const projections::ImportPipeline::Refusal stopped = pipeline.Run(read_lines, answer);
  report.Flush();
  progress.Finish();
  if (report.appended() > 0) {
    // The records' memtables go to table files on RocksDB's thread while this one
    // encodes the snapshot (the close then waits for both): 0.1 s of an import of
    // 100 000 lines overlapped instead of added (BENCHMARKS.md, issue #14).
    l.StartFlush();
    // A lagging snapshot is only slower to open (the records after it are replayed),
    // so a failure here is logged, not fatal.
    if (Status s = (*projector)->SaveSnapshot(); !s.ok()) {
      g.log->warn("projection snapshot not saved: {}", StatusText(s));
    }
  }
  return report.Finish({stopped.status, stopped.line, stopped.last_line, stopped.id}, l.size());
}

int CmdLog(const Globals& g, std::optional<uint64_t> from, std::optional<uint64_t> to) {
  auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g);
  const Ledger& l = **opened;
  uint64_t begin = from.value_or(0);
  // --to is included: saturate rather than wrap at 2^64 - 1.
  uint64_t end = to.has_value() && *to < l.size() ? *to + 1 : l.size();
  begin = std::min(begin, end);
  if (g.json) std::fputs("{\"records\":[", g.out);
  bool first = true;
  Status s = l.Scan(begin, end, [&](const ledger::Record& r) -> Status {
    if (g.json) {
      ASSIGN_OR_RETURN(std::string text, RecordJson(r));
      if (!first) std::fputc(',', g.out);
      first = false;
      std::fwrite(text.data(), 1, text.size(), g.out);
    } else {
      fmt::print(g.out, "{}\n", RecordLine(r));
    }
    return Status::OK();
  });
  if (g.json) std::fputs("]}\n", g.out);
  std::fflush(g.out);
  if (!s.ok()) return ReportError(s, g);
  return kExitOk;
}

int CmdVerify(const Globals& g, bool check_signatures) {
  auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g);
  const Ledger& l = **opened;
  Progress progress("verify", l.size(), g.err);
  Ledger::VerifyOptions options;
  options.check_signatures = check_signatures;
  auto report = l.Verify(options, [&](uint64_t done, uint64_t total) {
    progress.SetTotal(total);
    progress.Update(done);
  });
  progress.Finish();
  if (!report.ok()) return ReportError(report.status(), g);
  const auto& r = *report;
  if (g.json) {
    json out = {{"ok", r.ok},
                {"size", r.size},
                {"root", Hex(r.root)},
                {"firstBad", r.first_bad.has_value() ? json(*r.first_bad) : json(nullptr)},
                {"problem", r.ok ? json(nullptr) : json(r.problem)},
                {"signatures", check_signatures}};
    // The code INTERFACE.md §4 gives a ledger that does not check, as every command names it.
    if (!r.ok) out["code"] = error_code::kCorruption;
    PrintJson(g, out);
  } else if (r.ok && check_signatures) {
    fmt::print(g.out,
               "OK: {} records; hash chain, signatures, Merkle tree, checkpoints and indexes "
               "check\nroot {}\n",
               r.size, Hex(r.root));
  } else if (r.ok) {
    fmt::print(g.out,
               "OK (structural verify, record signatures not checked): {} records; canonical "
               "bytes, hash chain, key rules, Merkle tree, checkpoints and indexes check\n"
               "root {}\n",
               r.size, Hex(r.root));
  } else {
    fmt::print(g.out, "FAILED{}: {}\n",
               check_signatures ? "" : " (structural verify, record signatures not checked)",
               r.problem);
    // On stderr too, in the form of every other error: "error: CODE: message".
    fmt::print(g.err, "error: {}: {}\n", error_code::kCorruption, r.problem);
  }
  return r.ok ? kExitOk : kExitVerificationFailed;
}

int CmdCheckpoint(const Globals& g) {
  std::string note;
  if (g.key_file.empty()) {
    auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
    if (!opened.ok()) return ReportError(opened.status(), g);
    auto latest = (*opened)->LatestCheckpoint();
    if (!latest.ok()) return ReportError(latest.status(), g);
    if (!latest->has_value()) {
      return ReportError(
          Status::NotFound(error_code::kNotFound, "no checkpoint kept yet; sign one with --key"),
          g);
    }
    note = **latest;
  } else {
    // With the ledger key: a checkpoint of the current tree (every commit already
    // keeps one: this one is then returned as kept).
    auto key = LoadSigningKey(g);
    if (!key.ok()) return ReportError(key.status(), g);
    auto shared = std::make_shared<const ledger::SigningKey>(std::move(key).value());
    Ledger::Options options;
    options.ledger_key = shared;
    auto opened = Ledger::Open(g.ledger_dir, Ledger::Mode::kReadWrite, std::move(options));
    if (!opened.ok()) return ReportError(opened.status(), g);
    auto made = (*opened)->MakeCheckpoint(*shared);
    if (!made.ok()) return ReportError(made.status(), g);
    note = *made;
  }
  if (g.json) {
    auto body = ledger::ParseNote(note);
    if (!body.ok()) return ReportError(body.status(), g);
    auto cp = ledger::ParseCheckpoint(body->text);
    if (!cp.ok()) return ReportError(cp.status(), g);
    PrintJson(g, {{"note", note}, {"size", cp->size}, {"root", Hex(cp->root)}});
  } else {
    std::fwrite(note.data(), 1, note.size(), g.out);
  }
  return kExitOk;
}

int CmdProve(const Globals& g, uint64_t seq, std::optional<uint64_t> size) {
  auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g);
  const Ledger& l = **opened;
  uint64_t tree_size = size.value_or(l.size());
  if (tree_size > l.size() || seq >= tree_size) {
    return ReportError(
        Status::BadInput(fmt::format("no record {} in a tree of size {} (ledger size {})", seq,
                                     tree_size, l.size())),
        g);
  }
  auto record = l.Get(seq);
  if (!record.ok()) return ReportError(record.status(), g);
  auto proof = l.InclusionProof(seq, tree_size);
  if (!proof.ok()) return ReportError(proof.status(), g);
  auto root = l.RootAt(tree_size);
  if (!root.ok()) return ReportError(root.status(), g);
  if (g.json) {
    PrintJson(g, {{"seq", seq},
                  {"size", tree_size},
                  {"leafHash", Hex(record->leaf_hash)},
                  {"root", Hex(*root)},
                  {"proof", HashList(*proof)}});
  } else {
    fmt::print(g.out, "record {} is leaf {} of the tree of size {}\nleaf hash {}\nroot      {}\n",
               seq, seq, tree_size, Hex(record->leaf_hash), Hex(*root));
    fmt::print(g.out, "inclusion proof (RFC 9162, {} hashes):\n", proof->size());
    for (const auto& h : *proof) fmt::print(g.out, "  {}\n", Hex(h));
  }
  return kExitOk;
}

int CmdConsistency(const Globals& g, uint64_t old_size, uint64_t new_size) {
  auto opened = OpenLedger(g, Ledger::Mode::kReadOnly);
  if (!opened.ok()) return ReportError(opened.status(), g);
  const Ledger& l = **opened;
  if (old_size > new_size || new_size > l.size()) {
    return ReportError(
        Status::BadInput(fmt::format("need OLD <= NEW <= ledger size ({}), got {} and {}", l.size(),
                                     old_size, new_size)),
        g);
  }
  auto proof = l.ConsistencyProof(old_size, new_size);
  if (!proof.ok()) return ReportError(proof.status(), g);
  auto old_root = l.RootAt(old_size);
  if (!old_root.ok()) return ReportError(old_root.status(), g);
  auto new_root = l.RootAt(new_size);
  if (!new_root.ok()) return ReportError(new_root.status(), g);
  if (g.json) {
    PrintJson(g, {{"old", old_size},
                  {"new", new_size},
                  {"oldRoot", Hex(*old_root)},
                  {"newRoot", Hex(*new_root)},
                  {"proof", HashList(*proof)}});
  } else {
    fmt::print(g.out,
               "tree {} root {}\ntree {} root {}\nconsistency proof (RFC 9162, {} hashes):\n",
               old_size, Hex(*old_root), new_size, Hex(*new_root), proof->size());
    for (const auto& h : *proof) fmt::print(g.out, "  {}\n", Hex(h));
  }
  return kExitOk;
}

}  // namespace esms::cli
