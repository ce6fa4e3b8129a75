// The progress line of `framewire send` on a terminal (stderr), and the notices printed above
// it. A send of folders only knows its total:
//   [##########..........]  1200/2400 frames  120.4/240.8 MB  95.1 MB/s  ETA 1s
// one with a capture stream is open-ended (SendProgress::open_ended): no total, no ETA:
//   live  1200 frames stored  120.4 MB  9.5 MB/s  3 dropped  126 s
//
// Threads: draw() runs on the sender's network thread (on_progress), notice() on whichever
// thread has something to say (the network thread's retries, capture threads, the signal
// watcher), clear() on the main thread: all of it under one mutex, so lines never interleave.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "framewire/sender.hpp"

namespace framewire::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::FILE* terminal) : terminal_(terminal) {}
  // Draws the line unless disable() was called.
  void draw(const SendProgress& progress);
  // Prints "framewire send: TEXT" on a line of its own (the bar, if drawn, is redrawn by the
  // next draw()).
  void notice(const std::string& text);
  // Erases the bar and draws no more, so the summary starts clean.
  void clear();

 private:
  std::mutex mutex_;
  std::FILE* const terminal_;
  bool drawn_ = false;    // guarded by mutex_
  bool cleared_ = false;  // guarded by mutex_
};

}  // namespace framewire::cli
