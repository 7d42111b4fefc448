// esms_http_serve LEDGER_DIR ADDRESS: the HTTP front (service/http.h) over a ledger opened
// read-only, for tests and for publishing a ledger that no process writes. Prints
// "listening on ADDRESS" (the port bound for HOST:0) on stdout, serves until its standard
// input closes or it gets SIGTERM/SIGINT, then drains and exits 0. The user-facing entry
// is `esms-ledger serve --http ADDR`.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "ledger/ledger.h"
#include "service/http.h"
#include "service/metrics.h"

int main(int argc, char** argv) {
  using esms::ledger::Ledger;
  if (argc != 3) {
    std::fprintf(stderr, "usage: esms_http_serve LEDGER_DIR HOST:PORT|unix:PATH\n");
    return 2;
  }
  // SIGTERM and SIGINT are waited for by sigwait below: blocked on every thread.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto opened = Ledger::Open(argv[1], Ledger::Mode::kReadOnly);
  if (!opened.ok()) {
    std::fprintf(stderr, "error: %s\n", opened.status().ToString().c_str());
    return 4;
  }
  const Ledger& ledger = **opened;
  esms::service::Metrics metrics;
  int64_t last_record_seconds = 0;
  if (ledger.size() > 0) {
    auto head = ledger.Get(ledger.size() - 1);
    if (head.ok()) last_record_seconds = head->recorded_at_micros / 1'000'000;
  }
  metrics.SetLedger(ledger.size(), last_record_seconds);
  esms::service::LedgerReads reads(ledger);
  auto front = esms::service::HttpFrontThread::Start(argv[2], reads, metrics);
  if (!front.ok()) {
    std::fprintf(stderr, "error: %s\n", front.status().ToString().c_str());
    return front.status().error_code() == "USAGE" ? 2 : 4;
  }
  std::printf("listening on %s\n", (*front)->address().c_str());
  std::fflush(stdout);

  // Standard input closing stops it too (a test that dies leaves no server behind).
  std::thread watch_stdin([] {
    char buffer[256];
    while (::read(0, buffer, sizeof buffer) > 0) {
    }
    ::kill(::getpid(), SIGTERM);
  });
  watch_stdin.detach();
  int signal = 0;
  sigwait(&stop, &signal);
  (*front)->Stop();
  std::fprintf(stderr, "stopped (signal %d)\n", signal);
  return 0;  // the stdin watcher, blocked in read(), ends with the process
}
