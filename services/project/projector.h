#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "core/config/config.h"
#include "core/fold/overlay.h"
#include "core/store/store.h"

namespace RdKafka {
class KafkaConsumer;
class Message;
}  // namespace RdKafka

namespace accord::project {

// One batch written: how many messages it held and how long it took from
// its first message to the end of its RocksDB write.
struct BatchReport {
  size_t messages = 0;
  std::chrono::nanoseconds latency{0};
};

struct ProjectorStats {
  uint64_t messages = 0;
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  uint64_t ignored = 0;
  uint64_t unreadable = 0;
  uint64_t batches = 0;
};

// The projection: consumes the event topics as a member of a consumer group
// and folds them into its own RocksDB. Each batch's state changes and the
// next offsets go into one WriteBatch; on assignment the consumer seeks to
// the stored offsets, so a crash at any instant neither loses an event nor
// folds one twice.
class Projector {
 public:
  Projector(const config::AppConfig& config, store::Store& store);
  ~Projector();

  struct RunOptions {
    // Return once every assigned partition has reached its end.
    bool until_caught_up = false;
    // Set from a signal handler to stop after the current batch.
    const std::atomic<bool>* stop = nullptr;
    // Called after every batch write (metrics, benchmarks).
    std::function<void(const BatchReport&)> on_batch;
  };
  ProjectorStats Run(const RunOptions& options);

  // Called by the rebalance handler.
  void OnAssign(std::vector<std::pair<std::string, int32_t>> partitions);
  void OnRevoke();
  // Writes the pending batch with its offsets. Safe to call when empty.
  void FlushBatch();

 private:
  void Process(const RdKafka::Message& message);
  // "accord.events" -> "events": the stream name shards and offsets use.
  std::string StreamOf(const std::string& topic) const;

  const config::AppConfig& config_;
  store::Store& store_;
  fold::Overlay overlay_;
  std::map<std::pair<std::string, int32_t>, int64_t> pending_offsets_;
  std::set<std::pair<std::string, int32_t>> assigned_;
  std::set<std::pair<std::string, int32_t>> at_end_;
  ProjectorStats stats_;
  size_t batch_messages_ = 0;
  std::chrono::steady_clock::time_point batch_started_;
  std::function<void(const BatchReport&)> on_batch_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  class Rebalancer;
  std::unique_ptr<Rebalancer> rebalancer_;
};

}  // namespace accord::project
