// The receiving end: accepts many senders at once on one event loop and
// stores their frames under a root folder (docs/ARCHITECTURE.md).
//
// Threading: create() and run() on one thread; stop() from any thread or a
// signal handler context that is not async-signal-only (the CLI calls it from
// an Asio signal_set); subscribe_frames() from any thread. File I/O never runs on the network loop:
// it runs on a small storage thread pool owned by the Receiver.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "framewire/frame_feed.hpp"
#include "framewire/nats_options.hpp"
#include "framewire/status.hpp"

namespace framewire {

enum class SyncMode {
  kNone,   // never fsync: fastest, an OS crash may lose acknowledged frames
  kBatch,  // fsync a group of frames and their folder together, then ack them
  kEach,   // fsync every frame and its folder before acknowledging it
};

struct ReceiverOptions {
  std::string root;  // storage folder, created if missing
  // Store into NATS JetStream instead (docs/SCALE.md) when nats.url is set;
  // `root` and `sync` are then unused (JetStream's replicas are the
  // durability). Frames fed to subscribe_frames() then have no path.
  NatsOptions nats;
  std::string listen = "127.0.0.1:0";  // HOST:PORT, [v6]:PORT; port 0 picks a free one
  SyncMode sync = SyncMode::kBatch;
  std::uint64_t max_frame_bytes = std::uint64_t{256} << 20;
  std::uint64_t window_bytes = std::uint64_t{32} << 20;
  std::uint32_t window_frames = 8192;
  std::uint32_t max_streams_per_connection = 64;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  // How long a stopping receiver waits for a connection to write its last
  // acknowledgements before closing it anyway.
  std::chrono::milliseconds shutdown_grace{5'000};
  unsigned storage_threads = 2;
  // Every this often, one log line per open stream (fps, MB/s, frames,
  // rejects, drops, latency, age of the last frame); 0 turns them off.
  std::chrono::milliseconds log_interval{10'000};
  // Bytes of read buffers (64 KiB each) handed out to connections at once,
  // over all of them. A connection takes a buffer only while it has bytes to
  // read and until they are stored (at most 4 buffers per connection), so an
  // idle connection holds none; when all are taken, a sender is held back
  // until one comes back. At least one buffer.
  std::uint64_t read_buffer_pool_bytes = std::uint64_t{64} << 20;

  // Admission. Connections that have not finished their handshake are the
  // cheapest to open, so they are capped lower and the oldest of them is
  // dropped to make room: a flood of idle connections cannot lock out a
  // sender that says HELLO at once.
  std::uint32_t max_connections = 1024;
  std::uint32_t max_connections_per_address = 256;
  std::uint32_t max_handshaking = 64;

  // Mutual TLS 1.3: all three or none. A client certificate's common name
  // limits the streams that client may write (see ReceiverSession).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Plain TCP is refused on a non-loopback address unless this is set.
  bool insecure = false;

  // The live view, /metrics and /streams over HTTP on HOST:PORT (port 0 picks
  // one); empty: off. The page has no login, so a non-loopback address is
  // refused unless http_public is set (put it behind an authenticating proxy).
  std::string http_listen;
  bool http_public = false;
};

// Totals since the receiver started; for logs and tests.
struct ReceiverStats {
  std::uint64_t connections = 0;
  std::uint64_t frames_stored = 0;
  std::uint64_t bytes_stored = 0;
};

// Internal figures for the library's own use (src/net/receiver_internal.hpp).
struct ReceiverInternals;

class Receiver {
 public:
  // Opens the storage root (cleaning temporary leftovers), binds the
  // listening socket and, with http_listen, starts the HTTP server on a
  // thread of its own. Errors: kStorageError (root), kConnectionFailed
  // (bind), kForbidden (a public http_listen without http_public).
  static Result<std::unique_ptr<Receiver>> create(const ReceiverOptions& options);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // The bound address as HOST:PORT with the real port.
  std::string local_address() const;
  std::uint16_t port() const;
  // The HTTP server's HOST:PORT with the real port; "" without http_listen.
  std::string http_address() const;

  // Serves until stop(); then finishes in-flight frames, acknowledges them,
  // closes every connection and returns.
  void run();
  // Thread-safe; may be called before or during run().
  void stop();

  ReceiverStats stats() const;

  // Frames stored from now on (resends of frames already stored are not delivered), to a new
  // feed. Any thread, before or during run(). The receiver closes every feed when run() returns
  // (frames already queued can still be taken; then next() returns nullopt and closed() is true).
  // The feed may outlive the Receiver. A lossless feed holds back storage while it is full;
  // stop() releases it (FrameFeedOptions::lossless). Letting go of the feed closes it.
  std::shared_ptr<FrameFeed> subscribe_frames(const FrameFeedOptions& options = {});

 private:
  friend struct ReceiverInternals;
  struct Impl;
  explicit Receiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace framewire
