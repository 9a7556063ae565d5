#include "app/cli/command.h"

#include <csignal>

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

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void RequestStop(int) {
  stop_requested.store(true);
}

}  // namespace

const std::atomic<bool>& StopOnSignals() {
  static const bool installed = [] {
    std::signal(SIGINT, RequestStop);
    std::signal(SIGTERM, RequestStop);
    return true;
  }();
  (void)installed;
  return stop_requested;
}

}  // namespace accord::cli
