#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accord/v1/event.pb.h"
#include "connectors/signing/signature.h"
#include "io/http/request.h"

namespace accord::connectors::webhook {

// Why a request body cannot be published: the body as a whole (no item), or
// one item's field. A refused body publishes nothing.
struct Refusal {
  std::optional<size_t> item;
  std::string field;
  std::string reason;
  // "item 3, occurredAt: must be ..." or the reason alone.
  std::string Message() const {
    if (!item) return reason;
    return "item " + std::to_string(*item) + (field.empty() ? "" : ", " + field) + ": " + reason;
  }
};

// An item that is understood but carries nothing Accord keeps (a
// subscription type or property it does not map), with the reason.
struct Ignored {
  size_t item = 0;
  std::string reason;
  // Accord's own write-back, recognised by its origin marker
  // (events::IsAccordMarker): counted as such, never ingested again.
  bool own_write = false;
};

struct Mapped {
  std::vector<v1::Event> events;
  std::vector<Ignored> ignored;
  std::optional<Refusal> refusal;  // set: events and ignored are empty
};

// What a sender's format decides about its requests: how they are signed
// and how their bodies become events. The receiver (server.h) does the rest
// alike for every format: the secret and its rotation, the answers, the
// metrics, and publishing through EventSink. Accord's own format
// (accord_format.h) is one; a vendor's native webhooks are another.
class WebhookFormat {
 public:
  virtual ~WebhookFormat() = default;
  // Checks the request's signature against `secret` at `now_ms`.
  virtual signing::Verification Verify(std::string_view secret, const http::Request& request,
                                       int64_t now_ms) const = 0;
  // Maps a verified body to events from `source_system`. Pure: the same
  // request always gives the same events, with the same ids.
  virtual Mapped Parse(const http::Request& request, std::string_view source_system,
                       int64_t ingested_at_ms) const = 0;
};

}  // namespace accord::connectors::webhook
