// Checks on folders for the tests: byte-for-byte comparison of a source
// folder with what a receiver stored (manifest.jsonl aside), a walk of a
// receiver root that reports temporary leftovers (".fwtmp-*"), symlinks and
// anything else that is not a plain file or folder, and a check that nothing
// appeared next to the root. Test-only; any thread, no shared state.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <system_error>
#include <vector>

namespace framewire::test {

namespace fs = std::filesystem;

inline constexpr const char* kManifestName = "manifest.jsonl";
inline constexpr const char* kTempPrefix = ".fwtmp-";

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Every entry below `root` (relative paths, sorted), without following
// symlinks.
inline std::vector<std::string> list_tree(const std::string& root) {
  std::vector<std::string> entries;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(fs::relative(it->path(), root, ec).string());
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

// Regular files directly in `folder` except manifest.jsonl, by name.
inline std::map<std::string, std::string> frame_files(const std::string& folder) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == kManifestName) continue;
    files[name] = it->path().string();
  }
  return files;
}

// `stored` holds exactly the files of `source` (same names, same bytes), plus
// manifest.jsonl. With `subset`, `stored` may lack some files of `source`
// (an interrupted transfer) but every file it has must be complete.
inline testing::AssertionResult same_files(const std::string& source, const std::string& stored,
                                           bool subset = false) {
  const auto expected = frame_files(source);
  const auto actual = frame_files(stored);
  if (expected.empty()) return testing::AssertionFailure() << source << " holds no files";
  std::vector<std::string> problems;
  for (const auto& [name, path] : actual) {
    auto it = expected.find(name);
    if (it == expected.end()) {
      problems.push_back("unexpected file " + path);
      continue;
    }
    if (!fs::is_regular_file(fs::symlink_status(path))) {
      problems.push_back(path + " is not a regular file");
    } else if (read_bytes(path) != read_bytes(it->second)) {
      problems.push_back(path + " differs from " + it->second + " (" +
                         std::to_string(fs::file_size(path)) + " vs " +
                         std::to_string(fs::file_size(it->second)) + " bytes)");
    }
  }
  if (!subset) {
    for (const auto& [name, path] : expected) {
      if (!actual.contains(name)) problems.push_back("missing " + stored + "/" + name);
    }
  }
  if (problems.empty()) return testing::AssertionSuccess();
  auto failure = testing::AssertionFailure();
  failure << problems.size() << " problem(s) comparing " << source << " with " << stored << ":";
  for (std::size_t i = 0; i < problems.size() && i < 20; ++i) failure << "\n  " << problems[i];
  return failure;
}

// A receiver root after every connection closed: only plain folders and
// files, no ".fwtmp-*" leftover, no symlink (a link could lead outside; the
// tests that plant one pass it in `allowed_links`).
inline testing::AssertionResult tree_is_clean(const std::string& root,
                                              const std::set<std::string>& allowed_links = {}) {
  std::vector<std::string> problems;
  for (const auto& entry : list_tree(root)) {
    const fs::path path = fs::path(root) / entry;
    const auto status = fs::symlink_status(path);
    if (path.filename().string().starts_with(kTempPrefix)) {
      problems.push_back("temporary leftover " + entry);
    } else if (fs::is_symlink(status)) {
      if (!allowed_links.contains(entry)) problems.push_back("symlink " + entry);
    } else if (!fs::is_regular_file(status) && !fs::is_directory(status)) {
      problems.push_back("neither file nor folder: " + entry);
    }
  }
  if (problems.empty()) return testing::AssertionSuccess();
  auto failure = testing::AssertionFailure();
  failure << "receiver root " << root << ":";
  for (const auto& problem : problems) failure << "\n  " << problem;
  return failure;
}

// `dir` holds exactly the entries `names` (used on the folder that contains a
// receiver root, to see that nothing escaped next to it).
inline testing::AssertionResult only_entries(const std::string& dir,
                                             const std::set<std::string>& names) {
  std::set<std::string> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    found.insert(it->path().filename().string());
  }
  if (found == names) return testing::AssertionSuccess();
  auto failure = testing::AssertionFailure();
  failure << dir << " holds:";
  for (const auto& name : found) failure << " " << name;
  failure << "; expected:";
  for (const auto& name : names) failure << " " << name;
  return failure;
}

// Identity of a stored file, to prove it was not rewritten.
struct FileIdentity {
  std::uint64_t inode = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t size = 0;
  bool operator==(const FileIdentity&) const = default;
};

inline FileIdentity identity_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  return {
      .inode = static_cast<std::uint64_t>(st.st_ino),
      .mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
      .ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec,
      .size = static_cast<std::uint64_t>(st.st_size)};
}

inline std::int64_t mtime_ns_of(const std::string& path) {
  return identity_of(path).mtime_ns;
}

}  // namespace framewire::test
