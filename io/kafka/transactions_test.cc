// TransactionalPublisher against librdkafka's mock cluster, which stages the
// faults a real broker cannot on demand: a coordinator that answers too late,
// fencing, refused writes. (The mock keeps aborted messages readable, so
// what read_committed consumers see is proven against the real broker, in
// tests/integration/webhook_test.cc.)
#include "io/kafka/transactions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "io/kafka/client.h"
#include "io/kafka/testing/mock_cluster.h"

namespace accord::kafka {
namespace {

using namespace std::chrono_literals;

// Kafka protocol API keys beyond the fixture's, and the mock's one broker.
constexpr int16_t kEndTxn = 26;
constexpr int32_t kBroker = 1;

class TransactionalPublisherTest : public testing::MockClusterTest {
 protected:
  TransactionalPublisher::Options Options(std::chrono::milliseconds timeout = 1000ms) {
    return {"accord-test-transactions", timeout, 100000};
  }

  static std::vector<TransactionalPublisher::Message> Batch(const std::vector<std::string>& ids) {
    std::vector<TransactionalPublisher::Message> batch;
    for (const auto& id : ids) batch.push_back({kTopic, "key-" + id, id, id});
    return batch;
  }

  // Every message value in the topic, in offset order.
  std::vector<std::string> Written() {
    auto conf = MakeConf(kafka_, {{"group.id", "accord-test-reader"},
                                  {"enable.auto.commit", "false"},
                                  {"enable.partition.eof", "true"}});
    std::string error;
    std::unique_ptr<RdKafka::KafkaConsumer> consumer(
        RdKafka::KafkaConsumer::create(conf.get(), error));
    EXPECT_NE(consumer, nullptr) << error;
    std::vector<RdKafka::TopicPartition*> start = {
        RdKafka::TopicPartition::create(kTopic, 0, RdKafka::Topic::OFFSET_BEGINNING)};
    consumer->assign(start);
    RdKafka::TopicPartition::destroy(start);
    std::vector<std::string> values;
    for (;;) {
      std::unique_ptr<RdKafka::Message> message(consumer->consume(5000));
      if (message->err() == RdKafka::ERR_NO_ERROR) {
        values.emplace_back(static_cast<const char*>(message->payload()), message->len());
        continue;
      }
      if (message->err() != RdKafka::ERR__PARTITION_EOF) ADD_FAILURE() << message->errstr();
      break;
    }
    consumer->close();
    return values;
  }

  // Publishes until committed (the cluster may need a moment to be reachable
  // again); the last result.
  static TransactionalPublisher::Result PublishUntilCommitted(TransactionalPublisher& publisher,
                                                              const std::vector<std::string>& ids) {
    TransactionalPublisher::Result result;
    for (int attempt = 0; attempt < 20 && !result.committed; ++attempt)
      result = publisher.Publish(Batch(ids));
    return result;
  }
};

TEST_F(TransactionalPublisherTest, CommitsBatchesAndLeavesOutWhatItCommittedBefore) {
  TransactionalPublisher publisher(kafka_, Options());
  auto first = publisher.Publish(Batch({"a", "b", "c"}));
  ASSERT_TRUE(first.committed) << first.error;
  EXPECT_EQ(first.published, 3u);
  EXPECT_EQ(first.duplicates, 0u);

  auto again = publisher.Publish(Batch({"a", "d", "d"}));
  ASSERT_TRUE(again.committed) << again.error;
  EXPECT_EQ(again.published, 1u);
  EXPECT_EQ(again.duplicates, 2u);

  auto nothing_new = publisher.Publish(Batch({"b", "c"}));
  EXPECT_TRUE(nothing_new.committed);
  EXPECT_EQ(nothing_new.published, 0u);
  EXPECT_EQ(Written(), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST_F(TransactionalPublisherTest, ForgetsTheOldestIdsBeyondWhatItRemembers) {
  auto options = Options();
  options.remember = 2;
  TransactionalPublisher publisher(kafka_, options);
  ASSERT_TRUE(publisher.Publish(Batch({"a", "b", "c"})).committed);
  EXPECT_EQ(publisher.Publish(Batch({"a"})).published, 1u);
  EXPECT_EQ(publisher.Publish(Batch({"c"})).duplicates, 1u);
}

TEST_F(TransactionalPublisherTest, AnUnreachableClusterPublishesNothingUntilItReturns) {
  TransactionalPublisher publisher(kafka_, Options());
  rd_kafka_mock_broker_set_down(cluster_, kBroker);
  const auto start = std::chrono::steady_clock::now();
  auto down = publisher.Publish(Batch({"a", "b"}));
  EXPECT_FALSE(down.committed);
  EXPECT_NE(down.error, "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "Publish() must keep its timeout";

  rd_kafka_mock_broker_set_up(cluster_, kBroker);
  auto back = PublishUntilCommitted(publisher, {"a", "b"});
  ASSERT_TRUE(back.committed) << back.error;
  EXPECT_EQ(back.published, 2u);
  EXPECT_EQ(Written(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(TransactionalPublisherTest, AQueuedBatchWaitsNoLongerThanItsTimeout) {
  TransactionalPublisher publisher(kafka_, Options(1000ms));
  rd_kafka_mock_broker_set_down(cluster_, kBroker);
  // Two calls at once: one waits for the cluster, the other for the first
  // one too, and neither for longer than the timeout.
  auto call = [&](const std::string& id) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(publisher.Publish(Batch({id})).committed);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms) << id;
  };
  std::thread first(call, "a"), second(call, "b");
  first.join();
  second.join();
}

TEST_F(TransactionalPublisherTest, ARefusedWriteAbortsTheTransaction) {
  TransactionalPublisher publisher(kafka_, Options());
  rd_kafka_mock_push_request_errors(cluster_, kProduce, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  auto refused = publisher.Publish(Batch({"a", "b"}));
  EXPECT_FALSE(refused.committed);
  EXPECT_NE(refused.error, "");

  // The refused batch left a gap in the producer's sequence numbers, which
  // librdkafka closes by bumping the producer epoch on the way.
  auto next = PublishUntilCommitted(publisher, {"a", "b"});
  ASSERT_TRUE(next.committed) << next.error;
  EXPECT_EQ(next.published, 2u);
  EXPECT_EQ(Written(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(TransactionalPublisherTest, AFatalErrorReplacesTheProducer) {
  TransactionalPublisher publisher(kafka_, Options());
  rd_kafka_mock_push_request_errors(cluster_, kEndTxn, 1, RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
  auto fenced = publisher.Publish(Batch({"a"}));
  EXPECT_FALSE(fenced.committed);
  EXPECT_NE(fenced.error, "");

  auto next = publisher.Publish(Batch({"b"}));
  ASSERT_TRUE(next.committed) << next.error;
  EXPECT_EQ(next.published, 1u);
}

TEST_F(TransactionalPublisherTest, ACommitInDoubtIsSettledBeforeTheNextBatch) {
  TransactionalPublisher publisher(kafka_, Options(1000ms));
  // The coordinator carries out the commit but answers after the publisher
  // gave up: Kafka has the batch, the caller was told it has not.
  ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(cluster_, kBroker, kEndTxn, 1,
                                                         RD_KAFKA_RESP_ERR_NO_ERROR, 3000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  auto in_doubt = publisher.Publish(Batch({"a", "b"}));
  EXPECT_FALSE(in_doubt.committed);

  // The sender tries again: the batch is found committed and not written twice.
  auto retried = PublishUntilCommitted(publisher, {"a", "b", "c"});
  ASSERT_TRUE(retried.committed) << retried.error;
  EXPECT_EQ(retried.published, 1u);
  EXPECT_EQ(retried.duplicates, 2u);
  EXPECT_EQ(Written(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(TransactionalPublisher, AnUnreachableClusterFailsAtStartNamingIt) {
  kafka::Config kafka;
  kafka.bootstrap_servers = "127.0.0.1:1";
  kafka.connect_timeout_ms = 500;
  try {
    TransactionalPublisher publisher(kafka, {"accord-test-unreachable", 1000ms, 10});
    FAIL() << "started without a cluster";
  } catch (const KafkaError& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace accord::kafka
