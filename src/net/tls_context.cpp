#include "net/tls_context.hpp"

#include <openssl/ssl.h>

namespace framewire::net {

namespace {

Status load_error(std::string_view what, const std::string& file, const asio::error_code& ec) {
  return Status(ErrorCode::kMalformed, std::string(what) + " " + file + ": " + ec.message());
}

// TLS 1.3 only: older versions are refused during the handshake, before any
// framewire byte is read.
std::unique_ptr<asio::ssl::context> tls13_context(asio::ssl::context::method method) {
  auto context = std::make_unique<asio::ssl::context>(method);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(context->native_handle(), TLS1_3_VERSION);
  return context;
}

Status load_identity(asio::ssl::context& context, const std::string& cert_file,
                     const std::string& key_file) {
  asio::error_code ec;
  context.use_certificate_chain_file(cert_file, ec);
  if (ec) return load_error("cannot load certificate", cert_file, ec);
  context.use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) return load_error("cannot load private key", key_file, ec);
  if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
    return Status(ErrorCode::kMalformed,
                  "private key " + key_file + " does not match certificate " + cert_file);
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<asio::ssl::context>> make_server_tls(const std::string& cert_file,
                                                            const std::string& key_file,
                                                            const std::string& client_ca_file) {
  auto context = tls13_context(asio::ssl::context::tls_server);
  if (Status status = load_identity(*context, cert_file, key_file); !status) return status;
  asio::error_code ec;
  context->load_verify_file(client_ca_file, ec);
  if (ec) return load_error("cannot load client CA", client_ca_file, ec);
  context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, ec);
  if (ec) return load_error("cannot require client certificates with", client_ca_file, ec);
  return context;
}

Result<std::unique_ptr<asio::ssl::context>> make_client_tls(const std::string& ca_file,
                                                            const std::string& cert_file,
                                                            const std::string& key_file) {
  auto context = tls13_context(asio::ssl::context::tls_client);
  asio::error_code ec;
  context->load_verify_file(ca_file, ec);
  if (ec) return load_error("cannot load CA", ca_file, ec);
  context->set_verify_mode(asio::ssl::verify_peer, ec);
  if (ec) return load_error("cannot verify with", ca_file, ec);
  if (!cert_file.empty() || !key_file.empty()) {
    if (Status status = load_identity(*context, cert_file, key_file); !status) return status;
  }
  return context;
}

}  // namespace framewire::net
