#include "cli/remote.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "cli/evidence_commands.h"
#include "cli/import_report.h"
#include "cli/input.h"
#include "cli/output.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "projections/import_pipeline.h"
#include "service/client.h"
#include "service/writer.h"
#include "witness/cosigned.h"

namespace esms::cli {
namespace {

using nlohmann::json;

// A chunk: at most this many lines, or this many bytes of events, per append call.
constexpr size_t kChunkLines = 1000;
constexpr size_t kChunkBytes = 16 << 20;
// Reconnection after a lost connection: attempts, and the wait between them.
constexpr int kReconnectAttempts = 50;
constexpr auto kReconnectWait = std::chrono::milliseconds(200);

// The key of --key, if given, and the name it logs in under (the key file's name
// without extension, as `sign` names the signer).
struct ClientKey {
  std::optional<ledger::SigningKey> key;
  std::string name;
};

Result<ClientKey> LoadClientKey(const Globals& g) {
  ClientKey k;
  if (g.key_file.empty()) return k;
  ASSIGN_OR_RETURN(ledger::SigningKey key, ledger::SigningKey::LoadPem(g.key_file));
  k.key.emplace(std::move(key));
  k.name = std::filesystem::path(g.key_file).stem().string();
  return k;
}

// Logs in with --key (a signed challenge, service/access.h), or anonymously without it.
// `appending`: an import, whose events the ledger checks by their signers, not by the
// connection's key: when the key cannot log in (its file's stem is not the name it is
// enrolled under, or it is not enrolled yet), the import goes on anonymously.
Result<std::unique_ptr<service::Client>> Connect(const Globals& g, const ClientKey& key,
                                                 bool appending = false) {
  service::ClientOptions options;
  options.server = g.server;
  options.tls_ca = g.tls_ca;
  options.key = key.key ? &*key.key : nullptr;
  options.key_name = key.name;
  auto client = service::Client::Connect(options);
  if (!appending || client.ok() || options.key == nullptr ||
      client.status().code() != StatusCode::kPermissionDenied) {
    return client;
  }
  options.key = nullptr;
  options.key_name.clear();
  return service::Client::Connect(options);
}

// Connects again after a lost connection, a few times before giving up.
Result<std::unique_ptr<service::Client>> Reconnect(const Globals& g, const ClientKey& key) {
  Status last;
  for (int attempt = 0; attempt < kReconnectAttempts; ++attempt) {
    std::this_thread::sleep_for(kReconnectWait);
    auto client = Connect(g, key, /*appending=*/true);
    if (client.ok() || !service::IsTransportError(client.status())) return client;
    last = client.status();
  }
  return last;
}

}  // namespace

int RemoteRead(const Globals& g, service::ReadRequest request) {
  request.json = g.json;
  auto key = LoadClientKey(g);
  if (!key.ok()) return ReportError(key.status(), g);
  auto client = Connect(g, *key);
  if (!client.ok()) return ReportError(client.status(), g);
  auto output = (*client)->Read(request);
  if (!output.ok()) return ReportError(output.status(), g);
  std::fwrite(output->out.data(), 1, output->out.size(), g.out);
  std::fwrite(output->err.data(), 1, output->err.size(), g.err);
  std::fflush(g.out);
  std::fflush(g.err);
  return output->exit_code;
}

// The read of `request` on the server: its output, or -1 with `*code` set when the
// command printed an error (printed here, as RemoteRead prints it).
namespace {
std::optional<service::ReadOutput> ProductsOf(const Globals& g, const service::ReadRequest& request,
                                              int* code) {
  auto key = LoadClientKey(g);
  if (!key.ok()) {
    *code = ReportError(key.status(), g);
    return std::nullopt;
  }
  auto client = Connect(g, *key);
  if (!client.ok()) {
    *code = ReportError(client.status(), g);
    return std::nullopt;
  }
  auto output = (*client)->Read(request);
  if (!output.ok()) {
    *code = ReportError(output.status(), g);
    return std::nullopt;
  }
  if (output->exit_code != kExitOk) {
    std::fwrite(output->out.data(), 1, output->out.size(), g.out);
    std::fwrite(output->err.data(), 1, output->err.size(), g.err);
    std::fflush(g.out);
    std::fflush(g.err);
    *code = output->exit_code;
    return std::nullopt;
  }
  return std::move(output).value();
}
}  // namespace

int RemoteProveTlog(const Globals& g, uint64_t seq, std::optional<uint64_t> size,
                    const std::optional<std::string>& out) {
  service::ReadRequest request;
  request.command = service::ReadRequest::Command::kProve;
  request.json = g.json;
  request.seq = seq;
  request.size = size;
  request.tlog_proof = true;
  int code = kExitOk;
  std::optional<service::ReadOutput> output = ProductsOf(g, request, &code);
  if (!output.has_value()) return code;
  std::fwrite(output->err.data(), 1, output->err.size(), g.err);  // the witness's note
  std::fflush(g.err);
  const std::string& text = output->out;
  if (!out.has_value()) {
    std::fwrite(text.data(), 1, text.size(), g.out);
    std::fflush(g.out);
    return kExitOk;
  }
  // What the local command prints after writing the file: the tree's size (the proof's
  // checkpoint) and the record's leaf hash (the proof's extra line: the record itself).
  auto proof = ledger::ParseTlogProof(text);
  if (!proof.ok()) return ReportError(proof.status(), g);
  auto tree_size = witness::CheckpointSize(proof->checkpoint_note);
  if (!tree_size.ok()) return ReportError(tree_size.status(), g);
  if (!proof->extra.has_value()) {
    return ReportError(Status::Internal("the server's tlog-proof carries no record"), g);
  }
  Status written = WriteFileAtomically(*out, text);
  if (!written.ok()) return ReportError(written, g);
  if (g.json) {
    PrintLine(g, nlohmann::json{{"out", *out},
                                {"seq", seq},
                                {"size", *tree_size},
                                {"leafHash", ledger::ToHex(ledger::LeafHash(*proof->extra))}}
                     .dump());
  } else {
    fmt::print(g.out, "tlog-proof of record {} against the checkpoint of size {} written to {}\n",
               seq, *tree_size, *out);
  }
  return kExitOk;
}

int RemoteReport(const Globals& g, const ReportArgs& args, const ReportRequest& r) {
  service::ReadRequest request;
  request.command = service::ReadRequest::Command::kReport;
  request.json = g.json;
  request.at = r.at.ToString();
  request.by = args.by.value_or("");
  request.format = r.format;
  request.bundle = args.bundle.has_value();
  request.bundle_name = args.bundle;
  request.out = args.out.has_value();  // the server sends the JSON report then
  int code = kExitOk;
  std::optional<service::ReadOutput> output = ProductsOf(g, request, &code);
  if (!output) return code;
  // The figures of the messages, from the JSON report the server sent.
  ReportProducts p;
  p.text = std::move(output->text);
  p.json = r.format == "json" ? p.text : std::move(output->json);
  if (args.bundle.has_value()) p.bundle = std::move(output->bundle);
  const json report = json::parse(p.json, nullptr, /*allow_exceptions=*/false);
  if (report.is_object()) {
    p.evidence = report.value("evidence", json::array()).size();
    p.total = report.value("total", int64_t{0});
    p.target = report.value("target", int64_t{0});
    p.percent_of_target = report.value("percentOfTarget", int64_t{0});
  }
  if (!g.json) p.json.clear();
  return EmitReport(g, args, r, p);
}

int RemoteBundle(const Globals& g, const std::string& project, domain::Date at,
                 const std::optional<std::string>& cosigned, const std::string& out) {
  service::ReadRequest request;
  request.command = service::ReadRequest::Command::kBundle;
  request.json = g.json;
  request.key = project;
  request.at = at.ToString();
  request.cosigned = cosigned;
  int code = kExitOk;
  std::optional<service::ReadOutput> output = ProductsOf(g, request, &code);
  if (!output) return code;
  return EmitProjectBundle(g, project, at, out, output->bundle);
}

// As CmdImport prints (cli/ledger_commands.cc): the results once their chunk is
// durable, the first refused line, the same exit codes.
int RemoteImport(const Globals& g, const std::string& file) {
  auto key = LoadClientKey(g);
  if (!key.ok()) return ReportError(key.status(), g);
  auto reader = LineReader::Open(file, g.stdin_closed, g.in);
  if (!reader.ok()) return ReportError(reader.status(), g);
  LineReader& in = **reader;
  auto connected = Connect(g, *key, /*appending=*/true);
  if (!connected.ok()) return ReportError(connected.status(), g);
  std::unique_ptr<service::Client> client = std::move(connected).value();
  std::optional<ledger::PublicKey> public_key;
  if (key->key) public_key = key->key->public_key();
  auto info = client->Info(public_key);
  if (!info.ok()) return ReportError(info.status(), g);
  std::string origin = info->origin;
  std::string signer = info->signer;  // the name --key is enrolled under, if it is
  uint64_t size = info->size;

  ImportReport report(g);
  ImportReport::Refusal refused;

  std::vector<service::AppendLine> chunk;
  size_t chunk_bytes = 0;
  // Sends the chunk until it is answered (reconnecting after a lost connection);
  // false once a line was refused.
  auto send = [&]() -> bool {
    if (chunk.empty()) return true;
    Result<service::AppendResult> result = Status::OK();
    for (;;) {
      result = client->Append(chunk);
      bool retry = !result.ok() && service::IsTransportError(result.status());
      // A server shutting down refuses the whole request: nothing of it was written.
      if (result.ok() && !result->refusal.ok() && result->results.empty() &&
          result->refusal.code() == StatusCode::kUnavailable) {
        retry = true;
      }
      if (!retry) break;
      g.log->warn("connection to {} lost; reconnecting to send lines {}-{} again", g.server,
                  chunk.front().line, chunk.back().line);
      client.reset();  // one kj event loop per thread: the old one goes first
      auto again = Reconnect(g, *key);
      if (!again.ok()) {
        result = again.status();
        break;
      }
      client = std::move(again).value();
    }
    if (!result.ok()) {
      refused.line = chunk.front().line;
      refused.last_line = chunk.back().line;
      refused.id = projections::IdOfRefusedLine(chunk.front().event_json);
      std::string range = refused.last_line > refused.line
                              ? fmt::format("lines {}-{}", refused.line, refused.last_line)
                              : fmt::format("line {}", refused.line);
      refused.status = std::move(result).TakeStatus().WithContext(
          fmt::format("{} not acknowledged (the lines before are appended)", range));
      chunk.clear();
      return false;
    }
    size = result->size;
    for (const service::LineOutcome& r : result->results) {
      report.Acknowledged(r.line, r.id, r.appended);
    }
    report.Flush();
    chunk.clear();
    chunk_bytes = 0;
    if (!result->refusal.ok()) {
      refused = {result->refusal, result->refused_line, result->refused_last, result->refused_id};
      return false;
    }
    return true;
  };

  std::string line;
  uint64_t line_no = 0;
  bool stopped = false;
  for (;;) {
    Status read_error;
    LineReader::Next next = in.Read(&line, &read_error);
    if (next == LineReader::Next::kEnd) break;
    ++line_no;
    Status bad;
    std::optional<service::AppendLine> item;
    if (next == LineReader::Next::kError) {
      bad = std::move(read_error);
    } else if (size_t nul = line.find('\0'); nul != std::string::npos) {
      bad = Status::BadInput(
          fmt::format("a NUL byte at byte {} of the line: an event line is text", nul + 1));
    } else {
      size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      Result<std::optional<service::AppendLine>> parsed = service::ParseSignedLine(line);
      if (!parsed.ok()) {
        bad = std::move(parsed).TakeStatus();
      } else if (parsed->has_value()) {
        item = std::move(**parsed);
      } else if (!key->key) {
        bad = Status::InvalidArgument(
            error_code::kUsage,
            "the line is not signed: give --key FILE to sign plain lines on the spot, or sign "
            "it with `sign`");
      } else {
        if (signer.empty()) {
          // Maybe enrolled by a line already sent.
          if (!send()) {
            stopped = true;
            break;
          }
          auto again = client->Info(public_key);
          if (again.ok()) signer = again->signer;
        }
        if (signer.empty()) {
          bad = Status::PermissionDenied("the signing key is not enrolled in this ledger");
        } else {
          Result<std::string> signed_line = SignEventLine(line, origin, signer, *key->key);
          Result<std::optional<service::AppendLine>> reparsed =
              signed_line.ok() ? service::ParseSignedLine(*signed_line)
                               : Result<std::optional<service::AppendLine>>(signed_line.status());
          if (!reparsed.ok()) {
            bad = std::move(reparsed).TakeStatus();
          } else {
            item = std::move(**reparsed);
          }
        }
      }
    }
    if (!bad.ok()) {
      // The lines before it are sent first: they stay appended, as locally.
      if (send()) {
        refused.status = std::move(bad);
        refused.line = line_no;
        refused.id = projections::IdOfRefusedLine(line);
      }
      stopped = true;
      break;
    }
    item->line = line_no;
    chunk_bytes += item->event_json.size();
    chunk.push_back(std::move(*item));
    if (chunk.size() >= kChunkLines || chunk_bytes >= kChunkBytes) {
      if (!send()) {
        stopped = true;
        break;
      }
    }
  }
  if (!stopped) send();

  return report.Finish(refused, size);
}

}  // namespace esms::cli
