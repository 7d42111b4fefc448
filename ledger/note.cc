#include "ledger/note.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <utility>

#include "base/file.h"
#include "base/text.h"
#include "ledger/merkle.h"

namespace esms::ledger {
namespace {

// "— " : U+2014 EM DASH, then a space.
constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";
constexpr std::string_view kCosignatureHeader = "cosignature/v1\n";
constexpr std::string_view kTlogProofHeader = "c2sp.org/tlog-proof@v1";
// c2sp.org/signed-note: verifiers MUST accept at least 16 signatures; bound the work.
constexpr size_t kMaxSignatures = 100;
// A Merkle path in a tree of at most 2^64 leaves.
constexpr size_t kMaxProofHashes = 64;
constexpr uint64_t kMaxTimestamp = uint64_t{std::numeric_limits<int64_t>::max()};

using KeyId = std::array<uint8_t, 4>;

using base::DecodeUtf8;  // base/text.h

bool IsUnicodeSpace(int32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Signed notes MUST be valid UTF-8 with no ASCII control character but newline.
Status CheckNoteChars(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t at = i;
    int32_t cp = DecodeUtf8(s, &i);
    if (cp < 0) return Status::BadInput("invalid UTF-8 at byte " + std::to_string(at));
    if ((cp < 0x20 && cp != '\n') || cp == 0x7F) {
      return Status::BadInput("control character at byte " + std::to_string(at));
    }
  }
  return Status::OK();
}

// ASCII decimal, no sign, no leading zero (unless "0"), fits in uint64.
Result<uint64_t> ParseDecimal(std::string_view s, std::string_view what) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) {
    return Status::BadInput(std::string(what) + " \"" + std::string(s) +
                            "\" is not a decimal number without leading zeroes");
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return Status::BadInput(std::string(what) + " \"" + std::string(s) +
                              "\" is not a decimal number");
    }
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return Status::BadInput(std::string(what) + " \"" + std::string(s) + "\" is too large");
    }
    v = v * 10 + digit;
  }
  return v;
}

KeyId TypedKeyHash(uint8_t type, std::string_view name, const PublicKey& key) {
  Sha256Hasher h;
  h.Update(name);
  h.Update("\n");
  h.Update(ByteView(&type, 1));
  h.Update(ByteView(key));
  Hash full = h.Finish();
  KeyId id;
  std::copy_n(full.begin(), id.size(), id.begin());
  return id;
}

std::string TypedVerifierKey(uint8_t type, std::string_view name, const PublicKey& key) {
  Bytes blob;
  blob.reserve(1 + key.size());
  blob.push_back(type);
  blob.insert(blob.end(), key.begin(), key.end());
  KeyId id = TypedKeyHash(type, name, key);
  return std::string(name) + "+" + ToHex(id) + "+" + Base64Encode(blob);
}

std::string SignatureLine(std::string_view name, ByteView blob) {
  return std::string(kSigPrefix) + std::string(name) + " " + Base64Encode(blob) + "\n";
}

std::string CosignedMessage(uint64_t unix_time, std::string_view text) {
  std::string msg(kCosignatureHeader);
  msg += "time " + std::to_string(unix_time) + "\n";
  msg += text;
  return msg;
}

// Verifies one cosignature/v1 signature (u64be timestamp || Ed25519 signature) over
// `text`; returns its timestamp.
Result<uint64_t> VerifyCosignatureBlob(std::string_view text, const Bytes& blob,
                                       const PublicKey& key, std::string_view name) {
  Signature sig;
  if (blob.size() != 8 + sig.size()) {
    return Status::DataLoss("cosignature by " + std::string(name) + " has " +
                            std::to_string(blob.size()) + " bytes, not 72");
  }
  uint64_t timestamp = 0;
  for (int i = 0; i < 8; ++i) timestamp = timestamp << 8 | blob[i];
  if (timestamp > kMaxTimestamp) {
    return Status::DataLoss("cosignature by " + std::string(name) +
                            " has a timestamp beyond 2^63-1");
  }
  std::copy(blob.begin() + 8, blob.end(), sig.begin());
  if (!VerifySignature(key, AsBytes(CosignedMessage(timestamp, text)), sig)) {
    return Status::DataLoss("cosignature by " + std::string(name) + " does not verify");
  }
  return timestamp;
}

// Reads a line ending in "\n" from text at *pos (without the newline); nullopt if none.
std::optional<std::string_view> NextLine(std::string_view text, size_t* pos) {
  if (*pos >= text.size()) return std::nullopt;
  size_t end = text.find('\n', *pos);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view line = text.substr(*pos, end - *pos);
  *pos = end + 1;
  return line;
}

Result<Hash> HashFromBase64(std::string_view text, std::string_view what) {
  Result<Bytes> bytes = Base64Decode(text);
  if (!bytes.ok()) {
    return Status::BadInput(std::string(what) + ": " + bytes.status().message());
  }
  Hash h;
  if (bytes->size() != h.size()) {
    return Status::BadInput(std::string(what) + " is " + std::to_string(bytes->size()) +
                            " bytes, not 32");
  }
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

}  // namespace

// Key names MUST be non-empty and contain no Unicode space nor '+'.
Status CheckKeyName(std::string_view name) {
  if (name.empty()) return Status::BadInput("empty key name");
  size_t i = 0;
  while (i < name.size()) {
    int32_t cp = DecodeUtf8(name, &i);
    if (cp < 0) return Status::BadInput("key name is not valid UTF-8");
    if (cp < 0x20 || cp == 0x7F || IsUnicodeSpace(cp) || cp == '+') {
      return Status::BadInput("key name \"" + std::string(name) +
                              "\" contains a space, a control character or '+'");
    }
  }
  return Status::OK();
}

std::array<uint8_t, 4> KeyHash(std::string_view name, const PublicKey& key) {
  return TypedKeyHash(kSignatureTypeEd25519, name, key);
}

std::string VerifierKey(std::string_view name, const PublicKey& key) {
  return TypedVerifierKey(kSignatureTypeEd25519, name, key);
}

NoteVerifier MakeNoteVerifier(std::string_view name, const PublicKey& key) {
  return NoteVerifier{std::string(name), KeyHash(name, key), key, kSignatureTypeEd25519};
}

NoteVerifier MakeWitnessVerifier(std::string_view name, const PublicKey& key) {
  return NoteVerifier{std::string(name), WitnessKeyHash(name, key), key,
                      kSignatureTypeCosignatureV1};
}

Result<NoteVerifier> ParseVerifierKey(std::string_view text) {
  // The name has no '+' and the hash is hex; the base64 key material may contain '+'.
  const size_t plus1 = text.find('+');
  const size_t plus2 = plus1 == std::string_view::npos ? plus1 : text.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) {
    return Status::BadInput("a verifier key is name+hash+key (three fields separated by '+')");
  }
  std::string_view name = text.substr(0, plus1);
  std::string_view hash_hex = text.substr(plus1 + 1, plus2 - plus1 - 1);
  std::string_view key_b64 = text.substr(plus2 + 1);
  RETURN_IF_ERROR(CheckKeyName(name));
  if (hash_hex.size() != 8) return Status::BadInput("verifier key hash is not 8 hex digits");
  Result<Bytes> hash_bytes = FromHex(hash_hex);
  if (!hash_bytes.ok()) return Status::BadInput("verifier key hash is not 8 hex digits");
  Result<Bytes> key_bytes = Base64Decode(key_b64);
  if (!key_bytes.ok()) {
    return Status::BadInput("verifier key material: " + key_bytes.status().message());
  }
  NoteVerifier v;
  if (key_bytes->size() != 1 + v.key.size()) {
    return Status::BadInput("verifier key material is " + std::to_string(key_bytes->size()) +
                            " bytes, not 33 (type byte + Ed25519 key)");
  }
  v.type = (*key_bytes)[0];
  if (v.type != kSignatureTypeEd25519 && v.type != kSignatureTypeCosignatureV1) {
    return Status::BadInput("unsupported verifier key type 0x" + ToHex(ByteView(&v.type, 1)) +
                            " (expected 0x01 Ed25519 or 0x04 cosignature/v1)");
  }
  v.name = std::string(name);
  std::copy(key_bytes->begin() + 1, key_bytes->end(), v.key.begin());
  v.key_hash = TypedKeyHash(v.type, name, v.key);
  if (!std::equal(v.key_hash.begin(), v.key_hash.end(), hash_bytes->begin())) {
    return Status::BadInput("verifier key hash " + std::string(hash_hex) +
                            " does not match its name and key (expected " + ToHex(v.key_hash) +
                            ")");
  }
  return v;
}

Result<NoteVerifier> LoadVerifierKey(std::string_view arg, uint8_t type, std::string_view what) {
  std::string line(arg);
  std::error_code ec;
  if (!arg.empty() && std::filesystem::is_regular_file(std::filesystem::path(line), ec)) {
    Result<std::string> text = base::ReadFileCapped(line, 1 << 20, "key file");
    if (!text.ok()) return std::move(text).TakeStatus().WithContext(std::string(what));
    line = text->substr(0, text->find('\n'));
  }
  Result<NoteVerifier> key = ParseVerifierKey(line);
  if (!key.ok()) {
    return Status::BadInput(
        std::string(what) + " " + base::Quote(arg) +
        ": neither a verifier key nor a file holding one: " + key.status().message());
  }
  auto kind = [](uint8_t t) {
    return t == kSignatureTypeEd25519 ? "a ledger's checkpoint key (Ed25519 note)"
                                      : "a witness key (cosignature/v1)";
  };
  if (key->type != type) {
    return Status::BadInput(std::string(what) + ": " + key->name + " is " + kind(key->type) +
                            ", not " + kind(type));
  }
  return key;
}

Result<Note> ParseNote(std::string_view note) {
  RETURN_IF_ERROR(CheckNoteChars(note));
  if (note.empty() || note.back() != '\n') return Status::BadInput("note does not end in newline");
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Status::BadInput("note has no blank line before its signatures");
  }
  Note out;
  out.text = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty()) return Status::BadInput("note has no signature line");
  size_t pos = 0;
  while (std::optional<std::string_view> line = NextLine(sigs, &pos)) {
    if (out.signatures.size() == kMaxSignatures) {
      return Status::BadInput("note has more than " + std::to_string(kMaxSignatures) +
                              " signatures");
    }
    if (!line->starts_with(kSigPrefix)) {
      return Status::BadInput("signature line does not start with \"\u2014 \"");
    }
    std::string_view rest = line->substr(kSigPrefix.size());
    const size_t space = rest.find(' ');
    if (space == std::string_view::npos) {
      return Status::BadInput("signature line has no space between key name and signature");
    }
    NoteSignature sig;
    std::string_view name = rest.substr(0, space);
    RETURN_IF_ERROR(CheckKeyName(name));
    sig.name = std::string(name);
    Result<Bytes> blob = Base64Decode(rest.substr(space + 1));
    if (!blob.ok()) {
      return Status::BadInput("signature by " + sig.name + ": " + blob.status().message());
    }
    if (blob->size() < sig.key_hash.size() + 1) {
      return Status::BadInput("signature by " + sig.name + " is too short");
    }
    std::copy_n(blob->begin(), sig.key_hash.size(), sig.key_hash.begin());
    sig.signature.assign(blob->begin() + sig.key_hash.size(), blob->end());
    out.signatures.push_back(std::move(sig));
  }
  return out;
}

std::string SignNote(std::string_view text, std::string_view name, const SigningKey& key) {
  std::string out(text);
  if (out.empty() || out.back() != '\n') out.push_back('\n');  // precondition; keep it well-formed
  const Signature sig = key.Sign(AsBytes(out));
  const KeyId id = KeyHash(name, key.public_key());
  Bytes blob(id.begin(), id.end());
  blob.insert(blob.end(), sig.begin(), sig.end());
  out += "\n";
  out += SignatureLine(name, blob);
  return out;
}

Result<std::string> AddNoteSignature(std::string_view note, std::string_view name,
                                     const SigningKey& key) {
  ASSIGN_OR_RETURN(Note parsed, ParseNote(note));
  const Signature sig = key.Sign(AsBytes(parsed.text));
  const KeyId id = KeyHash(name, key.public_key());
  Bytes blob(id.begin(), id.end());
  blob.insert(blob.end(), sig.begin(), sig.end());
  return std::string(note) + SignatureLine(name, blob);
}

Result<std::string> OpenNote(std::string_view note, std::span<const NoteVerifier> verifiers) {
  Result<Note> parsed = ParseNote(note);
  if (!parsed.ok()) return Status::DataLoss("malformed note: " + parsed.status().message());
  bool verified = false;
  for (const NoteSignature& sig : parsed->signatures) {
    // A key is known by its name AND key hash; anything else is ignored (key rotation,
    // witnesses we do not track).
    auto known = std::find_if(verifiers.begin(), verifiers.end(), [&](const NoteVerifier& v) {
      return v.name == sig.name && v.key_hash == sig.key_hash;
    });
    if (known == verifiers.end()) continue;
    if (known->type == kSignatureTypeEd25519) {
      Signature s;
      if (sig.signature.size() != s.size()) {
        return Status::DataLoss("signature by " + sig.name + " is not 64 bytes");
      }
      std::copy(sig.signature.begin(), sig.signature.end(), s.begin());
      if (!VerifySignature(known->key, AsBytes(parsed->text), s)) {
        return Status::DataLoss("signature by " + sig.name + " does not verify");
      }
    } else if (known->type == kSignatureTypeCosignatureV1) {
      RETURN_IF_ERROR(
          VerifyCosignatureBlob(parsed->text, sig.signature, known->key, sig.name).status());
    } else {
      continue;
    }
    verified = true;
  }
  if (!verified) {
    std::string names;
    for (const NoteSignature& sig : parsed->signatures) {
      names += (names.empty() ? "" : ", ") + sig.name + "+" + ToHex(sig.key_hash);
    }
    return Status::DataLoss("note has no signature by a trusted key (signed by: " + names + ")");
  }
  return std::move(parsed->text);
}

std::string FormatCheckpoint(const Checkpoint& c) {
  std::string out = c.origin + "\n" + std::to_string(c.size) + "\n" + Base64Encode(c.root) + "\n";
  for (const std::string& ext : c.extensions) out += ext + "\n";
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  RETURN_IF_ERROR(CheckNoteChars(text));
  if (text.empty() || text.back() != '\n') {
    return Status::BadInput("checkpoint does not end in newline");
  }
  size_t pos = 0;
  Checkpoint c;
  std::string_view origin = *NextLine(text, &pos);
  if (origin.empty()) return Status::BadInput("checkpoint origin line is empty");
  c.origin = std::string(origin);
  std::optional<std::string_view> size_line = NextLine(text, &pos);
  if (!size_line) return Status::BadInput("checkpoint has no tree size line");
  ASSIGN_OR_RETURN(c.size, ParseDecimal(*size_line, "checkpoint tree size"));
  std::optional<std::string_view> root_line = NextLine(text, &pos);
  if (!root_line) return Status::BadInput("checkpoint has no root hash line");
  ASSIGN_OR_RETURN(c.root, HashFromBase64(*root_line, "checkpoint root hash"));
  while (std::optional<std::string_view> ext = NextLine(text, &pos)) {
    if (ext->empty()) return Status::BadInput("checkpoint has an empty extension line");
    c.extensions.emplace_back(*ext);
  }
  return c;
}

std::array<uint8_t, 4> WitnessKeyHash(std::string_view name, const PublicKey& key) {
  return TypedKeyHash(kSignatureTypeCosignatureV1, name, key);
}

std::string WitnessVerifierKey(std::string_view name, const PublicKey& key) {
  return TypedVerifierKey(kSignatureTypeCosignatureV1, name, key);
}

std::string CosignNote(std::string_view signed_checkpoint_note, std::string_view witness_name,
                       const SigningKey& witness, uint64_t unix_time) {
  Result<Note> parsed = ParseNote(signed_checkpoint_note);
  if (!parsed.ok() || unix_time > kMaxTimestamp) return std::string(signed_checkpoint_note);
  const Signature sig = witness.Sign(AsBytes(CosignedMessage(unix_time, parsed->text)));
  const KeyId id = WitnessKeyHash(witness_name, witness.public_key());
  Bytes blob(id.begin(), id.end());
  for (int shift = 56; shift >= 0; shift -= 8) {
    blob.push_back(static_cast<uint8_t>(unix_time >> shift));
  }
  blob.insert(blob.end(), sig.begin(), sig.end());
  return std::string(signed_checkpoint_note) + SignatureLine(witness_name, blob);
}

Result<uint64_t> VerifyCosignature(std::string_view note, const NoteVerifier& witness) {
  if (witness.type != kSignatureTypeCosignatureV1) {
    return Status::BadInput("verifier " + witness.name + " is not a cosignature/v1 (0x04) key");
  }
  Result<Note> parsed = ParseNote(note);
  if (!parsed.ok()) return Status::DataLoss("malformed note: " + parsed.status().message());
  std::optional<uint64_t> timestamp;
  for (const NoteSignature& sig : parsed->signatures) {
    if (sig.name != witness.name || sig.key_hash != witness.key_hash) continue;
    ASSIGN_OR_RETURN(uint64_t t,
                     VerifyCosignatureBlob(parsed->text, sig.signature, witness.key, sig.name));
    if (!timestamp) timestamp = t;
  }
  if (!timestamp) return Status::DataLoss("note has no cosignature by " + witness.name);
  return *timestamp;
}

std::string FormatTlogProof(const TlogProof& p) {
  std::string out(kTlogProofHeader);
  out += "\n";
  if (p.extra) out += "extra " + Base64Encode(*p.extra) + "\n";
  out += "index " + std::to_string(p.index) + "\n";
  for (const Hash& h : p.proof) out += Base64Encode(h) + "\n";
  out += "\n";
  out += p.checkpoint_note;
  return out;
}

Result<TlogProof> ParseTlogProof(std::string_view text) {
  size_t pos = 0;
  std::optional<std::string_view> line = NextLine(text, &pos);
  if (!line || *line != kTlogProofHeader) {
    return Status::BadInput("not a tlog-proof: the first line must be " +
                            std::string(kTlogProofHeader));
  }
  TlogProof p;
  line = NextLine(text, &pos);
  if (line && line->starts_with("extra ")) {
    Result<Bytes> extra = Base64Decode(line->substr(6));
    if (!extra.ok()) return Status::BadInput("tlog-proof extra: " + extra.status().message());
    p.extra = std::move(extra).value();
    line = NextLine(text, &pos);
  }
  if (!line || !line->starts_with("index ")) {
    return Status::BadInput("tlog-proof has no \"index N\" line");
  }
  ASSIGN_OR_RETURN(p.index, ParseDecimal(line->substr(6), "tlog-proof index"));
  while (true) {
    line = NextLine(text, &pos);
    if (!line) return Status::BadInput("tlog-proof has no blank line before its checkpoint");
    if (line->empty()) break;
    if (p.proof.size() == kMaxProofHashes) {
      return Status::BadInput("tlog-proof has more than 64 proof hashes");
    }
    ASSIGN_OR_RETURN(
        Hash h, HashFromBase64(*line, "tlog-proof hash " + std::to_string(p.proof.size() + 1)));
    p.proof.push_back(h);
  }
  p.checkpoint_note = std::string(text.substr(pos));
  Result<Note> note = ParseNote(p.checkpoint_note);
  if (!note.ok()) return Status::BadInput("tlog-proof checkpoint: " + note.status().message());
  return p;
}

Result<Checkpoint> VerifyTlogProof(const TlogProof& p, const Hash& leaf_hash,
                                   std::span<const NoteVerifier> verifiers) {
  ASSIGN_OR_RETURN(std::string text, OpenNote(p.checkpoint_note, verifiers));
  Result<Checkpoint> c = ParseCheckpoint(text);
  if (!c.ok()) return Status::DataLoss("malformed checkpoint: " + c.status().message());
  if (!VerifyInclusion(p.index, c->size, leaf_hash, p.proof, c->root)) {
    return Status::DataLoss("inclusion proof of leaf " + std::to_string(p.index) +
                            " does not verify against the checkpoint of size " +
                            std::to_string(c->size));
  }
  return c;
}

}  // namespace esms::ledger
