// Identity: the keys an event names, the customer they resolve to within
// the shard (merging the customers they prove to be one person), and the
// claims and releases by which shards learn who else holds a key.
#include <algorithm>
#include <tuple>

#include "domain/events/identity.h"
#include "domain/fold/folding.h"
#include "domain/util/hash.h"

namespace accord::fold::folding {
namespace {

// "email:a@b.de" as "e-mail a@b.de", "src:crm:k1" as "source id crm:k1".
std::string DescribeIdentityKey(std::string_view key) {
  if (key.starts_with("email:")) return "e-mail " + std::string(key.substr(6));
  if (key.starts_with("src:")) return "source id " + std::string(key.substr(4));
  return std::string(key);
}

// The home key of whoever holds `key` in this shard: a local customer (or
// where it moved), else a customer of another shard that claimed it.
std::set<std::string> HoldersOf(const StateReader& state, const std::string& key) {
  std::set<std::string> holders;
  if (auto id = state.Get(Table::kIdentity, key))
    if (auto customer = LoadCustomer(state, *id))
      holders.insert(customer->merged_into_key().empty() ? customer->home_key()
                                                         : customer->merged_into_key());
  if (auto claimed = state.Get(Table::kClaims, key)) holders.insert(*claimed);
  return holders;
}

// `claimant` holds `key`, which this shard owns: every other holder is the
// same person, and all of them merge into the smallest home key.
void ReconcileHolders(EventFold& fold, const std::string& key, const std::string& claimant) {
  std::set<std::string> holders = HoldersOf(fold.state, key);
  holders.insert(claimant);
  const std::string& survivor = *holders.begin();
  if (fold.state.Get(Table::kClaims, key) != survivor) fold.PutRaw(Table::kClaims, key, survivor);
  for (const auto& holder : holders)
    if (holder != survivor)
      EmitMergeRequest(fold, holder, survivor, DescribeIdentityKey(key) + " is held by both");
}

}  // namespace

// Identity keys this event asserts belong to one customer. A forwarded
// event also belongs to the customer whose home key it was sent to.
std::vector<std::string> IdentityKeys(const EventFold& fold) {
  std::set<std::string> keys;
  keys.insert(fold.event.customer_key());
  keys.insert(fold.envelope.customer_key());
  if (fold.event.has_customer_upserted()) {
    const auto& upsert = fold.event.customer_upserted();
    if (auto key =
            events::SourceIdentityKey(fold.event.source_system(), fold.event.source_record_id()))
      keys.insert(*key);
    if (upsert.has_email())
      if (auto key = events::EmailIdentityKey(upsert.email())) keys.insert(*key);
    for (const auto& linked : upsert.linked_source_ids())
      if (auto key = events::LinkedIdentityKey(linked)) keys.insert(*key);
  } else if (fold.event.has_customer_merged()) {
    const auto& merged = fold.event.customer_merged();
    for (const auto* id : {&merged.primary_source_record_id()})
      if (auto key = events::SourceIdentityKey(fold.event.source_system(), *id)) keys.insert(*key);
    for (const auto& id : merged.merged_source_record_ids())
      if (auto key = events::SourceIdentityKey(fold.event.source_system(), id)) keys.insert(*key);
  }
  return {keys.begin(), keys.end()};
}

// Finds or creates the customer the keys point to and adds the keys as its
// aliases. Customers of this shard that the keys prove to be one person
// merge; the smallest home key survives, as across shards. When the
// event's own key names a customer that moved to another shard (or, for a
// key new here, another key does), nothing is resolved here: `fold.moved_to`
// names the survivor's home key and the event belongs there. A key whose
// customer moved elsewhere while the event's key names one living here is
// taken over by this customer; the claim it announces for the key lets
// the two shards settle that both are one person.
std::optional<CustomerState> Resolve(EventFold& fold, const std::vector<std::string>& keys) {
  std::vector<CustomerState> found;
  // The key that led to each customer found, by customer id.
  std::map<std::string, std::string> found_by;
  std::string elsewhere;
  for (const auto& key : keys) {
    auto id = fold.state.Get(Table::kIdentity, key);
    if (!id) continue;
    std::string record;
    auto customer = LoadJoined(fold.state, *id, &record);
    if (!customer) throw StateError("identity " + key + " points to missing customer " + *id);
    if (customer->merged_into_key().empty())
      fold.stored_records[customer->customer_id()] = std::move(record);
    if (!customer->merged_into_key().empty()) {
      if (key == fold.envelope.customer_key()) {
        fold.moved_to = customer->merged_into_key();
        return std::nullopt;
      }
      if (elsewhere.empty() || customer->merged_into_key() < elsewhere)
        elsewhere = customer->merged_into_key();
      continue;
    }
    if (found_by.emplace(customer->customer_id(), key).second)
      found.push_back(std::move(*customer));
  }
  if (found.empty() && !elsewhere.empty()) {
    fold.moved_to = elsewhere;
    return std::nullopt;
  }
  CustomerState survivor;
  if (found.empty()) {
    survivor.set_customer_id(
        "c" +
        Sha256Hex(fold.envelope.customer_key() + "\n" + fold.envelope.event_id()).substr(0, 24));
    survivor.set_home_key(fold.envelope.customer_key());
    survivor.set_first_seen_ms(fold.event.occurred_at_ms());
    survivor.set_last_seen_ms(fold.event.occurred_at_ms());
  } else {
    std::sort(found.begin(), found.end(), [](const CustomerState& a, const CustomerState& b) {
      return std::forward_as_tuple(a.home_key(), a.customer_id()) <
             std::forward_as_tuple(b.home_key(), b.customer_id());
    });
    for (const auto& customer : found) {
      --fold.funnel_current[customer.lifecycle_stage()];
      fold.stages_before.insert(customer.lifecycle_stage());
    }
    survivor = std::move(found.front());
    if (found.size() > 1) {
      fold.merge_reason = SourceKey(fold.event) + " names " +
                          DescribeIdentityKey(found_by[survivor.customer_id()]) + " of " +
                          survivor.customer_id();
      for (size_t i = 1; i < found.size(); ++i)
        fold.merge_reason += (i + 1 == found.size() ? " and " : ", ") +
                             DescribeIdentityKey(found_by[found[i].customer_id()]) + " of " +
                             found[i].customer_id();
    }
    for (size_t i = 1; i < found.size(); ++i) {
      fold.absorbed.push_back(found[i].customer_id());
      MergeInto(fold.rules, survivor, found[i], fold.decisions);
      PutRedirect(fold, found[i].customer_id(), survivor.customer_id(), found[i].timeline_length(),
                  found[i].home_key());
      for (const auto& alias : found[i].aliases())
        fold.PutRaw(Table::kIdentity, alias, survivor.customer_id());
    }
  }
  for (const auto& key : keys) {
    auto it = std::lower_bound(survivor.aliases().begin(), survivor.aliases().end(), key);
    if (it != survivor.aliases().end() && *it == key) continue;
    AddSorted(survivor.mutable_aliases(), key);
    fold.PutRaw(Table::kIdentity, key, survivor.customer_id());
    fold.new_aliases.push_back(key);
  }
  return survivor;
}

// A customer record that only says where the customer went; it keeps the
// length of the timeline still stored under its id.
void PutRedirect(EventFold& fold, const std::string& customer_id, const std::string& survivor_id,
                 uint64_t timeline_length, const std::string& home_key) {
  CustomerState redirect;
  redirect.set_customer_id(customer_id);
  redirect.set_merged_into(survivor_id);
  redirect.set_timeline_length(timeline_length);
  redirect.set_home_key(home_key);
  fold.Put(Table::kCustomers, customer_id, redirect);
  fold.Delete(Table::kActivity, customer_id);
}

// Folds `absorbed` into `survivor`: every alias, field (by the usual rule),
// counter and source version carries over. The decisions on the absorbed
// customer's fields go to `decisions`, with the provenance each value had.
void MergeInto(const Rules& rules, CustomerState& survivor, const CustomerState& absorbed,
               std::vector<FieldDecision>& decisions) {
  for (const auto& alias : absorbed.aliases()) AddSorted(survivor.mutable_aliases(), alias);
  for (const auto& field : absorbed.fields()) {
    FieldDecision& decision = decisions.emplace_back(OfferField(rules, survivor, field));
    decision.set_offered_source_system(field.source_system());
    decision.set_offered_source_record_id(field.source_record_id());
    decision.set_offered_source_version(field.source_version());
    decision.set_offered_occurred_at_ms(field.occurred_at_ms());
  }
  SyncLifecycle(survivor);
  for (const auto& sv : absorbed.source_versions())
    RaiseVersion(survivor, sv.source_key(), sv.version());
  for (const auto& consent : absorbed.consents()) {
    auto* consents = survivor.mutable_consents();
    auto it = std::find_if(consents->begin(), consents->end(),
                           [&](const auto& c) { return c.channel() == consent.channel(); });
    if (it == consents->end()) {
      *survivor.add_consents() = consent;
      std::sort(consents->begin(), consents->end(),
                [](const auto& a, const auto& b) { return a.channel() < b.channel(); });
    } else if (consent.changed_at_ms() > it->changed_at_ms()) {
      *it = consent;
    }
  }
  for (const auto& ticket : absorbed.open_tickets())
    AddSorted(survivor.mutable_open_tickets(), ticket);
  for (const auto& deal_key : absorbed.deal_keys())
    AddSorted(survivor.mutable_deal_keys(), deal_key);
  AddSorted(survivor.mutable_merged_customer_ids(), absorbed.customer_id());
  for (const auto& id : absorbed.merged_customer_ids())
    AddSorted(survivor.mutable_merged_customer_ids(), id);
  survivor.set_applied_events(survivor.applied_events() + absorbed.applied_events());
  survivor.set_engagements(survivor.engagements() + absorbed.engagements());
  survivor.set_activities(survivor.activities() + absorbed.activities());
  survivor.set_orders(survivor.orders() + absorbed.orders());
  survivor.set_order_revenue_minor(survivor.order_revenue_minor() + absorbed.order_revenue_minor());
  survivor.set_last_order_ms(std::max(survivor.last_order_ms(), absorbed.last_order_ms()));
  survivor.set_complaints(survivor.complaints() + absorbed.complaints());
  survivor.set_first_seen_ms(std::min(survivor.first_seen_ms(), absorbed.first_seen_ms()));
  survivor.set_last_seen_ms(std::max(survivor.last_seen_ms(), absorbed.last_seen_ms()));
}

// Every identity key a customer gained is announced to the shard that owns
// it, which can tell whether a customer elsewhere holds it too. The home
// key needs no announcement: it routes to this very shard. When the event's
// own key is new to the customer, this shard owns it and checks at once.
void ClaimNewAliases(EventFold& fold, const CustomerState& customer) {
  for (const auto& alias : fold.new_aliases) {
    if (alias == customer.home_key()) continue;
    if (alias == fold.envelope.customer_key()) {
      ReconcileHolders(fold, alias, customer.home_key());
      continue;
    }
    v1::Event claim;
    claim.mutable_identity_claimed()->set_holder_key(customer.home_key());
    fold.Emit(alias, std::move(claim));
  }
}

void EmitMergeRequest(EventFold& fold, const std::string& absorbed_key,
                      const std::string& survivor_key, const std::string& reason) {
  v1::Event request;
  request.mutable_merge_requested()->set_survivor_key(survivor_key);
  request.mutable_merge_requested()->set_reason(reason);
  fold.Emit(absorbed_key, std::move(request));
}

void FoldClaim(EventFold& fold) {
  ReconcileHolders(fold, fold.event.customer_key(), fold.event.identity_claimed().holder_key());
}

// Forgets that the erased customer holds the key: as a claim, and as the
// redirect a customer that moved into it left behind here.
void FoldRelease(EventFold& fold) {
  const auto& holders = fold.event.identity_released().holder_keys();
  for (const auto& holder : HoldersOf(fold.state, fold.event.customer_key())) {
    if (std::find(holders.begin(), holders.end(), holder) == holders.end()) continue;
    if (fold.state.Get(Table::kClaims, fold.event.customer_key()) == holder)
      fold.Delete(Table::kClaims, fold.event.customer_key());
    if (auto id = fold.state.Get(Table::kIdentity, fold.event.customer_key())) {
      auto customer = LoadCustomer(fold.state, *id);
      if (customer && customer->merged_into_key() == holder)
        fold.Delete(Table::kIdentity, fold.event.customer_key());
    }
  }
}

}  // namespace accord::fold::folding
