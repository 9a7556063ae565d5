#include "io/kafka/transactions.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "io/kafka/client.h"

namespace accord::kafka {
namespace {

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

// Takes ownership of librdkafka's error object.
std::unique_ptr<RdKafka::Error> Owned(RdKafka::Error* error) {
  return std::unique_ptr<RdKafka::Error>(error);
}

}  // namespace

void TransactionalPublisher::DeliveryReports::dr_cb(RdKafka::Message& message) {
  if (message.err() != RdKafka::ERR_NO_ERROR) {
    ++failed;
    return;
  }
  if (delivered++ == 0)
    first_delivered = {message.topic_name(), message.partition(), message.offset()};
}

TransactionalPublisher::TransactionalPublisher(const kafka::Config& kafka, Options options)
    : kafka_(kafka), options_(std::move(options)) {
  producer_ = CreateProducer();
  RequireReachable(*producer_, kafka_);
  if (auto error = Owned(producer_->init_transactions(kafka_.connect_timeout_ms)))
    throw KafkaError("cannot start Kafka transactions as " + options_.transactional_id + " on " +
                     kafka_.bootstrap_servers + ": " + error->str());
  initialised_ = true;
}

TransactionalPublisher::~TransactionalPublisher() = default;

std::unique_ptr<RdKafka::Producer> TransactionalPublisher::CreateProducer() {
  const auto timeout_ms = std::max<int64_t>(options_.timeout.count(), 1000);
  auto conf = MakeConf(kafka_, {
                                   {"transactional.id", options_.transactional_id},
                                   {"enable.idempotence", "true"},
                                   {"acks", "all"},
                                   {"partitioner", kPartitioner},
                                   {"compression.type", "lz4"},
                                   {"message.timeout.ms", std::to_string(timeout_ms)},
                                   // The coordinator aborts a transaction left
                                   // open this long; read_committed consumers
                                   // wait behind it until then.
                                   {"transaction.timeout.ms", std::to_string(2 * timeout_ms)},
                                   // Notice a returning broker within a second.
                                   {"reconnect.backoff.max.ms", "1000"},
                               });
  std::string error;
  if (conf->set("dr_cb", &reports_, error) != RdKafka::Conf::CONF_OK)
    throw KafkaError("cannot configure the transactional producer: " + error);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  if (!producer) throw KafkaError("cannot create the transactional producer: " + error);
  return producer;
}

TransactionalPublisher::Result TransactionalPublisher::Publish(const std::vector<Message>& batch) {
  // The timeout counts from the call: a batch queued behind others that
  // wait for an unreachable cluster gives up as soon as they would.
  const auto deadline = Clock::now() + options_.timeout;
  Result result;
  std::unique_lock lock(mutex_, std::defer_lock);
  if (!lock.try_lock_until(deadline)) {
    result.error = "earlier batches were still waiting for Kafka";
    return result;
  }
  if (in_doubt_) {
    result.error = Settle(deadline);
    if (!result.error.empty()) return result;
  }
  std::vector<const Message*> fresh;
  std::unordered_set<std::string_view> in_batch;
  for (const auto& message : batch) {
    if (committed_ids_.count(message.id) || !in_batch.insert(message.id).second)
      ++result.duplicates;
    else
      fresh.push_back(&message);
  }
  if (fresh.empty()) {
    result.committed = true;
    return result;
  }
  result.error = Prepare(deadline);
  if (!result.error.empty()) return result;

  reports_.delivered = reports_.failed = 0;
  if (auto error = Owned(producer_->begin_transaction())) {
    result.error = "cannot begin a Kafka transaction: " + error->str();
    Replace(false, fresh);
    return result;
  }
  for (const Message* message : fresh) {
    auto err = producer_->produce(message->topic, RdKafka::Topic::PARTITION_UA,
                                  RdKafka::Producer::RK_MSG_COPY,
                                  const_cast<char*>(message->value.data()), message->value.size(),
                                  message->key.data(), message->key.size(), 0, nullptr);
    if (err != RdKafka::ERR_NO_ERROR) {
      result.error = "cannot publish to " + message->topic + ": " + RdKafka::err2str(err);
      Abort(deadline);
      return result;
    }
  }
  auto error = Owned(producer_->commit_transaction(RemainingMs(deadline)));
  if (!error) {
    for (const Message* message : fresh) Remember(message->id);
    result.committed = true;
    result.published = fresh.size();
    return result;
  }
  result.error = "Kafka did not commit the batch: " + error->str();
  if (error->txn_requires_abort())
    Abort(deadline);
  else
    Replace(true, fresh);
  return result;
}

std::string TransactionalPublisher::Prepare(Clock::time_point deadline) {
  if (!producer_) {
    try {
      producer_ = CreateProducer();
    } catch (const std::exception& e) {
      return e.what();
    }
    // A new producer learns the cluster's topics here: without them its
    // first messages would wait for a metadata refresh instead of the broker.
    RdKafka::Metadata* metadata = nullptr;
    auto err = producer_->metadata(true, nullptr, &metadata, RemainingMs(deadline));
    delete metadata;
    if (err != RdKafka::ERR_NO_ERROR) {
      producer_.reset();
      return "cannot reach Kafka at " + kafka_.bootstrap_servers + ": " + RdKafka::err2str(err);
    }
  }
  if (initialised_) return "";
  auto error = Owned(producer_->init_transactions(RemainingMs(deadline)));
  if (!error) {
    initialised_ = true;
    return "";
  }
  // A timeout may be resumed by calling again; anything else needs a new
  // producer.
  if (!error->is_retriable()) Replace(false, {});
  return "cannot start a Kafka transaction on " + kafka_.bootstrap_servers + ": " + error->str();
}

void TransactionalPublisher::Abort(Clock::time_point deadline) {
  // A transaction that was never asked to commit is never committed: when
  // the abort cannot finish, fencing its producer finishes it.
  if (auto error = Owned(producer_->abort_transaction(RemainingMs(deadline)))) {
    spdlog::warn("aborting the Kafka transaction failed ({}); replacing the producer",
                 error->str());
    Replace(false, {});
  }
}

void TransactionalPublisher::Replace(bool commit_requested,
                                     const std::vector<const Message*>& batch) {
  if (commit_requested) {
    // The commit is only sent once every message is acknowledged: purging
    // what is left decides it, and a message that failed proves it was not
    // sent. The purged messages' reports need serving to be counted.
    producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    const auto drain_until = Clock::now() + std::chrono::seconds(1);
    while (producer_->outq_len() > 0 && Clock::now() < drain_until) producer_->poll(50);
    producer_->poll(0);
    if (reports_.failed == 0 && reports_.delivered > 0) {
      InDoubt doubt{reports_.first_delivered, {}};
      for (const Message* message : batch) doubt.ids.push_back(message->id);
      in_doubt_ = std::move(doubt);
      spdlog::warn(
          "a Kafka commit of {} messages timed out after they were acknowledged; "
          "its outcome is settled before the next batch",
          batch.size());
    }
  }
  producer_.reset();
  initialised_ = false;
}

std::string TransactionalPublisher::Settle(Clock::time_point deadline) {
  const std::string prefix = "an earlier batch's outcome is not known yet: ";
  // Registering the transactional id again fences the producer of the batch
  // in doubt: once that succeeds the coordinator has finished its
  // transaction, one way or the other.
  if (auto problem = Prepare(deadline); !problem.empty()) return prefix + problem;
  std::string error;
  auto committed = ReadBack(in_doubt_->written, deadline, error);
  if (!committed) return prefix + error;
  if (*committed)
    for (const auto& id : in_doubt_->ids) Remember(id);
  spdlog::info("the batch of {} messages in doubt was {}", in_doubt_->ids.size(),
               *committed ? "committed" : "not committed");
  in_doubt_.reset();
  return "";
}

std::optional<bool> TransactionalPublisher::ReadBack(const Position& position,
                                                     Clock::time_point deadline,
                                                     std::string& error) {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  try {
    auto conf = MakeConf(kafka_, {{"group.id", options_.transactional_id + "-settle"},
                                  {"enable.auto.commit", "false"},
                                  {"isolation.level", "read_committed"},
                                  {"enable.partition.eof", "true"}});
    consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!consumer) return std::nullopt;
  std::vector<RdKafka::TopicPartition*> start = {
      RdKafka::TopicPartition::create(position.topic, position.partition, position.offset)};
  consumer->assign(start);
  RdKafka::TopicPartition::destroy(start);
  std::optional<bool> committed;
  error = "reading back " + position.topic + "/" + std::to_string(position.partition) + "/" +
          std::to_string(position.offset) + " timed out";
  while (!committed && Clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(RemainingMs(deadline)));
    if (message->err() == RdKafka::ERR_NO_ERROR) {
      // Aborted messages are skipped: the first one read is ours only if it
      // was committed.
      committed = message->offset() == position.offset;
    } else if (message->err() == RdKafka::ERR__PARTITION_EOF) {
      committed = false;
    } else if (message->err() != RdKafka::ERR__TIMED_OUT) {
      error = "reading back " + position.topic + ": " + message->errstr();
      break;
    }
  }
  consumer->close();
  return committed;
}

void TransactionalPublisher::Remember(const std::string& id) {
  if (!committed_ids_.insert(id).second) return;
  committed_order_.push_back(id);
  while (committed_order_.size() > options_.remember) {
    committed_ids_.erase(committed_order_.front());
    committed_order_.pop_front();
  }
}

}  // namespace accord::kafka
