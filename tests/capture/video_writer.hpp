// Makes small video files for the file: capture tests with FFmpeg's own libraries (so the
// tests need no ffmpeg binary): testsrc frames 0..count-1, encoded with MJPEG or MPEG-4 part 2
// into the container the file name's extension picks (.avi, .mkv). Test-only; any thread.
#pragma once

#include <string>

#include "framewire/status.hpp"

namespace framewire::capture::test {

enum class VideoCodec { kMjpeg, kMpeg4 };

struct VideoSpec {
  int width = 384;
  int height = 216;
  int fps = 10;
  int frames = 30;
  VideoCodec codec = VideoCodec::kMjpeg;
};

Status write_test_video(const std::string& path, const VideoSpec& spec);

}  // namespace framewire::capture::test
