// accord_bench: publishes a realistic event mix, then measures in one process
// (a) the raw cost of consuming those messages and writing their bytes to
// RocksDB and (b) the real projection folding the same messages, and prints
// both side by side. See README.md, "Performance".
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "app/config/config.h"
#include "bench/measure.h"
#include "bench/phases.h"
#include "bench/workload.h"
#include "domain/events/envelope.h"
#include "io/kafka/client.h"

namespace fs = std::filesystem;
using namespace accord;
using namespace accord::bench;

namespace {

struct Options {
  uint64_t events = 1000000;
  std::string bootstrap;
  int partitions = 6;
  std::string config_path;
  int batch_max_messages = 0;  // 0: from the configuration
  int batch_max_ms = 0;
  std::string topic_prefix;  // reuse topics published earlier (no publish)
  std::string phases = "raw,projection,replay";
  bool keep_topics = false;
  bool no_metrics = false;
  std::string work_dir;
  std::string log_level = "warn";
};

// Runs `action` when the scope ends, also on an exception.
class AtExit {
 public:
  explicit AtExit(std::function<void()> action) : action_(std::move(action)) {}
  ~AtExit() {
    if (action_) action_();
  }
  AtExit(const AtExit&) = delete;
  AtExit& operator=(const AtExit&) = delete;

 private:
  std::function<void()> action_;
};

std::string UtcNow(const char* format) {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  std::strftime(text, sizeof text, format, &utc);
  return text;
}

std::string CpuModel() {
  std::FILE* file = std::fopen("/proc/cpuinfo", "r");
  if (!file) return "unknown CPU";
  char line[512];
  std::string model = "unknown CPU";
  while (std::fgets(line, sizeof line, file)) {
    std::string text(line);
    if (text.rfind("model name", 0) == 0) {
      model = text.substr(text.find(':') + 2);
      if (!model.empty() && model.back() == '\n') model.pop_back();
      break;
    }
  }
  std::fclose(file);
  return model;
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

struct PublishResult {
  uint64_t events = 0;
  uint64_t bytes = 0;
  Clock::duration wall{};
  Workload::Mix mix;
  uint64_t customers = 0;
};

PublishResult Publish(const kafka::Config& kafka, const events::Topics& topics, uint64_t count) {
  Workload workload(count);
  kafka::Publisher publisher(kafka);
  PublishResult result;
  result.customers = workload.customers();
  auto start = Clock::now();
  v1::Event event;
  std::string value;
  while (workload.Next(event)) {
    if (auto problem = events::ValidateEvent(event); !problem.empty())
      throw std::logic_error("workload produced an invalid event: " + problem);
    event.SerializeToString(&value);
    result.bytes += value.size();
    publisher.Publish(event.has_campaign_upserted() ? topics.campaigns : topics.events,
                      events::MessageKey(event), value);
    ++result.events;
  }
  auto flushed = publisher.Flush();
  result.wall = Clock::now() - start;
  result.mix = workload.mix();
  if (flushed.failed > 0 || flushed.delivered != result.events)
    throw kafka::KafkaError("publishing failed: " + std::to_string(flushed.delivered) + " of " +
                            std::to_string(result.events) + " acknowledged, " +
                            std::to_string(flushed.failed) + " failed: " + flushed.first_error);
  return result;
}

void PrintPhases(const std::vector<PhaseResult>& phases) {
  std::printf("\n%-36s %11s %9s %11s %8s %8s %9s %9s %9s %7s %10s %10s\n", "phase", "events",
              "wall s", "events/s", "batches", "avg size", "p50 ms", "p99 ms", "max ms", "CPU %",
              "peak RSS", "on disk");
  for (const auto& phase : phases) {
    double rate =
        Seconds(phase.steady) > 0 ? static_cast<double>(phase.messages) / Seconds(phase.steady) : 0;
    double avg_size = phase.batch_sizes.empty() ? 0
                                                : static_cast<double>(phase.messages) /
                                                      static_cast<double>(phase.batch_sizes.size());
    std::printf("%-36s %11s %9s %11s %8zu %8s %9s %9s %9s %7s %10s %10s\n", phase.name.c_str(),
                FormatCount(static_cast<double>(phase.messages)).c_str(),
                Fixed(Seconds(phase.wall), 2).c_str(), FormatCount(rate).c_str(),
                phase.batch_sizes.size(), FormatCount(avg_size).c_str(),
                Fixed(Percentile(phase.batch_latency_s, 50) * 1000, 1).c_str(),
                Fixed(Percentile(phase.batch_latency_s, 99) * 1000, 1).c_str(),
                Fixed(Percentile(phase.batch_latency_s, 100) * 1000, 1).c_str(),
                Fixed(100.0 * Seconds(phase.cpu) / std::max(1e-9, Seconds(phase.wall)), 0).c_str(),
                FormatBytes(phase.peak_rss).c_str(), FormatBytes(phase.store_bytes).c_str());
  }
}

int Run(const Options& options) {
  config::AppConfig config = config::Load(options.config_path, config::ProcessEnvironment());
  if (!options.bootstrap.empty()) config.kafka.bootstrap_servers = options.bootstrap;
  if (options.batch_max_messages > 0)
    config.project.batch_max_messages = options.batch_max_messages;
  if (options.batch_max_ms > 0) config.project.batch_max_ms = options.batch_max_ms;
  const bool reuse = !options.topic_prefix.empty();
  const std::string run_id = UtcNow("%Y%m%d-%H%M%S") + "-" + std::to_string(getpid());
  config.kafka.topic_prefix = reuse ? options.topic_prefix : "bench-" + run_id;
  const events::Topics topics(config.kafka.topic_prefix);
  const bool run_raw = options.phases.find("raw") != std::string::npos;
  const bool run_projection = options.phases.find("projection") != std::string::npos;
  const bool run_fold = options.phases.find("fold") != std::string::npos;
  const bool run_replay = options.phases.find("replay") != std::string::npos;

  utsname host{};
  uname(&host);
  std::printf("Accord benchmark, %s\n", UtcNow("%Y-%m-%d %H:%M UTC").c_str());
  std::printf("machine: %s, %u CPUs, %s %s\n", CpuModel().c_str(),
              std::thread::hardware_concurrency(), host.sysname, host.release);
  std::printf("kafka: %s, topics %s.{events,campaigns}, batch: %d messages or %d ms\n",
              config.kafka.bootstrap_servers.c_str(), config.kafka.topic_prefix.c_str(),
              config.project.batch_max_messages, config.project.batch_max_ms);

  const std::vector<std::string> all_topics = {topics.events, topics.campaigns, topics.feedback,
                                               topics.deadletter};
  // The bench topics go when the run ends, however it ends.
  bool topics_created = false;
  AtExit topic_cleanup([&] {
    if (!topics_created) return;
    if (options.keep_topics) {
      std::printf("topics kept: rerun the phases with --topic-prefix %s\n",
                  config.kafka.topic_prefix.c_str());
      return;
    }
    try {
      kafka::DeleteTopics(config.kafka, all_topics);
    } catch (const std::exception& e) {
      std::printf("note: could not delete the topics %s.*: %s\n", config.kafka.topic_prefix.c_str(),
                  e.what());
    }
  });
  if (!reuse) {
    kafka::EnsureTopics(config.kafka, all_topics, options.partitions, 1);
    topics_created = true;
    std::printf("\npublishing %s events to %d partitions ...\n",
                FormatCount(static_cast<double>(options.events)).c_str(), options.partitions);
    std::fflush(stdout);
    ResetPeakRss();
    auto published = Publish(config.kafka, topics, options.events);
    const auto& mix = published.mix;
    auto share = [&](uint64_t n) {
      return Fixed(100.0 * static_cast<double>(n) / static_cast<double>(published.events), 1) + "%";
    };
    std::printf(
        "workload: %s customers; %s campaign definitions, contact upserts %s, engagement %s, "
        "deals %s, orders %s, activities %s, tickets %s\n",
        FormatCount(static_cast<double>(published.customers)).c_str(),
        FormatCount(static_cast<double>(mix.campaigns)).c_str(), share(mix.contacts).c_str(),
        share(mix.engagements).c_str(), share(mix.deals).c_str(), share(mix.orders).c_str(),
        share(mix.activities).c_str(), share(mix.tickets).c_str());
    std::printf(
        "publish: %s events (%s, avg %s B) in %s s = %s events/s "
        "(kafka::Publisher: idempotent, acks=all, lz4; event generation included), peak RSS %s\n",
        FormatCount(static_cast<double>(published.events)).c_str(),
        FormatBytes(published.bytes).c_str(),
        Fixed(static_cast<double>(published.bytes) / static_cast<double>(published.events), 0)
            .c_str(),
        Fixed(Seconds(published.wall), 2).c_str(),
        FormatCount(static_cast<double>(published.events) / Seconds(published.wall)).c_str(),
        FormatBytes(PeakRssBytes()).c_str());
  }

  auto extents = QueryExtents(config.kafka, {topics.events, topics.campaigns});
  uint64_t expected = 0;
  for (const auto& extent : extents) expected += static_cast<uint64_t>(extent.high - extent.low);
  if (!reuse && expected != options.events)
    throw std::runtime_error("topics hold " + std::to_string(expected) + " messages, expected " +
                             std::to_string(options.events));

  std::string work_dir = options.work_dir;
  if (work_dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "accord-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    work_dir = pattern;
  } else {
    fs::create_directories(work_dir);
  }
  AtExit work_dir_cleanup([&] {
    std::error_code ec;
    if (options.work_dir.empty()) fs::remove_all(work_dir, ec);
  });

  std::vector<PhaseResult> phases;
  const PhaseResult* raw_result = nullptr;
  const PhaseResult* projection_result = nullptr;
  int exit_code = 0;
  // Dirty pages of the publish (Kafka's log) or of the previous phase's store
  // are written back before a phase starts, not during it.
  auto settle = [] {
    ::sync();
    std::this_thread::sleep_for(std::chrono::seconds(1));
  };
  phases.reserve(4);
  if (run_raw) {
    std::printf("\nphase (a): raw consume + parse + RocksDB of %s messages ...\n",
                FormatCount(static_cast<double>(expected)).c_str());
    std::fflush(stdout);
    settle();
    ResetPeakRss();
    BatchPolicy policy{static_cast<size_t>(config.project.batch_max_messages),
                       std::chrono::milliseconds(config.project.batch_max_ms)};
    auto raw = RunRawBaseline(config.kafka, extents, config.kafka.topic_prefix + "-raw-" + run_id,
                              work_dir + "/raw", policy);
    raw.peak_rss = PeakRssBytes();
    std::printf("  %s\n", raw.summary.c_str());
    phases.push_back(std::move(raw));
    raw_result = &phases.back();
  }
  if (run_projection) {
    std::printf("\nphase (b): projection of %s messages ...\n",
                FormatCount(static_cast<double>(expected)).c_str());
    std::fflush(stdout);
    settle();
    ResetPeakRss();
    config::AppConfig project_config = config;
    project_config.project.group_id = config.kafka.topic_prefix + "-projection-" + run_id;
    auto projection =
        RunProjection(project_config, expected, work_dir + "/projection", !options.no_metrics);
    projection.peak_rss = PeakRssBytes();
    std::printf("  %s%s\n", projection.summary.c_str(),
                options.no_metrics ? "" : " (with a metrics::Registry, as served on /metrics)");
    phases.push_back(std::move(projection));
    projection_result = &phases.back();
  }
  const PhaseResult* replay_result = nullptr;
  if (run_replay) {
    // The history as a replay finds it: the events and the identity events
    // a projection published, (b)'s or an earlier run's.
    project::Projector::Replay replay;
    uint64_t history = 0;
    for (const auto& extent : QueryExtents(config.kafka, {topics.events, topics.campaigns})) {
      replay.end_offsets[{extent.topic, extent.partition}] = extent.high;
      history += static_cast<uint64_t>(extent.high - extent.low);
    }
    std::printf("\nphase (d): replay of %s messages from the beginning ...\n",
                FormatCount(static_cast<double>(history)).c_str());
    std::fflush(stdout);
    settle();
    ResetPeakRss();
    auto replayed = RunProjection(config, history, work_dir + "/replay", !options.no_metrics,
                                  std::move(replay));
    replayed.peak_rss = PeakRssBytes();
    std::printf("  %s\n", replayed.summary.c_str());
    phases.push_back(std::move(replayed));
    replay_result = &phases.back();
  }
  if (run_fold) {
    std::printf("\nphase (c): fold only, in memory, of the same %s events ...\n",
                FormatCount(static_cast<double>(expected)).c_str());
    std::fflush(stdout);
    ResetPeakRss();
    BatchPolicy policy{static_cast<size_t>(config.project.batch_max_messages),
                       std::chrono::milliseconds(config.project.batch_max_ms)};
    auto fold_only = RunFoldOnly(config, expected, policy);
    fold_only.peak_rss = PeakRssBytes();
    std::printf("  %s\n", fold_only.summary.c_str());
    phases.push_back(std::move(fold_only));
  }

  PrintPhases(phases);
  for (const auto& phase : phases) {
    if (!phase.complete) {
      std::printf("INCOMPLETE: %s read %s of %s messages\n", phase.name.c_str(),
                  FormatCount(static_cast<double>(phase.messages)).c_str(),
                  FormatCount(static_cast<double>(expected)).c_str());
      exit_code = 1;
    }
  }
  std::printf(
      "\nevents/s: messages / (first message consumed .. last batch written); wall s: the whole "
      "phase including store open and consumer group join.\nbatch latency: first message of a "
      "batch .. end of its RocksDB write. CPU %%: process CPU time / wall (200 %% = both cores). "
      "peak RSS: VmHWM, reset before each phase.\n");
  if (raw_result && projection_result) {
    auto rate = [](const PhaseResult& p) {
      return static_cast<double>(p.messages) / std::max(1e-9, Seconds(p.steady));
    };
    double ratio = 100.0 * rate(*projection_result) / rate(*raw_result);
    double wall_ratio =
        100.0 * Seconds(raw_result->wall) / std::max(1e-9, Seconds(projection_result->wall));
    std::printf("\n(b)/(a) = %s %% of the raw rate (%s %% by wall time); target >= 60 %%: %s\n",
                Fixed(ratio, 1).c_str(), Fixed(wall_ratio, 1).c_str(),
                ratio >= 60 ? "met" : "NOT met");
  }
  if (replay_result) {
    auto rate = [](const PhaseResult& p) {
      return static_cast<double>(p.messages) / std::max(1e-9, Seconds(p.steady));
    };
    if (raw_result)
      std::printf("(d)/(a) = %s %% of the raw rate\n",
                  Fixed(100.0 * rate(*replay_result) / rate(*raw_result), 1).c_str());
    if (projection_result) {
      std::printf("(d)/(b) = %s %% of the projection's rate\n",
                  Fixed(100.0 * rate(*replay_result) / rate(*projection_result), 1).c_str());
      const bool equal = replay_result->state_hash == projection_result->state_hash;
      std::printf("replay state hash %s the projection's\n", equal ? "equals" : "DIFFERS FROM");
      if (!equal) exit_code = 1;
    }
  }
  std::printf("process peak RSS (ru_maxrss): %s\n",
              [] {
                rusage usage{};
                getrusage(RUSAGE_SELF, &usage);
                return FormatBytes(static_cast<uint64_t>(usage.ru_maxrss) * 1024);
              }()
                  .c_str());
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("accord_bench"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  Options options;
  CLI::App app(
      "Accord benchmark: publishes a realistic mix of events to fresh topics, then measures in "
      "one process (a) a plain consumer that parses every message and writes its bytes to "
      "RocksDB (the practical limit), (b) the real projection folding the same messages and "
      "(d) a replay of the resulting history from the beginning, and prints events/s, batch "
      "latency percentiles, CPU, peak RSS and store size of each.",
      "accord_bench");
  app.add_option("-n,--events", options.events, "Events to publish")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
  app.add_option("--bootstrap", options.bootstrap,
                 "Kafka bootstrap servers (default: kafka.bootstrap_servers, 127.0.0.1:9092)");
  app.add_option("-p,--partitions", options.partitions, "Partitions of the bench topics")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("-c,--config", options.config_path,
                 "Accord YAML configuration (kafka.properties, project.batch_*)")
      ->check(CLI::ExistingFile);
  app.add_option("--batch-max-messages", options.batch_max_messages,
                 "Batch size of both phases (default: project.batch_max_messages, 10000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch-max-ms", options.batch_max_ms,
                 "Batch time window of both phases (default: project.batch_max_ms, 200)")
      ->check(CLI::PositiveNumber);
  app.add_option("--phases", options.phases,
                 "Phases to run after publishing, comma-separated: raw (a), projection (b), "
                 "replay (d: accord replay of the history (b) left, from the beginning), fold "
                 "(c: diagnostic, the fold alone over an in-memory state)")
      ->capture_default_str()
      ->check([](const std::string& value) {
        std::stringstream list(value);
        std::string phase;
        while (std::getline(list, phase, ','))
          if (phase != "raw" && phase != "projection" && phase != "replay" && phase != "fold")
            return "unknown phase \"" + phase + "\" (raw, projection, replay, fold)";
        return std::string();
      });
  app.add_option("--topic-prefix", options.topic_prefix,
                 "Reuse the topics of an earlier run kept with --keep-topics (no publishing; "
                 "for profiling one phase)");
  app.add_flag("--keep-topics", options.keep_topics,
               "Keep the bench topics (default: delete them at the end)");
  app.add_flag("--no-metrics", options.no_metrics, "Run the projection without a metrics registry");
  app.add_option("--work-dir", options.work_dir,
                 "Directory for the two RocksDB stores, kept afterwards (default: a fresh temp "
                 "directory, deleted at the end)");
  app.add_option("--log-level", options.log_level, "Log level of the projection's log lines")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  try {
    return Run(options);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::cerr << "accord_bench: error: " << e.what() << "\n";
    return 1;
  }
}
