#include "base/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

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
  Status s =
      Status::FailedPrecondition("NONCUMUL_SECOND_DUI", "already funded").WithConflicts({3, 9});
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

TEST(StatusTest, FactoriesNameTheirCanonicalCode) {
  EXPECT_EQ(Status::BadInput("m").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Status::NotFound("NOT_FOUND", "m").code(), StatusCode::kNotFound);
  EXPECT_EQ(Status::AlreadyExists("EVENT_ID_CONFLICT", "m").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Status::Aborted("VERSION_CONFLICT", "m").code(), StatusCode::kAborted);
  EXPECT_EQ(Status::PermissionDenied("m").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Status::DataLoss("m").code(), StatusCode::kDataLoss);
  EXPECT_EQ(Status::Unavailable("m").code(), StatusCode::kUnavailable);
  EXPECT_EQ(Status::IoError("m").code(), StatusCode::kIoError);
  EXPECT_EQ(Status::Internal("m").code(), StatusCode::kInternal);
  EXPECT_TRUE(Status::OK().ok());
  EXPECT_TRUE(Status::OK().error_code().empty());
  EXPECT_TRUE(Status::OK().conflicts().empty());
  // Only a code the caller names is carried; the CLI's table gives the others.
  EXPECT_TRUE(Status::DataLoss("m").error_code().empty());
  EXPECT_EQ(Status::DataLoss("m").ToString(), "CORRUPTION: m");
  EXPECT_EQ(StatusCodeName(StatusCode::kDataLoss), "DATA_LOSS");
  EXPECT_TRUE(Status::FailedPrecondition("NONCUMUL_SECOND_DUI", "m").Is("NONCUMUL_SECOND_DUI"));
}

Status FailIfNegative(int x) { return x < 0 ? Status::BadInput("negative") : Status::OK(); }

Status Twice(int x, int* calls) {
  ++*calls;
  RETURN_IF_ERROR(FailIfNegative(x));
  ++*calls;
  return Status::OK();
}

TEST(StatusTest, ReturnIfErrorStopsAtTheFirstError) {
  int calls = 0;
  EXPECT_TRUE(Twice(1, &calls).ok());
  EXPECT_EQ(calls, 2);
  calls = 0;
  EXPECT_EQ(Twice(-1, &calls).message(), "negative");
  EXPECT_EQ(calls, 1);
}

Result<std::unique_ptr<int>> MakeBox(int x) {
  if (x < 0) return Status::BadInput("no box for a negative");
  return std::make_unique<int>(x);
}

Result<int> Unbox(int x) {
  ASSIGN_OR_RETURN(std::unique_ptr<int> box, MakeBox(x));
  return *box + 1;
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> box = MakeBox(4);
  ASSERT_TRUE(box.ok());
  std::unique_ptr<int> taken = std::move(box).value();
  EXPECT_EQ(*taken, 4);
  EXPECT_EQ(*Unbox(4), 5);
  EXPECT_EQ(Unbox(-1).status().message(), "no box for a negative");
}

TEST(ResultTest, TakeStatus) {
  Result<std::string> value = std::string("three");
  EXPECT_TRUE(value.status().ok());
  EXPECT_TRUE(std::move(value).TakeStatus().ok());
  Result<std::string> error = Status::DataLoss("gone");
  Status taken = std::move(error).TakeStatus();
  EXPECT_EQ(taken.code(), StatusCode::kDataLoss);
  EXPECT_EQ(taken.message(), "gone");
}

}  // namespace
}  // namespace esms
