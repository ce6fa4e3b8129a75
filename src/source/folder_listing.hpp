// Lists the frames of a folder in the order a camera wrote them: names that
// start with a number by that number ("2.png" before "10.png"), then the
// others in natural order. Only regular files; hidden files (leading '.') are
// skipped. Reads names and sizes only, never contents. Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framewire/status.hpp"

namespace framewire::source {

struct FrameFile {
  std::string path;       // full path to open
  std::string file_name;  // last segment, sent as the frame's name
  std::uint64_t bytes = 0;
  std::int64_t mtime_ns = 0;  // modification time, Unix nanoseconds
};

// True when `a` sorts before `b` in frame order.
bool frame_order_less(std::string_view a, std::string_view b);

// The name of a frame numbered `index` (a capture index, a wire sequence):
// zero-padded to six digits, more once it needs them, plus `extension`
// ("000017.jpg"); it sorts in number order by name and by frame_order_less.
std::string frame_file_name(std::uint64_t index, std::string_view extension);

// kInternal-free: errors are kStorageError with the path and strerror text.
Result<std::vector<FrameFile>> list_frames(const std::string& folder);

}  // namespace framewire::source
