#include "connectors/core/event_sink.h"

#include "connectors/core/ledger.h"
#include "core/events/envelope.h"

namespace accord::connectors {

EventSink::EventSink(const config::KafkaConfig& kafka, const std::string& kind,
                     const std::optional<std::string>& ledger_directory,
                     metrics::Registry* registry)
    : publisher_(kafka) {
  if (registry) {
    static constexpr const char* kOutcomes[] = {"published", "duplicate", "own_write", "failed"};
    for (size_t i = 0; i < counters_.size(); ++i)
      counters_[i] = &registry->GetCounter("accord_connector_events_total",
                                           "Events a connector handled, by outcome",
                                           {{"connector", kind}, {"outcome", kOutcomes[i]}});
  }
  if (ledger_directory)
    ledger_ = std::make_unique<Ledger>(!ledger_directory->empty()
                                           ? *ledger_directory
                                           : "var/" + kind + "-ledger/" + kafka.topic_prefix + "@" +
                                                 publisher_.ClusterId());
  events::Topics topics(kafka.topic_prefix);
  events_topic_ = topics.events;
  campaigns_topic_ = topics.campaigns;
}

EventSink::~EventSink() = default;

void EventSink::SkipOwnWrite() {
  ++counts_.own_writes;
  Count(2, 1);
}

void EventSink::Count(size_t outcome, uint64_t n) {
  if (counters_[outcome] && n > 0) counters_[outcome]->Add(n);
}

std::string EventSink::TopicFor(const v1::Event& event) const {
  return event.has_campaign_upserted() ? campaigns_topic_ : events_topic_;
}

EventSink::Outcome EventSink::Publish(const v1::Event& event) {
  if (event.origin() == v1::ORIGIN_ACCORD || event.source_system() == events::kAccordSystem) {
    SkipOwnWrite();
    return Outcome::kOwnWrite;
  }
  if (unconfirmed_.count(event.event_id()) || (ledger_ && ledger_->Contains(event.event_id()))) {
    ++counts_.duplicates;
    Count(1, 1);
    return Outcome::kDuplicate;
  }
  publisher_.Publish(TopicFor(event), events::MessageKey(event), event.SerializeAsString());
  unconfirmed_.insert(event.event_id());
  return Outcome::kQueued;
}

const EventSink::Counts& EventSink::Flush() {
  auto result = publisher_.Flush();
  const uint64_t acknowledged = result.delivered - acknowledged_before_;
  const uint64_t failed = result.failed - failed_before_;
  acknowledged_before_ = result.delivered;
  failed_before_ = result.failed;
  counts_.published += acknowledged;
  counts_.failed += failed;
  Count(0, acknowledged);
  Count(3, failed);
  if (counts_.first_error.empty()) counts_.first_error = result.first_error;
  // Which ones failed is not known: none of this window is recorded then, so
  // the next run publishes it again and consumers drop what did arrive.
  if (ledger_ && failed == 0 && !unconfirmed_.empty())
    ledger_->Record({unconfirmed_.begin(), unconfirmed_.end()});
  unconfirmed_.clear();
  return counts_;
}

}  // namespace accord::connectors
