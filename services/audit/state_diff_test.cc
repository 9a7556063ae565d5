#include "services/audit/state_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/api/testing/state_builder.h"

namespace accord::audit {
namespace {

using namespace accord::api::testing;

class StateDiffTest : public ::testing::Test {
 protected:
  std::vector<Difference> Diff(StateBuilder& a, StateBuilder& b) {
    return DiffStates(query::StateQuery(a.store()), query::StateQuery(b.store()));
  }

  TempDir dir_;
  StateBuilder a_{dir_.Sub("a")};
  StateBuilder b_{dir_.Sub("b")};
};

TEST_F(StateDiffTest, TheSameHistoryInOtherShardsIsEqual) {
  const auto anna = Contact({.record = "m1", .email = "anna@firma.de", .last_name = "Müller"});
  const auto bernd = Contact({.record = "m2", .email = "bernd@firma.de"});
  const auto deal = Deal("D-1", 1, kT0, "anna@firma.de", v1::DEAL_STAGE_PROPOSAL, 1000);
  a_.Fold("events", 0, {anna, deal, bernd});
  b_.Fold("events", 1, {anna, deal});
  b_.Fold("events", 2, {bernd});
  EXPECT_TRUE(Diff(a_, b_).empty());
}

TEST_F(StateDiffTest, FieldsDealsAndCustomersThatDifferAreListed) {
  const auto anna = Contact({.record = "m1", .email = "anna@firma.de", .last_name = "Müller"});
  a_.Fold("events", 0, {anna, Deal("D-1", 1, kT0, "anna@firma.de", v1::DEAL_STAGE_PROPOSAL, 1000)});
  b_.Fold("events", 0,
          {anna,
           Contact({.record = "m1",
                    .version = 2,
                    .at_ms = kT0 + kMinute,
                    .email = "anna@firma.de",
                    .last_name = "Meier"}),
           Deal("D-1", 2, kT0, "anna@firma.de", v1::DEAL_STAGE_CLOSED_WON, 1000),
           Contact({.record = "m2", .email = "bernd@firma.de"})});
  const auto differences = Diff(a_, b_);
  auto find = [&](const std::string& field) -> const Difference* {
    for (const auto& difference : differences)
      if (difference.field == field) return &difference;
    return nullptr;
  };
  const auto* name = find("last_name");
  ASSERT_NE(name, nullptr);
  EXPECT_THAT(name->subject, ::testing::StartsWith("customer c"));
  EXPECT_EQ(name->a, "Müller");
  EXPECT_EQ(name->b, "Meier");
  const auto* stage = find("stage");
  ASSERT_NE(stage, nullptr);
  EXPECT_EQ(stage->subject, "deal crm:D-1");
  EXPECT_EQ(stage->a, "proposal");
  EXPECT_EQ(stage->b, "closed_won");
  const auto* bernd = find("(record)");
  ASSERT_NE(bernd, nullptr);
  EXPECT_EQ(bernd->a, "(none)");
  EXPECT_EQ(bernd->b, "present");
  EXPECT_NE(find("events_applied"), nullptr);
  // Two customers in B's funnel, one in A's.
  EXPECT_TRUE(std::any_of(differences.begin(), differences.end(),
                          [](const Difference& d) { return d.subject == "funnel"; }));
}

}  // namespace
}  // namespace accord::audit
