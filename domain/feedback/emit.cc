#include "domain/feedback/emit.h"

#include "domain/events/envelope.h"

namespace accord::feedback {

v1::Event StampFeedback(v1::Event derived, const v1::Event& cause, int64_t occurred_at_ms,
                        std::string record_id, std::string key, std::string_view discriminator) {
  derived.set_schema_version(events::kCurrentSchemaVersion);
  derived.set_source_system(std::string(events::kAccordSystem));
  derived.set_source_record_id(std::move(record_id));
  derived.set_occurred_at_ms(occurred_at_ms);
  derived.set_customer_key(std::move(key));
  derived.set_correlation_id(cause.correlation_id());
  derived.set_causation_id(cause.event_id());
  derived.set_origin(v1::ORIGIN_ACCORD);
  derived.set_event_id(events::MakeEventId(events::kAccordSystem,
                                           cause.event_id() + "\n" + std::string(discriminator), 0,
                                           events::PayloadKind(derived)));
  return derived;
}

v1::Event MakeTick(int32_t partition, int64_t at_ms) {
  v1::Event tick;
  tick.mutable_tick()->set_partition(partition);
  events::StampEnvelope(tick,
                        {std::string(events::kAccordSystem), "tick/" + std::to_string(partition),
                         static_cast<uint64_t>(at_ms), at_ms});
  tick.set_origin(v1::ORIGIN_ACCORD);
  return tick;
}

}  // namespace accord::feedback
