// Runs esms-ledger commands for the CLI tests: arguments in, exit code, stdout and
// stderr out. RunCli runs the command in this process (the cli library's entry, on
// files of its own: cli/app.h); RunProgram, StartCli and the limits of RunCli's
// `in_child` form run the real program in a child process, for what needs a process
// (crashes, kills, locks held by another process, resource limits). Setting
// ESMS_TEST_REAL_PROGRAM=1 makes RunCli run the real program too. Also a temporary
// directory per test.
//
// Thread-safety: RunCli runs one command at a time per process (the command writes to its
// console's files, not to the process's standard streams); RunProgram may be called from
// any thread.
#ifndef ESMS_TESTS_TESTING_CLI_H_
#define ESMS_TESTS_TESTING_CLI_H_

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace esms::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the command `args` with `stdin_text` on its standard input, in this process.
CliResult RunCli(const std::vector<std::string>& args, const std::string& stdin_text = "");
// Runs the real program, in a child process.
CliResult RunProgram(const std::vector<std::string>& args, const std::string& stdin_text = "");
// The real program too; `in_child` runs in the child just before exec (after the
// standard streams are redirected): set resource limits, drop privileges... It may only
// make async-signal-safe calls and must _exit() on failure.
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
// The first line of `path` (without its "\n") once a process has written it, looked for
// every 20 ms for at most 20 s; "" if it never came.
std::string WaitForFirstLine(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& text);

}  // namespace esms::testing

#endif  // ESMS_TESTS_TESTING_CLI_H_
