#include "serve_command.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "daemon_setup.hpp"
#include "stop_signals.hpp"

namespace framewire::cli {

namespace {

// The format of `serve --config FILE`: CLI11's TOML-like `key = value` lines, keys being serve's
// long option names. CLI11 2.1 (Debian bookworm's) reads a configuration file for the main
// program only, so the main program holds the file option, hidden, and this format files every
// key under `serve`: `root = "/srv/frames"` sets serve's --root. Options given on the command
// line win over the file's.
class ServeConfigFormat : public CLI::ConfigTOML {
 public:
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::vector<CLI::ConfigItem> parsed = CLI::ConfigTOML::from_config(input);
    for (CLI::ConfigItem& item : parsed) item.parents.insert(item.parents.begin(), "serve");
    return parsed;
  }
};

}  // namespace

void add_serve_command(CLI::App& app, ServeArguments& args) {
  CLI::App* serve = app.add_subcommand(
      "serve", "Receive frames and store them under a folder, or in NATS JetStream");
  serve->footer(
      "A configuration file (--config) has one `key = value` line per long option, without its "
      "dashes: root = \"/srv/frames\", listen = \"0.0.0.0:7878\", insecure = true; # starts a "
      "comment; an unknown key is an error; the command line wins over the file.\n"
      "SIGINT or SIGTERM: stores and acknowledges the frames received completely, then exits 0.");
  CLI::Option* config_file = app.set_config("--config")->group("");
  app.config_formatter(std::make_shared<ServeConfigFormat>());
  app.allow_config_extras(CLI::config_extras_mode::error);
  serve
      ->add_option_function<std::string>(
          "--config", [config_file](const std::string& file) { config_file->add_result(file); },
          "Read options from FILE (see below)")
      ->check(CLI::ExistingFile)
      ->configurable(false)
      // Hand the file to the main program while parsing, before it reads configuration files.
      ->trigger_on_parse();
  CLI::Option* root =
      serve->add_option("--root", args.options.root, "Storage folder (created if missing)");
  serve
      ->add_option("--store", args.nats.options.url,
                   "Store in NATS JetStream instead of a folder: nats://HOST:PORT[,HOST:PORT...] "
                   "(docs/SCALE.md)")
      ->excludes(root);
  add_nats_options(*serve, args.nats, NatsRole::kReceiver);
  serve->add_option("--listen", args.options.listen, "HOST:PORT to listen on; port 0 picks one")
      ->capture_default_str();
  serve->add_option("--sync", args.sync, "none | batch (group commit) | each")
      ->check(CLI::IsMember({"none", "batch", "each"}))
      ->capture_default_str();
  serve
      ->add_option("--max-frame-bytes", args.options.max_frame_bytes,
                   "Largest frame accepted, bytes (suffixes KB, MB, GB allowed)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  serve
      ->add_option("--window-bytes", args.options.window_bytes,
                   "Unacknowledged bytes a sender may have in flight")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  serve
      ->add_option("--window-frames", args.options.window_frames,
                   "Unacknowledged frames a sender may have in flight")
      ->capture_default_str();
  serve
      ->add_option("--handshake-timeout", args.handshake_timeout_s,
                   "Seconds a new connection has to send its HELLO")
      ->capture_default_str();
  serve
      ->add_option("--idle-timeout", args.idle_timeout_s,
                   "Seconds without progress before a connection is dropped")
      ->capture_default_str();
  serve
      ->add_option("--storage-threads", args.options.storage_threads,
                   "Threads doing file I/O (the network loop never does)")
      ->capture_default_str();
  serve
      ->add_option("--read-buffer-pool", args.options.read_buffer_pool_bytes,
                   "Bytes of 64 KiB read buffers all connections may hold at once; senders wait "
                   "when they are taken (suffixes KB, MB, GB allowed)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  serve
      ->add_option("--max-connections", args.options.max_connections,
                   "Connections open at once, overall")
      ->capture_default_str();
  serve
      ->add_option("--max-connections-per-address", args.options.max_connections_per_address,
                   "Connections open at once from one address")
      ->capture_default_str();
  serve
      ->add_option("--max-handshaking", args.options.max_handshaking,
                   "Connections without a HELLO yet; the oldest is dropped beyond this")
      ->capture_default_str();
  serve->add_option("--tls-cert", args.options.tls_cert, "Server certificate (PEM) for TLS 1.3")
      ->check(CLI::ExistingFile);
  serve->add_option("--tls-key", args.options.tls_key, "Server private key (PEM)")
      ->check(CLI::ExistingFile);
  serve
      ->add_option("--tls-client-ca", args.options.tls_client_ca,
                   "CA (PEM) that must have signed every client certificate")
      ->check(CLI::ExistingFile);
  serve->add_flag("--insecure", args.options.insecure, "Allow plain TCP on a non-loopback address");
  serve
      ->add_option("--http", args.options.http_listen,
                   "HOST:PORT for the live view, /metrics and /streams (off by default)")
      ->type_name("HOST:PORT");
  serve->add_flag("--http-public", args.options.http_public,
                  "Allow --http on a non-loopback address (the page has no login: put it "
                  "behind a reverse proxy with authentication)");
  serve->add_option("--log-level", args.log_level, "trace | debug | info | warn | error")
      ->capture_default_str();
  serve
      ->add_option("--log-interval", args.log_interval_s,
                   "Seconds between the one-line summaries of each open stream; 0: none")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

int run_serve(ServeArguments& args) {
  if (args.options.root.empty() && args.nats.options.url.empty()) {
    std::fprintf(stderr,
                 "framewire serve: error: give --root DIR (a folder) or --store nats://... "
                 "(NATS JetStream)\n");
    return 2;
  }
  finish_nats_options(args.nats);
  args.options.nats = args.nats.options;
  log_to_stderr(args.log_level);
  args.options.sync = sync_mode_named(args.sync);
  args.options.handshake_timeout = seconds_to_ms(args.handshake_timeout_s);
  args.options.idle_timeout = seconds_to_ms(args.idle_timeout_s);
  args.options.log_interval = seconds_to_ms(args.log_interval_s);

  // Over a file-size limit (ulimit -f) the kernel would kill the whole
  // receiver with SIGXFSZ; ignored, the write fails with EFBIG and only the
  // stream concerned gets a storage_error.
  std::signal(SIGXFSZ, SIG_IGN);
  // Block the stop signals before any thread exists, so only the watcher
  // thread receives them.
  StopSignals::block();

  auto receiver = Receiver::create(args.options);
  if (!receiver) {
    std::fprintf(stderr, "framewire serve: error: %s\n", receiver.status().to_string().c_str());
    // A refused configuration (a public address without --insecure or
    // --http-public) is a usage mistake, like send's: exit code 2.
    const ErrorCode code = receiver.status().code();
    return code == ErrorCode::kForbidden || code == ErrorCode::kBadName ? 2 : 1;
  }
  const char* transport = args.options.tls_cert.empty() ? "plain TCP" : "mutual TLS 1.3";
  if (args.nats.options.url.empty()) {
    std::printf("framewire receiver listening on %s, storing under %s (sync %s, %s)\n",
                (*receiver)->local_address().c_str(), args.options.root.c_str(), args.sync.c_str(),
                transport);
  } else {
    std::printf(
        "framewire receiver listening on %s, storing in JetStream stream %s at %s "
        "(replicas %d, %s)\n",
        (*receiver)->local_address().c_str(), args.nats.options.stream.c_str(),
        args.nats.options.url.c_str(), args.nats.options.replicas, transport);
  }
  if (const std::string http = (*receiver)->http_address(); !http.empty()) {
    std::printf("live view on http://%s/ (metrics: /metrics, streams: /streams)\n", http.c_str());
  }
  std::fflush(stdout);

  {
    StopSignals watcher([&receiver](int signal_number, int /*count*/) {
      spdlog::info("received {}, stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
      (*receiver)->stop();
    });
    (*receiver)->run();
  }
  const ReceiverStats stats = (*receiver)->stats();
  spdlog::info("stopped: {} connections, {} frames, {:.1f} MB stored", stats.connections,
               stats.frames_stored, static_cast<double>(stats.bytes_stored) / 1e6);
  return 0;
}

}  // namespace framewire::cli
