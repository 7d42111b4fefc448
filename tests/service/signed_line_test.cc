// The import client's reading of a signed line (service::ParseSignedLine): the plain form
// of `sign`'s output is read without a DOM and its event sent as the very text of its
// object in the line; every other line the general way (projections::ParseSignedLine, an
// event re-serialized). Both ways agree on every line: the same outcome (a signed line, not
// one, or the same refusal), the same signer, signature and event (as JSON values). A line
// the general reader takes as not valid JSON is not taken by the plain reading either.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "projections/import_pipeline.h"
#include "service/client.h"

namespace esms::service {
namespace {

using nlohmann::json;

// 64 bytes of base64: 86 characters and their padding.
const std::string kSignature = std::string(86, 'A') + "==";

std::string Line(const std::string& event) {
  return R"({"event":)" + event + R"(,"signature":")" + kSignature + R"(","signer":"dgos"})";
}

constexpr const char* kEvent =
    R"({"at":"2023-02-01","data":{"corridor":"medico-social","referencedAt":"2023-02-01",)"
    R"("solution":{"product":"DUI","vendor":"Editeur 1","version":"1.0"},)"
    R"("status":"referenced"},"id":"sol-1","type":"solution.referenced"})";

// Both readings of `line` agree; returns the event text the client sends (or "" when the
// line is not a signed line, or is refused).
std::string ExpectSameReading(const std::string& line) {
  SCOPED_TRACE(line);
  auto fast = ParseSignedLine(line);
  auto slow = projections::ParseSignedLine(line);
  EXPECT_EQ(fast.ok(), slow.ok());
  if (!fast.ok() || !slow.ok()) {
    if (!fast.ok() && !slow.ok()) {
      EXPECT_EQ(fast.status().ToString(), slow.status().ToString());
    }
    return "";
  }
  EXPECT_EQ(fast->has_value(), slow->has_value());
  if (!fast->has_value() || !slow->has_value()) return "";
  const AppendLine& f = **fast;
  const projections::SignedLine& s = **slow;
  EXPECT_EQ(f.signer, s.signer);
  EXPECT_EQ(f.signature, s.signature);
  EXPECT_TRUE(f.refusal.ok());
  EXPECT_EQ(json::parse(f.event_json), json::parse(s.event));
  return f.event_json;
}

TEST(SignedLineTest, ThePlainFormIsSentAsItsOwnText) {
  // sign's output, then the same with spaces and the keys in another order.
  EXPECT_EQ(ExpectSameReading(Line(kEvent)), kEvent);
  const std::string spaced = std::string(" {\t\"signer\" : \"dgos\" ,\r\n \"event\" : ") + kEvent +
                             ", \"signature\":\"" + kSignature + "\" }  ";
  EXPECT_EQ(ExpectSameReading(spaced), kEvent);
  // The event's own text, whatever its form: spaces, escapes, UTF-8 of 2 to 4 bytes, a
  // surrogate pair, nested arrays and literals, negative and zero integers, a duplicate
  // key (the general reading keeps the last one; the server reads such a text as the local
  // import does: service/writer.cc DecodeEvent).
  const std::vector<std::string> events = {
      R"({ "id" : "sol-1" , "type":"solution.referenced" })",
      R"({"v":"\"\\\/\b\f\n\r\t\u00e9\u00C9"})",
      "{\"v\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\x89\xed\x9f\xbf\xf4\x8f\xbf\xbf\"}",
      R"({"v":"\ud83c\udf89"})",
      R"({"a":[[],[1,-2,0,-0],{"b":[true,false,null]}],"c":{}})",
      R"({"id":"x","id":"sol-1"})",
      "{}",
  };
  for (const std::string& event : events) EXPECT_EQ(ExpectSameReading(Line(event)), event);
}

TEST(SignedLineTest, AnyOtherLineIsReadTheGeneralWay) {
  // Valid JSON outside the plain form: re-serialized by the general reading.
  const std::vector<std::string> general = {
      Line(R"({"v":1.5})"),                  // a fraction
      Line(R"({"v":1e3})"),                  // an exponent
      Line(R"({"v":1234567890123456789})"),  // 19 digits
      R"({"ev\u0065nt":)" + std::string(kEvent) + R"(,"signature":")" + kSignature +
          R"(","signer":"dgos"})",  // an escape in a key
      R"({"event":)" + std::string(kEvent) + R"(,"signature":")" + kSignature +
          R"(","signer":"dg\u006fs"})",  // an escape in the signer
      "\xef\xbb\xbf" + Line(kEvent),     // a byte order mark
      R"({"event":{"v":1},"event":{},"signer":"dgos","signature":")" + kSignature +
          R"("})",  // a key twice
  };
  for (const std::string& line : general) {
    const std::string sent = ExpectSameReading(line);
    ASSERT_FALSE(sent.empty()) << line;
    auto slow = projections::ParseSignedLine(line);
    ASSERT_TRUE(slow.ok() && slow->has_value());
    EXPECT_EQ(sent, (*slow)->event) << line;
  }
  // Refused, or not a signed line, the same way by both.
  const std::vector<std::string> others = {
      Line(R"({"v":01})"),                                   // a leading zero
      Line(R"({"v":"\ud83c"})"),                             // a lone high surrogate
      Line(R"({"v":"\udf89"})"),                             // a lone low surrogate
      Line(R"({"v":"\x"})"),                                 // an unknown escape
      Line("{\"v\":\"\xc0\xaf\"}"),                          // an overlong UTF-8 form
      Line("{\"v\":\"\xed\xa0\x80\"}"),                      // a UTF-8 surrogate
      Line("{\"v\":\"\xf4\x90\x80\x80\"}"),                  // beyond U+10FFFF
      Line("{\"v\":\"\xe2\x82\"}"),                          // a cut sequence
      Line("{\"v\":\"a\tb\"}"),                              // a control character
      Line(R"({"v":[1,]})"),                                 // a trailing comma
      Line(R"({"v":tru})"),                                  // a bad literal
      Line(R"("sol-1")"),                                    // not an object
      Line(kEvent) + "x",                                    // text after the line
      Line(kEvent).substr(0, 40),                            // a cut line
      R"({"event":{},"signer":"dgos","signature":"AAAA"})",  // 3 bytes of signature
      R"({"event":{},"signer":"dgos"})",                     // no signature
      R"({"event":{},"signer":7,"signature":")" + kSignature + R"("})",
      R"({"event":{},"signer":"dgos","signature":")" + kSignature + R"(","x":1})",
      std::string(kEvent),  // a plain event
  };
  for (const std::string& line : others) EXPECT_EQ(ExpectSameReading(line), "") << line;
}

}  // namespace
}  // namespace esms::service
