// Which of the view's routes a request target names (the path before any
// '?'), and the Content-Type of a stored frame. Pure functions; any thread.
//
//   /                      the live view page
//   /metrics               Prometheus text format
//   /streams               JSON: every stream with its figures
//   /streams/NAME/latest   the newest stored frame of NAME, bytes as stored
//   /live                  the WebSocket (live figures and previews)
#pragma once

#include <string>
#include <string_view>

namespace framewire::view {

enum class RouteKind { kPage, kMetrics, kStreams, kLatest, kLive, kNotFound, kBadName };

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  std::string stream;   // kLatest: the stream name, slashes included
  std::string message;  // kBadName: why the name is refused
};

Route route_for(std::string_view target);

// image/jpeg, image/png, else application/octet-stream.
std::string_view content_type_for(std::string_view file_name);

}  // namespace framewire::view
