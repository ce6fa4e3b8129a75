// framewire._framewire: the C++ side of `import framewire` (python/framewire/__init__.py is
// the Python side). Every call that waits (connecting, sending, flushing, the next stored
// frame) releases the GIL and wakes up for Ctrl-C; every failure is a framewire.Error.
#include <pybind11/pybind11.h>

#include "bindings.hpp"

PYBIND11_MODULE(_framewire, module) {
  module.doc() = "framewire's C++ core; use the framewire package, not this module";
  module.attr("__version__") = FRAMEWIRE_PYTHON_VERSION;  // project(VERSION), from CMake
  framewire::python::bind_errors(module);
  framewire::python::bind_sender(module);
  framewire::python::bind_receiver(module);
}
