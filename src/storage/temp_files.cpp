// Temporary file names and the startup sweep (temp_files.hpp).
#include "storage/temp_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "storage/file_io.hpp"
#include "storage/unique_fd.hpp"

namespace framewire::storage {
namespace {

// Streams are at most 16 segments deep; anything deeper was not made by us,
// and bounding the depth bounds the descriptors the sweep holds open.
constexpr int kMaxSweepDepth = 32;

enum class EntryKind { kRegular, kDirectory, kOther, kGone };

EntryKind kind_of(int dir_fd, const dirent& entry) {
  switch (entry.d_type) {
    case DT_REG:
      return EntryKind::kRegular;
    case DT_DIR:
      return EntryKind::kDirectory;
    case DT_UNKNOWN:
      break;  // some filesystems do not fill d_type
    default:
      return EntryKind::kOther;
  }
  struct stat st {};
  if (::fstatat(dir_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return EntryKind::kGone;
  if (S_ISREG(st.st_mode)) return EntryKind::kRegular;
  if (S_ISDIR(st.st_mode)) return EntryKind::kDirectory;
  return EntryKind::kOther;
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

// `fd` is consumed (fdopendir takes it over).
Status sweep(UniqueFd fd, const std::string& path, int depth) {
  DIR* raw = ::fdopendir(fd.get());
  if (raw == nullptr) return errno_status("cannot list", path, errno);
  static_cast<void>(fd.release());
  const std::unique_ptr<DIR, DirCloser> dir(raw);
  const int dir_fd = ::dirfd(raw);
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(raw);
    if (entry == nullptr) {
      if (errno != 0) return errno_status("cannot list", path, errno);
      return Status::ok();
    }
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    const bool is_temp = name.starts_with(kTempPrefix);
    // Regular files that are not ours are the common case (stored frames):
    // decide those from d_type alone, without a stat per frame.
    if (!is_temp && entry->d_type == DT_REG) continue;
    const EntryKind kind = kind_of(dir_fd, *entry);
    if (is_temp && kind == EntryKind::kRegular) {
      if (::unlinkat(dir_fd, entry->d_name, 0) != 0) {
        const int error = errno;
        if (error != ENOENT) {
          return errno_status("cannot remove leftover", path + "/" + entry->d_name, error);
        }
      }
      continue;
    }
    if (kind != EntryKind::kDirectory || depth >= kMaxSweepDepth) continue;
    UniqueFd child(
        ::openat(dir_fd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    const std::string child_path = path + "/" + entry->d_name;
    if (!child.valid()) {
      const int error = errno;
      // Unreadable (lost+found), or replaced since readdir: not ours to sweep.
      if (error == EACCES || error == EPERM || error == ENOENT || error == ELOOP ||
          error == ENOTDIR) {
        continue;
      }
      return errno_status("cannot open", child_path, error);
    }
    if (Status status = sweep(std::move(child), child_path, depth + 1); !status) return status;
  }
}

}  // namespace

TempName make_temp_name(std::uint64_t random) {
  static constexpr char kHex[] = "0123456789abcdef";
  TempName name{};
  std::memcpy(name.data(), kTempPrefix.data(), kTempPrefix.size());
  for (std::size_t i = 0; i < 16; ++i) {
    name[kTempPrefix.size() + i] = kHex[(random >> (60 - 4 * i)) & 0xf];
  }
  name[name.size() - 1] = '\0';
  return name;
}

Status remove_temp_leftovers(int root_fd, const std::string& root_path) {
  // A fresh descriptor, because fdopendir takes over the one it is given.
  UniqueFd fd(::openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno_status("cannot open", root_path, errno);
  return sweep(std::move(fd), root_path, 0);
}

}  // namespace framewire::storage
