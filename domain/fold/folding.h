#pragma once

// The fold's parts, one file per concern (fold.h is its interface):
//   fold.cc      Apply: the dispatch by payload kind, AddSorted
//   customer.cc  an event about a customer: resolve, fold, store its records
//   profile.cc   the person: upsert, erasure, consent, lead status
//   sales.cc     deals, orders, activities, support tickets
//   campaign.cc  campaign definitions and engagement
//   account.cc   CRM accounts
//   fields.cc    offering a field under the rules; source versions
//   identity.cc  identity keys, merges within the shard, claims, releases
//   moves.cc     merges across shards: merge requests, moved customers
//   timeline.cc  timeline entries and their erasure
//   funnel.cc    customers per lifecycle stage
// Every part works on the EventFold of the event being folded.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "accord/state/v1/state.pb.h"
#include "accord/v1/event.pb.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"
#include "domain/fold/rules.h"
#include "domain/fold/state.h"

namespace accord::fold::folding {

using state::v1::CustomerState;
using state::v1::FieldDecision;
using state::v1::FieldValue;

// One event being folded: what it is folded against, what it writes and
// emits, and what its timeline entry says besides its payload.
struct EventFold {
  EventFold(const StateReader& state, const v1::Event& envelope, const Rules& rules);

  template <typename T>
  void Put(Table table, std::string key, const T& message) {
    outcome.changes.push_back({table, std::move(key), EncodeState(message)});
  }
  void PutRaw(Table table, std::string key, std::string value) {
    outcome.changes.push_back({table, std::move(key), std::move(value)});
  }
  void Delete(Table table, std::string key) {
    outcome.changes.push_back({table, std::move(key), std::nullopt});
  }
  // The envelope of an event for the shard owning `key`, caused by the event
  // being folded. Its id derives from the cause, the key and the payload
  // kind, so folding the cause again emits the very same event.
  void Emit(std::string key, v1::Event derived);

  const StateReader& state;
  // The event as it arrived, and the event whose payload is folded: the
  // same, except for a forwarded event, which carries the original inside.
  const v1::Event& envelope;
  const v1::Event& event;
  const Rules& rules;
  Outcome outcome;
  // What this event did besides its payload, for the timeline.
  std::string note;
  std::vector<std::string> absorbed;
  std::string merge_reason;
  std::vector<FieldDecision> decisions;
  // Identity keys the event added to its customer.
  std::vector<std::string> new_aliases;
  // Stored bytes of the customer records Resolve() read, by customer id.
  std::map<std::string, std::string> stored_records;
  // Set by Resolve() when the customer lives in another shard now: its home key.
  std::string moved_to;
  // Stages of the customers the event found, before it.
  std::set<v1::LifecycleStage> stages_before;
  // This event's changes of the current customers per stage.
  std::map<v1::LifecycleStage, int64_t> funnel_current;
};

template <typename T>
std::optional<T> Load(const StateReader& state, Table table, std::string_view key) {
  auto bytes = state.Get(table, key);
  if (!bytes) return std::nullopt;
  return DecodeState<T>(*bytes, table, key);
}

inline std::string SourceKey(const v1::Event& e) {
  return e.source_system() + ":" + e.source_record_id();
}

// The counters every customer event moves: on the whole customer, or on its
// activity record alone (the same field names in both messages).
template <typename Counters>
void CountEvent(Counters& counters, int64_t occurred_at_ms) {
  counters.set_applied_events(counters.applied_events() + 1);
  counters.set_first_seen_ms(std::min(counters.first_seen_ms(), occurred_at_ms));
  counters.set_last_seen_ms(std::max(counters.last_seen_ms(), occurred_at_ms));
}

// customer.cc
void FoldCustomerEvent(EventFold& fold);
// Counts the event on the customer's timeline and funnel, announces the
// keys it gained and stores it.
void FinishCustomer(EventFold& fold, CustomerState& customer);
// The customer stored under `id` after following merge redirects within the
// shard, with the counters of a live one joined in; `record` (optional)
// receives the stored bytes of the record found.
std::optional<CustomerState> LoadJoined(const StateReader& state, std::string id,
                                        std::string* record);

// profile.cc
void FoldUpsert(EventFold& fold, CustomerState& customer);
void FoldErasure(EventFold& fold, CustomerState& customer);
void FoldConsent(EventFold& fold, CustomerState& customer);
void FoldLeadDecision(EventFold& fold, CustomerState& customer);

// sales.cc
void FoldDeal(EventFold& fold, CustomerState& customer);
void FoldOrder(const v1::Event& event, CustomerState& customer);
void FoldSupportTicket(const v1::Event& event, CustomerState& customer);
// On the whole customer or on its activity record alone.
template <typename Counters>
void FoldActivity(Counters& counters) {
  counters.set_activities(counters.activities() + 1);
}

// campaign.cc
void FoldCampaign(EventFold& fold);
// On the whole customer or on its activity record alone.
template <typename Counters>
void FoldEngagement(EventFold& fold, Counters& counters);

// account.cc
void FoldAccount(EventFold& fold);

// fields.cc
FieldValue* FindField(CustomerState& customer, std::string_view name);
// `candidate` lost to `current` (none: the field stays without a value).
FieldDecision Kept(const FieldValue& candidate, const FieldValue* current, std::string rule);
// Offers `candidate` for its field under the field's rule; the customer
// changes only when it wins. The decision says how it went, for the timeline.
FieldDecision OfferField(const Rules& rules, CustomerState& customer, FieldValue candidate);
// The same, noting the decision on the event's timeline entry.
void Offer(EventFold& fold, CustomerState& customer, FieldValue candidate);
// `name` = `value` as the event says it.
FieldValue Candidate(const v1::Event& event, std::string name, std::string value);
std::optional<FieldValue> LifecycleCandidate(const v1::Event& event, v1::LifecycleStage stage);
void OfferLifecycle(EventFold& fold, CustomerState& customer, v1::LifecycleStage stage);
void SyncLifecycle(CustomerState& customer);
uint64_t StoredVersion(const CustomerState& customer, const std::string& source_key);
void RaiseVersion(CustomerState& customer, const std::string& source_key, uint64_t version);

// identity.cc
std::vector<std::string> IdentityKeys(const EventFold& fold);
std::optional<CustomerState> Resolve(EventFold& fold, const std::vector<std::string>& keys);
void MergeInto(const Rules& rules, CustomerState& survivor, const CustomerState& absorbed,
               std::vector<FieldDecision>& decisions);
void PutRedirect(EventFold& fold, const std::string& customer_id, const std::string& survivor_id,
                 uint64_t timeline_length, const std::string& home_key);
void ClaimNewAliases(EventFold& fold, const CustomerState& customer);
void EmitMergeRequest(EventFold& fold, const std::string& absorbed_key,
                      const std::string& survivor_key, const std::string& reason);
void FoldClaim(EventFold& fold);
void FoldRelease(EventFold& fold);

// moves.cc
void FoldMergeRequest(EventFold& fold);
void FoldMoved(EventFold& fold);

// timeline.cc
template <typename Counters>
void AppendTimeline(EventFold& fold, const std::string& customer_id, Counters& counters);
// The stored entry under `key`, which must be there.
state::v1::TimelineEntry LoadTimelineEntry(const StateReader& state, const std::string& key);
void EraseTimelineValues(EventFold& fold, const CustomerState& customer);

// funnel.cc
void WriteFunnel(EventFold& fold, std::optional<v1::LifecycleStage> entered);

}  // namespace accord::fold::folding
