#pragma once

#include <vector>

#include "accord/state/v1/state.pb.h"
#include "accord/v1/event.pb.h"
#include "domain/feedback/rules.h"
#include "domain/feedback/score.h"
#include "domain/fold/state.h"

namespace accord::feedback {

// Reactivation candidates (docs/feedback.md): a customer who bought at
// least `min_purchases` times has a usual interval between purchases; when
// the time since the last one exceeds it by the configured factor, the
// customer is announced as a candidate, once per purchase. Time passes by
// ticks (v1::Tick), so a customer is due on a day of the shard's schedule.

// A purchase (an order, or a deal won for the first time); `amount_minor`
// in the attribution currency, 0 for others.
void RecordPurchase(state::v1::ScoreState& score, int64_t at_ms, int64_t amount_minor,
                    const ReactivationRules& rules);

// `merged` is one person with `survivor`: their purchases count together.
void AbsorbPurchases(state::v1::ScoreState& survivor, const state::v1::ScoreState& merged,
                     const ReactivationRules& rules);

// Puts the customer on the schedule's day its due time falls on, when it
// changed from `due_before` (writes Table::kSchedule).
void Schedule(const fold::StateReader& state, int64_t due_before,
              const state::v1::ScoreState& score, std::vector<fold::Change>& changes);

// A tick: announces the customers due up to its time. `tick` is the message
// that carried it.
FeedbackOutcome FoldTick(const fold::StateReader& state, const v1::Event& tick,
                         const FeedbackRules& rules);

}  // namespace accord::feedback
