#include "domain/feedback/score.h"

#include "accord/state/v1/state.pb.h"
#include "domain/events/envelope.h"
#include "domain/feedback/attribution.h"
#include "domain/feedback/reactivation.h"
#include "domain/feedback/scoring.h"
#include "domain/fold/codec.h"

namespace accord::feedback {

bool TakesEvent(const fold::Outcome& projected, const v1::Event& event) {
  if (projected.verdict == fold::Verdict::kApplied)
    return !projected.customer_id.empty() || event.has_account_upserted();
  if (projected.verdict == fold::Verdict::kIdentity) return event.has_merge_requested();
  return projected.verdict == fold::Verdict::kIgnored && events::IsFeedbackInput(event);
}

FeedbackOutcome ApplyFeedback(const fold::StateReader& state, const v1::Event& event,
                              const std::string& customer_id, const FeedbackRules& rules) {
  if (event.has_account_upserted()) return scoring::AnnounceAccount(state, event);
  if (event.has_merge_requested()) return scoring::SendScoreAfterMove(state, event);
  if (!events::IsFeedbackInput(event)) {
    auto outcome = scoring::Rescore(state, event, customer_id, rules);
    scoring::NoteOnTimelines(state, event, outcome);
    return outcome;
  }
  auto outcome = event.has_tick()              ? FoldTick(state, event, rules)
                 : event.has_account_profile() ? scoring::FoldAccountProfile(state, event, rules)
                 : event.has_score_moved()     ? scoring::FoldScoreMoved(state, event, rules)
                                               : FoldCredit(state, event, rules.attribution);
  scoring::NoteOnTimelines(state, event, outcome);
  // The projection's fold passes these by; this marks them folded, so a
  // repeat (a restarted service, a second service's tick) changes nothing.
  state::v1::AppliedEvent applied;
  applied.set_occurred_at_ms(event.occurred_at_ms());
  outcome.changes.push_back({fold::Table::kEvents, event.event_id(), fold::EncodeState(applied)});
  return outcome;
}

}  // namespace accord::feedback
