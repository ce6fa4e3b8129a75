// The receiver's storage as a NATS JetStream stream (docs/SCALE.md): any
// number of receivers become stateless gateways to one replicated store.
//
// A frame is published as it arrives (a large one in parts as its bytes
// come), asynchronously, and commit() waits for JetStream's PubAck of every
// frame of the group: with replicas 3 a frame is acknowledged to its sender
// only once a quorum of the cluster stored it. Where a stream resumes comes
// from the last message on its subject. One writer per stream across all
// receivers: a lease in the <NAME>_writers bucket refuses a second one at
// open (stream_busy), and the first frame of every group carries
// Nats-Expected-Last-Subject-Sequence, so a writer that lost its lease can
// never append after another's frames.
//
// Threading: as storage.hpp: open_stream and read_frame from any thread; a
// stream and its frames from one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "framewire/nats_options.hpp"
#include "framewire/status.hpp"
#include "jetstream/nats_client.hpp"
#include "jetstream/subjects.hpp"
#include "storage/storage.hpp"

namespace framewire::jetstream {

struct JetStreamOptions {
  NatsEndpoint endpoint;
  std::string stream{kDefaultStreamName};  // the JetStream stream, created if missing
  int replicas = 1;
  // How long a dead receiver's streams stay locked to it.
  std::chrono::milliseconds lease_ttl{10'000};
  // How long commit() waits for PubAcks before the connection is told to
  // retry (kTimeout).
  std::chrono::milliseconds publish_timeout{10'000};
  // JetStream's duplicate window for a stream framewire creates.
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(10)};
  // Who holds a lease, for the message a refused writer gets.
  std::string owner = "a framewire receiver";
};

// The internal options from the public ones; `role` names the client to the
// NATS server and in lease holders ("framewire serve on 127.0.0.1:7000").
JetStreamOptions jetstream_options(const NatsOptions& nats, const std::string& role);

class JetStreamStorage final : public storage::Storage {
 public:
  // Connects, makes sure the stream and the lease bucket exist.
  // kStorageError when NATS cannot be reached or refuses.
  static Result<std::unique_ptr<JetStreamStorage>> open(const JetStreamOptions& options);
  ~JetStreamStorage() override;
  JetStreamStorage(const JetStreamStorage&) = delete;
  JetStreamStorage& operator=(const JetStreamStorage&) = delete;

  Result<std::unique_ptr<storage::StreamStorage>> open_stream(
      std::string_view name, std::string_view source_kind) override;
  // Only the latest frame of a stream is found by name (kBadStream for
  // older ones): JetStream has no index by file name.
  Result<std::vector<std::uint8_t>> read_frame(std::string_view stream, std::string_view file_name,
                                               std::uint64_t max_bytes) override;

  struct Shared;

 private:
  explicit JetStreamStorage(std::unique_ptr<Shared> shared);
  Result<std::unique_ptr<storage::StreamStorage>> try_open_stream(std::string_view name,
                                                                  std::string_view source_kind);
  std::unique_ptr<Shared> shared_;
};

}  // namespace framewire::jetstream
