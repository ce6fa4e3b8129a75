// Everything a ReceiverSession needs, without sockets: a StorageRoot on a
// fresh temp dir, a StreamRegistry and a SessionContext, plus helpers to
// build a sender's bytes with the encoder and to decode the session's
// replies with MessageDecoder(Peer::kServer). Test-only; one thread.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "net/receiver_session.hpp"
#include "net/stream_registry.hpp"
#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"
#include "storage/stream_store.hpp"
#include "support/raw_client.hpp"
#include "support/temp_dir.hpp"

namespace framewire::test {

struct SessionRig {
  explicit SessionRig(net::SessionLimits limits = {.max_frame_bytes = 1 << 20,
                                                   .window_bytes = 1 << 20,
                                                   .window_frames = 1024,
                                                   .max_streams = 8},
                      storage::SyncPolicy policy = storage::SyncPolicy::kNone)
      : root_path(dir / "root") {
    auto opened = storage::StorageRoot::open(root_path, policy);
    if (opened) root = std::move(opened).value();
    context = net::SessionContext{.storage = root.get(), .registry = &registry, .limits = limits};
  }

  bool ok() const { return root != nullptr; }
  std::unique_ptr<net::ReceiverSession> session(const std::string& peer = "test-peer") {
    return std::make_unique<net::ReceiverSession>(context, peer);
  }
  std::string stored(const std::string& stream) const { return root_path + "/" + stream; }

  TempDir dir{"session"};
  std::string root_path;
  std::unique_ptr<storage::StorageRoot> root;
  net::StreamRegistry registry;
  net::SessionContext context;
};

// Every message in `bytes` (a session's output); a decode error is reported
// as a test failure and ends the list.
inline std::vector<protocol::Message> decode_replies(const Bytes& bytes,
                                                     protocol::MessageDecoder& decoder) {
  std::vector<protocol::Message> messages;
  std::span<const std::uint8_t> input(bytes);
  while (true) {
    auto event = decoder.next(input);
    if (std::holds_alternative<protocol::NeedMore>(event)) break;
    if (auto* message = std::get_if<protocol::Message>(&event)) {
      messages.push_back(std::move(*message));
      continue;
    }
    if (auto* error = std::get_if<protocol::DecodeError>(&event)) {
      ADD_FAILURE() << "undecodable reply: " << to_string(error->code) << ": " << error->message;
    } else {
      ADD_FAILURE() << "the session sent frame data";
    }
    break;
  }
  return messages;
}

// Replies of one consume() call, decoded by a decoder kept across calls.
class ReplyReader {
 public:
  std::vector<protocol::Message> consume(net::ReceiverSession& session,
                                         std::span<const std::uint8_t> input) {
    Bytes out;
    session.consume(input, out);
    return decode_replies(out, decoder_);
  }
  std::vector<protocol::Message> consume(net::ReceiverSession& session, const Bytes& input) {
    return consume(session, std::span<const std::uint8_t>(input));
  }
  std::vector<protocol::Message> shut_down(net::ReceiverSession& session) {
    Bytes out;
    session.shut_down(out);
    return decode_replies(out, decoder_);
  }

 private:
  protocol::MessageDecoder decoder_{protocol::Peer::kServer, {}};
};

inline Bytes hello_bytes() {
  return encode(protocol::Hello{.agent = "session-test"});
}

inline Bytes open_bytes(std::uint32_t id, const std::string& name,
                        const std::string& kind = "visible") {
  return encode(protocol::OpenStream{.stream_id = id, .name = name, .source_kind = kind});
}

}  // namespace framewire::test
