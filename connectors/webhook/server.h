#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "connectors/publish/event_sink.h"
#include "connectors/webhook/format.h"
#include "io/http/server.h"
#include "io/metrics/metrics.h"

namespace accord::connectors::webhook {

struct ReceiverOptions {
  std::string secret;
  // The source system of requests without ?source=.
  std::string default_source;
  // Told to senders in Retry-After when Kafka did not take their events.
  std::chrono::seconds retry_after{10};
  // The secret being rotated out: while it is set, requests signed with
  // either are accepted, so senders can switch one by one.
  std::string previous_secret;
};

// One answer, independent of the HTTP library.
struct Answer {
  int status = 200;
  std::string body;  // JSON
  std::optional<int> retry_after_seconds;
};

// What `accord webhook` does with a POST to a hook, without the socket, for
// any format: checks the signature, maps the body, publishes its events in
// one transaction (EventSink::PublishAll), and answers (docs/webhook.md):
//   200  every event is in Kafka (or was already)
//   400  malformed JSON, or an item that fails validation; nothing published
//   401  missing, malformed, wrong or stale signature
//   413  an event is larger than Kafka takes; nothing published
//   503  Kafka did not take the events in time; nothing published
class Receiver {
 public:
  // `sink`: transactional.
  Receiver(ReceiverOptions options, EventSink& sink, metrics::Registry& registry);

  Answer Handle(const WebhookFormat& format, const http::Request& request, int64_t now_ms);

  // Totals of the accepted requests.
  uint64_t published() const { return published_.value(); }
  uint64_t duplicates() const { return duplicates_.value(); }
  uint64_t ignored() const { return ignored_.value(); }

 private:
  signing::Verification Verify(const WebhookFormat& format, const http::Request& request,
                               int64_t now_ms);

  ReceiverOptions options_;
  EventSink& sink_;
  metrics::Registry& registry_;
  metrics::Counter& published_;
  metrics::Counter& duplicates_;
  metrics::Counter& ignored_;
};

// A JSON error answer: {"error": message}.
Answer ErrorAnswer(int status, std::string_view message);

// The receiver's HTTP server: a POST path per hook and format (Accord's
// format at /v1/hooks/changes and /v1/hooks/forms), GET /healthz and
// /metrics, behind the limits and checks of http::Server.
// Bodies over `max_body_bytes` are refused with 413 while they are read.
// Counts every request by path and status.
class WebhookServer {
 public:
  WebhookServer(Receiver& receiver, metrics::Registry& registry, size_t max_body_bytes,
                http::ServerOptions options);
  ~WebhookServer();

  // As http::Server::Start; the address is named "webhooks".
  void Start(const std::string& host, int port);
  // Finishes the requests in flight first.
  void Stop();
  int port() const;

 private:
  http::Endpoint Route(const http::Request& head);
  // The path label of the request counter: the known paths, else "other",
  // so that probes of random paths cannot grow the metrics without bound.
  std::string PathLabel(const std::string& path) const;

  // By path.
  const std::map<std::string, std::unique_ptr<WebhookFormat>, std::less<>> hooks_;
  // "/a, /b and /c": what a 404 names.
  const std::string hook_list_;
  Receiver& receiver_;
  metrics::Registry& registry_;
  const size_t max_body_bytes_;
  const http::Access metrics_access_;
  const http::ServerOptions options_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace accord::connectors::webhook
