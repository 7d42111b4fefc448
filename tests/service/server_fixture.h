// A real `esms-ledger serve` for the service tests: started as a child process on a unix
// socket in a temporary directory (or 127.0.0.1 port 0), waited for until it prints
// 'listening on ADDR', stopped with SIGTERM (or killed) by its pid. Clients are the real
// program too (RunProgram), or the cli library in-process (RunCli).
//
// Thread-safety: one ServerProcess per test; RunProgram from any thread.
#ifndef ESMS_TESTS_SERVICE_SERVER_FIXTURE_H_
#define ESMS_TESTS_SERVICE_SERVER_FIXTURE_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tests/testing/cli.h"

namespace esms::testing {

class ServerProcess {
 public:
  // Starts `esms-ledger ARGS` with stdout and stderr in files of `dir`; waits (at most
  // 20 s) for its 'listening on ADDR' line. ok() is false if it never came.
  ServerProcess(const std::vector<std::string>& args, const std::filesystem::path& dir)
      : out_(dir / fmt::format("serve-{}.out", counter_)),
        err_(dir / fmt::format("serve-{}.err", counter_)) {
    ++counter_;
    std::vector<std::string> all = {ESMS_LEDGER_BIN};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 0);
      dup2(out, 1);
      dup2(err, 2);
      close_range(3, ~0U, 0);
      execv(argv[0], argv.data());
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string out = ReadFile(out_);
      if (size_t at = out.find("listening on "); at != std::string::npos) {
        size_t end = out.find('\n', at);
        if (end != std::string::npos) {
          address_ = out.substr(at + 13, end - at - 13);
          return;
        }
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool ok() const { return !address_.empty() && pid_ > 0; }
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return ReadFile(err_); }
  std::string out() const { return ReadFile(out_); }

  // Sends `signal`, waits at most `limit` for the exit: its code (-signal if killed by
  // one), or -1000 on a timeout (the process is then killed). `*took`: how long it took.
  int Stop(int signal = SIGTERM, std::chrono::milliseconds limit = std::chrono::seconds(10),
           std::chrono::milliseconds* took = nullptr) {
    if (pid_ <= 0) return exit_code_;
    const auto start = std::chrono::steady_clock::now();
    kill(pid_, signal);
    int status = 0;
    for (;;) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) break;
      if (std::chrono::steady_clock::now() - start > limit) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
        return -1000;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (took != nullptr) {
      *took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return exit_code_;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string address_;
};

}  // namespace esms::testing

#endif  // ESMS_TESTS_SERVICE_SERVER_FIXTURE_H_
