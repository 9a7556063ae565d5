#pragma once

#include <atomic>
#include <cstdint>
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
  };
  ProjectorStats Run(const RunOptions& options);

  // Called by the rebalance handler.
  void OnAssign(std::vector<std::pair<std::string, int32_t>> partitions);
  void OnRevoke();
  // Writes the pending batch with its offsets. Safe to call when empty.
  void FlushBatch();

 private:
  void Process(const RdKafka::Message& message);

  const config::AppConfig& config_;
  store::Store& store_;
  fold::Overlay overlay_;
  std::map<std::pair<std::string, int32_t>, int64_t> pending_offsets_;
  std::set<std::pair<std::string, int32_t>> assigned_;
  std::set<std::pair<std::string, int32_t>> at_end_;
  ProjectorStats stats_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  class Rebalancer;
  std::unique_ptr<Rebalancer> rebalancer_;
};

}  // namespace accord::project
