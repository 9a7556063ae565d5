#pragma once

#include "app/cli/command.h"

namespace accord::connectors::file_import {

// Adds `accord import csv`.
void RegisterImportCommand(CLI::App& app, cli::Context& context);

}  // namespace accord::connectors::file_import
