// ImagePusher with a real Sender and an in-process Receiver on 127.0.0.1: images submitted to
// several encoding workers are stored in submission order (names, sequence, decoded pixels);
// encoded frames submitted between images keep their place; a live pusher whose workers fall
// behind drops the oldest waiting image and tells the Sender; an archive pusher's submit()
// times out when full instead of dropping; a format the encoding cannot take is refused at
// submit().
#include "live/image_pusher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "framewire/receiver.hpp"
#include "framewire/sender.hpp"
#include "source/folder_listing.hpp"
#include "support/in_process_receiver.hpp"
#include "view/image_decode.hpp"

namespace framewire::live {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A 16-bit image whose every sample depends on `index`, so a frame stored out of order or
// mixed with another one shows.
capture::Image gray16(int index, int width = 64, int height = 48) {
  capture::Image image(width, height, capture::PixelFormat::kGray16);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.row16(y)[x] = static_cast<std::uint16_t>(index * 997 + y * width + x);
    }
  }
  return image;
}

std::vector<std::uint8_t> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A real Receiver in this process, a Sender to it per test.
class ImagePusherTest : public framewire::test::InProcessReceiverTest {
 protected:
  SenderOptions options() const { return sender_options(); }
};

TEST_F(ImagePusherTest, ImagesEncodedBySeveralWorkersAreStoredInSubmissionOrder) {
  Sender sender(options());
  Result<StreamId> id = sender.add_stream(
      {.name = "ir", .source_kind = "infrared", .policy = StreamPolicy::kArchive});
  ASSERT_TRUE(id);
  ASSERT_TRUE(sender.start().is_ok());
  constexpr int kFrames = 40;
  {
    ImagePusher pusher(sender, *id, {.policy = StreamPolicy::kArchive, .workers = 3, .pending = 2});
    for (int i = 0; i < kFrames; ++i) {
      const capture::Image image = gray16(i);
      if (i == 20) {  // an encoded frame between images keeps its place
        Frame encoded;
        encoded.file_name = "middle.bin";
        encoded.data = {1, 2, 3};
        ASSERT_TRUE(pusher.submit_encoded(std::move(encoded), 10s).is_ok());
      }
      ASSERT_TRUE(pusher.submit({.view = image.view()}, 10s).is_ok());
    }
    Status idle = pusher.wait_idle(30s);
    ASSERT_TRUE(idle.is_ok()) << idle.to_string();
  }
  Result<SendSummary> summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_EQ(summary->frames, kFrames + 1u);

  // Sequence order is file-name order: 000000.png .. 000019.png, middle.bin (sequence 20),
  // then 000021.png .. (the names follow the stream's sequence).
  std::ifstream manifest(fs::path(root_) / "ir" / "manifest.jsonl");
  std::vector<std::string> names;
  for (std::string line; std::getline(manifest, line);) {
    const auto at = line.find("\"file\":\"");
    ASSERT_NE(at, std::string::npos) << line;
    names.push_back(line.substr(at + 8, line.find('"', at + 8) - at - 8));
  }
  ASSERT_EQ(names.size(), kFrames + 1u);
  EXPECT_EQ(names[20], "middle.bin");
  int image_index = 0;
  for (std::size_t seq = 0; seq < names.size(); ++seq) {
    if (seq == 20) continue;
    EXPECT_EQ(names[seq], source::frame_file_name(seq, ".png"));
    const std::vector<std::uint8_t> bytes = read_all(fs::path(root_) / "ir" / names[seq]);
    Result<view::DecodedImage> decoded = view::decode_image(bytes);
    ASSERT_TRUE(decoded) << names[seq];
    const capture::Image expected = gray16(image_index++);
    ASSERT_EQ(decoded->image.format(), capture::PixelFormat::kGray16);
    EXPECT_TRUE(
        std::equal(expected.data(), expected.data() + expected.size_bytes(), decoded->image.data()))
        << names[seq] << " holds another image";
  }
}

TEST_F(ImagePusherTest, LiveDropsTheOldestWaitingImageAndCountsIt) {
  // The Sender's stream holds one frame and is not started yet, so the one worker soon sits
  // in push() with the next frame, and with room for one waiting image every further submit()
  // replaces the waiting one: at most 3 of the 10 images get through, whatever the speed of
  // the encoder (no timing involved).
  Sender sender(options());
  Result<StreamId> id =
      sender.add_stream({.name = "vis", .policy = StreamPolicy::kArchive, .queue_frames = 1});
  ASSERT_TRUE(id);
  const capture::Image image = gray16(3);
  std::uint64_t dropped = 0;
  {
    ImagePusher pusher(sender, *id, {.policy = StreamPolicy::kLive, .workers = 1, .pending = 1});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(pusher.submit({.view = image.view()}, 0ms).is_ok());
    ASSERT_TRUE(sender.start().is_ok());
    ASSERT_TRUE(pusher.wait_idle(60s).is_ok());
    dropped = pusher.dropped();
  }
  Result<SendSummary> summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  const StreamSummary& stream = summary->streams.at(0);
  EXPECT_GE(dropped, 7u);
  EXPECT_EQ(stream.dropped_source, dropped);
  EXPECT_EQ(stream.frames + dropped, 10u);
}

TEST_F(ImagePusherTest, ArchiveSubmitTimesOutWhenFullInsteadOfDropping) {
  // Nothing is pushed until the Sender starts, so a worker sits on its frame (the archive
  // push waits for the Sender's queue of one) and the pusher fills up.
  Sender sender(options());
  Result<StreamId> id =
      sender.add_stream({.name = "vis", .policy = StreamPolicy::kArchive, .queue_frames = 1});
  ASSERT_TRUE(id);
  const capture::Image image = gray16(1);
  // Three workers: while one waits in push(), the others may encode only a bounded number of
  // frames ahead (the bug: they kept taking images, and encoded frames piled up unbounded).
  ImagePusher pusher(sender, *id, {.policy = StreamPolicy::kArchive, .workers = 3, .pending = 1});
  Status status;
  int accepted = 0;
  for (int i = 0; i < 20; ++i) {
    status = pusher.submit({.view = image.view()}, 100ms);
    if (!status) break;
    ++accepted;
  }
  EXPECT_EQ(status.code(), ErrorCode::kTimeout) << status.to_string();
  // The Sender's queue (1), the frame in push() (1), encoded frames waiting (at most 3), the
  // images in the workers' hands and the one waiting.
  EXPECT_LE(accepted, 8);
  EXPECT_FALSE(pusher.wait_for_room(50ms));
  EXPECT_EQ(pusher.dropped(), 0u);
  ASSERT_TRUE(sender.start().is_ok());
  ASSERT_TRUE(pusher.wait_idle(30s).is_ok());
  Result<SendSummary> summary = sender.finish();
  ASSERT_TRUE(summary) << summary.status().to_string();
  EXPECT_EQ(summary->frames, static_cast<std::uint64_t>(accepted));
}

TEST_F(ImagePusherTest, AFormatTheEncodingCannotTakeIsRefusedAtSubmit) {
  Sender sender(options());
  Result<StreamId> id = sender.add_stream({.name = "vis"});
  ASSERT_TRUE(id);
  ImagePusher jpeg(sender, *id,
                   {.encode = capture::EncodeSpec{.encoding = capture::Encoding::kJpeg}});
  const capture::Image sixteen = gray16(0);
  Status status = jpeg.submit({.view = sixteen.view()}, 0ms);
  EXPECT_EQ(status.code(), ErrorCode::kInternal);
  EXPECT_NE(status.message().find("16-bit"), std::string::npos) << status.message();
  capture::Image colour(8, 8, capture::PixelFormat::kRgb8);
  ImagePusher png16(sender, *id,
                    {.encode = capture::EncodeSpec{.encoding = capture::Encoding::kPng16}});
  EXPECT_EQ(png16.submit({.view = colour.view()}, 0ms).code(), ErrorCode::kInternal);
  EXPECT_EQ(png16.submit({.view = capture::ImageView{}}, 0ms).code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace framewire::live
