#include "services/query/feedback_views.h"

#include <algorithm>
#include <tuple>

#include "domain/feedback/attribution.h"
#include "domain/util/time.h"
#include "services/query/render.h"

namespace accord::query {

using Json = nlohmann::ordered_json;

Json CampaignRankingJson(const StateQuery& query, v1::AttributionModel model, uint64_t limit) {
  std::vector<v1::CampaignEffectiveness> ranked;
  for (const auto& effect : query.CampaignEffects())
    for (const auto& totals : effect.models())
      if (totals.model() == model) ranked.push_back(feedback::Effectiveness(effect, totals));
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return std::forward_as_tuple(b.effectiveness_index(), b.won_revenue().minor_units(),
                                 a.campaign_id()) <
           std::forward_as_tuple(a.effectiveness_index(), a.won_revenue().minor_units(),
                                 b.campaign_id());
  });
  Json campaigns = Json::array();
  for (size_t i = 0; i < ranked.size() && i < limit; ++i) {
    Json entry = {{"rank", i + 1}, {"campaign_id", ranked[i].campaign_id()}};
    auto campaign = query.CampaignById(ranked[i].campaign_id());
    entry["name"] =
        campaign && campaign->definition ? Json(campaign->definition->name()) : Json(nullptr);
    const Json figures = EffectivenessJson(ranked[i]);
    for (const auto& [key, value] : figures.items())
      if (key != "model") entry[key] = value;
    campaigns.push_back(std::move(entry));
  }
  return {{"model", AttributionModelName(model)},
          {"campaigns_ranked", ranked.size()},
          {"campaigns", std::move(campaigns)}};
}

Json ReactivationListJson(const StateQuery& query, uint64_t limit) {
  auto candidates = query.ReactivationCandidates();
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return std::forward_as_tuple(b.score.purchase_minor(),
                                 b.score.reactivation().days_since_last_purchase(),
                                 a.customer.state.customer_id()) <
           std::forward_as_tuple(a.score.purchase_minor(),
                                 a.score.reactivation().days_since_last_purchase(),
                                 b.customer.state.customer_id());
  });
  Json list = Json::array();
  for (size_t i = 0; i < candidates.size() && i < limit; ++i) {
    const auto& [customer, score] = candidates[i];
    Json entry = {{"customer_id", customer.state.customer_id()}};
    for (const auto& field : customer.state.fields())
      if (field.name() == "email") entry["email"] = field.value();
    entry["purchases"] = score.purchases();
    entry["last_purchase_at"] = FormatIsoTimestampMs(score.last_purchase_ms());
    const Json announced =
        ReactivationJson(score.reactivation(), score.reactivation_announced_ms());
    for (const auto& [key, value] : announced.items()) entry[key] = value;
    list.push_back(std::move(entry));
  }
  return {{"candidates_total", candidates.size()}, {"candidates", std::move(list)}};
}

}  // namespace accord::query
