// esms-service-bench: per-request figures of `esms-ledger serve` (issue 15's goals), from
// long-lived clients (service/client.h: connected and logged in once, the connection
// reused), timed on the client side. tests/bench/service.sh runs it.
//
//   esms-service-bench reads --server ADDR [--tls-ca CA] --project P --seconds S
//                            [--stop-file F]
//     `state P` then `check P --at 2025-12-05`, in turn, for S seconds or until F exists:
//     p50 / p99 / max of each call, in ms (one call at a time: a call's latency is its
//     whole round trip).
//   esms-service-bench append --server ADDR [--tls-ca CA] --file SIGNED.jsonl
//                             [--clients C] [--chunk N] [--rate R]
//     C clients (threads, each its connection) append the signed lines (`sign`'s output) in
//     chunks of N lines, client k taking chunks k, k+C, ...; with --rate R, the chunks are
//     sent on a fixed schedule of R records/s in all (chunk j at j*N/R s; a client late on
//     its schedule sends at once), else as fast as they are answered. Prints the records/s
//     reached and the acknowledgement latency of a chunk (sent -> durable answer), p50 /
//     p99 / max in ms.
//   esms-service-bench import --server ADDR [--tls-ca CA] --file SIGNED.jsonl
//                             [--clients C] [--chunk N]
//     One load generator holding C connections at once (as wrk or pgbench -c C do), each
//     on a thread of its own with its own login and session: connection k takes the k-th
//     of C contiguous slices of the file's lines, of equal line counts (as `split -n l/C`
//     cuts them for the C `import --server` processes), reads each line as `import --server` reads
//     it (service::ParseSignedLine) and sends chunks of N lines (default 1 000, as `import
//     --server`), each once the previous one is answered. Timed from before the
//     connections to the last answer: prints the records/s and this process's CPU time.
// Exit 0; 1 when a call fails or a line is refused; 2 on usage errors.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <fmt/format.h>

#include "service/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using esms::service::AppendLine;
using esms::service::Client;
using esms::service::ClientOptions;
using esms::service::ReadRequest;

struct Args {
  std::string mode, server, tls_ca, project, file, stop_file;
  double seconds = 10, rate = 0;
  size_t clients = 32, chunk = 0;  // chunk 0: 100 for append, 1 000 for import
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// "p50 X ms, p99 Y ms, max Z ms (n N)" of `v` (sorted here).
std::string Percentiles(std::vector<double> v) {
  if (v.empty()) return "no sample";
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
    return v[std::min(v.size(), std::max<size_t>(i, 1)) - 1];
  };
  return fmt::format("p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms (n {})", at(0.50), at(0.99),
                     v.back(), v.size());
}

std::unique_ptr<Client> Connect(const Args& a) {
  ClientOptions options;
  options.server = a.server;
  options.tls_ca = a.tls_ca;
  auto client = Client::Connect(options);
  if (!client.ok()) {
    fmt::print(stderr, "connect: {}\n", client.status().ToString());
    return nullptr;
  }
  return std::move(client).value();
}

int Reads(const Args& a) {
  std::unique_ptr<Client> client = Connect(a);
  if (client == nullptr) return 1;
  std::vector<double> state, check;
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(a.seconds));
  bool failed = false;
  auto stopped = [&] {
    std::error_code ec;
    return !a.stop_file.empty() && std::filesystem::exists(a.stop_file, ec);
  };
  for (bool is_state = true; Clock::now() < end && !stopped(); is_state = !is_state) {
    ReadRequest r;
    r.command = is_state ? ReadRequest::Command::kState : ReadRequest::Command::kCheck;
    r.key = a.project;
    if (!is_state) r.at = "2025-12-05";
    const auto t0 = Clock::now();
    auto out = client->Read(r);
    const double ms = Ms(Clock::now() - t0);
    if (!out.ok()) {
      fmt::print(stderr, "read: {}\n", out.status().ToString());
      failed = true;
      break;
    }
    (is_state ? state : check).push_back(ms);
  }
  fmt::print("state: {}\ncheck: {}\n", Percentiles(state), Percentiles(check));
  return failed ? 1 : 0;
}

int Appends(const Args& a) {
  std::ifstream in(a.file);
  if (!in) {
    fmt::print(stderr, "cannot read {}\n", a.file);
    return 2;
  }
  std::vector<AppendLine> lines;
  std::string text;
  while (std::getline(in, text)) {
    auto parsed = esms::service::ParseSignedLine(text);
    if (!parsed.ok() || !parsed->has_value()) {
      fmt::print(stderr, "line {}: not a signed line\n", lines.size() + 1);
      return 2;
    }
    (*parsed)->line = lines.size() + 1;
    lines.push_back(std::move(**parsed));
  }
  const size_t chunks = (lines.size() + a.chunk - 1) / a.chunk;
  std::mutex mu;
  std::vector<double> acks;
  std::atomic<bool> failed{false};
  std::latch connected(static_cast<std::ptrdiff_t>(a.clients));
  const auto start = Clock::now() + std::chrono::milliseconds(500);  // after the connections
  std::vector<std::thread> threads;
  for (size_t k = 0; k < a.clients; ++k) {
    threads.emplace_back([&, k] {
      // Connected on its thread (one kj event loop a thread), before the schedule starts.
      std::unique_ptr<Client> client = Connect(a);
      if (client == nullptr) failed = true;
      connected.count_down();
      connected.wait();
      if (client == nullptr) return;
      std::this_thread::sleep_until(start);
      std::vector<double> mine;
      for (size_t j = k; j < chunks && !failed; j += a.clients) {
        if (a.rate > 0) {
          std::this_thread::sleep_until(
              start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                          static_cast<double>(j * a.chunk) / a.rate)));
        }
        std::vector<AppendLine> chunk(lines.begin() + j * a.chunk,
                                      lines.begin() + std::min(lines.size(), (j + 1) * a.chunk));
        const auto t0 = Clock::now();
        auto result = client->Append(chunk);
        mine.push_back(Ms(Clock::now() - t0));
        if (!result.ok() || !result->refusal.ok()) {
          fmt::print(stderr, "append: {}\n",
                     result.ok() ? result->refusal.ToString() : result.status().ToString());
          failed = true;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      acks.insert(acks.end(), mine.begin(), mine.end());
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("records/s: {:.0f} ({} records, {} clients, chunks of {}{})\n",
             static_cast<double>(lines.size()) / seconds, lines.size(), a.clients, a.chunk,
             a.rate > 0 ? fmt::format(", paced at {:.0f} records/s", a.rate) : "");
  fmt::print("ack: {}\n", Percentiles(acks));
  return failed ? 1 : 0;
}

// This process's CPU time (user + system), in seconds.
double CpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](timeval t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int Imports(const Args& a) {
  std::ifstream in(a.file);
  if (!in) {
    fmt::print(stderr, "cannot read {}\n", a.file);
    return 2;
  }
  std::vector<std::string> texts;
  for (std::string text; std::getline(in, text);) texts.push_back(std::move(text));
  std::atomic<bool> failed{false};
  const double cpu0 = CpuSeconds();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (size_t k = 0; k < a.clients; ++k) {
    threads.emplace_back([&, k] {
      const size_t first = texts.size() * k / a.clients;
      const size_t end = texts.size() * (k + 1) / a.clients;
      std::unique_ptr<Client> client = Connect(a);  // on its thread: one kj event loop each
      if (client == nullptr) {
        failed = true;
        return;
      }
      std::vector<AppendLine> chunk;
      for (size_t i = first; i < end && !failed; ++i) {
        auto parsed = esms::service::ParseSignedLine(texts[i]);
        if (!parsed.ok() || !parsed->has_value()) {
          fmt::print(stderr, "line {}: not a signed line\n", i + 1);
          failed = true;
          return;
        }
        (*parsed)->line = i + 1;
        chunk.push_back(std::move(**parsed));
        if (chunk.size() < a.chunk && i + 1 < end) continue;
        auto result = client->Append(chunk);
        if (!result.ok() || !result->refusal.ok()) {
          fmt::print(stderr, "append: {}\n",
                     result.ok() ? result->refusal.ToString() : result.status().ToString());
          failed = true;
        }
        chunk.clear();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print(
      "records/s: {:.0f} ({} records, {} connections in one process, chunks of {}); "
      "this process's CPU: {:.2f} s\n",
      static_cast<double>(texts.size()) / seconds, texts.size(), a.clients, a.chunk,
      CpuSeconds() - cpu0);
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    fmt::print(stderr, "usage: esms-service-bench reads|append|import --server ADDR ...\n");
    return 2;
  }
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--server")
      a.server = value;
    else if (flag == "--tls-ca")
      a.tls_ca = value;
    else if (flag == "--project")
      a.project = value;
    else if (flag == "--file")
      a.file = value;
    else if (flag == "--stop-file")
      a.stop_file = value;
    else if (flag == "--seconds")
      a.seconds = std::atof(value);
    else if (flag == "--rate")
      a.rate = std::atof(value);
    else if (flag == "--clients")
      a.clients = std::max(1, std::atoi(value));
    else if (flag == "--chunk")
      a.chunk = std::max(1, std::atoi(value));
    else {
      fmt::print(stderr, "unknown option {}\n", flag);
      return 2;
    }
  }
  if (a.server.empty()) {
    fmt::print(stderr, "--server is required\n");
    return 2;
  }
  if (a.chunk == 0) a.chunk = a.mode == "import" ? 1000 : 100;
  if (a.mode == "reads") return Reads(a);
  if (a.mode == "append") return Appends(a);
  if (a.mode == "import") return Imports(a);
  fmt::print(stderr, "unknown mode {}\n", a.mode);
  return 2;
}
