// A protocol client with no manners: a plain blocking POSIX socket to
// 127.0.0.1 that sends exactly the bytes a test builds (with
// src/protocol/message_encoder.hpp or by hand) and decodes what the receiver
// answers with MessageDecoder(Peer::kServer). Every read has a deadline.
// Hostile tests use it to break the protocol on purpose; a few well-behaved
// helpers (handshake, open_stream) get it to the point under test.
// Test-only; one thread per RawClient.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"
#include "protocol/messages.hpp"
#include "protocol/wire_error.hpp"

namespace framewire::test {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::chrono::seconds kReplyTimeout{15};

inline Bytes encode(const protocol::Message& message) {
  Bytes out;
  protocol::encode_message(message, out);
  return out;
}

// A whole FRAME (header with data_bytes = data.size(), data, checksum). A
// nonzero `checksum_xor` corrupts the checksum.
inline Bytes encode_frame(protocol::FrameHeader header, std::span<const std::uint8_t> data,
                          std::uint64_t checksum_xor = 0) {
  header.data_bytes = data.size();
  Bytes out;
  protocol::encode_message(header, out);
  out.insert(out.end(), data.begin(), data.end());
  protocol::encode_frame_checksum(XXH3_64bits(data.data(), data.size()) ^ checksum_xor, out);
  return out;
}

inline void append(Bytes& to, const Bytes& more) {
  to.insert(to.end(), more.begin(), more.end());
}

inline Bytes bytes_of(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

// A public code, for messages.
inline std::string code_name(ErrorCode code) {
  return std::string(to_string(code)) + " (" + std::to_string(static_cast<int>(code)) + ")";
}

// The code of an ERROR or FRAME_REJECTED as on the wire, for messages.
inline std::string code_name(protocol::WireError code) {
  return protocol::to_string(code) + " (" + std::to_string(static_cast<int>(code)) + ")";
}

inline std::string describe(const protocol::Message& message) {
  if (const auto* error = std::get_if<protocol::ErrorMessage>(&message)) {
    return "ERROR " + code_name(error->code) + ": " + error->message;
  }
  if (const auto* rejected = std::get_if<protocol::FrameRejected>(&message)) {
    return "FRAME_REJECTED seq " + std::to_string(rejected->sequence) + " " +
           code_name(rejected->code) + ": " + rejected->message;
  }
  if (const auto* ack = std::get_if<protocol::Ack>(&message)) {
    std::string text = "ACK";
    for (const auto& entry : ack->entries) {
      text += " " + std::to_string(entry.stream_id) + ":" + std::to_string(entry.through_sequence);
    }
    return text;
  }
  return "message type " + std::to_string(static_cast<int>(protocol::type_of(message)));
}

class RawClient {
 public:
  // What the receiver did next.
  struct Reply {
    enum class Kind { kMessage, kClosed, kTimeout, kBadBytes } kind = Kind::kTimeout;
    protocol::Message message;
    std::string detail;  // why closed / what was wrong with the bytes

    bool is_message() const { return kind == Kind::kMessage; }
    template <typename T>
    const T* as() const {
      return is_message() ? std::get_if<T>(&message) : nullptr;
    }
    std::string describe() const {
      switch (kind) {
        case Kind::kMessage:
          return test::describe(message);
        case Kind::kClosed:
          return "connection closed (" + detail + ")";
        case Kind::kTimeout:
          return "no reply before the deadline";
        case Kind::kBadBytes:
          return "undecodable reply: " + detail;
      }
      return "?";
    }
  };

  RawClient() = default;
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  testing::AssertionResult connect(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return testing::AssertionFailure() << "socket: " << std::strerror(errno);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Loopback connects complete or fail at once (the backlog absorbs bursts).
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      return testing::AssertionFailure()
             << "connect 127.0.0.1:" << port << ": " << std::strerror(errno);
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return testing::AssertionSuccess();
  }

  int fd() const { return fd_; }

  // The local port, which the receiver logs as the peer "127.0.0.1:PORT".
  std::uint16_t local_port() const {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
    return ntohs(address.sin_port);
  }
  std::string peer_name() const { return "127.0.0.1:" + std::to_string(local_port()); }

  // Sends every byte; false once the receiver has closed or reset.
  bool send(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      pollfd writable{.fd = fd_, .events = POLLOUT, .revents = 0};
      if (::poll(&writable, 1, static_cast<int>(kMillisPerSend)) <= 0) return false;
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return false;
      }
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return true;
  }
  bool send(const Bytes& bytes) { return send(std::span<const std::uint8_t>(bytes)); }

  // The next thing the receiver does: one decoded message, the connection
  // closing (EOF or reset), or nothing before `timeout`.
  Reply next(std::chrono::milliseconds timeout = kReplyTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (decode_failed_) return {.kind = Reply::Kind::kBadBytes, .detail = decode_error_};
      std::span<const std::uint8_t> input(pending_);
      const std::size_t before = input.size();
      auto event = decoder_.next(input);
      pending_.erase(pending_.begin(),
                     pending_.begin() + static_cast<std::ptrdiff_t>(before - input.size()));
      if (auto* message = std::get_if<protocol::Message>(&event)) {
        return {.kind = Reply::Kind::kMessage, .message = std::move(*message)};
      }
      if (auto* error = std::get_if<protocol::DecodeError>(&event)) {
        decode_failed_ = true;
        decode_error_ = std::string(to_string(error->code)) + ": " + error->message;
        continue;
      }
      if (!std::holds_alternative<protocol::NeedMore>(event)) {
        decode_failed_ = true;
        decode_error_ = "the receiver sent frame data";
        continue;
      }
      if (eof_) return {.kind = Reply::Kind::kClosed, .detail = close_detail_};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {.kind = Reply::Kind::kTimeout};
      pollfd readable{.fd = fd_, .events = POLLIN, .revents = 0};
      const int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return {.kind = Reply::Kind::kTimeout};
      std::uint8_t buffer[64 * 1024];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        eof_ = true;
        close_detail_ = n == 0 ? "end of stream" : std::strerror(errno);
        continue;
      }
      pending_.insert(pending_.end(), buffer, buffer + n);
    }
  }

  // HELLO (min..max versions), expecting HELLO_OK.
  testing::AssertionResult handshake(std::uint16_t min_version = protocol::kVersion,
                                     std::uint16_t max_version = protocol::kVersion) {
    if (!send(encode(protocol::Hello{
            .min_version = min_version, .max_version = max_version, .agent = "raw-test-client"}))) {
      return testing::AssertionFailure() << "cannot send HELLO";
    }
    const Reply reply = next();
    if (const auto* ok = reply.as<protocol::HelloOk>()) {
      hello_ok_ = *ok;
      return testing::AssertionSuccess();
    }
    return testing::AssertionFailure() << "HELLO answered with " << reply.describe();
  }
  const protocol::HelloOk& hello_ok() const { return hello_ok_; }

  // OPEN_STREAM, expecting STREAM_OPENED for `stream_id`.
  testing::AssertionResult open_stream(std::uint32_t stream_id, const std::string& name,
                                       const std::string& source_kind = "visible",
                                       std::uint64_t* next_sequence = nullptr) {
    if (!send(encode(protocol::OpenStream{
            .stream_id = stream_id, .name = name, .source_kind = source_kind}))) {
      return testing::AssertionFailure() << "cannot send OPEN_STREAM";
    }
    const Reply reply = next();
    const auto* opened = reply.as<protocol::StreamOpened>();
    if (opened == nullptr || opened->stream_id != stream_id) {
      return testing::AssertionFailure()
             << "OPEN_STREAM " << name << " answered with " << reply.describe();
    }
    if (next_sequence != nullptr) *next_sequence = opened->next_sequence;
    return testing::AssertionSuccess();
  }

  // Reads replies until an ERROR and then the end of the connection. The ERROR
  // must carry the wire code of `code` (protocol::to_wire); ACKs and
  // FRAME_REJECTEDs before it are collected in `before` (if given). Fails on a
  // timeout or anything else.
  testing::AssertionResult expect_error_then_close(
      ErrorCode code, std::vector<protocol::Message>* before = nullptr,
      std::chrono::milliseconds timeout = kReplyTimeout) {
    while (true) {
      Reply reply = next(timeout);
      if (const auto* error = reply.as<protocol::ErrorMessage>()) {
        if (error->code != protocol::to_wire(code)) {
          return testing::AssertionFailure()
                 << "expected ERROR " << code_name(code) << ", got " << reply.describe();
        }
        const Reply after = next(timeout);
        if (after.kind != Reply::Kind::kClosed) {
          return testing::AssertionFailure() << "after " << reply.describe()
                                             << " the connection stayed open: " << after.describe();
        }
        return testing::AssertionSuccess();
      }
      if (reply.as<protocol::Ack>() != nullptr || reply.as<protocol::FrameRejected>() != nullptr) {
        if (before != nullptr) before->push_back(std::move(reply.message));
        continue;
      }
      return testing::AssertionFailure()
             << "expected ERROR " << code_name(code) << ", got " << reply.describe();
    }
  }

  // Half-closes nothing: drops the connection at once.
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  static constexpr long kMillisPerSend = 15'000;

  int fd_ = -1;
  protocol::MessageDecoder decoder_{protocol::Peer::kServer, {}};
  Bytes pending_;
  bool eof_ = false;
  bool decode_failed_ = false;
  std::string decode_error_;
  std::string close_detail_;
  protocol::HelloOk hello_ok_;
};

}  // namespace framewire::test
