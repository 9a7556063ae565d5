#pragma once

#include "app/cli/command.h"

namespace accord::connectors::cdc {

// Adds `accord cdc postgres`.
void RegisterCdcCommand(CLI::App& app, cli::Context& context);

}  // namespace accord::connectors::cdc
