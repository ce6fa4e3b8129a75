#include "nats_args.hpp"

#include <chrono>

namespace framewire::cli {

void add_nats_options(CLI::App& command, NatsArguments& args, NatsRole role) {
  const bool receiver = role == NatsRole::kReceiver;
  const std::string group = "NATS JetStream (docs/SCALE.md)";
  command
      .add_option("--nats-stream", args.options.stream,
                  receiver ? "JetStream stream holding the frames (created if missing)"
                           : "JetStream stream holding the frames")
      ->group(group)
      ->capture_default_str();
  if (receiver) {
    command
        .add_option("--nats-replicas", args.options.replicas,
                    "Replicas of the JetStream stream when it is created (3: a frame is "
                    "acknowledged once a quorum of the cluster has it)")
        ->group(group)
        ->check(CLI::Range(1, 5))
        ->capture_default_str();
  }
  command.add_option("--nats-creds", args.options.creds_file, "NATS credentials file (.creds)")
      ->group(group)
      ->check(CLI::ExistingFile);
  command
      .add_option("--nats-tls-ca", args.options.tls_ca,
                  "CA (PEM) of the NATS servers' certificates: connect with TLS")
      ->group(group)
      ->check(CLI::ExistingFile);
  command
      .add_option("--nats-tls-cert", args.options.tls_cert,
                  "Client certificate (PEM) for NATS servers that verify clients")
      ->group(group)
      ->check(CLI::ExistingFile);
  command.add_option("--nats-tls-key", args.options.tls_key, "Its private key (PEM)")
      ->group(group)
      ->check(CLI::ExistingFile);
  command
      .add_option("--nats-lease", args.lease_s,
                  receiver ? "Seconds a stream stays locked to a receiver that stopped renewing "
                             "its lease (killed); its senders resume through another after that"
                           : "Seconds a stream stays with a sink that stopped renewing its lease "
                             "(killed) before another sink of the same --durable takes it")
      ->group(group)
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  if (receiver) {
    command
        .add_option("--nats-timeout", args.timeout_s,
                    "Seconds to wait for JetStream to confirm frames (and to answer when a stream "
                    "is opened) before the sender is told to retry")
        ->group(group)
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
  }
}

void finish_nats_options(NatsArguments& args) {
  args.options.lease_ttl = std::chrono::milliseconds(static_cast<long long>(args.lease_s * 1000));
  args.options.publish_timeout =
      std::chrono::milliseconds(static_cast<long long>(args.timeout_s * 1000));
}

}  // namespace framewire::cli
