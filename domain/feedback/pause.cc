// Contact frequency: attempts per rolling window, and the pause too many
// of them call for.
#include <algorithm>

#include "domain/feedback/scoring.h"

namespace accord::feedback::scoring {

// Marketing's sends and sales' outbound activities are both attempts to
// reach the customer; too many in the window pause contact, announced once
// per pause.
void FoldContactAttempt(Rescoring& scoring, ScoreState& score, int64_t at,
                        FeedbackOutcome& outcome) {
  std::string side;
  if (scoring.event.has_campaign_engagement() &&
      scoring.event.campaign_engagement().kind() == v1::ENGAGEMENT_KIND_SENT)
    side = "marketing";
  else if (scoring.event.has_activity_logged() && scoring.event.activity_logged().outbound())
    side = "sales";
  else
    return;
  const auto& rules = scoring.rules.pause;
  auto& attempts = *score.mutable_attempts();
  auto* attempt = attempts.Add();
  attempt->set_at_ms(at);
  attempt->set_side(side);
  std::stable_sort(attempts.begin(), attempts.end(),
                   [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
  const int64_t latest = attempts.rbegin()->at_ms();
  attempts.erase(
      std::remove_if(attempts.begin(), attempts.end(),
                     [&](const auto& a) { return a.at_ms() <= latest - rules.window_ms; }),
      attempts.end());
  if (attempts.size() <= rules.max_attempts || score.paused_until_ms() > latest) return;
  int marketing = 0;
  for (const auto& entry : attempts) marketing += entry.side() == "marketing";
  const int sales = attempts.size() - marketing;
  v1::Event pause;
  auto* payload = pause.mutable_contact_pause();
  payload->set_until_ms(latest + rules.pause_ms);
  payload->set_attempts(attempts.size());
  payload->set_window_days(static_cast<int32_t>(rules.window_ms / 86'400'000));
  payload->set_reason(std::to_string(attempts.size()) + " contact attempts in " +
                      std::to_string(rules.window_ms / 86'400'000) + " days (" +
                      std::to_string(marketing) + " by marketing, " + std::to_string(sales) +
                      " by sales), more than " + std::to_string(rules.max_attempts));
  scoring.Emit(std::move(pause), outcome);
  score.set_paused_until_ms(latest + rules.pause_ms);
}

}  // namespace accord::feedback::scoring
