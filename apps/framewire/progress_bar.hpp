// A one-line progress bar for `framewire send` on a terminal (stderr):
//   [##########..........]  1200/2400 frames  120.4/240.8 MB  95.1 MB/s  ETA 1s
#pragma once

#include <cstdio>

#include "framewire/sender.hpp"

namespace framewire::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::FILE* terminal) : terminal_(terminal) {}
  void draw(const SendProgress& progress);
  // Erases the bar so the summary line starts clean.
  void clear();

 private:
  std::FILE* terminal_;
  bool drawn_ = false;
};

}  // namespace framewire::cli
