// Micro-benchmarks of the wire codec on FRAME messages of 3 KiB (a small PNG)
// and 450 KiB (a large one): encoding a whole frame, encoding only its
// header and checksum (what a sender that writes data straight from the file
// pays), and decoding a big buffer of back-to-back frames whole, in 64 KiB
// socket-sized reads, and with the checksum verified. Reports bytes/s of frame
// data and frames/s. Single-threaded; run with --benchmark_filter to pick.
#include <benchmark/benchmark.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "protocol/message_decoder.hpp"
#include "protocol/message_encoder.hpp"

namespace {

namespace fp = framewire::protocol;

constexpr std::size_t kBufferTarget = 32u << 20;  // frames per decode buffer: ~32 MiB worth

std::vector<std::uint8_t> frame_data(std::size_t n) {
  std::vector<std::uint8_t> data(n);
  for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 131 + 7);
  return data;
}

fp::FrameHeader header_for(std::uint64_t sequence, std::size_t bytes) {
  return fp::FrameHeader{1, sequence, 1700000000000000000, bytes,
                         std::to_string(sequence) + ".png"};
}

// A client stream: HELLO then `count` whole frames.
std::vector<std::uint8_t> client_stream(std::size_t frame_bytes, std::size_t count) {
  const std::vector<std::uint8_t> data = frame_data(frame_bytes);
  const std::uint64_t checksum = XXH3_64bits(data.data(), data.size());
  fp::ByteBuffer out;
  out.reserve(count * (frame_bytes + 64) + 64);
  fp::encode_message(fp::Hello{1, 1, 0, "bench"}, out);
  for (std::size_t i = 0; i < count; ++i) {
    fp::encode_message(header_for(i, frame_bytes), out);
    out.insert(out.end(), data.begin(), data.end());
    fp::encode_frame_checksum(checksum, out);
  }
  return out;
}

std::size_t frames_per_buffer(std::size_t frame_bytes) {
  return std::max<std::size_t>(kBufferTarget / frame_bytes, 16);
}

void set_counters(benchmark::State& state, std::size_t frames, std::size_t frame_bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frames * frame_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * frames));
  state.counters["frames_per_buffer"] = static_cast<double>(frames);
}

// Header, data copied in, XXH3 computed, checksum: a whole FRAME in a buffer.
void BM_EncodeFrame(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::vector<std::uint8_t> data = frame_data(size);
  const fp::FrameHeader header = header_for(12345, size);
  fp::ByteBuffer out;
  out.reserve(size + 128);
  for (auto _ : state) {
    out.clear();
    fp::encode_message(header, out);
    out.insert(out.end(), data.begin(), data.end());
    fp::encode_frame_checksum(XXH3_64bits(data.data(), data.size()), out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 1, size);
}

// Only the codec's share: header and checksum, data left where it is.
void BM_EncodeFrameHeader(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const fp::FrameHeader header = header_for(12345, size);
  fp::ByteBuffer out;
  out.reserve(512);
  for (auto _ : state) {
    out.clear();
    fp::encode_message(header, out);
    fp::encode_frame_checksum(0x9555e8555c62dcfdull, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  // No data is touched here, so frames/s is the only meaningful rate.
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Decodes every event of `wire`, fed in reads of `read_bytes`; returns the
// number of frame data bytes seen (and optionally verifies checksums).
std::uint64_t decode_all(std::span<const std::uint8_t> wire, std::size_t read_bytes, bool verify,
                         benchmark::State& state) {
  fp::MessageDecoder decoder(fp::Peer::kClient, {});
  XXH3_state_t* hash = verify ? XXH3_createState() : nullptr;
  std::uint64_t data_bytes = 0;
  while (!wire.empty()) {
    std::span<const std::uint8_t> input = wire.first(std::min(read_bytes, wire.size()));
    wire = wire.subspan(input.size());
    for (;;) {
      fp::DecodeEvent event = decoder.next(input);
      if (std::holds_alternative<fp::NeedMore>(event)) break;
      if (auto* data = std::get_if<fp::FrameData>(&event)) {
        data_bytes += data->bytes.size();
        if (hash) XXH3_64bits_update(hash, data->bytes.data(), data->bytes.size());
      } else if (auto* end = std::get_if<fp::FrameEnd>(&event)) {
        if (hash) {
          if (XXH3_64bits_digest(hash) != end->checksum) state.SkipWithError("checksum mismatch");
          XXH3_64bits_reset(hash);
        }
      } else if (auto* message = std::get_if<fp::Message>(&event)) {
        benchmark::DoNotOptimize(message);
        if (hash && std::holds_alternative<fp::FrameHeader>(*message)) XXH3_64bits_reset(hash);
      } else {
        state.SkipWithError("decode error");
        wire = {};
        break;
      }
    }
  }
  if (hash) XXH3_freeState(hash);
  return data_bytes;
}

void run_decode(benchmark::State& state, std::size_t read_bytes, bool verify) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::size_t frames = frames_per_buffer(size);
  const std::vector<std::uint8_t> wire = client_stream(size, frames);
  for (auto _ : state) {
    const std::uint64_t seen = decode_all(wire, read_bytes, verify, state);
    if (seen != frames * size) state.SkipWithError("lost frame data");
    benchmark::DoNotOptimize(seen);
  }
  set_counters(state, frames, size);
}

// One big buffer holding thousands of frames (3 KiB) or dozens (450 KiB).
void BM_DecodeFrames(benchmark::State& state) {
  run_decode(state, SIZE_MAX, false);
}
// The same buffer in 64 KiB reads, so envelopes and checksums get split.
void BM_DecodeFramesIn64KiBReads(benchmark::State& state) {
  run_decode(state, 64 << 10, false);
}
// What a receiver does: decode and verify each frame's XXH3-64.
void BM_DecodeAndVerifyFrames(benchmark::State& state) {
  run_decode(state, 64 << 10, true);
}

constexpr std::int64_t kSmall = 3 << 10;
constexpr std::int64_t kLarge = 450 << 10;

BENCHMARK(BM_EncodeFrame)->Arg(kSmall)->Arg(kLarge);
BENCHMARK(BM_EncodeFrameHeader)->Arg(kSmall)->Arg(kLarge);
BENCHMARK(BM_DecodeFrames)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeFramesIn64KiBReads)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeAndVerifyFrames)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
