#include "base/text.h"

#include <gtest/gtest.h>

#include <string>

namespace esms::base {
namespace {

TEST(Utf8Test, DecodesCodePointsAndRefusesMalformedOnes) {
  size_t i = 0;
  const std::string text = "a\xC3\xA9\xE2\x80\x94\xF0\x9F\x98\x80";  // a é — 😀
  EXPECT_EQ(DecodeUtf8(text, &i), 'a');
  EXPECT_EQ(i, 1u);
  EXPECT_EQ(DecodeUtf8(text, &i), 0xE9);
  EXPECT_EQ(i, 3u);
  EXPECT_EQ(DecodeUtf8(text, &i), 0x2014);
  EXPECT_EQ(i, 6u);
  EXPECT_EQ(DecodeUtf8(text, &i), 0x1F600);
  EXPECT_EQ(i, text.size());

  for (std::string_view bad : {std::string_view("\xC3"),              // truncated
                               std::string_view("\xC3\x28"),          // bad continuation
                               std::string_view("\xC0\xAF"),          // overlong '/'
                               std::string_view("\xE0\x80\xAF"),      // overlong '/'
                               std::string_view("\xED\xA0\x80"),      // surrogate U+D800
                               std::string_view("\xF4\x90\x80\x80"),  // beyond U+10FFFF
                               std::string_view("\x80"),              // lone continuation
                               std::string_view("\xFF")}) {
    size_t at = 0;
    EXPECT_EQ(DecodeUtf8(bad, &at), -1) << Sanitize(bad);
    EXPECT_EQ(at, 0u) << "a refused sequence must not advance";
    EXPECT_FALSE(IsValidUtf8(bad)) << Sanitize(bad);
  }
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Île-de-France"));
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last one
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));
}

TEST(QuoteTest, EscapesAndCuts) {
  EXPECT_EQ(Quote(""), "\"\"");
  EXPECT_EQ(Quote("plain"), "\"plain\"");
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote("tab\there"), "\"tab\\u0009here\"");
  EXPECT_EQ(Quote("del\x7F"), "\"del\\u007F\"");
  EXPECT_EQ(Quote("Genêts"), "\"Genêts\"");
  EXPECT_EQ(Quote("bad\xFFutf8"), "\"bad\\xFFutf8\"");
  EXPECT_EQ(Quote("abcdef", 3), "\"abc\"...");
  EXPECT_EQ(Quote("abc", 3), "\"abc\"");
  // A cut never splits a character: 'é' (2 bytes) is kept whole past the limit.
  EXPECT_EQ(Quote("aé", 2), "\"aé\"");
  EXPECT_EQ(Quote("aéb", 2), "\"aé\"...");
  EXPECT_EQ(Quote(std::string(200, 'x')).size(), 80u + 2 + 3);
}

TEST(QuoteTest, SanitizeEscapesWithoutQuotingOrCutting) {
  EXPECT_EQ(Sanitize(""), "");
  EXPECT_EQ(Sanitize("line\nnext \"q\""), "line\\u000Anext \\\"q\\\"");
  EXPECT_EQ(Sanitize("\xC3\x28"), "\\xC3(");
  EXPECT_EQ(Sanitize(std::string(200, 'x')).size(), 200u);
}

TEST(JsonQuoteTest, Rfc8259Escapes) {
  EXPECT_EQ(JsonQuote(""), "\"\"");
  EXPECT_EQ(JsonQuote("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(JsonQuote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(JsonQuote(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(JsonQuote("\x7F"), "\"\x7F\"");  // not a control character for JSON
  EXPECT_EQ(JsonQuote("Genêts — ESSMS"), "\"Genêts — ESSMS\"");
}

}  // namespace
}  // namespace esms::base
