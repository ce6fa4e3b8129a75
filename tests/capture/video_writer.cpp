// Test video writer (video_writer.hpp): render_testsrc -> swscale to the codec's YUV format ->
// libavcodec -> libavformat muxer. MJPEG at a high quality so the frame tags read back.
#include "video_writer.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include <memory>

#include "capture/test_pattern.hpp"

namespace framewire::capture::test {
namespace {

struct Writer {
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* sws = nullptr;
  ~Writer() {
    sws_freeContext(sws);
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&codec);
    if (format != nullptr) {
      if (format->pb != nullptr) avio_closep(&format->pb);
      avformat_free_context(format);
    }
  }
};

Status failed(const std::string& what, int error = 0) {
  std::string message = "test video: " + what;
  if (error != 0) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(error, text, sizeof(text));
    message += std::string(": ") + text;
  }
  return {ErrorCode::kInternal, message};
}

// Sends `frame` (nullptr: flush) and writes every packet the encoder gives back.
Status drain(Writer& w, AVStream* stream, const AVFrame* frame) {
  int error = avcodec_send_frame(w.codec, frame);
  if (error < 0) return failed("send_frame", error);
  for (;;) {
    error = avcodec_receive_packet(w.codec, w.packet);
    if (error == AVERROR(EAGAIN) || error == AVERROR_EOF) return Status::ok();
    if (error < 0) return failed("receive_packet", error);
    av_packet_rescale_ts(w.packet, w.codec->time_base, stream->time_base);
    w.packet->stream_index = stream->index;
    error = av_interleaved_write_frame(w.format, w.packet);
    if (error < 0) return failed("write_frame", error);
  }
}

}  // namespace

Status write_test_video(const std::string& path, const VideoSpec& spec) {
  Writer w;
  int error = avformat_alloc_output_context2(&w.format, nullptr, nullptr, path.c_str());
  if (error < 0) return failed("no container for " + path, error);
  const bool mjpeg = spec.codec == VideoCodec::kMjpeg;
  const AVCodec* encoder = avcodec_find_encoder(mjpeg ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_MPEG4);
  if (encoder == nullptr) return failed("no encoder");
  AVStream* stream = avformat_new_stream(w.format, nullptr);
  w.codec = avcodec_alloc_context3(encoder);
  if (stream == nullptr || w.codec == nullptr) return failed("out of memory");
  w.codec->width = spec.width;
  w.codec->height = spec.height;
  w.codec->time_base = AVRational{1, spec.fps};
  w.codec->framerate = AVRational{spec.fps, 1};
  w.codec->pix_fmt = mjpeg ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
  w.codec->gop_size = 10;
  // Fixed quantiser 2: close to lossless, so the cell tags survive.
  w.codec->flags |= AV_CODEC_FLAG_QSCALE;
  w.codec->global_quality = FF_QP2LAMBDA * 2;
  if ((w.format->oformat->flags & AVFMT_GLOBALHEADER) != 0) {
    w.codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  }
  if ((error = avcodec_open2(w.codec, encoder, nullptr)) < 0) return failed("open", error);
  if ((error = avcodec_parameters_from_context(stream->codecpar, w.codec)) < 0) {
    return failed("parameters", error);
  }
  stream->time_base = w.codec->time_base;
  if ((error = avio_open(&w.format->pb, path.c_str(), AVIO_FLAG_WRITE)) < 0) {
    return failed("cannot create " + path, error);
  }
  if ((error = avformat_write_header(w.format, nullptr)) < 0) return failed("header", error);

  w.frame = av_frame_alloc();
  w.packet = av_packet_alloc();
  if (w.frame == nullptr || w.packet == nullptr) return failed("out of memory");
  w.frame->format = w.codec->pix_fmt;
  w.frame->width = spec.width;
  w.frame->height = spec.height;
  if ((error = av_frame_get_buffer(w.frame, 0)) < 0) return failed("frame buffer", error);
  w.sws = sws_getContext(spec.width, spec.height, AV_PIX_FMT_RGB24, spec.width, spec.height,
                         w.codec->pix_fmt, SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (w.sws == nullptr) return failed("swscale");

  Image image(spec.width, spec.height, PixelFormat::kRgb8);
  for (int i = 0; i < spec.frames; ++i) {
    render_testsrc(static_cast<std::uint64_t>(i), image);
    if ((error = av_frame_make_writable(w.frame)) < 0) return failed("writable", error);
    const std::uint8_t* planes[1] = {image.data()};
    const int strides[1] = {static_cast<int>(image.stride())};
    sws_scale(w.sws, planes, strides, 0, spec.height, w.frame->data, w.frame->linesize);
    w.frame->pts = i;
    if (Status sent = drain(w, stream, w.frame); !sent) return sent;
  }
  if (Status flushed = drain(w, stream, nullptr); !flushed) return flushed;
  if ((error = av_write_trailer(w.format)) < 0) return failed("trailer", error);
  return Status::ok();
}

}  // namespace framewire::capture::test
