#include "progress_bar.hpp"

#include <fmt/format.h>

#include <string>

namespace framewire::cli {

void ProgressBar::draw(const SendProgress& progress) {
  constexpr int kWidth = 24;
  const double done = progress.bytes_total == 0 ? 1.0
                                                : static_cast<double>(progress.bytes_stored) /
                                                      static_cast<double>(progress.bytes_total);
  const int filled = static_cast<int>(done * kWidth);
  const double mb_per_s = progress.seconds > 0
                              ? static_cast<double>(progress.bytes_stored) / 1e6 / progress.seconds
                              : 0.0;
  std::string eta = "--";
  if (mb_per_s > 0) {
    const double left_mb = static_cast<double>(progress.bytes_total - progress.bytes_stored) / 1e6;
    eta = fmt::format("{:.0f}s", left_mb / mb_per_s);
  }
  const std::string line = fmt::format(
      "\r[{}{}] {}/{} frames  {:.1f}/{:.1f} MB  {:.1f} MB/s  ETA {}\033[K",
      std::string(static_cast<std::size_t>(filled), '#'),
      std::string(static_cast<std::size_t>(kWidth - filled), '.'), progress.frames_stored,
      progress.frames_total, static_cast<double>(progress.bytes_stored) / 1e6,
      static_cast<double>(progress.bytes_total) / 1e6, mb_per_s, eta);
  std::fputs(line.c_str(), terminal_);
  std::fflush(terminal_);
  drawn_ = true;
}

void ProgressBar::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", terminal_);
  std::fflush(terminal_);
  drawn_ = false;
}

}  // namespace framewire::cli
