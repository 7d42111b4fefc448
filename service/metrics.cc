// Prometheus text exposition 0.0.4 of the service's metrics (service/metrics.h).
#include "service/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace esms::service {

std::string MicrosAsSeconds(int64_t micros) {
  const bool negative = micros < 0;
  // The magnitude as unsigned: INT64_MIN has none in int64_t.
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  std::string text = fmt::format("{}{}", negative ? "-" : "", magnitude / 1'000'000);
  uint64_t fraction = magnitude % 1'000'000;
  if (fraction == 0) return text;
  int digits = 6;
  while (fraction % 10 == 0) {
    fraction /= 10;
    --digits;
  }
  return text + fmt::format(".{:0{}}", fraction, digits);
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::ObserveCommit(int64_t duration_micros, uint64_t records) {
  const int64_t micros = std::max<int64_t>(duration_micros, 0);
  const auto bucket = std::lower_bound(kCommitBucketsMicros.begin(), kCommitBucketsMicros.end(),
                                       micros);  // the first bound >= micros
  committed_records_.fetch_add(records, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  if (bucket != kCommitBucketsMicros.end()) {
    ++buckets_[static_cast<size_t>(std::distance(kCommitBucketsMicros.begin(), bucket))];
  }
  ++commits_;
  commit_micros_sum_ += static_cast<uint64_t>(micros);
}

void Metrics::CountAppends(uint64_t n) { appends_.fetch_add(n, std::memory_order_relaxed); }

void Metrics::CountRefusal(std::string_view code) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = refusals_.find(code);
  if (it == refusals_.end()) {
    if (refusals_.size() >= kMaxRefusalCodes) code = "OTHER";
    it = refusals_.try_emplace(std::string(code), 0).first;
  }
  ++it->second;
}

void Metrics::SetQueueDepth(uint64_t n) {
  queue_depth_.store(n, std::memory_order_relaxed);
  queue_known_.store(true, std::memory_order_release);
}

void Metrics::SetLedger(uint64_t size, int64_t checkpoint_unix_seconds) {
  std::lock_guard<std::mutex> lock(mu_);  // size and time are read together by Render
  ledger_size_.store(size, std::memory_order_relaxed);
  checkpoint_unix_seconds_.store(checkpoint_unix_seconds, std::memory_order_relaxed);
  ledger_known_.store(true, std::memory_order_release);
}

void Metrics::CountHttpResponse(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (http_.size() >= kMaxHttpCodes && http_.find(status) == http_.end()) status = 0;
  ++http_[status];
}

void Metrics::CountWitnessPush(std::string_view witness, std::string_view result) {
  std::lock_guard<std::mutex> lock(mu_);
  ++witness_pushes_[{std::string(witness), std::string(result)}];
}

void Metrics::SetWitnessCosignedSize(uint64_t size) {
  witness_cosigned_size_.store(size, std::memory_order_relaxed);
  witness_cosigned_known_.store(true, std::memory_order_release);
}

std::string Metrics::Render(int64_t now_unix_seconds) const {
  std::string out;
  auto family = [&out](std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  auto sample = [&out](std::string_view name, std::string_view labels, auto value) {
    fmt::format_to(std::back_inserter(out), "{}{} {}\n", name, labels, value);
  };

  std::lock_guard<std::mutex> lock(mu_);
  family("esms_appends_total", "counter", "Events appended to the ledger (new records).");
  sample("esms_appends_total", "", appends_.load(std::memory_order_relaxed));

  family("esms_refusals_total", "counter", "Events refused, by error code.");
  for (const auto& [code, count] : refusals_) {
    sample("esms_refusals_total", fmt::format("{{code=\"{}\"}}", EscapeLabelValue(code)), count);
  }

  family("esms_commit_latency_seconds", "histogram",
         "Time of a group commit, from its first staged event to its synced write.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kCommitBucketsMicros.size(); ++i) {
    cumulative += buckets_[i];
    sample("esms_commit_latency_seconds_bucket",
           fmt::format("{{le=\"{}\"}}", MicrosAsSeconds(kCommitBucketsMicros[i])), cumulative);
  }
  sample("esms_commit_latency_seconds_bucket", "{le=\"+Inf\"}", commits_);
  sample("esms_commit_latency_seconds_sum", "",
         MicrosAsSeconds(static_cast<int64_t>(
             std::min<uint64_t>(commit_micros_sum_, static_cast<uint64_t>(INT64_MAX)))));
  sample("esms_commit_latency_seconds_count", "", commits_);

  family("esms_committed_records_total", "counter", "Records written by the group commits.");
  sample("esms_committed_records_total", "", committed_records_.load(std::memory_order_relaxed));

  family("esms_queue_depth", "gauge", "Append requests waiting for the writer.");
  if (queue_known_.load(std::memory_order_acquire)) {
    sample("esms_queue_depth", "", queue_depth_.load(std::memory_order_relaxed));
  }

  const bool ledger_known = ledger_known_.load(std::memory_order_acquire);
  family("esms_ledger_size", "gauge", "Records in the ledger.");
  if (ledger_known) sample("esms_ledger_size", "", ledger_size_.load(std::memory_order_relaxed));
  family("esms_checkpoint_age_seconds", "gauge", "Seconds since the latest signed checkpoint.");
  if (ledger_known) {
    const int64_t at = checkpoint_unix_seconds_.load(std::memory_order_relaxed);
    sample("esms_checkpoint_age_seconds", "", now_unix_seconds > at ? now_unix_seconds - at : 0);
  }

  family("esms_http_requests_total", "counter", "HTTP responses of the front, by status.");
  for (const auto& [status, count] : http_) {
    sample(
        "esms_http_requests_total",
        fmt::format("{{code=\"{}\"}}", status == 0 ? std::string("other") : std::to_string(status)),
        count);
  }

  if (!witness_pushes_.empty() || witness_cosigned_known_.load(std::memory_order_acquire)) {
    family("esms_witness_pushes_total", "counter",
           "Checkpoint pushes to the witnesses (serve --witness), by witness and result.");
    for (const auto& [key, count] : witness_pushes_) {
      sample("esms_witness_pushes_total",
             fmt::format("{{witness=\"{}\",result=\"{}\"}}", EscapeLabelValue(key.first),
                         EscapeLabelValue(key.second)),
             count);
    }
    family("esms_witness_cosigned_size", "gauge",
           "Size of the latest checkpoint stored with a quorum of witness cosignatures.");
    if (witness_cosigned_known_.load(std::memory_order_acquire)) {
      sample("esms_witness_cosigned_size", "",
             witness_cosigned_size_.load(std::memory_order_relaxed));
    }
  }
  return out;
}

}  // namespace esms::service
