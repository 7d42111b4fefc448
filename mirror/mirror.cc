// The mirror (mirror/mirror.h): incremental tiles reading and the copy's append.
#include "mirror/mirror.h"

#include <fmt/format.h>
#include <kj/async-io.h>
#include <kj/compat/http.h>
#include <kj/compat/url.h>

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "base/kj.h"
#include "ledger/merkle.h"
#include "ledger/replica.h"

namespace esms::mirror {

using ledger::Bytes;
using ledger::ByteView;
using ledger::Hash;
using ledger::HashesOf;
using ledger::Tile;
using ledger::TilePath;

// ---------------------------------------------------------------------------------
// HTTP.

struct HttpTileSource::Io {
  kj::AsyncIoContext context = kj::setupAsyncIo();
  kj::Own<kj::HttpHeaderTable> table = kj::heap<kj::HttpHeaderTable>();
};

HttpTileSource::~HttpTileSource() = default;

Result<std::unique_ptr<HttpTileSource>> HttpTileSource::Create(std::string base,
                                                               std::chrono::milliseconds timeout) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  bool parsed = false;
  std::optional<std::string> error =
      base::CatchKj([&]() { parsed = kj::Url::tryParse(kj::StringPtr(base.c_str())) != nullptr; });
  if (error || !parsed || !base.starts_with("http://")) {
    return Status::BadInput(fmt::format("--from {}: not an http://HOST:PORT URL", base));
  }
  auto source = std::unique_ptr<HttpTileSource>(new HttpTileSource());
  source->base_ = std::move(base);
  source->timeout_ = timeout;
  error = base::CatchKj([&]() { source->io_ = std::make_unique<Io>(); });
  if (error) return Status::IoError(fmt::format("{}: {}", source->base_, *error));
  return source;
}

Result<std::optional<Bytes>> HttpTileSource::Fetch(std::string_view path) const {
  const std::string url = fmt::format("{}/{}", base_, path);
  Result<std::optional<Bytes>> result = Status::IoError(fmt::format("GET {}: no answer", url));
  std::optional<std::string> error = base::CatchKj([&]() {
    // A connection per request: static servers such as python's http.server answer
    // HTTP/1.0 and close it after each response, which a pooled connection would trip on.
    auto client = kj::newHttpClient(io_->context.provider->getTimer(), *io_->table,
                                    io_->context.provider->getNetwork(), nullptr);
    kj::HttpHeaders headers(*io_->table);
    auto request = client->request(kj::HttpMethod::GET, kj::StringPtr(url.c_str()), headers);
    auto answered = request.response.then([](kj::HttpClient::Response&& response) {
      const unsigned status = response.statusCode;
      return response.body->readAllBytes()
          .attach(kj::mv(response.body))
          .then([status](kj::Array<kj::byte>&& body) {
            return std::make_pair(status, Bytes(body.begin(), body.end()));
          });
    });
    auto timed = io_->context.provider->getTimer().timeoutAfter(timeout_.count() * kj::MILLISECONDS,
                                                                kj::mv(answered));
    auto [status, body] = timed.wait(io_->context.waitScope);
    if (status == 404) {
      result = std::optional<Bytes>();
    } else if (status != 200) {
      result = Status::IoError(fmt::format("GET {}: HTTP status {}", url, status));
    } else {
      result = std::optional<Bytes>(std::move(body));
    }
  });
  if (error) return Status::IoError(fmt::format("GET {}: {}", url, *error));
  return result;
}

Result<std::unique_ptr<ledger::TileSource>> OpenTileSource(const std::string& source) {
  if (source.starts_with("http://") || source.starts_with("https://")) {
    if (source.starts_with("https://")) {
      return Status::BadInput(
          fmt::format("--from {}: https is not supported (serve the tiles over http, or mirror "
                      "the exported directory)",
                      source));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<HttpTileSource> http, HttpTileSource::Create(source));
    return std::unique_ptr<ledger::TileSource>(std::move(http));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(source, ec)) {
    return Status::NotFound(
        fmt::format("--from {}: neither an http:// URL nor a tiles directory", source));
  }
  return std::unique_ptr<ledger::TileSource>(std::make_unique<ledger::DirectoryTileSource>(source));
}

// ---------------------------------------------------------------------------------
// Reading the new tiles.

namespace {

constexpr int kMaxTileLevels = 64 / ledger::kTileHeight;

// The bytes of `tile` (a partial tile that is gone is the prefix of its full tile, as
// c2sp.org/tlog-tiles allows); CORRUPTION naming it when it is missing or of the wrong
// length. Entry bundles come back parsed into `entries` (views into the bytes).
Result<Bytes> FetchTile(const ledger::TileSource& source, const Tile& tile,
                        std::vector<ByteView>* entries) {
  const std::string path = TilePath(tile);
  ASSIGN_OR_RETURN(std::optional<Bytes> bytes, source.Fetch(path));
  bool from_full = false;
  if (!bytes.has_value() && !tile.full()) {
    Tile full = tile;
    full.width = ledger::kTileWidth;
    ASSIGN_OR_RETURN(bytes, source.Fetch(TilePath(full)));
    from_full = bytes.has_value();
  }
  if (!bytes.has_value()) {
    return Status::DataLoss(fmt::format("{} is missing from {}", path, source.Name()));
  }
  const size_t expected = from_full ? ledger::kTileWidth : tile.width;
  if (tile.entries) {
    Result<std::vector<ByteView>> parsed = ledger::ParseEntryBundle(*bytes);
    if (!parsed.ok()) {
      return Status::DataLoss(
          fmt::format("{}: not an entry bundle: {}", path, parsed.status().message()));
    }
    if (parsed->size() != expected) {
      return Status::DataLoss(
          fmt::format("{}: {} entries, the bundle holds {}", path, parsed->size(), expected));
    }
    // The views stay valid: `bytes` is moved out (its buffer with it).
    *entries = std::move(*parsed);
    entries->resize(tile.width);
    return std::move(*bytes);
  }
  if (bytes->size() != expected * sizeof(Hash)) {
    return Status::DataLoss(fmt::format("{}: {} bytes, a tile of {} hashes holds {}", path,
                                        bytes->size(), expected, expected * sizeof(Hash)));
  }
  bytes->resize(tile.width * sizeof(Hash));
  return std::move(*bytes);
}

}  // namespace

Result<MirrorReport> Mirror(const ledger::TileSource& source, const std::filesystem::path& dir,
                            const ledger::NoteVerifier& log_key,
                            const std::function<void(uint64_t done, uint64_t total)>& progress) {
  // The checkpoint, signed by the trusted key.
  ASSIGN_OR_RETURN(std::optional<Bytes> note_bytes, source.Fetch(ledger::kTileCheckpointPath));
  if (!note_bytes.has_value()) {
    return Status::NotFound(
        fmt::format("{} has no {}", source.Name(), ledger::kTileCheckpointPath));
  }
  MirrorReport report;
  report.checkpoint.assign(note_bytes->begin(), note_bytes->end());
  Result<std::string> body = ledger::OpenNote(report.checkpoint, std::span(&log_key, 1));
  if (!body.ok()) {
    return Status::DataLoss(
        ledger::kUnauthorizedCode,
        fmt::format("the checkpoint of {} is not signed by the trusted ledger key {}: {}",
                    source.Name(), ledger::VerifierKey(log_key.name, log_key.key),
                    body.status().message()));
  }
  Result<ledger::Checkpoint> parsed = ledger::ParseCheckpoint(*body);
  if (!parsed.ok()) return Status::DataLoss("checkpoint: " + parsed.status().message());
  const ledger::Checkpoint checkpoint = std::move(parsed).value();
  if (checkpoint.origin != log_key.name) {
    return Status::DataLoss(ledger::kUnauthorizedCode,
                            fmt::format("checkpoint: origin '{}', the trusted log's is '{}'",
                                        checkpoint.origin, log_key.name));
  }

  ASSIGN_OR_RETURN(std::unique_ptr<ledger::Replica> copy,
                   ledger::Replica::Open(dir, log_key, source.Name()));
  const uint64_t old_size = copy->size();
  const uint64_t size = checkpoint.size;
  report.old_size = old_size;
  report.size = size;
  report.root = checkpoint.root;
  if (size < old_size) {
    return Status::DataLoss(
        ledger::kRollbackCode,
        fmt::format("{} signs a tree of {} records, the copy holds {}: a rollback", source.Name(),
                    size, old_size));
  }
  if (size == old_size) {
    if (checkpoint.root != copy->root()) {
      return Status::DataLoss(
          ledger::kConsistencyFailedCode,
          fmt::format("{} signs the root {} at size {}, the copy's root is {}: a fork",
                      source.Name(), ledger::ToHex(checkpoint.root), size,
                      ledger::ToHex(copy->root())));
    }
    return report;  // up to date
  }

  // The tiles that are new or grown since old_size, level by level. Below each level's
  // first fetched tile, the full tiles are the copy's own (its stored nodes).
  std::vector<std::vector<Hash>> partials;
  std::map<uint64_t, Hash> below;   // roots of the full tiles fetched at the level below
  std::vector<Bytes> bundles;       // the entries' storage
  std::vector<ByteView> entries;    // seqs old_size .. size - 1
  std::optional<std::string> fork;  // a hash of the new tree that differs from the copy's
  const uint64_t records = size - old_size;
  for (int level = 0; level < kMaxTileLevels && (size >> (ledger::kTileHeight * level)) > 0;
       ++level) {
    const int shift = ledger::kTileHeight * level;
    const uint64_t hashes = size >> shift;
    const uint64_t held = old_size >> shift;  // hashes of this level the copy holds
    const uint64_t tiles = (hashes + ledger::kTileWidth - 1) / ledger::kTileWidth;
    std::map<uint64_t, Hash> roots;
    partials.emplace_back();
    for (uint64_t n = held / ledger::kTileWidth; n < tiles; ++n) {
      const uint32_t width = n < hashes / ledger::kTileWidth
                                 ? ledger::kTileWidth
                                 : static_cast<uint32_t>(hashes % ledger::kTileWidth);
      const Tile tile{false, level, n, width};
      std::vector<ByteView> none;
      ASSIGN_OR_RETURN(Bytes bytes, FetchTile(source, tile, &none));
      ++report.tiles;
      const std::vector<Hash> tile_hashes = HashesOf(bytes);
      std::vector<ByteView> bundle_entries;
      if (level == 0) {
        const Tile bundle{true, 0, n, width};
        ASSIGN_OR_RETURN(Bytes bundle_bytes, FetchTile(source, bundle, &bundle_entries));
        ++report.tiles;
        bundles.push_back(std::move(bundle_bytes));
        for (uint32_t i = 0; i < width; ++i) {
          if (ledger::LeafHash(bundle_entries[i]) != tile_hashes[i]) {
            return Status::DataLoss(
                fmt::format("{}: entry {} (seq {}) does not hash to hash {} of {}",
                            TilePath(bundle), i, tile.first_leaf() + i, i, TilePath(tile)));
          }
          if (tile.first_leaf() + i >= old_size) entries.push_back(bundle_entries[i]);
        }
        if (progress) progress(entries.size(), records);
      }
      for (uint32_t i = 0; i < width; ++i) {
        const uint64_t k = n * ledger::kTileWidth + i;
        if (k < held) {
          // A subtree of the copy's tree: the new tree must hold the same.
          Result<Hash> own = copy->tree().Get(shift, k);
          if (!own.ok()) return own.status();
          if (*own != tile_hashes[i] && !fork) {
            fork = fmt::format("{}: hash {} (level {}, index {}) is not the copy's", TilePath(tile),
                               i, shift, k);
          }
        } else if (level > 0) {
          auto at = below.find(k);
          if (at == below.end() || at->second != tile_hashes[i]) {
            return Status::DataLoss(
                fmt::format("{}: hash {} is not the root of {}", TilePath(tile), i,
                            TilePath(Tile{false, level - 1, k, ledger::kTileWidth})));
          }
        }
      }
      if (tile.full()) {
        roots[n] = ledger::RootFromLeafHashes(tile_hashes);
      } else {
        partials.back() = tile_hashes;
      }
    }
    below = std::move(roots);
  }
  const Hash root = ledger::RootFromPartialTiles(partials);
  if (root != checkpoint.root) {
    return Status::DataLoss(
        ledger::kConsistencyFailedCode,
        fmt::format("the tiles of {} make the root {}, the checkpoint of size {} signs {}",
                    source.Name(), ledger::ToHex(root), size, ledger::ToHex(checkpoint.root)));
  }
  if (fork) {
    return Status::DataLoss(
        ledger::kConsistencyFailedCode,
        fmt::format("the checkpoint of size {} of {} is not consistent with the copy's of size "
                    "{} (a fork): {}",
                    size, source.Name(), old_size, *fork));
  }
  if (entries.size() != records) {
    return Status::DataLoss(fmt::format("{} entries fetched for the {} new records of {}",
                                        entries.size(), records, source.Name()));
  }

  // Every new record, checked and appended in one write.
  ASSIGN_OR_RETURN(
      ledger::Replica::Appended appended,
      copy->Append(entries, checkpoint, report.checkpoint, [&](uint64_t done, uint64_t total) {
        if (progress) progress(done, total);
      }));
  report.records = appended.records;
  return report;
}

}  // namespace esms::mirror
