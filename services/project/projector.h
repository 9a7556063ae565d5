#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/config/config.h"
#include "domain/events/envelope.h"
#include "domain/feedback/score.h"
#include "io/kafka/client.h"
#include "io/metrics/metrics.h"
#include "io/store/store.h"

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
  ProjectorStats& operator+=(const ProjectorStats& other);

  uint64_t messages = 0;
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  uint64_t ignored = 0;
  uint64_t forwarded = 0;
  // The projection's own identity events folded (identity.proto).
  uint64_t identity = 0;
  uint64_t dead_lettered = 0;
  // Events a replay skipped because they occurred after its --until.
  uint64_t after_cut = 0;
  // Events the fold addressed to other shards (identity claims, merges,
  // moved customers, forwarded events), published to the events topic.
  uint64_t emitted = 0;
  // Events the feedback fold emitted (feedback events).
  uint64_t feedback_emitted = 0;
  uint64_t batches = 0;
};

// The projection: consumes the event topics as a member of a consumer group
// and folds them into its own RocksDB. The changes a batch made to a
// partition's shard and the partition's next offset go into one WriteBatch;
// on assignment the consumer seeks to the stored offsets, so a crash at any
// instant neither loses an event nor folds one twice.
//
// project.fold_threads threads fold in parallel. Shards are disjoint, so each
// thread takes whole partitions (always the same ones) and folds them in
// partition order: the state is the same for any number of threads.
class Projector {
 public:
  // A second fold run after the projection's on every event it applied to a
  // customer, in the same shard, batch and WriteBatch (the feedback
  // service's scores). Its events go to `topic`, published, like the
  // projection's own, before the batch's offsets are stored.
  struct FeedbackFold {
    std::string topic;
    std::function<feedback::FeedbackOutcome(const fold::StateReader& shard, const v1::Event& event,
                                            const std::string& customer_id)>
        apply;
  };

  // A point-in-time replay (accord replay) instead of a group member: the
  // projector reads each partition by itself from its stored offset (the
  // beginning, in a fresh store) up to its end offset, folds only the events
  // that occurred at or before `until_ms`, and publishes nothing. The events
  // the live projection emitted for other shards, and its dead letters, are
  // in the history already.
  struct Replay {
    // Per topic and partition: the offset to stop before.
    std::map<std::pair<std::string, int32_t>, int64_t> end_offsets;
    std::optional<int64_t> until_ms;
  };

  // `registry` (optional) receives the projection's metrics: events by
  // outcome, dead letters, batch latency, consumer lag per partition.
  Projector(const config::AppConfig& config, store::Store& store,
            metrics::Registry* registry = nullptr, std::optional<FeedbackFold> feedback_fold = {},
            std::optional<Replay> replay = {});
  ~Projector();

  struct RunOptions {
    // Return once every assigned partition has reached its end (a replay
    // always returns at its end offsets).
    bool until_caught_up = false;
    // Set from a signal handler to stop after the current batch.
    const std::atomic<bool>* stop = nullptr;
    // Called after every batch write (metrics, benchmarks).
    std::function<void(const BatchReport&)> on_batch;
  };
  ProjectorStats Run(const RunOptions& options);

  // True once every partition assigned at the first assignment has been
  // folded up to the end offset it had then. Safe to call from any thread.
  bool Ready() const { return ready_.load(); }

  // Called by the rebalance handler.
  void OnAssign(std::vector<std::pair<std::string, int32_t>> partitions);
  void OnRevoke();
  // Starts writing the pending batch with its offsets; the write runs while
  // the next batch is folded. Safe to call when empty.
  void FlushBatch();
  // Waits for the batches being written and takes their offsets as folded.
  void FinishWrites();

 private:
  class FoldWorker;
  // Hands the message to the thread that folds its partition.
  void Dispatch(std::unique_ptr<RdKafka::Message> message);
  void FinishOldestWrite();
  size_t WorkerOf(int32_t partition) const {
    return static_cast<size_t>(partition) % workers_.size();
  }
  // The next offset of the partition after what the consumer handed over.
  int64_t ConsumedUpTo(const std::pair<std::string, int32_t>& tp) const;
  void ReportLag();
  void UpdateReadiness();
  // Every partition folded to its end: of the log (a group member, as far
  // as it knows) or of the replay.
  bool AtEnd() const;
  void StartReplay();
  // Whether a replay has read past the end offset of the message's
  // partition; the partition is then paused.
  bool PastReplayEnd(const RdKafka::Message& message);
  void FinishReplayOf(const std::pair<std::string, int32_t>& tp);
  // "accord.events" -> "events": the stream name shards and offsets use.
  std::string StreamOf(const std::string& topic) const;

  const config::AppConfig& config_;
  store::Store& store_;
  std::map<std::pair<std::string, int32_t>, int64_t> pending_offsets_;
  std::set<std::pair<std::string, int32_t>> assigned_;
  std::set<std::pair<std::string, int32_t>> at_end_;
  // Highest offset this instance published to (emitted identity events).
  std::map<std::pair<std::string, int32_t>, int64_t> published_up_to_;
  ProjectorStats stats_;
  size_t batch_messages_ = 0;
  std::chrono::steady_clock::time_point batch_started_;
  std::function<void(const BatchReport&)> on_batch_;
  metrics::Registry* registry_;
  const std::optional<FeedbackFold> feedback_fold_;
  const std::optional<Replay> replay_;
  // Partitions a replay has read to their end offset.
  std::set<std::pair<std::string, int32_t>> replay_finished_;
  const std::string events_topic_;
  std::atomic<bool> ready_{false};
  // End offsets at the first assignment; readiness means reaching them.
  std::map<std::pair<std::string, int32_t>, int64_t> ready_targets_;
  bool ready_targets_known_ = false;
  // Next offset folded into the store, per assigned partition.
  std::map<std::pair<std::string, int32_t>, int64_t> positions_;
  // Dead letters and the events the fold emits for other shards, published
  // by the fold threads' writes (librdkafka's producer is thread-safe). None
  // in a replay.
  std::unique_ptr<kafka::Publisher> publisher_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::vector<std::unique_ptr<FoldWorker>> workers_;
  // Messages for each worker not handed over yet.
  std::vector<std::vector<std::unique_ptr<RdKafka::Message>>> staged_;
  // A batch being written while the next one is folded: each fold thread
  // writes its share (its partitions' changes and offsets) by itself.
  struct BatchWrite {
    std::map<std::pair<std::string, int32_t>, int64_t> offsets;
    size_t messages = 0;
    std::chrono::steady_clock::time_point started;
    struct Written {
      std::chrono::steady_clock::time_point at;
      // Where the share's dead letters and emitted events landed.
      std::map<std::pair<std::string, int32_t>, int64_t> delivered_to;
      // What the fold thread did in the share.
      ProjectorStats stats;
    };
    std::vector<std::shared_future<Written>> shares;
    bool Done() const {
      for (const auto& share : shares)
        if (share.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
      return true;
    }
  };
  // Batches being written, oldest first. Up to kWritesInFlight, so the fold
  // threads rarely wait for RocksDB.
  static constexpr size_t kWritesInFlight = 2;
  std::deque<std::unique_ptr<BatchWrite>> writes_;
  class Rebalancer;
  std::unique_ptr<Rebalancer> rebalancer_;
};

}  // namespace accord::project
