#include "domain/events/payload_kinds.h"

#include <array>
#include <cstdint>

#include "domain/events/envelope.h"
#include "domain/events/identity.h"

namespace accord::events {
namespace {

// Message keys of the kinds not keyed by a customer.

std::string CampaignKey(const v1::Event& event) {
  return "campaign:" + event.campaign_upserted().campaign_id();
}

std::string AccountKey(const v1::Event& event) {
  return "account:" + event.source_system() + ":" + event.account_upserted().account_id();
}

std::string EffectivenessKey(const v1::Event& event) {
  return "campaign:" + event.campaign_effectiveness().campaign_id();
}

std::string CreditKey(const v1::Event& event) {
  return "campaign:" + event.attribution_credit().campaign_id();
}

std::string ProfileKey(const v1::Event& event) {
  return "account:" + event.account_profile().account_key();
}

// Ticks are published to a partition each, not by key.
std::string TickKey(const v1::Event&) {
  return "tick";
}

// Each kind's own checks.

std::string CheckCampaign(const v1::Event& event) {
  return event.campaign_upserted().campaign_id().empty() ? "campaign without campaign_id" : "";
}

std::string CheckAccount(const v1::Event& event) {
  return event.account_upserted().account_id().empty() ? "account without account_id" : "";
}

std::string CheckEffectiveness(const v1::Event& event) {
  return event.campaign_effectiveness().campaign_id().empty() ? "campaign without campaign_id" : "";
}

std::string CheckCredit(const v1::Event& event) {
  if (event.attribution_credit().campaign_id().empty())
    return "attribution_credit without campaign_id";
  if (event.customer_key() != MessageKey(event))
    return "attribution_credit must be keyed \"" + MessageKey(event) + "\"";
  return "";
}

std::string CheckProfile(const v1::Event& event) {
  return event.account_profile().account_key().find(':') == std::string::npos
             ? "account_profile without an account_key \"<system>:<account id>\""
             : "";
}

std::string CheckScoreMoved(const v1::Event& event) {
  return event.score_moved().score().customer_id().empty() ? "score_moved without a customer" : "";
}

std::string CheckClaim(const v1::Event& event) {
  return CheckIdentityKey("holder_key", event.identity_claimed().holder_key());
}

std::string CheckRelease(const v1::Event& event) {
  for (const auto& holder : event.identity_released().holder_keys())
    if (auto problem = CheckIdentityKey("holder_key", holder); !problem.empty()) return problem;
  return "";
}

std::string CheckMergeRequest(const v1::Event& event) {
  return CheckIdentityKey("survivor_key", event.merge_requested().survivor_key());
}

std::string CheckMoved(const v1::Event& event) {
  const auto& moved = event.customer_moved();
  if (moved.customer().customer_id().empty()) return "customer_moved without a customer";
  // The aliases become identities of the survivor: junk would merge strangers.
  for (const auto& alias : moved.customer().aliases())
    if (auto problem = CheckIdentityKey("moved alias", alias); !problem.empty()) return problem;
  for (const auto& timeline : moved.timelines())
    if (timeline.customer_id().empty()) return "customer_moved timeline without a customer id";
  return "";
}

std::string CheckForwarded(const v1::Event& event) {
  const auto& inner = event.event_forwarded().event();
  if (!IsCustomerDomainEvent(inner))
    return "event_forwarded must carry a customer event, not \"" + std::string(PayloadKind(inner)) +
           "\"";
  if (auto problem = ValidateEvent(inner); !problem.empty()) return "forwarded event: " + problem;
  return "";
}

std::string CheckTick(const v1::Event& event) {
  return event.tick().partition() < 0 ? "tick with a negative partition" : "";
}

using E = v1::Event;
using T = Topic;
using R = Role;

// clang-format off
constexpr PayloadKindInfo kKinds[] = {
    {.payload_case = E::kCustomerUpserted, .name = "customer_upserted",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true},
    {.payload_case = E::kCustomerMerged, .name = "customer_merged",
     .topic = T::kEvents, .role = R::kCustomer},
    {.payload_case = E::kCustomerErased, .name = "customer_erased",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true},
    {.payload_case = E::kConsentChanged, .name = "consent_changed",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true},
    {.payload_case = E::kCampaignUpserted, .name = "campaign_upserted",
     .topic = T::kCampaigns, .role = R::kDefinition, .mappable = true,
     .key = CampaignKey, .own_id = "campaign_id", .check = CheckCampaign},
    {.payload_case = E::kCampaignEngagement, .name = "campaign_engagement",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true},
    {.payload_case = E::kLeadStatusChanged, .name = "lead_status_changed",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true},
    {.payload_case = E::kLeadDecision, .name = "lead_decision",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true},
    {.payload_case = E::kDealUpserted, .name = "deal_upserted",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true, .own_id = "deal_id"},
    {.payload_case = E::kActivityLogged, .name = "activity_logged",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true, .own_id = "activity_id"},
    {.payload_case = E::kOrderPlaced, .name = "order_placed",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true, .own_id = "order_id"},
    {.payload_case = E::kSupportTicket, .name = "support_ticket",
     .topic = T::kEvents, .role = R::kCustomer, .mappable = true, .own_id = "ticket_id"},
    {.payload_case = E::kAccountUpserted, .name = "account_upserted",
     .topic = T::kEvents, .role = R::kDefinition, .mappable = true,
     .key = AccountKey, .own_id = "account_id", .check = CheckAccount},
    {.payload_case = E::kScoreUpdated, .name = "score_updated",
     .topic = T::kFeedback, .role = R::kFeedback},
    {.payload_case = E::kLeadQualified, .name = "lead_qualified",
     .topic = T::kFeedback, .role = R::kFeedback},
    {.payload_case = E::kCampaignEffectiveness, .name = "campaign_effectiveness",
     .topic = T::kFeedback, .role = R::kFeedback, .key = EffectivenessKey, .check = CheckEffectiveness},
    {.payload_case = E::kReactivationCandidate, .name = "reactivation_candidate",
     .topic = T::kFeedback, .role = R::kFeedback},
    {.payload_case = E::kContactPause, .name = "contact_pause",
     .topic = T::kFeedback, .role = R::kFeedback},
    {.payload_case = E::kAttributionCredit, .name = "attribution_credit",
     .topic = T::kEvents, .role = R::kFeedbackInput, .key = CreditKey, .check = CheckCredit},
    {.payload_case = E::kAccountProfile, .name = "account_profile",
     .topic = T::kEvents, .role = R::kFeedbackInput, .key = ProfileKey, .check = CheckProfile},
    {.payload_case = E::kScoreMoved, .name = "score_moved",
     .topic = T::kEvents, .role = R::kFeedbackInput, .check = CheckScoreMoved},
    {.payload_case = E::kIdentityClaimed, .name = "identity_claimed",
     .topic = T::kEvents, .role = R::kIdentity, .check = CheckClaim},
    {.payload_case = E::kIdentityReleased, .name = "identity_released",
     .topic = T::kEvents, .role = R::kIdentity, .check = CheckRelease},
    {.payload_case = E::kMergeRequested, .name = "merge_requested",
     .topic = T::kEvents, .role = R::kIdentity, .check = CheckMergeRequest},
    {.payload_case = E::kCustomerMoved, .name = "customer_moved",
     .topic = T::kEvents, .role = R::kIdentity, .check = CheckMoved},
    {.payload_case = E::kEventForwarded, .name = "event_forwarded",
     .topic = T::kEvents, .role = R::kForwarded, .check = CheckForwarded},
    {.payload_case = E::kTick, .name = "tick",
     .topic = T::kEvents, .role = R::kFeedbackInput, .key = TickKey, .check = CheckTick},
};
// clang-format on

// Row of each payload case (its field number), -1 for none.
constexpr int kMaxCase = 127;
constexpr auto kRowOfCase = [] {
  std::array<int8_t, kMaxCase + 1> rows{};
  rows.fill(-1);
  for (size_t i = 0; i < std::size(kKinds); ++i)
    rows[kKinds[i].payload_case] = static_cast<int8_t>(i);
  return rows;
}();

}  // namespace

std::span<const PayloadKindInfo> PayloadKinds() {
  return kKinds;
}

const PayloadKindInfo* FindPayloadKind(v1::Event::PayloadCase payload_case) {
  if (payload_case <= 0 || payload_case > kMaxCase) return nullptr;
  const int row = kRowOfCase[payload_case];
  return row < 0 ? nullptr : &kKinds[row];
}

const PayloadKindInfo* FindPayloadKind(const v1::Event& event) {
  return FindPayloadKind(event.payload_case());
}

const PayloadKindInfo* FindPayloadKind(std::string_view name) {
  for (const auto& kind : kKinds)
    if (kind.name == name) return &kind;
  return nullptr;
}

}  // namespace accord::events
