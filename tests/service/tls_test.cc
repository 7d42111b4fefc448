// The service over TCP with TLS (kj-tls, TLS 1.2+): a test CA made here with the openssl
// CLI signs the server's certificate; the server listens on 127.0.0.1 port 0 and prints
// the port it got; clients trusting that CA import and read; a client trusting another
// CA is refused with a clear error (exit 4: the ledger cannot be
// reached, INTERFACE.md §5's closest code) and the server serves the others.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/service/server_fixture.h"
#include "tests/testing/cli.h"
#include "tests/testing/ids.h"

namespace esms::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class TlsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeCa("ca");
    MakeCa("other-ca");
    const fs::path ext = dir_ / "san.ext";
    WriteFile(ext, "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1\n");
    ASSERT_EQ(
        Sh(fmt::format(
            "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout {0}/srv.key "
            "-out {0}/srv.csr -subj /CN=localhost && openssl x509 -req -in {0}/srv.csr -CA "
            "{0}/ca.pem -CAkey {0}/ca.key -CAcreateserial -out {0}/srv.pem -days 2 -extfile {1}",
            dir_.path().string(), ext.string())),
        0);
    admin_ = (dir_ / "admin.pem").string();
    ASSERT_EQ(RunCli({"key", "new", "admin", "--out", admin_}).exit_code, 0);
    db_ = (dir_ / "l.db").string();
    ASSERT_EQ(
        RunCli({"init", "--origin", "tls.example/esms", "--admin-key", admin_, "--ledger", db_})
            .exit_code,
        0);
  }

  static int Sh(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str());
  }
  void MakeCa(const std::string& name) {
    ASSERT_EQ(Sh(fmt::format("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                             "-nodes -keyout {0}/{1}.key -out {0}/{1}.pem -subj /CN={1} -days 2",
                             dir_.path().string(), name)),
              0);
  }

  TempDir dir_;
  std::string admin_, db_;
};

TEST_F(TlsServiceTest, ClientsTrustingTheCaAreServedOthersAreRefusedClearly) {
  ServerProcess server(
      {"serve", "--listen", "127.0.0.1:0", "--tls-cert", (dir_ / "srv.pem").string(), "--tls-key",
       (dir_ / "srv.key").string(), "--no-auth", "--ledger", db_},
      dir_.path());
  ASSERT_TRUE(server.ok()) << server.log();
  ASSERT_THAT(server.address(), ::testing::StartsWith("127.0.0.1:"));
  EXPECT_NE(server.address(), "127.0.0.1:0");  // the port it got
  const std::string ca = (dir_ / "ca.pem").string();
  const std::string other = (dir_ / "other-ca.pem").string();
  // Solution events need the national role: an admin-signed refusal still goes through
  // the whole path (signed here, appended or refused there).
  const fs::path file = dir_ / "events.jsonl";
  WriteFile(file, SolutionLines(3, 0));
  CliResult import = RunProgram(
      {"import", file.string(), "--key", admin_, "--server", server.address(), "--tls-ca", ca});
  EXPECT_EQ(import.exit_code, 3) << import.err;
  EXPECT_THAT(import.err, HasSubstr("UNAUTHORIZED"));
  CliResult verify = RunProgram({"verify", "--server", server.address(), "--tls-ca", ca});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("OK: 1 records"));
  // By name too: the certificate names localhost.
  const std::string port = server.address().substr(server.address().rfind(':') + 1);
  CliResult by_name = RunProgram({"checkpoint", "--server", "localhost:" + port, "--tls-ca", ca});
  EXPECT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_THAT(by_name.out, HasSubstr("tls.example/esms"));

  CliResult wrong = RunProgram({"verify", "--server", server.address(), "--tls-ca", other});
  EXPECT_EQ(wrong.exit_code, 4);
  EXPECT_THAT(wrong.err, HasSubstr("STORAGE_ERROR: cannot reach the server"));
  EXPECT_THAT(wrong.err, HasSubstr("certificate"));
  // The server serves on.
  EXPECT_EQ(RunProgram({"verify", "--server", server.address(), "--tls-ca", ca}).exit_code, 0);
  EXPECT_EQ(server.Stop(), 0);
}

// TCP connections that never send their ClientHello hold every slot until the login
// deadline (10 s), no longer: the handshake is part of the login, so the server drops them
// and serves the others again.
TEST_F(TlsServiceTest, HandshakesThatNeverStartAreDroppedAtTheLoginDeadline) {
  ServerProcess server(
      {"serve", "--listen", "127.0.0.1:0", "--tls-cert", (dir_ / "srv.pem").string(), "--tls-key",
       (dir_ / "srv.key").string(), "--no-auth", "--max-connections", "2", "--ledger", db_},
      dir_.path());
  ASSERT_TRUE(server.ok()) << server.log();
  const std::string ca = (dir_ / "ca.pem").string();
  const int port = std::stoi(server.address().substr(server.address().rfind(':') + 1));
  std::vector<int> silent;
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    silent.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CliResult busy = RunProgram({"verify", "--server", server.address(), "--tls-ca", ca});
  EXPECT_EQ(busy.exit_code, 4);
  EXPECT_THAT(busy.err, HasSubstr("too many connections"));
  // Each silent connection closed by the server within the deadline and a margin.
  for (int fd : silent) {
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 15000), 1) << "not closed: fd " << fd;
    char c;
    EXPECT_EQ(::read(fd, &c, 1), 0);
  }
  CliResult served = RunProgram({"verify", "--server", server.address(), "--tls-ca", ca});
  EXPECT_EQ(served.exit_code, 0) << served.err;
  for (int fd : silent) ::close(fd);
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_THAT(server.log(), HasSubstr("TLS handshake failed: "));
}

TEST_F(TlsServiceTest, TcpWithoutTlsIsRefusedUnlessInsecure) {
  CliResult refused =
      RunProgram({"serve", "--listen", "127.0.0.1:0", "--no-auth", "--ledger", db_});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("--insecure"));
  ServerProcess insecure(
      {"serve", "--listen", "127.0.0.1:0", "--insecure", "--no-auth", "--ledger", db_},
      dir_.path());
  EXPECT_TRUE(insecure.ok()) << insecure.log();
  // A client still asks for TLS on TCP: against a plaintext server it cannot connect.
  CliResult client = RunProgram(
      {"verify", "--server", insecure.address(), "--tls-ca", (dir_ / "ca.pem").string()});
  EXPECT_EQ(client.exit_code, 4);
  EXPECT_EQ(insecure.Stop(), 0);
}

}  // namespace
}  // namespace esms::testing
