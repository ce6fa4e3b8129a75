// A sink's durable consumer per stream (sink_consumer.hpp).
#include "jetstream/sink_consumer.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <optional>

#include "jetstream/subjects.hpp"
#include "storage/file_io.hpp"

namespace framewire::jetstream {
namespace {

using ConsumerInfoHandle =
    std::unique_ptr<jsConsumerInfo, NatsDeleter<jsConsumerInfo, jsConsumerInfo_Destroy>>;

constexpr int kJsErrConsumerNotFound = 10014;

// What a consumer's information says about where it stands.
struct ConsumerState {
  std::string name;
  std::int64_t created = 0;
  // JetStream sequence of the last message acknowledged with all before it.
  // The server says 0 until the first ack, also for a consumer made to start
  // at a later sequence: then it is that start less one.
  std::uint64_t ack_floor = 0;
  std::int64_t ack_pending = 0;  // messages handed out and not acknowledged

  bool has_unacknowledged() const { return ack_pending > 0; }
};

Result<std::optional<ConsumerState>> consumer_state(jsCtx* js, const std::string& jetstream,
                                                    const std::string& name) {
  jsConsumerInfo* raw = nullptr;
  jsErrCode js_error{};
  const natsStatus s =
      js_GetConsumerInfo(&raw, js, jetstream.c_str(), name.c_str(), nullptr, &js_error);
  ConsumerInfoHandle info(raw);
  if (s == NATS_NOT_FOUND || js_error == kJsErrConsumerNotFound) {
    return std::optional<ConsumerState>();
  }
  if (s != NATS_OK) {
    return nats_status(s, fmt::format("cannot read JetStream consumer {}", name), js_error);
  }
  std::uint64_t ack_floor = info->AckFloor.Stream;
  if (info->Config != nullptr && info->Config->DeliverPolicy == js_DeliverByStartSequence &&
      info->Config->OptStartSeq > 0) {
    ack_floor = std::max(ack_floor, info->Config->OptStartSeq - 1);
  }
  return std::optional<ConsumerState>(ConsumerState{.name = name,
                                                    .created = info->Created,
                                                    .ack_floor = ack_floor,
                                                    .ack_pending = info->NumAckPending});
}

Status delete_consumer(jsCtx* js, const std::string& jetstream, const std::string& name) {
  jsErrCode js_error{};
  const natsStatus s = js_DeleteConsumer(js, jetstream.c_str(), name.c_str(), nullptr, &js_error);
  if (s == NATS_OK || s == NATS_NOT_FOUND || js_error == kJsErrConsumerNotFound) {
    return Status::ok();
  }
  return nats_status(s, fmt::format("cannot delete JetStream consumer {}", name), js_error);
}

// Creates consumer `name` delivering the frames of `subject` after JetStream
// sequence `after` (0: from the start).
Status create_consumer(jsCtx* js, const std::string& jetstream, const std::string& name,
                       const std::string& subject, const std::string& stream, std::uint64_t after,
                       std::chrono::milliseconds ack_wait) {
  const std::string description = fmt::format("framewire sink of stream {}", stream);
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = name.c_str();
  config.Description = description.c_str();
  config.FilterSubject = subject.c_str();
  config.AckPolicy = js_AckExplicit;
  config.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(ack_wait).count();
  if (after == 0) {
    config.DeliverPolicy = js_DeliverAll;
  } else {
    config.DeliverPolicy = js_DeliverByStartSequence;
    config.OptStartSeq = after + 1;
  }
  jsConsumerInfo* raw = nullptr;
  jsErrCode js_error{};
  const natsStatus s = js_AddConsumer(&raw, js, jetstream.c_str(), &config, nullptr, &js_error);
  ConsumerInfoHandle info(raw);
  if (s != NATS_OK) {
    return nats_status(s, fmt::format("cannot create JetStream consumer {}", name), js_error);
  }
  return Status::ok();
}

}  // namespace

std::string sink_consumer_base(std::string_view durable, std::string_view stream) {
  return std::string(durable) + "-" + storage::hex64(XXH3_64bits(stream.data(), stream.size()));
}

Result<SinkConsumer> open_sink_consumer(NatsClient& client, const std::string& jetstream,
                                        const std::string& durable, const std::string& stream,
                                        std::chrono::milliseconds ack_wait) {
  jsCtx* js = client.js();
  const std::string base = sink_consumer_base(durable, stream);
  const std::string names[2] = {base + "-a", base + "-b"};
  const std::string subject = frame_subject(jetstream, stream);

  std::optional<ConsumerState> found[2];
  for (int i = 0; i < 2; ++i) {
    auto state = consumer_state(js, jetstream, names[i]);
    if (!state) return state.status();
    found[i] = std::move(*state);
  }
  if (found[0] && found[1]) {
    // A reset was cut short after the replacement was made: the newer one
    // starts where the older one's ack floor was, and nobody acknowledged
    // anything on the older one since.
    const int older = found[0]->created <= found[1]->created ? 0 : 1;
    if (Status status = delete_consumer(js, jetstream, names[older]); !status) return status;
    found[older].reset();
  }
  SinkConsumer consumer;
  int current = found[1] ? 1 : 0;
  if (!found[current]) {
    if (Status status =
            create_consumer(js, jetstream, names[current], subject, stream, 0, ack_wait);
        !status) {
      return status;
    }
  } else if (found[current]->has_unacknowledged()) {
    // Replace it (see the header): the new one first, then the old one.
    const std::uint64_t after = found[current]->ack_floor;
    const int other = 1 - current;
    if (Status status =
            create_consumer(js, jetstream, names[other], subject, stream, after, ack_wait);
        !status) {
      return status;
    }
    if (Status status = delete_consumer(js, jetstream, names[current]); !status) return status;
    current = other;
    consumer.ack_floor = after;
    consumer.was_reset = true;
  } else {
    consumer.ack_floor = found[current]->ack_floor;
  }
  consumer.name = names[current];

  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = jetstream.c_str();
  options.Consumer = consumer.name.c_str();
  natsSubscription* raw = nullptr;
  jsErrCode js_error{};
  const natsStatus s =
      js_PullSubscribe(&raw, js, subject.c_str(), nullptr, nullptr, &options, &js_error);
  if (s != NATS_OK) {
    return nats_status(s, fmt::format("cannot read through JetStream consumer {}", consumer.name),
                       js_error);
  }
  consumer.subscription.reset(raw);
  return consumer;
}

}  // namespace framewire::jetstream
