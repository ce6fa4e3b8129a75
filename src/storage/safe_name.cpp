// The receiver's name rules (safe_name.hpp). Every refusal says which rule was
// broken and shows the offending name, escaped and shortened so that a hostile
// name cannot smuggle control bytes or megabytes into a log line. Pure
// functions; any thread.
#include "storage/safe_name.hpp"

#include <string>

namespace framewire::storage {
namespace {

constexpr std::size_t kMaxStreamNameBytes = 1024;
constexpr std::size_t kMaxSourceKindBytes = 32;
// Names longer than this are shown shortened in messages.
constexpr std::size_t kMaxShownBytes = 40;

bool is_segment_byte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool is_source_kind_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// The name as a quoted, printable string for messages.
std::string quoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  const std::size_t shown = text.size() > kMaxShownBytes ? kMaxShownBytes : text.size();
  for (std::size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += static_cast<char>(byte);
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (shown < text.size()) out += "...";
  out += '"';
  return out;
}

std::string describe_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte == 0) return "a NUL byte";
  if (byte == '\\') return "a backslash";
  if (byte == '/') return "a '/'";
  std::string text = "the byte ";
  text += quoted(std::string_view(&c, 1));
  return text;
}

Status bad_name(std::string message) {
  return {ErrorCode::kBadName, std::move(message)};
}

// `what` names the kind of name in the message ("stream name segment", ...).
Status check_segment(std::string_view segment, std::string_view what) {
  if (segment.empty()) return bad_name(std::string(what) + " is empty");
  if (segment == "." || segment == "..") {
    return bad_name(std::string(what) + " " + quoted(segment) + " is not allowed");
  }
  if (segment.size() > kMaxSegmentBytes) {
    return bad_name(std::string(what) + " " + quoted(segment) + " is " +
                    std::to_string(segment.size()) + " bytes long, more than " +
                    std::to_string(kMaxSegmentBytes));
  }
  for (const char c : segment) {
    if (!is_segment_byte(c)) {
      return bad_name(std::string(what) + " " + quoted(segment) + " contains " + describe_byte(c) +
                      "; only [A-Za-z0-9._-] are allowed");
    }
  }
  // Also what keeps our temporary files (".fwtmp-*") and hidden files apart.
  if (segment.front() == '.') {
    return bad_name(std::string(what) + " " + quoted(segment) + " starts with '.'");
  }
  return Status::ok();
}

}  // namespace

Status validate_segment(std::string_view segment) {
  return check_segment(segment, "name segment");
}

Status validate_stream_name(std::string_view name) {
  if (name.empty()) return bad_name("stream name is empty");
  if (name.size() > kMaxStreamNameBytes) {
    return bad_name("stream name " + quoted(name) + " is " + std::to_string(name.size()) +
                    " bytes long, more than " + std::to_string(kMaxStreamNameBytes));
  }
  if (name.front() == '/') {
    return bad_name("stream name " + quoted(name) + " is absolute (starts with '/')");
  }
  if (name.back() == '/') return bad_name("stream name " + quoted(name) + " ends with '/'");
  std::size_t segments = 0;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view segment = name.substr(start, end - start);
    if (segment.empty()) {
      return bad_name("stream name " + quoted(name) + " has an empty segment (\"//\")");
    }
    if (++segments > kMaxStreamSegments) {
      return bad_name("stream name " + quoted(name) + " has more than " +
                      std::to_string(kMaxStreamSegments) + " segments");
    }
    if (Status status = check_segment(segment, "stream name segment"); !status) return status;
    // "a/manifest.jsonl" would be the manifest of a stream "a": below the
    // first segment that name is never a directory. (At the top of the root
    // there is no manifest, so a first segment may have it.)
    if (segments > 1 && segment == kManifestFileName) {
      return bad_name("stream name " + quoted(name) + " has the segment " + quoted(segment) +
                      ", which is reserved for the stream's manifest");
    }
    start = end + 1;
  }
  return Status::ok();
}

Status validate_file_name(std::string_view name) {
  if (Status status = check_segment(name, "file name"); !status) return status;
  if (name == kManifestFileName) {
    return bad_name("file name " + quoted(name) + " is reserved for the stream's manifest");
  }
  return Status::ok();
}

Status validate_source_kind(std::string_view kind) {
  if (kind.empty()) return bad_name("source kind is empty");
  if (kind.size() > kMaxSourceKindBytes) {
    return bad_name("source kind " + quoted(kind) + " is " + std::to_string(kind.size()) +
                    " bytes long, more than " + std::to_string(kMaxSourceKindBytes));
  }
  for (const char c : kind) {
    if (!is_source_kind_byte(c)) {
      return bad_name("source kind " + quoted(kind) + " contains " + describe_byte(c) +
                      "; only [a-z0-9_-] are allowed");
    }
  }
  return Status::ok();
}

}  // namespace framewire::storage
