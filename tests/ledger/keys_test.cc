#include "ledger/keys.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace esms::ledger {
namespace {

namespace fs = std::filesystem;

// RFC 8032 §7.1, TEST 1 (empty message).
constexpr std::string_view kRfcSeedHex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kRfcPublicHex =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfcSignatureHex =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
    "1cf9b46bd25bf5f0595bbe24655141438e7a100b";
// The PKCS#8 DER prefix of an Ed25519 private key (RFC 8410 §7), before the 32-byte seed.
constexpr std::string_view kPkcs8Ed25519PrefixHex = "302e020100300506032b657004220420";

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "esms-keys-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Path(std::string_view name) const { return dir_ / name; }

  static void WriteFile(const fs::path& path, std::string_view content, mode_t mode) {
    std::ofstream(path, std::ios::binary) << content;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
  static std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static mode_t ModeOf(const fs::path& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  // Runs a shell command quietly; returns its exit status.
  static int Run(const std::string& command) {
    int rc = std::system((command + " >/dev/null 2>&1").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  static bool HaveOpenssl() { return Run("openssl version") == 0; }

  std::string RfcPem() const {
    Bytes der = FromHex(std::string(kPkcs8Ed25519PrefixHex) + std::string(kRfcSeedHex)).value();
    return "-----BEGIN PRIVATE KEY-----\n" + Base64Encode(der) + "\n-----END PRIVATE KEY-----\n";
  }

  fs::path dir_;
};

TEST_F(KeysTest, GenerateSignVerify) {
  Result<SigningKey> key = SigningKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const std::string message = "esms: record 42";
  const Signature sig = key->Sign(AsBytes(message));
  EXPECT_TRUE(VerifySignature(key->public_key(), AsBytes(message), sig));
  EXPECT_FALSE(VerifySignature(key->public_key(), AsBytes(message + "!"), sig));
  Signature flipped = sig;
  flipped[10] ^= 0x01;
  EXPECT_FALSE(VerifySignature(key->public_key(), AsBytes(message), flipped));

  Result<SigningKey> other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->public_key(), key->public_key());
  EXPECT_FALSE(VerifySignature(other->public_key(), AsBytes(message), sig));

  // Ed25519 is deterministic.
  EXPECT_EQ(key->Sign(AsBytes(message)), sig);
  SigningKey moved = std::move(key).value();
  EXPECT_EQ(moved.Sign(AsBytes(message)), sig);
}

TEST_F(KeysTest, Rfc8032TestVector) {
  WriteFile(Path("rfc.pem"), RfcPem(), 0600);
  Result<SigningKey> key = SigningKey::LoadPem(Path("rfc.pem"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(ToHex(key->public_key()), kRfcPublicHex);
  const Signature sig = key->Sign(ByteView());
  EXPECT_EQ(ToHex(sig), kRfcSignatureHex);

  PublicKey pub;
  Bytes pub_bytes = FromHex(kRfcPublicHex).value();
  std::copy(pub_bytes.begin(), pub_bytes.end(), pub.begin());
  EXPECT_TRUE(VerifySignature(pub, ByteView(), sig));
  const Bytes one_byte = {0x00};
  EXPECT_FALSE(VerifySignature(pub, one_byte, sig));
}

TEST_F(KeysTest, WritePemIsMode0600AndLoadsBack) {
  Result<SigningKey> key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  // Even with a permissive umask the file is 0600.
  const mode_t old_umask = ::umask(0);
  Status written = key->WritePem(Path("admin.pem"));
  ::umask(old_umask);
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(ModeOf(Path("admin.pem")), 0600u);
  const std::string pem = ReadFile(Path("admin.pem"));
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----\n")) << "PKCS#8 PEM expected";

  Result<SigningKey> loaded = SigningKey::LoadPem(Path("admin.pem"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->public_key(), key->public_key());
  const Signature sig = loaded->Sign(AsBytes("hello"));
  EXPECT_TRUE(VerifySignature(key->public_key(), AsBytes("hello"), sig));
}

TEST_F(KeysTest, WritePemRefusesToOverwrite) {
  Result<SigningKey> key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  WriteFile(Path("existing.pem"), "precious", 0600);
  Status s = key->WritePem(Path("existing.pem"));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(Path("existing.pem")), "precious");
  EXPECT_EQ(key->WritePem(Path("no-such-dir") / "k.pem").code(), StatusCode::kIoError);
}

TEST_F(KeysTest, GroupOrWorldAccessibleKeyIsRefused) {
  for (mode_t mode : {0644, 0640, 0604, 0660, 0606}) {
    const fs::path path = Path("loose.pem");
    fs::remove(path);
    WriteFile(path, RfcPem(), mode);
    Result<SigningKey> key = SigningKey::LoadPem(path);
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_EQ(key.status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(key.status().code(), StatusCode::kPermissionDenied);
    const std::string& msg = key.status().message();
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("chmod 600"), std::string::npos) << msg;
    char octal[8];
    std::snprintf(octal, sizeof(octal), "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(msg.find(octal), std::string::npos) << msg;
    // The message never carries key material.
    EXPECT_EQ(msg.find("BEGIN"), std::string::npos) << msg;
  }
  WriteFile(Path("owner-only.pem"), RfcPem(), 0400);
  EXPECT_TRUE(SigningKey::LoadPem(Path("owner-only.pem")).ok());
}

TEST_F(KeysTest, InvalidKeyFilesAreKeyInvalid) {
  auto expect_invalid = [](const Result<SigningKey>& key, std::string_view what) {
    ASSERT_FALSE(key.ok()) << what;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << what;
    EXPECT_EQ(key.status().error_code(), "KEY_INVALID") << what;
  };
  expect_invalid(SigningKey::LoadPem(Path("missing.pem")), "missing file");
  WriteFile(Path("garbage.pem"), "not a key at all\n", 0600);
  expect_invalid(SigningKey::LoadPem(Path("garbage.pem")), "not PEM");
  WriteFile(Path("empty.pem"), "", 0600);
  expect_invalid(SigningKey::LoadPem(Path("empty.pem")), "empty");
  expect_invalid(SigningKey::LoadPem(dir_), "a directory");
}

TEST_F(KeysTest, OpensslGeneratedKeyLoadsAndInteroperates) {
  if (!HaveOpenssl()) GTEST_SKIP() << "openssl command not available";
  const fs::path pem = Path("ossl.pem");
  ASSERT_EQ(Run("openssl genpkey -algorithm ed25519 -out " + pem.string()), 0);
  ASSERT_EQ(::chmod(pem.c_str(), 0600), 0);
  Result<SigningKey> key = SigningKey::LoadPem(pem);
  ASSERT_TRUE(key.ok()) << key.status().ToString();

  // Same public key as openssl derives (the raw key ends the SubjectPublicKeyInfo DER).
  ASSERT_EQ(Run("openssl pkey -in " + pem.string() + " -pubout -out " + Path("pub.pem").string()),
            0);
  ASSERT_EQ(Run("openssl pkey -pubin -in " + Path("pub.pem").string() + " -outform DER -out " +
                Path("pub.der").string()),
            0);
  const std::string der = ReadFile(Path("pub.der"));
  ASSERT_EQ(der.size(), 44u);
  EXPECT_EQ(ToHex(AsBytes(der).subspan(12)), ToHex(key->public_key()));

  // Our signature verifies with `openssl pkeyutl -verify -rawin`...
  const std::string message = "checkpoint body\n";
  WriteFile(Path("msg"), message, 0600);
  const Signature sig = key->Sign(AsBytes(message));
  WriteFile(Path("sig"), std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()),
            0600);
  EXPECT_EQ(Run("openssl pkeyutl -verify -pubin -inkey " + Path("pub.pem").string() +
                " -rawin -in " + Path("msg").string() + " -sigfile " + Path("sig").string()),
            0);
  // ... and a tampered one does not.
  Signature bad = sig;
  bad[0] ^= 1;
  WriteFile(Path("bad"), std::string_view(reinterpret_cast<const char*>(bad.data()), bad.size()),
            0600);
  EXPECT_NE(Run("openssl pkeyutl -verify -pubin -inkey " + Path("pub.pem").string() +
                " -rawin -in " + Path("msg").string() + " -sigfile " + Path("bad").string()),
            0);

  // The reverse: openssl signs, we verify.
  ASSERT_EQ(Run("openssl pkeyutl -sign -inkey " + pem.string() + " -rawin -in " +
                Path("msg").string() + " -out " + Path("osig").string()),
            0);
  const std::string osig = ReadFile(Path("osig"));
  ASSERT_EQ(osig.size(), 64u);
  Signature theirs;
  std::copy(osig.begin(), osig.end(), theirs.begin());
  EXPECT_TRUE(VerifySignature(key->public_key(), AsBytes(message), theirs));
  EXPECT_EQ(theirs, sig);  // deterministic: same bytes
}

TEST_F(KeysTest, NonEd25519AndEncryptedKeysAreRefused) {
  if (!HaveOpenssl()) GTEST_SKIP() << "openssl command not available";
  struct Case {
    std::string name;
    std::string command;
  };
  const Case cases[] = {
      {"ec.pem", "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "},
      {"x25519.pem", "openssl genpkey -algorithm x25519 -out "},
      {"ed448.pem", "openssl genpkey -algorithm ed448 -out "},
      // Encrypted: refused without prompting for a pass phrase.
      {"encrypted.pem", "openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:secret -out "},
  };
  for (const Case& c : cases) {
    const fs::path path = Path(c.name);
    ASSERT_EQ(Run(c.command + path.string()), 0) << c.command;
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    Result<SigningKey> key = SigningKey::LoadPem(path);
    ASSERT_FALSE(key.ok()) << c.name;
    EXPECT_EQ(key.status().error_code(), "KEY_INVALID") << c.name;
    EXPECT_NE(key.status().message().find(path.string()), std::string::npos);
  }
  // A public key PEM is not a private key.
  ASSERT_EQ(Run("openssl genpkey -algorithm ed25519 -out " + Path("k.pem").string()), 0);
  ASSERT_EQ(Run("openssl pkey -in " + Path("k.pem").string() + " -pubout -out " +
                Path("pub.pem").string()),
            0);
  ASSERT_EQ(::chmod(Path("pub.pem").c_str(), 0600), 0);
  EXPECT_EQ(SigningKey::LoadPem(Path("pub.pem")).status().error_code(), "KEY_INVALID");
}

TEST_F(KeysTest, PublicKeyFromBase64) {
  Result<SigningKey> key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  Result<PublicKey> pub = PublicKeyFromBase64(Base64Encode(key->public_key()));
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, key->public_key());
  EXPECT_EQ(PublicKeyFromBase64("AAAA").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PublicKeyFromBase64("not base64!").status().code(), StatusCode::kInvalidArgument);
  const Bytes too_long(33, 1);
  EXPECT_EQ(PublicKeyFromBase64(Base64Encode(too_long)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace esms::ledger
