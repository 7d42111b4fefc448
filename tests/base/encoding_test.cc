#include "base/encoding.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace esms::base {
namespace {

std::vector<uint8_t> BytesOf(std::string_view s) { return {s.begin(), s.end()}; }

TEST(HexTest, LowercaseAndEitherCaseBack) {
  EXPECT_EQ(ToHex({}), "");
  EXPECT_EQ(ToHex(BytesOf(std::string_view("\x00\x01\xab\xff", 4))), "0001abff");
  EXPECT_EQ(FromHex("0001ABff").value(), BytesOf(std::string_view("\x00\x01\xab\xff", 4)));
  EXPECT_TRUE(FromHex("").value().empty());
}

TEST(HexTest, RefusesOddLengthAndNonHex) {
  Result<std::vector<uint8_t>> odd = FromHex("abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(odd.status().message(), "hex string has an odd length (3)");
  Result<std::vector<uint8_t>> bad = FromHex("0g");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "not a hex digit at offset 1");
  EXPECT_FALSE(FromHex(" 0").ok());
  EXPECT_FALSE(FromHex("0x").ok());
}

// RFC 4648 §10 test vectors.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(BytesOf(plain)), encoded);
    Result<std::vector<uint8_t>> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, BytesOf(plain)) << encoded;
  }
}

TEST(Base64Test, RoundTripsEveryByteAndEveryLength) {
  std::vector<uint8_t> all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<uint8_t>(b));
  EXPECT_EQ(Base64Decode(Base64Encode(all)).value(), all);
  std::mt19937 random(17);
  for (size_t n = 0; n < 70; ++n) {
    std::vector<uint8_t> bytes(n);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
    const std::string text = Base64Encode(bytes);
    EXPECT_EQ(text.size(), (n + 2) / 3 * 4);
    EXPECT_EQ(Base64Decode(text).value(), bytes) << text;
    // And hex, for the same bytes.
    EXPECT_EQ(FromHex(ToHex(bytes)).value(), bytes);
  }
}

TEST(Base64Test, StrictDecoder) {
  const char* refused[] = {
      "Zg",        // no padding
      "Zg=",       // short padding
      "Zh==",      // padding bits set (non-canonical 'f')
      "Zm9=",      // padding bits set
      "Zg==Zg==",  // padding before the end
      "Zm9v\n",    // whitespace
      " Zm9v",     // whitespace
      "Zm-v",      // URL-safe alphabet
      "Zm_v",      // URL-safe alphabet
      "====",      // padding only
      "Z===",      // three '='
      "=m9v",      // '=' first
  };
  for (const char* text : refused) {
    Result<std::vector<uint8_t>> decoded = Base64Decode(text);
    EXPECT_FALSE(decoded.ok()) << '"' << text << "\" was accepted";
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_EQ(Base64Decode("Zm9v!A==").status().message(),
            "not a standard base64 character at offset 4");
}

}  // namespace
}  // namespace esms::base
