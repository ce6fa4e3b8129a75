#include "send_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "progress_bar.hpp"

namespace framewire::cli {

namespace {

constexpr std::size_t kRejectionsShown = 20;

// Pairs the i-th --stream with the i-th folder and the i-th --source (one
// --source applies to every stream; none means "visible").
Result<std::vector<StreamSpec>> pair_streams(const SendArguments& args) {
  if (args.streams.size() != args.folders.size()) {
    return Status(ErrorCode::kMalformed,
                  fmt::format("{} --stream given for {} folder(s); give one --stream NAME per "
                              "folder, e.g. --stream rig1/visible vis/ --stream rig1/infrared ir/",
                              args.streams.size(), args.folders.size()));
  }
  if (args.sources.size() > 1 && args.sources.size() != args.streams.size()) {
    return Status(ErrorCode::kMalformed,
                  fmt::format("{} --source given for {} streams; give one, or one per stream",
                              args.sources.size(), args.streams.size()));
  }
  std::vector<StreamSpec> specs;
  for (std::size_t i = 0; i < args.streams.size(); ++i) {
    StreamSpec spec{.name = args.streams[i], .folder = args.folders[i]};
    if (!args.sources.empty()) spec.source_kind = args.sources[args.sources.size() == 1 ? 0 : i];
    specs.push_back(std::move(spec));
  }
  return specs;
}

void print_summary(const SendSummary& summary, bool json) {
  const double seconds = std::max(summary.seconds, 1e-9);
  const double mb = static_cast<double>(summary.bytes) / 1e6;
  if (json) {
    nlohmann::json out{{"frames", summary.frames},
                       {"bytes", summary.bytes},
                       {"streams", summary.streams},
                       {"seconds", summary.seconds},
                       {"mb_per_s", mb / seconds},
                       {"frames_per_s", static_cast<double>(summary.frames) / seconds},
                       {"rejected", summary.rejected.size()},
                       {"already_stored_frames", summary.already_stored_frames},
                       {"reconnects", summary.reconnects}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::string extra;
    if (summary.already_stored_frames > 0) {
      extra += fmt::format(", {} already stored", summary.already_stored_frames);
    }
    if (summary.reconnects > 0) extra += fmt::format(", {} reconnects", summary.reconnects);
    std::printf(
        "sent %llu frames, %.1f MB on %llu stream(s) in %.2f s: %.1f MB/s, %.0f frames/s%s\n",
        static_cast<unsigned long long>(summary.frames), mb,
        static_cast<unsigned long long>(summary.streams), summary.seconds, mb / seconds,
        static_cast<double>(summary.frames) / seconds, extra.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

void add_send_command(CLI::App& app, SendArguments& args) {
  CLI::App* send = app.add_subcommand(
      "send",
      "Send every file of DIR as frames of stream NAME; repeat --stream NAME [--source KIND] DIR "
      "to send several folders over one connection");
  send->add_option("--to", args.to, "Receiver HOST:PORT")->required();
  send->add_option("--stream", args.streams, "Stream name, e.g. rig1/visible (repeatable)")
      ->required()
      ->allow_extra_args(false);
  send->add_option("--source", args.sources,
                   "Source kind: visible, infrared or another label (one, or one per stream)")
      ->allow_extra_args(false);
  send->add_option("folders", args.folders, "Folder(s) of frames, one per --stream")->required();
  send->add_flag("--json", args.json, "Print the summary as JSON");
  send->add_flag("--no-progress", args.no_progress, "No progress bar, even on a terminal");
  send->add_option("--connect-timeout", args.connect_timeout_s, "Seconds to wait for a connection")
      ->capture_default_str();
  send->add_option("--retry-for", args.retry_for_s,
                   "Keep reconnecting for this many seconds without progress (0: never)")
      ->capture_default_str();
  send->add_option("--retry-max-backoff", args.retry_max_backoff_s,
                   "Longest pause between two connection attempts, seconds")
      ->capture_default_str();
  send->add_option("--ack-timeout", args.ack_timeout_s,
                   "Drop a connection on which, with frames unacknowledged, no reply arrives and "
                   "nothing can be written for this many seconds, and reconnect (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  send->add_flag("--retry-on-storage-error", args.retry_on_storage_error,
                 "When the receiver cannot store (disk full), wait and retry instead of failing");
  send->add_option("--tls-ca", args.tls_ca, "CA (PEM) to verify the receiver with; enables TLS")
      ->check(CLI::ExistingFile);
  send->add_option("--tls-cert", args.tls_cert, "This sender's certificate (PEM)")
      ->check(CLI::ExistingFile);
  send->add_option("--tls-key", args.tls_key, "This sender's private key (PEM)")
      ->check(CLI::ExistingFile);
  send->add_flag("--insecure", args.insecure, "Allow plain TCP to a non-loopback address");
}

int run_send(SendArguments& args) {
  auto streams = pair_streams(args);
  if (!streams) {
    std::fprintf(stderr, "framewire send: error: %s\n", streams.status().message().c_str());
    return 2;
  }
  // A bad name or a missing folder is a usage error: report it before
  // connecting, rather than after a connection and its retries.
  if (Status checked = check_streams(*streams); !checked) {
    std::fprintf(stderr, "framewire send: error: %s\n", checked.message().c_str());
    return 2;
  }
  SenderOptions options{.to = args.to, .streams = std::move(streams).value()};
  auto ms = [](double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
  };
  options.connect_timeout = ms(args.connect_timeout_s);
  options.retry_for = ms(args.retry_for_s);
  options.backoff_max = ms(args.retry_max_backoff_s);
  options.ack_timeout = ms(args.ack_timeout_s);
  options.retry_storage_errors = args.retry_on_storage_error;
  options.tls_ca = args.tls_ca;
  options.tls_cert = args.tls_cert;
  options.tls_key = args.tls_key;
  options.insecure = args.insecure;
  ProgressBar bar(stderr);
  if (!args.no_progress && isatty(STDERR_FILENO)) {
    options.on_progress = [&bar](const SendProgress& progress) { bar.draw(progress); };
  }
  options.on_notice = [&bar](const std::string& notice) {
    bar.clear();
    std::fprintf(stderr, "framewire send: %s\n", notice.c_str());
  };

  auto summary = send_folders(options);
  bar.clear();
  if (!summary) {
    std::fprintf(stderr, "framewire send: error: %s\n", summary.status().to_string().c_str());
    return 1;
  }
  print_summary(*summary, args.json);
  if (!summary->rejected.empty()) {
    std::fprintf(stderr, "framewire send: the receiver refused %zu frame(s):\n",
                 summary->rejected.size());
    for (std::size_t i = 0; i < summary->rejected.size() && i < kRejectionsShown; ++i) {
      const RejectedFrame& frame = summary->rejected[i];
      std::fprintf(stderr, "  %s/%s: %s\n", frame.stream.c_str(), frame.file_name.c_str(),
                   frame.reason.to_string().c_str());
    }
    return 1;
  }
  return 0;
}

}  // namespace framewire::cli
