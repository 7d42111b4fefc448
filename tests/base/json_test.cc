#include "base/json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace esms::base {
namespace {

std::string Refusal(std::string_view text, size_t depth = kMaxDocumentDepth) {
  Result<nlohmann::json> parsed = ParseStrictJson(text, depth);
  return parsed.ok() ? "OK" : parsed.status().message();
}

TEST(StrictJsonTest, ReadsWhatNlohmannReads) {
  Result<nlohmann::json> parsed = ParseStrictJson(R"({"a": [1, {"b": "x"}], "c": null})", 4);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ((*parsed)["a"][1]["b"], "x");
  // The same key in two different objects is no repetition.
  EXPECT_EQ(Refusal(R"([{"a": 1}, {"a": 2}, {"a": {"a": 3}}])"), "OK");
}

TEST(StrictJsonTest, RefusesARepeatedKeyNamingItsPath) {
  EXPECT_EQ(Refusal(R"({"a": 1, "a": 2})"), "a: duplicate key");
  EXPECT_EQ(Refusal(R"({"records": [{"seq": 1}, {"seq": 2, "data": {"x": 1, "x": 1}}]})"),
            "records[1].data.x: duplicate key");
}

TEST(StrictJsonTest, RefusesNestingBeyondTheLimitAndBadSyntax) {
  EXPECT_EQ(Refusal("[[[]]]", 3), "OK");
  // The path named is the container being read when the one too many opens.
  EXPECT_EQ(Refusal("[[[[]]]]", 3), "[0][0]: nested deeper than 3 levels");
  // Deep enough to exhaust the stack of a recursive reader: refused at once.
  std::string path;
  for (size_t i = 0; i + 1 < kMaxDocumentDepth; ++i) path += "[0]";
  EXPECT_EQ(Refusal(std::string(100000, '[')), path + ": nested deeper than 64 levels");
  EXPECT_EQ(Refusal(R"({"a": 1} x)").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(Refusal("").rfind("invalid JSON: ", 0), 0u);
}

TEST(StrictJsonTest, PathsAreJoinedAsErrorsNameThem) {
  EXPECT_EQ(JoinPath("", "data"), "data");
  EXPECT_EQ(JoinPath("data", "finess"), "data.finess");
  EXPECT_EQ(IndexPath("data.establishments", 3), "data.establishments[3]");
}

}  // namespace
}  // namespace esms::base
