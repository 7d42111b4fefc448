// service::Metrics: the exact Prometheus text it renders (tests/service/http_front.py
// also reads it with Prometheus' own parser), the histogram's bucket boundaries, label
// escaping, the bound on distinct codes, and exact totals under concurrent updates.
#include "service/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace esms::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, MicrosAreWrittenAsExactSeconds) {
  EXPECT_EQ(MicrosAsSeconds(0), "0");
  EXPECT_EQ(MicrosAsSeconds(250), "0.00025");
  EXPECT_EQ(MicrosAsSeconds(1), "0.000001");
  EXPECT_EQ(MicrosAsSeconds(1'000'000), "1");
  EXPECT_EQ(MicrosAsSeconds(12'500'000), "12.5");
  EXPECT_EQ(MicrosAsSeconds(-1'500), "-0.0015");
  EXPECT_EQ(MicrosAsSeconds(INT64_MIN), "-9223372036854.775808");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue(R"(a"b\c)"
                             "\n"),
            R"(a\"b\\c\n)");
}

TEST(MetricsTest, AFreshRegistryHasEveryFamilyAndNoUnknownGauge) {
  Metrics metrics;
  const std::string text = metrics.Render(1'700'000'000);
  EXPECT_THAT(text, HasSubstr("# HELP esms_appends_total "));
  EXPECT_THAT(text, HasSubstr("# TYPE esms_appends_total counter\nesms_appends_total 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE esms_refusals_total counter\n# HELP esms_commit_latency"));
  EXPECT_THAT(text, HasSubstr("# TYPE esms_commit_latency_seconds histogram\n"
                              "esms_commit_latency_seconds_bucket{le=\"0.00025\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("esms_commit_latency_seconds_bucket{le=\"10\"} 0\n"
                              "esms_commit_latency_seconds_bucket{le=\"+Inf\"} 0\n"
                              "esms_commit_latency_seconds_sum 0\n"
                              "esms_commit_latency_seconds_count 0\n"));
  // Gauges never set: the family, no sample (unknown is not 0).
  EXPECT_THAT(text, HasSubstr("# TYPE esms_queue_depth gauge\n# HELP esms_ledger_size"));
  EXPECT_THAT(text, HasSubstr("# TYPE esms_ledger_size gauge\n# HELP esms_checkpoint_age"));
  EXPECT_THAT(text, Not(HasSubstr("esms_checkpoint_age_seconds 0")));
  EXPECT_EQ(text.back(), '\n');
}

TEST(MetricsTest, CommitsFallInTheFirstBucketWhoseBoundHoldsThem) {
  Metrics metrics;
  metrics.ObserveCommit(300, 10);        // (250, 500]
  metrics.ObserveCommit(1'000, 5);       // exactly 1 ms: le="0.001"
  metrics.ObserveCommit(20'000'000, 1);  // beyond 10 s: +Inf only
  metrics.ObserveCommit(-5, 2);          // a clock step back: 0
  metrics.CountAppends(18);
  const std::string text = metrics.Render(0);
  EXPECT_THAT(text, HasSubstr("esms_commit_latency_seconds_bucket{le=\"0.00025\"} 1\n"
                              "esms_commit_latency_seconds_bucket{le=\"0.0005\"} 2\n"
                              "esms_commit_latency_seconds_bucket{le=\"0.001\"} 3\n"
                              "esms_commit_latency_seconds_bucket{le=\"0.0025\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("esms_commit_latency_seconds_bucket{le=\"10\"} 3\n"
                              "esms_commit_latency_seconds_bucket{le=\"+Inf\"} 4\n"
                              "esms_commit_latency_seconds_sum 20.0013\n"
                              "esms_commit_latency_seconds_count 4\n"));
  EXPECT_THAT(text, HasSubstr("esms_committed_records_total 18\n"));
  EXPECT_THAT(text, HasSubstr("esms_appends_total 18\n"));
}

TEST(MetricsTest, GaugesAndTheCheckpointAge) {
  Metrics metrics;
  metrics.SetQueueDepth(7);
  metrics.SetLedger(4'400, 1'000);
  EXPECT_THAT(metrics.Render(1'060), HasSubstr("esms_queue_depth 7\n"));
  EXPECT_THAT(metrics.Render(1'060), HasSubstr("esms_ledger_size 4400\n"));
  EXPECT_THAT(metrics.Render(1'060), HasSubstr("esms_checkpoint_age_seconds 60\n"));
  // A checkpoint stamped in the future (clocks apart): age 0, never negative.
  EXPECT_THAT(metrics.Render(900), HasSubstr("esms_checkpoint_age_seconds 0\n"));
}

TEST(MetricsTest, RefusalsByCodeEscapedAndBounded) {
  Metrics metrics;
  metrics.CountRefusal("VERSION_CONFLICT");
  metrics.CountRefusal("VERSION_CONFLICT");
  metrics.CountRefusal("UNAUTHORIZED");
  metrics.CountRefusal("BAD\"CODE");
  std::string text = metrics.Render(0);
  // In code order, after the family's lines.
  EXPECT_THAT(text, HasSubstr("# TYPE esms_refusals_total counter\n"
                              "esms_refusals_total{code=\"BAD\\\"CODE\"} 1\n"
                              "esms_refusals_total{code=\"UNAUTHORIZED\"} 1\n"
                              "esms_refusals_total{code=\"VERSION_CONFLICT\"} 2\n"));
  for (int i = 0; i < 200; ++i) metrics.CountRefusal("CODE_" + std::to_string(i));
  text = metrics.Render(0);
  EXPECT_THAT(text, HasSubstr("esms_refusals_total{code=\"OTHER\"} "));
  size_t lines = 0;
  for (size_t at = text.find("esms_refusals_total{"); at != std::string::npos;
       at = text.find("esms_refusals_total{", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, Metrics::kMaxRefusalCodes + 1) << "the kept codes and OTHER";
}

TEST(MetricsTest, ConcurrentUpdatesAddUpExactly) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < 10'000; ++i) {
        metrics.CountAppends(1);
        metrics.ObserveCommit(i % 2 == 0 ? 100 : 3'000'000, 2);
        metrics.CountRefusal(t % 2 == 0 ? "A" : "B");
        metrics.CountHttpResponse(200);
        if (i % 1000 == 0) (void)metrics.Render(0);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::string text = metrics.Render(0);
  EXPECT_THAT(text, HasSubstr("esms_appends_total 80000\n"));
  EXPECT_THAT(text, HasSubstr("esms_committed_records_total 160000\n"));
  EXPECT_THAT(text, HasSubstr("esms_commit_latency_seconds_bucket{le=\"0.00025\"} 40000\n"));
  EXPECT_THAT(text, HasSubstr("esms_commit_latency_seconds_bucket{le=\"+Inf\"} 80000\n"));
  EXPECT_THAT(text, HasSubstr("esms_commit_latency_seconds_sum 120004\n"));
  EXPECT_THAT(text, HasSubstr("esms_refusals_total{code=\"A\"} 40000\n"));
  EXPECT_THAT(text, HasSubstr("esms_http_requests_total{code=\"200\"} 80000\n"));
}

}  // namespace
}  // namespace esms::service
