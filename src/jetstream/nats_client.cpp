// The NATS connection (nats_client.hpp). libnats calls on_publish_ack and
// on_disconnected on its own threads, possibly after the client is gone: they
// find its Callbacks through a registry by id and touch only them (the
// pending map under their mutex, an atomic counter).
#include "jetstream/nats_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include "jetstream/subjects.hpp"

namespace framewire::jetstream {
namespace {

// Async publishes in flight on one connection, over all streams. A receiver's
// window bounds them per connection already; this bounds the whole process.
constexpr int64_t kMaxPendingPublishes = 4096;

std::string strip(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

struct NatsClient::Callbacks {
  std::atomic<std::uint64_t> disconnections = 0;
  std::mutex mutex;
  std::condition_variable answered;
  // In flight, by the message's address (unique while libnats owns it).
  std::unordered_map<const natsMsg*, std::shared_ptr<PublishResult>> pending;
};

namespace {

// The live clients' callback state by id: a callback that comes after its
// client is gone finds nothing and does nothing (but free the message).
std::mutex registry_mutex;
std::unordered_map<std::uintptr_t, std::shared_ptr<NatsClient::Callbacks>>& registry() {
  static auto* clients =
      new std::unordered_map<std::uintptr_t, std::shared_ptr<NatsClient::Callbacks>>();
  return *clients;
}
std::uintptr_t next_id = 1;

// A client's id as libnats' closure: carried, never dereferenced.
void* as_closure(std::uintptr_t id) {
  return reinterpret_cast<void*>(id);  // NOLINT(performance-no-int-to-ptr): an id, not an address
}

std::shared_ptr<NatsClient::Callbacks> callbacks_of(void* closure) {
  std::lock_guard lock(registry_mutex);
  auto it = registry().find(reinterpret_cast<std::uintptr_t>(closure));
  return it == registry().end() ? nullptr : it->second;
}

}  // namespace

NatsClient::NatsClient() : callbacks_(std::make_shared<Callbacks>()) {
  std::lock_guard lock(registry_mutex);
  id_ = next_id++;
  registry().emplace(id_, callbacks_);
}

Result<std::vector<std::string>> parse_server_list(std::string_view url) {
  std::vector<std::string> servers;
  std::size_t start = 0;
  while (start <= url.size()) {
    const std::size_t comma = std::min(url.find(',', start), url.size());
    std::string server = strip(url.substr(start, comma - start));
    start = comma + 1;
    if (server.empty()) {
      return Status(
          ErrorCode::kBadName,
          fmt::format("\"{}\" is not a list of NATS servers (nats://HOST:PORT,...)", url));
    }
    if (server.find("://") == std::string::npos) server.insert(0, "nats://");
    if (!server.starts_with("nats://") && !server.starts_with("tls://")) {
      return Status(ErrorCode::kBadName,
                    fmt::format("NATS server \"{}\": only nats:// and tls:// are known", server));
    }
    const std::size_t colon = server.rfind(':');
    if (colon == std::string::npos || colon < server.find("://") + 3 ||
        colon + 1 == server.size()) {
      return Status(ErrorCode::kBadName,
                    fmt::format("NATS server \"{}\" has no port (nats://HOST:PORT)", server));
    }
    servers.push_back(std::move(server));
    if (comma == url.size()) break;
  }
  return servers;
}

Result<std::unique_ptr<NatsClient>> NatsClient::connect(const NatsEndpoint& endpoint) {
  auto servers = parse_server_list(endpoint.url);
  if (!servers) return servers.status();
  std::unique_ptr<NatsClient> client(new NatsClient());

  natsOptions* raw_options = nullptr;
  if (natsStatus s = natsOptions_Create(&raw_options); s != NATS_OK) {
    return nats_status(s, "cannot set up a NATS connection");
  }
  client->options_.reset(raw_options);
  natsOptions* options = raw_options;
  std::vector<const char*> urls;
  for (const std::string& server : *servers) urls.push_back(server.c_str());
  natsStatus s = natsOptions_SetServers(options, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(options, endpoint.client_name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(options, endpoint.connect_timeout.count());
  // Reconnect forever (a cluster node restarting is routine), quickly.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(options, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(options, 250);
  // No buffering of publishes while reconnecting: a frame published after a
  // disconnection would be stored although one published just before it
  // was lost with the old socket. Failing at once keeps a stream's stored
  // frames a prefix of what its writer published (see NatsClient::publish).
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(options, 1);
  if (s == NATS_OK)
    s = natsOptions_SetDisconnectedCB(options, on_disconnected, as_closure(client->id_));
  if (s == NATS_OK && !endpoint.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(options, endpoint.creds_file.c_str(), nullptr);
  }
  if (s == NATS_OK && !endpoint.tls_ca.empty()) {
    s = natsOptions_SetSecure(options, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(options, endpoint.tls_ca.c_str());
  }
  if (s == NATS_OK && !endpoint.tls_cert.empty()) {
    s = natsOptions_LoadCertificatesChain(options, endpoint.tls_cert.c_str(),
                                          endpoint.tls_key.c_str());
  }
  if (s != NATS_OK) return nats_status(s, "bad NATS connection options", 0, ErrorCode::kBadName);

  natsConnection* connection = nullptr;
  if (s = natsConnection_Connect(&connection, options); s != NATS_OK) {
    return nats_status(s, fmt::format("cannot connect to NATS at {}", endpoint.url));
  }
  client->connection_.reset(connection);

  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.PublishAsync.MaxPending = kMaxPendingPublishes;
  js_options.PublishAsync.AckHandler = on_publish_ack;
  js_options.PublishAsync.AckHandlerClosure = as_closure(client->id_);
  // A full pipeline waits for room rather than failing at once.
  js_options.PublishAsync.StallWait = 10'000;
  jsCtx* js = nullptr;
  if (s = natsConnection_JetStream(&js, connection, &js_options); s != NATS_OK) {
    return nats_status(s, "cannot use JetStream");
  }
  client->js_.reset(js);
  return client;
}

NatsClient::~NatsClient() {
  if (connection_) natsConnection_Close(connection_.get());
  js_.reset();
  connection_.reset();
  // From here a late callback finds no client.
  std::lock_guard lock(registry_mutex);
  registry().erase(id_);
}

std::int64_t NatsClient::max_payload() const {
  return natsConnection_GetMaxPayload(connection_.get());
}

std::uint64_t NatsClient::disconnections() const {
  return callbacks_->disconnections.load();
}

void NatsClient::on_disconnected(natsConnection* /*connection*/, void* closure) {
  if (auto callbacks = callbacks_of(closure)) callbacks->disconnections.fetch_add(1);
}

Status NatsClient::ensure_stream(const std::string& name, int replicas,
                                 std::chrono::milliseconds duplicate_window) {
  if (Status status = validate_jetstream_name(name); !status) return status;
  jsStreamInfo* raw_info = nullptr;
  jsErrCode js_error{};
  natsStatus s = js_GetStreamInfo(&raw_info, js_.get(), name.c_str(), nullptr, &js_error);
  StreamInfoHandle info(raw_info);
  const std::vector<std::string> subjects = stream_subjects(name);
  if (s == NATS_OK) {
    const jsStreamConfig* config = info->Config;
    for (const std::string& subject : subjects) {
      const bool found = std::any_of(config->Subjects, config->Subjects + config->SubjectsLen,
                                     [&](const char* known) { return subject == known; });
      if (!found) {
        return Status(ErrorCode::kStorageError,
                      fmt::format("JetStream stream {} exists without subject {}: it was not made "
                                  "by framewire (give another --nats-stream)",
                                  name, subject));
      }
    }
    if (!config->AllowDirect) {
      return Status(ErrorCode::kStorageError,
                    fmt::format("JetStream stream {} does not allow direct gets (allow_direct), "
                                "which framewire needs to find stored frames",
                                name));
    }
    return Status::ok();
  }
  if (js_error != kJsErrStreamNotFound) {
    return nats_status(s, fmt::format("cannot look up JetStream stream {}", name), js_error);
  }
  std::vector<const char*> subject_pointers;
  subject_pointers.reserve(subjects.size());
  for (const std::string& subject : subjects) subject_pointers.push_back(subject.c_str());
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = name.c_str();
  config.Description = "framewire frames (docs/SCALE.md)";
  config.Subjects = subject_pointers.data();
  config.SubjectsLen = static_cast<int>(subject_pointers.size());
  config.Storage = js_FileStorage;
  config.Replicas = replicas;
  config.AllowDirect = true;
  // Full is full: a new frame is refused (the sender gets storage_error)
  // rather than an old one silently deleted.
  config.Discard = js_DiscardNew;
  config.Duplicates =
      std::chrono::duration_cast<std::chrono::nanoseconds>(duplicate_window).count();
  jsStreamInfo* created = nullptr;
  s = js_AddStream(&created, js_.get(), &config, nullptr, &js_error);
  StreamInfoHandle created_info(created);
  // Another receiver starting at the same moment may have made it first.
  if (s != NATS_OK && js_error != 10058 /* stream name already in use */) {
    return nats_status(s, fmt::format("cannot create JetStream stream {}", name), js_error);
  }
  return Status::ok();
}

Result<std::shared_ptr<PublishResult>> NatsClient::publish(MsgHandle msg) {
  auto result = std::make_shared<PublishResult>();
  natsMsg* raw = msg.release();
  Callbacks& callbacks = *callbacks_;
  {
    std::lock_guard lock(callbacks.mutex);
    callbacks.pending.emplace(raw, result);
  }
  natsStatus s = js_PublishMsgAsync(js_.get(), &raw, nullptr);
  if (s != NATS_OK) {
    // Still ours (libnats cleared `raw` only if it took the message).
    std::lock_guard lock(callbacks.mutex);
    if (raw != nullptr) callbacks.pending.erase(raw);
    natsMsg_Destroy(raw);
    return nats_status(s, "cannot publish to JetStream");
  }
  return result;
}

void NatsClient::on_publish_ack(jsCtx* /*js*/, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error,
                                void* closure) {
  if (auto callbacks = callbacks_of(closure)) {
    {
      std::lock_guard lock(callbacks->mutex);
      auto it = callbacks->pending.find(msg);
      if (it != callbacks->pending.end()) {
        PublishResult& result = *it->second;
        if (ack != nullptr) {
          result.stream_sequence = ack->Sequence;
          result.duplicate = ack->Duplicate;
        } else if (error != nullptr) {
          result.js_error = static_cast<int>(error->ErrCode);
          result.status = Status(
              ErrorCode::kStorageError,
              fmt::format("JetStream refused a frame: {}{}", natsStatus_GetText(error->Err),
                          error->ErrText != nullptr ? fmt::format(" ({})", error->ErrText) : ""));
        } else {
          result.status = Status(ErrorCode::kStorageError, "JetStream gave no answer");
        }
        result.done = true;
        callbacks->pending.erase(it);
      }
    }
    callbacks->answered.notify_all();
  }
  natsMsg_Destroy(msg);
}

bool NatsClient::wait(const std::vector<std::shared_ptr<PublishResult>>& results,
                      std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(callbacks_->mutex);
  // Answers come about in publish order, and every one wakes every waiter:
  // resume the scan where the last wake-up stopped rather than from the start
  // (a group of n frames would cost n^2 checks).
  std::size_t answered = 0;
  return callbacks_->answered.wait_until(lock, deadline, [&] {
    while (answered < results.size() && results[answered]->done) ++answered;
    return answered == results.size();
  });
}

void NatsClient::forget(const std::vector<std::shared_ptr<PublishResult>>& results) {
  std::lock_guard lock(callbacks_->mutex);
  auto& pending = callbacks_->pending;
  for (auto it = pending.begin(); it != pending.end();) {
    const bool ours =
        std::any_of(results.begin(), results.end(), [&](const auto& r) { return r == it->second; });
    it = ours ? pending.erase(it) : std::next(it);
  }
}

}  // namespace framewire::jetstream
