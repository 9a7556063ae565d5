#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "domain/feedback/emit.h"
#include "services/api/routes.h"
#include "services/api/testing/state_builder.h"
#include "services/query/state_query.h"

namespace accord::api {
namespace {

using namespace accord::api::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr int64_t kDay = 86'400'000;

// A feedback service's state: on events/0 Anna is touched by "spring" and
// wins a deal of 9,000.00 EUR, Bert is touched by "spring" and "autumn" and
// loses one of 5,000.00 EUR; Anna orders every 30 days three times and a
// tick 46 days after her last order finds her overdue. The campaigns'
// credits are folded on events/1, as Kafka would deliver them.
class FeedbackRoutesTest : public ::testing::Test {
 protected:
  FeedbackRoutesTest() : builder_(dir_.Sub("feedback"), feedback::FeedbackRules()) {
    builder_.Fold("campaigns", 0, {Campaign("spring", 1, kT0, "Spring 2025")});
    builder_.Fold(
        "events", 0,
        {Contact({.record = "m1", .email = "anna@firma.de"}),
         Contact({.record = "m2", .email = "bernd@firma.de"}),
         Engagement("e1", kT0, "anna@firma.de", "spring", v1::ENGAGEMENT_KIND_CLICKED),
         Engagement("e2", kT0, "bernd@firma.de", "autumn", v1::ENGAGEMENT_KIND_OPENED),
         Engagement("e3", kT0 + kDay, "bernd@firma.de", "spring", v1::ENGAGEMENT_KIND_OPENED),
         Deal("D-1", 1, kT0 + 2 * kDay, "anna@firma.de", v1::DEAL_STAGE_CLOSED_WON, 900'000),
         Deal("D-2", 1, kT0 + 2 * kDay, "bernd@firma.de", v1::DEAL_STAGE_CLOSED_LOST, 500'000),
         Order("o1", kT0, "anna@firma.de", 10'000),
         Order("o2", kT0 + 30 * kDay, "anna@firma.de", 10'000),
         Order("o3", kT0 + 60 * kDay, "anna@firma.de", 10'000),
         feedback::MakeTick(0, kT0 + 106 * kDay)});
    builder_.Fold("events", 1, builder_.TakeInternal());
    query::StateQuery query(builder_.store());
    anna_ = query.ByIdentity("email:anna@firma.de")->state.customer_id();
  }

  Json Expect(int status, std::string_view path, const Params& params = {}) {
    Response response = routes_.Get(path, params);
    EXPECT_EQ(response.status, status) << path << ": " << response.body;
    return Json::parse(response.body);
  }

  TempDir dir_;
  StateBuilder builder_;
  metrics::Registry registry_;
  Routes routes_{builder_.store(), [] { return true; }, registry_};
  std::string anna_;
};

TEST_F(FeedbackRoutesTest, CampaignsAreRankedByTheirIndexUnderTheChosenModel) {
  // First touch: D-1 (won) is spring's, D-2 (lost) is autumn's.
  Json first = Expect(200, "/v1/campaigns", {{"model", "first_touch"}});
  EXPECT_EQ(first["model"], "first_touch");
  ASSERT_EQ(first["campaigns"].size(), 2u);
  EXPECT_EQ(first["campaigns"][0]["rank"], 1);
  EXPECT_EQ(first["campaigns"][0]["campaign_id"], "spring");
  EXPECT_EQ(first["campaigns"][0]["name"], "Spring 2025");
  EXPECT_EQ(first["campaigns"][0]["touched_contacts"], 2);
  EXPECT_EQ(first["campaigns"][0]["won_revenue"]["amount"], 9000.0);
  EXPECT_EQ(first["campaigns"][0]["win_rate_ppm"], 1'000'000);
  // 9,000.00 won over two contacts touched.
  EXPECT_EQ(first["campaigns"][0]["effectiveness_index"], 450'000);
  EXPECT_EQ(first["campaigns"][1]["campaign_id"], "autumn");
  EXPECT_EQ(first["campaigns"][1]["name"], nullptr);
  EXPECT_EQ(first["campaigns"][1]["effectiveness_index"], 0);

  // Linear is the default: D-2 splits between autumn and spring.
  Json linear = Expect(200, "/v1/campaigns", {{"limit", "1"}});
  EXPECT_EQ(linear["model"], "linear");
  EXPECT_EQ(linear["campaigns_ranked"], 2);
  ASSERT_EQ(linear["campaigns"].size(), 1u);
  EXPECT_EQ(linear["campaigns"][0]["influenced_pipeline"]["amount"], 11500.0);
  EXPECT_EQ(linear["campaigns"][0]["win_rate_ppm"], 666'666);
}

TEST_F(FeedbackRoutesTest, ACampaignShowsItsEffectivenessUnderEveryModel) {
  Json spring = Expect(200, "/v1/campaigns/spring");
  EXPECT_EQ(spring["name"], "Spring 2025");
  ASSERT_EQ(spring["effectiveness"].size(), 3u);
  EXPECT_EQ(spring["effectiveness"][0]["model"], "first_touch");
  EXPECT_EQ(spring["effectiveness"][1]["model"], "last_touch");
  EXPECT_EQ(spring["effectiveness"][2]["model"], "linear");
  // Never defined: its figures come from the credits of its touches.
  Json autumn = Expect(200, "/v1/campaigns/autumn");
  EXPECT_EQ(autumn["defined"], false);
  EXPECT_EQ(autumn["effectiveness"][0]["influenced_pipeline"]["amount"], 5000.0);
}

TEST_F(FeedbackRoutesTest, TheReactivationListNamesTheOverdueCustomers) {
  Json body = Expect(200, "/v1/reactivation");
  EXPECT_EQ(body["candidates_total"], 1);
  ASSERT_EQ(body["candidates"].size(), 1u);
  const auto& anna = body["candidates"][0];
  EXPECT_EQ(anna["customer_id"], anna_);
  EXPECT_EQ(anna["email"], "anna@firma.de");
  EXPECT_EQ(anna["purchases"], 4);  // three orders and the won deal
  EXPECT_EQ(anna["days_since_last_purchase"], 46);
  EXPECT_THAT(anna["reasons"][0].get<std::string>(), HasSubstr("no purchase for 46 days"));
  Json score = Expect(200, "/v1/customers/" + anna_ + "/score");
  EXPECT_EQ(score["reactivation"]["days_since_last_purchase"], 46);
}

TEST_F(FeedbackRoutesTest, BadParametersAre400) {
  Json bad = Expect(400, "/v1/campaigns", {{"model", "u_shaped"}});
  EXPECT_THAT(
      bad["error"].get<std::string>(),
      HasSubstr("unknown attribution model \"u_shaped\" (first_touch, last_touch, linear)"));
  EXPECT_THAT(Expect(400, "/v1/reactivation", {{"limit", "0"}})["error"].get<std::string>(),
              HasSubstr("\"limit\" must be a positive integer"));
  EXPECT_THAT(Expect(400, "/v1/reactivation", {{"since", "x"}})["error"].get<std::string>(),
              HasSubstr("unknown parameter \"since\""));
}

}  // namespace
}  // namespace accord::api
