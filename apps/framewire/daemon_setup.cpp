#include "daemon_setup.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace framewire::cli {

void log_to_stderr(const std::string& level) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("framewire"));
  spdlog::set_level(spdlog::level::from_str(level));
}

SyncMode sync_mode_named(const std::string& name) {
  if (name == "none") return SyncMode::kNone;
  if (name == "each") return SyncMode::kEach;
  return SyncMode::kBatch;
}

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

}  // namespace framewire::cli
