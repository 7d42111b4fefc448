#include "tests/testing/cli.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "cli/app.h"
#include "cli/output.h"

namespace esms::testing {
namespace {

// A program that exits before reading all its input (a refused key, a ledger that does
// not open) closes its stdin: the test's writer thread must get EPIPE, not kill the
// whole test binary with SIGPIPE. The children get the default action back.
[[maybe_unused]] const bool kSigpipeIgnored = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::vector<char*> Argv(const std::vector<std::string>& args) {
  static const std::string kBin = ESMS_LEDGER_BIN;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(kBin.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

std::string Drain(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// An anonymous in-memory file holding `text`, read from its start.
int MemoryFile(const char* name, const std::string& text) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) std::abort();
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n <= 0) std::abort();
    off += static_cast<size_t>(n);
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

std::string ReadAll(int fd) {
  lseek(fd, 0, SEEK_SET);
  return Drain(fd);
}

bool RealProgramAsked() {
  const char* value = std::getenv("ESMS_TEST_REAL_PROGRAM");
  return value != nullptr && std::strcmp(value, "") != 0 && std::strcmp(value, "0") != 0;
}

}  // namespace

CliResult RunCli(const std::vector<std::string>& args, const std::string& stdin_text) {
  if (RealProgramAsked()) return RunProgram(args, stdin_text);
  static std::mutex one_at_a_time;
  std::lock_guard<std::mutex> lock(one_at_a_time);
  cli::Console console{MemoryFile("esms-cli-in", stdin_text), MemoryFile("esms-cli-out", ""),
                       MemoryFile("esms-cli-err", "")};
  auto argv = Argv(args);
  CliResult result;
  result.exit_code = cli::Run(static_cast<int>(argv.size() - 1), argv.data(), console);
  result.out = ReadAll(console.out);
  result.err = ReadAll(console.err);
  close(console.in);
  close(console.out);
  close(console.err);
  return result;
}

CliResult RunProgram(const std::vector<std::string>& args, const std::string& stdin_text) {
  return RunCli(args, stdin_text, {});
}

CliResult RunCli(const std::vector<std::string>& args, const std::string& stdin_text,
                 const std::function<void()>& in_child) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) std::abort();
  auto argv = Argv(args);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close_range(3, ~0U, 0);  // no other test pipe may leak into the program
    signal(SIGPIPE, SIG_DFL);
    if (in_child) in_child();
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  std::thread writer([&] {
    size_t off = 0;
    while (off < stdin_text.size()) {
      ssize_t n = write(in_pipe[1], stdin_text.data() + off, stdin_text.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(in_pipe[1]);
  });
  std::string err;
  std::thread err_reader([&] { err = Drain(err_pipe[0]); });
  CliResult result;
  result.out = Drain(out_pipe[0]);
  err_reader.join();
  writer.join();
  close(out_pipe[0]);
  close(err_pipe[0]);
  result.err = err;
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return result;
}

Child StartCli(const std::vector<std::string>& args, const std::filesystem::path& out_file,
               int stdin_fd) {
  auto argv = Argv(args);
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int devnull = open("/dev/null", O_RDWR);
    dup2(stdin_fd >= 0 ? stdin_fd : devnull, 0);
    dup2(out, 1);
    dup2(devnull, 2);
    close_range(3, ~0U, 0);  // the program must hold no other end of a test pipe
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return Child{pid};
}

int WaitChild(const Child& child) {
  int status = 0;
  waitpid(child.pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("esms-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string WaitForFirstLine(const std::filesystem::path& path) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    const std::string text = std::filesystem::exists(path, ec) ? ReadFile(path) : "";
    if (size_t end = text.find('\n'); end != std::string::npos) return text.substr(0, end);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

}  // namespace esms::testing
