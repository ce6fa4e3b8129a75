// libFuzzer target for the receiver's name rules (storage/safe_name.hpp):
// arbitrary bytes go to validate_stream_name, validate_file_name,
// validate_source_kind and validate_segment, and each verdict is compared with
// an independent, deliberately naive restatement of the rules in
// docs/PROTOCOL.md. A name the library accepts must never be able to leave
// the storage root (no "." or ".." segment, no NUL, no leading '/', no
// backslash, every segment [A-Za-z0-9._-]+ without a leading '.'), and a
// refusal must be kBadName with a printable, bounded message, since it goes
// into logs and onto the wire. Single-threaded, as libFuzzer calls it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "framewire/status.hpp"
#include "storage/safe_name.hpp"

namespace {

using framewire::ErrorCode;
using framewire::Status;

[[noreturn]] void violated(const char* what, std::string_view name) {
  std::fprintf(stderr, "safe_name_fuzz: invariant violated: %s (name of %zu bytes)\n", what,
               name.size());
  std::abort();
}

std::vector<std::string_view> split_segments(std::string_view name) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(name.substr(start));
      return segments;
    }
    segments.push_back(name.substr(start, slash - start));
    start = slash + 1;
  }
}

// The rules restated from the protocol document, not from safe_name.cpp.
bool model_segment(std::string_view s) {
  if (s.empty() || s.size() > 255 || s.front() == '.') return false;
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool model_stream_name(std::string_view name) {
  if (name.empty() || name.size() > 1024) return false;
  const auto segments = split_segments(name);
  if (segments.size() > 16) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (!model_segment(segments[i])) return false;
    // Below the first segment, "manifest.jsonl" is a stream's manifest file.
    if (i > 0 && segments[i] == "manifest.jsonl") return false;
  }
  return true;
}

bool model_file_name(std::string_view name) {
  return model_segment(name) && name != "manifest.jsonl";
}

bool model_source_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > 32) return false;
  for (const char c : kind) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// What "safe" means for the filesystem, checked on an accepted name.
void check_safe(std::string_view name) {
  if (name.empty()) violated("accepted an empty name", name);
  if (name.find('\0') != std::string_view::npos) violated("accepted a NUL byte", name);
  if (name.front() == '/') violated("accepted a leading '/'", name);
  if (name.find('\\') != std::string_view::npos) violated("accepted a backslash", name);
  for (const auto s : split_segments(name)) {
    if (s.empty()) violated("accepted an empty segment", name);
    if (s == "." || s == "..") violated("accepted a '.' or '..' segment", name);
    if (s.front() == '.') violated("accepted a segment with a leading '.'", name);
    for (const char c : s) {
      const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) violated("accepted a byte outside [A-Za-z0-9._-]", name);
    }
  }
}

// A refusal is logged and sent as ERROR text: kBadName, printable ASCII only,
// and short whatever the name's length (names are shown cut to 40 bytes).
void check_refusal(const Status& status, std::string_view name) {
  if (status.code() != ErrorCode::kBadName) violated("refusal is not kBadName", name);
  const std::string& text = status.message();
  if (text.empty()) violated("refusal without a message", name);
  if (text.size() > 400) violated("refusal message is not bounded", name);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) violated("refusal message has an unprintable byte", name);
  }
}

void check(const Status& status, bool model, std::string_view name, const char* rule) {
  if (status.is_ok() != model) {
    std::fprintf(stderr, "safe_name_fuzz: %s: library says %s, the rules say %s\n", rule,
                 status.is_ok() ? "ok" : status.to_string().c_str(), model ? "ok" : "refuse");
    violated("verdict differs from the protocol's rules", name);
  }
  if (status.is_ok()) {
    check_safe(name);
  } else {
    check_refusal(status, name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A copy of exactly `size` bytes, so that ASan sees any read past the end.
  const std::string name(reinterpret_cast<const char*>(data), size);
  check(framewire::storage::validate_stream_name(name), model_stream_name(name), name,
        "stream name");
  check(framewire::storage::validate_file_name(name), model_file_name(name), name, "file name");
  check(framewire::storage::validate_segment(name), model_segment(name), name, "segment");
  const Status kind = framewire::storage::validate_source_kind(name);
  check(kind, model_source_kind(name), name, "source kind");
  return 0;
}
