#include "services/query/state_query.h"

#include "core/fold/codec.h"
#include "core/fold/shard.h"

namespace accord::query {

using state::v1::CustomerState;

StateQuery::StateQuery(const store::Store& store) : store_(store) {
  for (const auto& offset : store.AllOffsets())
    shards_.push_back(fold::ShardPrefix(offset.stream, offset.partition));
}

std::optional<CustomerState> StateQuery::Resolve(const std::string& shard, std::string id) const {
  for (int hops = 0; hops < 64; ++hops) {
    auto bytes = store_.Get(fold::Table::kCustomers, shard + id);
    if (!bytes) return std::nullopt;
    auto customer = fold::DecodeState<CustomerState>(*bytes, fold::Table::kCustomers, shard + id);
    if (customer.merged_into().empty()) return customer;
    id = customer.merged_into();
  }
  throw fold::StateError("merge redirect chain too long at customer " + id);
}

std::optional<StateQuery::Customer> StateQuery::ByIdentity(const std::string& identity_key) const {
  for (const auto& shard : shards_)
    if (auto id = store_.Get(fold::Table::kIdentity, shard + identity_key))
      if (auto customer = Resolve(shard, *id)) return Customer{shard, std::move(*customer)};
  return std::nullopt;
}

std::optional<StateQuery::Customer> StateQuery::ById(const std::string& customer_id) const {
  for (const auto& shard : shards_)
    if (auto customer = Resolve(shard, customer_id)) return Customer{shard, std::move(*customer)};
  return std::nullopt;
}

std::vector<state::v1::DealState> StateQuery::DealsOf(const Customer& customer) const {
  std::vector<state::v1::DealState> deals;
  store_.ScanPrefix(
      fold::Table::kDeals, customer.shard, [&](std::string_view key, std::string_view value) {
        auto deal = fold::DecodeState<state::v1::DealState>(value, fold::Table::kDeals, key);
        auto owner = Resolve(customer.shard, deal.customer_id());
        if (owner && owner->customer_id() == customer.state.customer_id())
          deals.push_back(std::move(deal));
        return true;
      });
  return deals;
}

}  // namespace accord::query
