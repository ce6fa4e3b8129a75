// `framewire sink`: argument definitions and the command itself (docs/SCALE.md, "Sink").
#pragma once

#include <CLI/CLI.hpp>

#include "framewire/sink.hpp"
#include "nats_args.hpp"

namespace framewire::cli {

struct SinkArguments {
  SinkOptions options;
  std::string sync = "batch";
  double log_interval_s = 10;
  std::string log_level = "info";
  NatsArguments nats;
};

void add_sink_command(CLI::App& app, SinkArguments& args);
int run_sink(SinkArguments& args);

}  // namespace framewire::cli
