// End-to-end transfers between the real `framewire send` and
// `framewire serve` over 127.0.0.1: byte-identical output, names and frame
// order preserved, manifest lines right, exit codes and the --json summary;
// several streams on one connection and many senders at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/raw_client.hpp"
#include "support/receiver_fixture.hpp"

namespace framewire::test {
namespace {

namespace fs = std::filesystem;

struct PngHeader {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int bit_depth = 0;
  int color_type = 0;
};

// The IHDR of a PNG file, or nothing when the file is not a PNG.
std::optional<PngHeader> read_png_header(const std::string& path) {
  const auto bytes = read_bytes(path);
  static constexpr std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 33 || !std::equal(kSignature, kSignature + 8, bytes.begin()) ||
      std::string(bytes.begin() + 12, bytes.begin() + 16) != "IHDR") {
    return std::nullopt;
  }
  auto u32 = [&](std::size_t at) {
    return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) |
           (std::uint32_t{bytes[at + 2]} << 8) | std::uint32_t{bytes[at + 3]};
  };
  return PngHeader{u32(16), u32(20), bytes[24], bytes[25]};
}

// Every file of `folder` is a PNG of the given shape.
testing::AssertionResult all_pngs(const std::string& folder, int bit_depth, int color_type) {
  const auto files = frame_files(folder);
  if (files.empty()) return testing::AssertionFailure() << folder << " is empty";
  for (const auto& [name, path] : files) {
    const auto header = read_png_header(path);
    if (!header) return testing::AssertionFailure() << path << " is not a PNG";
    if (header->bit_depth != bit_depth || header->color_type != color_type) {
      return testing::AssertionFailure() << path << ": bit depth " << header->bit_depth
                                         << ", color type " << header->color_type;
    }
  }
  return testing::AssertionSuccess();
}

// The --json summary (last line of stdout): `frames` stored by this run,
// `already` stored before it (a resumed or repeated send), no rejection;
// `streams` is the list of per-stream objects, whose frames add up.
testing::AssertionResult summary_says(const std::string& out, std::uint64_t frames,
                                      std::uint64_t streams, std::uint64_t already = 0) {
  const auto line_start = out.rfind('\n', out.size() >= 2 ? out.size() - 2 : 0);
  const std::string line = out.substr(line_start == std::string::npos ? 0 : line_start + 1);
  const auto json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded()) return testing::AssertionFailure() << "not JSON: " << out;
  const std::uint64_t already_stored = json.value("already_stored_frames", std::uint64_t{0});
  const auto& per_stream = json.value("streams", nlohmann::json::array());
  std::uint64_t stream_frames = 0;
  for (const auto& stream : per_stream) stream_frames += stream.value("frames", std::uint64_t{0});
  if (json.value("frames", ~std::uint64_t{0}) != frames || !per_stream.is_array() ||
      per_stream.size() != streams || stream_frames != frames ||
      json.value("rejected", ~std::uint64_t{0}) != 0 || already_stored != already) {
    return testing::AssertionFailure()
           << "summary " << json.dump() << ", expected " << frames << " frames on " << streams
           << " stream(s), " << already << " already stored";
  }
  return testing::AssertionSuccess();
}

using TransferTest = ReceiverFixture;

TEST_F(TransferTest, VisibleRgbPngsArriveByteIdentical) {
  ASSERT_TRUE(gen("visible", 24, "visible"));
  ASSERT_TRUE(all_pngs(data("visible"), 8, 2));  // 8-bit RGB
  ASSERT_TRUE(read_png_header(data("visible") + "/0.png")->width == 1280);
  ASSERT_TRUE(start_serve());

  const SendResult sent =
      send({{.name = "rig1/visible", .folder = data("visible"), .source = "visible"}}, true);
  ASSERT_TRUE(sent.exit.exited_with(0)) << sent.describe();
  EXPECT_TRUE(summary_says(sent.out, 24, 1));
  EXPECT_TRUE(same_files(data("visible"), stored("rig1/visible")));
  EXPECT_TRUE(manifest_matches(stored("rig1/visible"), data("visible"), "visible"));
}

TEST_F(TransferTest, SixteenBitInfraredPngsArriveByteIdentical) {
  ASSERT_TRUE(gen("infrared", 24, "infrared"));
  ASSERT_TRUE(all_pngs(data("infrared"), 16, 0));  // 16-bit grayscale
  ASSERT_TRUE(start_serve());

  const SendResult sent =
      send({{.name = "ir", .folder = data("infrared"), .source = "infrared"}}, true);
  ASSERT_TRUE(sent.exit.exited_with(0)) << sent.describe();
  EXPECT_TRUE(summary_says(sent.out, 24, 1));
  EXPECT_TRUE(same_files(data("infrared"), stored("ir")));
  EXPECT_TRUE(manifest_matches(stored("ir"), data("infrared"), "infrared"));
}

TEST_F(TransferTest, ThreeThousandTinyFramesArriveByteIdentical) {
  ASSERT_TRUE(gen("tiny", 3000, "tiny"));
  ASSERT_LT(fs::file_size(data("tiny") + "/0.png"), 4000U);
  ASSERT_TRUE(start_serve());

  const SendResult sent = send({{.name = "tiny", .folder = data("tiny")}}, true);
  ASSERT_TRUE(sent.exit.exited_with(0)) << sent.describe();
  EXPECT_TRUE(summary_says(sent.out, 3000, 1));
  EXPECT_TRUE(same_files(data("tiny"), stored("tiny")));
  // No --source: the CLI says "visible".
  EXPECT_TRUE(manifest_matches(stored("tiny"), data("tiny"), "visible"));
}

TEST_F(TransferTest, VisibleAndInfraredStreamsShareOneConnection) {
  ASSERT_TRUE(gen("visible", 8, "visible"));
  ASSERT_TRUE(gen("infrared", 8, "infrared", {"--seed", "7"}));
  ASSERT_TRUE(start_serve());

  const SendResult sent =
      send({{.name = "cam/visible", .folder = data("visible"), .source = "visible"},
            {.name = "cam/infrared", .folder = data("infrared"), .source = "infrared"}},
           true);
  ASSERT_TRUE(sent.exit.exited_with(0)) << sent.describe();
  EXPECT_TRUE(summary_says(sent.out, 16, 2));
  EXPECT_TRUE(same_files(data("visible"), stored("cam/visible")));
  EXPECT_TRUE(same_files(data("infrared"), stored("cam/infrared")));
  EXPECT_TRUE(manifest_matches(stored("cam/visible"), data("visible"), "visible"));
  EXPECT_TRUE(manifest_matches(stored("cam/infrared"), data("infrared"), "infrared"));
  ASSERT_TRUE(serve_->wait_for_log(" closed: "));
  EXPECT_EQ(serve_->log_count(" opened"), 1U) << serve_->log();
}

TEST_F(TransferTest, FiftySendersAtOnceEachOnItsOwnStream) {
  constexpr int kSenders = 50;
  constexpr int kFramesEach = 20;
  ASSERT_TRUE(gen("tiny", kSenders * kFramesEach, "all"));
  // Sender i gets frames 20i..20i+19, so every folder has its own names and
  // bytes and any mix-up between connections shows.
  for (int i = 0; i < kSenders; ++i) {
    const std::string folder = data("s" + std::to_string(i));
    fs::create_directories(folder);
    for (int k = i * kFramesEach; k < (i + 1) * kFramesEach; ++k) {
      fs::rename(data("all") + "/" + std::to_string(k) + ".png",
                 folder + "/" + std::to_string(k) + ".png");
    }
  }
  ASSERT_TRUE(start_serve());

  std::vector<std::unique_ptr<SendProcess>> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.push_back(std::make_unique<SendProcess>(logs_));
    ASSERT_TRUE(senders.back()->start(serve_->address(), {{.name = "many/s" + std::to_string(i),
                                                           .folder = data("s" + std::to_string(i)),
                                                           .source = "infrared"}}));
  }
  for (int i = 0; i < kSenders; ++i) {
    const SendResult sent = senders[i]->wait();
    EXPECT_TRUE(sent.exit.exited_with(0)) << "sender " << i << ": " << sent.describe();
  }
  for (int i = 0; i < kSenders; ++i) {
    const std::string name = "s" + std::to_string(i);
    EXPECT_TRUE(same_files(data(name), stored("many/" + name)));
    EXPECT_TRUE(manifest_matches(stored("many/" + name), data(name), "infrared"));
  }
}

TEST_F(TransferTest, ResendingTheSameFolderRewritesNothing) {
  ASSERT_TRUE(gen("tiny", 40, "tiny"));
  ASSERT_TRUE(start_serve());
  const SendResult first = send({{.name = "cam", .folder = data("tiny")}});
  ASSERT_TRUE(first.exit.exited_with(0)) << first.describe();

  std::map<std::string, FileIdentity> before;
  for (const auto& entry : list_tree(stored("cam"))) {
    before[entry] = identity_of(stored("cam") + "/" + entry);
  }
  const auto manifest_before = read_bytes(stored("cam") + "/manifest.jsonl");

  const SendResult second = send({{.name = "cam", .folder = data("tiny")}}, true);
  ASSERT_TRUE(second.exit.exited_with(0)) << second.describe();
  EXPECT_TRUE(summary_says(second.out, 0, 1, /*already=*/40));

  std::map<std::string, FileIdentity> after;
  for (const auto& entry : list_tree(stored("cam"))) {
    after[entry] = identity_of(stored("cam") + "/" + entry);
  }
  for (const auto& [entry, identity] : before) {
    if (entry == kManifestName) continue;
    EXPECT_EQ(after[entry], identity) << entry << " was rewritten (inode/mtime/ctime changed)";
  }
  EXPECT_EQ(after.size(), before.size());
  EXPECT_TRUE(read_bytes(stored("cam") + "/manifest.jsonl") == manifest_before)
      << "the manifest changed on a resend of identical frames";
  EXPECT_TRUE(same_files(data("tiny"), stored("cam")));
  EXPECT_TRUE(manifest_matches(stored("cam"), data("tiny"), "visible"));

  // The CLI skipped what the receiver had; a raw client really sends every
  // frame again at its old sequence: all acknowledged, none rewritten.
  RawClient again;
  ASSERT_TRUE(again.connect(serve_->port()));
  ASSERT_TRUE(again.handshake());
  std::uint64_t next_sequence = 0;
  ASSERT_TRUE(again.open_stream(0, "cam", "visible", &next_sequence));
  EXPECT_EQ(next_sequence, 40U);
  const auto names = names_in_frame_order(data("tiny"));
  Bytes frames;
  for (std::size_t i = 0; i < names.size(); ++i) {
    append(frames, encode_frame({.stream_id = 0,
                                 .sequence = i,
                                 .capture_time_ns = mtime_ns_of(data("tiny") + "/" + names[i]),
                                 .file_name = names[i]},
                                read_bytes(data("tiny") + "/" + names[i])));
  }
  append(frames, encode(protocol::Goodbye{}));
  ASSERT_TRUE(again.send(frames));
  std::uint64_t through = 0;
  while (true) {
    const auto reply = again.next();
    if (const auto* ack = reply.as<protocol::Ack>()) {
      through = ack->entries.at(0).through_sequence;
      continue;
    }
    EXPECT_TRUE(reply.as<protocol::Goodbye>() != nullptr) << reply.describe();
    break;
  }
  EXPECT_EQ(through, 39U);
  for (const auto& [entry, identity] : before) {
    if (entry == kManifestName) continue;
    EXPECT_EQ(identity_of(stored("cam") + "/" + entry), identity) << entry << " was rewritten";
  }
  EXPECT_TRUE(read_bytes(stored("cam") + "/manifest.jsonl") == manifest_before)
      << "the manifest changed on a resend of identical frames";
}

// `framewire send` resumes after the last stored file name, so it never
// offers a stored name again; a peer that does (here a raw client, at a new
// sequence) with other bytes gets FRAME_REJECTED conflict, and the stored file
// stays as it was.
TEST_F(TransferTest, SameNameDifferentContentIsAConflictAndTheOriginalStays) {
  ASSERT_TRUE(gen("tiny", 10, "original"));
  ASSERT_TRUE(start_serve());
  const SendResult first = send({{.name = "cam", .folder = data("original")}});
  ASSERT_TRUE(first.exit.exited_with(0)) << first.describe();
  const FileIdentity original = identity_of(stored("cam") + "/7.png");

  auto changed = read_bytes(data("original") + "/7.png");
  changed.back() ^= 0x5a;
  RawClient client;
  ASSERT_TRUE(client.connect(serve_->port()));
  ASSERT_TRUE(client.handshake());
  std::uint64_t next_sequence = 0;
  ASSERT_TRUE(client.open_stream(0, "cam", "visible", &next_sequence));
  EXPECT_EQ(next_sequence, 10U);
  Bytes bytes =
      encode_frame({.stream_id = 0, .sequence = next_sequence, .file_name = "7.png"}, changed);
  append(bytes, encode(protocol::Goodbye{}));
  ASSERT_TRUE(client.send(bytes));
  bool rejected = false;
  while (true) {
    const auto reply = client.next();
    if (const auto* frame = reply.as<protocol::FrameRejected>()) {
      EXPECT_EQ(frame->code, protocol::WireError::kConflict);
      EXPECT_NE(frame->message.find("7.png"), std::string::npos) << frame->message;
      rejected = true;
      continue;
    }
    if (reply.as<protocol::Ack>() != nullptr) continue;
    EXPECT_TRUE(reply.as<protocol::Goodbye>() != nullptr) << reply.describe();
    break;
  }
  EXPECT_TRUE(rejected);
  EXPECT_EQ(identity_of(stored("cam") + "/7.png"), original);
  EXPECT_TRUE(same_files(data("original"), stored("cam")));
  EXPECT_TRUE(manifest_consistent(stored("cam")));
}

TEST_F(TransferTest, SecondSenderOnAStreamOpenElsewhereGetsStreamBusy) {
  ASSERT_TRUE(gen("tiny", 10, "tiny"));
  ASSERT_TRUE(start_serve());
  {
    RawClient holder;
    ASSERT_TRUE(holder.connect(serve_->port()));
    ASSERT_TRUE(holder.handshake());
    ASSERT_TRUE(holder.open_stream(0, "shared"));

    // --retry-for 0: refuse at once (by default a sender retries a busy
    // stream, which may be held by its own earlier connection).
    const SendResult refused =
        send({{.name = "shared", .folder = data("tiny")}}, false, {"--retry-for", "0"});
    EXPECT_FALSE(refused.exit.exited_with(0)) << refused.describe();
    EXPECT_FALSE(refused.exit.timed_out);
    EXPECT_NE(refused.err.find("stream_busy"), std::string::npos) << refused.err;
    EXPECT_TRUE(frame_files(stored("shared")).empty());

    // The holder leaves politely; then the name is free again.
    ASSERT_TRUE(holder.send(encode(protocol::Goodbye{})));
    EXPECT_TRUE(holder.next().as<protocol::Goodbye>() != nullptr);
  }
  ASSERT_TRUE(serve_->wait_for_log(" closed: ", 2));
  const SendResult accepted = send({{.name = "shared", .folder = data("tiny")}});
  ASSERT_TRUE(accepted.exit.exited_with(0)) << accepted.describe();
  EXPECT_TRUE(same_files(data("tiny"), stored("shared")));
}

TEST_F(TransferTest, FramesAreStoredInNaturalNameOrder) {
  ASSERT_TRUE(gen("tiny", 6, "gen"));
  const std::vector<std::string> names{"100.png", "20.png", "10.png", "2.png", "1.png", "3.png"};
  fs::create_directories(data("named"));
  for (std::size_t i = 0; i < names.size(); ++i) {
    fs::rename(data("gen") + "/" + std::to_string(i) + ".png", data("named") + "/" + names[i]);
  }
  ASSERT_TRUE(start_serve());
  const SendResult sent = send({{.name = "order", .folder = data("named")}});
  ASSERT_TRUE(sent.exit.exited_with(0)) << sent.describe();

  std::string error;
  const auto lines = read_manifest(stored("order") + "/manifest.jsonl", &error);
  ASSERT_TRUE(error.empty()) << error;
  std::vector<std::string> in_seq_order;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].seq, i);
    in_seq_order.push_back(lines[i].file);
  }
  EXPECT_EQ(in_seq_order,
            (std::vector<std::string>{"1.png", "2.png", "3.png", "10.png", "20.png", "100.png"}));
  EXPECT_TRUE(same_files(data("named"), stored("order")));
  EXPECT_TRUE(manifest_matches(stored("order"), data("named"), "visible"));
}

}  // namespace
}  // namespace framewire::test
