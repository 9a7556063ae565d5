#include "services/admin/topics_command.h"

#include <iostream>

#include "domain/events/envelope.h"
#include "io/kafka/client.h"

namespace accord::admin {

void RegisterTopicsCommand(CLI::App& app, cli::Context& context) {
  auto* topics = app.add_subcommand("topics", "Manage Accord's Kafka topics");
  topics->require_subcommand(1);
  struct Options {
    int partitions = 6;
    int replication_factor = 1;
  };
  auto options = std::make_shared<Options>();
  auto* create = topics->add_subcommand(
      "create",
      "Create <prefix>.events, .campaigns, .feedback and .deadletter with infinite "
      "retention where they do not exist yet (existing topics are left unchanged)");
  create->add_option("--partitions", options->partitions, "Partitions per topic")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  create->add_option("--replication-factor", options->replication_factor, "Replicas per partition")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  create->callback([options, &context] {
    const auto& kafka = context.Config().kafka;
    events::Topics names(kafka.topic_prefix);
    std::vector<std::string> all = {names.events, names.campaigns, names.feedback,
                                    names.deadletter};
    kafka::EnsureTopics(kafka, all, options->partitions, options->replication_factor);
    for (const auto& name : all) std::cout << name << "\n";
  });
}

}  // namespace accord::admin
