#include "connectors/publish/event_sink.h"

#include <stdexcept>

#include "connectors/publish/ledger.h"
#include "domain/events/echo.h"
#include "domain/events/envelope.h"

namespace accord::connectors {
namespace {

size_t KafkaMessageBytes(const v1::Event& event) {
  return kafka::MessageBytes(events::MessageKey(event).size(), event.ByteSizeLong());
}

}  // namespace

std::string TooLargeForKafka(const v1::Event& event, size_t max_message_bytes) {
  const size_t bytes = KafkaMessageBytes(event);
  return bytes > max_message_bytes ? kafka::TooLargeReason(bytes, max_message_bytes) : "";
}

EventSink::EventSink(const kafka::Config& kafka, const std::string& kind,
                     metrics::Registry* registry)
    : max_message_bytes_(kafka::MessageMaxBytes(kafka)), topics_(kafka.topic_prefix) {
  if (registry) {
    static constexpr const char* kOutcomes[kTallies] = {"published", "duplicate", "own_write",
                                                        "failed", "too_large"};
    for (size_t i = 0; i < counters_.size(); ++i)
      counters_[i] = &registry->GetCounter("accord_connector_events_total",
                                           "Events a connector handled, by outcome",
                                           {{"connector", kind}, {"outcome", kOutcomes[i]}});
  }
}

EventSink::EventSink(const kafka::Config& kafka, const std::string& kind,
                     const std::optional<std::string>& ledger_directory,
                     metrics::Registry* registry)
    : EventSink(kafka, kind, registry) {
  publisher_.emplace(kafka);
  if (ledger_directory)
    ledger_ = std::make_unique<Ledger>(!ledger_directory->empty()
                                           ? *ledger_directory
                                           : "var/" + kind + "-ledger/" + kafka.topic_prefix + "@" +
                                                 publisher_->ClusterId());
}

EventSink::EventSink(const kafka::Config& kafka, const std::string& kind, Commit commit,
                     metrics::Registry* registry)
    : EventSink(kafka, kind, registry) {
  commit_ = std::move(commit);
}

EventSink::~EventSink() = default;

void EventSink::SkipOwnWrite() {
  Count(kOwnWrite, 1);
}

void EventSink::Count(Tally tally, uint64_t n, const std::string& error) {
  if (n == 0) return;
  static constexpr uint64_t Counts::*kFields[kTallies] = {&Counts::published, &Counts::duplicates,
                                                          &Counts::own_writes, &Counts::failed,
                                                          &Counts::too_large};
  {
    std::lock_guard lock(counts_mutex_);
    counts_.*kFields[tally] += n;
    if (counts_.first_error.empty()) counts_.first_error = error;
  }
  if (counters_[tally]) counters_[tally]->Add(n);
}

EventSink::Counts EventSink::counts() const {
  std::lock_guard lock(counts_mutex_);
  return counts_;
}

std::string EventSink::TopicFor(const v1::Event& event) const {
  return topics_.For(event);
}

EventSink::Outcome EventSink::Publish(const v1::Event& event) {
  if (!publisher_) throw std::logic_error("EventSink::Publish() on a transactional sink");
  if (events::IsAccordsOwn(event)) {
    SkipOwnWrite();
    return Outcome::kOwnWrite;
  }
  if (unconfirmed_.count(event.event_id()) || (ledger_ && ledger_->Contains(event.event_id()))) {
    Count(kDuplicate, 1);
    return Outcome::kDuplicate;
  }
  publisher_->Publish(TopicFor(event), events::MessageKey(event), event.SerializeAsString(), {},
                      event.event_id());
  unconfirmed_.insert(event.event_id());
  return Outcome::kQueued;
}

std::vector<kafka::Publisher::Failure> EventSink::FlushPublisher() {
  auto result = publisher_->Flush();
  Count(kPublished, result.delivered - acknowledged_before_);
  acknowledged_before_ = result.delivered;
  std::vector<kafka::Publisher::Failure> too_large;
  for (auto& failure : result.failures) {
    if (failure.code == RdKafka::ERR_MSG_SIZE_TOO_LARGE) {
      too_large.push_back(std::move(failure));
      continue;
    }
    unconfirmed_.erase(failure.tag);
    Count(kFailed, 1, failure.error);
  }
  return too_large;
}

void EventSink::Retry(std::vector<kafka::Publisher::Failure> refused) {
  if (refused.size() == 1) {
    const auto& alone = refused.front();
    publisher_->Publish(alone.topic, alone.key, alone.value, {}, alone.tag);
    if (FlushPublisher().empty()) return;
    unconfirmed_.erase(alone.tag);
    const size_t bytes = kafka::MessageBytes(alone.key.size(), alone.value.size());
    refused_.push_back({alone.tag,
                        "Kafka refused the event of " + std::to_string(bytes) +
                            " bytes as too large (" + alone.error +
                            "): over the topic's max.message.bytes or the broker's "
                            "message.max.bytes",
                        bytes});
    Count(kTooLarge, 1);
    return;
  }
  const auto middle = refused.begin() + static_cast<std::ptrdiff_t>(refused.size() / 2);
  for (auto half : {std::vector(refused.begin(), middle), std::vector(middle, refused.end())}) {
    for (const auto& message : half)
      publisher_->Publish(message.topic, message.key, message.value, {}, message.tag);
    if (auto again = FlushPublisher(); !again.empty()) Retry(std::move(again));
  }
}

EventSink::Counts EventSink::Flush() {
  if (!publisher_) throw std::logic_error("EventSink::Flush() on a transactional sink");
  refused_.clear();
  // The broker refuses a whole batch for one message over its limit (the
  // topic's max.message.bytes, or its own message.max.bytes when below the
  // producer's): the batch's other messages are published again.
  if (auto too_large = FlushPublisher(); !too_large.empty()) Retry(std::move(too_large));
  // What is left was acknowledged. What failed is published again by the
  // next run (consumers drop any that arrived after all).
  if (ledger_ && !unconfirmed_.empty()) ledger_->Record({unconfirmed_.begin(), unconfirmed_.end()});
  unconfirmed_.clear();
  return counts();
}

EventSink::Transaction EventSink::PublishAll(const std::vector<v1::Event>& events) {
  if (!commit_) throw std::logic_error("EventSink::PublishAll() on a streaming sink");
  Transaction result;
  std::vector<kafka::TransactionalPublisher::Message> messages;
  messages.reserve(events.size());
  for (const auto& event : events) {
    if (events::IsAccordsOwn(event)) {
      ++result.own_writes;
      SkipOwnWrite();
      continue;
    }
    // Kafka would refuse it on every retry, and a sender told to retry
    // would try for ever: refused before any of the batch is published.
    const size_t bytes = KafkaMessageBytes(event);
    if (bytes > max_message_bytes_) {
      Count(kTooLarge, 1);
      result.too_large =
          Refused{event.event_id(), kafka::TooLargeReason(bytes, max_message_bytes_), bytes};
      result.event_ids.clear();
      return result;
    }
    messages.push_back(
        {TopicFor(event), events::MessageKey(event), event.SerializeAsString(), event.event_id()});
    result.event_ids.push_back(event.event_id());
  }
  if (messages.empty()) {
    result.committed = true;
    return result;
  }
  const auto outcome = commit_(messages);
  if (!outcome.committed) {
    Count(kFailed, messages.size(), outcome.error);
    result.error = outcome.error;
    result.event_ids.clear();
    return result;
  }
  Count(kPublished, outcome.published);
  Count(kDuplicate, outcome.duplicates);
  result.committed = true;
  result.published = outcome.published;
  result.duplicates = outcome.duplicates;
  return result;
}

}  // namespace accord::connectors
