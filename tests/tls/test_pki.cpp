// Builds the TLS tests' certificates with the OpenSSL C API (see
// test_pki.hpp). Test-only; one thread per object.
#include "tls/test_pki.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>

namespace framewire::test {

namespace {

std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += std::string(" ") + buffer;
  }
  return text;
}

std::unique_ptr<EVP_PKEY, PkeyFree> new_p256_key() {
  return std::unique_ptr<EVP_PKEY, PkeyFree>(EVP_EC_gen("P-256"));
}

// A random positive 127-bit serial: two certificates of one run never share one.
bool set_random_serial(X509* cert) {
  BIGNUM* value = BN_new();
  bool ok = value != nullptr && BN_rand(value, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(value, X509_get_serialNumber(cert)) != nullptr;
  BN_free(value);
  return ok;
}

bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return false;
  const bool ok = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return ok;
}

std::string join_san(const CertSpec& spec) {
  std::string san;
  for (const auto& name : spec.dns_names) san += (san.empty() ? "" : ",") + ("DNS:" + name);
  for (const auto& ip : spec.ip_addresses) san += (san.empty() ? "" : ",") + ("IP:" + ip);
  return san;
}

// Fills and signs `cert` for `spec`; `issuer_cert` null means self-signed.
bool build(X509* cert, EVP_PKEY* key, const CertSpec& spec, X509* issuer_cert,
           EVP_PKEY* issuer_key) {
  if (X509_set_version(cert, X509_VERSION_3) != 1 || !set_random_serial(cert)) return false;
  if (X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(spec.not_before.count())) ==
          nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(spec.not_after.count())) ==
          nullptr) {
    return false;
  }
  if (X509_set_pubkey(cert, key) != 1) return false;
  X509_NAME* subject = X509_get_subject_name(cert);
  const auto* organization = reinterpret_cast<const unsigned char*>("framewire tests");
  if (X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, organization, -1, -1, 0) != 1) {
    return false;
  }
  if (!spec.common_name.empty()) {
    const auto* cn = reinterpret_cast<const unsigned char*>(spec.common_name.c_str());
    if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1) return false;
  }
  X509* signer = issuer_cert != nullptr ? issuer_cert : cert;
  if (X509_set_issuer_name(cert, X509_get_subject_name(signer)) != 1) return false;

  bool ok = true;
  switch (spec.role) {
    case CertSpec::Role::kCa:
      ok = add_extension(cert, signer, NID_basic_constraints, "critical,CA:TRUE") &&
           add_extension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case CertSpec::Role::kServer:
    case CertSpec::Role::kClient:
    case CertSpec::Role::kServerAndClient: {
      const char* usage = spec.role == CertSpec::Role::kServer   ? "serverAuth"
                          : spec.role == CertSpec::Role::kClient ? "clientAuth"
                                                                 : "serverAuth,clientAuth";
      ok = add_extension(cert, signer, NID_basic_constraints, "critical,CA:FALSE") &&
           add_extension(cert, signer, NID_key_usage, "critical,digitalSignature") &&
           add_extension(cert, signer, NID_ext_key_usage, usage);
      break;
    }
  }
  ok = ok && add_extension(cert, signer, NID_subject_key_identifier, "hash");
  if (issuer_cert != nullptr) {
    ok = ok && add_extension(cert, signer, NID_authority_key_identifier, "keyid");
  }
  if (const std::string san = join_san(spec); ok && !san.empty()) {
    ok = add_extension(cert, signer, NID_subject_alt_name, san);
  }
  return ok && X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0;
}

}  // namespace

Credential Credential::make_ca(const std::string& common_name) {
  Credential ca;
  ca.key_ = new_p256_key();
  ca.cert_.reset(X509_new());
  const CertSpec spec{.common_name = common_name,
                      .role = CertSpec::Role::kCa,
                      .not_after = std::chrono::seconds(30 * 24 * 3600)};
  if (!ca.key_ || !ca.cert_ || !build(ca.cert_.get(), ca.key_.get(), spec, nullptr, nullptr)) {
    ADD_FAILURE() << "cannot make CA " << common_name << ":" << openssl_errors();
    return {};
  }
  return ca;
}

Credential Credential::issue(const CertSpec& spec) const {
  Credential leaf;
  if (!valid()) {
    ADD_FAILURE() << "cannot issue " << spec.common_name << ": no issuer";
    return {};
  }
  leaf.key_ = new_p256_key();
  leaf.cert_.reset(X509_new());
  if (!leaf.key_ || !leaf.cert_ ||
      !build(leaf.cert_.get(), leaf.key_.get(), spec, cert_.get(), key_.get())) {
    ADD_FAILURE() << "cannot issue " << spec.common_name << ":" << openssl_errors();
    return {};
  }
  return leaf;
}

testing::AssertionResult Credential::write(const std::string& cert_path,
                                           const std::string& key_path) const {
  if (!valid()) return testing::AssertionFailure() << "no certificate to write to " << cert_path;
  FILE* cert_file = std::fopen(cert_path.c_str(), "w");
  if (cert_file == nullptr) return testing::AssertionFailure() << "cannot create " << cert_path;
  const bool cert_ok = PEM_write_X509(cert_file, cert_.get()) == 1;
  const bool cert_closed = std::fclose(cert_file) == 0;
  FILE* key_file = std::fopen(key_path.c_str(), "w");
  if (key_file == nullptr) return testing::AssertionFailure() << "cannot create " << key_path;
  const bool key_ok =
      PEM_write_PrivateKey(key_file, key_.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  const bool key_closed = std::fclose(key_file) == 0;
  if (cert_ok && cert_closed && key_ok && key_closed) return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << "cannot write " << cert_path << " / " << key_path << ":" << openssl_errors();
}

CertSpec server_spec() {
  return CertSpec{.common_name = "framewire-receiver",
                  .role = CertSpec::Role::kServer,
                  .dns_names = {"localhost"},
                  .ip_addresses = {"127.0.0.1", "::1"}};
}

CertSpec client_spec(const std::string& common_name) {
  return CertSpec{.common_name = common_name, .role = CertSpec::Role::kClient};
}

}  // namespace framewire::test
