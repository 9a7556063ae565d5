#pragma once

#include "core/cli/command.h"

namespace accord::connectors::csv {

// Adds `accord import csv`.
void RegisterImportCommand(CLI::App& app, cli::Context& context);

}  // namespace accord::connectors::csv
