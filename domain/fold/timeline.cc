// A customer's timeline: one entry per event folded into it, saying what
// the event did (decisions, merges, notes), kept after erasure without the
// values.
#include <cstdio>

#include "domain/events/envelope.h"
#include "domain/fold/folding.h"

namespace accord::fold {
namespace folding {
namespace {

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

// Entries stored under a customer id: a live customer counts them in its
// activity record, a merged one in its redirect.
uint64_t StoredTimelineLength(const StateReader& state, const std::string& customer_id) {
  if (auto activity = Load<state::v1::CustomerActivity>(state, Table::kActivity, customer_id))
    return activity->timeline_length();
  auto record = Load<CustomerState>(state, Table::kCustomers, customer_id);
  return record ? record->timeline_length() : 0;
}

}  // namespace

state::v1::TimelineEntry LoadTimelineEntry(const StateReader& state, const std::string& key) {
  auto entry = Load<state::v1::TimelineEntry>(state, Table::kTimeline, key);
  if (!entry) throw StateError("timeline entry " + key + " is missing");
  return std::move(*entry);
}

void EraseTimelineValues(EventFold& fold, const CustomerState& customer) {
  std::vector<std::string> owners = {customer.customer_id()};
  owners.insert(owners.end(), customer.merged_customer_ids().begin(),
                customer.merged_customer_ids().end());
  for (const auto& owner : owners) {
    const uint64_t length = StoredTimelineLength(fold.state, owner);
    for (uint64_t sequence = 0; sequence < length; ++sequence) {
      const std::string key = TimelineKey(owner, sequence);
      auto entry = LoadTimelineEntry(fold.state, key);
      if (EraseValues(entry)) fold.Put(Table::kTimeline, key, entry);
    }
  }
}

template <typename Counters>
void AppendTimeline(EventFold& fold, const std::string& customer_id, Counters& counters) {
  state::v1::TimelineEntry entry;
  entry.set_event_id(fold.event.event_id());
  entry.set_kind(std::string(events::PayloadKind(fold.event)));
  entry.set_occurred_at_ms(fold.event.occurred_at_ms());
  entry.set_source_system(fold.event.source_system());
  entry.set_source_record_id(fold.event.source_record_id());
  entry.set_source_version(fold.event.source_version());
  entry.set_note(fold.note);
  for (const auto& id : fold.absorbed) entry.add_merged_customer_ids(id);
  for (auto& decision : fold.decisions) *entry.add_decisions() = std::move(decision);
  entry.set_merge_reason(fold.merge_reason);
  // An erasure that also merged recorded the merged customer's values.
  if (fold.event.has_customer_erased()) EraseValues(entry);
  fold.Put(Table::kTimeline, TimelineKey(customer_id, counters.timeline_length()), entry);
  counters.set_timeline_length(counters.timeline_length() + 1);
}

template void AppendTimeline(EventFold&, const std::string&, CustomerState&);
template void AppendTimeline(EventFold&, const std::string&, state::v1::CustomerActivity&);

}  // namespace folding

std::string TimelineKey(std::string_view customer_id, uint64_t sequence) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%010llu", static_cast<unsigned long long>(sequence));
  return std::string(customer_id) + "/" + digits;
}

}  // namespace accord::fold
