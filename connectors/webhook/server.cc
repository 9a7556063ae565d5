#include "connectors/webhook/server.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "connectors/webhook/signature.h"
#include "io/kafka/client.h"

namespace accord::connectors::webhook {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kChangesPath[] = "/v1/hooks/changes";
constexpr char kFormsPath[] = "/v1/hooks/forms";
constexpr char kHealthPath[] = "/healthz";
constexpr char kMetricsPath[] = "/metrics";
constexpr char kEventsHelp[] =
    "Events of accepted requests: published, or found published already (duplicate)";

Answer JsonAnswer(int status, const Json& body) {
  // Refusals quote what the sender sent, which need not be UTF-8 (a query
  // parameter): replace what is not, rather than fail the answer.
  return {status, body.dump(2, ' ', false, Json::error_handler_t::replace) + "\n", std::nullopt};
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The path label of the request counter: the known paths, else "other", so
// that probes of random paths cannot grow the metrics without bound.
std::string PathLabel(const std::string& path) {
  for (const char* known : {kChangesPath, kFormsPath, kHealthPath, kMetricsPath})
    if (path == known) return path;
  return "other";
}

}  // namespace

Answer ErrorAnswer(int status, std::string_view message) {
  return JsonAnswer(status, Json{{"error", message}});
}

Receiver::Receiver(ReceiverOptions options, Publish publish, metrics::Registry& registry)
    : options_(std::move(options)),
      publish_(std::move(publish)),
      registry_(registry),
      published_(registry.GetCounter("accord_webhook_events_total", kEventsHelp,
                                     {{"outcome", "published"}})),
      duplicates_(registry.GetCounter("accord_webhook_events_total", kEventsHelp,
                                      {{"outcome", "duplicate"}})),
      ignored_(registry.GetCounter("accord_webhook_items_ignored_total",
                                   "Items of accepted requests that carry nothing Accord keeps "
                                   "(subscription types and properties it does not map)")) {}

Answer Receiver::Handle(Shape shape, const Post& post, int64_t now_ms) {
  auto check = Verify(options_.secret, post.method, post.target, post.timestamp, post.signature,
                      post.body, now_ms / 1000);
  if (check.verdict == Verdict::kMismatch && !options_.previous_secret.empty()) {
    auto previous = Verify(options_.previous_secret, post.method, post.target, post.timestamp,
                           post.signature, post.body, now_ms / 1000);
    if (previous.verdict == Verdict::kValid) {
      // Which senders still sign with the old secret, before it is unset.
      registry_
          .GetCounter("accord_webhook_previous_secret_total",
                      "Requests accepted with the previous secret during a rotation")
          .Add();
      spdlog::info("{}: signed with the previous secret", post.target);
      check = previous;
    }
  }
  if (check.verdict != Verdict::kValid) {
    registry_
        .GetCounter("accord_webhook_signature_failures_total",
                    "Requests refused (401) for their signature, by reason",
                    {{"reason", std::string(VerdictName(check.verdict))}})
        .Add();
    spdlog::warn("refused {}: {}", post.target, check.reason);
    return ErrorAnswer(401, check.reason);
  }

  Mapped mapped = MapBody(shape, post.body, post.source.value_or(options_.default_source), now_ms);
  if (mapped.refusal) {
    spdlog::warn("refused {}: {}", post.target, mapped.refusal->Message());
    Json body{{"error", mapped.refusal->Message()}};
    if (mapped.refusal->item) {
      body["item"] = *mapped.refusal->item;
      body["field"] = mapped.refusal->field;
    }
    return JsonAnswer(400, body);
  }

  std::vector<kafka::TransactionalPublisher::Message> messages;
  messages.reserve(mapped.events.size());
  Json ids = Json::array();
  for (const auto& event : mapped.events) {
    messages.push_back({options_.topics.events, events::MessageKey(event),
                        event.SerializeAsString(), event.event_id()});
    // Kafka would refuse it on every retry, and a 503 would have the sender
    // try for ever: refused before anything of the request is published.
    const size_t bytes =
        kafka::MessageBytes(messages.back().key.size(), messages.back().value.size());
    if (bytes > options_.max_message_bytes) {
      const std::string reason = "event " + event.event_id() + ": " +
                                 kafka::TooLargeReason(bytes, options_.max_message_bytes);
      spdlog::warn("refused {}: {}", post.target, reason);
      return JsonAnswer(413, Json{{"error", reason},
                                  {"event", event.event_id()},
                                  {"bytes", bytes},
                                  {"limit", options_.max_message_bytes}});
    }
    ids.push_back(event.event_id());
  }
  kafka::TransactionalPublisher::Result result;
  result.committed = true;
  if (!messages.empty()) result = publish_(messages);
  if (!result.committed) {
    spdlog::warn("answered {} with 503: {}", post.target, result.error);
    Answer answer =
        ErrorAnswer(503,
                    "Kafka did not take the events; nothing of this request is published, send it "
                    "again later: " +
                        result.error);
    answer.retry_after_seconds = static_cast<int>(options_.retry_after.count());
    return answer;
  }
  published_.Add(result.published);
  duplicates_.Add(result.duplicates);
  ignored_.Add(mapped.ignored.size());
  Json ignored = Json::array();
  for (const auto& item : mapped.ignored) {
    spdlog::info("{}: ignored item {}: {}", post.target, item.item, item.reason);
    ignored.push_back({{"item", item.item}, {"reason", item.reason}});
  }
  return JsonAnswer(200, Json{{"published", result.published},
                              {"duplicates", result.duplicates},
                              {"events", std::move(ids)},
                              {"ignored", std::move(ignored)}});
}

WebhookServer::WebhookServer(Receiver& receiver, metrics::Registry& registry, size_t max_body_bytes,
                             http::ServerOptions options)
    : receiver_(receiver),
      registry_(registry),
      max_body_bytes_(max_body_bytes),
      metrics_access_(options.metrics_access),
      options_(options) {
  server_ = std::make_unique<http::Server>(
      "webhook", "webhooks", std::move(options),
      [this](const http::Request& head) { return Route(head); }, registry_);
  server_->OnAnswered([this](const http::Request& head, int status) {
    registry_
        .GetCounter("accord_webhook_requests_total", "HTTP requests by path and status",
                    {{"path", PathLabel(head.path)}, {"status", std::to_string(status)}})
        .Add();
  });
}

WebhookServer::~WebhookServer() = default;

http::Endpoint WebhookServer::Route(const http::Request& head) {
  const bool get = head.method == "GET" || head.method == "HEAD";
  if (head.path == kChangesPath || head.path == kFormsPath) {
    if (head.method != "POST") return http::MethodNotAllowed(head, "POST", http::Access::kOpen);
    // Open to anyone at the HTTP level: the receiver checks the signature.
    http::Endpoint endpoint;
    endpoint.max_body_bytes = max_body_bytes_;
    const Shape shape = head.path == kChangesPath ? Shape::kChanges : Shape::kForms;
    endpoint.answer = [this, shape](const http::Request& request) {
      Receiver::Post post;
      post.method = request.method;
      post.target = request.target;
      if (auto source = request.Param("source")) post.source = std::string(*source);
      if (auto timestamp = request.Header(kTimestampHeader))
        post.timestamp = std::string(*timestamp);
      if (auto signature = request.Header(kSignatureHeader))
        post.signature = std::string(*signature);
      post.body = request.body;
      const Answer answer = receiver_.Handle(shape, post, NowMs());
      http::Response response{answer.status, "application/json", answer.body, {}};
      if (answer.retry_after_seconds)
        response.headers.emplace_back("Retry-After", std::to_string(*answer.retry_after_seconds));
      return response;
    };
    return endpoint;
  }
  if (head.path == kHealthPath)
    return get ? http::HealthEndpoint()
               : http::MethodNotAllowed(head, "GET, HEAD", http::Access::kOpen);
  if (head.path == kMetricsPath)
    return get ? http::MetricsEndpoint(registry_, metrics_access_)
               : http::MethodNotAllowed(head, "GET, HEAD", http::Access::kOpen);
  http::Endpoint unknown;
  unknown.answer = [](const http::Request& request) {
    return http::ErrorResponse(404, "no such path: " + request.path + " (the hooks are " +
                                        kChangesPath + " and " + kFormsPath + ")");
  };
  return unknown;
}

void WebhookServer::Start(const std::string& host, int port) {
  if (metrics_access_ != http::Access::kOpen) http::CheckCredentials(options_, host, "/metrics");
  server_->Start(host, port, "choose another with --listen or webhook.listen");
}

void WebhookServer::Stop() {
  server_->Stop();
}

int WebhookServer::port() const {
  return server_->port();
}

}  // namespace accord::connectors::webhook
