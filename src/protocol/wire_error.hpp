// The error codes of wire protocol v1 (docs/PROTOCOL.md section 8, "Error
// codes") and their translation to and from framewire's public ErrorCode.
// The two lists share numbers where both have a code, so that logs read alike
// on both ends, but they are different things: the wire's list belongs to the
// protocol and every implementation of it; the public list is framewire's and
// has local-only codes (kCancelled) that never go on the wire. The switch
// statements in wire_error.cpp are the one place where the two meet, so the
// compiler flags a code added to either list and not to the mapping.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "framewire/status.hpp"

namespace framewire::protocol {

// One enumerator per row of the table in docs/PROTOCOL.md section 8; the
// numbers are the protocol's and never change. A WireError decoded from a
// peer may hold a number that is none of these (a code of a later protocol
// version): it is kept as received so that it can be shown as a number
// (section 4.8: "Codes a peer does not know MUST be accepted and shown as
// numbers").
enum class WireError : std::uint16_t {
  kOk = 0,  // not normally sent
  kBadMagic = 1,
  kUnsupportedVersion = 2,
  kMalformed = 3,
  kUnknownType = 4,
  kMessageTooLarge = 5,
  kFrameTooLarge = 6,
  kBadName = 7,
  kBadStream = 8,
  kStreamBusy = 9,
  kChecksumMismatch = 10,
  kConflict = 11,
  kBadSequence = 12,
  kWindowExceeded = 13,
  kTimeout = 14,
  kStorageError = 15,
  kShuttingDown = 16,
  kTooManyStreams = 17,
  kUnexpectedMessage = 18,
  kInternal = 19,
  kConnectionFailed = 20,  // the table reserves it for a local failure: never sent
  kForbidden = 21,
  kStaleSequence = 22,
};

// The wire code that tells a peer about `code`: the code of the same name.
// connection_failed (which the table says never goes on the wire) and
// framewire's local-only codes such as kCancelled become kInternal, "a local
// failure not caused by the peer", which is what they are from the peer's side.
WireError to_wire(ErrorCode code);

// The public code for `code` as received in an ERROR or FRAME_REJECTED. A
// code of the table becomes the public code of the same name (0 becomes kOk;
// callers decide what an ERROR with code 0 means). A number the table does
// not list, from a later protocol version, becomes kInternal: the peer failed
// for a reason this version cannot name. kInternal is not retryable, so such
// an ERROR ends a send like any other fatal error from the peer, as it did
// before the two lists were separated. Show the number with
// text_with_unknown_code(), since the public code no longer carries it.
ErrorCode from_wire(std::uint16_t code);
ErrorCode from_wire(WireError code);

// Whether `code` is one of the table's rows (this build can name it).
bool is_known(WireError code);

// The table's lower_snake_case name ("checksum_mismatch"), or "unknown error
// code 4711" for a number the table does not list. For logs.
std::string to_string(WireError code);

// A peer's error text as framewire shows it: unchanged for a known code; for
// an unknown one, prefixed with its number ("unknown error code 4711: disk on
// fire"), because from_wire() reports it as kInternal.
std::string text_with_unknown_code(WireError code, std::string_view text);

}  // namespace framewire::protocol
