#pragma once

#include "app/cli/command.h"

namespace accord::admin {

// Adds `accord topics create`.
void RegisterTopicsCommand(CLI::App& app, cli::Context& context);

}  // namespace accord::admin
