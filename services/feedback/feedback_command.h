#pragma once

#include "app/cli/command.h"
#include "services/project/projector.h"

namespace accord::feedback_service {

// Adds `accord feedback`.
void RegisterFeedbackCommand(CLI::App& app, cli::Context& context);

// The feedback fold, run by the projector after its own fold, under `config`'s
// feedback rules, emitting to <prefix>.feedback.
project::Projector::FeedbackFold MakeFeedbackFold(const config::AppConfig& config);

}  // namespace accord::feedback_service
