// The fields and event types issue 13 adds (INTERFACE.md §1): usageCommitments,
// dmpDocuments, targets.adjusted indicators[] / effectiveFrom, invoice.received,
// funding.recorded — JSON in, Cap'n Proto payload and back, exactly; and the payload
// of a targets.adjusted written before them still decodes.
#include <gtest/gtest.h>

#include <string>

#include "domain/event_codec.h"
#include "domain/events.h"

namespace esms::domain {
namespace {

// JSON -> Event -> payload -> EventData -> JSON: the same text.
std::string RoundTrip(const std::string& line) {
  Result<Event> event = ParseEvent(line);
  if (!event.ok()) return event.status().ToString();
  Result<std::vector<uint8_t>> payload = EncodePayload(event->data);
  if (!payload.ok()) return payload.status().ToString();
  Result<EventData> back = DecodePayload(event->type, *payload);
  if (!back.ok()) return back.status().ToString();
  if (!(*back == event->data)) return "decoded value differs";
  return DataToJson(*back);
}

TEST(NewFieldsTest, InvoiceReceivedRoundTripsOnItsProjectStream) {
  const std::string data =
      R"({"project":"GE-2021-003","tranche":"deployment","amountCents":990000,)"
      R"("receivedAt":"2022-04-01","reference":"F-1"})";
  EXPECT_EQ(
      RoundTrip(R"({"id":"i","type":"invoice.received","at":"2022-04-01","data":)" + data + "}"),
      data);
  Result<Event> event =
      ParseEvent(R"({"id":"i","type":"invoice.received","at":"2022-04-01","data":)" + data + "}");
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->stream, "project/GE-2021-003");
  // Only tranches 2 and 3 are paid on an invoice (001).
  std::string advance = data;
  advance.replace(advance.find("deployment"), 10, "advance");
  EXPECT_EQ(
      RoundTrip(R"({"id":"i","type":"invoice.received","at":"2022-04-01","data":)" + advance + "}")
          .substr(0, 9),
      "BAD_INPUT");
}

TEST(NewFieldsTest, FundingRecordedRoundTripsOnItsFinessStream) {
  const std::string data =
      R"({"finess":"350004560","campaign":"segur-2021","solution":{"vendor":"V","product":"P",)"
      R"("version":"1"},"operation":"upgrade","amountCents":500000,"grantedAt":"2021-11-15"})";
  const std::string line =
      R"({"id":"f","type":"funding.recorded","at":"2024-01-02","data":)" + data + "}";
  EXPECT_EQ(RoundTrip(line), data);
  EXPECT_EQ(ParseEvent(line)->stream, "finess/350004560");
}

TEST(NewFieldsTest, UsageCommitmentsAndDmpDocumentsRoundTrip) {
  const std::string measured =
      R"({"finess":"350004560","periodStart":"2022-01-01","periodEnd":"2022-03-31",)"
      R"("personsAccompanied":100,"activeFiles":90,"activeFilesWithPlan":54,)"
      R"("activeFilesWithAgendaEvent":72,"mssanteMessages":10,"dmpFed":5,"dmpDocuments":13})";
  EXPECT_EQ(RoundTrip(R"({"id":"m","type":"indicator.measured","at":"2022-03-31","data":)" +
                      measured + "}"),
            measured);
  const std::string commitments =
      R"("usageCommitments":{"activeFilesRate":90,"planRate":80,"agendaRate":80,)"
      R"("mssanteMessages":300,"ePrescriptionImports":12}})";
  const std::string submission =
      R"({"project":"GE-1","campaign":"amorcage-2021","porteur":{"finessEj":"350001236",)"
      R"("siret":"35200123400017","name":"OG"},"kind":"usage","solution":{"vendor":"V",)"
      R"("product":"P","version":"1"},"organisations":[{"finessEj":"350001236","name":"OG",)"
      R"("essmsTotal":20,"region":"53"}],"establishments":[{"finess":"350004560",)"
      R"("finessEj":"350001236","name":"E","region":"53","situation":"upgrade"}],)"
      R"("submittedAt":"2021-03-01",)";
  EXPECT_EQ(RoundTrip(R"({"id":"s","type":"project.submitted","at":"2021-03-01","data":)" +
                      submission + commitments + "}"),
            submission + commitments);
  // Amorçage: required; rates in 1..100; at least two counts.
  auto refusal = [&](const std::string& c) {
    return RoundTrip(R"({"id":"s","type":"project.submitted","at":"2021-03-01","data":)" +
                     submission + c + "}");
  };
  EXPECT_EQ(refusal(R"("usageCommitments":{"activeFilesRate":90,"planRate":80,"agendaRate":80,)"
                    R"("mssanteMessages":300}})"),
            "BAD_INPUT: data.usageCommitments: at least two of mssanteMessages, dmpDocuments, "
            "ePrescriptionImports, eParcoursExchanges (001 \u00a73)");
  EXPECT_EQ(refusal(R"("usageCommitments":{"activeFilesRate":0,"planRate":80,"agendaRate":80,)"
                    R"("mssanteMessages":300,"dmpDocuments":1}})"),
            "BAD_INPUT: data.usageCommitments.activeFilesRate: 0 is not a whole percent in "
            "1..100");
  std::string without = submission;
  without.pop_back();  // the trailing comma
  EXPECT_EQ(RoundTrip(R"({"id":"s","type":"project.submitted","at":"2021-03-01","data":)" +
                      without + "}}"),
            "BAD_INPUT: data.usageCommitments: required in amorcage-2021 (001 \u00a73 "
            "Crit\u00e8res d'utilisation)");
}

TEST(NewFieldsTest, TargetsAdjustedNamesIndicatorsAndADate) {
  const std::string data =
      R"({"finess":"350004560","denominator":80,"indicators":["activeFiles","dmp"],)"
      R"("effectiveFrom":"2025-09-01","reason":"anonyme"})";
  EXPECT_EQ(
      RoundTrip(R"({"id":"t","type":"targets.adjusted","at":"2025-09-01","data":)" + data + "}"),
      data);
  // A payload written before issue 13 (no indicators, no date) still decodes.
  TargetsAdjusted old{.finess = *Finess::Parse("350004560"),
                      .denominator = 80,
                      .reason = "anonyme",
                      .indicators = {},
                      .effective_from = std::nullopt};
  Result<std::vector<uint8_t>> payload = EncodePayload(old);
  ASSERT_TRUE(payload.ok());
  Result<EventData> back = DecodePayload("targets.adjusted", *payload);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(std::get<TargetsAdjusted>(*back) == old);
}

}  // namespace
}  // namespace esms::domain
