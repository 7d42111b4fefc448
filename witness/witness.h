// A transparency-log witness (c2sp.org/tlog-witness): it follows a set of logs, each
// known by its origin and the Ed25519 key(s) that sign its checkpoints, and cosigns
// (c2sp.org/tlog-cosignature, cosignature/v1) a new checkpoint of a log only when it is
// consistent with the last checkpoint it cosigned for that origin. A rollback (a smaller
// tree) or a fork (the same size with another root, or a proof that does not verify) is
// refused, never cosigned.
//
// This is the protocol's logic without HTTP: Witness::Add takes the body of one
// `POST <prefix>/add-checkpoint` request and returns what to answer, status and body, as
// the spec fixes them:
//   200 the cosignature line(s);  400 a malformed request, or old size > checkpoint size;
//   403 no signature by a key the witness trusts for that origin;  404 an unknown origin;
//   409 the old size is not the size the witness holds (body: that size and "\n",
//       Content-Type text/x.tlog.size), or the same size with another root;
//   422 the consistency proof does not verify;  500 the state could not be written.
//
// Durability. An accepted checkpoint first becomes the *pending* latest checkpoint of its
// origin (later requests are checked against it); Persist() then writes every pending
// checkpoint at once to DIR/state.json (temporary file, fsync, rename, fsync of DIR) —
// a group commit — and the caller answers the accepted requests only after Persist()
// returned OK. If Persist() fails, every pending checkpoint is dropped and the caller
// answers 500 to all of them: nothing is cosigned that the state does not hold.
// Open() takes an exclusive lock on DIR/LOCK, so two witnesses never share one state.
//
// Thread-safety: a Witness is not synchronized. The server (witness/server.h) calls it
// from its one event-loop thread, which also serializes requests for one origin.
#ifndef ESMS_WITNESS_WITNESS_H_
#define ESMS_WITNESS_WITNESS_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/note.h"

namespace esms::witness {

// The largest add-checkpoint body accepted: 63 proof lines and a checkpoint with a
// hundred signatures fit many times over.
inline constexpr size_t kMaxRequestBytes = 64 * 1024;
// c2sp.org/tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
inline constexpr size_t kMaxProofLines = 63;
// The Content-Type of a 409 answer that carries the witness's size.
inline constexpr std::string_view kSizeContentType = "text/x.tlog.size";

// One add-checkpoint request: "old <size>\n", the proof hashes in base64, one per line,
// a blank line, then the signed checkpoint note.
struct AddCheckpointRequest {
  uint64_t old_size = 0;
  std::vector<ledger::Hash> proof;
  std::string checkpoint;  // the signed note
};
std::string FormatAddCheckpoint(const AddCheckpointRequest& request);
// BAD_INPUT when the body is not of the spec's shape (the checkpoint itself is checked by
// Witness::Add).
Result<AddCheckpointRequest> ParseAddCheckpoint(std::string_view body);

// A log the witness follows: its origin (the checkpoints' first line) and the verifier
// keys of its checkpoint signers (ledger.pub lines, type 0x01).
struct LogConfig {
  std::string origin;
  std::vector<ledger::NoteVerifier> keys;
};

// What to answer to one request.
struct Reply {
  int http_status = 500;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;  // 200: the cosignature line(s); 409 (size): "<size>\n"; else why
  bool accepted() const { return http_status == 200; }
};

// What the witness holds for one origin.
struct LogState {
  uint64_t size = 0;
  ledger::Hash root{};
  std::string note;  // the checkpoint as submitted, with this witness's cosignature
};

class Witness {
 public:
  // Opens (creating it if needed) the state directory `dir`, locks it, and reads the
  // last checkpoint cosigned for each origin. `name` is the witness's key name (the
  // cosignature lines' name, e.g. "witness.example/national"). A state entry for an
  // origin no longer in `logs` is kept as it is (and written back). Errors: the
  // directory locked by another witness (Unavailable, LEDGER_LOCKED), a state file that
  // does not parse or belongs to another witness key (DataLoss), I/O (IoError). Two
  // LogConfigs of one origin are merged (its keys are both trusted: key rotation).
  static Result<std::unique_ptr<Witness>> Open(const std::filesystem::path& dir, std::string name,
                                               ledger::SigningKey key, std::vector<LogConfig> logs);
  ~Witness();
  Witness(const Witness&) = delete;
  Witness& operator=(const Witness&) = delete;

  // Checks one add-checkpoint body; on success the checkpoint becomes its origin's
  // pending state and the reply holds its cosignature at `unix_time`. The caller must
  // Persist() before sending an accepted reply.
  Reply Add(std::string_view body, uint64_t unix_time);
  // Writes every pending checkpoint durably (one file, one group commit): BeginPersist,
  // WriteState, EndPersist in a row. OK with nothing pending.
  Status Persist();
  // Drops the pending checkpoints (after a failed Persist).
  void Revert();
  bool has_pending() const { return !pending_.empty(); }

  // Persist in three steps, so that the write can run on another thread while Add goes
  // on checking new requests against the checkpoints being written:
  //  - BeginPersist: the pending checkpoints become the in-flight ones; returns the
  //    state file's new contents, or nullopt when nothing is pending or a write is
  //    already in flight;
  //  - WriteState: writes `contents` durably (temporary file, fsync, rename, fsync of
  //    the directory); touches nothing else of the Witness: any thread;
  //  - EndPersist(written): written, the in-flight checkpoints become durable; not
  //    written, the in-flight AND the pending checkpoints are dropped (the pending ones
  //    were checked against the in-flight ones): the caller answers 500 to all of them.
  std::optional<std::string> BeginPersist();
  Status WriteState(const std::string& contents) const;
  void EndPersist(bool written);

  // The latest state of `origin` (pending included); nullptr if it never cosigned one.
  const LogState* Latest(std::string_view origin) const;
  // "name+<8 hex>+base64(0x04 || key)": what verifiers of its cosignatures trust.
  std::string VerifierKey() const;
  const std::string& name() const { return name_; }
  const std::filesystem::path& state_file() const { return state_file_; }

 private:
  Witness(std::filesystem::path dir, std::string name, ledger::SigningKey key,
          std::vector<LogConfig> logs, int lock_fd);
  Status Load();

  std::filesystem::path dir_;
  std::filesystem::path state_file_;
  std::string name_;
  ledger::SigningKey key_;
  std::map<std::string, LogConfig, std::less<>> logs_;
  std::map<std::string, LogState, std::less<>> durable_;
  std::map<std::string, LogState, std::less<>> inflight_;
  std::map<std::string, LogState, std::less<>> pending_;
  int lock_fd_ = -1;
};

// Reads a log given on the command line: "ORIGIN=VKEY" or "VKEY" (the origin is then
// the key's name), where VKEY is a verifier key line or a file holding one on its first
// line (a ledger's ledger.pub). BAD_INPUT otherwise.
Result<LogConfig> ParseLogArgument(std::string_view arg);

}  // namespace esms::witness

#endif  // ESMS_WITNESS_WITNESS_H_
