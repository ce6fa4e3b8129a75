// Mutual TLS 1.3 that works: a camera with a certificate from the receiver's
// client CA sends a folder byte for byte, to its own stream or a stream below
// it, reaching the receiver by IP or by a DNS name in its certificate.
#include <gtest/gtest.h>

#include "support/file_tree.hpp"
#include "support/raw_client.hpp"
#include "tls/tls_fixture.hpp"
#include "tls/tls_probe.hpp"

namespace framewire::test {
namespace {

using TlsTransferTest = TlsFixture;

TEST_F(TlsTransferTest, MutualTlsTransferIsByteIdentical) {
  ASSERT_TRUE(gen("visible", 12, "frames"));
  ASSERT_TRUE(start_tls_serve());
  const SendResult result = send_tls("cam-a", data("frames"), cam_a_);
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_TRUE(same_files(data("frames"), stored("cam-a")));
  const std::string banner = serve_stdout();
  EXPECT_NE(banner.find("mutual TLS 1.3"), std::string::npos) << banner;
}

TEST_F(TlsTransferTest, IdentityMayWriteAStreamBelowIt) {
  ASSERT_TRUE(gen("visible", 5, "visible"));
  ASSERT_TRUE(start_tls_serve());
  const SendResult result = send_tls("cam-a/visible", data("visible"), cam_a_);
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_TRUE(same_files(data("visible"), stored("cam-a/visible")));
}

TEST_F(TlsTransferTest, ReceiverReachedByDnsNameInItsCertificate) {
  ASSERT_TRUE(gen("visible", 3, "frames"));
  ASSERT_TRUE(start_tls_serve());
  const SendResult result =
      send_tls("cam-a", data("frames"), cam_a_, {}, "localhost:" + std::to_string(serve_->port()));
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_TRUE(same_files(data("frames"), stored("cam-a")));
}

// The probe used by the refusal tests works when nothing is wrong, so its
// failures there come from what each test changed.
TEST_F(TlsTransferTest, Tls13ProbeWithValidCertificateGetsHelloOk) {
  ASSERT_TRUE(start_tls_serve());
  TlsProbe probe;
  ASSERT_TRUE(probe.connect(serve_->port(), cam_a_, TLS1_3_VERSION, pki("ca.pem")));
  EXPECT_EQ(probe.version(), "TLSv1.3");
  ASSERT_TRUE(probe.send(encode(protocol::Hello{.agent = "tls-probe"})));
  const TlsProbe::Reply reply = probe.next();
  EXPECT_NE(reply.as<protocol::HelloOk>(), nullptr) << reply.describe();
}

}  // namespace
}  // namespace framewire::test
