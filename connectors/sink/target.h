#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "accord/v1/event.pb.h"
#include "connectors/sink/retry.h"

namespace accord::connectors::sink {

// Thrown out of a delivery when the sink was asked to stop while it waited
// to retry: the batch is not committed and is delivered again next time.
struct Stopped {};

// Where a sink delivers feedback events.
class Target {
 public:
  virtual ~Target() = default;

  struct Result {
    bool delivered = false;
    // Why it was given up (dead-lettered), with the receiver's answer.
    std::string reason;
    std::string reason_code;
  };
  // Delivers one event (its JSON `body`), retrying as the target does; may
  // be called from several threads at once for different customers.
  virtual Result Deliver(const v1::Event& event, const std::string& body) = 0;
  // Makes what was delivered durable; called before offsets are committed.
  virtual void Sync() {}
};

struct HttpTargetOptions {
  // http:// or https:// URL the events are POSTed to.
  std::string url;
  // A header carrying credentials ("Authorization: Bearer ..."), when set.
  std::string auth_header;
  std::string auth_value;
  // Key of the X-Accord-Signature HMAC (docs/sinks.md), when set.
  std::string secret;
  RetryPolicy retry;
  std::chrono::milliseconds timeout{10'000};
};

// POSTs each event as JSON with Idempotency-Key: <event id>. 2xx is
// delivered; 408, 429, 5xx and no answer are retried with backoff (at least
// Retry-After); any other status gives up at once, and so does the last
// attempt: the event is dead-lettered with the answer.
std::unique_ptr<Target> MakeHttpTarget(HttpTargetOptions options,
                                       const std::atomic<bool>* stop = nullptr);

// Appends each event as one JSON line to `path`; Sync() flushes and fsyncs.
std::unique_ptr<Target> MakeJsonlTarget(const std::string& path);

}  // namespace accord::connectors::sink
