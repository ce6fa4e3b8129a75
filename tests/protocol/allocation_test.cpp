// The decoder's cost promise: decoding thousands of frames allocates nothing
// per frame (file names this short live inside std::string), and split input
// costs at most the one-time growth of the pending buffer. Counted by
// replacing the global operator new for this test binary; the counter is only
// read inside these tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>

#include "protocol/codec_test_support.hpp"

namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace framewire::protocol::test {
namespace {

Bytes many_frames(std::size_t count, std::size_t frame_bytes) {
  Bytes data(frame_bytes, 0x5a);
  Bytes wire = client_prefix();
  for (std::size_t i = 0; i < count; ++i) {
    append(wire, encode_frame(FrameHeader{1, i, 0, 0, std::to_string(i) + ".png"}, data));
  }
  return wire;
}

// Decodes `wire` in reads of `read_bytes`; returns allocations made while
// decoding and the number of frames seen.
std::pair<std::size_t, std::size_t> count_allocations(const Bytes& wire, std::size_t read_bytes) {
  MessageDecoder decoder(Peer::kClient, {});
  std::size_t frames = 0;
  const std::size_t before = g_allocations.load();
  std::span<const std::uint8_t> rest(wire);
  while (!rest.empty()) {
    std::span<const std::uint8_t> input = rest.first(std::min(read_bytes, rest.size()));
    rest = rest.subspan(input.size());
    for (;;) {
      DecodeEvent event = decoder.next(input);
      if (std::holds_alternative<NeedMore>(event)) break;
      if (std::holds_alternative<DecodeError>(event)) return {SIZE_MAX, frames};
      if (std::holds_alternative<FrameEnd>(event)) ++frames;
    }
  }
  return {g_allocations.load() - before, frames};
}

TEST(Allocation, CounterIsInEffect) {
  const std::size_t before = g_allocations.load();
  int* volatile p = new int(1);
  delete p;
  EXPECT_GT(g_allocations.load(), before);
}

TEST(Allocation, ThousandsOfFramesInOneBufferAllocateNothing) {
  const Bytes wire = many_frames(4000, 3 * 1024);
  const auto [allocations, frames] = count_allocations(wire, wire.size());
  EXPECT_EQ(frames, 4000u);
  EXPECT_EQ(allocations, 0u);
}

TEST(Allocation, SplitInputOnlyGrowsThePendingBufferOnce) {
  const Bytes wire = many_frames(4000, 3 * 1024);
  // 1000-byte reads cut envelopes, bodies and checksums all over the place.
  const auto [allocations, frames] = count_allocations(wire, 1000);
  EXPECT_EQ(frames, 4000u);
  EXPECT_LE(allocations, 8u);
}

}  // namespace
}  // namespace framewire::protocol::test
