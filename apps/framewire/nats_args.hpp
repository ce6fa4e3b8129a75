// The NATS options `serve --store` and `sink --from` share: which JetStream
// stream, its replicas, credentials and TLS for the NATS connection.
#pragma once

#include <CLI/CLI.hpp>

#include "framewire/nats_options.hpp"

namespace framewire::cli {

struct NatsArguments {
  NatsOptions options;
  double lease_s = 10;
  double timeout_s = 10;
};

// Adds --nats-stream, --nats-replicas (when `with_replicas`), --nats-creds,
// --nats-tls-ca, --nats-tls-cert, --nats-tls-key, --nats-lease and
// --nats-timeout to `command`. The URL option itself is the command's own
// (--store, --from).
void add_nats_options(CLI::App& command, NatsArguments& args, bool with_replicas);

// Copies the seconds into options; call after parsing.
void finish_nats_options(NatsArguments& args);

}  // namespace framewire::cli
