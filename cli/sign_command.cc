// `sign`: events signed offline, on the author's machine (INTERFACE.md §6). Each event
// line becomes {"event": {...}, "signer": "name", "signature": "base64"}: the Ed25519
// signature of the event's statement (ledger/record.h), which names the origin of the
// ledger it is for (from that ledger's ledger.pub) so that it cannot be replayed into
// another ledger. No ledger is opened: nothing but the author's key and ledger.pub.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/input.h"
#include "cli/output.h"
#include "domain/event_codec.h"
#include "ledger/key_registry.h"
#include "ledger/keys.h"
#include "ledger/note.h"
#include "ledger/record.h"
#include "projections/appender.h"

namespace esms::cli {

namespace fs = std::filesystem;
using nlohmann::json;

Result<std::string> SignEventLine(std::string_view line, std::string_view origin,
                                  std::string_view signer, const ledger::SigningKey& key) {
  ASSIGN_OR_RETURN(domain::Event event, domain::ParseEvent(line));
  ASSIGN_OR_RETURN(ledger::Entry entry, projections::EntryFromEvent(event));
  ledger::Statement statement{std::string(origin), entry.event_id,     entry.type,
                              entry.stream,        entry.at,           entry.expected_version,
                              entry.payload,       std::string(signer)};
  ASSIGN_OR_RETURN(ledger::Bytes bytes, ledger::StatementBytes(statement));
  const ledger::Signature signature = ledger::SignStatement(bytes, key);
  json out = {{"event", json::parse(line, nullptr, /*allow_exceptions=*/false)},
              {"signer", signer},
              {"signature", ledger::Base64Encode(signature)}};
  return out.dump();
}

int CmdSign(const Globals& g, const std::string& file, const std::string& trust_file,
            const std::string& out_file, const std::string& signer_name) {
  if (g.key_file.empty()) {
    return ReportError(
        Status::InvalidArgument(error_code::kUsage, "sign needs the author's key: give --key FILE"),
        g);
  }
  auto key = ledger::SigningKey::LoadPem(g.key_file);
  if (!key.ok()) return ReportError(key.status(), g);
  const std::string signer =
      signer_name.empty() ? fs::path(g.key_file).stem().string() : signer_name;
  if (!ledger::IsValidKeyName(signer)) {
    return ReportError(
        Status::InvalidArgument(
            error_code::kUsage,
            fmt::format("signer '{}' is not a key name (1-64 chars of [A-Za-z0-9._@-]): give "
                        "--signer NAME, the name under which the key is enrolled",
                        signer)),
        g);
  }
  auto trust_text = ReadFileCapped(trust_file, kMaxSmallFileBytes, "trusted ledger key");
  if (!trust_text.ok()) return ReportError(trust_text.status(), g);
  std::string_view trust_line = *trust_text;
  while (!trust_line.empty() && (trust_line.back() == '\n' || trust_line.back() == '\r')) {
    trust_line.remove_suffix(1);
  }
  auto trusted = ledger::ParseVerifierKey(trust_line);
  if (!trusted.ok()) {
    return ReportError(std::move(trusted).TakeStatus().WithContext(trust_file), g);
  }
  const std::string origin = trusted->name;

  auto reader = LineReader::Open(file, g.stdin_closed, g.in);
  if (!reader.ok()) return ReportError(reader.status(), g);
  std::ofstream out_stream;
  std::FILE* out = g.out;
  if (!out_file.empty()) {
    out_stream.open(out_file, std::ios::binary | std::ios::trunc);
    if (!out_stream) {
      return ReportError(
          Status::InvalidArgument(error_code::kUsage, fmt::format("cannot write {}", out_file)), g);
    }
  }
  auto write = [&](const std::string& text) {
    if (out_file.empty()) {
      std::fwrite(text.data(), 1, text.size(), out);
      std::fputc('\n', out);
    } else {
      out_stream << text << '\n';
    }
  };
  std::string line;
  uint64_t line_no = 0, signed_count = 0;
  for (;;) {
    Status read_error;
    LineReader::Next next = (*reader)->Read(&line, &read_error);
    if (next == LineReader::Next::kEnd) break;
    ++line_no;
    Status refusal = std::move(read_error);
    if (next != LineReader::Next::kError) {
      size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      Result<std::string> signed_line = SignEventLine(line, origin, signer, *key);
      if (signed_line.ok()) {
        write(*signed_line);
        ++signed_count;
        continue;
      }
      refusal = std::move(signed_line).TakeStatus();
    }
    // Nothing signed is left behind for a file that did not sign whole.
    if (!out_file.empty()) {
      out_stream.close();
      std::error_code ec;
      fs::remove(out_file, ec);
    }
    return ReportError(std::move(refusal).WithContext(fmt::format("line {}", line_no)), g);
  }
  if (!out_file.empty()) {
    out_stream.close();
    if (!out_stream) {
      return ReportError(Status::IoError(fmt::format("cannot write {}", out_file)), g);
    }
  }
  std::fflush(g.out);
  if (!out_file.empty() && g.json) {
    std::string text = json{
        {"signed", signed_count},
        {"signer", signer},
        {"origin", origin},
        {"out", out_file}}.dump();
    std::fwrite(text.data(), 1, text.size(), g.out);
    std::fputc('\n', g.out);
  } else {
    fmt::print(g.err, "signed {} event{} as '{}' for {}\n", signed_count,
               signed_count == 1 ? "" : "s", signer, origin);
  }
  return kExitOk;
}

}  // namespace esms::cli
