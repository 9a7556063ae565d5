#pragma once

#include "app/cli/command.h"

namespace accord::snapshot {

// Adds `accord snapshot create` and `accord snapshot show`.
void RegisterSnapshotCommands(CLI::App& app, cli::Context& context);

}  // namespace accord::snapshot
