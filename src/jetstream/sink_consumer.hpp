// The durable JetStream consumer through which a sink reads one framewire
// stream (docs/SCALE.md, "Sink"): a pull consumer on the stream's frame
// subject, explicit acks, named after the sink's durable name and a hash of
// the stream name.
//
// A consumer hands out new messages before it redelivers unacknowledged
// ones, so a sink taking over a stream whose last reader died with frames in
// hand would see later frames first and leave a gap. Every reading session
// therefore starts in order from the consumer's ack floor: a consumer with
// unacknowledged messages is replaced by one starting right after its ack
// floor. The replacement is made before the old one is deleted, under the
// other of two names (<base>-a, <base>-b), so a sink dying in between leaves
// two consumers, of which the newer is right.
//
// Threading: any thread; the caller holds the stream's sink lease, so no
// other sink touches these consumers meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "framewire/status.hpp"
#include "jetstream/nats_client.hpp"
#include "jetstream/nats_handles.hpp"

namespace framewire::jetstream {

// "<durable>-<XXH3-64 of the stream name, hex>": consumer names are
// [A-Za-z0-9_-], so the stream cannot appear as it is.
std::string sink_consumer_base(std::string_view durable, std::string_view stream);

// A bound pull subscription, in order from the first unacknowledged frame.
struct SinkConsumer {
  SubscriptionHandle subscription;
  std::string name;
  std::uint64_t ack_floor = 0;  // JetStream sequence of the last frame acknowledged in order
  bool was_reset = false;       // replaced a consumer that had unacknowledged frames
};

// Finds, creates or resets the consumer of framewire stream `stream` of
// JetStream stream `jetstream` for sinks named `durable`, and binds a pull
// subscription to it. `ack_wait`: how long a fetched frame may stay
// unacknowledged before JetStream would deliver it again. kStorageError with
// libnats' words when JetStream refuses or does not answer.
Result<SinkConsumer> open_sink_consumer(NatsClient& client, const std::string& jetstream,
                                        const std::string& durable, const std::string& stream,
                                        std::chrono::milliseconds ack_wait);

}  // namespace framewire::jetstream
