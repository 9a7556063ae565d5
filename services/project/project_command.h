#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/cli/command.h"
#include "services/project/projector.h"

namespace accord::project {

// Adds `accord project`.
void RegisterProjectCommand(CLI::App& app, cli::Context& context);

// What every command that runs a Projector takes on its command line.
struct RunCommandOptions {
  std::string db;
  std::string group_id;
  bool until_caught_up = false;
  // A snapshot to copy into the (fresh) state directory and continue from.
  std::string restore;
  // Set when --http-listen was given (an empty value turns the server off).
  std::optional<std::string> http_listen;
};
void AddRunOptions(CLI::App& command, const std::shared_ptr<RunCommandOptions>& options,
                   const std::string& defaults_section);

// Runs a Projector over `config` (store.path, project.group_id and
// project.http_listen as the command's options leave them) until stopped by
// SIGINT or SIGTERM, or caught up when asked; serves the query API, /metrics,
// /healthz and /readyz meanwhile.
ProjectorStats RunProjector(config::AppConfig config, const RunCommandOptions& options,
                            std::optional<Projector::FollowUp> follow_up);

}  // namespace accord::project
