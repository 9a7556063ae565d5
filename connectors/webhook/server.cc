#include "connectors/webhook/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "connectors/webhook/signature.h"
#include "core/kafka/client.h"

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

void Send(httplib::Response& res, const Answer& answer) {
  res.status = answer.status;
  if (answer.retry_after_seconds)
    res.set_header("Retry-After", std::to_string(*answer.retry_after_seconds));
  res.set_content(answer.body, "application/json");
}

std::optional<std::string> Header(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return std::nullopt;
  return req.get_header_value(name);
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
  const auto check = Verify(options_.secret, post.method, post.target, post.timestamp,
                            post.signature, post.body, now_ms / 1000);
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

WebhookServer::WebhookServer(Receiver& receiver, metrics::Registry& registry, size_t max_body_bytes)
    : receiver_(receiver), registry_(registry) {
  auto& server = serving_.server();
  server.set_payload_max_length(max_body_bytes);
  auto hook = [this](Shape shape) {
    return [this, shape](const httplib::Request& req, httplib::Response& res) {
      Receiver::Post post;
      post.method = req.method;
      post.target = req.target;
      if (req.has_param("source")) post.source = req.get_param_value("source");
      post.timestamp = Header(req, kTimestampHeader);
      post.signature = Header(req, kSignatureHeader);
      post.body = req.body;
      Send(res, receiver_.Handle(shape, post, NowMs()));
    };
  };
  server.Post(kChangesPath, hook(Shape::kChanges));
  server.Post(kFormsPath, hook(Shape::kForms));
  serving_.ServeHealthAndMetrics(registry_);
  // Requests no handler took, and httplib's own refusals (413 for a body
  // over the limit, 400 for a bad request line), answered in JSON.
  server.set_error_handler([max_body_bytes](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const bool hook_path = req.path == kChangesPath || req.path == kFormsPath;
    const bool get_path = req.path == kHealthPath || req.path == kMetricsPath;
    if (res.status == 404 && (hook_path || get_path)) {
      Send(res, ErrorAnswer(405, "method " + req.method + " not allowed on " + req.path));
      res.set_header("Allow", hook_path ? "POST" : "GET, HEAD");
    } else if (res.status == 404) {
      Send(res, ErrorAnswer(404, "no such path: " + req.path + " (the hooks are " + kChangesPath +
                                     " and " + kFormsPath + ")"));
    } else if (res.status == 413) {
      Send(res, ErrorAnswer(413, "the body is larger than " + std::to_string(max_body_bytes) +
                                     " bytes (webhook.max_body_bytes)"));
    } else {
      Send(res, ErrorAnswer(res.status, "HTTP status " + std::to_string(res.status)));
    }
  });
  serving_.AnswerExceptionsWith(
      [](httplib::Response& res, const std::string& what) { Send(res, ErrorAnswer(500, what)); });
  server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    registry_
        .GetCounter("accord_webhook_requests_total", "HTTP requests by path and status",
                    {{"path", PathLabel(req.path)}, {"status", std::to_string(res.status)}})
        .Add();
  });
}

void WebhookServer::Start(const std::string& host, int port) {
  serving_.Start(host, port, "webhooks", "choose another with --listen or webhook.listen");
}

}  // namespace accord::connectors::webhook
