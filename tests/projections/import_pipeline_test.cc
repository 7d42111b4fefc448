// ImportPipeline (projections/import_pipeline.h): lines prepared on worker threads a few
// chunks ahead, staged in order, answered once their group commit is durable; a signed
// line read in one pass when it has the plain form, the general way otherwise, with the
// same outcome; the first refused line stops the import with the lines before it
// committed. Small chunks and group commits so that every boundary is crossed.
#include "projections/import_pipeline.h"

#include <sstream>

#include "domain/event_codec.h"
#include "ledger/record.h"
#include "tests/projections/fixture.h"

namespace esms::projections::testing {
namespace {

class ImportPipelineTest : public ProjectionsTest {
 protected:
  // Each line of `text` as an ImportLine, numbered from 1.
  static std::vector<ImportLine> Lines(const std::string& text) {
    std::vector<ImportLine> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      ImportLine& item = lines.emplace_back();
      item.line_no = lines.size();
      item.text = line;
    }
    return lines;
  }

  // The signature of `event_json` (a plain event line) by `signer`, as `sign` makes it.
  std::string SignatureOf(const std::string& event_json, const std::string& signer) {
    Result<domain::Event> event = domain::ParseEvent(event_json);
    EXPECT_TRUE(event.ok()) << event.status().ToString();
    Result<ledger::Entry> entry = EntryFromEvent(*event);
    EXPECT_TRUE(entry.ok());
    Result<ledger::Bytes> bytes = ledger::StatementBytes(
        ledger::Statement{ledger_->origin(), entry->event_id, entry->type, entry->stream, entry->at,
                          entry->expected_version, entry->payload, signer});
    EXPECT_TRUE(bytes.ok());
    const ledger::Signature sig = ledger::SignStatement(*bytes, *keys_.at(signer));
    return ledger::Base64Encode(ledger::ByteView(sig.data(), sig.size()));
  }

  struct Outcome {
    ImportPipeline::Refusal refusal;
    std::vector<ImportPipeline::LineResult> results;
    std::vector<uint64_t> durable_at_answer;  // the ledger size when each group was answered
    uint64_t prepared_again = 0;              // ImportPipeline::lines_prepared_again()
  };
  Outcome Run(std::vector<ImportLine> lines, const ledger::SigningKey* key) {
    EventAppender appender(*ledger_);
    projector_->Install(appender);
    ImportPipeline::Options options;
    options.key = key;
    options.group_commit = 2;
    options.chunk = 3;
    options.threads = 2;
    ImportPipeline pipeline(*ledger_, appender, projector_.get(), options);
    Outcome out;
    size_t next = 0;
    auto source = [&](std::vector<ImportLine>& chunk, size_t max) {
      for (size_t n = 0; n < max && next < lines.size(); ++n) {
        chunk.push_back(std::move(lines[next++]));
      }
      return next < lines.size();
    };
    auto sink = [&](const std::vector<ImportPipeline::LineResult>& results) {
      out.results.insert(out.results.end(), results.begin(), results.end());
      out.durable_at_answer.push_back(ledger_->size());
      for (const auto& r : results) {
        EXPECT_LT(r.appended.seq, ledger_->size()) << "line " << r.line_no << " answered before "
                                                   << "it was durable";
      }
    };
    out.refusal = pipeline.Run(source, sink);
    out.prepared_again = pipeline.lines_prepared_again();
    return out;
  }
};

TEST_F(ImportPipelineTest, SignedAndPlainLinesOfEveryFormAreTakenInOrder) {
  const std::vector<ImportLine> events = Lines(::esms::testing::SolutionLines(9));
  ASSERT_EQ(events.size(), 9u);
  auto event = [&](size_t i) { return events[i].text; };
  const std::string s2 = SignatureOf(event(2), "national");
  const std::string s3 = SignatureOf(event(3), "national");
  const std::string s5 = SignatureOf(event(5), "national");
  const std::string s6 = SignatureOf(event(6), "national");
  const std::string text =
      event(0) + "\n" +  // plain, signed here with the pipeline's key
      "\n" +             // blank
      "# a comment\n" + event(1) + "\n" +
      // The plain signed form, keys in the usual order.
      R"({"event":)" + event(2) + R"(,"signer":"national","signature":")" + s2 + "\"}\n" +
      // The same form, keys in another order, with spaces (read in one pass).
      " { \"signature\" : \"" + s3 + "\" ,\t\"event\" : " + event(3) +
      " , \"signer\":\"national\" }\n" + event(4) + "\n" +
      // A key written with an escape: read the general way, same outcome.
      R"({"\u0065vent":)" + event(5) + R"(,"signer":"national","signature":")" + s5 + "\"}\n" +
      // A signer written with an escape.
      R"({"event":)" + event(6) + R"(,"signer":"n\u0061tional","signature":")" + s6 + "\"}\n" +
      event(7) + "\n" + event(8) + "\n";
  const uint64_t before = ledger_->size();
  Outcome first = Run(Lines(text), keys_.at("national").get());
  ASSERT_TRUE(first.refusal.status.ok()) << first.refusal.status.ToString();
  ASSERT_EQ(first.results.size(), 9u);
  const std::vector<uint64_t> line_numbers = {1, 4, 5, 6, 7, 8, 9, 10, 11};
  for (size_t i = 0; i < first.results.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(first.results[i].line_no, line_numbers[i]);
    EXPECT_EQ(first.results[i].id, "sol-" + std::to_string(i));
    EXPECT_FALSE(first.results[i].appended.existing);
    EXPECT_EQ(first.results[i].appended.seq, before + i);
  }
  EXPECT_GE(first.durable_at_answer.size(), 4u) << "groups of 2 answered as they became durable";
  EXPECT_EQ(ledger_->size(), before + 9);
  // Every record is signed by the national key and verifies.
  for (uint64_t seq = before; seq < before + 9; ++seq) {
    Result<ledger::Record> r = ledger_->Get(seq);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->signer, "national");
    EXPECT_TRUE(ledger::VerifyAuthorSignature(*r, keys_.at("national")->public_key()).ok());
  }
  Result<ledger::Ledger::VerifyReport> report = ledger_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;

  // Again: every line is there already, answered in order with its seq.
  Outcome again = Run(Lines(text), keys_.at("national").get());
  ASSERT_TRUE(again.refusal.status.ok()) << again.refusal.status.ToString();
  ASSERT_EQ(again.results.size(), 9u);
  for (size_t i = 0; i < again.results.size(); ++i) {
    EXPECT_TRUE(again.results[i].appended.existing);
    EXPECT_EQ(again.results[i].appended.seq, before + i);
  }
  EXPECT_EQ(ledger_->size(), before + 9);
}

TEST_F(ImportPipelineTest, LinesOfAKeyEnrolledEarlierInTheSameImportAreSignedAndChecked) {
  // Line 1 enrols a new key (signed by the admin's); the lines after it, plain (signed
  // here with the new key) or signed by it with `sign`, were prepared before the key
  // was in the ledger (chunks of 3, handed out ahead): they are finished again once it
  // is, and every one is appended under the new key.
  auto key = ledger::SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  keys_.emplace("national-2", std::make_unique<ledger::SigningKey>(std::move(key).value()));
  const ledger::SigningKey& national2 = *keys_.at("national-2");
  const std::string enrol = Line("key.enrolled", "2024-01-02",
                                 json{{"name", "national-2"},
                                      {"publicKey", ledger::Base64Encode(national2.public_key())},
                                      {"roles", {"national"}},
                                      {"regions", json::array()}});
  const std::vector<ImportLine> events = Lines(::esms::testing::SolutionLines(10, 100));
  std::vector<ImportLine> lines;
  lines.push_back(ImportLine{1, enrol, Status::OK(), keys_.at("admin").get()});
  for (size_t i = 0; i < events.size(); ++i) {
    std::string text = events[i].text;
    if (i % 2 == 1) {
      text = R"({"event":)" + text + R"(,"signer":"national-2","signature":")" +
             SignatureOf(text, "national-2") + "\"}";
    }
    lines.push_back(ImportLine{i + 2, text, Status::OK(), nullptr});
  }
  const uint64_t before = ledger_->size();
  Outcome out = Run(std::move(lines), &national2);
  ASSERT_TRUE(out.refusal.status.ok()) << out.refusal.status.ToString();
  ASSERT_EQ(out.results.size(), 11u);
  EXPECT_GT(out.prepared_again, 0u) << "the lines after the enrolment waited for its key";
  for (uint64_t seq = before + 1; seq < before + 11; ++seq) {
    Result<ledger::Record> r = ledger_->Get(seq);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->signer, "national-2");
    EXPECT_TRUE(ledger::VerifyAuthorSignature(*r, national2.public_key()).ok());
  }
  Result<ledger::Ledger::VerifyReport> report = ledger_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_F(ImportPipelineTest, TheFirstRefusedLineStopsTheImportAfterCommittingTheLinesBefore) {
  const std::vector<ImportLine> events = Lines(::esms::testing::SolutionLines(12));
  std::string text;
  for (size_t i = 0; i < 5; ++i) text += events[i].text + "\n";
  // Line 6: signed by the national key, but the event was altered after signing (read
  // in one pass: refused as the general reading would).
  const std::string forged = SignatureOf(events[5].text, "national");
  std::string altered = events[5].text;
  altered.replace(altered.find("Editeur"), 7, "Editrice");
  text += R"({"event":)" + altered + R"(,"signer":"national","signature":")" + forged + "\"}\n";
  for (size_t i = 6; i < 12; ++i) text += events[i].text + "\n";
  const uint64_t before = ledger_->size();
  Outcome out = Run(Lines(text), keys_.at("national").get());
  EXPECT_EQ(out.refusal.status.code(), StatusCode::kPermissionDenied)
      << out.refusal.status.ToString();
  EXPECT_THAT(out.refusal.status.message(), ::testing::HasSubstr("does not verify"));
  EXPECT_EQ(out.refusal.line, 6u);
  EXPECT_EQ(out.refusal.last_line, 0u);
  EXPECT_EQ(out.refusal.id, "sol-5");
  ASSERT_EQ(out.results.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(out.results[i].line_no, i + 1);
  EXPECT_EQ(ledger_->size(), before + 5) << "the lines before the refused one are committed";

  // A plain line with no key to sign it: USAGE, at its line.
  Outcome keyless = Run(Lines(events[11].text + "\n"), nullptr);
  EXPECT_EQ(keyless.refusal.status.error_code(), "USAGE") << keyless.refusal.status.ToString();
  EXPECT_EQ(keyless.refusal.line, 1u);
  EXPECT_EQ(keyless.refusal.id, "sol-11");
  EXPECT_TRUE(keyless.results.empty());

  // A line that is not JSON: BAD_INPUT, at its line, after the ones before it.
  Outcome bad = Run(Lines(events[6].text + "\n{\"event\": oops, \"signature\": 1}\n"),
                    keys_.at("national").get());
  EXPECT_EQ(bad.refusal.status.code(), StatusCode::kInvalidArgument)
      << bad.refusal.status.ToString();
  EXPECT_EQ(bad.refusal.line, 2u);
  ASSERT_EQ(bad.results.size(), 1u);
  EXPECT_FALSE(bad.results[0].appended.existing);
}

}  // namespace
}  // namespace esms::projections::testing
