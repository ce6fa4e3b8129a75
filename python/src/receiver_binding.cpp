// framewire.Receiver over framewire::Receiver: run() on a thread of its own, stop() and `with`
// end it; frames() subscribes a FrameFeed and iterates it. Frame.data reads the stored file and
// Frame.image() decodes it (view/image_decode: the same checked decoder as the live view), both
// with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "bindings.hpp"
#include "errors.hpp"
#include "framewire/frame_feed.hpp"
#include "framewire/receiver.hpp"
#include "interruptible.hpp"
#include "numpy_image.hpp"
#include "view/image_decode.hpp"

namespace py = pybind11;

namespace framewire::python {

namespace {

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StatusError(Status(ErrorCode::kStorageError, "cannot open " + path));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (in.bad()) throw StatusError(Status(ErrorCode::kStorageError, "cannot read " + path));
  return bytes;
}

class PyFrame {
 public:
  explicit PyFrame(StoredFrame frame) : frame_(std::move(frame)) {}

  const StoredFrame& frame() const { return frame_; }

  py::bytes data() const {
    std::vector<std::uint8_t> bytes;
    {
      py::gil_scoped_release release;
      bytes = read_file(frame_.path);
    }
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }

  py::array image(bool rgb) const {
    Result<view::DecodedImage> decoded = Status(ErrorCode::kInternal, "not decoded");
    {
      py::gil_scoped_release release;
      const std::vector<std::uint8_t> bytes = read_file(frame_.path);
      decoded = view::decode_image(bytes);
    }
    if (!decoded) {
      throw StatusError(
          Status(decoded.status().code(), frame_.file_name + ": " + decoded.status().message()));
    }
    return to_array(decoded->image, rgb);
  }

  std::string repr() const {
    return "<framewire.Frame " + frame_.stream + "/" + frame_.file_name + " seq " +
           std::to_string(frame_.sequence) + ", " + std::to_string(frame_.bytes) + " bytes>";
  }

 private:
  StoredFrame frame_;
};

// Iterates a feed until it closes (the receiver stopped) or, with a timeout, until no frame
// came for that long.
class FrameIterator {
 public:
  FrameIterator(std::shared_ptr<FrameFeed> feed, std::optional<double> timeout)
      : feed_(std::move(feed)), timeout_(timeout) {}

  PyFrame next() {
    std::optional<StoredFrame> frame;
    std::optional<std::chrono::duration<double>> limit;
    if (timeout_) limit = std::chrono::duration<double>(*timeout_);
    wait_interruptibly(
        [&](std::chrono::milliseconds slice) {
          frame = feed_->next(slice);
          return frame.has_value() || feed_->closed();
        },
        limit);
    if (!frame) throw py::stop_iteration();
    return PyFrame(std::move(*frame));
  }

  void close() { feed_->close(); }
  std::uint64_t dropped() const { return feed_->dropped(); }

 private:
  std::shared_ptr<FrameFeed> feed_;
  std::optional<double> timeout_;
};

SyncMode parse_sync(const std::string& sync) {
  if (sync == "none") return SyncMode::kNone;
  if (sync == "batch") return SyncMode::kBatch;
  if (sync == "each") return SyncMode::kEach;
  throw StatusError(
      Status(ErrorCode::kInternal, "sync must be \"none\", \"batch\" or \"each\", not " + sync));
}

class PyReceiver {
 public:
  PyReceiver(const std::string& root, const std::string& listen, const std::string& sync,
             const std::string& http, std::uint64_t max_frame_bytes, const std::string& tls_cert,
             const std::string& tls_key, const std::string& tls_client_ca, bool insecure,
             double log_interval) {
    ReceiverOptions options;
    options.root = root;
    options.listen = listen;
    options.sync = parse_sync(sync);
    options.http_listen = http;
    options.max_frame_bytes = max_frame_bytes;
    options.tls_cert = tls_cert;
    options.tls_key = tls_key;
    options.tls_client_ca = tls_client_ca;
    options.insecure = insecure;
    options.log_interval = std::chrono::milliseconds(static_cast<std::int64_t>(log_interval * 1e3));
    Result<std::unique_ptr<Receiver>> created = Status(ErrorCode::kInternal, "not created");
    {
      py::gil_scoped_release release;
      created = Receiver::create(options);
    }
    receiver_ = value_or_throw(std::move(created));
    root_ = root;
    thread_ = std::thread([receiver = receiver_.get()] { receiver->run(); });
  }

  ~PyReceiver() { stop_and_join(); }
  PyReceiver(const PyReceiver&) = delete;
  PyReceiver& operator=(const PyReceiver&) = delete;

  void stop() {
    py::gil_scoped_release release;
    stop_and_join();
  }

  FrameIterator frames(std::size_t capacity, bool lossless, std::optional<double> timeout) {
    if (!receiver_) throw StatusError(Status(ErrorCode::kShuttingDown, "the receiver is stopped"));
    return FrameIterator(
        receiver_->subscribe_frames(FrameFeedOptions{.capacity = capacity, .lossless = lossless}),
        timeout);
  }

  std::uint16_t port() const { return receiver_ ? receiver_->port() : 0; }
  std::string address() const { return receiver_ ? receiver_->local_address() : ""; }
  std::string http_address() const { return receiver_ ? receiver_->http_address() : ""; }
  const std::string& root() const { return root_; }

  py::dict stats() const {
    py::dict out;
    const ReceiverStats stats = receiver_ ? receiver_->stats() : last_stats_;
    out["connections"] = stats.connections;
    out["frames_stored"] = stats.frames_stored;
    out["bytes_stored"] = stats.bytes_stored;
    return out;
  }

  PyReceiver& enter() { return *this; }
  bool exit(const py::object&, const py::object&, const py::object&) {
    stop();
    return false;
  }

 private:
  void stop_and_join() {
    if (!receiver_) return;
    receiver_->stop();
    if (thread_.joinable()) thread_.join();
    last_stats_ = receiver_->stats();
    receiver_.reset();
  }

  std::unique_ptr<Receiver> receiver_;
  std::thread thread_;  // runs receiver_->run()
  std::string root_;
  ReceiverStats last_stats_;
};

}  // namespace

void bind_receiver(py::module_& module) {
  py::class_<PyFrame>(module, "Frame", "A frame the receiver stored.")
      .def_property_readonly("stream", [](const PyFrame& f) { return f.frame().stream; })
      .def_property_readonly("source", [](const PyFrame& f) { return f.frame().source_kind; })
      .def_property_readonly("name", [](const PyFrame& f) { return f.frame().file_name; })
      .def_property_readonly("sequence", [](const PyFrame& f) { return f.frame().sequence; })
      .def_property_readonly("size", [](const PyFrame& f) { return f.frame().bytes; })
      .def_property_readonly("path", [](const PyFrame& f) { return f.frame().path; })
      .def_property_readonly(
          "capture_time",
          [](const PyFrame& f) { return static_cast<double>(f.frame().capture_time_ns) / 1e9; },
          "The sender's clock at capture, seconds since the epoch (0: unknown).")
      .def_property_readonly(
          "stored_time",
          [](const PyFrame& f) { return static_cast<double>(f.frame().stored_time_ns) / 1e9; },
          "The receiver's clock when it was acknowledged, seconds since the epoch.")
      .def_property_readonly(
          "dropped_before", [](const PyFrame& f) { return f.frame().dropped_before; },
          "Frames this iterator lost (it was not read fast enough) just before this one.")
      .def_property_readonly("data", &PyFrame::data, "The stored file's bytes.")
      .def("image", &PyFrame::image, py::kw_only(), py::arg("rgb") = false,
           "Decodes the frame: HxWx3 uint8 (BGR, or RGB with rgb=True), HxW uint8, or HxW "
           "uint16 for a 16-bit PNG.")
      .def("__repr__", &PyFrame::repr);

  py::class_<FrameIterator>(module, "FrameIterator",
                            "Frames as they are stored; made by Receiver.frames().")
      .def("__iter__", [](FrameIterator& self) -> FrameIterator& { return self; })
      .def("__next__", &FrameIterator::next)
      .def("close", &FrameIterator::close, "Stops delivery (a lossless feed no longer waits).")
      .def_property_readonly("dropped", &FrameIterator::dropped,
                             "Frames lost so far because they were not read fast enough.")
      .def("__enter__", [](FrameIterator& self) -> FrameIterator& { return self; })
      .def("__exit__", [](FrameIterator& self, const py::object&, const py::object&,
                          const py::object&) { self.close(); });

  py::class_<PyReceiver>(module, "Receiver",
                         "A framewire receiver running in a background thread of this process.")
      .def(py::init<const std::string&, const std::string&, const std::string&, const std::string&,
                    std::uint64_t, const std::string&, const std::string&, const std::string&, bool,
                    double>(),
           py::arg("root"), py::kw_only(), py::arg("listen") = "127.0.0.1:0",
           py::arg("sync") = "batch", py::arg("http") = "",
           py::arg("max_frame_bytes") = std::uint64_t{256} << 20, py::arg("tls_cert") = "",
           py::arg("tls_key") = "", py::arg("tls_client_ca") = "", py::arg("insecure") = false,
           py::arg("log_interval") = 0.0)
      .def("frames", &PyReceiver::frames, py::kw_only(), py::arg("capacity") = 256,
           py::arg("lossless") = false, py::arg("timeout") = py::none(),
           "Iterates the frames stored from now on. A consumer slower than the senders loses "
           "the oldest frames (Frame.dropped_before says how many) unless lossless=True, which "
           "holds storage back instead. With a timeout, iteration ends when no frame came for "
           "that many seconds; without, when the receiver stops.")
      .def("stop", &PyReceiver::stop, "Stores what was received, then stops.")
      .def("stats", &PyReceiver::stats)
      .def_property_readonly("port", &PyReceiver::port)
      .def_property_readonly("address", &PyReceiver::address)
      .def_property_readonly("http_address", &PyReceiver::http_address)
      .def_property_readonly("root", &PyReceiver::root)
      .def("__enter__", &PyReceiver::enter, py::return_value_policy::reference_internal)
      .def("__exit__", &PyReceiver::exit);

  module.def(
      "set_log_level",
      [](const std::string& level) {
        const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
        if (parsed == spdlog::level::off && level != "off") {
          throw StatusError(Status(ErrorCode::kInternal, "unknown log level " + level));
        }
        spdlog::set_level(parsed);
      },
      py::arg("level"),
      "How much the in-process receiver and sender log on stderr: \"debug\", \"info\", "
      "\"warning\", \"error\", \"off\".");
}

}  // namespace framewire::python
