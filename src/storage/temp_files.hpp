// Names of the storage layer's temporary files, and the sweep that removes
// the ones an earlier run left behind. A temporary name starts with '.', so no
// valid frame or stream name (safe_name.hpp) can ever collide with one.
// Internal to src/storage; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "framewire/status.hpp"
#include "storage/file_system.hpp"

namespace framewire::storage {

inline constexpr std::string_view kTempPrefix = ".fwtmp-";

// ".fwtmp-" + 16 hex digits + NUL, kept inline so that naming a frame's
// temporary file allocates nothing.
using TempName = std::array<char, kTempPrefix.size() + 16 + 1>;

TempName make_temp_name(std::uint64_t random);

// Removes every regular file named ".fwtmp-*" below the directory `root`
// (which stays open and owned by the caller). Never follows symlinks;
// directories it may not read (e.g. a mount point's lost+found) are skipped.
// kStorageError on other errors; `root_path` is only used in messages.
Status remove_temp_leftovers(Directory& root, const std::string& root_path);
// The same in `dir` only, not below it.
Status remove_temp_files_in(Directory& dir, const std::string& dir_path);

}  // namespace framewire::storage
