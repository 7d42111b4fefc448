// The witness's logic and its durable state. See witness/witness.h.
#include "witness/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "ledger/merkle.h"

namespace esms::witness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kStateFormat = "esms-ledger-witness/v1";
constexpr std::string_view kStateFileName = "state.json";
// The state of a witness following a few hundred logs is a few hundred KiB.
constexpr size_t kMaxStateBytes = 64 * 1024 * 1024;

Reply Answer(int status, std::string body) {
  Reply r;
  r.http_status = status;
  r.body = std::move(body);
  if (r.body.empty() || r.body.back() != '\n') r.body.push_back('\n');
  return r;
}

// The next "\n"-terminated line of `text` from *pos, without its newline.
std::optional<std::string_view> NextLine(std::string_view text, size_t* pos) {
  const size_t end = text.find('\n', *pos);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view line = text.substr(*pos, end - *pos);
  *pos = end + 1;
  return line;
}

// ASCII decimal with no leading zero (unless "0"), fitting in a uint64.
std::optional<uint64_t> ParseSize(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

Status ErrnoStatus(std::string_view what, const fs::path& path) {
  return Status::IoError(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Replaces `path` by `contents` so that a crash leaves the old file or the new one, and
// the new one is on disk when this returns: temporary file, fsync, rename, fsync of the
// directory.
Status WriteDurably(const fs::path& path, std::string_view contents) {
  const fs::path dir = path.parent_path();
  const fs::path tmp = dir / (path.filename().string() + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create", tmp);
  if (!WriteAll(fd, contents)) {
    Status s = ErrnoStatus("write", tmp);
    ::close(fd);
    return s;
  }
  if (::fsync(fd) != 0) {
    Status s = ErrnoStatus("fsync", tmp);
    ::close(fd);
    return s;
  }
  if (::close(fd) != 0) return ErrnoStatus("close", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename onto", path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoStatus("open", dir);
  const bool synced = ::fsync(dfd) == 0;
  Status s = synced ? Status::OK() : ErrnoStatus("fsync", dir);
  ::close(dfd);
  return s;
}

}  // namespace

Status WriteFileDurably(const fs::path& path, std::string_view contents) {
  return WriteDurably(path, contents);
}

std::string FormatAddCheckpoint(const AddCheckpointRequest& request) {
  std::string out = "old " + std::to_string(request.old_size) + "\n";
  for (const ledger::Hash& h : request.proof) out += ledger::Base64Encode(h) + "\n";
  out += "\n";
  out += request.checkpoint;
  return out;
}

Result<AddCheckpointRequest> ParseAddCheckpoint(std::string_view body) {
  AddCheckpointRequest request;
  size_t pos = 0;
  std::optional<std::string_view> line = NextLine(body, &pos);
  if (!line || !line->starts_with("old ")) {
    return Status::BadInput("the body must start with an \"old <size>\" line");
  }
  std::optional<uint64_t> old_size = ParseSize(line->substr(4));
  if (!old_size) {
    return Status::BadInput("the old size is not a decimal number without leading zeroes");
  }
  request.old_size = *old_size;
  while (true) {
    line = NextLine(body, &pos);
    if (!line) return Status::BadInput("no blank line before the checkpoint");
    if (line->empty()) break;
    if (request.proof.size() == kMaxProofLines) {
      return Status::BadInput(fmt::format("more than {} consistency proof lines", kMaxProofLines));
    }
    Result<ledger::Bytes> hash = ledger::Base64Decode(*line);
    ledger::Hash h;
    if (!hash.ok() || hash->size() != h.size()) {
      return Status::BadInput(fmt::format("consistency proof line {} is not a base64 SHA-256 hash",
                                          request.proof.size() + 1));
    }
    std::copy(hash->begin(), hash->end(), h.begin());
    request.proof.push_back(h);
  }
  request.checkpoint = std::string(body.substr(pos));
  if (request.checkpoint.empty()) return Status::BadInput("no checkpoint after the blank line");
  return request;
}

Result<LogConfig> ParseLogArgument(std::string_view arg) {
  std::optional<std::string> origin;
  std::string_view vkey = arg;
  // A verifier key has no '=' before its first '+' (names have no '+'; base64 may end
  // in '='), so "ORIGIN=..." is told apart by an '=' before any '+'.
  const size_t eq = arg.find('=');
  if (eq != std::string_view::npos && eq < arg.find('+')) {
    origin = std::string(arg.substr(0, eq));
    vkey = arg.substr(eq + 1);
  }
  Result<ledger::NoteVerifier> verifier =
      ledger::LoadVerifierKey(vkey, ledger::kSignatureTypeEd25519, "--log");
  if (!verifier.ok()) return verifier.status();
  LogConfig log;
  log.origin = origin.value_or(verifier->name);
  if (log.origin.empty()) return Status::BadInput(fmt::format("--log {}: empty origin", arg));
  log.keys.push_back(*std::move(verifier));
  return log;
}

Witness::Witness(fs::path dir, std::string name, ledger::SigningKey key,
                 std::vector<LogConfig> logs, int lock_fd)
    : dir_(std::move(dir)),
      state_file_(dir_ / kStateFileName),
      name_(std::move(name)),
      key_(std::move(key)),
      lock_fd_(lock_fd) {
  for (LogConfig& log : logs) {
    auto [it, inserted] = logs_.try_emplace(log.origin, log);
    if (!inserted) {
      it->second.keys.insert(it->second.keys.end(), log.keys.begin(), log.keys.end());
    }
  }
}

Witness::~Witness() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::unique_ptr<Witness>> Witness::Open(const fs::path& dir, std::string name,
                                               ledger::SigningKey key,
                                               std::vector<LogConfig> logs) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("create {}: {}", dir.string(), ec.message()));
  const fs::path lock = dir / "LOCK";
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("open", lock);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Unavailable(
        fmt::format("the witness state {} is in use by another witness process", dir.string()));
  }
  std::unique_ptr<Witness> w(
      new Witness(dir, std::move(name), std::move(key), std::move(logs), fd));
  RETURN_IF_ERROR(w->Load());
  return w;
}

Status Witness::Load() {
  std::error_code ec;
  if (!fs::exists(state_file_, ec)) return Status::OK();
  ASSIGN_OR_RETURN(
      std::string text,
      base::ReadFileCapped(state_file_, kMaxStateBytes, "witness state", base::NamedBy::kProgram));
  auto bad = [&](std::string_view why) {
    return Status::DataLoss(fmt::format("witness state {}: {}", state_file_.string(), why));
  };
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not JSON");
  if (j.value("format", "") != kStateFormat) return bad("not a witness state file");
  if (j.value("witness", "") != VerifierKey()) {
    return bad(fmt::format("it belongs to the witness {}, not {}", j.value("witness", "?"),
                           VerifierKey()));
  }
  const auto logs = j.find("logs");
  if (logs == j.end() || !logs->is_array()) return bad("no logs");
  for (const json& entry : *logs) {
    if (!entry.is_object() || !entry.contains("origin") || !entry["origin"].is_string() ||
        !entry.contains("size") || !entry["size"].is_number_unsigned() || !entry.contains("root") ||
        !entry["root"].is_string() || !entry.contains("note") || !entry["note"].is_string()) {
      return bad("a log entry lacks origin, size, root or note");
    }
    LogState s;
    s.size = entry["size"].get<uint64_t>();
    s.note = entry["note"].get<std::string>();
    Result<ledger::Bytes> root = ledger::Base64Decode(entry["root"].get<std::string>());
    if (!root.ok() || root->size() != s.root.size()) return bad("a root is not base64 SHA-256");
    std::copy(root->begin(), root->end(), s.root.begin());
    durable_[entry["origin"].get<std::string>()] = std::move(s);
  }
  return Status::OK();
}

const LogState* Witness::Latest(std::string_view origin) const {
  if (auto p = pending_.find(origin); p != pending_.end()) return &p->second;
  if (auto f = inflight_.find(origin); f != inflight_.end()) return &f->second;
  if (auto d = durable_.find(origin); d != durable_.end()) return &d->second;
  return nullptr;
}

std::string Witness::VerifierKey() const {
  return ledger::WitnessVerifierKey(name_, key_.public_key());
}

Reply Witness::Add(std::string_view body, uint64_t unix_time) {
  Result<AddCheckpointRequest> request = ParseAddCheckpoint(body);
  if (!request.ok()) return Answer(400, request.status().message());
  Result<ledger::Note> note = ledger::ParseNote(request->checkpoint);
  if (!note.ok()) return Answer(400, "checkpoint: " + note.status().message());
  Result<ledger::Checkpoint> cp = ledger::ParseCheckpoint(note->text);
  if (!cp.ok()) return Answer(400, "checkpoint: " + cp.status().message());

  // "If the checkpoint origin is unknown, the witness MUST respond with a 404."
  auto log = logs_.find(cp->origin);
  if (log == logs_.end()) return Answer(404, "unknown log origin " + cp->origin);
  // "If none of the signatures verify against a trusted public key ... 403."
  Result<std::string> opened = ledger::OpenNote(request->checkpoint, log->second.keys);
  if (!opened.ok()) return Answer(403, opened.status().message());
  // "The old size MUST be equal to or lower than the checkpoint size. Otherwise ... 400."
  if (request->old_size > cp->size) {
    return Answer(400, fmt::format("old size {} is larger than the checkpoint's size {}",
                                   request->old_size, cp->size));
  }
  // "The witness MUST check that the old size matches the size of the latest checkpoint
  // it cosigned ... (or zero ...). If it doesn't match ... 409 Conflict ... the tree
  // size of the latest cosigned checkpoint in decimal, followed by a newline."
  const LogState* latest = Latest(cp->origin);
  const uint64_t held = latest == nullptr ? 0 : latest->size;
  if (request->old_size != held) {
    Reply r = Answer(409, std::to_string(held));
    r.content_type = std::string(kSizeContentType);
    return r;
  }
  if (latest == nullptr) {
    // "The proof MUST be empty if the old size is zero."
    if (!request->proof.empty()) return Answer(400, "old size 0 with a consistency proof");
  } else if (cp->size == latest->size) {
    // "If the old size matches the checkpoint size, the witness MUST check that the root
    // hashes are also identical. If they don't match ... 409 Conflict."
    if (cp->root != latest->root) {
      return Answer(409, fmt::format("fork: a checkpoint of size {} with root {}, but this "
                                     "witness cosigned root {} at that size",
                                     cp->size, ledger::Base64Encode(cp->root),
                                     ledger::Base64Encode(latest->root)));
    }
    if (!request->proof.empty()) return Answer(422, "same size: the proof must be empty");
  } else if (!ledger::VerifyConsistency(latest->size, cp->size, request->proof, latest->root,
                                        cp->root)) {
    // "If the Merkle Consistency Proof doesn't verify ... 422 Unprocessable Entity."
    return Answer(422, fmt::format("the consistency proof from size {} (root {}) to size {} "
                                   "does not verify: not an extension of the checkpoint this "
                                   "witness cosigned",
                                   latest->size, ledger::Base64Encode(latest->root), cp->size));
  }

  const std::string cosigned = ledger::CosignNote(request->checkpoint, name_, key_, unix_time);
  LogState next;
  next.size = cp->size;
  next.root = cp->root;
  next.note = cosigned;
  pending_[cp->origin] = std::move(next);
  Reply r;
  r.http_status = 200;
  r.body = cosigned.substr(request->checkpoint.size());
  return r;
}

std::optional<std::string> Witness::BeginPersist() {
  if (pending_.empty() || !inflight_.empty()) return std::nullopt;
  inflight_ = std::move(pending_);
  pending_.clear();
  json logs = json::array();
  for (const auto& [origin, durable] : durable_) {
    if (inflight_.contains(origin)) continue;
    logs.push_back({{"origin", origin},
                    {"size", durable.size},
                    {"root", ledger::Base64Encode(durable.root)},
                    {"note", durable.note}});
  }
  for (const auto& [origin, state] : inflight_) {
    logs.push_back({{"origin", origin},
                    {"size", state.size},
                    {"root", ledger::Base64Encode(state.root)},
                    {"note", state.note}});
  }
  const json j = {{"format", kStateFormat}, {"witness", VerifierKey()}, {"logs", logs}};
  return j.dump(1) + "\n";
}

Status Witness::WriteState(const std::string& contents) const {
  return WriteDurably(state_file_, contents);
}

void Witness::EndPersist(bool written) {
  if (written) {
    for (auto& [origin, state] : inflight_) durable_[origin] = std::move(state);
  } else {
    pending_.clear();
  }
  inflight_.clear();
}

Status Witness::Persist() {
  std::optional<std::string> contents = BeginPersist();
  if (!contents.has_value()) return Status::OK();
  Status written = WriteState(*contents);
  EndPersist(written.ok());
  return written;
}

void Witness::Revert() {
  pending_.clear();
  inflight_.clear();
}

}  // namespace esms::witness
