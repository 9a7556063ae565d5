#include "connectors/sink/runner.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "connectors/publish/ledger.h"
#include "connectors/sink/body.h"
#include "domain/events/envelope.h"
#include "io/kafka/client.h"

namespace accord::connectors::sink {
namespace {

using Message = std::unique_ptr<RdKafka::Message>;

struct Letter {
  const RdKafka::Message* message;
  std::string reason;
  std::string code;
};

class Runner {
 public:
  Runner(const config::AppConfig& config, Target& target, const RunnerOptions& options,
         metrics::Registry* registry)
      : target_(target),
        options_(options),
        registry_(registry),
        topics_(config.kafka.topic_prefix),
        ledger_(options.ledger),
        dead_letters_(config.kafka) {
    auto conf = kafka::MakeConf(config.kafka, {{"group.id", options.group_id},
                                               {"enable.auto.commit", "false"},
                                               {"enable.auto.offset.store", "false"},
                                               {"auto.offset.reset", "earliest"},
                                               {"enable.partition.eof", "true"}});
    std::string error;
    consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
    if (!consumer_) throw kafka::KafkaError("cannot create Kafka consumer: " + error);
    kafka::RequireReachable(*consumer_, config.kafka);
    subscribed_ = {topics_.feedback};
    if (options.with_events_topic) subscribed_.push_back(topics_.events);
    auto required = subscribed_;
    required.push_back(topics_.deadletter);
    kafka::RequireTopics(*consumer_, config.kafka, required);
  }

  ~Runner() { consumer_->close(); }

  RunnerStats Run() {
    auto err = consumer_->subscribe(subscribed_);
    if (err != RdKafka::ERR_NO_ERROR)
      throw kafka::KafkaError("cannot subscribe: " + RdKafka::err2str(err));
    // Topic and partition: a chat sink reads two topics.
    std::set<std::pair<std::string, int32_t>> at_end;
    bool assigned = false;
    while (!(options_.stop && options_.stop->load())) {
      std::vector<Message> batch;
      while (batch.size() < static_cast<size_t>(options_.batch_max_messages)) {
        Message message(consumer_->consume(batch.empty() ? 200 : 20));
        if (message->err() == RdKafka::ERR_NO_ERROR) {
          at_end.erase({message->topic_name(), message->partition()});
          batch.push_back(std::move(message));
        } else if (message->err() == RdKafka::ERR__PARTITION_EOF) {
          at_end.insert({message->topic_name(), message->partition()});
        } else if (message->err() == RdKafka::ERR__TIMED_OUT) {
          break;
        } else {
          spdlog::warn("consumer: {}", message->errstr());
          if (message->err() == RdKafka::ERR__FATAL)
            throw kafka::KafkaError("fatal consumer error: " + message->errstr());
          break;
        }
      }
      if (!batch.empty()) {
        try {
          Deliver(batch);
        } catch (const Stopped&) {
          break;  // not committed: delivered again next time
        }
      }
      std::vector<RdKafka::TopicPartition*> assignment;
      consumer_->assignment(assignment);
      assigned = assigned || !assignment.empty();
      const bool caught_up = assigned && at_end.size() == assignment.size();
      RdKafka::TopicPartition::destroy(assignment);
      if (options_.until_caught_up && caught_up && batch.empty()) break;
    }
    return stats_;
  }

 private:
  void Deliver(const std::vector<Message>& batch) {
    // One queue per customer (message key), in partition order.
    std::map<std::string, std::vector<const RdKafka::Message*>> by_key;
    for (const auto& message : batch)
      by_key[message->key() ? *message->key() : std::string()].push_back(message.get());
    std::vector<const std::vector<const RdKafka::Message*>*> queues;
    for (const auto& [key, messages] : by_key) queues.push_back(&messages);

    std::mutex mutex;
    std::vector<std::string> done;
    std::vector<Letter> letters;
    std::exception_ptr failure;
    size_t next = 0;
    auto work = [&] {
      for (;;) {
        const std::vector<const RdKafka::Message*>* queue;
        {
          std::lock_guard lock(mutex);
          if (next == queues.size() || failure) return;
          queue = queues[next++];
        }
        try {
          for (const auto* message : *queue) DeliverOne(*message, mutex, done, letters);
        } catch (...) {
          std::lock_guard lock(mutex);
          if (!failure) failure = std::current_exception();
        }
      }
    };
    std::vector<std::thread> threads;
    const size_t width = std::min(queues.size(), static_cast<size_t>(options_.max_in_flight));
    for (size_t i = 0; i < width; ++i) threads.emplace_back(work);
    for (auto& thread : threads) thread.join();
    if (failure) std::rethrow_exception(failure);

    for (const auto& letter : letters) {
      const auto& message = *letter.message;
      auto headers = kafka::DeadLetterHeaders(message, letter.reason, letter.code);
      dead_letters_.Publish(topics_.deadletter, message.key() ? *message.key() : "",
                            std::string(static_cast<const char*>(message.payload()), message.len()),
                            headers);
    }
    if (!letters.empty()) {
      auto result = dead_letters_.Flush();
      if (result.failed > 0)
        throw kafka::KafkaError("Kafka did not take " + std::to_string(result.failed) +
                                " dead letters: " + result.first_error);
    }
    target_.Sync();
    ledger_.Record(done);
    in_batch_.clear();
    std::map<std::pair<std::string, int32_t>, int64_t> next_offsets;
    for (const auto& message : batch)
      next_offsets[{message->topic_name(), message->partition()}] = message->offset() + 1;
    std::vector<RdKafka::TopicPartition*> commits;
    for (const auto& [tp, offset] : next_offsets)
      commits.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
    auto err = consumer_->commitSync(commits);
    RdKafka::TopicPartition::destroy(commits);
    if (err != RdKafka::ERR_NO_ERROR)
      spdlog::warn("cannot commit the sink's position ({}); the batch will be delivered again",
                   RdKafka::err2str(err));
  }

  void DeliverOne(const RdKafka::Message& message, std::mutex& mutex,
                  std::vector<std::string>& done, std::vector<Letter>& letters) {
    v1::Event event;
    auto decoded = events::DecodeEvent(
        std::string_view(static_cast<const char*>(message.payload()), message.len()), event);
    if (decoded.error != events::DecodeError::kNone) {
      std::lock_guard lock(mutex);
      // The projection parks what it cannot read on the events topic.
      if (message.topic_name() != topics_.feedback) {
        Count("skipped", stats_.skipped);
        return;
      }
      letters.push_back({&message, decoded.reason, "not_an_event"});
      Count("dead_lettered", stats_.dead_lettered);
      return;
    }
    auto body = options_.render ? options_.render(event) : FeedbackJson(event);
    if (!body) {
      std::lock_guard lock(mutex);
      Count("skipped", stats_.skipped);
      return;
    }
    {
      std::lock_guard lock(mutex);
      // Delivered before, or earlier in this batch.
      if (!in_batch_.insert(event.event_id()).second || ledger_.Contains(event.event_id())) {
        Count("duplicate", stats_.duplicates);
        return;
      }
    }
    auto result = target_.Deliver(event, *body);
    std::lock_guard lock(mutex);
    done.push_back(event.event_id());
    if (result.delivered) {
      Count("delivered", stats_.delivered);
    } else {
      spdlog::warn("dead-lettering feedback event {} ({}[{}]@{}): {}", event.event_id(),
                   message.topic_name(), message.partition(), message.offset(), result.reason);
      letters.push_back({&message, result.reason, result.reason_code});
      Count("dead_lettered", stats_.dead_lettered);
    }
  }

  void Count(const std::string& outcome, uint64_t& counter) {
    ++counter;
    if (registry_)
      registry_
          ->GetCounter("accord_sink_events_total", "Feedback events the sink handled, by outcome",
                       {{"outcome", outcome}})
          .Add();
  }

  Target& target_;
  const RunnerOptions& options_;
  metrics::Registry* registry_;
  events::Topics topics_;
  Ledger ledger_;
  kafka::Publisher dead_letters_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  RunnerStats stats_;
  std::set<std::string> in_batch_;
  std::vector<std::string> subscribed_;
};

}  // namespace

RunnerStats RunSink(const config::AppConfig& config, Target& target, const RunnerOptions& options,
                    metrics::Registry* registry) {
  return Runner(config, target, options, registry).Run();
}

}  // namespace accord::connectors::sink
