// C2SP tlog-tiles: paths, tile bytes, the exporter and the reader (ledger/tiles.h), and
// Ledger::SubtreeHash, which they read the stored tree through.
#include "ledger/tiles.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "ledger/internal/storage.h"

namespace esms::ledger {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------
// The stored tree.

Result<Hash> Ledger::SubtreeHash(int level, uint64_t index) const {
  if (level < 0 || level >= 64 || index >= (size_ >> level)) {
    return Status::BadInput(fmt::format("node ({}, {}) is not a complete subtree of the {} records",
                                        level, index, size_));
  }
  return internal::StorageTree(*db_).Get(level, index);
}

Result<Hash> LedgerSubtrees::Get(int level, uint64_t index) const {
  return ledger_.SubtreeHash(level, index);
}

namespace {

// a << shift, saturated at UINT64_MAX (tile coordinates of level 7 overflow 64 bits).
uint64_t ShiftSaturated(uint64_t a, int shift) {
  if (a == 0) return 0;
  if (shift >= 64 || a > (UINT64_MAX >> shift)) return UINT64_MAX;
  return a << shift;
}

uint64_t AddSaturated(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// Levels of tiles a tree can have: the hashes of level l are the nodes of tree level 8l.
constexpr int kMaxTileLevels = 64 / kTileHeight;

void AppendU16(Bytes& out, size_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value & 0xff));
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

std::string Errno(int error) { return std::strerror(error); }

}  // namespace

// ---------------------------------------------------------------------------------
// Paths.

uint64_t Tile::first_leaf() const {
  return ShiftSaturated(index, kTileHeight * (entries ? 1 : level + 1));
}

uint64_t Tile::leaf_count() const {
  return ShiftSaturated(width, entries ? 0 : kTileHeight * level);
}

std::string TileIndexPath(uint64_t index) {
  std::vector<unsigned> groups;
  do {
    groups.push_back(static_cast<unsigned>(index % 1000));
    index /= 1000;
  } while (index > 0);
  std::string out;
  for (size_t i = groups.size(); i-- > 1;) out += fmt::format("x{:03d}/", groups[i]);
  out += fmt::format("{:03d}", groups[0]);
  return out;
}

std::string TilePath(const Tile& tile) {
  std::string out =
      tile.entries ? std::string("tile/entries/") : fmt::format("tile/{}/", tile.level);
  out += TileIndexPath(tile.index);
  if (!tile.full()) out += fmt::format(".p/{}", tile.width);
  return out;
}

Result<Tile> ParseTilePath(std::string_view path) {
  auto bad = [&](std::string_view why) {
    return Status::BadInput(fmt::format("'{}' is not a tile path: {}", path, why));
  };
  std::vector<std::string_view> parts = SplitPath(path);
  if (parts.size() < 3 || parts[0] != "tile") return bad("not tile/<L>/<N>[.p/<W>]");
  Tile tile;
  if (parts[1] == "entries") {
    tile.entries = true;
  } else {
    std::optional<uint64_t> level = AllDigits(parts[1]) ? ParseDecimal(parts[1]) : std::nullopt;
    if (!level || *level > 63 || (parts[1].size() > 1 && parts[1][0] == '0')) {
      return bad("the level is a decimal of 0..63 without leading zeroes");
    }
    tile.level = static_cast<int>(*level);
  }
  size_t i = 2;
  uint64_t index = 0;
  bool first = true;
  for (; i < parts.size() && !parts[i].empty() && parts[i][0] == 'x'; ++i, first = false) {
    std::string_view digits = parts[i].substr(1);
    if (digits.size() != 3 || !AllDigits(digits) || (first && digits == "000")) {
      return bad("the index is written in 3-digit groups, the first one not x000");
    }
    const uint64_t group = *ParseDecimal(digits);
    if (index > (UINT64_MAX - group) / 1000) return bad("the index is too large");
    index = index * 1000 + group;
  }
  if (i >= parts.size()) return bad("the index has no last group");
  std::string_view last = parts[i++];
  bool partial = false;
  if (last.size() == 5 && last.substr(3) == ".p") {
    partial = true;
    last = last.substr(0, 3);
  }
  if (last.size() != 3 || !AllDigits(last)) return bad("the index's last group is 3 digits");
  const uint64_t group = *ParseDecimal(last);
  if (index > (UINT64_MAX - group) / 1000) return bad("the index is too large");
  tile.index = index * 1000 + group;
  if (partial) {
    if (i >= parts.size()) return bad("a partial tile's path ends in .p/<W>");
    std::string_view w = parts[i++];
    std::optional<uint64_t> width = AllDigits(w) ? ParseDecimal(w) : std::nullopt;
    if (!width || *width < 1 || *width >= kTileWidth || w[0] == '0') {
      return bad("the width is a decimal of 1..255 without leading zeroes");
    }
    tile.width = static_cast<uint32_t>(*width);
  }
  if (i != parts.size()) return bad("unexpected elements after the index");
  return tile;
}

std::vector<Tile> TilesOfTree(uint64_t size) {
  std::vector<Tile> tiles;
  auto add_level = [&](bool entries, int level) {
    const uint64_t hashes = size >> (kTileHeight * level);
    for (uint64_t n = 0; n < (hashes >> kTileHeight); ++n) {
      tiles.push_back({entries, level, n, kTileWidth});
    }
    if (uint32_t width = static_cast<uint32_t>(hashes % kTileWidth); width > 0) {
      tiles.push_back({entries, level, hashes >> kTileHeight, width});
    }
  };
  for (int level = 0; level < kMaxTileLevels && (size >> (kTileHeight * level)) > 0; ++level) {
    add_level(false, level);
  }
  add_level(true, 0);
  return tiles;
}

bool TreeHasTile(uint64_t size, const Tile& tile) {
  if (tile.width == 0 || tile.width > kTileWidth || tile.level < 0 ||
      tile.level >= kMaxTileLevels || (tile.entries && tile.level != 0)) {
    return false;
  }
  const uint64_t hashes = size >> (kTileHeight * tile.level);
  if (tile.full()) return tile.index < (hashes >> kTileHeight);
  return tile.index == (hashes >> kTileHeight) && tile.width == hashes % kTileWidth;
}

// ---------------------------------------------------------------------------------
// Tile bytes.

Result<Bytes> HashTileBytes(const Tile& tile, const SubtreeStore& store) {
  if (tile.entries || tile.level >= kMaxTileLevels || tile.width == 0 || tile.width > kTileWidth) {
    return Status::BadInput(fmt::format("{} is not a hash tile", TilePath(tile)));
  }
  Bytes out;
  out.reserve(tile.width * sizeof(Hash));
  const uint64_t first = ShiftSaturated(tile.index, kTileHeight);
  for (uint32_t i = 0; i < tile.width; ++i) {
    ASSIGN_OR_RETURN(Hash h, store.Get(kTileHeight * tile.level, first + i));
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

Result<Bytes> EntryBundleBytes(std::span<const ByteView> entries, uint64_t first_seq) {
  Bytes out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].size() > kMaxTileEntryBytes) {
      return Status::BadInput(fmt::format(
          "seq {}: a record of {} bytes cannot be a tlog-tiles entry (an entry bundle holds "
          "entries of at most {} bytes: a big-endian uint16 length)",
          first_seq + i, entries[i].size(), kMaxTileEntryBytes));
    }
    AppendU16(out, entries[i].size());
    out.insert(out.end(), entries[i].begin(), entries[i].end());
  }
  return out;
}

Result<std::vector<ByteView>> ParseEntryBundle(ByteView bundle) {
  std::vector<ByteView> entries;
  size_t at = 0;
  while (at < bundle.size()) {
    if (bundle.size() - at < 2) {
      return Status::BadInput(fmt::format("a length cut short at byte {}", at));
    }
    const size_t length = (size_t{bundle[at]} << 8) | bundle[at + 1];
    at += 2;
    if (bundle.size() - at < length) {
      return Status::BadInput(fmt::format("entry {} announces {} bytes, {} remain", entries.size(),
                                          length, bundle.size() - at));
    }
    entries.push_back(bundle.subspan(at, length));
    at += length;
  }
  return entries;
}

Hash RootFromPartialTiles(std::span<const std::vector<Hash>> partials) {
  // The tree of `size` leaves is the RFC 9162 tree over its "peaks", the perfect subtrees
  // of the binary decomposition of size, largest first: MTH = H(p1, H(p2, ... pk)). The
  // partial tile of level l, of width w = sum of 2^b, holds the hashes of the peaks of
  // height 8l + b, each the root of 2^b consecutive hashes of the tile.
  std::vector<Hash> peaks;
  for (int level = kMaxTileLevels - 1; level >= 0; --level) {
    if (static_cast<size_t>(level) >= partials.size()) continue;
    const std::vector<Hash>& hashes = partials[static_cast<size_t>(level)];
    size_t at = 0;
    for (int bit = kTileHeight - 1; bit >= 0; --bit) {
      const size_t count = size_t{1} << bit;
      if ((hashes.size() & count) == 0) continue;
      peaks.push_back(RootFromLeafHashes(std::span(hashes).subspan(at, count)));
      at += count;
    }
  }
  if (peaks.empty()) return EmptyRoot();
  Hash root = peaks.back();
  for (size_t i = peaks.size() - 1; i-- > 0;) root = NodeHash(peaks[i], root);
  return root;
}

namespace {

// The entry bundle `tile` of the ledger, each record's leaf hash checked against
// `leaf_hashes` (the level-0 tile of the same index).
Result<Bytes> LedgerEntryBundle(const Ledger& ledger, const Tile& tile,
                                std::span<const Hash> leaf_hashes) {
  Bytes out;
  const uint64_t first = tile.first_leaf();
  RETURN_IF_ERROR(ledger.Scan(first, first + tile.width, [&](const Record& record) -> Status {
    const size_t i = static_cast<size_t>(record.seq - first);
    if (i >= leaf_hashes.size() || record.leaf_hash != leaf_hashes[i]) {
      return Status::DataLoss(fmt::format(
          "seq {}: the record's leaf hash is not the stored tree's (run `esms-ledger verify`)",
          record.seq));
    }
    ByteView bytes = record.bytes;
    ASSIGN_OR_RETURN(Bytes framed, EntryBundleBytes(std::span(&bytes, 1), record.seq));
    out.insert(out.end(), framed.begin(), framed.end());
    return Status::OK();
  }));
  return out;
}

}  // namespace

Result<Bytes> LedgerTileBytes(const Ledger& ledger, const Tile& tile) {
  if (tile.width == 0 || tile.width > kTileWidth || tile.level >= kMaxTileLevels ||
      AddSaturated(tile.first_leaf(), tile.leaf_count()) > ledger.size()) {
    return Status::BadInput(
        fmt::format("{} is beyond the ledger's {} records", TilePath(tile), ledger.size()));
  }
  LedgerSubtrees store(ledger);
  if (!tile.entries) return HashTileBytes(tile, store);
  Tile level0 = tile;
  level0.entries = false;
  ASSIGN_OR_RETURN(Bytes hashes, HashTileBytes(level0, store));
  return LedgerEntryBundle(ledger, tile, HashesOf(hashes));
}

// ---------------------------------------------------------------------------------
// Reading a directory.

Result<std::optional<Bytes>> DirectoryTileSource::Fetch(std::string_view path) const {
  if (path.empty() || path.front() == '/' || path.find("..") != std::string_view::npos) {
    return std::optional<Bytes>();
  }
  const fs::path file = dir_ / fs::path(std::string(path));
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<Bytes>();
    return Status::IoError(fmt::format("cannot open {}: {}", file.string(), Errno(errno)));
  }
  // The largest resource: a full bundle of entries of 65 535 bytes.
  constexpr uint64_t kMaxResource = uint64_t{kTileWidth} * (2 + kMaxTileEntryBytes);
  struct stat st {};
  Bytes bytes;
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = Status::IoError(fmt::format("cannot stat {}: {}", file.string(), Errno(errno)));
  } else if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return std::optional<Bytes>();
  } else if (static_cast<uint64_t>(st.st_size) > kMaxResource) {
    status = Status::DataLoss(fmt::format("{}: {} bytes is more than any tile holds", path,
                                          static_cast<uint64_t>(st.st_size)));
  } else {
    bytes.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status = Status::IoError(fmt::format("cannot read {}: {}", file.string(),
                                             n < 0 ? Errno(errno) : "the file shrank"));
        break;
      }
      done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  RETURN_IF_ERROR(status);
  return std::optional<Bytes>(std::move(bytes));
}

// ---------------------------------------------------------------------------------
// Export.

namespace {

Status WriteAll(int fd, ByteView bytes, const fs::path& file) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Status::IoError(fmt::format("cannot write {}: {}", file.string(), Errno(errno)));
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

// `file` replaced by `bytes` through a temporary file and a rename: a reader sees the
// whole old file or the whole new one. `sync`: the file is fsynced before the rename.
Status ReplaceFile(const fs::path& file, ByteView bytes, bool sync) {
  const fs::path tmp = fs::path(file).concat(".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::IoError(fmt::format("cannot create {}: {}", tmp.string(), Errno(errno)));
  Status status = WriteAll(fd, bytes, tmp);
  if (status.ok() && sync && ::fsync(fd) != 0) {
    status = Status::IoError(fmt::format("cannot sync {}: {}", tmp.string(), Errno(errno)));
  }
  if (::close(fd) != 0 && status.ok()) {
    status = Status::IoError(fmt::format("cannot write {}: {}", tmp.string(), Errno(errno)));
  }
  if (status.ok() && ::rename(tmp.c_str(), file.c_str()) != 0) {
    status = Status::IoError(
        fmt::format("cannot rename {} to {}: {}", tmp.string(), file.string(), Errno(errno)));
  }
  if (!status.ok()) ::unlink(tmp.c_str());
  return status;
}

// Makes everything written under `dir` durable: syncfs(2), one call for the thousands of
// tiles an export may write, rather than one fsync each.
Status SyncDirectoryTree(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(fmt::format("cannot open {}: {}", dir.string(), Errno(errno)));
  Status status;
  if (::syncfs(fd) != 0 || ::fsync(fd) != 0) {
    status = Status::IoError(fmt::format("cannot sync {}: {}", dir.string(), Errno(errno)));
  }
  ::close(fd);
  return status;
}

// A tile file an earlier export wrote: there, a regular file, of a size the tile can have.
bool LooksWritten(const fs::path& file, const Tile& tile) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  return tile.entries ? size >= 2 * uint64_t{tile.width} : size == tile.width * sizeof(Hash);
}

Status CreateDirectories(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  return Status::OK();
}

}  // namespace

Result<TileExport> ExportTiles(const Ledger& ledger, const fs::path& dir,
                               const std::function<void(uint64_t, uint64_t)>& progress) {
  ASSIGN_OR_RETURN(std::optional<std::string> latest, ledger.LatestCheckpoint());
  if (!latest.has_value()) {
    return Status::FailedPrecondition(
        kNoCheckpointCode,
        fmt::format("the ledger of {} keeps no checkpoint: sign one with `esms-ledger checkpoint "
                    "--key LEDGER-KEY`",
                    ledger.origin()));
  }
  const NoteVerifier log_key = MakeNoteVerifier(ledger.origin(), ledger.ledger_key());
  Result<std::string> body = OpenNote(*latest, std::span(&log_key, 1));
  if (!body.ok()) {
    return Status::DataLoss("the latest kept checkpoint: " + body.status().message());
  }
  Result<Checkpoint> checkpoint = ParseCheckpoint(*body);
  if (!checkpoint.ok()) {
    return Status::DataLoss("the latest kept checkpoint: " + checkpoint.status().message());
  }
  const uint64_t size = checkpoint->size;
  if (size > ledger.size()) {
    return Status::DataLoss(fmt::format(
        "the latest kept checkpoint is of size {}, beyond the {} records", size, ledger.size()));
  }
  ASSIGN_OR_RETURN(Hash root, ledger.RootAt(size));
  if (root != checkpoint->root) {
    return Status::DataLoss(fmt::format(
        "the checkpoint of size {} signs the root {}, the stored tree's is {} (run `esms-ledger "
        "verify`)",
        size, ToHex(checkpoint->root), ToHex(root)));
  }

  // What an earlier export left in `dir`: its checkpoint says which tiles it wrote.
  uint64_t trusted = 0;
  bool same_checkpoint = false;
  DirectoryTileSource existing(dir);
  ASSIGN_OR_RETURN(std::optional<Bytes> old_note, existing.Fetch(kTileCheckpointPath));
  if (old_note.has_value()) {
    const std::string note(old_note->begin(), old_note->end());
    const std::string where = (dir / kTileCheckpointPath).string();
    Result<std::string> old_body = OpenNote(note, std::span(&log_key, 1));
    Result<Checkpoint> old =
        old_body.ok() ? ParseCheckpoint(*old_body) : Result<Checkpoint>(old_body.status());
    if (!old.ok() || old->origin != ledger.origin()) {
      return Status::DataLoss(
          kConsistencyFailedCode,
          fmt::format("{} is not a checkpoint of {} signed by its ledger key: the directory holds "
                      "another log's tiles ({})",
                      where, ledger.origin(),
                      old.ok() ? "origin " + old->origin : old.status().message()));
    }
    if (old->size > size) {
      return Status::DataLoss(
          kRollbackCode,
          fmt::format("{} is of size {}, larger than the ledger's latest checkpoint ({}): the "
                      "published log cannot go back",
                      where, old->size, size));
    }
    ASSIGN_OR_RETURN(Hash old_root, ledger.RootAt(old->size));
    if (old_root != old->root) {
      return Status::DataLoss(
          kConsistencyFailedCode,
          fmt::format("{} is of size {} with root {}, but this ledger's tree of that size has root "
                      "{}: the directory holds another tree",
                      where, old->size, ToHex(old->root), ToHex(old_root)));
    }
    trusted = old->size;
    same_checkpoint = note == *latest;
  }

  RETURN_IF_ERROR(CreateDirectories(dir));
  TileExport result;
  result.size = size;
  result.root = root;
  result.checkpoint = *latest;
  std::vector<Tile> to_write;
  for (const Tile& tile : TilesOfTree(size)) {
    if (TreeHasTile(trusted, tile) && LooksWritten(dir / TilePath(tile), tile)) {
      ++result.kept;
    } else {
      to_write.push_back(tile);
    }
  }

  LedgerSubtrees store(ledger);
  fs::path made_dir;
  uint64_t done = 0;
  for (const Tile& tile : to_write) {
    Bytes bytes;
    if (tile.entries) {
      Tile level0 = tile;
      level0.entries = false;
      ASSIGN_OR_RETURN(Bytes hashes, HashTileBytes(level0, store));
      ASSIGN_OR_RETURN(bytes, LedgerEntryBundle(ledger, tile, HashesOf(hashes)));
    } else {
      ASSIGN_OR_RETURN(bytes, HashTileBytes(tile, store));
    }
    const fs::path file = dir / TilePath(tile);
    if (file.parent_path() != made_dir) {
      RETURN_IF_ERROR(CreateDirectories(file.parent_path()));
      made_dir = file.parent_path();
    }
    RETURN_IF_ERROR(ReplaceFile(file, bytes, /*sync=*/false));
    ++result.written;
    if (progress) progress(++done, to_write.size());
  }

  // The tiles are durable before the checkpoint that needs them is there.
  std::error_code ec;
  if (!same_checkpoint || !fs::is_regular_file(dir / kTileCheckpointPath, ec)) {
    RETURN_IF_ERROR(SyncDirectoryTree(dir));
    RETURN_IF_ERROR(ReplaceFile(dir / kTileCheckpointPath, AsBytes(*latest), /*sync=*/true));
    RETURN_IF_ERROR(SyncDirectoryTree(dir));
    ++result.written;
  }

  // The partial tiles of a tile now full are no longer needed.
  for (const Tile& tile : to_write) {
    if (!tile.full()) continue;
    const fs::path partials = fs::path(dir / TilePath(tile)).concat(".p");
    if (!fs::is_directory(partials, ec)) continue;
    uint64_t files = 0;
    for (const auto& entry : fs::directory_iterator(partials, ec)) files += entry.is_regular_file();
    fs::remove_all(partials, ec);
    if (ec) {
      return Status::IoError(fmt::format("cannot remove {}: {}", partials.string(), ec.message()));
    }
    result.removed += files;
  }
  return result;
}

// ---------------------------------------------------------------------------------
// Reading and checking.

namespace {

// The bytes of `tile` from `source`: a partial tile that is gone is the prefix of its
// full tile. CORRUPTION when neither is there, or the length is not the tile's.
Result<Bytes> FetchTile(const TileSource& source, const Tile& tile) {
  const std::string path = TilePath(tile);
  ASSIGN_OR_RETURN(std::optional<Bytes> bytes, source.Fetch(path));
  bool from_full = false;
  if (!bytes.has_value() && !tile.full()) {
    Tile full = tile;
    full.width = kTileWidth;
    ASSIGN_OR_RETURN(bytes, source.Fetch(TilePath(full)));
    from_full = bytes.has_value();
  }
  if (!bytes.has_value()) {
    return Status::DataLoss(fmt::format("{} is missing from {}", path, source.Name()));
  }
  if (tile.entries) {
    Result<std::vector<ByteView>> entries = ParseEntryBundle(*bytes);
    if (!entries.ok()) {
      return Status::DataLoss(
          fmt::format("{}: not an entry bundle: {}", path, entries.status().message()));
    }
    const size_t expected = from_full ? kTileWidth : tile.width;
    if (entries->size() != expected) {
      return Status::DataLoss(
          fmt::format("{}: {} entries, the bundle holds {}", path, entries->size(), expected));
    }
    if (from_full) {
      const ByteView& last = (*entries)[tile.width - 1];
      bytes->resize(static_cast<size_t>(last.data() + last.size() - bytes->data()));
    }
    return std::move(*bytes);
  }
  const size_t expected = (from_full ? kTileWidth : tile.width) * sizeof(Hash);
  if (bytes->size() != expected) {
    return Status::DataLoss(fmt::format("{}: {} bytes, a tile of {} hashes holds {}", path,
                                        bytes->size(), expected / sizeof(Hash), expected));
  }
  bytes->resize(tile.width * sizeof(Hash));
  return std::move(*bytes);
}

}  // namespace

Result<TilesVerified> VerifyTiles(const TileSource& source, const NoteVerifier& log_key,
                                  const std::function<Status(uint64_t, ByteView)>& on_entry,
                                  const std::function<void(uint64_t, uint64_t)>& progress) {
  ASSIGN_OR_RETURN(std::optional<Bytes> note_bytes, source.Fetch(kTileCheckpointPath));
  if (!note_bytes.has_value()) {
    return Status::NotFound(fmt::format("{} has no {}", source.Name(), kTileCheckpointPath));
  }
  TilesVerified out;
  out.note.assign(note_bytes->begin(), note_bytes->end());
  Result<std::string> body = OpenNote(out.note, std::span(&log_key, 1));
  if (!body.ok()) return Status::DataLoss("checkpoint: " + body.status().message());
  Result<Checkpoint> checkpoint = ParseCheckpoint(*body);
  if (!checkpoint.ok()) return Status::DataLoss("checkpoint: " + checkpoint.status().message());
  if (checkpoint->origin != log_key.name) {
    return Status::DataLoss(fmt::format("checkpoint: origin '{}', the log's is '{}'",
                                        checkpoint->origin, log_key.name));
  }
  out.checkpoint = std::move(*checkpoint);
  const uint64_t size = out.checkpoint.size;

  std::vector<std::vector<Hash>> partials;
  std::vector<Hash> below;  // the roots of the full tiles of the level below, in order
  for (int level = 0; level < kMaxTileLevels && (size >> (kTileHeight * level)) > 0; ++level) {
    const uint64_t hashes = size >> (kTileHeight * level);
    const uint64_t tiles = (hashes + kTileWidth - 1) / kTileWidth;
    std::vector<Hash> roots;
    // (not reserved from `size`: a signed size is no promise that the tiles exist)
    partials.emplace_back();
    for (uint64_t n = 0; n < tiles; ++n) {
      const uint32_t width =
          n < hashes / kTileWidth ? kTileWidth : static_cast<uint32_t>(hashes % kTileWidth);
      const Tile tile{false, level, n, width};
      ASSIGN_OR_RETURN(Bytes bytes, FetchTile(source, tile));
      ++out.tiles;
      std::vector<Hash> tile_hashes = HashesOf(bytes);
      if (level == 0) {
        const Tile bundle{true, 0, n, width};
        ASSIGN_OR_RETURN(Bytes bundle_bytes, FetchTile(source, bundle));
        ++out.tiles;
        ASSIGN_OR_RETURN(std::vector<ByteView> entries, ParseEntryBundle(bundle_bytes));
        for (uint32_t i = 0; i < width; ++i) {
          if (LeafHash(entries[i]) != tile_hashes[i]) {
            return Status::DataLoss(
                fmt::format("{}: entry {} (seq {}) does not hash to hash {} of {}",
                            TilePath(bundle), i, tile.first_leaf() + i, i, TilePath(tile)));
          }
        }
        if (on_entry) {
          for (uint32_t i = 0; i < width; ++i) {
            RETURN_IF_ERROR(on_entry(tile.first_leaf() + i, entries[i]));
          }
        }
        if (progress) progress(tile.first_leaf() + width, size);
      } else {
        for (uint32_t i = 0; i < width; ++i) {
          const uint64_t k = n * kTileWidth + i;
          if (tile_hashes[i] != below[static_cast<size_t>(k)]) {
            return Status::DataLoss(fmt::format("{}: hash {} is not the root of {}", TilePath(tile),
                                                i,
                                                TilePath(Tile{false, level - 1, k, kTileWidth})));
          }
        }
      }
      if (tile.full()) {
        roots.push_back(RootFromLeafHashes(tile_hashes));
      } else {
        partials.back() = std::move(tile_hashes);
      }
    }
    below = std::move(roots);
  }
  const Hash root = RootFromPartialTiles(partials);
  if (root != out.checkpoint.root) {
    return Status::DataLoss(
        kConsistencyFailedCode,
        fmt::format("the tiles of {} make the root {}, the checkpoint of size {} signs {}",
                    source.Name(), ToHex(root), size, ToHex(out.checkpoint.root)));
  }
  return out;
}

}  // namespace esms::ledger
