#include "services/feedback/feedback_command.h"

#include <chrono>
#include <iostream>
#include <optional>

#include "domain/events/envelope.h"
#include "domain/feedback/score.h"
#include "domain/util/time.h"
#include "services/feedback/ticks.h"
#include "services/project/project_command.h"

namespace accord::feedback_service {

project::Projector::FeedbackFold MakeFeedbackFold(const config::AppConfig& config) {
  const feedback::FeedbackRules rules = config.feedback.rules;
  return {events::Topics(config.kafka.topic_prefix).feedback,
          [rules](const fold::StateReader& shard, const v1::Event& event,
                  const std::string& customer_id) {
            return feedback::ApplyFeedback(shard, event, customer_id, rules);
          }};
}

void RegisterFeedbackCommand(CLI::App& app, cli::Context& context) {
  auto options = std::make_shared<project::RunCommandOptions>();
  auto* command = app.add_subcommand(
      "feedback",
      "Fold the event topics into lead scores, handovers, campaign effectiveness, reactivation "
      "candidates and contact pauses for marketing");
  command->footer(
      "Folds the topics as the projection does, in a consumer group and RocksDB directory of "
      "its own (feedback.group_id, feedback.store_path), and scores every customer an event "
      "touched with the rules of feedback.score, .handover, .pause, .attribution and "
      ".reactivation (docs/feedback.md). Feedback events go to <prefix>.feedback, published "
      "before the batch's offsets are stored; their ids derive from the events that caused "
      "them, so a restart or a replay emits the same ids. Runs until SIGINT or SIGTERM, "
      "publishing a tick to every partition of <prefix>.events every feedback.tick_interval_s "
      "so that time passes for reactivation (see accord tick); or, with --until-caught-up, "
      "without ticking until every assigned partition is folded to its end. Its HTTP API "
      "(feedback.http_listen) needs bearer tokens like the projection's (docs/security.md).");
  project::AddRunOptions(*command, options, "feedback");
  command->callback([options, &context] {
    config::AppConfig config = context.Config();
    config.store.path = config.feedback.store_path;
    config.project.group_id = config.feedback.group_id;
    config.project.http_listen = config.feedback.http_listen;
    // Only a service that keeps running lets time pass; a run that folds
    // what the topics hold adds nothing to them.
    std::optional<Ticker> ticker;
    if (!options->until_caught_up && config.feedback.tick_interval_ms > 0)
      ticker.emplace(config.kafka, events::Topics(config.kafka.topic_prefix).events,
                     config.feedback.tick_interval_ms);
    auto stats = project::RunProjector(config, *options, MakeFeedbackFold(config));
    std::cout << "folded " << stats.messages << " messages in " << stats.batches
              << " batches: " << stats.applied << " applied, " << stats.duplicates
              << " duplicates, " << stats.dead_lettered << " dead-lettered; "
              << stats.feedback_emitted << " feedback events emitted\n";
  });

  auto at = std::make_shared<std::string>();
  auto* tick = app.add_subcommand(
      "tick", "Let time pass for the feedback fold: publish a tick to every events partition");
  tick->footer(
      "Publishes one tick (time as an event) to every partition of <prefix>.events. The feedback "
      "service folds it like any event: customers whose reactivation is due by then are "
      "announced. A running `accord feedback` ticks by itself every feedback.tick_interval_s; "
      "use this to tick a history at a chosen moment (tests, backfills). Ticks are history: a "
      "replay sees time pass as the live service did.");
  tick->add_option("--at", *at, "The time to tick at, RFC 3339 (default: now)")->type_name("TIME");
  tick->callback([at, &context] {
    const config::AppConfig config = context.Config();
    int64_t at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    if (!at->empty()) {
      auto parsed = ParseIsoTimestampMs(*at);
      if (!parsed || *parsed <= 0)
        throw std::runtime_error("--at: \"" + *at +
                                 "\" is not an RFC 3339 time such as 2026-03-01T00:00:00Z");
      at_ms = *parsed;
    }
    const std::string topic = events::Topics(config.kafka.topic_prefix).events;
    const auto partitions = PublishTicks(config.kafka, topic, at_ms);
    std::cout << "ticked " << partitions << " partitions of " << topic << " at "
              << FormatIsoTimestampMs(at_ms) << "\n";
  });
}

}  // namespace accord::feedback_service
