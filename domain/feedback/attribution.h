#pragma once

#include <map>
#include <string>
#include <vector>

#include "accord/state/v1/state.pb.h"
#include "accord/v1/event.pb.h"
#include "domain/feedback/rules.h"
#include "domain/feedback/score.h"
#include "domain/fold/state.h"

namespace accord::feedback {

// Campaign effectiveness (docs/feedback.md). A customer's shard knows which
// campaigns touched the customer and what became of its deals; a campaign's
// totals gather the credits of customers in every shard. So the customer's
// shard sends changes of credit (AttributionCredit, keyed by campaign) and
// the shard of the campaign's key adds them up.

// The credits one event gives, one per campaign: the credit's id derives
// from its cause and campaign, so a cause gives each campaign one change.
class CreditBook {
 public:
  explicit CreditBook(const AttributionRules& rules) : rules_(rules) {}
  void Touched(const std::string& campaign_id, int32_t contacts);
  void Deal(const std::string& campaign_id, const std::string& deal_key, v1::AttributionModel model,
            const v1::AttributionCredit::ModelCredit& change);
  // The credits that change something, by campaign id.
  std::vector<v1::AttributionCredit> Take();

 private:
  const AttributionRules& rules_;
  std::map<std::string, v1::AttributionCredit> credits_;
};

// Customer side. A campaign touched the customer at `at_ms` (an engagement
// of a touch kind, or a deal naming its campaign).
void RecordTouch(state::v1::ScoreState& score, const std::string& campaign_id, int64_t at_ms,
                 const AttributionRules& rules, CreditBook& book);

// The customer's deal as the projection now holds it: the first time it is
// seen, the touches within the window before its creation get their shares
// under each model; every change of its amount or stage changes their
// credit. Returns the stage credited before.
v1::DealStage CreditDeal(state::v1::ScoreState& score, const state::v1::DealState& deal,
                         const AttributionRules& rules, CreditBook& book);

// `merged` is one person with `survivor`: touches and deals join, and a
// campaign that touched both counts the contact once.
void AbsorbAttribution(state::v1::ScoreState& survivor, const state::v1::ScoreState& merged,
                       const AttributionRules& rules, CreditBook& book);

// Campaign side: adds one AttributionCredit to its campaign's totals and
// emits CampaignEffectiveness for each model whose figures changed. Writes
// Table::kEffectiveness; `credit` is the message that carried it.
// A credit computed under other rules (AttributionCredit.rules) changes
// nothing.
FeedbackOutcome FoldCredit(const fold::StateReader& state, const v1::Event& credit,
                           const AttributionRules& rules);

// The figures of one model of a campaign's totals (also served by the query).
v1::CampaignEffectiveness Effectiveness(const state::v1::CampaignEffect& effect,
                                        const state::v1::CampaignEffect::Totals& totals);

}  // namespace accord::feedback
