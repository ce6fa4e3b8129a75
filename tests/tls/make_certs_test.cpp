// scripts/make-certs: the PKI it makes carries a mutual-TLS transfer and the
// identity rule, its certificates say what docs/TLS.md promises (EC P-256,
// the server's subjectAltNames, client-only and server-only usages, private
// keys mode 600), and it never replaces an existing CA without --force.
// The script is found from this file's path (tests/tls/ -> repository root).
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/file_tree.hpp"
#include "tls/tls_fixture.hpp"

namespace framewire::test {
namespace {

namespace fs = std::filesystem;

std::string make_certs_script() {
  return (fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts" / "make-certs")
      .string();
}

std::unique_ptr<X509, X509Free> load_cert(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  std::unique_ptr<X509, X509Free> cert(PEM_read_X509(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  return cert;
}

std::unique_ptr<EVP_PKEY, PkeyFree> load_key(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_PrivateKey(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  return key;
}

std::string common_name(X509* cert) {
  char buffer[256] = {};
  const int length =
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof buffer);
  return length > 0 ? std::string(buffer, static_cast<std::size_t>(length)) : std::string();
}

class MakeCertsTest : public TlsFixture {
 protected:
  void SetUp() override {
    TlsFixture::SetUp();
    extra_base_entries_.insert("certs");
    ASSERT_TRUE(fs::exists(make_certs_script())) << make_certs_script();
  }

  // Runs scripts/make-certs --out certs/ ARGS...; returns its exit status.
  ExitStatus make_certs(const std::vector<std::string>& args, std::string* output = nullptr) {
    std::vector<std::string> argv{"/bin/bash", make_certs_script(), "--out", certs_};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess script;
    const std::string name = logs_ + "/" + next_log_name("make-certs");
    EXPECT_EQ(script.start(argv, name + ".out", name + ".err"), "");
    const ExitStatus status = script.wait_for(std::chrono::seconds(60));
    if (output != nullptr) *output = script.stdout_text() + script.stderr_text();
    return status;
  }

  std::string cert(const std::string& name) const { return certs_ + "/" + name; }

  std::string certs_ = base_ / "certs";
};

TEST_F(MakeCertsTest, ItsPkiCarriesATransferAndTheIdentityRule) {
  std::string output;
  ASSERT_TRUE(make_certs({"cam-a", "cam-b"}, &output).exited_with(0)) << output;
  EXPECT_NE(output.find("framewire serve"), std::string::npos) << output;
  EXPECT_NE(output.find("framewire send"), std::string::npos) << output;
  ASSERT_TRUE(gen("tiny", 4, "frames"));
  ASSERT_TRUE(
      start_tls_serve({.cert = cert("server.pem"), .key = cert("server.key")}, cert("ca.pem")));
  const TlsFiles cam_a{.cert = cert("client-cam-a.pem"), .key = cert("client-cam-a.key")};
  const TlsFiles cam_b{.cert = cert("client-cam-b.pem"), .key = cert("client-cam-b.key")};

  const SendResult a = send_tls("cam-a/visible", data("frames"), cam_a, cert("ca.pem"));
  ASSERT_TRUE(a.exit.exited_with(0)) << a.describe();
  EXPECT_TRUE(same_files(data("frames"), stored("cam-a/visible")));
  const SendResult b = send_tls("cam-b", data("frames"), cam_b, cert("ca.pem"));
  ASSERT_TRUE(b.exit.exited_with(0)) << b.describe();
  EXPECT_TRUE(same_files(data("frames"), stored("cam-b")));
  const SendResult a_into_b = send_tls("cam-b/visible", data("frames"), cam_a, cert("ca.pem"));
  EXPECT_FALSE(a_into_b.exit.exited_with(0)) << a_into_b.describe();
  EXPECT_NE(a_into_b.err.find("forbidden"), std::string::npos) << a_into_b.describe();
  EXPECT_FALSE(fs::exists(stored("cam-b/visible")));
}

TEST_F(MakeCertsTest, DefaultClientIsCamA) {
  std::string output;
  ASSERT_TRUE(make_certs({}, &output).exited_with(0)) << output;
  auto client = load_cert(cert("client-cam-a.pem"));
  ASSERT_TRUE(client);
  EXPECT_EQ(common_name(client.get()), "cam-a");
}

TEST_F(MakeCertsTest, CertificatesSayWhatTheDocsPromise) {
  std::string output;
  ASSERT_TRUE(
      make_certs({"--server-name", "receiver.example", "--server-name", "192.0.2.7", "cam-a"},
                 &output)
          .exited_with(0))
      << output;
  auto ca = load_cert(cert("ca.pem"));
  auto server = load_cert(cert("server.pem"));
  auto client = load_cert(cert("client-cam-a.pem"));
  ASSERT_TRUE(ca && server && client) << output;

  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(client.get()), 0) << "a camera certificate must not sign others";
  EXPECT_EQ(X509_check_ca(server.get()), 0);
  EXPECT_EQ(common_name(server.get()), "framewire-receiver");
  EXPECT_EQ(common_name(client.get()), "cam-a");
  for (const char* ip : {"127.0.0.1", "::1", "192.0.2.7"}) {
    EXPECT_EQ(X509_check_ip_asc(server.get(), ip, 0), 1) << ip;
  }
  for (const char* host : {"localhost", "receiver.example"}) {
    EXPECT_EQ(X509_check_host(server.get(), host, 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr),
              1)
        << host;
  }
  EXPECT_EQ(X509_check_host(server.get(), "other.example", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_purpose(server.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_purpose(server.get(), X509_PURPOSE_SSL_CLIENT, 0), 0);
  EXPECT_EQ(X509_check_purpose(client.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_EQ(X509_check_purpose(client.get(), X509_PURPOSE_SSL_SERVER, 0), 0);
  EXPECT_EQ(X509_check_issued(ca.get(), server.get()), X509_V_OK);
  EXPECT_EQ(X509_check_issued(ca.get(), client.get()), X509_V_OK);

  for (const char* name : {"ca.key", "server.key", "client-cam-a.key"}) {
    auto key = load_key(cert(name));
    ASSERT_TRUE(key) << name;
    char group[64] = {};
    std::size_t length = 0;
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC) << name;
    EXPECT_EQ(EVP_PKEY_get_group_name(key.get(), group, sizeof group, &length), 1) << name;
    EXPECT_EQ(std::string(group, length), "prime256v1") << name;
    struct stat st {};
    ASSERT_EQ(::stat(cert(name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name << " is readable by others";
  }
}

TEST_F(MakeCertsTest, ExistingCaIsReusedNeverOverwritten) {
  std::string output;
  ASSERT_TRUE(make_certs({"cam-a"}, &output).exited_with(0)) << output;
  const auto ca_before = read_bytes(cert("ca.pem"));
  const auto ca_key_before = read_bytes(cert("ca.key"));
  const auto cam_a_before = read_bytes(cert("client-cam-a.pem"));

  // Again, plus a new camera: the CA and cam-a are kept, cam-b is issued by the same CA.
  ASSERT_TRUE(make_certs({"cam-a", "cam-b"}, &output).exited_with(0)) << output;
  EXPECT_EQ(read_bytes(cert("ca.pem")), ca_before);
  EXPECT_EQ(read_bytes(cert("ca.key")), ca_key_before);
  EXPECT_EQ(read_bytes(cert("client-cam-a.pem")), cam_a_before);
  auto ca = load_cert(cert("ca.pem"));
  auto cam_b = load_cert(cert("client-cam-b.pem"));
  ASSERT_TRUE(ca && cam_b) << output;
  EXPECT_EQ(X509_check_issued(ca.get(), cam_b.get()), X509_V_OK);

  // Only --force replaces it.
  ASSERT_TRUE(make_certs({"--force", "cam-a"}, &output).exited_with(0)) << output;
  EXPECT_NE(read_bytes(cert("ca.pem")), ca_before);
  EXPECT_NE(read_bytes(cert("ca.key")), ca_key_before);
}

TEST_F(MakeCertsTest, KeptServerCertificateWithoutARequestedNameIsAnError) {
  std::string output;
  ASSERT_TRUE(make_certs({"cam-a"}, &output).exited_with(0)) << output;
  const auto server_before = read_bytes(cert("server.pem"));
  const ExitStatus status = make_certs({"--server-name", "receiver.example", "cam-a"}, &output);
  EXPECT_FALSE(status.exited_with(0)) << output;
  EXPECT_NE(output.find("receiver.example"), std::string::npos) << output;
  EXPECT_EQ(read_bytes(cert("server.pem")), server_before);
}

TEST_F(MakeCertsTest, ClientNameThatIsNotOneStreamSegmentIsRefused) {
  for (const char* bad : {"../cam-a", "cam/a", "", "-cam", "cam a", ".."}) {
    std::string output;
    const ExitStatus status = make_certs({"--", bad}, &output);
    EXPECT_FALSE(status.exited_with(0)) << "'" << bad << "': " << output;
  }
  EXPECT_FALSE(fs::exists(certs_)) << "files were made for a refused name";
  extra_base_entries_.erase("certs");
}

}  // namespace
}  // namespace framewire::test
