#include "services/query/state_query.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>

#include "domain/fold/codec.h"
#include "domain/fold/fold.h"
#include "domain/fold/shard.h"

namespace accord::query {

using state::v1::CustomerState;

StateQuery::StateQuery(const store::Store& store) : store_(store) {
  for (const auto& offset : store.AllOffsets())
    shards_.push_back(fold::ShardPrefix(offset.stream, offset.partition));
}

std::optional<StateQuery::Customer> StateQuery::Resolve(std::string shard, std::string id) const {
  // Each move goes to a customer with a smaller home key, so the hops end.
  for (size_t hops = 0; hops <= shards_.size(); ++hops) {
    auto customer = fold::LoadCustomer(fold::ShardView(store_, shard), id);
    if (!customer) return std::nullopt;
    if (customer->merged_into_key().empty()) return Customer{shard, std::move(*customer)};
    auto next = FindIdentity(customer->merged_into_key());
    if (!next) return std::nullopt;  // the survivor's shard is another instance's
    std::tie(shard, id) = std::move(*next);
  }
  throw fold::StateError("customer " + id + " moves between shards in a circle");
}

std::optional<std::pair<std::string, std::string>> StateQuery::FindIdentity(
    const std::string& identity_key) const {
  for (const auto& shard : shards_)
    if (auto id = store_.Get(fold::Table::kIdentity, shard + identity_key))
      return std::make_pair(shard, std::move(*id));
  return std::nullopt;
}

std::optional<StateQuery::Customer> StateQuery::ByIdentity(const std::string& identity_key) const {
  auto found = FindIdentity(identity_key);
  if (!found) return std::nullopt;
  return Resolve(found->first, found->second);
}

std::optional<StateQuery::Customer> StateQuery::ById(const std::string& customer_id) const {
  for (const auto& shard : shards_)
    if (auto customer = Resolve(shard, customer_id)) return customer;
  return std::nullopt;
}

std::vector<state::v1::DealState> StateQuery::DealsOf(const Customer& customer) const {
  std::vector<state::v1::DealState> deals;
  for (const auto& deal_key : customer.state.deal_keys()) {
    const std::string key = customer.shard + deal_key;
    auto bytes = store_.Get(fold::Table::kDeals, key);
    if (!bytes) continue;
    auto deal = fold::DecodeState<state::v1::DealState>(*bytes, fold::Table::kDeals, key);
    // A deal whose contact changed since names another customer now.
    auto owner = Resolve(customer.shard, deal.customer_id());
    if (owner && owner->state.customer_id() == customer.state.customer_id())
      deals.push_back(std::move(deal));
  }
  return deals;
}

std::vector<StateQuery::TimelineItem> StateQuery::TimelineOf(const Customer& customer) const {
  std::vector<TimelineItem> items;
  auto collect = [&](const std::string& customer_id) {
    const std::string prefix = customer.shard + customer_id + "/";
    store_.ScanPrefix(
        fold::Table::kTimeline, prefix, [&](std::string_view key, std::string_view value) {
          TimelineItem item;
          item.customer_id = customer_id;
          auto digits = key.substr(prefix.size());
          auto [end, error] =
              std::from_chars(digits.data(), digits.data() + digits.size(), item.sequence);
          if (error != std::errc() || end != digits.data() + digits.size())
            throw fold::StateError("unreadable timeline key " + std::string(key));
          item.entry =
              fold::DecodeState<state::v1::TimelineEntry>(value, fold::Table::kTimeline, key);
          items.push_back(std::move(item));
          return true;
        });
  };
  collect(customer.state.customer_id());
  for (const auto& merged : customer.state.merged_customer_ids()) collect(merged);
  std::sort(items.begin(), items.end(), [](const TimelineItem& a, const TimelineItem& b) {
    return std::forward_as_tuple(a.entry.occurred_at_ms(), a.entry.event_id(), a.customer_id,
                                 a.sequence) < std::forward_as_tuple(b.entry.occurred_at_ms(),
                                                                     b.entry.event_id(),
                                                                     b.customer_id, b.sequence);
  });
  return items;
}

template <typename Record>
std::optional<std::pair<std::string, Record>> StateQuery::NewestInShards(
    fold::Table table, const std::string& key) const {
  std::optional<std::pair<std::string, Record>> newest;
  for (const auto& shard : shards_) {
    auto bytes = store_.Get(table, shard + key);
    if (!bytes) continue;
    auto record = fold::DecodeState<Record>(*bytes, table, shard + key);
    if (newest &&
        std::forward_as_tuple(record.source_version(), record.updated_at_ms()) <=
            std::forward_as_tuple(newest->second.source_version(), newest->second.updated_at_ms()))
      continue;
    newest.emplace(shard, std::move(record));
  }
  return newest;
}

std::optional<StateQuery::Deal> StateQuery::DealByKey(const std::string& deal_key) const {
  auto newest = NewestInShards<state::v1::DealState>(fold::Table::kDeals, deal_key);
  if (!newest) return std::nullopt;
  Deal deal{newest->first, std::move(newest->second), ""};
  if (auto owner = Resolve(deal.shard, deal.state.customer_id()))
    deal.customer_id = owner->state.customer_id();
  return deal;
}

std::optional<state::v1::ScoreState> StateQuery::ScoreOf(const Customer& customer) const {
  const std::string key = customer.shard + customer.state.customer_id();
  auto bytes = store_.Get(fold::Table::kScores, key);
  if (!bytes) return std::nullopt;
  return fold::DecodeState<state::v1::ScoreState>(*bytes, fold::Table::kScores, key);
}

std::optional<state::v1::AccountState> StateQuery::AccountByKey(
    const std::string& account_key) const {
  auto newest = NewestInShards<state::v1::AccountState>(fold::Table::kAccounts, account_key);
  if (!newest) return std::nullopt;
  return std::move(newest->second);
}

std::optional<StateQuery::Campaign> StateQuery::CampaignById(const std::string& campaign_id) const {
  Campaign campaign;
  if (auto definition =
          NewestInShards<state::v1::CampaignState>(fold::Table::kCampaigns, campaign_id))
    campaign.definition = std::move(definition->second);
  for (const auto& shard : shards_) {
    const std::string key = shard + campaign_id;
    if (auto bytes = store_.Get(fold::Table::kCampaignStats, key)) {
      auto stats =
          fold::DecodeState<state::v1::CampaignStats>(*bytes, fold::Table::kCampaignStats, key);
      campaign.has_stats = true;
      if (campaign.counts_by_kind.size() < static_cast<size_t>(stats.counts_by_kind_size()))
        campaign.counts_by_kind.resize(stats.counts_by_kind_size(), 0);
      for (int kind = 0; kind < stats.counts_by_kind_size(); ++kind)
        campaign.counts_by_kind[kind] += stats.counts_by_kind(kind);
    }
  }
  if (!campaign.definition && !campaign.has_stats) return std::nullopt;
  return campaign;
}

std::vector<state::v1::CampaignEffect> StateQuery::CampaignEffects() const {
  std::vector<state::v1::CampaignEffect> effects;
  // A campaign's credits all go to the shard of its key: one record each.
  for (const auto& shard : shards_)
    store_.ScanPrefix(fold::Table::kEffectiveness, shard,
                      [&](std::string_view key, std::string_view value) {
                        effects.push_back(fold::DecodeState<state::v1::CampaignEffect>(
                            std::string(value), fold::Table::kEffectiveness, std::string(key)));
                        return true;
                      });
  return effects;
}

std::optional<state::v1::CampaignEffect> StateQuery::CampaignEffectOf(
    const std::string& campaign_id) const {
  for (const auto& shard : shards_) {
    const std::string key = shard + campaign_id;
    if (auto bytes = store_.Get(fold::Table::kEffectiveness, key))
      return fold::DecodeState<state::v1::CampaignEffect>(*bytes, fold::Table::kEffectiveness, key);
  }
  return std::nullopt;
}

std::vector<StateQuery::Candidate> StateQuery::ReactivationCandidates() const {
  std::vector<Candidate> candidates;
  for (const auto& shard : shards_)
    store_.ScanPrefix(fold::Table::kScores, shard,
                      [&](std::string_view key, std::string_view value) {
                        auto score = fold::DecodeState<state::v1::ScoreState>(
                            std::string(value), fold::Table::kScores, std::string(key));
                        if (!score.has_reactivation()) return true;
                        if (auto customer = Resolve(shard, score.customer_id()))
                          candidates.push_back({std::move(*customer), std::move(score)});
                        return true;
                      });
  return candidates;
}

std::vector<StateQuery::Customer> StateQuery::LiveCustomers() const {
  std::vector<Customer> live;
  for (const auto& shard : shards_)
    store_.ScanPrefix(fold::Table::kCustomers, shard, [&](std::string_view key, std::string_view) {
      const std::string id(key.substr(shard.size()));
      auto customer = fold::LoadCustomer(fold::ShardView(store_, shard), id);
      if (customer && customer->customer_id() == id && customer->merged_into().empty() &&
          customer->merged_into_key().empty())
        live.push_back({shard, std::move(*customer)});
      return true;
    });
  return live;
}

std::vector<StateQuery::Deal> StateQuery::AllDeals() const {
  std::set<std::string> keys;
  for (const auto& shard : shards_)
    store_.ScanPrefix(fold::Table::kDeals, shard, [&](std::string_view key, std::string_view) {
      keys.insert(std::string(key.substr(shard.size())));
      return true;
    });
  std::vector<Deal> deals;
  for (const auto& key : keys)
    if (auto deal = DealByKey(key)) deals.push_back(std::move(*deal));
  return deals;
}

StateQuery::Funnel StateQuery::FunnelTotals() const {
  Funnel funnel;
  for (const auto& shard : shards_) {
    store_.ScanPrefix(
        fold::Table::kFunnel, shard, [&](std::string_view key, std::string_view value) {
          auto name = key.substr(shard.size());
          auto slash = name.find('/');
          int64_t count = 0;
          auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
          if (slash == std::string_view::npos || error != std::errc() ||
              end != value.data() + value.size())
            throw fold::StateError("unreadable funnel count at key " + std::string(key));
          auto kind = name.substr(0, slash);
          std::string stage(name.substr(slash + 1));
          if (kind == "current")
            funnel.current[stage] += count;
          else if (kind == "entered")
            funnel.entered[stage] += count;
          return true;
        });
  }
  return funnel;
}

}  // namespace accord::query
