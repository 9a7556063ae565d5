#include "connectors/sink/sink_command.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "connectors/sink/body.h"
#include "connectors/sink/runner.h"
#include "io/http/server.h"

namespace accord::connectors::sink {
namespace {

struct SinkOptions {
  std::string url;
  std::string path;
  std::string group_id;
  std::string ledger;
  int max_in_flight = 0;
  bool until_caught_up = false;
  std::string http_listen;
};

std::string FromEnvironment(const std::string& variable) {
  const char* value = variable.empty() ? nullptr : std::getenv(variable.c_str());
  return value ? value : "";
}

// The retry and timeout settings of sink.http, which the chat sink shares.
HttpTargetOptions HttpOptions(const config::SinkConfig& config) {
  HttpTargetOptions target;
  target.retry = {config.http_max_attempts,
                  std::chrono::milliseconds(config.http_initial_backoff_ms),
                  std::chrono::milliseconds(config.http_max_backoff_ms)};
  target.timeout = std::chrono::milliseconds(config.http_timeout_ms);
  return target;
}

void Run(const config::AppConfig& config, const std::string& kind, Target& target,
         const SinkOptions& options, int default_in_flight,
         std::function<std::optional<std::string>(const v1::Event&)> render = nullptr,
         bool with_events_topic = false) {
  RunnerOptions run;
  run.group_id = options.group_id.empty() ? "accord-sink-" + kind : options.group_id;
  run.ledger = options.ledger.empty() ? "var/sink/" + kind + "-ledger" : options.ledger;
  run.max_in_flight = options.max_in_flight > 0 ? options.max_in_flight : default_in_flight;
  run.until_caught_up = options.until_caught_up;
  run.stop = &cli::StopOnSignals();
  run.render = std::move(render);
  run.with_events_topic = with_events_topic;
  metrics::Registry registry;
  http::HealthServer serving("sink", "sink health and metrics", config.http, registry);
  serving.Start(options.http_listen);
  spdlog::info("delivering feedback events as group {}, ledger {}", run.group_id, run.ledger);
  auto stats = RunSink(config, target, run, &registry);
  std::cout << "delivered " << stats.delivered << " feedback events, duplicates skipped "
            << stats.duplicates << ", dead-lettered " << stats.dead_lettered;
  if (stats.skipped > 0) std::cout << ", not for this sink " << stats.skipped;
  std::cout << "\n";
}

void AddCommonOptions(CLI::App& command, const std::shared_ptr<SinkOptions>& options,
                      const std::string& kind) {
  command.add_option("--group-id", options->group_id,
                     "Consumer group on <prefix>.feedback: its committed offsets are the sink's "
                     "position (default: accord-sink-" +
                         kind + ")");
  command.add_option(
      "--ledger", options->ledger,
      "Directory of the ids already delivered (default: var/sink/" + kind + "-ledger)");
  command.add_flag("--until-caught-up", options->until_caught_up,
                   "Exit once every partition of <prefix>.feedback is delivered to its end");
  options->http_listen = kind == "http" ? "127.0.0.1:8093" : kind == "chat" ? "127.0.0.1:8094" : "";
  command
      .add_option("--http-listen", options->http_listen,
                  "Where /healthz and /metrics (Prometheus: accord_sink_events_total by "
                  "outcome) are served, host:port; \"\" for nowhere")
      ->capture_default_str();
}

}  // namespace

void RegisterSinkCommands(CLI::App& app, cli::Context& context) {
  auto* sink = app.add_subcommand("sink", "Deliver feedback events to marketing");
  sink->require_subcommand(1);
  sink->footer(
      "Each sink consumes <prefix>.feedback as a consumer group of its own and commits its "
      "position only after the events before it were delivered or dead-lettered; the ids it "
      "delivered are kept, so events a feedback service emitted again are skipped "
      "(docs/sinks.md).");

  auto http_options = std::make_shared<SinkOptions>();
  auto* http = sink->add_subcommand(
      "http", "POST every feedback event as JSON to a marketing tool's endpoint");
  http->add_option("--url", http_options->url, "Endpoint (default: sink.http.url)");
  http->add_option("--max-in-flight", http_options->max_in_flight,
                   "Customers delivered to at once (default: sink.http.max_in_flight)");
  AddCommonOptions(*http, http_options, "http");
  http->callback([http_options, &context] {
    const auto& config = context.Config().sink;
    HttpTargetOptions target = HttpOptions(config);
    target.url = http_options->url.empty() ? config.http_url : http_options->url;
    if (target.url.empty())
      throw CLI::ValidationError("--url", "no endpoint: give --url or sink.http.url");
    const std::string auth = FromEnvironment(config.http_auth_env);
    if (!auth.empty()) {
      target.auth_header = config.http_auth_header;
      target.auth_value = auth;
    }
    target.secret = FromEnvironment(config.http_secret_env);
    auto endpoint = MakeHttpTarget(target, &cli::StopOnSignals());
    Run(context.Config(), "http", *endpoint, *http_options, config.http_max_in_flight);
  });

  auto chat_options = std::make_shared<SinkOptions>();
  auto* chat = sink->add_subcommand(
      "chat",
      "Post qualified leads, contact pauses, reactivation candidates and won deals to a "
      "team chat");
  chat->add_option("--url", chat_options->url,
                   "Incoming-webhook URL (default: the environment variable sink.chat.url_env "
                   "names, ACCORD_SINK_CHAT_URL)");
  AddCommonOptions(*chat, chat_options, "chat");
  chat->callback([chat_options, &context] {
    const auto& config = context.Config().sink;
    HttpTargetOptions target = HttpOptions(config);
    target.url =
        chat_options->url.empty() ? FromEnvironment(config.chat_url_env) : chat_options->url;
    if (target.url.empty())
      throw CLI::ValidationError("--url", "no chat URL: give --url or set " + config.chat_url_env);
    auto endpoint = MakeHttpTarget(target, &cli::StopOnSignals());
    Run(context.Config(), "chat", *endpoint, *chat_options, 1, ChatMessageJson, true);
  });

  auto jsonl_options = std::make_shared<SinkOptions>();
  auto* jsonl =
      sink->add_subcommand("jsonl", "Append every feedback event as a JSON line to a file");
  jsonl->add_option("--path", jsonl_options->path, "File (default: sink.jsonl.path)");
  AddCommonOptions(*jsonl, jsonl_options, "jsonl");
  jsonl->callback([jsonl_options, &context] {
    auto file = MakeJsonlTarget(jsonl_options->path.empty() ? context.Config().sink.jsonl_path
                                                            : jsonl_options->path);
    Run(context.Config(), "jsonl", *file, *jsonl_options, 1);
  });
}

}  // namespace accord::connectors::sink
