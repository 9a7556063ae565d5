#include "connectors/webhook/server.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "connectors/webhook/accord_format.h"

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

using Hooks = std::map<std::string, std::unique_ptr<WebhookFormat>, std::less<>>;

// Each hook's path and its sender's format.
Hooks AllHooks() {
  Hooks hooks;
  hooks.emplace(kChangesPath, std::make_unique<AccordFormat>(Shape::kChanges));
  hooks.emplace(kFormsPath, std::make_unique<AccordFormat>(Shape::kForms));
  return hooks;
}

std::string ListPaths(const Hooks& hooks) {
  std::string list;
  for (auto hook = hooks.begin(); hook != hooks.end(); ++hook)
    list += (hook == hooks.begin()            ? ""
             : std::next(hook) == hooks.end() ? " and "
                                              : ", ") +
            hook->first;
  return list;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Answer ErrorAnswer(int status, std::string_view message) {
  return JsonAnswer(status, Json{{"error", message}});
}

Receiver::Receiver(ReceiverOptions options, EventSink& sink, metrics::Registry& registry)
    : options_(std::move(options)),
      sink_(sink),
      registry_(registry),
      published_(registry.GetCounter("accord_webhook_events_total", kEventsHelp,
                                     {{"outcome", "published"}})),
      duplicates_(registry.GetCounter("accord_webhook_events_total", kEventsHelp,
                                      {{"outcome", "duplicate"}})),
      ignored_(registry.GetCounter("accord_webhook_items_ignored_total",
                                   "Items of accepted requests that carry nothing Accord keeps "
                                   "(subscription types and properties it does not map)")) {}

signing::Verification Receiver::Verify(const WebhookFormat& format, const http::Request& request,
                                       int64_t now_ms) {
  auto check = format.Verify(options_.secret, request, now_ms);
  if (check.verdict != signing::Verdict::kMismatch || options_.previous_secret.empty())
    return check;
  auto previous = format.Verify(options_.previous_secret, request, now_ms);
  if (previous.verdict != signing::Verdict::kValid) return check;
  // Which senders still sign with the old secret, before it is unset.
  registry_
      .GetCounter("accord_webhook_previous_secret_total",
                  "Requests accepted with the previous secret during a rotation")
      .Add();
  spdlog::info("{}: signed with the previous secret", request.target);
  return previous;
}

Answer Receiver::Handle(const WebhookFormat& format, const http::Request& request, int64_t now_ms) {
  const auto check = Verify(format, request, now_ms);
  if (check.verdict != signing::Verdict::kValid) {
    registry_
        .GetCounter("accord_webhook_signature_failures_total",
                    "Requests refused (401) for their signature, by reason",
                    {{"reason", std::string(signing::VerdictName(check.verdict))}})
        .Add();
    spdlog::warn("refused {}: {}", request.target, check.reason);
    return ErrorAnswer(401, check.reason);
  }

  const auto source = request.Param("source");
  Mapped mapped =
      format.Parse(request, source ? *source : std::string_view(options_.default_source), now_ms);
  if (mapped.refusal) {
    spdlog::warn("refused {}: {}", request.target, mapped.refusal->Message());
    Json body{{"error", mapped.refusal->Message()}};
    if (mapped.refusal->item) {
      body["item"] = *mapped.refusal->item;
      body["field"] = mapped.refusal->field;
    }
    return JsonAnswer(400, body);
  }

  const auto published = sink_.PublishAll(mapped.events);
  if (published.too_large) {
    const auto& refused = *published.too_large;
    const std::string reason = "event " + refused.event_id + ": " + refused.reason;
    spdlog::warn("refused {}: {}", request.target, reason);
    return JsonAnswer(413, Json{{"error", reason},
                                {"event", refused.event_id},
                                {"bytes", refused.bytes},
                                {"limit", sink_.max_message_bytes()}});
  }
  if (!published.committed) {
    spdlog::warn("answered {} with 503: {}", request.target, published.error);
    Answer answer =
        ErrorAnswer(503,
                    "Kafka did not take the events; nothing of this request is published, send it "
                    "again later: " +
                        published.error);
    answer.retry_after_seconds = static_cast<int>(options_.retry_after.count());
    return answer;
  }
  published_.Add(published.published);
  duplicates_.Add(published.duplicates);
  ignored_.Add(mapped.ignored.size());
  Json ignored = Json::array();
  for (const auto& item : mapped.ignored) {
    if (item.own_write) sink_.SkipOwnWrite();
    spdlog::info("{}: ignored item {}: {}", request.target, item.item, item.reason);
    ignored.push_back({{"item", item.item}, {"reason", item.reason}});
  }
  return JsonAnswer(200, Json{{"published", published.published},
                              {"duplicates", published.duplicates},
                              {"events", published.event_ids},
                              {"ignored", std::move(ignored)}});
}

WebhookServer::WebhookServer(Receiver& receiver, metrics::Registry& registry, size_t max_body_bytes,
                             http::ServerOptions options)
    : hooks_(AllHooks()),
      hook_list_(ListPaths(hooks_)),
      receiver_(receiver),
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
  if (auto hook = hooks_.find(head.path); hook != hooks_.end()) {
    if (head.method != "POST") return http::MethodNotAllowed(head, "POST", http::Access::kOpen);
    // Open to anyone at the HTTP level: the receiver checks the signature.
    http::Endpoint endpoint;
    endpoint.max_body_bytes = max_body_bytes_;
    endpoint.answer = [this, &format = *hook->second](const http::Request& request) {
      const Answer answer = receiver_.Handle(format, request, NowMs());
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
  unknown.answer = [this](const http::Request& request) {
    return http::ErrorResponse(
        404, "no such path: " + request.path + " (the hooks are " + hook_list_ + ")");
  };
  return unknown;
}

std::string WebhookServer::PathLabel(const std::string& path) const {
  if (hooks_.count(path) || path == kHealthPath || path == kMetricsPath) return path;
  return "other";
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
