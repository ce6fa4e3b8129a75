// A sink's durable consumer (src/jetstream/sink_consumer.hpp) against a real
// nats-server: created on first use, read on where it stands when every
// frame handed out was acknowledged, and replaced, in order from its ack
// floor, when some were not (a sink that died with frames in hand) - also
// when a replacement was cut short and both names exist.
#include "jetstream/sink_consumer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jetstream/subjects.hpp"
#include "support/nats_server.hpp"
#include "support/temp_dir.hpp"

namespace framewire::jetstream {
namespace {

class SinkConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.valid());
    server_ = std::make_unique<test::NatsServer>(tmp_.path());
    ASSERT_TRUE(server_->start());
    auto client = NatsClient::connect(NatsEndpoint{.url = server_->url()});
    ASSERT_TRUE(client) << client.status().to_string();
    client_ = std::move(client).value();
    ASSERT_TRUE(client_->ensure_stream("FRAMEWIRE", 1, std::chrono::minutes(1)));
  }

  // Publishes `count` messages on stream `stream`'s frame subject; returns
  // their JetStream sequences.
  std::vector<std::uint64_t> publish(const std::string& stream, int count) {
    std::vector<std::uint64_t> sequences;
    const std::string subject = frame_subject("FRAMEWIRE", stream);
    for (int i = 0; i < count; ++i) {
      const std::string body = stream + " #" + std::to_string(i);
      jsPubAck* ack = nullptr;
      EXPECT_EQ(js_Publish(&ack, client_->js(), subject.c_str(), body.data(),
                           static_cast<int>(body.size()), nullptr, nullptr),
                NATS_OK);
      if (ack != nullptr) sequences.push_back(ack->Sequence);
      jsPubAck_Destroy(ack);
    }
    return sequences;
  }

  // Fetches up to `count` messages; acknowledges the first `acked` of them
  // (the last of those synchronously). Returns the JetStream sequences.
  static std::vector<std::uint64_t> fetch(SinkConsumer& consumer, int count, int acked) {
    natsMsgList list{};
    std::vector<std::uint64_t> sequences;
    std::vector<MsgHandle> messages;
    while (static_cast<int>(messages.size()) < count) {
      if (natsSubscription_Fetch(&list, consumer.subscription.get(), count, 2000, nullptr) !=
          NATS_OK) {
        break;
      }
      for (int i = 0; i < list.Count; ++i) {
        messages.emplace_back(list.Msgs[i]);
        list.Msgs[i] = nullptr;
      }
      natsMsgList_Destroy(&list);
    }
    for (std::size_t i = 0; i < messages.size(); ++i) {
      jsMsgMetaData* meta = nullptr;
      EXPECT_EQ(natsMsg_GetMetaData(&meta, messages[i].get()), NATS_OK);
      sequences.push_back(meta->Sequence.Stream);
      jsMsgMetaData_Destroy(meta);
      if (static_cast<int>(i) + 1 < acked) {
        EXPECT_EQ(natsMsg_Ack(messages[i].get(), nullptr), NATS_OK);
      } else if (static_cast<int>(i) + 1 == acked) {
        EXPECT_EQ(natsMsg_AckSync(messages[i].get(), nullptr, nullptr), NATS_OK);
      }
    }
    return sequences;
  }

  Result<SinkConsumer> open(const std::string& stream) {
    return open_sink_consumer(*client_, "FRAMEWIRE", "test", stream, std::chrono::minutes(5));
  }

  bool exists(const std::string& name) {
    jsConsumerInfo* info = nullptr;
    const natsStatus s =
        js_GetConsumerInfo(&info, client_->js(), "FRAMEWIRE", name.c_str(), nullptr, nullptr);
    jsConsumerInfo_Destroy(info);
    return s == NATS_OK;
  }

  test::TempDir tmp_{"sink-consumer"};
  std::unique_ptr<test::NatsServer> server_;
  std::unique_ptr<NatsClient> client_;
};

TEST_F(SinkConsumerTest, NamesAreValidConsumerNamesPerStream) {
  const std::string base = sink_consumer_base("framewire-sink", "rig1/cam.v");
  EXPECT_EQ(
      base.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"),
      std::string::npos);
  EXPECT_NE(base, sink_consumer_base("framewire-sink", "rig1/cam=v"));
  EXPECT_NE(base, sink_consumer_base("other", "rig1/cam.v"));
}

TEST_F(SinkConsumerTest, AFullyAcknowledgedConsumerGoesOnWhereItStands) {
  const auto sequences = publish("cam", 6);
  auto consumer = open("cam");
  ASSERT_TRUE(consumer) << consumer.status().to_string();
  EXPECT_FALSE(consumer->was_reset);
  EXPECT_EQ(consumer->ack_floor, 0u);
  EXPECT_EQ(fetch(*consumer, 6, 6), sequences);
  const std::string name = consumer->name;
  consumer->subscription.reset();

  publish("other", 2);  // another stream's frames are not this consumer's
  const auto more = publish("cam", 2);
  auto again = open("cam");
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_FALSE(again->was_reset);
  EXPECT_EQ(again->name, name);
  EXPECT_EQ(again->ack_floor, sequences.back());
  EXPECT_EQ(fetch(*again, 2, 2), more);
}

TEST_F(SinkConsumerTest, UnacknowledgedFramesAreReadAgainInOrder) {
  const auto sequences = publish("cam", 10);
  auto consumer = open("cam");
  ASSERT_TRUE(consumer);
  // Ten handed out, four acknowledged: then the reader dies.
  EXPECT_EQ(fetch(*consumer, 10, 4), sequences);
  const std::string first_name = consumer->name;
  consumer->subscription.reset();
  const auto later = publish("cam", 3);

  auto again = open("cam");
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_TRUE(again->was_reset);
  EXPECT_EQ(again->ack_floor, sequences[3]);
  EXPECT_NE(again->name, first_name);
  EXPECT_FALSE(exists(first_name));
  std::vector<std::uint64_t> expected(sequences.begin() + 4, sequences.end());
  expected.insert(expected.end(), later.begin(), later.end());
  // Without the reset, the three new ones would come first.
  EXPECT_EQ(fetch(*again, 9, 9), expected);
}

TEST_F(SinkConsumerTest, AReplacementThatDiesBeforeItsFirstAckIsReplacedFromItsOwnStart) {
  const auto sequences = publish("cam", 6);
  auto consumer = open("cam");
  ASSERT_TRUE(consumer);
  EXPECT_EQ(fetch(*consumer, 6, 3), sequences);
  consumer->subscription.reset();
  auto replaced = open("cam");
  ASSERT_TRUE(replaced);
  EXPECT_TRUE(replaced->was_reset);
  // The replacement hands out the last three and dies before acknowledging
  // any: JetStream's ack floor of it is still 0, which must not mean "from
  // the start".
  EXPECT_EQ(fetch(*replaced, 3, 0),
            std::vector<std::uint64_t>(sequences.begin() + 3, sequences.end()));
  replaced->subscription.reset();
  auto again = open("cam");
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_TRUE(again->was_reset);
  EXPECT_EQ(again->ack_floor, sequences[2]);
  EXPECT_EQ(fetch(*again, 3, 3),
            std::vector<std::uint64_t>(sequences.begin() + 3, sequences.end()));
}

TEST_F(SinkConsumerTest, AReplacementCutShortKeepsTheNewerConsumer) {
  const auto sequences = publish("cam", 5);
  auto consumer = open("cam");
  ASSERT_TRUE(consumer);
  EXPECT_EQ(fetch(*consumer, 5, 2), sequences);
  consumer->subscription.reset();
  // As if a sink died right after making the replacement: it starts after
  // the ack floor, under the other name.
  const std::string base = sink_consumer_base("test", "cam");
  const std::string subject = frame_subject("FRAMEWIRE", "cam");
  const std::string replacement = consumer->name == base + "-a" ? base + "-b" : base + "-a";
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = replacement.c_str();
  config.FilterSubject = subject.c_str();
  config.AckPolicy = js_AckExplicit;
  config.DeliverPolicy = js_DeliverByStartSequence;
  config.OptStartSeq = sequences[1] + 1;
  ASSERT_EQ(js_AddConsumer(nullptr, client_->js(), "FRAMEWIRE", &config, nullptr, nullptr),
            NATS_OK);

  auto again = open("cam");
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_EQ(again->name, replacement);
  EXPECT_FALSE(exists(consumer->name));
  EXPECT_EQ(fetch(*again, 3, 3),
            std::vector<std::uint64_t>(sequences.begin() + 2, sequences.end()));
}

}  // namespace
}  // namespace framewire::jetstream
