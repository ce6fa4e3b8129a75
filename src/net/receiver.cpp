#include "framewire/receiver.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <set>

#include "jetstream/jetstream_storage.hpp"
#include "net/address.hpp"
#include "net/buffer_pool.hpp"
#include "net/connection.hpp"
#include "net/frame_feed_registry.hpp"
#include "net/keepalive.hpp"
#include "net/receiver_internal.hpp"
#include "net/stream_registry.hpp"
#include "net/tls_context.hpp"
#include "observe/observer.hpp"
#include "observe/receiver_metrics.hpp"
#include "storage/stream_store.hpp"
#include "storage/sync_mode.hpp"
#include "view/http_server.hpp"
#include "view/live_feed.hpp"

namespace framewire {

namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

// This machine's name, for the lease holder a refused writer is told about.
std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "this host";
  return name;
}

}  // namespace

struct Receiver::Impl {
  ReceiverOptions options;
  // Before io: a coroutine frame destroyed with the io_context may still
  // hold a buffer, which goes back to the pool.
  net::BufferPool buffers;
  asio::io_context io{1};
  asio::thread_pool pool;
  asio::ip::tcp::acceptor acceptor{io};
  std::unique_ptr<asio::ssl::context> tls;    // null: plain TCP
  std::unique_ptr<storage::Storage> storage;  // a StorageRoot, or JetStream
  net::StreamRegistry registry;
  net::SessionContext session_context;
  net::ConnectionSettings connection_settings;
  std::set<std::shared_ptr<net::Connection>> connections;
  // Every event goes to `metrics` (and what else listens, through `observers`).
  observe::ReceiverMetrics metrics;
  // The feeds of subscribe_frames(); also an observer in `observers`.
  net::FrameFeedRegistry frame_feeds;
  std::unique_ptr<observe::Fanout> observers;
  observe::ConnectionId last_connection_id = 0;
  asio::steady_timer log_timer{io};
  bool stopping = false;
  std::atomic<std::uint64_t> total_connections = 0;
  std::atomic<std::uint64_t> frames_stored = 0;
  std::atomic<std::uint64_t> bytes_stored = 0;
  // The newest stored frame of every stream, for the live view; the HTTP
  // server reads it and `metrics`. Declared after both, so they outlive it.
  view::LiveFeed live_feed;
  std::unique_ptr<view::HttpServer> http;  // null without http_listen

  explicit Impl(const ReceiverOptions& opts)
      : options(opts),
        buffers(net::BufferPool::kDefaultBufferBytes, opts.read_buffer_pool_bytes),
        pool(std::max(1U, opts.storage_threads)),
        frame_feeds(opts.nats.url.empty() ? opts.root : std::string()) {}

  asio::awaitable<void> accept_loop() {
    while (!stopping) {
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (stopping) break;
      if (ec) {
        spdlog::warn("accept failed: {}", ec.message());
        // Out of descriptors and similar: back off instead of spinning.
        asio::steady_timer pause(io, std::chrono::milliseconds(100));
        co_await pause.async_wait(kNoThrow);
        continue;
      }
      asio::error_code ignored;
      if (!admit(socket)) {
        socket.close(ignored);
        continue;
      }
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      // A sender that vanished without closing (power cut, cable) would
      // otherwise hold its streams until a deadline notices.
      net::enable_keepalive(socket);
      auto connection = std::make_shared<net::Connection>(
          std::move(socket), tls.get(), pool, buffers, session_context, connection_settings,
          [this](net::Connection& closed, const net::ConnectionReport& report) {
            on_closed(closed, report);
          },
          ++last_connection_id);
      ++total_connections;
      spdlog::info("connection {} opened", connection->peer());
      observers->on_event(
          observe::ConnectionOpened{.connection = connection->id(), .peer = connection->peer()});
      connections.insert(connection);
      asio::co_spawn(io, connection->run(), asio::detached);
    }
  }

  // Makes room for a new connection within the caps, dropping the oldest
  // connection still in its handshake if need be. False: refuse it.
  bool admit(const asio::ip::tcp::socket& socket) {
    asio::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return false;
    const auto address = endpoint.address();
    std::size_t from_address = 0;
    std::size_t handshaking = 0;
    for (const auto& connection : connections) {
      if (connection->address() == address) ++from_address;
      if (!connection->handshaken()) ++handshaking;
    }
    auto evict_oldest_handshaking = [&](bool same_address_only) {
      net::Connection* oldest = nullptr;
      for (const auto& connection : connections) {
        if (connection->handshaken()) continue;
        if (same_address_only && connection->address() != address) continue;
        if (!oldest || connection->started() < oldest->started()) oldest = connection.get();
      }
      if (oldest) oldest->evict("dropped to make room: too many connections without a HELLO");
      return oldest != nullptr;
    };
    const auto& opts = options;
    if (handshaking >= opts.max_handshaking && !evict_oldest_handshaking(false)) return false;
    if (from_address >= opts.max_connections_per_address && !evict_oldest_handshaking(true)) {
      spdlog::warn("refused {}: {} connections from that address", address.to_string(),
                   from_address);
      return false;
    }
    if (connections.size() >= opts.max_connections && !evict_oldest_handshaking(false)) {
      spdlog::warn("refused {}: {} connections open", address.to_string(), connections.size());
      return false;
    }
    return true;
  }

  void on_closed(net::Connection& closed, const net::ConnectionReport& report) {
    frames_stored += report.frames;
    bytes_stored += report.bytes;
    spdlog::info("connection {} closed: {} frames, {:.1f} MB in {:.2f} s ({})", report.peer,
                 report.frames, static_cast<double>(report.bytes) / 1e6, report.seconds,
                 report.reason);
    observers->on_event(observe::ConnectionClosed{.connection = closed.id(),
                                                  .peer = report.peer,
                                                  .frames = report.frames,
                                                  .bytes = report.bytes,
                                                  .seconds = report.seconds,
                                                  .reason = report.reason,
                                                  .error = report.error});
    for (auto it = connections.begin(); it != connections.end(); ++it) {
      if (it->get() == &closed) {
        // The connection's coroutine still runs this callback: release it later.
        asio::post(io, [keep = *it] {});
        connections.erase(it);
        break;
      }
    }
  }

  // One line per open stream every options.log_interval, for an operator
  // reading the log: is it sending, how fast, how far behind.
  asio::awaitable<void> log_streams() {
    while (!stopping) {
      log_timer.expires_after(options.log_interval);
      co_await log_timer.async_wait(kNoThrow);
      if (stopping) break;
      for (const auto& s : metrics.snapshot().streams) {
        if (!s.open) continue;
        spdlog::info(
            "stream {} ({}) from {}: {:.1f} fps, {:.2f} MB/s, {} frames stored, {} rejected, {} "
            "dropped, capture->stored p50 {:.1f} ms p99 {:.1f} ms, last frame {}",
            s.name, s.source_kind, s.peer, s.frames_per_second, s.bytes_per_second / 1e6,
            s.frames_stored, s.frames_rejected, s.frames_dropped, s.latency_ms_p50,
            s.latency_ms_p99,
            s.seconds_since_last_frame < 0
                ? std::string("none yet")
                : fmt::format("{:.1f} s ago{}", s.seconds_since_last_frame,
                              s.stale ? " (stale)" : ""));
      }
    }
  }

  void begin_stop() {
    if (stopping) return;
    stopping = true;
    log_timer.cancel();
    spdlog::info("stopping: finishing in-flight frames on {} connection(s)", connections.size());
    asio::error_code ignored;
    acceptor.close(ignored);
    for (const auto& connection : connections) connection->stop();
  }
};

Receiver::Receiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Receiver::~Receiver() {
  if (!impl_) return;
  // A consumer still waiting in next() returns now, not at its timeout.
  impl_->frame_feeds.close_all();
  if (impl_->http) impl_->http->stop();
  impl_->pool.join();
}

Result<std::unique_ptr<Receiver>> Receiver::create(const ReceiverOptions& options) {
  auto address = net::parse_host_port(options.listen);
  if (!address) return address.status();
  auto impl = std::make_unique<Impl>(options);

  if (options.nats.url.empty()) {
    auto root = storage::StorageRoot::open(options.root, storage::to_sync_policy(options.sync));
    if (!root) return root.status();
    impl->storage = std::move(root).value();
  } else {
    auto store = jetstream::JetStreamStorage::open(jetstream::jetstream_options(
        options.nats, fmt::format("framewire serve pid {} on {}", getpid(), host_name())));
    if (!store) return store.status();
    impl->storage = std::move(store).value();
  }
  impl->session_context =
      net::SessionContext{.storage = impl->storage.get(),
                          .registry = &impl->registry,
                          .limits = {.max_frame_bytes = options.max_frame_bytes,
                                     .window_bytes = options.window_bytes,
                                     .window_frames = options.window_frames,
                                     .max_streams = options.max_streams_per_connection},
                          .observer = nullptr};
  impl->observers = std::make_unique<observe::Fanout>(
      std::vector<observe::Observer*>{&impl->metrics, &impl->live_feed, &impl->frame_feeds});
  impl->session_context.observer = impl->observers.get();
  // The pool's figures are atomics: read from whichever thread takes a snapshot.
  impl->metrics.set_gauges([pool = &impl->buffers] {
    const net::PipelineGauges g = pool->gauges();
    return observe::ReceiverGauges{.storage_queue_buffers = g.storage_queue_buffers,
                                   .buffer_pool_bytes_in_use = g.buffer_pool_bytes_in_use,
                                   .buffer_pool_bytes_limit = g.buffer_pool_bytes_limit};
  });
  impl->connection_settings = {.handshake_timeout = options.handshake_timeout,
                               .idle_timeout = options.idle_timeout,
                               .shutdown_grace = options.shutdown_grace};

  const bool any_tls =
      !options.tls_cert.empty() || !options.tls_key.empty() || !options.tls_client_ca.empty();
  if (any_tls) {
    if (options.tls_cert.empty() || options.tls_key.empty() || options.tls_client_ca.empty()) {
      return Status(ErrorCode::kMalformed,
                    "TLS needs all of --tls-cert, --tls-key and --tls-client-ca");
    }
    auto tls = net::make_server_tls(options.tls_cert, options.tls_key, options.tls_client_ca);
    if (!tls) return tls.status();
    impl->tls = std::move(tls).value();
  }

  asio::error_code ec;
  asio::ip::tcp::resolver resolver(impl->io);
  auto endpoints =
      resolver.resolve(address->host, address->port, asio::ip::tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return Status(ErrorCode::kConnectionFailed,
                  fmt::format("cannot resolve {}: {}", options.listen, ec.message()));
  }
  std::string last_error;
  for (const auto& entry : endpoints) {
    if (!impl->tls && !options.insecure && !entry.endpoint().address().is_loopback()) {
      return Status(ErrorCode::kForbidden,
                    fmt::format("refusing to serve plain text on {}, which is not a loopback "
                                "address: give --tls-cert, --tls-key and --tls-client-ca, or "
                                "--insecure",
                                net::format_endpoint(entry.endpoint())));
    }
    auto& acceptor = impl->acceptor;
    acceptor.open(entry.endpoint().protocol(), ec);
    if (!ec) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(entry.endpoint(), ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) break;
    last_error = fmt::format("{}: {}", net::format_endpoint(entry.endpoint()), ec.message());
    asio::error_code ignored;
    acceptor.close(ignored);
  }
  if (!impl->acceptor.is_open()) {
    return Status(ErrorCode::kConnectionFailed,
                  fmt::format("cannot listen on {}: {}", options.listen, last_error));
  }

  // The HTTP server once the listener is bound (its own thread: a browser
  // never waits on, or holds back, the network loop). It reads frames
  // through the storage interface, on its worker thread.
  if (!options.http_listen.empty()) {
    view::Sources sources{
        .metrics = &impl->metrics,
        .feed = &impl->live_feed,
        .read_frame = [store = impl->storage.get(), max_bytes = options.max_frame_bytes](
                          std::string_view stream, std::string_view file) {
          return store->read_frame(stream, file, max_bytes);
        }};
    auto http = view::HttpServer::start(
        {.listen = options.http_listen, .allow_public = options.http_public}, std::move(sources));
    if (!http) return http.status();
    impl->http = std::move(http).value();
  }
  return std::unique_ptr<Receiver>(new Receiver(std::move(impl)));
}

std::string Receiver::local_address() const {
  asio::error_code ec;
  return net::format_endpoint(impl_->acceptor.local_endpoint(ec));
}

std::uint16_t Receiver::port() const {
  asio::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::string Receiver::http_address() const {
  return impl_->http ? impl_->http->local_address() : std::string();
}

void Receiver::run() {
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  if (impl_->options.log_interval.count() > 0) {
    asio::co_spawn(impl_->io, impl_->log_streams(), asio::detached);
  }
  impl_->io.run();
  impl_->frame_feeds.close_all();
}

void Receiver::stop() {
  // Here, not on the loop: the connections' shutdown waits for their storage
  // jobs, and a storing thread may be waiting on a full lossless feed.
  impl_->frame_feeds.release_all();
  asio::post(impl_->io, [impl = impl_.get()] { impl->begin_stop(); });
}

std::shared_ptr<FrameFeed> Receiver::subscribe_frames(const FrameFeedOptions& options) {
  return impl_->frame_feeds.subscribe(options);
}

net::PipelineGauges ReceiverInternals::pipeline_gauges(const Receiver& receiver) {
  return receiver.impl_->buffers.gauges();
}

asio::thread_pool& ReceiverInternals::storage_pool(Receiver& receiver) {
  return receiver.impl_->pool;
}

ReceiverStats Receiver::stats() const {
  return {.connections = impl_->total_connections.load(),
          .frames_stored = impl_->frames_stored.load(),
          .bytes_stored = impl_->bytes_stored.load()};
}

}  // namespace framewire
