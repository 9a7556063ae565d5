#include "domain/events/envelope.h"

#include <cctype>

#include "domain/events/identity.h"
#include "domain/events/payload_kinds.h"
#include "domain/events/upcast.h"
#include "domain/util/hash.h"

namespace accord::events {

std::string MakeEventId(std::string_view source_system, std::string_view source_record_id,
                        uint64_t source_version, std::string_view payload_kind) {
  Sha256 sha;
  sha.UpdateField(source_system);
  sha.UpdateField(source_record_id);
  sha.UpdateField(std::to_string(source_version));
  sha.UpdateField(payload_kind);
  auto digest = sha.Finish();
  return HexEncode(digest.data(), 16);
}

void StampEnvelope(v1::Event& event, const SourceChange& change) {
  event.set_schema_version(1);
  Upcast(event);
  event.set_source_system(change.system);
  event.set_source_record_id(change.record_id);
  event.set_source_version(change.version);
  event.set_occurred_at_ms(change.occurred_at_ms);
  event.set_origin(v1::ORIGIN_EXTERNAL);
  event.set_event_id(
      MakeEventId(change.system, change.record_id, change.version, PayloadKind(event)));
  event.set_correlation_id(event.event_id());
}

std::string_view PayloadKind(const v1::Event& event) {
  const auto* kind = FindPayloadKind(event);
  return kind ? kind->name : std::string_view();
}

namespace {

// "LIFECYCLE_STAGE_MQL" -> "mql": the enum name without its prefix.
template <typename Enum>
std::string ShortName(const std::string& full, std::string_view prefix) {
  // proto3 enums are open: a value this build does not know (from a newer
  // producer, or corrupt input) arrives as a bare number and has no name.
  if (!full.starts_with(prefix)) return "";
  std::string name = full.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

template <typename Enum>
std::optional<Enum> ParseShortName(std::string_view name, std::string_view prefix,
                                   bool (*parse)(const std::string&, Enum*)) {
  std::string full(prefix);
  for (char c : name) full += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Enum value;
  if (name.empty() || !parse(full, &value) || full.ends_with("UNSPECIFIED")) return std::nullopt;
  return value;
}

}  // namespace

std::string LifecycleStageName(v1::LifecycleStage stage) {
  return ShortName<v1::LifecycleStage>(v1::LifecycleStage_Name(stage), "LIFECYCLE_STAGE_");
}

std::optional<v1::LifecycleStage> ParseLifecycleStage(std::string_view name) {
  return ParseShortName<v1::LifecycleStage>(name, "LIFECYCLE_STAGE_", v1::LifecycleStage_Parse);
}

std::string DealStageName(v1::DealStage stage) {
  return ShortName<v1::DealStage>(v1::DealStage_Name(stage), "DEAL_STAGE_");
}

std::optional<v1::DealStage> ParseDealStage(std::string_view name) {
  return ParseShortName<v1::DealStage>(name, "DEAL_STAGE_", v1::DealStage_Parse);
}

std::string EngagementKindName(v1::EngagementKind kind) {
  return ShortName<v1::EngagementKind>(v1::EngagementKind_Name(kind), "ENGAGEMENT_KIND_");
}

std::optional<v1::EngagementKind> ParseEngagementKind(std::string_view name) {
  return ParseShortName<v1::EngagementKind>(name, "ENGAGEMENT_KIND_", v1::EngagementKind_Parse);
}

Topics::Topics(std::string_view prefix)
    : events(std::string(prefix) + ".events"),
      campaigns(std::string(prefix) + ".campaigns"),
      feedback(std::string(prefix) + ".feedback"),
      deadletter(std::string(prefix) + ".deadletter") {}

const std::string& Topics::Of(Topic topic) const {
  switch (topic) {
    case Topic::kCampaigns:
      return campaigns;
    case Topic::kFeedback:
      return feedback;
    case Topic::kEvents:
      break;
  }
  return events;
}

const std::string& Topics::For(const v1::Event& event) const {
  const auto* kind = FindPayloadKind(event);
  return Of(kind ? kind->topic : Topic::kEvents);
}

std::string MessageKey(const v1::Event& event) {
  const auto* kind = FindPayloadKind(event);
  return kind && !kind->KeyedByCustomer() ? kind->key(event) : event.customer_key();
}

std::string ValidateEvent(const v1::Event& event) {
  if (event.event_id().empty()) return "missing event_id";
  if (event.schema_version() == 0) return "missing schema_version";
  if (event.source_system().empty()) return "missing source_system";
  if (event.source_record_id().empty()) return "missing source_record_id";
  if (event.occurred_at_ms() <= 0) return "missing or negative occurred_at_ms";
  const auto* kind = FindPayloadKind(event);
  if (!kind) return "no payload";
  if (kind->check)
    if (auto problem = kind->check(event); !problem.empty()) return problem;
  // Under its own key, the event belongs to no customer.
  if (!kind->KeyedByCustomer()) return "";
  return CheckIdentityKey("customer_key", event.customer_key());
}

namespace {

bool HasRole(const v1::Event& event, Role role) {
  const auto* kind = FindPayloadKind(event);
  return kind && kind->role == role;
}

}  // namespace

bool IsFeedbackEvent(const v1::Event& event) {
  return HasRole(event, Role::kFeedback);
}

bool IsFeedbackInput(const v1::Event& event) {
  return HasRole(event, Role::kFeedbackInput);
}

bool IsIdentityEvent(const v1::Event& event) {
  return HasRole(event, Role::kIdentity);
}

bool IsCustomerDomainEvent(const v1::Event& event) {
  return HasRole(event, Role::kCustomer);
}

std::string CheckMessageKey(const v1::Event& event, const std::string* key) {
  const std::string expected = MessageKey(event);
  if (key && *key == expected) return "";
  return "message key " + (key ? "\"" + *key + "\"" : std::string("(none)")) +
         " is not the event's key \"" + expected + "\"";
}

Decoded DecodeEvent(std::string_view bytes, v1::Event& event) {
  if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return {DecodeError::kNotProtobuf, "not a protobuf accord.v1.Event"};
  if (event.schema_version() > kCurrentSchemaVersion)
    return {DecodeError::kFutureSchema, "schema_version " + std::to_string(event.schema_version()) +
                                            " is newer than " +
                                            std::to_string(kCurrentSchemaVersion)};
  Upcast(event);
  if (auto problem = ValidateEvent(event); !problem.empty())
    return {DecodeError::kInvalid, std::move(problem)};
  return {};
}

}  // namespace accord::events
