#include "services/replay/replay_command.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/cli/progress.h"
#include "domain/events/envelope.h"
#include "domain/util/time.h"
#include "io/kafka/client.h"
#include "io/store/store.h"
#include "services/feedback/feedback_command.h"
#include "services/project/projector.h"
#include "services/replay/cut.h"

namespace accord::replay {
namespace {

struct Options {
  std::string db;
  std::string until;
  std::string until_offsets;
  bool feedback = false;
};

// Every partition of the topics the projection folds, with its offsets.
std::vector<kafka::PartitionRange> ListHistory(const config::AppConfig& config) {
  auto conf = kafka::MakeConf(config.kafka, {{"group.id", config.project.group_id + ".replay"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw kafka::KafkaError("cannot create Kafka consumer: " + error);
  kafka::RequireReachable(*consumer, config.kafka);
  events::Topics topics(config.kafka.topic_prefix);
  std::vector<kafka::PartitionRange> partitions;
  for (const auto& topic : {topics.events, topics.campaigns}) {
    auto ranges = kafka::ListPartitions(*consumer, config.kafka, topic);
    partitions.insert(partitions.end(), ranges.begin(), ranges.end());
  }
  consumer->close();
  return partitions;
}

std::string Summary(const project::ProjectorStats& stats) {
  std::string text = std::to_string(stats.applied) + " applied, " +
                     std::to_string(stats.duplicates) + " duplicates, " +
                     std::to_string(stats.ignored) + " ignored, " +
                     std::to_string(stats.forwarded) + " forwarded, " +
                     std::to_string(stats.identity) + " identity events, " +
                     std::to_string(stats.dead_lettered) + " unreadable (in the dead letters)";
  if (stats.after_cut > 0)
    text += ", " + std::to_string(stats.after_cut) + " occurred after --until (not folded)";
  return text;
}

void Replay(config::AppConfig config, const Options& options) {
  namespace fs = std::filesystem;
  std::optional<int64_t> until_ms;
  if (!options.until.empty()) {
    until_ms = ParseIsoTimestampMs(options.until);
    if (!until_ms)
      throw CutError("--until '" + options.until +
                     "' is not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)");
  }
  std::optional<std::vector<store::PartitionOffset>> cuts;
  if (!options.until_offsets.empty())
    cuts = ParseOffsetList(options.until_offsets, config.kafka.topic_prefix);
  store::RequireFreshDirectory(options.db, "--db");
  // Built beside --db and renamed at the end: --db never holds half a replay.
  const std::string building = options.db + ".replaying";
  if (fs::exists(building))
    throw store::StoreError(building +
                            " exists: an interrupted replay left it; remove it and replay again");

  const auto ends = PlanEndOffsets(ListHistory(config), cuts, config.kafka.topic_prefix);
  uint64_t total = 0;
  for (const auto& [tp, end] : ends) total += static_cast<uint64_t>(end);
  spdlog::info("replaying {} messages of {}.events and {}.campaigns into {}{}", total,
               config.kafka.topic_prefix, config.kafka.topic_prefix, options.db,
               until_ms ? " up to events that occurred by " + FormatIsoTimestampMs(*until_ms)
                        : std::string());

  project::ProjectorStats stats;
  std::string hash;
  std::string reached;
  std::chrono::duration<double> elapsed{};
  try {
    auto store = store::Store::Open(building, store::Store::Mode::kReadWrite);
    // A state without the later events must not be continued as if it were
    // the live one (accord project refuses it).
    if (until_ms) store->PutMeta(store::kReplayedUntilKey, FormatIsoTimestampMs(*until_ms));
    config.store.path = building;
    std::optional<project::Projector::FeedbackFold> feedback_fold;
    if (options.feedback) feedback_fold = feedback_service::MakeFeedbackFold(config);
    project::Projector projector(config, *store, nullptr, std::move(feedback_fold),
                                 project::Projector::Replay{ends, until_ms});
    cli::Progress progress("replaying", total);
    uint64_t folded = 0;
    project::Projector::RunOptions run;
    run.stop = &cli::StopOnSignals();
    run.on_batch = [&](const project::BatchReport& batch) {
      folded += batch.messages;
      progress.Update(folded, folded);
    };
    const auto started = std::chrono::steady_clock::now();
    stats = projector.Run(run);
    elapsed = std::chrono::steady_clock::now() - started;
    progress.Done();
    if (run.stop->load()) {
      std::cerr << "accord: replay interrupted; " << options.db << " was not written\n";
      throw cli::ExitCode{130};
    }
    if (until_ms && stats.messages == stats.after_cut + stats.dead_lettered)
      throw CutError("--until " + options.until +
                     " is before the first event of the history: nothing occurred by then");
    hash = store->StateHash();
    reached = FormatOffsetList(store->AllOffsets());
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(building, ignored);
    throw;
  }
  fs::rename(building, options.db);

  const double seconds = std::max(elapsed.count(), 1e-9);
  std::printf("replayed %llu messages in %.2f s (%.0f messages/s): %s\n",
              static_cast<unsigned long long>(stats.messages), seconds,
              static_cast<double>(stats.messages) / seconds, Summary(stats).c_str());
  std::printf("offsets %s\n", reached.c_str());
  std::printf("state hash %s\n", hash.c_str());
}

}  // namespace

void RegisterReplayCommand(CLI::App& app, cli::Context& context) {
  auto options = std::make_shared<Options>();
  auto* command = app.add_subcommand(
      "replay", "Rebuild the state as it was at a point in time, from the history alone");
  command->footer(
      "Folds <prefix>.events and <prefix>.campaigns from their beginning into the fresh "
      "directory --db with the projection's own fold, and prints how many messages it folded, "
      "how fast, the offsets it reached and the state hash. Without --until or --until-offsets "
      "it folds everything the topics hold when it starts.\n\n"
      "--until folds, in every partition, each event that occurred at or before the time and "
      "none that occurred after it, wherever it stands in the log: an event that arrived late "
      "but occurred by then counts. The result cannot be continued by accord project.\n"
      "--until-offsets stops each partition before the offset given (as `offsets` in the "
      "output of replay and snapshot create); every partition must be named. The result can "
      "be continued by accord project.\n\n"
      "It publishes nothing: the identity events the projection emitted and the messages it "
      "parked in the dead letters are part of the history it reads. --db must be missing or "
      "empty; the state is built in <db>.replaying and renamed when complete. Exit status 0 "
      "when complete, 1 on an error, 130 when interrupted (nothing is left behind).");
  command->add_option("--db", options->db, "The fresh state directory to build")->required();
  auto* until = command->add_option("--until", options->until,
                                    "Fold only the events that occurred at or before this time "
                                    "(RFC 3339, e.g. 2026-01-31T12:00:00Z)");
  until->type_name("TIME");
  command
      ->add_option("--until-offsets", options->until_offsets,
                   "Stop each partition before this offset: stream:partition:offset,... "
                   "(e.g. events:0:1200,events:1:980,campaigns:0:7)")
      ->type_name("LIST")
      ->excludes(until);
  command->add_flag("--feedback", options->feedback,
                    "Replay the feedback service's state (scores, handovers, campaign "
                    "effectiveness, reactivation) under the configuration's feedback rules; "
                    "the feedback events it works out are not published");
  command->callback([options, &context] { Replay(context.Config(), *options); });
}

}  // namespace accord::replay
