#include "numpy_image.hpp"

#include <fmt/format.h>

#include <cstring>

#include "errors.hpp"

namespace py = pybind11;

namespace framewire::python {

namespace {

[[noreturn]] void refuse(const std::string& why) {
  throw StatusError(Status(ErrorCode::kInternal, why));
}

std::string shape_text(const py::array& array) {
  std::string text = "(";
  for (py::ssize_t axis = 0; axis < array.ndim(); ++axis) {
    if (axis > 0) text += ", ";
    text += std::to_string(array.shape(axis));
  }
  return text + ")";
}

}  // namespace

capture::ImageView view_of(const py::array& array, bool rgb) {
  const bool is_u8 = array.dtype().is(py::dtype::of<std::uint8_t>());
  const bool is_u16 = array.dtype().is(py::dtype::of<std::uint16_t>());
  if (!is_u8 && !is_u16) {
    refuse(fmt::format("an image must be uint8 or uint16, not {}",
                       py::str(array.dtype()).cast<std::string>()));
  }
  const bool colour = array.ndim() == 3 && array.shape(2) == 3;
  const bool gray = array.ndim() == 2 || (array.ndim() == 3 && array.shape(2) == 1);
  if (!colour && !gray) {
    refuse(fmt::format("an image must be HxW or HxWx3, not shape {}", shape_text(array)));
  }
  if (colour && is_u16) refuse("16-bit images must be single-channel (HxW uint16)");
  const auto item = static_cast<py::ssize_t>(array.itemsize());
  const py::ssize_t channels = colour ? 3 : 1;
  // Pixels of a row must be packed (the encoders read rows as contiguous memory); rows may be
  // apart by any positive stride, as in a crop of a larger array.
  const bool packed_pixels = array.ndim() == 2
                                 ? array.strides(1) == item
                                 : array.strides(2) == item && array.strides(1) == item * channels;
  if (!packed_pixels || array.strides(0) < array.shape(1) * item * channels) {
    refuse("the image's pixels are not contiguous within rows; pass numpy.ascontiguousarray(a)");
  }
  if (array.shape(0) <= 0 || array.shape(1) <= 0) refuse("an image cannot be empty");
  if (array.shape(0) > 65535 || array.shape(1) > 65535) {
    refuse(fmt::format("an image of shape {} is too large", shape_text(array)));
  }
  capture::ImageView view;
  view.data = static_cast<const std::uint8_t*>(array.data());
  view.height = static_cast<int>(array.shape(0));
  view.width = static_cast<int>(array.shape(1));
  view.stride = static_cast<std::size_t>(array.strides(0));
  if (is_u16) {
    view.format = capture::PixelFormat::kGray16;
  } else if (gray) {
    view.format = capture::PixelFormat::kGray8;
  } else {
    view.format = rgb ? capture::PixelFormat::kRgb8 : capture::PixelFormat::kBgr8;
  }
  return view;
}

py::array to_array(const capture::Image& image, bool rgb) {
  const auto height = static_cast<py::ssize_t>(image.height());
  const auto width = static_cast<py::ssize_t>(image.width());
  switch (image.format()) {
    case capture::PixelFormat::kGray16: {
      py::array_t<std::uint16_t> out({height, width});
      for (int y = 0; y < image.height(); ++y) {
        std::memcpy(out.mutable_data(y), image.row16(y), static_cast<std::size_t>(width) * 2);
      }
      return out;
    }
    case capture::PixelFormat::kGray8: {
      py::array_t<std::uint8_t> out({height, width});
      for (int y = 0; y < image.height(); ++y) {
        std::memcpy(out.mutable_data(y), image.row(y), static_cast<std::size_t>(width));
      }
      return out;
    }
    case capture::PixelFormat::kRgb8:
    case capture::PixelFormat::kBgr8: {
      py::array_t<std::uint8_t> out({height, width, py::ssize_t{3}});
      const bool swap = (image.format() == capture::PixelFormat::kRgb8) != rgb;
      for (int y = 0; y < image.height(); ++y) {
        const std::uint8_t* in = image.row(y);
        std::uint8_t* row = out.mutable_data(y);
        if (!swap) {
          std::memcpy(row, in, static_cast<std::size_t>(width) * 3);
          continue;
        }
        for (py::ssize_t x = 0; x < width; ++x) {
          row[3 * x] = in[3 * x + 2];
          row[3 * x + 1] = in[3 * x + 1];
          row[3 * x + 2] = in[3 * x];
        }
      }
      return out;
    }
  }
  refuse("an image of an unknown pixel format");
}

}  // namespace framewire::python
