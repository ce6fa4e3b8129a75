// The identity-to-stream rule: a client certificate with common name CN may
// open stream CN and streams below it ("CN/..."), nothing else; an OPEN_STREAM
// for another stream gets ERROR forbidden, the connection closes and nothing
// is written.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/file_tree.hpp"
#include "support/raw_client.hpp"
#include "tls/tls_fixture.hpp"
#include "tls/tls_probe.hpp"

namespace framewire::test {
namespace {

class StreamIdentityTest : public TlsFixture {
 protected:
  // `client` sending to `stream` fails with "forbidden" and writes nothing.
  void expect_forbidden(const TlsFiles& client, const std::string& stream) {
    ASSERT_TRUE(gen("tiny", 3, "frames"));
    ASSERT_TRUE(start_tls_serve());
    const SendResult result = send_tls(stream, data("frames"), client);
    EXPECT_FALSE(result.exit.exited_with(0)) << result.describe();
    EXPECT_FALSE(result.exit.timed_out) << result.describe();
    EXPECT_NE(result.err.find("forbidden"), std::string::npos) << result.describe();
    EXPECT_FALSE(std::filesystem::exists(stored(stream))) << stored(stream);
    EXPECT_TRUE(nothing_stored());
  }

  // Over TLS with `client`: HELLO, then OPEN_STREAM `stream` is answered
  // with ERROR forbidden and the connection closes.
  void expect_open_forbidden(const TlsFiles& client, const std::string& stream) {
    ASSERT_TRUE(start_tls_serve());
    TlsProbe probe;
    ASSERT_TRUE(probe.connect(serve_->port(), client, TLS1_3_VERSION, pki("ca.pem")));
    ASSERT_TRUE(probe.send(encode(protocol::Hello{.agent = "tls-probe"})));
    const TlsProbe::Reply hello = probe.next();
    ASSERT_NE(hello.as<protocol::HelloOk>(), nullptr) << hello.describe();
    ASSERT_TRUE(probe.send(
        encode(protocol::OpenStream{.stream_id = 0, .name = stream, .source_kind = "visible"})));
    const TlsProbe::Reply reply = probe.next();
    const auto* error = reply.as<protocol::ErrorMessage>();
    ASSERT_NE(error, nullptr) << reply.describe();
    EXPECT_EQ(error->code, protocol::WireError::kForbidden) << reply.describe();
    const TlsProbe::Reply after = probe.next();
    EXPECT_EQ(after.kind, TlsProbe::Reply::Kind::kClosed) << after.describe();
    EXPECT_TRUE(nothing_stored());
  }
};

TEST_F(StreamIdentityTest, CamACannotWriteCamB) {
  expect_forbidden(cam_a_, "cam-b");
}

TEST_F(StreamIdentityTest, CamACannotWriteBelowCamB) {
  expect_forbidden(cam_a_, "cam-b/visible");
}

// "cam-ab" starts with "cam-a" but is another camera's name.
TEST_F(StreamIdentityTest, CamACannotWriteAStreamItsNameIsAPrefixOf) {
  expect_forbidden(cam_a_, "cam-ab");
}

TEST_F(StreamIdentityTest, OpenStreamOfAnotherIdentityGetsErrorForbidden) {
  expect_open_forbidden(cam_a_, "cam-b");
}

TEST_F(StreamIdentityTest, EachCameraWritesOnlyItsOwnStream) {
  const TlsFiles cam_b = add("client-cam-b", ca_, client_spec("cam-b"));
  ASSERT_TRUE(gen("tiny", 3, "a"));
  ASSERT_TRUE(gen("tiny", 4, "b"));
  ASSERT_TRUE(start_tls_serve());
  const SendResult a = send_tls("cam-a/visible", data("a"), cam_a_);
  ASSERT_TRUE(a.exit.exited_with(0)) << a.describe();
  const SendResult b = send_tls("cam-b/visible", data("b"), cam_b);
  ASSERT_TRUE(b.exit.exited_with(0)) << b.describe();
  EXPECT_TRUE(same_files(data("a"), stored("cam-a/visible")));
  EXPECT_TRUE(same_files(data("b"), stored("cam-b/visible")));
  const SendResult b_into_a = send_tls("cam-a/visible", data("b"), cam_b);
  EXPECT_FALSE(b_into_a.exit.exited_with(0)) << b_into_a.describe();
  EXPECT_TRUE(same_files(data("a"), stored("cam-a/visible")));
}

// A certificate from the client CA whose subject has no common name names no
// stream: it must not be treated like a plain-TCP sender, which may write any.
// Refusing it at the handshake or at OPEN_STREAM would both do.
TEST_F(StreamIdentityTest, CertificateWithoutCommonNameMayNotWriteAnyStream) {
  const TlsFiles no_cn = add("client-no-cn", ca_, client_spec(""));
  ASSERT_TRUE(gen("tiny", 3, "frames"));
  ASSERT_TRUE(start_tls_serve());
  const SendResult result = send_tls("cam-b", data("frames"), no_cn);
  EXPECT_FALSE(result.exit.exited_with(0)) << result.describe();
  EXPECT_FALSE(result.exit.timed_out) << result.describe();
  EXPECT_FALSE(std::filesystem::exists(stored("cam-b"))) << stored("cam-b");
  EXPECT_TRUE(nothing_stored());
}

}  // namespace
}  // namespace framewire::test
