// The demo programme generator: the phases in order, then the events in ledger order.
// See demo/generator.h.
#include "demo/generator.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "demo/internal/phases.h"
#include "demo/internal/plan.h"
#include "demo/internal/rng.h"
#include "demo/internal/tables.h"
#include "domain/finess.h"
#include "ledger/hash.h"

namespace esms::demo {

using internal::D;
using internal::Plan;

char LuhnKeyDigit(std::string_view digits) {
  for (char key = '0'; key <= '9'; ++key) {
    std::string candidate(digits);
    candidate.push_back(key);
    if (domain::LuhnValid(candidate)) return key;
  }
  return '0';  // unreachable: one digit always completes a Luhn number
}

std::string KeyPem(uint64_t seed, std::string_view name) {
  ledger::Hash secret = ledger::Sha256(fmt::format("esms-ledger demo key\n{}\n{}", seed, name));
  // PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410 §7): a fixed 16-byte prefix + the seed.
  ledger::Bytes der = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                       0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
  der.insert(der.end(), secret.begin(), secret.end());
  return "-----BEGIN PRIVATE KEY-----\n" + ledger::Base64Encode(der) +
         "\n-----END PRIVATE KEY-----\n";
}

Result<std::unique_ptr<Generator>> Generator::Create(const Options& options) {
  auto plan = std::make_unique<Plan>();
  Plan& P = *plan;
  P.options = options;
  ASSIGN_OR_RETURN(P.today, domain::Date::Parse(options.today));
  if (P.today < D(2025, 12, 31)) {
    return Status::BadInput("the demo's today must be 2025-12-31 or later");
  }
  P.national = options.scale == Scale::kNational;
  const int target =
      options.establishments > 0 ? options.establishments : (P.national ? 36500 : 2000);
  if (target < 40) return Status::BadInput("the demo needs at least 40 establishments");
  internal::Rng rng(options.seed);

  internal::ChooseRegionsAndKeys(P);
  if (P.regions.empty()) {
    return Status::BadInput("unknown region \"" + options.region + "\" (INSEE code, e.g. 53)");
  }
  RETURN_IF_ERROR(internal::DrawOrganisations(P, rng, target));
  internal::DrawGrappes(P, rng);
  RETURN_IF_ERROR(internal::DrawCampaigns(P, rng));
  internal::DrawUsageCurves(P, rng);
  RETURN_IF_ERROR(internal::DrawNeighbourOgs(P, rng));
  internal::ReferenceSolutions(P);
  RETURN_IF_ERROR(internal::LiveProjects(P, rng));
  RETURN_IF_ERROR(internal::RenumberFiness(P, rng));
  RETURN_IF_ERROR(internal::DrawOutsideProgramme(P, rng));
  RETURN_IF_ERROR(internal::PayBalances(P));
  internal::OrderAndSummarize(P);
  RETURN_IF_ERROR(internal::DrawRefusedAttempts(P));
  return std::unique_ptr<Generator>(new Generator(std::move(plan)));
}

Generator::Generator(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}
Generator::~Generator() = default;

const std::vector<Key>& Generator::keys() const { return plan_->keys; }
const Summary& Generator::summary() const { return plan_->summary; }
const std::vector<Attempt>& Generator::Attempts() const { return plan_->attempts; }

std::string Generator::origin() const {
  return plan_->national ? std::string("demo.esms-numerique.example/national")
                         : "demo.esms-numerique.example/" + plan_->Slug(plan_->regions.front());
}

std::string Generator::scope_name() const {
  if (plan_->national) return fmt::format("France, {} régions", plan_->regions.size());
  const internal::RegionInfo& r = internal::Regions()[static_cast<size_t>(plan_->regions.front())];
  return fmt::format("{} ({})", r.name, r.code);
}

Result<EventLine> Generator::KeyEnrolment(size_t i,
                                          const std::array<uint8_t, 32>& public_key) const {
  if (i == 0 || i >= plan_->keys.size()) {
    return Status::Internal(fmt::format("demo: no key {} to enrol", i));
  }
  const Key& key = plan_->keys[i];
  domain::KeyEnrolled data;
  data.name = key.name;
  data.public_key = public_key;
  for (const std::string& role : key.roles) {
    ASSIGN_OR_RETURN(domain::Role parsed, domain::ParseRole(role));
    data.roles.push_back(parsed);
  }
  for (const std::string& region : key.regions) {
    ASSIGN_OR_RETURN(domain::Region parsed, domain::Region::Parse(region));
    data.regions.push_back(std::move(parsed));
  }
  const std::string id = "key/" + key.name;
  const domain::Date at = D(2021, 1, 4);
  // The first demo wrote its key enrolments with their keys in alphabetical order; they
  // keep that byte form, so that a seed's ledger root stays the same.
  std::string json = nlohmann::json::parse(internal::EventJson(id, at, std::move(data))).dump();
  return EventLine{plan_->keys.front().name, id, at.ToString(), std::move(json)};
}

Status Generator::Emit(const std::function<Status(const EventLine&)>& emit) const {
  const Plan& P = *plan_;
  // The measurements are drawn month by month and merged into the timeline at their
  // report date (the 5th of the next month), after the admin's and national events of
  // that day and before the porteurs', ARS instructors' and payers'.
  int first = std::numeric_limits<int>::max();
  for (const internal::Est& e : P.ests) {
    if (e.first_month >= 0) first = std::min(first, e.first_month);
  }
  const int last = P.LastMonth();
  size_t next = 0;
  auto emit_until = [&](domain::Date date, int rank_below) -> Status {
    while (next < P.timeline.size()) {
      const internal::Timed& t = P.timeline[next];
      if (t.date > date || (t.date == date && t.rank >= rank_below)) break;
      RETURN_IF_ERROR(emit(t.event));
      ++next;
    }
    return Status::OK();
  };
  for (int m = first; m <= last; ++m) {
    RETURN_IF_ERROR(emit_until(internal::ReportDate(m), internal::kPorteurRank));
    for (const internal::Est& e : P.ests) {
      if (e.first_month < 0 || m < e.first_month) continue;
      ASSIGN_OR_RETURN(EventLine measurement, P.Measurement(e, m));
      RETURN_IF_ERROR(emit(measurement));
    }
  }
  return emit_until(domain::Date::FromDays(std::numeric_limits<int32_t>::max()), 0);
}

}  // namespace esms::demo
