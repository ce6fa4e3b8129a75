// GoogleTest fixture for the mutual-TLS tests: the ReceiverFixture (a real
// `framewire serve` on 127.0.0.1, temp folders, end-of-test checks) plus a test
// PKI in BASE/pki made with the OpenSSL C API: ca.pem, server.pem/.key (SAN
// localhost, 127.0.0.1, ::1) and client-cam-a.pem/.key, with helpers to add
// more credentials, start a TLS receiver and run a TLS sender that fails at
// the first refusal (--retry-for 0). Test-only; the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/file_tree.hpp"
#include "support/framewire_processes.hpp"
#include "support/receiver_fixture.hpp"
#include "tls/test_pki.hpp"

namespace framewire::test {

// The files of one credential in the test PKI.
struct TlsFiles {
  std::string cert;
  std::string key;
};

class TlsFixture : public ReceiverFixture {
 protected:
  void SetUp() override {
    ReceiverFixture::SetUp();
    std::filesystem::create_directories(pki_);
    extra_base_entries_.insert("pki");
    ca_ = Credential::make_ca("framewire test CA");
    ASSERT_TRUE(ca_.write(pki("ca.pem"), pki("ca.key")));
    server_ = add("server", ca_, server_spec());
    cam_a_ = add("client-cam-a", ca_, client_spec("cam-a"));
  }

  std::string pki(const std::string& name) const { return pki_ + "/" + name; }

  // Writes `issuer.issue(spec)` as pki/NAME.pem and pki/NAME.key.
  TlsFiles add(const std::string& name, const Credential& issuer, const CertSpec& spec) {
    const TlsFiles files{.cert = pki(name + ".pem"), .key = pki(name + ".key")};
    EXPECT_TRUE(issuer.issue(spec).write(files.cert, files.key)) << name;
    return files;
  }

  // A CA of its own in pki/NAME.pem (and NAME.key), unrelated to ca.pem.
  Credential add_ca(const std::string& name) {
    Credential other = Credential::make_ca("framewire other CA " + name);
    EXPECT_TRUE(other.write(pki(name + ".pem"), pki(name + ".key")));
    return other;
  }

  // `framewire serve` with mutual TLS: `server` as its identity, clients
  // checked against `client_ca`.
  testing::AssertionResult start_tls_serve(const TlsFiles& server,
                                           const std::string& client_ca = {},
                                           const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"--tls-cert",      server.cert,
                                  "--tls-key",       server.key,
                                  "--tls-client-ca", client_ca.empty() ? pki("ca.pem") : client_ca};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_serve(args);
  }
  testing::AssertionResult start_tls_serve() { return start_tls_serve(server_); }

  // `framewire send --retry-for 0 --tls-ca CA [--tls-cert --tls-key] --stream
  // STREAM FOLDER` to `to` (default: the server's 127.0.0.1 address). A
  // client with an empty cert path sends no certificate.
  SendResult send_tls(const std::string& stream, const std::string& folder, const TlsFiles& client,
                      const std::string& ca = {}, const std::string& to = {}) {
    std::vector<std::string> extra{"--retry-for", "0", "--tls-ca", ca.empty() ? pki("ca.pem") : ca};
    if (!client.cert.empty()) {
      extra.insert(extra.end(), {"--tls-cert", client.cert, "--tls-key", client.key});
    }
    return run_send(to.empty() ? serve_->address() : to, {{.name = stream, .folder = folder}},
                    logs_, false, extra);
  }

  // What `framewire serve` printed on stdout (one server per test).
  std::string serve_stdout() const {
    std::string text;
    for (const auto& entry : std::filesystem::directory_iterator(logs_)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with("serve-") && name.ends_with(".out"))
        text += read_text_file(entry.path());
    }
    return text;
  }

  // Nothing at all was stored: no stream folder, no file, in the root.
  testing::AssertionResult nothing_stored() const {
    const auto entries = list_tree(root_);
    if (entries.empty()) return testing::AssertionSuccess();
    auto failure = testing::AssertionFailure() << root_ << " holds:";
    for (const auto& entry : entries) failure << " " << entry;
    return failure;
  }

  std::string pki_ = base_ / "pki";
  Credential ca_;
  TlsFiles server_;
  TlsFiles cam_a_;
};

}  // namespace framewire::test
