// Runs the esms-ledger binary as a user would, for the CLI tests: arguments in,
// exit code, stdout and stderr out. Also a temporary directory per test.
#ifndef ESMS_TESTS_CLI_HARNESS_H_
#define ESMS_TESTS_CLI_HARNESS_H_

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <functional>
#include <vector>

namespace esms::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the binary with `args` and `stdin_text` on its standard input.
CliResult RunCli(const std::vector<std::string>& args, const std::string& stdin_text = "");
// The same; `in_child` runs in the child just before exec (after the standard streams
// are redirected): set resource limits, drop privileges... It may only make
// async-signal-safe calls and must _exit() on failure.
CliResult RunCli(const std::vector<std::string>& args, const std::string& stdin_text,
                 const std::function<void()>& in_child);

// A started process whose standard output goes to `out_file`; for kill tests.
struct Child {
  pid_t pid = -1;
};
Child StartCli(const std::vector<std::string>& args, const std::filesystem::path& out_file,
               int stdin_fd = -1);
// Waits for the child; returns its exit code, or -signal if it was killed.
int WaitChild(const Child& child);

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& text);

}  // namespace esms::testing

#endif  // ESMS_TESTS_CLI_HARNESS_H_
