// Tests of domain/events.h (streams, vocabularies, ValidateEventData on structs
// built in code) and of the private helpers behind the codec (base64, message
// quoting).
#include "domain/events.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/internal/base64.h"
#include "domain/internal/text.h"

namespace esms::domain {
namespace {

Finess F(std::string_view text) { return Finess::Parse(text).value(); }
Region R(std::string_view code) { return Region::Parse(code).value(); }
Date D(std::string_view text) { return Date::Parse(text).value(); }

// "OK" or "CODE: message".
std::string Check(const EventData& data) { return ValidateEventData(data).ToString(); }

EstablishmentEntry Establishment(std::string_view finess, std::string_view finess_ej) {
  return EstablishmentEntry{.finess = F(finess),
                            .finess_ej = F(finess_ej),
                            .name = "ESSMS " + std::string(finess),
                            .region = R("53"),
                            .situation = Situation::kAcquisition,
                            .saad_hours = std::nullopt,
                            .equipment_quote_cents = std::nullopt};
}

ProjectSubmitted Submission() {
  return ProjectSubmitted{
      .project = "BZH-2024-007",
      .campaign = Campaign::kGeneralisation2024,
      .porteur = Porteur{.finess_ej = F("350001236"),
                         .siret = Siret::Parse("35200123400017").value(),
                         .name = "Association Les Genêts d'Or",
                         .ght = std::nullopt,
                         .national_entity_agreement = std::nullopt},
      .kind = ProjectKind::kAcquisition,
      .solution = Solution{.vendor = "Editeur Ouest", .product = "DUI", .version = "5"},
      .organisations = {OrganisationEntry{.finess_ej = F("350001236"),
                                          .name = "Genêts d'Or",
                                          .essms_total = 12,
                                          .region = R("53")}},
      .establishments = {Establishment("350004560", "350001236"),
                         Establishment("350045670", "350001236")},
      .amoa_requested_cents = std::nullopt,
      .submitted_at = D("2024-03-10"),
      .usage_commitments = std::nullopt};
}

IndicatorMeasured Measure() {
  return IndicatorMeasured{.finess = F("350004560"),
                           .period_start = D("2025-08-01"),
                           .period_end = D("2025-10-31"),
                           .persons_accompanied = 100,
                           .active_files = 90,
                           .active_files_with_plan = 90,
                           .active_files_with_agenda_event = 90,
                           .persons_eligible = std::nullopt,
                           .mssante_messages = 70,
                           .dmp_fed = 70,
                           .e_prescription_imports = std::nullopt,
                           .e_parcours_exchanges = std::nullopt,
                           .socle_period_start = std::nullopt,
                           .dmp_documents = std::nullopt};
}

TEST(EventsTest, StreamsFollowInterface) {
  EXPECT_EQ(StreamOf(Submission()), "project/BZH-2024-007");
  EXPECT_EQ(StreamOf(ProjectRejected{.project = "P-1", .reason = "r"}), "project/P-1");
  EXPECT_EQ(StreamOf(ExpensesCertified{.project = "P-2",
                                       .total_cents = 1,
                                       .equipment_cents = 0,
                                       .certified_by = Certifier::kPublicAccountant,
                                       .certified_at = D("2025-01-01")}),
            "project/P-2");
  EXPECT_EQ(StreamOf(Measure()), "finess/350004560");
  EXPECT_EQ(StreamOf(FinessChanged{.from = F("350045670"),
                                   .to = F("350007894"),
                                   .kind = FinessChangeKind::kMerger,
                                   .effective_at = D("2025-01-01")}),
            "finess/350045670");
  EXPECT_EQ(StreamOf(TargetsAdjusted{.finess = F("2A0000170"),
                                     .denominator = 3,
                                     .reason = "x",
                                     .indicators = {AdjustedIndicator::kActiveFiles},
                                     .effective_from = D("2025-01-01")}),
            "finess/2A0000170");
  EXPECT_EQ(StreamOf(SolutionReferenced{.solution = {"v", "p", "1"},
                                        .corridor = "medico-social",
                                        .status = SolutionStatus::kCandidate,
                                        .referenced_at = D("2023-01-01")}),
            "programme");
  EXPECT_EQ(StreamOf(KeyRevoked{.name = "k", .reason = "r"}), "programme");
  EXPECT_EQ(StreamOf(EventVoided{.seq = 3, .reason = "r"}), "programme");
}

TEST(EventsTest, VocabularySpellings) {
  EXPECT_EQ(ToString(ProjectKind::kMixed), "mixed");
  EXPECT_EQ(ToString(Situation::kUpgrade), "upgrade");
  EXPECT_EQ(ToString(Tranche::kParametrisation), "parametrisation");
  EXPECT_EQ(ToString(EuFund::kHopen), "HOPEN");
  EXPECT_EQ(ToString(EuOperation::kAcquisition), "acquisition");
  EXPECT_EQ(ToString(FinessChangeKind::kRenumbering), "renumbering");
  EXPECT_EQ(ToString(Certifier::kStatutoryAuditor), "statutory-auditor");
  EXPECT_EQ(ToString(SolutionStatus::kReferenced), "referenced");
  EXPECT_EQ(ToString(Role::kArsPayer), "ars-payer");
  EXPECT_EQ(ParseRole("auditor").value(), Role::kAuditor);
  EXPECT_EQ(ParseRole("Admin").status().ToString(),
            "BAD_INPUT: \"Admin\" is not a role (expected one of: admin, porteur, "
            "ars-instructor, ars-payer, national, auditor)");
}

TEST(EventsTest, IdentifierBoundaries) {
  EXPECT_TRUE(IsValidIdentifier("a"));
  EXPECT_TRUE(IsValidIdentifier("bzh-2024/0001:a_b.c"));
  EXPECT_TRUE(IsValidIdentifier(std::string(128, 'x')));
  EXPECT_FALSE(IsValidIdentifier(std::string(129, 'x')));
  EXPECT_FALSE(IsValidIdentifier(""));
  EXPECT_FALSE(IsValidIdentifier("a b"));
  EXPECT_FALSE(IsValidIdentifier("é"));
  EXPECT_FALSE(IsValidIdentifier("a+b"));
}

TEST(EventsTest, ValidSubmissionAndMeasurePass) {
  EXPECT_EQ(Check(Submission()), "OK");
  EXPECT_EQ(Check(Measure()), "OK");
  IndicatorMeasured zero = Measure();
  zero.persons_accompanied = zero.active_files = zero.active_files_with_plan =
      zero.active_files_with_agenda_event = 0;
  zero.period_end = zero.period_start;  // a one-day period is allowed
  EXPECT_EQ(Check(zero), "OK");
}

TEST(EventsTest, NegativeValuesBuiltInCodeAreRefused) {
  IndicatorMeasured measure = Measure();
  measure.dmp_fed = -1;
  EXPECT_EQ(Check(measure), "BAD_INPUT: data.dmpFed: must not be negative, got -1");
  measure = Measure();
  measure.persons_eligible = -3;
  EXPECT_EQ(Check(measure), "BAD_INPUT: data.personsEligible: must not be negative, got -3");

  ProjectSubmitted submission = Submission();
  submission.establishments[1].equipment_quote_cents = -100;
  EXPECT_EQ(Check(submission),
            "BAD_INPUT: data.establishments[1].equipmentQuoteCents: must not "
            "be negative, "
            "got -100");
  submission = Submission();
  submission.amoa_requested_cents = -1;
  EXPECT_EQ(Check(submission), "BAD_INPUT: data.amoaRequestedCents: must not be negative, got -1");

  ExpensesCertified expenses{.project = "P",
                             .total_cents = -1,
                             .equipment_cents = 0,
                             .certified_by = Certifier::kPublicAccountant,
                             .certified_at = D("2025-01-01")};
  EXPECT_EQ(Check(expenses), "BAD_INPUT: data.totalCents: must not be negative, got -1");
}

TEST(EventsTest, IndicatorBoundaries) {
  IndicatorMeasured measure = Measure();
  measure.active_files = measure.persons_accompanied;  // equal is fine
  EXPECT_EQ(Check(measure), "OK");
  measure.active_files = measure.persons_accompanied + 1;
  EXPECT_EQ(Check(measure),
            "BAD_INPUT: data.activeFiles: 101 exceeds data.personsAccompanied (100)");
}

TEST(EventsTest, SaadHoursBoundaries) {
  ProjectSubmitted submission = Submission();
  submission.establishments[0].saad_hours = SaadHours{.total = 1000, .eligible = 1000};
  EXPECT_EQ(Check(submission), "OK");
  submission.establishments[0].saad_hours = SaadHours{.total = 1000, .eligible = 0};
  EXPECT_EQ(Check(submission), "OK");
  submission.establishments[0].saad_hours = SaadHours{.total = 1000, .eligible = 1001};
  EXPECT_EQ(Check(submission),
            "BAD_INPUT: data.establishments[0].saadHours.eligible: 1001 "
            "eligible hours exceed "
            "the total of 1000");
}

TEST(EventsTest, GrappeChecks) {
  ProjectSubmitted submission = Submission();
  submission.establishments.push_back(Establishment("350004560", "350001236"));
  const Status duplicate = ValidateEventData(submission);
  EXPECT_EQ(duplicate.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(duplicate.ToString(),
            "DUPLICATE_FINESS: data.establishments[2].finess: 350004560 is "
            "listed twice in "
            "this event's establishments");

  submission = Submission();
  submission.organisations.push_back(submission.organisations[0]);
  EXPECT_EQ(Check(submission),
            "BAD_INPUT: data.organisations[1].finessEj: organisation 350001236 "
            "is listed "
            "twice");

  GrappeExtended extension{.project = "BZH-2024-007",
                           .extended_at = D("2024-11-04"),
                           .porteur_agreement = true,
                           .paying_region = R("44"),
                           .organisations = {},
                           .establishments = {Establishment("560002222", "560001117")}};
  EXPECT_EQ(Check(extension),
            "BAD_INPUT: data.establishments[0].finessEj: 560001117 is not among "
            "data.organisations[].finessEj");
  extension.organisations.push_back(OrganisationEntry{
      .finess_ej = F("560001117"), .name = "Mutualité", .essms_total = 7, .region = R("53")});
  EXPECT_EQ(Check(extension), "OK");
  extension.establishments.clear();
  EXPECT_EQ(Check(extension),
            "BAD_INPUT: data.establishments: must list at least one establishment");
}

TEST(EventsTest, ConventionChecks) {
  ConventionSigned convention{.project = "BZH-2024-007",
                              .signed_at = D("2024-05-02"),
                              .amount_cents = 1,
                              .establishments = {F("350004560")},
                              .duration_months = 1};
  EXPECT_EQ(Check(convention), "OK");
  convention.establishments.clear();
  EXPECT_EQ(Check(convention),
            "BAD_INPUT: data.establishments: must list at least one establishment");
}

TEST(EventsTest, TextChecks) {
  EXPECT_EQ(Check(ProjectRejected{.project = "P-1", .reason = "line\nbreak"}),
            "BAD_INPUT: data.reason: contains a control character: "
            "\"line\\u000Abreak\"");
  EXPECT_EQ(Check(EventVoided{.seq = 1, .reason = ""}),
            "BAD_INPUT: data.reason: must not be empty");
  SolutionReferenced solution{.solution = {"Editeur", "", "1"},
                              .corridor = "medico-social",
                              .status = SolutionStatus::kCandidate,
                              .referenced_at = D("2023-01-01")};
  EXPECT_EQ(Check(solution), "BAD_INPUT: data.solution.product: must not be empty");
}

TEST(EventsTest, KeyRecordChecks) {
  KeyEnrolled key{.name = "ars-53+x", .public_key = {}, .roles = {}, .regions = {}};
  EXPECT_EQ(Check(key),
            "BAD_INPUT: data.name: a key name is 1-128 bytes without space, control "
            "character or '+', got \"ars-53+x\"");
  key.name = "ars-53";
  EXPECT_EQ(Check(key), "OK");
  key.regions = {R("53"), R("11"), R("53")};
  EXPECT_EQ(Check(key), "BAD_INPUT: data.regions[2]: region 53 is listed twice");
}

// ---- Private helpers. ----

TEST(Base64Test, Rfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {{"", ""},
                                                                    {"f", "Zg=="},
                                                                    {"fo", "Zm8="},
                                                                    {"foo", "Zm9v"},
                                                                    {"foob", "Zm9vYg=="},
                                                                    {"fooba", "Zm9vYmE="},
                                                                    {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    const std::vector<uint8_t> bytes(plain.begin(), plain.end());
    EXPECT_EQ(internal::Base64Encode(bytes), encoded);
    EXPECT_EQ(internal::Base64Decode(encoded), bytes) << encoded;
  }
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(internal::Base64Decode(internal::Base64Encode(all)), all);
}

TEST(Base64Test, RefusesEverythingButTheCanonicalForm) {
  for (const char* bad : {"Zg", "Zg=", "Zh==", "Zm9=", "Zm8", "Z===", "====", "Zm9v\n", " Zm9v",
                          "Zm9-", "Zm9_", "Zg==Zg==", "Zm=v"}) {
    EXPECT_FALSE(internal::Base64Decode(bad).has_value()) << bad;
  }
}

TEST(TextTest, QuoteKeepsMessagesPrintableAndShort) {
  EXPECT_EQ(internal::Quote("plain"), "\"plain\"");
  EXPECT_EQ(internal::Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(internal::Quote("tab\there"), "\"tab\\u0009here\"");
  EXPECT_EQ(internal::Quote("Genêts"), "\"Genêts\"");
  EXPECT_EQ(internal::Quote("bad\xFFutf8"), "\"bad\\xFFutf8\"");
  EXPECT_EQ(internal::Quote("abcdef", 3), "\"abc\"...");
  // Never cut inside a UTF-8 character: "é" is 2 bytes.
  EXPECT_EQ(internal::Quote("aé", 2), "\"aé\"");
  EXPECT_TRUE(internal::IsValidUtf8("Île-de-France"));
  EXPECT_FALSE(internal::IsValidUtf8("\xC3\x28"));
  EXPECT_FALSE(internal::IsValidUtf8("\xED\xA0\x80"));  // a surrogate
  EXPECT_FALSE(internal::IsValidUtf8("\xC0\xAF"));      // overlong '/'
}

}  // namespace
}  // namespace esms::domain
