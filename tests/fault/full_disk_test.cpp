// A receiver whose disk fills up. The root lives on a 4 MiB tmpfs mounted for
// the test, with a 2.5 MiB filler file beside it; a 3 MB stream does not fit.
// The sender must exit non-zero with storage_error / "No space left on
// device", the stream folder must hold only complete frames that the
// manifest lists consistently, the receiver must keep serving new
// connections, and once the filler is deleted the same send must resume and
// complete byte-identical. With --retry-on-storage-error the sender instead
// waits and finishes by itself once space is freed.
//
// Mounting needs root (CI runs as root); where it is impossible the tmpfs
// tests skip with the reason. The RLIMIT_FSIZE tests run everywhere: with
// SIGXFSZ ignored a write past the limit fails with EFBIG, which the receiver
// must report like any other storage error; with SIGXFSZ at its default the
// kernel kills the process instead, which the receiver must not allow (it
// serves every other stream too).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "fault/fault_support.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {
namespace {

constexpr std::uint64_t kBigFrames = 30;  // x 100 KB: more than the room left
constexpr std::uint64_t kFillerBytes = 2'560 * 1024;

std::uint64_t big_frame_bytes(std::uint64_t) {
  return 100 * 1024;
}

class StorageFaultFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base_.valid());
    std::filesystem::create_directories(logs_);
    write_frames(data("big"), 0, kBigFrames, 31, big_frame_bytes);
    write_frames(data("small"), 0, 5, 32, [](std::uint64_t) { return 1024; });
  }

  void TearDown() override {
    if (serve_ && serve_->running()) {
      EXPECT_TRUE(serve_->stop());
    }
    if (HasFailure() && serve_) {
      std::cerr << "---- framewire serve log (tail) ----\n"
                << RestartableServe::tail(serve_->log()) << "----\n";
    }
  }

  std::string data(const std::string& name) const { return base_ / "data" + "/" + name; }

  SendResult send(const std::string& stream, const std::string& folder,
                  const std::vector<std::string>& extra = {"--retry-for", "5"}) {
    return run_send(serve_->address(), {{.name = stream, .folder = data(folder)}}, logs_, true,
                    extra);
  }

  TempDir base_{"storage-fault"};
  std::string logs_ = base_ / "logs";
  std::unique_ptr<RestartableServe> serve_;
};

class DiskFull : public StorageFaultFixture {
 protected:
  void SetUp() override {
    StorageFaultFixture::SetUp();
    if (HasFatalFailure()) return;
    std::filesystem::create_directories(disk_);
    if (::mount("tmpfs", disk_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=4m") != 0) {
      GTEST_SKIP() << "cannot mount a 4 MiB tmpfs on " << disk_ << ": " << std::strerror(errno)
                   << " (needs root); the FileSizeLimit tests cover EFBIG instead";
    }
    mounted_ = true;
    write_bytes(filler_, std::vector<std::uint8_t>(kFillerBytes, 0xa5));
    serve_ = std::make_unique<RestartableServe>(root_, logs_,
                                                std::vector<std::string>{"--sync", "batch"});
    ASSERT_TRUE(serve_->start());
  }

  void TearDown() override {
    StorageFaultFixture::TearDown();
    if (mounted_ && ::umount2(disk_.c_str(), 0) != 0) {
      ADD_FAILURE() << "umount " << disk_ << ": " << std::strerror(errno);
      ::umount2(disk_.c_str(), MNT_DETACH);
    }
  }

  // Lines of the "big" manifest, after checking that each names a complete,
  // byte-identical frame and that every file under a final name is complete.
  std::size_t check_partial_big() {
    std::size_t lines = 0;
    EXPECT_TRUE(manifest_consistent(root_ + "/big", &lines));
    EXPECT_TRUE(same_files(data("big"), root_ + "/big", /*subset=*/true));
    CrashState state;
    EXPECT_TRUE(check_crash_state(root_ + "/big", data("big"), &state));
    EXPECT_FALSE(state.torn_last_line);
    EXPECT_EQ(state.temp_files, 0U) << "a failed frame left its temporary file";
    return lines;
  }

  std::string disk_ = base_ / "disk";
  std::string root_ = disk_ + "/root";
  std::string filler_ = disk_ + "/filler";
  bool mounted_ = false;
};

TEST_F(DiskFull, SendFailsWithStorageErrorThenResumesOnceSpaceIsFreed) {
  const SendResult full = send("big", "big");
  EXPECT_FALSE(full.exit.exited_with(0)) << full.describe();
  EXPECT_FALSE(full.exit.timed_out) << full.describe();
  EXPECT_NE(full.err.find("storage_error"), std::string::npos) << full.err;
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  ASSERT_TRUE(serve_->wait_for_log("No space left on device", std::chrono::seconds(30)));
  ASSERT_TRUE(serve_->wait_for_log(" closed:", std::chrono::seconds(30)));

  const std::size_t stored_while_full = check_partial_big();
  EXPECT_LT(stored_while_full, kBigFrames);
  ASSERT_TRUE(serve_->running()) << "the receiver died of a full disk";

  // The receiver still accepts connections and knows where the stream stands.
  {
    RawClient client;
    ASSERT_TRUE(client.connect(serve_->port()));
    ASSERT_TRUE(client.handshake());
    std::uint64_t next_sequence = 0;
    ASSERT_TRUE(client.open_stream(0, "big", "visible", &next_sequence));
    EXPECT_EQ(next_sequence, stored_while_full);
  }
  // A second try while still full fails the same way and breaks nothing.
  const SendResult still_full = send("big", "big", {"--retry-for", "0"});
  EXPECT_FALSE(still_full.exit.exited_with(0)) << still_full.describe();
  EXPECT_NE(still_full.err.find("storage_error"), std::string::npos) << still_full.err;
  const std::size_t stored_after_retry = check_partial_big();

  // Free the space: another stream works, and the same send resumes.
  std::filesystem::remove(filler_);
  const SendResult small = send("small", "small");
  EXPECT_TRUE(small.exit.exited_with(0)) << small.describe();
  EXPECT_TRUE(check_complete(root_ + "/small", data("small")));

  const SendResult resumed = send("big", "big");
  ASSERT_TRUE(resumed.exit.exited_with(0)) << resumed.describe();
  EXPECT_TRUE(check_complete(root_ + "/big", data("big")));
  const auto summary = send_summary(resumed);
  ASSERT_FALSE(summary.is_discarded()) << resumed.out;
  EXPECT_EQ(summary["already_stored_frames"], stored_after_retry);
  EXPECT_EQ(summary["frames"], kBigFrames - stored_after_retry);
  EXPECT_TRUE(tree_is_clean(root_));
}

TEST_F(DiskFull, RetryOnStorageErrorWaitsUntilSpaceIsFreed) {
  SendProcess sender(logs_);
  ASSERT_TRUE(sender.start(
      serve_->address(), {{.name = "big", .folder = data("big")}}, true,
      {"--retry-on-storage-error", "--retry-for", "60", "--retry-max-backoff", "0.3"}));
  // Two refusals: the sender came back after the first.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_of(serve_->log(), "No space left on device") < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(count_of(serve_->log(), "No space left on device"), 2U) << serve_->log();
  EXPECT_TRUE(sender.running()) << "the sender gave up despite --retry-on-storage-error";
  check_partial_big();

  std::filesystem::remove(filler_);
  const SendResult result = sender.wait();
  ASSERT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_TRUE(check_complete(root_ + "/big", data("big")));
  const auto summary = send_summary(result);
  ASSERT_FALSE(summary.is_discarded()) << result.out;
  EXPECT_EQ(summary["frames"], kBigFrames);
  EXPECT_GE(summary["reconnects"].get<int>(), 2);
  EXPECT_TRUE(tree_is_clean(root_));
}

// Fills the filesystem holding `path` to the last byte: appends to `path`
// until the kernel says ENOSPC.
void fill_up(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const std::vector<char> chunk(4096, 'f');
  while (::write(fd, chunk.data(), chunk.size()) > 0) {
  }
  const int error = errno;
  ::close(fd);
  ASSERT_EQ(error, ENOSPC) << std::strerror(error);
}

TEST_F(DiskFull, ManifestAppendOnAFullDiskLeavesNoTornLineAndResumes) {
  // Empty frames need no data pages, so on a full disk they get through the
  // temporary file and the rename and fail at the manifest append, part way
  // through the manifest's last page: the case where a torn line could be left.
  write_frames(data("empty"), 0, 10, 34, [](std::uint64_t) { return 0; });
  const SendResult first = send("empty", "empty");
  ASSERT_TRUE(first.exit.exited_with(0)) << first.describe();
  write_frames(data("empty"), 10, 200, 34, [](std::uint64_t) { return 0; });
  std::filesystem::remove(filler_);
  fill_up(filler_);

  const SendResult full = send("empty", "empty");
  EXPECT_FALSE(full.exit.exited_with(0)) << full.describe();
  EXPECT_NE(full.err.find("storage_error"), std::string::npos) << full.err;
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  ASSERT_TRUE(serve_->wait_for_log(" closed:", std::chrono::seconds(30)));
  CrashState state;
  EXPECT_TRUE(check_crash_state(root_ + "/empty", data("empty"), &state));
  EXPECT_FALSE(state.torn_last_line) << "a failed append left a partial manifest line";
  EXPECT_EQ(state.temp_files, 0U);
  EXPECT_GE(state.manifest_lines, 10U);
  EXPECT_LT(state.manifest_lines, 210U);
  // The commit renamed its frames, then failed to list them.
  EXPECT_NE(serve_->log().find("cannot append to"), std::string::npos) << serve_->log();
  EXPECT_GE(state.stored_not_in_manifest, 1U);

  // Space again: the resend lists every frame once, including the ones that
  // were renamed into place before the append failed.
  std::filesystem::remove(filler_);
  const SendResult resumed = send("empty", "empty");
  ASSERT_TRUE(resumed.exit.exited_with(0)) << resumed.describe();
  EXPECT_TRUE(check_complete(root_ + "/empty", data("empty")));
  EXPECT_TRUE(tree_is_clean(root_));
}

// RLIMIT_FSIZE of 64 KiB on the receiver (bash's ulimit -f counts KiB), set
// by a shell that then execs `framewire serve`. Frames 0..9 are 3 KB, frame 10
// is 100 KB: it cannot be written.
class FileSizeLimit : public StorageFaultFixture {
 protected:
  void SetUp() override {
    StorageFaultFixture::SetUp();
    if (HasFatalFailure()) return;
    write_frames(data("mixed"), 0, 20, 33,
                 [](std::uint64_t i) { return i == 10 ? 100 * 1024 : 3 * 1024; });
  }

  void start_limited(bool ignore_sigxfsz) {
    serve_ = std::make_unique<RestartableServe>(root_, logs_);
    // An ignored signal stays ignored across exec; a default one stays default.
    const std::string script =
        std::string(ignore_sigxfsz ? "trap '' XFSZ; " : "") + "ulimit -f 64; exec \"$0\" \"$@\"";
    serve_->set_prefix({"/bin/bash", "-c", script});
    ASSERT_TRUE(serve_->start());
  }

  // The limit lifted: the same root, a new receiver (on the same port).
  void restart_unlimited() {
    if (serve_->running()) {
      ASSERT_TRUE(serve_->stop());
    }
    serve_->set_prefix({});
    ASSERT_TRUE(serve_->start());
  }

  void expect_refused_then_resumed(const SendResult& refused) {
    EXPECT_FALSE(refused.exit.exited_with(0)) << refused.describe();
    // Only complete frames under final names; a receiver that died may have
    // left its ".fwtmp-*" file (swept at the restart), one that lived may not.
    CrashState state;
    EXPECT_TRUE(check_crash_state(root_ + "/mixed", data("mixed"), &state));
    EXPECT_TRUE(manifest_consistent(root_ + "/mixed"));
    EXPECT_LE(state.manifest_lines, 10U);
    if (serve_->running()) {
      EXPECT_EQ(state.temp_files, 0U) << "the refused frame left its temporary file";
    }
    restart_unlimited();
    const SendResult resumed = send("mixed", "mixed");
    ASSERT_TRUE(resumed.exit.exited_with(0)) << resumed.describe();
    EXPECT_TRUE(check_complete(root_ + "/mixed", data("mixed")));
    EXPECT_TRUE(tree_is_clean(root_));
  }

  std::string root_ = base_ / "root";
};

TEST_F(FileSizeLimit, EfbigIsAStorageErrorAndTheReceiverKeepsServing) {
  start_limited(/*ignore_sigxfsz=*/true);
  const SendResult refused = send("mixed", "mixed");
  EXPECT_NE(refused.err.find("storage_error"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("File too large"), std::string::npos) << refused.err;
  EXPECT_TRUE(serve_->running());
  expect_refused_then_resumed(refused);
}

// Expected to fail until the receiver ignores SIGXFSZ: today the kernel kills
// it (exit status 153 from the shell, signal 25), every connection with it,
// and the sender sees only "connection_failed".
TEST_F(FileSizeLimit, DefaultSigxfszDoesNotKillTheReceiver) {
  start_limited(/*ignore_sigxfsz=*/false);
  const SendResult refused = send("mixed", "mixed", {"--retry-for", "0"});
  EXPECT_NE(refused.err.find("storage_error"), std::string::npos)
      << "the sender should hear storage_error (File too large); it got:\n"
      << refused.err;
  EXPECT_TRUE(serve_->running()) << "the receiver died of SIGXFSZ: "
                                 << serve_->wait_exit(std::chrono::seconds(5)).describe();
  expect_refused_then_resumed(refused);
}

}  // namespace
}  // namespace framewire::test
