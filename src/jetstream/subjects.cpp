// Names to subjects and back (subjects.hpp). Pure functions; any thread.
#include "jetstream/subjects.hpp"

#include <charconv>

#include "storage/file_io.hpp"
#include "storage/safe_name.hpp"

namespace framewire::jetstream {

using storage::hex64;

namespace {

constexpr std::size_t kMaxJetStreamNameBytes = 64;

bool is_name_byte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

template <typename Visit>
void for_each_piece(std::string_view text, char separator, Visit visit) {
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    visit(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return;
    start = end + 1;
  }
}

}  // namespace

Status validate_jetstream_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxJetStreamNameBytes) {
    return Status(ErrorCode::kBadName, "a JetStream stream name has 1 to 64 bytes");
  }
  for (char c : name) {
    if (!is_name_byte(c)) {
      return Status(
          ErrorCode::kBadName,
          "a JetStream stream name is made of A-Z a-z 0-9 _ - only: \"" + std::string(name) + "\"");
    }
  }
  return Status::ok();
}

std::string stream_tokens(std::string_view stream) {
  std::string tokens;
  tokens.reserve(stream.size());
  for (char c : stream) tokens += c == '/' ? '.' : c == '.' ? '=' : c;
  return tokens;
}

std::optional<std::string> stream_from_tokens(std::string_view tokens) {
  std::string stream;
  stream.reserve(tokens.size());
  for (char c : tokens) stream += c == '.' ? '/' : c == '=' ? '.' : c;
  // '=' cannot stand in a token of ours otherwise, and the result must be a name the receiver
  // would have accepted: anything else was not written by framewire.
  if (!storage::validate_stream_name(stream)) return std::nullopt;
  return stream;
}

std::string frame_subject(std::string_view jetstream, std::string_view stream) {
  return std::string(jetstream) + ".frame." + stream_tokens(stream);
}

std::string part_subject(std::string_view jetstream, std::string_view stream) {
  return std::string(jetstream) + ".part." + stream_tokens(stream);
}

std::vector<std::string> stream_subjects(std::string_view jetstream) {
  return {std::string(jetstream) + ".frame.>", std::string(jetstream) + ".part.>"};
}

std::optional<std::string> stream_of_frame_subject(std::string_view jetstream,
                                                   std::string_view subject) {
  const std::string prefix = std::string(jetstream) + ".frame.";
  if (!subject.starts_with(prefix)) return std::nullopt;
  return stream_from_tokens(subject.substr(prefix.size()));
}

Result<std::string> frame_filter_subject(std::string_view jetstream, std::string_view filter) {
  const std::string prefix = std::string(jetstream) + ".frame.";
  if (filter.empty()) return prefix + ">";
  Status problem = Status::ok();
  bool after_rest = false;  // a '>' came already: it must be the last segment
  for_each_piece(filter, '/', [&](std::string_view segment) {
    if (!problem) return;
    if (after_rest) {
      problem = Status(ErrorCode::kBadName, "'>' may only be the last segment of --filter");
    } else if (segment == ">") {
      after_rest = true;
    } else if (segment != "*") {
      if (Status status = storage::validate_segment(segment); !status) {
        problem = Status(ErrorCode::kBadName,
                         "--filter \"" + std::string(filter) + "\": " + status.message());
      }
    }
  });
  if (!problem) return problem;
  // '*' and '>' map to themselves, the segments as in a stream name.
  return prefix + stream_tokens(filter);
}

std::string frame_msg_id(std::string_view stream, std::uint64_t sequence, std::uint64_t checksum) {
  return std::string(stream) + ":" + std::to_string(sequence) + ":" + hex64(checksum);
}

std::string part_msg_id(std::string_view stream, std::uint64_t sequence, std::uint32_t index,
                        std::uint64_t chunk_checksum) {
  return std::string(stream) + ":" + std::to_string(sequence) + ":part" + std::to_string(index) +
         ":" + hex64(chunk_checksum);
}

std::string encode_sequence_list(const std::vector<std::uint64_t>& sequences) {
  std::string out;
  std::size_t i = 0;
  while (i < sequences.size()) {
    std::size_t end = i;
    while (end + 1 < sequences.size() && sequences[end + 1] == sequences[end] + 1) ++end;
    if (!out.empty()) out += ',';
    out += std::to_string(sequences[i]);
    if (end > i) out += "-" + std::to_string(sequences[end]);
    i = end + 1;
  }
  return out;
}

std::optional<std::vector<std::uint64_t>> decode_sequence_list(std::string_view text,
                                                               std::size_t max_count) {
  std::vector<std::uint64_t> sequences;
  bool ok = !text.empty();
  for_each_piece(text, ',', [&](std::string_view run) {
    if (!ok) return;
    const std::size_t dash = run.find('-');
    const auto first = parse_u64(run.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : parse_u64(run.substr(dash + 1));
    if (!first || !last || *last < *first || *last - *first >= max_count - sequences.size()) {
      ok = false;
      return;
    }
    for (std::uint64_t s = *first; s <= *last; ++s) sequences.push_back(s);
  });
  if (!ok || sequences.size() > max_count) return std::nullopt;
  return sequences;
}

template <typename Integer>
std::optional<Integer> parse_integer(std::string_view text) {
  Integer value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}
template std::optional<std::uint64_t> parse_integer(std::string_view);
template std::optional<std::int64_t> parse_integer(std::string_view);

}  // namespace framewire::jetstream
