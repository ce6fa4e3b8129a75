// The wire's error codes against framewire's public ErrorCode
// (src/protocol/wire_error.hpp): the codes both lists have keep their names
// and numbers both ways, local-only public codes never reach the wire, an
// unknown number from a later protocol version is read as documented, and
// the wire's numbers are the ones in docs/PROTOCOL.md's error table.
#include "protocol/wire_error.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace framewire::protocol {
namespace {

// Every public code up to the last one; local-only ones are excluded where it matters.
constexpr auto kLastPublicCode = static_cast<std::uint16_t>(ErrorCode::kCancelled);

bool is_local_only(ErrorCode code) {
  return code == ErrorCode::kConnectionFailed || code == ErrorCode::kCancelled;
}

TEST(WireError, EveryPublicCodeWithAWireValueRoundTrips) {
  int checked = 0;
  for (std::uint16_t n = 0; n <= kLastPublicCode; ++n) {
    const auto code = static_cast<ErrorCode>(n);
    if (is_local_only(code)) continue;
    const WireError wire = to_wire(code);
    // Same number and name on both sides, so logs read alike on both ends.
    EXPECT_EQ(static_cast<std::uint16_t>(wire), n) << to_string(code);
    EXPECT_EQ(to_string(wire), to_string(code));
    EXPECT_TRUE(is_known(wire)) << to_string(code);
    EXPECT_EQ(from_wire(wire), code) << to_string(code);
    EXPECT_EQ(from_wire(static_cast<std::uint16_t>(wire)), code) << to_string(code);
    ++checked;
  }
  EXPECT_EQ(checked, 22);  // ok, 1..19, 21, 22
}

TEST(WireError, CancelledGoesOutAsInternal) {
  EXPECT_EQ(to_wire(ErrorCode::kCancelled), WireError::kInternal);
}

TEST(WireError, ConnectionFailedNeverGoesOutButIsReadByName) {
  // The table: "local only: could not connect / connection lost; never on the wire".
  EXPECT_EQ(to_wire(ErrorCode::kConnectionFailed), WireError::kInternal);
  // A peer that sends the number anyway is still named by the table.
  EXPECT_EQ(from_wire(std::uint16_t{20}), ErrorCode::kConnectionFailed);
  EXPECT_TRUE(is_known(WireError::kConnectionFailed));
}

TEST(WireError, UnknownNumbersAreFatalInternalAndKeepTheirNumberInTheText) {
  // 23 is kCancelled's public number: the wire does not have it, and a peer
  // must not be able to make this side believe it cancelled.
  for (const std::uint16_t n : {std::uint16_t{23}, std::uint16_t{999}, std::uint16_t{65535}}) {
    const WireError wire{n};
    EXPECT_FALSE(is_known(wire)) << n;
    EXPECT_EQ(from_wire(n), ErrorCode::kInternal) << n;
    EXPECT_EQ(from_wire(wire), ErrorCode::kInternal) << n;
    EXPECT_FALSE(is_retryable(from_wire(n))) << n;
    EXPECT_EQ(to_string(wire), "unknown error code " + std::to_string(n));
  }
  EXPECT_EQ(text_with_unknown_code(WireError{999}, "disk on fire"),
            "unknown error code 999: disk on fire");
  // A known code's text is shown as the peer wrote it.
  EXPECT_EQ(text_with_unknown_code(WireError::kConflict, "other bytes"), "other bytes");
}

// docs/PROTOCOL.md section 8: every row of the table is a WireError with that
// number and name, and WireError has no code the table does not list.
TEST(WireError, NumbersAndNamesMatchTheDocumentedTable) {
  const auto doc = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                   "docs" / "PROTOCOL.md";
  std::ifstream in(doc);
  if (!in) GTEST_SKIP() << "docs/PROTOCOL.md not found beside the sources";
  bool in_section = false;
  std::map<std::uint16_t, std::string> documented;  // number -> name
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("## ")) in_section = line.starts_with("## 8. Error codes");
    if (!in_section || !line.starts_with("| ")) continue;
    // "| 10 | `checksum_mismatch` | meaning | ... |"; the header and the
    // separator have no number in the first cell.
    const auto second_bar = line.find('|', 1);
    const std::string number = line.substr(1, second_bar - 1);
    if (number.find_first_of("0123456789") == std::string::npos) continue;
    const auto name_start = line.find('`', second_bar) + 1;
    const auto name_end = line.find('`', name_start);
    const auto n = static_cast<std::uint16_t>(std::stoul(number));
    EXPECT_TRUE(documented.emplace(n, line.substr(name_start, name_end - name_start)).second)
        << "code " << n << " twice in the table";
  }
  ASSERT_EQ(documented.size(), 23U) << "the table in section 8 was not found whole";
  for (const auto& [n, name] : documented) {
    EXPECT_TRUE(is_known(WireError{n})) << n << " " << name;
    EXPECT_EQ(to_string(WireError{n}), name) << n;
  }
  for (std::uint32_t n = 0; n <= 0xffff; ++n) {
    const WireError wire{static_cast<std::uint16_t>(n)};
    if (is_known(wire)) {
      EXPECT_TRUE(documented.contains(static_cast<std::uint16_t>(n)))
          << "WireError " << n << " (" << to_string(wire) << ") is not in the table";
    }
  }
}

}  // namespace
}  // namespace framewire::protocol
