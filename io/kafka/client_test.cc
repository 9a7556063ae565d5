// The streaming publisher's refusals of messages too large for Kafka, against
// librdkafka's mock cluster (a real broker refuses them in
// tests/integration/import_test.cc).
#include "io/kafka/client.h"

#include <gtest/gtest.h>

#include "io/kafka/testing/mock_cluster.h"

namespace accord::kafka {
namespace {

TEST(MessageLimit, ComesFromTheKafkaPropertiesOrLibrdkafkasDefault) {
  kafka::Config kafka;
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

class PublisherTest : public testing::MockClusterTest {};

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
