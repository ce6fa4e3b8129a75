// The receiver's name rules, applied before any name touches the filesystem.
// A segment is 1..255 bytes of [A-Za-z0-9._-], does not start with '.', and
// so is never "." or "..". Pure functions; any thread.
#pragma once

#include <string_view>

#include "framewire/status.hpp"

namespace framewire::storage {

inline constexpr std::string_view kManifestFileName = "manifest.jsonl";
inline constexpr std::size_t kMaxSegmentBytes = 255;
inline constexpr std::size_t kMaxStreamSegments = 16;

// One path segment. Returns kBadName with a sentence naming the problem.
Status validate_segment(std::string_view segment);

// '/'-separated segments ("rig1/visible"): no leading, trailing or doubled
// '/', at most kMaxStreamSegments segments, at most 1024 bytes in all.
Status validate_stream_name(std::string_view name);

// A frame's file name: one segment, and not the reserved manifest name.
Status validate_file_name(std::string_view name);

// A source kind label: 1..32 bytes of [a-z0-9_-].
Status validate_source_kind(std::string_view kind);

}  // namespace framewire::storage
