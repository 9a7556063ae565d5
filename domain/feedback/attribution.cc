#include "domain/feedback/attribution.h"

#include <algorithm>

#include "domain/feedback/emit.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"

namespace accord::feedback {

namespace {

using state::v1::CampaignEffect;
using state::v1::ScoreState;
using ModelCredit = v1::AttributionCredit::ModelCredit;

constexpr int64_t kMillion = 1'000'000;
constexpr v1::AttributionModel kModels[] = {v1::ATTRIBUTION_MODEL_FIRST_TOUCH,
                                            v1::ATTRIBUTION_MODEL_LAST_TOUCH,
                                            v1::ATTRIBUTION_MODEL_LINEAR};
// A contact touched this often keeps only its latest touches: deals take
// their shares from these.
constexpr int kMaxTouches = 200;

int64_t ShareOf(const ScoreState::DealCredit::Share& share, v1::AttributionModel model) {
  switch (model) {
    case v1::ATTRIBUTION_MODEL_FIRST_TOUCH:
      return share.first_touch_ppm();
    case v1::ATTRIBUTION_MODEL_LAST_TOUCH:
      return share.last_touch_ppm();
    default:
      return share.linear_ppm();
  }
}

// What a share of a deal with this amount and stage is worth to a campaign.
ModelCredit Worth(int64_t ppm, int64_t amount_minor, v1::DealStage stage) {
  ModelCredit worth;
  const auto part = static_cast<int64_t>(static_cast<__int128>(amount_minor) * ppm / kMillion);
  worth.set_pipeline_minor(part);
  if (stage == v1::DEAL_STAGE_CLOSED_WON) {
    worth.set_won_minor(part);
    worth.set_won_deals_ppm(ppm);
  } else if (stage == v1::DEAL_STAGE_CLOSED_LOST) {
    worth.set_lost_minor(part);
    worth.set_lost_deals_ppm(ppm);
  }
  return worth;
}

ModelCredit Difference(const ModelCredit& now, const ModelCredit& before) {
  ModelCredit change;
  change.set_pipeline_minor(now.pipeline_minor() - before.pipeline_minor());
  change.set_won_minor(now.won_minor() - before.won_minor());
  change.set_lost_minor(now.lost_minor() - before.lost_minor());
  change.set_won_deals_ppm(now.won_deals_ppm() - before.won_deals_ppm());
  change.set_lost_deals_ppm(now.lost_deals_ppm() - before.lost_deals_ppm());
  return change;
}

bool IsZero(const ModelCredit& credit) {
  return credit.pipeline_minor() == 0 && credit.won_minor() == 0 && credit.lost_minor() == 0 &&
         credit.won_deals_ppm() == 0 && credit.lost_deals_ppm() == 0;
}

void SortTouches(ScoreState& score) {
  std::stable_sort(score.mutable_touches()->begin(), score.mutable_touches()->end(),
                   [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
}

// Keeps the touches a deal created from now on can still be credited to.
void PruneTouches(ScoreState& score, const AttributionRules& rules) {
  auto& touches = *score.mutable_touches();
  if (touches.empty()) return;
  const int64_t oldest = touches.rbegin()->at_ms() - rules.window_ms;
  touches.erase(std::remove_if(touches.begin(), touches.end(),
                               [&](const auto& touch) { return touch.at_ms() < oldest; }),
                touches.end());
  if (touches.size() > kMaxTouches) touches.DeleteSubrange(0, touches.size() - kMaxTouches);
}

// The campaigns' shares of a deal created at `created_ms`: first touch and
// last touch give everything to one touch, linear gives each touch an equal
// part (the millionths left over go to the earliest touches).
std::vector<ScoreState::DealCredit::Share> Shares(const ScoreState& score, int64_t created_ms,
                                                  const AttributionRules& rules) {
  std::vector<const ScoreState::Touch*> touches;
  for (const auto& touch : score.touches())
    if (touch.at_ms() <= created_ms && touch.at_ms() >= created_ms - rules.window_ms)
      touches.push_back(&touch);
  std::map<std::string, ScoreState::DealCredit::Share> shares;
  if (touches.empty()) return {};
  const auto count = static_cast<int64_t>(touches.size());
  for (int64_t i = 0; i < count; ++i) {
    auto& share = shares[touches[i]->campaign_id()];
    share.set_campaign_id(touches[i]->campaign_id());
    share.set_linear_ppm(share.linear_ppm() + kMillion / count + (i < kMillion % count ? 1 : 0));
  }
  shares[touches.front()->campaign_id()].set_first_touch_ppm(kMillion);
  shares[touches.back()->campaign_id()].set_last_touch_ppm(kMillion);
  std::vector<ScoreState::DealCredit::Share> out;
  for (auto& [campaign, share] : shares) out.push_back(std::move(share));
  return out;
}

}  // namespace

void CreditBook::Touched(const std::string& campaign_id, int32_t contacts) {
  auto& credit = credits_[campaign_id];
  credit.set_touched_contacts(credit.touched_contacts() + contacts);
}

void CreditBook::Deal(const std::string& campaign_id, const std::string& deal_key,
                      v1::AttributionModel model, const ModelCredit& change) {
  auto& credit = credits_[campaign_id];
  credit.set_deal_key(deal_key);
  for (auto& existing : *credit.mutable_credits()) {
    if (existing.model() != model) continue;
    existing.set_pipeline_minor(existing.pipeline_minor() + change.pipeline_minor());
    existing.set_won_minor(existing.won_minor() + change.won_minor());
    existing.set_lost_minor(existing.lost_minor() + change.lost_minor());
    existing.set_won_deals_ppm(existing.won_deals_ppm() + change.won_deals_ppm());
    existing.set_lost_deals_ppm(existing.lost_deals_ppm() + change.lost_deals_ppm());
    return;
  }
  auto* added = credit.add_credits();
  *added = change;
  added->set_model(model);
}

std::vector<v1::AttributionCredit> CreditBook::Take() {
  std::vector<v1::AttributionCredit> out;
  for (auto& [campaign, credit] : credits_) {
    auto& models = *credit.mutable_credits();
    models.erase(std::remove_if(models.begin(), models.end(), IsZero), models.end());
    if (credit.touched_contacts() == 0 && models.empty()) continue;
    credit.set_campaign_id(campaign);
    credit.set_currency(rules_.currency);
    out.push_back(std::move(credit));
  }
  credits_.clear();
  // Most events credit nothing: the fingerprint is only worked out for those
  // that do.
  if (!out.empty()) {
    const std::string fingerprint = AttributionFingerprint(rules_);
    for (auto& credit : out) credit.set_rules(fingerprint);
  }
  return out;
}

namespace {

ModelCredit WorthIfCounted(int64_t ppm, int64_t amount_minor, v1::DealStage stage, bool counted) {
  return counted ? Worth(ppm, amount_minor, stage) : ModelCredit();
}

// Credits what changed between a deal's credit as it was (`before`) and as
// it is now (`after`): its shares, its amount, its stage, or all of them.
void Recredit(const ScoreState::DealCredit& before, const ScoreState::DealCredit& after,
              CreditBook& book) {
  std::map<std::string,
           std::pair<const ScoreState::DealCredit::Share*, const ScoreState::DealCredit::Share*>>
      campaigns;
  for (const auto& share : before.shares()) campaigns[share.campaign_id()].first = &share;
  for (const auto& share : after.shares()) campaigns[share.campaign_id()].second = &share;
  for (const auto& [campaign, shares] : campaigns)
    for (auto model : kModels) {
      const int64_t was = shares.first ? ShareOf(*shares.first, model) : 0;
      const int64_t is = shares.second ? ShareOf(*shares.second, model) : 0;
      if (was == 0 && is == 0) continue;
      book.Deal(
          campaign, after.deal_key(), model,
          Difference(WorthIfCounted(is, after.amount_minor(), after.stage(), after.counted()),
                     WorthIfCounted(was, before.amount_minor(), before.stage(), before.counted())));
    }
}

void SetShares(ScoreState::DealCredit& credit, const ScoreState& score,
               const AttributionRules& rules) {
  credit.clear_shares();
  for (auto& share : Shares(score, credit.created_at_ms(), rules))
    *credit.add_shares() = std::move(share);
}

}  // namespace

void RecordTouch(ScoreState& score, const std::string& campaign_id, int64_t at_ms,
                 const AttributionRules& rules, CreditBook& book) {
  if (campaign_id.empty()) return;
  auto* touch = score.add_touches();
  touch->set_campaign_id(campaign_id);
  touch->set_at_ms(at_ms);
  SortTouches(score);
  PruneTouches(score, rules);
  if (fold::AddSorted(score.mutable_touched_campaigns(), campaign_id)) book.Touched(campaign_id, 1);
  // A touch that arrives after a deal it came before shares in that deal.
  for (auto& credit : *score.mutable_deals()) {
    if (at_ms > credit.created_at_ms() || at_ms < credit.created_at_ms() - rules.window_ms)
      continue;
    const auto before = credit;
    SetShares(credit, score, rules);
    Recredit(before, credit, book);
  }
}

v1::DealStage CreditDeal(ScoreState& score, const state::v1::DealState& deal,
                         const AttributionRules& rules, CreditBook& book) {
  auto& deals = *score.mutable_deals();
  auto found = std::find_if(deals.begin(), deals.end(), [&](const auto& credit) {
    return credit.deal_key() == deal.deal_key();
  });
  ScoreState::DealCredit* credit = nullptr;
  if (found != deals.end()) {
    credit = &*found;
  } else {
    // The campaign a deal names is a touch at its creation.
    RecordTouch(score, deal.campaign_id(), deal.created_at_ms(), rules, book);
    credit = score.add_deals();
    credit->set_deal_key(deal.deal_key());
    credit->set_created_at_ms(deal.created_at_ms());
    SetShares(*credit, score, rules);
  }
  const auto before = *credit;
  // Amounts in other currencies are not converted: such a deal credits
  // nothing.
  const bool counted = deal.amount().currency() == rules.currency;
  credit->set_amount_minor(counted ? deal.amount().minor_units() : 0);
  credit->set_stage(deal.stage());
  credit->set_counted(counted);
  Recredit(before, *credit, book);
  return before.stage();
}

void AbsorbAttribution(ScoreState& survivor, const ScoreState& merged,
                       const AttributionRules& rules, CreditBook& book) {
  survivor.mutable_touches()->MergeFrom(merged.touches());
  SortTouches(survivor);
  PruneTouches(survivor, rules);
  for (const auto& campaign : merged.touched_campaigns())
    if (!fold::AddSorted(survivor.mutable_touched_campaigns(), campaign))
      book.Touched(campaign, -1);
  for (const auto& deal : merged.deals()) {
    const bool known =
        std::any_of(survivor.deals().begin(), survivor.deals().end(),
                    [&](const auto& own) { return own.deal_key() == deal.deal_key(); });
    if (!known) *survivor.add_deals() = deal;
  }
}

v1::CampaignEffectiveness Effectiveness(const CampaignEffect& effect,
                                        const CampaignEffect::Totals& totals) {
  v1::CampaignEffectiveness out;
  out.set_campaign_id(effect.campaign_id());
  out.set_model(totals.model());
  out.set_touched_contacts(effect.touched_contacts());
  out.mutable_influenced_pipeline()->set_minor_units(totals.pipeline_minor());
  out.mutable_influenced_pipeline()->set_currency(effect.currency());
  out.mutable_won_revenue()->set_minor_units(totals.won_minor());
  out.mutable_won_revenue()->set_currency(effect.currency());
  const int64_t closed = totals.won_deals_ppm() + totals.lost_deals_ppm();
  const int64_t win_rate_ppm =
      closed > 0
          ? static_cast<int64_t>(static_cast<__int128>(totals.won_deals_ppm()) * kMillion / closed)
          : 0;
  out.set_win_rate_ppm(win_rate_ppm);
  // Revenue to expect per contact touched: what was won, plus the open
  // pipeline weighted by the campaign's win rate.
  const int64_t open = totals.pipeline_minor() - totals.won_minor() - totals.lost_minor();
  const auto expected = totals.won_minor() +
                        static_cast<int64_t>(static_cast<__int128>(open) * win_rate_ppm / kMillion);
  out.set_effectiveness_index(effect.touched_contacts() > 0 ? expected / effect.touched_contacts()
                                                            : expected);
  return out;
}

FeedbackOutcome FoldCredit(const fold::StateReader& state, const v1::Event& event,
                           const AttributionRules& rules) {
  const auto& credit = event.attribution_credit();
  if (credit.rules() != AttributionFingerprint(rules)) return {};
  CampaignEffect effect;
  if (auto bytes = state.Get(fold::Table::kEffectiveness, credit.campaign_id()))
    effect = fold::DecodeState<CampaignEffect>(*bytes, fold::Table::kEffectiveness,
                                               credit.campaign_id());
  effect.set_campaign_id(credit.campaign_id());
  effect.set_currency(credit.currency());
  effect.set_touched_contacts(effect.touched_contacts() + credit.touched_contacts());
  if (effect.models().empty())
    for (auto model : kModels) effect.add_models()->set_model(model);
  for (const auto& change : credit.credits()) {
    for (auto& totals : *effect.mutable_models()) {
      if (totals.model() != change.model()) continue;
      totals.set_pipeline_minor(totals.pipeline_minor() + change.pipeline_minor());
      totals.set_won_minor(totals.won_minor() + change.won_minor());
      totals.set_lost_minor(totals.lost_minor() + change.lost_minor());
      totals.set_won_deals_ppm(totals.won_deals_ppm() + change.won_deals_ppm());
      totals.set_lost_deals_ppm(totals.lost_deals_ppm() + change.lost_deals_ppm());
    }
  }
  FeedbackOutcome outcome;
  for (auto& totals : *effect.mutable_models()) {
    auto figures = Effectiveness(effect, totals);
    if (totals.has_emitted() && figures.SerializeAsString() == totals.emitted().SerializeAsString())
      continue;
    *totals.mutable_emitted() = figures;
    v1::Event announced;
    *announced.mutable_campaign_effectiveness() = std::move(figures);
    outcome.emitted.push_back(StampFeedback(std::move(announced), event, event.occurred_at_ms(),
                                            credit.campaign_id(), "",
                                            v1::AttributionModel_Name(totals.model())));
  }
  outcome.changes.push_back(
      {fold::Table::kEffectiveness, credit.campaign_id(), fold::EncodeState(effect)});
  return outcome;
}

}  // namespace accord::feedback
