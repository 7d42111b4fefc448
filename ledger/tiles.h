// The ledger as a C2SP tiled transparency log (c2sp.org/tlog-tiles): the Merkle tree and
// the records as a finite set of static files that any web server or object store can
// serve, and that any tlog-tiles client can check against a signed checkpoint.
//
//   checkpoint                  the signed note of the tree (c2sp.org/tlog-checkpoint)
//   tile/<L>/<N>[.p/<W>]        hash tiles: 256 (or W < 256, partial) consecutive hashes
//                               of tree level 8*L, 32 bytes each
//   tile/entries/<N>[.p/<W>]    entry bundles: the records of level-0 tile N, each as a
//                               big-endian uint16 length then the record bytes
//
// <N> is written in 3-digit groups, all but the last prefixed with 'x' (1234067 ->
// x001/x234/067). Tile n of level l holds MTH(D[(256n + i) * 256^l : (256n + i + 1) *
// 256^l]) for i < 256; the tree of size s has, at each level l where s >> 8l > 0,
// s >> 8(l+1) full tiles and, when (s >> 8l) mod 256 > 0, one partial tile of that width
// (never hashed into the level above). An entry hashes (RFC 6962, LeafHash) to the
// hash of the same index in the level-0 tiles. docs/tiles.md describes the layout.
//
// A full tile never changes; a partial tile's path names its width, so every path has
// one content for a given log: an exporter writes each path once, and writes the
// checkpoint last. A record longer than 65 535 bytes cannot be an entry (the uint16
// length): the tiles of a ledger that holds one are refused, naming its seq.
//
// Errors: a tampered, truncated or missing tile is Status::DataLoss (CORRUPTION), its
// message naming the tile; tiles whose root is not the signed checkpoint's, or an export
// directory that holds another tree, DataLoss CONSISTENCY_FAILED; an export directory
// ahead of the ledger, DataLoss ROLLBACK; a ledger with no checkpoint, FailedPrecondition
// NO_CHECKPOINT; I/O errors, IoError (STORAGE_ERROR).
//
// Thread-safety: pure functions and value types, safe from any thread; ExportTiles and
// VerifyTiles only read the ledger (const) and the source given, and ExportTiles must be
// the only writer of its directory.
#ifndef ESMS_LEDGER_TILES_H_
#define ESMS_LEDGER_TILES_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

namespace esms::ledger {

// A tile holds 2^8 hashes (c2sp.org/tlog-tiles: tiles of height 8).
inline constexpr int kTileHeight = 8;
inline constexpr uint32_t kTileWidth = 256;
// The largest entry an entry bundle can hold (its length is a big-endian uint16).
inline constexpr size_t kMaxTileEntryBytes = 65535;
// The path of the signed checkpoint, beside tile/.
inline constexpr std::string_view kTileCheckpointPath = "checkpoint";

// Public codes of the tiles' failures (INTERFACE.md §4).
inline constexpr std::string_view kNoCheckpointCode = "NO_CHECKPOINT";
inline constexpr std::string_view kConsistencyFailedCode = "CONSISTENCY_FAILED";
inline constexpr std::string_view kRollbackCode = "ROLLBACK";

struct Tile {
  bool entries = false;         // an entry bundle rather than a hash tile
  int level = 0;                // hash tiles: 0 (leaf hashes) and up; entry bundles: 0
  uint64_t index = 0;           // N
  uint32_t width = kTileWidth;  // 1..256; below 256 the tile is partial

  bool full() const { return width == kTileWidth; }
  // The first leaf the tile covers, and how many (a hash of level l covers 256^l leaves).
  uint64_t first_leaf() const;
  uint64_t leaf_count() const;
  bool operator==(const Tile&) const = default;
};

// "x001/x234/067" for 1234067; "000" for 0.
std::string TileIndexPath(uint64_t index);
// "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]".
std::string TilePath(const Tile& tile);
// The inverse of TilePath, strictly (no leading zeroes in L or W, 3-digit groups, a
// width of 1..255 after ".p/"); BAD_INPUT for anything else. For servers of the tiles.
Result<Tile> ParseTilePath(std::string_view path);

// Every tile of the tree of `size` leaves: hash tiles level by level (full tiles in
// order, then the partial one), then the entry bundles. Empty for size 0.
std::vector<Tile> TilesOfTree(uint64_t size);
// Whether `tile` is one of TilesOfTree(size).
bool TreeHasTile(uint64_t size, const Tile& tile);

// A hash tile's bytes (width * 32) from a store of complete subtrees: the nodes
// (8 * level, 256 * index + i). Errors of the store pass through.
Result<Bytes> HashTileBytes(const Tile& tile, const SubtreeStore& store);
// An entry bundle of `entries` (the records from seq `first_seq` on). BAD_INPUT naming
// the seq when an entry is longer than kMaxTileEntryBytes.
Result<Bytes> EntryBundleBytes(std::span<const ByteView> entries, uint64_t first_seq);
// The entries of a bundle (views into `bundle`); BAD_INPUT if it is not a sequence of
// length-prefixed entries.
Result<std::vector<ByteView>> ParseEntryBundle(ByteView bundle);
// MTH(D[0:size]) of a tree from the hashes of its partial tiles: `partials[l]` holds the
// hashes of the partial tile of level l (empty when the level has none; the widths are
// size's digits in base 256). No partial tile at all (size 0) gives EmptyRoot().
Hash RootFromPartialTiles(std::span<const std::vector<Hash>> partials);

// The ledger's stored tree as a SubtreeStore (Ledger::SubtreeHash). `ledger` outlives it.
class LedgerSubtrees final : public SubtreeStore {
 public:
  explicit LedgerSubtrees(const Ledger& ledger) : ledger_(ledger) {}
  Result<Hash> Get(int level, uint64_t index) const override;

 private:
  const Ledger& ledger_;
};

// The bytes of a tile of the ledger's tree (within ledger.size()). An entry bundle's
// records are read and each one's leaf hash is checked against the stored tree
// (DataLoss naming the seq otherwise). What a tiles server answers for TilePath(tile).
Result<Bytes> LedgerTileBytes(const Ledger& ledger, const Tile& tile);

// `export-tiles`: writes the tiles of the ledger's latest kept checkpoint into `dir`.
struct TileExport {
  uint64_t size = 0;  // the checkpoint's tree size
  Hash root{};
  std::string checkpoint;  // the signed note written as dir/checkpoint
  uint64_t written = 0;    // files written by this export (the checkpoint included)
  uint64_t kept = 0;       // tiles already in `dir` from an earlier export, left as they were
  uint64_t removed = 0;    // partial tiles removed because their full tile is now there
};
// Incremental: the tiles the checkpoint already in `dir` (from an earlier export of this
// ledger: same origin, signed by the ledger key, its root the ledger's root at its size)
// needs are kept when their file is there; every other tile of the new tree is written,
// each atomically (a temporary file renamed), then everything is made durable, then the
// checkpoint is written (atomically, synced), so a reader never sees a checkpoint whose
// tiles are missing. Then, for each full tile written, the partial tiles of that index
// are removed (c2sp.org/tlog-tiles allows it once the full tile is there). Errors:
// NO_CHECKPOINT, a `dir` holding another log or tree (CONSISTENCY_FAILED) or a larger one
// (ROLLBACK), a record too long for a bundle (BAD_INPUT naming its seq), a checkpoint
// whose root is not the stored tree's (CORRUPTION), I/O (STORAGE_ERROR).
// `progress(done, total)`: tiles written so far, of those to write.
Result<TileExport> ExportTiles(
    const Ledger& ledger, const std::filesystem::path& dir,
    const std::function<void(uint64_t done, uint64_t total)>& progress = {});

// Where a reader fetches tiles from: a directory, or (later) an HTTP prefix.
class TileSource {
 public:
  virtual ~TileSource() = default;
  // The bytes at `path` ("checkpoint", "tile/0/000.p/7"); nullopt when there are none
  // (a 404); IoError when the source cannot be read.
  virtual Result<std::optional<Bytes>> Fetch(std::string_view path) const = 0;
  // Names the source in messages ("/srv/tiles", "https://...").
  virtual std::string Name() const = 0;
};

// The files of a directory (as ExportTiles writes it). Paths with ".." are absent.
class DirectoryTileSource final : public TileSource {
 public:
  explicit DirectoryTileSource(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<std::optional<Bytes>> Fetch(std::string_view path) const override;
  std::string Name() const override { return dir_.string(); }

 private:
  std::filesystem::path dir_;
};

struct TilesVerified {
  Checkpoint checkpoint;  // as signed
  std::string note;       // the checkpoint file
  uint64_t tiles = 0;     // tiles and bundles fetched
};
// The reader a mirror and an auditor use: fetches the checkpoint, checks its signature by
// `log_key` and that its origin is the key's name, then fetches every tile of its tree
// and checks them level by level: each entry's leaf hash against the level-0 tiles, each
// hash of level l > 0 against the root of the full tile of level l - 1 below it, and the
// root of the whole against the checkpoint's. A partial tile that is gone is read from
// the prefix of its full tile (the spec's fallback). `on_entry(seq, bytes)` sees every
// entry, in order, once its bundle has checked against its level-0 tile (its non-OK
// status stops the reading and is returned); the higher tiles and the root are checked
// after: keep what it saw only once VerifyTiles returned OK. Failures: DataLoss CORRUPTION naming
// the tile (missing, wrong length, malformed bundle, a hash that does not match), or a checkpoint
// that is unsigned or malformed; DataLoss CONSISTENCY_FAILED when the tiles' root is not the
// checkpoint's; NotFound when the source has no checkpoint.
Result<TilesVerified> VerifyTiles(
    const TileSource& source, const NoteVerifier& log_key,
    const std::function<Status(uint64_t seq, ByteView entry)>& on_entry = {},
    const std::function<void(uint64_t done, uint64_t total)>& progress = {});

}  // namespace esms::ledger

#endif  // ESMS_LEDGER_TILES_H_
