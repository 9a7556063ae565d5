// `accord`: one command line for every Accord service and tool.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <iostream>

#include "app/cli/command.h"
#include "connectors/cdc/cdc_command.h"
#include "connectors/import/import_command.h"
#include "connectors/sink/sink_command.h"
#include "connectors/webhook/webhook_command.h"
#include "services/admin/config_command.h"
#include "services/admin/topics_command.h"
#include "services/audit/audit_command.h"
#include "services/deadletter/deadletter_command.h"
#include "services/feedback/feedback_command.h"
#include "services/project/project_command.h"
#include "services/query/query_command.h"
#include "services/replay/replay_command.h"
#include "services/snapshot/snapshot_command.h"

int main(int argc, char** argv) {
  // Everything Accord writes (state, snapshots, reject and sink files, the
  // access log) may hold personal data: readable by its owner only, whoever
  // asked for it to be written (docs/security.md).
  umask(0077);
  spdlog::set_default_logger(spdlog::stderr_color_mt("accord"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app(
      "Accord: an event-sourced sync engine between marketing and sales systems.\n"
      "Configuration: --config FILE (YAML) and ACCORD_* environment variables; `accord config "
      "reference` lists every key, docs/configuration.md explains them.",
      "accord");
  app.require_subcommand(1);
  app.set_version_flag("--version", ACCORD_VERSION);
  accord::cli::Context context;
  app.add_option("-c,--config", context.config_path, "YAML configuration file")
      ->envname("ACCORD_CONFIG")
      ->check(CLI::ExistingFile);
  app.add_option("--log-level", context.log_level,
                 "trace, debug, info, warn, error (default: the configuration's log_level)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

  accord::connectors::file_import::RegisterImportCommand(app, context);
  accord::connectors::webhook::RegisterWebhookCommand(app, context);
  accord::connectors::cdc::RegisterCdcCommand(app, context);
  accord::project::RegisterProjectCommand(app, context);
  accord::feedback_service::RegisterFeedbackCommand(app, context);
  accord::connectors::sink::RegisterSinkCommands(app, context);
  accord::query::RegisterQueryCommands(app, context);
  accord::replay::RegisterReplayCommand(app, context);
  accord::snapshot::RegisterSnapshotCommands(app, context);
  accord::audit::RegisterAuditCommands(app);
  accord::admin::RegisterTopicsCommand(app, context);
  accord::admin::RegisterConfigCommand(app);
  accord::deadletter::RegisterDeadletterCommands(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const accord::cli::ExitCode& exit) {
    return exit.code;
  } catch (const std::exception& e) {
    std::cerr << "accord: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
