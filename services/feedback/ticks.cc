#include "services/feedback/ticks.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "domain/events/envelope.h"
#include "domain/feedback/emit.h"
#include "domain/util/time.h"
#include "io/kafka/client.h"

namespace accord::feedback_service {

int32_t PublishTicks(const kafka::Config& kafka, const std::string& events_topic, int64_t at_ms) {
  kafka::Publisher publisher(kafka);
  const int32_t partitions = publisher.PartitionCount(events_topic);
  for (int32_t partition = 0; partition < partitions; ++partition) {
    auto tick = feedback::MakeTick(partition, at_ms);
    publisher.PublishToPartition(events_topic, partition, events::MessageKey(tick),
                                 tick.SerializeAsString());
  }
  auto result = publisher.Flush();
  if (result.failed > 0)
    throw kafka::KafkaError("cannot publish ticks to " + events_topic + ": " + result.first_error);
  return partitions;
}

Ticker::Ticker(kafka::Config kafka, std::string events_topic, int64_t interval_ms)
    : kafka_(std::move(kafka)),
      events_topic_(std::move(events_topic)),
      interval_ms_(interval_ms),
      thread_([this] { Run(); }) {}

Ticker::~Ticker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Ticker::Run() {
  using Clock = std::chrono::system_clock;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
            .count();
    const int64_t due = now / interval_ms_ * interval_ms_;
    lock.unlock();
    try {
      const auto partitions = PublishTicks(kafka_, events_topic_, due);
      spdlog::info("ticked {} partitions of {} at {}", partitions, events_topic_,
                   FormatIsoTimestampMs(due));
    } catch (const std::exception& e) {
      spdlog::warn("cannot tick, trying again at the next interval: {}", e.what());
    }
    lock.lock();
    const Clock::time_point next{std::chrono::milliseconds(due + interval_ms_)};
    wake_.wait_until(lock, next, [this] { return stop_; });
  }
}

}  // namespace accord::feedback_service
