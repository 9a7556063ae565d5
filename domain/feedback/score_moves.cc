// A score follows its customer when the projection moves the customer to
// another shard.
#include "domain/feedback/emit.h"
#include "domain/feedback/scoring.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"

namespace accord::feedback::scoring {

// After the projection moved a customer to another shard (a merge request
// it folded), its score follows it.
FeedbackOutcome SendScoreAfterMove(const fold::StateReader& state, const v1::Event& request) {
  auto id = state.Get(fold::Table::kIdentity, request.customer_key());
  if (!id) return {};
  auto customer = fold::LoadCustomer(state, *id);
  if (!customer || customer->merged_into_key().empty()) return {};
  auto bytes = state.Get(fold::Table::kScores, customer->customer_id());
  if (!bytes) return {};
  FeedbackOutcome outcome;
  outcome.changes.push_back({fold::Table::kScores, customer->customer_id(), std::nullopt});
  v1::Event moved;
  *moved.mutable_score_moved()->mutable_score() =
      fold::DecodeState<ScoreState>(*bytes, fold::Table::kScores, customer->customer_id());
  outcome.internal.push_back(StampFeedback(std::move(moved), request, request.occurred_at_ms(),
                                           customer->customer_id(), customer->merged_into_key(),
                                           customer->customer_id()));
  return outcome;
}

// A moved customer's score arrives where its survivor lives: it joins the
// survivor's score, or follows the survivor if that moved on in turn.
FeedbackOutcome FoldScoreMoved(const fold::StateReader& state, const v1::Event& event,
                               const FeedbackRules& rules) {
  const auto& score = event.score_moved().score();
  auto id = state.Get(fold::Table::kIdentity, event.customer_key());
  if (!id) return {};
  auto survivor = fold::LoadCustomer(state, *id);
  if (!survivor) return {};
  FeedbackOutcome outcome;
  if (!survivor->merged_into_key().empty()) {
    v1::Event onward;
    *onward.mutable_score_moved() = event.score_moved();
    outcome.internal.push_back(StampFeedback(std::move(onward), event, event.occurred_at_ms(),
                                             score.customer_id(), survivor->merged_into_key(),
                                             score.customer_id()));
    return outcome;
  }
  const fold::Change arrived{fold::Table::kScores, score.customer_id(), fold::EncodeState(score)};
  outcome = Rescore(WithPending(state, arrived), event, survivor->customer_id(), rules);
  outcome.changes.insert(outcome.changes.begin(), arrived);
  return outcome;
}

}  // namespace accord::feedback::scoring
