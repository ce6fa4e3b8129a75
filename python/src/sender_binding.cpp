// framewire.Sender, its streams and framewire.send_folder over framewire::Sender.
//
// A Sender starts (connects) at its first send, flush or close, so that every stream() comes
// before it, as the C++ Sender requires. Each stream has an ImagePusher: send() copies the
// array and returns, the pusher's workers encode and push in order, and send_bytes() goes
// through the same pusher so both keep their order. Python threads may send on different
// streams at once; the state they share is behind SenderState::mutex, and every wait
// releases the GIL (interruptible.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bindings.hpp"
#include "errors.hpp"
#include "framewire/sender.hpp"
#include "interruptible.hpp"
#include "live/image_pusher.hpp"
#include "numpy_image.hpp"

namespace py = pybind11;
using namespace std::chrono_literals;

namespace framewire::python {

namespace {

using Seconds = std::optional<std::chrono::duration<double>>;

// `to=`: one receiver ("host:port") or a list of them, the first tried first.
using Receivers = std::variant<std::string, std::vector<std::string>>;

// Sets options.to and options.also_to from `to`. BadName for an empty list.
void set_receivers(SenderOptions& options, const Receivers& to) {
  if (const auto* one = std::get_if<std::string>(&to)) {
    options.to = *one;
    return;
  }
  const auto& list = std::get<std::vector<std::string>>(to);
  if (list.empty()) {
    throw StatusError(Status(ErrorCode::kBadName, "to: give at least one receiver, \"host:port\""));
  }
  options.to = list.front();
  options.also_to.assign(list.begin() + 1, list.end());
}

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

std::int64_t capture_ns(std::optional<double> capture_time) {
  return capture_time ? static_cast<std::int64_t>(*capture_time * 1e9) : 0;
}

py::dict latency_dict(const LatencySummary& latency) {
  py::dict out;
  out["count"] = latency.count;
  out["p50_ms"] = latency.p50_ms;
  out["p95_ms"] = latency.p95_ms;
  out["p99_ms"] = latency.p99_ms;
  out["max_ms"] = latency.max_ms;
  return out;
}

py::dict stream_dict(const StreamSummary& stream) {
  py::dict out;
  out["name"] = stream.name;
  out["source"] = stream.source_kind;
  out["frames_handed"] = stream.frames_captured;
  out["frames_stored"] = stream.frames;
  out["bytes_stored"] = stream.bytes;
  out["already_stored_frames"] = stream.already_stored_frames;
  out["frames_dropped"] = stream.frames_dropped;
  out["dropped_queue"] = stream.dropped_queue;
  out["dropped_cut"] = stream.dropped_cut;
  out["dropped_before_encoding"] = stream.dropped_source;
  out["frames_rejected"] = stream.frames_rejected;
  out["handed_to_stored"] = latency_dict(stream.handed_to_stored);
  return out;
}

py::dict summary_dict(const SendSummary& summary, const SendProgress* progress) {
  py::dict out;
  out["frames_stored"] = summary.frames;
  out["bytes_stored"] = summary.bytes;
  out["already_stored_frames"] = summary.already_stored_frames;
  out["already_stored_bytes"] = summary.already_stored_bytes;
  out["frames_dropped"] = summary.frames_dropped;
  out["reconnects"] = summary.reconnects;
  out["seconds"] = summary.seconds;
  if (progress != nullptr) {
    out["frames_sent"] = progress->frames_sent;
    out["bytes_sent"] = progress->bytes_sent;
  }
  py::list streams;
  for (const StreamSummary& stream : summary.streams) streams.append(stream_dict(stream));
  out["streams"] = streams;
  py::list rejected;
  for (const RejectedFrame& frame : summary.rejected) {
    py::dict entry;
    entry["stream"] = frame.stream;
    entry["name"] = frame.file_name;
    entry["code"] = std::string(to_string(frame.reason.code()));
    entry["message"] = frame.reason.message();
    rejected.append(entry);
  }
  out["rejected"] = rejected;
  return out;
}

StreamPolicy parse_policy(const std::string& policy) {
  if (policy == "live") return StreamPolicy::kLive;
  if (policy == "archive") return StreamPolicy::kArchive;
  throw StatusError(
      Status(ErrorCode::kBadName,
             fmt::format("policy must be \"live\" or \"archive\", not \"{}\"", policy)));
}

// The extension of a frame sent as bytes without a name: what its first bytes say it is.
std::string sniff_extension(const std::vector<std::uint8_t>& bytes) {
  static constexpr std::uint8_t kPngSignature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8) return ".jpg";
  if (bytes.size() >= sizeof kPngSignature &&
      std::equal(std::begin(kPngSignature), std::end(kPngSignature), bytes.begin())) {
    return ".png";
  }
  return ".bin";
}

// What a Sender and its streams share; outlives both (a stream kept after its Sender).
struct SenderState {
  explicit SenderState(SenderOptions options) : sender(std::move(options)) {}

  Sender sender;
  std::mutex mutex;  // started, finished, summary, pushers' list (any Python thread)
  bool started = false;
  bool finished = false;
  std::optional<SendSummary> final_summary;
  std::vector<std::unique_ptr<live::ImagePusher>> pushers;  // index: StreamId

  ~SenderState() {
    // Pushers first: their workers push into the Sender.
    for (auto& pusher : pushers) pusher.reset();
  }

  void ensure_started() {
    std::lock_guard lock(mutex);
    if (finished) throw StatusError(Status(ErrorCode::kInternal, "the sender is closed"));
    if (started) return;
    if (pushers.empty()) {
      throw StatusError(Status(ErrorCode::kInternal, "the sender has no stream: call stream()"));
    }
    check(sender.start());
    started = true;
  }

  // Every pusher idle, then every frame settled; false when `timeout` passed first.
  bool flush(Seconds timeout) {
    const auto start = std::chrono::steady_clock::now();
    auto left = [&]() -> Seconds {
      if (!timeout) return std::nullopt;
      return *timeout - (std::chrono::steady_clock::now() - start);
    };
    for (auto& pusher : pushers) {
      Status idle;
      const bool done = wait_interruptibly(
          [&](std::chrono::milliseconds slice) {
            idle = pusher->wait_idle(slice);
            return idle.code() != ErrorCode::kTimeout;
          },
          left());
      if (!done) return false;
      check(idle);
    }
    Status flushed;
    const bool done = wait_interruptibly(
        [&](std::chrono::milliseconds slice) {
          flushed = sender.flush(slice);
          return flushed.code() != ErrorCode::kTimeout;
        },
        left());
    if (!done) return false;
    check(flushed);
    return true;
  }
};

class PyStream {
 public:
  PyStream(std::shared_ptr<SenderState> state, StreamId id, std::string name)
      : state_(std::move(state)), id_(id), name_(std::move(name)) {}

  void send(const py::array& array, const std::optional<std::string>& name,
            std::optional<double> capture_time, bool rgb) {
    const capture::ImageView view = view_of(array, rgb);
    state_->ensure_started();
    live::ImagePusher& pusher = *state_->pushers[id_];
    wait_interruptibly([&](std::chrono::milliseconds slice) { return pusher.wait_for_room(slice); },
                       std::nullopt);
    const live::RawImage raw{
        .view = view, .capture_time_ns = capture_ns(capture_time), .file_name = name.value_or("")};
    Status status;
    {
      // The array stays referenced by the caller's frame while the pixels are copied.
      py::gil_scoped_release release;
      status = pusher.submit(raw, 24h);
    }
    check(status);
  }

  void send_bytes(const py::buffer& data, const std::optional<std::string>& name,
                  const std::optional<std::string>& extension, std::optional<double> capture_time) {
    const py::buffer_info info = data.request();  // bytes, bytearray, memoryview, numpy
    if (info.ndim != 1 && !py::array::ensure(data)) {
      throw StatusError(Status(ErrorCode::kInternal, "send_bytes() takes a flat bytes buffer"));
    }
    const auto* begin = static_cast<const std::uint8_t*>(info.ptr);
    Frame frame;
    frame.data.assign(begin, begin + info.size * info.itemsize);  // one copy, with the GIL
    frame.file_name = name.value_or("");
    if (frame.file_name.empty()) frame.extension = extension.value_or(sniff_extension(frame.data));
    frame.capture_time_ns = capture_ns(capture_time);
    state_->ensure_started();
    live::ImagePusher& pusher = *state_->pushers[id_];
    wait_interruptibly([&](std::chrono::milliseconds slice) { return pusher.wait_for_room(slice); },
                       std::nullopt);
    Status status;
    {
      py::gil_scoped_release release;
      status = pusher.submit_encoded(std::move(frame), 24h);
    }
    check(status);
  }

  py::dict stats() {
    SendSummary summary = snapshot();
    if (id_ >= summary.streams.size()) return {};
    return stream_dict(summary.streams[id_]);
  }

  const std::string& name() const { return name_; }

 private:
  SendSummary snapshot() {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->final_summary) return *state_->final_summary;
      if (!state_->started) return {};
    }
    py::gil_scoped_release release;
    return state_->sender.summary();
  }

  std::shared_ptr<SenderState> state_;
  StreamId id_;
  std::string name_;
};

class PySender {
 public:
  PySender(const Receivers& to, std::string tls_ca, std::string tls_cert, std::string tls_key,
           bool insecure, double connect_timeout, double retry_for) {
    SenderOptions options;
    set_receivers(options, to);
    options.tls_ca = std::move(tls_ca);
    options.tls_cert = std::move(tls_cert);
    options.tls_key = std::move(tls_key);
    options.insecure = insecure;
    options.connect_timeout = to_ms(connect_timeout);
    options.retry_for = to_ms(retry_for);
    state_ = std::make_shared<SenderState>(std::move(options));
  }

  PyStream stream(const std::string& name, const std::string& source, const std::string& policy,
                  std::size_t queue, int quality, std::optional<std::string> encoding,
                  unsigned workers) {
    std::lock_guard lock(state_->mutex);
    if (state_->started || state_->finished) {
      throw StatusError(
          Status(ErrorCode::kInternal, "add every stream before the first send, flush or close"));
    }
    live::ImagePusherOptions options{.policy = parse_policy(policy),
                                     .jpeg_quality = quality,
                                     .workers = workers,
                                     .pending = std::max<std::size_t>(queue, 1)};
    if (encoding) {
      Result<capture::EncodeSpec> spec = capture::parse_encode_spec(*encoding);
      if (!spec) throw StatusError(Status(ErrorCode::kBadName, spec.status().message()));
      if (spec->encoding == capture::Encoding::kRaw) {
        throw StatusError(Status(ErrorCode::kBadName,
                                 "encoding \"raw\" is for send_bytes(); send() encodes arrays "
                                 "as jpeg, png or png16"));
      }
      options.encode = *spec;
    }
    if (quality < 1 || quality > 100) {
      throw StatusError(Status(ErrorCode::kBadName, "quality must be 1..100"));
    }
    const StreamId id = value_or_throw(
        state_->sender.add_stream(PushStreamSpec{.name = name,
                                                 .source_kind = source,
                                                 .policy = options.policy,
                                                 .queue_frames = std::max<std::size_t>(queue, 1)}));
    state_->pushers.push_back(std::make_unique<live::ImagePusher>(state_->sender, id, options));
    return PyStream(state_, id, name);
  }

  void flush(std::optional<double> timeout) {
    state_->ensure_started();
    Seconds limit;
    if (timeout) limit = std::chrono::duration<double>(*timeout);
    if (!state_->flush(limit)) {
      throw StatusError(
          Status(ErrorCode::kTimeout,
                 fmt::format("frames were still unacknowledged after {} s", timeout.value_or(0))));
    }
  }

  // Waits for every frame, says goodbye; the summary. Again: the same summary.
  py::dict close() {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->final_summary) return summary_dict(*state_->final_summary, nullptr);
      if (!state_->started) {
        state_->finished = true;
        state_->final_summary = SendSummary{};
        return summary_dict(*state_->final_summary, nullptr);
      }
    }
    state_->flush(std::nullopt);
    Result<SendSummary> summary = finish();
    if (!summary) throw StatusError(summary.status());
    std::lock_guard lock(state_->mutex);
    state_->final_summary = summary.value();
    return summary_dict(summary.value(), nullptr);
  }

  void cancel() {
    py::gil_scoped_release release;
    for (auto& pusher : state_->pushers) pusher->close();
    state_->sender.cancel();
  }

  py::dict stats() {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->final_summary) return summary_dict(*state_->final_summary, nullptr);
      if (!state_->started) return summary_dict(SendSummary{}, nullptr);
    }
    SendSummary summary;
    SendProgress progress;
    {
      py::gil_scoped_release release;
      summary = state_->sender.summary();
      progress = state_->sender.progress();
    }
    return summary_dict(summary, &progress);
  }

  PySender& enter() { return *this; }

  // Leaving the `with` block: a normal exit waits for the acknowledgements (and raises what
  // ended the send); an exception cancels what is left and lets the exception through.
  bool exit(const py::object& type, const py::object&, const py::object&) {
    if (type.is_none()) {
      close();
      return false;
    }
    cancel();
    {
      std::lock_guard lock(state_->mutex);
      if (!state_->started || state_->final_summary) return false;
    }
    (void)finish();
    return false;
  }

 private:
  Result<SendSummary> finish() {
    {
      std::lock_guard lock(state_->mutex);
      state_->finished = true;
    }
    py::gil_scoped_release release;
    for (auto& pusher : state_->pushers) pusher->close();
    return state_->sender.finish();
  }

  std::shared_ptr<SenderState> state_;
};

py::dict send_folder(const Receivers& to, const std::string& stream, const std::string& folder,
                     const std::string& source, const std::string& tls_ca,
                     const std::string& tls_cert, const std::string& tls_key, bool insecure,
                     double connect_timeout, double retry_for) {
  struct Ended {
    std::mutex mutex;
    std::condition_variable changed;
    bool ended = false;
  };
  auto ended = std::make_shared<Ended>();
  SenderOptions options;
  set_receivers(options, to);
  options.tls_ca = tls_ca;
  options.tls_cert = tls_cert;
  options.tls_key = tls_key;
  options.insecure = insecure;
  options.connect_timeout = to_ms(connect_timeout);
  options.retry_for = to_ms(retry_for);
  options.on_end = [ended](const Status&) {
    {
      std::lock_guard lock(ended->mutex);
      ended->ended = true;
    }
    ended->changed.notify_all();
  };
  const StreamSpec spec{.name = stream, .source_kind = source, .folder = folder};
  check(check_streams({spec}));
  Sender sender(std::move(options));
  (void)value_or_throw(sender.add_folder(spec));
  check(sender.start());
  try {
    wait_interruptibly(
        [&](std::chrono::milliseconds slice) {
          std::unique_lock lock(ended->mutex);
          return ended->changed.wait_for(lock, slice, [&] { return ended->ended; });
        },
        std::nullopt);
  } catch (...) {
    py::gil_scoped_release release;
    sender.cancel();
    (void)sender.finish();
    throw;
  }
  Result<SendSummary> summary = [&] {
    py::gil_scoped_release release;
    return sender.finish();
  }();
  return summary_dict(value_or_throw(std::move(summary)), nullptr);
}

}  // namespace

void bind_sender(py::module_& module) {
  py::class_<PyStream>(module, "Stream", "One stream of a Sender; made by Sender.stream().")
      .def("send", &PyStream::send, py::arg("image"), py::kw_only(), py::arg("name") = py::none(),
           py::arg("capture_time") = py::none(), py::arg("rgb") = false,
           "Queues a NumPy image (HxWx3 uint8 BGR, or RGB with rgb=True; HxW uint8; HxW uint16) "
           "to be encoded (JPEG, or lossless PNG for 16-bit) and sent. Returns once the pixels "
           "are copied. Live streams drop their oldest waiting frame when full; archive streams "
           "wait for room.")
      .def("send_bytes", &PyStream::send_bytes, py::arg("data"), py::kw_only(),
           py::arg("name") = py::none(), py::arg("extension") = py::none(),
           py::arg("capture_time") = py::none(),
           "Queues an already encoded frame (a file's bytes) to be sent as it is, under `name` "
           "or, without one, the stream's next number plus `extension` (default: .jpg or .png "
           "from the bytes).")
      .def("stats", &PyStream::stats, "This stream's figures so far (a dict).")
      .def_property_readonly("name", &PyStream::name);

  py::class_<PySender>(module, "Sender",
                       "One connection to a receiver carrying any number of streams. `to`: "
                       "\"host:port\", or a list of receivers of the same storage: when a "
                       "connection to one fails or is lost, the sender moves to the next and "
                       "resumes where that one says each stream ends.")
      .def(
          py::init<const Receivers&, std::string, std::string, std::string, bool, double, double>(),
          py::arg("to"), py::kw_only(), py::arg("tls_ca") = "", py::arg("tls_cert") = "",
          py::arg("tls_key") = "", py::arg("insecure") = false, py::arg("connect_timeout") = 10.0,
          py::arg("retry_for") = 60.0)
      .def("stream", &PySender::stream, py::arg("name"), py::kw_only(),
           py::arg("source") = "visible", py::arg("policy") = "live", py::arg("queue") = 4,
           py::arg("quality") = 90, py::arg("encoding") = py::none(), py::arg("workers") = 2,
           "Adds a stream (before the first send). policy: \"live\" (drops the oldest frame "
           "when the link cannot keep up) or \"archive\" (never drops; send() waits). "
           "encoding: None (JPEG for 8-bit, PNG for 16-bit), \"jpeg\", \"jpeg:Q\", \"png\", "
           "\"png16\".")
      .def("flush", &PySender::flush, py::arg("timeout") = py::none(),
           "Waits until every frame sent so far is stored, dropped or rejected.")
      .def("close", &PySender::close,
           "Waits for every acknowledgement and ends the connection; returns the summary.")
      .def("cancel", &PySender::cancel, "Stops at once; frames not yet stored are lost.")
      .def("stats", &PySender::stats, "Figures so far (a dict), from any thread.")
      .def("__enter__", &PySender::enter, py::return_value_policy::reference_internal)
      .def("__exit__", &PySender::exit);

  module.def("send_folder", &send_folder, py::arg("to"), py::arg("stream"), py::arg("folder"),
             py::kw_only(), py::arg("source") = "visible", py::arg("tls_ca") = "",
             py::arg("tls_cert") = "", py::arg("tls_key") = "", py::arg("insecure") = false,
             py::arg("connect_timeout") = 10.0, py::arg("retry_for") = 60.0,
             "Sends every file of `folder` as stream `stream` and returns the summary once all "
             "are stored (resuming where the receiver's copy ends). `to`: \"host:port\", or a "
             "list of receivers of the same storage, tried in turn when one fails.");
}

}  // namespace framewire::python
