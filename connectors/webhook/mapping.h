#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accord/v1/event.pb.h"

namespace accord::connectors::webhook {

// The request bodies `accord webhook` accepts (docs/webhook.md): batched
// change notifications of contacts and deals, and form submissions or other
// campaign engagement. Either shape is a JSON array of items or one item.
enum class Shape { kChanges, kForms };

// Why a request body cannot be published: the body as a whole (no item), or
// one item's field. A refused body publishes nothing.
struct Refusal {
  std::optional<size_t> item;
  std::string field;
  std::string reason;
  // "item 3, occurredAt: must be ..." or the reason alone.
  std::string Message() const;
};

// An item that is understood but carries nothing Accord keeps (a
// subscription type or property it does not map), with the reason.
struct Ignored {
  size_t item = 0;
  std::string reason;
};

struct Mapped {
  std::vector<v1::Event> events;
  std::vector<Ignored> ignored;
  std::optional<Refusal> refusal;  // set: events and ignored are empty
};

// Parses a request body of `shape` and maps it to events from
// `source_system`. Pure: `ingested_at_ms` is passed in, and the same body
// always gives the same events, with the same ids.
Mapped MapBody(Shape shape, std::string_view body, std::string_view source_system,
               int64_t ingested_at_ms);

}  // namespace accord::connectors::webhook
