#pragma once

// Test helpers for the feedback service's fold.

#include <gtest/gtest.h>

#include "domain/events/envelope.h"
#include "domain/feedback/score.h"
#include "domain/fold/fold.h"
#include "domain/fold/testing/fold_testing.h"

namespace accord::feedback::test_support {

// Folds `event` into `state` as the feedback service does: the projection's
// fold, then the feedback fold on the customer it resolved. Every event the
// feedback fold emits must be valid. Returns the feedback fold's outcome,
// empty when the event has none.
inline FeedbackOutcome FoldAsFeedbackService(fold::test_support::MemoryState& state,
                                             const v1::Event& event, const FeedbackRules& rules) {
  auto projected = fold::Apply(state, event);
  state.Write(projected.changes);
  if (!TakesEvent(projected, event)) return {};
  auto outcome = ApplyFeedback(state, event, projected.customer_id, rules);
  state.Write(outcome.changes);
  for (const auto& emitted : outcome.emitted)
    EXPECT_EQ(events::ValidateEvent(emitted), "") << emitted.ShortDebugString();
  return outcome;
}

}  // namespace accord::feedback::test_support
