// `framewire serve`: argument definitions and the command itself.
#pragma once

#include <CLI/CLI.hpp>

#include "framewire/receiver.hpp"
#include "nats_args.hpp"

namespace framewire::cli {

struct ServeArguments {
  ReceiverOptions options;
  std::string sync = "batch";
  double handshake_timeout_s = 10;
  double idle_timeout_s = 30;
  double log_interval_s = 10;
  std::string log_level = "info";
  NatsArguments nats;
};

void add_serve_command(CLI::App& app, ServeArguments& args);
int run_serve(ServeArguments& args);

}  // namespace framewire::cli
