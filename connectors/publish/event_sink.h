#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "accord/v1/event.pb.h"
#include "app/config/config.h"
#include "domain/events/envelope.h"
#include "io/kafka/client.h"
#include "io/kafka/transactions.h"
#include "io/metrics/metrics.h"

namespace accord::connectors {

class Ledger;

// Why Kafka cannot take `event` (its message over `max_message_bytes`,
// kafka::MessageMaxBytes), "" when it can: such an event is a bad record,
// which Kafka would refuse on every try.
std::string TooLargeForKafka(const v1::Event& event, size_t max_message_bytes);

// The one way connectors publish events: to the topic their payload belongs
// to, keyed for their customer (or campaign); never an event Accord wrote
// itself (events::IsAccordsOwn, which needs no ledger); never one Kafka
// refuses as too large. Two modes, for the two ways input arrives:
//   streaming (import, cdc): Publish() and Flush() through kafka::Publisher
//     (idempotent, acks=all); with a ledger, never an event id published
//     before;
//   transactional (webhook): PublishAll() publishes one request's events in
//     one Kafka transaction, all or nothing, and returns once Kafka has
//     committed them or not; the sender is answered only then.
class EventSink {
 public:
  // Streaming. The ledger: a directory; "" for the default,
  // var/<kind>-ledger/<topic prefix>@<cluster id>, which starts empty when
  // the cluster is created anew; nullopt for none (every event is published;
  // consumers still drop duplicates by id). `kind` names the connector
  // ("import", "cdc-<slot>"). `registry` (optional) receives
  // accord_connector_events_total by connector (`kind`) and outcome.
  EventSink(const kafka::Config& kafka, const std::string& kind,
            const std::optional<std::string>& ledger_directory,
            metrics::Registry* registry = nullptr);

  // Commits one batch as one Kafka transaction: in production
  // kafka::TransactionalPublisher::Publish, which also leaves out the ids it
  // committed lately, so a batch sent again is not published twice.
  using Commit = std::function<kafka::TransactionalPublisher::Result(
      const std::vector<kafka::TransactionalPublisher::Message>&)>;
  // Transactional: no ledger, no producer of its own; `kafka` gives the
  // topics and the message size limit.
  EventSink(const kafka::Config& kafka, const std::string& kind, Commit commit,
            metrics::Registry* registry = nullptr);
  ~EventSink();

  enum class Outcome { kQueued, kDuplicate, kOwnWrite };
  // Streaming only.
  Outcome Publish(const v1::Event& event);
  // A record the connector recognised as Accord's own write-back before it
  // became an event (a mapping's skip_when, a webhook item's marker).
  void SkipOwnWrite();
  // Flush() every this many published events keeps the unacknowledged
  // window, and what a crash would publish again, small.
  static constexpr size_t kFlushEvery = 10000;
  size_t unconfirmed() const { return unconfirmed_.size(); }

  struct Counts {
    uint64_t published = 0;   // acknowledged by Kafka
    uint64_t duplicates = 0;  // in the ledger, or twice in this run
    uint64_t own_writes = 0;  // carried Accord's origin marker
    uint64_t too_large = 0;   // refused by Kafka as larger than it takes
    uint64_t failed = 0;      // otherwise not acknowledged by Kafka
    std::string first_error;
  };
  // Waits for Kafka's acknowledgements and records the acknowledged ids in
  // the ledger, so a run that failed in part publishes only the rest again.
  Counts Flush();
  Counts counts() const;

  // An event Kafka refuses as too large (over the producer's limit, or the
  // broker's or topic's when below it): a bad record, which every retry
  // would send in vain, so the connector rejects it and goes on.
  struct Refused {
    std::string event_id;
    std::string reason;
    size_t bytes = 0;  // its Kafka message (kafka::MessageBytes)
  };
  // The ones the last Flush() found.
  const std::vector<Refused>& refused() const { return refused_; }

  struct Transaction {
    // Kafka has every event (now or before); else nothing was published.
    bool committed = false;
    // The events published or found published already, in order.
    std::vector<std::string> event_ids;
    uint64_t published = 0;
    uint64_t duplicates = 0;
    uint64_t own_writes = 0;
    // Set: an event over Kafka's limit refused the whole batch before a
    // transaction began.
    std::optional<Refused> too_large;
    // Why Kafka did not commit the batch.
    std::string error;
  };
  // Transactional only; thread-safe, one transaction per call.
  Transaction PublishAll(const std::vector<v1::Event>& events);
  // The producer's limit PublishAll() checks events against
  // (kafka::MessageMaxBytes).
  size_t max_message_bytes() const { return max_message_bytes_; }

 private:
  // Indexes counters_ and Counts' fields.
  enum Tally { kPublished, kDuplicate, kOwnWrite, kFailed, kTooLarge, kTallies };

  EventSink(const kafka::Config& kafka, const std::string& kind, metrics::Registry* registry);
  std::string TopicFor(const v1::Event& event) const;
  // Thread-safe.
  void Count(Tally tally, uint64_t n, const std::string& error = "");
  // Flushes the publisher and counts what it acknowledged and what failed;
  // returns the messages refused as too large.
  std::vector<kafka::Publisher::Failure> FlushPublisher();
  // Publishes messages refused as too large again, in halves until each
  // batch is taken or holds one message, which is then refused for good.
  void Retry(std::vector<kafka::Publisher::Failure> refused);

  // Streaming: the producer; transactional: `commit_`.
  std::optional<kafka::Publisher> publisher_;
  Commit commit_;
  size_t max_message_bytes_;
  std::unique_ptr<Ledger> ledger_;
  events::Topics topics_;
  // Published since the last Flush(): recorded in the ledger once acknowledged.
  std::unordered_set<std::string> unconfirmed_;
  uint64_t acknowledged_before_ = 0;
  mutable std::mutex counts_mutex_;
  Counts counts_;
  std::vector<Refused> refused_;
  std::array<metrics::Counter*, kTallies> counters_{};
};

}  // namespace accord::connectors
