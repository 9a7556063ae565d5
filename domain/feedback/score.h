#pragma once

#include <string>
#include <vector>

#include "accord/v1/event.pb.h"
#include "domain/feedback/rules.h"
#include "domain/fold/fold.h"
#include "domain/fold/state.h"

namespace accord::feedback {

struct FeedbackOutcome {
  // Writes to the feedback service's tables (scores, effectiveness,
  // schedule, account profiles) and to the timeline of each customer a
  // feedback event is emitted for (with its activity record, when the
  // timeline gains an entry).
  std::vector<fold::Change> changes;
  // Feedback events for accord.feedback (ScoreUpdated, LeadQualified,
  // ContactPause). Their
  // ids derive from the event that caused them and the customer, so folding
  // the same history again emits the same ids.
  std::vector<v1::Event> emitted;
  // Events for the feedback fold of other shards, published to
  // accord.events (attribution credits, keyed by campaign).
  std::vector<v1::Event> internal;
  // Events for the feedback fold of every shard, published to every
  // partition of accord.events (account profiles).
  std::vector<v1::Event> broadcast;
};

// The feedback fold (lead score, handover, contact pause): a pure function
// of the state, one event the
// projection fold has just applied to `customer_id`, and the rules. Time is
// the events' occurred-at: the latest one seen for the customer is the
// score's "now", and engagement decays towards it. `state` shows the
// customer as the projection left it after this event (fields for fit, the
// lifecycle stage) and the customer's ScoreState.
//
// The feedback service's own messages (events::IsFeedbackInput), which the
// projection's fold passes by, come with an empty `customer_id`: an
// attribution credit adds to its campaign's totals, a tick announces the
// reactivation candidates due (attribution.h, reactivation.h), an account
// profile rescores the shard's customers of that company, a moved score
// joins its survivor's. An account the projection folded is announced to
// every shard as a profile; a merge request that moved a customer away
// sends its score after it.
//
// Every score update, handover, contact pause and reactivation candidate
// emitted for a customer is also noted on its timeline: on the entry the
// projection's fold recorded for the event, or on a new entry for the
// service's own messages (docs/audit.md).
FeedbackOutcome ApplyFeedback(const fold::StateReader& state, const v1::Event& event,
                              const std::string& customer_id, const FeedbackRules& rules);

// Whether the feedback fold takes an event the projection's fold has just
// folded: one applied to a customer or an account, a merge request (it may
// have moved a customer away), or one of the feedback service's own.
bool TakesEvent(const fold::Outcome& projected, const v1::Event& event);

}  // namespace accord::feedback
