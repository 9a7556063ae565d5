#include "connectors/publish/event_sink.h"

#include "connectors/publish/ledger.h"
#include "domain/events/envelope.h"

namespace accord::connectors {

std::string TooLargeForKafka(const v1::Event& event, size_t max_message_bytes) {
  const size_t bytes = kafka::MessageBytes(events::MessageKey(event).size(), event.ByteSizeLong());
  return bytes > max_message_bytes ? kafka::TooLargeReason(bytes, max_message_bytes) : "";
}

EventSink::EventSink(const kafka::Config& kafka, const std::string& kind,
                     const std::optional<std::string>& ledger_directory,
                     metrics::Registry* registry)
    : publisher_(kafka), topics_(kafka.topic_prefix) {
  if (registry) {
    static constexpr const char* kOutcomes[] = {"published", "duplicate", "own_write", "failed",
                                                "too_large"};
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
  return topics_.For(event);
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
  publisher_.Publish(TopicFor(event), events::MessageKey(event), event.SerializeAsString(), {},
                     event.event_id());
  unconfirmed_.insert(event.event_id());
  return Outcome::kQueued;
}

std::vector<kafka::Publisher::Failure> EventSink::FlushPublisher() {
  auto result = publisher_.Flush();
  const uint64_t acknowledged = result.delivered - acknowledged_before_;
  acknowledged_before_ = result.delivered;
  counts_.published += acknowledged;
  Count(0, acknowledged);
  std::vector<kafka::Publisher::Failure> too_large;
  for (auto& failure : result.failures) {
    if (failure.code == RdKafka::ERR_MSG_SIZE_TOO_LARGE) {
      too_large.push_back(std::move(failure));
      continue;
    }
    unconfirmed_.erase(failure.tag);
    ++counts_.failed;
    Count(3, 1);
    if (counts_.first_error.empty()) counts_.first_error = failure.error;
  }
  return too_large;
}

void EventSink::Retry(std::vector<kafka::Publisher::Failure> refused) {
  if (refused.size() == 1) {
    const auto& alone = refused.front();
    publisher_.Publish(alone.topic, alone.key, alone.value, {}, alone.tag);
    if (FlushPublisher().empty()) return;
    unconfirmed_.erase(alone.tag);
    refused_.push_back(
        {alone.tag, "Kafka refused the event of " +
                        std::to_string(kafka::MessageBytes(alone.key.size(), alone.value.size())) +
                        " bytes as too large (" + alone.error +
                        "): over the topic's max.message.bytes or the broker's message.max.bytes"});
    ++counts_.too_large;
    Count(4, 1);
    return;
  }
  const auto middle = refused.begin() + static_cast<std::ptrdiff_t>(refused.size() / 2);
  for (auto half : {std::vector(refused.begin(), middle), std::vector(middle, refused.end())}) {
    for (const auto& message : half)
      publisher_.Publish(message.topic, message.key, message.value, {}, message.tag);
    if (auto again = FlushPublisher(); !again.empty()) Retry(std::move(again));
  }
}

const EventSink::Counts& EventSink::Flush() {
  refused_.clear();
  // The broker refuses a whole batch for one message over its limit (the
  // topic's max.message.bytes, or its own message.max.bytes when below the
  // producer's): the batch's other messages are published again.
  if (auto too_large = FlushPublisher(); !too_large.empty()) Retry(std::move(too_large));
  // What is left was acknowledged. What failed is published again by the
  // next run (consumers drop any that arrived after all).
  if (ledger_ && !unconfirmed_.empty()) ledger_->Record({unconfirmed_.begin(), unconfirmed_.end()});
  unconfirmed_.clear();
  return counts_;
}

}  // namespace accord::connectors
