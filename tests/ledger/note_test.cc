#include "ledger/note.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ledger/merkle.h"

namespace esms::ledger {
namespace {

// c2sp.org/signed-note / golang.org/x/mod/sumdb/note example.
constexpr std::string_view kVectorVerifierKey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr std::string_view kVectorText = "This is an example message.\n";
constexpr std::string_view kVectorSignatureLine =
    "\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    "\n";
constexpr std::string_view kDash = "\xE2\x80\x94";

std::string VectorNote() {
  return std::string(kVectorText) + "\n" + std::string(kVectorSignatureLine);
}

SigningKey NewKey() { return SigningKey::Generate().value(); }

// "OK: <text>" or "<ERROR_CODE>: message", so failures read like the bug.
std::string Opened(std::string_view note, std::span<const NoteVerifier> verifiers) {
  Result<std::string> r = OpenNote(note, verifiers);
  return r.ok() ? "OK: " + *r : r.status().ToString();
}

std::string ParseError(std::string_view note) {
  Result<Note> r = ParseNote(note);
  return r.ok() ? "OK" : std::string(StatusCodeName(r.status().code()));
}

Checkpoint SampleCheckpoint() {
  Checkpoint c;
  c.origin = "esms.example/ars-53";
  c.size = 20852163;
  c.root = Sha256(std::string_view("root"));
  return c;
}

TEST(NoteTest, C2spSignedNoteVectorVerifies) {
  Result<NoteVerifier> v = ParseVerifierKey(kVectorVerifierKey);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->name, "example.com/foo");
  EXPECT_EQ(ToHex(v->key_hash), "530d903a");
  EXPECT_EQ(v->type, kSignatureTypeEd25519);
  // Our encoder and key hash agree with the vector.
  EXPECT_EQ(VerifierKey(v->name, v->key), kVectorVerifierKey);
  EXPECT_EQ(KeyHash(v->name, v->key), v->key_hash);

  const std::vector<NoteVerifier> trusted = {*v};
  EXPECT_EQ(Opened(VectorNote(), trusted), "OK: " + std::string(kVectorText));

  Result<Note> parsed = ParseNote(VectorNote());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->text, kVectorText);
  ASSERT_EQ(parsed->signatures.size(), 1u);
  EXPECT_EQ(parsed->signatures[0].name, "example.com/foo");
  EXPECT_EQ(ToHex(parsed->signatures[0].key_hash), "530d903a");
  EXPECT_EQ(parsed->signatures[0].signature.size(), 64u);
}

TEST(NoteTest, C2spVectorWithOneByteChangedIsRejected) {
  const std::vector<NoteVerifier> trusted = {ParseVerifierKey(kVectorVerifierKey).value()};
  const std::string good = VectorNote();
  // Every byte of the text, changed in turn.
  for (size_t i = 0; i + 1 < kVectorText.size(); ++i) {
    std::string bad = good;
    bad[i] = bad[i] == 'x' ? 'y' : 'x';
    Result<std::string> r = OpenNote(bad, trusted);
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(r.status().message().find("example.com/foo"), std::string::npos);
  }
  // One byte of the signature.
  std::string bad_sig = good;
  bad_sig[bad_sig.size() - 10] = bad_sig[bad_sig.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(OpenNote(bad_sig, trusted).status().code(), StatusCode::kDataLoss);
}

TEST(NoteTest, SignAndOpenRoundTrip) {
  const SigningKey key = NewKey();
  const std::string note = SignNote("hello\nworld\n", "esms.example/log", key);
  EXPECT_TRUE(note.starts_with("hello\nworld\n\n" + std::string(kDash) + " esms.example/log "));
  EXPECT_TRUE(note.ends_with("\n"));
  const std::vector<NoteVerifier> trusted = {
      ParseVerifierKey(VerifierKey("esms.example/log", key.public_key())).value()};
  EXPECT_EQ(Opened(note, trusted), "OK: hello\nworld\n");
  EXPECT_EQ(MakeNoteVerifier("esms.example/log", key.public_key()).key_hash, trusted[0].key_hash);

  // Text may contain blank lines: the last blank line separates the signatures.
  const std::string spaced = SignNote("a\n\nb\n", "esms.example/log", key);
  EXPECT_EQ(Opened(spaced, trusted), "OK: a\n\nb\n");
}

TEST(NoteTest, UnknownKeysAreIgnoredKnownBadSignaturesAreNot) {
  const SigningKey old_key = NewKey();
  const SigningKey new_key = NewKey();
  const std::string note =
      AddNoteSignature(SignNote("body\n", "log", old_key), "log-2026", new_key).value();
  const NoteVerifier old_v = MakeNoteVerifier("log", old_key.public_key());
  const NoteVerifier new_v = MakeNoteVerifier("log-2026", new_key.public_key());
  // Either key alone suffices (rotation): the other signature is by an unknown key.
  EXPECT_EQ(Opened(note, std::vector<NoteVerifier>{old_v}), "OK: body\n");
  EXPECT_EQ(Opened(note, std::vector<NoteVerifier>{new_v}), "OK: body\n");
  EXPECT_EQ(Opened(note, std::vector<NoteVerifier>{old_v, new_v}), "OK: body\n");

  // No known key at all.
  const NoteVerifier stranger = MakeNoteVerifier("stranger", NewKey().public_key());
  Result<std::string> none = OpenNote(note, std::vector<NoteVerifier>{stranger});
  EXPECT_EQ(none.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(none.status().message().find("no signature by a trusted key"), std::string::npos);

  // Same name, other key (so another key hash): ignored, hence rejected for lack of one.
  const NoteVerifier impostor = MakeNoteVerifier("log", NewKey().public_key());
  EXPECT_EQ(OpenNote(note, std::vector<NoteVerifier>{impostor}).status().code(),
            StatusCode::kDataLoss);

  // A trusted key whose signature fails rejects the note even if another one verifies.
  NoteVerifier lying = old_v;
  lying.key = NewKey().public_key();  // same name and key hash, wrong key
  Result<std::string> r = OpenNote(note, std::vector<NoteVerifier>{lying, new_v});
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("does not verify"), std::string::npos);
}

TEST(NoteTest, ParseNoteIsStrict) {
  const std::string sig_line(kVectorSignatureLine);
  EXPECT_EQ(ParseError(VectorNote()), "OK");
  EXPECT_EQ(ParseError(""), "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError(VectorNote().substr(0, VectorNote().size() - 1)),
            "INVALID_ARGUMENT");                                                   // no final \n
  EXPECT_EQ(ParseError(std::string(kVectorText) + sig_line), "INVALID_ARGUMENT");  // no blank line
  EXPECT_EQ(ParseError(std::string(kVectorText) + "\n"), "INVALID_ARGUMENT");      // no signature
  EXPECT_EQ(ParseError(std::string(kVectorText) + "\n" + sig_line + "\n"), "INVALID_ARGUMENT");
  // ASCII hyphen instead of U+2014.
  EXPECT_EQ(ParseError(std::string(kVectorText) + "\n- example.com/foo " +
                       sig_line.substr(sig_line.find(' ', 4) + 1)),
            "INVALID_ARGUMENT");
  // Control characters and invalid UTF-8.
  EXPECT_EQ(ParseError("tab\there\n\n" + sig_line), "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError("cr\r\n\n" + sig_line), "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError("bad \xC3\x28 utf8\n\n" + sig_line), "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError("overlong \xC0\xAF\n\n" + sig_line), "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError("accents \xC3\xA9t\xC3\xA9\n\n" + sig_line), "OK");
  // Key names: no '+', no space, not empty.
  const std::string blob = sig_line.substr(sig_line.rfind(' ') + 1);
  EXPECT_EQ(ParseError("t\n\n" + std::string(kDash) + " a+b " + blob), "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError("t\n\n" + std::string(kDash) + "  " + blob), "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError("t\n\n" + std::string(kDash) +
                       " a\xC2\xA0"
                       "b " +
                       blob),
            "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError("t\n\n" + std::string(kDash) + " name\n"), "INVALID_ARGUMENT");
  // Signatures: base64 of at least 5 bytes.
  EXPECT_EQ(ParseError("t\n\n" + std::string(kDash) + " name AAAA\n"), "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError("t\n\n" + std::string(kDash) + " name AAAAAAA=\n"), "OK");
  EXPECT_EQ(ParseError("t\n\n" + std::string(kDash) + " name AAAAAAA\n"), "INVALID_ARGUMENT");
  EXPECT_EQ(ParseError("t\n\n" + std::string(kDash) + " name AAAAAAA= \n"), "INVALID_ARGUMENT");
  // At least 16 signatures are accepted; a flood is not.
  std::string many = std::string(kVectorText) + "\n";
  for (int i = 0; i < 16; ++i) many += sig_line;
  EXPECT_EQ(ParseError(many), "OK");
  for (int i = 16; i < 101; ++i) many += sig_line;
  EXPECT_EQ(ParseError(many), "INVALID_ARGUMENT");
}

TEST(NoteTest, MalformedNotesDoNotOpen) {
  const std::vector<NoteVerifier> trusted = {ParseVerifierKey(kVectorVerifierKey).value()};
  Result<std::string> r = OpenNote(kVectorText, trusted);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("malformed"), std::string::npos);
}

TEST(NoteTest, ParseVerifierKeyRejectsBadKeys) {
  const std::string good(kVectorVerifierKey);
  EXPECT_TRUE(ParseVerifierKey(good).ok());
  for (const std::string& bad : {
           std::string("example.com/foo+530d903a"),                                // 2 fields
           std::string("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"),  // empty name
           std::string("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"),
           std::string("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"),
           std::string("example.com/foo+530d90+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"),
           std::string("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2"),
           std::string("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k+x"),
           std::string("example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"),
       }) {
    Result<NoteVerifier> v = ParseVerifierKey(bad);
    EXPECT_FALSE(v.ok()) << bad;
    if (!v.ok()) {
      EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  // Round trip of many keys: base64 key material often contains '+'.
  bool saw_plus = false;
  for (int i = 0; i < 64; ++i) {
    const PublicKey k = NewKey().public_key();
    for (const std::string& text : {VerifierKey("a.example/n", k), WitnessVerifierKey("w", k)}) {
      saw_plus = saw_plus || std::count(text.begin(), text.end(), '+') > 2;
      Result<NoteVerifier> v = ParseVerifierKey(text);
      ASSERT_TRUE(v.ok()) << text << ": " << v.status().ToString();
      EXPECT_EQ(v->key, k);
    }
  }
  EXPECT_TRUE(saw_plus);
  // Unsupported signature type 0x02 (ECDSA), with an otherwise consistent hash.
  const PublicKey key = NewKey().public_key();
  Bytes blob = {0x02};
  blob.insert(blob.end(), key.begin(), key.end());
  Bytes hash_input = {'n', '\n', 0x02};
  hash_input.insert(hash_input.end(), key.begin(), key.end());
  const Hash h = Sha256(hash_input);
  EXPECT_FALSE(
      ParseVerifierKey("n+" + ToHex(ByteView(h).first(4)) + "+" + Base64Encode(blob)).ok());
}

TEST(NoteTest, CheckpointFormatAndParse) {
  Checkpoint c = SampleCheckpoint();
  const std::string body = FormatCheckpoint(c);
  EXPECT_EQ(body, "esms.example/ars-53\n20852163\n" + Base64Encode(c.root) + "\n");
  Result<Checkpoint> back = ParseCheckpoint(body);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->origin, c.origin);
  EXPECT_EQ(back->size, c.size);
  EXPECT_EQ(back->root, c.root);
  EXPECT_TRUE(back->extensions.empty());

  c.extensions = {"ext one", "ext-two"};
  c.size = 0;
  back = ParseCheckpoint(FormatCheckpoint(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->extensions, c.extensions);
  EXPECT_EQ(back->size, 0u);
  EXPECT_EQ(FormatCheckpoint(*back), FormatCheckpoint(c));

  // The C2SP tlog-checkpoint example body.
  back = ParseCheckpoint(
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size, 20852163u);
  EXPECT_EQ(Base64Encode(back->root), "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  back = ParseCheckpoint("o\n18446744073709551615\n" + Base64Encode(c.root) + "\n");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size, UINT64_MAX);
}

TEST(NoteTest, MalformedCheckpointsAreRefused) {
  const std::string root = Base64Encode(Sha256(std::string_view("r")));
  for (const std::string& bad : std::vector<std::string>{
           "",
           "o\n12\n" + root,                               // no final newline
           "o\n12\n",                                      // no root line
           "o\n",                                          // no size line
           "\n12\n" + root + "\n",                         // empty origin
           "o\n012\n" + root + "\n",                       // leading zero
           "o\n-1\n" + root + "\n",                        // sign
           "o\n+1\n" + root + "\n",                        // sign
           "o\n1a\n" + root + "\n",                        // not decimal
           "o\n \n" + root + "\n",                         // blank
           "o\n18446744073709551616\n" + root + "\n",      // overflows uint64
           "o\n12\n" + root.substr(4) + "\n",              // short root... bad base64 length
           "o\n12\n" + Base64Encode(Bytes(31, 0)) + "\n",  // 31-byte root
           "o\n12\n" + Base64Encode(Bytes(33, 0)) + "\n",  // 33-byte root
           "o\n12\n" + root + "\n\n",                      // empty extension line
           "o\n12\n" + root + "\next\n\n",                 // empty extension line
           "o\t\n12\n" + root + "\n",                      // control character
       }) {
    Result<Checkpoint> c = ParseCheckpoint(bad);
    EXPECT_FALSE(c.ok()) << "accepted: " << bad;
    if (!c.ok()) {
      EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(NoteTest, CosignatureSignAndVerify) {
  const SigningKey log = NewKey();
  const SigningKey witness = NewKey();
  const std::string body = FormatCheckpoint(SampleCheckpoint());
  const std::string signed_note = SignNote(body, "esms.example/ars-53", log);
  const uint64_t t = 1679315147;
  const std::string cosigned = CosignNote(signed_note, "esms.example/national", witness, t);
  ASSERT_TRUE(cosigned.starts_with(signed_note));

  const std::string vkey = WitnessVerifierKey("esms.example/national", witness.public_key());
  Result<NoteVerifier> wv = ParseVerifierKey(vkey);
  ASSERT_TRUE(wv.ok()) << wv.status().ToString();
  EXPECT_EQ(wv->type, kSignatureTypeCosignatureV1);
  EXPECT_EQ(wv->key_hash, WitnessKeyHash("esms.example/national", witness.public_key()));
  EXPECT_NE(wv->key_hash, KeyHash("esms.example/national", witness.public_key()));
  EXPECT_EQ(wv->key_hash,
            MakeWitnessVerifier("esms.example/national", witness.public_key()).key_hash);
  // The verifier key encodes type 0x04 before the key.
  const size_t material_at = vkey.find('+', vkey.find('+') + 1) + 1;  // base64 may hold '+'
  const Bytes material = Base64Decode(vkey.substr(material_at)).value();
  EXPECT_EQ(material[0], 0x04);

  Result<uint64_t> when = VerifyCosignature(cosigned, *wv);
  ASSERT_TRUE(when.ok()) << when.status().ToString();
  EXPECT_EQ(*when, t);

  // The line is exactly what tlog-cosignature specifies: key ID || u64be(time) || sig
  // over "cosignature/v1\ntime <t>\n" + body.
  Result<Note> parsed = ParseNote(cosigned);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->signatures.size(), 2u);
  const NoteSignature& line = parsed->signatures[1];
  EXPECT_EQ(line.name, "esms.example/national");
  EXPECT_EQ(line.key_hash, wv->key_hash);
  ASSERT_EQ(line.signature.size(), 72u);
  EXPECT_EQ(ToHex(ByteView(line.signature).first(8)), "00000000641850cb");  // 1679315147
  Signature raw;
  std::copy(line.signature.begin() + 8, line.signature.end(), raw.begin());
  const std::string message = "cosignature/v1\ntime 1679315147\n" + body;
  EXPECT_TRUE(VerifySignature(witness.public_key(), AsBytes(message), raw));

  // The log's verifier still opens the note (the cosignature is an unknown key to it),
  // and the witness verifier alone opens it too.
  const std::vector<NoteVerifier> log_only = {
      MakeNoteVerifier("esms.example/ars-53", log.public_key())};
  EXPECT_EQ(Opened(cosigned, log_only), "OK: " + body);
  EXPECT_EQ(Opened(cosigned, std::vector<NoteVerifier>{*wv}), "OK: " + body);
}

TEST(NoteTest, BadCosignaturesAreRejected) {
  const SigningKey log = NewKey();
  const SigningKey witness = NewKey();
  const std::string body = FormatCheckpoint(SampleCheckpoint());
  const std::string signed_note = SignNote(body, "log", log);
  const NoteVerifier wv = MakeWitnessVerifier("w", witness.public_key());

  // No cosignature at all.
  Result<uint64_t> none = VerifyCosignature(signed_note, wv);
  EXPECT_EQ(none.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(none.status().message().find("no cosignature by w"), std::string::npos);

  // A cosignature by another witness key under the same name is not ours.
  const std::string other = CosignNote(signed_note, "w", NewKey(), 10);
  EXPECT_EQ(VerifyCosignature(other, wv).status().code(), StatusCode::kDataLoss);

  // Changing the timestamp breaks the signature.
  const std::string cosigned = CosignNote(signed_note, "w", witness, 1000);
  Note parsed = ParseNote(cosigned).value();
  Bytes blob(parsed.signatures[1].key_hash.begin(), parsed.signatures[1].key_hash.end());
  blob.insert(blob.end(), parsed.signatures[1].signature.begin(),
              parsed.signatures[1].signature.end());
  blob[4 + 7] ^= 0x01;  // 1000 -> 1001
  const std::string retimed = signed_note + std::string(kDash) + " w " + Base64Encode(blob) + "\n";
  Result<uint64_t> r = VerifyCosignature(retimed, wv);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(OpenNote(retimed, std::vector<NoteVerifier>{wv}).status().code(),
            StatusCode::kDataLoss);

  // The cosignature covers the checkpoint body: moved onto another body it fails.
  Checkpoint c2 = SampleCheckpoint();
  c2.size += 1;
  const std::string body2 = FormatCheckpoint(c2);
  const std::string moved =
      SignNote(body2, "log", log) + cosigned.substr(cosigned.rfind(std::string(kDash) + " w "));
  EXPECT_EQ(VerifyCosignature(moved, wv).status().code(), StatusCode::kDataLoss);

  // An Ed25519 (0x01) verifier is not a witness verifier.
  EXPECT_EQ(
      VerifyCosignature(cosigned, MakeNoteVerifier("w", witness.public_key())).status().code(),
      StatusCode::kInvalidArgument);
  // A malformed note is returned unchanged by CosignNote.
  EXPECT_EQ(CosignNote("not a note", "w", witness, 1), "not a note");
}

TEST(NoteTest, TlogProofFormatParseRoundTrip) {
  const SigningKey log = NewKey();
  TlogProof p;
  p.index = 73894;
  p.proof = {Sha256(std::string_view("a")), Sha256(std::string_view("b"))};
  p.checkpoint_note = SignNote(FormatCheckpoint(SampleCheckpoint()), "esms.example/ars-53", log);
  const std::string text = FormatTlogProof(p);
  EXPECT_EQ(text, "c2sp.org/tlog-proof@v1\nindex 73894\n" + Base64Encode(p.proof[0]) + "\n" +
                      Base64Encode(p.proof[1]) + "\n\n" + p.checkpoint_note);
  Result<TlogProof> back = ParseTlogProof(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->index, p.index);
  EXPECT_EQ(back->proof, p.proof);
  EXPECT_EQ(back->checkpoint_note, p.checkpoint_note);
  EXPECT_FALSE(back->extra.has_value());
  EXPECT_EQ(FormatTlogProof(*back), text);

  // With extra data, and with an empty proof (a tree of one leaf).
  p.extra = Bytes{'x', 'y', 'z'};
  p.proof.clear();
  p.index = 0;
  const std::string with_extra = FormatTlogProof(p);
  EXPECT_TRUE(with_extra.starts_with("c2sp.org/tlog-proof@v1\nextra eHl6\nindex 0\n\n"));
  back = ParseTlogProof(with_extra);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->extra, p.extra);
  EXPECT_TRUE(back->proof.empty());
  EXPECT_EQ(FormatTlogProof(*back), with_extra);
}

TEST(NoteTest, MalformedTlogProofsAreRefused) {
  const SigningKey log = NewKey();
  const std::string note = SignNote(FormatCheckpoint(SampleCheckpoint()), "log", log);
  const std::string h = Base64Encode(Sha256(std::string_view("a")));
  for (const std::string& bad : std::vector<std::string>{
           "", "c2sp.org/tlog-proof@v2\nindex 0\n\n" + note, "wrong-header\nindex 0\n\n" + note,
           "c2sp.org/tlog-proof@v1\n\n\n" + note,  // no index
           "c2sp.org/tlog-proof@v1\nindex notanumber\n\n" + note,
           "c2sp.org/tlog-proof@v1\nindex -5\n\n" + note,
           "c2sp.org/tlog-proof@v1\nindex 07\n\n" + note,  // leading zero
           "c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\n" + note,
           "c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\n" + note,
           "c2sp.org/tlog-proof@v1\nindex 0\n" + Base64Encode(Bytes(64, 0)) + "\n\n" + note,
           "c2sp.org/tlog-proof@v1\nindex 0\n" + h + "\n" + note,         // no blank line
           "c2sp.org/tlog-proof@v1\nindex 0\n" + h + "\n\ncheckpoint\n",  // not a signed note
           "c2sp.org/tlog-proof@v1\nindex 0\n" + h + "\n\n",              // no checkpoint
       }) {
    Result<TlogProof> p = ParseTlogProof(bad);
    EXPECT_FALSE(p.ok()) << "accepted: " << bad;
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(NoteTest, TlogProofVerifiesEndToEnd) {
  const SigningKey log = NewKey();
  MemoryTree tree;
  std::vector<Hash> leaves;
  for (int i = 0; i < 11; ++i) {
    leaves.push_back(LeafHash(AsBytes("record " + std::to_string(i))));
    tree.Append(leaves.back());
  }
  Checkpoint c;
  c.origin = "esms.example/ars-53";
  c.size = tree.size();
  c.root = tree.Root();
  TlogProof p;
  p.index = 6;
  p.proof = InclusionProof(6, tree.size(), tree).value();
  p.checkpoint_note = SignNote(FormatCheckpoint(c), c.origin, log);
  const TlogProof parsed = ParseTlogProof(FormatTlogProof(p)).value();

  const std::vector<NoteVerifier> trusted = {MakeNoteVerifier(c.origin, log.public_key())};
  Result<Checkpoint> ok = VerifyTlogProof(parsed, leaves[6], trusted);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->size, 11u);

  EXPECT_EQ(VerifyTlogProof(parsed, leaves[5], trusted).status().code(), StatusCode::kDataLoss);
  const std::vector<NoteVerifier> stranger = {MakeNoteVerifier(c.origin, NewKey().public_key())};
  EXPECT_EQ(VerifyTlogProof(parsed, leaves[6], stranger).status().code(), StatusCode::kDataLoss);
  TlogProof tampered = parsed;
  tampered.proof[1][0] ^= 1;
  EXPECT_EQ(VerifyTlogProof(tampered, leaves[6], trusted).status().code(), StatusCode::kDataLoss);
}

// A verifier key given as its line or as a file holding it (ledger.pub, a witness's key):
// one loader for every option that takes one (--trust, --witness, --log, federation).
TEST(NoteTest, LoadVerifierKeyTakesTheLineOrAFileOfTheExpectedType) {
  char dir_template[] = "/tmp/esms-note-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir(dir_template);
  const SigningKey key = NewKey();
  const std::string ledger_line = VerifierKey("esms.example/log", key.public_key());
  const std::filesystem::path pub = dir / "ledger.pub";
  std::ofstream(pub) << ledger_line << "\nanything after the first line\n";

  Result<NoteVerifier> from_line = LoadVerifierKey(ledger_line, kSignatureTypeEd25519, "--trust");
  ASSERT_TRUE(from_line.ok()) << from_line.status().ToString();
  EXPECT_EQ(from_line->name, "esms.example/log");
  Result<NoteVerifier> from_file = LoadVerifierKey(pub.string(), kSignatureTypeEd25519, "--trust");
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->key, key.public_key());

  // The other type of key, each way round: named, with what was expected.
  Result<NoteVerifier> wrong =
      LoadVerifierKey(pub.string(), kSignatureTypeCosignatureV1, "--witness");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong.status().message(),
            "--witness: esms.example/log is a ledger's checkpoint key (Ed25519 note), not a "
            "witness key (cosignature/v1)");
  const std::string witness_line = WitnessVerifierKey("witness.example/w1", key.public_key());
  ASSERT_TRUE(LoadVerifierKey(witness_line, kSignatureTypeCosignatureV1, "--witness").ok());
  Result<NoteVerifier> witness_as_ledger =
      LoadVerifierKey(witness_line, kSignatureTypeEd25519, "--trust");
  ASSERT_FALSE(witness_as_ledger.ok());
  EXPECT_EQ(witness_as_ledger.status().message(),
            "--trust: witness.example/w1 is a witness key (cosignature/v1), not a ledger's "
            "checkpoint key (Ed25519 note)");

  // Neither a key nor a file: the option, the argument and the parser's reason.
  Result<NoteVerifier> missing =
      LoadVerifierKey((dir / "absent.pub").string(), kSignatureTypeEd25519, "--trust");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("--trust \"" + (dir / "absent.pub").string() + "\":"),
            std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("neither a verifier key nor a file holding one"),
            std::string::npos);
  // A file that is not text (a NUL byte) is refused as a file, before any parsing.
  const std::filesystem::path binary = dir / "binary.pub";
  std::ofstream(binary) << std::string("abc\0def", 7);
  Result<NoteVerifier> nul = LoadVerifierKey(binary.string(), kSignatureTypeEd25519, "--trust");
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.status().message().find("holds a NUL byte"), std::string::npos)
      << nul.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace esms::ledger
