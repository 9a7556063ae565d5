#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "app/config/config.h"

namespace accord::feedback_service {

// Publishes a tick at `at_ms` to every partition of `events_topic` and waits
// until Kafka acknowledged them all; returns how many partitions.
int32_t PublishTicks(const kafka::Config& kafka, const std::string& events_topic, int64_t at_ms);

// Publishes ticks while the feedback service runs: at every multiple of
// `interval_ms` of the wall clock (the one place the clock is read; what it
// says becomes history in Kafka), the first at start for the interval under
// way. A failed publication is logged and tried again at the next interval.
class Ticker {
 public:
  Ticker(kafka::Config kafka, std::string events_topic, int64_t interval_ms);
  ~Ticker();

 private:
  void Run();

  const kafka::Config kafka_;
  const std::string events_topic_;
  const int64_t interval_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace accord::feedback_service
