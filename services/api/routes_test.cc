#include "services/api/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "services/api/testing/state_builder.h"
#include "services/query/state_query.h"

namespace accord::api {
namespace {

using namespace accord::api::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// Two event partitions and two campaign partitions, filled by the real fold:
//
// events/0: Anna, first known to marketing (m1) and, under another e-mail, to
//   the CRM (k1); a later CRM update links k1 to m1, which merges the
//   marketing customer into the CRM one (its home key, email:anna.mueller@...,
//   is the smaller). A deal (crm:D-1) for the marketing address arrives while
//   the two are still apart, so it names the customer that was merged away.
//   Carl has no lifecycle stage. Partition order differs from occurred-at
//   order.
// events/1: Bernd (mql) and Dora (lead), with engagements and a deal.
// campaigns/0 and /1: two definitions of "spring" (the newer wins) and one
//   of "autumn"; "ghost" is engaged with but never defined.
class RoutesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    builder_ = new StateBuilder(dir_->Sub("state"));
    builder_->Fold("events", 0,
                   {Contact({.record = "m1",
                             .at_ms = kT0,
                             .email = "anna@firma.de",
                             .last_name = "Müller",
                             .stage = v1::LIFECYCLE_STAGE_SUBSCRIBER}),
                    Contact({.record = "m1",
                             .version = 2,
                             .at_ms = kT0 + 2 * kMinute,
                             .email = "anna@firma.de",
                             .stage = v1::LIFECYCLE_STAGE_LEAD}),
                    Contact({.system = "crm",
                             .record = "k1",
                             .at_ms = kT0 + kMinute,
                             .email = "anna.mueller@firma.de",
                             .stage = v1::LIFECYCLE_STAGE_MQL})});
    // A second batch: later events see the first through the store.
    builder_->Fold(
        "events", 0,
        {Deal("D-1", 1, kT0 + 90'000, "anna@firma.de", v1::DEAL_STAGE_PROPOSAL, 1250000),
         Engagement("e1", kT0 + 3 * kMinute, "anna@firma.de", "spring", v1::ENGAGEMENT_KIND_OPENED),
         Contact({.system = "crm",
                  .record = "k1",
                  .version = 2,
                  .at_ms = kT0 + 5 * kMinute,
                  .email = "anna.mueller@firma.de",
                  .linked = {"marketing:m1"}}),
         Contact({.record = "m9", .email = "carl@firma.de"})});
    builder_->Fold(
        "events", 1,
        {Contact({.record = "m2", .email = "bernd@firma.de", .stage = v1::LIFECYCLE_STAGE_MQL}),
         Contact({.record = "m3", .email = "dora@firma.de", .stage = v1::LIFECYCLE_STAGE_LEAD}),
         Engagement("e2", kT0, "bernd@firma.de", "spring", v1::ENGAGEMENT_KIND_OPENED),
         Engagement("e3", kT0, "bernd@firma.de", "spring", v1::ENGAGEMENT_KIND_CLICKED),
         Engagement("e4", kT0, "dora@firma.de", "ghost", v1::ENGAGEMENT_KIND_SENT),
         Deal("D-2", 1, kT0, "bernd@firma.de", v1::DEAL_STAGE_CLOSED_WON, 990000)});
    // The same account in two shards: its newer version wins.
    builder_->Fold("events", 2, {Account("001A", 2, kT0 + kMinute, "Krüger & Lang", 48)});
    builder_->Fold("events", 3, {Account("001A", 1, kT0, "Krüger (alt)", 40)});
    builder_->Fold("campaigns", 0, {Campaign("spring", 2, kT0 + kMinute, "Spring 2025")});
    builder_->Fold(
        "campaigns", 1,
        {Campaign("spring", 1, kT0, "Spring (draft)"), Campaign("autumn", 1, kT0, "Autumn 2025")});
  }
  static void TearDownTestSuite() {
    delete builder_;
    delete dir_;
  }

  void SetUp() override {
    query::StateQuery query(builder_->store());
    auto anna = query.ByIdentity("email:anna@firma.de");
    ASSERT_TRUE(anna);
    anna_ = anna->state.customer_id();
    ASSERT_EQ(anna->state.merged_customer_ids_size(), 1);
    anna_merged_ = anna->state.merged_customer_ids(0);
  }

  Response Get(std::string_view path, const Params& params = {}) {
    return routes_.Get(path, params);
  }
  // The body as JSON, after checking status and content type.
  Json Expect(int status, std::string_view path, const Params& params = {}) {
    Response response = Get(path, params);
    EXPECT_EQ(response.status, status) << path << ": " << response.body;
    EXPECT_EQ(response.content_type, "application/json");
    return Json::parse(response.body);
  }
  void ExpectError(int status, std::string_view path, const Params& params,
                   const std::string& message_part) {
    Json body = Expect(status, path, params);
    ASSERT_TRUE(body.contains("error")) << body.dump();
    EXPECT_THAT(body["error"].get<std::string>(), HasSubstr(message_part));
  }

  static TempDir* dir_;
  static StateBuilder* builder_;
  bool ready_ = false;
  metrics::Registry registry_;
  Routes routes_{builder_->store(), [this] { return ready_; }, registry_};
  std::string anna_;
  std::string anna_merged_;
};

TempDir* RoutesTest::dir_ = nullptr;
StateBuilder* RoutesTest::builder_ = nullptr;

TEST_F(RoutesTest, CustomerByIdHasFieldsAndDeals) {
  Json body = Expect(200, "/v1/customers/" + anna_);
  EXPECT_EQ(body["id"], anna_);
  EXPECT_EQ(body["lifecycle_stage"], "lead");
  EXPECT_EQ(body["fields"]["last_name"]["value"], "Müller");
  EXPECT_EQ(body["fields"]["last_name"]["source"], "marketing:m1");
  EXPECT_EQ(body["merged_from"], Json::array({anna_merged_}));
  ASSERT_EQ(body["deals"].size(), 1u);
  EXPECT_EQ(body["deals"][0]["id"], "crm:D-1");
  // The deal was recorded for the marketing customer, since merged away.
  EXPECT_EQ(body["deals"][0]["customer_id"], anna_);
  EXPECT_EQ(body["deals"][0]["amount"]["amount"], 12500.0);
}

TEST_F(RoutesTest, MergedAwayIdAnswersWithTheSurvivor) {
  EXPECT_EQ(Expect(200, "/v1/customers/" + anna_merged_)["id"], anna_);
}

TEST_F(RoutesTest, UnknownCustomerIs404) {
  ExpectError(404, "/v1/customers/c000000000000000000000000", {}, "no customer with id");
}

TEST_F(RoutesTest, CustomerByEmailNormalisesTheAddress) {
  Json body = Expect(200, "/v1/customers", {{"email", "  Anna.Mueller@FIRMA.de "}});
  EXPECT_EQ(body["id"], anna_);
  EXPECT_EQ(body["deals"].size(), 1u);
}

TEST_F(RoutesTest, CustomerByEmailErrors) {
  ExpectError(400, "/v1/customers", {}, "missing parameter \"email\"");
  ExpectError(400, "/v1/customers", {{"email", ""}}, "not a usable e-mail address");
  ExpectError(400, "/v1/customers", {{"email", "not-an-address"}}, "not a usable e-mail address");
  ExpectError(400, "/v1/customers", {{"email", "test@example.com"}}, "placeholder or test");
  // What a '+' sent unencoded in a query string turns into.
  ExpectError(400, "/v1/customers", {{"email", "anna tag@firma.de"}}, "%2B");
  ExpectError(400, "/v1/customers", {{"email", "anna@firma.de"}, {"email", "dora@firma.de"}},
              "more than once");
  ExpectError(400, "/v1/customers", {{"mail", "anna@firma.de"}}, "unknown parameter \"mail\"");
  ExpectError(404, "/v1/customers", {{"email", "nobody@firma.de"}},
              "no customer with e-mail nobody@firma.de");
}

TEST_F(RoutesTest, TimelineIncludesMergedCustomersInOccurredOrder) {
  Json body = Expect(200, "/v1/customers/" + anna_ + "/timeline");
  EXPECT_EQ(body["customer_id"], anna_);
  EXPECT_EQ(body["merged_customer_ids"], Json::array({anna_merged_}));
  EXPECT_EQ(body["total"], 6);
  std::vector<std::string> sources, times, owners;
  for (const auto& entry : body["entries"]) {
    sources.push_back(entry["source"].get<std::string>() + "@" +
                      std::to_string(entry["version"].get<int>()));
    times.push_back(entry["occurred_at"]);
    owners.push_back(entry["customer_id"] == anna_ ? "survivor" : "merged");
  }
  EXPECT_THAT(sources, ElementsAre("marketing:m1@1", "crm:k1@1", "crm:D-1@1", "marketing:m1@2",
                                   "marketing:e1@1", "crm:k1@2"));
  EXPECT_THAT(times, ElementsAre("2025-03-14T09:30:00.000Z", "2025-03-14T09:31:00.000Z",
                                 "2025-03-14T09:31:30.000Z", "2025-03-14T09:32:00.000Z",
                                 "2025-03-14T09:33:00.000Z", "2025-03-14T09:35:00.000Z"));
  EXPECT_THAT(owners, ElementsAre("merged", "survivor", "merged", "merged", "merged", "survivor"));
  const Json& merge = body["entries"][5];
  EXPECT_EQ(merge["kind"], "customer_upserted");
  EXPECT_EQ(merge["merged_customer_ids"], Json::array({anna_merged_}));
  EXPECT_EQ(body["entries"][2]["kind"], "deal_upserted");
  EXPECT_EQ(body["entries"][4]["kind"], "campaign_engagement");
  EXPECT_EQ(body["entries"][0]["note"], "");
  EXPECT_EQ(body["entries"][0]["event_id"].get<std::string>().size(), 32u);
  // The merged-away id shows the same history.
  EXPECT_EQ(Expect(200, "/v1/customers/" + anna_merged_ + "/timeline"), body);
}

TEST_F(RoutesTest, TimelineLimitAndOrder) {
  Json first = Expect(200, "/v1/customers/" + anna_ + "/timeline", {{"limit", "2"}});
  EXPECT_EQ(first["total"], 6);
  ASSERT_EQ(first["entries"].size(), 2u);
  EXPECT_EQ(first["entries"][1]["source"], "crm:k1");
  Json latest =
      Expect(200, "/v1/customers/" + anna_ + "/timeline", {{"limit", "1"}, {"order", "desc"}});
  ASSERT_EQ(latest["entries"].size(), 1u);
  EXPECT_EQ(latest["entries"][0]["occurred_at"], "2025-03-14T09:35:00.000Z");
  EXPECT_EQ(
      Expect(200, "/v1/customers/" + anna_ + "/timeline", {{"limit", "100"}})["entries"].size(),
      6u);
}

TEST_F(RoutesTest, TimelineErrors) {
  const std::string path = "/v1/customers/" + anna_ + "/timeline";
  for (const char* bad : {"0", "-1", "abc", "1.5", "", " 3", "+3", "99999999999999999999999"})
    ExpectError(400, path, {{"limit", bad}}, "\"limit\" must be a positive integer");
  ExpectError(400, path, {{"order", "newest"}}, "\"order\" must be");
  ExpectError(400, path, {{"page", "2"}}, "unknown parameter \"page\"");
  ExpectError(404, "/v1/customers/c000000000000000000000000/timeline", {}, "no customer");
  ExpectError(404, "/v1/customers/" + anna_ + "/history", {}, "no such path");
}

TEST_F(RoutesTest, AProjectionHasNoScores) {
  ExpectError(404, "/v1/customers/" + anna_ + "/score", {}, "no score for customer " + anna_);
  ExpectError(404, "/v1/customers/c000000000000000000000000/score", {}, "no customer");
  ExpectError(400, "/v1/customers/" + anna_ + "/score", {{"limit", "1"}}, "unknown parameter");
}

TEST_F(RoutesTest, DealByKeyResolvesItsCustomer) {
  Json body = Expect(200, "/v1/deals/crm:D-1");
  EXPECT_EQ(body["id"], "crm:D-1");
  EXPECT_EQ(body["customer_id"], anna_);
  EXPECT_EQ(body["stage"], "proposal");
  EXPECT_EQ(body["created_at"], "2025-03-14T09:31:30.000Z");
  // Found in the other shard too.
  EXPECT_EQ(Expect(200, "/v1/deals/crm:D-2")["stage"], "closed_won");
}

TEST_F(RoutesTest, UnknownDealIs404) {
  ExpectError(404, "/v1/deals/crm:D-404", {}, "no deal with id crm:D-404");
  ExpectError(404, "/v1/deals/D-1", {}, "<system>:<deal id>");
  ExpectError(400, "/v1/deals/crm:D-1", {{"x", "1"}}, "unknown parameter");
}

TEST_F(RoutesTest, AccountByKeyIsItsNewestVersionAcrossShards) {
  Json body = Expect(200, "/v1/accounts/crm:001A");
  EXPECT_EQ(body["id"], "crm:001A");
  EXPECT_EQ(body["name"], "Krüger & Lang");
  EXPECT_EQ(body["employees"], 48);
  EXPECT_EQ(body["annual_revenue"]["currency"], "EUR");
  EXPECT_FALSE(body.contains("industry")) << "never filled, so left out";
  EXPECT_EQ(body["updated_at"], "2025-03-14T09:31:00.000Z");
  ExpectError(404, "/v1/accounts/crm:404", {}, "no account with id crm:404");
  ExpectError(404, "/v1/accounts/001A", {}, "<system>:<account id>");
  ExpectError(400, "/v1/accounts/crm:001A", {{"x", "1"}}, "unknown parameter");
}

TEST_F(RoutesTest, CampaignCountsAreSummedOverShards) {
  Json body = Expect(200, "/v1/campaigns/spring");
  EXPECT_EQ(body["id"], "spring");
  EXPECT_EQ(body["defined"], true);
  EXPECT_EQ(body["name"], "Spring 2025");  // version 2 from campaigns/0 beats version 1
  EXPECT_EQ(body["channel"], "email");
  EXPECT_EQ(body["budget"]["amount"], 5000.0);
  EXPECT_EQ(body["engagements"]["opened"], 2);  // one per events shard
  EXPECT_EQ(body["engagements"]["clicked"], 1);
  EXPECT_EQ(body["engagements"]["sent"], 0);
  EXPECT_FALSE(body["engagements"].contains("unspecified"));
  EXPECT_EQ(body["engagements_total"], 3);
  std::vector<std::string> kinds;
  auto ordered = nlohmann::ordered_json::parse(Get("/v1/campaigns/spring").body);
  for (const auto& [kind, count] : ordered["engagements"].items()) kinds.push_back(kind);
  EXPECT_THAT(kinds, ElementsAre("sent", "opened", "clicked", "form_submitted", "webinar_attended",
                                 "unsubscribed", "bounced", "page_visited"));

  Json autumn = Expect(200, "/v1/campaigns/autumn");
  EXPECT_EQ(autumn["name"], "Autumn 2025");
  EXPECT_EQ(autumn["engagements_total"], 0);
}

TEST_F(RoutesTest, CampaignKnownOnlyByEngagement) {
  Json body = Expect(200, "/v1/campaigns/ghost");
  EXPECT_EQ(body["defined"], false);
  EXPECT_TRUE(body["name"].is_null());
  EXPECT_EQ(body["engagements"]["sent"], 1);
}

TEST_F(RoutesTest, UnknownCampaignIs404) {
  ExpectError(404, "/v1/campaigns/winter", {}, "no campaign with id winter");
}

TEST_F(RoutesTest, FunnelSumsShardsInLifecycleOrder) {
  Json body = Expect(200, "/v1/funnel");
  // events/0: Anna (lead; was subscriber, and her CRM twin entered mql),
  // Carl (no stage); events/1: Bernd (mql), Dora (lead).
  Json current = {{"subscriber", 0}, {"lead", 2},        {"mql", 1},
                  {"sql", 0},        {"opportunity", 0}, {"customer", 0},
                  {"at_risk", 0},    {"reactivated", 0}, {"unspecified", 1}};
  Json entered = {{"subscriber", 1},  {"lead", 2},     {"mql", 2},     {"sql", 0},
                  {"opportunity", 0}, {"customer", 0}, {"at_risk", 0}, {"reactivated", 0}};
  EXPECT_EQ(body["current"], current);
  EXPECT_EQ(body["entered"], entered);
  std::vector<std::string> order;
  auto ordered = nlohmann::ordered_json::parse(Get("/v1/funnel").body);
  for (const auto& [stage, count] : ordered["current"].items()) order.push_back(stage);
  EXPECT_THAT(order, ElementsAre("subscriber", "lead", "mql", "sql", "opportunity", "customer",
                                 "at_risk", "reactivated", "unspecified"));
  ExpectError(400, "/v1/funnel", {{"stage", "mql"}}, "unknown parameter");
}

TEST_F(RoutesTest, HealthReadinessAndMetrics) {
  EXPECT_EQ(Expect(200, "/healthz"), Json({{"status", "ok"}}));
  EXPECT_EQ(Expect(503, "/readyz"), Json({{"status", "catching up"}}));
  ready_ = true;
  EXPECT_EQ(Expect(200, "/readyz")["status"], "ready");

  registry_.GetCounter("accord_test_total", "A test counter", {{"kind", "x"}}).Add(3);
  Response metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4");
  EXPECT_THAT(metrics.body, HasSubstr("accord_test_total{kind=\"x\"} 3"));
}

TEST_F(RoutesTest, UnknownPathsAre404Json) {
  for (const char* path : {"/", "/v1", "/v1/customers/", "/v1/deals/", "/v1/campaigns/",
                           "/v1/funnel/", "/v2/funnel", "/metrics/x"})
    ExpectError(404, path, {}, "no such path");
}

TEST_F(RoutesTest, BytesThatAreNotUtf8AreReplacedInAnswers) {
  // A URL-decoded path may hold any byte; the error naming it stays JSON.
  Json body = Expect(404, "/v1/customers/c\xff");
  EXPECT_EQ(body["error"], "no customer with id c\xef\xbf\xbd");
}

TEST_F(RoutesTest, StateErrorsAre500Json) {
  TempDir dir;
  StateBuilder broken(dir.Sub("state"));
  broken.Fold("events", 0, {Contact({.email = "eva@firma.de"})});
  // A customer record that is not a CustomerState.
  NoState empty;
  fold::Overlay overlay(empty);
  std::vector<fold::Change> changes = {
      {fold::Table::kCustomers, "events/0/cbroken", std::string("\xff\xff\xff", 3)}};
  overlay.Record(changes);
  broken.store().Commit(overlay, {});
  Routes routes(
      broken.store(), [] { return true; }, registry_);
  Response response = routes.Get("/v1/customers/cbroken", {});
  EXPECT_EQ(response.status, 500);
  EXPECT_THAT(Json::parse(response.body)["error"].get<std::string>(),
              HasSubstr("unreadable value in customers"));
}

TEST(RoutesClassify, PersonalDataNeedsReadAndFiguresAggregate) {
  using http::Access;
  for (const char* path :
       {"/v1/customers", "/v1/customers/c1", "/v1/customers/c1/timeline", "/v1/customers/c1/audit",
        "/v1/customers/c1/score", "/v1/deals/crm:d1", "/v1/accounts/crm:a1", "/v1/reactivation"})
    EXPECT_EQ(Routes::Classify(path).access, Access::kRead) << path;
  for (const char* path :
       {"/v1/funnel", "/v1/campaigns", "/v1/campaigns/spring", "/metrics", "/v1/unknown", "/"})
    EXPECT_EQ(Routes::Classify(path).access, Access::kAggregate) << path;
  for (const char* path : {"/healthz", "/readyz"}) {
    EXPECT_EQ(Routes::Classify(path).access, Access::kOpen) << path;
    EXPECT_TRUE(Routes::Classify(path).probe) << path;
  }
  EXPECT_FALSE(Routes::Classify("/v1/funnel").probe);
}

}  // namespace
}  // namespace accord::api
