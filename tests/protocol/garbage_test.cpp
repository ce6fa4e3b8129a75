// Hostile input: random bytes, and valid sessions with random bytes changed,
// fed in random chunks from a seeded PRNG (reproducible). The decoder must
// never crash, never loop, never hand out a view outside the input, and end
// every run with either an error or a need for more bytes.
#include <gtest/gtest.h>

#include <random>

#include "protocol/codec_test_support.hpp"

namespace framewire::protocol::test {
namespace {

std::vector<std::size_t> random_chunks(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::size_t> chunks;
  std::size_t left = n;
  while (left > 0) {
    std::size_t c =
        std::uniform_int_distribution<std::size_t>(0, std::min<std::size_t>(left, 64))(rng);
    chunks.push_back(c);
    left -= c;
  }
  return chunks;
}

// Runs `wire` and checks the invariants; returns whether it ended in error.
bool run_checked(Peer from, const Bytes& wire, std::mt19937_64& rng) {
  const Decoded d = decode_chunks(from, wire, random_chunks(rng, wire.size()), DecoderLimits{4096});
  EXPECT_TRUE(d.data_were_views);
  EXPECT_TRUE(d.input_consumed_on_need_more);
  // Ended either in an error or with every byte consumed and NeedMore.
  EXPECT_FALSE(d.stalled);
  // Same verdict when the bytes arrive whole.
  const Decoded whole = decode_whole(from, wire, DecoderLimits{4096});
  EXPECT_EQ(d.error.has_value(), whole.error.has_value());
  if (d.error && whole.error) {
    EXPECT_EQ(d.error->code, whole.error->code);
  }
  EXPECT_EQ(d.items, whole.items);
  return d.error.has_value();
}

TEST(Garbage, RandomBytesNeverCrash) {
  std::mt19937_64 rng(20240601);
  int errors = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 300)(rng);
    Bytes wire(n);
    for (auto& b : wire) b = static_cast<std::uint8_t>(rng());
    const Peer from = (i % 2 == 0) ? Peer::kClient : Peer::kServer;
    if (run_checked(from, wire, rng)) ++errors;
  }
  // Random first bytes are almost never 0x01/0x02/0x08: nearly all refused.
  EXPECT_GT(errors, 18000);
}

TEST(Garbage, RandomBytesAfterValidHandshake) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const Peer from = (i % 2 == 0) ? Peer::kClient : Peer::kServer;
    Bytes wire = from == Peer::kClient ? client_prefix() : server_prefix();
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 200)(rng);
    for (std::size_t k = 0; k < n; ++k) {
      // Bias towards small values so that lengths and types are plausible.
      wire.push_back(static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() : rng() % 16));
    }
    run_checked(from, wire, rng);
  }
}

TEST(Garbage, MutatedSessionsNeverCrash) {
  Bytes client = client_prefix();
  append(client, encode(OpenStream{1, "rig1/visible", "visible"}));
  append(client, encode_frame(FrameHeader{1, 0, 5, 0, "0.png"}, to_bytes("hello, frame")));
  append(client, encode_frame(FrameHeader{1, 1, 6, 0, "1.png"}, Bytes{}));
  append(client, encode(Goodbye{}));
  Bytes server = server_prefix();
  append(server, encode(StreamOpened{1, 2, "1.png"}));
  append(server, encode(FrameRejected{1, 0, WireError::kConflict, "no"}));
  append(server, encode(Ack{{{1, 1}, {2, 2}}}));
  append(server, encode(Goodbye{}));

  std::mt19937_64 rng(99);
  for (int i = 0; i < 20000; ++i) {
    const Peer from = (i % 2 == 0) ? Peer::kClient : Peer::kServer;
    Bytes wire = from == Peer::kClient ? client : server;
    const int flips = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int f = 0; f < flips; ++f) {
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, wire.size() - 1)(rng);
      wire[at] = static_cast<std::uint8_t>(rng());
    }
    if (rng() % 3 == 0) {
      wire.resize(std::uniform_int_distribution<std::size_t>(0, wire.size())(rng));
    }
    run_checked(from, wire, rng);
  }
}

}  // namespace
}  // namespace framewire::protocol::test
