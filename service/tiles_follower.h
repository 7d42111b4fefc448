// TilesFollower: `serve --export-tiles DIR` (docs/tiles.md). After the commits, a thread
// of its own brings the C2SP tlog-tiles layout in DIR up to date: it opens the ledger
// read-only (a consistent point in time of the database; read-only opens take no lock)
// and runs ledger::ExportTiles, the very code of `export-tiles --to DIR`: only new or
// grown tiles are written, each file atomically (temporary file and rename), the
// `checkpoint` file last, so a reader of DIR (a web server, `mirror --from DIR`) always
// sees a checkpoint whose tiles are all there. Coalescing: the commits made while an
// export runs are covered by the next one. An export that fails is logged and tried
// again at the next commit (or after a second).
//
// Thread-safety: Notify and Stop may be called from any thread.
#ifndef ESMS_SERVICE_TILES_FOLLOWER_H_
#define ESMS_SERVICE_TILES_FOLLOWER_H_

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

namespace spdlog {
class logger;
}

namespace esms::service {

class TilesFollower {
 public:
  // `ledger_dir`: the served ledger; `out`: the tiles directory (created).
  TilesFollower(std::filesystem::path ledger_dir, std::filesystem::path out, spdlog::logger* log);
  ~TilesFollower();  // Stop()
  TilesFollower(const TilesFollower&) = delete;
  TilesFollower& operator=(const TilesFollower&) = delete;

  // Starts the thread, which exports the ledger as it is at once.
  void Start();
  // A commit made the ledger `size` records long.
  void Notify(uint64_t size);
  // The size of the last export written (0: none yet).
  uint64_t exported_size() const;
  // Finishes the export under way and joins the thread. Idempotent.
  void Stop();

 private:
  void Loop();

  std::filesystem::path ledger_dir_, out_;
  spdlog::logger* log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t notified_ = 0;  // notifications so far
  uint64_t exported_size_ = 0;
  std::thread thread_;
};

}  // namespace esms::service

#endif  // ESMS_SERVICE_TILES_FOLLOWER_H_
