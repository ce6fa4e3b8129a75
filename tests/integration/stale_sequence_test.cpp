// Issue 6's reproduction over the wire: a peer that numbers from 0 again
// with a file the receiver does not have used to move the stream's resume
// point backwards, so that a later `framewire send` skipped frames and still
// exited 0. Now such a frame is refused with FRAME_REJECTED stale_sequence,
// the resume point stays at the highest stored sequence, and the send that
// follows stores every missing frame.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/hostile_fixture.hpp"

namespace framewire::test {
namespace {

using StaleSequence = HostileFixture;
using Reply = RawClient::Reply;

// OPEN_STREAM `name` as id 1 on `client`; the STREAM_OPENED it got.
std::optional<protocol::StreamOpened> open(RawClient& client, const std::string& name) {
  if (!client.send(
          encode(protocol::OpenStream{.stream_id = 1, .name = name, .source_kind = "visible"})))
    return {};
  const Reply reply = client.next();
  if (const auto* opened = reply.as<protocol::StreamOpened>()) return *opened;
  ADD_FAILURE() << "OPEN_STREAM answered with " << reply.describe();
  return {};
}

Bytes frame(std::uint64_t sequence, const std::string& file, const std::string& text) {
  return encode_frame({.stream_id = 1, .sequence = sequence, .file_name = file}, bytes_of(text));
}

// Sends `bytes` and GOODBYE, then collects replies until the receiver's
// GOODBYE and the close.
std::vector<protocol::Message> send_then_goodbye(RawClient& client, Bytes bytes) {
  append(bytes, encode(protocol::Goodbye{}));
  EXPECT_TRUE(client.send(bytes));
  std::vector<protocol::Message> replies;
  while (true) {
    Reply reply = client.next();
    if (reply.kind != Reply::Kind::kMessage) {
      ADD_FAILURE() << "before GOODBYE: " << reply.describe();
      break;
    }
    const bool goodbye = reply.as<protocol::Goodbye>() != nullptr;
    replies.push_back(std::move(reply.message));
    if (goodbye) break;
  }
  return replies;
}

TEST_F(StaleSequence, LowerSequenceWithANewNameNeverMovesTheResumePoint) {
  {
    auto client = hello_client();
    const auto opened = open(*client, "s");
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->next_sequence, 0U);
    Bytes frames = frame(0, "0.png", "A");
    append(frames, frame(1, "1.png", "B"));
    (void)send_then_goodbye(*client, frames);
  }
  {
    auto client = hello_client();
    const auto opened = open(*client, "s");
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->next_sequence, 2U);
    EXPECT_EQ(opened->last_file_name, "1.png");
    bool refused = false;
    for (const auto& reply : send_then_goodbye(*client, frame(0, "zz.png", "Z"))) {
      if (const auto* rejected = std::get_if<protocol::FrameRejected>(&reply)) {
        EXPECT_EQ(rejected->code, protocol::WireError::kStaleSequence) << rejected->message;
        refused = true;
      }
    }
    EXPECT_TRUE(refused) << "FRAME seq 0 zz.png was not refused";
  }
  {
    auto client = hello_client();
    const auto opened = open(*client, "s");
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->next_sequence, 2U);
    EXPECT_EQ(opened->last_file_name, "1.png");
    (void)send_then_goodbye(*client, {});
  }

  // A resuming send of 0.png..3.png stores the two frames the receiver lacks.
  std::filesystem::create_directories(data("s"));
  for (const char* name : {"0.png", "1.png", "2.png", "3.png"}) {
    const std::string text = name == std::string("0.png")   ? "A"
                             : name == std::string("1.png") ? "B"
                                                            : name;
    write_bytes(data("s") + "/" + name, bytes_of(text));
  }
  const SendResult result = send({{.name = "s", .folder = data("s")}});
  EXPECT_TRUE(result.exit.exited_with(0)) << result.describe();
  EXPECT_NE(result.out.find("2 already stored"), std::string::npos) << result.out;
  EXPECT_TRUE(same_files(data("s"), stored("s")));
  EXPECT_FALSE(std::filesystem::exists(stored("s") + "/zz.png"));
}

}  // namespace
}  // namespace framewire::test
