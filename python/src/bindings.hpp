// The parts of the _framewire module, each binding one piece of the public C++ API.
#pragma once

#include <pybind11/pybind11.h>

namespace framewire::python {

void bind_errors(pybind11::module_& module);    // errors.cpp
void bind_sender(pybind11::module_& module);    // sender_binding.cpp
void bind_receiver(pybind11::module_& module);  // receiver_binding.cpp

}  // namespace framewire::python
