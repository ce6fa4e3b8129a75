// Followed-folder capture (follow_capture.hpp). The watch is set up before the first listing,
// so a file completed in between is seen by both and then yielded once. Lost events
// (IN_Q_OVERFLOW) trigger a new listing. Waits poll() the inotify descriptor together with an
// eventfd that stop() writes, with a timeout at the duration deadline.
#include "capture/follow_capture.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <set>
#include <unordered_set>
#include <utility>

#include "capture/capture_control.hpp"

namespace framewire::capture {
namespace {

using Clock = CaptureControl::Clock;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// How often held-back files are looked at again when no event comes for them.
constexpr std::chrono::milliseconds kRecheckInterval{100};

enum class Writers { kNone, kSome, kUnknown, kGone };

// Whether any process has `path` open for writing, from a read lease (see the header).
Writers writers_of(const std::string& path) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return errno == ENOENT ? Writers::kGone : Writers::kUnknown;
  if (::fcntl(fd.get(), F_SETSIG, SIGURG) != 0) return Writers::kUnknown;
  if (::fcntl(fd.get(), F_SETLEASE, F_RDLCK) == 0) {
    ::fcntl(fd.get(), F_SETLEASE, F_UNLCK);
    return Writers::kNone;
  }
  return errno == EAGAIN ? Writers::kSome : Writers::kUnknown;
}

bool ignored_name(std::string_view name) {
  return name.empty() || name.front() == '.';  // also ".fwtmp-*", "." and ".."
}

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

Status folder_error(const std::string& folder, std::string_view what, int error) {
  std::string message = "follow ";
  message += folder;
  message += ": ";
  message += what;
  if (error != 0) {
    message += ": ";
    message += std::strerror(error);
  }
  return {ErrorCode::kStorageError, std::move(message)};
}

struct Candidate {
  std::string name;
  bool announced = false;  // an inotify event said it was closed or renamed in
};

class FollowCapture final : public Capture {
 public:
  FollowCapture(const CaptureSpec& spec, const CaptureOptions& options)
      : options_(options), control_(options), folder_(spec.path) {
    info_.kind = CaptureKind::kFollow;
    info_.spec = spec.text;
    info_.content = FrameContent::kFile;
    if (folder_.size() > 1 && folder_.back() == '/') folder_.pop_back();
  }

  Status open();
  Result<std::optional<CapturedFrame>> next() override;
  void stop() override {
    control_.stop();
    const std::uint64_t one = 1;
    // Only wakes a poll(); a full counter (never, at one write per stop) would wake it too.
    [[maybe_unused]] const ssize_t written = ::write(stop_fd_.get(), &one, sizeof(one));
  }
  const CaptureInfo& info() const override { return info_; }

 private:
  std::string path_of(const std::string& name) const { return folder_ + "/" + name; }
  bool after_start(const std::string& name) const {
    return options_.start_after.empty() || frame_order_less(options_.start_after, name);
  }
  Status rescan();
  // The file `candidate` names if it is complete now; nullopt when it is not (held back, gone,
  // not a regular file, already yielded).
  std::optional<source::FrameFile> check(const Candidate& candidate);
  // Waits for events, stop or the deadline. Returns false at the end (stop, deadline).
  Result<bool> wait_for_events();
  Status read_events();

  static bool frame_order_less(const std::string& a, const std::string& b) {
    return source::frame_order_less(a, b);
  }

  CaptureOptions options_;
  CaptureControl control_;
  CaptureInfo info_;
  std::string folder_;
  Fd inotify_;
  Fd stop_fd_;
  std::deque<Candidate> ready_;
  struct FrameOrder {
    bool operator()(const std::string& a, const std::string& b) const {
      return source::frame_order_less(a, b);
    }
  };
  std::set<std::string, FrameOrder> held_;  // seen, but still being written
  std::unordered_set<std::string> yielded_;
  std::uint64_t index_ = 0;
  bool failed_ = false;
};

Status FollowCapture::open() {
  stop_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (stop_fd_.get() < 0) return folder_error(folder_, "eventfd", errno);
  inotify_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (inotify_.get() < 0) return folder_error(folder_, "inotify_init1", errno);
  constexpr std::uint32_t kEvents =
      IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK;
  if (::inotify_add_watch(inotify_.get(), folder_.c_str(), kEvents) < 0) {
    return folder_error(folder_, "cannot watch the folder", errno);
  }
  return rescan();
}

Status FollowCapture::rescan() {
  Result<std::vector<source::FrameFile>> listing = source::list_frames(folder_);
  if (!listing) return folder_error(folder_, listing.status().message(), 0);
  for (source::FrameFile& file : *listing) {
    if (ignored_name(file.file_name) || yielded_.count(file.file_name) != 0) continue;
    if (!after_start(file.file_name)) continue;
    held_.erase(file.file_name);
    ready_.push_back({std::move(file.file_name), false});
  }
  return Status::ok();
}

std::optional<source::FrameFile> FollowCapture::check(const Candidate& candidate) {
  const std::string& name = candidate.name;
  if (ignored_name(name) || yielded_.count(name) != 0 || !after_start(name)) return std::nullopt;
  const std::string path = path_of(name);
  struct stat st {};
  // Follows symlinks on purpose, like a folder send: a link to a regular file is a frame.
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    held_.erase(name);
    return std::nullopt;
  }
  bool complete = false;
  switch (writers_of(path)) {
    case Writers::kNone:
      complete = true;
      break;
    case Writers::kSome:
      break;
    case Writers::kGone:
      held_.erase(name);
      return std::nullopt;
    case Writers::kUnknown: {
      const auto age = std::chrono::nanoseconds(realtime_now_ns() - mtime_ns(st));
      complete = candidate.announced || age >= options_.settle;
      break;
    }
  }
  if (!complete) {
    held_.insert(name);
    return std::nullopt;
  }
  held_.erase(name);
  yielded_.insert(name);
  source::FrameFile file;
  file.path = path;
  file.file_name = name;
  file.bytes = static_cast<std::uint64_t>(st.st_size);
  file.mtime_ns = mtime_ns(st);
  return file;
}

Result<bool> FollowCapture::wait_for_events() {
  int timeout_ms = -1;
  if (!held_.empty()) timeout_ms = static_cast<int>(kRecheckInterval.count());
  if (control_.deadline() != Clock::time_point::max()) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(control_.deadline() - Clock::now());
    const int left_ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
    timeout_ms = timeout_ms < 0 ? left_ms : std::min(timeout_ms, left_ms);
  }
  pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
  const int ready = ::poll(fds, 2, timeout_ms);
  if (ready < 0 && errno != EINTR) return folder_error(folder_, "poll", errno);
  if (control_.interrupted()) return false;
  if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
    if (Status read = read_events(); !read) return read;
  }
  // Held-back files get another look whether or not an event named them.
  for (const std::string& name : held_) ready_.push_back({name, false});
  held_.clear();
  return true;
}

Status FollowCapture::read_events() {
  alignas(inotify_event) char buffer[64 * 1024];
  std::vector<Candidate> batch;
  for (;;) {
    const ssize_t n = ::read(inotify_.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return folder_error(folder_, "reading inotify events", errno);
    }
    for (ssize_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if ((event->mask & IN_Q_OVERFLOW) != 0) {
        if (Status listed = rescan(); !listed) return listed;
        continue;
      }
      if ((event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0) {
        return folder_error(folder_, "the folder was removed or moved away", 0);
      }
      if (event->len == 0 || (event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) == 0) continue;
      std::string name(event->name);  // NUL-padded to len
      if (ignored_name(name)) continue;
      batch.push_back({std::move(name), true});
    }
  }
  // Files completed together go out in frame order.
  std::stable_sort(batch.begin(), batch.end(), [](const Candidate& a, const Candidate& b) {
    return frame_order_less(a.name, b.name);
  });
  for (Candidate& candidate : batch) {
    held_.erase(candidate.name);
    ready_.push_back(std::move(candidate));
  }
  return Status::ok();
}

Result<std::optional<CapturedFrame>> FollowCapture::next() {
  if (failed_) return folder_error(folder_, "stopped by an earlier error", 0);
  for (;;) {
    if (!control_.may_capture(index_)) return std::optional<CapturedFrame>();
    while (!ready_.empty()) {
      const Candidate candidate = std::move(ready_.front());
      ready_.pop_front();
      std::optional<source::FrameFile> file = check(candidate);
      if (!file) continue;
      CapturedFrame frame;
      frame.index = index_++;
      frame.capture_time_ns = file->mtime_ns;
      frame.content = std::move(*file);
      return std::optional<CapturedFrame>(std::move(frame));
    }
    Result<bool> waited = wait_for_events();
    if (!waited) {
      failed_ = true;
      return waited.status();
    }
    if (!*waited) return std::optional<CapturedFrame>();
  }
}

}  // namespace

Result<std::unique_ptr<Capture>> open_follow_capture(const CaptureSpec& spec,
                                                     const CaptureOptions& options) {
  auto capture = std::make_unique<FollowCapture>(spec, options);
  if (Status opened = capture->open(); !opened) return opened;
  return std::unique_ptr<Capture>(std::move(capture));
}

}  // namespace framewire::capture
