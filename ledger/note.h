// The C2SP text formats the ledger publishes, so that verifiers nobody here wrote can
// check them:
//   - signed notes (c2sp.org/signed-note): text, blank line, "— name base64(...)" lines;
//     Ed25519 keys, key hash SHA-256(name || "\n" || 0x01 || key)[:4];
//   - checkpoints (c2sp.org/tlog-checkpoint): "origin\nsize\nbase64(root)\n" + extensions;
//   - witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1, key type 0x04);
//   - offline inclusion proofs (c2sp.org/tlog-proof@v1).
// Parse errors are Status::InvalidArgument; a note whose signatures do not verify is
// Status::DataLoss, with a message saying why.
//
// Thread-safety: value types and pure functions; safe from any thread.
#ifndef ESMS_LEDGER_NOTE_H_
#define ESMS_LEDGER_NOTE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/keys.h"

namespace esms::ledger {

// Signature type bytes (c2sp.org/signed-note): they enter the key hash and the
// verifier key encoding.
inline constexpr uint8_t kSignatureTypeEd25519 = 0x01;
inline constexpr uint8_t kSignatureTypeCosignatureV1 = 0x04;

// SHA-256(name || "\n" || 0x01 || key)[:4].
std::array<uint8_t, 4> KeyHash(std::string_view name, const PublicKey& key);
// "name+<8 hex>+base64(0x01 || key)".
std::string VerifierKey(std::string_view name, const PublicKey& key);

// One trusted key. `key_hash` distinguishes the signature algorithm: Ed25519 note
// signatures (0x01) and cosignature/v1 (0x04) keys have different key hashes.
// OpenNote verifies signatures by a 0x04 verifier as cosignature/v1 signatures.
struct NoteVerifier {
  std::string name;
  std::array<uint8_t, 4> key_hash;
  PublicKey key;
  uint8_t type = kSignatureTypeEd25519;
};
// The verifiers of an Ed25519 note signer / of a cosignature/v1 witness.
NoteVerifier MakeNoteVerifier(std::string_view name, const PublicKey& key);
NoteVerifier MakeWitnessVerifier(std::string_view name, const PublicKey& key);
// Parses a verifier key "name+hash+base64(type || key)" of type 0x01 (Ed25519) or
// 0x04 (cosignature/v1); checks the key hash. BAD_INPUT on error.
Result<NoteVerifier> ParseVerifierKey(std::string_view text);
// A verifier key of `type` given as its line or as a file holding it on its first line
// (a ledger.pub, a witness's key file; at most 1 MiB, read only when `arg` names a regular
// file). BAD_INPUT naming `what` (the option, "--trust") otherwise, or when it is a key of
// the other type (a witness key where the ledger's is expected, or the reverse).
Result<NoteVerifier> LoadVerifierKey(std::string_view arg, uint8_t type, std::string_view what);

struct NoteSignature {
  std::string name;
  std::array<uint8_t, 4> key_hash;
  Bytes signature;  // what follows the key hash in the base64 blob
};
struct Note {
  std::string text;  // ends in "\n"
  std::vector<NoteSignature> signatures;
};
// Strict per c2sp.org/signed-note: valid UTF-8, no control character but "\n", a
// non-empty text ending in "\n", then a blank line, then one or more well-formed
// signature lines, the note ending in "\n". BAD_INPUT otherwise.
Result<Note> ParseNote(std::string_view note);

// `text` must end in "\n"; returns text + "\n" + "— name base64(keyhash||sig)\n"
// (the dash is U+2014).
std::string SignNote(std::string_view text, std::string_view name, const SigningKey& key);
// Appends a further Ed25519 signature line to an existing note (key rotation).
Result<std::string> AddNoteSignature(std::string_view note, std::string_view name,
                                     const SigningKey& key);

// The verified text if at least one signature is by one of `verifiers` and valid
// (signatures by unknown keys are ignored, per spec); Status::DataLoss otherwise (the
// message says why: malformed, no known key, or a known key's signature is invalid).
// A signature by a known key that does not verify always fails the note.
Result<std::string> OpenNote(std::string_view note, std::span<const NoteVerifier> verifiers);

// A signed-note key name (c2sp.org/signed-note): non-empty UTF-8 without Unicode
// spaces, control characters or '+'. BAD_INPUT naming what is wrong otherwise.
Status CheckKeyName(std::string_view name);

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // extra non-empty lines, without "\n"
};
// "origin\nsize\nbase64(root)\n" + one line per extension.
std::string FormatCheckpoint(const Checkpoint& c);
// Parses a checkpoint body (a note's text). BAD_INPUT on error.
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// c2sp.org/tlog-cosignature (cosignature/v1, Ed25519, key type 0x04 in its key hash).
// The witness signs "cosignature/v1\ntime <unix_time>\n" + checkpoint body; the line is
// "— witness_name base64(keyhash || u64be(unix_time) || signature)".
// Returns the note with the cosignature line appended. `signed_checkpoint_note` must be
// a well-formed note (the caller has checked it); otherwise it is returned unchanged.
std::string CosignNote(std::string_view signed_checkpoint_note, std::string_view witness_name,
                       const SigningKey& witness, uint64_t unix_time);
// SHA-256(name || "\n" || 0x04 || key)[:4].
std::array<uint8_t, 4> WitnessKeyHash(std::string_view name, const PublicKey& key);
// "name+<8 hex>+base64(0x04 || key)".
std::string WitnessVerifierKey(std::string_view name, const PublicKey& key);
// The cosignature's timestamp if `note` carries a valid cosignature by `witness` (a
// 0x04 verifier); Status::DataLoss otherwise (none, or invalid).
Result<uint64_t> VerifyCosignature(std::string_view note, const NoteVerifier& witness);

// c2sp.org/tlog-proof@v1:
//   "c2sp.org/tlog-proof@v1\n" ["extra <base64>\n"] "index N\n" one base64 hash per
//   line (RFC 9162 order, leaf's sibling first), "\n", then the signed checkpoint note.
struct TlogProof {
  uint64_t index = 0;
  std::vector<Hash> proof;
  std::string checkpoint_note;
  std::optional<Bytes> extra;  // opaque, unauthenticated (the spec's optional line)
};
std::string FormatTlogProof(const TlogProof& p);
// BAD_INPUT on error; the checkpoint note must be a well-formed signed note.
Result<TlogProof> ParseTlogProof(std::string_view text);
// Opens the proof's checkpoint with `verifiers`, parses it, and checks that `leaf_hash`
// is leaf `index` of that tree. Returns the checkpoint; Status::DataLoss otherwise.
Result<Checkpoint> VerifyTlogProof(const TlogProof& p, const Hash& leaf_hash,
                                   std::span<const NoteVerifier> verifiers);

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_NOTE_H_
