// PreviewWorker: one thread that runs the view's slow jobs (reading a stored
// frame, converting it to a preview JPEG) off the HTTP thread and off the
// receiver's threads. Its queue is bounded: submit() refuses a job when full
// instead of growing, and the HTTP side submits at most one preview job per
// watched stream and palette at a time, so the queue stays short.
//
// Threads: submit() from any thread; jobs run on the worker's own thread.
// stop() (or the destructor) joins it; jobs not started are destroyed
// unrun on the thread calling stop().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace framewire::view {

class PreviewWorker {
 public:
  using Job = std::function<void()>;

  explicit PreviewWorker(std::size_t max_queued);
  ~PreviewWorker();
  PreviewWorker(const PreviewWorker&) = delete;
  PreviewWorker& operator=(const PreviewWorker&) = delete;

  // False (the job is dropped unrun) when max_queued jobs wait or after stop().
  bool submit(Job job);
  void stop();

 private:
  void run();

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace framewire::view
