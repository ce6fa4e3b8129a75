// HttpServer: the receiver's live view, /metrics, /streams and
// /streams/NAME/latest over HTTP, and the /live WebSocket (docs/ARCHITECTURE.md,
// "View").
//
// Threads: start() from any thread; the server then runs on an HTTP thread of
// its own (its own Boost.Asio io_context, never the receiver's network loop)
// plus one preview worker thread that reads and converts frames. A stalled
// browser can hold back neither the receiver's loop nor its storage threads:
// they only ever touch the LiveFeed's and ReceiverMetrics' short locks.
// stop() (or the destructor) from any thread but the server's own; it joins
// both threads. The Sources must outlive the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framewire/status.hpp"

namespace framewire::observe {
class ReceiverMetrics;
}  // namespace framewire::observe

namespace framewire::view {

class LiveFeed;

struct HttpOptions {
  std::string listen;         // HOST:PORT, [v6]:PORT; port 0 picks a free one
  bool allow_public = false;  // the page has no login: a non-loopback address needs this
  std::chrono::milliseconds figures_interval{500};
  std::size_t max_clients = 256;  // HTTP and WebSocket clients at once; more are closed
  std::chrono::milliseconds idle_timeout{30'000};  // a keep-alive client that sends nothing
  unsigned max_previews_per_second = 10;           // per stream and palette
};

// What the server reads. Every pointer may be null (that part is then empty).
struct Sources {
  observe::ReceiverMetrics* metrics = nullptr;
  LiveFeed* feed = nullptr;
  // The stored bytes of frame <file_name> of <stream> (storage::Storage::
  // read_frame); called on the preview worker thread, never the HTTP thread.
  // kBadStream when there is no such frame (404), anything else is a 500.
  std::function<Result<std::vector<std::uint8_t>>(std::string_view stream,
                                                  std::string_view file_name)>
      read_frame;
};

class HttpServer {
 public:
  // Binds `options.listen` and starts serving. Errors: kForbidden (a
  // non-loopback address without allow_public), kConnectionFailed (resolve
  // or bind), kMalformed (not HOST:PORT).
  static Result<std::unique_ptr<HttpServer>> start(const HttpOptions& options, Sources sources);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // HOST:PORT with the real port ("127.0.0.1:43121", "[::1]:43121").
  std::string local_address() const;
  // Closes every client and joins the server's threads. Idempotent.
  void stop();

  // Public only so that the sessions in http_server.cpp can name it.
  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace framewire::view
