// One accepted connection on the receiver: moves bytes between the socket and
// its ReceiverSession (which runs on the storage pool), enforces the handshake
// and idle deadlines, and closes politely. Lives on the receiver's io_context
// thread; owned by shared_ptr while its coroutines run.
//
// Threads: every member, the `session_` pointer included, belongs to the loop
// thread, and every public function is for the loop thread only. The session
// object itself is handed to the storage pool for one job at a time
// (consume, shut_down, and finally its destruction); while a job runs the
// loop does not touch the session, and it learns what the job changed
// (handshake done, last progress) by copying it into its own members when
// the job has returned. The one call from another thread is the evictor
// (see evictor()), which only posts to the loop.
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
  // kOk for a goodbye or a peer that left; else what closed it (the ERROR
  // sent, kTimeout for a deadline, kConnectionFailed for a failed TLS handshake).
  ErrorCode error = ErrorCode::kOk;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using OnClosed = std::function<void(Connection&, const ConnectionReport&)>;

  // `tls` (may be null: plain TCP) must outlive the connection. `id` names
  // it in the observer's events.
  Connection(asio::ip::tcp::socket socket, asio::ssl::context* tls, asio::thread_pool& storage_pool,
             SessionContext& session_context, const ConnectionSettings& settings,
             OnClosed on_closed, observe::ConnectionId id = 0);

  // Serves until the session ends, the peer goes or a deadline passes.
  asio::awaitable<void> run();
  // The receiver is stopping: acknowledge what is complete, then close.
  void stop();

  // Closes the connection now (the receiver needs room for another).
  void evict(const std::string& why) { expire(why); }

  const std::string& peer() const { return peer_; }
  observe::ConnectionId id() const { return id_; }
  const asio::ip::address& address() const { return address_; }
  std::chrono::steady_clock::time_point started() const { return started_; }
  // True once the peer's HELLO was accepted; stays true after the session is gone.
  bool handshaken() const { return handshaken_; }

 private:
  asio::awaitable<void> watch_deadlines();
  asio::awaitable<bool> write_out();
  asio::awaitable<void> linger();
  // TLS handshake and the peer's identity; false when the peer is refused.
  asio::awaitable<bool> secure();
  std::function<void()> evictor();
  void expire(const std::string& why);
  // Runs `job(session)` on the storage pool; afterwards copies into the
  // loop's members what the deadlines need from the session.
  template <typename Job>
  asio::awaitable<void> on_pool(Job job);

  std::string peer_;  // before transport_: initialised from the socket first
  asio::ip::address address_;
  Transport transport_;
  asio::thread_pool& pool_;
  SessionContext& session_context_;
  ConnectionSettings settings_;
  OnClosed on_closed_;
  observe::ConnectionId id_ = 0;
  // Only the loop reads or writes the pointer; it is moved out before the
  // session is destroyed on the pool, so it is never left dangling.
  std::unique_ptr<ReceiverSession> session_;
  protocol::ByteBuffer out_;  // filled by a pool job, written and cleared by the loop
  asio::steady_timer watchdog_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point stop_requested_at_{};
  // The session's state as of its last pool job (see on_pool).
  bool handshaken_ = false;
  std::chrono::steady_clock::time_point last_progress_{};
  bool busy_ = false;     // the session is working on the storage pool
  bool writing_ = false;  // an async_write is pending
  bool stopping_ = false;
  bool done_ = false;
  std::string expired_reason_;  // set when a deadline closed the socket
  std::string handshake_error_;
};

}  // namespace framewire::net
