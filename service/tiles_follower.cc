// The tiles kept current by `serve --export-tiles`. See service/tiles_follower.h.
#include "service/tiles_follower.h"

#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>

#include "ledger/ledger.h"
#include "ledger/tiles.h"

namespace esms::service {

TilesFollower::TilesFollower(std::filesystem::path ledger_dir, std::filesystem::path out,
                             spdlog::logger* log)
    : ledger_dir_(std::move(ledger_dir)), out_(std::move(out)), log_(log) {}

TilesFollower::~TilesFollower() { Stop(); }

void TilesFollower::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = 1;  // export at once
  }
  thread_ = std::thread([this] { Loop(); });
}

void TilesFollower::Notify(uint64_t /*size*/) {
  std::lock_guard<std::mutex> lock(mu_);
  ++notified_;
  cv_.notify_one();
}

uint64_t TilesFollower::exported_size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return exported_size_;
}

void TilesFollower::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void TilesFollower::Loop() {
  uint64_t done = 0;  // notifications covered by the last export
  while (true) {
    uint64_t upto = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || notified_ != done; });
      if (stopping_) return;
      upto = notified_;
    }
    // Opened after the notification: the ledger holds at least that commit.
    Result<std::unique_ptr<ledger::Ledger>> opened =
        ledger::Ledger::Open(ledger_dir_, ledger::Ledger::Mode::kReadOnly);
    Result<ledger::TileExport> exported = opened.ok() ? ledger::ExportTiles(**opened, out_)
                                                      : Result<ledger::TileExport>(opened.status());
    if (exported.ok()) {
      done = upto;
      std::lock_guard<std::mutex> lock(mu_);
      exported_size_ = exported->size;
      continue;
    }
    if (log_ != nullptr) {
      log_->error("export-tiles to {}: {}", out_.string(), exported.status().ToString());
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    if (stopping_) return;
  }
}

}  // namespace esms::service
