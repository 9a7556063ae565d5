#pragma once

#include "app/cli/command.h"

namespace accord::connectors::webhook {

// Adds `accord webhook`.
void RegisterWebhookCommand(CLI::App& app, cli::Context& context);

}  // namespace accord::connectors::webhook
