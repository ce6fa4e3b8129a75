// The real file system for the file store (file_system.hpp): openat/mkdirat/
// renameat2 relative to directory descriptors opened with O_NOFOLLOW, fsync,
// O_APPEND for the manifest. Stateless: one process-wide instance, any thread.
#pragma once

#include "storage/file_system.hpp"

namespace framewire::storage {

// The process-wide POSIX file system; lives for the whole program.
FileSystem& posix_file_system();

}  // namespace framewire::storage
