#include "services/feedback/feedback_command.h"

#include <iostream>

#include "core/events/envelope.h"
#include "core/feedback/score.h"
#include "services/project/project_command.h"

namespace accord::feedback {

void RegisterFeedbackCommand(CLI::App& app, cli::Context& context) {
  auto options = std::make_shared<project::RunCommandOptions>();
  auto* command = app.add_subcommand(
      "feedback",
      "Fold the event topics into lead scores, handovers and contact pauses for marketing");
  command->footer(
      "Folds the topics as the projection does, in a consumer group and RocksDB directory of "
      "its own (feedback.group_id, feedback.store_path), and scores every customer an event "
      "touched with the rules of feedback.score, .handover and .pause (docs/feedback.md). "
      "Score updates, qualified leads and contact pauses go to <prefix>.feedback, published before "
      "the "
      "batch's offsets are stored; their ids derive from the events that caused them, so a "
      "restart or a replay emits the same ids. Runs until SIGINT or SIGTERM, or with "
      "--until-caught-up until every assigned partition is folded to its end.");
  project::AddRunOptions(*command, options, "feedback");
  command->callback([options, &context] {
    config::AppConfig config = context.Config();
    config.store.path = config.feedback.store_path;
    config.project.group_id = config.feedback.group_id;
    config.project.http_listen = config.feedback.http_listen;
    const FeedbackRules rules = config.feedback.rules;
    project::Projector::FollowUp scores{
        events::Topics(config.kafka.topic_prefix).feedback,
        [rules](const fold::StateReader& shard, const v1::Event& event,
                const std::string& customer_id) {
          return ApplyFeedback(shard, event, customer_id, rules);
        }};
    auto stats = project::RunProjector(config, *options, std::move(scores));
    std::cout << "folded " << stats.messages << " messages in " << stats.batches
              << " batches: " << stats.applied << " applied, " << stats.duplicates
              << " duplicates, " << stats.dead_lettered << " dead-lettered; " << stats.followed_up
              << " feedback events emitted\n";
  });
}

}  // namespace accord::feedback
