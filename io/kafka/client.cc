#include "io/kafka/client.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <functional>

namespace accord::kafka {

std::unique_ptr<RdKafka::Conf> MakeConf(const kafka::Config& kafka,
                                        const std::map<std::string, std::string>& overrides) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  auto set = [&](const std::string& key, const std::string& value, const std::string& origin) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK)
      throw ConfigError(origin + key + ": " + error);
  };
  set("bootstrap.servers", kafka.bootstrap_servers, "kafka.");
  set("client.id", "accord", "");
  for (const auto& [key, value] : kafka.properties) set(key, value, "kafka.properties.");
  for (const auto& [key, value] : overrides) set(key, value, "");
  return conf;
}

size_t MessageBytes(size_t key_bytes, size_t value_bytes) {
  // Varints of the record length, timestamp delta, offset delta, key and
  // value lengths and header count, and one attributes byte, at their widest.
  constexpr size_t kRecordFraming = 5 + 1 + 10 + 5 + 5 + 5 + 5;
  return kRecordFraming + key_bytes + value_bytes;
}

size_t MessageMaxBytes(const kafka::Config& kafka) {
  std::string value;
  if (MakeConf(kafka, {})->get("message.max.bytes", value) != RdKafka::Conf::CONF_OK)
    throw KafkaError("cannot read message.max.bytes from the Kafka configuration");
  return std::stoull(value);
}

std::string TooLargeReason(size_t message_bytes, size_t max_bytes) {
  return "event of " + std::to_string(message_bytes) +
         " bytes exceeds the Kafka message limit of " + std::to_string(max_bytes) +
         " bytes (message.max.bytes)";
}

void RequireReachable(RdKafka::Handle& handle, const kafka::Config& kafka) {
  RdKafka::Metadata* metadata = nullptr;
  auto err = handle.metadata(true, nullptr, &metadata, kafka.connect_timeout_ms);
  std::unique_ptr<RdKafka::Metadata> owned(metadata);
  if (err != RdKafka::ERR_NO_ERROR)
    throw KafkaError("cannot reach Kafka at " + kafka.bootstrap_servers + " within " +
                     std::to_string(kafka.connect_timeout_ms) + " ms: " + RdKafka::err2str(err));
}

std::vector<PartitionRange> ListPartitions(RdKafka::Handle& handle, const kafka::Config& kafka,
                                           const std::string& topic) {
  std::string error;
  std::unique_ptr<RdKafka::Topic> topic_handle(
      RdKafka::Topic::create(&handle, topic, nullptr, error));
  if (!topic_handle) throw KafkaError("cannot read topic " + topic + ": " + error);
  RdKafka::Metadata* raw = nullptr;
  auto err = handle.metadata(false, topic_handle.get(), &raw, kafka.connect_timeout_ms);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (err == RdKafka::ERR_NO_ERROR)
    err = metadata->topics()->empty() ? RdKafka::ERR_UNKNOWN_TOPIC_OR_PART
                                      : metadata->topics()->at(0)->err();
  if (err != RdKafka::ERR_NO_ERROR)
    throw KafkaError("cannot read topic " + topic + " on " + kafka.bootstrap_servers + ": " +
                     RdKafka::err2str(err));
  std::vector<PartitionRange> ranges;
  for (const auto* partition : *metadata->topics()->at(0)->partitions()) {
    PartitionRange range{topic, partition->id(), 0, 0};
    err = handle.query_watermark_offsets(topic, range.partition, &range.low, &range.high,
                                         kafka.connect_timeout_ms);
    if (err != RdKafka::ERR_NO_ERROR)
      throw KafkaError("cannot read the offsets of " + topic + "[" +
                       std::to_string(range.partition) + "]: " + RdKafka::err2str(err));
    ranges.push_back(std::move(range));
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const auto& a, const auto& b) { return a.partition < b.partition; });
  return ranges;
}

void RequireTopics(RdKafka::Handle& handle, const kafka::Config& kafka,
                   const std::vector<std::string>& topics) {
  RdKafka::Metadata* metadata = nullptr;
  auto err = handle.metadata(true, nullptr, &metadata, kafka.connect_timeout_ms);
  std::unique_ptr<RdKafka::Metadata> owned(metadata);
  if (err != RdKafka::ERR_NO_ERROR)
    throw KafkaError("cannot read the topics of " + kafka.bootstrap_servers + ": " +
                     RdKafka::err2str(err));
  for (const auto& topic : topics) {
    bool present = false;
    for (const auto* known : *owned->topics())
      present = present || (known->topic() == topic && known->err() == RdKafka::ERR_NO_ERROR);
    if (!present)
      throw KafkaError("topic " + topic + " does not exist on " + kafka.bootstrap_servers +
                       ": create the topics with `accord topics create`");
  }
}

namespace {

using TopicResults = const rd_kafka_topic_result_t** (*)(rd_kafka_event_t*, size_t*);

// One admin request about topics: sends it, waits for the answer, and says
// what failed ("" when every topic succeeded or failed with `tolerated`).
std::string RunTopicAdmin(const kafka::Config& kafka,
                          const std::function<void(rd_kafka_t*, rd_kafka_queue_t*)>& send,
                          TopicResults results_of, rd_kafka_resp_err_t tolerated) {
  auto conf = MakeConf(kafka, {});
  std::string error;
  std::unique_ptr<RdKafka::Producer> admin(RdKafka::Producer::create(conf.get(), error));
  if (!admin) throw KafkaError("cannot create Kafka client: " + error);
  RequireReachable(*admin, kafka);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin->c_ptr());
  send(admin->c_ptr(), queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, kafka.connect_timeout_ms + 5000);
  std::string failure;
  if (!event) {
    failure = "no answer within the connect timeout";
  } else if (rd_kafka_event_error(event)) {
    failure = rd_kafka_event_error_string(event);
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results = results_of(event, &count);
    for (size_t i = 0; i < count; ++i) {
      auto err = rd_kafka_topic_result_error(results[i]);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != tolerated)
        failure += std::string(failure.empty() ? "" : "; ") +
                   rd_kafka_topic_result_name(results[i]) + ": " +
                   rd_kafka_topic_result_error_string(results[i]);
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  return failure;
}

}  // namespace

void EnsureTopics(const kafka::Config& kafka, const std::vector<std::string>& topics,
                  int partitions, int replication_factor) {
  std::vector<rd_kafka_NewTopic_t*> requests;
  char errstr[512];
  for (const auto& topic : topics) {
    auto* request =
        rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, errstr, sizeof errstr);
    if (!request) {
      for (auto* made : requests) rd_kafka_NewTopic_destroy(made);
      throw KafkaError("topic " + topic + ": " + errstr);
    }
    // The history is the truth: events are kept for ever, so state can always
    // be rebuilt by replay.
    rd_kafka_NewTopic_set_config(request, "retention.ms", "-1");
    requests.push_back(request);
  }
  std::string failure;
  rd_kafka_AdminOptions_t* options = nullptr;
  auto release = [&] {
    if (options) rd_kafka_AdminOptions_destroy(options);
    for (auto* request : requests) rd_kafka_NewTopic_destroy(request);
  };
  try {
    failure = RunTopicAdmin(
        kafka,
        [&](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
          options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
          rd_kafka_AdminOptions_set_request_timeout(options, kafka.connect_timeout_ms, errstr,
                                                    sizeof errstr);
          rd_kafka_CreateTopics(rk, requests.data(), requests.size(), options, queue);
        },
        [](rd_kafka_event_t* event, size_t* count) {
          return rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event),
                                                     count);
        },
        RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
  } catch (...) {
    release();
    throw;
  }
  release();
  if (!failure.empty()) throw KafkaError("creating topics failed: " + failure);
}

void DeleteTopics(const kafka::Config& kafka, const std::vector<std::string>& topics) {
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (const auto& topic : topics) requests.push_back(rd_kafka_DeleteTopic_new(topic.c_str()));
  std::string failure;
  try {
    failure = RunTopicAdmin(
        kafka,
        [&](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
          rd_kafka_DeleteTopics(rk, requests.data(), requests.size(), nullptr, queue);
        },
        [](rd_kafka_event_t* event, size_t* count) {
          return rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event),
                                                     count);
        },
        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  } catch (...) {
    for (auto* request : requests) rd_kafka_DeleteTopic_destroy(request);
    throw;
  }
  for (auto* request : requests) rd_kafka_DeleteTopic_destroy(request);
  if (!failure.empty()) throw KafkaError("deleting topics failed: " + failure);
}

void Publisher::DeliveryReports::dr_cb(RdKafka::Message& message) {
  std::unique_ptr<std::string> tag(static_cast<std::string*>(message.msg_opaque()));
  if (message.err() == RdKafka::ERR_NO_ERROR) {
    delivered.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex);
    int64_t& highest = delivered_to[{message.topic_name(), message.partition()}];
    highest = std::max(highest, message.offset());
    return;
  }
  Failed({tag ? std::move(*tag) : std::string(), message.err(), message.errstr(),
          message.topic_name(), message.key() ? *message.key() : std::string(),
          std::string(static_cast<const char*>(message.payload()), message.len())});
}

void Publisher::DeliveryReports::Failed(Failure failure) {
  failed.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex);
  if (first_error.empty()) first_error = failure.error;
  failures.push_back(std::move(failure));
}

Publisher::Publisher(const kafka::Config& kafka) : kafka_(kafka) {
  auto conf = MakeConf(kafka, {
                                  {"enable.idempotence", "true"},
                                  {"acks", "all"},
                                  {"partitioner", kPartitioner},
                                  {"linger.ms", "20"},
                                  {"compression.type", "lz4"},
                                  {"message.timeout.ms", "60000"},
                              });
  std::string error;
  if (conf->set("dr_cb", &reports_, error) != RdKafka::Conf::CONF_OK)
    throw KafkaError("cannot configure producer: " + error);
  producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!producer_) throw KafkaError("cannot create Kafka producer: " + error);
  RequireReachable(*producer_, kafka_);
}

Publisher::~Publisher() = default;

void Publisher::Publish(const std::string& topic, const std::string& key, const std::string& value,
                        const Headers& headers, const std::string& tag) {
  Produce(topic, RdKafka::Topic::PARTITION_UA, key, value, headers, tag);
}

void Publisher::PublishToPartition(const std::string& topic, int32_t partition,
                                   const std::string& key, const std::string& value) {
  Produce(topic, partition, key, value, {}, {});
}

int32_t Publisher::PartitionCount(const std::string& topic) {
  // Metadata of all topics: asking for one by name may create it.
  RdKafka::Metadata* metadata = nullptr;
  auto err = producer_->metadata(true, nullptr, &metadata, kafka_.connect_timeout_ms);
  std::unique_ptr<RdKafka::Metadata> owned(metadata);
  if (err != RdKafka::ERR_NO_ERROR)
    throw KafkaError("cannot read the partitions of " + topic + " from " +
                     kafka_.bootstrap_servers + ": " + RdKafka::err2str(err));
  for (const auto* described : *owned->topics())
    if (described->topic() == topic && described->err() == RdKafka::ERR_NO_ERROR &&
        !described->partitions()->empty())
      return static_cast<int32_t>(described->partitions()->size());
  throw KafkaError("topic " + topic + " does not exist on " + kafka_.bootstrap_servers);
}

void Publisher::Produce(const std::string& topic, int32_t partition, const std::string& key,
                        const std::string& value, const Headers& headers, const std::string& tag) {
  // The delivery report takes it back.
  auto opaque = tag.empty() ? nullptr : std::make_unique<std::string>(tag);
  for (;;) {
    // produce() takes ownership of the headers only when it succeeds.
    RdKafka::Headers* kafka_headers = nullptr;
    if (!headers.empty()) {
      kafka_headers = RdKafka::Headers::create();
      for (const auto& [name, header_value] : headers) kafka_headers->add(name, header_value);
    }
    auto err = producer_->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY,
                                  const_cast<char*>(value.data()), value.size(), key.data(),
                                  key.size(), 0, kafka_headers, opaque.get());
    if (err == RdKafka::ERR_NO_ERROR) {
      opaque.release();
      break;
    }
    delete kafka_headers;
    // Refused for good, as the broker would refuse it: a failed message like
    // the broker's refusals, not a reason to stop publishing the others.
    if (err == RdKafka::ERR_MSG_SIZE_TOO_LARGE) {
      reports_.Failed({tag, err, RdKafka::err2str(err), topic, key, value});
      return;
    }
    // A full local queue is back-pressure, not an error: serve delivery
    // reports until there is room.
    if (err == RdKafka::ERR__QUEUE_FULL) {
      producer_->poll(100);
      continue;
    }
    throw KafkaError("cannot publish to " + topic + ": " + RdKafka::err2str(err));
  }
  producer_->poll(0);
}

std::string Publisher::ClusterId() {
  std::string id = producer_->clusterid(kafka_.connect_timeout_ms);
  if (id.empty())
    throw KafkaError("cannot read the Kafka cluster's id from " + kafka_.bootstrap_servers);
  return id;
}

Publisher::Result Publisher::Flush() {
  // Bounded by message.timeout.ms: every message is delivered or reported
  // failed by then.
  while (producer_->outq_len() > 0) producer_->flush(1000);
  Result result;
  result.delivered = reports_.delivered.load();
  result.failed = reports_.failed.load();
  std::lock_guard lock(reports_.mutex);
  result.first_error = reports_.first_error;
  result.failures.swap(reports_.failures);
  result.delivered_to.swap(reports_.delivered_to);
  return result;
}

Publisher::Headers DeadLetterHeaders(const RdKafka::Message& message, const std::string& reason,
                                     const std::string& code) {
  const std::string topic = message.topic_name();
  const std::string partition = std::to_string(message.partition());
  const std::string offset = std::to_string(message.offset());
  return {{"accord.deadletter.id", topic + "/" + partition + "/" + offset},
          {"accord.reason", reason},
          {"accord.reason.code", code},
          {"accord.source.topic", topic},
          {"accord.source.partition", partition},
          {"accord.source.offset", offset}};
}

}  // namespace accord::kafka
