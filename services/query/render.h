#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "accord/state/v1/state.pb.h"
#include "accord/v1/feedback.pb.h"

namespace accord::query {

// The unified customer as users see it: each field with its value and where
// it came from.
nlohmann::ordered_json CustomerJson(const state::v1::CustomerState& customer);
// One field of it: value, source record and version, when, and the rule
// that made the value win.
nlohmann::ordered_json FieldJson(const state::v1::FieldValue& field);
nlohmann::ordered_json DealJson(const state::v1::DealState& deal);
// The current score with its parts, the customer's lifecycle stage, and
// whether it was offered to sales.
nlohmann::ordered_json ScoreJson(const state::v1::ScoreState& score,
                                 const state::v1::CustomerState& customer);
// A score's components: name, points and reason of each.
nlohmann::ordered_json ScoreComponentsJson(
    const google::protobuf::RepeatedPtrField<v1::ScoreComponent>& components);
// Fields the source never filled are left out.
nlohmann::ordered_json AccountJson(const state::v1::AccountState& account);

// One timeline entry; `customer_id` is the customer whose timeline recorded
// it (the customer asked for, or one merged into it).
nlohmann::ordered_json TimelineEntryJson(const state::v1::TimelineEntry& entry,
                                         const std::string& customer_id);

// "opened" for ENGAGEMENT_KIND_OPENED; "kind_<n>" for a kind this build does
// not know.
std::string EngagementKindName(int kind);

// A campaign's definition (null fields when only engagements are known) and
// its engagement counts by kind name, every known kind listed.
nlohmann::ordered_json CampaignJson(const std::string& campaign_id,
                                    const std::optional<state::v1::CampaignState>& definition,
                                    const std::vector<uint64_t>& counts_by_kind);

// One model's figures for a campaign: touched contacts, influenced
// pipeline, won revenue, win rate and the effectiveness index.
nlohmann::ordered_json EffectivenessJson(const v1::CampaignEffectiveness& figures);
// "first_touch" for ATTRIBUTION_MODEL_FIRST_TOUCH.
std::string AttributionModelName(v1::AttributionModel model);
std::optional<v1::AttributionModel> ParseAttributionModel(std::string_view name);

// A reactivation candidate as announced: its RFM scores and reasons.
nlohmann::ordered_json ReactivationJson(const v1::ReactivationCandidate& candidate,
                                        int64_t announced_at_ms);

// Funnel counts by stage in lifecycle order; every stage is listed (0 when
// absent), customers without a stage last as "unspecified" under current.
nlohmann::ordered_json FunnelJson(const std::map<std::string, int64_t>& current,
                                  const std::map<std::string, int64_t>& entered);

}  // namespace accord::query
