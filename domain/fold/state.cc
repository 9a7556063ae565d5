#include "domain/fold/state.h"

#include "domain/fold/shard.h"

namespace accord::fold {

std::string_view TableName(Table table) {
  switch (table) {
    case Table::kCustomers:
      return "customers";
    case Table::kIdentity:
      return "identity";
    case Table::kDeals:
      return "deals";
    case Table::kCampaigns:
      return "campaigns";
    case Table::kCampaignStats:
      return "campaign_stats";
    case Table::kEvents:
      return "events";
    case Table::kTimeline:
      return "timeline";
    case Table::kFunnel:
      return "funnel";
    case Table::kClaims:
      return "claims";
    case Table::kActivity:
      return "activity";
    case Table::kAccounts:
      return "accounts";
    case Table::kScores:
      return "scores";
    case Table::kEffectiveness:
      return "effectiveness";
    case Table::kSchedule:
      return "schedule";
    case Table::kAccountProfiles:
      return "account_profiles";
  }
  return "unknown";
}

std::string ShardPrefix(std::string_view stream, int32_t partition) {
  return std::string(stream) + "/" + std::to_string(partition) + "/";
}

void MoveIntoShard(std::vector<Change>& changes, const std::string& prefix) {
  for (auto& change : changes) change.key.insert(0, prefix);
}

}  // namespace accord::fold
