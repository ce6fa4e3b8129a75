// The sink (include/framewire/sink.hpp): which streams this sink reads. Every
// discover_interval it lists the frame subjects matching the filter and the
// sinks alive with the same durable name and filter (a presence lease each,
// in the same <NAME>_sinks bucket as the stream leases), and holds its fair
// share of the streams, ceil(streams / sinks): it takes free ones while it
// holds fewer, and gives one up per round while it holds more (a sink that
// just joined). A stream is read by a SinkStream on a thread of its own while
// its lease is held. The lease keys are "<durable>.stream.<tokens>" and
// "<durable>.sink.<XXH3 of the filter>.<random id>": different durable names
// never meet, and sinks with different filters do not count each other (each
// group's shares add up to at least its streams, so none is left unread).
//
// Threading: run() and everything it calls on the caller's thread; stop()
// and stats() from any thread.
#include "framewire/sink.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <vector>

#include "jetstream/lease_table.hpp"
#include "jetstream/nats_client.hpp"
#include "jetstream/sink_stream.hpp"
#include "jetstream/subject_listing.hpp"
#include "jetstream/subjects.hpp"
#include "storage/file_io.hpp"
#include "storage/stream_store.hpp"
#include "storage/sync_mode.hpp"

namespace framewire {

using jetstream::Lease;
using jetstream::LeaseTable;
using jetstream::NatsClient;
using jetstream::SinkStream;

namespace {

constexpr std::size_t kMaxDurableBytes = 32;

Status validate_durable(std::string_view durable) {
  const bool ok = !durable.empty() && durable.size() <= kMaxDurableBytes &&
                  std::all_of(durable.begin(), durable.end(), [](char c) {
                    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '_' || c == '-';
                  });
  if (ok) return Status::ok();
  return Status(ErrorCode::kBadName,
                fmt::format("a durable name has 1 to {} bytes of A-Z a-z 0-9 _ - only: \"{}\"",
                            kMaxDurableBytes, durable));
}

// The replicas of JetStream stream `name`, for the sinks' lease bucket; 1
// when it cannot be read (not created yet).
int stream_replicas(jsCtx* js, const std::string& name) {
  jsStreamInfo* raw = nullptr;
  jsErrCode js_error{};
  const natsStatus s = js_GetStreamInfo(&raw, js, name.c_str(), nullptr, &js_error);
  jetstream::StreamInfoHandle info(raw);
  if (s != NATS_OK || info->Config == nullptr) return 1;
  return std::max(1, static_cast<int>(info->Config->Replicas));
}

std::string random_id() {
  std::random_device device;
  return storage::hex64((static_cast<std::uint64_t>(device()) << 32) ^ device());
}

}  // namespace

struct Sink::State {
  jetstream::SinkContext context;
  std::string filter_subject;  // <NAME>.frame.<filter>
  std::string bucket;          // <NAME>_sinks
  std::string owner;           // who holds our leases, for others' messages
  // Members in the order they must be built; destroyed the other way round
  // (streams release their leases before the table goes, and the table
  // renews through the client).
  std::unique_ptr<NatsClient> client;
  std::unique_ptr<storage::StorageRoot> root;
  std::unique_ptr<LeaseTable> leases;
  std::unique_ptr<Lease> presence;
  std::vector<std::unique_ptr<SinkStream>> streams;  // run()'s thread only

  std::string last_problem;  // the last discovery problem logged, not to repeat it
  std::size_t last_sinks = 0;
  std::size_t last_total = 0;
  std::atomic<std::uint64_t> streams_held = 0;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;

  std::string stream_key(const std::string& stream) const {
    return context.options.durable + ".stream." + jetstream::stream_tokens(stream);
  }
  std::string sink_key_prefix() const {
    return context.options.durable + ".sink." +
           storage::hex64(XXH3_64bits(filter_subject.data(), filter_subject.size())) + ".";
  }

  Status take_presence() {
    auto lease = leases->acquire(sink_key_prefix() + random_id(), "this sink");
    if (!lease) return lease.status();
    presence = std::move(lease).value();
    return Status::ok();
  }

  void log_problem(const Status& status) {
    if (status.message() == last_problem) return;
    last_problem = status.message();
    if (status.code() == ErrorCode::kBadStream) {
      spdlog::info("sink: {}; waiting for a receiver to store frames there", status.message());
    } else {
      spdlog::warn("sink: {}", status.to_string());
    }
  }

  // The framewire streams matching the filter, in name order.
  Result<std::vector<std::string>> discover() {
    auto subjects =
        jetstream::list_subjects(client->js(), context.options.nats.stream, filter_subject);
    if (!subjects) return subjects.status();
    std::vector<std::string> names;
    for (const auto& entry : *subjects) {
      if (auto name =
              jetstream::stream_of_frame_subject(context.options.nats.stream, entry.subject)) {
        names.push_back(std::move(*name));
      }
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // Sinks of our durable name and filter alive now (their presence leases),
  // at least 1.
  std::size_t count_sinks() {
    const std::string prefix = "$KV." + bucket + ".";
    auto subjects =
        jetstream::list_subjects(client->js(), "KV_" + bucket, prefix + sink_key_prefix() + "*");
    if (!subjects) return std::max<std::size_t>(last_sinks, 1);
    std::size_t alive = 0;
    for (const auto& entry : *subjects) {
      // A released lease leaves a delete marker until the bucket's TTL.
      auto taken = leases->taken(entry.subject.substr(prefix.size()));
      if (taken && *taken) ++alive;
    }
    return std::max<std::size_t>(alive, 1);
  }

  void reap() {
    std::erase_if(streams,
                  [](const std::unique_ptr<SinkStream>& stream) { return stream->finished(); });
  }

  void round() {
    reap();
    if (presence && !presence->held()) presence.reset();
    if (!presence) {
      if (Status status = take_presence(); !status) {
        log_problem(status);
        return;
      }
    }
    auto names = discover();
    if (!names) {
      log_problem(names.status());
      return;
    }
    last_problem.clear();
    const std::size_t total = names->size();
    const std::size_t sinks = count_sinks();
    const std::size_t share = (total + sinks - 1) / sinks;
    if (sinks != last_sinks || total != last_total) {
      spdlog::info("sink: {} stream{} to read, {} sink{} sharing them", total,
                   total == 1 ? "" : "s", sinks, sinks == 1 ? "" : "s");
      last_sinks = sinks;
      last_total = total;
    }
    std::size_t held = static_cast<std::size_t>(std::count_if(
        streams.begin(), streams.end(), [](const auto& s) { return !s->stopping(); }));
    if (held > share) {
      // One per round, so that the others see it free before we give more.
      for (auto it = streams.rbegin(); it != streams.rend(); ++it) {
        if ((*it)->stopping()) continue;
        spdlog::info("sink: stream {}: given up for another sink ({} sinks share {} streams)",
                     (*it)->stream(), sinks, total);
        (*it)->request_stop();
        break;
      }
    } else if (held < share) {
      take_free_streams(*names, share - held);
    }
    streams_held = streams.size();
  }

  void take_free_streams(const std::vector<std::string>& names, std::size_t wanted) {
    // Each sink starts looking at another place, so that sinks starting
    // together do not all race for the same streams first.
    const std::size_t start =
        names.empty() ? 0 : XXH3_64bits(owner.data(), owner.size()) % names.size();
    for (std::size_t k = 0; k < names.size() && wanted > 0; ++k) {
      const std::string& name = names[(start + k) % names.size()];
      const bool ours = std::any_of(streams.begin(), streams.end(),
                                    [&](const auto& s) { return s->stream() == name; });
      if (ours) continue;
      const std::string key = stream_key(name);
      auto taken = leases->taken(key);
      if (!taken) {
        log_problem(taken.status());
        return;
      }
      if (*taken) continue;
      auto lease = leases->acquire(key, fmt::format("stream \"{}\"", name));
      if (!lease) {
        if (lease.status().code() != ErrorCode::kStreamBusy) log_problem(lease.status());
        continue;
      }
      spdlog::info("sink: stream {}: taken", name);
      streams.push_back(std::make_unique<SinkStream>(context, name, std::move(lease).value()));
      --wanted;
    }
  }
};

Result<std::unique_ptr<Sink>> Sink::create(const SinkOptions& options) {
  if (options.nats.url.empty()) {
    return Status(ErrorCode::kBadName, "no NATS server to read from (nats://HOST:PORT)");
  }
  if (options.root.empty()) return Status(ErrorCode::kBadName, "no folder to store into");
  if (Status status = jetstream::validate_jetstream_name(options.nats.stream); !status) {
    return status;
  }
  if (Status status = validate_durable(options.durable); !status) return status;
  if (options.batch_frames == 0)
    return Status(ErrorCode::kBadName, "batch_frames must be at least 1");
  auto filter_subject = jetstream::frame_filter_subject(options.nats.stream, options.filter);
  if (!filter_subject) return filter_subject.status();
  if (auto servers = jetstream::parse_server_list(options.nats.url); !servers) {
    return servers.status();
  }

  auto state = std::make_unique<State>();
  state->context.options = options;
  state->filter_subject = std::move(filter_subject).value();
  state->bucket = options.nats.stream + "_sinks";
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  state->owner = fmt::format("framewire sink {} on {} (pid {})", options.durable,
                             host[0] != '\0' ? host : "?", ::getpid());

  auto client = NatsClient::connect(jetstream::NatsEndpoint{.url = options.nats.url,
                                                            .creds_file = options.nats.creds_file,
                                                            .tls_ca = options.nats.tls_ca,
                                                            .tls_cert = options.nats.tls_cert,
                                                            .tls_key = options.nats.tls_key,
                                                            .client_name = state->owner});
  if (!client) return client.status();
  state->client = std::move(client).value();
  state->context.client = state->client.get();

  auto root =
      storage::StorageRoot::open_shared(options.root, storage::to_sync_policy(options.sync));
  if (!root) return root.status();
  state->root = std::move(root).value();
  state->context.root = state->root.get();

  auto leases = LeaseTable::open(*state->client, state->bucket,
                                 stream_replicas(state->client->js(), options.nats.stream),
                                 options.nats.lease_ttl, state->owner);
  if (!leases) return leases.status();
  state->leases = std::move(leases).value();
  if (state->leases->ttl() != options.nats.lease_ttl) {
    spdlog::warn(
        "sink: the lease bucket {} expires leases after {:.1f} s (it was made so by an "
        "earlier sink); this sink uses that, not {:.1f} s",
        state->bucket, std::chrono::duration<double>(state->leases->ttl()).count(),
        std::chrono::duration<double>(options.nats.lease_ttl).count());
  }
  // Present before the first round, so that sinks started together see
  // each other and split the streams from the start.
  if (Status status = state->take_presence(); !status) return status;
  return std::unique_ptr<Sink>(new Sink(std::move(state)));
}

Sink::Sink(std::unique_ptr<State> state) : state_(std::move(state)) {}

Sink::~Sink() = default;

void Sink::run() {
  State& state = *state_;
  while (true) {
    {
      std::lock_guard lock(state.mutex);
      if (state.stopping) break;
    }
    state.round();
    std::unique_lock lock(state.mutex);
    state.wake.wait_for(lock, state.context.options.discover_interval,
                        [&] { return state.stopping; });
  }
  // Each stream finishes its batch in hand, then they are joined.
  for (auto& stream : state.streams) stream->request_stop();
  state.streams.clear();
  state.streams_held = 0;
  state.presence.reset();
}

void Sink::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
}

SinkStats Sink::stats() const {
  const jetstream::SinkCounters& counters = state_->context.counters;
  return SinkStats{.streams_held = state_->streams_held.load(),
                   .frames_stored = counters.frames_stored.load(),
                   .bytes_stored = counters.bytes_stored.load(),
                   .frames_already_stored = counters.frames_already_stored.load(),
                   .frames_rejected = counters.frames_rejected.load(),
                   .failures = counters.failures.load()};
}

}  // namespace framewire
