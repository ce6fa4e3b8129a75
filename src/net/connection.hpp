// One accepted connection on the receiver: moves bytes between the socket and
// its ReceiverSession (which runs on the storage pool), enforces the handshake
// and idle deadlines, and closes politely. Lives on the receiver's io_context
// thread; owned by shared_ptr while its coroutines run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>

#include "net/receiver_session.hpp"
#include "net/transport.hpp"

namespace framewire::net {

struct ConnectionSettings {
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds shutdown_grace{5'000};
};

// Totals a connection reports when it ends.
struct ConnectionReport {
  std::string peer;
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::string reason;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using OnClosed = std::function<void(Connection&, const ConnectionReport&)>;

  // `tls` (may be null: plain TCP) must outlive the connection.
  Connection(asio::ip::tcp::socket socket, asio::ssl::context* tls, asio::thread_pool& storage_pool,
             SessionContext& session_context, const ConnectionSettings& settings,
             OnClosed on_closed);

  // Serves until the session ends, the peer goes or a deadline passes.
  asio::awaitable<void> run();
  // The receiver is stopping: acknowledge what is complete, then close.
  void stop();

  // Closes the connection now (the receiver needs room for another).
  void evict(const std::string& why) { expire(why); }

  const std::string& peer() const { return peer_; }
  const asio::ip::address& address() const { return address_; }
  std::chrono::steady_clock::time_point started() const { return started_; }
  // True once the peer's HELLO was accepted.
  bool handshaken() const { return session_ && session_->handshake_done(); }

 private:
  asio::awaitable<void> watch_deadlines();
  asio::awaitable<bool> write_out();
  asio::awaitable<void> linger();
  // TLS handshake and the peer's identity; false when the peer is refused.
  asio::awaitable<bool> secure();
  std::function<void()> evictor();
  void expire(const std::string& why);

  std::string peer_;  // before transport_: initialised from the socket first
  asio::ip::address address_;
  Transport transport_;
  asio::thread_pool& pool_;
  SessionContext& session_context_;
  ConnectionSettings settings_;
  OnClosed on_closed_;
  std::unique_ptr<ReceiverSession> session_;
  protocol::ByteBuffer out_;
  asio::steady_timer watchdog_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point stop_requested_at_{};
  bool busy_ = false;     // the session is working on the storage pool
  bool writing_ = false;  // an async_write is pending
  bool stopping_ = false;
  bool done_ = false;
  std::string expired_reason_;  // set when a deadline closed the socket
  std::string handshake_error_;
};

}  // namespace framewire::net
