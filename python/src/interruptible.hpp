// Waiting in C++ without freezing Python: the GIL is released while waiting, and the wait is
// cut into short slices between which Python's signal handlers run, so Ctrl-C
// (KeyboardInterrupt) reaches a program blocked in send(), flush() or a frame iterator.
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <optional>

namespace framewire::python {

inline constexpr std::chrono::milliseconds kWaitSlice{50};

// Calls `attempt(slice)` (with the GIL released) until it returns true, or `timeout` has passed
// (nullopt: no limit), checking for signals between calls. Returns whether attempt succeeded.
// A pending KeyboardInterrupt (or any exception a signal handler raised) is thrown as
// pybind11::error_already_set.
template <typename Attempt>
bool wait_interruptibly(Attempt&& attempt, std::optional<std::chrono::duration<double>> timeout) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    std::chrono::milliseconds slice = kWaitSlice;
    if (timeout) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *timeout - (std::chrono::steady_clock::now() - start));
      if (left.count() < 0) return false;
      slice = std::min(slice, left);
    }
    bool done = false;
    {
      pybind11::gil_scoped_release release;
      done = attempt(slice);
    }
    if (done) return true;
    if (PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
  }
}

}  // namespace framewire::python
