#include "domain/events/envelope.h"

#include <cctype>

#include "domain/events/identity.h"
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
  if (event.payload_case() == v1::Event::PAYLOAD_NOT_SET) return "";
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(event.payload_case());
  return field ? std::string_view(field->name()) : std::string_view();
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

std::string MessageKey(const v1::Event& event) {
  if (event.has_campaign_upserted()) return "campaign:" + event.campaign_upserted().campaign_id();
  if (event.has_account_upserted())
    return "account:" + event.source_system() + ":" + event.account_upserted().account_id();
  if (event.has_campaign_effectiveness())
    return "campaign:" + event.campaign_effectiveness().campaign_id();
  if (event.has_attribution_credit()) return "campaign:" + event.attribution_credit().campaign_id();
  if (event.has_account_profile()) return "account:" + event.account_profile().account_key();
  // Ticks are published to a partition each, not by key.
  if (event.has_tick()) return "tick";
  return event.customer_key();
}

namespace {

// An identity key that can name a customer: junk here would merge strangers.
bool UsableIdentityKey(const std::string& key) {
  return key.starts_with("email:") ? EmailIdentityKey(key.substr(6)) == key
         : key.starts_with("src:") ? LinkedIdentityKey(key.substr(4)) == key
                                   : false;
}

std::string UnusableKey(std::string_view what, const std::string& key) {
  return std::string(what) + " \"" + key +
         "\" is not a usable identity key (\"email:<address>\" or \"src:<system>:<id>\")";
}

}  // namespace

std::string ValidateEvent(const v1::Event& event) {
  if (event.event_id().empty()) return "missing event_id";
  if (event.schema_version() == 0) return "missing schema_version";
  if (event.source_system().empty()) return "missing source_system";
  if (event.source_record_id().empty()) return "missing source_record_id";
  if (event.occurred_at_ms() <= 0) return "missing or negative occurred_at_ms";
  switch (event.payload_case()) {
    case v1::Event::PAYLOAD_NOT_SET:
      return "no payload";
    case v1::Event::kCampaignUpserted:
      if (event.campaign_upserted().campaign_id().empty()) return "campaign without campaign_id";
      return "";
    case v1::Event::kCampaignEffectiveness:
      if (event.campaign_effectiveness().campaign_id().empty())
        return "campaign without campaign_id";
      return "";
    case v1::Event::kAccountUpserted:
      if (event.account_upserted().account_id().empty()) return "account without account_id";
      return "";
    case v1::Event::kAttributionCredit:
      if (event.attribution_credit().campaign_id().empty())
        return "attribution_credit without campaign_id";
      if (event.customer_key() != MessageKey(event))
        return "attribution_credit must be keyed \"" + MessageKey(event) + "\"";
      return "";
    case v1::Event::kAccountProfile:
      if (event.account_profile().account_key().find(':') == std::string::npos)
        return "account_profile without an account_key \"<system>:<account id>\"";
      return "";
    case v1::Event::kScoreMoved:
      if (event.score_moved().score().customer_id().empty())
        return "score_moved without a customer";
      break;
    case v1::Event::kTick:
      if (event.tick().partition() < 0) return "tick with a negative partition";
      return "";
    case v1::Event::kIdentityClaimed:
      if (!UsableIdentityKey(event.identity_claimed().holder_key()))
        return UnusableKey("holder_key", event.identity_claimed().holder_key());
      break;
    case v1::Event::kIdentityReleased:
      for (const auto& holder : event.identity_released().holder_keys())
        if (!UsableIdentityKey(holder)) return UnusableKey("holder_key", holder);
      break;
    case v1::Event::kMergeRequested:
      if (!UsableIdentityKey(event.merge_requested().survivor_key()))
        return UnusableKey("survivor_key", event.merge_requested().survivor_key());
      break;
    case v1::Event::kCustomerMoved: {
      const auto& moved = event.customer_moved();
      if (moved.customer().customer_id().empty()) return "customer_moved without a customer";
      // The aliases become identities of the survivor: junk would merge strangers.
      for (const auto& alias : moved.customer().aliases())
        if (!UsableIdentityKey(alias)) return UnusableKey("moved alias", alias);
      for (const auto& timeline : moved.timelines())
        if (timeline.customer_id().empty()) return "customer_moved timeline without a customer id";
      break;
    }
    case v1::Event::kEventForwarded: {
      const auto& inner = event.event_forwarded().event();
      if (!IsCustomerDomainEvent(inner))
        return "event_forwarded must carry a customer event, not \"" +
               std::string(PayloadKind(inner)) + "\"";
      if (auto problem = ValidateEvent(inner); !problem.empty())
        return "forwarded event: " + problem;
      break;
    }
    default:
      break;
  }
  if (!UsableIdentityKey(event.customer_key()))
    return UnusableKey("customer_key", event.customer_key());
  return "";
}

bool IsFeedbackEvent(const v1::Event& event) {
  switch (event.payload_case()) {
    case v1::Event::kScoreUpdated:
    case v1::Event::kLeadQualified:
    case v1::Event::kCampaignEffectiveness:
    case v1::Event::kReactivationCandidate:
    case v1::Event::kContactPause:
      return true;
    default:
      return false;
  }
}

bool IsFeedbackInput(const v1::Event& event) {
  return event.has_attribution_credit() || event.has_account_profile() || event.has_score_moved() ||
         event.has_tick();
}

bool IsIdentityEvent(const v1::Event& event) {
  switch (event.payload_case()) {
    case v1::Event::kIdentityClaimed:
    case v1::Event::kIdentityReleased:
    case v1::Event::kMergeRequested:
    case v1::Event::kCustomerMoved:
      return true;
    default:
      return false;
  }
}

bool IsCustomerDomainEvent(const v1::Event& event) {
  switch (event.payload_case()) {
    case v1::Event::kCustomerUpserted:
    case v1::Event::kCustomerMerged:
    case v1::Event::kCustomerErased:
    case v1::Event::kConsentChanged:
    case v1::Event::kCampaignEngagement:
    case v1::Event::kLeadStatusChanged:
    case v1::Event::kLeadDecision:
    case v1::Event::kDealUpserted:
    case v1::Event::kActivityLogged:
    case v1::Event::kOrderPlaced:
    case v1::Event::kSupportTicket:
      return true;
    default:
      return false;
  }
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
