#include "domain/feedback/score.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "domain/feedback/testing/feedback_testing.h"
#include "domain/fold/fold.h"
#include "domain/fold/testing/fold_testing.h"

namespace accord::feedback {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace fold::test_support;
using test_support::FoldAsFeedbackService;

constexpr int64_t kDay = 86'400'000;

v1::Event Rejection(std::string_view record, int64_t at_ms, std::string_view email,
                    std::string_view reason) {
  v1::Event event;
  event.mutable_lead_decision()->set_accepted(false);
  event.mutable_lead_decision()->set_reason_code(std::string(reason));
  event.set_customer_key(*events::EmailIdentityKey(email));
  return Finish(std::move(event), "crm", record, 1, at_ms);
}

class ScoreTest : public ::testing::Test {
 protected:
  ScoreTest() {
    rules_.score.half_life_ms = 10 * kDay;
    rules_.score.step = 5;
    rules_.score.engagement = {{v1::ENGAGEMENT_KIND_OPENED, 1},
                               {v1::ENGAGEMENT_KIND_CLICKED, 3},
                               {v1::ENGAGEMENT_KIND_FORM_SUBMITTED, 10},
                               {v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED, 15}};
    rules_.score.lead_rejected = {{"default", -20}, {"no_budget", -10}};
    rules_.score.fit = {
        {.field = "company", .match = FitRule::Match::kContains, .values = {"gmbh"}, .points = 15},
        {.field = "email", .match = FitRule::Match::kIn, .values = {"corp.de"}, .points = 5}};
    rules_.handover = {
        .min_score = 40, .min_fit = 10, .min_engagement = 20, .engagement_window_ms = 30 * kDay};
  }

  std::vector<v1::Event> Fold(const v1::Event& event) {
    auto outcome = FoldAsFeedbackService(state_, event, rules_);
    for (const auto& emitted : outcome.emitted) {
      EXPECT_EQ(emitted.causation_id(), event.event_id());
      ids_.push_back(emitted.event_id());
    }
    // Account profiles go to every shard; this state is the only one.
    auto emitted = outcome.emitted;
    for (const auto& broadcast : outcome.broadcast) {
      EXPECT_EQ(events::ValidateEvent(broadcast), "") << broadcast.ShortDebugString();
      for (auto& rescored : Fold(broadcast)) emitted.push_back(std::move(rescored));
    }
    return emitted;
  }

  static v1::Event Anna(int64_t at_ms = kT0, v1::LifecycleStage stage = v1::LIFECYCLE_STAGE_LEAD) {
    return Contact(
        {.at_ms = at_ms, .email = "anna@corp.de", .company = "Corp GmbH", .stage = stage});
  }
  static v1::Event Engaged(std::string_view record, int64_t at_ms, v1::EngagementKind kind) {
    return Engagement(record, at_ms, "anna@corp.de", "spring", kind);
  }

  FeedbackRules rules_;
  MemoryState state_;
  std::vector<std::string> ids_;
};

TEST_F(ScoreTest, FitScoresTheCustomersFieldsWithTheirReasons) {
  auto emitted = Fold(Anna());
  ASSERT_EQ(emitted.size(), 1u);
  const auto& score = emitted[0].score_updated();
  EXPECT_EQ(score.score(), 20);
  EXPECT_EQ(score.fit(), 20);
  EXPECT_EQ(score.engagement(), 0);
  EXPECT_EQ(score.previous_score(), 0);
  ASSERT_GE(score.components_size(), 2);
  EXPECT_EQ(score.components(0).name(), "fit.company");
  EXPECT_EQ(score.components(0).reason(), "company \"corp gmbh\"");
  EXPECT_EQ(score.components(1).name(), "fit.email");
  EXPECT_EQ(emitted[0].customer_key(), "email:anna@corp.de");
  EXPECT_EQ(emitted[0].origin(), v1::ORIGIN_ACCORD);
}

TEST_F(ScoreTest, EngagementDecaysWithTheHalfLifeAndSmallMovesAreNotEmitted) {
  Fold(Anna());
  auto webinar = Fold(Engaged("w1", kT0, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED));
  ASSERT_EQ(webinar.size(), 1u);
  EXPECT_EQ(webinar[0].score_updated().score(), 35);
  EXPECT_EQ(webinar[0].score_updated().components().rbegin()->reason(),
            "+15 engagement.webinar_attended (campaign spring)");
  // One open moves the score by 1: not more than the step.
  EXPECT_TRUE(Fold(Engaged("o1", kT0 + kDay, v1::ENGAGEMENT_KIND_OPENED)).empty());
  // Twenty days later the webinar counts a quarter: 15/4 + 0.25 (the open) + 3.
  auto click = Fold(Engaged("c1", kT0 + 20 * kDay, v1::ENGAGEMENT_KIND_CLICKED));
  ASSERT_EQ(click.size(), 1u);
  EXPECT_EQ(click[0].score_updated().engagement(), 7);
  EXPECT_EQ(click[0].score_updated().score(), 27);
  EXPECT_EQ(click[0].score_updated().previous_score(), 35);
}

TEST_F(ScoreTest, ALateEngagementArrivesDecayed) {
  Fold(Anna());
  Fold(Engaged("c1", kT0 + 20 * kDay, v1::ENGAGEMENT_KIND_CLICKED));
  // A webinar from twenty days before the latest event counts a quarter:
  // 3 + 15/4.
  auto late = Fold(Engaged("w1", kT0, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].score_updated().engagement(), 7);
  EXPECT_EQ(late[0].score_updated().previous_score(), 20);
}

TEST_F(ScoreTest, QualifiedOnceThenRejectedThenQualifiedAgain) {
  Fold(Anna());
  Fold(Engaged("w1", kT0, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED));
  auto qualified = Fold(Engaged("f1", kT0 + kDay, v1::ENGAGEMENT_KIND_FORM_SUBMITTED));
  ASSERT_EQ(qualified.size(), 2u);
  ASSERT_TRUE(qualified[1].has_lead_qualified());
  EXPECT_EQ(qualified[1].lead_qualified().stage(), v1::LIFECYCLE_STAGE_MQL);
  EXPECT_THAT(
      qualified[1].lead_qualified().reasons(),
      ElementsAre("score 44 >= 40", "fit 20 >= 10", "engagement 25 in the last 30 days >= 20"));
  // Offered once per transition: more engagement raises the score only.
  for (const auto& event :
       Fold(Engaged("w2", kT0 + 2 * kDay, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED)))
    EXPECT_FALSE(event.has_lead_qualified());

  auto rejected = Fold(Rejection("r1", kT0 + 3 * kDay, "anna@corp.de", "no_budget"));
  ASSERT_EQ(rejected.size(), 1u);
  const auto& score = rejected[0].score_updated();
  EXPECT_LT(score.score(), score.previous_score());
  EXPECT_EQ(score.components().rbegin()->reason(), "-10 negative.lead_rejected (no_budget)");

  // Offered again only on engagement after the rejection.
  auto higher = Fold(Engaged("w3", kT0 + 4 * kDay, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED));
  ASSERT_EQ(higher.size(), 1u);
  EXPECT_GE(higher[0].score_updated().score(), rules_.handover.min_score);
  auto again = Fold(Engaged("f2", kT0 + 4 * kDay, v1::ENGAGEMENT_KIND_FORM_SUBMITTED));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_THAT(again[1].lead_qualified().reasons(),
              ::testing::Contains(HasSubstr("qualified again after 1 rejection(s)")));
}

TEST_F(ScoreTest, CustomersSalesAlreadyHasAreNotOfferedAgain) {
  Fold(Anna(kT0, v1::LIFECYCLE_STAGE_SQL));
  Fold(Engaged("w1", kT0, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED));
  for (const auto& event : Fold(Engaged("w2", kT0, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED)))
    EXPECT_FALSE(event.has_lead_qualified());
}

v1::Event Call(std::string_view record, int64_t at_ms, std::string_view email) {
  v1::Event event;
  event.mutable_activity_logged()->set_activity_id(std::string(record));
  event.mutable_activity_logged()->set_kind(v1::ACTIVITY_KIND_CALL);
  event.mutable_activity_logged()->set_outbound(true);
  event.set_customer_key(*events::EmailIdentityKey(email));
  return Finish(std::move(event), "crm", record, 1, at_ms);
}

TEST_F(ScoreTest, TooManyContactAttemptsFromBothSidesPauseContactOncePerPause) {
  rules_.pause = {.max_attempts = 3, .window_ms = 7 * kDay, .pause_ms = 14 * kDay};
  Fold(Anna());
  auto pauses = [&](const v1::Event& event) {
    std::vector<v1::ContactPause> found;
    for (const auto& emitted : Fold(event))
      if (emitted.has_contact_pause()) found.push_back(emitted.contact_pause());
    return found;
  };
  EXPECT_TRUE(pauses(Engaged("s1", kT0, v1::ENGAGEMENT_KIND_SENT)).empty());
  EXPECT_TRUE(pauses(Call("k1", kT0 + kDay, "anna@corp.de")).empty());
  // Opens are the customer's doing, not attempts to reach her.
  EXPECT_TRUE(pauses(Engaged("o1", kT0 + kDay, v1::ENGAGEMENT_KIND_OPENED)).empty());
  EXPECT_TRUE(pauses(Engaged("s2", kT0 + 2 * kDay, v1::ENGAGEMENT_KIND_SENT)).empty());
  auto pause = pauses(Call("k2", kT0 + 3 * kDay, "anna@corp.de"));
  ASSERT_EQ(pause.size(), 1u);
  EXPECT_EQ(pause[0].until_ms(), kT0 + 17 * kDay);
  EXPECT_EQ(pause[0].attempts(), 4);
  EXPECT_EQ(pause[0].window_days(), 7);
  EXPECT_EQ(pause[0].reason(),
            "4 contact attempts in 7 days (2 by marketing, 2 by sales), more than 3");
  // Announced once per pause.
  EXPECT_TRUE(pauses(Engaged("s3", kT0 + 4 * kDay, v1::ENGAGEMENT_KIND_SENT)).empty());
  // After the pause, attempts count anew: the old ones left the window.
  EXPECT_TRUE(pauses(Engaged("s4", kT0 + 20 * kDay, v1::ENGAGEMENT_KIND_SENT)).empty());
  EXPECT_TRUE(pauses(Engaged("s5", kT0 + 20 * kDay, v1::ENGAGEMENT_KIND_SENT)).empty());
  EXPECT_TRUE(pauses(Engaged("s6", kT0 + 21 * kDay, v1::ENGAGEMENT_KIND_SENT)).empty());
  EXPECT_EQ(pauses(Call("k3", kT0 + 21 * kDay, "anna@corp.de")).size(), 1u);
}

TEST_F(ScoreTest, MergedCustomersBringTheirScoresAlong) {
  Fold(Contact({.record = "m1", .email = "anna@corp.de", .company = "Corp GmbH"}));
  Fold(Engaged("w1", kT0, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED));
  Fold(Contact({.system = "crm", .record = "k1", .email = "a.schmidt@corp.de"}));
  Fold(Engagement("f1", kT0, "a.schmidt@corp.de", "spring", v1::ENGAGEMENT_KIND_FORM_SUBMITTED));
  ASSERT_EQ(state_.Rows(fold::Table::kScores).size(), 2u);
  // The CRM learns that its contact is the marketing one: one customer now.
  auto merged = Fold(Contact({.system = "crm",
                              .record = "k1",
                              .version = 2,
                              .at_ms = kT0 + kMinute,
                              .email = "a.schmidt@corp.de",
                              .linked = {"marketing:m1"}}));
  ASSERT_EQ(state_.Rows(fold::Table::kScores).size(), 1u);
  ASSERT_FALSE(merged.empty());
  EXPECT_EQ(merged[0].score_updated().engagement(), 25);
  // Both customers' engagement counts towards the handover: 15 + 10 >= 20.
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_TRUE(merged[1].has_lead_qualified());
}

TEST_F(ScoreTest, TheCompanysIndustryAndSizeScoreItsContacts) {
  rules_.score.fit.push_back(
      {.field = "industry", .match = FitRule::Match::kIn, .values = {"logistik"}, .points = 10});
  rules_.score.fit.push_back({.field = "employees",
                              .match = FitRule::Match::kRange,
                              .at_least = 50,
                              .below = 1000,
                              .points = 10});
  // The CRM's contact names its account before the account is known: the
  // company's name and the address's domain fit, 15 + 5.
  auto contact = Fold(Contact({.system = "crm",
                               .record = "k1",
                               .email = "anna@corp.de",
                               .company = "Corp GmbH",
                               .account_id = "001A"}));
  ASSERT_EQ(contact.size(), 1u);
  EXPECT_EQ(contact[0].score_updated().score(), 20);

  Fold(Contact({.system = "crm",
                .record = "k3",
                .email = "carla@corp.de",
                .company = "Corp GmbH",
                .account_id = "001A"}));
  auto known = Fold(Account({.id = "001A", .industry = "Logistik", .employees = 120}));
  // Both of its contacts are rescored.
  ASSERT_EQ(known.size(), 2u);
  std::set<std::string> keys;
  for (const auto& event : known) {
    keys.insert(event.customer_key());
    EXPECT_EQ(event.score_updated().score(), 40);
    EXPECT_EQ(event.score_updated().fit(), 40);
    EXPECT_EQ(event.score_updated().components().rbegin()->reason(),
              "+20 fit.account (crm:001A updated)");
  }
  EXPECT_EQ(keys, (std::set<std::string>{"email:anna@corp.de", "email:carla@corp.de"}));

  // The company shrinks below the range: -10, more than the step.
  auto shrunk = Fold(Account({.id = "001A", .version = 2, .at_ms = kT0 + kDay, .employees = 40}));
  ASSERT_EQ(shrunk.size(), 2u);
  EXPECT_EQ(shrunk[0].score_updated().score(), 30);

  // A contact who joins later is scored with the company at once.
  auto colleague = Fold(Contact({.system = "crm",
                                 .record = "k2",
                                 .at_ms = kT0 + 2 * kDay,
                                 .email = "bernd@corp.de",
                                 .company = "Corp GmbH",
                                 .account_id = "001A"}));
  ASSERT_EQ(colleague.size(), 1u);
  EXPECT_EQ(colleague[0].score_updated().fit(), 30);
}

TEST_F(ScoreTest, TheSameHistoryEmitsTheSameIds) {
  auto history = {Anna(), Engaged("w1", kT0, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED),
                  Engaged("f1", kT0 + kDay, v1::ENGAGEMENT_KIND_FORM_SUBMITTED),
                  Rejection("r1", kT0 + 3 * kDay, "anna@corp.de", "")};
  for (const auto& event : history) Fold(event);
  auto first = std::exchange(ids_, {});
  state_ = MemoryState();
  for (const auto& event : history) Fold(event);
  EXPECT_EQ(ids_, first);
  EXPECT_EQ(first.size(), 5u);
}

}  // namespace
}  // namespace accord::feedback
