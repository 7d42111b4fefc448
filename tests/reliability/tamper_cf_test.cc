// Tampering beyond tests/ledger/tamper_test.cc: a byte flipped in EVERY stored value
// of every column family the ledger verifies (records, event_ids, streams, tree,
// checkpoints, meta), moved and truncated records, a rotation of records, a key
// record replaced by one re-signed by the admin, two key records exchanged, and a
// ledger rolled back to an older copy (caught against a kept checkpoint note).
// Everything through the real program: `verify --json` must fail (exit 1) and name
// the first bad seq, or the checkpoint, in its problem.
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/hash.h"
#include "ledger/internal/storage_keys.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/record.h"
#include "tests/reliability/fixture.h"

namespace esms::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;
namespace storage = ledger::storage;

std::string Printable(const std::string& key) {
  std::string out;
  for (unsigned char c : key)
    out += (c >= 0x20 && c < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", c);
  return out;
}

struct Verdict {
  int exit_code = -1;
  bool ok = true;
  std::optional<uint64_t> first_bad;
  std::string problem;
  std::string Describe() const {
    return fmt::format("exit {} ok {} firstBad {} problem '{}'", exit_code, ok,
                       first_bad ? std::to_string(*first_bad) : "null", problem);
  }
};

class TamperCfTest : public ::testing::Test {
 protected:
  // genesis; national, porteur, ars-bzh enrolled (1..3); 12 solutions; a project
  // submitted and selected; a checkpoint; 6 more solutions; a second checkpoint.
  void SetUp() override {
    ASSERT_TRUE(l_.ok()) << l_.error();
    ASSERT_EQ(l_.Import("national", SolutionLines(12)).exit_code, 0);
    ASSERT_EQ(l_.Import("porteur", Line("sub-a", "project.submitted", "2024-03-10",
                                        Submission("a", {Et(1), Et(2)})))
                  .exit_code,
              0);
    ASSERT_EQ(l_.Import("ars-bzh", Line("sel-a", "project.selected", "2024-04-15",
                                        {{"project", "a"}, {"committeeAt", "2024-04-15"}}))
                  .exit_code,
              0);
    ASSERT_EQ(l_.Run({"checkpoint"}).exit_code, 0);
    ASSERT_EQ(l_.Import("national", SolutionLines(6, 12)).exit_code, 0);
    ASSERT_EQ(l_.Run({"checkpoint"}).exit_code, 0);
    Verdict clean = Verify();
    ASSERT_TRUE(clean.ok) << clean.Describe();
    size_ = 4 + 12 + 2 + 6;
  }

  Verdict Verify() {
    CliResult v = l_.Run({"verify", "--json"});
    Verdict verdict;
    verdict.exit_code = v.exit_code;
    json j = json::parse(v.out, nullptr, false);
    if (j.is_object() && j.contains("ok")) {
      verdict.ok = j["ok"];
      if (!j["firstBad"].is_null()) verdict.first_bad = j["firstBad"].get<uint64_t>();
      if (j["problem"].is_string()) verdict.problem = j["problem"];
    } else {
      verdict.ok = false;  // an error object: the ledger could not even be read
      verdict.problem = v.out + v.err;
    }
    return verdict;
  }

  // A verdict that names what is wrong: exit 1, not ok, and the seq (or the
  // checkpoint) in the problem.
  static void ExpectDetected(const Verdict& v, const std::string& what) {
    EXPECT_EQ(v.exit_code, 1) << what << ": " << v.Describe();
    EXPECT_FALSE(v.ok) << what;
    if (v.first_bad.has_value()) {
      EXPECT_THAT(v.problem, StartsWith(fmt::format("seq {}", *v.first_bad))) << what;
    } else {
      EXPECT_THAT(v.problem, ::testing::AnyOf(HasSubstr("checkpoint"), HasSubstr("seq ")))
          << what << ": " << v.Describe();
    }
  }

  TempDir dir_;
  KeyedLedger l_{dir_.path(),
                 {{"national", {"national"}, {}},
                  {"porteur", {"porteur"}, {}},
                  {"ars-bzh", {"ars-instructor"}, {"53"}}}};
  uint64_t size_ = 0;
};

// One byte flipped in each stored value, in turn, of every verified column family;
// each is detected and, once restored, the ledger verifies again.
// Under the sanitizers, every third value of the families that hold one value per record
// (kSanitizedShare, tests/reliability/fixture.h): each flip is a whole `verify`, and
// there the point is that the sanitizers see each of verify's refusal paths, which the
// same flip at every seq repeats.
TEST_F(TamperCfTest, EveryValueOfEveryColumnFamilyFlipped) {
  std::map<std::string, int> detected, flips;
  for (std::string_view family : {storage::kRecords, storage::kEventIds, storage::kStreams,
                                  storage::kTree, storage::kCheckpoints, storage::kMeta}) {
    std::vector<std::string> keys;
    {
      RawDb db(l_.ledger());
      ASSERT_TRUE(db.ok());
      keys = db.Keys(family);
    }
    ASSERT_FALSE(keys.empty()) << family;
    const bool per_record = family == storage::kRecords || family == storage::kEventIds ||
                            family == storage::kStreams || family == storage::kTree;
    const size_t stride = per_record ? kSanitizedShare : 1;
    for (size_t k = 0; k < keys.size(); k += stride) {
      const std::string& key = keys[k];
      std::string original;
      {
        RawDb db(l_.ledger());
        original = *db.Get(family, key);
        if (original.empty()) continue;  // meta key/ markers: deletion is tested below
        std::string flipped = original;
        flipped[flipped.size() / 2] ^= 0x04;
        db.Put(family, key, flipped);
      }
      const std::string what = fmt::format("{} [{}]", family, Printable(key));
      Verdict v = Verify();
      if (family == storage::kMeta) {
        // Ledger-wide values (format, origin, ledger key, head): refused or failed,
        // with a message; they concern no single seq.
        EXPECT_NE(v.exit_code, 0) << what << ": " << v.Describe();
        EXPECT_FALSE(v.ok) << what;
        EXPECT_FALSE(v.problem.empty()) << what;
      } else {
        ExpectDetected(v, what);
      }
      if (per_record) {
        EXPECT_TRUE(v.first_bad.has_value()) << what << ": " << v.Describe();
      }
      ++flips[std::string(family)];
      if (!v.ok) ++detected[std::string(family)];
      {
        RawDb db(l_.ledger());
        db.Put(family, key, original);
      }
    }
  }
  EXPECT_TRUE(Verify().ok);
  EXPECT_EQ(flips[std::string(storage::kRecords)],
            static_cast<int>((size_ + kSanitizedShare - 1) / kSanitizedShare));
  EXPECT_EQ(detected[std::string(storage::kRecords)], flips[std::string(storage::kRecords)]);
}

TEST_F(TamperCfTest, RecordMovedToAnotherKey) {
  {
    RawDb db(l_.ledger());
    std::string ten = *db.Get(storage::kRecords, storage::SeqKey(10));
    db.Delete(storage::kRecords, storage::SeqKey(10));
    db.Put(storage::kRecords, storage::SeqKey(size_ + 3), ten);  // beyond the head
  }
  Verdict v = Verify();
  ExpectDetected(v, "moved");
  EXPECT_EQ(v.first_bad, std::optional<uint64_t>(10)) << v.Describe();
}

TEST_F(TamperCfTest, TruncatedRecordBytes) {
  for (size_t keep : {size_t{0}, size_t{8}, size_t{100}}) {
    std::string original;
    {
      RawDb db(l_.ledger());
      original = *db.Get(storage::kRecords, storage::SeqKey(7));
      db.Put(storage::kRecords, storage::SeqKey(7), original.substr(0, keep));
    }
    Verdict v = Verify();
    ExpectDetected(v, "truncated to " + std::to_string(keep));
    EXPECT_EQ(v.first_bad, std::optional<uint64_t>(7)) << v.Describe();
    RawDb db(l_.ledger());
    db.Put(storage::kRecords, storage::SeqKey(7), original);
  }
}

TEST_F(TamperCfTest, RotatedRecords) {
  {
    RawDb db(l_.ledger());
    std::string a = *db.Get(storage::kRecords, storage::SeqKey(8));
    std::string b = *db.Get(storage::kRecords, storage::SeqKey(9));
    std::string c = *db.Get(storage::kRecords, storage::SeqKey(10));
    db.Put(storage::kRecords, storage::SeqKey(8), b);
    db.Put(storage::kRecords, storage::SeqKey(9), c);
    db.Put(storage::kRecords, storage::SeqKey(10), a);
  }
  Verdict v = Verify();
  ExpectDetected(v, "rotated");
  EXPECT_EQ(v.first_bad, std::optional<uint64_t>(8)) << v.Describe();
}

TEST_F(TamperCfTest, KeyRecordIndexMarkersDeletedOrForged) {
  {
    RawDb db(l_.ledger());
    db.Delete(storage::kMeta, storage::KeyRecordKey(2));  // porteur's enrolment
  }
  Verdict deleted = Verify();
  ExpectDetected(deleted, "key/2 deleted");
  {
    RawDb db(l_.ledger());
    db.Put(storage::kMeta, storage::KeyRecordKey(2), "");
    db.Put(storage::kMeta, storage::KeyRecordKey(5), "");  // a solution, not a key record
  }
  Verdict forged = Verify();
  ExpectDetected(forged, "key/5 forged");
}

// The admin key is stolen: the attacker replaces ars-bzh's enrolment (seq 3) with one
// of its own key, validly signed by the admin. The chain and the tree catch it.
TEST_F(TamperCfTest, KeyRecordReplacedAndResignedByTheAdmin) {
  auto admin = ledger::SigningKey::LoadPem(l_.KeyFile("admin"));
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  auto attacker = ledger::SigningKey::Generate();
  ASSERT_TRUE(attacker.ok());
  {
    RawDb db(l_.ledger());
    std::string bytes = *db.Get(storage::kRecords, storage::SeqKey(3));
    auto record = ledger::DecodeRecord(ledger::AsBytes(bytes));
    ASSERT_TRUE(record.ok());
    ASSERT_EQ(record->event_id, "key-ars-bzh");
    record->payload = ledger::EncodeKeyEnrolled("ars-bzh", attacker->public_key(),
                                                {"ars-instructor", "ars-payer"}, {"53", "11"});
    auto sealed = ledger::SealRecord(*record, *admin);
    ASSERT_TRUE(sealed.ok());
    db.Put(storage::kRecords, storage::SeqKey(3),
           std::string(sealed->bytes.begin(), sealed->bytes.end()));
  }
  Verdict v = Verify();
  ExpectDetected(v, "key record re-signed");
  ASSERT_TRUE(v.first_bad.has_value()) << v.Describe();
  EXPECT_THAT(*v.first_bad, ::testing::AnyOf(3u, 4u)) << v.Describe();
}

TEST_F(TamperCfTest, KeyRecordsExchanged) {
  {
    RawDb db(l_.ledger());
    std::string porteur = *db.Get(storage::kRecords, storage::SeqKey(2));
    std::string ars = *db.Get(storage::kRecords, storage::SeqKey(3));
    db.Put(storage::kRecords, storage::SeqKey(2), ars);
    db.Put(storage::kRecords, storage::SeqKey(3), porteur);
  }
  Verdict v = Verify();
  ExpectDetected(v, "key records exchanged");
  EXPECT_EQ(v.first_bad, std::optional<uint64_t>(2)) << v.Describe();
}

// The operator restores an older copy of the ledger (to drop records). On its own the
// old copy is a valid ledger — only a checkpoint kept outside it (by an auditor, a
// witness) shows the rollback: its size is beyond the ledger, and once the ledger grows
// past it again (a fork), its root is not the ledger's root at that size. A witness
// that cosigned the newer checkpoint refuses the rolled-back one (ROLLBACK) and the
// fork's (CONSISTENCY_FAILED).
TEST_F(TamperCfTest, RollbackToAnOlderCopyCaughtByAKeptCheckpoint) {
  fs::path old_copy = dir_ / "old-copy.db";
  fs::copy(l_.ledger(), old_copy, fs::copy_options::recursive);
  ASSERT_EQ(l_.Import("national", SolutionLines(10, 100)).exit_code, 0);
  CliResult cp = l_.Run({"checkpoint", "--json"});  // the import's commit kept it
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  // A witness (the national level) cosigns that checkpoint and keeps it in its state.
  const std::string witness_key = (dir_ / "witness.pem").string();
  ASSERT_EQ(RunCli({"key", "new", "witness", "--out", witness_key}).exit_code, 0);
  const std::vector<std::string> cosign = {"witness", "cosign",
                                           "--name",  "national-witness",
                                           "--state", (dir_ / "witness.state").string(),
                                           "--key",   witness_key};
  CliResult cosigned = l_.Run(cosign);
  ASSERT_EQ(cosigned.exit_code, 0) << cosigned.out << cosigned.err;
  const std::string kept_note = json::parse(cp.out)["note"];
  const uint64_t kept_size = json::parse(cp.out)["size"];
  ASSERT_EQ(kept_size, size_ + 10);
  const std::string pub = ReadFile(fs::path(l_.ledger()) / "ledger.pub");

  fs::remove_all(l_.ledger());
  fs::copy(old_copy, l_.ledger(), fs::copy_options::recursive);
  EXPECT_TRUE(Verify().ok) << "an old copy is a valid ledger by itself";
  // The kept note is still signed by this ledger's key...
  auto verifier = ledger::ParseVerifierKey(pub.substr(0, pub.find('\n')));
  ASSERT_TRUE(verifier.ok());
  std::vector<ledger::NoteVerifier> verifiers = {*verifier};
  auto text = ledger::OpenNote(kept_note, verifiers);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto kept = ledger::ParseCheckpoint(*text);
  ASSERT_TRUE(kept.ok());
  // ...but the ledger cannot prove it: the size is gone.
  CliResult cons = l_.Run({"consistency", std::to_string(size_), std::to_string(kept_size)});
  EXPECT_NE(cons.exit_code, 0) << cons.out;
  CliResult prove = l_.Run({"prove", "0", "--size", std::to_string(kept_size), "--json"});
  EXPECT_NE(prove.exit_code, 0) << prove.out;
  // The witness refuses to cosign the rolled-back ledger's checkpoint.
  ASSERT_EQ(l_.Run({"checkpoint"}).exit_code, 0);
  CliResult rollback = l_.Run(cosign);
  EXPECT_EQ(rollback.exit_code, 1) << rollback.out << rollback.err;
  EXPECT_THAT(rollback.out + rollback.err, HasSubstr("ROLLBACK"));
  // The operator appends other records to reach the size again: a fork. The root at
  // the kept size is not the kept root.
  ASSERT_EQ(l_.Import("national", SolutionLines(10, 200)).exit_code, 0);
  EXPECT_TRUE(Verify().ok) << "the fork is a valid ledger by itself";
  ASSERT_EQ(l_.Run({"checkpoint"}).exit_code, 0);
  CliResult fork = l_.Run(cosign);
  EXPECT_EQ(fork.exit_code, 1) << fork.out << fork.err;
  EXPECT_THAT(fork.out + fork.err, HasSubstr("CONSISTENCY_FAILED"));
  CliResult forked = l_.Run({"prove", "0", "--size", std::to_string(kept_size), "--json"});
  ASSERT_EQ(forked.exit_code, 0) << forked.err;
  EXPECT_NE(json::parse(forked.out)["root"], ledger::ToHex(kept->root))
      << "the fork's root at the kept size must differ from the kept checkpoint's";
  // The first seq whose inclusion differs: the records the rollback dropped.
  CliResult leaf =
      l_.Run({"log", "--json", "--from", std::to_string(size_), "--to", std::to_string(size_)});
  EXPECT_EQ(json::parse(leaf.out)["records"][0]["id"], "sol-200");
}

}  // namespace
}  // namespace esms::testing
