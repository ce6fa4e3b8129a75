// Writes the seed corpora of fuzz/corpus/<target>/ with the real encoder, so
// the seeds follow the wire format. Run by hand after a format change:
//   framewire-fuzz-seeds /work/main/fuzz/corpus
// Each seed starts with the options byte its target reads (see the comment at
// the top of each *_fuzz.cpp). Not a fuzz target; single-threaded.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <xxhash.h>

#include "capture/jpeg_encoder.hpp"
#include "capture/png_encoder.hpp"
#include "capture/test_pattern.hpp"
#include "protocol/message_encoder.hpp"
#include "protocol/messages.hpp"

namespace {

namespace fs = std::filesystem;
namespace protocol = framewire::protocol;
using framewire::protocol::WireError;
using protocol::ByteBuffer;

bool write_seed(const fs::path& dir, const std::string& name, std::uint8_t options,
                const ByteBuffer& bytes) {
  fs::create_directories(dir);
  std::ofstream file(dir / name, std::ios::binary | std::ios::trunc);
  file.put(static_cast<char>(options));
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(file);
}

ByteBuffer pattern(std::size_t n, std::uint8_t salt) {
  ByteBuffer data(n);
  for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 7 + salt);
  return data;
}

void put_frame(ByteBuffer& out, std::uint32_t stream_id, std::uint64_t sequence,
               std::string file_name, const ByteBuffer& data, bool good_checksum = true) {
  protocol::encode_message(protocol::FrameHeader{.stream_id = stream_id,
                                                 .sequence = sequence,
                                                 .capture_time_ns = 1700000000000000000,
                                                 .data_bytes = data.size(),
                                                 .file_name = std::move(file_name)},
                           out);
  out.insert(out.end(), data.begin(), data.end());
  std::uint64_t checksum = XXH3_64bits(data.data(), data.size());
  if (!good_checksum) checksum ^= 0xff;
  protocol::encode_frame_checksum(checksum, out);
}

ByteBuffer hello() {
  ByteBuffer out;
  protocol::encode_message(protocol::Hello{.agent = "framewire/0.1.0"}, out);
  return out;
}

ByteBuffer open_stream(std::uint32_t id, std::string name, std::string kind = "visible") {
  ByteBuffer out;
  protocol::encode_message(
      protocol::OpenStream{
          .stream_id = id, .name = std::move(name), .source_kind = std::move(kind)},
      out);
  return out;
}

ByteBuffer cat(std::initializer_list<ByteBuffer> parts) {
  ByteBuffer out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

ByteBuffer encoded(const protocol::Message& message) {
  ByteBuffer out;
  protocol::encode_message(message, out);
  return out;
}

// A client's whole session: handshake, two streams, frames, goodbye.
ByteBuffer client_session() {
  ByteBuffer frames;
  put_frame(frames, 1, 0, "0.png", pattern(40, 1));
  put_frame(frames, 1, 1, "1.png", pattern(300, 2));
  put_frame(frames, 2, 0, "0.raw", ByteBuffer{});
  put_frame(frames, 2, 5, "5.raw", pattern(17, 3));
  return cat({hello(), open_stream(1, "rig1/visible"), open_stream(2, "rig1/infrared", "infrared"),
              frames, encoded(protocol::Goodbye{})});
}

ByteBuffer server_session() {
  return cat(
      {encoded(protocol::HelloOk{.max_frame_bytes = 256u << 20,
                                 .window_bytes = 32u << 20,
                                 .window_frames = 8192,
                                 .agent = "framewire/0.1.0"}),
       encoded(protocol::StreamOpened{.stream_id = 1, .next_sequence = 0, .last_file_name = ""}),
       encoded(
           protocol::StreamOpened{.stream_id = 2, .next_sequence = 17, .last_file_name = "16.raw"}),
       encoded(protocol::FrameRejected{.stream_id = 1,
                                       .sequence = 1,
                                       .code = WireError::kChecksumMismatch,
                                       .message = "checksum differs"}),
       encoded(protocol::Ack{.entries = {{1, 1}, {2, 20}}}), encoded(protocol::Goodbye{})});
}

void decoder_seeds(const fs::path& dir) {
  const ByteBuffer client = client_session();
  // Options: bit 0 server, bits 1-2 frame limit, bits 3-4 split mode.
  write_seed(dir, "client_session_whole", 0x00, client);
  write_seed(dir, "client_session_bytes", 0x08, client);
  write_seed(dir, "client_session_small_chunks", 0x10, client);
  write_seed(dir, "client_session_large_chunks", 0x18, client);
  write_seed(dir, "client_frame_too_large", 0x04 | 0x10, client);
  const ByteBuffer server = server_session();
  write_seed(dir, "server_session_whole", 0x01, server);
  write_seed(dir, "server_session_small_chunks", 0x11, server);

  ByteBuffer frame;
  put_frame(frame, 1, 9, "9.png", pattern(1000, 4));
  write_seed(dir, "client_frame_split", 0x18, cat({hello(), frame}));

  // Each message type alone (after the opener a fresh decoder insists on).
  write_seed(dir, "msg_hello", 0x00, hello());
  write_seed(dir, "msg_open_stream", 0x00, cat({hello(), open_stream(7, "a/b/c")}));
  write_seed(dir, "msg_frame", 0x00, cat({hello(), frame}));
  write_seed(dir, "msg_client_error", 0x00,
             cat({hello(), encoded(protocol::ErrorMessage{.code = WireError::kInternal,
                                                          .message = "sender gives up"})}));
  write_seed(dir, "msg_client_goodbye", 0x00, cat({hello(), encoded(protocol::Goodbye{})}));
  const ByteBuffer hello_ok = encoded(protocol::HelloOk{.max_frame_bytes = 1024});
  write_seed(dir, "msg_hello_ok", 0x01, hello_ok);
  write_seed(dir, "msg_stream_opened", 0x01,
             cat({hello_ok, encoded(protocol::StreamOpened{
                                .stream_id = 3, .next_sequence = 4, .last_file_name = "3.png"})}));
  write_seed(dir, "msg_ack", 0x01, cat({hello_ok, encoded(protocol::Ack{.entries = {{3, 4}}})}));
  write_seed(dir, "msg_frame_rejected", 0x01,
             cat({hello_ok, encoded(protocol::FrameRejected{.stream_id = 3,
                                                            .sequence = 4,
                                                            .code = WireError::kConflict,
                                                            .message = "different file"})}));
  write_seed(dir, "msg_server_error", 0x01,
             encoded(protocol::ErrorMessage{.code = WireError::kBadName, .message = "bad name"}));
  write_seed(dir, "msg_server_goodbye", 0x01, cat({hello_ok, encoded(protocol::Goodbye{})}));
}

void session_seeds(const fs::path& dir) {
  // Options: bits 0-1 mode, 2-3 split, 4-5 sync policy, 6 tiny window, 7 shut_down.
  const ByteBuffer client = client_session();
  write_seed(dir, "raw_session_whole", 0x00, client);
  write_seed(dir, "raw_session_bytes", 0x04, client);
  write_seed(dir, "raw_session_chunks_batch", 0x08 | 0x10, client);
  write_seed(dir, "raw_session_chunks_each", 0x0c | 0x20, client);
  write_seed(dir, "raw_session_tiny_window", 0x40, client);
  write_seed(dir, "raw_session_shut_down", 0x80, ByteBuffer(client.begin(), client.end() - 8));

  // After the harness's HELLO + OPEN_STREAM(1, "fz/s").
  ByteBuffer frames;
  put_frame(frames, 1, 0, "0.png", pattern(64, 5));
  put_frame(frames, 1, 1, "0.png", pattern(64, 5));         // same file again: duplicate
  put_frame(frames, 1, 2, "0.png", pattern(64, 6));         // different file, same name: conflict
  put_frame(frames, 1, 3, "3.png", pattern(10, 7), false);  // bad checksum
  put_frame(frames, 1, 4, "4.png", pattern(3000, 8));
  write_seed(dir, "prefixed_frames", 0x01, cat({frames, encoded(protocol::Goodbye{})}));
  write_seed(dir, "prefixed_frames_split", 0x09, cat({frames, encoded(protocol::Goodbye{})}));
  write_seed(dir, "prefixed_second_stream", 0x02,
             cat({open_stream(2, "fz/t"), frames, encoded(protocol::Goodbye{})}));
  write_seed(dir, "prefixed_busy_stream", 0x01, open_stream(2, "fz/busy"));
  write_seed(dir, "prefixed_bad_name", 0x01, open_stream(2, "../escape"));
  // A HELLO from the sender that holds "fz/busy" in the harness's registry:
  // opening it is a takeover of its own earlier connection.
  ByteBuffer takeover;
  protocol::Hello same_sender{.agent = "framewire/0.1.0"};
  same_sender.sender_id.fill(0);
  for (std::size_t i = 0; i < same_sender.sender_id.size(); ++i) {
    same_sender.sender_id[i] = i % 2 == 0 ? 0xb5 : 0x5b;  // kBusySender
  }
  protocol::encode_message(same_sender, takeover);
  write_seed(dir, "raw_takeover", 0x00, cat({takeover, open_stream(1, "fz/busy")}));
  write_seed(dir, "prefixed_second_hello", 0x01, hello());
  write_seed(dir, "prefixed_sender_error", 0x01,
             encoded(protocol::ErrorMessage{.code = WireError::kInternal, .message = "x"}));
  ByteBuffer unopened;
  put_frame(unopened, 9, 0, "0.png", pattern(4, 1));
  write_seed(dir, "prefixed_unopened_stream", 0x01, unopened);

  // Ops programs (mode 3): op, then its arguments (receiver_session_fuzz.cpp).
  ByteBuffer ops = {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o',  // good frame on 1, "0.png"
                    0, 0, 1, 3, 'a', 'b', 'c',            // good frame on 1, "1.png"
                    4,                                    // end of consume() call
                    1, 0, 2, 2, 'x', 'y',                 // bad checksum on 1, "a"
                    2, 1, 1,                              // OPEN_STREAM(2, "fz/t")
                    0, 1, 0, 4, 'd', 'a', 't', 'a',       // good frame on 2
                    0, 0, 4, 5, 'h', 'e', 'l', 'l', 'o',  // same bytes as "0.png" as "0.png"
                    0, 0, 0, 2, 'n', 'o',                 // conflict with "0.png"
                    3};                                   // GOODBYE
  write_seed(dir, "ops_session", 0x03, ops);
  write_seed(dir, "ops_session_each", 0x23, ops);
  write_seed(dir, "ops_session_tiny_window_shut_down", 0xc3, ops);
}

// Receiver bytes for sender_session_fuzz (options byte: bits 0-1 mode, 2-3
// split, 4 tiny window, 5 a frame left open, 6 own window of 3 frames, 7
// max_frame_bytes 64; see sender_session_fuzz.cpp).
void sender_session_seeds(const fs::path& dir) {
  const ByteBuffer hello_ok = encoded(protocol::HelloOk{.max_frame_bytes = 1u << 20,
                                                        .window_bytes = 1u << 20,
                                                        .window_frames = 64,
                                                        .agent = "framewire/0.1.0"});
  const ByteBuffer goodbye = encoded(protocol::Goodbye{});
  // Mode 0: only the HELLO was sent, so everything after HELLO_OK is early.
  write_seed(dir, "raw_hello_ok", 0x00, hello_ok);
  write_seed(dir, "raw_server_session_bytes", 0x04, server_session());
  write_seed(dir, "raw_error", 0x08,
             encoded(protocol::ErrorMessage{.code = WireError::kUnsupportedVersion,
                                            .message = "version 2 only"}));

  // Mode 1: after the scripted opening, which sent stream 1 sequences 0-2
  // and stream 2 sequences 1000-1001 (only 1:0 and 2:1000 with the tiny
  // window).
  const ByteBuffer acks = encoded(protocol::Ack{.entries = {{1, 2}, {2, 1001}}});
  write_seed(dir, "opening_acks", 0x01, acks);
  write_seed(dir, "opening_acks_bytes", 0x05, acks);
  const ByteBuffer reject_then_ack =
      cat({encoded(protocol::FrameRejected{.stream_id = 1,
                                           .sequence = 1,
                                           .code = WireError::kConflict,
                                           .message = "different file"}),
           encoded(protocol::Ack{.entries = {{1, 2}}}),
           encoded(protocol::Ack{.entries = {{2, 1000}}})});
  write_seed(dir, "opening_reject_then_ack", 0x09, reject_then_ack);
  write_seed(dir, "opening_reject_then_ack_open_frame", 0x2d, reject_then_ack);
  write_seed(dir, "opening_tiny_window", 0x11,
             encoded(protocol::Ack{.entries = {{1, 0}, {2, 1000}}}));
  // Sender's own window of 3 frames: 1:0, 2:1000 and 1:1 went out.
  write_seed(dir, "opening_small_frames_own_window", 0xc1,
             encoded(protocol::Ack{.entries = {{1, 1}, {2, 1000}}}));
  write_seed(dir, "opening_error", 0x0d,
             encoded(protocol::ErrorMessage{.code = WireError::kShuttingDown,
                                            .message = "the receiver is shutting down"}));
  write_seed(dir, "opening_early_goodbye", 0x01, cat({acks, goodbye}));
  write_seed(dir, "opening_ack_beyond", 0x01, encoded(protocol::Ack{.entries = {{1, 3}}}));

  // Modes 2 and 3: ops (sender_session_fuzz.cpp, run_ops): the op byte is
  // (variant << 4) | op, then its arguments.
  // clang-format off
  const ByteBuffer after_opening = {
      0x0f, 0x0d,         // a correct ACK, fed
      0x00, 50,           // a frame on stream 1
      0x10, 7,            // a frame on stream 2
      0x27, 1, 0,         // FRAME_REJECTED storage_error of stream 1's last frame
      0x01, 30,           // a frame on 1 left open
      0x0f, 0x0d,         // an ACK fed while it is open
      0x02,               // end it
      0x0f, 0x0d, 0x04,   // settle, GOODBYE
      0x0b, 0x0d};        // the receiver's GOODBYE
  // clang-format on
  write_seed(dir, "ops_after_opening", 0x02, after_opening);
  write_seed(dir, "ops_after_opening_bytes", 0x16, after_opening);
  write_seed(dir, "ops_ack_beyond", 0x02, ByteBuffer{0x06, 1, 3, 0x0d});
  // clang-format off
  const ByteBuffer from_hello = {
      0x09, 0x0d,         // HELLO_OK, fed
      0x03, 0,            // OPEN_STREAM 1 "fz/a"
      0x13, 1,            // OPEN_STREAM 2 "fz/b"
      0x08, 1,            // STREAM_OPENED 1, nothing stored
      0x18, 2, 9,         // STREAM_OPENED 2, resumed after "9.png" at 10
      0x0d,               // fed
      0x00, 10,           // a frame on 1
      0x10, 20,           // a frame on 2
      0x01, 30,           // a frame on 1 left open
      0x0f, 0x0d,         // an ACK fed meanwhile
      0x02,               // end it
      0x07, 1, 0,         // FRAME_REJECTED checksum_mismatch of stream 1's last frame
      0x0f, 0x0d, 0x04,   // settle, GOODBYE
      0x0b, 0x0d};        // the receiver's GOODBYE
  // clang-format on
  write_seed(dir, "ops_from_hello", 0x03, from_hello);
  write_seed(dir, "ops_from_hello_chunks", 0x0f, from_hello);
}

void safe_name_seeds(const fs::path& dir) {
  const std::string_view names[] = {"rig1/visible",
                                    "0.png",
                                    "visible",
                                    "manifest.jsonl",
                                    "../x",
                                    "a/./b",
                                    ".fwtmp-0123456789abcdef",
                                    "a//b",
                                    "/abs",
                                    "a\\b",
                                    "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q",
                                    "ir_cam-2"};
  int i = 0;
  for (const std::string_view name : names) {
    std::ofstream file(dir / ("name_" + std::to_string(i++)), std::ios::binary | std::ios::trunc);
    file.write(name.data(), static_cast<std::streamsize>(name.size()));
  }
}

// Stored frames for preview_fuzz, small so that mutations stay fast; the options byte picks the
// palette and the box (see preview_fuzz.cpp).
void preview_seeds(const fs::path& dir) {
  namespace capture = framewire::capture;
  const auto seed = [&dir](const std::string& name, std::uint8_t options,
                           const capture::Image& image, bool jpeg) {
    std::vector<std::uint8_t> bytes;
    const framewire::Status status = jpeg ? capture::encode_jpeg(image.view(), 75, bytes)
                                          : capture::encode_png(image.view(), bytes);
    if (!status) std::fprintf(stderr, "%s: %s\n", name.c_str(), status.to_string().c_str());
    write_seed(dir, name, options, bytes);
  };
  capture::Image ir(24, 16, capture::PixelFormat::kGray16);
  capture::render_irsrc(3, ir);
  capture::Image rgb(24, 16, capture::PixelFormat::kRgb8);
  capture::render_testsrc(3, rgb);
  capture::Image grey(24, 16, capture::PixelFormat::kGray8);
  capture::render_testsrc(3, grey);
  capture::Image wide(40, 8, capture::PixelFormat::kRgb8);
  capture::render_testsrc(5, wide);
  seed("png_gray16_ironbow", 0x41, ir, false);
  seed("png_gray16_inferno_tiny_box", 0x06, ir, false);
  seed("png_gray8_grey", 0x40, grey, false);
  seed("png_rgb", 0x31, rgb, false);
  seed("jpeg_rgb", 0x40, rgb, true);
  seed("jpeg_rgb_wide_scaled", 0x20, wide, true);
  seed("jpeg_gray_inferno", 0x42, grey, true);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: framewire-fuzz-seeds <fuzz/corpus folder>\n");
    return 2;
  }
  const fs::path corpus = argv[1];
  decoder_seeds(corpus / "message_decoder_fuzz");
  session_seeds(corpus / "receiver_session_fuzz");
  sender_session_seeds(corpus / "sender_session_fuzz");
  fs::create_directories(corpus / "safe_name_fuzz");
  safe_name_seeds(corpus / "safe_name_fuzz");
  preview_seeds(corpus / "preview_fuzz");
  return 0;
}
