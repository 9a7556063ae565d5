#pragma once

#include "app/cli/command.h"

namespace accord::connectors::sink {

// Adds `accord sink http` and `accord sink jsonl`.
void RegisterSinkCommands(CLI::App& app, cli::Context& context);

}  // namespace accord::connectors::sink
