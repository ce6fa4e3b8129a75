// What `serve` and `sink`, the two commands that run until stopped, do alike before they start:
// the log on stderr at a level, the --sync name as a SyncMode, seconds as milliseconds.
// Main thread, before any other thread exists.
#pragma once

#include <chrono>
#include <string>

#include "framewire/receiver.hpp"

namespace framewire::cli {

// spdlog's default logger on stderr ("framewire"), at `level` (trace ... error).
void log_to_stderr(const std::string& level);

// "none" | "batch" | "each" (CLI11 checked the name already).
SyncMode sync_mode_named(const std::string& name);

std::chrono::milliseconds seconds_to_ms(double seconds);

}  // namespace framewire::cli
