// What `framewire serve` accepts at start: plain TCP only on loopback (unless
// --insecure), TLS with all three of --tls-cert, --tls-key, --tls-client-ca or
// none, and TLS files that load. Refusals end the program at once with a
// message saying why, before it listens.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.hpp"
#include "support/framewire_processes.hpp"
#include "support/temp_dir.hpp"
#include "tls/tls_fixture.hpp"

namespace framewire::test {
namespace {

constexpr std::chrono::seconds kRefusalTimeout{30};

class ServeStartTest : public TlsFixture {
 protected:
  // Runs `framewire serve --root root/ --listen LISTEN ARGS...`, which must
  // end by itself with a non-zero code and say `expected` on stderr.
  void expect_refused_at_start(const std::string& listen, const std::vector<std::string>& args,
                               const std::string& expected) {
    std::vector<std::string> argv{framewire_binary(), "serve", "--root", root_, "--listen", listen};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess serve;
    const std::string name = logs_ + "/" + next_log_name("refused-serve");
    ASSERT_EQ(serve.start(argv, name + ".out", name + ".err"), "");
    const ExitStatus status = serve.wait_for(kRefusalTimeout);
    EXPECT_FALSE(status.timed_out) << "framewire serve kept running";
    EXPECT_EQ(status.signal, 0) << status.describe();
    EXPECT_NE(status.code, 0) << status.describe();
    EXPECT_NE(serve.stderr_text().find(expected), std::string::npos)
        << "stderr: " << serve.stderr_text();
    EXPECT_EQ(serve.stdout_text().find("listening on"), std::string::npos) << serve.stdout_text();
  }
};

TEST_F(ServeStartTest, PlainTextOnAllAddressesIsRefused) {
  expect_refused_at_start("0.0.0.0:0", {}, "not a loopback address");
}

TEST_F(ServeStartTest, PlainTextRefusalNamesTheWaysOut) {
  expect_refused_at_start("0.0.0.0:0", {}, "--tls-cert");
}

TEST_F(ServeStartTest, TlsWithoutClientCaIsRefused) {
  expect_refused_at_start("127.0.0.1:0", {"--tls-cert", server_.cert, "--tls-key", server_.key},
                          "--tls-client-ca");
}

TEST_F(ServeStartTest, KeyNotMatchingCertificateIsRefused) {
  expect_refused_at_start(
      "127.0.0.1:0",
      {"--tls-cert", server_.cert, "--tls-key", cam_a_.key, "--tls-client-ca", pki("ca.pem")},
      "cannot load private key");
}

// With TLS the receiver may listen on every address.
TEST_F(ServeStartTest, TlsOnAllAddressesStarts) {
  std::vector<std::string> argv{framewire_binary(), "serve",     "--root",          root_,
                                "--listen",         "0.0.0.0:0", "--tls-cert",      server_.cert,
                                "--tls-key",        server_.key, "--tls-client-ca", pki("ca.pem")};
  ChildProcess serve;
  const std::string name = logs_ + "/" + next_log_name("wide-serve");
  ASSERT_EQ(serve.start(argv, name + ".out", name + ".err"), "");
  const auto deadline = std::chrono::steady_clock::now() + kServeStartTimeout;
  while (serve.stdout_text().find("listening on 0.0.0.0:") == std::string::npos &&
         serve.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(serve.stdout_text().find("listening on 0.0.0.0:"), std::string::npos)
      << serve.stdout_text() << serve.stderr_text();
  serve.send_signal(SIGTERM);
  const ExitStatus status = serve.wait_for(kServeStopTimeout);
  EXPECT_TRUE(status.exited_with(0)) << status.describe() << "\n" << serve.stderr_text();
}

}  // namespace
}  // namespace framewire::test
