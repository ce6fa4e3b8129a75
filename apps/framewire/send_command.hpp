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
};

void add_send_command(CLI::App& app, SendArguments& args);
int run_send(SendArguments& args);

}  // namespace framewire::cli
