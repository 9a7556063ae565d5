// What an event says about the lead (engagement, negative signals,
// touches, deals, purchases, complaints), and engagement's decay.
#include <algorithm>
#include <cmath>

#include "domain/events/envelope.h"
#include "domain/feedback/reactivation.h"
#include "domain/feedback/scoring.h"
#include "domain/fold/codec.h"

namespace accord::feedback::scoring {
namespace {

// Points decayed over `age_ms` with the half-life: halved once per half-life.
double Decay(double points, int64_t age_ms, int64_t half_life_ms) {
  return points * std::exp2(-static_cast<double>(age_ms) / static_cast<double>(half_life_ms));
}

}  // namespace

void DecayTo(ScoreState& score, int64_t now, const ScoreRules& rules) {
  score.set_engagement_milli(std::llround(Decay(static_cast<double>(score.engagement_milli()),
                                                now - score.as_of_ms(), rules.half_life_ms)));
  score.set_as_of_ms(now);
}

// What this event says about the lead.
void FoldSignal(Rescoring& scoring, ScoreState& score, int64_t at, int64_t now) {
  if (scoring.event.has_campaign_engagement()) {
    const auto kind = scoring.event.campaign_engagement().kind();
    const std::string name = events::EngagementKindName(kind);
    if (auto it = scoring.rules.score.engagement.find(kind);
        it != scoring.rules.score.engagement.end()) {
      // An engagement older than the score's "now" arrives already decayed.
      score.set_engagement_milli(
          score.engagement_milli() +
          std::llround(Decay(it->second * 1000.0, now - at, scoring.rules.score.half_life_ms)));
      if (at >= now - scoring.rules.handover.engagement_window_ms) {
        auto* entry = score.add_recent();
        entry->set_at_ms(at);
        entry->set_points(it->second);
        std::stable_sort(score.mutable_recent()->begin(), score.mutable_recent()->end(),
                         [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
      }
      scoring.Moved(it->second, "engagement." + name + " (campaign " +
                                    scoring.event.campaign_engagement().campaign_id() + ")");
    } else if (auto neg = scoring.rules.score.negative.find(kind);
               neg != scoring.rules.score.negative.end()) {
      score.set_negative(score.negative() + neg->second);
      scoring.Moved(neg->second, "negative." + name + " (campaign " +
                                     scoring.event.campaign_engagement().campaign_id() + ")");
    }
  } else if (scoring.event.has_lead_decision() && !scoring.event.lead_decision().accepted()) {
    const std::string& code = scoring.event.lead_decision().reason_code();
    auto it = scoring.rules.score.lead_rejected.find(code);
    if (it == scoring.rules.score.lead_rejected.end())
      it = scoring.rules.score.lead_rejected.find("default");
    const int32_t points = it == scoring.rules.score.lead_rejected.end() ? 0 : it->second;
    score.set_negative(score.negative() + points);
    score.set_rejections(score.rejections() + 1);
    // Back with marketing: it may be offered again, but only on
    // engagement that comes after the rejection.
    score.set_handed_over(false);
    score.clear_recent();
    scoring.Moved(points,
                  "negative.lead_rejected (" + (code.empty() ? "no reason given" : code) + ")");
  }
}

// Campaign touches and deals (attribution), purchases and complaints
// (reactivation).
void FoldAttributionAndPurchases(Rescoring& scoring, ScoreState& score, int64_t at) {
  const auto& currency = scoring.rules.attribution.currency;
  if (scoring.event.has_campaign_engagement()) {
    const auto& engagement = scoring.event.campaign_engagement();
    if (scoring.rules.attribution.touch_kinds.count(engagement.kind()))
      RecordTouch(score, engagement.campaign_id(), at, scoring.rules.attribution, scoring.credits);
  } else if (scoring.event.has_deal_upserted()) {
    const std::string key =
        scoring.event.source_system() + ":" + scoring.event.deal_upserted().deal_id();
    auto bytes = scoring.state.Get(fold::Table::kDeals, key);
    if (!bytes) return;
    auto deal = fold::DecodeState<state::v1::DealState>(*bytes, fold::Table::kDeals, key);
    const auto before = CreditDeal(score, deal, scoring.rules.attribution, scoring.credits);
    if (before != v1::DEAL_STAGE_CLOSED_WON && deal.stage() == v1::DEAL_STAGE_CLOSED_WON)
      RecordPurchase(score, deal.updated_at_ms(),
                     deal.amount().currency() == currency ? deal.amount().minor_units() : 0,
                     scoring.rules.reactivation);
  } else if (scoring.event.has_order_placed()) {
    const auto& amount = scoring.event.order_placed().amount();
    RecordPurchase(score, at, amount.currency() == currency ? amount.minor_units() : 0,
                   scoring.rules.reactivation);
  } else if (scoring.event.has_support_ticket() && scoring.event.support_ticket().complaint()) {
    score.set_last_complaint_ms(std::max(score.last_complaint_ms(), at));
  }
}

}  // namespace accord::feedback::scoring
