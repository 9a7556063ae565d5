// An event about a customer: the customer its identity keys resolve to
// (or the shard it moved to), the payload's fold, and the customer's two
// records, its counters and the rest.
#include <algorithm>

#include "domain/fold/folding.h"

namespace accord::fold {
namespace folding {
namespace {

void JoinActivity(CustomerState& customer, const state::v1::CustomerActivity& activity) {
  customer.set_applied_events(activity.applied_events());
  customer.set_first_seen_ms(activity.first_seen_ms());
  customer.set_last_seen_ms(activity.last_seen_ms());
  customer.set_engagements(activity.engagements());
  customer.set_activities(activity.activities());
  customer.set_timeline_length(activity.timeline_length());
}

// Moves the counters out of the customer into its activity record.
state::v1::CustomerActivity SplitActivity(CustomerState& customer) {
  state::v1::CustomerActivity activity;
  activity.set_applied_events(customer.applied_events());
  activity.set_first_seen_ms(customer.first_seen_ms());
  activity.set_last_seen_ms(customer.last_seen_ms());
  activity.set_engagements(customer.engagements());
  activity.set_activities(customer.activities());
  activity.set_timeline_length(customer.timeline_length());
  customer.clear_applied_events();
  customer.clear_first_seen_ms();
  customer.clear_last_seen_ms();
  customer.clear_engagements();
  customer.clear_activities();
  customer.clear_timeline_length();
  return activity;
}

// Stores the customer as two records: its counters, and the rest, which
// is written only when it changed (most events move counters alone).
void PutCustomer(EventFold& fold, CustomerState& customer) {
  const std::string id = customer.customer_id();
  fold.Put(Table::kActivity, id, SplitActivity(customer));
  std::string record = EncodeState(customer);
  auto stored = fold.stored_records.find(id);
  if (stored == fold.stored_records.end() || stored->second != record)
    fold.PutRaw(Table::kCustomers, id, std::move(record));
}

// Engagement and logged activities move counters only: when every key the
// event names points to one live customer already, its activity record is
// all the fold reads and writes.
bool FoldCountersOnly(EventFold& fold, const std::vector<std::string>& keys) {
  if (!fold.event.has_campaign_engagement() && !fold.event.has_activity_logged()) return false;
  std::optional<std::string> id;
  for (const auto& key : keys) {
    auto found = fold.state.Get(Table::kIdentity, key);
    if (!found || (id && *id != *found)) return false;
    id = std::move(found);
  }
  auto activity = Load<state::v1::CustomerActivity>(fold.state, Table::kActivity, *id);
  if (!activity) return false;  // moved away: the full path forwards the event
  CountEvent(*activity, fold.event.occurred_at_ms());
  if (fold.event.has_campaign_engagement())
    FoldEngagement(fold, *activity);
  else
    FoldActivity(*activity);
  fold.outcome.customer_id = *id;
  AppendTimeline(fold, *id, *activity);
  fold.Put(Table::kActivity, *id, *activity);
  return true;
}

}  // namespace

std::optional<CustomerState> LoadJoined(const StateReader& state, std::string id,
                                        std::string* record) {
  for (int hops = 0; hops < 64; ++hops) {
    auto bytes = state.Get(Table::kCustomers, id);
    if (!bytes) return std::nullopt;
    auto customer = DecodeState<CustomerState>(*bytes, Table::kCustomers, id);
    if (!customer.merged_into().empty()) {
      id = customer.merged_into();
      continue;
    }
    if (customer.merged_into_key().empty())  // live, not moved away
      if (auto activity = Load<state::v1::CustomerActivity>(state, Table::kActivity, id))
        JoinActivity(customer, *activity);
    if (record) *record = std::move(*bytes);
    return customer;
  }
  throw StateError("merge redirect chain too long at customer " + id);
}

void FoldCustomerEvent(EventFold& fold) {
  const auto keys = IdentityKeys(fold);
  if (FoldCountersOnly(fold, keys)) return;
  auto resolved = Resolve(fold, keys);
  if (!resolved) {
    // The customer moved to another shard: the event follows it there.
    v1::Event forward;
    *forward.mutable_event_forwarded()->mutable_event() = fold.event;
    fold.Emit(fold.moved_to, std::move(forward));
    fold.outcome.verdict = Verdict::kForwarded;
    return;
  }
  CustomerState& customer = *resolved;
  CountEvent(customer, fold.event.occurred_at_ms());
  switch (fold.event.payload_case()) {
    case v1::Event::kCustomerUpserted:
      FoldUpsert(fold, customer);
      break;
    case v1::Event::kCustomerMerged:
      break;  // Resolve() already joined the records
    case v1::Event::kCustomerErased:
      FoldErasure(fold, customer);
      break;
    case v1::Event::kConsentChanged:
      FoldConsent(fold, customer);
      break;
    case v1::Event::kCampaignEngagement:
      FoldEngagement(fold, customer);
      break;
    case v1::Event::kLeadStatusChanged:
      OfferLifecycle(fold, customer, fold.event.lead_status_changed().stage());
      break;
    case v1::Event::kLeadDecision:
      FoldLeadDecision(fold, customer);
      break;
    case v1::Event::kDealUpserted:
      FoldDeal(fold, customer);
      break;
    case v1::Event::kActivityLogged:
      FoldActivity(customer);
      break;
    case v1::Event::kOrderPlaced:
      FoldOrder(fold.event, customer);
      break;
    case v1::Event::kSupportTicket:
      FoldSupportTicket(fold.event, customer);
      break;
    default:
      break;
  }
  FinishCustomer(fold, customer);
}

void FinishCustomer(EventFold& fold, CustomerState& customer) {
  fold.outcome.customer_id = customer.customer_id();
  AppendTimeline(fold, customer.customer_id(), customer);
  ++fold.funnel_current[customer.lifecycle_stage()];
  WriteFunnel(fold, customer.lifecycle_stage());
  // Aliases an erasure just dropped are not announced.
  std::erase_if(fold.new_aliases, [&](const std::string& alias) {
    return !std::binary_search(customer.aliases().begin(), customer.aliases().end(), alias);
  });
  ClaimNewAliases(fold, customer);
  PutCustomer(fold, customer);
}

}  // namespace folding

std::optional<state::v1::CustomerState> LoadCustomer(const StateReader& state, std::string id) {
  return folding::LoadJoined(state, std::move(id), nullptr);
}

}  // namespace accord::fold
