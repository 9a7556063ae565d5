#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "app/config/config.h"
#include "connectors/sink/target.h"
#include "io/metrics/metrics.h"

namespace accord::connectors::sink {

struct RunnerOptions {
  // What the sink reads: <prefix>.feedback, and for a chat sink also
  // <prefix>.events (won deals).
  bool with_events_topic = false;
  // The body delivered for an event; nullopt skips it.
  std::function<std::optional<std::string>(const v1::Event&)> render;
  // The sink's consumer group on <prefix>.feedback: its committed offsets
  // are the sink's position.
  std::string group_id;
  // Where the ids of delivered events are kept (a RocksDB directory).
  std::string ledger;
  // Customers delivered to at the same time (one request each); one
  // customer's events always go one after the other, in order.
  int max_in_flight = 4;
  int batch_max_messages = 500;
  bool until_caught_up = false;
  const std::atomic<bool>* stop = nullptr;
};

struct RunnerStats {
  uint64_t delivered = 0;
  // Events this sink does not deliver (a chat sink's score updates).
  uint64_t skipped = 0;
  // Events delivered before (a feedback service that folded again).
  uint64_t duplicates = 0;
  uint64_t dead_lettered = 0;
};

// Consumes <prefix>.feedback and delivers every event to `target`, a batch at
// a time: the batch's events are delivered (or dead-lettered to
// <prefix>.deadletter with the reason and the receiver's answer), their ids
// recorded in the ledger, the target synced, and only then the batch's
// offsets committed. A crash redelivers at most the batch it was in, with the
// same ids (the HTTP sink sends them as Idempotency-Key).
RunnerStats RunSink(const config::AppConfig& config, Target& target, const RunnerOptions& options,
                    metrics::Registry* registry);

}  // namespace accord::connectors::sink
