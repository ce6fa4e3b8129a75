// testsrc: and irsrc: sources: frames from test_pattern.hpp, paced at the spec's rate.
// Threads as in capture.hpp.
#pragma once

#include <memory>

#include "capture/capture.hpp"
#include "capture/capture_spec.hpp"

namespace framewire::capture {

// `spec.kind` is kTestsrc or kIrsrc. Never fails.
std::unique_ptr<Capture> open_pattern_capture(const CaptureSpec& spec,
                                              const CaptureOptions& options);

}  // namespace framewire::capture
