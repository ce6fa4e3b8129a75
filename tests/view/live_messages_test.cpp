// The /live messages, routes and the LiveFeed without a socket: the preview
// framing byte by byte, watch lists good and bad, the routes' name checks, and
// that the feed keeps exactly the newest frame per stream.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "observe/receiver_metrics.hpp"
#include "view/live_feed.hpp"
#include "view/live_messages.hpp"
#include "view/routes.hpp"

namespace framewire::view {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(PreviewMessage, LayoutIsLengthNameSequenceJpeg) {
  const Bytes jpeg{0xFF, 0xD8, 0xFF, 0xD9};
  const Bytes message = encode_preview_message("rig1/ir", 0x0102030405060708ULL, jpeg);
  const Bytes expected{0x00, 0x07, 'r',  'i',  'g',  '1',  '/',  'i',  'r',  0x01, 0x02,
                       0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xFF, 0xD8, 0xFF, 0xD9};
  EXPECT_EQ(message, expected);
  auto decoded = decode_preview_message(message);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(decoded->stream, "rig1/ir");
  EXPECT_EQ(decoded->sequence, 0x0102030405060708ULL);
  EXPECT_EQ(Bytes(decoded->jpeg.begin(), decoded->jpeg.end()), jpeg);
}

TEST(PreviewMessage, EveryTruncatedHeaderIsMalformed) {
  const Bytes message = encode_preview_message("a/b", 7, {});
  for (std::size_t size = 0; size < message.size(); ++size) {
    auto decoded = decode_preview_message(std::span(message).first(size));
    ASSERT_FALSE(decoded) << size;
    EXPECT_EQ(decoded.status().code(), ErrorCode::kMalformed);
  }
  EXPECT_TRUE(decode_preview_message(message));
}

TEST(WatchMessage, RoundTripsStreamsAndPalettes) {
  const std::vector<WatchRequest> watch{{"rig1/visible", Palette::kGrey},
                                        {"rig1/infrared", Palette::kIronbow},
                                        {"rig2/infrared", Palette::kInferno}};
  auto parsed = parse_watch_message(encode_watch_message(watch));
  ASSERT_TRUE(parsed) << parsed.status().to_string();
  EXPECT_EQ(*parsed, watch);
}

TEST(WatchMessage, PaletteDefaultsToGreyAndLastOneWins) {
  auto parsed = parse_watch_message(
      R"({"watch":[{"stream":"a"},{"stream":"b","palette":"inferno"},{"stream":"b","palette":"ironbow"}]})");
  ASSERT_TRUE(parsed) << parsed.status().to_string();
  ASSERT_EQ(parsed->size(), 2U);
  EXPECT_EQ((*parsed)[0], (WatchRequest{"a", Palette::kGrey}));
  EXPECT_EQ((*parsed)[1], (WatchRequest{"b", Palette::kIronbow}));
}

TEST(WatchMessage, BadShapesAreMalformed) {
  for (const char* text :
       {"", "[]", "{}", R"({"watch":{}})", R"({"watch":[1]})", R"({"watch":[{"palette":"grey"}]})",
        R"({"watch":[{"stream":7}]})", R"({"watch":[{"stream":"a","palette":"rainbow"}]})",
        R"({"watch":[{"stream":"a","palette":3}]})", "{\"watch\":[{\"str"}) {
    auto parsed = parse_watch_message(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kMalformed) << text;
  }
}

TEST(WatchMessage, NamesBreakingTheRulesAreRefused) {
  for (const char* name : {"../etc", "a//b", "/a", ".hidden", "a/"}) {
    const std::string text = nlohmann::json{{"watch", {{{"stream", name}}}}}.dump();
    auto parsed = parse_watch_message(text);
    ASSERT_FALSE(parsed) << name;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kBadName) << name;
  }
}

TEST(WatchMessage, TooManyStreamsIsMalformed) {
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i <= kMaxWatchedStreams; ++i) list.push_back({{"stream", "s"}});
  auto parsed = parse_watch_message(nlohmann::json{{"watch", list}}.dump());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.status().code(), ErrorCode::kMalformed);
}

TEST(FiguresMessage, CarriesTypeLostAndEveryStreamWithItsRig) {
  observe::ReceiverFigures figures;
  figures.streams.push_back({.name = "rig1/visible", .source_kind = "visible"});
  figures.streams.push_back({.name = "solo", .source_kind = "infrared", .stale = true});
  const auto json = nlohmann::json::parse(with_lost(figures_body(figures), 42));
  EXPECT_EQ(json["type"], "figures");
  EXPECT_EQ(json["lost"], 42);
  ASSERT_EQ(json["streams"].size(), 2U);
  EXPECT_EQ(json["streams"][0]["rig"], "rig1");
  EXPECT_EQ(json["streams"][1]["rig"], "");
  EXPECT_EQ(json["streams"][1]["stale"], true);
  EXPECT_EQ(nlohmann::json::parse(with_lost("{}", 1)),
            (nlohmann::json{{"type", "figures"}, {"lost", 1}}));
}

TEST(Routes, KnownPaths) {
  EXPECT_EQ(route_for("/").kind, RouteKind::kPage);
  EXPECT_EQ(route_for("/?x=1").kind, RouteKind::kPage);
  EXPECT_EQ(route_for("/metrics").kind, RouteKind::kMetrics);
  EXPECT_EQ(route_for("/streams").kind, RouteKind::kStreams);
  EXPECT_EQ(route_for("/live").kind, RouteKind::kLive);
  EXPECT_EQ(route_for("/metricsx").kind, RouteKind::kNotFound);
  EXPECT_EQ(route_for("/streams/latest").kind, RouteKind::kNotFound);
  EXPECT_EQ(route_for("/streams//latest").kind, RouteKind::kNotFound);  // no name at all
}

TEST(Routes, LatestKeepsTheSlashesOfTheName) {
  const Route route = route_for("/streams/rig1/visible/latest");
  EXPECT_EQ(route.kind, RouteKind::kLatest);
  EXPECT_EQ(route.stream, "rig1/visible");
  EXPECT_EQ(route_for("/streams/one/latest?t=5").stream, "one");
}

TEST(Routes, LatestRefusesNamesBreakingTheRules) {
  for (const char* target :
       {"/streams/../x/latest", "/streams/rig1/../../etc/latest", "/streams/rig1/.hidden/latest",
        "/streams/rig%2F1/latest", "/streams/a//b/latest", "/streams//a/latest"}) {
    const Route route = route_for(target);
    EXPECT_EQ(route.kind, RouteKind::kBadName) << target;
    EXPECT_FALSE(route.message.empty()) << target;
  }
}

TEST(Routes, ContentTypeFromTheExtension) {
  EXPECT_EQ(content_type_for("000001.jpg"), "image/jpeg");
  EXPECT_EQ(content_type_for("a.JPEG"), "image/jpeg");
  EXPECT_EQ(content_type_for("x.png"), "image/png");
  EXPECT_EQ(content_type_for("x.tiff"), "application/octet-stream");
  EXPECT_EQ(content_type_for("png"), "application/octet-stream");
}

observe::FrameStored stored(std::string stream, std::uint64_t sequence) {
  return {.stream = std::move(stream),
          .source_kind = "infrared",
          .file_name = std::to_string(sequence) + ".png",
          .sequence = sequence};
}

TEST(LiveFeed, KeepsOnlyTheNewestFramePerStream) {
  LiveFeed feed;
  EXPECT_FALSE(feed.newest("rig1/ir"));
  for (std::uint64_t i = 0; i < 1000; ++i) feed.on_event(stored("rig1/ir", i));
  feed.on_event(stored("rig1/vis", 5));
  auto newest = feed.newest("rig1/ir");
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->sequence, 999U);
  EXPECT_EQ(newest->file_name, "999.png");
  EXPECT_EQ(newest->generation, 1000U);
  EXPECT_EQ(feed.newest("rig1/vis")->sequence, 5U);
}

TEST(LiveFeed, ChangedSinceComparesGenerations) {
  LiveFeed feed;
  feed.on_event(stored("s", 1));
  const auto first = feed.changed_since("s", 0);
  ASSERT_TRUE(first);
  EXPECT_FALSE(feed.changed_since("s", first->generation));
  feed.on_event(stored("s", 2));
  EXPECT_TRUE(feed.changed_since("s", first->generation));
}

TEST(LiveFeed, IgnoresResendsOlderFramesAndOtherEvents) {
  LiveFeed feed;
  feed.on_event(stored("s", 10));
  auto resend = stored("s", 11);
  resend.already_stored = true;
  feed.on_event(resend);
  feed.on_event(stored("s", 3));
  feed.on_event(observe::StreamOpened{.stream = "t"});
  EXPECT_EQ(feed.newest("s")->sequence, 10U);
  EXPECT_EQ(feed.newest("s")->generation, 1U);
  EXPECT_FALSE(feed.newest("t"));
}

}  // namespace
}  // namespace framewire::view
