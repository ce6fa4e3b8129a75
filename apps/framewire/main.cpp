// The framewire command line: parses arguments and calls the library.
//   framewire serve --root DIR --listen HOST:PORT [...]
//   framewire serve --config FILE [...]
//   framewire send --to HOST:PORT [--to HOST:PORT...] --stream NAME [--source KIND]
//                  (DIR | --capture SRC) [...]
//   framewire sink --from nats://HOST:PORT[,...] --root DIR [--filter F] [...]
//   framewire --version
// Exit codes: 0 done, 1 failed, 2 a usage error (arguments, names, sources: found before
// anything is sent), 128+N cancelled by signal N; 70 an unexpected internal failure.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "framewire/version.hpp"
#include "send_command.hpp"
#include "serve_command.hpp"
#include "sink_command.hpp"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"framewire: move image frames from senders to a receiver, fast and safely"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "framewire " + std::string(framewire::kVersion));

  framewire::cli::ServeArguments serve_args;
  framewire::cli::add_serve_command(app, serve_args);
  framewire::cli::SendArguments send_args;
  framewire::cli::add_send_command(app, send_args);
  framewire::cli::SinkArguments sink_args;
  framewire::cli::add_sink_command(app, sink_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ConfigError& error) {
    // An unknown key in `serve --config FILE`, which CLI11 words "INI was not able to parse
    // serve.KEY".
    std::fprintf(stderr, "framewire serve --config: %s (keys are serve's long options)\n",
                 error.what());
    return 2;
  } catch (const CLI::ParseError& error) {
    // --help and --version end here with 0; a malformed command line is a usage error (2),
    // like the mistakes the commands find themselves.
    const int printed = app.exit(error);
    return printed == 0 ? 0 : 2;
  }
  if (app.got_subcommand("serve")) return framewire::cli::run_serve(serve_args);
  if (app.got_subcommand("send")) return framewire::cli::run_send(send_args);
  if (app.got_subcommand("sink")) return framewire::cli::run_sink(sink_args);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // The library reports errors as values; what can still throw here is the
  // standard library (allocation) or the argument parser's own setup.
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "framewire: fatal: %s\n", error.what());
    return 70;
  }
}
