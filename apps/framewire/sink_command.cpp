// `framewire sink`: reads frames from NATS JetStream into folders until SIGINT/SIGTERM.
#include "sink_command.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>

#include "daemon_setup.hpp"
#include "stop_signals.hpp"

namespace framewire::cli {

void add_sink_command(CLI::App& app, SinkArguments& args) {
  CLI::App* sink = app.add_subcommand(
      "sink", "Store the frames of a NATS JetStream stream into folders, as receivers would have");
  sink->footer(
      "Sinks with the same --durable share the streams (and a sink that stops or dies hands "
      "its streams to the others) and resume where they stopped; each stream is stored as "
      "DIR/STREAM/ with its manifest.jsonl. SIGINT or SIGTERM: stores and acknowledges the "
      "frames in hand, then exits 0.");
  sink->add_option("--from", args.nats.options.url,
                   "NATS servers holding the frames: nats://HOST:PORT[,HOST:PORT...]")
      ->required();
  sink->add_option("--root", args.options.root, "Folder to store into (created if missing)")
      ->required();
  sink->add_option("--filter", args.options.filter,
                   "Streams to store: segments of a name, * for any one segment, > as the last "
                   "for any number ('rig1/*', '*/visible', 'rig1/>'); all by default");
  sink->add_option("--durable", args.options.durable,
                   "Name of this group of sinks (A-Z a-z 0-9 _ -): sinks of one name share the "
                   "work and where each stream stands")
      ->capture_default_str();
  sink->add_option("--sync", args.sync, "none | batch (per batch of frames) | each")
      ->check(CLI::IsMember({"none", "batch", "each"}))
      ->capture_default_str();
  add_nats_options(*sink, args.nats, NatsRole::kSink);
  sink->add_option("--log-level", args.log_level, "trace | debug | info | warn | error")
      ->capture_default_str();
  sink->add_option("--log-interval", args.log_interval_s,
                   "Seconds between the one-line summaries of each stream that stored frames "
                   "meanwhile; 0: none")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

int run_sink(SinkArguments& args) {
  finish_nats_options(args.nats);
  args.options.nats = args.nats.options;
  log_to_stderr(args.log_level);
  args.options.sync = sync_mode_named(args.sync);
  args.options.log_interval = seconds_to_ms(args.log_interval_s);

  // As serve: over a file-size limit a write fails with EFBIG instead of the kernel killing us.
  std::signal(SIGXFSZ, SIG_IGN);
  // Before any thread exists (libnats starts its own), so that only the watcher gets them.
  StopSignals::block();

  auto sink = Sink::create(args.options);
  if (!sink) {
    std::fprintf(stderr, "framewire sink: error: %s\n", sink.status().to_string().c_str());
    return sink.status().code() == ErrorCode::kBadName ? 2 : 1;
  }
  const std::string filter = args.options.filter.empty() ? "all streams" : args.options.filter;
  std::printf("framewire sink reading JetStream stream %s at %s (filter %s) into %s\n",
              args.options.nats.stream.c_str(), args.options.nats.url.c_str(), filter.c_str(),
              args.options.root.c_str());
  std::fflush(stdout);

  {
    StopSignals watcher([&sink](int signal_number, int /*count*/) {
      spdlog::info("received {}, stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
      (*sink)->stop();
    });
    (*sink)->run();
  }
  const SinkStats stats = (*sink)->stats();
  spdlog::info(
      "stopped: {} frames ({:.1f} MB) stored, {} already stored, {} rejected, {} "
      "failures retried",
      stats.frames_stored, static_cast<double>(stats.bytes_stored) / 1e6,
      stats.frames_already_stored, stats.frames_rejected, stats.failures);
  return 0;
}

}  // namespace framewire::cli
