#pragma once

#include "core/cli/command.h"

namespace accord::feedback {

// Adds `accord feedback`.
void RegisterFeedbackCommand(CLI::App& app, cli::Context& context);

}  // namespace accord::feedback
