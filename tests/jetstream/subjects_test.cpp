// Names to subjects and back (src/jetstream/subjects.hpp): the mapping must
// be lossless for every valid stream name and refuse what framewire never
// writes.
#include "jetstream/subjects.hpp"

#include <gtest/gtest.h>

namespace framewire::jetstream {
namespace {

TEST(Subjects, StreamNamesMapToTokensAndBack) {
  for (const std::string name : {"rig1", "rig1/visible", "a.b/c..d/e-f_g", "cam.v/x.", "A/B/C/D"}) {
    const std::string tokens = stream_tokens(name);
    EXPECT_EQ(tokens.find('/'), std::string::npos) << name;
    const auto back = stream_from_tokens(tokens);
    ASSERT_TRUE(back) << name;
    EXPECT_EQ(*back, name);
  }
  EXPECT_EQ(stream_tokens("rig1/cam.v"), "rig1.cam=v");
  EXPECT_EQ(frame_subject("FRAMEWIRE", "rig1/cam.v"), "FRAMEWIRE.frame.rig1.cam=v");
  EXPECT_EQ(part_subject("FW", "rig1"), "FW.part.rig1");
}

TEST(Subjects, TokensNoStreamNameMapsToAreRefused) {
  EXPECT_FALSE(stream_from_tokens(""));
  EXPECT_FALSE(stream_from_tokens("a..b"));     // an empty segment
  EXPECT_FALSE(stream_from_tokens("=hidden"));  // a segment starting with '.'
  EXPECT_FALSE(stream_from_tokens("a.*"));
  EXPECT_FALSE(stream_of_frame_subject("FW", "FW.part.a"));
  EXPECT_EQ(stream_of_frame_subject("FW", "FW.frame.rig1.v=1"), "rig1/v.1");
}

TEST(Subjects, FiltersBecomeSubjectWildcards) {
  EXPECT_EQ(frame_filter_subject("FW", "").value(), "FW.frame.>");
  EXPECT_EQ(frame_filter_subject("FW", "rig1/*").value(), "FW.frame.rig1.*");
  EXPECT_EQ(frame_filter_subject("FW", "rig.1/>").value(), "FW.frame.rig=1.>");
  EXPECT_EQ(frame_filter_subject("FW", "*/visible").value(), "FW.frame.*.visible");
  EXPECT_FALSE(frame_filter_subject("FW", ">/visible"));
  EXPECT_FALSE(frame_filter_subject("FW", "rig1//x"));
  EXPECT_FALSE(frame_filter_subject("FW", "rig 1"));
}

TEST(Subjects, JetStreamNamesAreChecked) {
  EXPECT_TRUE(validate_jetstream_name("FRAMEWIRE"));
  EXPECT_TRUE(validate_jetstream_name("fw_test-2"));
  EXPECT_FALSE(validate_jetstream_name(""));
  EXPECT_FALSE(validate_jetstream_name("a.b"));
  EXPECT_FALSE(validate_jetstream_name("a*"));
  EXPECT_FALSE(validate_jetstream_name(std::string(65, 'a')));
}

TEST(Subjects, MessageIdsTellFramesApart) {
  EXPECT_EQ(frame_msg_id("rig1/v", 42, 0xabc), "rig1/v:42:0000000000000abc");
  EXPECT_NE(frame_msg_id("rig1/v", 42, 1), frame_msg_id("rig1/v", 42, 2));
  EXPECT_NE(part_msg_id("a", 1, 0, 7), part_msg_id("a", 1, 1, 7));
}

TEST(Subjects, SequenceListsRoundTripAsRuns) {
  const std::vector<std::uint64_t> sequences{7, 8, 9, 12, 14, 15};
  EXPECT_EQ(encode_sequence_list(sequences), "7-9,12,14-15");
  EXPECT_EQ(decode_sequence_list("7-9,12,14-15", 100), sequences);
  EXPECT_FALSE(decode_sequence_list("", 100));
  EXPECT_FALSE(decode_sequence_list("9-7", 100));
  EXPECT_FALSE(decode_sequence_list("1-1000", 100));  // more than allowed
  EXPECT_FALSE(decode_sequence_list("1,,2", 100));
  EXPECT_FALSE(decode_sequence_list("x", 100));
  EXPECT_FALSE(decode_sequence_list("0-18446744073709551615", 100));
}

}  // namespace
}  // namespace framewire::jetstream
