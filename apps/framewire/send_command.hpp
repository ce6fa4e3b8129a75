// `framewire send`: argument definitions and the command itself.
#pragma once

#include <CLI/CLI.hpp>

#include "framewire/sender.hpp"

namespace framewire::cli {

struct SendArguments {
  std::string to;
  std::vector<std::string> streams;
  std::vector<std::string> sources;
  std::vector<std::string> folders;
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
};

void add_send_command(CLI::App& app, SendArguments& args);
int run_send(SendArguments& args);

}  // namespace framewire::cli
