// Hostile names: every stream or file name that could leave the root, hide,
// collide with the receiver's own files or is not a name at all gets ERROR
// bad_name, the connection closes, and nothing is written -- while a
// well-behaved sender transfers to the same receiver. Also a symlink planted
// in the root that points outside.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/safe_name.hpp"
#include "support/hostile_fixture.hpp"

namespace framewire::test {
namespace {

namespace fs = std::filesystem;

struct BadName {
  std::string label;  // test name suffix
  std::string name;
};

void PrintTo(const BadName& bad, std::ostream* out) {
  *out << bad.label;
}

std::string test_name(const testing::TestParamInfo<BadName>& info) {
  return info.param.label;
}

const std::vector<BadName> kBadStreamNames{
    {"DotDot", ".."},        {"DotDotEscape", "../escape"},
    {"Absolute", "/abs"},    {"DoubleSlash", "a//b"},
    {"DotSegment", "a/./b"}, {"Hidden", ".hidden"},
    {"Backslash", "a\\b"},   {"NulByte", std::string("a\0b", 3)},
    {"Empty", ""},           {"Segment300Bytes", std::string(300, 's')},
    {"TrailingSlash", "a/"}, {"DeepEscape", "a/../../escape"},
    {"Space", "a b"},        {"SeventeenSegments", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q"},
};

const std::vector<BadName> kBadFileNames{
    {"DotDotSlash", "../x"},
    {"EtcPasswd", "/etc/passwd"},
    {"TwoSegments", "a/b"},
    {"DotDot", ".."},
    {"Dot", "."},
    {"Hidden", ".x"},
    {"TempPrefix", ".fwtmp-0123456789abcdef"},
    {"NulByte", std::string("x\0.png", 6)},
    {"Empty", ""},
    {"Manifest", "manifest.jsonl"},
    {"Backslash", "..\\x"},
};

class BadStreamName : public HostileFixture, public testing::WithParamInterface<BadName> {};

TEST_P(BadStreamName, GetsBadNameAndNothingIsWritten) {
  auto client = hello_client();
  const std::string peer = client->peer_name();
  ASSERT_TRUE(client->send(encode(
      protocol::OpenStream{.stream_id = 1, .name = GetParam().name, .source_kind = "visible"})));
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kBadName));
  client->close();
  ASSERT_TRUE(wait_closed(peer));
  finish_good_sender();
  EXPECT_TRUE(root_holds_only({}));
}

INSTANTIATE_TEST_SUITE_P(Hostile, BadStreamName, testing::ValuesIn(kBadStreamNames), test_name);

class BadFileName : public HostileFixture, public testing::WithParamInterface<BadName> {};

TEST_P(BadFileName, GetsBadNameAndNothingIsWritten) {
  // Safety interlock: a name the validator accepted would be written for
  // real (as root, "/etc/passwd" is not a joke), so refuse to send it.
  ASSERT_FALSE(storage::validate_file_name(GetParam().name).is_ok())
      << "validate_file_name accepts \"" << GetParam().label << "\"; not sending it";
  auto client = hello_client();
  const std::string peer = client->peer_name();
  ASSERT_TRUE(client->open_stream(1, "hostile"));
  const Bytes data(1000, 0x42);
  // Whatever happens to the connection, the ERROR decides the test.
  (void)client->send(encode_frame(
      {.stream_id = 1, .sequence = 0, .capture_time_ns = 1, .file_name = GetParam().name}, data));
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kBadName));
  client->close();
  ASSERT_TRUE(wait_closed(peer));
  finish_good_sender();
  EXPECT_TRUE(root_holds_only({"hostile"}));
  EXPECT_TRUE(holds_no_frame(stored("hostile")));
}

INSTANTIATE_TEST_SUITE_P(Hostile, BadFileName, testing::ValuesIn(kBadFileNames), test_name);

using NameEdges = HostileFixture;

TEST_F(NameEdges, BadSourceKindGetsBadName) {
  for (const std::string& kind :
       std::vector<std::string>{"", "Visible", "a/b", "../x", "a.b", "x y"}) {
    auto client = hello_client();
    ASSERT_TRUE(client->send(
        encode(protocol::OpenStream{.stream_id = 1, .name = "kinds", .source_kind = kind})));
    EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kBadName)) << "source kind " << kind;
  }
  // Over the 32-byte cap of its str8 field: the decoder refuses the body.
  auto client = hello_client();
  ASSERT_TRUE(client->send(encode(
      protocol::OpenStream{.stream_id = 1, .name = "kinds", .source_kind = std::string(33, 'k')})));
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kMalformed));
  finish_good_sender();
  EXPECT_TRUE(root_holds_only({}));
}

// A str8 cannot say more than 255 bytes, so a longer file name cannot be
// sent as a name: the bytes of such an attempt are a malformed body.
TEST_F(NameEdges, FileNameLongerThanAStr8IsMalformed) {
  auto client = hello_client();
  ASSERT_TRUE(client->open_stream(1, "hostile"));
  Bytes body;
  protocol::put_u32(body, 1);         // stream_id
  protocol::put_u64(body, 0);         // sequence
  protocol::put_u64(body, 0);         // capture_time_ns
  protocol::put_u64(body, 4);         // data_bytes
  body.push_back(255);                // str8 length: the maximum ...
  body.insert(body.end(), 300, 'n');  // ... followed by 300 name bytes
  Bytes message{static_cast<std::uint8_t>(protocol::MessageType::kFrame), 0, 0, 0};
  protocol::put_u32(message, static_cast<std::uint32_t>(body.size()));
  append(message, body);
  append(message, Bytes(4 + 8, 0));
  ASSERT_TRUE(client->send(message));
  EXPECT_TRUE(client->expect_error_then_close(ErrorCode::kMalformed));
  finish_good_sender();
  EXPECT_TRUE(holds_no_frame(stored("hostile")));
}

// The longest legal file name (255 bytes, the filesystem's limit too) is
// stored like any other: temp names and the manifest must cope with it.
TEST_F(NameEdges, FileNameOf255BytesIsStored) {
  auto client = hello_client();
  ASSERT_TRUE(client->open_stream(1, "long"));
  const std::string name(255, 'L');
  const Bytes data(5000, 0x17);
  ASSERT_TRUE(client->send(encode_frame(
      {.stream_id = 1, .sequence = 0, .capture_time_ns = 5, .file_name = name}, data)));
  ASSERT_TRUE(client->send(encode(protocol::Goodbye{})));
  const auto ack = client->next();
  ASSERT_TRUE(ack.as<protocol::Ack>() != nullptr) << ack.describe();
  EXPECT_EQ(ack.as<protocol::Ack>()->entries.at(0).through_sequence, 0U);
  EXPECT_TRUE(client->next().as<protocol::Goodbye>() != nullptr);
  EXPECT_TRUE(read_bytes(stored("long") + "/" + name) == data);
}

// ROOT/evil is a symlink to a folder outside the root. Writing stream "evil"
// (or below it) is refused and nothing appears outside; the startup sweep of
// temporary leftovers does not follow the link either.
class PlantedSymlink : public HostileFixture {
 protected:
  void before_serve() override {
    outside_ = base_ / "outside";
    fs::create_directories(outside_);
    write_bytes(outside_ + "/keep.txt", bytes_of("outside the root"));
    write_bytes(outside_ + "/.fwtmp-bait", bytes_of("not the receiver's"));
    fs::create_directories(root_);
    fs::create_symlink(outside_, root_ + "/evil");
    allowed_links_.insert("evil");
    extra_base_entries_.insert("outside");
  }
  std::string outside_;
};

TEST_F(PlantedSymlink, StreamThroughASymlinkIsRefusedAndNothingIsWrittenOutside) {
  ASSERT_TRUE(gen("tiny", 5, "small"));
  for (const std::string stream : {"evil", "evil/cam"}) {
    const SendResult sent = send({{.name = stream, .folder = data("small")}});
    EXPECT_FALSE(sent.exit.exited_with(0)) << stream << ": " << sent.describe();
    EXPECT_FALSE(sent.exit.timed_out);
    EXPECT_FALSE(sent.err.empty()) << stream;
  }
  finish_good_sender();
  EXPECT_TRUE(only_entries(outside_, {"keep.txt", ".fwtmp-bait"}));
  EXPECT_TRUE(fs::is_symlink(root_ + "/evil"));
  EXPECT_TRUE(root_holds_only({"evil"}));
}

}  // namespace
}  // namespace framewire::test
