#pragma once

#include <optional>
#include <string>
#include <vector>

#include "accord/state/v1/state.pb.h"
#include "accord/v1/event.pb.h"
#include "domain/fold/rules.h"
#include "domain/fold/state.h"

namespace accord::fold {

// Callers may index tables by it: new verdicts go at the end.
enum class Verdict {
  kApplied,    // the event changed the state (at least its history counters)
  kDuplicate,  // an event with this id was folded before; nothing changes
  kIgnored,    // not a projection event (feedback); nothing changes
  kForwarded,  // its customer moved to another shard; `emitted` passes it on
  kIdentity,   // one of the projection's own identity events (identity.proto)
};

struct Outcome {
  Verdict verdict = Verdict::kApplied;
  // The customer the event was folded into, "" for campaign definitions and
  // the projection's own identity events.
  std::string customer_id;
  std::vector<Change> changes;
  // Events for other shards (identity.proto): claims of identity keys, merge
  // requests, moved customers, forwarded events. Their ids derive from the
  // event that caused them, so emitting them again after a crash is harmless.
  std::vector<v1::Event> emitted;
};

// The fold: a pure function of the state it is shown and one event. It reads
// no clock, no randomness and no network: time comes from the event. Folding
// the same history in the same order gives byte-identical state.
//
// Field conflicts: within one source record the higher source_version wins
// (older data never overwrites newer); across records the field's rule
// decides (rules.h), then the later occurred_at, ties broken by source
// system, record id and event id so the outcome never depends on anything
// but the events and the rules.
Outcome Apply(const StateReader& state, const v1::Event& event, const Rules& rules);
// With the rule "newest" for every field.
Outcome Apply(const StateReader& state, const v1::Event& event);

// Adds `value` to a sorted list unless it is there; true when added.
bool AddSorted(google::protobuf::RepeatedPtrField<std::string>* list, const std::string& value);

// The customer stored under `id`, following merge redirects within the
// shard; nullopt when there is none. A customer that moved to another shard
// comes back as its redirect record, with merged_into_key naming the
// survivor's home key.
std::optional<state::v1::CustomerState> LoadCustomer(const StateReader& state, std::string id);

// Key of a customer's n-th timeline entry; entries of one customer sort in
// order under the prefix "<customer id>/".
std::string TimelineKey(std::string_view customer_id, uint64_t sequence);

}  // namespace accord::fold
