// ReceiverMetrics: the figures kept from the receiver's events, and their
// Prometheus text and JSON forms.
#include "observe/receiver_metrics.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

namespace framewire::observe {
namespace {

FrameStored stored(std::string stream, std::uint64_t sequence, std::uint64_t bytes) {
  return FrameStored{.connection = 1,
                     .stream = std::move(stream),
                     .source_kind = "visible",
                     .file_name = std::to_string(sequence) + ".png",
                     .sequence = sequence,
                     .bytes = bytes};
}

const StreamFigures& find(const ReceiverFigures& figures, std::string_view name) {
  for (const auto& s : figures.streams) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no stream " << name;
  static const StreamFigures none;
  return none;
}

TEST(ReceiverMetricsTest, CountsConnectionsByStateAndErrorsByCode) {
  ReceiverMetrics metrics;
  metrics.on_event(ConnectionOpened{.connection = 1, .peer = "a"});
  metrics.on_event(ConnectionOpened{.connection = 2, .peer = "b"});
  metrics.on_event(ConnectionOpened{.connection = 3, .peer = "c"});
  metrics.on_event(ConnectionHandshaken{.connection = 2});
  auto figures = metrics.snapshot();
  EXPECT_EQ(figures.connections_opened, 3U);
  EXPECT_EQ(figures.connections_handshaking, 2U);
  EXPECT_EQ(figures.connections_active, 1U);

  metrics.on_event(ConnectionClosed{.connection = 1, .error = ErrorCode::kTimeout});
  metrics.on_event(ConnectionClosed{.connection = 2, .error = ErrorCode::kOk});
  figures = metrics.snapshot();
  EXPECT_EQ(figures.connections_handshaking, 1U);
  EXPECT_EQ(figures.connections_active, 0U);
  EXPECT_EQ(figures.errors_by_code, (std::map<std::string, std::uint64_t>{{"timeout", 1}}));
}

TEST(ReceiverMetricsTest, KeepsPerStreamCountersAndTotals) {
  ReceiverMetrics metrics;
  metrics.on_event(StreamOpened{.connection = 1,
                                .peer = "127.0.0.1:5000",
                                .stream = "rig1/infrared",
                                .source_kind = "infrared"});
  metrics.on_event(stored("rig1/infrared", 0, 100));
  metrics.on_event(stored("rig1/infrared", 1, 200));
  auto resend = stored("rig1/infrared", 1, 200);
  resend.already_stored = true;
  metrics.on_event(resend);
  auto after_gap = stored("rig1/infrared", 5, 300);
  after_gap.skipped_before = 3;
  metrics.on_event(after_gap);
  metrics.on_event(FrameRejected{.connection = 1,
                                 .stream = "rig1/infrared",
                                 .sequence = 6,
                                 .code = ErrorCode::kStaleSequence});

  const auto figures = metrics.snapshot();
  EXPECT_EQ(figures.frames_stored, 3U);
  EXPECT_EQ(figures.bytes_stored, 600U);
  EXPECT_EQ(figures.frames_rejected, 1U);
  EXPECT_EQ(figures.rejects_by_code.at("stale_sequence"), 1U);
  const auto& s = find(figures, "rig1/infrared");
  EXPECT_EQ(s.source_kind, "visible");  // as the frames said last
  EXPECT_EQ(s.peer, "127.0.0.1:5000");
  EXPECT_TRUE(s.open);
  EXPECT_FALSE(s.stale);
  EXPECT_EQ(s.frames_stored, 3U);
  EXPECT_EQ(s.frames_already_stored, 1U);
  EXPECT_EQ(s.frames_dropped, 3U);
  EXPECT_EQ(s.frames_rejected, 1U);
  EXPECT_EQ(s.last_sequence, 5U);
  EXPECT_EQ(s.last_file_name, "5.png");
  EXPECT_GT(s.frames_per_second, 0);
  EXPECT_GT(s.bytes_per_second, 0);
  EXPECT_GE(s.seconds_since_last_frame, 0);
}

TEST(ReceiverMetricsTest, AStreamIsStaleWhenClosedOrQuietAndOnlyItsOwnConnectionClosesIt) {
  ReceiverMetrics metrics({.stale_after = std::chrono::milliseconds(20),
                           .rate_window = std::chrono::milliseconds(2000)});
  metrics.on_event(StreamOpened{.connection = 1, .stream = "cam"});
  metrics.on_event(stored("cam", 0, 10));
  EXPECT_FALSE(find(metrics.snapshot(), "cam").stale);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_TRUE(find(metrics.snapshot(), "cam").stale) << "no frame for longer than stale_after";

  // A reconnect takes the stream over; the old connection's close must not close it.
  metrics.on_event(StreamOpened{.connection = 2, .stream = "cam"});
  metrics.on_event(StreamClosed{.connection = 1, .stream = "cam"});
  metrics.on_event(ConnectionClosed{.connection = 1});
  EXPECT_TRUE(find(metrics.snapshot(), "cam").open);
  metrics.on_event(ConnectionClosed{.connection = 2, .reason = "cut"});
  const auto figures = metrics.snapshot();
  const auto& s = find(figures, "cam");
  EXPECT_FALSE(s.open);
  EXPECT_TRUE(s.stale);
}

TEST(ReceiverMetricsTest, LatencyIsFromCaptureToStored) {
  ReceiverMetrics metrics;
  metrics.on_event(StreamOpened{.connection = 1, .stream = "cam"});
  for (int i = 0; i < 10; ++i) {
    auto frame = stored("cam", static_cast<std::uint64_t>(i), 10);
    frame.capture_time_ns = 1'000'000'000;
    frame.stored_time_ns = 1'000'000'000 + (i + 1) * 1'000'000;  // 1..10 ms
    metrics.on_event(frame);
  }
  metrics.on_event(stored("cam", 10, 10));  // no capture time: not in the latency
  const auto figures = metrics.snapshot();
  const auto& s = find(figures, "cam");
  EXPECT_NEAR(s.latency_ms_p50, 5, 1.01);
  EXPECT_NEAR(s.latency_ms_p99, 10, 1.01);
  EXPECT_EQ(s.latency_seconds.count, 10U);
  EXPECT_EQ(figures.latency_seconds.count, 10U);
  EXPECT_NEAR(figures.latency_seconds.sum, 0.055, 1e-9);
}

TEST(ReceiverMetricsTest, GaugesAreReadAtSnapshotTime) {
  ReceiverMetrics metrics;
  int calls = 0;
  metrics.set_gauges([&] {
    ++calls;
    return ReceiverGauges{.storage_queue_buffers = 3,
                          .buffer_pool_bytes_in_use = 65536,
                          .buffer_pool_bytes_limit = 1 << 26};
  });
  const auto figures = metrics.snapshot();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(figures.storage_queue_buffers, 3U);
  EXPECT_EQ(figures.buffer_pool_bytes_in_use, 65536U);
}

TEST(PrometheusTextTest, FamiliesHaveHelpAndTypeAndHistogramsAreCumulative) {
  ReceiverMetrics metrics;
  metrics.on_event(
      StreamOpened{.connection = 1, .stream = "rig1/visible", .source_kind = "visible"});
  metrics.on_event(stored("rig1/visible", 0, 1000));
  metrics.on_event(stored("rig1/visible", 1, 1000));
  metrics.on_event(GroupCommitted{.connection = 1, .frames = 2, .seconds = 0.002});
  metrics.on_event(GroupCommitted{.connection = 1, .frames = 1, .seconds = 20});
  metrics.on_event(FrameRejected{.stream = "rig1/visible", .code = ErrorCode::kConflict});
  const std::string text = to_prometheus(metrics.snapshot());

  EXPECT_NE(text.find("# TYPE framewire_frames_stored_total counter\n"
                      "framewire_frames_stored_total 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("framewire_stored_bytes_total 2000\n"), std::string::npos);
  EXPECT_NE(text.find("framewire_frames_rejected_total{code=\"conflict\"} 1\n"), std::string::npos);
  EXPECT_NE(
      text.find(
          "framewire_stream_frames_stored_total{stream=\"rig1/visible\",source=\"visible\"} 2\n"),
      std::string::npos);
  EXPECT_NE(text.find("framewire_commit_duration_seconds_bucket{le=\"0.0025\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("framewire_commit_duration_seconds_bucket{le=\"10\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("framewire_commit_duration_seconds_bucket{le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("framewire_commit_duration_seconds_count 2\n"), std::string::npos);
  // Every sample's family was declared before it.
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const std::size_t end = text.find('\n', line_start);
    ASSERT_NE(end, std::string::npos) << "the text ends with a newline";
    const std::string line = text.substr(line_start, end - line_start);
    line_start = end + 1;
    if (line.starts_with("#")) continue;
    std::string family = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (family.ends_with(suffix) && text.find("# TYPE " + family + " ") == std::string::npos) {
        family.resize(family.size() - std::string_view(suffix).size());
      }
    }
    EXPECT_NE(text.find("# TYPE " + family + " "), std::string::npos) << line;
  }
}

TEST(StreamsJsonTest, ListsEveryStreamWithItsFigures) {
  ReceiverMetrics metrics;
  metrics.on_event(
      StreamOpened{.connection = 1, .peer = "p", .stream = "a", .source_kind = "infrared"});
  metrics.on_event(StreamOpened{.connection = 1, .peer = "p", .stream = "b"});
  metrics.on_event(stored("a", 0, 5));
  const auto json = nlohmann::json::parse(to_json(metrics.snapshot()));
  ASSERT_EQ(json["streams"].size(), 2U);
  EXPECT_EQ(json["streams"][0]["name"], "a");
  EXPECT_EQ(json["streams"][0]["frames_stored"], 1);
  EXPECT_EQ(json["streams"][0]["peer"], "p");
  EXPECT_TRUE(json["streams"][1]["seconds_since_last_frame"].is_null());
  EXPECT_EQ(json["frames_stored"], 1);
}

}  // namespace
}  // namespace framewire::observe
