#include "base/status.h"

#include <gtest/gtest.h>

namespace esms {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::BadInput("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, CarriesCodeMessageAndConflicts) {
  Status s = Status::FailedPrecondition("NONCUMUL_SECOND_DUI", "already funded")
                 .WithConflicts({3, 9});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.ToString(), "NONCUMUL_SECOND_DUI: already funded");
  EXPECT_EQ(s.conflicts(), (std::vector<uint64_t>{3, 9}));
  EXPECT_EQ(Status::BadInput("x").WithContext("line 7").message(), "line 7: x");
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "BAD_INPUT: odd: 3");
}

TEST(ResultTest, OkStatusIsNotAValue) {
  Result<int> r = Status::OK();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace esms
