// The receiver's name rules: one test per way a name can be wrong, each
// checking both the code and that the message names the problem.
#include "storage/safe_name.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace framewire::storage {
namespace {

using ::testing::HasSubstr;

void expect_bad(const Status& status, const std::string& fragment) {
  EXPECT_EQ(status.code(), ErrorCode::kBadName) << status.to_string();
  EXPECT_THAT(status.message(), HasSubstr(fragment));
}

TEST(SafeName, AcceptsValidNames) {
  EXPECT_TRUE(validate_segment("cam-1_visible.v2"));
  EXPECT_TRUE(validate_stream_name("rig1/visible"));
  EXPECT_TRUE(validate_stream_name("a"));
  EXPECT_TRUE(validate_stream_name("a..b/c.d"));  // dots inside a segment are fine
  EXPECT_TRUE(validate_file_name("17.png"));
  EXPECT_TRUE(validate_file_name(std::string(kMaxSegmentBytes, 'x')));
  EXPECT_TRUE(validate_source_kind("visible"));
  EXPECT_TRUE(validate_source_kind("thermal_2-a"));
  std::string deep = "s";
  for (std::size_t i = 1; i < kMaxStreamSegments; ++i) deep += "/s";
  EXPECT_TRUE(validate_stream_name(deep));
}

TEST(SafeName, RejectsDotDot) {
  expect_bad(validate_stream_name(".."), "stream name segment \"..\" is not allowed");
  expect_bad(validate_file_name(".."), "file name \"..\" is not allowed");
  expect_bad(validate_segment("."), "\".\" is not allowed");
}

TEST(SafeName, RejectsTraversalInsideStreamName) {
  expect_bad(validate_stream_name("a/../b"), "stream name segment \"..\" is not allowed");
  expect_bad(validate_stream_name("a/b/.."), "\"..\" is not allowed");
}

TEST(SafeName, RejectsAbsolutePath) {
  expect_bad(validate_stream_name("/etc"), "is absolute");
  expect_bad(validate_file_name("/etc"), "contains a '/'");
}

TEST(SafeName, RejectsNulByte) {
  const std::string name("a\0b", 3);
  expect_bad(validate_stream_name(name), "contains a NUL byte");
  expect_bad(validate_file_name(name), "contains a NUL byte");
  expect_bad(validate_source_kind(name), "contains a NUL byte");
  // The message shows the byte escaped, never raw.
  EXPECT_EQ(validate_file_name(name).message().find('\0'), std::string::npos);
}

TEST(SafeName, RejectsEmptyNames) {
  expect_bad(validate_stream_name(""), "stream name is empty");
  expect_bad(validate_file_name(""), "file name is empty");
  expect_bad(validate_segment(""), "is empty");
  expect_bad(validate_source_kind(""), "source kind is empty");
}

TEST(SafeName, RejectsEmptySegments) {
  expect_bad(validate_stream_name("a//b"), "empty segment");
  expect_bad(validate_stream_name("a/"), "ends with '/'");
}

TEST(SafeName, RejectsLeadingDot) {
  expect_bad(validate_file_name(".hidden"), "starts with '.'");
  expect_bad(validate_file_name(".fwtmp-0123456789abcdef"), "starts with '.'");
  expect_bad(validate_stream_name("a/.git"), "starts with '.'");
}

TEST(SafeName, RejectsOverlongSegment) {
  const std::string long_segment(kMaxSegmentBytes + 1, 'x');
  expect_bad(validate_file_name(long_segment), "256 bytes long, more than 255");
  expect_bad(validate_stream_name("a/" + long_segment), "more than 255");
  // The message shows a shortened name, not all 256 bytes.
  EXPECT_LT(validate_file_name(long_segment).message().size(), 200u);
}

TEST(SafeName, RejectsOverlongStreamName) {
  std::string name;
  while (name.size() <= 1024) name += "abcdefghij/";
  name += "x";
  expect_bad(validate_stream_name(name), "more than 1024");
}

TEST(SafeName, RejectsTooManySegments) {
  std::string name = "s";
  for (std::size_t i = 0; i < kMaxStreamSegments; ++i) name += "/s";
  expect_bad(validate_stream_name(name), "more than 16 segments");
}

TEST(SafeName, RejectsBackslash) {
  expect_bad(validate_file_name("a\\b"), "contains a backslash");
  expect_bad(validate_stream_name("..\\etc"), "contains a backslash");
}

TEST(SafeName, RejectsOtherBytes) {
  expect_bad(validate_file_name("a b"), "contains the byte \" \"");
  expect_bad(validate_file_name("caf\xc3\xa9"), "\\xc3");
  expect_bad(validate_file_name("a:b"), "only [A-Za-z0-9._-] are allowed");
}

TEST(SafeName, RejectsManifestAsFileName) {
  expect_bad(validate_file_name("manifest.jsonl"), "reserved for the stream's manifest");
  // At the top of the root there is no manifest: merely a directory name.
  EXPECT_TRUE(validate_stream_name("manifest.jsonl"));
  EXPECT_TRUE(validate_stream_name("manifest.jsonl/cam"));
}

// Below the first segment it would be the manifest of the parent stream.
TEST(SafeName, RejectsManifestAsALaterStreamSegment) {
  expect_bad(validate_stream_name("a/manifest.jsonl"), "reserved for the stream's manifest");
  expect_bad(validate_stream_name("rig/a/manifest.jsonl/b"), "reserved for the stream's manifest");
}

TEST(SafeName, SourceKindRules) {
  expect_bad(validate_source_kind("Visible"), "only [a-z0-9_-] are allowed");
  expect_bad(validate_source_kind("a.b"), "only [a-z0-9_-] are allowed");
  expect_bad(validate_source_kind(std::string(33, 'a')), "more than 32");
  EXPECT_TRUE(validate_source_kind(std::string(32, 'a')));
}

}  // namespace
}  // namespace framewire::storage
