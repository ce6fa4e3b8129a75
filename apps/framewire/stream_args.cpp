// Grouping of send's per-stream options in command-line order (stream_args.hpp).
#include "stream_args.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <map>

namespace framewire::cli {
namespace {

constexpr std::size_t kMaxQueueFrames = 1'000'000;

Status usage(std::string message) {
  return {ErrorCode::kMalformed, std::move(message)};
}

// What the command line said for one stream, or for every stream (before the first --stream).
struct Said {
  std::string name;  // empty: the defaults
  std::optional<std::string> source_kind;
  std::optional<std::string> encode;
  std::optional<std::string> queue;
  std::optional<StreamPolicy> policy;
  std::vector<std::string> folders;
  std::vector<std::string> captures;

  std::string where() const {
    return name.empty() ? "before the first --stream" : "for --stream " + name;
  }
};

// Sets an option once per stream.
template <class T>
Status set_once(std::optional<T>& slot, T value, const std::string& option, const Said& said) {
  if (slot) return usage(fmt::format("{} given twice {}: give it once", option, said.where()));
  slot = std::move(value);
  return Status::ok();
}

Result<std::size_t> parse_queue(const std::string& text) {
  std::size_t frames = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), frames);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || frames < 1 ||
      frames > kMaxQueueFrames) {
    return usage(fmt::format("--queue {}: a stream's queue holds 1 to {} frames (default {})", text,
                             kMaxQueueFrames, PushStreamSpec{}.queue_frames));
  }
  return frames;
}

std::string example_for(const std::string& name) {
  return fmt::format("e.g. --stream {} DIR, or --stream {} --capture testsrc:1280x720@30", name,
                     name);
}

// The stream `said` describes, with the defaults filled in.
Result<StreamArgs> finish_stream(const Said& said, const Said& defaults) {
  if (said.folders.size() + said.captures.size() == 0) {
    return usage(fmt::format("--stream {} has no folder or --capture after it: give it one, {}",
                             said.name, example_for(said.name)));
  }
  if (said.folders.size() + said.captures.size() > 1) {
    std::vector<std::string> sources = said.folders;
    for (const auto& capture : said.captures) sources.push_back("--capture " + capture);
    return usage(fmt::format(
        "--stream {} has {} sources ({}): give each --stream one folder or one --capture, "
        "right after it",
        said.name, sources.size(), fmt::join(sources, ", ")));
  }
  StreamArgs stream;
  stream.name = said.name;
  stream.source_kind = said.source_kind.value_or(defaults.source_kind.value_or("visible"));
  if (!said.folders.empty()) {
    stream.folder = said.folders.front();
    const char* capture_only =
        said.encode   ? kEncodeOption
        : said.queue  ? kQueueOption
        : said.policy ? (*said.policy == StreamPolicy::kLive ? kLiveOption : kArchiveOption)
                      : nullptr;
    if (capture_only != nullptr) {
      return usage(fmt::format("{} applies to --capture streams; --stream {} sends the folder {}",
                               capture_only, said.name, stream.folder));
    }
    return stream;
  }
  stream.capture = said.captures.front();
  stream.encode = said.encode.value_or(defaults.encode.value_or(""));
  stream.policy = said.policy ? said.policy : defaults.policy;
  const std::optional<std::string>& queue = said.queue ? said.queue : defaults.queue;
  if (queue) {
    Result<std::size_t> frames = parse_queue(*queue);
    if (!frames) return frames.status();
    stream.queue_frames = *frames;
  }
  return stream;
}

}  // namespace

Result<std::vector<StreamArgs>> group_stream_args(const CLI::App& send) {
  const CLI::Option* stream_option = send.get_option(kStreamOption);
  const CLI::Option* source_option = send.get_option(kSourceOption);
  const CLI::Option* capture_option = send.get_option(kCaptureOption);
  const CLI::Option* encode_option = send.get_option(kEncodeOption);
  const CLI::Option* queue_option = send.get_option(kQueueOption);
  const CLI::Option* live_option = send.get_option(kLiveOption);
  const CLI::Option* archive_option = send.get_option(kArchiveOption);
  const CLI::Option* folders_option = send.get_option(kFoldersPositional);

  // parse_order() lists an option once per value it took, in command-line order; the values
  // themselves are in the option's results(), in the same order.
  std::map<const CLI::Option*, std::size_t> taken;
  auto next_value = [&taken](const CLI::Option* option) -> std::string {
    const std::size_t index = taken[option]++;
    const auto& results = option->results();
    return index < results.size() ? results[index] : std::string();
  };

  Said defaults;
  std::vector<Said> streams;
  for (const CLI::Option* option : send.parse_order()) {
    Said& said = streams.empty() ? defaults : streams.back();
    if (option == stream_option) {
      streams.push_back(Said{.name = next_value(option)});
      if (streams.back().name.empty()) return usage("--stream needs a NAME, e.g. rig1/visible");
      continue;
    }
    if (option == folders_option || option == capture_option) {
      const std::string value = next_value(option);
      if (streams.empty()) {
        return usage(fmt::format(
            "{} comes before any --stream: write --stream NAME before each folder or --capture, "
            "e.g. --stream rig1/visible vis/ --stream rig1/infrared --source infrared "
            "--capture irsrc:640x512@30",
            option == folders_option ? "folder " + value : "--capture " + value));
      }
      (option == folders_option ? said.folders : said.captures).push_back(value);
      continue;
    }
    Status set;
    if (option == source_option) {
      set = set_once(said.source_kind, next_value(option), kSourceOption, said);
    } else if (option == encode_option) {
      set = set_once(said.encode, next_value(option), kEncodeOption, said);
    } else if (option == queue_option) {
      set = set_once(said.queue, next_value(option), kQueueOption, said);
    } else if (option == live_option || option == archive_option) {
      next_value(option);
      if (said.policy) {
        return usage(fmt::format("--live/--archive given twice {}: choose one", said.where()));
      }
      said.policy = option == live_option ? StreamPolicy::kLive : StreamPolicy::kArchive;
    }
    if (!set) return set;
  }
  if (streams.empty()) {
    return usage(
        "no --stream given: e.g. --stream rig1/visible DIR, or --stream rig1/visible "
        "--capture testsrc:1280x720@30");
  }

  std::vector<StreamArgs> grouped;
  bool any_capture = false;
  for (const Said& said : streams) {
    Result<StreamArgs> stream = finish_stream(said, defaults);
    if (!stream) return stream.status();
    any_capture = any_capture || stream->is_capture();
    grouped.push_back(std::move(stream).value());
  }
  if (!any_capture) {
    const char* capture_only =
        defaults.encode   ? kEncodeOption
        : defaults.queue  ? kQueueOption
        : defaults.policy ? (*defaults.policy == StreamPolicy::kLive ? kLiveOption : kArchiveOption)
                          : nullptr;
    if (capture_only != nullptr) {
      return usage(fmt::format("{} applies to --capture streams, and none is given", capture_only));
    }
  }
  if (defaults.queue) {
    // Checked even when every capture stream has its own, so a typo never goes unnoticed.
    if (Result<std::size_t> frames = parse_queue(*defaults.queue); !frames) return frames.status();
  }
  return grouped;
}

}  // namespace framewire::cli
