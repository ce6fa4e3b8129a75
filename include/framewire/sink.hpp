// The sink: reads the frames receivers stored in NATS JetStream
// (ReceiverOptions::nats, docs/SCALE.md) and materialises them into the
// usual folder layout, ROOT/<stream>/<frame> with ROOT/<stream>/manifest.jsonl,
// exactly as a folder receiver would have written them. Each framewire
// stream is read by a durable JetStream consumer, in order, by one sink at a
// time: several sinks with the same `durable` split the streams between them
// (leases in the <stream>_sinks key-value bucket), a stream whose sink died
// is taken over once its lease lapses, and a restarted sink resumes after the
// last frame it acknowledged, without gaps or duplicates.
//
// Threading: create() and run() on one thread; stop() and stats() from any
// thread (stop() also before run()). run() uses a thread per stream it holds.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "framewire/nats_options.hpp"
#include "framewire/receiver.hpp"
#include "framewire/status.hpp"

namespace framewire {

struct SinkOptions {
  // Where the frames are: nats.url and nats.stream; credentials and TLS.
  // nats.lease_ttl: how long a stream stays with a sink that stopped
  // renewing its lease (killed). nats.replicas and nats.publish_timeout are
  // unused (the lease bucket gets the JetStream stream's replicas; a sink
  // publishes nothing).
  NatsOptions nats;
  std::string root;  // the folder, created if missing; may be shared by sinks
  // Which streams: segments of a stream name, '*' for any one segment, '>'
  // as the last for one or more ("rig1/*", "*/visible", "rig1/>"); empty:
  // every stream.
  std::string filter;
  // Sinks with the same durable name share the work and the position of
  // every stream; another name reads every stream again from its start.
  // 1 to 32 bytes of [A-Za-z0-9_-].
  std::string durable = "framewire-sink";
  SyncMode sync = SyncMode::kBatch;  // as a folder receiver's --sync
  // Frames fetched, stored and committed (synced) together per stream.
  std::uint32_t batch_frames = 64;
  // A frame larger than this is not loaded (the stream stops there, with an
  // error in the log, until a sink with a larger limit reads it).
  std::uint64_t max_frame_bytes = std::uint64_t{4} << 30;
  // How often the stream list is read again (new streams, lapsed leases).
  std::chrono::milliseconds discover_interval{1'000};
  // Every this often, one log line per stream held; 0: none.
  std::chrono::milliseconds log_interval{10'000};
  // The first wait before a stream that failed (a storage error, a frame
  // that cannot be loaded) is tried again; doubled up to 30 s.
  std::chrono::milliseconds retry_delay{1'000};
};

// Totals since the sink started; for logs and tests.
struct SinkStats {
  std::uint64_t streams_held = 0;   // now
  std::uint64_t frames_stored = 0;  // new in the folder
  std::uint64_t bytes_stored = 0;
  std::uint64_t frames_already_stored = 0;  // delivered again, found stored as they are
  std::uint64_t frames_rejected = 0;        // refused by the folder (name clash), acknowledged
  std::uint64_t failures = 0;               // stream sessions ended by an error (retried)
};

class Sink {
 public:
  // Checks the options (kBadName for a filter, durable or stream name that
  // breaks the rules), connects to NATS and opens the root (kStorageError
  // when NATS cannot be reached or the folder cannot be opened).
  static Result<std::unique_ptr<Sink>> create(const SinkOptions& options);
  ~Sink();
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // Reads until stop(): then finishes the frames in hand (stored and
  // acknowledged), gives up its streams and returns.
  void run();
  void stop();

  SinkStats stats() const;

  struct State;

 private:
  explicit Sink(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace framewire
