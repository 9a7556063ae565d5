#include "bench/phases.h"

#include <librdkafka/rdkafkacpp.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "accord/state/v1/state.pb.h"
#include "accord/v1/event.pb.h"
#include "bench/workload.h"
#include "domain/events/envelope.h"
#include "domain/fold/fold.h"
#include "domain/fold/overlay.h"
#include "domain/fold/shard.h"
#include "domain/fold/state.h"
#include "io/metrics/metrics.h"
#include "io/store/store.h"
#include "services/project/projector.h"

namespace accord::bench {
namespace {

// A phase that makes no progress for this long has hung (broker gone, a bug):
// stop it and report it incomplete rather than wait for ever.
constexpr auto kStallTimeout = std::chrono::seconds(120);

void Require(const rocksdb::Status& status, const std::string& what) {
  if (!status.ok()) throw std::runtime_error(what + ": " + status.ToString());
}

// The options store::Store gives its column families and database (bloom
// filters on tables and memtables, a 256 MiB block cache,
// IncreaseParallelism(2), WAL without fsync), so the baseline pays for the
// same RocksDB the projection uses.
std::unique_ptr<rocksdb::DB> OpenBaselineDb(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(256u << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.memtable_whole_key_filtering = true;
  rocksdb::DB* db = nullptr;
  Require(rocksdb::DB::Open(options, path, &db), "cannot open RocksDB at " + path);
  return std::unique_ptr<rocksdb::DB>(db);
}

// The fold's tables in hash maps: a store that costs (almost) nothing.
class MemoryState : public fold::StateReader {
 public:
  std::optional<std::string> Get(fold::Table table, std::string_view key) const override {
    const auto& entries = tables_[static_cast<int>(table)];
    auto it = entries.find(std::string(key));
    if (it == entries.end()) return std::nullopt;
    return it->second;
  }
  void Commit(const fold::Overlay& overlay) {
    for (auto table : fold::kAllTables) {
      auto& entries = tables_[static_cast<int>(table)];
      for (const auto& [key, value] : overlay.Pending(table)) {
        if (value)
          entries[key] = *value;
        else
          entries.erase(key);
      }
    }
  }
  uint64_t Bytes() const {
    uint64_t total = 0;
    for (const auto& entries : tables_)
      for (const auto& [key, value] : entries) total += key.size() + value.size();
    return total;
  }
  // "customers 50,000 x 1,180 B, ..." for the tables that hold anything.
  std::string Describe() const {
    std::string out;
    for (auto table : fold::kAllTables) {
      const auto& entries = tables_[static_cast<int>(table)];
      if (entries.empty()) continue;
      uint64_t bytes = 0;
      for (const auto& [key, value] : entries) bytes += key.size() + value.size();
      out += (out.empty() ? "" : ", ") + std::string(fold::TableName(table)) + " " +
             FormatCount(static_cast<double>(entries.size())) + " x " +
             FormatCount(static_cast<double>(bytes) / static_cast<double>(entries.size())) + " B";
    }
    return out;
  }

 private:
  std::unordered_map<std::string, std::string> tables_[fold::kTableCount];
};

}  // namespace

std::vector<TopicExtent> QueryExtents(const kafka::Config& kafka,
                                      const std::vector<std::string>& topics) {
  auto conf = kafka::MakeConf(kafka, {});
  std::string error;
  std::unique_ptr<RdKafka::Producer> handle(RdKafka::Producer::create(conf.get(), error));
  if (!handle) throw kafka::KafkaError("cannot create Kafka client: " + error);
  RdKafka::Metadata* raw_metadata = nullptr;
  auto err = handle->metadata(true, nullptr, &raw_metadata, kafka.connect_timeout_ms);
  std::unique_ptr<RdKafka::Metadata> metadata(raw_metadata);
  if (err != RdKafka::ERR_NO_ERROR)
    throw kafka::KafkaError("cannot read metadata from " + kafka.bootstrap_servers + ": " +
                            RdKafka::err2str(err));
  std::vector<TopicExtent> extents;
  for (const auto& topic : topics) {
    const RdKafka::TopicMetadata* found = nullptr;
    for (const auto* candidate : *metadata->topics())
      if (candidate->topic() == topic) found = candidate;
    if (!found || found->partitions()->empty())
      throw kafka::KafkaError("topic " + topic + " does not exist on " + kafka.bootstrap_servers);
    for (const auto* partition : *found->partitions()) {
      TopicExtent extent{topic, partition->id(), 0, 0};
      err = handle->query_watermark_offsets(topic, partition->id(), &extent.low, &extent.high,
                                            kafka.connect_timeout_ms);
      if (err != RdKafka::ERR_NO_ERROR)
        throw kafka::KafkaError("cannot read offsets of " + topic + "[" +
                                std::to_string(partition->id()) + "]: " + RdKafka::err2str(err));
      extents.push_back(extent);
    }
  }
  return extents;
}

PhaseResult RunRawBaseline(const kafka::Config& kafka, const std::vector<TopicExtent>& extents,
                           const std::string& group_id, const std::string& db_path,
                           const BatchPolicy& policy) {
  PhaseResult result;
  result.name = "(a) raw: consume + parse + RocksDB";
  const auto cpu_start = CpuTime();
  const auto phase_start = Clock::now();

  auto db = OpenBaselineDb(db_path);
  // The projection's consumer settings, without its rebalance callback.
  auto conf = kafka::MakeConf(kafka, {{"group.id", group_id},
                                      {"enable.auto.commit", "false"},
                                      {"enable.auto.offset.store", "false"},
                                      {"auto.offset.reset", "earliest"},
                                      {"enable.partition.eof", "true"},
                                      {"partition.assignment.strategy", "range"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw kafka::KafkaError("cannot create Kafka consumer: " + error);

  std::map<std::pair<std::string, int32_t>, int64_t> targets;
  std::set<std::string> topic_names;
  for (const auto& extent : extents) {
    topic_names.insert(extent.topic);
    if (extent.high > extent.low) targets[{extent.topic, extent.partition}] = extent.high;
  }
  auto err = consumer->subscribe({topic_names.begin(), topic_names.end()});
  if (err != RdKafka::ERR_NO_ERROR)
    throw kafka::KafkaError("cannot subscribe: " + RdKafka::err2str(err));

  rocksdb::WriteBatch batch;
  size_t batch_messages = 0;
  Clock::time_point batch_started, first_message, last_write, last_progress = Clock::now();
  auto flush = [&] {
    Require(db->Write(rocksdb::WriteOptions(), &batch), "write to " + db_path + " failed");
    last_write = Clock::now();
    result.batch_sizes.push_back(batch_messages);
    result.batch_latency_s.push_back(Seconds(last_write - batch_started));
    batch.Clear();
    batch_messages = 0;
  };

  uint64_t unparsable = 0;
  std::string key;
  while (!targets.empty()) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(50));
    switch (message->err()) {
      case RdKafka::ERR_NO_ERROR: {
        auto now = Clock::now();
        if (batch_messages == 0) batch_started = now;
        if (result.messages == 0) first_message = now;
        last_progress = now;
        v1::Event event;
        if (!event.ParseFromArray(message->payload(), static_cast<int>(message->len())))
          ++unparsable;
        key = message->topic_name();
        key += '/';
        key += std::to_string(message->partition());
        key += '/';
        key += std::to_string(message->offset());
        batch.Put(key,
                  rocksdb::Slice(static_cast<const char*>(message->payload()), message->len()));
        ++batch_messages;
        ++result.messages;
        result.payload_bytes += message->len();
        auto target = targets.find({message->topic_name(), message->partition()});
        if (target != targets.end() && message->offset() + 1 >= target->second)
          targets.erase(target);
        break;
      }
      case RdKafka::ERR__PARTITION_EOF:
      case RdKafka::ERR__TIMED_OUT:
        break;
      default:
        if (message->err() == RdKafka::ERR__FATAL)
          throw kafka::KafkaError("fatal consumer error: " + message->errstr());
    }
    if (batch_messages > 0 &&
        (batch_messages >= policy.max_messages || Clock::now() - batch_started >= policy.max_wait ||
         targets.empty() || message->err() == RdKafka::ERR__TIMED_OUT))
      flush();
    if (Clock::now() - last_progress > kStallTimeout) break;
  }
  if (batch_messages > 0) flush();
  result.wall = Clock::now() - phase_start;
  result.steady = result.messages > 0 ? last_write - first_message : Clock::duration{};
  result.cpu = CpuTime() - cpu_start;
  result.complete = targets.empty() && unparsable == 0;
  result.summary = std::to_string(unparsable) + " unparsable";
  consumer->close();
  db.reset();
  result.store_bytes = DirectoryBytes(db_path);
  return result;
}

PhaseResult RunProjection(const config::AppConfig& config, uint64_t expected_messages,
                          const std::string& db_path, bool with_metrics,
                          std::optional<project::Projector::Replay> replay) {
  PhaseResult result;
  const bool replaying = replay.has_value();
  result.name =
      replaying ? "(d) replay: accord replay's Projector" : "(b) projection: project::Projector";
  const auto cpu_start = CpuTime();
  const auto phase_start = Clock::now();

  auto store = store::Store::Open(db_path, store::Store::Mode::kReadWrite);
  metrics::Registry registry;
  project::ProjectorStats stats;
  Clock::time_point first_message, last_write;
  {
    project::Projector projector(config, *store, with_metrics ? &registry : nullptr, std::nullopt,
                                 std::move(replay));

    // Watchdog: stop a projection that makes no progress (see kStallTimeout).
    std::atomic<bool> stop{false};
    std::atomic<int64_t> last_progress_ns{Clock::now().time_since_epoch().count()};
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    std::thread watchdog([&] {
      std::unique_lock lock(mutex);
      while (!finished.wait_for(lock, std::chrono::milliseconds(500), [&] { return done; })) {
        auto idle = Clock::now().time_since_epoch() -
                    Clock::duration(last_progress_ns.load(std::memory_order_relaxed));
        if (idle > kStallTimeout) stop.store(true);
      }
    });

    project::Projector::RunOptions run;
    run.until_caught_up = true;
    run.stop = &stop;
    run.on_batch = [&](const project::BatchReport& report) {
      auto now = Clock::now();
      if (result.batch_sizes.empty())
        first_message = now - std::chrono::duration_cast<Clock::duration>(report.latency);
      last_write = now;
      result.batch_sizes.push_back(report.messages);
      result.batch_latency_s.push_back(std::chrono::duration<double>(report.latency).count());
      last_progress_ns.store(now.time_since_epoch().count(), std::memory_order_relaxed);
    };
    try {
      stats = projector.Run(run);
    } catch (...) {
      {
        std::lock_guard lock(mutex);
        done = true;
      }
      finished.notify_all();
      watchdog.join();
      throw;
    }
    result.wall = Clock::now() - phase_start;
    result.cpu = CpuTime() - cpu_start;
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    finished.notify_all();
    watchdog.join();
  }
  // The rate counts the published events only: the identity claims the
  // projection publishes and folds on the way are part of its cost.
  // A replay publishes nothing: what it reads, identity events included, is
  // the history.
  result.messages =
      replaying ? stats.messages : stats.messages - std::min(stats.messages, stats.emitted);
  result.steady = stats.messages > 0 ? last_write - first_message : Clock::duration{};
  result.complete = stats.messages == expected_messages + (replaying ? 0 : stats.emitted) &&
                    stats.dead_lettered == 0;
  uint64_t customers = 0, merged = 0;
  store->Scan(fold::Table::kCustomers, [&](std::string_view, std::string_view value) {
    state::v1::CustomerState customer;
    customer.ParseFromArray(value.data(), static_cast<int>(value.size()));
    ++(customer.merged_into().empty() && customer.merged_into_key().empty() ? customers : merged);
    return true;
  });
  result.summary =
      std::to_string(stats.applied) + " applied, " + std::to_string(stats.duplicates) +
      " duplicates, " + std::to_string(stats.ignored) + " ignored, " +
      std::to_string(stats.dead_lettered) + " dead-lettered; " +
      (replaying ? std::to_string(stats.identity) + " identity events folded; "
                 : std::to_string(stats.emitted) + " identity events published and folded (" +
                       std::to_string(stats.identity) + " folded in all); ") +
      std::to_string(customers) + " customers (+" + std::to_string(merged) + " merged away)";
  result.state_hash = store->StateHash();
  store.reset();
  result.store_bytes = DirectoryBytes(db_path);
  return result;
}

PhaseResult RunFoldOnly(const config::AppConfig& config, uint64_t events,
                        const BatchPolicy& policy) {
  PhaseResult result;
  result.name = "(c) fold only, in memory";
  MemoryState state;
  fold::Overlay overlay(state);
  Workload workload(events);
  std::vector<std::pair<std::string, std::string>> batch;  // shard, message bytes
  v1::Event generated;
  const std::string campaigns_shard = fold::ShardPrefix("campaigns", 0);
  const std::string events_shard = fold::ShardPrefix("events", 0);
  for (;;) {
    // Untimed: the next batch of messages, as the projection would receive them.
    batch.clear();
    while (batch.size() < policy.max_messages && workload.Next(generated))
      batch.emplace_back(generated.has_campaign_upserted() ? campaigns_shard : events_shard,
                         generated.SerializeAsString());
    if (batch.empty()) break;
    const auto cpu_start = CpuTime();
    const auto start = Clock::now();
    for (const auto& [shard, bytes] : batch) {
      v1::Event event;
      auto decoded = events::DecodeEvent(bytes, event);
      if (decoded.error != events::DecodeError::kNone)
        throw std::logic_error("workload event refused: " + decoded.reason);
      auto outcome = fold::Apply(fold::ShardView(overlay, shard), event, config.fold.rules);
      fold::MoveIntoShard(outcome.changes, shard);
      overlay.Record(outcome.changes);
      result.payload_bytes += bytes.size();
    }
    state.Commit(overlay);
    overlay.Stored();
    const auto elapsed = Clock::now() - start;
    result.cpu += CpuTime() - cpu_start;
    result.wall += elapsed;
    result.messages += batch.size();
    result.batch_sizes.push_back(batch.size());
    result.batch_latency_s.push_back(Seconds(elapsed));
  }
  result.steady = result.wall;
  result.complete = result.messages == events;
  result.store_bytes = state.Bytes();
  result.summary = "state: " + FormatBytes(result.store_bytes) + " of keys and values (" +
                   state.Describe() + "); event generation not timed";
  return result;
}

}  // namespace accord::bench
