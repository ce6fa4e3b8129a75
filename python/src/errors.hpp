// framewire's Status as a Python exception. The classes (framewire.Error and its subclasses,
// one per kind of failure) are defined in Python (framewire/__init__.py), which hands the
// module a factory at import; C++ code throws StatusError and the translator registered here
// turns it into the factory's exception, with .code ("connection_failed") and .message.
#pragma once

#include <pybind11/pybind11.h>

#include <exception>
#include <string>

#include "framewire/status.hpp"

namespace framewire::python {

class StatusError : public std::exception {
 public:
  explicit StatusError(Status status) : status_(std::move(status)), what_(status_.to_string()) {}
  const Status& status() const { return status_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  Status status_;
  std::string what_;
};

// Throws StatusError unless `status` is ok.
inline void check(const Status& status) {
  if (!status) throw StatusError(status);
}

template <typename T>
T value_or_throw(Result<T>&& result) {
  if (!result) throw StatusError(result.status());
  return std::move(result).value();
}

}  // namespace framewire::python
