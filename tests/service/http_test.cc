// service::HttpFront through real sockets on 127.0.0.1, with a small raw HTTP/1.1 client:
// the reads routed to a "writer" thread that commits between them (PostedLedgerReads, as
// the server does), the project's own tiles reader (ledger::VerifyTiles) fetching over
// HTTP while the ledger grows, a read source that fails (500, 503), the connection limit
// (503), the header timeout, and Stop with a connection still open.
#include "service/http.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/tiles.h"
#include "tests/testing/http.h"

namespace esms::service {
namespace {

namespace fs = std::filesystem;
using esms::testing::HttpAnswer;
using esms::testing::HttpConnect;
using esms::testing::HttpRequest;
using esms::testing::ParseHttpAnswer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Everything the server sends until it closes (or 10 s of silence).
std::string ReadAll(int fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

int PortOf(const std::string& address) {
  return std::atoi(address.substr(address.rfind(':') + 1).c_str());
}

// The front's tiles as the project's own reader fetches them: over HTTP.
class HttpTileSource final : public ledger::TileSource {
 public:
  explicit HttpTileSource(int port) : port_(port) {}
  Result<std::optional<ledger::Bytes>> Fetch(std::string_view path) const override {
    HttpAnswer answer = HttpRequest(port_, "GET", "/" + std::string(path));
    if (answer.status == 404) return std::optional<ledger::Bytes>();
    if (answer.status != 200) {
      return Status::IoError("HTTP " + std::to_string(answer.status) + " for " + std::string(path));
    }
    return std::optional<ledger::Bytes>(ledger::Bytes(answer.body.begin(), answer.body.end()));
  }
  std::string Name() const override { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
};

// A writer thread: runs the jobs posted to it, and between them commits batches of
// `per_commit` events until `commits` are done: what the server's writer does.
class Writer {
 public:
  Writer(ledger::Ledger& ledger, const ledger::SigningKey& key, int commits, int per_commit)
      : thread_([this, &ledger, &key, commits, per_commit] {
          int done = 0;
          for (;;) {
            std::function<void()> job;
            {
              std::unique_lock<std::mutex> lock(mu_);
              if (done >= commits) cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
              if (stop_ && jobs_.empty()) return;
              if (!jobs_.empty()) {
                job = std::move(jobs_.front());
                jobs_.pop_front();
              }
            }
            if (job) {
              job();
              continue;
            }
            std::unique_ptr<ledger::Ledger::Batch> batch = ledger.NewBatch();
            for (int i = 0; i < per_commit; ++i) {
              const int n = done * per_commit + i;
              const std::string payload = "event " + std::to_string(n);
              (void)batch->Add({"w-" + std::to_string(n), "2024-03-10", "s", std::nullopt,
                                "test.event", ledger::Bytes(payload.begin(), payload.end())},
                               key);
            }
            if (!batch->Commit().ok()) std::abort();
            ++done;
            commits_done_ = done;
          }
        }) {}
  ~Writer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_all();
  }
  int commits_done() const { return commits_done_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::atomic<int> commits_done_{0};
  std::thread thread_;  // last: starts once the rest is there
};

// A read source that fails as told.
class FailingReads final : public ReadSource {
 public:
  kj::Promise<ReadAnswer> Checkpoint() override {
    return ReadAnswer::Failed(Status::IoError("disk on fire"));
  }
  kj::Promise<ReadAnswer> Tile(const ledger::Tile&) override { return ReadAnswer::Absent(); }
  kj::Promise<Status> Health() override { return Status::Unavailable("the writer is stuck"); }
};

class HttpFrontTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "esms-http-test-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    auto created = ledger::Ledger::Create(dir_ / "ledger", "http.test/esms", "admin", admin_);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ledger_ = std::move(created).value();
  }
  void TearDown() override {
    ledger_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path dir_;
  ledger::SigningKey admin_ = std::move(ledger::SigningKey::Generate()).value();
  std::unique_ptr<ledger::Ledger> ledger_;
  Metrics metrics_;
};

TEST_F(HttpFrontTest, ReadsRoutedToTheWriterThreadCheckWhileTheLedgerGrows) {
  Writer writer(*ledger_, admin_, /*commits=*/120, /*per_commit=*/7);
  PostedLedgerReads reads(*ledger_,
                          [&writer](std::function<void()> job) { writer.Post(std::move(job)); });
  auto front = HttpFrontThread::Start("127.0.0.1:0", reads, metrics_);
  ASSERT_TRUE(front.ok()) << front.status().ToString();
  const int port = PortOf((*front)->address());
  ASSERT_GT(port, 0) << (*front)->address();

  const ledger::NoteVerifier verifier =
      ledger::MakeNoteVerifier(ledger_->origin(), ledger_->ledger_key());
  uint64_t last = 0;
  int rounds = 0;
  for (;;) {
    const bool finished = writer.commits_done() >= 120;  // before the checkpoint is read
    // The project's own tiles reader, over HTTP: the checkpoint, then every tile of its
    // tree, fetched while the writer keeps committing (the tiles of a checkpoint stay
    // served once the tree has grown past it).
    auto verified = ledger::VerifyTiles(HttpTileSource(port), verifier);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_GE(verified->checkpoint.size, last);
    EXPECT_EQ((verified->checkpoint.size - 1) % 7, 0u) << "a checkpoint of a whole commit";
    last = verified->checkpoint.size;
    ++rounds;
    if (finished && rounds >= 2) break;
  }
  EXPECT_EQ(last, 1u + 120 * 7);
  HttpAnswer health = HttpRequest(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  std::cerr << rounds << " tile verifications over HTTP while 120 commits ran\n";
  (*front)->Stop();
}

TEST_F(HttpFrontTest, HeadersOfTheTlogTilesApi) {
  for (int i = 0; i < 300; ++i) {
    const std::string payload = std::to_string(i);
    ASSERT_TRUE(ledger_
                    ->Append({"e-" + std::to_string(i), "2024-03-10", "s", std::nullopt,
                              "test.event", ledger::Bytes(payload.begin(), payload.end())},
                             admin_)
                    .ok());
  }
  LedgerReads reads(*ledger_);
  auto front = HttpFrontThread::Start("127.0.0.1:0", reads, metrics_);
  ASSERT_TRUE(front.ok()) << front.status().ToString();
  const int port = PortOf((*front)->address());

  HttpAnswer checkpoint = HttpRequest(port, "GET", "/checkpoint");
  EXPECT_EQ(checkpoint.status, 200);
  EXPECT_EQ(checkpoint.body, **ledger_->LatestCheckpoint());
  EXPECT_THAT(checkpoint.head, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"));
  EXPECT_THAT(checkpoint.head, HasSubstr("Cache-Control: no-cache"));

  HttpAnswer tile = HttpRequest(port, "GET", "/tile/0/000");
  EXPECT_EQ(tile.status, 200);
  EXPECT_EQ(tile.body.size(), 8192u);
  EXPECT_THAT(tile.head, HasSubstr("Content-Type: application/octet-stream\r\n"));
  EXPECT_THAT(tile.head, HasSubstr("Cache-Control: public, max-age=31536000, immutable"));
  auto expected = ledger::LedgerTileBytes(*ledger_, {false, 0, 0, 256});
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(tile.body, std::string(expected->begin(), expected->end()));
  EXPECT_EQ(HttpRequest(port, "GET", "/tile/entries/001.p/45").status, 200);  // 301 records
  HttpAnswer beyond = HttpRequest(port, "GET", "/tile/entries/001.p/46");
  EXPECT_EQ(beyond.status, 404);
  EXPECT_THAT(beyond.head, HasSubstr("Cache-Control: no-cache"));
  HttpAnswer head = HttpRequest(port, "HEAD", "/tile/0/000");
  EXPECT_EQ(head.status, 200);
  EXPECT_THAT(head.head, HasSubstr("Content-Length: 8192"));
  EXPECT_EQ(head.body, "");
  HttpAnswer put = HttpRequest(port, "PUT", "/checkpoint");
  EXPECT_EQ(put.status, 405);
  EXPECT_THAT(put.head, HasSubstr("Allow: GET, HEAD"));
  EXPECT_EQ(HttpRequest(port, "GET", "/tile/0/0000").status, 400);
  EXPECT_EQ(HttpRequest(port, "GET", "/elsewhere").status, 404);
  HttpAnswer metrics = HttpRequest(port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("esms_http_requests_total{code=\"404\"} 2\n"));
  (*front)->Stop();
}

TEST_F(HttpFrontTest, AFailingSourceIsA500AndAnUnhealthyOneA503) {
  FailingReads reads;
  std::mutex mu;
  std::vector<std::string> logged;
  HttpFrontOptions options;
  options.log_error = [&](std::string_view what) {
    std::lock_guard<std::mutex> lock(mu);
    logged.emplace_back(what);
  };
  auto front = HttpFrontThread::Start("127.0.0.1:0", reads, metrics_, std::move(options));
  ASSERT_TRUE(front.ok()) << front.status().ToString();
  const int port = PortOf((*front)->address());
  HttpAnswer checkpoint = HttpRequest(port, "GET", "/checkpoint");
  EXPECT_EQ(checkpoint.status, 500);
  EXPECT_THAT(checkpoint.body, HasSubstr("disk on fire"));
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(logged.size(), 1u);
    EXPECT_THAT(logged[0], HasSubstr("disk on fire"));
  }
  HttpAnswer health = HttpRequest(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_THAT(health.body, HasSubstr("the writer is stuck"));
  EXPECT_EQ(HttpRequest(port, "GET", "/tile/0/000").status, 404);

  // A posted read whose job is dropped (a writer gone): that request gets a 500, the
  // front goes on.
  PostedLedgerReads dropped(*ledger_, [](std::function<void()>) {});
  auto second = HttpFrontThread::Start("127.0.0.1:0", dropped, metrics_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(HttpRequest(PortOf((*second)->address()), "GET", "/checkpoint").status, 500);
  EXPECT_EQ(HttpRequest(PortOf((*second)->address()), "GET", "/metrics").status, 200);
}

TEST_F(HttpFrontTest, ConnectionsBeyondTheLimitGet503AndIdleOnesTimeOut) {
  LedgerReads reads(*ledger_);
  HttpFrontOptions options;
  options.max_connections = 2;
  options.header_timeout = 1 * kj::SECONDS;
  auto front = HttpFrontThread::Start("127.0.0.1:0", reads, metrics_, std::move(options));
  ASSERT_TRUE(front.ok()) << front.status().ToString();
  const int port = PortOf((*front)->address());
  const int idle1 = HttpConnect(port);
  const int idle2 = HttpConnect(port);
  ASSERT_GE(idle1, 0);
  ASSERT_GE(idle2, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // both accepted
  HttpAnswer third = HttpRequest(port, "GET", "/healthz");
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(third.body, "too many connections\n");
  // The idle ones are closed after the header timeout; then a client is served again.
  const auto start = std::chrono::steady_clock::now();
  ReadAll(idle1);
  ReadAll(idle2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ::close(idle1);
  ::close(idle2);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(HttpRequest(port, "GET", "/healthz").status, 200);
}

TEST_F(HttpFrontTest, StopReturnsWithAConnectionOpenAndRefusesBadAddresses) {
  LedgerReads reads(*ledger_);
  auto front = HttpFrontThread::Start("127.0.0.1:0", reads, metrics_);
  ASSERT_TRUE(front.ok()) << front.status().ToString();
  const int open = HttpConnect(PortOf((*front)->address()));
  ASSERT_GE(open, 0);
  const auto start = std::chrono::steady_clock::now();
  (*front)->Stop(1 * kj::SECONDS);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  (*front)->Stop();  // idempotent
  ::close(open);

  auto bad = HttpFrontThread::Start("no address here", reads, metrics_);
  EXPECT_EQ(bad.status().error_code(), "USAGE") << bad.status().ToString();
  auto unix_front =
      HttpFrontThread::Start("unix:" + (dir_ / "http.sock").string(), reads, metrics_);
  ASSERT_TRUE(unix_front.ok()) << unix_front.status().ToString();
  EXPECT_THAT((*unix_front)->address(), StartsWith("unix:"));
  auto again = HttpFrontThread::Start("unix:" + (dir_ / "http.sock").string(), reads, metrics_);
  EXPECT_EQ(again.status().code(), StatusCode::kIoError) << "the socket is in use";
}

}  // namespace
}  // namespace esms::service
