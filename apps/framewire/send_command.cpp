#include "send_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "capture/capture_spec.hpp"
#include "live/capture_pump.hpp"
#include "live/prepared_capture.hpp"
#include "progress_bar.hpp"
#include "stop_signals.hpp"
#include "stream_args.hpp"

namespace framewire::cli {

namespace {

constexpr std::size_t kRejectionsShown = 20;
constexpr int kExitUsage = 2;
constexpr int kExitFailed = 1;
constexpr std::chrono::milliseconds kSameInterruption{250};

// --frames, --duration and --no-pace: the same for every capture of the run.
struct CaptureLimits {
  std::optional<std::uint64_t> max_frames;
  std::optional<std::chrono::nanoseconds> max_duration;
  bool pace = true;
};

Result<CaptureLimits> parse_capture_limits(const SendArguments& args, bool any_capture) {
  CaptureLimits limits;
  limits.pace = !args.no_pace;
  if (!any_capture && (!args.frames.empty() || !args.duration.empty() || args.no_pace)) {
    return Status(ErrorCode::kMalformed,
                  fmt::format("{} applies to --capture streams, and none is given",
                              !args.frames.empty()     ? "--frames"
                              : !args.duration.empty() ? "--duration"
                                                       : "--no-pace"));
  }
  if (!args.frames.empty()) {
    std::uint64_t frames = 0;
    const auto [end, error] =
        std::from_chars(args.frames.data(), args.frames.data() + args.frames.size(), frames);
    if (error != std::errc() || end != args.frames.data() + args.frames.size() || frames == 0) {
      return Status(ErrorCode::kMalformed,
                    fmt::format("--frames {}: give a whole number of frames, 1 or more, that "
                                "each capture takes before it ends",
                                args.frames));
    }
    limits.max_frames = frames;
  }
  if (!args.duration.empty()) {
    char* end = nullptr;
    const double seconds = std::strtod(args.duration.c_str(), &end);
    // Up to a year: beyond that, "no --duration" says it better (and nanoseconds overflow
    // far later still).
    if (end != args.duration.c_str() + args.duration.size() || !std::isfinite(seconds) ||
        seconds <= 0 || seconds > 365.0 * 24 * 3600) {
      return Status(ErrorCode::kMalformed,
                    fmt::format("--duration {}: give the seconds every capture runs, more than 0 "
                                "(e.g. 10 or 2.5)",
                                args.duration));
    }
    limits.max_duration = std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9));
  }
  return limits;
}

// What SIGINT and SIGTERM do to a send. The first asks for a clean end when the run has
// captures: every capture stops, and what was captured is sent and acknowledged (exit 0). A
// second one, or the first on a run of folders only, cancels (exit 128 + the signal). One
// arriving before the send has started ends the process at once, as if unhandled. Signals
// within kSameInterruption of the first count as that one: `timeout` sends its SIGTERM twice
// (to the command, then to its process group), while a person asking twice is slower.
//
// Threads: attach() and detach() on the main thread, on_signal() on the signal watcher; the
// pointers and the signal that cancelled are guarded by mutex_.
class Interrupts {
 public:
  explicit Interrupts(ProgressBar& bar) : bar_(bar) {}

  void attach(Sender& sender, live::CapturePump& pump, bool has_captures) {
    std::lock_guard lock(mutex_);
    sender_ = &sender;
    pump_ = &pump;
    has_captures_ = has_captures;
  }
  // From now on signals are ignored: the send is over, only its summary is left to print.
  void detach() {
    std::lock_guard lock(mutex_);
    sender_ = nullptr;
    pump_ = nullptr;
    detached_ = true;
  }
  // The signal that cancelled the send, or 0.
  int cancelled_by() const {
    std::lock_guard lock(mutex_);
    return cancelled_by_;
  }

  void on_signal(int signal_number, int count) {
    std::lock_guard lock(mutex_);
    if (detached_) return;
    if (sender_ == nullptr) StopSignals::terminate_by(signal_number);
    const auto now = std::chrono::steady_clock::now();
    if (count > 1 && now - first_signal_at_ < kSameInterruption) return;
    if (count == 1) first_signal_at_ = now;
    const char* name = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
    if (count == 1 && has_captures_) {
      bar_.notice(
          fmt::format("{}: stopping the captures, sending what was captured (again to "
                      "cancel)",
                      name));
      pump_->stop();
      return;
    }
    if (cancelled_by_ != 0) return;
    bar_.notice(fmt::format("{}: cancelling", name));
    cancelled_by_ = signal_number;
    pump_->stop();
    sender_->cancel();
  }

 private:
  ProgressBar& bar_;
  mutable std::mutex mutex_;
  Sender* sender_ = nullptr;
  live::CapturePump* pump_ = nullptr;
  bool has_captures_ = false;
  bool detached_ = false;
  int cancelled_by_ = 0;
  std::chrono::steady_clock::time_point first_signal_at_{};
};

nlohmann::json latency_json(const LatencySummary& latency) {
  return {{"p50", latency.p50_ms},
          {"p95", latency.p95_ms},
          {"p99", latency.p99_ms},
          {"max", latency.max_ms}};
}

nlohmann::json stream_json(const StreamSummary& stream) {
  return {{"name", stream.name},
          {"source_kind", stream.source_kind},
          {"frames", stream.frames},
          {"bytes", stream.bytes},
          {"already_stored_frames", stream.already_stored_frames},
          {"frames_captured", stream.frames_captured},
          {"frames_dropped", stream.frames_dropped},
          {"dropped_queue", stream.dropped_queue},
          {"dropped_cut", stream.dropped_cut},
          {"dropped_source", stream.dropped_source},
          {"frames_rejected", stream.frames_rejected},
          {"latency_ms",
           {{"capture_to_handed", latency_json(stream.capture_to_handed)},
            {"handed_to_stored", latency_json(stream.handed_to_stored)}}}};
}

// `streams` is the command line's list, in the order the streams were added (so in the order
// of summary.streams).
void print_summary(const SendSummary& summary, const std::vector<StreamArgs>& streams, bool json) {
  const double seconds = std::max(summary.seconds, 1e-9);
  const double mb = static_cast<double>(summary.bytes) / 1e6;
  if (json) {
    nlohmann::json per_stream = nlohmann::json::array();
    for (const StreamSummary& stream : summary.streams) per_stream.push_back(stream_json(stream));
    nlohmann::json out{{"frames", summary.frames},
                       {"bytes", summary.bytes},
                       {"streams", std::move(per_stream)},
                       {"seconds", summary.seconds},
                       {"mb_per_s", mb / seconds},
                       {"frames_per_s", static_cast<double>(summary.frames) / seconds},
                       {"rejected", summary.rejected.size()},
                       {"already_stored_frames", summary.already_stored_frames},
                       {"frames_dropped", summary.frames_dropped},
                       {"reconnects", summary.reconnects}};
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
    return;
  }
  std::string extra;
  if (summary.already_stored_frames > 0) {
    extra += fmt::format(", {} already stored", summary.already_stored_frames);
  }
  if (summary.frames_dropped > 0) extra += fmt::format(", {} dropped", summary.frames_dropped);
  if (summary.reconnects > 0) extra += fmt::format(", {} reconnects", summary.reconnects);
  std::printf("sent %llu frames, %.1f MB on %zu stream(s) in %.2f s: %.1f MB/s, %.0f frames/s%s\n",
              static_cast<unsigned long long>(summary.frames), mb, summary.streams.size(),
              summary.seconds, mb / seconds, static_cast<double>(summary.frames) / seconds,
              extra.c_str());
  for (std::size_t i = 0; i < summary.streams.size() && i < streams.size(); ++i) {
    if (!streams[i].is_capture()) continue;
    const StreamSummary& stream = summary.streams[i];
    std::string dropped = fmt::format("{} dropped", stream.frames_dropped);
    if (stream.frames_dropped > 0) {
      dropped += fmt::format(" ({} queue full, {} cut, {} by the source)", stream.dropped_queue,
                             stream.dropped_cut, stream.dropped_source);
    }
    std::printf(
        "  %s (%s): %llu captured, %llu stored, %s; handed->stored p50 %.1f ms, p99 %.1f "
        "ms\n",
        stream.name.c_str(), streams[i].capture.c_str(),
        static_cast<unsigned long long>(stream.frames_captured),
        static_cast<unsigned long long>(stream.frames), dropped.c_str(),
        stream.handed_to_stored.p50_ms, stream.handed_to_stored.p99_ms);
  }
  std::fflush(stdout);
}

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

// Adds the stream to the Sender (checking its name and kind, and a folder's existence); a
// capture stream gets its policy here, the kind's default unless --live/--archive said.
Result<StreamId> add_stream(Sender& sender, const StreamArgs& stream, bool pace) {
  if (!stream.is_capture()) {
    return sender.add_folder(
        {.name = stream.name, .source_kind = stream.source_kind, .folder = stream.folder});
  }
  Result<capture::CaptureSpec> spec = capture::parse_capture_spec(stream.capture);
  if (!spec) return spec.status();
  return sender.add_stream(
      {.name = stream.name,
       .source_kind = stream.source_kind,
       .policy = stream.policy.value_or(live::default_policy(spec->kind, pace)),
       .queue_frames = stream.queue_frames});
}

int usage_error(const Status& status) {
  std::fprintf(stderr, "framewire send: error: %s\n", status.message().c_str());
  return kExitUsage;
}

}  // namespace

void add_send_command(CLI::App& app, SendArguments& args) {
  CLI::App* send = app.add_subcommand(
      "send",
      "Send frames as streams over one connection: each --stream NAME takes the folder DIR or "
      "the --capture SRC that follows it (and the per-stream options given before the next "
      "--stream); repeat for several streams");
  args.command = send;
  send->add_option("--to", args.to,
                   "Receiver HOST:PORT; repeat for receivers of the same storage that the send "
                   "moves to, in turn, when a connection fails or is lost, resuming there")
      ->type_name("HOST:PORT")
      ->required()
      ->allow_extra_args(false);
  send->add_option(kStreamOption, args.streams,
                   "Stream name, e.g. rig1/visible; starts a stream (repeatable)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  send->add_option(kSourceOption, args.sources,
                   "Source kind of the stream: visible (default), infrared or another label")
      ->type_name("KIND")
      ->allow_extra_args(false);
  send->add_option(kCaptureOption, args.captures,
                   "Capture instead of a folder: testsrc:WxH@FPS, irsrc:WxH@FPS, file:PATH, "
                   "v4l2:/dev/videoN[,size=WxH][,fps=N][,format=mjpeg], follow:DIR")
      ->type_name("SRC")
      ->allow_extra_args(false);
  send->add_option(kEncodeOption, args.encodes,
                   "Capture encoding: jpeg[:QUALITY], png, png16 or raw (default: jpeg for 8-bit "
                   "images, png16 for 16-bit, raw for follow:)")
      ->type_name("ENCODING")
      ->allow_extra_args(false);
  send->add_flag(kLiveOption)
      ->description(
          "Capture stream: bounded latency, a full queue drops its oldest frame (default for "
          "captures)");
  send->add_flag(kArchiveOption)
      ->description(
          "Capture stream: drop nothing, the capture waits for room (default for follow: and "
          "--no-pace)");
  send->add_option(kQueueOption, args.queues,
                   "Capture stream: frames waiting to be sent, at most (default 4)")
      ->type_name("N")
      ->allow_extra_args(false);
  send->add_option(kFoldersPositional, args.folders, "Folder of frames of the --stream before it")
      ->type_name("DIR");
  send->add_option("--frames", args.frames, "Every capture ends after this many frames")
      ->type_name("N");
  send->add_option("--duration", args.duration, "Every capture ends after this many seconds")
      ->type_name("SECONDS");
  send->add_flag("--no-pace", args.no_pace,
                 "Patterns and files: as fast as they are taken, not at their frame rate");
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
  // Before any thread exists (the Sender's, the captures', FFmpeg's decoders), so that only
  // the watcher below ever takes these signals.
  StopSignals::block();

  auto grouped = group_stream_args(*args.command);
  if (!grouped) return usage_error(grouped.status());
  const std::vector<StreamArgs>& streams = *grouped;
  bool any_capture = false;
  for (const StreamArgs& stream : streams) any_capture = any_capture || stream.is_capture();
  auto limits = parse_capture_limits(args, any_capture);
  if (!limits) return usage_error(limits.status());

  SenderOptions options{.to = args.to.front()};
  options.also_to.assign(args.to.begin() + 1, args.to.end());
  options.connect_timeout = to_ms(args.connect_timeout_s);
  options.retry_for = to_ms(args.retry_for_s);
  options.backoff_max = to_ms(args.retry_max_backoff_s);
  options.ack_timeout = to_ms(args.ack_timeout_s);
  options.retry_storage_errors = args.retry_on_storage_error;
  options.tls_ca = args.tls_ca;
  options.tls_cert = args.tls_cert;
  options.tls_key = args.tls_key;
  options.insecure = args.insecure;
  ProgressBar bar(stderr);
  if (!args.no_progress && isatty(STDERR_FILENO)) {
    options.on_progress = [&bar](const SendProgress& progress) { bar.draw(progress); };
  }
  options.on_notice = [&bar](const std::string& notice) { bar.notice(notice); };
  // A sender that gave up ends the captures too (a followed folder would wait for its next file
  // forever). Set once `pump` exists; the sender's thread ends in finish(), before `pump` goes.
  std::atomic<live::CapturePump*> pump_to_stop{nullptr};
  options.on_end = [&pump_to_stop](const Status& end) {
    if (live::CapturePump* pump = pump_to_stop.load(); pump != nullptr && !end) pump->stop();
  };

  Interrupts interrupts(bar);
  Sender sender(std::move(options));
  live::CapturePump pump(sender, [&bar](const std::string& notice) { bar.notice(notice); });
  pump_to_stop = &pump;
  // Declared last: its thread ends first, before anything it may touch goes away.
  StopSignals watcher(
      [&interrupts](int signal_number, int count) { interrupts.on_signal(signal_number, count); });

  // Every name, kind and folder first (cheap, and the receiver's rules), then the captures
  // are opened: a mistake is reported before a camera is touched or a connection made.
  std::vector<StreamId> ids;
  for (const StreamArgs& stream : streams) {
    Result<StreamId> added = add_stream(sender, stream, limits->pace);
    if (!added) return usage_error(added.status());
    ids.push_back(*added);
  }
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (!streams[i].is_capture()) continue;
    auto prepared = live::prepare_capture({.spec = streams[i].capture,
                                           .encode = streams[i].encode,
                                           .pace = limits->pace,
                                           .max_frames = limits->max_frames,
                                           .max_duration = limits->max_duration});
    if (!prepared) return usage_error(prepared.status());
    pump.add(ids[i], streams[i].name, std::move(prepared).value());
  }

  interrupts.attach(sender, pump, any_capture);
  if (Status started = sender.start(); !started) {
    interrupts.detach();
    std::fprintf(stderr, "framewire send: error: %s\n", started.to_string().c_str());
    return kExitFailed;
  }
  pump.start();
  // Captures end by their limits, at the end of a file, by a signal or by the first capture
  // error; folders need no waiting here: finish() sends what is left.
  const Status capture_error = pump.wait();
  auto summary = sender.finish();
  interrupts.detach();
  bar.clear();

  if (!summary) {
    if (const int signal_number = interrupts.cancelled_by(); signal_number != 0) {
      std::fprintf(stderr, "framewire send: cancelled; frames not acknowledged may be missing\n");
      return 128 + signal_number;
    }
    std::fprintf(stderr, "framewire send: error: %s\n", summary.status().to_string().c_str());
    if (!capture_error.is_ok()) {
      std::fprintf(stderr, "framewire send: error: %s\n", capture_error.to_string().c_str());
    }
    return kExitFailed;
  }
  print_summary(*summary, streams, args.json);
  // Cancelled too late to lose anything: still the exit status of a cancelled command.
  int exit_code = interrupts.cancelled_by() != 0 ? 128 + interrupts.cancelled_by() : 0;
  if (!capture_error.is_ok()) {
    std::fprintf(stderr, "framewire send: error: %s\n", capture_error.to_string().c_str());
    exit_code = std::max(exit_code, kExitFailed);
  }
  if (!summary->rejected.empty()) {
    std::fprintf(stderr, "framewire send: the receiver refused %zu frame(s):\n",
                 summary->rejected.size());
    for (std::size_t i = 0; i < summary->rejected.size() && i < kRejectionsShown; ++i) {
      const RejectedFrame& frame = summary->rejected[i];
      std::fprintf(stderr, "  %s/%s: %s\n", frame.stream.c_str(), frame.file_name.c_str(),
                   frame.reason.to_string().c_str());
    }
    exit_code = std::max(exit_code, kExitFailed);
  }
  return exit_code;
}

}  // namespace framewire::cli
