#pragma once

#include "app/cli/command.h"

namespace accord::query {

// Adds `accord query` and `accord state-hash`, which read a state directory
// (read-only, so they work while the projection runs).
void RegisterQueryCommands(CLI::App& app, cli::Context& context);

}  // namespace accord::query
