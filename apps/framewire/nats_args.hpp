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

enum class NatsRole { kReceiver, kSink };

// Adds --nats-stream, --nats-creds, --nats-tls-ca, --nats-tls-cert,
// --nats-tls-key and --nats-lease to `command`, and for a receiver
// --nats-replicas and --nats-timeout, each worded for `role`. The URL
// option itself is the command's own (--store, --from).
void add_nats_options(CLI::App& command, NatsArguments& args, NatsRole role);

// Copies the seconds into options; call after parsing.
void finish_nats_options(NatsArguments& args);

}  // namespace framewire::cli
