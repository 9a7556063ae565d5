#include "services/project/projector.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "core/events/envelope.h"
#include "core/fold/fold.h"
#include "core/fold/shard.h"
#include "core/kafka/client.h"

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

Projector::Projector(const config::AppConfig& config, store::Store& store)
    : config_(config), store_(store), overlay_(store), rebalancer_(new Rebalancer(*this)) {
  std::map<std::string, std::string> settings = {
      {"group.id", config.project.group_id}, {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"}, {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "true"},      {"partition.assignment.strategy", "range"},
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
}

Projector::~Projector() {
  if (consumer_) consumer_->close();
}

std::string Projector::StreamOf(const std::string& topic) const {
  return topic.substr(config_.kafka.topic_prefix.size() + 1);
}

void Projector::OnAssign(std::vector<std::pair<std::string, int32_t>> partitions) {
  assigned_.clear();
  at_end_.clear();
  assigned_.insert(partitions.begin(), partitions.end());
}

void Projector::OnRevoke() {
  // The partitions may go to another instance: what this one folded must be
  // stored, with its offsets, before it lets go.
  FlushBatch();
  assigned_.clear();
  at_end_.clear();
}

void Projector::FlushBatch() {
  if (pending_offsets_.empty()) return;
  std::vector<store::PartitionOffset> offsets;
  std::vector<RdKafka::TopicPartition*> commits;
  for (const auto& [tp, next] : pending_offsets_) {
    offsets.push_back({StreamOf(tp.first), tp.second, next});
    commits.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, next));
  }
  store_.Commit(overlay_, offsets);
  overlay_.Clear();
  pending_offsets_.clear();
  ++stats_.batches;
  if (on_batch_) on_batch_({batch_messages_, std::chrono::steady_clock::now() - batch_started_});
  batch_messages_ = 0;
  // After the WriteBatch, and only as a copy: lag tools read committed offsets.
  consumer_->commitAsync(commits);
  RdKafka::TopicPartition::destroy(commits);
}

void Projector::Process(const RdKafka::Message& message) {
  ++stats_.messages;
  const std::string topic = message.topic_name();
  v1::Event event;
  auto decoded = events::DecodeEvent(
      std::string_view(static_cast<const char*>(message.payload()), message.len()), event);
  if (decoded.error != events::DecodeError::kNone) {
    ++stats_.unreadable;
    spdlog::warn("skipping message {}[{}]@{}: {}", topic, message.partition(), message.offset(),
                 decoded.reason);
  } else {
    const std::string shard = fold::ShardPrefix(StreamOf(topic), message.partition());
    auto outcome = fold::Apply(fold::ShardView(overlay_, shard), event);
    fold::MoveIntoShard(outcome.changes, shard);
    switch (outcome.verdict) {
      case fold::Verdict::kApplied:
        ++stats_.applied;
        break;
      case fold::Verdict::kDuplicate:
        ++stats_.duplicates;
        break;
      case fold::Verdict::kIgnored:
        ++stats_.ignored;
        break;
    }
    overlay_.Record(outcome.changes);
  }
  pending_offsets_[{topic, message.partition()}] = message.offset() + 1;
}

ProjectorStats Projector::Run(const RunOptions& options) {
  events::Topics topics(config_.kafka.topic_prefix);
  auto err = consumer_->subscribe({topics.events, topics.campaigns});
  if (err != RdKafka::ERR_NO_ERROR)
    throw kafka::KafkaError("cannot subscribe: " + RdKafka::err2str(err));

  using Clock = std::chrono::steady_clock;
  const auto batch_window = std::chrono::milliseconds(config_.project.batch_max_ms);
  on_batch_ = options.on_batch;
  auto last_report = Clock::now();
  uint64_t last_reported_messages = 0;

  while (!(options.stop && options.stop->load())) {
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(50));
    switch (message->err()) {
      case RdKafka::ERR_NO_ERROR:
        if (batch_messages_ == 0) batch_started_ = Clock::now();
        Process(*message);
        ++batch_messages_;
        at_end_.erase({message->topic_name(), message->partition()});
        break;
      case RdKafka::ERR__PARTITION_EOF:
        at_end_.insert({message->topic_name(), message->partition()});
        break;
      case RdKafka::ERR__TIMED_OUT:
        break;
      default:
        // Transient cluster trouble (broker restart, leader change): librdkafka
        // retries by itself; the position is in the store, nothing is lost.
        spdlog::warn("consumer: {}", message->errstr());
        if (message->err() == RdKafka::ERR__FATAL)
          throw kafka::KafkaError("fatal consumer error: " + message->errstr());
    }
    bool at_end = !assigned_.empty() && at_end_.size() == assigned_.size();
    if (batch_messages_ > 0 &&
        (batch_messages_ >= static_cast<size_t>(config_.project.batch_max_messages) ||
         Clock::now() - batch_started_ >= batch_window || at_end ||
         message->err() == RdKafka::ERR__TIMED_OUT))
      FlushBatch();
    if (Clock::now() - last_report >= std::chrono::seconds(10)) {
      spdlog::info(
          "projected {} messages ({}/s), {} applied, {} duplicates, {} unreadable", stats_.messages,
          (stats_.messages - last_reported_messages) /
              std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - last_report).count(),
          stats_.applied, stats_.duplicates, stats_.unreadable);
      last_report = Clock::now();
      last_reported_messages = stats_.messages;
    }
    if (options.until_caught_up && at_end && batch_messages_ == 0) break;
  }
  FlushBatch();
  return stats_;
}

}  // namespace accord::project
