// Temporary file names and the startup sweep (temp_files.hpp).
#include "storage/temp_files.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "storage/file_io.hpp"

namespace framewire::storage {
namespace {

// Streams are at most 16 segments deep; anything deeper was not made by us,
// and bounding the depth bounds the directories the sweep holds open.
constexpr int kMaxSweepDepth = 32;

Status sweep(Directory& dir, const std::string& path, int depth, int max_depth) {
  Status failed;
  std::vector<std::string> children;  // subdirectories, visited after the listing
  const int listed = dir.list([&](const char* entry_name, EntryKind kind) {
    if (!failed) return;
    const std::string_view name(entry_name);
    const bool is_temp = name.starts_with(kTempPrefix);
    // Regular files that are not ours are the common case (stored frames):
    // decide those from the listing alone, without a stat per frame.
    if (!is_temp && kind == EntryKind::kRegular) return;
    if (kind == EntryKind::kUnknown && dir.kind_of(entry_name, kind) != 0) return;  // gone
    if (is_temp && kind == EntryKind::kRegular) {
      if (const int error = dir.unlink(entry_name); error != 0 && error != ENOENT) {
        failed = errno_status("cannot remove leftover", path + "/" + entry_name, error);
      }
      return;
    }
    if (kind == EntryKind::kDirectory && depth < max_depth) children.emplace_back(name);
  });
  if (!failed) return failed;
  if (listed != 0) return errno_status("cannot list", path, listed);
  for (const std::string& name : children) {
    std::string child_path = path;
    child_path += '/';
    child_path += name;
    std::unique_ptr<Directory> child;
    if (const int error = dir.open_dir(name.c_str(), child); error != 0) {
      // Unreadable (lost+found), or replaced since the listing: not ours.
      if (error == EACCES || error == EPERM || error == ENOENT || error == ELOOP ||
          error == ENOTDIR) {
        continue;
      }
      return errno_status("cannot open", child_path, error);
    }
    if (Status status = sweep(*child, child_path, depth + 1, max_depth); !status) return status;
  }
  return Status::ok();
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

Status remove_temp_leftovers(Directory& root, const std::string& root_path) {
  return sweep(root, root_path, 0, kMaxSweepDepth);
}

Status remove_temp_files_in(Directory& dir, const std::string& dir_path) {
  return sweep(dir, dir_path, 0, 0);
}

}  // namespace framewire::storage
