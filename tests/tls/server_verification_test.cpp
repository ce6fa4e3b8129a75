// The sender refuses a receiver it cannot authenticate: a certificate from a
// CA it does not trust, a certificate without the address or DNS name it
// connected to (subjectAltName), a certificate made for client use, and a
// name found only in the subject CN. It fails at once, before sending a frame.
#include <gtest/gtest.h>

#include "support/file_tree.hpp"
#include "tls/tls_fixture.hpp"

namespace framewire::test {
namespace {

class ServerVerificationTest : public TlsFixture {
 protected:
  // The receiver presents `server`; cam-a connects to `host`:PORT trusting
  // ca.pem and must refuse in the TLS handshake, storing nothing.
  void expect_sender_refuses(const TlsFiles& server, const std::string& host = "127.0.0.1") {
    ASSERT_TRUE(gen("tiny", 3, "frames"));
    ASSERT_TRUE(start_tls_serve(server));
    const SendResult result =
        send_tls("cam-a", data("frames"), cam_a_, {}, host + ":" + std::to_string(serve_->port()));
    EXPECT_FALSE(result.exit.exited_with(0)) << result.describe();
    EXPECT_FALSE(result.exit.timed_out) << result.describe();
    EXPECT_NE(result.err.find("TLS handshake"), std::string::npos) << result.describe();
    EXPECT_TRUE(nothing_stored());
  }
};

TEST_F(ServerVerificationTest, SenderTrustingAnotherCaRefusesTheReceiver) {
  ASSERT_TRUE(gen("tiny", 3, "frames"));
  add_ca("other-ca");
  ASSERT_TRUE(start_tls_serve());
  const SendResult result = send_tls("cam-a", data("frames"), cam_a_, pki("other-ca.pem"));
  EXPECT_FALSE(result.exit.exited_with(0)) << result.describe();
  EXPECT_FALSE(result.exit.timed_out) << result.describe();
  EXPECT_NE(result.err.find("certificate verify failed"), std::string::npos) << result.describe();
  EXPECT_TRUE(nothing_stored());
}

TEST_F(ServerVerificationTest, ReceiverFromAnotherCaIsRefused) {
  const Credential other_ca = add_ca("other-ca");
  expect_sender_refuses(add("impostor", other_ca, server_spec()));
}

TEST_F(ServerVerificationTest, CertificateWithoutTheConnectedIpIsRefused) {
  CertSpec spec = server_spec();
  spec.ip_addresses = {"::1", "10.1.2.3"};  // everything but 127.0.0.1
  expect_sender_refuses(add("server-no-ip", ca_, spec), "127.0.0.1");
}

TEST_F(ServerVerificationTest, CertificateWithoutTheConnectedDnsNameIsRefused) {
  CertSpec spec = server_spec();
  spec.dns_names = {"receiver.example"};  // not localhost
  expect_sender_refuses(add("server-other-name", ca_, spec), "localhost");
}

// An IP address written as a DNS name does not vouch for that address.
TEST_F(ServerVerificationTest, IpAddressAsDnsNameIsRefused) {
  CertSpec spec = server_spec();
  spec.dns_names = {"127.0.0.1"};
  spec.ip_addresses = {};
  expect_sender_refuses(add("server-ip-as-dns", ca_, spec), "127.0.0.1");
}

// A stolen camera certificate (clientAuth only) cannot impersonate the
// receiver, even when it lists the receiver's address.
TEST_F(ServerVerificationTest, ClientOnlyCertificateIsRefusedAsReceiver) {
  CertSpec spec = server_spec();
  spec.role = CertSpec::Role::kClient;
  expect_sender_refuses(add("client-as-server", ca_, spec));
}

// The interface checks subjectAltName DNS or IP; a host name present only as
// the subject common name is not a name the receiver answers to.
TEST_F(ServerVerificationTest, NameOnlyInCommonNameIsRefused) {
  CertSpec spec = server_spec();
  spec.common_name = "localhost";
  spec.dns_names = {};
  spec.ip_addresses = {};
  expect_sender_refuses(add("server-cn-only", ca_, spec), "localhost");
}

TEST_F(ServerVerificationTest, ExpiredReceiverCertificateIsRefused) {
  CertSpec spec = server_spec();
  spec.not_before = std::chrono::seconds(-30 * 24 * 3600);
  spec.not_after = std::chrono::seconds(-24 * 3600);
  expect_sender_refuses(add("server-expired", ca_, spec));
}

}  // namespace
}  // namespace framewire::test
