#include "net/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace framewire::net {

namespace {
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
}  // namespace

Transport::Transport(asio::ip::tcp::socket socket) : plain_(std::move(socket)) {}

Transport::Transport(asio::ip::tcp::socket socket, asio::ssl::context& context)
    : plain_(std::move(socket)),
      tls_(std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(plain_, context)) {}

asio::awaitable<asio::error_code> Transport::handshake(asio::ssl::stream_base::handshake_type type,
                                                       const std::string& server_name) {
  if (!tls_) co_return asio::error_code{};
  if (type == asio::ssl::stream_base::client && !server_name.empty()) {
    SSL* ssl = tls_->native_handle();
    X509_VERIFY_PARAM* verify = SSL_get0_param(ssl);
    asio::error_code not_an_address;
    asio::ip::make_address(server_name, not_an_address);
    if (not_an_address) {
      SSL_set_tlsext_host_name(ssl, server_name.c_str());
      // subjectAltName DNS only: never fall back to the subject's common name.
      X509_VERIFY_PARAM_set_hostflags(verify, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
      X509_VERIFY_PARAM_set1_host(verify, server_name.c_str(), 0);
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(verify, server_name.c_str());  // subjectAltName IP
    }
  }
  auto [ec] = co_await tls_->async_handshake(type, kNoThrow);
  // TLS_ST_BEFORE: not even a ClientHello was read, so OpenSSL sent no alert
  // of its own.
  if (ec && type == asio::ssl::stream_base::server && peer_is_not_tls(ec) &&
      SSL_get_state(tls_->native_handle()) == TLS_ST_BEFORE) {
    // OpenSSL closes without a word when the first bytes do not look like
    // TLS. A plaintext framewire sender would take that bare close for a lost
    // connection and retry for a minute; an alert record tells it at once
    // that this receiver requires TLS. Seven bytes always fit an empty send
    // buffer, so this never blocks; the connection is closed right after.
    asio::error_code ignored;
    plain_.non_blocking(true, ignored);
    if (!ignored) plain_.write_some(asio::buffer(kNotTlsAlert), ignored);
  }
  co_return ec;
}

asio::awaitable<std::tuple<asio::error_code, std::size_t>> Transport::read_some(
    asio::mutable_buffer into) {
  if (tls_) co_return co_await tls_->async_read_some(into, kNoThrow);
  co_return co_await plain_.async_read_some(into, kNoThrow);
}

asio::awaitable<std::tuple<asio::error_code, std::size_t>> Transport::write(
    asio::const_buffer bytes) {
  if (tls_) co_return co_await asio::async_write(*tls_, bytes, kNoThrow);
  co_return co_await asio::async_write(plain_, bytes, kNoThrow);
}

asio::awaitable<std::tuple<asio::error_code, std::size_t>> Transport::write_some(
    asio::const_buffer bytes) {
  if (tls_) co_return co_await tls_->async_write_some(bytes, kNoThrow);
  co_return co_await plain_.async_write_some(bytes, kNoThrow);
}

void Transport::try_write_now(asio::const_buffer bytes) {
  if (tls_ || !plain_.is_open()) return;
  asio::error_code ec;
  plain_.non_blocking(true, ec);
  if (!ec) plain_.write_some(bytes, ec);
}

std::size_t Transport::tls_pending() const {
  if (!tls_) return 0;
  const int pending = SSL_pending(tls_->native_handle());
  return pending > 0 ? static_cast<std::size_t>(pending) : 0;
}

std::optional<std::string> Transport::peer_common_name() const {
  if (!tls_) return std::nullopt;
  X509* cert = SSL_get1_peer_certificate(tls_->native_handle());
  if (!cert) return std::nullopt;
  std::optional<std::string> name;
  char buffer[1024] = {};
  const int length =
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof buffer);
  if (length > 0 && static_cast<std::size_t>(length) < sizeof buffer) {
    name = std::string(buffer, static_cast<std::size_t>(length));
  }
  X509_free(cert);
  return name;
}

void Transport::cancel() {
  asio::error_code ignored;
  plain_.cancel(ignored);
}

void Transport::shutdown_send() {
  asio::error_code ignored;
  plain_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

void Transport::close() {
  asio::error_code ignored;
  plain_.close(ignored);
}

bool Transport::is_open() const {
  return plain_.is_open();
}
asio::ip::tcp::socket& Transport::socket() {
  return plain_;
}
const asio::ip::tcp::socket& Transport::socket() const {
  return plain_;
}
asio::any_io_executor Transport::get_executor() {
  return plain_.get_executor();
}

bool peer_is_not_tls(const asio::error_code& handshake_error) {
  if (handshake_error.category() != asio::error::get_ssl_category()) return false;
  const auto code = static_cast<unsigned long>(handshake_error.value());
  if (ERR_GET_LIB(code) != ERR_LIB_SSL) return false;
  // What OpenSSL reports when the first record header is not TLS's (its
  // version byte is not 3): a framewire envelope, an HTTP request.
  switch (ERR_GET_REASON(code)) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
      return true;
    default:
      return false;
  }
}

}  // namespace framewire::net
