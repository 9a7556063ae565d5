// Merges across shards: a customer whose key another shard's customer
// holds too moves to the shard of the smaller home key, with its timelines
// and deals, and leaves a redirect behind.
#include <algorithm>
#include <tuple>

#include "domain/fold/folding.h"

namespace accord::fold::folding {
namespace {

// Hands the customer, its timelines and its deals to the survivor's shard
// and leaves a redirect behind; later events for it are forwarded.
void Move(EventFold& fold, const CustomerState& customer, const std::string& survivor,
          const std::string& reason) {
  v1::Event event;
  auto& moved = *event.mutable_customer_moved();
  *moved.mutable_customer() = customer;
  moved.set_reason(reason);
  std::vector<std::pair<std::string, uint64_t>> timelines = {
      {customer.customer_id(), customer.timeline_length()}};
  for (const auto& merged_id : customer.merged_customer_ids()) {
    auto merged = Load<CustomerState>(fold.state, Table::kCustomers, merged_id);
    timelines.emplace_back(merged_id, merged ? merged->timeline_length() : 0);
    if (merged) PutRedirect(fold, merged_id, merged->merged_into(), 0, merged->home_key());
  }
  for (const auto& [timeline_id, length] : timelines) {
    auto& timeline = *moved.add_timelines();
    timeline.set_customer_id(timeline_id);
    for (uint64_t sequence = 0; sequence < length; ++sequence) {
      const std::string key = TimelineKey(timeline_id, sequence);
      *timeline.add_entries() = LoadTimelineEntry(fold.state, key);
      fold.Delete(Table::kTimeline, key);
    }
  }
  for (const auto& deal_key : customer.deal_keys()) {
    auto deal = Load<state::v1::DealState>(fold.state, Table::kDeals, deal_key);
    if (!deal) continue;
    auto owner = LoadCustomer(fold.state, deal->customer_id());
    if (!owner || owner->customer_id() != customer.customer_id()) continue;
    *moved.add_deals() = std::move(*deal);
    fold.Delete(Table::kDeals, deal_key);
  }
  --fold.funnel_current[customer.lifecycle_stage()];
  WriteFunnel(fold, std::nullopt);
  CustomerState redirect;
  redirect.set_customer_id(customer.customer_id());
  redirect.set_home_key(customer.home_key());
  redirect.set_merged_into_key(survivor);
  fold.Put(Table::kCustomers, customer.customer_id(), redirect);
  fold.Delete(Table::kActivity, customer.customer_id());
  fold.Emit(survivor, std::move(event));
}

}  // namespace

// This shard's customer under the event's key is one person with the
// customer under survivor_key. Only a customer with the larger home key
// moves; otherwise the request is passed on to the other side.
void FoldMergeRequest(EventFold& fold) {
  const auto& request = fold.event.merge_requested();
  auto id = fold.state.Get(Table::kIdentity, fold.event.customer_key());
  if (!id) return;  // erased since it was claimed: nothing left to merge
  auto customer = LoadCustomer(fold.state, *id);
  if (!customer) throw StateError("identity points to missing customer " + *id);
  const std::string& survivor = request.survivor_key();
  if (!customer->merged_into_key().empty()) {
    const std::string& moved_to = customer->merged_into_key();
    if (moved_to != survivor)
      EmitMergeRequest(fold, std::max(moved_to, survivor), std::min(moved_to, survivor),
                       request.reason());
    return;
  }
  if (customer->home_key() == survivor) return;
  if (customer->home_key() < survivor) {
    EmitMergeRequest(fold, survivor, customer->home_key(), request.reason());
    return;
  }
  Move(fold, *customer, survivor, request.reason());
}

// A customer of another shard moved into the customer living under this
// event's key.
void FoldMoved(EventFold& fold) {
  const auto& moved = fold.event.customer_moved();
  std::vector<std::string> keys(moved.customer().aliases().begin(),
                                moved.customer().aliases().end());
  keys.push_back(fold.event.customer_key());
  auto survivor = Resolve(fold, keys);
  if (!survivor) {
    // The survivor itself moved on since: the customer follows it.
    v1::Event onward;
    *onward.mutable_customer_moved() = moved;
    fold.Emit(fold.moved_to, std::move(onward));
    fold.outcome.verdict = Verdict::kForwarded;
    return;
  }
  MergeInto(fold.rules, *survivor, moved.customer(), fold.decisions);
  for (const auto& timeline : moved.timelines()) {
    // A customer moves once; a timeline whose owner is known here already
    // (a repeated or forged move) must not overwrite what is stored.
    if (fold.state.Get(Table::kCustomers, timeline.customer_id()) ||
        timeline.customer_id() == survivor->customer_id())
      continue;
    for (int sequence = 0; sequence < timeline.entries_size(); ++sequence)
      fold.Put(Table::kTimeline, TimelineKey(timeline.customer_id(), sequence),
               timeline.entries(sequence));
    PutRedirect(fold, timeline.customer_id(), survivor->customer_id(), timeline.entries_size(), "");
  }
  for (auto deal : moved.deals()) {
    auto here = Load<state::v1::DealState>(fold.state, Table::kDeals, deal.deal_key());
    AddSorted(survivor->mutable_deal_keys(), deal.deal_key());
    if (here && std::forward_as_tuple(here->source_version(), here->updated_at_ms()) >=
                    std::forward_as_tuple(deal.source_version(), deal.updated_at_ms()))
      continue;
    deal.set_customer_id(survivor->customer_id());
    fold.Put(Table::kDeals, deal.deal_key(), deal);
  }
  fold.stages_before.insert(moved.customer().lifecycle_stage());
  // The note has always carried the reason; readers of merges find it as
  // merge_reason, like an in-shard merge's.
  fold.note = moved.reason();
  fold.merge_reason = moved.reason();
  fold.absorbed.push_back(moved.customer().customer_id());
  FinishCustomer(fold, *survivor);
}

}  // namespace accord::fold::folding
