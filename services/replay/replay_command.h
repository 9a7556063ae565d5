#pragma once

#include "app/cli/command.h"

namespace accord::replay {

// Adds `accord replay`: the history folded from its beginning into a fresh
// state directory, up to a point in time or a list of offsets.
void RegisterReplayCommand(CLI::App& app, cli::Context& context);

}  // namespace accord::replay
