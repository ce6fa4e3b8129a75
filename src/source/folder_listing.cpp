// Listing a folder of frames in capture order (folder_listing.hpp). The order
// is total and deterministic: numbers of any length compare by value without
// ever being converted to an integer type, and names that compare equal as
// numbers ("01.png", "1.png") fall back to a plain byte comparison.
// Stateless; any thread.
#include "source/folder_listing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace framewire::source {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Length of the run of digits at the start of `text`.
std::size_t digit_run(std::string_view text) {
  std::size_t n = 0;
  while (n < text.size() && is_digit(text[n])) ++n;
  return n;
}

// Compares two digit strings by value: after leading zeros, the longer one is
// larger, and equally long ones compare like text. <0, 0, >0.
int compare_numbers(std::string_view a, std::string_view b) {
  const auto strip = [](std::string_view digits) {
    const std::size_t first = digits.find_first_not_of('0');
    return first == std::string_view::npos ? std::string_view() : digits.substr(first);
  };
  a = strip(a);
  b = strip(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b);
}

// Natural order: digit runs compare as numbers, everything else byte by byte.
int natural_compare(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      const std::size_t na = digit_run(a.substr(i));
      const std::size_t nb = digit_run(b.substr(j));
      if (const int c = compare_numbers(a.substr(i, na), b.substr(j, nb)); c != 0) return c;
      i += na;
      j += nb;
      continue;
    }
    const auto ca = static_cast<unsigned char>(a[i]);
    const auto cb = static_cast<unsigned char>(b[j]);
    if (ca != cb) return ca < cb ? -1 : 1;
    ++i;
    ++j;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

Status listing_error(std::string_view what, const std::string& path, int error) {
  std::string message(what);
  message += ' ';
  message += path;
  message += ": ";
  message += std::strerror(error);
  return {ErrorCode::kStorageError, std::move(message)};
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

}  // namespace

bool frame_order_less(std::string_view a, std::string_view b) {
  const bool a_numbered = !a.empty() && is_digit(a.front());
  const bool b_numbered = !b.empty() && is_digit(b.front());
  if (a_numbered != b_numbered) return a_numbered;
  // natural_compare on the whole names is exactly "leading number first,
  // then the rest naturally" when both start with a digit.
  if (const int c = natural_compare(a, b); c != 0) return c < 0;
  return a < b;
}

Result<std::vector<FrameFile>> list_frames(const std::string& folder) {
  const std::unique_ptr<DIR, DirCloser> dir(::opendir(folder.c_str()));
  if (!dir) return listing_error("cannot open folder", folder, errno);
  const int dir_fd = ::dirfd(dir.get());
  std::string prefix = folder;
  if (prefix.empty() || prefix.back() != '/') prefix += '/';

  std::vector<FrameFile> frames;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return listing_error("cannot list folder", folder, errno);
      break;
    }
    const std::string_view name(entry->d_name);
    if (name.empty() || name.front() == '.') continue;  // also "." and ".."
    if (entry->d_type == DT_DIR) continue;
    // Follows symlinks on purpose: a link to a regular file is a frame.
    struct stat st {};
    if (::fstatat(dir_fd, entry->d_name, &st, 0) != 0) {
      const int error = errno;
      // Deleted since readdir, or a dangling symlink: not a frame.
      if (error == ENOENT) continue;
      return listing_error("cannot stat", prefix + entry->d_name, error);
    }
    if (!S_ISREG(st.st_mode)) continue;
    FrameFile frame;
    frame.path = prefix + entry->d_name;
    frame.file_name = name;
    frame.bytes = static_cast<std::uint64_t>(st.st_size);
    frame.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                     static_cast<std::int64_t>(st.st_mtim.tv_nsec);
    frames.push_back(std::move(frame));
  }
  std::sort(frames.begin(), frames.end(), [](const FrameFile& x, const FrameFile& y) {
    return frame_order_less(x.file_name, y.file_name);
  });
  return frames;
}

std::string frame_file_name(std::uint64_t index, std::string_view extension) {
  constexpr std::size_t kDigits = 6;
  std::string digits = std::to_string(index);
  std::string name;
  if (digits.size() < kDigits) name.assign(kDigits - digits.size(), '0');
  name += digits;
  name += extension;
  return name;
}

}  // namespace framewire::source
