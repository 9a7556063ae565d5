#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/config_error.h"
#include "io/kafka/config.h"

namespace accord::kafka {

// The cluster could not be reached or refused a request; the message names
// the bootstrap servers and librdkafka's reason.
class KafkaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// librdkafka configuration from Accord's: bootstrap servers, the pass-through
// properties, then `overrides` (the role's own settings, which win). An
// unknown property or bad value is a ConfigError naming it.
std::unique_ptr<RdKafka::Conf> MakeConf(const kafka::Config& kafka,
                                        const std::map<std::string, std::string>& overrides);

// Asks the cluster for its metadata; throws KafkaError when it does not answer
// within kafka.connect_timeout_ms, so a missing broker is a clear error and
// never a hang.
void RequireReachable(RdKafka::Handle& handle, const kafka::Config& kafka);

// Throws KafkaError naming the first of `topics` the cluster does not have,
// and how to create them.
void RequireTopics(RdKafka::Handle& handle, const kafka::Config& kafka,
                   const std::vector<std::string>& topics);

// One partition of a topic and the offsets it holds: from `low` (the first
// not deleted by retention) to `high` (the next to be written).
struct PartitionRange {
  std::string topic;
  int32_t partition = 0;
  int64_t low = 0;
  int64_t high = 0;
};

// Every partition of `topic`, in partition order, with its offsets; throws
// KafkaError when the topic is missing or the cluster does not answer.
std::vector<PartitionRange> ListPartitions(RdKafka::Handle& handle, const kafka::Config& kafka,
                                           const std::string& topic);

// Creates the topics that do not exist yet; existing ones are left as they are.
void EnsureTopics(const kafka::Config& kafka, const std::vector<std::string>& topics,
                  int partitions, int replication_factor);

// Deletes the topics (tests and benchmarks clean up after themselves);
// topics that do not exist are no error.
void DeleteTopics(const kafka::Config& kafka, const std::vector<std::string>& topics);

// The partitioner of every Accord producer: murmur2, the Java clients'
// choice, so that every client agrees on the partition of a key.
inline constexpr char kPartitioner[] = "murmur2_random";

// What librdkafka counts against message.max.bytes for a message without
// headers: key, value and up to 36 bytes of record framing
// (RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD). A producer refuses a larger message
// outright (MSG_SIZE_TOO_LARGE).
size_t MessageBytes(size_t key_bytes, size_t value_bytes);

// The largest message a producer configured from `kafka` takes:
// message.max.bytes as kafka.properties sets it, else librdkafka's default.
size_t MessageMaxBytes(const kafka::Config& kafka);

// Why a message of `message_bytes` (MessageBytes) is refused, as rejects and
// answers name it.
std::string TooLargeReason(size_t message_bytes, size_t max_bytes);

// The producer path of the connectors that stream: idempotent, acks=all,
// kPartitioner. Publish() is asynchronous; Flush() waits for every delivery
// report. (kafka/transactions.h publishes batches all or nothing.)
class Publisher {
 public:
  explicit Publisher(const kafka::Config& kafka);
  ~Publisher();

  using Headers = std::vector<std::pair<std::string, std::string>>;
  // `tag` names the message in Result::failures should it fail.
  void Publish(const std::string& topic, const std::string& key, const std::string& value,
               const Headers& headers = {}, const std::string& tag = {});
  // To one partition, whatever the key (ticks reach every partition so).
  void PublishToPartition(const std::string& topic, int32_t partition, const std::string& key,
                          const std::string& value);
  // How many partitions `topic` has; throws KafkaError when it has none.
  int32_t PartitionCount(const std::string& topic);

  // A message Kafka did not take, by the tag it was published with, and
  // what it held, so that it can be published again.
  struct Failure {
    std::string tag;
    RdKafka::ErrorCode code = RdKafka::ERR_NO_ERROR;
    std::string error;
    std::string topic;
    std::string key;
    std::string value;
  };
  struct Result {
    uint64_t delivered = 0;
    uint64_t failed = 0;
    std::string first_error;
    // The messages that failed since the last Flush().
    std::vector<Failure> failures;
    // The highest offset delivered to each topic and partition since the
    // last Flush().
    std::map<std::pair<std::string, int32_t>, int64_t> delivered_to;
  };
  // Waits until every published message is acknowledged or has failed;
  // the counts are totals since the publisher was created.
  Result Flush();

  // The cluster's id (it changes when the cluster is created anew); throws
  // KafkaError when the cluster does not answer.
  std::string ClusterId();

 private:
  void Produce(const std::string& topic, int32_t partition, const std::string& key,
               const std::string& value, const Headers& headers, const std::string& tag);

  class DeliveryReports : public RdKafka::DeliveryReportCb {
   public:
    void dr_cb(RdKafka::Message& message) override;
    void Failed(Failure failure);
    std::atomic<uint64_t> delivered{0};
    std::atomic<uint64_t> failed{0};
    std::mutex mutex;
    std::string first_error;
    std::vector<Failure> failures;
    std::map<std::pair<std::string, int32_t>, int64_t> delivered_to;
  };

  kafka::Config kafka_;
  DeliveryReports reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

// The headers of a dead letter parked for `message` (docs/events.md, "Dead
// letters"): its id names where the original sits, so a letter parked again
// after a crash is recognisable.
Publisher::Headers DeadLetterHeaders(const RdKafka::Message& message, const std::string& reason,
                                     const std::string& code);

}  // namespace accord::kafka
