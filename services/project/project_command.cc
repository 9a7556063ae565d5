#include "services/project/project_command.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>

#include "domain/util/hash.h"
#include "io/host.h"
#include "io/metrics/metrics.h"
#include "services/api/http_server.h"
#include "services/project/projector.h"
#include "services/snapshot/snapshot.h"

namespace accord::project {

std::string DefaultInstanceId(const std::string& host, const std::string& absolute_store_path) {
  // Kafka takes letters, digits, '.', '_' and '-' in an instance id.
  std::string id = "accord-";
  for (char c : host.substr(0, 64))
    id += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '-';
  return id + "-" + Sha256Hex(absolute_store_path).substr(0, 16);
}

ProjectorStats RunProjector(config::AppConfig config, const RunCommandOptions& options,
                            std::optional<Projector::FeedbackFold> feedback_fold) {
  if (!options.db.empty()) config.store.path = options.db;
  if (!options.group_id.empty()) config.project.group_id = options.group_id;
  if (options.http_listen) config.project.http_listen = *options.http_listen;
  std::optional<http::ListenAddress> listen;
  if (!config.project.http_listen.empty())
    listen = http::ParseListenAddress(config.project.http_listen);
  if (!options.restore.empty()) {
    snapshot::Restore(options.restore, config.store.path);
    spdlog::info("restored snapshot {} into {}", options.restore, config.store.path);
  }
  auto store = store::Store::Open(config.store.path, store::Store::Mode::kReadWrite);
  if (auto until = store->Meta(store::kReplayedUntilKey))
    throw store::StoreError(config.store.path + " was built by accord replay --until " + *until +
                            ": it lacks the later events wherever they stand in the log, so it "
                            "cannot be continued; replay with --until-offsets instead, or "
                            "restore a snapshot");
  // A run that ends stays a dynamic member: a static one does not leave
  // the group when it exits, and would hold its partitions from the group's
  // other members until the session timeout.
  if (config.project.instance_id.empty() && !options.until_caught_up)
    config.project.instance_id = DefaultInstanceId(
        HostName(),
        std::filesystem::weakly_canonical(std::filesystem::absolute(config.store.path)).string());
  metrics::Registry registry;
  Projector projector(config, *store, &registry, std::move(feedback_fold));
  // Serves while the projection runs: queries read the store it writes,
  // /readyz reports whether it has caught up. A port in use fails here,
  // before anything is folded.
  config.http.insecure_no_auth = config.http.insecure_no_auth || options.insecure_no_auth;
  api::HttpServer http(
      *store, [&projector] { return projector.Ready(); }, registry, config.http);
  http.AcceptSnapshots(
      [&store](const std::string& body) { return snapshot::AnswerSnapshotRequest(*store, body); });
  if (listen) http.Start(listen->host, listen->port);
  spdlog::info("folding {}.* from {} into {} as group {}, {}", config.kafka.topic_prefix,
               config.kafka.bootstrap_servers, config.store.path, config.project.group_id,
               config.project.instance_id.empty() ? "dynamic member"
                                                  : "instance " + config.project.instance_id);
  Projector::RunOptions run;
  run.until_caught_up = options.until_caught_up;
  run.stop = &cli::StopOnSignals();
  auto stats = projector.Run(run);
  http.Stop();
  return stats;
}

void AddRunOptions(CLI::App& command, const std::shared_ptr<RunCommandOptions>& options,
                   const std::string& defaults_section) {
  command.add_option("--db", options->db,
                     "State directory (default: " +
                         (defaults_section == "project" ? std::string("store.path")
                                                        : defaults_section + ".store_path") +
                         ")");
  command.add_option("--group-id", options->group_id,
                     "Consumer group (default: " + defaults_section + ".group_id)");
  command.add_flag("--until-caught-up", options->until_caught_up,
                   "Exit once every assigned partition has been folded to its end");
  command
      .add_option("--restore", options->restore,
                  "Start from this snapshot (accord snapshot create): copied into the state "
                  "directory, which must be missing or empty, then caught up from its offsets")
      ->type_name("SNAPSHOT")
      ->check(CLI::ExistingDirectory);
  auto* http_listen = command.add_option_function<std::string>(
      "--http-listen", [options](const std::string& value) { options->http_listen = value; },
      "Serve the query API, /metrics, /healthz and /readyz on host:port; \"\" for no server "
      "(default: " +
          defaults_section + ".http_listen)");
  http_listen->type_name("HOST:PORT");
  command.add_flag("--insecure-no-auth", options->insecure_no_auth,
                   "Serve the HTTP API without bearer tokens: anyone who reaches it reads every "
                   "customer. Refused unless the address is loopback; without it, tokens are "
                   "required (http.tokens, docs/security.md)");
}

void RegisterProjectCommand(CLI::App& app, cli::Context& context) {
  auto options = std::make_shared<RunCommandOptions>();
  auto* project = app.add_subcommand("project", "Fold the event topics into the RocksDB state");
  project->footer(
      "Runs as a member of the projection consumer group (project.group_id) until SIGINT or "
      "SIGTERM, or with --until-caught-up until every assigned partition is folded to its "
      "end. Each batch's state and consumer offsets are written in one RocksDB WriteBatch and "
      "the consumer resumes from them, so a crash at any point loses nothing and folds "
      "nothing twice. A message that cannot be folded is parked in <prefix>.deadletter with "
      "its reason, topic, partition and offset (see accord deadletter), counted, and the "
      "projection goes on. POST /v1/snapshots (accord snapshot create) checkpoints the state "
      "while it runs; --restore starts from such a snapshot. The HTTP API needs a bearer token of "
      "the role each endpoint names (http.tokens; docs/security.md, docs/api.md).");
  AddRunOptions(*project, options, "project");
  project->callback([options, &context] {
    auto stats = RunProjector(context.Config(), *options, std::nullopt);
    std::cout << "projected " << stats.messages << " messages in " << stats.batches
              << " batches: " << stats.applied << " applied, " << stats.duplicates
              << " duplicates, " << stats.ignored << " ignored, " << stats.forwarded
              << " forwarded, " << stats.dead_lettered
              << " dead-lettered; identity events: " << stats.identity << " folded, "
              << stats.emitted << " emitted\n";
  });
}

}  // namespace accord::project
