// PosixFileSystem (posix_file_system.hpp): each operation is one system call
// (retried on EINTR) relative to a directory descriptor, so that a symlink
// planted below the root can never redirect a write outside it.
#include "storage/posix_file_system.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "storage/unique_fd.hpp"

namespace framewire::storage {
namespace {

constexpr int kDirOpenFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

EntryKind kind_of_mode(mode_t mode) {
  if (S_ISREG(mode)) return EntryKind::kRegular;
  if (S_ISDIR(mode)) return EntryKind::kDirectory;
  if (S_ISLNK(mode)) return EntryKind::kSymlink;
  return EntryKind::kOther;
}

class PosixFile final : public File {
 public:
  explicit PosixFile(UniqueFd fd) : fd_(std::move(fd)) {}

  int write(std::span<const std::uint8_t> bytes) override {
    while (!bytes.empty()) {
      const ssize_t written = ::write(fd_.get(), bytes.data(), bytes.size());
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

  long read_at(void* buffer, std::size_t size, std::uint64_t offset) override {
    auto* out = static_cast<char*>(buffer);
    std::size_t done = 0;
    while (done < size) {
      const ssize_t got =
          ::pread(fd_.get(), out + done, size - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        return -static_cast<long>(errno);
      }
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
    }
    return static_cast<long>(done);
  }

  int sync() override {
    // Retried only on EINTR: after a real failure the kernel may already
    // have dropped the dirty pages, and a second fsync could succeed.
    while (::fsync(fd_.get()) != 0) {
      if (errno != EINTR) return errno;
    }
    return 0;
  }

  int truncate(std::uint64_t size) override {
    return ::ftruncate(fd_.get(), static_cast<off_t>(size)) == 0 ? 0 : errno;
  }

  int stat(std::uint64_t& size, EntryKind& kind) override {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return errno;
    size = static_cast<std::uint64_t>(st.st_size);
    kind = kind_of_mode(st.st_mode);
    return 0;
  }

 private:
  UniqueFd fd_;
};

int open_file(int dir_fd, const char* name, int flags, std::unique_ptr<File>& out) {
  UniqueFd fd(::openat(dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno;
  out = std::make_unique<PosixFile>(std::move(fd));
  return 0;
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

class PosixDirectory final : public Directory {
 public:
  explicit PosixDirectory(UniqueFd fd) : fd_(std::move(fd)) {}

  int open_dir(const char* name, std::unique_ptr<Directory>& out) override {
    UniqueFd fd(::openat(fd_.get(), name, kDirOpenFlags));
    if (!fd.valid()) return errno;
    out = std::make_unique<PosixDirectory>(std::move(fd));
    return 0;
  }

  int make_dir(const char* name) override {
    return ::mkdirat(fd_.get(), name, 0755) == 0 ? 0 : errno;
  }

  int kind_of(const char* name, EntryKind& kind) override {
    struct stat st {};
    if (::fstatat(fd_.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    kind = kind_of_mode(st.st_mode);
    return 0;
  }

  int create_new(const char* name, std::unique_ptr<File>& out) override {
    return open_file(fd_.get(), name, O_CREAT | O_EXCL | O_WRONLY, out);
  }

  int open_append(const char* name, std::unique_ptr<File>& out) override {
    // Opened for reading too: recovery reads the tail. O_APPEND makes every
    // write land at the end regardless of the reads' offsets.
    return open_file(fd_.get(), name, O_RDWR | O_APPEND | O_CREAT, out);
  }

  int open_read(const char* name, std::unique_ptr<File>& out) override {
    // O_NONBLOCK: a FIFO planted under a frame's name must not hang us.
    return open_file(fd_.get(), name, O_RDONLY | O_NONBLOCK, out);
  }

  int rename_no_replace(const char* from, const char* to) override {
    int error = 0;
    if (has_rename_noreplace_) {
      if (::renameat2(fd_.get(), from, fd_.get(), to, RENAME_NOREPLACE) == 0) return 0;
      error = errno;
      // Filesystems without RENAME_NOREPLACE: link+unlink never replaces
      // either, at the cost of one more syscall.
      if (error != EINVAL && error != ENOSYS) return error;
      has_rename_noreplace_ = false;
    }
    if (::linkat(fd_.get(), from, fd_.get(), to, 0) != 0) return errno;
    // If this unlink fails the temporary name is a second link to the stored
    // file, invisible to readers and swept at the next open.
    ::unlinkat(fd_.get(), from, 0);
    return 0;
  }

  int unlink(const char* name) override { return ::unlinkat(fd_.get(), name, 0) == 0 ? 0 : errno; }

  int sync() override {
    while (::fsync(fd_.get()) != 0) {
      if (errno != EINTR) return errno;
    }
    return 0;
  }

  int list(const std::function<void(const char* name, EntryKind kind)>& visit) override {
    // A fresh descriptor, because fdopendir takes over the one it is given.
    UniqueFd fd(::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return errno;
    DIR* raw = ::fdopendir(fd.get());
    if (raw == nullptr) return errno;
    static_cast<void>(fd.release());
    const std::unique_ptr<DIR, DirCloser> dir(raw);
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(raw);
      if (entry == nullptr) return errno;
      const std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      EntryKind kind = EntryKind::kOther;
      switch (entry->d_type) {
        case DT_REG:
          kind = EntryKind::kRegular;
          break;
        case DT_DIR:
          kind = EntryKind::kDirectory;
          break;
        case DT_LNK:
          kind = EntryKind::kSymlink;
          break;
        case DT_UNKNOWN:
          kind = EntryKind::kUnknown;  // some filesystems do not fill d_type
          break;
        default:
          break;
      }
      visit(entry->d_name, kind);
    }
  }

  int reopen(std::unique_ptr<Directory>& out) override {
    UniqueFd fd(::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return errno;
    out = std::make_unique<PosixDirectory>(std::move(fd));
    return 0;
  }

 private:
  UniqueFd fd_;
  bool has_rename_noreplace_ = true;
};

class PosixFileSystem final : public FileSystem {
 public:
  int open_root(const std::string& path, std::unique_ptr<Directory>& out,
                std::string& failed_at) override {
    // mkdir -p for the root itself.
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const std::string prefix = path.substr(0, slash);
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
        failed_at = prefix;
        return errno;
      }
    }
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      failed_at = path;
      return errno;
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) {
      failed_at = path;
      return errno;
    }
    out = std::make_unique<PosixDirectory>(std::move(fd));
    return 0;
  }
};

}  // namespace

FileSystem& posix_file_system() {
  static PosixFileSystem instance;
  return instance;
}

}  // namespace framewire::storage
