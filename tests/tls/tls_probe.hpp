// A TLS client built on the OpenSSL C API over a blocking socket to
// 127.0.0.1, for what `framewire send` cannot do: offer only TLS 1.2, or speak
// hand-built framewire messages over TLS and read the receiver's exact reply
// (decoded like RawClient does). Every socket read and write has a timeout,
// so a test never waits forever. Test-only; one thread per TlsProbe.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <span>
#include <string>

#include "support/raw_client.hpp"
#include "tls/tls_fixture.hpp"

namespace framewire::test {

inline std::string openssl_error_text() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += std::string(text.empty() ? "" : "; ") + buffer;
  }
  return text.empty() ? "no OpenSSL error queued" : text;
}

class TlsProbe {
 public:
  using Reply = RawClient::Reply;

  TlsProbe() = default;
  ~TlsProbe() { close(); }
  TlsProbe(const TlsProbe&) = delete;
  TlsProbe& operator=(const TlsProbe&) = delete;

  // Connects and runs the TLS handshake offering exactly `version`
  // (TLS1_2_VERSION or TLS1_3_VERSION), presenting `client` when it has a
  // certificate and verifying the receiver against `ca`. Success means the
  // handshake completed on the client's side (in TLS 1.3 the receiver may
  // still refuse the client certificate right after).
  testing::AssertionResult connect(std::uint16_t port, const TlsFiles& client, int version,
                                   const std::string& ca) {
    // SSL_write on a socket the receiver closed must fail, not kill the test.
    ::signal(SIGPIPE, SIG_IGN);
    ERR_clear_error();
    context_ = SSL_CTX_new(TLS_client_method());
    if (context_ == nullptr) return testing::AssertionFailure() << openssl_error_text();
    SSL_CTX_set_min_proto_version(context_, version);
    SSL_CTX_set_max_proto_version(context_, version);
    if (SSL_CTX_load_verify_locations(context_, ca.c_str(), nullptr) != 1) {
      return testing::AssertionFailure() << "cannot load " << ca << ": " << openssl_error_text();
    }
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    if (!client.cert.empty() &&
        (SSL_CTX_use_certificate_chain_file(context_, client.cert.c_str()) != 1 ||
         SSL_CTX_use_PrivateKey_file(context_, client.key.c_str(), SSL_FILETYPE_PEM) != 1)) {
      return testing::AssertionFailure()
             << "cannot load " << client.cert << ": " << openssl_error_text();
    }

    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return testing::AssertionFailure() << "socket: " << std::strerror(errno);
    timeval timeout{.tv_sec = kIoTimeout.count(), .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      return testing::AssertionFailure() << "connect: " << std::strerror(errno);
    }

    ssl_ = SSL_new(context_);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
      return testing::AssertionFailure() << openssl_error_text();
    }
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    if (SSL_connect(ssl_) != 1) {
      return testing::AssertionFailure() << "TLS handshake failed: " << openssl_error_text();
    }
    return testing::AssertionSuccess();
  }

  // The protocol version agreed, e.g. "TLSv1.3".
  std::string version() const { return ssl_ != nullptr ? SSL_get_version(ssl_) : "none"; }

  // Sends every byte inside TLS records; false once the receiver has gone.
  bool send(const Bytes& bytes) {
    std::span<const std::uint8_t> rest(bytes);
    while (!rest.empty()) {
      ERR_clear_error();
      const int n = SSL_write(ssl_, rest.data(), static_cast<int>(rest.size()));
      if (n <= 0) return false;
      rest = rest.subspan(static_cast<std::size_t>(n));
    }
    return true;
  }

  // The next thing the receiver does, as RawClient::next reports it.
  Reply next(std::chrono::milliseconds timeout = kReplyTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (!pending_.empty()) {
        std::span<const std::uint8_t> input(pending_);
        const std::size_t before = input.size();
        auto event = decoder_.next(input);
        pending_.erase(pending_.begin(),
                       pending_.begin() + static_cast<std::ptrdiff_t>(before - input.size()));
        if (auto* message = std::get_if<protocol::Message>(&event)) {
          return {.kind = Reply::Kind::kMessage, .message = std::move(*message)};
        }
        if (auto* error = std::get_if<protocol::DecodeError>(&event)) {
          return {.kind = Reply::Kind::kBadBytes, .detail = error->message};
        }
        if (!std::holds_alternative<protocol::NeedMore>(event)) {
          return {.kind = Reply::Kind::kBadBytes, .detail = "the receiver sent frame data"};
        }
      }
      if (std::chrono::steady_clock::now() >= deadline) return {.kind = Reply::Kind::kTimeout};
      std::uint8_t buffer[16 * 1024];
      ERR_clear_error();
      const int n = SSL_read(ssl_, buffer, sizeof buffer);
      if (n > 0) {
        pending_.insert(pending_.end(), buffer, buffer + n);
        continue;
      }
      const int error = SSL_get_error(ssl_, n);
      if (error == SSL_ERROR_WANT_READ) continue;  // the socket timeout; the deadline decides
      if (error == SSL_ERROR_ZERO_RETURN)
        return {.kind = Reply::Kind::kClosed, .detail = "close_notify"};
      return {.kind = Reply::Kind::kClosed,
              .detail = "SSL_read error " + std::to_string(error) + ": " + openssl_error_text()};
    }
  }

  void close() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (context_ != nullptr) SSL_CTX_free(context_);
    if (fd_ >= 0) ::close(fd_);
    ssl_ = nullptr;
    context_ = nullptr;
    fd_ = -1;
  }

 private:
  static constexpr std::chrono::seconds kIoTimeout{15};

  int fd_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  protocol::MessageDecoder decoder_{protocol::Peer::kServer, {}};
  Bytes pending_;
};

}  // namespace framewire::test
