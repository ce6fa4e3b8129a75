#include "view/preview_worker.hpp"

#include <utility>

namespace framewire::view {

PreviewWorker::PreviewWorker(std::size_t max_queued)
    : max_queued_(max_queued), thread_([this] { run(); }) {}

PreviewWorker::~PreviewWorker() {
  stop();
}

bool PreviewWorker::submit(Job job) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ || jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void PreviewWorker::stop() {
  std::deque<Job> unrun;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    unrun.swap(jobs_);
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  // `unrun` is destroyed here, on the stopping thread, after the worker ended.
}

void PreviewWorker::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace framewire::view
