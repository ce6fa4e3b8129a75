// A sender and a receiver that disagree about TLS find out at once and say
// what to change, instead of retrying for the whole --retry-for window: a
// plaintext sender meets a TLS receiver's alert record ("requires TLS: give
// --tls-ca"), a TLS sender meets a plaintext receiver's framewire ERROR ("does
// not speak TLS"). Both are final (exit 1 well inside a 600 s retry window).
// A connection that merely ends during the TLS handshake (a proxy whose
// receiver is not up) is a lost connection and is retried like any other.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fault/fault_proxy.hpp"
#include "support/file_tree.hpp"
#include "support/raw_client.hpp"
#include "tls/tls_fixture.hpp"

namespace framewire::test {
namespace {

// Long enough that a retried failure could never finish within kSendTimeout:
// a send that ends in time ended because it gave up at once.
const std::vector<std::string> kLongRetry{"--retry-for", "600", "--retry-max-backoff", "0.2"};

class TlsMismatchTest : public TlsFixture {
 protected:
  void SetUp() override {
    TlsFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(gen("tiny", 3, "frames"));
  }
  void TearDown() override {
    if (proxy_) proxy_->stop();
    TlsFixture::TearDown();
  }

  std::vector<std::string> tls_args() const {
    return {"--tls-ca", pki("ca.pem"), "--tls-cert", cam_a_.cert, "--tls-key", cam_a_.key};
  }

  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(TlsMismatchTest, PlaintextSenderToTlsReceiverFailsAtOnceAskingForTlsCa) {
  ASSERT_TRUE(start_tls_serve());
  const SendResult result = run_send(
      serve_->address(), {{.name = "cam-a", .folder = data("frames")}}, logs_, false, kLongRetry);
  EXPECT_TRUE(result.exit.exited_with(1)) << result.describe();
  EXPECT_NE(result.err.find("requires TLS: give --tls-ca"), std::string::npos) << result.err;
  // Given up, not retried: no "retrying in" notice.
  EXPECT_EQ(result.err.find("retrying"), std::string::npos) << result.err;
  EXPECT_TRUE(nothing_stored());
}

TEST_F(TlsMismatchTest, TlsSenderToPlaintextReceiverFailsAtOnceSayingItIsPlainTcp) {
  ASSERT_TRUE(start_serve());
  std::vector<std::string> extra = kLongRetry;
  const auto tls = tls_args();
  extra.insert(extra.end(), tls.begin(), tls.end());
  const SendResult result = run_send(
      serve_->address(), {{.name = "cam-a", .folder = data("frames")}}, logs_, false, extra);
  EXPECT_TRUE(result.exit.exited_with(1)) << result.describe();
  EXPECT_NE(result.err.find("does not speak TLS (it is plain TCP): drop --tls-ca"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("retrying"), std::string::npos) << result.err;
  EXPECT_TRUE(nothing_stored());
}

// What the plaintext sender recognises: the TLS receiver answers a framewire
// HELLO with exactly one fatal alert record in the clear, then closes.
TEST_F(TlsMismatchTest, TlsReceiverAnswersPlaintextWithOneAlertRecord) {
  ASSERT_TRUE(start_tls_serve());
  RawClient raw;
  ASSERT_TRUE(raw.connect(serve_->port()));
  raw.send(encode(protocol::Hello{.agent = "plaintext-client"}));
  Bytes got;
  bool closed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    pollfd readable{.fd = raw.fd(), .events = POLLIN, .revents = 0};
    if (::poll(&readable, 1, 100) <= 0) continue;
    std::uint8_t buffer[256];
    const ssize_t n = ::recv(raw.fd(), buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed = true;
    } else {
      got.insert(got.end(), buffer, buffer + n);
    }
  }
  EXPECT_TRUE(closed) << "the receiver kept the connection open";
  // Record: alert (0x15), version 3.3, 2 bytes: fatal (2) unexpected_message (10).
  EXPECT_EQ(got, (Bytes{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a}));
  EXPECT_TRUE(serve_->wait_for_log("TLS handshake failed"));
}

// A TLS handshake cut by the network (here a proxy that closes the first two
// connections at once) is retried, not taken for a certificate problem.
TEST_F(TlsMismatchTest, ConnectionLostDuringTheTlsHandshakeIsRetried) {
  ASSERT_TRUE(start_tls_serve());
  proxy_ = std::make_unique<FaultProxy>(serve_->port(), FaultPlan{.cut_after = {0, 0}});
  ASSERT_EQ(proxy_->start(), "");
  std::vector<std::string> extra{"--retry-for", "60", "--retry-max-backoff", "0.2"};
  const auto tls = tls_args();
  extra.insert(extra.end(), tls.begin(), tls.end());
  const SendResult result = run_send(
      proxy_->address(), {{.name = "cam-a", .folder = data("frames")}}, logs_, false, extra);
  EXPECT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_EQ(proxy_->stats().cuts, 2U);
  EXPECT_TRUE(same_files(data("frames"), stored("cam-a")));
}

}  // namespace
}  // namespace framewire::test
