// Golden tests of domain/event_codec.h: the exact bytes and texts the codec
// gives today, pinned so that a rewrite of the codec (issue 17: one description
// per event) can prove it changed none of them.
//
// tests/domain/testdata/event_goldens.txt holds cases, one per block:
//   in <one JSON line>              the input of ParseEvent
//   json <EventToJson of it>        when accepted
//   payload <hex>                   EncodePayload of its data (or the refusal)
//   error <CODE: message>           when refused
// Every line of tests/domain/testdata/events.jsonl (one event of every type,
// optional fields present and absent) and every file of
// tests/fuzz/corpus/event_json/ is a case too (`corpus <file>` instead of `in`).
//
// To regenerate after an intended change of output (never to make a failing
// test pass without reading the diff):
//   ESMS_WRITE_GOLDENS=1 build/tests/domain_test --gtest_filter='EventGolden*'
#include <capnp/message.h>
#include <capnp/schema.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "domain/event_codec.h"
#include "domain/events.capnp.h"
#include "domain/internal/enum_names.h"

namespace esms::domain {
namespace {

const std::string kSource = ESMS_SOURCE_DIR;
const std::string kGoldens = kSource + "/tests/domain/testdata/event_goldens.txt";

std::string Hex(const std::vector<uint8_t>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// The golden lines of one input: json + payload, or error.
std::vector<std::string> Outputs(const std::string& input) {
  Result<Event> event = ParseEvent(input);
  if (!event.ok()) return {"error " + event.status().ToString()};
  Result<std::vector<uint8_t>> payload = EncodePayload(event->data);
  std::vector<std::string> out = {"json " + EventToJson(*event)};
  out.push_back("payload " + (payload.ok() ? Hex(*payload) : payload.status().ToString()));
  if (payload.ok()) {
    // The payload decodes back to the same data (the pinned bytes are read too).
    Result<EventData> decoded = DecodePayload(event->type, *payload);
    out.push_back(decoded.ok() && *decoded == event->data
                      ? std::string("decoded")
                      : "decoded " + (decoded.ok() ? std::string("differently")
                                                   : decoded.status().ToString()));
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Case {
  std::string header;               // "in ..." or "corpus <file>"
  std::vector<std::string> expect;  // the lines after it
};

std::vector<Case> LoadGoldens(std::vector<std::string>* comments) {
  std::ifstream in(kGoldens);
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (cases.empty()) comments->push_back(line);
      continue;
    }
    if (line.rfind("in ", 0) == 0 || line.rfind("corpus ", 0) == 0) {
      cases.push_back({line, {}});
    } else if (!cases.empty()) {
      cases.back().expect.push_back(line);
    }
  }
  return cases;
}

std::string InputOf(const Case& c) {
  if (c.header.rfind("in ", 0) == 0) return c.header.substr(3);
  std::string file = c.header.substr(7);
  if (file.rfind("events.jsonl:", 0) == 0) {
    const int number = std::stoi(file.substr(13));
    std::ifstream in(kSource + "/tests/domain/testdata/events.jsonl");
    std::string line;
    for (int i = 1; std::getline(in, line); ++i) {
      if (i == number) return line;
    }
    ADD_FAILURE() << "no line " << number << " in events.jsonl";
    return {};
  }
  return ReadFile(kSource + "/tests/fuzz/corpus/event_json/" + file);
}

// The cases of the golden file, plus any corpus line or file it does not list
// yet (so that a new corpus input is noticed).
std::vector<Case> AllCases(std::vector<std::string>* comments) {
  std::vector<Case> cases = LoadGoldens(comments);
  auto listed = [&](const std::string& header) {
    for (const Case& c : cases) {
      if (c.header == header) return true;
    }
    return false;
  };
  std::ifstream jsonl(kSource + "/tests/domain/testdata/events.jsonl");
  std::string line;
  for (int number = 1; std::getline(jsonl, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    const std::string header = "corpus events.jsonl:" + std::to_string(number);
    if (!listed(header)) cases.push_back({header, {}});
  }
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(kSource + "/tests/fuzz/corpus/event_json")) {
    files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    if (!listed("corpus " + file)) cases.push_back({"corpus " + file, {}});
  }
  return cases;
}

TEST(EventGoldenTest, OutputsAreUnchanged) {
  std::vector<std::string> comments;
  const std::vector<Case> cases = AllCases(&comments);
  ASSERT_GT(cases.size(), 40u);
  if (std::getenv("ESMS_WRITE_GOLDENS") != nullptr) {
    std::ofstream out(kGoldens);
    for (const std::string& comment : comments) out << comment << "\n";
    for (const Case& c : cases) {
      out << "\n" << c.header << "\n";
      for (const std::string& line : Outputs(InputOf(c))) out << line << "\n";
    }
    GTEST_SKIP() << "wrote " << kGoldens;
  }
  for (const Case& c : cases) {
    EXPECT_EQ(Outputs(InputOf(c)), c.expect) << c.header;
  }
}

// Every event type is pinned at least twice where it has optional fields
// (present, absent), and the refusals cover each kind of malformed input.
TEST(EventGoldenTest, CoversEveryTypeAndEveryKindOfRefusal) {
  std::vector<std::string> comments;
  const std::vector<Case> cases = AllCases(&comments);
  std::string all;
  for (const Case& c : cases) {
    all += InputOf(c) + "\n";
    for (const std::string& line : c.expect) all += line + "\n";
  }
  for (std::string_view type : kEventTypes) {
    EXPECT_NE(all.find("\"type\":\"" + std::string(type) + "\""), std::string::npos) << type;
  }
  for (const char* refusal :
       {": unknown field", ": missing", ": duplicate key", "no fraction or exponent",
        "expected a string, got", "expected a date string", "data.establishments[",
        "expected one of:", "must not be negative", "is too large", "invalid JSON"}) {
    EXPECT_NE(all.find(refusal), std::string::npos) << refusal;
  }
}

// ---------------------------------------------------------------- payloads
// Refusals of payload bytes that EncodePayload cannot give, built with the
// wire schema: each names the field at fault, with its path.

template <typename Root>
std::vector<uint8_t> Bytes(Root root) {
  kj::Array<capnp::word> words = capnp::canonicalize(root.asReader());
  const auto bytes = words.asBytes();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

template <typename Wire>
std::string DecodeRefusal(std::string_view type, capnp::MallocMessageBuilder& message) {
  Result<EventData> decoded = DecodePayload(type, Bytes(message.getRoot<Wire>()));
  return decoded.ok() ? std::string("decoded") : decoded.status().ToString();
}

void FillEstablishment(wire::Establishment::Builder et, const char* finess) {
  et.setFiness(finess);
  et.setFinessEj("350001236");
  et.setName("ET");
  et.setRegion("53");
}

void FillSubmission(wire::ProjectSubmitted::Builder root) {
  root.setProject("P-1");
  auto porteur = root.initPorteur();
  porteur.setFinessEj("350001236");
  porteur.setSiret("35200123400017");
  porteur.setName("Porteur");
  auto solution = root.initSolution();
  solution.setVendor("V");
  solution.setProduct("P");
  solution.setVersion("1");
  auto og = root.initOrganisations(1)[0];
  og.setFinessEj("350001236");
  og.setName("OG");
  og.setRegion("53");
  auto ets = root.initEstablishments(2);
  FillEstablishment(ets[0], "350004560");
  FillEstablishment(ets[1], "350045670");
  root.setSubmittedAt(19800);
}

TEST(EventGoldenPayloadTest, RefusalsNameTheirField) {
  {
    capnp::MallocMessageBuilder message;
    FillSubmission(message.initRoot<wire::ProjectSubmitted>());
    EXPECT_EQ(DecodeRefusal<wire::ProjectSubmitted>("project.submitted", message), "decoded");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::ProjectSubmitted>();
    FillSubmission(root);
    root.getEstablishments()[1].setFiness("350045671");
    EXPECT_EQ(DecodeRefusal<wire::ProjectSubmitted>("project.submitted", message),
              "CORRUPTION: project.submitted payload: establishments[1].finess: "
              "\"350045671\": wrong check key (Luhn)");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::ProjectSubmitted>();
    FillSubmission(root);
    root.getPorteur().setSiret("35200123400018");
    EXPECT_EQ(DecodeRefusal<wire::ProjectSubmitted>("project.submitted", message),
              "CORRUPTION: project.submitted payload: porteur.siret: "
              "\"35200123400018\": wrong check key (Luhn)");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::ProjectSubmitted>();
    FillSubmission(root);
    root.setCampaign(static_cast<wire::Campaign>(9));
    EXPECT_EQ(DecodeRefusal<wire::ProjectSubmitted>("project.submitted", message),
              "CORRUPTION: project.submitted payload: campaign: unknown campaign 9");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::ProjectSubmitted>();
    FillSubmission(root);
    root.getEstablishments()[0].setSituation(static_cast<wire::Situation>(2));
    EXPECT_EQ(DecodeRefusal<wire::ProjectSubmitted>("project.submitted", message),
              "CORRUPTION: project.submitted payload: establishments[0].situation: "
              "unknown enumerant 2");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::ProjectSubmitted>();
    FillSubmission(root);
    root.getEstablishments()[1].setEquipmentQuoteCents(5);
    EXPECT_EQ(DecodeRefusal<wire::ProjectSubmitted>("project.submitted", message),
              "CORRUPTION: project.submitted payload: "
              "establishments[1].equipmentQuoteCents: set while marked absent");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::ProjectSubmitted>();
    FillSubmission(root);
    root.getPorteur().setGht(true);
    EXPECT_EQ(DecodeRefusal<wire::ProjectSubmitted>("project.submitted", message),
              "CORRUPTION: project.submitted payload: porteur.ght: set while "
              "marked absent");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::ProjectSubmitted>();
    FillSubmission(root);
    root.setSubmittedAt(-719529);
    EXPECT_EQ(DecodeRefusal<wire::ProjectSubmitted>("project.submitted", message),
              "CORRUPTION: project.submitted payload: submittedAt: day number "
              "-719529 is out of range");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::PaymentIssued>();
    root.setProject("P-1");
    root.setReference("R");
    root.setPaidAt(19800);
    root.setAmountCents(1);
    root.setPayingRegion("53");
    EXPECT_EQ(DecodeRefusal<wire::PaymentIssued>("payment.issued", message),
              "CORRUPTION: payment.issued payload: payingRegion: set while "
              "marked absent");
    root.setHasPayingRegion(true);
    root.setPayingRegion("99");
    EXPECT_EQ(DecodeRefusal<wire::PaymentIssued>("payment.issued", message),
              "CORRUPTION: payment.issued payload: payingRegion: unknown INSEE region "
              "code \"99\" (known: 01, 02, 03, 04, 06, 11, 24, 27, 28, 32, 44, 52, 53, "
              "75, 76, 84, 93, 94)");
    root.setPayingRegion("53");
    root.setTranche(static_cast<wire::Tranche>(4));
    EXPECT_EQ(DecodeRefusal<wire::PaymentIssued>("payment.issued", message),
              "CORRUPTION: payment.issued payload: tranche: unknown enumerant 4");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::SonsOrdered>();
    root.setFiness("350004560");
    auto solution = root.initSolution();
    solution.setVendor("V");
    solution.setProduct("P");
    solution.setVersion("1");
    root.setOrderedAt(19800);
    root.setValidatedAt(19801);
    EXPECT_EQ(DecodeRefusal<wire::SonsOrdered>("sons.ordered", message),
              "CORRUPTION: sons.ordered payload: validatedAt: set while marked "
              "absent");
    root.setHasValidatedAt(true);
    root.setValidatedAt(3000000);
    EXPECT_EQ(DecodeRefusal<wire::SonsOrdered>("sons.ordered", message),
              "CORRUPTION: sons.ordered payload: validatedAt: day number 3000000 "
              "is out of range");
  }
  {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::ConventionSigned>();
    root.setProject("P-1");
    root.setSignedAt(19800);
    auto list = root.initEstablishments(2);
    list.set(0, "350004560");
    list.set(1, "35000456");
    EXPECT_EQ(DecodeRefusal<wire::ConventionSigned>("convention.signed", message),
              "CORRUPTION: convention.signed payload: establishments[1]: "
              "\"35000456\": a FINESS number has 9 characters, not 8");
  }
}

// Payloads written before issue 13 (tests/domain/testdata/old_payloads.txt, pinned
// before usageCommitments became required in amorçage and targets.adjusted gained
// indicators / effectiveFrom) decode, and re-encode to the same bytes.
TEST(EventGoldenPayloadTest, PayloadsWrittenBeforeIssue13StillDecode) {
  std::ifstream in(kSource + "/tests/domain/testdata/old_payloads.txt");
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find(' ');
    const std::string type = line.substr(0, space);
    const std::string hex = line.substr(space + 1);
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    Result<EventData> decoded = DecodePayload(type, bytes);
    ASSERT_TRUE(decoded.ok()) << type << ": " << decoded.status().ToString();
    Result<std::vector<uint8_t>> again = EncodePayload(*decoded);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(Hex(*again), hex) << type;
    if (const auto* adjusted = std::get_if<TargetsAdjusted>(&*decoded)) {
      EXPECT_TRUE(adjusted->indicators.empty());
      EXPECT_FALSE(adjusted->effective_from.has_value());
    }
    ++cases;
  }
  EXPECT_EQ(cases, 3);
}

// targets.adjusted `indicators`: an empty list is written as a null pointer (the byte
// form of the records before issue 13), so an empty but present list is refused.
TEST(EventGoldenPayloadTest, EmptyIndicatorListHasOneByteForm) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<wire::TargetsAdjusted>();
  root.setFiness("350004560");
  root.setDenominator(80);
  root.setReason("anonyme");
  root.initIndicators(0);
  EXPECT_EQ(DecodeRefusal<wire::TargetsAdjusted>("targets.adjusted", message),
            "CORRUPTION: targets.adjusted payload is not the encoding of its value");
  capnp::MallocMessageBuilder unknown;
  auto bad = unknown.initRoot<wire::TargetsAdjusted>();
  bad.setFiness("350004560");
  bad.setReason("anonyme");
  bad.initIndicators(1).set(0, static_cast<wire::AdjustedIndicator>(9));
  EXPECT_EQ(DecodeRefusal<wire::TargetsAdjusted>("targets.adjusted", unknown),
            "CORRUPTION: targets.adjusted payload: indicators[0]: unknown enumerant 9");
}

// The wire enums of events.capnp list the values of the domain's, in the same order (the
// codec writes ordinals; the JSON names are read from the schema): the JSON name of each value,
// in the order of its domain enum.
template <typename Domain>
void ExpectNames(const std::vector<std::string_view>& expected) {
  using Wire = decltype(internal::WireEnumOf(Domain{}));
  EXPECT_EQ(capnp::Schema::from<Wire>().getEnumerants().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(ToString(static_cast<Domain>(i)), expected[i]);
  }
}

TEST(EventGoldenPayloadTest, WireEnumsMirrorTheDomains) {
  ExpectNames<ProjectKind>({"acquisition", "usage", "mixed"});
  ExpectNames<Situation>({"acquisition", "upgrade"});
  ExpectNames<Tranche>({"advance", "balance", "parametrisation", "deployment"});
  ExpectNames<EuFund>({"FEDER", "FSE", "HOPEN", "OTHER"});
  ExpectNames<EuOperation>({"acquisition", "upgrade"});
  ExpectNames<FinessChangeKind>({"renumbering", "merger"});
  ExpectNames<Certifier>({"public-accountant", "statutory-auditor"});
  ExpectNames<SolutionStatus>({"candidate", "referenced"});
  ExpectNames<Role>({"admin", "porteur", "ars-instructor", "ars-payer", "national", "auditor"});
  ExpectNames<AdjustedIndicator>({"activeFiles", "plan", "agenda", "mssante", "dmp"});
  EXPECT_EQ(internal::Joined(internal::EnumNames<Role>()),
            "admin, porteur, ars-instructor, ars-payer, national, auditor");
  EXPECT_EQ(ToString(static_cast<Tranche>(4)), "");
  EXPECT_EQ(capnp::Schema::from<wire::Campaign>().getEnumerants().size(),
            static_cast<unsigned>(Campaign::kGeneralisation2025) + 1);
}

}  // namespace
}  // namespace esms::domain
