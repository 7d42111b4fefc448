// Tests of domain/event_codec.h: every event type of INTERFACE.md §1 round
// trips (JSON -> typed -> JSON -> typed, typed -> payload -> typed,
// deterministic bytes), and each kind of malformed input is refused with its
// exact code and the field's path.
#include "domain/event_codec.h"

#include <capnp/message.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "domain/events.capnp.h"
#include "domain/events.h"
#include "domain/internal/text.h"

namespace esms::domain {
namespace {

using OrderedJson = nlohmann::ordered_json;
using testing::HasSubstr;
using testing::StartsWith;

struct CorpusLine {
  int line_number;
  std::string text;
};

// The valid events of tests/domain/testdata/events.jsonl (comments and blanks
// skipped).
std::vector<CorpusLine> LoadCorpus() {
  std::ifstream in(std::string(ESMS_SOURCE_DIR) + "/tests/domain/testdata/events.jsonl");
  std::vector<CorpusLine> lines;
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    if (text.empty() || text[0] == '#') continue;
    lines.push_back({number, text});
  }
  return lines;
}

// The corpus event of type `type` (the first one), as text.
std::string CorpusEvent(std::string_view type) {
  for (const CorpusLine& line : LoadCorpus()) {
    if (OrderedJson::parse(line.text)["type"] == type) return line.text;
  }
  ADD_FAILURE() << "no corpus event of type " << type;
  return {};
}

// The corpus event of `type` after `edit` changed its JSON.
template <typename Edit>
std::string Edited(std::string_view type, Edit edit) {
  OrderedJson event = OrderedJson::parse(CorpusEvent(type));
  edit(event);
  return event.dump();
}

// Replaces the first occurrence of `from` in `text` (for raw-text edits JSON
// cannot express after parsing: 1.0, duplicate keys, trailing text).
std::string Replaced(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << text;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// "CODE: message" of ParseEvent's refusal, or "accepted".
std::string Refusal(const std::string& json) {
  Result<Event> event = ParseEvent(json);
  return event.ok() ? std::string("accepted") : event.status().ToString();
}

// ---------------------------------------------------------------- round trips

class CorpusTest : public testing::TestWithParam<CorpusLine> {};

TEST_P(CorpusTest, RoundTripsThroughJsonAndPayload) {
  const CorpusLine& line = GetParam();
  Result<Event> parsed = ParseEvent(line.text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const Event& event = *parsed;
  EXPECT_EQ(event.type, TypeName(event.data));
  EXPECT_EQ(event.stream, StreamOf(event.data));

  // typed -> JSON -> typed.
  const std::string json = EventToJson(event);
  Result<Event> again = ParseEvent(json);
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << json;
  EXPECT_EQ(*again, event) << json;
  EXPECT_EQ(EventToJson(*again), json);
  // The output keeps the input's fields (same names, integers as integers,
  // optional fields only when present): only the key order and spacing may
  // differ.
  EXPECT_EQ(nlohmann::json::parse(json), nlohmann::json::parse(line.text));
  EXPECT_EQ(nlohmann::json::parse(DataToJson(event.data)),
            nlohmann::json::parse(line.text)["data"]);

  // typed -> payload -> typed, deterministic bytes.
  Result<std::vector<uint8_t>> payload = EncodePayload(event.data);
  if (event.type == "key.enrolled" || event.type == "key.revoked") {
    ASSERT_FALSE(payload.ok());
    EXPECT_EQ(payload.status().code(), StatusCode::kInternal);
    EXPECT_EQ(payload.status().message(), "key records are encoded by the ledger");
    const std::vector<uint8_t> any_bytes(8, 0);
    Result<EventData> decoded = DecodePayload(event.type, any_bytes);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().message(), "key records are encoded by the ledger");
    return;
  }
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_FALSE(payload->empty());
  EXPECT_EQ(payload->size() % 8, 0u);
  Result<std::vector<uint8_t>> payload_again = EncodePayload(again->data);
  ASSERT_TRUE(payload_again.ok());
  EXPECT_EQ(*payload_again, *payload);
  Result<EventData> decoded = DecodePayload(event.type, *payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, event.data);
  Result<std::vector<uint8_t>> reencoded = EncodePayload(*decoded);
  ASSERT_TRUE(reencoded.ok());
  EXPECT_EQ(*reencoded, *payload);
}

std::string CorpusLineName(const testing::TestParamInfo<CorpusLine>& info) {
  std::string name = OrderedJson::parse(info.param.text)["type"].get<std::string>();
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name + "_line" + std::to_string(info.param.line_number);
}

INSTANTIATE_TEST_SUITE_P(EveryType, CorpusTest, testing::ValuesIn(LoadCorpus()), CorpusLineName);

TEST(EventCodecTest, CorpusCoversEveryType) {
  std::set<std::string> seen;
  for (const CorpusLine& line : LoadCorpus()) {
    seen.insert(OrderedJson::parse(line.text)["type"].get<std::string>());
  }
  const auto& all = kEventTypes;
  EXPECT_EQ(all.size(), 18u);
  for (std::string_view type : all) EXPECT_EQ(seen.count(std::string(type)), 1u) << type;
  EXPECT_EQ(seen.size(), all.size());
}

TEST(EventCodecTest, AllEventTypesInInterfaceOrder) {
  const std::vector<std::string_view> expected = {
      "project.submitted",   "project.selected",   "project.rejected",    "convention.signed",
      "payment.issued",      "indicator.measured", "grappe.extended",     "invoice.received",
      "finess.changed",      "sons.ordered",       "eu-funding.declared", "expenses.certified",
      "solution.referenced", "targets.adjusted",   "funding.recorded",    "key.enrolled",
      "key.revoked",         "event.voided"};
  EXPECT_EQ(std::vector<std::string_view>(kEventTypes.begin(), kEventTypes.end()), expected);
}

TEST(EventCodecTest, SubmissionIsTyped) {
  Result<Event> event = ParseEvent(CorpusEvent("project.submitted"));
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->id, "bzh-2024-0001");
  EXPECT_EQ(event->at.ToString(), "2024-03-10");
  EXPECT_EQ(event->stream, "project/BZH-2024-007");
  EXPECT_FALSE(event->expected_version.has_value());
  const auto& data = std::get<ProjectSubmitted>(event->data);
  EXPECT_EQ(data.campaign, Campaign::kGeneralisation2024);
  EXPECT_EQ(data.kind, ProjectKind::kMixed);
  EXPECT_EQ(data.porteur.siret.str(), "35200123400017");
  EXPECT_EQ(data.porteur.ght, false);
  EXPECT_EQ(data.porteur.national_entity_agreement, true);
  EXPECT_EQ(data.porteur.name, "Association Les Genêts d'Or");
  ASSERT_EQ(data.organisations.size(), 2u);
  EXPECT_EQ(data.organisations[1].essms_total, 40);
  EXPECT_EQ(data.organisations[1].region.code(), "53");
  ASSERT_EQ(data.establishments.size(), 3u);
  EXPECT_EQ(data.establishments[0].finess.str(), "350004560");
  EXPECT_EQ(data.establishments[0].situation, Situation::kAcquisition);
  ASSERT_TRUE(data.establishments[0].saad_hours.has_value());
  EXPECT_EQ(data.establishments[0].saad_hours->total, 12000);
  EXPECT_EQ(data.establishments[0].saad_hours->eligible, 9000);
  EXPECT_EQ(data.establishments[0].equipment_quote_cents, 850000);
  EXPECT_EQ(data.establishments[1].situation, Situation::kUpgrade);
  EXPECT_FALSE(data.establishments[1].saad_hours.has_value());
  EXPECT_FALSE(data.establishments[1].equipment_quote_cents.has_value());
  EXPECT_EQ(data.amoa_requested_cents, 5000000);
  EXPECT_EQ(data.submitted_at.ToString(), "2024-03-10");
}

TEST(EventCodecTest, OtherTypesAreTyped) {
  Result<Event> convention = ParseEvent(CorpusEvent("convention.signed"));
  ASSERT_TRUE(convention.ok()) << convention.status().ToString();
  EXPECT_EQ(convention->expected_version, 2u);
  EXPECT_EQ(std::get<ConventionSigned>(convention->data).amount_cents, 4650000);
  EXPECT_EQ(std::get<ConventionSigned>(convention->data).establishments.size(), 3u);

  Result<Event> change = ParseEvent(CorpusEvent("finess.changed"));
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_EQ(change->stream, "finess/350045670");  // the `from` number
  EXPECT_EQ(std::get<FinessChanged>(change->data).to.str(), "350007894");

  Result<Event> measure = ParseEvent(CorpusEvent("indicator.measured"));
  ASSERT_TRUE(measure.ok()) << measure.status().ToString();
  EXPECT_EQ(measure->stream, "finess/350004560");
  EXPECT_EQ(std::get<IndicatorMeasured>(measure->data).PersonsEligibleOrDefault(), 115);

  Result<Event> key = ParseEvent(CorpusEvent("key.enrolled"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->stream, "programme");
  const auto& enrolled = std::get<KeyEnrolled>(key->data);
  EXPECT_EQ(enrolled.public_key[0], 0);
  EXPECT_EQ(enrolled.public_key[31], 31);
  EXPECT_EQ(enrolled.roles, (std::vector<Role>{Role::kArsInstructor, Role::kArsPayer}));

  Result<Event> voided = ParseEvent(CorpusEvent("event.voided"));
  ASSERT_TRUE(voided.ok()) << voided.status().ToString();
  EXPECT_EQ(std::get<EventVoided>(voided->data).seq, 12u);
}

TEST(EventCodecTest, OutputIsCompactWithIntegersAndNoAbsentFields) {
  Result<Event> event = ParseEvent(CorpusEvent("payment.issued"));
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(EventToJson(*event),
            "{\"id\":\"bzh-2024-0005\",\"type\":\"payment.issued\",\"at\":"
            "\"2024-05-20\","
            "\"data\":{\"project\":\"BZH-2024-007\",\"tranche\":\"advance\","
            "\"amountCents\":2325000,\"paidAt\":\"2024-05-20\","
            "\"reference\":\"ARS-BZH/2024/0457\",\"payingRegion\":\"53\"}}");
  auto& payment = std::get<PaymentIssued>(event->data);
  payment.paying_region.reset();
  EXPECT_EQ(DataToJson(event->data),
            "{\"project\":\"BZH-2024-007\",\"tranche\":\"advance\","
            "\"amountCents\":2325000,"
            "\"paidAt\":\"2024-05-20\",\"reference\":\"ARS-BZH/2024/0457\"}");
}

TEST(EventCodecTest, AbsentAndDefaultOptionalsHaveDistinctPayloads) {
  Result<Event> event = ParseEvent(CorpusEvent("indicator.measured"));
  ASSERT_TRUE(event.ok());
  auto& measure = std::get<IndicatorMeasured>(event->data);
  measure.e_parcours_exchanges = std::nullopt;
  Result<std::vector<uint8_t>> absent = EncodePayload(event->data);
  measure.e_parcours_exchanges = 0;
  Result<std::vector<uint8_t>> zero = EncodePayload(event->data);
  ASSERT_TRUE(absent.ok() && zero.ok());
  EXPECT_NE(*absent, *zero);
  Result<EventData> decoded = DecodePayload("indicator.measured", *zero);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<IndicatorMeasured>(*decoded).e_parcours_exchanges, 0);
  decoded = DecodePayload("indicator.measured", *absent);
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(std::get<IndicatorMeasured>(*decoded).e_parcours_exchanges.has_value());
}

TEST(EventCodecTest, AcceptsWhitespaceAndAnyKeyOrder) {
  Result<Event> event = ParseEvent(
      "  {\"data\": {\"committeeAt\": \"2024-04-12\", \"project\": "
      "\"BZH-2024-007\"},\n"
      "\t\"at\": \"2024-04-12\", \"type\": \"project.selected\", \"id\": "
      "\"x:1/a_b.c-d\"}  ");
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->id, "x:1/a_b.c-d");
}

// ---------------------------------------------------------------- refusals
// Each asserts the exact public code and that the message names the field's
// path.

TEST(EventCodecRefusalTest, UnknownFieldAtTopLevel) {
  const std::string json = Edited("project.selected", [](OrderedJson& e) { e["seq"] = 3; });
  EXPECT_EQ(Refusal(json),
            "BAD_INPUT: seq: unknown field (expected one of: id, type, at, "
            "expectedVersion, "
            "data)");
}

TEST(EventCodecRefusalTest, UnknownFieldInData) {
  const std::string json = Edited("project.selected", [](OrderedJson& e) {
    e["data"]["commiteeAt"] = "2024-04-12";  // a typo next to the right field
  });
  EXPECT_EQ(Refusal(json),
            "BAD_INPUT: data.commiteeAt: unknown field (expected one of: "
            "project, committeeAt)");
}

TEST(EventCodecRefusalTest, UnknownFieldNestedInList) {
  const std::string json = Edited("project.submitted", [](OrderedJson& e) {
    e["data"]["establishments"][1]["colour"] = "blue";
  });
  const std::string refusal = Refusal(json);
  EXPECT_EQ(refusal.rfind("BAD_INPUT: data.establishments[1].colour: unknown field", 0), 0u)
      << refusal;
}

TEST(EventCodecRefusalTest, UnknownFieldInNestedObject) {
  const std::string json = Edited("project.submitted", [](OrderedJson& e) {
    e["data"]["establishments"][0]["saadHours"]["apa"] = 12;
  });
  EXPECT_EQ(Refusal(json),
            "BAD_INPUT: data.establishments[0].saadHours.apa: unknown field "
            "(expected one "
            "of: total, eligible)");
}

TEST(EventCodecRefusalTest, MissingField) {
  const std::string json = Edited(
      "project.submitted", [](OrderedJson& e) { e["data"]["establishments"][2].erase("finess"); });
  EXPECT_EQ(Refusal(json), "BAD_INPUT: data.establishments[2].finess: missing");
}

TEST(EventCodecRefusalTest, MissingTopLevelFields) {
  EXPECT_EQ(Refusal(Edited("project.selected", [](OrderedJson& e) { e.erase("at"); })),
            "BAD_INPUT: at: missing");
  EXPECT_EQ(Refusal(Edited("project.selected", [](OrderedJson& e) { e.erase("data"); })),
            "BAD_INPUT: data: missing");
  EXPECT_EQ(Refusal(Edited("project.selected", [](OrderedJson& e) { e.erase("id"); })),
            "BAD_INPUT: id: missing");
  EXPECT_EQ(
      Refusal(Edited("project.selected", [](OrderedJson& e) { e["data"].erase("committeeAt"); })),
      "BAD_INPUT: data.committeeAt: missing");
}

TEST(EventCodecRefusalTest, WrongType) {
  EXPECT_EQ(Refusal(Edited("convention.signed",
                           [](OrderedJson& e) { e["data"]["amountCents"] = "4650000"; })),
            "BAD_INPUT: data.amountCents: expected a non-negative integer, got "
            "the string "
            "\"4650000\"");
  EXPECT_EQ(Refusal(Edited("project.submitted",
                           [](OrderedJson& e) { e["data"]["porteur"]["ght"] = "no"; })),
            "BAD_INPUT: data.porteur.ght: expected true or false, got the "
            "string \"no\"");
  EXPECT_EQ(
      Refusal(Edited("project.submitted", [](OrderedJson& e) { e["data"]["establishments"] = 3; })),
      "BAD_INPUT: data.establishments: expected an array, got the number 3");
  EXPECT_EQ(Refusal(Edited("project.submitted",
                           [](OrderedJson& e) { e["data"]["solution"] = "DUI Social"; })),
            "BAD_INPUT: data.solution: expected an object, got the string "
            "\"DUI Social\"");
  EXPECT_EQ(Refusal(Edited("project.selected", [](OrderedJson& e) { e["data"] = nullptr; })),
            "BAD_INPUT: data: expected an object, got null");
}

TEST(EventCodecRefusalTest, NullIsNotAnAbsentOptional) {
  EXPECT_EQ(Refusal(Edited("payment.issued",
                           [](OrderedJson& e) { e["data"]["payingRegion"] = nullptr; })),
            "BAD_INPUT: data.payingRegion: expected an INSEE region code as a "
            "string, got "
            "null");
}

TEST(EventCodecRefusalTest, FinessAsNumberIsWrongType) {
  const std::string refusal =
      Refusal(Edited("sons.ordered", [](OrderedJson& e) { e["data"]["finess"] = 290004563; }));
  EXPECT_EQ(refusal,
            "BAD_INPUT: data.finess: expected a FINESS number as a string, got "
            "the number "
            "290004563");
}

TEST(EventCodecRefusalTest, FloatInCents) {
  const std::string json =
      Edited("convention.signed", [](OrderedJson& e) { e["data"]["amountCents"] = 4650000.5; });
  EXPECT_EQ(Refusal(json),
            "BAD_INPUT: data.amountCents: expected a non-negative integer (no "
            "fraction or "
            "exponent), got the number 4650000.5");
}

TEST(EventCodecRefusalTest, OnePointZeroInCents) {
  const std::string json = Replaced(CorpusEvent("convention.signed"), "\"amountCents\": 4650000",
                                    "\"amountCents\": 4650000.0");
  EXPECT_EQ(Refusal(json),
            "BAD_INPUT: data.amountCents: expected a non-negative integer (no "
            "fraction or "
            "exponent), got the number 4650000.0");
}

TEST(EventCodecRefusalTest, ExponentInCents) {
  const std::string json = Replaced(CorpusEvent("payment.issued"), "\"amountCents\": 2325000",
                                    "\"amountCents\": 2325e3");
  const std::string refusal = Refusal(json);
  EXPECT_EQ(refusal.rfind("BAD_INPUT: data.amountCents: expected a non-negative integer (no "
                          "fraction or exponent)",
                          0),
            0u)
      << refusal;
}

TEST(EventCodecRefusalTest, FloatInCount) {
  const std::string json =
      Replaced(CorpusEvent("indicator.measured"), "\"activeFiles\": 110", "\"activeFiles\": 110.0");
  EXPECT_EQ(Refusal(json),
            "BAD_INPUT: data.activeFiles: expected a non-negative integer (no "
            "fraction or "
            "exponent), got the number 110.0");
}

TEST(EventCodecRefusalTest, NegativeCents) {
  const std::string json =
      Edited("expenses.certified", [](OrderedJson& e) { e["data"]["equipmentCents"] = -5; });
  EXPECT_EQ(Refusal(json),
            "BAD_INPUT: data.equipmentCents: expected a non-negative integer, "
            "got -5 (must "
            "not be negative)");
}

TEST(EventCodecRefusalTest, NegativeCountInList) {
  const std::string json = Edited("project.submitted", [](OrderedJson& e) {
    e["data"]["organisations"][1]["essmsTotal"] = -40;
  });
  const std::string refusal = Refusal(json);
  EXPECT_EQ(refusal.rfind("BAD_INPUT: data.organisations[1].essmsTotal: expected a "
                          "non-negative integer, got -40",
                          0),
            0u)
      << refusal;
}

TEST(EventCodecRefusalTest, TooLargeForInt64) {
  const std::string json = Edited("convention.signed", [](OrderedJson& e) {
    e["data"]["amountCents"] = uint64_t{9223372036854775808u};
  });
  EXPECT_EQ(Refusal(json), "BAD_INPUT: data.amountCents: 9223372036854775808 is too large");
}

TEST(EventCodecRefusalTest, BadDate) {
  // The wording after the path is Date::Parse's own.
  const std::string feb30 = Refusal(
      Edited("convention.signed", [](OrderedJson& e) { e["data"]["signedAt"] = "2024-02-30"; }));
  EXPECT_THAT(feb30, StartsWith("BAD_INPUT: data.signedAt: "));
  EXPECT_THAT(feb30, HasSubstr("2024-02-30"));
  const std::string short_at =
      Refusal(Edited("convention.signed", [](OrderedJson& e) { e["at"] = "2024-2-3"; }));
  EXPECT_THAT(short_at, StartsWith("BAD_INPUT: at: "));
  EXPECT_THAT(short_at, HasSubstr("2024-2-3"));
  EXPECT_THAT(
      Refusal(Edited("sons.ordered",
                     [](OrderedJson& e) { e["data"]["validatedAt"] = "2023-06-15T00:00"; })),
      StartsWith("BAD_INPUT: data.validatedAt: "));
  EXPECT_EQ(Refusal(Edited("convention.signed",
                           [](OrderedJson& e) { e["data"]["signedAt"] = 20240502; })),
            "BAD_INPUT: data.signedAt: expected a date string (YYYY-MM-DD), got the "
            "number 20240502");
}

TEST(EventCodecRefusalTest, BadEnumListsAllowedValues) {
  EXPECT_EQ(
      Refusal(Edited("payment.issued", [](OrderedJson& e) { e["data"]["tranche"] = "acompte"; })),
      "BAD_INPUT: data.tranche: \"acompte\" is not allowed (expected one of: "
      "advance, "
      "balance, parametrisation, deployment)");
  EXPECT_EQ(Refusal(Edited("project.submitted",
                           [](OrderedJson& e) {
                             e["data"]["establishments"][2]["situation"] = "Acquisition";
                           })),
            "BAD_INPUT: data.establishments[2].situation: \"Acquisition\" is "
            "not allowed "
            "(expected one of: acquisition, upgrade)");
  EXPECT_EQ(
      Refusal(Edited("eu-funding.declared", [](OrderedJson& e) { e["data"]["fund"] = "feder"; })),
      "BAD_INPUT: data.fund: \"feder\" is not allowed (expected one of: FEDER, "
      "FSE, "
      "HOPEN, OTHER)");
  EXPECT_EQ(
      Refusal(Edited("key.enrolled", [](OrderedJson& e) { e["data"]["roles"][1] = "payer"; })),
      "BAD_INPUT: data.roles[1]: \"payer\" is not allowed (expected one of: "
      "admin, "
      "porteur, ars-instructor, ars-payer, national, auditor)");
}

TEST(EventCodecRefusalTest, BadId) {
  const std::string expected_prefix =
      "BAD_INPUT: id: an event id is 1-128 characters of [A-Za-z0-9._:/-], "
      "got ";
  EXPECT_EQ(Refusal(Edited("project.selected", [](OrderedJson& e) { e["id"] = "bzh 0001"; })),
            expected_prefix + "\"bzh 0001\"");
  EXPECT_EQ(Refusal(Edited("project.selected", [](OrderedJson& e) { e["id"] = ""; })),
            expected_prefix + "\"\"");
  EXPECT_EQ(
      Refusal(Edited("project.selected", [](OrderedJson& e) { e["id"] = std::string(129, 'a'); })),
      expected_prefix + "\"" + std::string(80, 'a') + "\"...");
  EXPECT_EQ(Refusal(Edited("project.selected", [](OrderedJson& e) { e["id"] = 7; })),
            "BAD_INPUT: id: expected a string, got the number 7");
  // 128 characters is the limit, inclusive.
  EXPECT_EQ(
      Refusal(Edited("project.selected", [](OrderedJson& e) { e["id"] = std::string(128, 'a'); })),
      "accepted");
}

TEST(EventCodecRefusalTest, UnknownTypeListsTypes) {
  const std::string refusal =
      Refusal(Edited("project.selected", [](OrderedJson& e) { e["type"] = "project.deleted"; }));
  EXPECT_EQ(refusal,
            "BAD_INPUT: type: \"project.deleted\" is not an event type (expected one "
            "of: "
            "project.submitted, project.selected, project.rejected, "
            "convention.signed, "
            "payment.issued, indicator.measured, grappe.extended, invoice.received, "
            "finess.changed, sons.ordered, eu-funding.declared, expenses.certified, "
            "solution.referenced, targets.adjusted, funding.recorded, key.enrolled, "
            "key.revoked, event.voided)");
}

TEST(EventCodecRefusalTest, DataOfAnotherType) {
  // A valid project.selected body under type project.rejected.
  const std::string refusal =
      Refusal(Edited("project.selected", [](OrderedJson& e) { e["type"] = "project.rejected"; }));
  EXPECT_EQ(refusal,
            "BAD_INPUT: data.committeeAt: unknown field (expected one of: "
            "project, reason)");
}

TEST(EventCodecRefusalTest, DuplicateKey) {
  const std::string line = CorpusEvent("project.selected");
  EXPECT_EQ(Refusal(Replaced(line, "\"id\": ", "\"id\": \"twice\", \"id\": ")),
            "BAD_INPUT: id: duplicate key");
  EXPECT_EQ(Refusal(Replaced(
                line, "\"committeeAt\": ", "\"committeeAt\": \"2024-04-11\", \"committeeAt\": ")),
            "BAD_INPUT: data.committeeAt: duplicate key");
}

TEST(EventCodecRefusalTest, DuplicateKeyNestedInList) {
  const std::string json =
      Replaced(CorpusEvent("project.submitted"), "{\"finess\": \"290004563\", ",
               "{\"finess\": \"290004563\", \"finess\": \"290004563\", ");
  EXPECT_EQ(Refusal(json), "BAD_INPUT: data.establishments[2].finess: duplicate key");
}

TEST(EventCodecRefusalTest, TrailingGarbage) {
  const std::string line = CorpusEvent("project.selected");
  const std::string garbage = Refusal(line + " x");
  EXPECT_EQ(garbage.rfind("BAD_INPUT: invalid JSON: parse error at line 1", 0), 0u) << garbage;
  const std::string two = Refusal(line + line);
  EXPECT_EQ(two.rfind("BAD_INPUT: invalid JSON: ", 0), 0u) << two;
  EXPECT_EQ(Refusal(line + "  \n"), "accepted");
}

TEST(EventCodecRefusalTest, NotAnObject) {
  EXPECT_EQ(Refusal("[1, 2]"), "BAD_INPUT: event: expected an object, got an array");
  EXPECT_EQ(Refusal("\"project.submitted\""),
            "BAD_INPUT: event: expected an object, got the string "
            "\"project.submitted\"");
  const std::string empty = Refusal("");
  EXPECT_EQ(empty.rfind("BAD_INPUT: invalid JSON: ", 0), 0u) << empty;
  const std::string truncated = Refusal(CorpusEvent("project.selected").substr(0, 40));
  EXPECT_EQ(truncated.rfind("BAD_INPUT: invalid JSON: ", 0), 0u) << truncated;
}

TEST(EventCodecRefusalTest, InvalidUtf8) {
  const std::string json = Replaced(CorpusEvent("project.rejected"), "dossier", "dossier\xC3\x28");
  const std::string refusal = Refusal(json);
  EXPECT_EQ(refusal.rfind("BAD_INPUT: invalid JSON: ", 0), 0u) << refusal;
  EXPECT_TRUE(internal::IsValidUtf8(refusal)) << "messages must stay UTF-8: " << refusal;
}

TEST(EventCodecRefusalTest, DeepNestingInUnknownField) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string json =
      Replaced(CorpusEvent("project.selected"), "\"data\": ", "\"x\": " + deep + ", \"data\": ");
  const std::string refusal = Refusal(json);
  EXPECT_EQ(refusal,
            "BAD_INPUT: x[0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested "
            "deeper than 16 levels");
}

TEST(EventCodecRefusalTest, InvalidFinessIsAValueCheck) {
  // 350004561: right shape, wrong Luhn key.
  const std::string json = Edited("project.submitted", [](OrderedJson& e) {
    e["data"]["establishments"][0]["finess"] = "350004561";
  });
  Result<Event> event = ParseEvent(json);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(event.status().error_code(), "FINESS_INVALID");
  EXPECT_EQ(event.status().message().rfind("data.establishments[0].finess: ", 0), 0u)
      << event.status().message();

  const std::string short_one =
      Refusal(Edited("finess.changed", [](OrderedJson& e) { e["data"]["to"] = "35000789"; }));
  EXPECT_EQ(short_one.rfind("FINESS_INVALID: data.to: ", 0), 0u) << short_one;
  const std::string ej = Refusal(Edited(
      "project.submitted", [](OrderedJson& e) { e["data"]["porteur"]["finessEj"] = "3500012AB"; }));
  EXPECT_EQ(ej.rfind("FINESS_INVALID: data.porteur.finessEj: ", 0), 0u) << ej;
  const std::string in_list = Refusal(Edited(
      "convention.signed", [](OrderedJson& e) { e["data"]["establishments"][1] = "350045671"; }));
  EXPECT_EQ(in_list.rfind("FINESS_INVALID: data.establishments[1]: ", 0), 0u) << in_list;
}

TEST(EventCodecRefusalTest, InvalidSiret) {
  const std::string refusal = Refusal(Edited("project.submitted", [](OrderedJson& e) {
    e["data"]["porteur"]["siret"] = "35200123400018";
  }));
  EXPECT_EQ(refusal.rfind("SIRET_INVALID: data.porteur.siret: ", 0), 0u) << refusal;
}

TEST(EventCodecRefusalTest, UnknownRegion) {
  const std::string refusal = Refusal(Edited(
      "project.submitted", [](OrderedJson& e) { e["data"]["organisations"][0]["region"] = "99"; }));
  EXPECT_EQ(refusal.rfind("BAD_INPUT: data.organisations[0].region: ", 0), 0u) << refusal;
  const std::string key_region =
      Refusal(Edited("key.enrolled", [](OrderedJson& e) { e["data"]["regions"][0] = "35"; }));
  EXPECT_EQ(key_region.rfind("BAD_INPUT: data.regions[0]: ", 0), 0u) << key_region;
}

TEST(EventCodecRefusalTest, UnknownCampaign) {
  const std::string json = Edited(
      "project.submitted", [](OrderedJson& e) { e["data"]["campaign"] = "generalisation-2026"; });
  Result<Event> event = ParseEvent(json);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().error_code(), "UNKNOWN_CAMPAIGN");
  EXPECT_EQ(event.status().message().rfind("data.campaign: ", 0), 0u) << event.status().message();
}

TEST(EventCodecRefusalTest, DuplicateFinessInSubmission) {
  const std::string json = Edited("project.submitted", [](OrderedJson& e) {
    e["data"]["establishments"][2]["finess"] = "350004560";
  });
  Result<Event> event = ParseEvent(json);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(event.status().ToString(),
            "DUPLICATE_FINESS: data.establishments[2].finess: 350004560 is "
            "listed twice in "
            "this event's establishments");
}

TEST(EventCodecRefusalTest, DuplicateFinessInExtensionAndConvention) {
  const std::string extension = Refusal(Edited("grappe.extended", [](OrderedJson& e) {
    e["data"]["establishments"].push_back(e["data"]["establishments"][0]);
  }));
  EXPECT_EQ(extension.rfind("DUPLICATE_FINESS: data.establishments[1].finess: ", 0), 0u)
      << extension;
  const std::string convention = Refusal(Edited(
      "convention.signed", [](OrderedJson& e) { e["data"]["establishments"][2] = "350004560"; }));
  EXPECT_EQ(convention.rfind("DUPLICATE_FINESS: data.establishments[2]: ", 0), 0u) << convention;
}

TEST(EventCodecRefusalTest, ShapeChecksNameTheirField) {
  EXPECT_EQ(
      Refusal(Edited("indicator.measured", [](OrderedJson& e) { e["data"]["activeFiles"] = 121; })),
      "BAD_INPUT: data.activeFiles: 121 exceeds data.personsAccompanied (120)");
  EXPECT_EQ(Refusal(Edited("indicator.measured",
                           [](OrderedJson& e) { e["data"]["activeFilesWithPlan"] = 111; })),
            "BAD_INPUT: data.activeFilesWithPlan: 111 exceeds data.activeFiles "
            "(110)");
  EXPECT_EQ(Refusal(Edited("indicator.measured",
                           [](OrderedJson& e) { e["data"]["activeFilesWithAgendaEvent"] = 111; })),
            "BAD_INPUT: data.activeFilesWithAgendaEvent: 111 exceeds "
            "data.activeFiles (110)");
  EXPECT_EQ(Refusal(Edited("indicator.measured",
                           [](OrderedJson& e) { e["data"]["periodStart"] = "2025-11-01"; })),
            "BAD_INPUT: data.periodEnd: 2025-10-31 is before data.periodStart "
            "2025-11-01");
  EXPECT_EQ(Refusal(Edited("project.submitted",
                           [](OrderedJson& e) {
                             e["data"]["establishments"][0]["saadHours"]["eligible"] = 12001;
                           })),
            "BAD_INPUT: data.establishments[0].saadHours.eligible: 12001 eligible "
            "hours "
            "exceed the total of 12000");
  EXPECT_EQ(Refusal(Edited("project.submitted",
                           [](OrderedJson& e) {
                             e["data"]["establishments"][0]["saadHours"]["total"] = 0;
                             e["data"]["establishments"][0]["saadHours"]["eligible"] = 0;
                           })),
            "BAD_INPUT: data.establishments[0].saadHours.total: must be positive, "
            "got 0");
  EXPECT_EQ(Refusal(Edited("payment.issued", [](OrderedJson& e) { e["data"]["amountCents"] = 0; })),
            "BAD_INPUT: data.amountCents: must be positive, got 0");
  EXPECT_EQ(
      Refusal(Edited("convention.signed", [](OrderedJson& e) { e["data"]["amountCents"] = 0; })),
      "BAD_INPUT: data.amountCents: must be positive, got 0");
  EXPECT_EQ(
      Refusal(Edited("convention.signed", [](OrderedJson& e) { e["data"]["durationMonths"] = 0; })),
      "BAD_INPUT: data.durationMonths: must be positive, got 0");
  EXPECT_EQ(
      Refusal(Edited("project.submitted",
                     [](OrderedJson& e) { e["data"]["establishments"] = OrderedJson::array(); })),
      "BAD_INPUT: data.establishments: must list at least one establishment");
  EXPECT_EQ(Refusal(Edited(
                "project.submitted",
                [](OrderedJson& e) { e["data"]["establishments"][2]["finessEj"] = "750712184"; })),
            "BAD_INPUT: data.establishments[2].finessEj: 750712184 is not among "
            "data.organisations[].finessEj");
  EXPECT_EQ(
      Refusal(Edited("finess.changed", [](OrderedJson& e) { e["data"]["to"] = "350045670"; })),
      "BAD_INPUT: data.to: the new number is the same as data.from "
      "(350045670)");
  EXPECT_EQ(Refusal(Edited("project.selected",
                           [](OrderedJson& e) { e["data"]["project"] = "BZH 2024"; })),
            "BAD_INPUT: data.project: a project id is 1-128 characters of "
            "[A-Za-z0-9._:/-], "
            "got \"BZH 2024\"");
  EXPECT_EQ(Refusal(Edited("project.rejected", [](OrderedJson& e) { e["data"]["reason"] = ""; })),
            "BAD_INPUT: data.reason: must not be empty");
}

TEST(EventCodecRefusalTest, ExpectedVersionAndSeqAreUnsignedIntegers) {
  EXPECT_EQ(Refusal(Edited("project.selected", [](OrderedJson& e) { e["expectedVersion"] = -1; })),
            "BAD_INPUT: expectedVersion: expected a non-negative integer, got "
            "-1 (must not "
            "be negative)");
  EXPECT_EQ(Refusal(Edited("project.selected", [](OrderedJson& e) { e["expectedVersion"] = 1.5; })),
            "BAD_INPUT: expectedVersion: expected a non-negative integer (no "
            "fraction or "
            "exponent), got the number 1.5");
  EXPECT_EQ(Refusal(Edited("event.voided", [](OrderedJson& e) { e["data"]["seq"] = "12"; })),
            "BAD_INPUT: data.seq: expected a non-negative integer, got the "
            "string \"12\"");
  Result<Event> max = ParseEvent(Edited(
      "event.voided", [](OrderedJson& e) { e["data"]["seq"] = uint64_t{18446744073709551615u}; }));
  ASSERT_TRUE(max.ok()) << max.status().ToString();
  EXPECT_EQ(std::get<EventVoided>(max->data).seq, 18446744073709551615u);
}

TEST(EventCodecRefusalTest, PublicKeyMustBe32BytesOfCanonicalBase64) {
  const std::string expected =
      "BAD_INPUT: data.publicKey: expected the base64 of a raw 32-byte Ed25519 "
      "public "
      "key, got the string ";
  // 31 bytes.
  EXPECT_EQ(Refusal(Edited("key.enrolled",
                           [](OrderedJson& e) {
                             e["data"]["publicKey"] =
                                 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==";
                           })),
            expected + "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\"");
  // Unpadded.
  EXPECT_EQ(Refusal(Edited("key.enrolled",
                           [](OrderedJson& e) {
                             e["data"]["publicKey"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
                           })),
            expected + "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"");
  // Non-zero trailing bits (a second spelling of the same bytes).
  EXPECT_EQ(Refusal(Edited("key.enrolled",
                           [](OrderedJson& e) {
                             e["data"]["publicKey"] =
                                 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=";
                           })),
            expected + "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\"");
}

TEST(EventCodecRefusalTest, KeyRecordShapeChecks) {
  EXPECT_EQ(Refusal(Edited("key.enrolled",
                           [](OrderedJson& e) { e["data"]["roles"][1] = "ars-instructor"; })),
            "BAD_INPUT: data.roles[1]: role ars-instructor is listed twice");
  EXPECT_EQ(
      Refusal(Edited("key.revoked", [](OrderedJson& e) { e["data"]["name"] = "ars bretagne"; })),
      "BAD_INPUT: data.name: a key name is 1-128 bytes without space, control "
      "character or '+', got \"ars bretagne\"");
  EXPECT_EQ(Refusal(Edited("key.enrolled", [](OrderedJson& e) { e["data"].erase("regions"); })),
            "BAD_INPUT: data.regions: missing");
}

// ---------------------------------------------------------------- payload
// decoding

class PayloadTest : public testing::Test {
 protected:
  void SetUp() override {
    Result<Event> event = ParseEvent(CorpusEvent("indicator.measured"));
    ASSERT_TRUE(event.ok());
    data_ = event->data;
    Result<std::vector<uint8_t>> payload = EncodePayload(data_);
    ASSERT_TRUE(payload.ok());
    payload_ = *payload;
  }

  // "CODE: message" of DecodePayload's refusal, or "decoded".
  static std::string DecodeRefusal(std::string_view type, const std::vector<uint8_t>& bytes) {
    Result<EventData> decoded = DecodePayload(type, bytes);
    return decoded.ok() ? std::string("decoded") : decoded.status().ToString();
  }

  EventData data_ = EventVoided{};
  std::vector<uint8_t> payload_;
};

TEST_F(PayloadTest, Truncated) {
  std::vector<uint8_t> truncated(payload_.begin(), payload_.end() - 8);
  const std::string refusal = DecodeRefusal("indicator.measured", truncated);
  EXPECT_EQ(refusal.rfind("CORRUPTION: indicator.measured payload ", 0), 0u) << refusal;
  EXPECT_EQ(DecodeRefusal("indicator.measured", {}),
            "CORRUPTION: indicator.measured payload of 0 bytes is not a whole "
            "number of "
            "8-byte words");
  std::vector<uint8_t> odd(payload_.begin(), payload_.end() - 3);
  EXPECT_EQ(DecodeRefusal("indicator.measured", odd).rfind("CORRUPTION: ", 0), 0u);
}

TEST_F(PayloadTest, Garbage) {
  const std::vector<uint8_t> garbage(64, 0xFF);
  const std::string refusal = DecodeRefusal("indicator.measured", garbage);
  EXPECT_EQ(refusal.rfind("CORRUPTION: ", 0), 0u) << refusal;
}

TEST_F(PayloadTest, NotCanonical) {
  std::vector<uint8_t> padded = payload_;
  padded.insert(padded.end(), 8, 0);
  EXPECT_EQ(DecodeRefusal("indicator.measured", padded),
            "CORRUPTION: indicator.measured payload is not in canonical form");
}

TEST_F(PayloadTest, TamperedFiness) {
  std::vector<uint8_t> tampered = payload_;
  const std::string finess = "350004560";
  auto at = std::search(tampered.begin(), tampered.end(), finess.begin(), finess.end());
  ASSERT_NE(at, tampered.end());
  *(at + 8) = '1';  // wrong Luhn key
  const std::string refusal = DecodeRefusal("indicator.measured", tampered);
  EXPECT_EQ(refusal.rfind("CORRUPTION: indicator.measured payload: finess: ", 0), 0u) << refusal;
}

TEST_F(PayloadTest, UnknownType) {
  EXPECT_EQ(DecodeRefusal("project.deleted", payload_),
            "CORRUPTION: payload of unknown event type \"project.deleted\"");
}

TEST_F(PayloadTest, UnalignedInputIsCopied) {
  std::vector<uint8_t> shifted(payload_.size() + 1);
  std::copy(payload_.begin(), payload_.end(), shifted.begin() + 1);
  Result<EventData> decoded =
      DecodePayload("indicator.measured", std::span<const uint8_t>(shifted).subspan(1));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, data_);
}

TEST_F(PayloadTest, NullTextIsNotTheEncodingOfEmptyText) {
  // The encoder always writes required texts, empty or not; a null pointer in
  // their place is a second byte form of "" and is refused.
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<wire::ProjectRejected>();
  root.setProject("BZH-2024-008");
  kj::Array<capnp::word> words = capnp::canonicalize(root.asReader());
  const auto bytes = words.asBytes();
  EXPECT_EQ(DecodeRefusal("project.rejected", std::vector<uint8_t>(bytes.begin(), bytes.end())),
            "CORRUPTION: project.rejected payload is not the encoding of its value");
  root.setReason("");
  words = capnp::canonicalize(root.asReader());
  const auto with_empty = words.asBytes();
  EXPECT_EQ(
      DecodeRefusal("project.rejected", std::vector<uint8_t>(with_empty.begin(), with_empty.end())),
      "decoded");
}

// Flips bits all over each corpus payload: decoding never throws, refuses with
// CORRUPTION, or gives a value whose encoding is exactly the mutated bytes.
TEST(PayloadMutationTest, DecodedBytesAreAlwaysTheirValuesEncoding) {
  int decoded_count = 0;
  for (const CorpusLine& line : LoadCorpus()) {
    Result<Event> event = ParseEvent(line.text);
    ASSERT_TRUE(event.ok());
    Result<std::vector<uint8_t>> payload = EncodePayload(event->data);
    if (!payload.ok()) continue;  // key records
    for (size_t i = 0; i < payload->size(); ++i) {
      for (uint8_t flip : {0x01, 0x04, 0x10, 0x80, 0xFF}) {
        std::vector<uint8_t> mutated = *payload;
        mutated[i] ^= flip;
        Result<EventData> decoded = DecodePayload(event->type, mutated);
        if (!decoded.ok()) {
          EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
          continue;
        }
        ++decoded_count;
        Result<std::vector<uint8_t>> again = EncodePayload(*decoded);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(*again, mutated) << event->type << " byte " << i;
      }
    }
  }
  EXPECT_GT(decoded_count,
            0);  // some flips only change a value (a count, a name)
}

// Overwrites or deletes each character of a submission: ParseEvent never
// throws, and whatever it accepts round trips.
TEST(JsonMutationTest, AcceptedMutationsRoundTrip) {
  const std::string line = CorpusEvent("project.submitted");
  int accepted = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    std::vector<std::string> variants;
    for (char c : std::string("\"{}[],:.1-e x\\")) {
      std::string v = line;
      v[i] = c;
      variants.push_back(v);
    }
    variants.push_back(line.substr(0, i) + line.substr(i + 1));
    for (const std::string& text : variants) {
      Result<Event> event = ParseEvent(text);
      if (!event.ok()) {
        EXPECT_EQ(event.status().code(), StatusCode::kInvalidArgument) << text;
        continue;
      }
      ++accepted;
      Result<Event> again = ParseEvent(EventToJson(*event));
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(*again, *event) << text;
    }
  }
  EXPECT_GT(accepted, 0);  // e.g. a changed digit in a count
}

}  // namespace
}  // namespace esms::domain
