// SIGINT and SIGTERM for `framewire send`, `serve` and `sink`, taken by a thread of its own with
// sigwait(): the signals are blocked in every other thread (block() must run before the process
// starts any thread, FFmpeg's decoder threads included, which inherit the mask), so what they
// trigger runs as ordinary code on the watcher thread, free to lock a mutex or call into the
// Sender or the Sink; no signal handler, nothing that has to be async-signal-safe.
//
// Threads: block() and the constructor on the main thread, before any other thread exists;
// the callback runs on the watcher thread; the destructor (main thread) ends the watcher.
// The signals stay blocked afterwards: the process is about to exit, and one arriving late is
// ignored rather than killing it in the middle of printing its summary.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace framewire::cli {

class StopSignals {
 public:
  // Blocks SIGINT, SIGTERM (and SIGUSR1, which ends the watcher) in the calling thread.
  static void block();

  // Starts the watcher; `on_signal(signal_number, count)` is called for every SIGINT or
  // SIGTERM, count 1 for the first, 2 for the second, ... block() must have been called.
  explicit StopSignals(std::function<void(int, int)> on_signal);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Ends the process as that signal would have without handling (for a signal that arrives
  // before there is anything to stop cleanly). The watcher thread only.
  [[noreturn]] static void terminate_by(int signal_number);

 private:
  void watch();

  std::function<void(int, int)> on_signal_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace framewire::cli
