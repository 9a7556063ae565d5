#pragma once

#include <atomic>

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "app/config/config.h"

namespace accord::cli {

// What every subcommand shares: the --config file and the configuration it
// yields, loaded only when a command runs (so --help never needs a config).
class Context {
 public:
  std::string config_path;
  // --log-level; wins over the configuration's log_level.
  std::string log_level;
  const config::AppConfig& Config();

 private:
  std::optional<config::AppConfig> config_;
};

// A flag SIGINT and SIGTERM set, for long-running commands to stop between
// units of work; the handlers are installed on the first call.
const std::atomic<bool>& StopOnSignals();

// Ends the process with this exit code; the command has already said why.
struct ExitCode {
  int code;
};

}  // namespace accord::cli
