#include "domain/feedback/attribution.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/feedback/score.h"
#include "domain/feedback/testing/feedback_testing.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"
#include "domain/fold/testing/fold_testing.h"

namespace accord::feedback {
namespace {

using namespace fold::test_support;
using state::v1::CampaignEffect;
using test_support::FoldAsFeedbackService;

constexpr int64_t kDay = 86'400'000;

// The feedback service over one shard: the projection's fold, the feedback
// fold, and the credits it sends to campaigns folded in turn, as Kafka
// would deliver them back.
class AttributionTest : public ::testing::Test {
 protected:
  void Fold(const v1::Event& event) {
    auto outcome = FoldAsFeedbackService(state_, event, rules_);
    for (const auto& emitted : outcome.emitted)
      if (emitted.has_campaign_effectiveness()) announced_.push_back(emitted);
    for (const auto& internal : outcome.internal) {
      EXPECT_EQ(events::ValidateEvent(internal), "") << internal.ShortDebugString();
      credits_.push_back(internal);
      Fold(internal);
    }
  }

  CampaignEffect Effect(const std::string& campaign) const {
    auto bytes = state_.Get(fold::Table::kEffectiveness, campaign);
    EXPECT_TRUE(bytes) << "no totals for " << campaign;
    if (!bytes) return {};
    return fold::DecodeState<CampaignEffect>(*bytes, fold::Table::kEffectiveness, campaign);
  }

  v1::CampaignEffectiveness Figures(const std::string& campaign, v1::AttributionModel model) {
    auto effect = Effect(campaign);
    for (const auto& totals : effect.models())
      if (totals.model() == model) return Effectiveness(effect, totals);
    ADD_FAILURE() << "no model " << model << " for " << campaign;
    return {};
  }

  // The figures last announced for the campaign and model.
  v1::CampaignEffectiveness Announced(const std::string& campaign, v1::AttributionModel model) {
    for (auto it = announced_.rbegin(); it != announced_.rend(); ++it)
      if (it->campaign_effectiveness().campaign_id() == campaign &&
          it->campaign_effectiveness().model() == model)
        return it->campaign_effectiveness();
    ADD_FAILURE() << "nothing announced for " << campaign;
    return {};
  }

  static v1::Event Touch(std::string_view record, int64_t at_ms, std::string_view email,
                         std::string_view campaign, v1::EngagementKind kind) {
    return Engagement(record, at_ms, email, campaign, kind);
  }

  void TwoContactsThreeCampaignTouchesAndTwoDeals() {
    Fold(Contact({.record = "m1", .email = "anna@corp.de"}));
    Fold(Contact({.record = "m2", .email = "bert@corp.de"}));
    Fold(Touch("o1", kT0 + kDay, "anna@corp.de", "A", v1::ENGAGEMENT_KIND_OPENED));
    Fold(Touch("c1", kT0 + 2 * kDay, "anna@corp.de", "B", v1::ENGAGEMENT_KIND_CLICKED));
    // Sent is no touch under the default rules.
    Fold(Touch("s1", kT0 + 2 * kDay, "anna@corp.de", "C", v1::ENGAGEMENT_KIND_SENT));
    Fold(Touch("f1", kT0 + 3 * kDay, "anna@corp.de", "A", v1::ENGAGEMENT_KIND_FORM_SUBMITTED));
    Fold(Touch("o2", kT0 + kDay, "bert@corp.de", "B", v1::ENGAGEMENT_KIND_OPENED));
    Fold(Deal("d1", 1, kT0 + 4 * kDay, "anna@corp.de", v1::DEAL_STAGE_PROPOSAL, 90'000));
    Fold(Deal("d2", 1, kT0 + 5 * kDay, "bert@corp.de", v1::DEAL_STAGE_PROPOSAL, 50'000));
    Fold(Deal("d1", 2, kT0 + 10 * kDay, "anna@corp.de", v1::DEAL_STAGE_CLOSED_WON, 90'000));
    Fold(Deal("d2", 2, kT0 + 8 * kDay, "bert@corp.de", v1::DEAL_STAGE_CLOSED_LOST, 50'000));
  }

  FeedbackRules rules_;
  MemoryState state_;
  std::vector<v1::Event> credits_;
  std::vector<v1::Event> announced_;
};

// Anna: touches A, B, A, then deal d1 (900.00 EUR), won. Bert: touch B,
// then deal d2 (500.00 EUR), lost.
//
//   first touch: A gets all of d1, B all of d2
//   last touch:  A gets all of d1, B all of d2
//   linear:      d1 splits 666,667 / 333,333 millionths (A, B); B gets d2
//
// campaign  model  touched  pipeline  won     win rate   index (per contact)
// A         first  1        90,000    90,000  1,000,000  90,000
// A         linear 1        60,000    60,000  1,000,000  60,000
// B         first  2        50,000    0       0          0
// B         linear 2        79,999    29,999  249,999    14,999
TEST_F(AttributionTest, ThreeModelsMatchTheHandComputedTable) {
  TwoContactsThreeCampaignTouchesAndTwoDeals();

  struct Row {
    std::string campaign;
    v1::AttributionModel model;
    int64_t touched, pipeline, won, win_rate, index;
  };
  const Row table[] = {
      {"A", v1::ATTRIBUTION_MODEL_FIRST_TOUCH, 1, 90'000, 90'000, 1'000'000, 90'000},
      {"A", v1::ATTRIBUTION_MODEL_LAST_TOUCH, 1, 90'000, 90'000, 1'000'000, 90'000},
      {"A", v1::ATTRIBUTION_MODEL_LINEAR, 1, 60'000, 60'000, 1'000'000, 60'000},
      {"B", v1::ATTRIBUTION_MODEL_FIRST_TOUCH, 2, 50'000, 0, 0, 0},
      {"B", v1::ATTRIBUTION_MODEL_LAST_TOUCH, 2, 50'000, 0, 0, 0},
      {"B", v1::ATTRIBUTION_MODEL_LINEAR, 2, 79'999, 29'999, 249'999, 14'999},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.campaign + " " + v1::AttributionModel_Name(row.model));
    for (const auto& figures :
         {Figures(row.campaign, row.model), Announced(row.campaign, row.model)}) {
      EXPECT_EQ(figures.touched_contacts(), row.touched);
      EXPECT_EQ(figures.influenced_pipeline().minor_units(), row.pipeline);
      EXPECT_EQ(figures.influenced_pipeline().currency(), "EUR");
      EXPECT_EQ(figures.won_revenue().minor_units(), row.won);
      EXPECT_EQ(figures.win_rate_ppm(), row.win_rate);
      EXPECT_EQ(figures.effectiveness_index(), row.index);
    }
  }
  // C only sent an e-mail: no touch, no totals.
  EXPECT_FALSE(state_.Get(fold::Table::kEffectiveness, "C"));
}

TEST_F(AttributionTest, FiguresAreAnnouncedOnlyWhenTheyChange) {
  TwoContactsThreeCampaignTouchesAndTwoDeals();
  const auto before = announced_.size();
  // A new version of d1 with the same stage and amount changes no credit.
  Fold(Deal("d1", 3, kT0 + 11 * kDay, "anna@corp.de", v1::DEAL_STAGE_CLOSED_WON, 90'000));
  // Another touch of A by Anna counts her once.
  Fold(Touch("o3", kT0 + 12 * kDay, "anna@corp.de", "A", v1::ENGAGEMENT_KIND_OPENED));
  EXPECT_EQ(announced_.size(), before);
  // A bigger d1 moves A's and B's figures under the models crediting them.
  Fold(Deal("d1", 4, kT0 + 13 * kDay, "anna@corp.de", v1::DEAL_STAGE_CLOSED_WON, 120'000));
  EXPECT_EQ(Figures("A", v1::ATTRIBUTION_MODEL_FIRST_TOUCH).won_revenue().minor_units(), 120'000);
  EXPECT_EQ(Figures("A", v1::ATTRIBUTION_MODEL_LINEAR).won_revenue().minor_units(), 80'000);
  EXPECT_EQ(Figures("B", v1::ATTRIBUTION_MODEL_LINEAR).won_revenue().minor_units(), 39'999);
  // A: first, last, linear; B: linear only.
  EXPECT_EQ(announced_.size(), before + 4);
}

TEST_F(AttributionTest, TouchesThatArriveAfterTheDealStillShareInIt) {
  Fold(Contact({.record = "m1", .email = "anna@corp.de"}));
  Fold(Deal("d1", 1, kT0 + 4 * kDay, "anna@corp.de", v1::DEAL_STAGE_CLOSED_WON, 90'000));
  EXPECT_FALSE(state_.Get(fold::Table::kEffectiveness, "A"));
  // Exported later by marketing: touches from before the deal.
  Fold(Touch("o1", kT0 + kDay, "anna@corp.de", "A", v1::ENGAGEMENT_KIND_OPENED));
  EXPECT_EQ(Figures("A", v1::ATTRIBUTION_MODEL_LAST_TOUCH).won_revenue().minor_units(), 90'000);
  Fold(Touch("c1", kT0 + 2 * kDay, "anna@corp.de", "B", v1::ENGAGEMENT_KIND_CLICKED));
  // After the deal: no share.
  Fold(Touch("c2", kT0 + 5 * kDay, "anna@corp.de", "C", v1::ENGAGEMENT_KIND_CLICKED));
  EXPECT_EQ(Figures("A", v1::ATTRIBUTION_MODEL_FIRST_TOUCH).won_revenue().minor_units(), 90'000);
  EXPECT_EQ(Figures("A", v1::ATTRIBUTION_MODEL_LAST_TOUCH).won_revenue().minor_units(), 0);
  EXPECT_EQ(Figures("B", v1::ATTRIBUTION_MODEL_LAST_TOUCH).won_revenue().minor_units(), 90'000);
  EXPECT_EQ(Figures("A", v1::ATTRIBUTION_MODEL_LINEAR).won_revenue().minor_units(), 45'000);
  EXPECT_EQ(Figures("B", v1::ATTRIBUTION_MODEL_LINEAR).won_revenue().minor_units(), 45'000);
  EXPECT_EQ(Figures("C", v1::ATTRIBUTION_MODEL_LINEAR).influenced_pipeline().minor_units(), 0);
  EXPECT_EQ(Figures("A", v1::ATTRIBUTION_MODEL_LINEAR).win_rate_ppm(), 1'000'000);
}

TEST_F(AttributionTest, ACreditFoldedTwiceCountsOnce) {
  TwoContactsThreeCampaignTouchesAndTwoDeals();
  const auto figures = Figures("B", v1::ATTRIBUTION_MODEL_LINEAR).SerializeAsString();
  const auto announced = announced_.size();
  for (const auto& credit : std::vector<v1::Event>(credits_)) Fold(credit);
  EXPECT_EQ(Figures("B", v1::ATTRIBUTION_MODEL_LINEAR).SerializeAsString(), figures);
  EXPECT_EQ(announced_.size(), announced);
}

TEST_F(AttributionTest, CreditsUnderOtherRulesCountNoMore) {
  TwoContactsThreeCampaignTouchesAndTwoDeals();
  const auto old_credits = credits_;
  // The rules change; the history is folded again into a fresh state,
  // where the old credits are still in the topic.
  rules_.attribution.window_ms = 2 * kDay;
  state_ = MemoryState();
  credits_.clear();
  for (const auto& credit : old_credits) Fold(credit);
  EXPECT_FALSE(state_.Get(fold::Table::kEffectiveness, "A"));
  TwoContactsThreeCampaignTouchesAndTwoDeals();
  for (const auto& credit : credits_)
    for (const auto& old : old_credits) EXPECT_NE(credit.event_id(), old.event_id());
  // Within two days before d1 (day 4): B's click on day 2 and A's form on
  // day 3; A's open on day 1 is too early. B is the first touch now.
  EXPECT_EQ(Figures("A", v1::ATTRIBUTION_MODEL_FIRST_TOUCH).won_revenue().minor_units(), 0);
  EXPECT_EQ(Figures("B", v1::ATTRIBUTION_MODEL_FIRST_TOUCH).won_revenue().minor_units(), 90'000);
  EXPECT_EQ(Figures("A", v1::ATTRIBUTION_MODEL_LINEAR).won_revenue().minor_units(), 45'000);
}

TEST_F(AttributionTest, TouchesOutsideTheWindowAndOtherCurrenciesGetNoCredit) {
  rules_.attribution.window_ms = 30 * kDay;
  Fold(Contact({.record = "m1", .email = "anna@corp.de"}));
  Fold(Touch("o1", kT0, "anna@corp.de", "old", v1::ENGAGEMENT_KIND_OPENED));
  Fold(Touch("o2", kT0 + 40 * kDay, "anna@corp.de", "new", v1::ENGAGEMENT_KIND_OPENED));
  Fold(Deal("d1", 1, kT0 + 45 * kDay, "anna@corp.de", v1::DEAL_STAGE_PROPOSAL, 10'000));
  EXPECT_EQ(Figures("new", v1::ATTRIBUTION_MODEL_LINEAR).influenced_pipeline().minor_units(),
            10'000);
  EXPECT_EQ(Figures("old", v1::ATTRIBUTION_MODEL_LINEAR).influenced_pipeline().minor_units(), 0);

  auto dollars = Deal("d2", 1, kT0 + 46 * kDay, "anna@corp.de", v1::DEAL_STAGE_CLOSED_WON, 99'000);
  dollars.mutable_deal_upserted()->mutable_amount()->set_currency("USD");
  Fold(dollars);
  EXPECT_EQ(Figures("new", v1::ATTRIBUTION_MODEL_LINEAR).won_revenue().minor_units(), 0);
  EXPECT_EQ(Figures("new", v1::ATTRIBUTION_MODEL_LINEAR).win_rate_ppm(), 0);
}

TEST_F(AttributionTest, ADealsOwnCampaignIsATouchAtItsCreation) {
  Fold(Contact({.record = "m1", .email = "anna@corp.de"}));
  auto deal = Deal("d1", 1, kT0 + kDay, "anna@corp.de", v1::DEAL_STAGE_CLOSED_WON, 30'000);
  deal.mutable_deal_upserted()->set_campaign_id("trade-fair");
  Fold(deal);
  auto figures = Figures("trade-fair", v1::ATTRIBUTION_MODEL_LAST_TOUCH);
  EXPECT_EQ(figures.touched_contacts(), 1);
  EXPECT_EQ(figures.won_revenue().minor_units(), 30'000);
}

TEST_F(AttributionTest, ContactsTouchedTwiceCountOnceWhenTheyMerge) {
  Fold(Contact({.record = "m1", .email = "anna@corp.de"}));
  Fold(Touch("o1", kT0, "anna@corp.de", "A", v1::ENGAGEMENT_KIND_OPENED));
  Fold(Contact({.system = "crm", .record = "k1", .email = "a.schmidt@corp.de"}));
  Fold(Touch("o2", kT0, "a.schmidt@corp.de", "A", v1::ENGAGEMENT_KIND_CLICKED));
  EXPECT_EQ(Effect("A").touched_contacts(), 2);
  Fold(Contact({.system = "crm",
                .record = "k1",
                .version = 2,
                .at_ms = kT0 + kMinute,
                .email = "a.schmidt@corp.de",
                .linked = {"marketing:m1"}}));
  EXPECT_EQ(Effect("A").touched_contacts(), 1);
}

}  // namespace
}  // namespace accord::feedback
