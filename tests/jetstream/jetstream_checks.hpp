// What a JetStream stream holds, read the way a consumer would (direct gets
// of the frame messages of one framewire stream, in stream order): for the
// gateway and cluster tests' "every acknowledged frame exactly once".
// Test-only; one thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "jetstream/frame_message.hpp"
#include "jetstream/nats_client.hpp"
#include "jetstream/subjects.hpp"
#include "support/file_tree.hpp"
#include "support/manifest_check.hpp"

namespace framewire::test {

struct StoredFrameMessage {
  std::uint64_t stream_sequence = 0;
  jetstream::FrameMessage frame;
  std::vector<std::uint8_t> bytes;
};

// Every frame message of `stream` in JetStream stream `jetstream`, with its
// bytes reassembled and verified (a frame that does not load fails the test).
inline std::vector<StoredFrameMessage> read_stored_frames(const std::string& url,
                                                          const std::string& jetstream,
                                                          const std::string& stream) {
  std::vector<StoredFrameMessage> frames;
  auto client = jetstream::NatsClient::connect({.url = url});
  EXPECT_TRUE(client) << client.status().to_string();
  if (!client) return frames;
  const std::string subject = jetstream::frame_subject(jetstream, stream);
  std::uint64_t from = 1;
  while (true) {
    auto found = jetstream::direct_get((*client)->js(), jetstream, from, subject);
    EXPECT_TRUE(found) << found.status().to_string();
    if (!found || *found == nullptr) break;
    natsMsg* msg = found->get();
    auto frame = jetstream::parse_frame_message(msg, jetstream);
    EXPECT_TRUE(frame) << frame.status().to_string();
    if (!frame) break;
    auto bytes = jetstream::load_frame_bytes((*client)->js(), jetstream, msg, *frame, 1ULL << 32);
    EXPECT_TRUE(bytes) << bytes.status().to_string();
    if (!bytes) break;
    frames.push_back(
        {natsMsg_GetSequence(msg), std::move(frame).value(), std::move(bytes).value()});
    from = frames.back().stream_sequence + 1;
  }
  return frames;
}

// The frames are the files of `folder` in frame order, each exactly once,
// numbered from 0, byte for byte.
inline testing::AssertionResult frames_match_folder(const std::vector<StoredFrameMessage>& frames,
                                                    const std::string& folder) {
  const std::vector<std::string> names = names_in_frame_order(folder);
  if (frames.size() != names.size()) {
    return testing::AssertionFailure()
           << frames.size() << " frames stored for the " << names.size() << " files of " << folder;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const jetstream::FrameMessage& frame = frames[i].frame;
    if (frame.record.sequence != i || frame.record.file_name != names[i]) {
      return testing::AssertionFailure()
             << "frame " << i << " is sequence " << frame.record.sequence << " "
             << frame.record.file_name << ", expected " << names[i];
    }
    if (frames[i].bytes != read_bytes(folder + "/" + names[i])) {
      return testing::AssertionFailure() << names[i] << " differs from the input";
    }
  }
  return testing::AssertionSuccess();
}

// Creates JetStream stream `jetstream` as an operator might, with framewire's
// subjects and at most `per_subject` frames per framewire stream (new ones
// refused): a stream that fills up while others go on.
inline testing::AssertionResult create_limited_stream(const std::string& url,
                                                      const std::string& jetstream,
                                                      std::int64_t per_subject) {
  auto client = jetstream::NatsClient::connect({.url = url});
  if (!client) return testing::AssertionFailure() << client.status().to_string();
  const auto subjects = jetstream::stream_subjects(jetstream);
  std::vector<const char*> pointers{subjects[0].c_str(), subjects[1].c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = jetstream.c_str();
  config.Subjects = pointers.data();
  config.SubjectsLen = 2;
  config.AllowDirect = true;
  config.MaxMsgsPerSubject = per_subject;
  config.Discard = js_DiscardNew;
  config.DiscardNewPerSubject = true;
  jsStreamInfo* info = nullptr;
  jsErrCode error{};
  const natsStatus s = js_AddStream(&info, (*client)->js(), &config, nullptr, &error);
  jsStreamInfo_Destroy(info);
  if (s != NATS_OK) return testing::AssertionFailure() << "js_AddStream: " << error;
  return testing::AssertionSuccess();
}

// Polls until JetStream answers with `replicas` (a fresh cluster elects its
// meta leader first): creating the stream works.
inline testing::AssertionResult wait_for_jetstream(const std::string& url,
                                                   const std::string& jetstream, int replicas) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto client = jetstream::NatsClient::connect({.url = url});
    if (client) {
      Status made = (*client)->ensure_stream(jetstream, replicas, std::chrono::minutes(10));
      if (made) return testing::AssertionSuccess();
      last = made.to_string();
    } else {
      last = client.status().to_string();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return testing::AssertionFailure() << "JetStream not ready within 60 s: " << last;
}

}  // namespace framewire::test
