// A customer's score follows it when the projection moves it to another
// shard: over a simulated cluster, with partitions read in random order.
#include <gtest/gtest.h>

#include "domain/feedback/score.h"
#include "domain/fold/testing/cluster.h"

namespace accord::feedback {
namespace {

using namespace fold::test_support;

constexpr int kPartitions = 4;

TEST(ScoreAcrossPartitions, AMovedCustomersScoreJoinsItsSurvivor) {
  FeedbackRules rules;
  rules.score.engagement = {{v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED, 15},
                            {v1::ENGAGEMENT_KIND_FORM_SUBMITTED, 10}};
  rules.score.step = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("delivery order " + std::to_string(seed));
    Cluster cluster(kPartitions, seed);
    std::vector<v1::Event> emitted;
    cluster.SetFeedbackFold(
        [&](MemoryState& shard, const v1::Event& event, const fold::Outcome& outcome) {
          if (!TakesEvent(outcome, event)) return;
          auto scored = ApplyFeedback(shard, event, outcome.customer_id, rules);
          shard.Write(scored.changes);
          for (auto& one : scored.emitted) emitted.push_back(std::move(one));
          for (const auto& one : scored.internal) cluster.Publish(one);
          for (const auto& one : scored.broadcast) cluster.PublishToEveryPartition(one);
        });
    // The marketing record and the CRM record of one person, under two
    // addresses in two partitions, each with engagement of its own.
    const std::string marketing_email = "anna@firma.de";
    std::string crm_email;
    for (int i = 0;; ++i) {
      crm_email = "a.mueller" + std::to_string(i) + "@firma.de";
      if (cluster.PartitionOf("email:" + crm_email) !=
          cluster.PartitionOf("email:" + marketing_email))
        break;
    }
    cluster.Publish(Contact({.record = "m1", .email = marketing_email}));
    cluster.Publish(
        Engagement("w1", kT0, marketing_email, "spring", v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED));
    cluster.Publish(Contact({.system = "crm", .record = "k1", .email = crm_email}));
    cluster.Publish(Engagement("f1", kT0, crm_email, "spring", v1::ENGAGEMENT_KIND_FORM_SUBMITTED));
    cluster.Drain();
    // The CRM learns its contact is the marketing one.
    cluster.Publish(Contact({.system = "crm",
                             .record = "k1",
                             .version = 2,
                             .at_ms = kT0,
                             .email = crm_email,
                             .linked = {"marketing:m1"}}));
    cluster.Drain();

    auto found = cluster.Find("email:" + marketing_email);
    ASSERT_TRUE(found);
    // One score for the person, where the survivor lives: both engagements.
    size_t scores = 0;
    for (int p = 0; p < kPartitions; ++p)
      scores += cluster.shard(p).Rows(fold::Table::kScores).size();
    EXPECT_EQ(scores, 1u);
    auto bytes =
        cluster.shard(found->partition).Get(fold::Table::kScores, found->customer.customer_id());
    ASSERT_TRUE(bytes);
    auto score = fold::DecodeState<state::v1::ScoreState>(*bytes, fold::Table::kScores, "survivor");
    EXPECT_EQ(score.engagement(), 25);
    EXPECT_EQ(score.score(), 25);
    const v1::ScoreUpdated* last = nullptr;
    for (const auto& event : emitted)
      if (event.has_score_updated()) last = &event.score_updated();
    ASSERT_NE(last, nullptr);
    EXPECT_EQ(last->score(), 25);
    // The campaign touched both records: one contact.
    for (int p = 0; p < kPartitions; ++p) {
      auto effect = cluster.shard(p).Get(fold::Table::kEffectiveness, "spring");
      if (!effect) continue;
      EXPECT_EQ(fold::DecodeState<state::v1::CampaignEffect>(*effect, fold::Table::kEffectiveness,
                                                             "spring")
                    .touched_contacts(),
                1);
    }
  }
}

}  // namespace
}  // namespace accord::feedback
