// POSIX helpers of the storage layer (file_io.hpp).
#include "storage/file_io.hpp"

#define XXH_STATIC_LINKING_ONLY
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "storage/unique_fd.hpp"

namespace framewire::storage {
namespace {
constexpr std::size_t kHashChunkBytes = 256 * 1024;
}  // namespace

Status errno_status(std::string_view what, std::string_view path, int error) {
  std::string message(what);
  message += ' ';
  message += path;
  message += ": ";
  message += ::strerror(error);
  return {ErrorCode::kStorageError, std::move(message)};
}

int write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    // write(2) returning 0 for a non-empty buffer would loop forever; treat
    // it like the disk being full, which is the only way a file sees it.
    if (written == 0) return ENOSPC;
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  return 0;
}

long pread_full(int fd, void* buffer, std::size_t size, std::uint64_t offset) {
  auto* out = static_cast<char*>(buffer);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return -static_cast<long>(errno);
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return static_cast<long>(done);
}

int fsync_fd(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

Result<FileDigest> hash_file_at(int dir_fd, const char* name, std::string_view path,
                                std::uint64_t expected_bytes, std::vector<std::uint8_t>& scratch) {
  UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    const int error = errno;
    if (error == ELOOP) {
      return Status(ErrorCode::kConflict, std::string(path) + " is a symlink, not a stored frame");
    }
    return errno_status("cannot open", path, error);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_status("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status(ErrorCode::kConflict, std::string(path) + " is not a regular file");
  }
  FileDigest digest;
  if (static_cast<std::uint64_t>(st.st_size) != expected_bytes) {
    digest.bytes = static_cast<std::uint64_t>(st.st_size);
    return digest;
  }
  if (scratch.size() < kHashChunkBytes) scratch.resize(kHashChunkBytes);
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (;;) {
    const ssize_t got = ::read(fd.get(), scratch.data(), scratch.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno_status("cannot read", path, errno);
    }
    if (got == 0) break;
    XXH3_64bits_update(&state, scratch.data(), static_cast<std::size_t>(got));
    digest.bytes += static_cast<std::uint64_t>(got);
  }
  digest.xxh3 = XXH3_64bits_digest(&state);
  digest.hashed = true;
  return digest;
}

std::string hex64(std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i) {
    text[static_cast<std::size_t>(i)] = kHex[value & 0xf];
    value >>= 4;
  }
  return text;
}

}  // namespace framewire::storage
