#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/webhook/mapping.h"
#include "domain/events/envelope.h"
#include "io/http/server.h"
#include "io/kafka/transactions.h"
#include "io/metrics/metrics.h"

namespace accord::connectors::webhook {

// Publishes one request's messages all or nothing (in production
// kafka::TransactionalPublisher::Publish).
using Publish = std::function<kafka::TransactionalPublisher::Result(
    const std::vector<kafka::TransactionalPublisher::Message>&)>;

struct ReceiverOptions {
  std::string secret;
  // The source system of requests without ?source=.
  std::string default_source;
  events::Topics topics;
  // Told to senders in Retry-After when Kafka did not take their events.
  std::chrono::seconds retry_after{10};
  // The largest message the producer takes (kafka::MessageMaxBytes).
  size_t max_message_bytes = 0;
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

// What `accord webhook` does with a POST to a hook, without the socket:
// checks the signature, maps the body, publishes its events in one
// transaction, and answers (docs/webhook.md):
//   200  every event is in Kafka (or was already)
//   400  malformed JSON, or an item that fails validation; nothing published
//   401  missing, malformed, wrong or stale signature
//   413  an event is larger than Kafka takes; nothing published
//   503  Kafka did not take the events in time; nothing published
class Receiver {
 public:
  Receiver(ReceiverOptions options, Publish publish, metrics::Registry& registry);

  struct Post {
    std::string method = "POST";
    // The path and query as sent on the request line (what is signed).
    std::string target;
    // The ?source= parameter, when given.
    std::optional<std::string> source;
    std::optional<std::string> timestamp;
    std::optional<std::string> signature;
    std::string body;
  };
  Answer Handle(Shape shape, const Post& post, int64_t now_ms);

  // Totals of the accepted requests.
  uint64_t published() const { return published_.value(); }
  uint64_t duplicates() const { return duplicates_.value(); }
  uint64_t ignored() const { return ignored_.value(); }

 private:
  ReceiverOptions options_;
  Publish publish_;
  metrics::Registry& registry_;
  metrics::Counter& published_;
  metrics::Counter& duplicates_;
  metrics::Counter& ignored_;
};

// A JSON error answer: {"error": message}.
Answer ErrorAnswer(int status, std::string_view message);

// The receiver's HTTP server: POST /v1/hooks/changes and /v1/hooks/forms,
// GET /healthz and /metrics, behind the limits and checks of http::Server.
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

  Receiver& receiver_;
  metrics::Registry& registry_;
  const size_t max_body_bytes_;
  const http::Access metrics_access_;
  const http::ServerOptions options_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace accord::connectors::webhook
