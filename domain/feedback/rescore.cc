// One customer's score refolded for one event: decayed to the event's
// time, joined with the scores of customers merged into it, moved by the
// event, and announced when it changed by more than a step.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "domain/events/envelope.h"
#include "domain/feedback/emit.h"
#include "domain/feedback/reactivation.h"
#include "domain/feedback/scoring.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"

namespace accord::feedback::scoring {
namespace {

std::string Signed(int32_t points) {
  return (points >= 0 ? "+" : "") + std::to_string(points);
}

std::optional<ScoreState> LoadScore(const fold::StateReader& state, const std::string& id) {
  auto bytes = state.Get(fold::Table::kScores, id);
  if (!bytes) return std::nullopt;
  return fold::DecodeState<ScoreState>(*bytes, fold::Table::kScores, id);
}

// Both as of the same time: what either did counts for the one customer.
void Absorb(ScoreState& score, const ScoreState& merged) {
  score.set_engagement_milli(score.engagement_milli() + merged.engagement_milli());
  score.set_negative(score.negative() + merged.negative());
  score.set_rejections(score.rejections() + merged.rejections());
  score.set_handed_over(score.handed_over() || merged.handed_over());
  score.set_paused_until_ms(std::max(score.paused_until_ms(), merged.paused_until_ms()));
  score.mutable_recent()->MergeFrom(merged.recent());
  std::stable_sort(score.mutable_recent()->begin(), score.mutable_recent()->end(),
                   [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
  score.mutable_attempts()->MergeFrom(merged.attempts());
  std::stable_sort(score.mutable_attempts()->begin(), score.mutable_attempts()->end(),
                   [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
  if (!score.emitted() && merged.emitted()) {
    score.set_last_score(merged.last_score());
    score.set_emitted(true);
  }
}

}  // namespace

Rescoring::Rescoring(const fold::StateReader& state, const v1::Event& envelope,
                     const std::string& customer_id, const FeedbackRules& rules)
    : state(state),
      envelope(envelope),
      event(envelope.has_event_forwarded() ? envelope.event_forwarded().event() : envelope),
      customer_id(customer_id),
      rules(rules) {}

void Rescoring::Emit(v1::Event derived, FeedbackOutcome& outcome) const {
  outcome.emitted.push_back(StampFeedback(std::move(derived), envelope, event.occurred_at_ms(),
                                          customer_id, emit_key, customer_id));
}

void Rescoring::Moved(int32_t points, std::string why) {
  moved_points = points;
  moved_by = Signed(points) + " " + why;
}

void AddComponent(Components& components, std::string name, int32_t points, std::string reason) {
  auto* component = components.Add();
  component->set_name(std::move(name));
  component->set_points(points);
  component->set_reason(std::move(reason));
}

FeedbackOutcome Rescore(const fold::StateReader& state, const v1::Event& event,
                        const std::string& customer_id, const FeedbackRules& rules) {
  Rescoring scoring(state, event, customer_id, rules);
  auto customer = fold::LoadCustomer(scoring.state, scoring.customer_id);
  // Gone, or merged into another since it was listed (an account's
  // customers, a schedule day).
  if (!customer || customer->customer_id() != scoring.customer_id ||
      !customer->merged_into().empty() || !customer->merged_into_key().empty())
    return {};
  FeedbackOutcome outcome;
  ScoreState score = LoadScore(scoring.state, scoring.customer_id).value_or(ScoreState());
  score.set_customer_id(scoring.customer_id);
  const int64_t due_before = score.reactivation_due_ms();
  const int32_t fit_before = score.fit();
  const int32_t score_before = score.score();
  // The service's own messages (a company's update, a score moving in)
  // say nothing of the customer's time, and are keyed otherwise.
  const bool its_own = !events::IsFeedbackInput(scoring.event);
  const int64_t at = its_own ? scoring.event.occurred_at_ms() : score.as_of_ms();
  scoring.emit_key = its_own ? scoring.event.customer_key() : customer->home_key();
  int64_t now = std::max(score.as_of_ms(), at);
  DecayTo(score, now, scoring.rules.score);
  // Customers merged into this one bring their scores along (within the
  // shard; a customer moved in from another shard starts from its events).
  for (const auto& merged_id : customer->merged_customer_ids()) {
    auto merged = LoadScore(scoring.state, merged_id);
    if (!merged) continue;
    now = std::max(now, merged->as_of_ms());
    DecayTo(score, now, scoring.rules.score);
    DecayTo(*merged, now, scoring.rules.score);
    Absorb(score, *merged);
    AbsorbAttribution(score, *merged, scoring.rules.attribution, scoring.credits);
    AbsorbPurchases(score, *merged, scoring.rules.reactivation);
    outcome.changes.push_back({fold::Table::kScores, merged_id, std::nullopt});
  }

  FoldSignal(scoring, score, at, now);
  FoldAttributionAndPurchases(scoring, score, at);
  auto& recent = *score.mutable_recent();
  const int64_t window_start = now - scoring.rules.handover.engagement_window_ms;
  recent.erase(std::remove_if(recent.begin(), recent.end(),
                              [&](const auto& entry) { return entry.at_ms() < window_start; }),
               recent.end());

  // The score's parts as of now; the state keeps them for the query API.
  auto& components = *score.mutable_components();
  components.Clear();
  const auto account =
      JoinAccount(scoring.state, scoring.customer_id, *customer, score, outcome.changes);
  const int32_t fit = ScoreFit(scoring.rules.score, *customer, account, components);
  const auto engagement = static_cast<int32_t>(std::llround(score.engagement_milli() / 1000.0));
  AddComponent(components, "engagement", engagement,
               "decayed with a half-life of " +
                   std::to_string(scoring.rules.score.half_life_ms / 86'400'000) + " days");
  if (score.negative() != 0)
    AddComponent(components, "negative", score.negative(),
                 "unsubscribes, bounces and rejections; they do not decay");
  const int32_t total = fit + engagement + score.negative();
  if (scoring.event.has_account_profile())
    scoring.Moved(fit - fit_before,
                  "fit.account (" + scoring.event.account_profile().account_key() + " updated)");
  else if (scoring.event.has_score_moved())
    scoring.Moved(total - score_before, "merged (" +
                                            scoring.event.score_moved().score().customer_id() +
                                            " moved in from another shard)");
  score.set_score(total);
  score.set_fit(fit);
  score.set_engagement(engagement);

  if (std::abs(total - score.last_score()) > scoring.rules.score.step) {
    v1::Event updated;
    auto* payload = updated.mutable_score_updated();
    payload->set_score(total);
    payload->set_fit(fit);
    payload->set_engagement(engagement);
    payload->set_previous_score(score.last_score());
    *payload->mutable_components() = components;
    if (!scoring.moved_by.empty()) {
      auto* cause = payload->add_components();
      cause->set_name("cause");
      cause->set_points(scoring.moved_points);
      cause->set_reason(scoring.moved_by);
    }
    scoring.Emit(std::move(updated), outcome);
    score.set_last_score(total);
    score.set_emitted(true);
  }
  MaybeHandOver(scoring, *customer, score, total, fit, outcome);
  FoldContactAttempt(scoring, score, at, outcome);
  Schedule(scoring.state, due_before, score, outcome.changes);
  for (auto& credit : scoring.credits.Take()) {
    const std::string campaign_id = credit.campaign_id();
    // Under other rules, the same cause makes another credit.
    const std::string credit_rules = credit.rules();
    v1::Event carried;
    *carried.mutable_attribution_credit() = std::move(credit);
    outcome.internal.push_back(StampFeedback(
        std::move(carried), scoring.envelope, at, scoring.customer_id, "campaign:" + campaign_id,
        scoring.customer_id + "\n" + campaign_id + "\n" + credit_rules));
  }
  outcome.changes.push_back({fold::Table::kScores, scoring.customer_id, fold::EncodeState(score)});
  return outcome;
}

}  // namespace accord::feedback::scoring
