// Metrics: the service's counters and gauges, rendered in the Prometheus text exposition
// format 0.0.4 for GET /metrics (service/http.h). Integers only: latencies are counted in
// microseconds and written as seconds with six decimals, never through a double.
//
//   esms_appends_total                       events appended (new records)
//   esms_refusals_total{code}                events refused, by public error code
//   esms_commit_latency_seconds{le}          histogram of group commit times (_bucket,
//                                            _sum, _count)
//   esms_committed_records_total             records written by those commits
//   esms_queue_depth                         requests waiting for the writer
//   esms_ledger_size                         records in the ledger
//   esms_checkpoint_age_seconds              seconds since the latest checkpoint
//   esms_http_requests_total{code}           HTTP responses of the front, by status
//   esms_witness_pushes_total{witness,result} add-checkpoint pushes of serve --witness, by
//                                            witness URL and result (cosigned, resync,
//                                            reconnect, unreachable, rollback, fork, refused,
//                                            bad_cosignature, conflict)
//   esms_witness_cosigned_size               size of the stored quorum-cosigned checkpoint
//
// A gauge or counter that was never set is written with its HELP and TYPE lines only
// (an empty family), so a scraper can tell "not known yet" from 0.
//
// Thread-safety: every method may be called from any thread at any time (atomics and one
// mutex); Render sees each family consistently (a histogram's buckets, sum and count
// together).
#ifndef ESMS_SERVICE_METRICS_H_
#define ESMS_SERVICE_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace esms::service {

class Metrics {
 public:
  // Upper bounds of the commit latency buckets, in microseconds (the le labels, in
  // seconds): from a quarter of a millisecond (an fsync on a fast disk) to 10 s.
  static constexpr std::array<int64_t, 14> kCommitBucketsMicros = {
      250,    500,     1'000,   2'500,   5'000,     10'000,    25'000,
      50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 10'000'000};
  // Distinct refusal codes kept; further ones are counted under "OTHER" (the codes are a
  // closed list, INTERFACE.md §4: a bound on what a bug could make grow).
  static constexpr size_t kMaxRefusalCodes = 64;
  static constexpr size_t kMaxHttpCodes = 32;

  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One group commit of `records` records that took `duration_micros` (negative: 0).
  void ObserveCommit(int64_t duration_micros, uint64_t records);
  void CountAppends(uint64_t n);
  void CountRefusal(std::string_view code);
  void SetQueueDepth(uint64_t n);
  // The ledger's size and the time of its latest checkpoint (Unix seconds).
  void SetLedger(uint64_t size, int64_t checkpoint_unix_seconds);
  // One HTTP response of the front with this status.
  void CountHttpResponse(int status);
  // One add-checkpoint push to `witness` (its URL) and its result (serve --witness).
  void CountWitnessPush(std::string_view witness, std::string_view result);
  // The size of the latest checkpoint stored with a quorum of cosignatures.
  void SetWitnessCosignedSize(uint64_t size);

  // The exposition, every family with its HELP and TYPE lines; the checkpoint age is
  // `now_unix_seconds` minus the time given to SetLedger (0 when that is in the future).
  std::string Render(int64_t now_unix_seconds) const;

 private:
  mutable std::mutex mu_;
  std::array<uint64_t, kCommitBucketsMicros.size()> buckets_{};  // per bucket, not cumulative
  uint64_t commits_ = 0;                                         // also the +Inf bucket
  uint64_t commit_micros_sum_ = 0;
  std::map<std::string, uint64_t, std::less<>> refusals_;
  std::map<int, uint64_t> http_;
  // Bounded by the witnesses given to serve and the closed list of results.
  std::map<std::pair<std::string, std::string>, uint64_t> witness_pushes_;
  std::atomic<uint64_t> witness_cosigned_size_{0};
  std::atomic<bool> witness_cosigned_known_{false};

  std::atomic<uint64_t> appends_{0};
  std::atomic<uint64_t> committed_records_{0};
  std::atomic<uint64_t> queue_depth_{0};
  std::atomic<bool> queue_known_{false};
  std::atomic<uint64_t> ledger_size_{0};
  std::atomic<int64_t> checkpoint_unix_seconds_{0};
  std::atomic<bool> ledger_known_{false};
};

// "0.00025", "1", "12.5": `micros` as seconds, exact, in the shortest decimal form.
std::string MicrosAsSeconds(int64_t micros);
// A label value escaped per the text format: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);

}  // namespace esms::service

#endif  // ESMS_SERVICE_METRICS_H_
