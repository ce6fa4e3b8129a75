// The receiver refuses, during the TLS handshake and before any framewire
// byte, every client that is not a currently valid certificate issued for
// client use by its client CA: another CA, no certificate, expired, not yet
// valid, issued by a leaf, a server-only certificate, TLS 1.2, plain text, and
// a peer that never completes the handshake. Each refusal writes nothing and
// leaves the receiver serving.
#include <gtest/gtest.h>

#include <chrono>

#include "support/file_tree.hpp"
#include "support/raw_client.hpp"
#include "tls/tls_fixture.hpp"
#include "tls/tls_probe.hpp"

namespace framewire::test {
namespace {

constexpr std::chrono::seconds kDay{24 * 3600};

class TlsClientRefusalTest : public TlsFixture {
 protected:
  // `client` is refused: the sender fails, nothing is stored, the receiver
  // logs a failed TLS handshake and still serves a good client afterwards.
  void expect_refused(const TlsFiles& client) {
    ASSERT_TRUE(gen("tiny", 3, "frames"));
    ASSERT_TRUE(start_tls_serve());
    const SendResult refused = send_tls("cam-a", data("frames"), client);
    EXPECT_FALSE(refused.exit.exited_with(0)) << refused.describe();
    EXPECT_FALSE(refused.exit.timed_out) << refused.describe();
    EXPECT_TRUE(nothing_stored());
    EXPECT_TRUE(serve_->wait_for_log("TLS handshake failed"));
    expect_still_serving();
  }

  void expect_still_serving() {
    ASSERT_TRUE(gen("tiny", 2, "good"));
    const SendResult good = send_tls("cam-a/good", data("good"), cam_a_);
    ASSERT_TRUE(good.exit.exited_with(0)) << good.describe();
    EXPECT_TRUE(same_files(data("good"), stored("cam-a/good")));
  }
};

TEST_F(TlsClientRefusalTest, ClientCertificateFromAnotherCaIsRefused) {
  const Credential other_ca = add_ca("other-ca");
  expect_refused(add("other-cam-a", other_ca, client_spec("cam-a")));
}

TEST_F(TlsClientRefusalTest, ClientWithoutCertificateIsRefused) {
  expect_refused(TlsFiles{});
}

TEST_F(TlsClientRefusalTest, ExpiredClientCertificateIsRefused) {
  CertSpec expired = client_spec("cam-a");
  expired.not_before = -30 * kDay;
  expired.not_after = -kDay;
  expect_refused(add("expired-cam-a", ca_, expired));
}

TEST_F(TlsClientRefusalTest, NotYetValidClientCertificateIsRefused) {
  CertSpec future = client_spec("cam-a");
  future.not_before = kDay;
  future.not_after = 30 * kDay;
  expect_refused(add("future-cam-a", ca_, future));
}

// A camera's own certificate is not a CA: it cannot mint an identity.
TEST_F(TlsClientRefusalTest, CertificateIssuedByAClientCertificateIsRefused) {
  const Credential camera = ca_.issue(client_spec("cam-b"));
  ASSERT_TRUE(camera.write(pki("client-cam-b.pem"), pki("client-cam-b.key")));
  expect_refused(add("minted-cam-a", camera, client_spec("cam-a")));
}

// The receiver's own certificate (serverAuth only) does not identify a client.
TEST_F(TlsClientRefusalTest, ServerOnlyCertificateIsRefusedAsClient) {
  CertSpec server_only = server_spec();
  server_only.common_name = "cam-a";
  expect_refused(add("server-only-cam-a", ca_, server_only));
}

TEST_F(TlsClientRefusalTest, Tls12OnlyClientGetsNoSession) {
  ASSERT_TRUE(start_tls_serve());
  {
    TlsProbe probe;
    const testing::AssertionResult connected =
        probe.connect(serve_->port(), cam_a_, TLS1_2_VERSION, pki("ca.pem"));
    EXPECT_FALSE(connected) << "negotiated " << probe.version();
  }
  EXPECT_TRUE(serve_->wait_for_log("TLS handshake failed"));
  EXPECT_TRUE(nothing_stored());
  expect_still_serving();
}

TEST_F(TlsClientRefusalTest, PlaintextSenderIsRefusedAndNothingIsWritten) {
  ASSERT_TRUE(gen("tiny", 3, "frames"));
  ASSERT_TRUE(start_tls_serve());
  const SendResult refused =
      run_send(serve_->address(), {{.name = "cam-a", .folder = data("frames")}}, logs_, false,
               {"--retry-for", "0"});
  EXPECT_FALSE(refused.exit.exited_with(0)) << refused.describe();
  EXPECT_FALSE(refused.exit.timed_out) << refused.describe();
  EXPECT_TRUE(nothing_stored());
  EXPECT_TRUE(serve_->wait_for_log("TLS handshake failed"));
  expect_still_serving();
}

// Framewire bytes sent in the clear are taken as a bad TLS record: the
// receiver answers no framewire message, it ends the connection.
TEST_F(TlsClientRefusalTest, PlaintextHelloGetsNoFramewireReply) {
  ASSERT_TRUE(start_tls_serve());
  RawClient raw;
  ASSERT_TRUE(raw.connect(serve_->port()));
  Bytes hello_and_open = encode(protocol::Hello{.agent = "plaintext-client"});
  append(hello_and_open,
         encode(protocol::OpenStream{.stream_id = 0, .name = "cam-a", .source_kind = "visible"}));
  raw.send(hello_and_open);  // may fail once the receiver has closed: that is fine
  const RawClient::Reply reply = raw.next();
  EXPECT_FALSE(reply.is_message()) << reply.describe();
  EXPECT_NE(reply.kind, RawClient::Reply::Kind::kTimeout)
      << "the receiver kept the connection open";
  EXPECT_TRUE(serve_->wait_for_log("TLS handshake failed"));
  EXPECT_TRUE(nothing_stored());
}

// A peer that connects and never sends a ClientHello holds a connection only
// until the handshake deadline.
TEST_F(TlsClientRefusalTest, SilentPeerIsDroppedAtTheHandshakeDeadline) {
  ASSERT_TRUE(start_tls_serve(server_, {}, {"--handshake-timeout", "1"}));
  RawClient raw;
  ASSERT_TRUE(raw.connect(serve_->port()));
  const RawClient::Reply reply = raw.next(std::chrono::seconds(60));
  EXPECT_EQ(reply.kind, RawClient::Reply::Kind::kClosed) << reply.describe();
  EXPECT_TRUE(nothing_stored());
}

}  // namespace
}  // namespace framewire::test
