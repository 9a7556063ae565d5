#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "io/kafka/config.h"

namespace accord::kafka {

// Publishes batches of messages all or nothing: each batch is one Kafka
// transaction, so a read_committed consumer (librdkafka's default) sees the
// whole batch or none of it. Publish() reports a batch committed only once
// Kafka has acknowledged it; a batch reported not published never becomes
// visible, so the caller can offer the same batch again without duplicates.
//
// Recovery: an abortable error aborts the transaction; a fatal error, a
// timeout or an unreachable coordinator replaces the producer. The next one
// registers under the same transactional.id, which fences the old one and
// makes the coordinator finish its transaction. A commit that timed out
// after Kafka had acknowledged every message may have been carried out: its
// batch is "in doubt" until the next Publish() settles it by reading one of
// its messages back, and a batch found committed counts as committed.
//
// Every message carries the id of the event it holds. Ids committed lately
// (the last Options::remember of them, in this process) are left out of
// later batches, so a batch offered again after Kafka took it (its sender
// did not hear the answer, or it was in doubt) is not published twice.
class TransactionalPublisher {
 public:
  struct Options {
    // Unique per running publisher, stable across its restarts.
    std::string transactional_id;
    // How long one Publish() may take.
    std::chrono::milliseconds timeout{10000};
    size_t remember = 100000;
  };

  struct Message {
    std::string topic;
    std::string key;
    std::string value;
    std::string id;
  };

  struct Result {
    bool committed = false;
    size_t published = 0;   // messages this call committed
    size_t duplicates = 0;  // left out: committed before, or twice in the batch
    std::string error;      // why nothing was published
  };

  // Creates the producer and registers its transactional id; throws
  // KafkaError when the cluster does not answer within
  // kafka.connect_timeout_ms.
  TransactionalPublisher(const kafka::Config& kafka, Options options);
  ~TransactionalPublisher();
  TransactionalPublisher(const TransactionalPublisher&) = delete;
  TransactionalPublisher& operator=(const TransactionalPublisher&) = delete;

  // Thread-safe; one transaction at a time. Returns within Options::timeout
  // of the call, queueing behind other calls included.
  Result Publish(const std::vector<Message>& batch);

 private:
  using Clock = std::chrono::steady_clock;

  struct Position {
    std::string topic;
    int32_t partition = 0;
    int64_t offset = -1;
  };

  class DeliveryReports : public RdKafka::DeliveryReportCb {
   public:
    void dr_cb(RdKafka::Message& message) override;
    size_t delivered = 0;
    size_t failed = 0;
    Position first_delivered;
  };

  struct InDoubt {
    Position written;
    std::vector<std::string> ids;
  };

  std::unique_ptr<RdKafka::Producer> CreateProducer();
  // "" once a transaction can begin, else why not.
  std::string Prepare(Clock::time_point deadline);
  // Aborts the open transaction, or replaces the producer when it cannot.
  void Abort(Clock::time_point deadline);
  // Drops the producer; `commit_requested`: its batch may have been
  // committed, which makes it in doubt unless a message is known to have
  // failed.
  void Replace(bool commit_requested, const std::vector<const Message*>& batch);
  // Settles an in-doubt batch; "" once settled, else why not.
  std::string Settle(Clock::time_point deadline);
  // Whether the message at `position` is committed (a read_committed
  // consumer gets it); nullopt when that cannot be told before `deadline`.
  std::optional<bool> ReadBack(const Position& position, Clock::time_point deadline,
                               std::string& error);
  void Remember(const std::string& id);

  kafka::Config kafka_;
  Options options_;
  std::timed_mutex mutex_;
  DeliveryReports reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
  bool initialised_ = false;
  std::optional<InDoubt> in_doubt_;
  std::unordered_set<std::string> committed_ids_;
  std::deque<std::string> committed_order_;
};

}  // namespace accord::kafka
