#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "accord/v1/feedback.pb.h"
#include "services/query/state_query.h"

namespace accord::query {

// What the feedback service's state tells marketing, as the HTTP API and
// `accord query` both show it (docs/api.md).

// Campaigns by effectiveness under `model`, best first (ties: more won
// revenue, then campaign id); at most `limit` of them.
nlohmann::ordered_json CampaignRankingJson(const StateQuery& query, v1::AttributionModel model,
                                           uint64_t limit);

// Customers announced for reactivation and not bought since, the most
// valuable first (then the longest overdue, then customer id); at most
// `limit`.
nlohmann::ordered_json ReactivationListJson(const StateQuery& query, uint64_t limit);

}  // namespace accord::query
