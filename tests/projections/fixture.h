// Test fixture for the projections: a ledger in a temporary directory with an admin
// key, role keys enrolled by records, and events appended as JSON lines through the
// same path as `import` (EventAppender + Projector guard and fold); builders of
// realistic events with valid FINESS / SIRET numbers come from tests/testing/.
//
// Thread-safety: one fixture per test.
#ifndef ESMS_TESTS_PROJECTIONS_FIXTURE_H_
#define ESMS_TESTS_PROJECTIONS_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "domain/finess.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "projections/appender.h"
#include "projections/projector.h"
#include "projections/queries.h"
#include "tests/testing/events.h"
#include "tests/testing/ids.h"

namespace esms::projections::testing {

using nlohmann::json;

// Identifiers (MakeFiness, MakeSiret, Et, EtIdf, Ej) and event builders (Solution,
// Establishment, Submission, Extension, Measurement): tests/testing/.
using ::esms::testing::AmorcageCommitments;
using ::esms::testing::Ej;
using ::esms::testing::Establishment;
using ::esms::testing::Et;
using ::esms::testing::EtIdf;
using ::esms::testing::Extension;
using ::esms::testing::MakeFiness;
using ::esms::testing::MakeSiret;
using ::esms::testing::Measurement;
using ::esms::testing::Solution;
using ::esms::testing::Submission;

class ProjectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("esms-proj-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    auto admin = ledger::SigningKey::Generate();
    ASSERT_TRUE(admin.ok());
    keys_.emplace("admin", std::make_unique<ledger::SigningKey>(std::move(admin).value()));
    auto created = ledger::Ledger::Create(dir_, "test.example/esms", "admin", *keys_.at("admin"));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ledger_ = std::move(created).value();
    OpenProjector();
    Enrol("porteur", {"porteur"}, {});
    Enrol("ars-bzh", {"ars-instructor"}, {"53"});
    Enrol("ars-idf", {"ars-instructor"}, {"11"});
    Enrol("payer-bzh", {"ars-payer"}, {"53"});
    Enrol("payer-idf", {"ars-payer"}, {"11"});
    Enrol("national", {"national"}, {});
  }

  void TearDown() override {
    projector_.reset();
    ledger_.reset();
    std::filesystem::remove_all(dir_);
  }

  void OpenProjector() {
    auto projector = Projector::Open(*ledger_);
    ASSERT_TRUE(projector.ok()) << projector.status().ToString();
    projector_ = std::move(projector).value();
  }

  void Reopen() {
    projector_.reset();
    ledger_.reset();
    auto opened = ledger::Ledger::Open(dir_, ledger::Ledger::Mode::kReadWrite);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ledger_ = std::move(opened).value();
    OpenProjector();
  }

  void Enrol(const std::string& name, const std::vector<std::string>& roles,
             const std::vector<std::string>& regions) {
    auto key = ledger::SigningKey::Generate();
    ASSERT_TRUE(key.ok());
    json data = {{"name", name},
                 {"publicKey", ledger::Base64Encode(key->public_key())},
                 {"roles", roles},
                 {"regions", regions}};
    keys_.emplace(name, std::make_unique<ledger::SigningKey>(std::move(key).value()));
    auto seq = Append("admin", "key.enrolled", "2024-01-01", data);
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  }

  // The JSON line of an event.
  std::string Line(const std::string& type, const std::string& at, const json& data,
                   std::string id = "") {
    if (id.empty()) id = "e-" + std::to_string(++next_id_);
    return json{{"id", id}, {"type", type}, {"at", at}, {"data", data}}.dump();
  }

  // Appends one event signed by `signer` through the import path; the seq or the
  // refusal (then the projection is reloaded, as the CLI does).
  Result<uint64_t> AppendLine(const std::string& signer, const std::string& line) {
    EventAppender appender(*ledger_, *keys_.at(signer));
    projector_->Install(appender);
    std::string id;
    Result<ledger::Appended> added = appender.Add(line, &id);
    if (!added.ok()) {
      Status reload = projector_->Reload();
      EXPECT_TRUE(reload.ok()) << reload.ToString();
      return std::move(added).TakeStatus();
    }
    Status committed = appender.Commit();
    if (!committed.ok()) {
      EXPECT_TRUE(projector_->Reload().ok());
      return committed;
    }
    Status saved = projector_->SaveSnapshot();
    if (!saved.ok()) return saved;
    return added->seq;
  }

  Result<uint64_t> Append(const std::string& signer, const std::string& type, const std::string& at,
                          const json& data) {
    return AppendLine(signer, Line(type, at, data));
  }

  // Appends or fails the test; the seq.
  uint64_t Must(const std::string& signer, const std::string& type, const std::string& at,
                const json& data) {
    Result<uint64_t> seq = Append(signer, type, at, data);
    EXPECT_TRUE(seq.ok()) << type << ": " << seq.status().ToString() << " conflicts "
                          << ::testing::PrintToString(seq.status().conflicts());
    return seq.ok() ? *seq : 0;
  }

  // The refusal code of appending (or "OK"): the one the refusal names, else the name of
  // its canonical code ("PERMISSION_DENIED", "NOT_FOUND").
  std::string Code(const std::string& signer, const std::string& type, const std::string& at,
                   const json& data) {
    Result<uint64_t> seq = Append(signer, type, at, data);
    last_status_ = seq.ok() ? Status() : seq.status();
    if (seq.ok()) return "OK";
    const std::string& named = seq.status().error_code();
    return named.empty() ? std::string(StatusCodeName(seq.status().code())) : named;
  }

  // A project submitted, selected and under a convention of its whole entitlement.
  struct Funded {
    uint64_t submitted, selected, convention;
  };
  Funded SubmitSelectSign(const json& submission, int64_t amount_cents,
                          const std::string& signed_at = "2024-06-01", int duration = 18) {
    Funded f{};
    std::string project = submission["project"];
    f.submitted = Must("porteur", "project.submitted", "2024-03-10", submission);
    f.selected = Must("ars-bzh", "project.selected", "2024-04-15",
                      {{"project", project}, {"committeeAt", "2024-04-15"}});
    json ests = json::array();
    for (const auto& e : submission["establishments"]) ests.push_back(e["finess"]);
    f.convention = Must("ars-bzh", "convention.signed", signed_at,
                        {{"project", project},
                         {"signedAt", signed_at},
                         {"amountCents", amount_cents},
                         {"establishments", ests},
                         {"durationMonths", duration}});
    return f;
  }

  json State(const std::string& project) {
    auto view = ViewProject(projector_->state(), project);
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    return view.ok() ? json::parse(ToJson(*view)) : json();
  }

  std::vector<std::string> WarningCodes(const std::string& project) {
    std::vector<std::string> codes;
    const json state = State(project);
    for (const auto& w : state["warnings"]) codes.push_back(w["code"]);
    return codes;
  }

  // Every record's bytes, concatenated: the ledger byte for byte.
  std::string LedgerBytes() {
    std::string out;
    Status s = ledger_->Scan(0, ledger_->size(), [&](const ledger::Record& r) {
      out.append(r.bytes.begin(), r.bytes.end());
      return Status::OK();
    });
    EXPECT_TRUE(s.ok());
    return out + ledger::ToHex(ledger_->head_hash());
  }

  std::filesystem::path dir_;
  std::map<std::string, std::unique_ptr<ledger::SigningKey>> keys_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<Projector> projector_;
  Status last_status_;
  int next_id_ = 0;
};

// 2024 amounts (003 §3.3.2): acquisition 7 000 + 14 000 € up to the 49th ESSMS.
inline constexpr int64_t kAcquisition2024 = 2100000;
inline constexpr int64_t kUpgrade2024 = 500000;

}  // namespace esms::projections::testing

#endif  // ESMS_TESTS_PROJECTIONS_FIXTURE_H_
