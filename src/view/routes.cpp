#include "view/routes.hpp"

#include "storage/safe_name.hpp"

namespace framewire::view {

namespace {

constexpr std::string_view kStreamsPrefix = "/streams/";
constexpr std::string_view kLatestSuffix = "/latest";

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  text = text.substr(text.size() - suffix.size());
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    const char c = text[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != suffix[i]) return false;
  }
  return true;
}

}  // namespace

Route route_for(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/" || path == "/index.html") return {.kind = RouteKind::kPage};
  if (path == "/metrics") return {.kind = RouteKind::kMetrics};
  if (path == "/streams" || path == "/streams/") return {.kind = RouteKind::kStreams};
  if (path == "/live") return {.kind = RouteKind::kLive};
  if (path.starts_with(kStreamsPrefix) && path.ends_with(kLatestSuffix) &&
      path.size() > kStreamsPrefix.size() + kLatestSuffix.size()) {
    std::string name(path.substr(kStreamsPrefix.size(),
                                 path.size() - kStreamsPrefix.size() - kLatestSuffix.size()));
    // Names are plain [A-Za-z0-9._-/]: a '%' escape, "..", an empty segment
    // all break the rules and are refused here, before any file is touched.
    if (Status valid = storage::validate_stream_name(name); !valid.is_ok()) {
      return {.kind = RouteKind::kBadName, .message = valid.message()};
    }
    return {.kind = RouteKind::kLatest, .stream = std::move(name)};
  }
  return {.kind = RouteKind::kNotFound};
}

std::string_view content_type_for(std::string_view file_name) {
  if (ends_with_ignoring_case(file_name, ".jpg") || ends_with_ignoring_case(file_name, ".jpeg")) {
    return "image/jpeg";
  }
  if (ends_with_ignoring_case(file_name, ".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace framewire::view
