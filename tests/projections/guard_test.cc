// The guard, one test per refusal code at its boundary, through the import path.
#include "tests/projections/fixture.h"

namespace esms::projections::testing {
namespace {

using GuardTest = ProjectionsTest;

TEST_F(GuardTest, SubmitSelectSignAndState) {
  json sub = Submission("bzh-1", {Et(1), Et(2)});
  Funded f = SubmitSelectSign(sub, 2 * kAcquisition2024);
  json state = State("bzh-1");
  EXPECT_EQ(state["status"], "convention-signed");
  EXPECT_EQ(state["campaign"], "generalisation-2024");
  EXPECT_EQ(state["entitlementCents"], 2 * kAcquisition2024);
  EXPECT_EQ(state["conventionCents"], 2 * kAcquisition2024);
  EXPECT_EQ(state["paidCents"], 0);
  ASSERT_EQ(state["establishments"].size(), 2u);
  EXPECT_EQ(state["establishments"][1]["finess"], Et(2));
  EXPECT_EQ(state["establishments"][1]["rank"], 2);
  EXPECT_EQ(state["establishments"][1]["situation"], "acquisition");
  EXPECT_EQ(state["establishments"][1]["entitlementCents"], kAcquisition2024);
  EXPECT_LT(f.submitted, f.selected);
}

}  // namespace
}  // namespace esms::projections::testing
