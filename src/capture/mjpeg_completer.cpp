// MJPEG completion (mjpeg_completer.hpp). The marker walk stops at the first scan: tables
// defined after it would be too late for that scan anyway.
#include "capture/mjpeg_completer.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
}

#include <algorithm>
#include <memory>
#include <string>

namespace framewire::capture {
namespace {

struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};

Status mjpeg_error(const std::string& what, int error = 0) {
  std::string message = "mjpeg: " + what;
  if (error != 0) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(error, text, sizeof(text));
    message += ": ";
    message += text;
  }
  return {ErrorCode::kInternal, std::move(message)};
}

}  // namespace

bool jpeg_has_huffman_tables(std::span<const std::uint8_t> data) {
  constexpr std::uint8_t kDht = 0xC4;
  constexpr std::uint8_t kSos = 0xDA;
  std::size_t i = 2;  // after SOI
  while (i + 1 < data.size()) {
    if (data[i] != 0xFF) return false;  // lost in the segments: let the filter redo them
    const std::uint8_t marker = data[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == kDht) return true;
    if (marker == kSos) return false;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // markers without a length
      i += 2;
      continue;
    }
    if (i + 3 >= data.size()) return false;
    i += 2 + ((static_cast<std::size_t>(data[i + 2]) << 8) | data[i + 3]);
  }
  return false;
}

MjpegCompleter::~MjpegCompleter() {
  av_bsf_free(&filter_);
}

Status MjpegCompleter::complete(std::vector<std::uint8_t>& bytes) {
  if (bytes.size() < 2 || bytes[0] != 0xFF || bytes[1] != 0xD8) {
    return mjpeg_error("frame does not start with a JPEG SOI marker");
  }
  if (jpeg_has_huffman_tables(bytes)) return Status::ok();
  if (filter_ == nullptr) {
    const AVBitStreamFilter* filter = av_bsf_get_by_name("mjpeg2jpeg");
    if (filter == nullptr) return mjpeg_error("this FFmpeg has no mjpeg2jpeg filter");
    if (const int error = av_bsf_alloc(filter, &filter_); error < 0) {
      return mjpeg_error("cannot set up mjpeg2jpeg", error);
    }
    filter_->par_in->codec_type = AVMEDIA_TYPE_VIDEO;
    filter_->par_in->codec_id = AV_CODEC_ID_MJPEG;
    filter_->time_base_in = AVRational{1, 1};
    if (const int error = av_bsf_init(filter_); error < 0) {
      av_bsf_free(&filter_);
      return mjpeg_error("cannot set up mjpeg2jpeg", error);
    }
  }
  const std::unique_ptr<AVPacket, PacketFreer> packet(av_packet_alloc());
  if (!packet || av_new_packet(packet.get(), static_cast<int>(bytes.size())) < 0) {
    return mjpeg_error("out of memory");
  }
  std::copy(bytes.begin(), bytes.end(), packet->data);
  int error = av_bsf_send_packet(filter_, packet.get());
  if (error >= 0) error = av_bsf_receive_packet(filter_, packet.get());
  if (error < 0) return mjpeg_error("cannot complete a frame", error);
  bytes.assign(packet->data, packet->data + packet->size);
  return Status::ok();
}

}  // namespace framewire::capture
