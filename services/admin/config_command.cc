#include "services/admin/config_command.h"

#include <iostream>

#include "app/config/registry.h"

namespace accord::admin {

void RegisterConfigCommand(CLI::App& app) {
  auto* config = app.add_subcommand("config", "Describe Accord's configuration");
  config->require_subcommand(1);
  auto* reference = config->add_subcommand(
      "reference",
      "Print every configuration key as a markdown table: its environment variable, built-in "
      "default, allowed values and meaning (docs/configuration.md holds the same table). Reads "
      "neither --config nor the environment: the defaults shown are Accord's own");
  reference->callback([] { std::cout << config::ReferenceTable(); });
}

}  // namespace accord::admin
