// `framewire send`'s per-stream arguments, grouped in command-line order: each `--stream NAME`
// takes the one folder or `--capture SRC` that follows it, and the `--source`, `--encode`,
// `--live`/`--archive` and `--queue` given between it and the next `--stream`. The same
// options before the first `--stream` are defaults for every stream (the per-capture ones for
// every capture stream). Pure: reads the parsed `send` subcommand; the CLI thread.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "framewire/sender.hpp"
#include "framewire/status.hpp"

namespace framewire::cli {

// Names of the send subcommand's options, as add_send_command declares them.
inline constexpr const char* kStreamOption = "--stream";
inline constexpr const char* kSourceOption = "--source";
inline constexpr const char* kCaptureOption = "--capture";
inline constexpr const char* kEncodeOption = "--encode";
inline constexpr const char* kQueueOption = "--queue";
inline constexpr const char* kLiveOption = "--live";
inline constexpr const char* kArchiveOption = "--archive";
inline constexpr const char* kFoldersPositional = "folders";

struct StreamArgs {
  std::string name;
  std::string source_kind = "visible";
  // Exactly one of the two.
  std::string folder;
  std::string capture;
  // Capture streams only.
  std::string encode;                  // empty: the default for the source
  std::optional<StreamPolicy> policy;  // nullopt: the default for the source
  std::size_t queue_frames = 4;

  bool is_capture() const { return !capture.empty(); }
};

// Groups the options of `send` (after parsing) into streams. Errors (kMalformed, a sentence
// saying what to write instead): a folder or --capture before any --stream, a --stream with
// none or two of them, an option given twice for one stream, --encode/--live/--archive/--queue
// for a folder stream, a --queue that is not a whole number of at least 1.
Result<std::vector<StreamArgs>> group_stream_args(const CLI::App& send);

}  // namespace framewire::cli
