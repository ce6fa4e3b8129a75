// FFmpeg-backed capture (av_capture.hpp). Every FFmpeg object is owned by a unique_ptr with its
// own free function. Blocking reads (a camera waiting for its next frame) are ended by
// libavformat's interrupt callback, which polls the capture's stop flag and deadline.
#include "capture/av_capture.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <mutex>
#include <string>
#include <vector>

#include "capture/capture_control.hpp"
#include "capture/mjpeg_completer.hpp"

namespace framewire::capture {
namespace {

struct FormatCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct CodecFreer {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsFreer {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

std::string av_error_text(int error) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(error, text, sizeof(text));
  return text;
}

Status av_status(const CaptureSpec& spec, std::string_view what, int error) {
  std::string message(to_string(spec.kind));
  message += ' ';
  message += spec.path;
  message += ": ";
  message += what;
  if (error != 0) {
    message += ": ";
    message += av_error_text(error);
  }
  return {ErrorCode::kInternal, std::move(message)};
}

// Extension of codecs whose every packet is a complete picture file; "" for the others.
const char* packet_extension(AVCodecID codec) {
  switch (codec) {
    case AV_CODEC_ID_MJPEG:
      return ".jpg";
    case AV_CODEC_ID_PNG:
      return ".png";
    case AV_CODEC_ID_BMP:
      return ".bmp";
    case AV_CODEC_ID_TIFF:
      return ".tif";
    default:
      return "";
  }
}

void init_ffmpeg_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    avdevice_register_all();
    // FFmpeg's default prints notices (deprecated yuvj formats, probing guesses) on stderr;
    // errors are returned to our caller anyway. Only lowered while still at the default, so an
    // application that chose a level keeps it.
    if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_ERROR);
  });
}

class AvCapture final : public Capture {
 public:
  AvCapture(const CaptureSpec& spec, const CaptureOptions& options)
      : spec_(spec), options_(options), control_(options) {
    info_.kind = spec.kind;
    info_.spec = spec.text;
  }

  Status open();
  Result<std::optional<CapturedFrame>> next() override;
  void stop() override { control_.stop(); }
  const CaptureInfo& info() const override { return info_; }
  void recycle(CapturedFrame&& frame) override { spare_.give(std::move(frame)); }

 private:
  static int on_interrupt(void* self) {
    return static_cast<AvCapture*>(self)->control_.interrupted() ? 1 : 0;
  }

  Status open_decoder(const AVCodec* decoder);
  // Reads the next packet of our stream into packet_; false at end of input.
  Result<bool> read_packet();
  Result<std::optional<CapturedFrame>> next_packet();
  Result<std::optional<CapturedFrame>> next_image();
  // Waits until the frame with timestamp `pts` is due; false when the wait was interrupted.
  bool pace(std::int64_t pts);
  Status convert(const AVFrame& picture, Image& image);
  std::optional<CapturedFrame> finish(decltype(CapturedFrame::content) content) {
    CapturedFrame frame;
    frame.index = index_++;
    frame.capture_time_ns = realtime_now_ns();
    frame.content = std::move(content);
    return frame;
  }

  CaptureSpec spec_;
  CaptureOptions options_;
  CaptureControl control_;
  CaptureInfo info_;
  std::unique_ptr<AVFormatContext, FormatCloser> format_;
  std::unique_ptr<AVCodecContext, CodecFreer> codec_;
  std::unique_ptr<AVFrame, FrameFreer> picture_;
  std::unique_ptr<AVPacket, PacketFreer> packet_;
  std::unique_ptr<SwsContext, SwsFreer> sws_;
  MjpegCompleter mjpeg_;
  int stream_ = -1;
  AVRational time_base_{1, 1};
  AVRational frame_rate_{0, 1};
  bool draining_ = false;  // end of input reached; the decoder is being flushed
  bool ended_ = false;
  std::uint64_t index_ = 0;
  // Pacing: the steady time at which timestamp first_pts_ was due.
  bool pacing_started_ = false;
  std::int64_t first_pts_ = 0;
  CaptureControl::Clock::time_point origin_;
  SpareImages spare_;
};

Status AvCapture::open() {
  init_ffmpeg_once();
  const AVInputFormat* input = nullptr;
  if (spec_.kind == CaptureKind::kV4l2) {
    input = av_find_input_format("video4linux2");
    if (input == nullptr) return av_status(spec_, "this FFmpeg has no video4linux2 input", 0);
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return av_status(spec_, "out of memory", 0);
  raw->interrupt_callback.callback = &AvCapture::on_interrupt;
  raw->interrupt_callback.opaque = this;
  AVDictionary* device_options = nullptr;
  for (const auto& [key, value] : spec_.device_options) {
    av_dict_set(&device_options, key.c_str(), value.c_str(), 0);
  }
  // On failure avformat_open_input frees the context itself.
  int error = avformat_open_input(&raw, spec_.path.c_str(), input, &device_options);
  av_dict_free(&device_options);
  if (error < 0) return av_status(spec_, "cannot open", error);
  format_.reset(raw);
  if ((error = avformat_find_stream_info(format_.get(), nullptr)) < 0) {
    return av_status(spec_, "cannot read stream information", error);
  }
  const AVCodec* decoder = nullptr;
  stream_ = av_find_best_stream(format_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (stream_ < 0) return av_status(spec_, "no video stream", stream_);
  AVStream* stream = format_->streams[stream_];
  time_base_ = stream->time_base;
  frame_rate_ = av_guess_frame_rate(format_.get(), stream, nullptr);
  const AVCodecParameters* parameters = stream->codecpar;
  info_.width = parameters->width;
  info_.height = parameters->height;
  info_.fps = frame_rate_.num > 0 && frame_rate_.den > 0 ? av_q2d(frame_rate_) : 0.0;
  packet_.reset(av_packet_alloc());
  picture_.reset(av_frame_alloc());
  if (!packet_ || !picture_) return av_status(spec_, "out of memory", 0);

  if (options_.packets) {
    info_.content = FrameContent::kPacket;
    info_.packet_extension = packet_extension(parameters->codec_id);
    if (info_.packet_extension.empty()) {
      return av_status(spec_,
                       std::string("raw needs a codec whose packets are whole pictures (mjpeg, "
                                   "png, bmp, tiff), this stream is ") +
                           avcodec_get_name(parameters->codec_id),
                       0);
    }
    return Status::ok();
  }
  if (decoder == nullptr) {
    return av_status(spec_, std::string("no decoder for ") + avcodec_get_name(parameters->codec_id),
                     0);
  }
  return open_decoder(decoder);
}

Status AvCapture::open_decoder(const AVCodec* decoder) {
  codec_.reset(avcodec_alloc_context3(decoder));
  if (!codec_) return av_status(spec_, "out of memory", 0);
  int error = avcodec_parameters_to_context(codec_.get(), format_->streams[stream_]->codecpar);
  if (error < 0) return av_status(spec_, "bad codec parameters", error);
  codec_->pkt_timebase = time_base_;
  if ((error = avcodec_open2(codec_.get(), decoder, nullptr)) < 0) {
    return av_status(spec_, "cannot open the decoder", error);
  }
  info_.content = FrameContent::kImage;
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(codec_->pix_fmt);
  const bool grey =
      desc != nullptr && desc->nb_components == 1 && (desc->flags & AV_PIX_FMT_FLAG_PAL) == 0;
  if (grey) {
    info_.format = desc->comp[0].depth > 8 ? PixelFormat::kGray16 : PixelFormat::kGray8;
  } else {
    info_.format = options_.color_order;
  }
  return Status::ok();
}

Result<bool> AvCapture::read_packet() {
  for (;;) {
    av_packet_unref(packet_.get());
    const int error = av_read_frame(format_.get(), packet_.get());
    if (error == AVERROR_EOF) return false;
    if (error == AVERROR_EXIT || control_.interrupted()) return false;  // stop() or deadline
    if (error == AVERROR(EAGAIN)) continue;
    if (error < 0) return av_status(spec_, "read failed", error);
    if (packet_->stream_index == stream_) return true;
  }
}

bool AvCapture::pace(std::int64_t pts) {
  // Cameras deliver at their own rate; only files are held back.
  if (!options_.pace || spec_.kind != CaptureKind::kFile) return !control_.interrupted();
  const auto now = CaptureControl::Clock::now();
  std::int64_t offset_ns = 0;
  if (pts == AV_NOPTS_VALUE) {
    // No timestamps: the nominal rate, counted from the first frame.
    if (frame_rate_.num > 0 && frame_rate_.den > 0) {
      offset_ns = av_rescale_q(static_cast<std::int64_t>(index_), av_inv_q(frame_rate_),
                               AVRational{1, 1'000'000'000});
    }
  } else {
    if (!pacing_started_) first_pts_ = pts;
    offset_ns = av_rescale_q(pts - first_pts_, time_base_, AVRational{1, 1'000'000'000});
  }
  const auto due_offset = std::chrono::nanoseconds(offset_ns);
  if (!pacing_started_) {
    pacing_started_ = true;
    origin_ = now - due_offset;
  }
  auto due = origin_ + due_offset;
  if (due + std::chrono::seconds(1) < now) {
    // Far behind (a slow consumer): carry on from here rather than bursting to catch up.
    origin_ = now - due_offset;
    due = now;
  }
  if (due <= now) return !control_.interrupted();
  return control_.sleep_until(due);
}

Result<std::optional<CapturedFrame>> AvCapture::next() {
  if (ended_ || !control_.may_capture(index_)) return std::optional<CapturedFrame>();
  Result<std::optional<CapturedFrame>> result = options_.packets ? next_packet() : next_image();
  if (!result || !result->has_value()) ended_ = true;
  return result;
}

Result<std::optional<CapturedFrame>> AvCapture::next_packet() {
  Result<bool> got = read_packet();
  if (!got) return got.status();
  if (!*got) return std::optional<CapturedFrame>();
  if (!pace(packet_->pts != AV_NOPTS_VALUE ? packet_->pts : packet_->dts)) {
    return std::optional<CapturedFrame>();
  }
  EncodedPacket encoded;
  encoded.bytes.assign(packet_->data, packet_->data + packet_->size);
  encoded.extension = info_.packet_extension;
  if (format_->streams[stream_]->codecpar->codec_id == AV_CODEC_ID_MJPEG) {
    if (Status fixed = mjpeg_.complete(encoded.bytes); !fixed)
      return av_status(spec_, fixed.message(), 0);
  }
  return finish(std::move(encoded));
}

Result<std::optional<CapturedFrame>> AvCapture::next_image() {
  for (;;) {
    int error = avcodec_receive_frame(codec_.get(), picture_.get());
    if (error == 0) break;
    if (error == AVERROR_EOF) return std::optional<CapturedFrame>();
    if (error != AVERROR(EAGAIN)) return av_status(spec_, "decoding failed", error);
    if (draining_) return std::optional<CapturedFrame>();
    Result<bool> got = read_packet();
    if (!got) return got.status();
    if (control_.interrupted()) return std::optional<CapturedFrame>();
    if (!*got) {
      draining_ = true;
      error = avcodec_send_packet(codec_.get(), nullptr);
    } else {
      error = avcodec_send_packet(codec_.get(), packet_.get());
    }
    // A corrupt packet in a file or a glitch from a camera costs that frame, not the capture.
    if (error < 0 && error != AVERROR(EAGAIN) && error != AVERROR_INVALIDDATA &&
        error != AVERROR_EOF) {
      return av_status(spec_, "decoding failed", error);
    }
  }
  if (!pace(picture_->best_effort_timestamp)) {
    av_frame_unref(picture_.get());
    return std::optional<CapturedFrame>();
  }
  Image image = spare_.take();
  const Status converted = convert(*picture_, image);
  av_frame_unref(picture_.get());
  if (!converted) return converted;
  return finish(std::move(image));
}

Status AvCapture::convert(const AVFrame& picture, Image& image) {
  AVPixelFormat target = AV_PIX_FMT_RGB24;
  switch (info_.format) {
    case PixelFormat::kGray8:
      target = AV_PIX_FMT_GRAY8;
      break;
    case PixelFormat::kGray16:
      target = AV_PIX_FMT_GRAY16;  // native endian
      break;
    case PixelFormat::kRgb8:
      break;
    case PixelFormat::kBgr8:
      target = AV_PIX_FMT_BGR24;
      break;
  }
  const auto source = static_cast<AVPixelFormat>(picture.format);
  sws_.reset(sws_getCachedContext(sws_.release(), picture.width, picture.height, source,
                                  picture.width, picture.height, target, SWS_BILINEAR, nullptr,
                                  nullptr, nullptr));
  if (!sws_) return av_status(spec_, "cannot convert the picture format", 0);
  image.reset(picture.width, picture.height, info_.format);
  std::uint8_t* planes[4] = {image.data(), nullptr, nullptr, nullptr};
  const int strides[4] = {static_cast<int>(image.stride()), 0, 0, 0};
  sws_scale(sws_.get(), picture.data, picture.linesize, 0, picture.height, planes, strides);
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Capture>> open_av_capture(const CaptureSpec& spec,
                                                 const CaptureOptions& options) {
  auto capture = std::make_unique<AvCapture>(spec, options);
  if (Status opened = capture->open(); !opened) return opened;
  return std::unique_ptr<Capture>(std::move(capture));
}

}  // namespace framewire::capture
