// The read view (service/read_view.h) through the Writer in this process, on a real
// ledger: `state` and `check` are answered while the writer thread is busy (they do not
// go through it); under appends from several threads at once, every read from the view
// sees one commit whole (the follower state folded exactly up to the ledger's size, each
// solution of it there) and a read made after an append's answer sees that append. A
// large append is checked in slices by several verifiers and still ends at its first bad
// line, while reads go on; the verifier threads run at a lower priority than the writer
// and the view's reader.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ledger/ledger.h"
#include "projections/projector.h"
#include "service/client.h"
#include "service/writer.h"
#include "tests/testing/cli.h"

namespace esms::testing {
namespace {

namespace fs = std::filesystem;

// What the test's read handler prints: the ledger's size, the state's next seq and the
// solutions it holds, as seen by the read.
service::ReadOutput Observe(const service::ReadRequest&, ledger::Ledger& ledger,
                            projections::Projector& projector) {
  return {fmt::format("{} {} {}", ledger.size(), projector.state().next_seq(),
                      projector.state().referencing().size()),
          "", 0};
}

struct Seen {
  uint64_t size = 0, next_seq = 0, solutions = 0;
};
Seen Parse(const std::string& out) {
  Seen s;
  std::istringstream(out) >> s.size >> s.next_seq >> s.solutions;
  return s;
}

class ReadViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", Path("admin.pem")}).exit_code, 0);
    CliResult dgos = RunCli({"key", "new", "dgos", "--out", Path("dgos.pem"), "--json"});
    ASSERT_EQ(dgos.exit_code, 0) << dgos.err;
    const std::string pub = nlohmann::json::parse(dgos.out)["publicKey"];
    ASSERT_EQ(RunCli({"init", "--origin", "test.example/view", "--admin-key", Path("admin.pem"),
                      "--ledger", Path("db")})
                  .exit_code,
              0);
    const std::string enrol = fmt::format(
        R"({{"id": "key-dgos", "type": "key.enrolled", "at": "2023-01-02", "data": )"
        R"({{"name": "dgos", "publicKey": "{}", "roles": ["national"], "regions": []}}}})"
        "\n",
        pub);
    CliResult enrolled =
        RunCli({"import", "-", "--key", Path("admin.pem"), "--ledger", Path("db")}, enrol);
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
    std::string events;
    for (int i = 0; i < kEvents; ++i) {
      events += fmt::format(
          R"({{"id": "sol-{}", "type": "solution.referenced", "at": "2023-02-01", "data": )"
          R"({{"solution": {{"vendor": "Editeur {}", "product": "DUI", "version": "{}.0"}}, )"
          R"("corridor": "medico-social", "status": "referenced", )"
          R"("referencedAt": "2023-02-01"}}}})"
          "\n",
          i, i % 7, i);
    }
    WriteFile(dir_ / "events.jsonl", events);
    CliResult signed_lines =
        RunCli({"sign", Path("events.jsonl"), "--key", Path("dgos.pem"), "--trust",
                Path("db/ledger.pub"), "--out", Path("signed.jsonl")});
    ASSERT_EQ(signed_lines.exit_code, 0) << signed_lines.err;
    std::istringstream in(ReadFile(dir_ / "signed.jsonl"));
    std::string line;
    uint64_t number = 0;
    while (std::getline(in, line)) {
      auto parsed = service::ParseSignedLine(line);
      ASSERT_TRUE(parsed.ok() && parsed->has_value()) << line;
      (*parsed)->line = ++number;
      lines_.push_back(std::move(**parsed));
    }
    ASSERT_EQ(lines_.size(), static_cast<size_t>(kEvents));
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::unique_ptr<service::Writer> Start() {
    auto ledger = ledger::Ledger::Open(dir_ / "db", ledger::Ledger::Mode::kReadWrite);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    if (!ledger.ok()) return nullptr;
    service::Writer::Options options;
    options.verify_threads = 2;
    options.max_batch_lines = 64;  // many commits
    options.read_handler = Observe;
    auto writer = service::Writer::Start(std::move(ledger).value(), std::move(options));
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    return writer.ok() ? std::move(writer).value() : nullptr;
  }

  // A read of `command` through the writer, answered within 10 s.
  static std::optional<service::ReadOutput> ReadNow(service::Writer& writer,
                                                    service::ReadRequest::Command command,
                                                    int timeout_ms = 10000) {
    auto answer = std::make_shared<std::promise<service::ReadOutput>>();
    auto future = answer->get_future();
    service::ReadRequest request;
    request.command = command;
    request.key = "P-NONE";
    writer.Read(0, request, [answer](service::ReadOutput out) { answer->set_value(out); });
    if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
      return std::nullopt;
    }
    return future.get();
  }

  static constexpr int kEvents = 1200;
  static constexpr uint64_t kBefore = 2;  // genesis and the enrolment of dgos
  TempDir dir_;
  std::vector<service::AppendLine> lines_;
};

TEST_F(ReadViewTest, StateAndCheckAreAnsweredWhileTheWriterThreadIsBusy) {
  auto writer = Start();
  ASSERT_NE(writer, nullptr);
  // The writer thread runs a job that waits for the test: nothing else runs on it.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false, running = false;
  writer->Post([&] {
    std::unique_lock<std::mutex> lock(mu);
    running = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return running; }));
  }
  for (auto command :
       {service::ReadRequest::Command::kState, service::ReadRequest::Command::kCheck}) {
    auto out = ReadNow(*writer, command);
    ASSERT_TRUE(out.has_value()) << "a view read waited for the writer thread";
    const Seen seen = Parse(out->out);
    EXPECT_EQ(seen.size, kBefore);
    EXPECT_EQ(seen.next_seq, kBefore);
  }
  // A read the view does not serve waits for the writer thread.
  auto log_read = std::async(std::launch::async,
                             [&] { return ReadNow(*writer, service::ReadRequest::Command::kLog); });
  EXPECT_EQ(log_read.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  auto log_out = log_read.get();
  ASSERT_TRUE(log_out.has_value());
  EXPECT_EQ(Parse(log_out->out).size, kBefore);
  writer->Stop();
}

TEST_F(ReadViewTest, EveryViewReadSeesOneWholeCommitAndEveryAnsweredAppend) {
  auto writer = Start();
  ASSERT_NE(writer, nullptr);
  constexpr size_t kAppenders = 4, kChunk = 25;
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> reads{0};
  std::atomic<int> appenders_left{static_cast<int>(kAppenders)};
  std::vector<std::string> problems;
  std::mutex problems_mu;
  auto problem = [&](std::string what) {
    std::lock_guard<std::mutex> lock(problems_mu);
    if (problems.size() < 10) problems.push_back(std::move(what));
    failed = true;
  };
  auto check_whole = [&](const service::ReadOutput& out, uint64_t at_least) {
    const Seen seen = Parse(out.out);
    if (seen.size != seen.next_seq || seen.solutions + kBefore != seen.size ||
        seen.size < at_least) {
      problem(fmt::format("read saw '{}', after an answer at size {}", out.out, at_least));
    }
  };
  std::vector<std::thread> threads;
  for (size_t a = 0; a < kAppenders; ++a) {
    threads.emplace_back([&, a] {
      for (size_t first = a * kChunk; first < lines_.size(); first += kAppenders * kChunk) {
        std::vector<service::AppendLine> chunk(
            lines_.begin() + first, lines_.begin() + std::min(first + kChunk, lines_.size()));
        std::promise<service::AppendResult> answered;
        auto future = answered.get_future();
        writer->Append(first, std::move(chunk),
                       [&answered](service::AppendResult r) { answered.set_value(std::move(r)); });
        if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
          problem("an append was not answered");
          break;
        }
        service::AppendResult result = future.get();
        if (!result.refusal.ok()) {
          problem("refused: " + result.refusal.ToString());
          break;
        }
        // Read-your-writes: the view holds at least what was answered.
        auto out = ReadNow(*writer, service::ReadRequest::Command::kState);
        if (!out.has_value()) {
          problem("a read was not answered");
          break;
        }
        ++reads;
        check_whole(*out, result.size);
      }
      --appenders_left;
    });
  }
  // A reader that reads as fast as it can meanwhile.
  threads.emplace_back([&] {
    while (appenders_left > 0 && !failed) {
      auto out = ReadNow(*writer, service::ReadRequest::Command::kCheck);
      if (!out.has_value()) {
        problem("a read was not answered");
        return;
      }
      ++reads;
      check_whole(*out, 0);
    }
  });
  for (std::thread& t : threads) t.join();
  for (const std::string& p : problems) ADD_FAILURE() << p;
  EXPECT_FALSE(failed);
  auto last = ReadNow(*writer, service::ReadRequest::Command::kState);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(Parse(last->out).size, kBefore + kEvents);
  EXPECT_EQ(Parse(last->out).solutions, static_cast<uint64_t>(kEvents));
  EXPECT_GT(reads.load(), kEvents / kChunk);
  writer->Stop();
}

// An append of `lines` through the writer, answered within 60 s.
std::optional<service::AppendResult> AppendNow(service::Writer& writer,
                                               std::vector<service::AppendLine> lines) {
  auto answered = std::make_shared<std::promise<service::AppendResult>>();
  auto future = answered->get_future();
  writer.Append(0, std::move(lines),
                [answered](service::AppendResult r) { answered->set_value(std::move(r)); });
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) return std::nullopt;
  return future.get();
}

TEST_F(ReadViewTest, ALargeAppendIsCheckedInSlicesAndEndsAtItsFirstBadLineWhileReadsGoOn) {
  auto writer = Start();
  ASSERT_NE(writer, nullptr);
  std::atomic<bool> writing{true};
  std::atomic<uint64_t> reads{0};
  std::atomic<bool> inconsistent{false};
  std::thread reader([&] {
    while (writing) {
      auto out = ReadNow(*writer, service::ReadRequest::Command::kState);
      if (!out.has_value()) {
        inconsistent = true;
        return;
      }
      const Seen seen = Parse(out->out);
      if (seen.size != seen.next_seq || seen.solutions + kBefore != seen.size) inconsistent = true;
      ++reads;
    }
  });
  // 300 lines (several slices of service::Writer::kVerifySlice), the 201st undecodable:
  // the 200 before it are appended, nothing after it.
  std::vector<service::AppendLine> first(lines_.begin(), lines_.begin() + 300);
  first[200].event_json = R"({"id": "sol-bad", "type": 3})";
  auto refused = AppendNow(*writer, first);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->results.size(), 200u);
  EXPECT_FALSE(refused->refusal.ok());
  EXPECT_EQ(refused->refused_line, lines_[200].line);
  EXPECT_EQ(refused->refused_id, "sol-bad");
  EXPECT_EQ(refused->size, kBefore + 200);
  // A bad line in the first slice ends the request there, whatever the later slices hold.
  std::vector<service::AppendLine> early(lines_.begin() + 300, lines_.begin() + 500);
  early[3].event_json = "[]";
  auto refused_early = AppendNow(*writer, early);
  ASSERT_TRUE(refused_early.has_value());
  EXPECT_EQ(refused_early->results.size(), 3u);
  EXPECT_EQ(refused_early->refused_line, lines_[303].line);
  EXPECT_EQ(refused_early->size, kBefore + 203);
  // The rest in one request of 897 lines: all appended, the reads answered meanwhile.
  auto rest = AppendNow(*writer, {lines_.begin() + 303, lines_.end()});
  ASSERT_TRUE(rest.has_value());
  EXPECT_TRUE(rest->refusal.ok()) << rest->refusal.ToString();
  EXPECT_EQ(rest->results.size(), lines_.size() - 303);
  for (size_t i = 0; i < rest->results.size(); ++i) {
    ASSERT_EQ(rest->results[i].line, lines_[303 + i].line);  // in order
  }
  writing = false;
  reader.join();
  EXPECT_FALSE(inconsistent);
  EXPECT_GT(reads.load(), 0u);
  auto last = ReadNow(*writer, service::ReadRequest::Command::kState);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(Parse(last->out).size, kBefore + 200 + (lines_.size() - 300));
  writer->Stop();
}

// The nice value of each thread of this process, by thread name (/proc/self/task).
std::multimap<std::string, int> NiceByThreadName() {
  std::multimap<std::string, int> out;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    // The fields after the name, from the 3rd (state): the 19th, nice, is the 17th here.
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
    }
    out.emplace(name, std::stoi(field));
  }
  return out;
}

TEST_F(ReadViewTest, TheVerifierThreadsRunBelowTheWriterAndTheReader) {
  const int base = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  auto writer = Start();
  ASSERT_NE(writer, nullptr);
  // The threads name themselves (and the verifiers lower their priority) as they start,
  // each in its own time: an append may be verified by one verifier while the other, or
  // the view's reader, has not run yet (a loaded machine), so the test waits for them all,
  // at most 10 s.
  auto appended = AppendNow(*writer, {lines_.begin(), lines_.begin() + 10});
  ASSERT_TRUE(appended.has_value() && appended->refusal.ok());
  std::multimap<std::string, int> nice = NiceByThreadName();
  const auto started = [&] {
    if (nice.count("esms-verify") != 2 || nice.count("esms-view") != 1 ||
        nice.count("esms-writer") == 0) {
      return false;
    }
    for (auto [it, end] = nice.equal_range("esms-verify"); it != end; ++it) {
      if (it->second != std::min(19, base + 10)) return false;  // named, not lowered yet
    }
    return true;
  };
  for (int i = 0; i < 1000 && !started(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    nice = NiceByThreadName();
  }
  EXPECT_EQ(nice.count("esms-verify"), 2u);  // Options::verify_threads
  for (auto [it, end] = nice.equal_range("esms-verify"); it != end; ++it) {
    EXPECT_EQ(it->second, std::min(19, base + 10));
  }
  // The writer and the view's reader (and the threads they start, which take their name:
  // the ledger's write thread) at the process's priority.
  ASSERT_GE(nice.count("esms-writer"), 1u);
  ASSERT_EQ(nice.count("esms-view"), 1u);
  for (const char* name : {"esms-writer", "esms-view"}) {
    for (auto [it, end] = nice.equal_range(name); it != end; ++it) {
      EXPECT_EQ(it->second, base) << name;
    }
  }
  writer->Stop();
}

}  // namespace
}  // namespace esms::testing
