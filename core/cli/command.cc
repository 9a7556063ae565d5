#include "core/cli/command.h"

#include <spdlog/spdlog.h>

namespace accord::cli {

const config::AppConfig& Context::Config() {
  if (!config_) {
    config_ = config::Load(config_path, config::ProcessEnvironment());
    auto level = spdlog::level::from_str(log_level.empty() ? config_->log_level : log_level);
    spdlog::set_level(level);
  }
  return *config_;
}

}  // namespace accord::cli
