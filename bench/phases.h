#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/config/config.h"
#include "bench/measure.h"
#include "io/kafka/client.h"
#include "services/project/projector.h"

namespace accord::bench {

// What one consuming phase measured.
struct PhaseResult {
  std::string name;
  uint64_t messages = 0;
  uint64_t payload_bytes = 0;
  // Per batch: messages, and time from its first message to the end of its
  // RocksDB write (the projection's BatchReport definition).
  std::vector<size_t> batch_sizes;
  std::vector<double> batch_latency_s;
  // The whole phase: opening the store, creating the consumer, joining the
  // group, consuming, the last write. Closing is not included.
  Clock::duration wall{};
  // First message consumed to last batch written: the throughput window.
  Clock::duration steady{};
  Clock::duration cpu{};
  uint64_t peak_rss = 0;
  uint64_t store_bytes = 0;
  bool complete = false;
  std::string summary;  // phase-specific counts
  // The projection's and the replay's: the state hash of their store.
  std::string state_hash;
};

// When a batch is written: whichever comes first (the projection's rule,
// project.batch_max_messages and project.batch_max_ms).
struct BatchPolicy {
  size_t max_messages = 5000;
  std::chrono::milliseconds max_wait{200};
};

// Partitions of `topics` and their end offsets now; the sum of (end - start)
// is what a consumer from the beginning reads.
struct TopicExtent {
  std::string topic;
  int32_t partition;
  int64_t low;
  int64_t high;
};
std::vector<TopicExtent> QueryExtents(const kafka::Config& kafka,
                                      const std::vector<std::string>& topics);

// (a) The practical limit: a plain KafkaConsumer (own group) reads `topics`
// from the beginning to `extents`' end offsets, parses every message as an
// accord.v1.Event and writes its bytes under "topic/partition/offset" into a
// fresh RocksDB at `db_path`, one WriteBatch per batch, nothing else.
PhaseResult RunRawBaseline(const kafka::Config& kafka, const std::vector<TopicExtent>& extents,
                           const std::string& group_id, const std::string& db_path,
                           const BatchPolicy& policy);

// (b) The real projection (project::Projector over a fresh store::Store) in
// its own group, until caught up. With `replay`, (d) instead: accord replay's
// projector, reading every partition from the beginning to its end offset
// (the identity events (b) published included) and publishing nothing.
PhaseResult RunProjection(const config::AppConfig& config, uint64_t expected_messages,
                          const std::string& db_path, bool with_metrics,
                          std::optional<project::Projector::Replay> replay = std::nullopt);

// (c) Diagnostic, not run by default: the fold alone. The same workload
// (regenerated, `events` events) is decoded and folded batch by batch through
// fold::Overlay into an in-memory state (hash maps): no Kafka, no RocksDB.
// What is left is the CPU the fold itself needs per event, i.e. the ceiling
// of the projection however fast its store.
PhaseResult RunFoldOnly(const config::AppConfig& config, uint64_t events,
                        const BatchPolicy& policy);

}  // namespace accord::bench
