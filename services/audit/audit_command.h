#pragma once

#include "app/cli/command.h"

namespace accord::audit {

// Adds `accord audit customer` and `accord diff`.
void RegisterAuditCommands(CLI::App& app);

}  // namespace accord::audit
