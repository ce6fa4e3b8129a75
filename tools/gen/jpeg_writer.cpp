// libjpeg-based writer; see jpeg_writer.hpp. libjpeg's default error handler calls exit(), so
// errors are turned into a longjmp back to the encoding function, which holds only trivially
// destructible locals; memory-owning objects live in the caller.
#include "jpeg_writer.hpp"

// jpeglib.h needs size_t and FILE declared first.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>

#include <cerrno>
#include <csetjmp>
#include <cstring>

namespace framewire::gen {
namespace {

struct ErrorManager {
  jpeg_error_mgr base;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void OnJpegError(j_common_ptr cinfo) {
  auto* manager = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, manager->message);
  std::longjmp(manager->jump, 1);
}

bool EncodeJpeg(std::FILE* file, const Image8& image, int quality, ErrorManager* errors) {
  jpeg_compress_struct cinfo;
  cinfo.err = jpeg_std_error(&errors->base);
  errors->base.error_exit = OnJpegError;
  if (setjmp(errors->jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, file);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    // libjpeg only reads the row; its API is not const-correct.
    JSAMPROW row = const_cast<JSAMPROW>(image.Row(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

}  // namespace

WriteOutcome WriteJpeg(const std::string& path, const Image8& image, int quality) {
  WriteOutcome outcome;
  if (image.channels != 3) {
    outcome.error = path + ": JPEG writer needs an RGB image";
    return outcome;
  }
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    outcome.error = path + ": " + std::strerror(errno);
    return outcome;
  }
  ErrorManager errors{};
  const bool encoded = EncodeJpeg(file, image, quality, &errors);
  const long size = std::ftell(file);
  const bool closed = std::fclose(file) == 0;
  if (!encoded) {
    outcome.error = path + ": " + errors.message;
  } else if (!closed || size < 0) {
    outcome.error = path + ": write failed: " + std::strerror(errno);
  } else {
    outcome.bytes = static_cast<std::uint64_t>(size);
  }
  return outcome;
}

}  // namespace framewire::gen
