#include "ledger/ledger.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "ledger/hash.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/record.h"
#include "tests/testing/raw_db.h"

extern char** environ;

namespace esms::ledger {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "esms-ledger-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

SigningKey NewKey() { return std::move(SigningKey::Generate()).value(); }
Bytes BytesOf(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() / "ledger";
    Result<std::unique_ptr<Ledger>> created =
        Ledger::Create(dir_, "esms.test/bzh", "admin", admin_,
                       {.now_micros = [this] { return now_ += 1000; }, .ledger_key = nullptr});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ledger_ = std::move(created).value();
  }

  static Entry Event(std::string id, std::string stream, std::string payload,
                     std::optional<uint64_t> expected_version = std::nullopt) {
    return Entry{std::move(id),    "2024-03-10", std::move(stream),
                 expected_version, "test.event", BytesOf(payload)};
  }
  static Entry Enrol(std::string id, std::string_view name, const SigningKey& key,
                     std::vector<std::string> roles, std::vector<std::string> regions = {}) {
    return Entry{std::move(id),
                 "2024-03-01",
                 std::string(kProgrammeStream),
                 std::nullopt,
                 std::string(kKeyEnrolledType),
                 EncodeKeyEnrolled(name, key.public_key(), roles, regions)};
  }
  static Entry Revoke(std::string id, std::string_view name) {
    return Entry{std::move(id),
                 "2024-03-01",
                 std::string(kProgrammeStream),
                 std::nullopt,
                 std::string(kKeyRevokedType),
                 EncodeKeyRevoked(name, "left the ARS")};
  }

  // seq 1: ars (ars-instructor, 53); seq 2: porteur.
  void EnrolArsAndPorteur() {
    ASSERT_TRUE(
        ledger_->Append(Enrol("k-ars", "ars", ars_, {"ars-instructor"}, {"53"}), admin_).ok());
    ASSERT_TRUE(ledger_->Append(Enrol("k-porteur", "porteur", porteur_, {"porteur"}), admin_).ok());
  }

  void ExpectVerifies(const Ledger& ledger) {
    Result<Ledger::VerifyReport> report = ledger.Verify();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok) << report->problem;
    EXPECT_EQ(report->size, ledger.size());
    EXPECT_EQ(report->first_bad, std::nullopt);
    EXPECT_EQ(report->root, *ledger.RootAt(ledger.size()));
  }

  TempDir tmp_;
  fs::path dir_;
  SigningKey admin_ = NewKey();
  SigningKey ars_ = NewKey();
  SigningKey porteur_ = NewKey();
  int64_t now_ = 1710000000000000;
  std::unique_ptr<Ledger> ledger_;
};

// --- Create / Open ---------------------------------------------------------------

TEST_F(LedgerTest, CreateWritesGenesisLedgerPubAndFirstCheckpoint) {
  EXPECT_EQ(ledger_->size(), 1u);
  EXPECT_EQ(ledger_->origin(), "esms.test/bzh");
  // The ledger key is not the admin's: a new key, kept in ledger.key (mode 0600).
  EXPECT_NE(ledger_->ledger_key(), admin_.public_key());
  Result<SigningKey> ledger_key = SigningKey::LoadPem(dir_ / "ledger.key");
  ASSERT_TRUE(ledger_key.ok()) << ledger_key.status().ToString();
  EXPECT_EQ(ledger_key->public_key(), ledger_->ledger_key());
  EXPECT_EQ(fs::status(dir_ / "ledger.key").permissions() &
                (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
  Result<Record> genesis = ledger_->Get(0);
  ASSERT_TRUE(genesis.ok()) << genesis.status().ToString();
  EXPECT_EQ(genesis->seq, 0u);
  EXPECT_EQ(genesis->prev_hash, Hash{});
  EXPECT_EQ(genesis->event_id, "genesis");
  EXPECT_EQ(genesis->stream, "programme");
  EXPECT_EQ(genesis->stream_version, 0u);
  EXPECT_EQ(genesis->type, "key.enrolled");
  EXPECT_EQ(genesis->signer, "admin");
  EXPECT_EQ(genesis->at.size(), 10u);
  EXPECT_EQ(ledger_->head_hash(), genesis->hash);
  Result<KeyEnrolment> enrolment = DecodeKeyEnrolled(genesis->payload);
  ASSERT_TRUE(enrolment.ok());
  EXPECT_EQ(enrolment->name, "admin");
  EXPECT_EQ(enrolment->public_key, admin_.public_key());
  EXPECT_EQ(enrolment->roles, std::vector<std::string>{"admin"});
  EXPECT_TRUE(enrolment->regions.empty());
  const KeyInfo* admin = ledger_->keys().Find("admin");
  ASSERT_NE(admin, nullptr);
  EXPECT_TRUE(admin->HasRole("admin"));

  std::string pub = ReadFile(dir_ / "ledger.pub");
  EXPECT_EQ(pub, VerifierKey("esms.test/bzh", ledger_key->public_key()) + "\n");
  EXPECT_EQ(pub, ledger_->verifier_key() + "\n");

  Result<std::optional<std::string>> latest = ledger_->LatestCheckpoint();
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(latest->has_value());
  NoteVerifier verifier = *ParseVerifierKey(pub.substr(0, pub.size() - 1));
  Result<std::string> text = OpenNote(**latest, std::span<const NoteVerifier>(&verifier, 1));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  Result<Checkpoint> checkpoint = ParseCheckpoint(*text);
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->origin, "esms.test/bzh");
  EXPECT_EQ(checkpoint->size, 1u);
  EXPECT_EQ(checkpoint->root, LeafHash(genesis->bytes));
  ExpectVerifies(*ledger_);
}

TEST_F(LedgerTest, CreateRefusesANonEmptyDirectoryAndBadNames) {
  Result<std::unique_ptr<Ledger>> again = Ledger::Create(dir_, "esms.test/bzh", "admin", admin_);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().Is("USAGE"));
  EXPECT_TRUE(Ledger::Create(tmp_.path() / "x", "has space", "admin", admin_).status().code() ==
              StatusCode::kInvalidArgument);
  EXPECT_TRUE(Ledger::Create(tmp_.path() / "y", "a+b", "admin", admin_).status().code() ==
              StatusCode::kInvalidArgument);
  EXPECT_TRUE(Ledger::Create(tmp_.path() / "z", "origin", "bad name", admin_).status().code() ==
              StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, OpeningWhatIsNotALedgerIsNotFound) {
  Result<std::unique_ptr<Ledger>> missing =
      Ledger::Open(tmp_.path() / "nothing", Ledger::Mode::kReadOnly);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().code() == StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            (tmp_.path() / "nothing").string() + " is not a ledger: no such directory");

  fs::create_directories(tmp_.path() / "empty");
  Result<std::unique_ptr<Ledger>> empty =
      Ledger::Open(tmp_.path() / "empty", Ledger::Mode::kReadWrite);
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(empty.status().code() == StatusCode::kNotFound);
  EXPECT_EQ(empty.status().message(),
            (tmp_.path() / "empty").string() + " is not a ledger: it holds no ledger database");

  { std::ofstream(tmp_.path() / "file.db") << "hi"; }
  Result<std::unique_ptr<Ledger>> file =
      Ledger::Open(tmp_.path() / "file.db", Ledger::Mode::kReadOnly);
  ASSERT_FALSE(file.ok());
  EXPECT_TRUE(file.status().code() == StatusCode::kNotFound);
  EXPECT_EQ(file.status().message(),
            (tmp_.path() / "file.db").string() + " is not a ledger: it is a file, not a directory");
}

// --- Append / Get / Scan -------------------------------------------------------

TEST_F(LedgerTest, AppendGetScan) {
  EnrolArsAndPorteur();
  Result<Appended> a = ledger_->Append(Event("ev-1", "project/P1", "one"), porteur_);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->seq, 3u);
  EXPECT_FALSE(a->existing);
  Result<Appended> b = ledger_->Append(Event("ev-2", "project/P1", "two"), ars_);
  ASSERT_TRUE(b.ok());
  Result<Appended> c = ledger_->Append(Event("ev-3", "project/P2", "three"), porteur_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(ledger_->size(), 6u);

  Result<Record> r = ledger_->Get(4);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->event_id, "ev-2");
  EXPECT_EQ(r->stream, "project/P1");
  EXPECT_EQ(r->stream_version, 1u);
  EXPECT_EQ(r->signer, "ars");
  EXPECT_EQ(r->at, "2024-03-10");
  EXPECT_EQ(r->type, "test.event");
  EXPECT_EQ(r->payload, BytesOf("two"));
  EXPECT_EQ(r->prev_hash, ledger_->Get(3)->hash);
  EXPECT_LT(ledger_->Get(3)->recorded_at_micros, r->recorded_at_micros);
  EXPECT_TRUE(VerifySignature(ars_.public_key(), *SignedBytes(*r), r->signature));

  Result<Record> beyond = ledger_->Get(6);
  ASSERT_FALSE(beyond.ok());
  EXPECT_TRUE(beyond.status().code() == StatusCode::kNotFound);

  std::vector<std::string> ids;
  ASSERT_TRUE(ledger_
                  ->Scan(2, 5,
                         [&](const Record& rec) {
                           ids.push_back(rec.event_id);
                           return Status::OK();
                         })
                  .ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"k-porteur", "ev-1", "ev-2"}));
  ids.clear();
  ASSERT_TRUE(ledger_
                  ->Scan(4, 100,
                         [&](const Record& rec) {
                           ids.push_back(rec.event_id);
                           return Status::OK();
                         })
                  .ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"ev-2", "ev-3"}));
  Status stop = ledger_->Scan(0, 6, [](const Record& rec) {
    return rec.seq == 1 ? Status::Internal("stop") : Status::OK();
  });
  EXPECT_EQ(stop.message(), "stop");

  EXPECT_EQ(*ledger_->FindEventId("ev-3"), std::optional<uint64_t>(5));
  EXPECT_EQ(*ledger_->FindEventId("nope"), std::nullopt);
  EXPECT_EQ(*ledger_->StreamSeqs("project/P1"), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(*ledger_->StreamSeqs("project/P"), std::vector<uint64_t>{});
  EXPECT_EQ(*ledger_->StreamSeqs("programme"), (std::vector<uint64_t>{0, 1, 2}));
  ExpectVerifies(*ledger_);
}

// Format 1 (authors signed their record's position) is not read: no migration, and the
// refusal names the format.
TEST_F(LedgerTest, AFormatOneLedgerIsRefusedAtOpen) {
  ledger_.reset();
  {
    testing::RawDb db(dir_);
    db.Put(storage::kMeta, std::string(storage::kMetaFormat), "1");
  }
  for (Ledger::Mode mode : {Ledger::Mode::kReadOnly, Ledger::Mode::kReadWrite}) {
    Result<std::unique_ptr<Ledger>> opened = Ledger::Open(dir_, mode);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().error_code(), "USAGE");
    EXPECT_NE(opened.status().message().find("record format 1"), std::string::npos)
        << opened.status().message();
  }
}

// A writable ledger needs its ledger key: not there, or another key, nothing opens.
TEST_F(LedgerTest, WritingNeedsTheLedgerKey) {
  ledger_.reset();
  fs::rename(dir_ / "ledger.key", tmp_.path() / "kept.key");
  Result<std::unique_ptr<Ledger>> opened = Ledger::Open(dir_, Ledger::Mode::kReadWrite);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().error_code(), "USAGE");
  EXPECT_TRUE(Ledger::Open(dir_, Ledger::Mode::kReadOnly).ok());
  Ledger::Options other;
  other.ledger_key = std::make_shared<const SigningKey>(NewKey());
  opened = Ledger::Open(dir_, Ledger::Mode::kReadWrite, std::move(other));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  Ledger::Options given;
  given.ledger_key = std::make_shared<const SigningKey>(
      std::move(SigningKey::LoadPem(tmp_.path() / "kept.key")).value());
  opened = Ledger::Open(dir_, Ledger::Mode::kReadWrite, std::move(given));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE((*opened)->Append(Event("after", "s", "x"), admin_).ok());
  EXPECT_TRUE((*opened)->CheckpointAt((*opened)->size()).ok());
}

TEST_F(LedgerTest, ReopenKeepsHeadKeysAndContinues) {
  EnrolArsAndPorteur();
  ASSERT_TRUE(ledger_->Append(Event("ev-1", "project/P1", "one"), porteur_).ok());
  ASSERT_TRUE(ledger_->Append(Revoke("r-ars", "ars"), admin_).ok());
  const uint64_t size = ledger_->size();
  const Hash head = ledger_->head_hash();
  const PublicKey ledger_key = ledger_->ledger_key();
  ledger_.reset();

  Result<std::unique_ptr<Ledger>> reopened = Ledger::Open(dir_, Ledger::Mode::kReadWrite);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  Ledger& ledger = **reopened;
  EXPECT_EQ(ledger.size(), size);
  EXPECT_EQ(ledger.head_hash(), head);
  EXPECT_EQ(ledger.origin(), "esms.test/bzh");
  EXPECT_EQ(ledger.ledger_key(), ledger_key);
  ASSERT_NE(ledger.keys().Find("porteur"), nullptr);
  EXPECT_EQ(ledger.keys().Find("porteur")->enrolled_seq, 2u);
  ASSERT_NE(ledger.keys().Find("ars"), nullptr);
  EXPECT_EQ(ledger.keys().Find("ars")->revoked_seq, std::optional<uint64_t>(4));
  Result<Appended> next = ledger.Append(Event("ev-2", "project/P1", "two", 1), porteur_);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->seq, size);
  EXPECT_EQ(ledger.Get(size)->prev_hash, head);
  ExpectVerifies(ledger);
}

TEST_F(LedgerTest, ChainAndRootsEqualAMemoryTreeOverTheRecordBytes) {
  EnrolArsAndPorteur();
  for (int i = 0; i < 37; ++i) {
    ASSERT_TRUE(ledger_
                    ->Append(Event("ev-" + std::to_string(i), "project/P" + std::to_string(i % 4),
                                   "payload " + std::to_string(i)),
                             i % 2 ? ars_ : porteur_)
                    .ok());
  }
  MemoryTree tree;
  std::vector<Hash> roots;  // roots[n] = MTH of the first n records
  roots.push_back(tree.Root());
  Hash prev{};
  for (uint64_t seq = 0; seq < ledger_->size(); ++seq) {
    Record r = *ledger_->Get(seq);
    EXPECT_EQ(r.prev_hash, prev) << "seq " << seq;
    prev = r.hash;
    tree.Append(LeafHash(r.bytes));
    roots.push_back(tree.Root());
  }
  EXPECT_EQ(ledger_->head_hash(), prev);
  for (uint64_t n = 0; n <= ledger_->size(); ++n) {
    EXPECT_EQ(*ledger_->RootAt(n), roots[n]) << "size " << n;
  }
  EXPECT_TRUE(ledger_->RootAt(ledger_->size() + 1).status().code() == StatusCode::kInvalidArgument);
}

// --- Group commit ----------------------------------------------------------------

TEST_F(LedgerTest, GroupCommitOfAThousandThenReopenAndVerify) {
  EnrolArsAndPorteur();
  std::unique_ptr<Ledger::Batch> batch = ledger_->NewBatch();
  for (int i = 0; i < 1000; ++i) {
    Result<Appended> a =
        batch->Add(Event("bulk-" + std::to_string(i), "project/P" + std::to_string(i % 7),
                         std::string(100, static_cast<char>('a' + i % 26)), i / 7),
                   porteur_);
    ASSERT_TRUE(a.ok()) << i << ": " << a.status().ToString();
    EXPECT_EQ(a->seq, 3u + i);
  }
  EXPECT_EQ(batch->staged(), 1000u);
  EXPECT_EQ(batch->size(), 1003u);
  EXPECT_EQ(ledger_->size(), 3u);  // nothing visible before Commit
  EXPECT_EQ(*ledger_->FindEventId("bulk-0"), std::nullopt);
  Status committed = batch->Commit();
  ASSERT_TRUE(committed.ok()) << committed.ToString();
  EXPECT_EQ(batch->staged(), 0u);
  EXPECT_EQ(ledger_->size(), 1003u);
  batch.reset();  // a batch never outlives its ledger (ledger.h)
  ledger_.reset();

  Result<std::unique_ptr<Ledger>> reopened = Ledger::Open(dir_, Ledger::Mode::kReadWrite);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->size(), 1003u);
  EXPECT_EQ(*(*reopened)->FindEventId("bulk-999"), std::optional<uint64_t>(1002));
  EXPECT_EQ((*reopened)->StreamSeqs("project/P3")->size(), 143u);
  uint64_t progress_calls = 0;
  Result<Ledger::VerifyReport> report = (*reopened)->Verify([&](uint64_t done, uint64_t total) {
    ++progress_calls;
    EXPECT_LE(done, total);
  });
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->size, 1003u);
  EXPECT_GE(progress_calls, 1u);
}

// A batch finds where a stream stands by a point read of its version 0 (absent: a new
// stream), then a seek to its last version: streams written by an earlier batch, in
// memory or (after a reopen) in table files, whose name is a prefix of another's or
// extends one, continue at the right version; a new stream starts at 0.
TEST_F(LedgerTest, StreamVersionsContinueAcrossBatchesAndReopens) {
  EnrolArsAndPorteur();
  auto add = [&](Ledger& ledger, std::string id, std::string stream,
                 std::optional<uint64_t> expected) -> Result<uint64_t> {
    std::unique_ptr<Ledger::Batch> batch = ledger.NewBatch();
    ASSIGN_OR_RETURN(Appended a, batch->Add(Event(std::move(id), stream, "x", expected), porteur_));
    RETURN_IF_ERROR(batch->Commit());
    ASSIGN_OR_RETURN(Record r, ledger.Get(a.seq));
    return r.stream_version;
  };
  EXPECT_EQ(*add(*ledger_, "a-0", "s/A", 0), 0u);
  EXPECT_EQ(*add(*ledger_, "a-1", "s/A", 1), 1u);
  EXPECT_EQ(*add(*ledger_, "ab-0", "s/AB", 0), 0u);  // extends "s/A"
  EXPECT_EQ(*add(*ledger_, "x-0", "s/", 0), 0u);     // a prefix of both
  EXPECT_EQ(*add(*ledger_, "a-2", "s/A", std::nullopt), 2u);
  ledger_.reset();  // flushed to table files on close

  Result<std::unique_ptr<Ledger>> reopened = Ledger::Open(dir_, Ledger::Mode::kReadWrite);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  Ledger& ledger = **reopened;
  EXPECT_EQ(*add(ledger, "a-3", "s/A", 3), 3u);
  EXPECT_EQ(*add(ledger, "ab-1", "s/AB", std::nullopt), 1u);
  EXPECT_EQ(*add(ledger, "x-1", "s/", 1), 1u);
  EXPECT_EQ(*add(ledger, "b-0", "s/B", std::nullopt), 0u);
  // A wrong expectation on a stream in table files, and on a new one: refused.
  Result<uint64_t> stale = add(ledger, "a-stale", "s/A", 3);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().conflicts(), std::vector<uint64_t>{*ledger.FindEventId("a-3").value()});
  EXPECT_FALSE(add(ledger, "c-0", "s/C", 1).ok());
  EXPECT_EQ(ledger.StreamSeqs("s/A")->size(), 4u);
  EXPECT_EQ(ledger.StreamSeqs("s/AB")->size(), 2u);
  ExpectVerifies(ledger);
}

TEST_F(LedgerTest, BatchSeesItsOwnEntries) {
  EnrolArsAndPorteur();
  std::unique_ptr<Ledger::Batch> batch = ledger_->NewBatch();
  // A key enrolled earlier in the batch may sign later in the batch.
  SigningKey payer = NewKey();
  ASSERT_TRUE(batch->Add(Enrol("k-payer", "payer", payer, {"ars-payer"}, {"53"}), admin_).ok());
  Result<Appended> by_payer = batch->Add(Event("p-1", "project/P1", "x", 0), payer);
  ASSERT_TRUE(by_payer.ok()) << by_payer.status().ToString();
  // Stream versions count staged records.
  Result<Appended> second = batch->Add(Event("p-2", "project/P1", "y", 0), payer);
  EXPECT_TRUE(second.status().code() == StatusCode::kAborted);
  EXPECT_EQ(second.status().conflicts(), std::vector<uint64_t>{by_payer->seq});
  ASSERT_TRUE(batch->Add(Event("p-2", "project/P1", "y", 1), payer).ok());
  // Idempotency sees staged ids.
  Result<Appended> again = batch->Add(Event("p-1", "project/P1", "x", 0), payer);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->existing);
  EXPECT_EQ(again->seq, by_payer->seq);
  EXPECT_TRUE(
      batch->Add(Event("p-1", "project/P1", "other"), payer).status().Is("EVENT_ID_CONFLICT"));
  // A key revoked in the batch may not sign afterwards.
  ASSERT_TRUE(batch->Add(Revoke("r-payer", "payer"), admin_).ok());
  EXPECT_TRUE(batch->Add(Event("p-3", "project/P1", "z"), payer).status().code() ==
              StatusCode::kPermissionDenied);
  EXPECT_EQ(batch->staged(), 4u);
  ASSERT_TRUE(batch->Commit().ok());
  EXPECT_EQ(ledger_->keys().Find("payer")->revoked_seq, std::optional<uint64_t>(6));
  ExpectVerifies(*ledger_);
}

// The sealing thread is woken every 64 records, at a commit, or by a read of what it
// sealed: whatever the number staged (below, at and beyond that handful) while it
// sleeps, a read sees every record sealed and chained, and the commit writes them all.
TEST_F(LedgerTest, EveryStagedRecordIsSealedWhateverTheirNumber) {
  EnrolArsAndPorteur();
  int next = 0;
  for (int n : {1, 63, 64, 65, 130}) {
    const uint64_t before = ledger_->size();
    std::unique_ptr<Ledger::Batch> batch = ledger_->NewBatch();
    for (int i = 0; i < n; ++i, ++next) {
      ASSERT_TRUE(batch->Add(Event("w-" + std::to_string(next), "project/W", "x"), porteur_).ok());
      // The sealing thread seals the first record and goes to sleep: the next ones wait.
      if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::vector<Record>& staged = batch->staged_records();
    ASSERT_EQ(staged.size(), static_cast<size_t>(n)) << n;
    EXPECT_EQ(staged.back().seq, before + n - 1);
    EXPECT_EQ(batch->head_hash(), staged.back().hash) << n;
    Result<Record> last = batch->Get(before + n - 1);
    ASSERT_TRUE(last.ok()) << last.status().ToString();
    EXPECT_EQ(last->event_id, "w-" + std::to_string(next - 1));
    ASSERT_TRUE(batch->Commit().ok());
    EXPECT_EQ(ledger_->size(), before + n);
  }
  // And without a read before the commit.
  std::unique_ptr<Ledger::Batch> batch = ledger_->NewBatch();
  for (int i = 0; i < 5; ++i, ++next) {
    ASSERT_TRUE(batch->Add(Event("w-" + std::to_string(next), "project/W", "x"), porteur_).ok());
  }
  const uint64_t before = ledger_->size();
  ASSERT_TRUE(batch->Commit().ok());
  EXPECT_EQ(ledger_->size(), before + 5);
  ExpectVerifies(*ledger_);
}

TEST_F(LedgerTest, RefusedAddLeavesTheBatchAsItWas) {
  EnrolArsAndPorteur();
  std::unique_ptr<Ledger::Batch> batch = ledger_->NewBatch();
  ASSERT_TRUE(batch->Add(Event("a", "s", "1"), porteur_).ok());
  const Hash head = batch->head_hash();
  SigningKey stranger = NewKey();
  EXPECT_FALSE(batch->Add(Event("b", "s", "2"), stranger).ok());
  EXPECT_FALSE(batch->Add(Event("c", "s", "3", 7), porteur_).ok());
  EXPECT_FALSE(batch->Add(Enrol("k-x", "porteur", stranger, {"porteur"}), admin_).ok());
  EXPECT_FALSE(batch->Add(Event("bad id!", "s", "4"), porteur_).ok());
  EXPECT_EQ(batch->staged(), 1u);
  EXPECT_EQ(batch->head_hash(), head);
  EXPECT_EQ(batch->size(), 4u);
  Result<Appended> next = batch->Add(Event("d", "s", "5", 1), porteur_);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->seq, 4u);
  ASSERT_TRUE(batch->Commit().ok());
  ExpectVerifies(*ledger_);
}

TEST_F(LedgerTest, AStaleBatchRefusesToCommit) {
  EnrolArsAndPorteur();
  std::unique_ptr<Ledger::Batch> batch = ledger_->NewBatch();
  ASSERT_TRUE(batch->Add(Event("a", "s", "1"), porteur_).ok());
  ASSERT_TRUE(ledger_->Append(Event("b", "s", "2"), porteur_).ok());
  Status s = batch->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(ledger_->size(), 4u);
  ExpectVerifies(*ledger_);
}

// --- Pipelined commits (Submit / Flush) --------------------------------------------

TEST_F(LedgerTest, SubmittedWritesAreDurableAfterFlushAndSeenMeanwhile) {
  EnrolArsAndPorteur();
  std::unique_ptr<Ledger::Batch> batch = ledger_->NewBatch();
  std::vector<Hash> heads;
  for (int i = 0; i < 2500; ++i) {
    Result<Appended> a = batch->Add(
        Event("pipe-" + std::to_string(i), "project/P" + std::to_string(i % 5), "x", i / 5),
        porteur_);
    ASSERT_TRUE(a.ok()) << i << ": " << a.status().ToString();
    EXPECT_EQ(a->seq, 3u + i);
    if (batch->staged() == 1000) {
      ASSERT_TRUE(batch->Submit().ok());
      EXPECT_EQ(batch->staged(), 0u);
      heads.push_back(batch->head_hash());
    }
    if (i == 1500) {
      // A record of a write in flight: found by id (idempotency) and by seq.
      Result<std::optional<uint64_t>> seq = batch->FindEventId("pipe-100");
      ASSERT_TRUE(seq.ok());
      EXPECT_EQ(*seq, std::optional<uint64_t>(103));
      Result<Appended> again = batch->Add(Event("pipe-100", "project/P0", "x"), porteur_);
      ASSERT_TRUE(again.ok());
      EXPECT_TRUE(again->existing);
      EXPECT_EQ(again->seq, 103u);
      EXPECT_TRUE(batch->Add(Event("pipe-100", "project/P0", "other"), porteur_)
                      .status()
                      .Is("EVENT_ID_CONFLICT"));
      Result<Record> record = batch->Get(1002);
      ASSERT_TRUE(record.ok()) << record.status().ToString();
      EXPECT_EQ(record->event_id, "pipe-999");
      // One of the current run, not yet submitted.
      Result<Record> open = batch->Get(3 + 1400);
      ASSERT_TRUE(open.ok()) << open.status().ToString();
      EXPECT_EQ(open->event_id, "pipe-1400");
      EXPECT_EQ(open->leaf_hash, LeafHash(open->bytes));
    }
  }
  // Another batch may not write while this one's writes are in flight.
  std::unique_ptr<Ledger::Batch> other = ledger_->NewBatch();
  ASSERT_TRUE(other->Add(Event("other-1", "s", "1"), porteur_).ok());
  Status refused = other->Commit();
  EXPECT_EQ(refused.code(), StatusCode::kAborted) << refused.ToString();
  other.reset();
  ASSERT_TRUE(batch->Flush().ok());
  EXPECT_EQ(ledger_->size(), 2003u);  // the 500 not submitted are not written
  EXPECT_EQ(ledger_->head_hash(), heads.back());
  ASSERT_TRUE(batch->Commit().ok());
  EXPECT_EQ(ledger_->size(), 2503u);
  EXPECT_EQ(batch->staged(), 0u);
  // The batch goes on after its commits: stream versions continue from its cache.
  ASSERT_TRUE(batch->Add(Event("after", "project/P1", "y", 500), porteur_).ok());
  ASSERT_TRUE(batch->Commit().ok());
  batch.reset();
  // Another writer's record, then the same batch kind again: the stream is re-read.
  ASSERT_TRUE(ledger_->Append(Event("append", "project/P1", "z", 501), porteur_).ok());
  std::unique_ptr<Ledger::Batch> again = ledger_->NewBatch();
  ASSERT_TRUE(again->Add(Event("last", "project/P1", "w", 502), porteur_).ok());
  ASSERT_TRUE(again->Commit().ok());
  EXPECT_EQ(ledger_->StreamSeqs("project/P1")->size(), 503u);
  again.reset();
  ExpectVerifies(*ledger_);
  ledger_.reset();
  Result<std::unique_ptr<Ledger>> reopened = Ledger::Open(dir_, Ledger::Mode::kReadOnly);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->size(), 2506u);
  ExpectVerifies(**reopened);
}

TEST_F(LedgerTest, ABatchReusedAfterAnotherWriterCommittedSeesItsRecords) {
  EnrolArsAndPorteur();
  std::unique_ptr<Ledger::Batch> batch = ledger_->NewBatch();
  ASSERT_TRUE(batch->Add(Event("a", "s", "1", 0), porteur_).ok());
  ASSERT_TRUE(batch->Commit().ok());
  ASSERT_TRUE(ledger_->Append(Event("b", "s", "2", 1), porteur_).ok());
  // Nothing staged: the batch starts again from the ledger (stream count 2, "b" known).
  Result<Appended> known = batch->Add(Event("b", "s", "2"), porteur_);
  ASSERT_TRUE(known.ok()) << known.status().ToString();
  EXPECT_TRUE(known->existing);
  Result<Appended> c = batch->Add(Event("c", "s", "3", 2), porteur_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->seq, 5u);
  ASSERT_TRUE(batch->Commit().ok());
  EXPECT_EQ(ledger_->size(), 6u);
  batch.reset();
  ExpectVerifies(*ledger_);
}

TEST_F(LedgerTest, ABatchDestroyedWithWritesInFlightFinishesThem) {
  EnrolArsAndPorteur();
  {
    std::unique_ptr<Ledger::Batch> batch = ledger_->NewBatch();
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(batch->Add(Event("d-" + std::to_string(i), "s", "x"), porteur_).ok());
    }
    ASSERT_TRUE(batch->Submit().ok());
    ASSERT_TRUE(batch->Add(Event("dropped", "s", "x"), porteur_).ok());
  }
  EXPECT_EQ(ledger_->size(), 13u);
  EXPECT_EQ(*ledger_->FindEventId("dropped"), std::nullopt);
  ExpectVerifies(*ledger_);
}

// --- Idempotency, versions, input ---------------------------------------------

TEST_F(LedgerTest, IdempotencyByEventId) {
  EnrolArsAndPorteur();
  Result<Appended> first = ledger_->Append(Event("bzh-2024-0001", "project/P1", "same"), porteur_);
  ASSERT_TRUE(first.ok());
  Result<Appended> same = ledger_->Append(Event("bzh-2024-0001", "project/P1", "same"), porteur_);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->existing);
  EXPECT_EQ(same->seq, first->seq);
  EXPECT_EQ(ledger_->size(), 4u);

  Result<Appended> other =
      ledger_->Append(Event("bzh-2024-0001", "project/P1", "different"), porteur_);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(other.status().Is("EVENT_ID_CONFLICT"));
  EXPECT_EQ(other.status().conflicts(), std::vector<uint64_t>{first->seq});
  EXPECT_EQ(other.status().message(),
            "event id 'bzh-2024-0001' was recorded at seq 3 with other content");
  Entry other_date = Event("bzh-2024-0001", "project/P1", "same");
  other_date.at = "2024-03-11";
  EXPECT_TRUE(ledger_->Append(other_date, porteur_).status().Is("EVENT_ID_CONFLICT"));
  Entry other_stream = Event("bzh-2024-0001", "project/P2", "same");
  EXPECT_TRUE(ledger_->Append(other_stream, porteur_).status().Is("EVENT_ID_CONFLICT"));
  EXPECT_EQ(ledger_->size(), 4u);
}

TEST_F(LedgerTest, EventIdAndFieldValidation) {
  EnrolArsAndPorteur();
  for (std::string bad : {std::string(), std::string(129, 'a'), std::string("a b"),
                          std::string("caf\xc3\xa9"), std::string("a#b")}) {
    Result<Appended> r = ledger_->Append(Event(bad, "s", "x"), porteur_);
    EXPECT_TRUE(r.status().code() == StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
  EXPECT_TRUE(ledger_->Append(Event(std::string(128, 'a'), "s", "x"), porteur_).ok());
  EXPECT_TRUE(ledger_->Append(Event("A-z_0.9:/x", "s", "x"), porteur_).ok());
  Entry bad_date = Event("d1", "s", "x");
  bad_date.at = "2024-13-01";
  EXPECT_TRUE(ledger_->Append(bad_date, porteur_).status().code() == StatusCode::kInvalidArgument);
  Entry bad_stream = Event("d2", "", "x");
  EXPECT_TRUE(ledger_->Append(bad_stream, porteur_).status().code() ==
              StatusCode::kInvalidArgument);
  Entry bad_type = Event("d3", "s", "x");
  bad_type.type = "has space";
  EXPECT_TRUE(ledger_->Append(bad_type, porteur_).status().code() == StatusCode::kInvalidArgument);
  // The event id is checked before the signer.
  SigningKey stranger = NewKey();
  EXPECT_TRUE(ledger_->Append(Event("a b", "s", "x"), stranger).status().code() ==
              StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, ExpectedVersion) {
  EnrolArsAndPorteur();
  ASSERT_TRUE(ledger_->Append(Event("v0", "project/P1", "a", 0), porteur_).ok());
  ASSERT_TRUE(ledger_->Append(Event("v1", "project/P1", "b", 1), porteur_).ok());
  ASSERT_TRUE(ledger_->Append(Event("vx", "project/P1", "c"), porteur_).ok());  // no expectation
  Result<Appended> stale = ledger_->Append(Event("v2", "project/P1", "d", 2), porteur_);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted);
  EXPECT_TRUE(stale.status().code() == StatusCode::kAborted);
  EXPECT_EQ(stale.status().conflicts(), std::vector<uint64_t>{5});
  EXPECT_EQ(stale.status().message(), "stream 'project/P1' holds 3 records, not the 2 expected");
  ASSERT_TRUE(ledger_->Append(Event("v3", "project/P1", "d", 3), porteur_).ok());
  Result<Appended> fresh = ledger_->Append(Event("w", "project/NEW", "e", 1), porteur_);
  EXPECT_TRUE(fresh.status().code() == StatusCode::kAborted);
  EXPECT_TRUE(fresh.status().conflicts().empty());
  // Idempotency comes before the version check: a retried event is "existing".
  Result<Appended> retried = ledger_->Append(Event("v0", "project/P1", "a", 0), porteur_);
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(retried->existing);
}

// --- Keys ------------------------------------------------------------------------

TEST_F(LedgerTest, UnknownKeyIsUnauthorized) {
  SigningKey stranger = NewKey();
  Result<Appended> r = ledger_->Append(Event("x", "s", "x"), stranger);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(r.status().code() == StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(), "the signing key is not enrolled in this ledger");
  EXPECT_EQ(ledger_->size(), 1u);
}

TEST_F(LedgerTest, EnrolmentByANonAdminIsRefused) {
  EnrolArsAndPorteur();
  SigningKey other = NewKey();
  Result<Appended> r = ledger_->Append(Enrol("k-other", "other", other, {"porteur"}), ars_);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().code() == StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(), "key 'ars' lacks role \"admin\" needed for key.enrolled");
  EXPECT_TRUE(ledger_->Append(Revoke("r-x", "porteur"), ars_).status().code() ==
              StatusCode::kPermissionDenied);
  // Registry rules.
  EXPECT_TRUE(
      ledger_->Append(Enrol("k-dup", "ars", other, {"porteur"}), admin_).status().Is(kKeyConflict));
  EXPECT_TRUE(ledger_->Append(Enrol("k-dup2", "ars2", ars_, {"porteur"}), admin_)
                  .status()
                  .Is(kKeyConflict));
  EXPECT_TRUE(ledger_->Append(Revoke("r-ghost", "ghost"), admin_).status().Is(kUnknownKey));
  EXPECT_EQ(ledger_->size(), 3u);
}

TEST_F(LedgerTest, RevocationTakesEffectFromItsRecordOn) {
  EnrolArsAndPorteur();
  ASSERT_TRUE(ledger_->Append(Event("before-1", "project/P1", "a"), ars_).ok());
  ASSERT_TRUE(ledger_->Append(Event("before-2", "project/P1", "b"), ars_).ok());
  Result<Appended> revoked = ledger_->Append(Revoke("r-ars", "ars"), admin_);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(revoked->seq, 5u);
  Result<Appended> after = ledger_->Append(Event("after", "project/P1", "c"), ars_);
  ASSERT_FALSE(after.ok());
  EXPECT_TRUE(after.status().code() == StatusCode::kPermissionDenied);
  EXPECT_EQ(after.status().message(), "key 'ars' was revoked at seq 5");
  EXPECT_EQ(after.status().conflicts(), std::vector<uint64_t>{5});
  // Records signed before the revocation still verify.
  ExpectVerifies(*ledger_);
  // The same public key may come back under a new name.
  ASSERT_TRUE(ledger_->Append(Enrol("k-ars2", "ars2", ars_, {"ars-instructor"}), admin_).ok());
  Result<Appended> again = ledger_->Append(Event("after", "project/P1", "c"), ars_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ledger_->Get(again->seq)->signer, "ars2");
  ExpectVerifies(*ledger_);
}

// --- Locking ---------------------------------------------------------------------

TEST_F(LedgerTest, SecondWriterInTheSameProcessFailsAtOnce) {
  auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Ledger>> second = Ledger::Open(dir_, Ledger::Mode::kReadWrite);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(second.status().code() == StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(), "ledger " + dir_.string() + " is locked by another process");
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_F(LedgerTest, ReadOnlyOpenWhileAWriterHoldsIt) {
  EnrolArsAndPorteur();
  Result<std::unique_ptr<Ledger>> reader = Ledger::Open(dir_, Ledger::Mode::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->size(), 3u);
  EXPECT_EQ((*reader)->Get(2)->event_id, "k-porteur");
  ExpectVerifies(**reader);
  Result<Appended> refused = (*reader)->Append(Event("x", "s", "x"), porteur_);
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().Is("USAGE"));
  // The writer is not blocked by the reader.
  ASSERT_TRUE(ledger_->Append(Event("y", "s", "y"), porteur_).ok());
}

// Runs a child process of this test binary executing LedgerLockChild.Main with `mode`.
// `ready_fd` / `release_fd` (close-on-exec pipe ends, or -1) become the child's fds 100
// and 101; nothing else of ours is inherited.
pid_t SpawnChild(const std::string& mode, const fs::path& dir, int ready_fd, int release_fd) {
  constexpr int kChildReadyFd = 100;
  constexpr int kChildReleaseFd = 101;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (ready_fd >= 0) posix_spawn_file_actions_adddup2(&actions, ready_fd, kChildReadyFd);
  if (release_fd >= 0) posix_spawn_file_actions_adddup2(&actions, release_fd, kChildReleaseFd);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("ESMS_LOCK_CHILD=" + mode);
  env_strings.push_back("ESMS_LOCK_DIR=" + dir.string());
  env_strings.push_back("ESMS_LOCK_READY_FD=" + std::to_string(kChildReadyFd));
  env_strings.push_back("ESMS_LOCK_RELEASE_FD=" + std::to_string(kChildReleaseFd));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe = fs::read_symlink("/proc/self/exe").string();
  std::string filter = "--gtest_filter=LedgerLockChild.Main";
  std::vector<char*> argv = {exe.data(), filter.data(), nullptr};
  pid_t pid = -1;
  int spawned = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return spawned == 0 ? pid : -1;
}

int WaitExitCode(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

TEST_F(LedgerTest, SecondWriterInAnotherProcessFailsAtOnce) {
  auto start = std::chrono::steady_clock::now();
  pid_t child = SpawnChild("try-open", dir_, -1, -1);
  ASSERT_GT(child, 0);
  EXPECT_EQ(WaitExitCode(child), 0) << "the child's Open did not fail with LEDGER_LOCKED at once";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(LedgerTest, WriterInAnotherProcessLocksUsOutButNotReaders) {
  EnrolArsAndPorteur();
  ledger_.reset();  // the child becomes the writer
  int ready[2];
  int release[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(release, O_CLOEXEC), 0);
  pid_t child = SpawnChild("hold", dir_, ready[1], release[0]);
  ASSERT_GT(child, 0);
  close(ready[1]);
  close(release[0]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1) << "the child could not open the ledger";
  EXPECT_EQ(byte, 'r');

  auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Ledger>> second = Ledger::Open(dir_, Ledger::Mode::kReadWrite);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().code() == StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(), "ledger " + dir_.string() + " is locked by another process");

  Result<std::unique_ptr<Ledger>> reader = Ledger::Open(dir_, Ledger::Mode::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->size(), 3u);
  reader->reset();

  close(release[1]);  // lets the child close and exit
  close(ready[0]);
  EXPECT_EQ(WaitExitCode(child), 0);
  // Once the child is gone, we may write again.
  Result<std::unique_ptr<Ledger>> writer = Ledger::Open(dir_, Ledger::Mode::kReadWrite);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
}

// Not a test of its own: the child side of the two tests above.
TEST(LedgerLockChild, Main) {
  const char* mode = std::getenv("ESMS_LOCK_CHILD");
  if (mode == nullptr) GTEST_SKIP() << "runs only as a child of the lock tests";
  fs::path dir = std::getenv("ESMS_LOCK_DIR");
  if (std::string_view(mode) == "try-open") {
    auto start = std::chrono::steady_clock::now();
    Result<std::unique_ptr<Ledger>> opened = Ledger::Open(dir, Ledger::Mode::kReadWrite);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    ASSERT_FALSE(opened.ok());
    EXPECT_TRUE(opened.status().code() == StatusCode::kUnavailable) << opened.status().ToString();
    EXPECT_EQ(opened.status().message(),
              "ledger " + dir.string() + " is locked by another process");
  } else {
    int ready_fd = std::atoi(std::getenv("ESMS_LOCK_READY_FD"));
    int release_fd = std::atoi(std::getenv("ESMS_LOCK_RELEASE_FD"));
    Result<std::unique_ptr<Ledger>> opened = Ledger::Open(dir, Ledger::Mode::kReadWrite);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ASSERT_EQ(write(ready_fd, "r", 1), 1);
    char byte;
    while (read(release_fd, &byte, 1) > 0) {
    }
  }
}

// --- Proofs and checkpoints ------------------------------------------------------

TEST_F(LedgerTest, ProofsFromTheStoreVerify) {
  EnrolArsAndPorteur();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        ledger_->Append(Event("e" + std::to_string(i), "s", std::to_string(i)), porteur_).ok());
  }
  const uint64_t n = ledger_->size();
  std::vector<Hash> leaves;
  for (uint64_t seq = 0; seq < n; ++seq) leaves.push_back(ledger_->Get(seq)->leaf_hash);
  for (uint64_t size = 1; size <= n; ++size) {
    Hash root = *ledger_->RootAt(size);
    for (uint64_t seq = 0; seq < size; ++seq) {
      Result<std::vector<Hash>> proof = ledger_->InclusionProof(seq, size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_TRUE(VerifyInclusion(seq, size, leaves[seq], *proof, root))
          << "seq " << seq << " size " << size;
      EXPECT_FALSE(VerifyInclusion(seq, size, leaves[(seq + 1) % n], *proof, root) && size > 1);
    }
    for (uint64_t old_size = 1; old_size <= size; ++old_size) {
      Result<std::vector<Hash>> proof = ledger_->ConsistencyProof(old_size, size);
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(VerifyConsistency(old_size, size, *proof, *ledger_->RootAt(old_size), root))
          << old_size << " -> " << size;
    }
  }
  EXPECT_TRUE(ledger_->InclusionProof(0, n + 1).status().code() == StatusCode::kInvalidArgument);
  EXPECT_TRUE(ledger_->InclusionProof(n, n).status().code() == StatusCode::kInvalidArgument);
  EXPECT_TRUE(ledger_->ConsistencyProof(2, n + 1).status().code() == StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, CheckpointsAreStoredAndVerifyAgainstLedgerPub) {
  EnrolArsAndPorteur();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(ledger_->Append(Event("e" + std::to_string(i), "s", "x"), porteur_).ok());
  }
  // Every commit kept a checkpoint of the tree it left, signed by the ledger key (not
  // the admin's): one per size here, each Append being a commit.
  for (uint64_t size = 1; size <= 8; ++size) {
    EXPECT_TRUE(ledger_->CheckpointAt(size).ok()) << size;
  }
  EXPECT_TRUE(ledger_->CheckpointAt(9).status().code() == StatusCode::kNotFound);
  EXPECT_NE(ledger_->ledger_key(), admin_.public_key());
  // MakeCheckpoint() gives the one kept for the current size.
  Result<std::string> note = ledger_->MakeCheckpoint();
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(*ledger_->CheckpointAt(8), *note);
  EXPECT_EQ(**ledger_->LatestCheckpoint(), *note);
  Result<std::string> first = ledger_->CheckpointAt(1);
  ASSERT_TRUE(first.ok());

  std::string pub = ReadFile(dir_ / "ledger.pub");
  NoteVerifier verifier = *ParseVerifierKey(pub.substr(0, pub.find('\n')));
  std::span<const NoteVerifier> trusted(&verifier, 1);
  Checkpoint latest = *ParseCheckpoint(*OpenNote(*note, trusted));
  Checkpoint oldest = *ParseCheckpoint(*OpenNote(*first, trusted));
  EXPECT_EQ(latest.size, 8u);
  EXPECT_EQ(latest.root, *ledger_->RootAt(8));
  EXPECT_EQ(oldest.size, 1u);
  EXPECT_TRUE(VerifyConsistency(1, 8, *ledger_->ConsistencyProof(1, 8), oldest.root, latest.root));
  // Another key may not sign the ledger's checkpoints, the admin's neither.
  Result<std::string> forged = ledger_->MakeCheckpoint(porteur_);
  EXPECT_TRUE(forged.status().code() == StatusCode::kPermissionDenied);
  EXPECT_TRUE(ledger_->MakeCheckpoint(admin_).status().code() == StatusCode::kPermissionDenied);
  // And a note signed by another key does not open with ledger.pub.
  std::string other = SignNote(FormatCheckpoint(latest), "esms.test/bzh", porteur_);
  EXPECT_FALSE(OpenNote(other, trusted).ok());
  ExpectVerifies(*ledger_);
}

// --- Snapshots -------------------------------------------------------------------

TEST_F(LedgerTest, SnapshotsRoundTrip) {
  EXPECT_EQ(*ledger_->GetSnapshot("projects"), std::nullopt);
  Bytes state = BytesOf("state bytes");
  ASSERT_TRUE(ledger_->PutSnapshot("projects", 1, state).ok());
  auto snapshot = *ledger_->GetSnapshot("projects");
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->first, 1u);
  EXPECT_EQ(snapshot->second, state);
  EXPECT_TRUE(ledger_->PutSnapshot("projects", 2, state).code() == StatusCode::kInvalidArgument);
  ledger_.reset();
  auto reopened = std::move(Ledger::Open(dir_, Ledger::Mode::kReadOnly)).value();
  EXPECT_EQ((*reopened->GetSnapshot("projects"))->second, state);
}

}  // namespace
}  // namespace esms::ledger
