#include "errors.hpp"

namespace py = pybind11;

namespace framewire::python {

namespace {

// framewire._make_error(code, message) -> an Error instance; set once at import. Never freed:
// the translator may run during interpreter shutdown, after module globals are cleared.
py::object* error_factory = nullptr;

}  // namespace

void bind_errors(py::module_& module) {
  module.def(
      "_set_error_factory",
      [](py::object factory) {
        delete error_factory;
        error_factory = new py::object(std::move(factory));
      },
      "Called once by framewire/__init__.py: how to build the exception for a failure.");

  // pybind11 takes a plain function pointer of exactly this signature.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  py::register_exception_translator([](std::exception_ptr raised) {
    try {
      if (raised) std::rethrow_exception(raised);
    } catch (const StatusError& error) {
      const Status& status = error.status();
      const std::string code(to_string(status.code()));
      if (error_factory == nullptr) {
        PyErr_SetString(PyExc_RuntimeError, status.to_string().c_str());
        return;
      }
      py::object exception = (*error_factory)(code, status.message(), status.retryable());
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
    }
  });
}

}  // namespace framewire::python
