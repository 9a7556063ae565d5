#include "domain/fold/fold.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "accord/state/v1/state.pb.h"
#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "domain/fold/codec.h"
#include "domain/util/hash.h"

namespace accord::fold {
namespace {

using state::v1::CustomerState;
using state::v1::FieldDecision;
using state::v1::FieldValue;

template <typename T>
std::optional<T> Load(const StateReader& state, Table table, std::string_view key) {
  auto bytes = state.Get(table, key);
  if (!bytes) return std::nullopt;
  return DecodeState<T>(*bytes, table, key);
}

std::string SourceKey(const v1::Event& e) {
  return e.source_system() + ":" + e.source_record_id();
}

bool Newer(const FieldValue& candidate, const FieldValue& current) {
  return std::forward_as_tuple(candidate.occurred_at_ms(), candidate.source_system(),
                               candidate.source_record_id(), candidate.event_id()) >
         std::forward_as_tuple(current.occurred_at_ms(), current.source_system(),
                               current.source_record_id(), current.event_id());
}

// Position of the value's source in the rule's list; a blank value never
// counts as the preferred source having one.
size_t Rank(const FieldRule& rule, const FieldValue& value) {
  if (value.value().empty()) return rule.sources.size();
  auto it = std::find(rule.sources.begin(), rule.sources.end(), value.source_system());
  return static_cast<size_t>(it - rule.sources.begin());
}

// True when `candidate` should replace `current` under `rule`; `decided`
// names the rule that made the difference.
bool Wins(const FieldRule& rule, const FieldValue& candidate, const FieldValue& current,
          std::string* decided) {
  if (candidate.source_system() == current.source_system() &&
      candidate.source_record_id() == current.source_record_id() &&
      candidate.source_version() != current.source_version()) {
    *decided = "source-version";
    return candidate.source_version() > current.source_version();
  }
  if (rule.kind != FieldRule::Kind::kNewest) {
    size_t candidate_rank = Rank(rule, candidate);
    size_t current_rank = Rank(rule, current);
    if (candidate_rank != current_rank) {
      *decided = rule.Text();
      return candidate_rank < current_rank;
    }
  }
  *decided = "newest-occurred-at";
  return Newer(candidate, current);
}

FieldValue* FindField(CustomerState& customer, std::string_view name) {
  for (auto& field : *customer.mutable_fields())
    if (field.name() == name) return &field;
  return nullptr;
}

FieldDecision Offered(const FieldValue& candidate, const FieldValue* current,
                      FieldDecision::Outcome outcome, std::string rule) {
  FieldDecision decision;
  decision.set_field(candidate.name());
  decision.set_outcome(outcome);
  decision.set_rule(std::move(rule));
  decision.set_offered_value(candidate.value());
  if (current && current->value() != candidate.value()) decision.set_old_value(current->value());
  return decision;
}

// `candidate` lost to `current` (none: the field stays without a value).
FieldDecision Kept(const FieldValue& candidate, const FieldValue* current, std::string rule) {
  FieldDecision decision =
      Offered(candidate, current, FieldDecision::OUTCOME_KEPT, std::move(rule));
  if (current)
    decision.set_old_source(current->source_system() + ":" + current->source_record_id());
  return decision;
}

// Offers `candidate` for its field under the field's rule; the customer
// changes only when it wins. The decision says how it went, for the timeline.
FieldDecision OfferField(const Rules& rules, CustomerState& customer, FieldValue candidate) {
  const FieldRule& rule = rules.For(candidate.name());
  if (rule.kind == FieldRule::Kind::kIgnore ||
      (rule.kind == FieldRule::Kind::kOnly &&
       std::find(rule.sources.begin(), rule.sources.end(), candidate.source_system()) ==
           rule.sources.end()))
    return Offered(candidate, nullptr, FieldDecision::OUTCOME_NOT_SYNCED, rule.Text());
  FieldValue* current = FindField(customer, candidate.name());
  std::string decided = "first-value";
  if (current && !Wins(rule, candidate, *current, &decided))
    return Kept(candidate, current, decided);
  FieldDecision decision =
      Offered(candidate, current,
              current && current->value() == candidate.value() ? FieldDecision::OUTCOME_UNCHANGED
                                                               : FieldDecision::OUTCOME_CHANGED,
              decided);
  candidate.set_rule(std::move(decided));
  if (current) {
    *current = std::move(candidate);
    return decision;
  }
  *customer.add_fields() = std::move(candidate);
  std::sort(customer.mutable_fields()->begin(), customer.mutable_fields()->end(),
            [](const FieldValue& a, const FieldValue& b) { return a.name() < b.name(); });
  return decision;
}

// Clears the values an entry recorded, keeping what happened: which fields,
// from where, by which rule. False when there was nothing to clear.
bool EraseValues(state::v1::TimelineEntry& entry) {
  if (entry.values_erased() ||
      (entry.decisions().empty() && entry.merge_reason().empty() && entry.feedback().empty()))
    return false;
  for (auto& decision : *entry.mutable_decisions()) {
    decision.clear_offered_value();
    decision.clear_old_value();
  }
  // A move's note repeats its merge reason, which names an identity.
  if (entry.note() == entry.merge_reason()) entry.clear_note();
  entry.clear_merge_reason();
  // Fit components quote the customer's fields.
  for (auto& note : *entry.mutable_feedback())
    for (auto& component : *note.mutable_score_updated()->mutable_components())
      component.clear_reason();
  entry.set_values_erased(true);
  return true;
}

// "email:a@b.de" as "e-mail a@b.de", "src:crm:k1" as "source id crm:k1".
std::string DescribeIdentityKey(std::string_view key) {
  if (key.starts_with("email:")) return "e-mail " + std::string(key.substr(6));
  if (key.starts_with("src:")) return "source id " + std::string(key.substr(4));
  return std::string(key);
}

void RemoveValue(google::protobuf::RepeatedPtrField<std::string>* list, const std::string& value) {
  auto it = std::find(list->begin(), list->end(), value);
  if (it != list->end()) list->erase(it);
}

uint64_t StoredVersion(const CustomerState& customer, const std::string& source_key) {
  for (const auto& sv : customer.source_versions())
    if (sv.source_key() == source_key) return sv.version();
  return 0;
}

void RaiseVersion(CustomerState& customer, const std::string& source_key, uint64_t version) {
  for (auto& sv : *customer.mutable_source_versions()) {
    if (sv.source_key() == source_key) {
      sv.set_version(std::max(sv.version(), version));
      return;
    }
  }
  auto* sv = customer.add_source_versions();
  sv->set_source_key(source_key);
  sv->set_version(version);
  std::sort(customer.mutable_source_versions()->begin(), customer.mutable_source_versions()->end(),
            [](const auto& a, const auto& b) { return a.source_key() < b.source_key(); });
}

// The lifecycle stage is a field like any other (with provenance and the
// conflict rule); the enum mirrors whichever value won.
void SyncLifecycle(CustomerState& customer) {
  if (const FieldValue* field = FindField(customer, "lifecycle_stage"))
    if (auto stage = events::ParseLifecycleStage(field->value()))
      customer.set_lifecycle_stage(*stage);
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

// The counters every customer event moves: on the whole customer, or on its
// activity record alone (the same field names in both messages).
template <typename Counters>
void CountEvent(Counters& counters, int64_t occurred_at_ms) {
  counters.set_applied_events(counters.applied_events() + 1);
  counters.set_first_seen_ms(std::min(counters.first_seen_ms(), occurred_at_ms));
  counters.set_last_seen_ms(std::max(counters.last_seen_ms(), occurred_at_ms));
}

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

// The customer stored under `id` after following merge redirects within the
// shard, with the counters of a live one joined in; `record` (optional)
// receives the stored bytes of the record found.
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

class Folder {
 public:
  Folder(const StateReader& state, const v1::Event& envelope, const Rules& rules)
      : state_(state),
        envelope_(envelope),
        event_(envelope.has_event_forwarded() ? envelope.event_forwarded().event() : envelope),
        rules_(rules) {}

  Outcome Run() {
    if (state_.Get(Table::kEvents, event_.event_id())) {
      outcome_.verdict = Verdict::kDuplicate;
      return std::move(outcome_);
    }
    if (events::IsFeedbackEvent(event_) || events::IsFeedbackInput(event_)) {
      outcome_.verdict = Verdict::kIgnored;
      return std::move(outcome_);
    }
    if (events::IsIdentityEvent(event_)) outcome_.verdict = Verdict::kIdentity;
    switch (event_.payload_case()) {
      case v1::Event::kCampaignUpserted:
        FoldCampaign();
        break;
      case v1::Event::kAccountUpserted:
        FoldAccount();
        break;
      case v1::Event::kIdentityClaimed:
        FoldClaim();
        break;
      case v1::Event::kIdentityReleased:
        FoldRelease();
        break;
      case v1::Event::kMergeRequested:
        FoldMergeRequest();
        break;
      case v1::Event::kCustomerMoved:
        FoldMoved();
        break;
      default:
        FoldCustomerEvent();
    }
    state::v1::AppliedEvent applied;
    applied.set_customer_id(outcome_.customer_id);
    applied.set_occurred_at_ms(event_.occurred_at_ms());
    if (outcome_.verdict == Verdict::kForwarded) applied.set_forwarded_to(moved_to_);
    applied.set_identity(events::IsIdentityEvent(event_));
    Put(Table::kEvents, event_.event_id(), applied);
    return std::move(outcome_);
  }

 private:
  template <typename T>
  void Put(Table table, std::string key, const T& message) {
    outcome_.changes.push_back({table, std::move(key), EncodeState(message)});
  }
  void PutRaw(Table table, std::string key, std::string value) {
    outcome_.changes.push_back({table, std::move(key), std::move(value)});
  }
  void Delete(Table table, std::string key) {
    outcome_.changes.push_back({table, std::move(key), std::nullopt});
  }

  // The envelope of an event for the shard owning `key`, caused by the event
  // being folded. Its id derives from the cause, the key and the payload
  // kind, so folding the cause again emits the very same event.
  void Emit(std::string key, v1::Event derived) {
    derived.set_schema_version(events::kCurrentSchemaVersion);
    derived.set_source_system(std::string(events::kAccordSystem));
    derived.set_source_record_id(envelope_.event_id());
    derived.set_occurred_at_ms(envelope_.occurred_at_ms());
    derived.set_customer_key(key);
    derived.set_correlation_id(envelope_.correlation_id());
    derived.set_causation_id(envelope_.event_id());
    derived.set_origin(v1::ORIGIN_ACCORD);
    derived.set_event_id(events::MakeEventId(
        events::kAccordSystem, envelope_.event_id() + "\n" + key, 0, events::PayloadKind(derived)));
    outcome_.emitted.push_back(std::move(derived));
  }

  void EmitMergeRequest(const std::string& absorbed_key, const std::string& survivor_key,
                        const std::string& reason) {
    v1::Event request;
    request.mutable_merge_requested()->set_survivor_key(survivor_key);
    request.mutable_merge_requested()->set_reason(reason);
    Emit(absorbed_key, std::move(request));
  }

  void FoldCampaign() {
    const auto& payload = event_.campaign_upserted();
    auto campaign = Load<state::v1::CampaignState>(state_, Table::kCampaigns, payload.campaign_id())
                        .value_or(state::v1::CampaignState());
    bool newer = campaign.campaign_id().empty() ||
                 std::forward_as_tuple(event_.source_version(), event_.occurred_at_ms()) >
                     std::forward_as_tuple(campaign.source_version(), campaign.updated_at_ms());
    if (!newer) return;  // a late, older definition: kept in the history only
    campaign.set_campaign_id(payload.campaign_id());
    campaign.set_name(payload.name());
    campaign.set_channel(payload.channel());
    campaign.set_start_date(payload.start_date());
    *campaign.mutable_budget() = payload.budget();
    campaign.set_source_version(event_.source_version());
    campaign.set_updated_at_ms(event_.occurred_at_ms());
    Put(Table::kCampaigns, payload.campaign_id(), campaign);
  }

  // Each field an update carries replaces the stored one, unless an older
  // version of the account arrives late: that stays in the history only.
  void FoldAccount() {
    const auto& payload = event_.account_upserted();
    const std::string account_key = event_.source_system() + ":" + payload.account_id();
    auto account = Load<state::v1::AccountState>(state_, Table::kAccounts, account_key)
                       .value_or(state::v1::AccountState());
    if (!account.account_key().empty() &&
        std::forward_as_tuple(event_.source_version(), event_.occurred_at_ms()) <
            std::forward_as_tuple(account.source_version(), account.updated_at_ms()))
      return;
    if (account.account_key().empty()) {
      account.set_account_key(account_key);
      account.set_created_at_ms(event_.occurred_at_ms());
    }
    if (payload.has_name()) account.set_name(payload.name());
    if (payload.has_domain()) account.set_domain(payload.domain());
    if (payload.has_industry()) account.set_industry(payload.industry());
    if (payload.has_employees()) account.set_employees(payload.employees());
    if (payload.has_annual_revenue()) *account.mutable_annual_revenue() = payload.annual_revenue();
    if (payload.has_country()) account.set_country(payload.country());
    if (payload.has_city()) account.set_city(payload.city());
    account.set_source_version(event_.source_version());
    account.set_updated_at_ms(event_.occurred_at_ms());
    Put(Table::kAccounts, account_key, account);
  }

  // Identity keys this event asserts belong to one customer. A forwarded
  // event also belongs to the customer whose home key it was sent to.
  std::vector<std::string> IdentityKeys() const {
    std::set<std::string> keys;
    keys.insert(event_.customer_key());
    keys.insert(envelope_.customer_key());
    if (event_.has_customer_upserted()) {
      const auto& upsert = event_.customer_upserted();
      if (auto key = events::SourceIdentityKey(event_.source_system(), event_.source_record_id()))
        keys.insert(*key);
      if (upsert.has_email())
        if (auto key = events::EmailIdentityKey(upsert.email())) keys.insert(*key);
      for (const auto& linked : upsert.linked_source_ids())
        if (auto key = events::LinkedIdentityKey(linked)) keys.insert(*key);
    } else if (event_.has_customer_merged()) {
      const auto& merged = event_.customer_merged();
      for (const auto* id : {&merged.primary_source_record_id()})
        if (auto key = events::SourceIdentityKey(event_.source_system(), *id)) keys.insert(*key);
      for (const auto& id : merged.merged_source_record_ids())
        if (auto key = events::SourceIdentityKey(event_.source_system(), id)) keys.insert(*key);
    }
    return {keys.begin(), keys.end()};
  }

  // Finds or creates the customer the keys point to and adds the keys as its
  // aliases. Customers of this shard that the keys prove to be one person
  // merge; the smallest home key survives, as across shards. When the
  // event's own key names a customer that moved to another shard (or, for a
  // key new here, another key does), nothing is resolved here: `moved_to_`
  // names the survivor's home key and the event belongs there. A key whose
  // customer moved elsewhere while the event's key names one living here is
  // taken over by this customer; the claim it announces for the key lets
  // the two shards settle that both are one person.
  std::optional<CustomerState> Resolve(const std::vector<std::string>& keys) {
    std::vector<CustomerState> found;
    // The key that led to each customer found, by customer id.
    std::map<std::string, std::string> found_by;
    std::string elsewhere;
    for (const auto& key : keys) {
      auto id = state_.Get(Table::kIdentity, key);
      if (!id) continue;
      std::string record;
      auto customer = LoadJoined(state_, *id, &record);
      if (!customer) throw StateError("identity " + key + " points to missing customer " + *id);
      if (customer->merged_into_key().empty())
        stored_records_[customer->customer_id()] = std::move(record);
      if (!customer->merged_into_key().empty()) {
        if (key == envelope_.customer_key()) {
          moved_to_ = customer->merged_into_key();
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
      moved_to_ = elsewhere;
      return std::nullopt;
    }
    CustomerState survivor;
    if (found.empty()) {
      survivor.set_customer_id(
          "c" + Sha256Hex(envelope_.customer_key() + "\n" + envelope_.event_id()).substr(0, 24));
      survivor.set_home_key(envelope_.customer_key());
      survivor.set_first_seen_ms(event_.occurred_at_ms());
      survivor.set_last_seen_ms(event_.occurred_at_ms());
    } else {
      std::sort(found.begin(), found.end(), [](const CustomerState& a, const CustomerState& b) {
        return std::forward_as_tuple(a.home_key(), a.customer_id()) <
               std::forward_as_tuple(b.home_key(), b.customer_id());
      });
      for (const auto& customer : found) {
        --funnel_current_[customer.lifecycle_stage()];
        stages_before_.insert(customer.lifecycle_stage());
      }
      survivor = std::move(found.front());
      if (found.size() > 1) {
        merge_reason_ = SourceKey(event_) + " names " +
                        DescribeIdentityKey(found_by[survivor.customer_id()]) + " of " +
                        survivor.customer_id();
        for (size_t i = 1; i < found.size(); ++i)
          merge_reason_ += (i + 1 == found.size() ? " and " : ", ") +
                           DescribeIdentityKey(found_by[found[i].customer_id()]) + " of " +
                           found[i].customer_id();
      }
      for (size_t i = 1; i < found.size(); ++i) {
        absorbed_.push_back(found[i].customer_id());
        MergeInto(rules_, survivor, found[i], decisions_);
        PutRedirect(found[i].customer_id(), survivor.customer_id(), found[i].timeline_length(),
                    found[i].home_key());
        for (const auto& alias : found[i].aliases())
          PutRaw(Table::kIdentity, alias, survivor.customer_id());
      }
    }
    for (const auto& key : keys) {
      auto it = std::lower_bound(survivor.aliases().begin(), survivor.aliases().end(), key);
      if (it != survivor.aliases().end() && *it == key) continue;
      AddSorted(survivor.mutable_aliases(), key);
      PutRaw(Table::kIdentity, key, survivor.customer_id());
      new_aliases_.push_back(key);
    }
    return survivor;
  }

  // A customer record that only says where the customer went; it keeps the
  // length of the timeline still stored under its id.
  void PutRedirect(const std::string& customer_id, const std::string& survivor_id,
                   uint64_t timeline_length, const std::string& home_key) {
    CustomerState redirect;
    redirect.set_customer_id(customer_id);
    redirect.set_merged_into(survivor_id);
    redirect.set_timeline_length(timeline_length);
    redirect.set_home_key(home_key);
    Put(Table::kCustomers, customer_id, redirect);
    Delete(Table::kActivity, customer_id);
  }

  // Stores the customer as two records: its counters, and the rest, which
  // is written only when it changed (most events move counters alone).
  void PutCustomer(CustomerState& customer) {
    const std::string id = customer.customer_id();
    Put(Table::kActivity, id, SplitActivity(customer));
    std::string record = EncodeState(customer);
    auto stored = stored_records_.find(id);
    if (stored == stored_records_.end() || stored->second != record)
      PutRaw(Table::kCustomers, id, std::move(record));
  }

  // Every identity key a customer gained is announced to the shard that owns
  // it, which can tell whether a customer elsewhere holds it too. The home
  // key needs no announcement: it routes to this very shard. When the event's
  // own key is new to the customer, this shard owns it and checks at once.
  void ClaimNewAliases(const CustomerState& customer) {
    for (const auto& alias : new_aliases_) {
      if (alias == customer.home_key()) continue;
      if (alias == envelope_.customer_key()) {
        ReconcileHolders(alias, customer.home_key());
        continue;
      }
      v1::Event claim;
      claim.mutable_identity_claimed()->set_holder_key(customer.home_key());
      Emit(alias, std::move(claim));
    }
  }

  // The home key of whoever holds `key` in this shard: a local customer (or
  // where it moved), else a customer of another shard that claimed it.
  std::set<std::string> HoldersOf(const std::string& key) const {
    std::set<std::string> holders;
    if (auto id = state_.Get(Table::kIdentity, key))
      if (auto customer = LoadCustomer(state_, *id))
        holders.insert(customer->merged_into_key().empty() ? customer->home_key()
                                                           : customer->merged_into_key());
    if (auto claimed = state_.Get(Table::kClaims, key)) holders.insert(*claimed);
    return holders;
  }

  // `claimant` holds `key`, which this shard owns: every other holder is the
  // same person, and all of them merge into the smallest home key.
  void ReconcileHolders(const std::string& key, const std::string& claimant) {
    std::set<std::string> holders = HoldersOf(key);
    holders.insert(claimant);
    const std::string& survivor = *holders.begin();
    if (state_.Get(Table::kClaims, key) != survivor) PutRaw(Table::kClaims, key, survivor);
    for (const auto& holder : holders)
      if (holder != survivor)
        EmitMergeRequest(holder, survivor, DescribeIdentityKey(key) + " is held by both");
  }

  void FoldClaim() {
    ReconcileHolders(event_.customer_key(), event_.identity_claimed().holder_key());
  }

  // Forgets that the erased customer holds the key: as a claim, and as the
  // redirect a customer that moved into it left behind here.
  void FoldRelease() {
    const auto& holders = event_.identity_released().holder_keys();
    for (const auto& holder : HoldersOf(event_.customer_key())) {
      if (std::find(holders.begin(), holders.end(), holder) == holders.end()) continue;
      if (state_.Get(Table::kClaims, event_.customer_key()) == holder)
        Delete(Table::kClaims, event_.customer_key());
      if (auto id = state_.Get(Table::kIdentity, event_.customer_key())) {
        auto customer = LoadCustomer(state_, *id);
        if (customer && customer->merged_into_key() == holder)
          Delete(Table::kIdentity, event_.customer_key());
      }
    }
  }

  // This shard's customer under the event's key is one person with the
  // customer under survivor_key. Only a customer with the larger home key
  // moves; otherwise the request is passed on to the other side.
  void FoldMergeRequest() {
    const auto& request = event_.merge_requested();
    auto id = state_.Get(Table::kIdentity, event_.customer_key());
    if (!id) return;  // erased since it was claimed: nothing left to merge
    auto customer = LoadCustomer(state_, *id);
    if (!customer) throw StateError("identity points to missing customer " + *id);
    const std::string& survivor = request.survivor_key();
    if (!customer->merged_into_key().empty()) {
      const std::string& moved_to = customer->merged_into_key();
      if (moved_to != survivor)
        EmitMergeRequest(std::max(moved_to, survivor), std::min(moved_to, survivor),
                         request.reason());
      return;
    }
    if (customer->home_key() == survivor) return;
    if (customer->home_key() < survivor) {
      EmitMergeRequest(survivor, customer->home_key(), request.reason());
      return;
    }
    Move(*customer, survivor, request.reason());
  }

  // Hands the customer, its timelines and its deals to the survivor's shard
  // and leaves a redirect behind; later events for it are forwarded.
  void Move(const CustomerState& customer, const std::string& survivor, const std::string& reason) {
    v1::Event event;
    auto& moved = *event.mutable_customer_moved();
    *moved.mutable_customer() = customer;
    moved.set_reason(reason);
    std::vector<std::pair<std::string, uint64_t>> timelines = {
        {customer.customer_id(), customer.timeline_length()}};
    for (const auto& merged_id : customer.merged_customer_ids()) {
      auto merged = Load<CustomerState>(state_, Table::kCustomers, merged_id);
      timelines.emplace_back(merged_id, merged ? merged->timeline_length() : 0);
      if (merged) PutRedirect(merged_id, merged->merged_into(), 0, merged->home_key());
    }
    for (const auto& [timeline_id, length] : timelines) {
      auto& timeline = *moved.add_timelines();
      timeline.set_customer_id(timeline_id);
      for (uint64_t sequence = 0; sequence < length; ++sequence) {
        const std::string key = TimelineKey(timeline_id, sequence);
        auto entry = Load<state::v1::TimelineEntry>(state_, Table::kTimeline, key);
        if (!entry) throw StateError("timeline entry " + key + " is missing");
        *timeline.add_entries() = std::move(*entry);
        Delete(Table::kTimeline, key);
      }
    }
    for (const auto& deal_key : customer.deal_keys()) {
      auto deal = Load<state::v1::DealState>(state_, Table::kDeals, deal_key);
      if (!deal) continue;
      auto owner = LoadCustomer(state_, deal->customer_id());
      if (!owner || owner->customer_id() != customer.customer_id()) continue;
      *moved.add_deals() = std::move(*deal);
      Delete(Table::kDeals, deal_key);
    }
    --funnel_current_[customer.lifecycle_stage()];
    WriteFunnel(std::nullopt);
    CustomerState redirect;
    redirect.set_customer_id(customer.customer_id());
    redirect.set_home_key(customer.home_key());
    redirect.set_merged_into_key(survivor);
    Put(Table::kCustomers, customer.customer_id(), redirect);
    Delete(Table::kActivity, customer.customer_id());
    Emit(survivor, std::move(event));
  }

  // A customer of another shard moved into the customer living under this
  // event's key.
  void FoldMoved() {
    const auto& moved = event_.customer_moved();
    std::vector<std::string> keys(moved.customer().aliases().begin(),
                                  moved.customer().aliases().end());
    keys.push_back(event_.customer_key());
    auto survivor = Resolve(keys);
    if (!survivor) {
      // The survivor itself moved on since: the customer follows it.
      v1::Event onward;
      *onward.mutable_customer_moved() = moved;
      Emit(moved_to_, std::move(onward));
      outcome_.verdict = Verdict::kForwarded;
      return;
    }
    MergeInto(rules_, *survivor, moved.customer(), decisions_);
    for (const auto& timeline : moved.timelines()) {
      // A customer moves once; a timeline whose owner is known here already
      // (a repeated or forged move) must not overwrite what is stored.
      if (state_.Get(Table::kCustomers, timeline.customer_id()) ||
          timeline.customer_id() == survivor->customer_id())
        continue;
      for (int sequence = 0; sequence < timeline.entries_size(); ++sequence)
        Put(Table::kTimeline, TimelineKey(timeline.customer_id(), sequence),
            timeline.entries(sequence));
      PutRedirect(timeline.customer_id(), survivor->customer_id(), timeline.entries_size(), "");
    }
    for (auto deal : moved.deals()) {
      auto here = Load<state::v1::DealState>(state_, Table::kDeals, deal.deal_key());
      AddSorted(survivor->mutable_deal_keys(), deal.deal_key());
      if (here && std::forward_as_tuple(here->source_version(), here->updated_at_ms()) >=
                      std::forward_as_tuple(deal.source_version(), deal.updated_at_ms()))
        continue;
      deal.set_customer_id(survivor->customer_id());
      Put(Table::kDeals, deal.deal_key(), deal);
    }
    stages_before_.insert(moved.customer().lifecycle_stage());
    // The note has always carried the reason; readers of merges find it as
    // merge_reason, like an in-shard merge's.
    note_ = moved.reason();
    merge_reason_ = moved.reason();
    absorbed_.push_back(moved.customer().customer_id());
    FinishCustomer(*survivor);
  }

  FieldValue Candidate(std::string name, std::string value) const {
    FieldValue field;
    field.set_name(std::move(name));
    field.set_value(std::move(value));
    field.set_source_system(event_.source_system());
    field.set_source_record_id(event_.source_record_id());
    field.set_source_version(event_.source_version());
    field.set_occurred_at_ms(event_.occurred_at_ms());
    field.set_event_id(event_.event_id());
    return field;
  }

  void Offer(CustomerState& customer, FieldValue candidate) {
    decisions_.push_back(OfferField(rules_, customer, std::move(candidate)));
  }

  // proto3 enums are open: a stage this build does not know names nothing.
  std::optional<FieldValue> LifecycleCandidate(v1::LifecycleStage stage) const {
    if (stage == v1::LIFECYCLE_STAGE_UNSPECIFIED || !v1::LifecycleStage_IsValid(stage))
      return std::nullopt;
    return Candidate("lifecycle_stage", events::LifecycleStageName(stage));
  }

  void OfferLifecycle(CustomerState& customer, v1::LifecycleStage stage) {
    if (auto candidate = LifecycleCandidate(stage)) {
      Offer(customer, std::move(*candidate));
      SyncLifecycle(customer);
    }
  }

  // The fields an upsert carries, in the order they are offered.
  std::vector<FieldValue> UpsertCandidates() const {
    const auto& upsert = event_.customer_upserted();
    std::vector<FieldValue> candidates;
    auto offer = [&](const char* name, bool present, const std::string& value) {
      if (present) candidates.push_back(Candidate(name, value));
    };
    if (upsert.has_email()) {
      auto email = events::NormaliseEmail(upsert.email());
      candidates.push_back(Candidate("email", email.value_or(upsert.email())));
    }
    offer("first_name", upsert.has_first_name(), upsert.first_name());
    offer("last_name", upsert.has_last_name(), upsert.last_name());
    offer("company", upsert.has_company(), upsert.company());
    offer("job_title", upsert.has_job_title(), upsert.job_title());
    offer("phone", upsert.has_phone(), upsert.phone());
    offer("city", upsert.has_city(), upsert.city());
    offer("country", upsert.has_country(), upsert.country());
    // Account ids are only unique within their system.
    offer("account", !upsert.account_id().empty(),
          event_.source_system() + ":" + upsert.account_id());
    if (auto stage = LifecycleCandidate(upsert.lifecycle_stage()))
      candidates.push_back(std::move(*stage));
    return candidates;
  }

  void FoldUpsert(CustomerState& customer) {
    const std::string source_key = SourceKey(event_);
    const uint64_t stored = StoredVersion(customer, source_key);
    if (event_.source_version() != 0 && event_.source_version() <= stored) {
      // Counted in the history, but an older version never wins.
      note_ = "stale: version " + std::to_string(event_.source_version()) + " of " + source_key +
              " is not newer than " + std::to_string(stored);
      for (const auto& candidate : UpsertCandidates())
        decisions_.push_back(
            Kept(candidate, FindField(customer, candidate.name()), "source-version"));
      return;
    }
    RaiseVersion(customer, source_key, event_.source_version());
    for (auto& candidate : UpsertCandidates()) Offer(customer, std::move(candidate));
    SyncLifecycle(customer);
  }

  // Forgets the person: fields, consents and e-mail identities go, and the
  // shards that recorded this customer as holder of an address let go of it.
  // The timeline keeps what happened, without the values.
  void FoldErasure(CustomerState& customer) {
    v1::Event release;
    for (const auto& alias : customer.aliases())
      release.mutable_identity_released()->add_holder_keys(alias);
    for (const auto& field : customer.fields()) {
      FieldDecision& decision = decisions_.emplace_back();
      decision.set_field(field.name());
      decision.set_outcome(FieldDecision::OUTCOME_ERASED);
      decision.set_rule("erasure");
    }
    EraseTimelineValues(customer);
    customer.clear_fields();
    customer.clear_consents();
    customer.set_erased(true);
    auto* aliases = customer.mutable_aliases();
    for (auto it = aliases->begin(); it != aliases->end();) {
      if (it->rfind("email:", 0) == 0) {
        Delete(Table::kIdentity, *it);
        Emit(*it, release);
        it = aliases->erase(it);
      } else {
        ++it;
      }
    }
  }

  void FoldConsent(CustomerState& customer) {
    const auto& payload = event_.consent_changed();
    auto* consents = customer.mutable_consents();
    auto it = std::find_if(consents->begin(), consents->end(),
                           [&](const auto& c) { return c.channel() == payload.channel(); });
    if (it != consents->end() && it->changed_at_ms() > event_.occurred_at_ms()) return;
    state::v1::Consent consent;
    consent.set_channel(payload.channel());
    consent.set_granted(payload.granted());
    consent.set_changed_at_ms(event_.occurred_at_ms());
    if (it != consents->end()) {
      *it = consent;
      return;
    }
    *customer.add_consents() = consent;
    std::sort(consents->begin(), consents->end(),
              [](const auto& a, const auto& b) { return a.channel() < b.channel(); });
  }

  template <typename Counters>
  void FoldEngagement(Counters& customer) {
    const auto& payload = event_.campaign_engagement();
    customer.set_engagements(customer.engagements() + 1);
    auto stats =
        Load<state::v1::CampaignStats>(state_, Table::kCampaignStats, payload.campaign_id())
            .value_or(state::v1::CampaignStats());
    stats.set_campaign_id(payload.campaign_id());
    // A kind this build does not know (negative, or from a newer producer) is
    // counted as unspecified rather than indexing out of range.
    int kind = v1::EngagementKind_IsValid(payload.kind()) ? payload.kind()
                                                          : v1::ENGAGEMENT_KIND_UNSPECIFIED;
    while (stats.counts_by_kind_size() <= kind) stats.add_counts_by_kind(0);
    stats.set_counts_by_kind(kind, stats.counts_by_kind(kind) + 1);
    Put(Table::kCampaignStats, payload.campaign_id(), stats);
  }

  void FoldDeal(CustomerState& customer) {
    const auto& payload = event_.deal_upserted();
    std::string deal_key = event_.source_system() + ":" + payload.deal_id();
    AddSorted(customer.mutable_deal_keys(), deal_key);
    auto deal = Load<state::v1::DealState>(state_, Table::kDeals, deal_key)
                    .value_or(state::v1::DealState());
    bool is_new = deal.deal_key().empty();
    if (!is_new && std::forward_as_tuple(event_.source_version(), event_.occurred_at_ms()) <=
                       std::forward_as_tuple(deal.source_version(), deal.updated_at_ms()))
      return;
    deal.set_deal_key(deal_key);
    deal.set_customer_id(customer.customer_id());
    deal.set_name(payload.name());
    deal.set_stage(payload.stage());
    *deal.mutable_amount() = payload.amount();
    deal.set_campaign_id(payload.campaign_id());
    deal.set_lost_reason(payload.lost_reason());
    deal.set_source_version(event_.source_version());
    if (is_new) deal.set_created_at_ms(event_.occurred_at_ms());
    deal.set_updated_at_ms(event_.occurred_at_ms());
    Put(Table::kDeals, deal_key, deal);
  }

  // Entries stored under a customer id: a live customer counts them in its
  // activity record, a merged one in its redirect.
  uint64_t StoredTimelineLength(const std::string& customer_id) const {
    if (auto activity = Load<state::v1::CustomerActivity>(state_, Table::kActivity, customer_id))
      return activity->timeline_length();
    auto record = Load<CustomerState>(state_, Table::kCustomers, customer_id);
    return record ? record->timeline_length() : 0;
  }

  void EraseTimelineValues(const CustomerState& customer) {
    std::vector<std::string> owners = {customer.customer_id()};
    owners.insert(owners.end(), customer.merged_customer_ids().begin(),
                  customer.merged_customer_ids().end());
    for (const auto& owner : owners) {
      const uint64_t length = StoredTimelineLength(owner);
      for (uint64_t sequence = 0; sequence < length; ++sequence) {
        const std::string key = TimelineKey(owner, sequence);
        auto entry = Load<state::v1::TimelineEntry>(state_, Table::kTimeline, key);
        if (!entry) throw StateError("timeline entry " + key + " is missing");
        if (EraseValues(*entry)) Put(Table::kTimeline, key, *entry);
      }
    }
  }

  // Engagement and logged activities move counters only: when every key the
  // event names points to one live customer already, its activity record is
  // all the fold reads and writes.
  bool FoldCountersOnly(const std::vector<std::string>& keys) {
    if (!event_.has_campaign_engagement() && !event_.has_activity_logged()) return false;
    std::optional<std::string> id;
    for (const auto& key : keys) {
      auto found = state_.Get(Table::kIdentity, key);
      if (!found || (id && *id != *found)) return false;
      id = std::move(found);
    }
    auto activity = Load<state::v1::CustomerActivity>(state_, Table::kActivity, *id);
    if (!activity) return false;  // moved away: the full path forwards the event
    CountEvent(*activity, event_.occurred_at_ms());
    if (event_.has_campaign_engagement())
      FoldEngagement(*activity);
    else
      activity->set_activities(activity->activities() + 1);
    outcome_.customer_id = *id;
    AppendTimeline(*id, *activity);
    Put(Table::kActivity, *id, *activity);
    return true;
  }

  void FoldCustomerEvent() {
    const auto keys = IdentityKeys();
    if (FoldCountersOnly(keys)) return;
    auto resolved = Resolve(keys);
    if (!resolved) {
      // The customer moved to another shard: the event follows it there.
      v1::Event forward;
      *forward.mutable_event_forwarded()->mutable_event() = event_;
      Emit(moved_to_, std::move(forward));
      outcome_.verdict = Verdict::kForwarded;
      return;
    }
    CustomerState& customer = *resolved;
    CountEvent(customer, event_.occurred_at_ms());
    switch (event_.payload_case()) {
      case v1::Event::kCustomerUpserted:
        FoldUpsert(customer);
        break;
      case v1::Event::kCustomerMerged:
        break;  // Resolve() already joined the records
      case v1::Event::kCustomerErased:
        FoldErasure(customer);
        break;
      case v1::Event::kConsentChanged:
        FoldConsent(customer);
        break;
      case v1::Event::kCampaignEngagement:
        FoldEngagement(customer);
        break;
      case v1::Event::kLeadStatusChanged:
        OfferLifecycle(customer, event_.lead_status_changed().stage());
        break;
      case v1::Event::kLeadDecision: {
        const auto& decision = event_.lead_decision();
        customer.set_last_lead_decision(
            (decision.accepted() ? "accepted" : "rejected:") +
            (decision.accepted() ? std::string() : decision.reason_code()));
        // Accepted, the lead is sales'; rejected, it goes back to marketing.
        OfferLifecycle(customer,
                       decision.accepted() ? v1::LIFECYCLE_STAGE_SQL : v1::LIFECYCLE_STAGE_LEAD);
        break;
      }
      case v1::Event::kDealUpserted:
        FoldDeal(customer);
        break;
      case v1::Event::kActivityLogged:
        customer.set_activities(customer.activities() + 1);
        break;
      case v1::Event::kOrderPlaced:
        customer.set_orders(customer.orders() + 1);
        customer.set_order_revenue_minor(customer.order_revenue_minor() +
                                         event_.order_placed().amount().minor_units());
        customer.set_last_order_ms(std::max(customer.last_order_ms(), event_.occurred_at_ms()));
        break;
      case v1::Event::kSupportTicket: {
        const auto& ticket = event_.support_ticket();
        if (ticket.status() == v1::TICKET_STATUS_RESOLVED)
          RemoveValue(customer.mutable_open_tickets(), ticket.ticket_id());
        else
          AddSorted(customer.mutable_open_tickets(), ticket.ticket_id());
        if (ticket.complaint()) customer.set_complaints(customer.complaints() + 1);
        break;
      }
      default:
        break;
    }
    FinishCustomer(customer);
  }

  void FinishCustomer(CustomerState& customer) {
    outcome_.customer_id = customer.customer_id();
    AppendTimeline(customer.customer_id(), customer);
    ++funnel_current_[customer.lifecycle_stage()];
    WriteFunnel(customer.lifecycle_stage());
    // Aliases an erasure just dropped are not announced.
    std::erase_if(new_aliases_, [&](const std::string& alias) {
      return !std::binary_search(customer.aliases().begin(), customer.aliases().end(), alias);
    });
    ClaimNewAliases(customer);
    PutCustomer(customer);
  }

  template <typename Counters>
  void AppendTimeline(const std::string& customer_id, Counters& customer) {
    state::v1::TimelineEntry entry;
    entry.set_event_id(event_.event_id());
    entry.set_kind(std::string(events::PayloadKind(event_)));
    entry.set_occurred_at_ms(event_.occurred_at_ms());
    entry.set_source_system(event_.source_system());
    entry.set_source_record_id(event_.source_record_id());
    entry.set_source_version(event_.source_version());
    entry.set_note(note_);
    for (const auto& id : absorbed_) entry.add_merged_customer_ids(id);
    for (auto& decision : decisions_) *entry.add_decisions() = std::move(decision);
    entry.set_merge_reason(merge_reason_);
    // An erasure that also merged recorded the merged customer's values.
    if (event_.has_customer_erased()) EraseValues(entry);
    Put(Table::kTimeline, TimelineKey(customer_id, customer.timeline_length()), entry);
    customer.set_timeline_length(customer.timeline_length() + 1);
  }

  // Current customers per stage (funnel_current_ holds this event's
  // changes), and how often customers entered each stage: `entered` is the
  // stage the surviving customer is in now, if any. A merge enters no stage
  // that one of the merged customers was in already.
  void WriteFunnel(std::optional<v1::LifecycleStage> entered) {
    std::map<std::string, int64_t> deltas;
    for (const auto& [stage, delta] : funnel_current_)
      if (delta != 0) deltas["current/" + events::LifecycleStageName(stage)] += delta;
    if (entered && !stages_before_.count(*entered) && *entered != v1::LIFECYCLE_STAGE_UNSPECIFIED)
      ++deltas["entered/" + events::LifecycleStageName(*entered)];
    for (const auto& [key, delta] : deltas) {
      auto stored = state_.Get(Table::kFunnel, key);
      int64_t count = (stored ? std::stoll(*stored) : 0) + delta;
      PutRaw(Table::kFunnel, key, std::to_string(count));
    }
  }

  const StateReader& state_;
  // The event as it arrived, and the event whose payload is folded: the
  // same, except for a forwarded event, which carries the original inside.
  const v1::Event& envelope_;
  const v1::Event& event_;
  const Rules& rules_;
  Outcome outcome_;
  // What this event did besides its payload, for the timeline.
  std::string note_;
  std::vector<std::string> absorbed_;
  std::string merge_reason_;
  std::vector<FieldDecision> decisions_;
  // Identity keys the event added to its customer.
  std::vector<std::string> new_aliases_;
  // Stored bytes of the customer records Resolve() read, by customer id.
  std::map<std::string, std::string> stored_records_;
  // Set by Resolve() when the customer lives in another shard now: its home key.
  std::string moved_to_;
  // Stages of the customers the event found, before it.
  std::set<v1::LifecycleStage> stages_before_;
  std::map<v1::LifecycleStage, int64_t> funnel_current_;
};

}  // namespace

bool AddSorted(google::protobuf::RepeatedPtrField<std::string>* list, const std::string& value) {
  auto it = std::lower_bound(list->begin(), list->end(), value);
  if (it != list->end() && *it == value) return false;
  list->Add(std::string(value));
  std::sort(list->begin(), list->end());
  return true;
}

std::optional<state::v1::CustomerState> LoadCustomer(const StateReader& state, std::string id) {
  return LoadJoined(state, std::move(id), nullptr);
}

std::string TimelineKey(std::string_view customer_id, uint64_t sequence) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%010llu", static_cast<unsigned long long>(sequence));
  return std::string(customer_id) + "/" + digits;
}

Outcome Apply(const StateReader& state, const v1::Event& event, const Rules& rules) {
  return Folder(state, event, rules).Run();
}

Outcome Apply(const StateReader& state, const v1::Event& event) {
  static const Rules kNewestEverywhere;
  return Apply(state, event, kNewestEverywhere);
}

}  // namespace accord::fold
