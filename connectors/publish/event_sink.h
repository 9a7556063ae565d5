#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "accord/v1/event.pb.h"
#include "app/config/config.h"
#include "domain/events/envelope.h"
#include "io/kafka/client.h"
#include "io/metrics/metrics.h"

namespace accord::connectors {

class Ledger;

// Why Kafka cannot take `event` (its message over `max_message_bytes`,
// kafka::MessageMaxBytes), "" when it can: such an event is a bad record,
// which Kafka would refuse on every try.
std::string TooLargeForKafka(const v1::Event& event, size_t max_message_bytes);

// The one way connectors publish events: to the topic their payload belongs
// to, keyed for their customer (or campaign), through kafka::Publisher
// (idempotent, acks=all); never an event Accord wrote itself; and, with a
// ledger, never an event id published before.
class EventSink {
 public:
  // The ledger: a directory; "" for the default, var/<kind>-ledger/<topic
  // prefix>@<cluster id>, which starts empty when the cluster is created
  // anew; nullopt for none (every event is published; consumers still drop
  // duplicates by id). `kind` names the connector ("import", "cdc").
  // `registry` (optional) receives accord_connector_events_total by
  // connector (`kind`) and outcome.
  EventSink(const kafka::Config& kafka, const std::string& kind,
            const std::optional<std::string>& ledger_directory,
            metrics::Registry* registry = nullptr);
  ~EventSink();

  enum class Outcome { kQueued, kDuplicate, kOwnWrite };
  Outcome Publish(const v1::Event& event);
  // A record the connector recognised as Accord's own write-back before it
  // became an event (a mapping's skip_when).
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
  const Counts& Flush();
  const Counts& counts() const { return counts_; }

  // An event Kafka refused as too large (the broker's or topic's limit is
  // below the producer's): a bad record, which every retry would send in
  // vain, so the connector rejects it and goes on.
  struct Refused {
    std::string event_id;
    std::string reason;
  };
  // The ones the last Flush() found.
  const std::vector<Refused>& refused() const { return refused_; }

 private:
  std::string TopicFor(const v1::Event& event) const;
  void Count(size_t outcome, uint64_t n);
  // Flushes the publisher and counts what it acknowledged and what failed;
  // returns the messages refused as too large.
  std::vector<kafka::Publisher::Failure> FlushPublisher();
  // Publishes messages refused as too large again, in halves until each
  // batch is taken or holds one message, which is then refused for good.
  void Retry(std::vector<kafka::Publisher::Failure> refused);

  kafka::Publisher publisher_;
  std::unique_ptr<Ledger> ledger_;
  events::Topics topics_;
  // Published since the last Flush(): recorded in the ledger once acknowledged.
  std::unordered_set<std::string> unconfirmed_;
  uint64_t acknowledged_before_ = 0;
  Counts counts_;
  std::vector<Refused> refused_;
  // Indexed like the outcomes published, duplicate, own_write, failed, too_large.
  std::array<metrics::Counter*, 5> counters_{};
};

}  // namespace accord::connectors
