#include "ledger/hash.h"

#include <gtest/gtest.h>

#include <string>

namespace esms::ledger {
namespace {

std::string HexOf(const Hash& h) { return ToHex(h); }

std::string DecodeToString(std::string_view b64) {
  Result<Bytes> r = Base64Decode(b64);
  if (!r.ok()) return "error: " + r.status().ToString();
  return std::string(r->begin(), r->end());
}

TEST(HashTest, Sha256KnownAnswers) {
  // FIPS 180-2 / NIST examples.
  EXPECT_EQ(HexOf(Sha256(std::string_view(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexOf(Sha256(std::string_view("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      HexOf(Sha256(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(HashTest, IncrementalEqualsOneShotAndResetsAfterFinish) {
  const std::string data = "The quick brown fox jumps over the lazy dog";
  Sha256Hasher h;
  h.Update(std::string_view(data).substr(0, 10));
  h.Update(AsBytes(std::string_view(data).substr(10)));
  EXPECT_EQ(h.Finish(), Sha256(data));
  // Finish() resets: the hasher starts over.
  h.Update(std::string_view("abc"));
  EXPECT_EQ(h.Finish(), Sha256(std::string_view("abc")));
  EXPECT_EQ(h.Finish(), Sha256(std::string_view("")));

  Sha256Hasher moved(std::move(h));
  moved.Update(std::string_view("abc"));
  EXPECT_EQ(moved.Finish(), Sha256(std::string_view("abc")));
}

TEST(HashTest, HexRoundTripAndErrors) {
  const Bytes bytes = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(ToHex(bytes), "0001abff");
  Result<Bytes> back = FromHex("0001ABff");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, bytes);
  EXPECT_TRUE(FromHex("").ok());

  Result<Bytes> odd = FromHex("abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FromHex("0g").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FromHex(" 00").status().code(), StatusCode::kInvalidArgument);
}

TEST(HashTest, HashFromHexNeedsExactly64Digits) {
  const std::string hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  Result<Hash> h = HashFromHex(hex);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, Sha256(std::string_view("")));
  EXPECT_EQ(HashFromHex(hex.substr(2)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HashFromHex(hex + "00").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HashFromHex(std::string(64, 'x')).status().code(), StatusCode::kInvalidArgument);
}

TEST(HashTest, Base64Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    EXPECT_EQ(DecodeToString(encoded), plain);
  }
  const Bytes all = [] {
    Bytes b;
    for (int i = 0; i < 256; ++i) b.push_back(static_cast<uint8_t>(i));
    return b;
  }();
  Result<Bytes> back = Base64Decode(Base64Encode(all));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(HashTest, Base64DecodeIsStrict) {
  for (std::string_view bad : {
           "Zg",        // unpadded
           "Zg=",       // short padding
           "Zh==",      // non-canonical: padding bits set
           "Zm9=",      // non-canonical
           "Zm9v\n",    // whitespace
           " Zm9v",     // whitespace
           "Zm-v",      // URL-safe alphabet
           "Zm_v",      // URL-safe alphabet
           "Z===",      // too much padding
           "====",      // only padding
           "Zg==Zm9v",  // padding in the middle
           "Zm=v",      // '=' inside a group
       }) {
    Result<Bytes> r = Base64Decode(bad);
    EXPECT_FALSE(r.ok()) << "accepted \"" << bad << "\"";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

// Every length (the unpadded quanta take a faster loop than the last one), and a character
// outside the alphabet at every offset of a signature's 88 characters, named by offset.
TEST(HashTest, Base64DecodeEveryLengthAndEveryBadOffset) {
  Bytes data;
  for (size_t n = 0; n <= 70; ++n) {
    Result<Bytes> back = Base64Decode(Base64Encode(data));
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, data) << n;
    data.push_back(static_cast<uint8_t>(n * 37 + 11));
  }
  const std::string signature = Base64Encode(Bytes(64, 0xa5));
  ASSERT_EQ(signature.size(), 88u);
  for (size_t at = 0; at < 86; ++at) {  // 86, 87: the padding of the last quantum
    for (char bad : {'-', '_', '=', ' ', '\0', '\xff'}) {
      std::string text = signature;
      text[at] = bad;
      Result<Bytes> r = Base64Decode(text);
      ASSERT_FALSE(r.ok()) << at;
      EXPECT_EQ(r.status().message(),
                "not a standard base64 character at offset " + std::to_string(at))
          << at << " " << int(bad);
    }
  }
}

TEST(HashTest, AsBytesViewsTheChars) {
  std::string_view s(
      "\x00\xff"
      "a",
      3);
  ByteView v = AsBytes(s);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], 0x00);
  EXPECT_EQ(v[1], 0xff);
  EXPECT_EQ(v[2], 'a');
}

}  // namespace
}  // namespace esms::ledger
