// Handing a lead to sales: only when score, fit and recent engagement all
// say so, and once.
#include "domain/feedback/scoring.h"

namespace accord::feedback::scoring {

void MaybeHandOver(Rescoring& scoring, const CustomerState& customer, ScoreState& score,
                   int32_t total, int32_t fit, FeedbackOutcome& outcome) {
  if (score.handed_over()) return;
  // Sales has the customer already.
  if (customer.lifecycle_stage() > v1::LIFECYCLE_STAGE_MQL) return;
  int32_t recent = 0;
  for (const auto& entry : score.recent()) recent += entry.points();
  const auto& rules = scoring.rules.handover;
  if (total < rules.min_score || fit < rules.min_fit || recent < rules.min_engagement) return;
  v1::Event qualified;
  auto* payload = qualified.mutable_lead_qualified();
  payload->set_score(total);
  payload->set_stage(v1::LIFECYCLE_STAGE_MQL);
  payload->add_reasons("score " + std::to_string(total) + " >= " + std::to_string(rules.min_score));
  payload->add_reasons("fit " + std::to_string(fit) + " >= " + std::to_string(rules.min_fit));
  payload->add_reasons("engagement " + std::to_string(recent) + " in the last " +
                       std::to_string(rules.engagement_window_ms / 86'400'000) +
                       " days >= " + std::to_string(rules.min_engagement));
  if (score.rejections() > 0)
    payload->add_reasons("qualified again after " + std::to_string(score.rejections()) +
                         " rejection(s)");
  scoring.Emit(std::move(qualified), outcome);
  score.set_handed_over(true);
}

}  // namespace accord::feedback::scoring
