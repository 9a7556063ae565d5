#pragma once

#include <memory>
#include <optional>
#include <string>

#include "app/cli/command.h"
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
  // --insecure-no-auth: serve the HTTP API without tokens, on loopback only.
  bool insecure_no_auth = false;
};
void AddRunOptions(CLI::App& command, const std::shared_ptr<RunCommandOptions>& options,
                   const std::string& defaults_section);

// The consumer's group.instance.id when project.instance_id is empty, for
// a projection or feedback service that runs until stopped: static
// membership lets an instance restarted after a crash rejoin at once,
// where a new member would wait out the dead one's session timeout. It
// names the host and the store (the SHA-256 of its absolute path), so
// instances with different stores differ and a restart on the same store
// keeps its id; RocksDB's lock keeps two processes off one store.
std::string DefaultInstanceId(const std::string& host, const std::string& absolute_store_path);

// Runs a Projector over `config` (store.path, project.group_id and
// project.http_listen as the command's options leave them) until stopped by
// SIGINT or SIGTERM, or caught up when asked; serves the query API, /metrics,
// /healthz and /readyz meanwhile.
ProjectorStats RunProjector(config::AppConfig config, const RunCommandOptions& options,
                            std::optional<Projector::FeedbackFold> feedback_fold);

}  // namespace accord::project
