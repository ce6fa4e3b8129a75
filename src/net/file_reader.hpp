// Reads one frame file for sending: size from the open descriptor (not from
// the listing, which may be stale), then sequential reads. Sender thread only.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>

namespace framewire::net {

class FileReader {
 public:
  explicit FileReader(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~FileReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::optional<std::uint64_t> size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
  }
  // Up to `count` bytes; 0 at end of file, -1 on error (errno set).
  ssize_t read(std::uint8_t* into, std::size_t count) {
    ssize_t n;
    do {
      n = ::read(fd_, into, count);
    } while (n < 0 && errno == EINTR);
    return n;
  }

 private:
  int fd_;
};

}  // namespace framewire::net
