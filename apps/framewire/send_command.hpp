// `framewire send`: argument definitions and the command itself. Streams come from folders
// and from captures (`--capture SRC`), any mix, over one connection; stream_args.hpp says how
// the per-stream options are grouped. The CLI thread, plus a signal watcher (stop_signals.hpp).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "framewire/sender.hpp"

namespace framewire::cli {

struct SendArguments {
  // Every --to, in order: the first receiver, then the ones to move to when it fails.
  std::vector<std::string> to;
  // Per-stream options, each in command-line order; grouped into streams by
  // group_stream_args() from the subcommand's parse order.
  std::vector<std::string> streams;
  std::vector<std::string> sources;
  std::vector<std::string> folders;
  std::vector<std::string> captures;
  std::vector<std::string> encodes;
  std::vector<std::string> queues;
  // Every capture of the run.
  std::string frames;    // --frames N; empty: no limit
  std::string duration;  // --duration SECONDS; empty: no limit
  bool no_pace = false;
  bool json = false;
  bool no_progress = false;
  double connect_timeout_s = 10;
  double retry_for_s = 60;
  double retry_max_backoff_s = 5;
  double ack_timeout_s = 30;
  bool retry_on_storage_error = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool insecure = false;
  CLI::App* command = nullptr;  // the `send` subcommand, for the order of its options
};

void add_send_command(CLI::App& app, SendArguments& args);
int run_send(SendArguments& args);

}  // namespace framewire::cli
