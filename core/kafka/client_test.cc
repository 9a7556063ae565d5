// The streaming publisher's refusals of messages too large for Kafka, against
// librdkafka's mock cluster (a real broker refuses them in
// tests/integration/limits_test.cc).
#include "core/kafka/client.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace accord::kafka {
namespace {

constexpr int16_t kProduce = 0;
constexpr char kTopic[] = "accord-test.events";

TEST(MessageLimit, ComesFromTheKafkaPropertiesOrLibrdkafkasDefault) {
  config::KafkaConfig kafka;
  EXPECT_EQ(MessageMaxBytes(kafka), 1000000u);
  kafka.properties["message.max.bytes"] = "200000";
  EXPECT_EQ(MessageMaxBytes(kafka), 200000u);
}

TEST(MessageLimit, CountsKeyValueAndRecordFraming) {
  EXPECT_EQ(MessageBytes(10, 1000), 1046u);
  EXPECT_EQ(TooLargeReason(1200046, 1000000),
            "event of 1200046 bytes exceeds the Kafka message limit of 1000000 bytes "
            "(message.max.bytes)");
}

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char error[256];
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), error, sizeof error);
    ASSERT_NE(handle_, nullptr) << error;
    cluster_ = rd_kafka_mock_cluster_new(handle_, 1);
    ASSERT_NE(cluster_, nullptr);
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, kTopic, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    kafka_.bootstrap_servers = rd_kafka_mock_cluster_bootstraps(cluster_);
    kafka_.connect_timeout_ms = 5000;
  }

  void TearDown() override {
    if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
    if (handle_) rd_kafka_destroy(handle_);
  }

  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  config::KafkaConfig kafka_;
};

TEST_F(PublisherTest, AMessageOverTheProducersLimitFailsAloneWithItsTag) {
  kafka_.properties["message.max.bytes"] = "2000";
  Publisher publisher(kafka_);
  publisher.Publish(kTopic, "k", "small", {}, "first");
  publisher.Publish(kTopic, "k", std::string(3000, 'x'), {}, "large");
  publisher.Publish(kTopic, "k", "small", {}, "last");
  auto result = publisher.Flush();
  EXPECT_EQ(result.delivered, 2u);
  EXPECT_EQ(result.failed, 1u);
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].tag, "large");
  EXPECT_EQ(result.failures[0].code, RdKafka::ERR_MSG_SIZE_TOO_LARGE);
  EXPECT_EQ(result.failures[0].topic, kTopic);
  EXPECT_EQ(result.failures[0].value, std::string(3000, 'x'));
  // Reported once: the next flush starts afresh.
  EXPECT_TRUE(publisher.Flush().failures.empty());
}

TEST_F(PublisherTest, ABrokersRefusalNamesTheMessageAndLaterMessagesAreDelivered) {
  Publisher publisher(kafka_);
  rd_kafka_mock_push_request_errors(cluster_, kProduce, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  publisher.Publish(kTopic, "k", "refused", {}, "refused-id");
  auto refused = publisher.Flush();
  ASSERT_EQ(refused.failures.size(), 1u);
  EXPECT_EQ(refused.failures[0].tag, "refused-id");
  EXPECT_EQ(refused.failures[0].code, RdKafka::ERR_MSG_SIZE_TOO_LARGE);
  EXPECT_EQ(refused.failures[0].key, "k");
  EXPECT_EQ(refused.failures[0].value, "refused");

  publisher.Publish(kTopic, "k", "taken", {}, "taken-id");
  auto taken = publisher.Flush();
  EXPECT_EQ(taken.delivered, 1u);
  EXPECT_TRUE(taken.failures.empty());
}

}  // namespace
}  // namespace accord::kafka
