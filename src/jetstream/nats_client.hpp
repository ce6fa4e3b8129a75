// One connection to a NATS cluster with JetStream, as framewire's receivers
// and sinks use it: connecting (servers, credentials, TLS), making sure the
// JetStream stream and key-value buckets exist, and publishing frames
// asynchronously with a result per message.
//
// Threading: every member may be called from any thread (libnats
// serialises on the connection); publish results are filled in on
// libnats' own threads (under the callbacks' mutex) and waited for with
// wait().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "framewire/status.hpp"
#include "jetstream/nats_handles.hpp"

namespace framewire::jetstream {

struct NatsEndpoint {
  // nats://HOST:PORT[,HOST:PORT...] (or tls://): every server of the cluster
  // that may be tried; libnats learns the rest from the cluster.
  std::string url;
  std::string creds_file;  // a .creds file (JWT + NKey seed); empty: none
  std::string tls_ca;      // CA (PEM) that signed the servers' certificates; TLS when set
  std::string tls_cert;    // client certificate (PEM) and key, for servers that verify clients
  std::string tls_key;
  std::string client_name = "framewire";
  std::chrono::milliseconds connect_timeout{5'000};
};

// The servers of a --store/--from URL list, each as nats://HOST:PORT (a
// bare HOST:PORT gets nats://). kBadName (a usage error) for anything else.
Result<std::vector<std::string>> parse_server_list(std::string_view url);

// The outcome of one asynchronous publish.
struct PublishResult {
  bool done = false;
  Status status;     // set when JetStream refused it or it timed out
  int js_error = 0;  // the JetStream error code of a refusal, 0 if none
  std::uint64_t stream_sequence = 0;
  bool duplicate = false;  // JetStream had this Nats-Msg-Id already
};

class NatsClient {
 public:
  // Connects to one of the servers. kStorageError (with libnats' words)
  // when none answers within connect_timeout.
  static Result<std::unique_ptr<NatsClient>> connect(const NatsEndpoint& endpoint);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  natsConnection* connection() { return connection_.get(); }
  jsCtx* js() { return js_.get(); }
  // The server's max_payload: the largest message it takes.
  std::int64_t max_payload() const;
  // Counts disconnections: a publish made before one may have been lost
  // while a later one is stored, so a writer compares this before and after.
  std::uint64_t disconnections() const;

  // Creates JetStream stream `name` (subjects stream_subjects(name), file
  // storage, `replicas`, AllowDirect, discard new, a duplicate window of
  // `duplicate_window`) if missing; an existing one must have those subjects
  // (kStorageError otherwise, naming the difference).
  Status ensure_stream(const std::string& name, int replicas,
                       std::chrono::milliseconds duplicate_window);

  // Publishes `msg` (taken over) asynchronously; the returned result is
  // filled in when JetStream answers (wait()). A refusal to even send
  // (disconnected, too many in flight for too long) is returned at once.
  Result<std::shared_ptr<PublishResult>> publish(MsgHandle msg);
  // Waits until every result in `results` is done or `deadline` passes;
  // false on timeout (unfinished ones stay pending and are dropped by
  // forget()).
  bool wait(const std::vector<std::shared_ptr<PublishResult>>& results,
            std::chrono::steady_clock::time_point deadline);
  // Stops tracking unfinished `results` (a late answer is then ignored).
  void forget(const std::vector<std::shared_ptr<PublishResult>>& results);

  // What libnats' callbacks touch (defined in nats_client.cpp). They may
  // still run, on libnats' threads, while or after this client is
  // destroyed, so they reach it through a registry by id, never through a
  // pointer to the client.
  struct Callbacks;

 private:
  NatsClient();
  static void on_publish_ack(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error,
                             void* closure);
  static void on_disconnected(natsConnection* connection, void* closure);

  std::shared_ptr<Callbacks> callbacks_;
  std::uintptr_t id_ = 0;  // the callbacks' closure
  OptionsHandle options_;
  ConnectionHandle connection_;
  JsHandle js_;
};

}  // namespace framewire::jetstream
