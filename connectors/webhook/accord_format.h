#pragma once

#include <cstdint>
#include <string_view>

#include "connectors/webhook/format.h"

namespace accord::connectors::webhook {

// The request bodies of Accord's own format (docs/webhook.md): batched
// change notifications of contacts, companies and deals, and form
// submissions or other campaign engagement. Either shape is a JSON array of
// items or one item.
enum class Shape { kChanges, kForms };

// Parses a request body of `shape` and maps it to events from
// `source_system`. Pure: `ingested_at_ms` is passed in, and the same body
// always gives the same events, with the same ids.
Mapped MapBody(Shape shape, std::string_view body, std::string_view source_system,
               int64_t ingested_at_ms);

// Accord's own format: signed with X-Accord-Timestamp and
// X-Accord-Signature (signing/signature.h), bodies of one shape.
class AccordFormat : public WebhookFormat {
 public:
  explicit AccordFormat(Shape shape) : shape_(shape) {}
  signing::Verification Verify(std::string_view secret, const http::Request& request,
                               int64_t now_ms) const override;
  Mapped Parse(const http::Request& request, std::string_view source_system,
               int64_t ingested_at_ms) const override;

 private:
  Shape shape_;
};

}  // namespace accord::connectors::webhook
