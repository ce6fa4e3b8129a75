// StorageRoot, StreamStore and IncomingFrame (stream_store.hpp): the
// receiver's durable write path. Every file operation is relative to a
// directory descriptor opened with O_NOFOLLOW, so nothing planted under the
// root can redirect a write outside it. A StreamStore is used by one thread at
// a time; StorageRoot::open_stream by any number of threads at once.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
// (xxhash.h first: the static-linking state type must be visible everywhere.)

#include "storage/stream_store.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <unordered_map>

#include "storage/file_io.hpp"
#include "storage/manifest.hpp"
#include "storage/safe_name.hpp"
#include "storage/temp_files.hpp"
#include "storage/unique_fd.hpp"

namespace framewire::storage {
namespace {

constexpr int kDirOpenFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr int kTempCreateAttempts = 8;
// Never a frame's sequence: next_sequence (one past the highest) must fit.
constexpr std::uint64_t kNoSequence = ~std::uint64_t{0};

// A directory descriptor shared by a store and its frames in flight, so that
// a frame outliving its store can still remove its temporary file.
struct Directory {
  UniqueFd fd;
  std::string path;  // for messages only; never used to reach the files
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string join(std::string_view dir, std::string_view name) {
  std::string path(dir);
  path += '/';
  path += name;
  return path;
}

// splitmix64: temporary names only need to be unlikely to collide (O_EXCL
// catches the rest), and this costs no syscall per frame.
std::uint64_t next_random(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^
         static_cast<std::uint64_t>(now_ns());
}

// Opens `segment` below `parent_fd` as a directory, creating it if missing.
// Refuses symlinks and non-directories. `created` is set when this call made
// the directory.
Result<UniqueFd> open_or_create_dir(int parent_fd, const char* segment, const std::string& path,
                                    bool& created) {
  // Two attempts suffice for a create race (another thread's mkdirat wins,
  // ours sees EEXIST, the second openat finds its directory); a third covers
  // a directory removed by hand in between.
  for (int attempt = 0; attempt < 3; ++attempt) {
    UniqueFd fd(::openat(parent_fd, segment, kDirOpenFlags));
    if (fd.valid()) return fd;
    const int error = errno;
    if (error == ENOENT) {
      if (::mkdirat(parent_fd, segment, 0755) == 0) {
        created = true;
      } else if (errno != EEXIST) {
        return errno_status("cannot create directory", path, errno);
      }
      continue;
    }
    if (error == ELOOP || error == ENOTDIR) {
      struct stat st {};
      if (::fstatat(parent_fd, segment, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        return Status(ErrorCode::kStorageError,
                      path + " is a symlink; stream directories are never reached through one");
      }
      // A name clash between streams (stream "a/x" where stream "a" stored
      // a frame "x"), not a storage failure: the stream cannot be opened.
      return Status(ErrorCode::kConflict,
                    path + " exists and is not a directory (a frame file of a parent stream?)");
    }
    return errno_status("cannot open directory", path, error);
  }
  return Status(ErrorCode::kStorageError, path + " disappeared repeatedly while being opened");
}

}  // namespace

// ---------------------------------------------------------------------------
// IncomingFrame

struct IncomingFrame::State {
  // XXH3_state_t wants 64-byte alignment; it is first so that the padding
  // stays small.
  XXH3_state_t hash;
  std::shared_ptr<const Directory> dir;
  FrameRecord record;
  std::uint64_t written = 0;
  UniqueFd fd;
  TempName temp_name{};
  bool temp_on_disk = false;  // temp_name exists and is ours to remove

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { discard_temp(); }

  const char* temp() const { return temp_name.data(); }

  // Removes the temporary file; a frame that is not stored leaves nothing.
  void discard_temp() {
    fd.reset();
    if (temp_on_disk) {
      // An unlink failure leaves an invisible ".fwtmp-*" that the next
      // StorageRoot::open sweeps away; there is nobody to report it to here.
      ::unlinkat(dir->fd.get(), temp(), 0);
      temp_on_disk = false;
    }
  }
};

IncomingFrame::IncomingFrame(std::unique_ptr<State> state) : state_(std::move(state)) {}
IncomingFrame::IncomingFrame(IncomingFrame&&) noexcept = default;
IncomingFrame& IncomingFrame::operator=(IncomingFrame&&) noexcept = default;
IncomingFrame::~IncomingFrame() = default;

const FrameRecord& IncomingFrame::record() const {
  return state_->record;
}

Status IncomingFrame::write(std::span<const std::uint8_t> bytes) {
  State& frame = *state_;
  if (bytes.size() > frame.record.bytes - frame.written) {
    return {ErrorCode::kMalformed, "frame " + frame.record.file_name + " declared " +
                                       std::to_string(frame.record.bytes) +
                                       " bytes and more arrived"};
  }
  XXH3_64bits_update(&frame.hash, bytes.data(), bytes.size());
  if (const int error = write_all(frame.fd.get(), bytes); error != 0) {
    return errno_status("cannot write frame", join(frame.dir->path, frame.record.file_name), error);
  }
  frame.written += bytes.size();
  return Status::ok();
}

// ---------------------------------------------------------------------------
// StreamStore

struct StreamStore::State {
  std::string name;
  std::string source_kind;
  SyncPolicy policy = SyncPolicy::kBatch;
  std::shared_ptr<const Directory> dir;
  UniqueFd manifest;
  std::string manifest_path;
  std::uint64_t manifest_size = 0;
  std::uint64_t next_sequence = 0;
  std::string last_file_name;  // of the record with sequence next_sequence - 1
  // What the manifest holds under each sequence, read on first need: only a
  // frame sent again under an old sequence needs it (a sender that numbers
  // from 0 again instead of resuming). Kept up to date by commit() once read.
  std::optional<std::unordered_map<std::uint64_t, ManifestEntry>> index;
  std::uint64_t random_state = 0;
  std::vector<std::unique_ptr<IncomingFrame::State>> queue;
  std::string lines;                  // manifest lines of one commit, reused
  std::vector<std::uint8_t> scratch;  // read buffer for hashing stored files
  bool has_rename_noreplace = true;
  Status poisoned;  // not ok once an fsync failed: no further work

  std::string path_of(std::string_view file_name) const { return join(dir->path, file_name); }

  Status poison(Status status) {
    poisoned = Status(ErrorCode::kStorageError,
                      "stream " + name + " refuses further work after: " + status.message());
    return status;
  }

  Status sync(int fd, std::string_view what) {
    if (const int error = fsync_fd(fd); error != 0) {
      // Never retried: after a failed fsync the kernel may have dropped the
      // dirty pages and a second fsync could report success for lost data.
      return poison(errno_status("cannot fsync", what, error));
    }
    return Status::ok();
  }

  // Compares the stored file record.file_name with the frame `record`: ok
  // when identical, kConflict when different or not a regular file.
  Status compare_with_stored(const FrameRecord& record) {
    const std::string path = path_of(record.file_name);
    auto digest =
        hash_file_at(dir->fd.get(), record.file_name.c_str(), path, record.bytes, scratch);
    if (!digest) return digest.status();
    if (digest->hashed && digest->bytes == record.bytes && digest->xxh3 == record.checksum) {
      return Status::ok();
    }
    // Stream-relative: the message goes to the sender, who has no business
    // learning the receiver's folder layout.
    std::string message =
        name + "/" + record.file_name + " is already stored with different content (";
    if (!digest->hashed) {
      message += std::to_string(digest->bytes) + " bytes; the frame has " +
                 std::to_string(record.bytes) + ")";
    } else {
      message += "xxh3 " + hex64(digest->xxh3) + "; the frame has " + hex64(record.checksum) + ")";
    }
    return {ErrorCode::kConflict, std::move(message)};
  }

  enum class Publish { kRenamed, kAlreadyStored, kConflict, kFailed };

  // Moves the frame's temporary file to its final name without ever
  // replacing an existing file. `status` is set for kConflict and kFailed.
  Publish publish(IncomingFrame::State& frame, Status& status) {
    const int dir_fd = dir->fd.get();
    const char* final_name = frame.record.file_name.c_str();
    int error = 0;
    if (has_rename_noreplace) {
      if (::renameat2(dir_fd, frame.temp(), dir_fd, final_name, RENAME_NOREPLACE) == 0) {
        frame.temp_on_disk = false;
        return Publish::kRenamed;
      }
      error = errno;
      // Filesystems without RENAME_NOREPLACE: link+unlink never replaces
      // either, at the cost of one more syscall.
      if (error == EINVAL || error == ENOSYS) has_rename_noreplace = false;
    }
    if (!has_rename_noreplace) {
      if (::linkat(dir_fd, frame.temp(), dir_fd, final_name, 0) == 0) {
        // If this unlink fails the temporary name is a second link to the
        // stored file, invisible to readers and swept at the next open.
        ::unlinkat(dir_fd, frame.temp(), 0);
        frame.temp_on_disk = false;
        return Publish::kRenamed;
      }
      error = errno;
    }
    if (error != EEXIST) {
      status =
          errno_status("cannot rename a temporary file to", path_of(frame.record.file_name), error);
      return Publish::kFailed;
    }
    // The name was taken after begin_frame (the same file twice in one
    // group, or a writer outside framewire): settle it like finish_frame.
    frame.discard_temp();
    status = compare_with_stored(frame.record);
    if (status) return Publish::kAlreadyStored;
    return status.code() == ErrorCode::kConflict ? Publish::kConflict : Publish::kFailed;
  }

  Status append_lines() {
    if (lines.empty()) return Status::ok();
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(lines.data()),
                                              lines.size());
    if (const int error = write_all(manifest.get(), bytes); error != 0) {
      // A partial append would glue the next line onto a torn one: cut it
      // back, and stop using this store either way (a reopen repairs).
      static_cast<void>(::ftruncate(manifest.get(), static_cast<off_t>(manifest_size)));
      return poison(errno_status("cannot append to", manifest_path, error));
    }
    manifest_size += lines.size();
    lines.clear();
    return Status::ok();
  }

  Result<const std::unordered_map<std::uint64_t, ManifestEntry>*> manifest_index() {
    if (!index) {
      std::unordered_map<std::uint64_t, ManifestEntry> entries;
      Status scanned =
          scan_manifest(manifest.get(), manifest_size, manifest_path, [&](ManifestEntry&& entry) {
            // The first line of a sequence is the one that counts.
            entries.try_emplace(entry.sequence, std::move(entry));
          });
      if (!scanned) return scanned;
      index = std::move(entries);
    }
    return &*index;
  }

  // A frame whose sequence is at or below the highest stored one is only
  // accepted as the very frame stored under that sequence (a resend: settled,
  // not rewritten, no second manifest line); anything else would store the
  // stream out of order and move its resume point, so it is refused.
  // ok: already stored; kStaleSequence: refused; kStorageError: I/O failed.
  Status settle_old_sequence(const FrameRecord& record, std::uint64_t group_start) {
    const auto refuse = [&](const std::string& why) {
      return Status(ErrorCode::kStaleSequence,
                    "stream " + name + ": sequence " + std::to_string(record.sequence) +
                        " is at or below the highest stored sequence " +
                        std::to_string(next_sequence - 1) + ", and " + why +
                        "; a stream is stored in sequence order, so continue from "
                        "STREAM_OPENED's next_sequence");
    };
    if (record.sequence >= group_start) {
      return refuse("its group sent sequences out of order");
    }
    auto entries = manifest_index();
    if (!entries) return entries.status();
    const auto found = (*entries)->find(record.sequence);
    if (found == (*entries)->end()) return refuse("no frame is stored under it");
    const ManifestEntry& stored = found->second;
    if (stored.file_name != record.file_name) {
      return refuse("the frame stored under it is " + stored.file_name + ", not " +
                    record.file_name);
    }
    if (stored.checksum) {
      if (*stored.checksum == record.checksum) return Status::ok();
      return refuse(stored.file_name + " is stored under it with xxh3 " + hex64(*stored.checksum) +
                    ", not " + hex64(record.checksum));
    }
    // A line without a checksum (not written by framewire): the file decides.
    Status same = compare_with_stored(record);
    if (same.code() == ErrorCode::kConflict) return refuse(same.message());
    return same;
  }

  Result<CommitResult> commit() {
    CommitResult result;
    result.stored.reserve(queue.size());
    lines.clear();
    bool renamed_any = false;
    const std::uint64_t group_start = next_sequence;
    std::uint64_t next = next_sequence;
    std::string last = last_file_name;
    auto advance = [&](const FrameRecord& record) {
      append_manifest_line(record, lines);
      if (index) {
        index->try_emplace(record.sequence, ManifestEntry{.sequence = record.sequence,
                                                          .file_name = record.file_name,
                                                          .checksum = record.checksum});
      }
      next = record.sequence + 1;
      last = record.file_name;
    };
    for (auto& slot : queue) {
      IncomingFrame::State& frame = *slot;
      if (frame.record.sequence < next) {
        frame.discard_temp();
        Status settled = settle_old_sequence(frame.record, group_start);
        if (settled) {
          result.stored.push_back(std::move(frame.record));
        } else if (settled.code() == ErrorCode::kStaleSequence) {
          result.rejected.emplace_back(std::move(frame.record), std::move(settled));
        } else {
          return settled;
        }
        continue;
      }
      if (policy != SyncPolicy::kNone) {
        if (Status status = sync(frame.fd.get(), path_of(frame.record.file_name)); !status) {
          return status;
        }
      }
      frame.fd.reset();
      Status status;
      switch (publish(frame, status)) {
        case Publish::kRenamed:
        case Publish::kAlreadyStored:
          // kAlreadyStored: identical content is already there under the
          // final name and is not rewritten. Its sequence is new to the
          // stream (the receiver stopped between a rename and its manifest
          // line, or the same file comes under a new sequence), so it gets
          // its line, and its rename may not have been synced either.
          renamed_any = true;
          advance(frame.record);
          if (policy == SyncPolicy::kEach) {
            if (Status synced = sync(dir->fd.get(), dir->path); !synced) return synced;
            if (Status appended = append_lines(); !appended) return appended;
            if (Status synced = sync(manifest.get(), manifest_path); !synced) return synced;
          }
          result.stored.push_back(std::move(frame.record));
          break;
        case Publish::kConflict:
          result.rejected.emplace_back(std::move(frame.record), std::move(status));
          break;
        case Publish::kFailed:
          return status;
      }
    }
    if (policy == SyncPolicy::kBatch && renamed_any) {
      if (Status synced = sync(dir->fd.get(), dir->path); !synced) return synced;
    }
    if (Status appended = append_lines(); !appended) return appended;
    if (policy == SyncPolicy::kBatch && renamed_any) {
      if (Status synced = sync(manifest.get(), manifest_path); !synced) return synced;
    }
    next_sequence = next;
    last_file_name = std::move(last);
    return result;
  }
};

StreamStore::StreamStore(std::unique_ptr<State> state) : state_(std::move(state)) {}
StreamStore::~StreamStore() = default;

Result<IncomingFrame> StreamStore::begin_frame(std::uint64_t sequence, std::string_view file_name,
                                               std::uint64_t bytes, std::int64_t capture_time_ns) {
  State& store = *state_;
  if (!store.poisoned) return store.poisoned;
  if (sequence == kNoSequence) {
    return Status(ErrorCode::kBadSequence,
                  "sequence 2^64-1 is reserved (one past it must still be a sequence)");
  }
  // The caller validated already; checking again is cheap and keeps a
  // traversal out even if a caller forgets.
  if (Status status = validate_file_name(file_name); !status) return status;

  auto frame = std::make_unique<IncomingFrame::State>();
  XXH3_64bits_reset(&frame->hash);
  frame->dir = store.dir;
  frame->record.sequence = sequence;
  frame->record.file_name = file_name;
  frame->record.bytes = bytes;
  frame->record.source_kind = store.source_kind;
  frame->record.capture_time_ns = capture_time_ns;

  const int dir_fd = store.dir->fd.get();
  // No stat of the final name first: a name that is taken is found by the
  // no-replace rename at commit time, and a lookup per frame is measurably
  // slow in a folder of thousands of frames.
  for (int attempt = 0; attempt < kTempCreateAttempts; ++attempt) {
    frame->temp_name = make_temp_name(next_random(store.random_state));
    frame->fd.reset(::openat(dir_fd, frame->temp(),
                             O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (frame->fd.valid()) {
      frame->temp_on_disk = true;
      return IncomingFrame(std::move(frame));
    }
    if (errno != EEXIST) break;
  }
  return errno_status("cannot create a temporary file in", store.dir->path, errno);
}

Result<FinishOutcome> StreamStore::finish_frame(IncomingFrame incoming, std::uint64_t checksum) {
  State& store = *state_;
  std::unique_ptr<IncomingFrame::State> frame = std::move(incoming.state_);
  if (!frame) return Status(ErrorCode::kInternal, "finish_frame got a moved-from frame");
  if (!store.poisoned) return store.poisoned;
  FrameRecord& record = frame->record;
  record.receive_time_ns = now_ns();
  if (frame->written != record.bytes) {
    return Status(ErrorCode::kMalformed, "frame " + record.file_name + " ended after " +
                                             std::to_string(frame->written) + " of " +
                                             std::to_string(record.bytes) + " declared bytes");
  }
  const std::uint64_t actual = XXH3_64bits_digest(&frame->hash);
  if (actual != checksum) {
    return Status(ErrorCode::kChecksumMismatch, "frame " + record.file_name + " hashes to " +
                                                    hex64(actual) + ", the sender said " +
                                                    hex64(checksum));
  }
  record.checksum = checksum;
  store.queue.push_back(std::move(frame));
  return FinishOutcome::kQueued;
}

Result<StreamStore::CommitResult> StreamStore::commit() {
  State& store = *state_;
  if (!store.poisoned) {
    store.queue.clear();
    return store.poisoned;
  }
  auto result = store.commit();
  // Whatever was not renamed (all of it on success) is dropped here; the
  // frame destructors remove leftover temporary files.
  store.queue.clear();
  return result;
}

std::size_t StreamStore::queued() const {
  return state_->queue.size();
}
std::uint64_t StreamStore::next_sequence() const {
  return state_->next_sequence;
}
const std::string& StreamStore::last_file_name() const {
  return state_->last_file_name;
}
const std::string& StreamStore::name() const {
  return state_->name;
}

// ---------------------------------------------------------------------------
// StorageRoot

struct StorageRoot::State {
  std::string path;
  SyncPolicy policy = SyncPolicy::kBatch;
  UniqueFd fd;
};

StorageRoot::StorageRoot(std::unique_ptr<State> state) : state_(std::move(state)) {}
StorageRoot::~StorageRoot() = default;

Result<std::unique_ptr<StorageRoot>> StorageRoot::open(const std::string& path, SyncPolicy policy) {
  if (path.empty()) return Status(ErrorCode::kStorageError, "the storage root path is empty");
  // mkdir -p for the root itself. The operator chose this path, so it is
  // resolved normally (symlinks included); O_NOFOLLOW applies below it.
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return errno_status("cannot create directory", prefix, errno);
    }
  }
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return errno_status("cannot create directory", path, errno);
  }
  auto state = std::make_unique<State>();
  state->path = path;
  while (state->path.size() > 1 && state->path.back() == '/') state->path.pop_back();
  state->policy = policy;
  state->fd.reset(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!state->fd.valid()) return errno_status("cannot open storage root", path, errno);
  if (Status status = remove_temp_leftovers(state->fd.get(), state->path); !status) {
    return status;
  }
  return std::unique_ptr<StorageRoot>(new StorageRoot(std::move(state)));
}

Result<std::unique_ptr<StreamStore>> StorageRoot::open_stream(std::string_view name,
                                                              std::string_view source_kind) {
  if (Status status = validate_stream_name(name); !status) return status;
  if (Status status = validate_source_kind(source_kind); !status) return status;
  const bool sync = state_->policy != SyncPolicy::kNone;

  auto dir = std::make_shared<Directory>();
  dir->path = state_->path;
  int parent_fd = state_->fd.get();
  UniqueFd current;
  std::string segment;
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    segment.assign(name.substr(start, end - start));
    dir->path += '/';
    dir->path += segment;
    bool created = false;
    auto opened = open_or_create_dir(parent_fd, segment.c_str(), dir->path, created);
    if (!opened) return opened.status();
    // A new directory's entry lives in its parent: sync the parent so the
    // stream's directory survives a crash along with the frames in it.
    if (created && sync) {
      if (const int error = fsync_fd(parent_fd); error != 0) {
        return errno_status("cannot fsync the parent of", dir->path, error);
      }
    }
    current = std::move(*opened);
    parent_fd = current.get();
    start = end + 1;
  }
  dir->fd = std::move(current);

  auto state = std::make_unique<StreamStore::State>();
  state->name = name;
  state->source_kind = source_kind;
  state->policy = state_->policy;
  state->manifest_path = join(dir->path, kManifestFileName);
  // Opened for reading too: recovery reads the tail. O_APPEND makes every
  // write land at the end regardless of the reads' offsets.
  state->manifest.reset(::openat(dir->fd.get(), std::string(kManifestFileName).c_str(),
                                 O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!state->manifest.valid()) {
    const int error = errno;
    if (error == ELOOP) {
      return Status(ErrorCode::kStorageError,
                    state->manifest_path + " is a symlink; refusing to follow it");
    }
    return errno_status("cannot open", state->manifest_path, error);
  }
  struct stat st {};
  if (::fstat(state->manifest.get(), &st) != 0) {
    return errno_status("cannot stat", state->manifest_path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return Status(ErrorCode::kStorageError, state->manifest_path + " is not a regular file");
  }
  auto summary = recover_manifest(state->manifest.get(), state->manifest_path, sync);
  if (!summary) return summary.status();
  state->manifest_size = summary->size;
  if (summary->highest) {
    state->next_sequence = summary->highest->sequence + 1;
    state->last_file_name = std::move(summary->highest->file_name);
  }
  state->dir = std::move(dir);
  state->random_state = random_seed();
  return std::unique_ptr<StreamStore>(new StreamStore(std::move(state)));
}

const std::string& StorageRoot::path() const {
  return state_->path;
}
SyncPolicy StorageRoot::policy() const {
  return state_->policy;
}

}  // namespace framewire::storage
