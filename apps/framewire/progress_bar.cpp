#include "progress_bar.hpp"

#include <fmt/format.h>

#include <string>

namespace framewire::cli {
namespace {

std::string closed_line(const SendProgress& progress, double mb_per_s) {
  constexpr int kWidth = 24;
  const double done = progress.bytes_total == 0 ? 1.0
                                                : static_cast<double>(progress.bytes_stored) /
                                                      static_cast<double>(progress.bytes_total);
  const int filled = static_cast<int>(done * kWidth);
  std::string eta = "--";
  if (mb_per_s > 0) {
    const double left_mb = static_cast<double>(progress.bytes_total - progress.bytes_stored) / 1e6;
    eta = fmt::format("{:.0f}s", left_mb / mb_per_s);
  }
  return fmt::format("[{}{}] {}/{} frames  {:.1f}/{:.1f} MB  {:.1f} MB/s  ETA {}",
                     std::string(static_cast<std::size_t>(filled), '#'),
                     std::string(static_cast<std::size_t>(kWidth - filled), '.'),
                     progress.frames_stored, progress.frames_total,
                     static_cast<double>(progress.bytes_stored) / 1e6,
                     static_cast<double>(progress.bytes_total) / 1e6, mb_per_s, eta);
}

// Captures have no total: what was stored so far, how fast, and what was lost.
std::string open_line(const SendProgress& progress, double mb_per_s) {
  return fmt::format("live  {} frames stored  {:.1f} MB  {:.1f} MB/s  {} dropped  {:.0f} s",
                     progress.frames_stored, static_cast<double>(progress.bytes_stored) / 1e6,
                     mb_per_s, progress.frames_dropped, progress.seconds);
}

}  // namespace

void ProgressBar::draw(const SendProgress& progress) {
  const double mb_per_s = progress.seconds > 0
                              ? static_cast<double>(progress.bytes_stored) / 1e6 / progress.seconds
                              : 0.0;
  const std::string line =
      "\r" +
      (progress.open_ended ? open_line(progress, mb_per_s) : closed_line(progress, mb_per_s)) +
      "\033[K";
  std::lock_guard lock(mutex_);
  if (cleared_) return;
  std::fputs(line.c_str(), terminal_);
  std::fflush(terminal_);
  drawn_ = true;
}

void ProgressBar::notice(const std::string& text) {
  std::lock_guard lock(mutex_);
  if (drawn_) std::fputs("\r\033[K", terminal_);
  drawn_ = false;
  std::fprintf(terminal_, "framewire send: %s\n", text.c_str());
  std::fflush(terminal_);
}

void ProgressBar::clear() {
  std::lock_guard lock(mutex_);
  cleared_ = true;
  if (!drawn_) return;
  std::fputs("\r\033[K", terminal_);
  std::fflush(terminal_);
  drawn_ = false;
}

}  // namespace framewire::cli
