#include "net/connection.hpp"

#include <fmt/format.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "net/address.hpp"
#include "net/run_on.hpp"
#include "protocol/wire_error.hpp"

namespace framewire::net {

namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBufferBytes = 256 * 1024;
// After an ERROR the receiver keeps reading (and dropping) for a moment, so the
// peer gets to read the ERROR instead of a connection reset.
constexpr std::chrono::milliseconds kLingerTime{2'000};

std::string describe(const asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? "unknown peer" : format_endpoint(endpoint);
}

asio::ip::address remote_address(const asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? asio::ip::address() : endpoint.address();
}

std::chrono::milliseconds check_interval(const ConnectionSettings& settings) {
  auto shortest =
      std::min({settings.handshake_timeout, settings.idle_timeout, settings.shutdown_grace});
  return std::clamp(shortest / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(500));
}

}  // namespace

namespace {
Transport make_transport(asio::ip::tcp::socket socket, asio::ssl::context* tls) {
  if (tls) return Transport(std::move(socket), *tls);
  return Transport(std::move(socket));
}
}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, asio::ssl::context* tls,
                       asio::thread_pool& storage_pool, SessionContext& session_context,
                       const ConnectionSettings& settings, OnClosed on_closed,
                       observe::ConnectionId id)
    : peer_(describe(socket)),
      address_(remote_address(socket)),
      transport_(make_transport(std::move(socket), tls)),
      pool_(storage_pool),
      session_context_(session_context),
      settings_(settings),
      on_closed_(std::move(on_closed)),
      id_(id),
      watchdog_(transport_.get_executor()) {}

std::function<void()> Connection::evictor() {
  // Runs on a storage thread (another connection's session): hop to our loop.
  return [weak = weak_from_this(), executor = transport_.get_executor()] {
    asio::post(executor, [weak] {
      if (auto self = weak.lock()) {
        self->evict("stream taken over by a newer connection of the same sender");
      }
    });
  };
}

template <typename Job>
asio::awaitable<void> Connection::on_pool(Job job) {
  busy_ = true;
  // The job gets the session and the reply buffer, and nothing else of the
  // connection: the rest stays the loop's while the job runs.
  co_await run_on(pool_, [session = session_.get(), &out = out_, job = std::move(job)]() mutable {
    job(*session, out);
  });
  busy_ = false;
  // run_on resumed us through a post to the loop, which orders the job's
  // writes before these reads; from here on the deadlines use the copies.
  handshaken_ = session_->handshake_done();
  last_progress_ = session_->last_progress();
}

asio::awaitable<bool> Connection::secure() {
  if (!transport_.is_tls()) {
    session_ =
        std::make_unique<ReceiverSession>(session_context_, peer_, std::nullopt, evictor(), id_);
    co_return true;
  }
  const asio::error_code ec = co_await transport_.handshake(asio::ssl::stream_base::server);
  if (ec) {
    handshake_error_ = "TLS handshake failed: " + ec.message();
    co_return false;
  }
  // A certificate without a common name gets an identity that matches no
  // stream, never the unlimited access of a plain loopback connection.
  session_ = std::make_unique<ReceiverSession>(
      session_context_, peer_, transport_.peer_common_name().value_or(""), evictor(), id_);
  co_return true;
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();
  asio::co_spawn(transport_.get_executor(), watch_deadlines(), asio::detached);
  std::vector<std::uint8_t> buffer(kReadBufferBytes);
  std::string reason;
  bool peer_gone = false;

  if (!co_await secure()) {
    peer_gone = true;
    reason = !expired_reason_.empty() ? expired_reason_ : handshake_error_;
  }
  while (!peer_gone && !session_->closed()) {
    if (stopping_) {
      co_await on_pool(
          [](ReceiverSession& session, protocol::ByteBuffer& out) { session.shut_down(out); });
      break;
    }
    auto [ec, n] = co_await transport_.read_some(asio::buffer(buffer));
    if (ec) {
      if (ec == asio::error::operation_aborted && stopping_ && expired_reason_.empty()) continue;
      peer_gone = true;
      reason = !expired_reason_.empty() ? expired_reason_
               : ec == asio::error::eof ? "peer closed the connection"
                                        : "connection lost: " + ec.message();
      break;
    }
    co_await on_pool(
        [data = std::span(buffer.data(), n)](ReceiverSession& session, protocol::ByteBuffer& out) {
          session.consume(data, out);
        });
    if (!co_await write_out()) {
      peer_gone = true;
      reason = !expired_reason_.empty() ? expired_reason_ : "connection lost while writing";
      break;
    }
  }
  if (!peer_gone && transport_.is_open()) {
    if (co_await write_out() && session_->close_reason() != "goodbye") co_await linger();
  }

  if (reason.empty() && session_) reason = session_->close_reason();
  ErrorCode error = session_ ? session_->close_error() : ErrorCode::kConnectionFailed;
  if (!expired_reason_.empty()) error = ErrorCode::kTimeout;
  ConnectionReport report{
      .peer = peer_,
      .frames = session_ ? session_->frames_stored() : 0,
      .bytes = session_ ? session_->bytes_stored() : 0,
      .seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count(),
      .reason = reason,
      .error = error};
  done_ = true;
  watchdog_.cancel();
  // Destroying the session may remove a temporary file: storage pool, not
  // here. The loop gives the pointer up before the pool starts, so nothing
  // running on the loop meanwhile (admission asking handshaken(), an
  // eviction reaching expire()) can see a session being destroyed. The
  // owner stays a local of this coroutine, not a capture (see run_on.hpp).
  std::unique_ptr<ReceiverSession> ending = std::move(session_);
  co_await run_on(pool_, [&ending] { ending.reset(); });
  transport_.close();
  on_closed_(*this, report);
}

asio::awaitable<bool> Connection::write_out() {
  if (out_.empty()) co_return transport_.is_open();
  writing_ = true;
  auto [ec, n] = co_await transport_.write(asio::buffer(out_));
  writing_ = false;
  out_.clear();
  co_return !ec;
}

asio::awaitable<void> Connection::linger() {
  transport_.shutdown_send();
  asio::steady_timer deadline(transport_.get_executor());
  deadline.expires_after(kLingerTime);
  deadline.async_wait([this](asio::error_code ec) {
    if (!ec) transport_.cancel();
  });
  std::array<std::uint8_t, 16 * 1024> sink{};
  while (true) {
    auto [ec, n] = co_await transport_.socket().async_read_some(asio::buffer(sink), kNoThrow);
    if (ec) break;
  }
  deadline.cancel();
}

void Connection::stop() {
  if (stopping_ || done_) return;
  stopping_ = true;
  stop_requested_at_ = std::chrono::steady_clock::now();
  // Wake the read so the loop reaches its shutdown step; a pending write or
  // storage work finishes first.
  if (!busy_ && !writing_) transport_.cancel();
}

void Connection::expire(const std::string& why) {
  if (!expired_reason_.empty()) return;
  expired_reason_ = why;
  // Best effort: tell the peer why, without waiting on a peer that may not read.
  if (!writing_ && !busy_ && session_) {
    protocol::ByteBuffer message;
    protocol::encode_message(
        protocol::ErrorMessage{.code = protocol::WireError::kTimeout, .message = why}, message);
    transport_.try_write_now(asio::buffer(message));
  }
  transport_.close();
}

asio::awaitable<void> Connection::watch_deadlines() {
  auto self = shared_from_this();
  const auto interval = check_interval(settings_);
  while (!done_) {
    watchdog_.expires_after(interval);
    co_await watchdog_.async_wait(kNoThrow);
    if (done_) break;
    const auto now = std::chrono::steady_clock::now();
    if (stopping_ && now - stop_requested_at_ > settings_.shutdown_grace) {
      expire("receiver stopped before the peer finished");
    } else if (busy_) {
      continue;  // the receiver is the slow one; not the peer's fault
    } else if (!handshaken_ && now - started_ > settings_.handshake_timeout) {
      expire(fmt::format("no HELLO within {} ms", settings_.handshake_timeout.count()));
    } else if (handshaken_ && !writing_ && now - last_progress_ > settings_.idle_timeout) {
      expire(fmt::format("no progress for {} ms", settings_.idle_timeout.count()));
    } else if (handshaken_ && writing_ && now - last_progress_ > settings_.idle_timeout) {
      expire(fmt::format("peer did not read for {} ms", settings_.idle_timeout.count()));
    }
  }
}

}  // namespace framewire::net
