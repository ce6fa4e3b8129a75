// The only file that includes Boost.Beast (it is slow to compile): the
// acceptor, the HTTP sessions, the /live WebSocket clients and the timers,
// all on the server's own thread and io_context. See http_server.hpp.
#include "view/http_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "observe/receiver_metrics.hpp"
#include "view/live_feed.hpp"
#include "view/live_messages.hpp"
#include "view/page.hpp"
#include "view/preview.hpp"
#include "view/preview_worker.hpp"
#include "view/routes.hpp"

namespace framewire::view {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kHeaderLimit = 8 * 1024;  // request line and headers
constexpr std::uint64_t kBodyLimit = 16 * 1024;   // a GET has none; refuse anything big
constexpr std::size_t kMaxWatchMessage = 256 * 1024;
constexpr std::size_t kMaxWorkerJobs = 256;
constexpr auto kPollInterval = std::chrono::milliseconds(50);
// The kernel's send buffer of a /live socket (Linux doubles it). Left to
// autotuning it grows to megabytes for a client that stopped reading, all of
// it previews that are old by the time they are read; this small, the server
// finds the client busy within a couple of previews and replaces instead.
// Still plenty for a reading client: 20 previews/s of ~30 KB is 600 KB/s.
constexpr int kLiveSendBuffer = 128 * 1024;

std::string format_endpoint(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// "HOST:PORT" or "[V6]:PORT" -> host and port.
std::optional<std::pair<std::string, std::string>> split_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return {};
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return {};
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(std::string(host), std::string(text.substr(colon + 1)));
}

// A preview converted once and shared by every client watching that stream
// with that palette.
struct Preview {
  std::string stream;
  Palette palette = Palette::kGrey;
  std::uint64_t sequence = 0;
  std::vector<std::uint8_t> message;  // encode_preview_message()
};

}  // namespace

class LiveClient;
class HttpSession;

struct HttpServer::Impl {
  // Clients counted for max_clients (ClientSlot). Declared before io: a
  // session destroyed with io's pending handlers still gives its slot back.
  std::atomic<std::size_t> clients = 0;
  // Declared first but one, destroyed last but one: every socket and timer
  // below belongs to it.
  asio::io_context io{1};
  HttpOptions options;
  Sources sources;
  tcp::acceptor acceptor{io};
  asio::steady_timer figures_timer{io};
  asio::steady_timer poll_timer{io};
  std::thread thread;

  // HTTP-thread state.
  struct Watched {
    std::uint64_t generation = 0;  // of the newest frame submitted for conversion
    Clock::time_point last_submit{};
    bool in_flight = false;
    std::shared_ptr<const Preview> last;  // for a client that starts watching
  };
  std::map<std::pair<std::string, Palette>, Watched> watched;
  std::set<std::shared_ptr<LiveClient>> live_clients;

  // HTTP thread only, read by /metrics.
  std::uint64_t previews_sent = 0;
  std::uint64_t previews_lost = 0;
  std::uint64_t previews_failed = 0;

  // Last: its jobs post into `io`, so it is stopped (joined) before io goes.
  PreviewWorker worker{kMaxWorkerJobs};

  Impl(const HttpOptions& opts, Sources src) : options(opts), sources(std::move(src)) {}

  void accept();
  void schedule_figures();
  void schedule_poll();
  void poll_feed();
  void rewatch(LiveClient* changed);
  void deliver(const std::shared_ptr<const Preview>& preview);
  void handle_request(const std::shared_ptr<HttpSession>& session,
                      const http::request<http::string_body>& request);
  std::string metrics_text();
  observe::ReceiverFigures figures() const {
    return sources.metrics != nullptr ? sources.metrics->snapshot() : observe::ReceiverFigures{};
  }
};

namespace {

// Counts a client for max_clients for as long as its session lives.
class ClientSlot {
 public:
  explicit ClientSlot(std::atomic<std::size_t>& clients) : clients_(&clients) { ++*clients_; }
  ~ClientSlot() {
    if (clients_ != nullptr) --*clients_;
  }
  ClientSlot(ClientSlot&& other) noexcept : clients_(std::exchange(other.clients_, nullptr)) {}
  ClientSlot(const ClientSlot&) = delete;
  ClientSlot& operator=(const ClientSlot&) = delete;
  ClientSlot& operator=(ClientSlot&&) = delete;

 private:
  std::atomic<std::size_t>* clients_;
};

}  // namespace

// One /live WebSocket. At most one write is outstanding; while it is, newer
// figures and previews replace the pending ones (a replaced preview counts as
// lost), so a client that never reads holds one message of each kind.
class LiveClient : public std::enable_shared_from_this<LiveClient> {
 public:
  LiveClient(tcp::socket socket, HttpServer::Impl& server, ClientSlot slot)
      : ws_(std::move(socket)), server_(server), slot_(std::move(slot)) {}

  // Beast builds its answer from `request` before async_accept returns.
  void accept(const http::request<http::string_body>& request) {
    beast::get_lowest_layer(ws_).expires_never();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(
        asio::socket_base::send_buffer_size(kLiveSendBuffer), ignored);
    websocket::stream_base::timeout timeout =
        websocket::stream_base::timeout::suggested(beast::role_type::server);
    // A peer that answers nothing (not even a ping) for this long is closed.
    timeout.idle_timeout = std::chrono::seconds(60);
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(kMaxWatchMessage);
    ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->server_.live_clients.insert(self);
      self->read();
      // The first figures at once, not after an interval.
      self->offer_figures(figures_body(self->server_.figures()));
    });
  }

  const std::map<std::string, Palette, std::less<>>& watching() const { return watch_; }

  void offer_figures(std::string body) {
    pending_figures_ = std::move(body);
    pump();
  }

  void offer_preview(const std::shared_ptr<const Preview>& preview) {
    const auto it = watch_.find(preview->stream);
    if (it == watch_.end() || it->second != preview->palette) return;
    auto& slot = pending_previews_[preview->stream];
    if (slot) {
      ++lost_;
      ++server_.previews_lost;
    }
    slot = preview;
    pump();
  }

 private:
  void read() {
    ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) return finish();
    const std::string text = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    auto watch = parse_watch_message(text);
    if (!watch) {
      spdlog::debug("live view client: {}", watch.status().to_string());
    } else {
      watch_.clear();
      for (auto& w : *watch) watch_[w.stream] = w.palette;
      // Previews of streams (or palettes) no longer watched are not sent.
      std::erase_if(pending_previews_, [this](const auto& entry) {
        const auto it = watch_.find(entry.first);
        return it == watch_.end() || it->second != entry.second->palette;
      });
      server_.rewatch(this);
    }
    read();
  }

  void pump() {
    if (writing_ || finished_) return;
    if (pending_figures_) {
      write_text_ = with_lost(*pending_figures_, lost_);
      pending_figures_.reset();
      writing_ = true;
      ws_.text(true);
      ws_.async_write(
          asio::buffer(write_text_),
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
      return;
    }
    if (pending_previews_.empty()) return;
    // Round robin over streams: the stream after the one written last.
    auto it = pending_previews_.upper_bound(last_stream_);
    if (it == pending_previews_.end()) it = pending_previews_.begin();
    write_preview_ = std::move(it->second);
    last_stream_ = it->first;
    pending_previews_.erase(it);
    writing_ = true;
    ++server_.previews_sent;
    ws_.binary(true);
    ws_.async_write(
        asio::buffer(write_preview_->message),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    write_preview_.reset();
    if (ec) return finish();
    pump();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    pending_previews_.clear();
    pending_figures_.reset();
    server_.live_clients.erase(shared_from_this());
    server_.rewatch(nullptr);
  }

  websocket::stream<beast::tcp_stream> ws_;
  HttpServer::Impl& server_;
  ClientSlot slot_;
  beast::flat_buffer read_buffer_;
  std::map<std::string, Palette, std::less<>> watch_;
  std::optional<std::string> pending_figures_;
  std::map<std::string, std::shared_ptr<const Preview>, std::less<>> pending_previews_;
  std::string last_stream_;
  std::string write_text_;
  std::shared_ptr<const Preview> write_preview_;
  std::uint64_t lost_ = 0;
  bool writing_ = false;
  bool finished_ = false;
};

// One HTTP/1.1 connection: requests in turn (no pipelining), keep-alive with
// an idle deadline, bounded header and body; a /live upgrade hands the
// socket to a LiveClient.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, HttpServer::Impl& server, ClientSlot slot)
      : stream_(std::move(socket)), server_(server), slot_(std::move(slot)) {}

  void read() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(server_.options.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  template <typename Body>
  void send(http::response<Body> response) {
    auto shared = std::make_shared<http::response<Body>>(std::move(response));
    shared->set(http::field::server, "framewire");
    shared->prepare_payload();
    stream_.expires_after(server_.options.idle_timeout);
    http::async_write(stream_, *shared,
                      [self = shared_from_this(), shared](beast::error_code ec, std::size_t) {
                        self->on_write(ec, shared->need_eof());
                      });
  }

  void send_text(http::status status, std::string_view content_type, std::string body) {
    http::response<http::string_body> response{status, version_};
    response.set(http::field::content_type, content_type);
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(keep_alive_);
    response.body() = std::move(body);
    send(std::move(response));
  }

  void send_bytes(std::string_view content_type, std::vector<std::uint8_t> bytes) {
    http::response<http::vector_body<std::uint8_t>> response{http::status::ok, version_};
    response.set(http::field::content_type, content_type);
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(keep_alive_);
    response.body() = std::move(bytes);
    send(std::move(response));
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return shutdown();
    if (ec == http::error::header_limit || ec == http::error::body_limit) {
      keep_alive_ = false;
      return send_text(http::status::payload_too_large, "text/plain", "request too large\n");
    }
    if (ec) return;  // timeout, reset, garbage: close (the session ends here)
    auto request = parser_->release();
    version_ = request.version();
    keep_alive_ = request.keep_alive();
    if (websocket::is_upgrade(request) && route_for(request.target()).kind == RouteKind::kLive) {
      stream_.expires_never();
      auto client =
          std::make_shared<LiveClient>(stream_.release_socket(), server_, std::move(slot_));
      client->accept(request);
      return;
    }
    server_.handle_request(shared_from_this(), request);
  }

  void on_write(beast::error_code ec, bool close) {
    if (ec) return;
    if (close) return shutdown();
    read();
  }

  void shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  ClientSlot slot_;
  beast::flat_buffer buffer_{kHeaderLimit};
  std::optional<http::request_parser<http::string_body>> parser_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
};

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (clients.load() >= options.max_clients) {
        // Over the cap: close at once rather than hold a socket we will not serve.
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<HttpSession>(std::move(socket), *this, ClientSlot(clients))->read();
      }
    } else {
      spdlog::warn("live view: accept failed: {}", ec.message());
    }
    accept();
  });
}

void HttpServer::Impl::schedule_figures() {
  figures_timer.expires_after(options.figures_interval);
  figures_timer.async_wait([this](beast::error_code ec) {
    if (ec) return;
    if (!live_clients.empty()) {
      const std::string body = figures_body(figures());
      // A copy of the set: a client may end (and leave the set) while offered.
      const auto clients_now = live_clients;
      for (const auto& client : clients_now) client->offer_figures(body);
    }
    schedule_figures();
  });
}

void HttpServer::Impl::schedule_poll() {
  poll_timer.expires_after(kPollInterval);
  poll_timer.async_wait([this](beast::error_code ec) {
    if (ec) return;
    poll_feed();
    schedule_poll();
  });
}

// For every watched stream and palette: if the feed has a newer frame, no
// conversion of it is in flight and the rate allows, hand it to the worker.
void HttpServer::Impl::poll_feed() {
  if (sources.feed == nullptr || watched.empty()) return;
  const auto now = Clock::now();
  const auto min_gap =
      std::chrono::milliseconds(1000 / std::max(1U, options.max_previews_per_second));
  for (auto& [key, state] : watched) {
    if (state.in_flight || now - state.last_submit < min_gap) continue;
    auto frame = sources.feed->changed_since(key.first, state.generation);
    if (!frame) continue;
    const Palette palette = key.second;
    auto job = [this, frame = *frame, palette] {
      std::shared_ptr<Preview> preview;
      if (sources.read_frame) {
        auto stored = sources.read_frame(frame.stream, frame.file_name);
        if (stored) {
          auto jpeg = make_preview(*stored, PreviewOptions{.palette = palette});
          if (jpeg) {
            preview = std::make_shared<Preview>(
                Preview{.stream = frame.stream,
                        .palette = palette,
                        .sequence = frame.sequence,
                        .message = encode_preview_message(frame.stream, frame.sequence, *jpeg)});
          } else {
            spdlog::debug("live view: no preview of {}/{}: {}", frame.stream, frame.file_name,
                          jpeg.status().to_string());
          }
        }
      }
      asio::post(io, [this, key = std::make_pair(frame.stream, palette), preview] {
        auto it = watched.find(key);
        if (it != watched.end()) it->second.in_flight = false;
        if (!preview) {
          ++previews_failed;
          return;
        }
        if (it != watched.end()) it->second.last = preview;
        deliver(preview);
      });
    };
    if (!worker.submit(std::move(job))) continue;  // full: try again next poll
    state.in_flight = true;
    state.generation = frame->generation;
    state.last_submit = now;
  }
}

// The union of every client's watch list. `changed` (the client whose list
// changed, if any) gets the last preview made of each stream it watches at once.
void HttpServer::Impl::rewatch(LiveClient* changed) {
  std::set<std::pair<std::string, Palette>> wanted;
  for (const auto& client : live_clients) {
    for (const auto& [stream, palette] : client->watching()) wanted.emplace(stream, palette);
  }
  std::erase_if(watched, [&](const auto& entry) {
    // Keep a conversion in flight until it lands (it clears in_flight).
    return !wanted.contains(entry.first) && !entry.second.in_flight;
  });
  for (const auto& key : wanted) watched.try_emplace(key);
  if (changed == nullptr) return;
  for (const auto& [stream, palette] : changed->watching()) {
    const auto it = watched.find(std::make_pair(stream, palette));
    if (it != watched.end() && it->second.last) changed->offer_preview(it->second.last);
  }
}

void HttpServer::Impl::deliver(const std::shared_ptr<const Preview>& preview) {
  const auto clients_now = live_clients;
  for (const auto& client : clients_now) client->offer_preview(preview);
}

std::string HttpServer::Impl::metrics_text() {
  std::string text =
      sources.metrics != nullptr ? observe::to_prometheus(sources.metrics->snapshot()) : "";
  fmt::format_to(std::back_inserter(text),
                 "# HELP framewire_view_clients HTTP and WebSocket clients of the live view.\n"
                 "# TYPE framewire_view_clients gauge\n"
                 "framewire_view_clients {}\n"
                 "# HELP framewire_view_live_clients WebSocket (/live) clients.\n"
                 "# TYPE framewire_view_live_clients gauge\n"
                 "framewire_view_live_clients {}\n"
                 "# HELP framewire_view_previews_sent_total Previews written to /live clients.\n"
                 "# TYPE framewire_view_previews_sent_total counter\n"
                 "framewire_view_previews_sent_total {}\n"
                 "# HELP framewire_view_previews_lost_total Previews a /live client skipped: a "
                 "newer one replaced them while it was still reading.\n"
                 "# TYPE framewire_view_previews_lost_total counter\n"
                 "framewire_view_previews_lost_total {}\n"
                 "# HELP framewire_view_previews_failed_total Frames that could not be read or "
                 "converted to a preview.\n"
                 "# TYPE framewire_view_previews_failed_total counter\n"
                 "framewire_view_previews_failed_total {}\n",
                 clients.load(), live_clients.size(), previews_sent, previews_lost,
                 previews_failed);
  return text;
}

void HttpServer::Impl::handle_request(const std::shared_ptr<HttpSession>& session,
                                      const http::request<http::string_body>& request) {
  if (request.method() != http::verb::get) {
    return session->send_text(http::status::method_not_allowed, "text/plain", "only GET\n");
  }
  const Route route = route_for(request.target());
  switch (route.kind) {
    case RouteKind::kPage:
      return session->send_text(http::status::ok, "text/html; charset=utf-8",
                                std::string(live_page()));
    case RouteKind::kMetrics:
      return session->send_text(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                                metrics_text());
    case RouteKind::kStreams:
      return session->send_text(http::status::ok, "application/json", observe::to_json(figures()));
    case RouteKind::kLive:
      return session->send_text(http::status::bad_request, "text/plain",
                                "/live is a WebSocket: send an Upgrade request\n");
    case RouteKind::kBadName:
      return session->send_text(http::status::bad_request, "text/plain", route.message + "\n");
    case RouteKind::kNotFound:
      return session->send_text(http::status::not_found, "text/plain", "not found\n");
    case RouteKind::kLatest:
      break;
  }
  std::optional<LatestFrame> frame;
  if (sources.feed != nullptr) frame = sources.feed->newest(route.stream);
  if (!frame || !sources.read_frame) {
    return session->send_text(http::status::not_found, "text/plain",
                              fmt::format("no frame of stream '{}' stored yet\n", route.stream));
  }
  // The file is read on the worker thread; the answer is written back here.
  // An init-capture: a copy that is not const, so it can be moved on below.
  auto job = [this, session = std::shared_ptr(session), frame = *frame]() mutable {
    auto bytes = std::make_shared<Result<std::vector<std::uint8_t>>>(
        sources.read_frame(frame.stream, frame.file_name));
    // The session moves into the handler: it is released on the HTTP thread.
    asio::post(io, [session = std::move(session), content_type = content_type_for(frame.file_name),
                    bytes] {
      if (!*bytes) {
        // kBadStream: gone between the event and the read (removed by hand).
        const auto status = bytes->status().code() == ErrorCode::kBadStream
                                ? http::status::not_found
                                : http::status::internal_server_error;
        return session->send_text(status, "text/plain", bytes->status().to_string() + "\n");
      }
      session->send_bytes(content_type, std::move(*bytes).value());
    });
  };
  if (!worker.submit(std::move(job))) {
    session->send_text(http::status::service_unavailable, "text/plain", "busy, try again\n");
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpOptions& options, Sources sources) {
  const auto host_port = split_host_port(options.listen);
  if (!host_port) {
    return Status(ErrorCode::kMalformed,
                  fmt::format("--http '{}' is not HOST:PORT", options.listen));
  }
  auto impl = std::make_unique<Impl>(options, std::move(sources));
  beast::error_code ec;
  tcp::resolver resolver(impl->io);
  const auto endpoints =
      resolver.resolve(host_port->first, host_port->second, tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return Status(ErrorCode::kConnectionFailed,
                  fmt::format("cannot resolve {}: {}", options.listen, ec.message()));
  }
  std::string last_error;
  for (const auto& entry : endpoints) {
    if (!options.allow_public && !entry.endpoint().address().is_loopback()) {
      return Status(ErrorCode::kForbidden,
                    fmt::format("refusing to serve the live view on {}, which is not a loopback "
                                "address: the page has no login; put it behind a reverse proxy "
                                "with authentication and give --http-public",
                                format_endpoint(entry.endpoint())));
    }
    auto& acceptor = impl->acceptor;
    acceptor.open(entry.endpoint().protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(entry.endpoint(), ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) break;
    last_error = fmt::format("{}: {}", format_endpoint(entry.endpoint()), ec.message());
    beast::error_code ignored;
    acceptor.close(ignored);
  }
  if (!impl->acceptor.is_open()) {
    return Status(ErrorCode::kConnectionFailed,
                  fmt::format("cannot listen on {}: {}", options.listen, last_error));
  }
  Impl& server = *impl;
  server.accept();
  server.schedule_figures();
  server.schedule_poll();
  server.thread = std::thread([&server] { server.io.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::string HttpServer::local_address() const {
  if (!impl_) return {};
  beast::error_code ec;
  return format_endpoint(impl_->acceptor.local_endpoint(ec));
}

void HttpServer::stop() {
  if (!impl_) return;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  // After the HTTP thread: a job finishing now posts into a stopped io_context.
  impl_->worker.stop();
  impl_->live_clients.clear();
  // Destroying the io_context destroys its pending handlers and with them
  // every session and its socket: each client sees its connection close.
  impl_.reset();
}

}  // namespace framewire::view
