#include "services/project/projector.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <thread>
#include <variant>

#include "domain/events/envelope.h"
#include "domain/fold/fold.h"
#include "domain/fold/overlay.h"
#include "domain/fold/shard.h"
#include "io/kafka/client.h"

namespace accord::project {

class Projector::Rebalancer : public RdKafka::RebalanceCb {
 public:
  explicit Rebalancer(Projector& projector) : projector_(projector) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      std::vector<std::pair<std::string, int32_t>> assigned;
      for (auto* tp : partitions) {
        // Resume exactly after the last offset whose effect is in the store;
        // Kafka's committed offsets are only a copy for lag tools.
        auto stored =
            projector_.store_.StoredOffset(projector_.StreamOf(tp->topic()), tp->partition());
        tp->set_offset(stored ? *stored : RdKafka::Topic::OFFSET_BEGINNING);
        assigned.emplace_back(tp->topic(), tp->partition());
        spdlog::info("assigned {}[{}] from offset {}", tp->topic(), tp->partition(),
                     stored ? std::to_string(*stored) : "beginning");
      }
      projector_.OnAssign(std::move(assigned));
      consumer->assign(partitions);
    } else {
      projector_.OnRevoke();
      consumer->unassign();
    }
  }

 private:
  Projector& projector_;
};

namespace {

// Copies of stored state kept in memory, shared out among the fold threads.
constexpr size_t kStateCacheBytes = 256u << 20;

constexpr std::string_view DecodeErrorCode(events::DecodeError error) {
  switch (error) {
    case events::DecodeError::kNotProtobuf:
      return "not_protobuf";
    case events::DecodeError::kFutureSchema:
      return "future_schema";
    case events::DecodeError::kInvalid:
      return "invalid";
    case events::DecodeError::kWrongKey:
      return "wrong_key";
    case events::DecodeError::kNone:
      break;
  }
  return "none";
}

}  // namespace

// Folds the messages of its partitions, in the order they are handed over,
// into an overlay of its own, and writes its share of each batch: its
// partitions' changes with their next offsets, in one WriteBatch. Shards are
// disjoint, so the workers write side by side, each while it folds on.
class Projector::FoldWorker {
 public:
  FoldWorker(Projector& projector, size_t cache_bytes)
      : projector_(projector),
        overlay_(projector.store_, cache_bytes),
        thread_([this] { Loop(); }) {}

  ~FoldWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
    // The writes read the overlay's sealed layers.
    for (auto& write : writes_) write.wait();
  }

  // Messages are handed over in chunks: waking a thread per message would
  // cost more than folding it.
  using Chunk = std::vector<std::unique_ptr<RdKafka::Message>>;
  void Enqueue(Chunk chunk) { Push(std::move(chunk)); }

  // Ends the worker's share of a batch after what was handed over before:
  // its changes are written with `offsets` once its dead letters and
  // emitted events are acknowledged, after its earlier shares, while it
  // folds the next messages. The future carries what stopped the worker or
  // the write.
  std::shared_future<BatchWrite::Written> Seal(std::vector<store::PartitionOffset> offsets) {
    SealRequest request{std::move(offsets), {}};
    auto written = request.written.get_future().share();
    Push(std::move(request));
    return written;
  }

 private:
  // Counter slots: one per fold::Verdict, then dead letters.
  static constexpr size_t kDeadLettered = 5;

  struct SealRequest {
    std::vector<store::PartitionOffset> offsets;
    std::promise<BatchWrite::Written> written;
  };
  using Work = std::variant<Chunk, SealRequest>;

  // What the fold asked to publish: dead letters and events for other
  // shards. Published by the write of the batch, before its offsets.
  struct Outgoing {
    std::string topic;
    std::string key;
    std::string value;
    kafka::Publisher::Headers headers;
    // To every partition of the topic rather than by key.
    bool every_partition = false;
  };

  void Push(Work work) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(work));
    }
    wake_.notify_one();
  }

  void Loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      Work work = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      TakeFinishedWrites();
      if (auto* chunk = std::get_if<Chunk>(&work)) {
        try {
          for (const auto& message : *chunk)
            if (!failure_) Fold(*message);
        } catch (...) {
          failure_ = std::current_exception();
        }
      } else {
        StartWrite(std::get<SealRequest>(std::move(work)));
      }
      lock.lock();
    }
  }

  // Drops the overlay's layers whose writes are stored, oldest first.
  void TakeFinishedWrites() {
    while (!failure_ && !writes_.empty() &&
           writes_.front().wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      try {
        writes_.front().get();
        overlay_.StoredSealed();
      } catch (...) {
        // The seal's future carries it to the projector.
        failure_ = std::current_exception();
      }
      writes_.pop_front();
    }
  }

  void StartWrite(SealRequest request) {
    if (failure_) {
      request.written.set_exception(failure_);
      return;
    }
    std::shared_future<void> previous;
    if (!writes_.empty()) previous = writes_.back();
    writes_.push_back(std::async(std::launch::async, [this, previous, &sealed = overlay_.Seal(),
                                                      outbox = std::exchange(outbox_, {}),
                                                      stats = std::exchange(stats_, {}),
                                                      request = std::move(request)]() mutable {
                        try {
                          // A share's offsets follow the ones before it.
                          if (previous.valid()) previous.get();
                          BatchWrite::Written written;
                          written.stats = stats;
                          written.delivered_to = Publish(outbox);
                          projector_.store_.Commit(sealed, request.offsets);
                          written.at = std::chrono::steady_clock::now();
                          request.written.set_value(std::move(written));
                        } catch (...) {
                          request.written.set_exception(std::current_exception());
                          throw;
                        }
                      }).share());
  }

  // Publishes the outbox and waits for Kafka to acknowledge it: once the
  // offsets are stored, the messages that caused it are never read again.
  // A crash before the store write folds them again and emits the same
  // ids, which their receivers drop. Returns where the messages landed.
  std::map<std::pair<std::string, int32_t>, int64_t> Publish(const std::vector<Outgoing>& outbox) {
    auto* publisher = projector_.publisher_.get();
    if (!publisher || outbox.empty()) return {};
    for (const auto& outgoing : outbox) {
      if (outgoing.every_partition) {
        auto& count = partition_counts_[outgoing.topic];
        if (count == 0) count = publisher->PartitionCount(outgoing.topic);
        for (int32_t partition = 0; partition < count; ++partition)
          publisher->PublishToPartition(outgoing.topic, partition, outgoing.key, outgoing.value);
      } else {
        publisher->Publish(outgoing.topic, outgoing.key, outgoing.value, outgoing.headers);
      }
    }
    auto result = publisher->Flush();
    if (result.failed > 0)
      throw kafka::KafkaError("Kafka did not acknowledge " + std::to_string(result.failed) +
                              " dead letters or emitted events: " + result.first_error);
    return std::move(result.delivered_to);
  }

  void Fold(const RdKafka::Message& message) {
    const std::string topic = message.topic_name();
    v1::Event event;
    auto decoded = events::DecodeEvent(
        std::string_view(static_cast<const char*>(message.payload()), message.len()), event);
    if (decoded.error == events::DecodeError::kNone)
      if (auto wrong = events::CheckMessageKey(event, message.key()); !wrong.empty())
        decoded = {events::DecodeError::kWrongKey, std::move(wrong)};
    if (decoded.error != events::DecodeError::kNone) {
      if (projector_.replay_)
        ++stats_.dead_lettered;  // parked by the live projection when it came
      else
        DeadLetter(message, decoded);
      Count(topic, kDeadLettered);
      return;
    }
    if (projector_.replay_ && projector_.replay_->until_ms &&
        event.occurred_at_ms() > *projector_.replay_->until_ms) {
      ++stats_.after_cut;
      return;
    }
    const std::string shard = fold::ShardPrefix(projector_.StreamOf(topic), message.partition());
    auto outcome =
        fold::Apply(fold::ShardView(overlay_, shard), event, projector_.config_.fold.rules);
    fold::MoveIntoShard(outcome.changes, shard);
    // Indexed by fold::Verdict.
    static constexpr uint64_t ProjectorStats::*kCountOf[] = {
        &ProjectorStats::applied, &ProjectorStats::duplicates, &ProjectorStats::ignored,
        &ProjectorStats::forwarded, &ProjectorStats::identity};
    static_assert(std::size(kCountOf) == kDeadLettered &&
                  static_cast<size_t>(fold::Verdict::kIdentity) + 1 == kDeadLettered);
    const auto verdict = static_cast<size_t>(outcome.verdict);
    ++(stats_.*kCountOf[verdict]);
    Count(topic, verdict);
    overlay_.Record(outcome.changes);
    for (const auto& emitted : outcome.emitted) {
      outbox_.push_back(
          {projector_.events_topic_, emitted.customer_key(), emitted.SerializeAsString(), {}});
      ++stats_.emitted;
    }
    const auto& feedback_fold = projector_.feedback_fold_;
    if (feedback_fold && feedback::TakesEvent(outcome, event)) {
      // Sees the customer as the projection's fold just left it.
      auto scored =
          feedback_fold->apply(fold::ShardView(overlay_, shard), event, outcome.customer_id);
      fold::MoveIntoShard(scored.changes, shard);
      overlay_.Record(scored.changes);
      for (const auto& emitted : scored.emitted) {
        outbox_.push_back(
            {feedback_fold->topic, events::MessageKey(emitted), emitted.SerializeAsString(), {}});
        ++stats_.feedback_emitted;
      }
      for (const auto& internal : scored.internal)
        outbox_.push_back({projector_.events_topic_,
                           events::MessageKey(internal),
                           internal.SerializeAsString(),
                           {}});
      for (const auto& broadcast : scored.broadcast)
        outbox_.push_back({projector_.events_topic_,
                           events::MessageKey(broadcast),
                           broadcast.SerializeAsString(),
                           {},
                           /*every_partition=*/true});
    }
  }

  // Parks a message that cannot be folded in the dead-letter topic, with
  // headers naming the reason and where it came from.
  void DeadLetter(const RdKafka::Message& message, const events::Decoded& decoded) {
    spdlog::warn("dead-lettering message {}[{}]@{}: {}", message.topic_name(), message.partition(),
                 message.offset(), decoded.reason);
    std::string key = message.key() ? *message.key() : std::string();
    std::string value(static_cast<const char*>(message.payload()), message.len());
    outbox_.push_back({events::Topics(projector_.config_.kafka.topic_prefix).deadletter,
                       std::move(key), std::move(value),
                       kafka::DeadLetterHeaders(message, decoded.reason,
                                                std::string(DecodeErrorCode(decoded.error)))});
    ++stats_.dead_lettered;
    if (projector_.registry_)
      projector_.registry_
          ->GetCounter("accord_projection_deadletters_total",
                       "Messages parked in the dead-letter topic, by reason",
                       {{"reason", std::string(DecodeErrorCode(decoded.error))}})
          .Add();
  }

  void Count(const std::string& topic, size_t slot) {
    if (!projector_.registry_) return;
    // Looked up once per topic: the registry's lookup locks and builds
    // labels, which the per-message path should not pay.
    auto& counters = counters_[topic];
    if (counters[0] == nullptr) {
      static constexpr std::string_view kNames[] = {"applied",   "duplicate", "ignored",
                                                    "forwarded", "identity",  "dead_lettered"};
      for (size_t i = 0; i < counters.size(); ++i)
        counters[i] = &projector_.registry_->GetCounter(
            "accord_projection_events_total",
            "Messages the projection consumed, by topic and outcome",
            {{"topic", topic}, {"outcome", std::string(kNames[i])}});
    }
    counters[slot]->Add();
  }

  Projector& projector_;
  fold::Overlay overlay_;
  std::map<std::string, std::array<metrics::Counter*, kDeadLettered + 1>> counters_;
  ProjectorStats stats_;
  std::vector<Outgoing> outbox_;
  // Partitions of the topics the fold broadcasts to, looked up once.
  std::map<std::string, int32_t> partition_counts_;
  // This worker's shares being written, oldest first.
  std::deque<std::shared_future<void>> writes_;
  std::exception_ptr failure_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Work> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

Projector::Projector(const config::AppConfig& config, store::Store& store,
                     metrics::Registry* registry, std::optional<FeedbackFold> feedback_fold,
                     std::optional<Replay> replay)
    : config_(config),
      store_(store),
      registry_(registry),
      feedback_fold_(std::move(feedback_fold)),
      replay_(std::move(replay)),
      events_topic_(events::Topics(config.kafka.topic_prefix).events),
      rebalancer_(new Rebalancer(*this)) {
  std::map<std::string, std::string> settings = {
      // A replay assigns its partitions itself and joins no group.
      {"group.id", config.project.group_id + (replay_ ? ".replay" : "")},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "true"},
      {"partition.assignment.strategy", "range"},
  };
  if (!config.project.instance_id.empty())
    settings["group.instance.id"] = config.project.instance_id;
  auto conf = kafka::MakeConf(config.kafka, settings);
  std::string error;
  if (conf->set("rebalance_cb", rebalancer_.get(), error) != RdKafka::Conf::CONF_OK)
    throw kafka::KafkaError("cannot configure consumer: " + error);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) throw kafka::KafkaError("cannot create Kafka consumer: " + error);
  kafka::RequireReachable(*consumer_, config.kafka);
  // A subscription to a missing topic would wait silently for the next
  // metadata refresh (minutes); say what is missing instead.
  events::Topics topics(config.kafka.topic_prefix);
  std::vector<std::string> required = {topics.events, topics.campaigns, topics.deadletter};
  if (feedback_fold_) required.push_back(feedback_fold_->topic);
  kafka::RequireTopics(*consumer_, config.kafka, required);
  if (!replay_) publisher_ = std::make_unique<kafka::Publisher>(config.kafka);
  const size_t threads = static_cast<size_t>(config.project.fold_threads);
  for (size_t i = 0; i < threads; ++i)
    workers_.push_back(std::make_unique<FoldWorker>(*this, kStateCacheBytes / threads));
  staged_.resize(threads);
}

Projector::~Projector() {
  // Let the writes under way finish: each is a batch's state with its offsets.
  for (auto& write : writes_)
    for (auto& share : write->shares) share.wait();
  workers_.clear();
  if (consumer_) consumer_->close();
}

std::string Projector::StreamOf(const std::string& topic) const {
  return topic.substr(config_.kafka.topic_prefix.size() + 1);
}

void Projector::OnAssign(std::vector<std::pair<std::string, int32_t>> partitions) {
  assigned_.clear();
  at_end_.clear();
  assigned_.insert(partitions.begin(), partitions.end());
  // A partition with nothing folded yet is stored at offset 0, so that the
  // store's offsets name every partition it folds: a snapshot's or a
  // replay's offsets are then a complete --until-offsets list.
  std::vector<store::PartitionOffset> unseen;
  for (const auto& tp : partitions) {
    auto stored = store_.StoredOffset(StreamOf(tp.first), tp.second);
    if (!stored) unseen.push_back({StreamOf(tp.first), tp.second, 0});
    positions_[tp] = stored.value_or(0);
    if (ready_targets_known_) continue;
    int64_t low = 0, high = 0;
    auto err = consumer_->query_watermark_offsets(tp.first, tp.second, &low, &high,
                                                  config_.kafka.connect_timeout_ms);
    if (err != RdKafka::ERR_NO_ERROR)
      throw kafka::KafkaError("cannot read end offset of " + tp.first + "[" +
                              std::to_string(tp.second) + "]: " + RdKafka::err2str(err));
    ready_targets_[tp] = high;
  }
  ready_targets_known_ = true;
  // Nothing of these partitions is being written: a revocation finished
  // every write before this assignment.
  if (!unseen.empty()) store_.Commit(fold::Overlay::Writes{}, unseen);
  UpdateReadiness();
}

void Projector::OnRevoke() {
  // The partitions may go to another instance: what this one folded must be
  // stored, with its offsets, before it lets go.
  FlushBatch();
  FinishWrites();
  assigned_.clear();
  at_end_.clear();
}

void Projector::UpdateReadiness() {
  if (ready_.load()) return;
  for (const auto& [tp, target] : ready_targets_) {
    auto position = positions_.find(tp);
    // A partition now served by another instance is that instance's concern.
    if (!assigned_.count(tp)) continue;
    if (position == positions_.end() || position->second < target) return;
  }
  ready_.store(true);
  if (!replay_) spdlog::info("caught up with the end offsets seen at start: ready");
}

void Projector::FlushBatch() {
  if (pending_offsets_.empty()) return;
  while (!writes_.empty() && (writes_.size() >= kWritesInFlight || writes_.front()->Done()))
    FinishOldestWrite();
  std::vector<std::vector<store::PartitionOffset>> offsets(workers_.size());
  for (const auto& [tp, next] : pending_offsets_)
    offsets[WorkerOf(tp.second)].push_back({StreamOf(tp.first), tp.second, next});
  auto write = std::make_unique<BatchWrite>();
  write->offsets = std::move(pending_offsets_);
  write->messages = std::exchange(batch_messages_, 0);
  write->started = batch_started_;
  for (size_t i = 0; i < workers_.size(); ++i) {
    // A worker that got nothing of this batch has nothing to write.
    if (offsets[i].empty()) continue;
    if (!staged_[i].empty()) workers_[i]->Enqueue(std::exchange(staged_[i], {}));
    write->shares.push_back(workers_[i]->Seal(std::move(offsets[i])));
  }
  writes_.push_back(std::move(write));
  pending_offsets_.clear();
}

void Projector::FinishWrites() {
  while (!writes_.empty()) FinishOldestWrite();
}

void Projector::FinishOldestWrite() {
  auto write = std::move(writes_.front());
  writes_.pop_front();
  std::chrono::steady_clock::time_point written_at;
  std::map<std::pair<std::string, int32_t>, int64_t> delivered_to;
  for (const auto& share : write->shares) {
    const auto& written = share.get();
    stats_ += written.stats;
    written_at = std::max(written_at, written.at);
    for (const auto& [tp, offset] : written.delivered_to)
      delivered_to[tp] = std::max(delivered_to[tp], offset);
  }
  auto latency = written_at - write->started;
  std::vector<RdKafka::TopicPartition*> commits;
  for (const auto& [tp, next] : write->offsets) {
    positions_[tp] = next;
    commits.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, next));
  }
  // A partition that received a dead letter or an emitted event is not at
  // its end any more, unless the consumer already read past it.
  for (const auto& [tp, offset] : delivered_to) {
    int64_t& published = published_up_to_[tp];
    published = std::max(published, offset);
    if (ConsumedUpTo(tp) <= offset) at_end_.erase(tp);
  }
  ++stats_.batches;
  // After the WriteBatch, and only as a copy: lag tools read committed
  // offsets. A replay belongs to no group.
  if (!replay_) consumer_->commitAsync(commits);
  RdKafka::TopicPartition::destroy(commits);
  if (registry_) {
    registry_
        ->GetHistogram("accord_projection_batch_seconds",
                       "Time from a batch's first message to its RocksDB write",
                       {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5})
        .Observe(std::chrono::duration<double>(latency).count());
    ReportLag();
  }
  if (on_batch_) on_batch_({write->messages, latency});
  UpdateReadiness();
}

int64_t Projector::ConsumedUpTo(const std::pair<std::string, int32_t>& tp) const {
  if (auto pending = pending_offsets_.find(tp); pending != pending_offsets_.end())
    return pending->second;
  for (auto write = writes_.rbegin(); write != writes_.rend(); ++write)
    if (auto offset = (*write)->offsets.find(tp); offset != (*write)->offsets.end())
      return offset->second;
  auto position = positions_.find(tp);
  return position != positions_.end() ? position->second : 0;
}

void Projector::ReportLag() {
  for (const auto& tp : assigned_) {
    int64_t low = 0, high = 0;
    // Cached from fetch responses: no request to the broker.
    if (consumer_->get_watermark_offsets(tp.first, tp.second, &low, &high) !=
            RdKafka::ERR_NO_ERROR ||
        high < 0)
      continue;
    auto position = positions_.find(tp);
    int64_t lag = high - (position == positions_.end() ? 0 : position->second);
    registry_
        ->GetGauge("accord_projection_consumer_lag",
                   "Messages in the partition not yet folded into this instance's state",
                   {{"topic", tp.first}, {"partition", std::to_string(tp.second)}})
        .Set(static_cast<double>(std::max<int64_t>(lag, 0)));
  }
}

ProjectorStats& ProjectorStats::operator+=(const ProjectorStats& other) {
  messages += other.messages;
  applied += other.applied;
  duplicates += other.duplicates;
  ignored += other.ignored;
  forwarded += other.forwarded;
  identity += other.identity;
  dead_lettered += other.dead_lettered;
  after_cut += other.after_cut;
  emitted += other.emitted;
  feedback_emitted += other.feedback_emitted;
  batches += other.batches;
  return *this;
}

void Projector::Dispatch(std::unique_ptr<RdKafka::Message> message) {
  constexpr size_t kChunkMessages = 256;
  ++stats_.messages;
  pending_offsets_[{message->topic_name(), message->partition()}] = message->offset() + 1;
  const size_t index = WorkerOf(message->partition());
  auto& chunk = staged_[index];
  chunk.push_back(std::move(message));
  if (chunk.size() >= kChunkMessages) workers_[index]->Enqueue(std::exchange(chunk, {}));
}

bool Projector::AtEnd() const {
  if (replay_) return replay_finished_.size() == replay_->end_offsets.size();
  return !assigned_.empty() && at_end_.size() == assigned_.size();
}

void Projector::StartReplay() {
  std::vector<RdKafka::TopicPartition*> partitions;
  std::vector<std::pair<std::string, int32_t>> assigned;
  for (const auto& [tp, end] : replay_->end_offsets) {
    auto stored = store_.StoredOffset(StreamOf(tp.first), tp.second);
    partitions.push_back(RdKafka::TopicPartition::create(
        tp.first, tp.second, stored ? *stored : RdKafka::Topic::OFFSET_BEGINNING));
    assigned.push_back(tp);
    if (stored.value_or(0) >= end) replay_finished_.insert(tp);
  }
  ready_targets_ = replay_->end_offsets;
  ready_targets_known_ = true;
  OnAssign(std::move(assigned));
  auto err = consumer_->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  if (err != RdKafka::ERR_NO_ERROR)
    throw kafka::KafkaError("cannot read the event topics: " + RdKafka::err2str(err));
}

bool Projector::PastReplayEnd(const RdKafka::Message& message) {
  std::pair<std::string, int32_t> tp(message.topic_name(), message.partition());
  const int64_t end = replay_->end_offsets.at(tp);
  if (message.offset() + 1 >= end) FinishReplayOf(tp);
  return message.offset() >= end;
}

void Projector::FinishReplayOf(const std::pair<std::string, int32_t>& tp) {
  if (!replay_finished_.insert(tp).second) return;
  // What was written after the end offset is no part of the replay.
  std::vector<RdKafka::TopicPartition*> partition = {
      RdKafka::TopicPartition::create(tp.first, tp.second)};
  consumer_->pause(partition);
  RdKafka::TopicPartition::destroy(partition);
}

ProjectorStats Projector::Run(const RunOptions& options) {
  if (replay_) {
    StartReplay();
  } else {
    events::Topics topics(config_.kafka.topic_prefix);
    auto err = consumer_->subscribe({topics.events, topics.campaigns});
    if (err != RdKafka::ERR_NO_ERROR)
      throw kafka::KafkaError("cannot subscribe: " + RdKafka::err2str(err));
  }

  using Clock = std::chrono::steady_clock;
  const auto batch_window = std::chrono::milliseconds(config_.project.batch_max_ms);
  on_batch_ = options.on_batch;
  auto last_report = Clock::now();
  uint64_t last_reported_messages = 0;

  while (!(options.stop && options.stop->load())) {
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(50));
    const RdKafka::ErrorCode consumed = message->err();
    switch (consumed) {
      case RdKafka::ERR_NO_ERROR:
        if (replay_ && PastReplayEnd(*message)) break;
        if (batch_messages_ == 0) batch_started_ = Clock::now();
        ++batch_messages_;
        at_end_.erase({message->topic_name(), message->partition()});
        Dispatch(std::move(message));
        break;
      case RdKafka::ERR__PARTITION_EOF: {
        std::pair<std::string, int32_t> tp(message->topic_name(), message->partition());
        if (replay_) {
          // The last offsets before the end may hold no message (a
          // transaction's commit marker).
          if (message->offset() >= replay_->end_offsets.at(tp)) FinishReplayOf(tp);
          break;
        }
        // An end reached before this instance published there is no end.
        auto published = published_up_to_.find(tp);
        if (published == published_up_to_.end() || message->offset() > published->second)
          at_end_.insert(std::move(tp));
        break;
      }
      case RdKafka::ERR__TIMED_OUT:
        break;
      default:
        // Transient cluster trouble (broker restart, leader change): librdkafka
        // retries by itself; the position is in the store, nothing is lost.
        spdlog::warn("consumer: {}", message->errstr());
        if (message->err() == RdKafka::ERR__FATAL)
          throw kafka::KafkaError("fatal consumer error: " + message->errstr());
    }
    bool at_end = AtEnd();
    if (batch_messages_ > 0 &&
        (batch_messages_ >= static_cast<size_t>(config_.project.batch_max_messages) ||
         Clock::now() - batch_started_ >= batch_window || at_end ||
         consumed == RdKafka::ERR__TIMED_OUT))
      FlushBatch();
    if (Clock::now() - last_report >= std::chrono::seconds(10)) {
      spdlog::info(
          "projected {} messages ({}/s), {} applied, {} duplicates, {} dead-lettered",
          stats_.messages,
          (stats_.messages - last_reported_messages) /
              std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - last_report).count(),
          stats_.applied, stats_.duplicates, stats_.dead_lettered);
      last_report = Clock::now();
      last_reported_messages = stats_.messages;
    }
    // Idle: let the last writes' offsets count (readiness, lag). Their
    // emitted events may also land in partitions thought at their end.
    if (batch_messages_ == 0 && consumed != RdKafka::ERR_NO_ERROR) FinishWrites();
    if ((options.until_caught_up || replay_) && AtEnd() && batch_messages_ == 0 && writes_.empty())
      break;
  }
  FlushBatch();
  FinishWrites();
  return stats_;
}

}  // namespace accord::project
