// The mirror: follows a ledger through its C2SP tlog-tiles (docs/tiles.md) and keeps a
// local, read-only copy of it (ledger/replica.h) without trusting the operator.
//
// One run (Mirror): fetches the source's checkpoint and checks its signature by the
// trusted ledger key; refuses a tree smaller than the one the copy holds (ROLLBACK);
// fetches only the tiles that are new or grown since the copy's size, and checks them
// level by level (each entry's leaf hash against the level-0 tiles, each full tile's root
// against the hash above it, the root of the whole against the checkpoint) and against
// the copy (every hash of the new tree that covers leaves the copy holds must be the
// copy's own: that is the consistency of the two checkpoints, the proof computed from
// the tiles); then the copy checks and appends the new records (Replica::Append: every
// record as `verify` checks it, author signatures against the keys as enrolled). Nothing
// is written unless everything checked.
//
// Errors: DataLoss ROLLBACK, CONSISTENCY_FAILED (a fork, or tiles whose root is not the
// checkpoint's), CORRUPTION (a tampered, truncated or missing tile, naming it, or a bad
// record, naming its seq); DataLoss UNAUTHORIZED (a checkpoint not signed by the
// trusted key, an author signature that does not verify); NotFound (no checkpoint);
// IoError (a source or a copy that cannot be read or written).
//
// Thread-safety: a TileSource is used from one thread; Mirror is single-threaded but for
// the signature workers of Replica::Append.
#ifndef ESMS_MIRROR_MIRROR_H_
#define ESMS_MIRROR_MIRROR_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/note.h"
#include "ledger/tiles.h"

namespace esms::mirror {

// A tiles server: GET BASE/checkpoint, BASE/tile/... over HTTP/1.1 (kj-http). A 404 is
// "none"; another status, or no answer within `timeout`, IoError. `base` is
// "http://HOST:PORT" with an optional path prefix.
class HttpTileSource final : public ledger::TileSource {
 public:
  static Result<std::unique_ptr<HttpTileSource>> Create(
      std::string base, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpTileSource() override;
  Result<std::optional<ledger::Bytes>> Fetch(std::string_view path) const override;
  std::string Name() const override { return base_; }

 private:
  struct Io;
  HttpTileSource() = default;
  std::string base_;
  std::chrono::milliseconds timeout_{};
  std::unique_ptr<Io> io_;
};

// The source SOURCE names: "http://..." or a directory.
Result<std::unique_ptr<ledger::TileSource>> OpenTileSource(const std::string& source);

struct MirrorReport {
  uint64_t old_size = 0;  // the copy's size before
  uint64_t size = 0;      // after: the source's checkpoint size
  ledger::Hash root{};
  uint64_t records = 0;  // appended by this run
  uint64_t tiles = 0;    // tiles and entry bundles fetched
  std::string checkpoint;
};

// One run: brings the copy in `dir` (created when absent or empty) up to the source's
// checkpoint. `progress(done, total)`: records fetched and checked.
Result<MirrorReport> Mirror(
    const ledger::TileSource& source, const std::filesystem::path& dir,
    const ledger::NoteVerifier& log_key,
    const std::function<void(uint64_t done, uint64_t total)>& progress = {});

}  // namespace esms::mirror

#endif  // ESMS_MIRROR_MIRROR_H_
