// The folder source's bookkeeping across reconnections (src/net/folder_source.*).
#include "net/folder_source.hpp"

#include <gtest/gtest.h>

namespace framewire::net {
namespace {

std::vector<source::FrameFile> files(int count) {
  std::vector<source::FrameFile> out;
  for (int i = 0; i < count; ++i) {
    out.push_back({.path = "/x/" + std::to_string(i) + ".png",
                   .file_name = std::to_string(i) + ".png",
                   .bytes = 100});
  }
  return out;
}

// Takes the next frame and returns its token.
FrameToken send_next(FolderSource& source, std::uint64_t sequence) {
  EXPECT_NE(source.peek(), nullptr);
  return source.take(sequence, 100);
}

TEST(FolderSource, FramesStoredWhileCutAreCountedOnce) {
  FolderSource source(files(5));
  source.opened({.next_sequence = 0, .last_file_name = ""}, /*first=*/true);
  const FrameToken zero = send_next(source, 0);
  send_next(source, 1);
  source.stored(zero, 100);
  // Cut; the receiver had stored 1.png too.
  source.opened({.next_sequence = 2, .last_file_name = "1.png"}, /*first=*/false);
  EXPECT_EQ(source.tally().frames_stored, 2U);
  EXPECT_EQ(source.tally().bytes_stored, 200U);
  EXPECT_EQ(source.peek()->file_name, "2.png");
}

TEST(FolderSource, AResumePointThatWentBackDoesNotCountFramesTwice) {
  FolderSource source(files(4));
  source.opened({.next_sequence = 0, .last_file_name = ""}, /*first=*/true);
  for (std::uint64_t s = 0; s < 3; ++s) source.stored(send_next(source, s), 100);
  ASSERT_EQ(source.tally().frames_stored, 3U);
  // A receiver whose store had not caught up says it holds 0.png only: the
  // sender sends 1.png and 2.png again, and the store settles them as
  // duplicates. They were stored once, and count once.
  source.opened({.next_sequence = 1, .last_file_name = "0.png"}, /*first=*/false);
  EXPECT_EQ(source.peek()->file_name, "1.png");
  for (std::uint64_t s = 1; s < 4; ++s) source.stored(send_next(source, s), 100);
  EXPECT_EQ(source.tally().frames_stored, 4U);
  EXPECT_EQ(source.tally().bytes_stored, 400U);
  EXPECT_TRUE(source.exhausted());
}

}  // namespace
}  // namespace framewire::net
