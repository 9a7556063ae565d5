#include "connectors/webhook/webhook_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "connectors/publish/event_sink.h"
#include "connectors/webhook/server.h"
#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "io/host.h"
#include "io/kafka/client.h"
#include "io/kafka/transactions.h"

namespace accord::connectors::webhook {
namespace {

struct WebhookOptions {
  std::string listen;
};

// The topic must exist before the first request: a missing one would turn
// every request into a 503 instead of one clear error now.
void RequireEventsTopic(const kafka::Config& kafka, const std::string& topic) {
  auto conf = kafka::MakeConf(kafka, {});
  std::string error;
  std::unique_ptr<RdKafka::Producer> probe(RdKafka::Producer::create(conf.get(), error));
  if (!probe) throw kafka::KafkaError("cannot create Kafka client: " + error);
  kafka::RequireReachable(*probe, kafka);
  kafka::RequireTopics(*probe, kafka, {topic});
}

void RunWebhook(const WebhookOptions& options, cli::Context& context) {
  config::AppConfig config = context.Config();
  auto& webhook = config.webhook;
  if (!options.listen.empty()) webhook.listen = options.listen;
  const auto listen = http::ParseListenAddress(webhook.listen);
  const char* secret = std::getenv(webhook.secret_env.c_str());
  if (secret == nullptr || *secret == '\0')
    throw std::runtime_error("no webhook secret: set the environment variable " +
                             webhook.secret_env +
                             " (webhook.secret_env) to the secret senders sign requests with");
  const char* previous_secret = std::getenv(webhook.previous_secret_env.c_str());
  if (previous_secret != nullptr && *previous_secret != '\0')
    spdlog::warn("accepting requests signed with the previous secret ({}) too, until it is unset",
                 webhook.previous_secret_env);
  if (!events::IsValidSystemName(webhook.source_system) ||
      webhook.source_system == events::kAccordSystem)
    throw ConfigError("webhook.source_system \"" + webhook.source_system +
                      "\" is not a source system name (lower-case letters, digits, '.', "
                      "'_', '-'; not \"accord\")");
  // SIGINT and SIGTERM are blocked before any thread starts, so every thread
  // inherits the mask and the main thread alone receives them, in sigwait().
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const events::Topics topics(config.kafka.topic_prefix);
  RequireEventsTopic(config.kafka, topics.events);
  const std::string transactional_id = !webhook.transactional_id.empty()
                                           ? webhook.transactional_id
                                           : "accord-webhook-" + HostName() + "-" +
                                                 std::to_string(listen.port) + "-" +
                                                 config.kafka.topic_prefix;
  const std::chrono::milliseconds timeout(webhook.publish_timeout_ms);
  kafka::TransactionalPublisher publisher(config.kafka, {transactional_id, timeout});
  metrics::Registry registry;
  EventSink sink(
      config.kafka, "webhook",
      [&publisher](const std::vector<kafka::TransactionalPublisher::Message>& batch) {
        return publisher.Publish(batch);
      },
      &registry);
  Receiver receiver(
      {secret, webhook.source_system, std::chrono::ceil<std::chrono::seconds>(timeout),
       previous_secret ? previous_secret : ""},
      sink, registry);
  WebhookServer server(receiver, registry, static_cast<size_t>(webhook.max_body_bytes),
                       config.http);
  server.Start(listen.host, listen.port);
  spdlog::info("publishing to {} on {} as transactional id {}", topics.events,
               config.kafka.bootstrap_servers, transactional_id);

  int received = 0;
  sigwait(&stop_signals, &received);
  spdlog::info("{}: finishing the requests in flight", strsignal(received));
  server.Stop();
  std::cout << "published " << receiver.published() << " events (" << receiver.duplicates()
            << " were published already); ignored " << receiver.ignored() << " items\n";
}

}  // namespace

void RegisterWebhookCommand(CLI::App& app, cli::Context& context) {
  auto options = std::make_shared<WebhookOptions>();
  auto* webhook = app.add_subcommand(
      "webhook", "Receive signed change notifications over HTTP and publish them as events");
  webhook->footer(
      "Serves POST /v1/hooks/changes (batched contact and deal change notifications) and POST "
      "/v1/hooks/forms (form submissions and other campaign engagement), plus GET /healthz and "
      "/metrics, until SIGINT or SIGTERM; requests in flight are finished first. Every request "
      "is signed: X-Accord-Timestamp (seconds since the epoch) and X-Accord-Signature "
      "(v1=<hex HMAC-SHA256 of method, path with query, timestamp and body>), keyed with the "
      "secret in the environment variable named by webhook.secret_env (ACCORD_WEBHOOK_SECRET); "
      "without it the command does not start. ?source=<system> names the sending system "
      "(default: webhook.source_system). Answers: 200 once Kafka has every event of the "
      "request; 400 for malformed JSON or an invalid item (named); 401 for a missing, wrong or "
      "stale (over 5 minutes) signature; 413 for a body over webhook.max_body_bytes or an event "
      "larger than Kafka takes (message.max.bytes); 503 with "
      "Retry-After when Kafka does not take the events within webhook.publish_timeout_ms. A "
      "request's events are published in one Kafka transaction: a request answered anything "
      "but 200 publishes nothing, so the sender can send it again without duplicates. See "
      "docs/webhook.md.");
  webhook
      ->add_option("--listen", options->listen,
                   "Listen on host:port (default: webhook.listen, 127.0.0.1:8090)")
      ->type_name("HOST:PORT");
  webhook->callback([options, &context] { RunWebhook(*options, context); });
}

}  // namespace accord::connectors::webhook
