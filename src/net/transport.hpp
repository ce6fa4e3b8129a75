// A connected byte stream that is either plain TCP or TLS over TCP, so the
// receiver's connections and the sender speak framewire the same way on both.
// Used on one event-loop thread; not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>

namespace framewire::net {

class Transport {
 public:
  // Plain TCP.
  explicit Transport(asio::ip::tcp::socket socket);
  // TLS on `socket`; `context` must outlive the Transport.
  Transport(asio::ip::tcp::socket socket, asio::ssl::context& context);

  // Not movable: the TLS stream refers to the socket member.
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  bool is_tls() const { return tls_ != nullptr; }

  // TLS handshake (a no-op for plain TCP). For a client, `server_name` is
  // sent as SNI and checked against the server certificate.
  asio::awaitable<asio::error_code> handshake(asio::ssl::stream_base::handshake_type type,
                                              const std::string& server_name = {});

  asio::awaitable<std::tuple<asio::error_code, std::size_t>> read_some(asio::mutable_buffer into);
  asio::awaitable<std::tuple<asio::error_code, std::size_t>> write(asio::const_buffer bytes);
  // Writes at least one byte of `bytes` (with TLS, at most one record), so a
  // caller can see that a long write is still moving.
  asio::awaitable<std::tuple<asio::error_code, std::size_t>> write_some(asio::const_buffer bytes);

  // Writes what fits without blocking, for a last word to a peer that may not
  // read (plain TCP only; TLS records cannot be written partially).
  void try_write_now(asio::const_buffer bytes);

  // Decrypted bytes OpenSSL holds that a read_some returns without waiting
  // (0 for plain TCP).
  std::size_t tls_pending() const;

  // Subject common name of the verified peer certificate (TLS only).
  std::optional<std::string> peer_common_name() const;

  void cancel();
  void shutdown_send();
  void close();
  bool is_open() const;
  asio::ip::tcp::socket& socket();
  const asio::ip::tcp::socket& socket() const;
  asio::any_io_executor get_executor();

 private:
  asio::ip::tcp::socket plain_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
};

// True when a failed TLS handshake failed because the peer's bytes are not
// TLS records at all (a plaintext peer), rather than over certificates or
// versions.
bool peer_is_not_tls(const asio::error_code& handshake_error);

// The fatal TLS alert record (unexpected_message) a TLS receiver sends, in the
// clear, to a peer whose first bytes were not TLS: docs/PROTOCOL.md section 9.
inline constexpr std::array<std::uint8_t, 7> kNotTlsAlert = {0x15, 0x03, 0x03, 0x00,
                                                             0x02, 0x02, 0x0a};

}  // namespace framewire::net
