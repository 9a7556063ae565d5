// The feedback fold notes the score updates, handovers and reactivation
// candidates it emits on the customer's timeline, for its audit.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/feedback/emit.h"
#include "domain/feedback/score.h"
#include "domain/feedback/testing/feedback_testing.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"
#include "domain/fold/testing/fold_testing.h"

namespace accord::feedback {
namespace {

using namespace fold::test_support;
using state::v1::TimelineEntry;
using test_support::FoldAsFeedbackService;

constexpr int64_t kDay = 86'400'000;

class TimelineNotesTest : public ::testing::Test {
 protected:
  TimelineNotesTest() {
    rules_.score.engagement = {{v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED, 15},
                               {v1::ENGAGEMENT_KIND_FORM_SUBMITTED, 10}};
    rules_.score.fit = {
        {.field = "company", .match = FitRule::Match::kContains, .values = {"gmbh"}, .points = 20}};
    rules_.handover = {
        .min_score = 40, .min_fit = 10, .min_engagement = 20, .engagement_window_ms = 30 * kDay};
  }

  std::vector<v1::Event> Fold(const v1::Event& event) {
    return FoldAsFeedbackService(state_, event, rules_).emitted;
  }

  std::string Anna() const {
    return state_.Get(fold::Table::kIdentity, "email:anna@corp.de").value();
  }
  uint64_t Length() const { return fold::LoadCustomer(state_, Anna())->timeline_length(); }
  TimelineEntry Entry(uint64_t sequence) const {
    const std::string key = fold::TimelineKey(Anna(), sequence);
    return fold::DecodeState<TimelineEntry>(state_.Get(fold::Table::kTimeline, key).value(),
                                            fold::Table::kTimeline, key);
  }

  FeedbackRules rules_;
  MemoryState state_;
};

TEST_F(TimelineNotesTest, ScoreAndHandoverGoOnTheEntryOfTheEventThatCausedThem) {
  Fold(Contact({.record = "m1", .email = "anna@corp.de", .company = "Corp GmbH"}));
  Fold(Engagement("w1", kT0, "anna@corp.de", "spring", v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED));
  auto emitted = Fold(
      Engagement("f1", kT0 + kDay, "anna@corp.de", "spring", v1::ENGAGEMENT_KIND_FORM_SUBMITTED));
  ASSERT_EQ(emitted.size(), 2u);
  ASSERT_TRUE(emitted[1].has_lead_qualified());

  // No entry of its own: the form's entry carries both.
  ASSERT_EQ(Length(), 3u);
  TimelineEntry entry = Entry(2);
  EXPECT_EQ(entry.source_record_id(), "f1");
  ASSERT_EQ(entry.feedback_size(), 2);
  EXPECT_EQ(entry.feedback(0).event_id(), emitted[0].event_id());
  EXPECT_EQ(entry.feedback(0).score_updated().score(), emitted[0].score_updated().score());
  EXPECT_EQ(entry.feedback(0).score_updated().components_size(),
            emitted[0].score_updated().components_size());
  EXPECT_EQ(entry.feedback(1).event_id(), emitted[1].event_id());
  EXPECT_THAT(entry.feedback(1).lead_qualified().reasons(),
              ::testing::ElementsAreArray(emitted[1].lead_qualified().reasons()));
  // Earlier entries keep their own: the fit of the new contact, then the
  // webinar's 15 points.
  ASSERT_EQ(Entry(0).feedback_size(), 1);
  EXPECT_EQ(Entry(0).feedback(0).score_updated().score(), 20);
  ASSERT_EQ(Entry(1).feedback_size(), 1);
  EXPECT_EQ(Entry(1).feedback(0).score_updated().score(), 35);
}

TEST_F(TimelineNotesTest, ATickThatAnnouncesReactivationGetsAnEntryOfItsOwn) {
  Fold(Contact({.record = "m1", .email = "anna@corp.de"}));
  for (int i = 0; i < 3; ++i)
    Fold(Order("o" + std::to_string(i), kT0 + i * 30 * kDay, "anna@corp.de", 20'000));
  const uint64_t before = Length();
  auto announced = Fold(MakeTick(0, kT0 + 106 * kDay));
  ASSERT_EQ(announced.size(), 1u);

  ASSERT_EQ(Length(), before + 1);
  TimelineEntry tick = Entry(before);
  EXPECT_EQ(tick.kind(), "tick");
  EXPECT_EQ(tick.occurred_at_ms(), kT0 + 106 * kDay);
  ASSERT_EQ(tick.feedback_size(), 1);
  EXPECT_EQ(tick.feedback(0).event_id(), announced[0].event_id());
  EXPECT_EQ(tick.feedback(0).reactivation_candidate().days_since_last_purchase(), 46);
  // The projection's next entry follows it.
  Fold(Order("o9", kT0 + 107 * kDay, "anna@corp.de", 20'000));
  EXPECT_EQ(Length(), before + 2);
  EXPECT_EQ(Entry(before + 1).source_record_id(), "o9");
}

}  // namespace
}  // namespace accord::feedback
