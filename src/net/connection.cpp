#include "net/connection.hpp"

#include <fmt/format.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <cstring>
#include <span>

#include "net/address.hpp"
#include "net/run_on.hpp"
#include "protocol/wire_error.hpp"

namespace framewire::net {

namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
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

// A timer used as an event: waits until someone cancels it. The waiter
// re-checks its condition afterwards, and checking then waiting happens
// without a suspension in between, so no wake-up is lost.
asio::awaitable<void> wait_event(asio::steady_timer& event) {
  event.expires_at(asio::steady_timer::time_point::max());
  co_await event.async_wait(kNoThrow);
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
                       asio::thread_pool& storage_pool, BufferPool& buffers,
                       SessionContext& session_context, const ConnectionSettings& settings,
                       OnClosed on_closed, observe::ConnectionId id)
    : peer_(describe(socket)),
      address_(remote_address(socket)),
      transport_(make_transport(std::move(socket), tls)),
      pool_(storage_pool),
      buffers_(buffers),
      session_context_(session_context),
      settings_(settings),
      on_closed_(std::move(on_closed)),
      id_(id),
      watchdog_(transport_.get_executor()),
      reader_event_(transport_.get_executor()),
      storer_event_(transport_.get_executor()),
      buffer_event_(transport_.get_executor()) {}

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
  std::string reason;

  if (!co_await secure()) {
    reason = !expired_reason_.empty() ? expired_reason_ : handshake_error_;
  } else {
    reader_running_ = true;
    asio::co_spawn(transport_.get_executor(), read_loop(), asio::detached);
    const bool wrote = co_await store_loop();
    co_await stop_reading();
    const bool session_closed = session_->closed();
    if (!expired_reason_.empty()) {
      reason = expired_reason_;
    } else if (!wrote) {
      reason = "connection lost while writing";
    } else if (session_closed) {
      // Also when the peer closed right after its GOODBYE: the reader may
      // have seen the end of the stream before the storer reached it.
      reason = session_->close_reason();
    } else {
      reason = reader_reason_;
    }
    // After an ERROR (shutting_down included) keep reading for a moment, so
    // the peer reads the ERROR instead of a reset.
    if (wrote && session_closed && !peer_gone_ && transport_.is_open() &&
        session_->close_reason() != "goodbye") {
      co_await linger();
    }
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

asio::awaitable<bool> Connection::store_loop() {
  while (!session_->closed() && transport_.is_open() && expired_reason_.empty()) {
    // Stopping: what was read is consumed with the shutdown, in one job.
    const bool last = stopping_;
    if (!last && queue_.empty()) {
      if (!reader_running_) break;  // the peer is gone and all it sent is consumed
      co_await wait_event(storer_event_);
      continue;
    }
    // The job gets views of the buffers; the buffers themselves stay in this
    // coroutine's local (see run_on.hpp) and go back to the pool afterwards.
    std::vector<PooledBuffer> batch;
    batch.swap(queue_);
    co_await on_pool([buffers = std::span<const PooledBuffer>(batch), last](
                         ReceiverSession& session, protocol::ByteBuffer& out) {
      // One group commit for every frame these buffers completed: a storage
      // thread that fell behind catches up with one fsync group, not one per
      // buffer.
      std::array<std::span<const std::uint8_t>, kMaxBuffers> inputs{};
      const std::size_t n = std::min(buffers.size(), inputs.size());
      for (std::size_t i = 0; i < n; ++i) inputs[i] = buffers[i].contents();
      session.consume(std::span(inputs.data(), n), out);
      if (last) session.shut_down(out);
    });
    held_ -= batch.size();
    buffers_.note_unqueued(batch.size());
    batch.clear();
    reader_event_.cancel();  // room for the reader again
    if (!co_await write_out()) co_return false;
    if (last) break;
  }
  co_return true;
}

asio::awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  while (!reader_stop_ && co_await read_one()) {
  }
  reader_running_ = false;
  storer_event_.cancel();
}

asio::awaitable<bool> Connection::read_one() {
  while (held_ >= kMaxBuffers) {
    co_await wait_event(reader_event_);  // the storer gives buffers back
    if (reader_stop_) co_return false;
  }
  // Wait for bytes before taking a buffer, so an idle connection holds none.
  // Plain TCP: readiness. TLS: readiness of the socket says nothing about
  // application data (a partial record, bytes OpenSSL or Asio already
  // hold), so the wait is a real read into tls_first_; the rest of the
  // record then comes out of OpenSSL into the pooled buffer.
  std::size_t filled = 0;
  if (transport_.is_tls()) {
    auto [ec, n] = co_await transport_.read_some(asio::buffer(tls_first_));
    if (ec) {
      end_reading(ec);
      co_return false;
    }
    filled = n;
  } else {
    auto [ec] = co_await transport_.socket().async_wait(asio::socket_base::wait_read, kNoThrow);
    if (ec) {
      end_reading(ec);
      co_return false;
    }
  }
  if (reader_stop_) co_return false;

  ++held_;
  waiting_for_buffer_ = true;
  PooledBuffer buffer = co_await buffers_.acquire(buffer_event_);
  waiting_for_buffer_ = false;
  if (!buffer || reader_stop_) {
    --held_;
    if (!reader_stop_) end_reading(asio::error::operation_aborted);  // expired meanwhile
    co_return false;
  }
  std::memcpy(buffer.data(), tls_first_.data(), filled);
  // Fill the buffer with what can be read at once; never wait with it.
  asio::error_code failed;
  while (filled < buffer.capacity()) {
    if (filled > 0 && !input_ready()) break;
    auto [ec, n] = co_await transport_.read_some(
        asio::buffer(buffer.data() + filled, buffer.capacity() - filled));
    filled += n;
    if (ec) {
      failed = ec;
      break;
    }
  }
  if (filled > 0 && !reader_stop_) {
    buffer.set_size(filled);
    queue_.push_back(std::move(buffer));
    buffers_.note_queued(1);
    storer_event_.cancel();
  } else {
    --held_;
  }
  if (failed) {
    end_reading(failed);
    co_return false;
  }
  co_return true;
}

bool Connection::input_ready() {
  if (transport_.tls_pending() > 0) return true;
  asio::error_code ec;
  return transport_.socket().available(ec) > 0 && !ec;
}

void Connection::end_reading(const asio::error_code& ec) {
  if (reader_stop_) return;  // the storer ended the reader; the socket is fine
  peer_gone_ = true;
  reader_reason_ = !expired_reason_.empty() ? expired_reason_
                   : ec == asio::error::eof ? "peer closed the connection"
                                            : "connection lost: " + ec.message();
}

asio::awaitable<void> Connection::stop_reading() {
  reader_stop_ = true;
  if (reader_running_) {
    // The storer is done, so no write is pending for cancel() to abort.
    transport_.cancel();
    wake_all();
    while (reader_running_) co_await wait_event(storer_event_);
  }
  // Read but not to be stored: the session is closed or the peer is gone.
  held_ -= queue_.size();
  buffers_.note_unqueued(queue_.size());
  queue_.clear();
}

void Connection::wake_all() {
  reader_event_.cancel();
  storer_event_.cancel();
  buffer_event_.cancel();
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
  // No session yet (a TLS handshake): nothing to acknowledge, end the
  // handshake. Otherwise wake the storer for its shutdown step; a pending
  // write or storage job finishes first, and the reader is ended after it.
  if (!session_) {
    transport_.cancel();
    return;
  }
  storer_event_.cancel();
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
  // The socket's own operations fail now; these waits are not on the socket.
  wake_all();
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
    } else if (busy_ || waiting_for_buffer_) {
      // The receiver is the slow one (storage, or no free read buffer); not
      // the peer's fault.
      continue;
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
