#pragma once

#include "app/cli/command.h"

namespace accord::admin {

// Adds `accord config reference`.
void RegisterConfigCommand(CLI::App& app);

}  // namespace accord::admin
