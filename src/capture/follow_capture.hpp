// follow:DIR: the files that a camera or another program writes into a folder, each yielded
// once, complete, under its own name, without reading it. First every file already there (in
// frame order, after CaptureOptions::start_after so a restarted send resumes), then each new
// file as soon as it is complete: inotify reports it closed after writing (IN_CLOSE_WRITE) or
// renamed into the folder (IN_MOVED_TO). A file still open for writing anywhere is held back
// until it is closed; that is checked with a read lease (fcntl F_SETLEASE, refused while a
// writer has the file open), which needs the file to be ours or CAP_LEASE; without it, a file
// that was already there counts as complete once unmodified for CaptureOptions::settle, and a
// file an event announced is trusted. Only regular files (symlinks to them too); dot-files and
// the receiver's ".fwtmp-*" are ignored. Names yielded are remembered for the whole capture,
// so a file rewritten in place is not sent twice. Threads as in capture.hpp.
//
// While a lease is held (microseconds), a writer opening the file would make the kernel signal
// this process; the signal is set to SIGURG, which is ignored unless the program handles it.
#pragma once

#include <memory>

#include "capture/capture.hpp"
#include "capture/capture_spec.hpp"

namespace framewire::capture {

// `spec.kind` is kFollow. Errors: kStorageError when the folder cannot be watched or listed.
Result<std::unique_ptr<Capture>> open_follow_capture(const CaptureSpec& spec,
                                                     const CaptureOptions& options);

}  // namespace framewire::capture
