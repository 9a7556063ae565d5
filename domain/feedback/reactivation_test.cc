#include "domain/feedback/reactivation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/feedback/emit.h"
#include "domain/feedback/testing/feedback_testing.h"
#include "domain/fold/fold.h"
#include "domain/fold/testing/fold_testing.h"

namespace accord::feedback {
namespace {

using ::testing::ElementsAre;
using namespace fold::test_support;
using test_support::FoldAsFeedbackService;

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kHour = 3'600'000;

class ReactivationTest : public ::testing::Test {
 protected:
  // Folds as the feedback service does; returns the candidates announced.
  std::vector<v1::Event> Fold(const v1::Event& event) {
    std::vector<v1::Event> candidates;
    for (const auto& emitted : FoldAsFeedbackService(state_, event, rules_).emitted)
      if (emitted.has_reactivation_candidate()) candidates.push_back(emitted);
    return candidates;
  }
  std::vector<v1::Event> Tick(int64_t at_ms) { return Fold(MakeTick(0, at_ms)); }

  // Anna orders every 30 days, three times: due 45 days after the last.
  void AnnaBuysThreeTimes() {
    Fold(Contact({.record = "m1", .email = "anna@corp.de"}));
    Fold(Order("o1", kT0, "anna@corp.de", 20'000));
    Fold(Order("o2", kT0 + 30 * kDay, "anna@corp.de", 20'000));
    Fold(Order("o3", kT0 + 60 * kDay, "anna@corp.de", 20'000));
  }

  FeedbackRules rules_;
  MemoryState state_;
};

TEST_F(ReactivationTest, ACustomerPastItsUsualIntervalIsAnnouncedOnceWithRfmScores) {
  AnnaBuysThreeTimes();
  // Bert bought once: no usual interval, never due.
  Fold(Contact({.record = "m2", .email = "bert@corp.de"}));
  Fold(Order("o4", kT0, "bert@corp.de", 90'000));
  EXPECT_TRUE(Tick(kT0 + 104 * kDay).empty());

  auto announced = Tick(kT0 + 106 * kDay);
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_EQ(announced[0].customer_key(), "email:anna@corp.de");
  const auto& candidate = announced[0].reactivation_candidate();
  EXPECT_EQ(candidate.days_since_last_purchase(), 46);
  EXPECT_EQ(candidate.usual_interval_days(), 30);
  EXPECT_EQ(candidate.recency(), 4);    // 46 days: within 90
  EXPECT_EQ(candidate.frequency(), 3);  // 3 purchases: at least 3
  EXPECT_EQ(candidate.monetary(), 3);   // 600.00: at least 500.00
  EXPECT_THAT(candidate.reasons(),
              ElementsAre("no purchase for 46 days, usually one every 30 days (3 purchases)"));

  EXPECT_TRUE(Tick(kT0 + 107 * kDay).empty());
  EXPECT_TRUE(Tick(kT0 + 300 * kDay).empty());
}

TEST_F(ReactivationTest, ComplaintsAndOpenTicketsAreNamedAsReasons) {
  AnnaBuysThreeTimes();
  Fold(Ticket("t1", 1, kT0 + 90 * kDay, "anna@corp.de", v1::TICKET_STATUS_OPEN, true));
  auto announced = Tick(kT0 + 106 * kDay);
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_THAT(announced[0].reactivation_candidate().reasons(),
              ElementsAre("no purchase for 46 days, usually one every 30 days (3 purchases)",
                          "complained 16 days ago", "open support ticket t1"));
}

TEST_F(ReactivationTest, APurchaseAnswersTheAnnouncementAndMovesTheDueDay) {
  AnnaBuysThreeTimes();
  ASSERT_EQ(Tick(kT0 + 106 * kDay).size(), 1u);
  // Bought again on day 110: every 36 2/3 days now, due 55 days later.
  Fold(Order("o5", kT0 + 110 * kDay, "anna@corp.de", 20'000));
  EXPECT_TRUE(Tick(kT0 + 164 * kDay).empty());
  auto again = Tick(kT0 + 166 * kDay);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].reactivation_candidate().days_since_last_purchase(), 56);
  EXPECT_EQ(again[0].reactivation_candidate().usual_interval_days(), 36);
}

TEST_F(ReactivationTest, AWonDealIsAPurchase) {
  Fold(Contact({.record = "m1", .email = "anna@corp.de"}));
  Fold(Order("o1", kT0, "anna@corp.de", 20'000));
  Fold(Deal("d1", 1, kT0 + 20 * kDay, "anna@corp.de", v1::DEAL_STAGE_NEGOTIATION, 50'000));
  Fold(Deal("d1", 2, kT0 + 40 * kDay, "anna@corp.de", v1::DEAL_STAGE_CLOSED_WON, 50'000));
  // A later version of the won deal is no second purchase.
  Fold(Deal("d1", 3, kT0 + 41 * kDay, "anna@corp.de", v1::DEAL_STAGE_CLOSED_WON, 50'000));
  EXPECT_TRUE(Tick(kT0 + 99 * kDay).empty());
  auto announced = Tick(kT0 + 101 * kDay);
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_EQ(announced[0].reactivation_candidate().usual_interval_days(), 40);
}

TEST_F(ReactivationTest, ATickFoldedTwiceOrLateChangesNothing) {
  AnnaBuysThreeTimes();
  auto tick = MakeTick(0, kT0 + 106 * kDay);
  ASSERT_EQ(Fold(tick).size(), 1u);
  const auto scores = state_.Rows(fold::Table::kScores);
  EXPECT_TRUE(Fold(tick).empty());
  EXPECT_TRUE(Tick(kT0 + 100 * kDay).empty());
  EXPECT_EQ(state_.Rows(fold::Table::kScores), scores);
}

TEST_F(ReactivationTest, HourlyTicksAnnounceACustomerDueLaterThatDay) {
  Fold(Contact({.record = "m1", .email = "anna@corp.de"}));
  Fold(Order("o1", kT0, "anna@corp.de", 20'000));
  Fold(Order("o2", kT0 + 30 * kDay, "anna@corp.de", 20'000));
  // Due 45 days after the last order, at 09:30 like the orders.
  const int64_t due = kT0 + 75 * kDay;
  const int64_t midnight = due / kDay * kDay;
  EXPECT_TRUE(Tick(midnight).empty());
  EXPECT_TRUE(Tick(midnight + 9 * kHour).empty());
  EXPECT_EQ(Tick(midnight + 10 * kHour).size(), 1u);
  EXPECT_TRUE(Tick(midnight + 11 * kHour).empty());
}

TEST_F(ReactivationTest, ACustomerOverdueBeforeTheFirstTickIsAnnouncedByIt) {
  AnnaBuysThreeTimes();
  auto announced = Tick(kT0 + 400 * kDay);
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_EQ(announced[0].reactivation_candidate().recency(), 2);  // 340 days: within 365
}

}  // namespace
}  // namespace accord::feedback
