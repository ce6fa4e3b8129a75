// NumPy arrays to and from the capture layer's images: what send() accepts and what
// Frame.image() returns. Arrays are HxW (gray) or HxWx3 (colour), uint8 or uint16 (gray only),
// C-contiguous rows or any row stride NumPy gives; colour is BGR unless `rgb` (OpenCV's order).
#pragma once

#include <pybind11/numpy.h>

#include "capture/image.hpp"

namespace framewire::python {

// A view of `array`'s pixels (no copy). Throws StatusError (kInternal) naming what is wrong
// with an array of another shape or dtype.
capture::ImageView view_of(const pybind11::array& array, bool rgb);

// A new array with a copy of `image`'s pixels: uint8 HxW, uint8 HxWx3 (BGR unless `rgb`) or
// uint16 HxW.
pybind11::array to_array(const capture::Image& image, bool rgb);

}  // namespace framewire::python
