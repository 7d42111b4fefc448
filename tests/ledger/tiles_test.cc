#include "ledger/tiles.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/record.h"
#include "tests/ledger/rfc6962_vectors.h"
#include "tests/testing/raw_db.h"

namespace esms::ledger {
namespace {

namespace fs = std::filesystem;

// --- Paths -----------------------------------------------------------------------

TEST(TilePathTest, IndexesAreWrittenInThreeDigitGroups) {
  // c2sp.org/tlog-tiles: "index 1234067 will be encoded as x001/x234/067".
  EXPECT_EQ(TileIndexPath(1234067), "x001/x234/067");
  EXPECT_EQ(TileIndexPath(0), "000");
  EXPECT_EQ(TileIndexPath(7), "007");
  EXPECT_EQ(TileIndexPath(999), "999");
  EXPECT_EQ(TileIndexPath(1000), "x001/000");
  EXPECT_EQ(TileIndexPath(UINT64_MAX), "x018/x446/x744/x073/x709/x551/615");
}

TEST(TilePathTest, HashTilesEntryBundlesAndPartialTiles) {
  EXPECT_EQ(TilePath({false, 0, 0, 256}), "tile/0/000");
  EXPECT_EQ(TilePath({false, 2, 1234067, 256}), "tile/2/x001/x234/067");
  EXPECT_EQ(TilePath({false, 1, 3, 17}), "tile/1/003.p/17");
  EXPECT_EQ(TilePath({true, 0, 273, 112}), "tile/entries/273.p/112");
  EXPECT_EQ(TilePath({true, 0, 1000, 256}), "tile/entries/x001/000");
}

TEST(TilePathTest, ParseIsTheInverseOfTilePath) {
  for (const Tile& tile :
       {Tile{false, 0, 0, 256}, Tile{false, 5, 1234067, 1}, Tile{true, 0, 999, 255},
        Tile{true, 0, 1000, 256}, Tile{false, 63, UINT64_MAX, 200}}) {
    Result<Tile> parsed = ParseTilePath(TilePath(tile));
    ASSERT_TRUE(parsed.ok()) << TilePath(tile) << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, tile) << TilePath(tile);
  }
}

TEST(TilePathTest, ParseRefusesEveryOtherSpelling) {
  for (const char* path : {"",
                           "checkpoint",
                           "tile",
                           "tile/0",
                           "tile/0/",
                           "tile/00/000",
                           "tile/01/000",
                           "tile/64/000",
                           "tile/-1/000",
                           "tile/a/000",
                           "tile/0/00",
                           "tile/0/0000",
                           "tile/0/x000/001",
                           "tile/0/x1/000",
                           "tile/0/x001",
                           "tile/0/001/",
                           "tile/0/000.p",
                           "tile/0/000.p/",
                           "tile/0/000.p/0",
                           "tile/0/000.p/256",
                           "tile/0/000.p/05",
                           "tile/0/000.p/5/6",
                           "tile/0/000.x/5",
                           "tile/entries/000.p/0",
                           "tile/entries",
                           "tile/ENTRIES/000",
                           "tile/0/x018/x446/x744/x073/x709/x551/616",
                           "/tile/0/000",
                           "tile//000"}) {
    EXPECT_FALSE(ParseTilePath(path).ok()) << path;
  }
}

// --- Which tiles a tree has ------------------------------------------------------

std::vector<std::string> Paths(const std::vector<Tile>& tiles) {
  std::vector<std::string> out;
  for (const Tile& t : tiles) out.push_back(TilePath(t));
  return out;
}

TEST(TilesOfTreeTest, TheSpecsExamples) {
  // c2sp.org/tlog-tiles: "a tree of size 70,000 will be represented by 273 full level 0
  // tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial
  // level 1 tile of width 17, and one partial level 2 tile of width 1".
  std::vector<Tile> tiles = TilesOfTree(70000);
  std::map<std::pair<int, bool>, int> full;
  std::map<std::pair<int, bool>, uint32_t> partial;
  for (const Tile& t : tiles) {
    if (t.full()) {
      ++full[std::make_pair(t.level, t.entries)];
    } else {
      EXPECT_EQ(partial.count(std::make_pair(t.level, t.entries)), 0u) << TilePath(t);
      partial[std::make_pair(t.level, t.entries)] = t.width;
    }
  }
  auto full_tiles = [&](int level, bool entries) { return full[std::make_pair(level, entries)]; };
  auto partial_width = [&](int level, bool entries) {
    return partial[std::make_pair(level, entries)];
  };
  EXPECT_EQ(full_tiles(0, false), 273);
  EXPECT_EQ(partial_width(0, false), 112u);
  EXPECT_EQ(full_tiles(1, false), 1);
  EXPECT_EQ(partial_width(1, false), 17u);
  EXPECT_EQ(full_tiles(2, false), 0);
  EXPECT_EQ(partial_width(2, false), 1u);
  EXPECT_EQ(full_tiles(0, true), 273);
  EXPECT_EQ(partial_width(0, true), 112u);
  EXPECT_EQ(tiles.size(), 273u + 1 + 1 + 1 + 1 + 273 + 1);
  EXPECT_EQ(TilePath(tiles[273]), "tile/0/273.p/112");
  EXPECT_EQ(TilePath(tiles.back()), "tile/entries/273.p/112");

  // "a tree of size 256 will be represented by a full level 0 tile and a partial level
  // 1 tile of width 1".
  EXPECT_EQ(Paths(TilesOfTree(256)),
            (std::vector<std::string>{"tile/0/000", "tile/1/000.p/1", "tile/entries/000"}));
  EXPECT_EQ(Paths(TilesOfTree(1)),
            (std::vector<std::string>{"tile/0/000.p/1", "tile/entries/000.p/1"}));
  EXPECT_TRUE(TilesOfTree(0).empty());  // "Empty tiles MUST NOT be served."
}

TEST(TilesOfTreeTest, TreeHasTileAgreesWithTheList) {
  for (uint64_t size : {0, 1, 255, 256, 257, 65535, 65536, 70000}) {
    std::vector<Tile> tiles = TilesOfTree(size);
    for (const Tile& t : tiles) EXPECT_TRUE(TreeHasTile(size, t)) << size << " " << TilePath(t);
    for (const Tile& t : TilesOfTree(size + 1)) {
      const bool listed = std::find(tiles.begin(), tiles.end(), t) != tiles.end();
      EXPECT_EQ(TreeHasTile(size, t), listed) << size << " " << TilePath(t);
    }
    EXPECT_FALSE(TreeHasTile(size, {false, 0, 0, 0}));
    EXPECT_FALSE(TreeHasTile(size, {true, 1, 0, 256}));
  }
}

// --- Tiles of the RFC 6962 reference tree ----------------------------------------

// RFC 6962 / transparency-dev/merkle reference data (tests/ledger/rfc6962_vectors.h).
using rfc6962::kLeafHex;
using rfc6962::kRootHex;

std::vector<Hash> HashesOf(const Bytes& tile) {
  std::vector<Hash> out(tile.size() / 32);
  for (size_t i = 0; i < out.size(); ++i) std::copy_n(tile.begin() + 32 * i, 32, out[i].begin());
  return out;
}

TEST(TileBytesTest, TheReferenceTreesTilesAndRoots) {
  std::vector<Bytes> leaves;
  for (const std::string& hex : kLeafHex) leaves.push_back(FromHex(hex).value());
  MemoryTree tree;
  for (size_t n = 1; n <= leaves.size(); ++n) {
    tree.Append(LeafHash(leaves[n - 1]));
    std::vector<Tile> tiles = TilesOfTree(n);
    ASSERT_EQ(tiles.size(), 2u);
    const Tile level0 = tiles[0];
    EXPECT_EQ(TilePath(level0), "tile/0/000.p/" + std::to_string(n));
    Result<Bytes> bytes = HashTileBytes(level0, tree);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    ASSERT_EQ(bytes->size(), 32 * n);
    std::vector<Hash> hashes = HashesOf(*bytes);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(hashes[i], LeafHash(leaves[i])) << i;
    // The root from the tiles is the reference root of that size.
    EXPECT_EQ(ToHex(RootFromPartialTiles(std::vector<std::vector<Hash>>{hashes})), kRootHex[n - 1])
        << "size " << n;

    std::vector<ByteView> views(leaves.begin(), leaves.begin() + static_cast<ptrdiff_t>(n));
    Result<Bytes> bundle = EntryBundleBytes(views, 0);
    ASSERT_TRUE(bundle.ok());
    Result<std::vector<ByteView>> parsed = ParseEntryBundle(*bundle);
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed->size(), n);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(LeafHash((*parsed)[i]), hashes[i]) << i;
  }
  // The bundle of the 8 leaves, byte for byte: uint16 big-endian lengths.
  std::vector<ByteView> views(leaves.begin(), leaves.end());
  EXPECT_EQ(ToHex(*EntryBundleBytes(views, 0)),
            "0000"
            "000100"
            "000110"
            "00022021"
            "00023031"
            "000440414243"
            "00085051525354555657"
            "0010606162636465666768696a6b6c6d6e6f");
  EXPECT_EQ(ToHex(RootFromPartialTiles(std::vector<std::vector<Hash>>{})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(TileBytesTest, HigherTilesHoldTheRootsOfFullTilesAndTheRootIsTheTrees) {
  MemoryTree tree;
  const std::vector<uint64_t> sizes = {255, 256, 257, 511, 512, 513, 65535, 65536, 65537, 70000};
  uint64_t next = 0;
  for (uint64_t size : sizes) {
    while (tree.size() < size) tree.Append(LeafHash(AsBytes("leaf " + std::to_string(next++))));
    std::vector<std::vector<Hash>> partials;
    for (const Tile& tile : TilesOfTree(size)) {
      if (tile.entries) continue;
      Result<Bytes> bytes = HashTileBytes(tile, tree);
      ASSERT_TRUE(bytes.ok()) << TilePath(tile) << ": " << bytes.status().ToString();
      std::vector<Hash> hashes = HashesOf(*bytes);
      if (tile.level > 0) {
        // Each hash is the root of the full tile below it (spot-check the first and last).
        for (uint32_t i : {uint32_t{0}, tile.width - 1}) {
          Tile below{false, tile.level - 1, tile.index * 256 + i, 256};
          EXPECT_EQ(hashes[i], RootFromLeafHashes(HashesOf(*HashTileBytes(below, tree))))
              << TilePath(tile) << " hash " << i;
        }
      }
      if (!tile.full()) {
        partials.resize(static_cast<size_t>(tile.level) + 1);
        partials[static_cast<size_t>(tile.level)] = hashes;
      }
    }
    Result<Hash> root = RootAt(size, tree);
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(RootFromPartialTiles(partials), *root) << "size " << size;
  }
}

TEST(TileBytesTest, EntriesLongerThanAUint16AreRefusedNamingTheSeq) {
  Bytes big(65536, 'a'), edge(65535, 'b');
  std::vector<ByteView> ok = {edge};
  ASSERT_TRUE(EntryBundleBytes(ok, 7).ok());
  std::vector<ByteView> views = {edge, big};
  Result<Bytes> bundle = EntryBundleBytes(views, 512);
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bundle.status().message().find("seq 513: a record of 65536 bytes"), std::string::npos)
      << bundle.status().message();
}

TEST(TileBytesTest, MalformedBundlesAreRefused) {
  for (const char* hex : {"00", "0001", "000361",
                          "0000"
                          "01"}) {
    Bytes bytes = FromHex(hex).value();
    EXPECT_FALSE(ParseEntryBundle(bytes).ok()) << hex;
  }
  EXPECT_EQ(ParseEntryBundle(Bytes{})->size(), 0u);
}

// --- A ledger's tiles, exported and read back --------------------------------------

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

ino_t Inode(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Every regular file under `dir`, relative.
std::vector<std::string> FilesUnder(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class TilesExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "esms-tiles-test-XXXXXX").string();
    tmp_ = mkdtemp(pattern.data());
    dir_ = tmp_ / "ledger";
    tiles_ = tmp_ / "tiles";
    ledger_ = Create(dir_, "tiles.test/esms");
  }
  void TearDown() override {
    ledger_.reset();
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }

  std::unique_ptr<Ledger> Create(const fs::path& dir, std::string_view origin) {
    Result<std::unique_ptr<Ledger>> created =
        Ledger::Create(dir, origin, "admin", admin_,
                       {.now_micros = [this] { return now_ += 1000; }, .ledger_key = ledger_key_});
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? std::move(created).value() : nullptr;
  }

  // Appends events until the ledger holds `size` records, in one commit (which keeps a
  // checkpoint signed by the ledger key).
  static void GrowTo(Ledger& ledger, uint64_t size, const SigningKey& key,
                     std::string_view tag = "ev", size_t payload_bytes = 40) {
    std::unique_ptr<Ledger::Batch> batch = ledger.NewBatch();
    for (uint64_t i = ledger.size(); i < size; ++i) {
      std::string payload = std::string(tag) + " " + std::to_string(i);
      payload.resize(std::max(payload.size(), payload_bytes), '.');
      Entry e{std::string(tag) + "-" + std::to_string(i),
              "2024-03-10",
              "project/P" + std::to_string(i % 5),
              std::nullopt,
              "test.event",
              Bytes(payload.begin(), payload.end())};
      ASSERT_TRUE(batch->Add(e, key).ok()) << i;
    }
    ASSERT_TRUE(batch->Commit().ok());
  }

  Result<TileExport> Export(const Ledger& ledger) { return ExportTiles(ledger, tiles_); }
  Result<TilesVerified> Read(const std::function<Status(uint64_t, ByteView)>& on_entry = {}) {
    return VerifyTiles(DirectoryTileSource(tiles_), log_key(), on_entry);
  }
  NoteVerifier log_key() const {
    return MakeNoteVerifier("tiles.test/esms", ledger_key_->public_key());
  }
  // Opens a ledger for writing with the ledger key (not kept in the ledger directory).
  std::unique_ptr<Ledger> OpenForWriting(const fs::path& dir) {
    Ledger::Options options;
    options.ledger_key = ledger_key_;
    Result<std::unique_ptr<Ledger>> opened =
        Ledger::Open(dir, Ledger::Mode::kReadWrite, std::move(options));
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // The reader's failure, as "CODE: message".
  std::string ReadFailure() {
    Result<TilesVerified> read = Read();
    return read.ok() ? "OK" : read.status().ToString();
  }

  // Flips one bit of the byte at `offset` of the tile file.
  void Flip(const std::string& path, size_t offset, char mask = 0x01) {
    std::string bytes = ReadFile(tiles_ / path);
    ASSERT_LT(offset, bytes.size()) << path;
    bytes[offset] ^= mask;
    WriteFile(tiles_ / path, bytes);
  }

  fs::path tmp_, dir_, tiles_;
  SigningKey admin_ = std::move(SigningKey::Generate()).value();
  std::shared_ptr<const SigningKey> ledger_key_ =
      std::make_shared<const SigningKey>(std::move(SigningKey::Generate()).value());
  int64_t now_ = 1710000000000000;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(TilesExportTest, ExportsTheLatestCheckpointsTilesAndTheReaderChecksThem) {
  GrowTo(*ledger_, 600, admin_);
  Result<TileExport> exported = Export(*ledger_);
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(exported->size, 600u);
  EXPECT_EQ(exported->root, *ledger_->RootAt(600));
  EXPECT_EQ(exported->written, 8u);  // 7 tiles and the checkpoint
  EXPECT_EQ(exported->kept, 0u);
  EXPECT_EQ(FilesUnder(tiles_),
            (std::vector<std::string>{"checkpoint", "tile/0/000", "tile/0/001", "tile/0/002.p/88",
                                      "tile/1/000.p/2", "tile/entries/000", "tile/entries/001",
                                      "tile/entries/002.p/88"}));
  EXPECT_EQ(ReadFile(tiles_ / "checkpoint"), **ledger_->LatestCheckpoint());
  EXPECT_EQ(ReadFile(tiles_ / "tile/0/002.p/88").size(), 88u * 32);

  // The reader: signature, every entry against its leaf hash, the root.
  std::vector<uint64_t> seqs;
  Result<TilesVerified> read = Read([&](uint64_t seq, ByteView entry) -> Status {
    Result<Record> record = ledger_->Get(seq);
    if (!record.ok() || Bytes(entry.begin(), entry.end()) != record->bytes) {
      return Status::DataLoss("entry " + std::to_string(seq) + " is not the record");
    }
    seqs.push_back(seq);
    return Status::OK();
  });
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->checkpoint.size, 600u);
  EXPECT_EQ(read->checkpoint.root, *ledger_->RootAt(600));
  EXPECT_EQ(read->tiles, 7u);
  ASSERT_EQ(seqs.size(), 600u);
  EXPECT_EQ(seqs.back(), 599u);

  // What a server answers for a path is the file's bytes.
  for (const Tile& tile : TilesOfTree(600)) {
    Result<Bytes> bytes = LedgerTileBytes(*ledger_, tile);
    ASSERT_TRUE(bytes.ok()) << TilePath(tile);
    EXPECT_EQ(std::string(bytes->begin(), bytes->end()), ReadFile(tiles_ / TilePath(tile)))
        << TilePath(tile);
  }
  EXPECT_FALSE(LedgerTileBytes(*ledger_, {false, 0, 3, 256}).ok());
  EXPECT_FALSE(LedgerTileBytes(*ledger_, {true, 0, 2, 89}).ok());
}

TEST_F(TilesExportTest, ASecondExportWritesOnlyNewAndGrownTiles) {
  GrowTo(*ledger_, 600, admin_);
  ASSERT_TRUE(Export(*ledger_).ok());
  const ino_t full0 = Inode(tiles_ / "tile/0/000");
  const ino_t bundle1 = Inode(tiles_ / "tile/entries/001");
  ASSERT_NE(full0, 0u);

  GrowTo(*ledger_, 800, admin_);
  Result<TileExport> again = Export(*ledger_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->size, 800u);
  // Kept: tile/0/000, 001, entries/000, 001. Written: tile/0/002 (now full), 003.p/32,
  // tile/1/000.p/3, entries/002, entries/003.p/32, the checkpoint.
  EXPECT_EQ(again->kept, 4u);
  EXPECT_EQ(again->written, 6u);
  // The partial tiles of tile 2, now full, are gone; tile/1/000.p/2 stays (the spec: a
  // checkpoint's partial tiles are served until their full tile is there).
  EXPECT_EQ(again->removed, 2u);
  EXPECT_EQ(FilesUnder(tiles_),
            (std::vector<std::string>{"checkpoint", "tile/0/000", "tile/0/001", "tile/0/002",
                                      "tile/0/003.p/32", "tile/1/000.p/2", "tile/1/000.p/3",
                                      "tile/entries/000", "tile/entries/001", "tile/entries/002",
                                      "tile/entries/003.p/32"}));
  EXPECT_EQ(Inode(tiles_ / "tile/0/000"), full0);  // not rewritten
  EXPECT_EQ(Inode(tiles_ / "tile/entries/001"), bundle1);
  EXPECT_EQ(ReadFailure(), "OK");

  // Nothing new: nothing written.
  Result<TileExport> same = Export(*ledger_);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->written, 0u);
  EXPECT_EQ(same->kept, 9u);

  // A tile deleted by hand is written again; the others are kept.
  fs::remove(tiles_ / "tile/entries/000");
  Result<TileExport> repaired = Export(*ledger_);
  ASSERT_TRUE(repaired.ok());
  EXPECT_EQ(repaired->written, 1u);
  EXPECT_EQ(ReadFailure(), "OK");
}

TEST_F(TilesExportTest, AReaderOfAnOlderCheckpointFallsBackToTheFullTile) {
  GrowTo(*ledger_, 600, admin_);
  ASSERT_TRUE(Export(*ledger_).ok());
  const std::string old_checkpoint = ReadFile(tiles_ / "checkpoint");
  GrowTo(*ledger_, 800, admin_);
  ASSERT_TRUE(Export(*ledger_).ok());
  // tile/0/002.p/88 was removed once tile/0/002 was full; the reader of the size-600
  // checkpoint reads the prefix of tile/0/002 (and of tile/entries/002).
  ASSERT_FALSE(fs::exists(tiles_ / "tile/0/002.p/88"));
  WriteFile(tiles_ / "checkpoint", old_checkpoint);
  Result<TilesVerified> read = Read();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->checkpoint.size, 600u);
}

TEST_F(TilesExportTest, TamperedTilesAndEntriesAreCaughtNamingTheTile) {
  GrowTo(*ledger_, 600, admin_);
  ASSERT_TRUE(Export(*ledger_).ok());
  ASSERT_EQ(ReadFailure(), "OK");
  const fs::path pristine = tmp_ / "pristine";
  fs::copy(tiles_, pristine, fs::copy_options::recursive);
  auto restore = [&] {
    fs::remove_all(tiles_);
    fs::copy(pristine, tiles_, fs::copy_options::recursive);
  };

  // A byte of a level-0 hash tile: hash 5 of tile/0/001 no longer matches entry 261.
  Flip("tile/0/001", 5 * 32 + 7);
  EXPECT_EQ(ReadFailure(),
            "CORRUPTION: tile/entries/001: entry 5 (seq 261) does not hash to hash 5 of "
            "tile/0/001");
  restore();

  // A byte of an entry (the 3rd of the bundle: after two uint16 lengths and records).
  {
    std::string bundle = ReadFile(tiles_ / "tile/entries/001");
    size_t first = (static_cast<uint8_t>(bundle[0]) << 8) | static_cast<uint8_t>(bundle[1]);
    size_t second_at = 2 + first;
    size_t second = (static_cast<uint8_t>(bundle[second_at]) << 8) |
                    static_cast<uint8_t>(bundle[second_at + 1]);
    Flip("tile/entries/001", second_at + 2 + second + 2 + 10);
  }
  EXPECT_EQ(ReadFailure(),
            "CORRUPTION: tile/entries/001: entry 2 (seq 258) does not hash to hash 2 of "
            "tile/0/001");
  restore();

  // A level-1 hash.
  Flip("tile/1/000.p/2", 32 + 1);
  EXPECT_EQ(ReadFailure(), "CORRUPTION: tile/1/000.p/2: hash 1 is not the root of tile/0/001");
  restore();

  // A bundle's length prefix: it no longer parses into 88 entries.
  Flip("tile/entries/002.p/88", 0, 0x40);
  EXPECT_NE(ReadFailure().find("CORRUPTION: tile/entries/002.p/88: "), std::string::npos)
      << ReadFailure();
  restore();

  // A tile cut short, a tile gone.
  {
    std::string bytes = ReadFile(tiles_ / "tile/0/000");
    WriteFile(tiles_ / "tile/0/000", bytes.substr(0, bytes.size() - 1));
  }
  EXPECT_EQ(ReadFailure(), "CORRUPTION: tile/0/000: 8191 bytes, a tile of 256 hashes holds 8192");
  restore();
  fs::remove(tiles_ / "tile/entries/000");
  EXPECT_EQ(ReadFailure(), "CORRUPTION: tile/entries/000 is missing from " + tiles_.string());
  restore();

  // An entry and its leaf hash changed together, in the partial tiles (never hashed
  // into a higher tile): only the signed root catches it.
  {
    std::string bundle = ReadFile(tiles_ / "tile/entries/002.p/88");
    bundle[5] ^= 0x01;  // a byte of the first entry
    WriteFile(tiles_ / "tile/entries/002.p/88", bundle);
    Result<std::vector<ByteView>> entries = ParseEntryBundle(AsBytes(bundle));
    ASSERT_TRUE(entries.ok());
    Hash leaf = LeafHash((*entries)[0]);
    std::string level0 = ReadFile(tiles_ / "tile/0/002.p/88");
    std::copy(leaf.begin(), leaf.end(), level0.begin());
    WriteFile(tiles_ / "tile/0/002.p/88", level0);
  }
  Result<TilesVerified> forged = Read();
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.status().error_code(), kConsistencyFailedCode);
  EXPECT_EQ(forged.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(forged.status().message().find("the checkpoint of size 600 signs"), std::string::npos)
      << forged.status().message();
  restore();

  // The checkpoint: a changed size, another key, no checkpoint.
  {
    std::string note = ReadFile(tiles_ / "checkpoint");
    note.replace(note.find("\n600\n"), 5, "\n601\n");
    WriteFile(tiles_ / "checkpoint", note);
  }
  EXPECT_NE(ReadFailure().find("CORRUPTION: checkpoint: "), std::string::npos) << ReadFailure();
  restore();
  SigningKey other = std::move(SigningKey::Generate()).value();
  Result<TilesVerified> wrong_key = VerifyTiles(
      DirectoryTileSource(tiles_), MakeNoteVerifier("tiles.test/esms", other.public_key()));
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_EQ(wrong_key.status().code(), StatusCode::kDataLoss);
  fs::remove(tiles_ / "checkpoint");
  EXPECT_EQ(Read().status().code(), StatusCode::kNotFound);
}

TEST_F(TilesExportTest, ADirectoryOfAnotherLogOrTreeIsRefused) {
  GrowTo(*ledger_, 300, admin_);
  ledger_.reset();
  // `copy`: this ledger as it is at 300 records.
  const fs::path copy = tmp_ / "copy";
  fs::copy(dir_, copy, fs::copy_options::recursive);
  ledger_ = OpenForWriting(dir_);
  GrowTo(*ledger_, 500, admin_);
  ASSERT_TRUE(Export(*ledger_).ok());

  // The copy, behind: its latest checkpoint is smaller than the directory's.
  std::unique_ptr<Ledger> behind = OpenForWriting(copy);
  Result<TileExport> rollback = Export(*behind);
  ASSERT_FALSE(rollback.ok());
  EXPECT_EQ(rollback.status().ToString().substr(0, 9), "ROLLBACK:");
  EXPECT_EQ(rollback.status().code(), StatusCode::kDataLoss);

  // The copy, grown otherwise to the same size: a fork.
  GrowTo(*behind, 500, admin_, "fork");
  Result<TileExport> fork = Export(*behind);
  ASSERT_FALSE(fork.ok());
  EXPECT_EQ(fork.status().error_code(), kConsistencyFailedCode);
  EXPECT_NE(fork.status().message().find("the directory holds another tree"), std::string::npos)
      << fork.status().message();

  // Another log.
  std::unique_ptr<Ledger> other = Create(tmp_ / "other", "other.test/esms");
  GrowTo(*other, 10, admin_);
  Result<TileExport> foreign = Export(*other);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().error_code(), kConsistencyFailedCode);
  EXPECT_NE(foreign.status().message().find("another log's tiles"), std::string::npos)
      << foreign.status().message();
  EXPECT_EQ(ReadFailure(), "OK");  // the directory as it was
}

// Record format 2 caps a record at 65 535 bytes (kMaxRecordBytes), so every record can
// be a bundle entry (uint16 length): the largest payload the ledger takes exports, and
// its entry reads back whole. (A longer record never reaches the exporter: the ledger
// refuses it, tests/ledger/record_test.cc.)
TEST_F(TilesExportTest, TheLargestRecordTheLedgerTakesIsABundleEntry) {
  GrowTo(*ledger_, 5, admin_);
  GrowTo(*ledger_, 6, admin_, "big", kMaxPayloadBytes);  // seq 5
  Result<TileExport> exported = Export(*ledger_);
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  Result<Record> big = ledger_->Get(5);
  ASSERT_TRUE(big.ok());
  EXPECT_GT(big->bytes.size(), kMaxPayloadBytes);
  EXPECT_LE(big->bytes.size(), kMaxRecordBytes);
  size_t seen = 0;
  Result<TilesVerified> read = Read([&](uint64_t index, ByteView entry) {
    if (index == 5) {
      EXPECT_EQ(Bytes(entry.begin(), entry.end()), big->bytes);
      ++seen;
    }
    return Status::OK();
  });
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(seen, 1u);
}

TEST_F(TilesExportTest, NoCheckpointIsNoCheckpoint) {
  ledger_.reset();
  {
    testing::RawDb raw(dir_);
    ASSERT_TRUE(raw.ok());
    for (const std::string& key : raw.Keys(storage::kCheckpoints))
      raw.Delete(storage::kCheckpoints, key);
  }
  ledger_ = std::move(Ledger::Open(dir_, Ledger::Mode::kReadOnly)).value();
  Result<TileExport> exported = Export(*ledger_);
  ASSERT_FALSE(exported.ok());
  EXPECT_EQ(exported.status().error_code(), kNoCheckpointCode);
  EXPECT_EQ(exported.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace esms::ledger
