// Where a NATS JetStream store is and how to reach it: used by a Receiver
// storing into JetStream instead of a folder (ReceiverOptions::nats) and by a
// Sink reading from it (docs/SCALE.md). Plain values.
#pragma once

#include <chrono>
#include <string>

namespace framewire {

struct NatsOptions {
  // nats://HOST:PORT[,HOST:PORT...] (tls:// too; a bare HOST:PORT is
  // nats://): servers of the cluster to try. Empty: no NATS.
  std::string url;
  std::string stream = "FRAMEWIRE";  // the JetStream stream, created if missing
  int replicas = 1;                  // its replicas (and its lease bucket's), 1 to 5
  std::string creds_file;            // NATS credentials (.creds: JWT and NKey seed)
  std::string tls_ca;                // CA of the servers' certificates: TLS when set
  std::string tls_cert;              // client certificate and key, when servers verify them
  std::string tls_key;
  // A writer's (or sink's) lease on a stream lapses this long after its
  // holder stops renewing it: how long a dead receiver keeps its streams.
  std::chrono::milliseconds lease_ttl{10'000};
  // How long to wait for JetStream to confirm published frames.
  std::chrono::milliseconds publish_timeout{10'000};
};

}  // namespace framewire
