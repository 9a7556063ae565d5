#include "connectors/publish/event_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "connectors/publish/testing/recorded_transactions.h"
#include "domain/events/envelope.h"

namespace accord::connectors {
namespace {

using ::testing::HasSubstr;

constexpr size_t kMaxMessageBytes = 2000;

kafka::Config KafkaConfig() {
  kafka::Config config;
  config.topic_prefix = "it";
  config.properties["message.max.bytes"] = std::to_string(kMaxMessageBytes);
  return config;
}

v1::Event Upsert(const std::string& id, const std::string& company = "Firma GmbH") {
  v1::Event event;
  event.set_event_id(id);
  event.set_source_system("crm");
  event.set_customer_key("email:anna@firma.de");
  event.mutable_customer_upserted()->set_company(company);
  return event;
}

class TransactionalSinkTest : public ::testing::Test {
 protected:
  uint64_t Counter(const std::string& outcome) {
    return registry_
        .GetCounter("accord_connector_events_total", "",
                    {{"connector", "webhook"}, {"outcome", outcome}})
        .value();
  }

  testing::RecordedTransactions transactions_;
  metrics::Registry registry_;
  EventSink sink_{KafkaConfig(), "webhook", transactions_.Commit(), &registry_};
};

TEST_F(TransactionalSinkTest, ABatchIsOneTransactionToItsTopics) {
  v1::Event campaign;
  campaign.set_event_id("c1");
  campaign.set_source_system("crm");
  campaign.mutable_campaign_upserted()->set_campaign_id("spring");
  auto result = sink_.PublishAll({Upsert("e1"), campaign});
  ASSERT_TRUE(result.committed);
  EXPECT_EQ(result.published, 2u);
  EXPECT_EQ(result.event_ids, (std::vector<std::string>{"e1", "c1"}));
  ASSERT_EQ(transactions_.batches.size(), 1u);
  ASSERT_EQ(transactions_.batches[0].size(), 2u);
  EXPECT_EQ(transactions_.batches[0][0].topic, "it.events");
  EXPECT_EQ(transactions_.batches[0][0].key, "email:anna@firma.de");
  EXPECT_EQ(transactions_.batches[0][0].id, "e1");
  EXPECT_EQ(transactions_.batches[0][1].topic, "it.campaigns");
  EXPECT_EQ(Counter("published"), 2u);
}

TEST_F(TransactionalSinkTest, AccordsOwnEventsAreLeftOutWithoutALedger) {
  v1::Event own = Upsert("own");
  own.set_origin(v1::ORIGIN_ACCORD);
  auto result = sink_.PublishAll({own, Upsert("e1")});
  ASSERT_TRUE(result.committed);
  EXPECT_EQ(result.own_writes, 1u);
  EXPECT_EQ(result.event_ids, std::vector<std::string>{"e1"});
  ASSERT_EQ(transactions_.batches.size(), 1u);
  EXPECT_EQ(transactions_.batches[0].size(), 1u);
  sink_.SkipOwnWrite();
  EXPECT_EQ(Counter("own_write"), 2u);
  EXPECT_EQ(sink_.counts().own_writes, 2u);

  transactions_.batches.clear();
  EXPECT_TRUE(sink_.PublishAll({own}).committed) << "nothing to publish is done at once";
  EXPECT_TRUE(transactions_.batches.empty());
}

TEST_F(TransactionalSinkTest, AnEventOverKafkasLimitRefusesTheBatchBeforeATransaction) {
  auto result = sink_.PublishAll({Upsert("e1"), Upsert("big", std::string(kMaxMessageBytes, 'x'))});
  EXPECT_FALSE(result.committed);
  ASSERT_TRUE(result.too_large);
  EXPECT_EQ(result.too_large->event_id, "big");
  EXPECT_GT(result.too_large->bytes, kMaxMessageBytes);
  EXPECT_THAT(result.too_large->reason, HasSubstr("exceeds the Kafka message limit of 2000 bytes"));
  EXPECT_TRUE(result.event_ids.empty());
  EXPECT_TRUE(transactions_.batches.empty());
  EXPECT_EQ(Counter("too_large"), 1u);
  EXPECT_EQ(Counter("published"), 0u);
}

TEST_F(TransactionalSinkTest, ABatchKafkaDidNotCommitIsCountedAsFailed) {
  transactions_.next = {false, 0, 0, "Broker: transport failure"};
  auto result = sink_.PublishAll({Upsert("e1"), Upsert("e2")});
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(result.error, "Broker: transport failure");
  EXPECT_TRUE(result.event_ids.empty());
  EXPECT_EQ(Counter("failed"), 2u);
  EXPECT_EQ(sink_.counts().first_error, "Broker: transport failure");
}

TEST_F(TransactionalSinkTest, TheStreamingCallsAreRefused) {
  EXPECT_THROW(sink_.Publish(Upsert("e1")), std::logic_error);
  EXPECT_THROW(sink_.Flush(), std::logic_error);
}

}  // namespace
}  // namespace accord::connectors
