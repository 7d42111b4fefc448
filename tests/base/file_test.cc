#include "base/file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace esms::base {
namespace {

class ReadFileCappedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/esms-file-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }
  std::filesystem::path dir_;
};

TEST_F(ReadFileCappedTest, ReadsATextFileUpToItsLimitIncluded) {
  const auto path = Write("note", "0123456789");
  Result<std::string> text = ReadFileCapped(path, 10, "note");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "0123456789");
  Result<std::string> over = ReadFileCapped(path, 9, "note");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(over.status().message(),
            "note " + path.string() + " is larger than the limit of 9 bytes");
}

TEST_F(ReadFileCappedTest, RefusesWhatIsNotATextFileNamingIt) {
  Result<std::string> dir = ReadFileCapped(dir_, 100, "key file");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().message(),
            "cannot read key file " + dir_.string() + ": it is a directory");
  Result<std::string> nul = ReadFileCapped(Write("bin", std::string("a\0b", 3)), 100, "key file");
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.status().message().find("holds a NUL byte"), std::string::npos);
  Result<std::string> absent = ReadFileCapped(dir_ / "absent", 100, "key file");
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(absent.status().message().find("No such file or directory"), std::string::npos);
}

TEST_F(ReadFileCappedTest, AFileOfTheProgramThatCannotBeOpenedIsAnIoError) {
  Result<std::string> gone =
      ReadFileCapped(dir_ / "state.json", 100, "witness state", NamedBy::kProgram);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kIoError);
  EXPECT_EQ(gone.status().message(), "cannot read witness state " + (dir_ / "state.json").string() +
                                         ": No such file or directory");
  // Its other refusals are those of a file the user named.
  Result<std::string> dir = ReadFileCapped(dir_, 100, "witness state", NamedBy::kProgram);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ReadFileCappedTest, ADeviceIsCappedWhileReading) {
  // /dev/zero has no size to check first: the read stops at the first chunk (NUL bytes).
  Result<std::string> zero = ReadFileCapped("/dev/zero", 1 << 20, "state");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("holds a NUL byte"), std::string::npos);
}

}  // namespace
}  // namespace esms::base
