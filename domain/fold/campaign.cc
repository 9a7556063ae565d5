// Campaigns: their definitions, and the engagement counted per campaign
// and kind.
#include <tuple>

#include "domain/fold/folding.h"

namespace accord::fold::folding {

void FoldCampaign(EventFold& fold) {
  const auto& payload = fold.event.campaign_upserted();
  auto campaign =
      Load<state::v1::CampaignState>(fold.state, Table::kCampaigns, payload.campaign_id())
          .value_or(state::v1::CampaignState());
  bool newer = campaign.campaign_id().empty() ||
               std::forward_as_tuple(fold.event.source_version(), fold.event.occurred_at_ms()) >
                   std::forward_as_tuple(campaign.source_version(), campaign.updated_at_ms());
  if (!newer) return;  // a late, older definition: kept in the history only
  campaign.set_campaign_id(payload.campaign_id());
  campaign.set_name(payload.name());
  campaign.set_channel(payload.channel());
  campaign.set_start_date(payload.start_date());
  *campaign.mutable_budget() = payload.budget();
  campaign.set_source_version(fold.event.source_version());
  campaign.set_updated_at_ms(fold.event.occurred_at_ms());
  fold.Put(Table::kCampaigns, payload.campaign_id(), campaign);
}

template <typename Counters>
void FoldEngagement(EventFold& fold, Counters& customer) {
  const auto& payload = fold.event.campaign_engagement();
  customer.set_engagements(customer.engagements() + 1);
  auto stats =
      Load<state::v1::CampaignStats>(fold.state, Table::kCampaignStats, payload.campaign_id())
          .value_or(state::v1::CampaignStats());
  stats.set_campaign_id(payload.campaign_id());
  // A kind this build does not know (negative, or from a newer producer) is
  // counted as unspecified rather than indexing out of range.
  int kind =
      v1::EngagementKind_IsValid(payload.kind()) ? payload.kind() : v1::ENGAGEMENT_KIND_UNSPECIFIED;
  while (stats.counts_by_kind_size() <= kind) stats.add_counts_by_kind(0);
  stats.set_counts_by_kind(kind, stats.counts_by_kind(kind) + 1);
  fold.Put(Table::kCampaignStats, payload.campaign_id(), stats);
}

template void FoldEngagement(EventFold&, CustomerState&);
template void FoldEngagement(EventFold&, state::v1::CustomerActivity&);

}  // namespace accord::fold::folding
