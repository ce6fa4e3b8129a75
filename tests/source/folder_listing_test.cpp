// Frame order and folder listing, against real files in a fresh temporary
// directory.
#include "source/folder_listing.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace framewire::source {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// tests/support/temp_dir.hpp, seen as a std::filesystem::path.
class TempDir {
 public:
  fs::path path() const { return dir_.path(); }

 private:
  test::TempDir dir_{"source"};
};

void write_file(const fs::path& path, std::size_t size) {
  std::ofstream out(path, std::ios::binary);
  out << std::string(size, 'x');
}

// Sorting a shuffled copy must give back `expected`, whatever the shuffle.
void expect_sorted_order(const std::vector<std::string>& expected) {
  std::mt19937 random(12345);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> names = expected;
    std::shuffle(names.begin(), names.end(), random);
    std::sort(names.begin(), names.end(),
              [](const std::string& a, const std::string& b) { return frame_order_less(a, b); });
    EXPECT_EQ(names, expected);
  }
}

TEST(FrameOrder, NumbersCompareByValue) {
  EXPECT_TRUE(frame_order_less("2.png", "10.png"));
  EXPECT_TRUE(frame_order_less("10.png", "100.png"));
  EXPECT_FALSE(frame_order_less("10.png", "2.png"));
  expect_sorted_order({"0.png", "1.png", "2.png", "9.png", "10.png", "11.png", "100.png"});
}

TEST(FrameOrder, DigitRunsInsideNamesCompareByValue) {
  EXPECT_TRUE(frame_order_less("frame_2", "frame_10"));
  EXPECT_FALSE(frame_order_less("frame_10", "frame_2"));
  expect_sorted_order({"frame_1.png", "frame_2.png", "frame_10.png", "frame_10b.png",
                       "frame_100.png", "frame_a.png"});
}

TEST(FrameOrder, NumberedNamesComeBeforeOthers) {
  EXPECT_TRUE(frame_order_less("999999.png", "a.png"));
  EXPECT_FALSE(frame_order_less("a.png", "999999.png"));
  EXPECT_TRUE(frame_order_less("9.png", "-1.png"));  // '-' is not a digit
  expect_sorted_order({"1.png", "20.png", "A.png", "b2.png", "b10.png", "thumbs.db"});
}

TEST(FrameOrder, TiesOnTheNumberAreBrokenByTheRest) {
  expect_sorted_order({"7.jpg", "7.png", "7_2.png", "7_10.png", "8.jpg"});
}

TEST(FrameOrder, ThirtyDigitNumbersDoNotOverflow) {
  const std::string big = "123456789012345678901234567890.png";
  const std::string bigger = "123456789012345678901234567891.png";
  const std::string shorter = "99999999999999999999999999999.png";  // 29 digits
  EXPECT_TRUE(frame_order_less(big, bigger));
  EXPECT_TRUE(frame_order_less(shorter, big));
  EXPECT_TRUE(frame_order_less("18446744073709551615.png", "18446744073709551616.png"));
  expect_sorted_order({"5.png", shorter, big, bigger, "a.png"});
}

TEST(FrameOrder, LeadingZerosAreAStrictTotalOrder) {
  // Equal by value: ordered one way only, so sorting is deterministic.
  EXPECT_NE(frame_order_less("007.png", "7.png"), frame_order_less("7.png", "007.png"));
  EXPECT_TRUE(frame_order_less("007.png", "8.png"));
  EXPECT_TRUE(frame_order_less("6.png", "007.png"));
  EXPECT_TRUE(frame_order_less("0000000000000000000000000000001", "2"));
  EXPECT_FALSE(frame_order_less("a", "a"));
  EXPECT_FALSE(frame_order_less("", ""));
  EXPECT_TRUE(frame_order_less("", "a"));
  EXPECT_TRUE(frame_order_less("1", ""));
}

TEST(ListFrames, ListsRegularFilesInFrameOrder) {
  TempDir dir;
  write_file(dir.path() / "10.png", 10);
  write_file(dir.path() / "2.png", 2);
  write_file(dir.path() / "100.png", 100);
  write_file(dir.path() / "notes.txt", 5);
  write_file(dir.path() / ".hidden.png", 1);
  fs::create_directory(dir.path() / "5.png");
  fs::create_symlink(dir.path() / "2.png", dir.path() / "3.png");    // to a file: listed
  fs::create_symlink(dir.path() / "5.png", dir.path() / "4.png");    // to a dir: skipped
  fs::create_symlink(dir.path() / "missing", dir.path() / "6.png");  // dangling: skipped
  auto frames = list_frames(dir.path().string());
  ASSERT_TRUE(frames) << frames.status().to_string();
  std::vector<std::string> names;
  for (const auto& frame : *frames) names.push_back(frame.file_name);
  EXPECT_THAT(names, ElementsAre("2.png", "3.png", "10.png", "100.png", "notes.txt"));
  EXPECT_EQ((*frames)[0].path, (dir.path() / "2.png").string());
  EXPECT_EQ((*frames)[0].bytes, 2u);
  EXPECT_EQ((*frames)[1].bytes, 2u);  // the symlink's target
  EXPECT_EQ((*frames)[3].bytes, 100u);
}

TEST(ListFrames, ReportsModificationTimeInNanoseconds) {
  TempDir dir;
  const fs::path file = dir.path() / "0.png";
  write_file(file, 1);
  const timespec times[2] = {{1700000000, 123456789}, {1700000000, 123456789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  auto frames = list_frames(dir.path().string() + "/");
  ASSERT_TRUE(frames) << frames.status().to_string();
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ((*frames)[0].mtime_ns, 1700000000123456789);
  EXPECT_EQ((*frames)[0].path, file.string());  // no doubled '/'
}

TEST(ListFrames, EmptyFolderGivesNoFrames) {
  TempDir dir;
  auto frames = list_frames(dir.path().string());
  ASSERT_TRUE(frames);
  EXPECT_TRUE(frames->empty());
}

TEST(ListFrames, MissingFolderIsStorageErrorWithPathAndReason) {
  TempDir dir;
  const std::string missing = (dir.path() / "nope").string();
  auto frames = list_frames(missing);
  ASSERT_FALSE(frames);
  EXPECT_EQ(frames.status().code(), ErrorCode::kStorageError);
  EXPECT_THAT(frames.status().message(), HasSubstr(missing));
  EXPECT_THAT(frames.status().message(), HasSubstr("No such file or directory"));
}

TEST(ListFrames, FileInsteadOfFolderIsStorageError) {
  TempDir dir;
  write_file(dir.path() / "f", 1);
  auto frames = list_frames((dir.path() / "f").string());
  ASSERT_FALSE(frames);
  EXPECT_EQ(frames.status().code(), ErrorCode::kStorageError);
  EXPECT_THAT(frames.status().message(), HasSubstr("Not a directory"));
}

}  // namespace
}  // namespace framewire::source
