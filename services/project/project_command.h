#pragma once

#include "core/cli/command.h"

namespace accord::project {

// Adds `accord project`.
void RegisterProjectCommand(CLI::App& app, cli::Context& context);

}  // namespace accord::project
