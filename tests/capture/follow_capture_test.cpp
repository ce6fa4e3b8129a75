// follow: captures against real folders, with writer threads that behave like cameras and
// like careful programs: slow writes in pieces (each file must come out once, complete, when
// closed), renames into the folder, files already there (in frame order, resumable), files
// still open when following starts, rewrites, hidden and temporary names, stop and deadlines.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "capture/capture.hpp"
#include "capture/frame_encoder.hpp"
#include "support/temp_dir.hpp"

namespace framewire::capture {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Deterministic contents of frame `i`, `size` bytes.
std::string contents(int i, std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t k = 0; k < size; ++k) data[k] = static_cast<char>((k * 7 + i * 13) & 0xFF);
  return data;
}

void write_whole(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string name_of(int i) {
  char name[32];
  std::snprintf(name, sizeof(name), "%06d.jpg", i);
  return name;
}

class FollowCapture : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.valid()); }

  std::unique_ptr<Capture> open(CaptureOptions options = {}) {
    if (!options.max_duration) options.max_duration = 60s;  // a hung test ends anyway
    Result<std::unique_ptr<Capture>> capture = open_capture("follow:" + dir_.path(), options);
    EXPECT_TRUE(capture.is_ok()) << capture.status().to_string();
    if (!capture) return nullptr;
    return std::move(capture).value();
  }

  // The next file, or nullopt at the end; fails the test on an error.
  static std::optional<source::FrameFile> next_file(Capture& capture) {
    Result<std::optional<CapturedFrame>> next = capture.next();
    EXPECT_TRUE(next.is_ok()) << next.status().to_string();
    if (!next || !next->has_value()) return std::nullopt;
    return std::get<source::FrameFile>((*next)->content);
  }

  framewire::test::TempDir dir_{"capture-follow"};
};

TEST_F(FollowCapture, FilesAlreadyThereComeFirstInFrameOrderThenNewOnes) {
  for (const char* name : {"10.jpg", "2.jpg", "1.jpg", "b.txt"}) write_whole(dir_ / name, name);
  write_whole(dir_ / ".hidden.jpg", "x");
  write_whole(dir_ / ".fwtmp-0123456789abcdef", "x");
  fs::create_directory(dir_ / "3.jpg");  // a folder is not a frame
  auto capture = open();
  ASSERT_TRUE(capture);
  EXPECT_EQ(capture->info().content, FrameContent::kFile);
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) {
    const std::optional<source::FrameFile> file = next_file(*capture);
    ASSERT_TRUE(file.has_value());
    names.push_back(file->file_name);
    EXPECT_EQ(file->path, dir_ / file->file_name);
    EXPECT_EQ(file->bytes, file->file_name.size());
  }
  EXPECT_THAT(names, ElementsAre("1.jpg", "2.jpg", "10.jpg", "b.txt"));

  std::thread writer([&] {
    std::this_thread::sleep_for(100ms);
    write_whole(dir_ / ".ignored", "x");
    write_whole(dir_ / "11.jpg", "eleven");
  });
  const std::optional<source::FrameFile> file = next_file(*capture);
  writer.join();
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->file_name, "11.jpg");
  EXPECT_EQ(read_whole(file->path), "eleven");
}

TEST_F(FollowCapture, StartAfterResumesAfterTheLastSentName) {
  for (int i = 1; i <= 5; ++i) write_whole(dir_ / name_of(i), "x");
  CaptureOptions options;
  options.start_after = name_of(3);
  options.max_frames = 2;
  auto capture = open(options);
  ASSERT_TRUE(capture);
  EXPECT_EQ(next_file(*capture)->file_name, name_of(4));
  EXPECT_EQ(next_file(*capture)->file_name, name_of(5));
  EXPECT_FALSE(next_file(*capture).has_value()) << "max_frames ends it";
}

// The test: a writer that writes files slowly in pieces and renames others in. Each
// file must land once, complete, names kept, in order.
TEST_F(FollowCapture, SlowWriterInPiecesAndRenamesEachLandOnceCompleteInOrder) {
  constexpr int kFiles = 8;
  constexpr std::size_t kSize = 64 * 1024;
  constexpr int kPieces = 6;
  auto capture = open();
  ASSERT_TRUE(capture);
  std::thread writer([&] {
    for (int i = 0; i < kFiles; ++i) {
      const std::string data = contents(i, kSize);
      if (i % 2 == 0) {
        // In place, in pieces, slowly: the file exists, incomplete, for ~150 ms.
        const int fd = ::open((dir_ / name_of(i)).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT_GE(fd, 0);
        for (int p = 0; p < kPieces; ++p) {
          const std::size_t begin = kSize * p / kPieces;
          const std::size_t end = kSize * (p + 1) / kPieces;
          ASSERT_EQ(::write(fd, data.data() + begin, end - begin),
                    static_cast<ssize_t>(end - begin));
          std::this_thread::sleep_for(25ms);
        }
        ::close(fd);
      } else {
        // Written under a hidden name, then renamed in whole.
        const std::string temporary = dir_ / (".partial-" + std::to_string(i));
        write_whole(temporary, data);
        fs::rename(temporary, dir_ / name_of(i));
      }
      std::this_thread::sleep_for(20ms);
    }
  });
  std::vector<std::string> names;
  for (int i = 0; i < kFiles; ++i) {
    const std::optional<source::FrameFile> file = next_file(*capture);
    ASSERT_TRUE(file.has_value()) << "after " << i << " files";
    names.push_back(file->file_name);
    // Complete when yielded: read at once, while the writer carries on with the next file.
    EXPECT_EQ(file->bytes, kSize) << file->file_name;
    EXPECT_TRUE(read_whole(file->path) == contents(i, kSize)) << file->file_name;
  }
  writer.join();
  std::vector<std::string> expected;
  for (int i = 0; i < kFiles; ++i) expected.push_back(name_of(i));
  EXPECT_EQ(names, expected);

  // Nothing more comes: no file twice.
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    capture->stop();
  });
  EXPECT_FALSE(next_file(*capture).has_value());
  stopper.join();
}

TEST_F(FollowCapture, AFileStillOpenWhenFollowingStartsIsHeldUntilClosed) {
  write_whole(dir_ / name_of(0), "complete");
  const int fd = ::open((dir_ / name_of(1)).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "half", 4), 4);
  auto capture = open();
  ASSERT_TRUE(capture);
  EXPECT_EQ(next_file(*capture)->file_name, name_of(0));
  std::thread writer([&] {
    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(::write(fd, " and the rest", 13), 13);
    ::close(fd);
  });
  const std::optional<source::FrameFile> file = next_file(*capture);
  // Read before joining: a file yielded while still open would show "half".
  const std::string seen = file ? read_whole(file->path) : "";
  writer.join();
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->file_name, name_of(1));
  EXPECT_EQ(file->bytes, 17u);
  EXPECT_EQ(seen, "half and the rest");
}

TEST_F(FollowCapture, AFileRewrittenAfterItWasYieldedIsNotYieldedAgain) {
  auto capture = open();
  ASSERT_TRUE(capture);
  std::thread writer([&] {
    std::this_thread::sleep_for(50ms);
    write_whole(dir_ / name_of(1), "first");
    std::this_thread::sleep_for(200ms);
    write_whole(dir_ / name_of(1), "second");  // closed after writing again
    write_whole(dir_ / name_of(2), "two");
  });
  EXPECT_EQ(next_file(*capture)->file_name, name_of(1));
  EXPECT_EQ(next_file(*capture)->file_name, name_of(2));
  writer.join();
}

TEST_F(FollowCapture, StopFromAnotherThreadEndsAnEmptyWait) {
  auto capture = open();
  ASSERT_TRUE(capture);
  const auto start = Clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    capture->stop();
  });
  EXPECT_FALSE(next_file(*capture).has_value());
  stopper.join();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 10.0);
}

TEST_F(FollowCapture, DurationEndsAnEmptyWait) {
  CaptureOptions options;
  options.max_duration = 200ms;
  const auto start = Clock::now();
  auto capture = open(options);
  ASSERT_TRUE(capture);
  EXPECT_FALSE(next_file(*capture).has_value());
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_GE(elapsed, 0.19);
  EXPECT_LT(elapsed, 10.0);
}

TEST_F(FollowCapture, RawEncodingSendsTheFileAsItIsUnderItsName) {
  write_whole(dir_ / "cam-17.jpg", "jpeg bytes");
  CaptureOptions options;
  options.max_frames = 1;
  auto capture = open(options);
  ASSERT_TRUE(capture);
  Result<std::optional<CapturedFrame>> frame = capture->next();
  ASSERT_TRUE(frame.is_ok() && frame->has_value());
  FrameEncoder encoder(default_encoding(capture->info()));
  EncodedFrame out;
  ASSERT_TRUE(encoder.encode(**frame, out).is_ok());
  EXPECT_EQ(out.file_name, "cam-17.jpg");
  ASSERT_TRUE(out.file.has_value());
  EXPECT_EQ(out.file->path, dir_ / "cam-17.jpg");
  EXPECT_EQ(out.capture_time_ns, out.file->mtime_ns);
  EXPECT_TRUE(out.bytes.empty());
}

TEST_F(FollowCapture, AMissingFolderIsRefused) {
  const auto capture = open_capture("follow:" + (dir_ / "absent"));
  ASSERT_FALSE(capture.is_ok());
  EXPECT_EQ(capture.status().code(), ErrorCode::kStorageError);
  EXPECT_THAT(capture.status().message(), HasSubstr("absent"));
}

TEST_F(FollowCapture, RemovingTheFolderEndsWithAnError) {
  const std::string folder = dir_ / "cam";
  fs::create_directory(folder);
  Result<std::unique_ptr<Capture>> capture = open_capture("follow:" + folder, {});
  ASSERT_TRUE(capture.is_ok());
  std::thread remover([&] {
    std::this_thread::sleep_for(100ms);
    fs::remove(folder);
  });
  Result<std::optional<CapturedFrame>> next = (*capture)->next();
  remover.join();
  ASSERT_FALSE(next.is_ok());
  EXPECT_THAT(next.status().message(), HasSubstr("removed or moved"));
}

}  // namespace
}  // namespace framewire::capture
