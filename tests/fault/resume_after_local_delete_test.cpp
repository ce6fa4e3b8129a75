// Resume when the sender's folder lost frames it had already sent (a camera
// folder rotated, or cleaned up after a transfer). The receiver answers
// STREAM_OPENED with a count (one past its highest sequence) and the sender
// skips that many files of its current listing, so a folder that shrank at
// the front makes the sender skip frames it never sent while reporting them
// "already stored". The promise says a second run sends the new frames; this
// test holds it to that. It fails today (see docs/RELIABILITY.md, "Limits").
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "fault/fault_support.hpp"
#include "support/receiver_fixture.hpp"

namespace framewire::test {
namespace {

using ResumeAfterLocalDelete = ReceiverFixture;

std::uint64_t small_frame(std::uint64_t) {
  return 512;
}

TEST_F(ResumeAfterLocalDelete, NewFramesAreAllSentAfterSentOnesWereDeletedLocally) {
  write_frames(data("cam"), 0, 10, 41, small_frame);
  ASSERT_TRUE(start_serve());
  const SendResult first = send({{.name = "cam", .folder = data("cam")}}, true);
  ASSERT_TRUE(first.exit.exited_with(0)) << first.describe();

  // 0.bin and 1.bin are stored; the operator deletes them locally, and the
  // camera writes 10..12.
  std::filesystem::remove(data("cam") + "/0.bin");
  std::filesystem::remove(data("cam") + "/1.bin");
  write_frames(data("cam"), 10, 3, 41, small_frame);
  const SendResult second = send({{.name = "cam", .folder = data("cam")}}, true);
  ASSERT_TRUE(second.exit.exited_with(0)) << second.describe();

  for (const char* name : {"10.bin", "11.bin", "12.bin"}) {
    EXPECT_TRUE(std::filesystem::exists(stored("cam") + "/" + name))
        << name << " was never sent, yet the sender exited 0 saying: " << second.out;
  }
  std::size_t lines = 0;
  EXPECT_TRUE(manifest_consistent(stored("cam"), &lines));
  EXPECT_EQ(lines, 13U);
}

}  // namespace
}  // namespace framewire::test
