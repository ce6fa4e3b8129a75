// Pins the annotated session of docs/PROTOCOL.md ("Example session"): the
// encoder must produce exactly these bytes, the decoders must read them back,
// and the hex printed in the document itself must be these bytes. If this
// test fails, either the encoder or the document is wrong; they may not drift
// apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "protocol/codec_test_support.hpp"

namespace framewire::protocol::test {
namespace {

// Hex digits with any spacing, as printed in the document.
Bytes hex(std::string_view text) {
  Bytes out;
  int high = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  EXPECT_EQ(high, -1) << "odd number of hex digits";
  return out;
}

// Field by field, as annotated in docs/PROTOCOL.md.
// The example's sender identity: 00 11 22 ... ff.
constexpr std::array<std::uint8_t, 16> kSenderId = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                                    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

const Bytes kHello =
    hex("01 00 0000 0000002e"                        // HELLO, flags, reserved, body_bytes 46
        "46 52 41 4d 45 57 49 52"                    // magic "FRAMEWIR"
        "0001 0001"                                  // min_version 1, max_version 1
        "00000000"                                   // features
        "0d 66 72 61 6d 65 77 69 72 65 2f 30 2e 31"  // agent "framewire/0.1"
        "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");  // sender_id

const Bytes kHelloOk =
    hex("02 00 0000 00000030"                          // HELLO_OK, body_bytes 48
        "46 52 41 4d 45 57 49 52"                      // magic
        "0001"                                         // version 1
        "00000000"                                     // features
        "0000000010000000"                             // max_frame_bytes 268435456 (256 MiB)
        "0000000002000000"                             // window_bytes 33554432 (32 MiB)
        "00002000"                                     // window_frames 8192
        "0d 66 72 61 6d 65 77 69 72 65 2f 30 2e 31");  // agent "framewire/0.1"

const Bytes kOpenStream =
    hex("03 00 0000 0000001a"                         // OPEN_STREAM, body_bytes 26
        "00000001"                                    // stream_id 1
        "07 76 69 73 69 62 6c 65"                     // source_kind "visible"
        "000c 72 69 67 31 2f 76 69 73 69 62 6c 65");  // name "rig1/visible"

const Bytes kStreamOpened =
    hex("04 00 0000 0000000d"  // STREAM_OPENED, body_bytes 13
        "00000001"             // stream_id 1
        "0000000000000000"     // next_sequence 0
        "00");                 // last_file_name "" (nothing stored yet)

const Bytes kFrame =
    hex("05 00 0000 00000022"  // FRAME, body_bytes 34
        "00000001"             // stream_id 1
        "0000000000000000"     // sequence 0
        "17979cfe362a0000"     // capture_time_ns 1700000000000000000
        "0000000000000005"     // data_bytes 5
        "05 30 2e 70 6e 67"    // file_name "0.png"
        "68 65 6c 6c 6f"       // data "hello"
        "9555e8555c62dcfd");   // XXH3-64 of "hello"

const Bytes kAck =
    hex("06 00 0000 0000000e"  // ACK, body_bytes 14
        "0001"                 // count 1
        "00000001"             // stream_id 1
        "0000000000000000");   // through_sequence 0

const Bytes kGoodbye = hex("09 00 0000 00000000");

TEST(WireExample, EncoderProducesTheDocumentedBytes) {
  EXPECT_EQ(encode(Hello{1, 1, kFeaturesNone, "framewire/0.1", kSenderId}), kHello);
  EXPECT_EQ(encode(HelloOk{1, kFeaturesNone, 256ull << 20, 32ull << 20, 8192, "framewire/0.1"}),
            kHelloOk);
  EXPECT_EQ(encode(OpenStream{1, "rig1/visible", "visible"}), kOpenStream);
  EXPECT_EQ(encode(StreamOpened{1, 0, ""}), kStreamOpened);
  EXPECT_EQ(encode_frame(FrameHeader{1, 0, 1700000000000000000, 5, "0.png"}, to_bytes("hello")),
            kFrame);
  EXPECT_EQ(encode(Ack{{{1, 0}}}), kAck);
  EXPECT_EQ(encode(Goodbye{}), kGoodbye);
  EXPECT_EQ(xxh3(to_bytes("hello")), 0x9555e8555c62dcfdull);
}

TEST(WireExample, DecodersReadTheDocumentedSession) {
  Bytes client = kHello;
  append(client, kOpenStream);
  append(client, kFrame);
  append(client, kGoodbye);
  Decoded c = decode_whole(Peer::kClient, client);
  ASSERT_FALSE(c.error);
  ASSERT_EQ(c.items.size(), 6u);
  EXPECT_EQ(std::get<Hello>(std::get<Message>(c.items[0])).sender_id, kSenderId);
  EXPECT_EQ(std::get<OpenStream>(std::get<Message>(c.items[1])).name, "rig1/visible");
  EXPECT_EQ(std::get<FrameHeader>(std::get<Message>(c.items[2])).file_name, "0.png");
  EXPECT_EQ(std::get<Bytes>(c.items[3]), to_bytes("hello"));
  EXPECT_EQ(std::get<Checksum>(c.items[4]).value, 0x9555e8555c62dcfdull);

  Bytes server = kHelloOk;
  append(server, kStreamOpened);
  append(server, kAck);
  append(server, kGoodbye);
  Decoded s = decode_whole(Peer::kServer, server);
  ASSERT_FALSE(s.error);
  ASSERT_EQ(s.items.size(), 4u);
  EXPECT_EQ(std::get<StreamOpened>(std::get<Message>(s.items[1])), (StreamOpened{1, 0, ""}));
  EXPECT_EQ(std::get<Ack>(std::get<Message>(s.items[2])).entries.at(0).through_sequence, 0u);
}

bool is_hex_token(std::string_view t, std::size_t digits) {
  if (t.size() != digits) return false;
  for (char c : t) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The hex of one annotated line: two-digit tokens separated by single spaces
// up to the annotation (after two or more spaces). A dump line starts with a
// four-digit offset, which is skipped.
Bytes hex_of_line(std::string_view line) {
  if (line.size() > 6 && is_hex_token(line.substr(0, 4), 4) && line.substr(4, 2) == "  ") {
    line.remove_prefix(6);
  }
  Bytes out;
  while (line.size() >= 2 && is_hex_token(line.substr(0, 2), 2) &&
         (line.size() == 2 || line[2] == ' ')) {
    append(out, hex(line.substr(0, 2)));
    line.remove_prefix(std::min<std::size_t>(3, line.size()));
    if (!line.empty() && line[0] == ' ') break;  // two spaces: the annotation starts
  }
  return out;
}

// The bytes of every code block of the document's "Example session".
std::vector<Bytes> documented_blocks() {
  const auto doc = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                   "docs" / "PROTOCOL.md";
  std::ifstream in(doc);
  std::vector<Bytes> blocks;
  bool in_example = false;
  bool in_block = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) in_example = line.find("Example session") != std::string::npos;
    if (!in_example) continue;
    if (line.rfind("```", 0) == 0) {
      in_block = !in_block;
      if (in_block) blocks.emplace_back();
      continue;
    }
    if (in_block) append(blocks.back(), hex_of_line(line));
  }
  return blocks;
}

TEST(WireExample, DocumentShowsExactlyTheseBytes) {
  const std::vector<Bytes> blocks = documented_blocks();
  if (blocks.empty()) GTEST_SKIP() << "docs/PROTOCOL.md not found beside the sources";
  Bytes client = kHello;
  append(client, kOpenStream);
  append(client, kFrame);
  append(client, kGoodbye);
  const std::vector<Bytes> expected = {kHello, kHelloOk, kOpenStream, kStreamOpened,
                                       kFrame, kAck,     kGoodbye,    client};
  ASSERT_EQ(blocks.size(), expected.size());
  for (std::size_t i = 0; i < blocks.size(); ++i)
    EXPECT_EQ(blocks[i], expected[i]) << "block " << i;
}

TEST(WireExample, DocumentedEmptyChecksum) {
  // Section 4.5 quotes the checksum of a zero-length frame.
  EXPECT_EQ(xxh3(Bytes{}), 0x2d06800538d394c2ull);
}

// Section 4.5's "Checksum test vectors": every row of the table, read from
// the document, is what XXH3-64 gives for bytes i mod 251.
TEST(WireExample, DocumentedChecksumVectors) {
  const auto doc = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                   "docs" / "PROTOCOL.md";
  std::ifstream in(doc);
  if (!in) GTEST_SKIP() << "docs/PROTOCOL.md not found beside the sources";
  bool in_vectors = false;
  std::vector<std::size_t> lengths;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("**Checksum test vectors.**")) in_vectors = true;
    if (!in_vectors) continue;
    if (line.starts_with("And ")) break;
    if (!line.starts_with("| ") || line.find('`') == std::string::npos) continue;
    // "| n | `hex` | n | `hex` |": one or two pairs per row.
    std::istringstream cells(line);
    std::string cell;
    std::vector<std::string> fields;
    while (std::getline(cells, cell, '|')) {
      const auto first = cell.find_first_not_of(" `");
      const auto last = cell.find_last_not_of(" `");
      if (first != std::string::npos) fields.push_back(cell.substr(first, last - first + 1));
    }
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      const std::size_t n = std::stoul(fields[i]);
      Bytes input(n);
      for (std::size_t b = 0; b < n; ++b) input[b] = static_cast<std::uint8_t>(b % 251);
      EXPECT_EQ(xxh3(input), std::stoull(fields[i + 1], nullptr, 16)) << "n = " << n;
      lengths.push_back(n);
    }
  }
  // Every path of XXH3 is covered: 0, 1-3, 4-8, 9-16, 17-128, 129-240, >240.
  EXPECT_EQ(lengths.size(), 15U);
  EXPECT_NE(std::find(lengths.begin(), lengths.end(), 100U), lengths.end());
  EXPECT_NE(std::find(lengths.begin(), lengths.end(), 1000U), lengths.end());
}

}  // namespace
}  // namespace framewire::protocol::test
