// Certificates for the TLS tests, made in-process with the OpenSSL C API so a
// test can build what the openssl CLI makes awkward: an expired or
// not-yet-valid certificate, a subject without a common name, a leaf that signs
// another leaf, a server certificate without its address. Every key is EC
// P-256. A failure to build is reported with ADD_FAILURE and leaves the
// credential empty (write() then fails). Test-only; one thread per object.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace framewire::test {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};

// What a certificate says. Times are relative to now.
struct CertSpec {
  enum class Role { kCa, kServer, kClient, kServerAndClient };
  std::string common_name;  // empty: the subject has no CN (only O=framewire tests)
  Role role = Role::kClient;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries
  std::chrono::seconds not_before{-3600};
  std::chrono::seconds not_after{24 * 3600};
};

// A certificate and its private key.
class Credential {
 public:
  // A self-signed CA certificate (CA:TRUE, keyCertSign).
  static Credential make_ca(const std::string& common_name);

  // A certificate for `spec` signed by this credential. Nothing checks that
  // this credential is a CA: tests use that to make a leaf sign a leaf.
  Credential issue(const CertSpec& spec) const;

  bool valid() const { return cert_ != nullptr && key_ != nullptr; }

  // Writes the certificate and the key as PEM files.
  testing::AssertionResult write(const std::string& cert_path, const std::string& key_path) const;

 private:
  std::unique_ptr<X509, X509Free> cert_;
  std::unique_ptr<EVP_PKEY, PkeyFree> key_;
};

// The usual server certificate spec: CN framewire-receiver, SAN DNS:localhost,
// IP:127.0.0.1, IP:::1 (what scripts/make-certs makes).
CertSpec server_spec();
// A client certificate spec with identity `common_name`.
CertSpec client_spec(const std::string& common_name);

}  // namespace framewire::test
