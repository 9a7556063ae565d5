// Feedback on the customer's timeline: every score update, handover,
// contact pause and reactivation candidate is noted where the audit finds
// it (docs/audit.md).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <map>

#include "domain/events/envelope.h"
#include "domain/feedback/scoring.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"

namespace accord::feedback::scoring {
namespace {

// Copies a customer's feedback event into the note its timeline keeps;
// false for the events that are not about one customer. The note's
// `payload` oneof names the kinds it keeps as v1::Event does.
bool ToNote(const v1::Event& emitted, state::v1::FeedbackNote& note) {
  note.set_event_id(emitted.event_id());
  const auto* from = v1::Event::descriptor()->FindFieldByNumber(emitted.payload_case());
  if (from == nullptr) return false;
  const auto* to = state::v1::FeedbackNote::descriptor()->FindFieldByName(from->name());
  if (to == nullptr || to->containing_oneof() == nullptr) return false;
  note.GetReflection()->MutableMessage(&note, to)->CopyFrom(
      emitted.GetReflection()->GetMessage(emitted, from));
  return true;
}

}  // namespace

// Puts the feedback events emitted for a customer (their source record is
// the customer id) on its timeline, so its audit tells the score and the
// handover with their reasons: on the entry the projection's fold has just
// recorded for `cause`, or on a new entry when the fold recorded none (the
// service's own messages: a tick, a company's update, a score moving in).
void NoteOnTimelines(const fold::StateReader& state, const v1::Event& cause,
                     FeedbackOutcome& outcome) {
  const v1::Event& folded = cause.has_event_forwarded() ? cause.event_forwarded().event() : cause;
  // Ordered by customer id, so the writes do not depend on emission order.
  std::map<std::string, std::vector<state::v1::FeedbackNote>> notes;
  for (const auto& emitted : outcome.emitted) {
    state::v1::FeedbackNote note;
    if (ToNote(emitted, note)) notes[emitted.source_record_id()].push_back(std::move(note));
  }
  for (auto& [customer_id, customer_notes] : notes) {
    auto customer = fold::LoadCustomer(state, customer_id);
    if (!customer || customer->customer_id() != customer_id || !customer->merged_into_key().empty())
      continue;
    const uint64_t length = customer->timeline_length();
    std::string key = fold::TimelineKey(customer_id, length > 0 ? length - 1 : 0);
    state::v1::TimelineEntry entry;
    if (auto bytes = length > 0 ? state.Get(fold::Table::kTimeline, key) : std::nullopt)
      entry = fold::DecodeState<state::v1::TimelineEntry>(*bytes, fold::Table::kTimeline, key);
    if (entry.event_id() != folded.event_id()) {
      entry = state::v1::TimelineEntry();
      entry.set_event_id(folded.event_id());
      entry.set_kind(std::string(events::PayloadKind(folded)));
      entry.set_occurred_at_ms(folded.occurred_at_ms());
      entry.set_source_system(folded.source_system());
      entry.set_source_record_id(folded.source_record_id());
      entry.set_source_version(folded.source_version());
      key = fold::TimelineKey(customer_id, length);
      auto activity = state.Get(fold::Table::kActivity, customer_id);
      if (!activity)
        throw fold::StateError("live customer " + customer_id + " has no activity record");
      auto counters = fold::DecodeState<state::v1::CustomerActivity>(
          *activity, fold::Table::kActivity, customer_id);
      counters.set_timeline_length(length + 1);
      outcome.changes.push_back({fold::Table::kActivity, customer_id, fold::EncodeState(counters)});
    }
    for (auto& note : customer_notes) *entry.add_feedback() = std::move(note);
    outcome.changes.push_back({fold::Table::kTimeline, key, fold::EncodeState(entry)});
  }
}

}  // namespace accord::feedback::scoring
