// esms-witness-bench: cosignatures per second of `esms-ledger witness serve` over HTTP
// (issue #16: ">= 1 000 per second"), printed beside the raw Ed25519 signs per second of
// the same run on one core (the witness signs on one thread).
//
//   esms-witness-bench [--clients N[,N...]] [--per-client K] [--dir DIR]
//
// The witness is the real program, started here on 127.0.0.1 (port 0) with a fresh
// state directory. Each client is a thread with a KJ event loop of its own and one
// keep-alive connection (witness/client.h), and pushes its own log's checkpoints, one
// leaf more each time, old size and RFC 9162 consistency proof included: N clients are
// N logs (distinct origins and ledger keys), so no request is refused. Every answer must
// be a 200 whose cosignature verifies with the witness's key. Each accepted checkpoint
// is on disk (fsync'd) before its answer: the figure is that of the group commit of
// witness/server.h. Timings are wall-clock; nothing is asserted (BENCHMARKS.md).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <kj/async-io.h>

#include "base/kj.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "witness/client.h"
#include "witness/witness.h"

namespace esms::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "esms-witness-bench: {}\n", what);
  std::exit(1);
}
template <typename T>
T OrDie(Result<T> r, std::string_view what) {
  if (!r.ok()) Die(fmt::format("{}: {}", what, r.status().ToString()));
  return std::move(r).value();
}

// One log: its key, its tree, and the requests that take a witness from size k to k+1.
struct Log {
  std::string origin;
  std::string vkey_file;
  std::vector<witness::AddCheckpointRequest> requests;
};

Log MakeLog(int index, int steps, const fs::path& dir) {
  Log log;
  log.origin = fmt::format("ars-{:02}.example/esms", index);
  ledger::SigningKey key = OrDie(ledger::SigningKey::Generate(), "key");
  log.vkey_file = (dir / fmt::format("log-{:02}.pub", index)).string();
  std::ofstream(log.vkey_file) << ledger::VerifierKey(log.origin, key.public_key()) << "\n";
  ledger::MemoryTree tree;
  uint64_t previous = 0;
  for (int step = 0; step < steps; ++step) {
    const std::string leaf = fmt::format("{} record {}", log.origin, step);
    tree.Append(ledger::LeafHash(ledger::AsBytes(leaf)));
    ledger::Checkpoint cp{log.origin, tree.size(), tree.Root(), {}};
    witness::AddCheckpointRequest request;
    request.old_size = previous;
    request.checkpoint = ledger::SignNote(ledger::FormatCheckpoint(cp), log.origin, key);
    if (previous > 0) {
      request.proof = OrDie(ledger::ConsistencyProof(previous, tree.size(), tree), "proof");
    }
    log.requests.push_back(std::move(request));
    previous = tree.size();
  }
  return log;
}

double Ed25519SignsPerSecond() {
  ledger::SigningKey key = OrDie(ledger::SigningKey::Generate(), "key");
  const std::string message(120, 'c');  // about a cosigned checkpoint body
  uint64_t n = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(1)) {
    for (int i = 0; i < 100; ++i) (void)key.Sign(ledger::AsBytes(message));
    n += 100;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
}

struct Witness {
  pid_t pid = -1;
  std::string url;
  ledger::NoteVerifier verifier;
};

Witness StartWitness(const fs::path& dir, const std::vector<Log>& logs, const fs::path& cli) {
  ledger::SigningKey key = OrDie(ledger::SigningKey::Generate(), "witness key");
  const fs::path pem = dir / "witness.pem";
  fs::remove(pem);
  if (Status s = key.WritePem(pem); !s.ok()) Die(s.ToString());
  std::vector<std::string> args = {cli.string(),
                                   "witness",
                                   "serve",
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--key",
                                   pem.string(),
                                   "--name",
                                   "witness.example/bench",
                                   "--state",
                                   (dir / "state").string()};
  for (const Log& log : logs) {
    args.push_back("--log");
    args.push_back(log.vkey_file);
  }
  int out[2];
  if (::pipe(out) != 0) Die("pipe");
  Witness w;
  w.pid = ::fork();
  if (w.pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char c;
  while (std::count(text.begin(), text.end(), '\n') < 2 && ::read(out[0], &c, 1) == 1) text += c;
  ::close(out[0]);
  // "witness NAME listening on http://HOST:PORT\nVKEY\n"
  const size_t at = text.find("http://");
  const size_t nl = text.find('\n');
  if (at == std::string::npos || nl == std::string::npos) Die("the witness did not start: " + text);
  w.url = text.substr(at, nl - at);
  const std::string vkey = text.substr(nl + 1, text.find('\n', nl + 1) - nl - 1);
  w.verifier = OrDie(ledger::ParseVerifierKey(vkey), "witness vkey");
  return w;
}

struct Run {
  uint64_t cosigned = 0;
  uint64_t failed = 0;
  double seconds = 0;
};

Run Measure(int clients, int per_client, const fs::path& dir, const fs::path& cli) {
  const fs::path run_dir = dir / fmt::format("clients-{}", clients);
  fs::create_directories(run_dir);
  std::vector<Log> logs;
  for (int i = 0; i < clients; ++i) logs.push_back(MakeLog(i, per_client, run_dir));
  Witness w = StartWitness(run_dir, logs, cli);

  std::atomic<uint64_t> cosigned{0}, failed{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      std::optional<std::string> error = base::CatchKj([&] {
        auto io = kj::setupAsyncIo();
        auto client = OrDie(witness::WitnessClient::Create(*io.provider, w.url), "client");
        ++ready;
        while (!go.load()) std::this_thread::yield();
        for (const witness::AddCheckpointRequest& request : logs[i].requests) {
          Result<witness::SubmitReply> reply = client->Submit(request).wait(io.waitScope);
          const bool ok =
              reply.ok() && reply->cosigned() &&
              ledger::VerifyCosignature(request.checkpoint + reply->body, w.verifier).ok();
          if (!ok) {
            if (failed.fetch_add(1) < 3) {
              fmt::print(stderr, "refused: {}\n",
                         reply.ok() ? fmt::format("{} {}", reply->http_status, reply->body)
                                    : reply.status().ToString());
            }
            continue;
          }
          ++cosigned;
        }
      });
      if (error) {
        ++failed;
        fmt::print(stderr, "client {}: {}\n", i, *error);
      }
    });
  }
  while (ready.load() < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto start = Clock::now();
  go = true;
  for (std::thread& t : threads) t.join();
  Run run;
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.cosigned = cosigned.load();
  run.failed = failed.load();
  ::kill(w.pid, SIGTERM);
  int status = 0;
  ::waitpid(w.pid, &status, 0);
  return run;
}

int Main(int argc, char** argv) {
  std::vector<int> clients = {1, 19, 64};
  int per_client = 200;
  fs::path dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) Die(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--clients") {
      clients.clear();
      size_t pos = 0;
      while (pos <= v.size()) {
        const size_t comma = v.find(',', pos);
        clients.push_back(std::stoi(v.substr(pos, comma - pos)));
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    } else if (a == "--per-client") {
      per_client = std::stoi(v);
    } else if (a == "--dir") {
      dir = v;
    } else {
      Die("unknown option " + a);
    }
  }
  std::error_code ec;
  const fs::path cli = fs::read_symlink("/proc/self/exe", ec).parent_path() / "esms-ledger";
  if (!fs::exists(cli)) Die(cli.string() + " not built");
  const bool own_dir = dir.empty();
  if (own_dir) dir = fs::temp_directory_path() / fmt::format("esms-witness-bench-{}", ::getpid());
  fs::create_directories(dir);

  const double signs = Ed25519SignsPerSecond();
  fmt::print("{:<58} {:>12}\n", "raw Ed25519 signs/s (libsodium, 1 thread, this run)",
             fmt::format("{:.0f}", signs));
  for (int n : clients) {
    Run run = Measure(n, per_client, dir, cli);
    const double rate = static_cast<double>(run.cosigned) / run.seconds;
    fmt::print("{:<58} {:>12} {:>7.1f}% of raw signs{}\n",
               fmt::format("witness cosignatures/s over HTTP, {} client(s) x {} ({} logs)", n,
                           per_client, n),
               fmt::format("{:.0f}", rate), 100.0 * rate / signs,
               run.failed > 0 ? fmt::format("  ({} FAILED)", run.failed) : "");
    std::fflush(stdout);
  }
  if (own_dir) fs::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace esms::bench

int main(int argc, char** argv) { return esms::bench::Main(argc, argv); }
