// The append request's decoding (service::DecodeAppendRequest), as the server meets a
// message from any client: a well-formed request gives its lines; a line with a bad
// signature, an oversized or NUL-holding event is kept with its refusal and ends the list
// (nothing after it is taken); a malformed message, or one beyond the size limit, is
// BAD_INPUT. With ESMS_WRITE_FUZZ_CORPUS=DIR set, also writes the seeds of
// tests/fuzz/corpus/append_request/ there.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "service/ledger_service.capnp.h"
#include "service/server.h"
#include "tests/testing/cli.h"

namespace esms::service {
namespace {

using ::testing::HasSubstr;

struct WireLine {
  uint64_t line;
  std::string event;
  std::string signer;
  size_t signature_size = 64;
};

ledger::Bytes Message(const std::vector<WireLine>& lines, const std::string& seed_name = "") {
  capnp::MallocMessageBuilder message;
  auto params = message.initRoot<schema::Ledger::AppendParams>();
  auto list = params.initLines(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    list[i].setLine(lines[i].line);
    list[i].setEvent(capnp::Text::Reader(lines[i].event.data(), lines[i].event.size()));
    list[i].setSigner(lines[i].signer);
    std::vector<kj::byte> signature(lines[i].signature_size, 0xab);
    list[i].setSignature(kj::arrayPtr(signature.data(), signature.size()));
  }
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  ledger::Bytes out(bytes.begin(), bytes.end());
  if (const char* dir = std::getenv("ESMS_WRITE_FUZZ_CORPUS");
      dir != nullptr && !seed_name.empty()) {
    testing::WriteFile(std::filesystem::path(dir) / (seed_name + ".bin"),
                       std::string(out.begin(), out.end()));
  }
  return out;
}

const char* kEvent =
    R"({"id": "sol-1", "type": "solution.referenced", "at": "2023-02-01", "data": {}})";

TEST(DecodeAppendRequestTest, AWellFormedRequestGivesItsLines) {
  auto lines =
      DecodeAppendRequest(Message({{1, kEvent, "dgos"}, {3, kEvent, "ars-bzh"}}, "two-lines"));
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_EQ((*lines)[0].line, 1u);
  EXPECT_EQ((*lines)[0].event_json, kEvent);
  EXPECT_EQ((*lines)[1].signer, "ars-bzh");
  EXPECT_EQ((*lines)[1].signature[63], 0xab);
  EXPECT_TRUE((*lines)[1].refusal.ok());
  auto empty = DecodeAppendRequest(Message({}, "empty"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(DecodeAppendRequestTest, ABadLineIsKeptWithItsRefusalAndEndsTheList) {
  auto bad_signature = DecodeAppendRequest(Message(
      {{1, kEvent, "dgos"}, {2, kEvent, "dgos", 12}, {3, kEvent, "dgos"}}, "bad-signature"));
  ASSERT_TRUE(bad_signature.ok());
  ASSERT_EQ(bad_signature->size(), 2u);
  EXPECT_TRUE((*bad_signature)[0].refusal.ok());
  EXPECT_EQ((*bad_signature)[1].refusal.error_code(), "");
  EXPECT_THAT((*bad_signature)[1].refusal.ToString(), HasSubstr("BAD_INPUT"));
  EXPECT_THAT((*bad_signature)[1].refusal.message(), HasSubstr("64 bytes"));

  auto nul = DecodeAppendRequest(Message({{5, std::string("{\"id\"\0:1}", 9), "dgos"}}, "nul"));
  ASSERT_TRUE(nul.ok());
  ASSERT_EQ(nul->size(), 1u);
  EXPECT_THAT((*nul)[0].refusal.message(), HasSubstr("NUL"));

  auto big = DecodeAppendRequest(Message({{7, std::string((8 << 20) + 1, 'x'), "dgos"}}));
  ASSERT_TRUE(big.ok());
  ASSERT_EQ(big->size(), 1u);
  EXPECT_THAT((*big)[0].refusal.message(), HasSubstr("more than"));
}

TEST(DecodeAppendRequestTest, AMalformedOrOversizedMessageIsBadInput) {
  ledger::Bytes good = Message({{1, kEvent, "dgos"}});
  ledger::Bytes odd(good.begin(), good.end() - 3);
  EXPECT_THAT(DecodeAppendRequest(odd).status().ToString(), HasSubstr("BAD_INPUT"));
  ledger::Bytes truncated(good.begin(), good.begin() + 16);
  EXPECT_THAT(DecodeAppendRequest(truncated).status().ToString(), HasSubstr("BAD_INPUT"));
  // Beyond the limit the server reads (here 1 KiB): refused, not read.
  ledger::Bytes large = Message({{1, std::string(4096, 'y'), "dgos"}});
  EXPECT_THAT(DecodeAppendRequest(large, 1024).status().ToString(), HasSubstr("BAD_INPUT"));
  EXPECT_TRUE(DecodeAppendRequest(large).ok());
}

}  // namespace
}  // namespace esms::service
