// An owned POSIX file descriptor, closed on destruction. Internal to the
// storage layer; a UniqueFd is used by one thread at a time.
#pragma once

#include <unistd.h>

#include <utility>

namespace framewire::storage {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Gives up ownership without closing.
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }

  // Closes the current descriptor, if any. close() errors are ignored on
  // purpose: every descriptor whose data matters is fsync'ed (or knowingly
  // not, with sync=none) before it is closed, and retrying close() on Linux
  // could close an unrelated descriptor.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace framewire::storage
