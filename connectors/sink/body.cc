#include "connectors/sink/body.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "core/events/envelope.h"
#include "core/util/time.h"

namespace accord::connectors::sink {

std::string FeedbackJson(const v1::Event& event) {
  const std::string kind(events::PayloadKind(event));
  nlohmann::ordered_json body = {{"id", event.event_id()},
                                 {"type", kind},
                                 {"customer_id", event.source_record_id()},
                                 {"customer_key", event.customer_key()},
                                 {"occurred_at", FormatIsoTimestampMs(event.occurred_at_ms())},
                                 {"origin", events::kAccordSystem},
                                 {"changeSource", events::kAccordSystem}};
  const auto* field = v1::Event::descriptor()->FindFieldByName(kind);
  if (field != nullptr) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    std::string payload;
    auto status = google::protobuf::util::MessageToJsonString(
        event.GetReflection()->GetMessage(event, field), &payload, options);
    if (status.ok()) body[kind] = nlohmann::ordered_json::parse(payload);
  }
  return body.dump();
}

}  // namespace accord::connectors::sink
