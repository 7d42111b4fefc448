#include "base/kj.h"

#include <gtest/gtest.h>
#include <kj/debug.h>

namespace esms::base {
namespace {

TEST(KjAdapterTest, NothingThrown) {
  int ran = 0;
  EXPECT_EQ(CatchKj([&] { ++ran; }), std::nullopt);
  EXPECT_TRUE(RunCatchingKj(KjErrorMeans::kDataLoss, "reading", [&] { ++ran; }).ok());
  EXPECT_EQ(ran, 2);
}

TEST(KjAdapterTest, ExceptionBecomesAValue) {
  std::optional<std::string> error = CatchKj([] { KJ_FAIL_REQUIRE("message too deep"); });
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("message too deep"), std::string::npos) << *error;
}

TEST(KjAdapterTest, StatusSaysWhatAndWhere) {
  Status corrupt = RunCatchingKj(KjErrorMeans::kDataLoss, "malformed envelope",
                                 [] { KJ_FAIL_REQUIRE("truncated segment"); });
  EXPECT_EQ(corrupt.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(corrupt.message().starts_with("malformed envelope: ")) << corrupt.message();
  EXPECT_NE(corrupt.message().find("truncated segment"), std::string::npos);

  Status bad = RunCatchingKj(KjErrorMeans::kBadInput, "cannot encode",
                             [] { KJ_FAIL_REQUIRE("text too long"); });
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(bad.message().starts_with("cannot encode: ")) << bad.message();
}

}  // namespace
}  // namespace esms::base
