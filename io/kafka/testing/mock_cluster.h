#pragma once

// A fixture for unit tests of the publishers: librdkafka's mock cluster, one
// broker with one single-partition topic, for the faults a real broker
// cannot stage on demand (refused writes, late or fenced coordinators).

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "io/kafka/config.h"

namespace accord::kafka::testing {

class MockClusterTest : public ::testing::Test {
 protected:
  static constexpr char kTopic[] = "accord-test.events";
  // Kafka protocol API keys, as the mock's fault injection takes them.
  static constexpr int16_t kProduce = 0;

  void SetUp() override {
    char error[256];
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), error, sizeof error);
    ASSERT_NE(handle_, nullptr) << error;
    cluster_ = rd_kafka_mock_cluster_new(handle_, 1);
    ASSERT_NE(cluster_, nullptr);
    // One partition: a refused write refuses the whole batch.
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
  kafka::Config kafka_;
};

}  // namespace accord::kafka::testing
