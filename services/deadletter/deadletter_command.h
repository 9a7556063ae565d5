#pragma once

#include "app/cli/command.h"

namespace accord::deadletter {

// Adds `accord deadletter list` and `accord deadletter redrive`.
void RegisterDeadletterCommands(CLI::App& app, cli::Context& context);

}  // namespace accord::deadletter
