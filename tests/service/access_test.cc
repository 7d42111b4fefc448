// service/access: the challenge that authenticates a connection and the read scoping
// of INTERFACE.md §6, at their boundaries, against a real ledger whose keys are
// enrolled by records (tests/projections/fixture.h).
#include "service/access.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/text.h"
#include "ledger/record.h"
#include "projections/report.h"
#include "tests/projections/fixture.h"

namespace esms::service {
namespace {

using ::esms::projections::testing::Et;
using ::esms::projections::testing::EtIdf;
using ::esms::projections::testing::json;
using ::esms::projections::testing::Measurement;
using ::esms::projections::testing::ProjectionsTest;
using ::esms::projections::testing::Submission;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kOrigin = "test.example/esms";

// A target built by hand (the reads that name no project).
ReadTarget Of(ReadKind kind, std::string subject = "", std::set<std::string> regions = {}) {
  ReadTarget target;
  target.kind = kind;
  target.subject = std::move(subject);
  target.regions = std::move(regions);
  return target;
}

class AccessTest : public ProjectionsTest {
 protected:
  void SetUp() override {
    ProjectionsTest::SetUp();
    if (HasFatalFailure()) return;
    // The fixture enrols: admin (genesis), porteur, ars-bzh (53), ars-idf (11),
    // payer-bzh (53), payer-idf (11), national.
    Enrol("porteur-b", {"porteur"}, {});
    Enrol("auditor", {"auditor"}, {});
    Enrol("ars-both", {"ars-instructor"}, {"53", "11"});
    // bzh-1: porteur's, Bretagne. bzh-2: porteur-b's, Bretagne. grappe-1: porteur-b's,
    // Bretagne and Île-de-France. idf-1: porteur-b's, Île-de-France.
    Must("porteur", "project.submitted", "2024-03-10", Submission("bzh-1", {Et(1), Et(2)}));
    Must("porteur-b", "project.submitted", "2024-03-10", Submission("bzh-2", {Et(3)}));
    Must("porteur-b", "project.submitted", "2024-03-10", Submission("grappe-1", {Et(4), EtIdf(1)}));
    Must("porteur-b", "project.submitted", "2024-03-10", Submission("idf-1", {EtIdf(2), EtIdf(3)}));
  }

  const projections::ProgrammeState& state() { return projector_->state(); }
  projections::SignerLookup signers() { return projections::LedgerSigners(*ledger_); }

  Identity Who(const std::string& name) {
    if (name.empty()) return Identity::Anonymous();
    Result<Identity> who = IdentityOf(ledger_->keys(), name);
    EXPECT_TRUE(who.ok()) << name << ": " << who.status().ToString();
    return who.ok() ? *who : Identity::Anonymous();
  }

  // "OK" or the refusal's public code and message.
  static std::string Verdict(const Status& s) { return s.ok() ? "OK" : s.ToString(); }

  // The names (anonymous as "-") among `names` that may read `target`.
  std::set<std::string> Readers(const ReadTarget& target, const ReadPolicy& policy = {}) {
    std::set<std::string> out;
    for (const std::string& name : AllNames()) {
      Status s = MayRead(Who(name), target, policy);
      if (s.ok()) {
        out.insert(name.empty() ? "-" : name);
      } else {
        EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
        EXPECT_THAT(s.ToString(), HasSubstr("UNAUTHORIZED: "));
      }
    }
    return out;
  }
  static std::vector<std::string> AllNames() {
    return {"",          "admin",     "porteur",  "porteur-b", "ars-bzh", "ars-idf",
            "payer-bzh", "payer-idf", "ars-both", "national",  "auditor"};
  }

  void Revoke(const std::string& name) {
    Must("admin", "key.revoked", "2024-05-01", {{"name", name}, {"reason", "left"}});
  }

  Result<Identity> AnswerWith(Challenge& challenge, const std::string& signing_key,
                              const std::string& claimed_name, std::string_view origin = kOrigin) {
    ledger::Signature sig =
        SignChallenge(*keys_.at(signing_key), origin, challenge.nonce(), claimed_name);
    return challenge.Answer(ledger_->keys(), kOrigin, claimed_name, sig);
  }
};

// ---- Authentication ----

TEST_F(AccessTest, NonceIsFreshAndOfTheAnnouncedSize) {
  ledger::Bytes a = NewNonce();
  ledger::Bytes b = NewNonce();
  EXPECT_EQ(a.size(), kNonceSize);
  EXPECT_EQ(b.size(), kNonceSize);
  EXPECT_NE(a, b);
  Challenge c1, c2;
  EXPECT_FALSE(std::equal(c1.nonce().begin(), c1.nonce().end(), c2.nonce().begin()));
}

TEST_F(AccessTest, ChallengeMessageBytesAreFramedByLength) {
  ledger::Bytes nonce(32);
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(i);
  const std::string m = AuthChallengeMessage("o", nonce, "k");
  std::string expected = "esms-ledger/auth-challenge/v1";
  expected += std::string("\0\0\0\0\1o", 6);
  expected += std::string("\0\0\0\x20", 4);
  expected.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  expected += std::string("\0\0\0\1k", 5);
  EXPECT_EQ(ledger::ToHex(ledger::AsBytes(m)), ledger::ToHex(ledger::AsBytes(expected)));
  // The framing keeps fields apart: moving a byte from the origin to the key name
  // changes the message.
  EXPECT_NE(AuthChallengeMessage("ab", nonce, "c"), AuthChallengeMessage("a", nonce, "bc"));
}

TEST_F(AccessTest, ChallengeMessageCanBeNeitherAStatementNorASignedNote) {
  // A statement is a canonical Cap'n Proto message: its root pointer (struct, offset 0)
  // starts with 4 zero bytes (docs/format.md §2). The challenge starts with text.
  Result<ledger::Record> genesis = ledger_->Get(0);
  ASSERT_TRUE(genesis.ok());
  ASSERT_GE(genesis->statement_bytes.size(), 4u);
  EXPECT_EQ(ledger::ToHex(ledger::ByteView(genesis->statement_bytes).first(4)), "00000000");
  const std::string m = AuthChallengeMessage(kOrigin, NewNonce(), "porteur");
  EXPECT_NE(m[0], '\0');
  // A signed note or a cosignature is text with no control character but "\n"
  // (c2sp.org/signed-note, docs/format.md §6): the challenge holds a NUL right after
  // its context string.
  EXPECT_EQ(m.find('\0'), kAuthContext.size());
  // And a signature of the challenge is no statement signature of the same key.
  ledger::Signature sig = SignChallenge(*keys_.at("admin"), kOrigin, NewNonce(), "admin");
  EXPECT_FALSE(ledger::VerifyStatementSignature(genesis->statement_bytes, sig,
                                                keys_.at("admin")->public_key()));
}

TEST_F(AccessTest, AnEnrolledKeyIsAuthenticatedWithItsRolesAndRegions) {
  Challenge challenge;
  Result<Identity> who = AnswerWith(challenge, "ars-both", "ars-both");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->key_name, "ars-both");
  EXPECT_THAT(who->roles, ::testing::ElementsAre("ars-instructor"));
  EXPECT_THAT(who->regions, ::testing::ElementsAre("53", "11"));
  EXPECT_EQ(who->Describe(), "key 'ars-both' (ars-instructor)");
  EXPECT_TRUE(challenge.spent());
}

TEST_F(AccessTest, UnknownKeyIsRefused) {
  Challenge challenge;
  auto stranger = ledger::SigningKey::Generate();
  ASSERT_TRUE(stranger.ok());
  ledger::Signature sig = SignChallenge(*stranger, kOrigin, challenge.nonce(), "stranger");
  Result<Identity> who = challenge.Answer(ledger_->keys(), kOrigin, "stranger", sig);
  EXPECT_EQ(Verdict(who.status()),
            "UNAUTHORIZED: authentication refused: key 'stranger' is not enrolled");
}

TEST_F(AccessTest, RevokedKeyIsRefused) {
  Revoke("porteur-b");
  Challenge challenge;
  Result<Identity> who = AnswerWith(challenge, "porteur-b", "porteur-b");
  EXPECT_THAT(Verdict(who.status()),
              ::testing::MatchesRegex(
                  "UNAUTHORIZED: authentication refused: key 'porteur-b' was revoked at seq "
                  "[0-9]+"));
}

TEST_F(AccessTest, KeyEnrolledAfterTheNonceIsCheckedAtTheHead) {
  // The nonce only makes the answer fresh; the key is the one enrolled when the answer
  // is checked (the head of the ledger), so a key enrolled in between is accepted...
  Challenge challenge;
  Enrol("late", {"auditor"}, {});
  Result<Identity> who = AnswerWith(challenge, "late", "late");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_TRUE(who->SeesEverything());
  // ... and a key revoked in between is refused.
  Challenge second;
  Revoke("late");
  EXPECT_THAT(Verdict(AnswerWith(second, "late", "late").status()),
              HasSubstr("key 'late' was revoked at seq"));
}

TEST_F(AccessTest, SignatureForAnotherLedgersOriginIsRefused) {
  Challenge challenge;
  Result<Identity> who = AnswerWith(challenge, "porteur", "porteur", "other.example/esms");
  EXPECT_EQ(Verdict(who.status()),
            "UNAUTHORIZED: authentication refused: the challenge's signature does not verify "
            "with key 'porteur' as enrolled at seq 1 (another key, another ledger's origin or "
            "another challenge)");
}

TEST_F(AccessTest, SignatureOfAnotherKeyIsRefused) {
  // porteur-b signs a challenge naming "porteur": its signature does not verify with
  // porteur's key.
  Challenge challenge;
  EXPECT_THAT(Verdict(AnswerWith(challenge, "porteur-b", "porteur").status()),
              HasSubstr("does not verify with key 'porteur'"));
  // And a signature made for one name is no answer for another, even by the same
  // holder of two keys.
  Challenge second;
  ledger::Signature sig = SignChallenge(*keys_.at("porteur"), kOrigin, second.nonce(), "porteur");
  EXPECT_THAT(Verdict(second.Answer(ledger_->keys(), kOrigin, "porteur-b", sig).status()),
              HasSubstr("does not verify with key 'porteur-b'"));
}

TEST_F(AccessTest, NonceIsSingleUse) {
  Challenge challenge;
  ledger::Signature sig =
      SignChallenge(*keys_.at("porteur"), kOrigin, challenge.nonce(), "porteur");
  ASSERT_TRUE(challenge.Answer(ledger_->keys(), kOrigin, "porteur", sig).ok());
  // The same valid answer again: refused.
  EXPECT_EQ(Verdict(challenge.Answer(ledger_->keys(), kOrigin, "porteur", sig).status()),
            "UNAUTHORIZED: authentication refused: this challenge was already answered; ask "
            "for a new one");
  // A failed first answer spends the challenge too: no guessing on one nonce.
  Challenge other;
  auto wrong = ledger::SigningKey::Generate();
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(
      other.Answer(ledger_->keys(), kOrigin, "porteur", wrong->Sign(ledger::AsBytes("x"))).ok());
  ledger::Signature good = SignChallenge(*keys_.at("porteur"), kOrigin, other.nonce(), "porteur");
  EXPECT_THAT(Verdict(other.Answer(ledger_->keys(), kOrigin, "porteur", good).status()),
              HasSubstr("already answered"));
}

TEST_F(AccessTest, ConcurrentAnswersToOneChallengeAcceptExactlyOne) {
  Challenge challenge;
  const ledger::Signature sig =
      SignChallenge(*keys_.at("porteur"), kOrigin, challenge.nonce(), "porteur");
  std::atomic<int> accepted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      Result<Identity> who = challenge.Answer(ledger_->keys(), kOrigin, "porteur", sig);
      (who.ok() ? accepted : refused)++;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

TEST_F(AccessTest, AnswerToAnotherConnectionsChallengeIsRefused) {
  Challenge mine, theirs;
  ledger::Signature sig = SignChallenge(*keys_.at("porteur"), kOrigin, theirs.nonce(), "porteur");
  EXPECT_THAT(Verdict(mine.Answer(ledger_->keys(), kOrigin, "porteur", sig).status()),
              HasSubstr("does not verify"));
  // With the nonce echoed: compared to this challenge's own (constant time).
  Challenge echoed;
  ledger::Signature sig2 = SignChallenge(*keys_.at("porteur"), kOrigin, theirs.nonce(), "porteur");
  EXPECT_EQ(
      Verdict(echoed.Answer(ledger_->keys(), kOrigin, theirs.nonce(), "porteur", sig2).status()),
      "UNAUTHORIZED: authentication refused: the nonce answered is not this connection's "
      "challenge");
  Challenge right;
  ledger::Signature sig3 = SignChallenge(*keys_.at("porteur"), kOrigin, right.nonce(), "porteur");
  EXPECT_TRUE(right.Answer(ledger_->keys(), kOrigin, right.nonce(), "porteur", sig3).ok());
}

TEST_F(AccessTest, ExpiredChallengeIsRefused) {
  const auto t0 = Challenge::Clock::now();
  Challenge on_time(t0, std::chrono::seconds(60));
  ledger::Signature sig = SignChallenge(*keys_.at("porteur"), kOrigin, on_time.nonce(), "porteur");
  EXPECT_TRUE(
      on_time.Answer(ledger_->keys(), kOrigin, "porteur", sig, t0 + std::chrono::seconds(60)).ok());
  Challenge late(t0, std::chrono::seconds(60));
  ledger::Signature sig2 = SignChallenge(*keys_.at("porteur"), kOrigin, late.nonce(), "porteur");
  EXPECT_THAT(
      Verdict(late.Answer(ledger_->keys(), kOrigin, "porteur", sig2, t0 + std::chrono::seconds(61))
                  .status()),
      HasSubstr("the challenge expired"));
}

TEST_F(AccessTest, MalformedAnswersAreRefusedWithoutEchoingThem) {
  ledger::Bytes short_nonce(31, 7);
  ledger::Signature sig = SignChallenge(*keys_.at("porteur"), kOrigin, short_nonce, "porteur");
  EXPECT_EQ(Verdict(Authenticate(ledger_->keys(), kOrigin, short_nonce, "porteur", sig).status()),
            "UNAUTHORIZED: authentication refused: the challenge nonce is 31 bytes, not 32");
  Challenge challenge;
  const std::string hostile = "porteur\n2024-01-01 forged log line";
  Result<Identity> who = challenge.Answer(ledger_->keys(), kOrigin, hostile, sig);
  ASSERT_FALSE(who.ok());
  EXPECT_THAT(who.status().message(), Not(HasSubstr("forged")));
  EXPECT_THAT(who.status().message(), HasSubstr("not a valid key name"));
}

TEST_F(AccessTest, KeyRevokedDuringAConnectionReadsNothingMore) {
  Challenge challenge;
  ASSERT_TRUE(AnswerWith(challenge, "auditor", "auditor").ok());
  Revoke("auditor");
  // The server asks IdentityOf before each read.
  EXPECT_THAT(Verdict(IdentityOf(ledger_->keys(), "auditor").status()),
              HasSubstr("UNAUTHORIZED: authentication refused: key 'auditor' was revoked"));
}

// ---- Read scoping ----

TEST_F(AccessTest, PublicReadsNeedNoKey) {
  for (ReadKind kind : {ReadKind::kCheckpoint, ReadKind::kProve, ReadKind::kConsistency,
                        ReadKind::kTileHashes, ReadKind::kRules}) {
    ReadTarget target = Of(kind);
    std::set<std::string> all;
    for (const std::string& n : AllNames()) all.insert(n.empty() ? "-" : n);
    EXPECT_EQ(Readers(target), all) << ToString(kind);
  }
}

TEST_F(AccessTest, ProjectReadsByRole) {
  // bzh-1: porteur's, Bretagne.
  for (ReadKind kind :
       {ReadKind::kState, ReadKind::kCheck, ReadKind::kHistoryProject, ReadKind::kBundle}) {
    ReadTarget target = ProjectTarget(kind, state(), signers(), "bzh-1");
    ASSERT_TRUE(target.exists);
    EXPECT_EQ(target.projects.at(0).owner, "porteur");
    EXPECT_EQ(Readers(target), (std::set<std::string>{"porteur", "ars-bzh", "payer-bzh", "ars-both",
                                                      "national", "auditor"}))
        << ToString(kind);
  }
  // history PROJECT goes through HistoryTarget: the same readers.
  ReadTarget history = HistoryTarget(state(), signers(), "bzh-1");
  EXPECT_EQ(history.kind, ReadKind::kHistoryProject);
  EXPECT_EQ(Readers(history), (std::set<std::string>{"porteur", "ars-bzh", "payer-bzh", "ars-both",
                                                     "national", "auditor"}));
}

TEST_F(AccessTest, PorteurAsksForAnotherPorteursProject) {
  ReadTarget theirs = ProjectTarget(ReadKind::kState, state(), signers(), "bzh-2");
  EXPECT_EQ(Verdict(MayRead(Who("porteur"), theirs)),
            "UNAUTHORIZED: key 'porteur' (porteur) may not read state of project \"bzh-2\": a "
            "porteur reads the projects its key submitted");
  EXPECT_TRUE(MayRead(Who("porteur-b"), theirs).ok());
}

TEST_F(AccessTest, RefusalNeverTellsWhetherTheProjectExists) {
  for (std::string name : {"porteur", "ars-idf", "payer-bzh", "admin", ""}) {
    ReadTarget seen = ProjectTarget(ReadKind::kCheck, state(), signers(), "bzh-2");
    ReadTarget unknown = ProjectTarget(ReadKind::kCheck, state(), signers(), "zz-9");
    ASSERT_FALSE(unknown.exists);
    Status a = MayRead(Who(name), seen);
    Status b = MayRead(Who(name), unknown);
    if (name == "payer-bzh") {
      EXPECT_TRUE(a.ok());  // Bretagne's payer reads bzh-2
    } else {
      ASSERT_FALSE(a.ok()) << name;
      std::string same = a.ToString();
      same.replace(same.find("bzh-2"), 5, "zz-9");
      EXPECT_EQ(b.ToString(), same) << name;
    }
    ASSERT_FALSE(b.ok()) << name;
  }
  // A key that sees everything is let through: the read itself answers UNKNOWN_PROJECT.
  ReadTarget unknown = ProjectTarget(ReadKind::kState, state(), signers(), "zz-9");
  EXPECT_TRUE(MayRead(Who("national"), unknown).ok());
  EXPECT_TRUE(MayRead(Who("auditor"), unknown).ok());
}

// `history KEY` names a project, an establishment or nothing: a key that may not read it
// gets one refusal for all three (only the key it asked for differs), so probing keys
// tells no project from an establishment from nothing (docs/access.md §3).
TEST_F(AccessTest, HistoryRefusalNeverTellsWhatTheKeyNames) {
  const std::vector<std::string> keys = {"bzh-2", Et(3), Et(41), "zz-9"};  // project, ESSMS of
  // bzh-2, a FINESS nobody recorded, nothing
  for (std::string name : {"porteur", "ars-idf", "admin", ""}) {
    SCOPED_TRACE(name.empty() ? "anonymous" : name);
    std::set<std::string> refusals;
    for (const std::string& key : keys) {
      Status s = MayRead(Who(name), HistoryTarget(state(), signers(), key));
      ASSERT_FALSE(s.ok()) << key;
      std::string text = s.ToString();
      const size_t at = text.find(base::Quote(key));
      ASSERT_NE(at, std::string::npos) << text;
      text.replace(at, base::Quote(key).size(), "KEY");
      refusals.insert(text);
    }
    EXPECT_EQ(refusals.size(), 1u) << ::testing::PrintToString(refusals);
  }
}

TEST_F(AccessTest, RefusalQuotesWhatTheClientNamed) {
  // The refusal is logged: a name from the network never starts a line of its own.
  ReadTarget hostile =
      ProjectTarget(ReadKind::kState, state(), signers(), "x\n2026-01-01 INFO granted");
  EXPECT_EQ(Verdict(MayRead(Who("porteur"), hostile)),
            "UNAUTHORIZED: key 'porteur' (porteur) may not read state of project "
            "\"x\\u000A2026-01-01 INFO granted\": a porteur reads the projects its key "
            "submitted");
  EXPECT_THAT(Verdict(MayRead(Who("porteur"), HistoryTarget(state(), signers(), "a\rb"))),
              HasSubstr("may not read history of \"a\\u000Db\""));
}

TEST_F(AccessTest, ArsOnAGrappeSpanningItsRegionAndAnother) {
  // grappe-1 has an establishment in Bretagne (53) and one in Île-de-France (11): the
  // ARS of either region reads it (INTERFACE.md §1: "a multi-regional project may be
  // acted on by the ARS of any of its regions").
  ReadTarget grappe = ProjectTarget(ReadKind::kCheck, state(), signers(), "grappe-1");
  EXPECT_EQ(grappe.projects.at(0).regions, (std::set<std::string>{"11", "53"}));
  EXPECT_EQ(Readers(grappe),
            (std::set<std::string>{"porteur-b", "ars-bzh", "ars-idf", "payer-bzh", "payer-idf",
                                   "ars-both", "national", "auditor"}));
  // idf-1 is in Île-de-France only.
  ReadTarget idf = ProjectTarget(ReadKind::kState, state(), signers(), "idf-1");
  EXPECT_EQ(Verdict(MayRead(Who("ars-bzh"), idf)),
            "UNAUTHORIZED: key 'ars-bzh' (ars-instructor) may not read state of project "
            "\"idf-1\": an ARS key reads the projects with an establishment in its regions (53)");
  EXPECT_TRUE(MayRead(Who("ars-idf"), idf).ok());
}

TEST_F(AccessTest, AnExtensionsRegionReadsTheProject) {
  // A complément de grappe in Île-de-France, paid by that region's ARS (DOMAIN.md §7):
  // its ARS reads the project it pays into.
  SubmitSelectSign(Submission("bzh-3", {Et(10)}), 2100000);
  json ext = ::esms::projections::testing::Extension("bzh-3", {}, true);
  ext["establishments"] = json::array({::esms::testing::Establishment(EtIdf(10))});
  ext["payingRegion"] = "11";
  Must("ars-bzh", "grappe.extended", "2024-09-01", ext);
  ReadTarget target = ProjectTarget(ReadKind::kCheck, state(), signers(), "bzh-3");
  EXPECT_EQ(target.projects.at(0).regions, (std::set<std::string>{"11", "53"}));
  EXPECT_TRUE(MayRead(Who("payer-idf"), target).ok());
}

TEST_F(AccessTest, HistoryOfAnEstablishment) {
  // Et(1) is in porteur's bzh-1 (Bretagne).
  ReadTarget et1 = HistoryTarget(state(), signers(), Et(1));
  EXPECT_EQ(et1.kind, ReadKind::kHistoryFiness);
  EXPECT_TRUE(et1.exists);
  EXPECT_EQ(et1.regions, (std::set<std::string>{"53"}));
  EXPECT_EQ(Readers(et1), (std::set<std::string>{"porteur", "ars-bzh", "payer-bzh", "ars-both",
                                                 "national", "auditor"}));
  // Followed through a renumbering: the new number is porteur's establishment too.
  const std::string renumbered = Et(30);
  Must("ars-bzh", "finess.changed", "2024-05-01",
       ::esms::testing::FinessChange(Et(1), renumbered, "renumbering", "2024-05-01"));
  EXPECT_TRUE(MayRead(Who("porteur"), HistoryTarget(state(), signers(), renumbered)).ok());
  // An establishment no project names, measured only: the ARS of its region reads it, no
  // porteur does (not even the one that measured it).
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(40), 100, 95, "2025-07-01", "2025-09-30"));
  ReadTarget measured = HistoryTarget(state(), signers(), Et(40));
  EXPECT_TRUE(measured.exists);
  EXPECT_EQ(Readers(measured),
            (std::set<std::string>{"ars-bzh", "payer-bzh", "ars-both", "national", "auditor"}));
  // Unknown FINESS and garbage: the refusal a porteur gets for another's establishment.
  ReadTarget unknown = HistoryTarget(state(), signers(), Et(41));
  EXPECT_FALSE(unknown.exists);
  const std::string theirs =
      Verdict(MayRead(Who("porteur"), HistoryTarget(state(), signers(), Et(3))));
  std::string expected = theirs;
  expected.replace(expected.find(Et(3)), Et(3).size(), Et(41));
  EXPECT_EQ(Verdict(MayRead(Who("porteur"), unknown)), expected);
  EXPECT_THAT(theirs, HasSubstr("key 'porteur' (porteur) may not read history of \"" + Et(3)));
  EXPECT_FALSE(MayRead(Who("ars-bzh"), HistoryTarget(state(), signers(), "not-a-key")).ok());
  EXPECT_TRUE(MayRead(Who("national"), unknown).ok());
}

TEST_F(AccessTest, LogAndVerify) {
  EXPECT_EQ(Readers(Of(ReadKind::kLog, "seqs 0-20")),
            (std::set<std::string>{"national", "auditor"}));
  EXPECT_EQ(Verdict(MayRead(Who("ars-both"), Of(ReadKind::kLog))),
            "UNAUTHORIZED: key 'ars-both' (ars-instructor) may not read log: every record is "
            "read by the national and auditor roles only");
  EXPECT_EQ(Readers(Of(ReadKind::kVerify)),
            (std::set<std::string>{"admin", "national", "auditor"}));
}

TEST_F(AccessTest, EntryTilesFollowThePolicy) {
  ReadTarget entries = Of(ReadKind::kTileEntries);
  EXPECT_EQ(Readers(entries).size(), AllNames().size());  // INTERFACE.md §6: tiles are public
  EXPECT_EQ(Readers(entries, ReadPolicy{.public_tile_entries = false}),
            (std::set<std::string>{"national", "auditor"}));
  EXPECT_THAT(Verdict(MayRead(Identity::Anonymous(), entries, {.public_tile_entries = false})),
              HasSubstr("anonymous connection may not read entry tiles: authenticate"));
}

TEST_F(AccessTest, ActiveDuiReportIsTheWholeLedgersForEveryReader) {
  Must("porteur", "indicator.measured", "2025-10-01",
       Measurement(Et(1), 100, 90, "2025-07-01", "2025-09-30"));
  Must("porteur-b", "indicator.measured", "2025-10-01",
       Measurement(EtIdf(2), 100, 70, "2025-07-01", "2025-09-30"));
  auto at = domain::Date::Parse("2025-12-31");
  ASSERT_TRUE(at.ok());
  auto whole = projections::ComputeActiveDui(state(), *at, projections::ReportBy::kRegion);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->total, 160);

  for (ReadKind kind : {ReadKind::kReportActiveDui, ReadKind::kReportBundle}) {
    std::set<std::string> readers;
    for (const std::string& name : AllNames()) {
      if (MayRead(Who(name), ActiveDuiTarget(Who(name), kind)).ok()) readers.insert(name);
    }
    EXPECT_EQ(readers, (std::set<std::string>{"ars-bzh", "ars-idf", "payer-bzh", "payer-idf",
                                              "ars-both", "national", "auditor"}))
        << ToString(kind);
  }
  // Every reader gets the whole ledger's figure (the indicator is public programme
  // data): an ARS too, whatever regions it asks about.
  for (const char* name : {"ars-bzh", "national"}) {
    ReadTarget target = ActiveDuiTarget(Who(name));
    EXPECT_TRUE(target.regions.empty()) << name;
    EXPECT_EQ(RestrictActiveDui(*whole, target.regions).total, 160) << name;
  }
  EXPECT_TRUE(MayRead(Who("ars-bzh"), Of(ReadKind::kReportActiveDui, "regions 11", {"11"})).ok());
  // A report of some regions, when one is wanted: Bretagne's figure.
  projections::ActiveDuiReport scoped = RestrictActiveDui(*whole, {"53"});
  EXPECT_EQ(scoped.total, 90);
  EXPECT_EQ(scoped.establishments, 1);
  ASSERT_EQ(scoped.evidence.size(), 1u);
  EXPECT_EQ(scoped.evidence[0].finess, Et(1));
  EXPECT_EQ(scoped.by, (std::map<std::string, int64_t>{{"53", 90}}));
  ASSERT_EQ(scoped.groups.size(), 1u);
  EXPECT_EQ(scoped.groups[0].label, "Bretagne");
  // A porteur asking for any: refused.
  EXPECT_EQ(Verdict(MayRead(Who("porteur"), ActiveDuiTarget(Who("porteur")))),
            "UNAUTHORIZED: key 'porteur' (porteur) may not read report active-dui: the "
            "indicator is read by the national, auditor and ARS roles");
}

TEST_F(AccessTest, AnonymousReadsNoProgrammeData) {
  const Identity nobody = Identity::Anonymous();
  EXPECT_EQ(Verdict(MayRead(nobody, ProjectTarget(ReadKind::kState, state(), signers(), "bzh-1"))),
            "UNAUTHORIZED: anonymous connection may not read state of project \"bzh-1\": "
            "authenticate with an enrolled key first");
  for (ReadKind kind :
       {ReadKind::kLog, ReadKind::kVerify, ReadKind::kReportActiveDui, ReadKind::kHistoryFiness}) {
    EXPECT_FALSE(MayRead(nobody, Of(kind)).ok()) << ToString(kind);
  }
}

}  // namespace
}  // namespace esms::service
