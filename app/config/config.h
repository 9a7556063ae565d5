#pragma once

#include <map>
#include <string>

#include "domain/feedback/rules.h"
#include "domain/fold/rules.h"
#include "io/config_error.h"
#include "io/http/options.h"
#include "io/kafka/config.h"

namespace accord::config {

struct StoreConfig {
  std::string path = "var/state";
};

struct ProjectConfig {
  std::string group_id = "accord-projection";
  // Static group membership (Kafka's group.instance.id): an instance that
  // restarts under the same id gets its partitions back at once instead of
  // after the session timeout. Empty: a running project or feedback service
  // uses "accord-<host name>-<16 hex digits of SHA-256 of the store's
  // absolute path>" (logged at start); --until-caught-up runs stay dynamic
  // members. A static member does not leave its group when it stops: an
  // instance removed for good hands its partitions on after
  // session.timeout.ms.
  std::string instance_id;
  // A batch ends at whichever comes first; each fold thread writes its share
  // of a batch in one RocksDB write. Under full load batches end by count:
  // larger ones write fewer records per event (a customer or a campaign's
  // statistics touched twice in a batch is written once) at the price of
  // latency (README, Performance).
  int batch_max_messages = 10000;
  int batch_max_ms = 200;
  // Threads that fold in parallel, each the partitions of its own shards
  // (a partition is always folded by one thread, in order).
  int fold_threads = 2;
  // Where the query API, /metrics, /healthz and /readyz listen ("host:port";
  // empty: no HTTP server). Loopback unless you mean otherwise.
  std::string http_listen = "127.0.0.1:8080";
};

struct WebhookConfig {
  // Where `accord webhook` listens ("host:port"). Loopback unless you mean
  // otherwise (a TLS proxy in front, typically).
  std::string listen = "127.0.0.1:8090";
  // The source system of notifications whose request does not name one.
  std::string source_system = "marketing";
  // The environment variable holding the secret requests are signed with.
  std::string secret_env = "ACCORD_WEBHOOK_SECRET";
  // During a rotation, the environment variable holding the secret being
  // replaced; requests signed with either secret are accepted while it is set.
  std::string previous_secret_env = "ACCORD_WEBHOOK_SECRET_PREVIOUS";
  // Larger request bodies are refused (413).
  int max_body_bytes = 1 << 20;
  // How long a request waits for Kafka to take its events before it is
  // answered 503, so that the sender retries.
  int publish_timeout_ms = 10000;
  // Kafka transactional.id: unique per running receiver, stable across its
  // restarts. Empty: "accord-webhook-<host name>-<port>-<topic prefix>".
  std::string transactional_id;
};

struct FoldConfig {
  // fold.field_rules: "default" and per-field rules ("phone: prefer crm").
  fold::Rules rules;
};

struct FeedbackConfig {
  // The feedback service's consumer group and RocksDB directory: it folds
  // the topics on its own, beside the projection.
  std::string group_id = "accord-feedback";
  std::string store_path = "var/feedback";
  // Where it serves its scores, /metrics, /healthz and /readyz ("host:port";
  // empty: no HTTP server).
  std::string http_listen = "127.0.0.1:8081";
  // How often the running service publishes a tick (0: never); from
  // feedback.tick_interval_s.
  int64_t tick_interval_ms = 3'600'000;
  // feedback.score, .handover, .pause, .attribution, .reactivation
  // (docs/feedback.md).
  feedback::FeedbackRules rules;
};

struct SinkConfig {
  // accord sink http: where and how feedback events are POSTed.
  std::string http_url;
  // A header carrying credentials, its value from an environment variable
  // (never from the file).
  std::string http_auth_header = "Authorization";
  std::string http_auth_env = "ACCORD_SINK_HTTP_AUTH";
  // The environment variable holding the HMAC key of X-Accord-Signature.
  std::string http_secret_env = "ACCORD_SINK_HTTP_SECRET";
  int http_max_in_flight = 4;
  int http_max_attempts = 8;
  int http_initial_backoff_ms = 200;
  int http_max_backoff_ms = 30000;
  int http_timeout_ms = 10000;
  // accord sink chat: a team chat's incoming-webhook URL (it is a secret in
  // most chat tools, so it comes from this environment variable).
  std::string chat_url_env = "ACCORD_SINK_CHAT_URL";
  // accord sink jsonl: the file events are appended to.
  std::string jsonl_path = "var/feedback.jsonl";
};

struct AppConfig {
  kafka::Config kafka;
  // Limits, TLS, allowed hosts and origins, tokens and roles of every HTTP
  // listener (docs/security.md). Token values come from
  // ACCORD_HTTP_TOKEN_<NAME> or the file ACCORD_HTTP_TOKEN_<NAME>_FILE names.
  http::ServerOptions http;
  StoreConfig store;
  ProjectConfig project;
  FoldConfig fold;
  WebhookConfig webhook;
  FeedbackConfig feedback;
  SinkConfig sink;
  std::string log_level = "info";
};

// Environment variables by name; passed in so that loading stays testable.
using Environment = std::map<std::string, std::string>;
Environment ProcessEnvironment();

// Reads the YAML file at `path` (none when empty), then applies environment
// overrides. Every key is declared once, in app/config/registry.cc, which
// also makes the table of docs/configuration.md. Unknown keys,
// wrong types and secrets written into the file are refused with the file,
// line and reason. Secrets come from the environment
// (ACCORD_KAFKA_PROPERTY_SASL_PASSWORD) or a file named by "<key>_file".
AppConfig Load(const std::string& path, const Environment& env);

}  // namespace accord::config
