// GET /v1/customers/{id}/audit (docs/api.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "services/api/routes.h"
#include "services/api/testing/state_builder.h"
#include "services/query/state_query.h"

namespace accord::api {
namespace {

using namespace accord::api::testing;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// Anna from marketing (m1), then from the CRM (k1) under another address;
// the CRM's second version links them and the marketing customer is merged
// into the CRM's.
class AuditRouteTest : public ::testing::Test {
 protected:
  AuditRouteTest() : builder_(dir_.Sub("state")) {
    builder_.Fold("events", 0,
                  {Contact({.email = "anna@firma.de", .last_name = "Müller"}),
                   Contact({.system = "crm",
                            .record = "k1",
                            .at_ms = kT0 + kMinute,
                            .email = "anna.mueller@firma.de",
                            .last_name = "Mueller"}),
                   Contact({.system = "crm",
                            .record = "k1",
                            .version = 2,
                            .at_ms = kT0 + 2 * kMinute,
                            .email = "anna.mueller@firma.de",
                            .linked = {"marketing:m1"}})});
    query::StateQuery query(builder_.store());
    auto anna = query.ByIdentity("email:anna@firma.de");
    survivor_ = anna->state.customer_id();
    merged_ = anna->state.merged_customer_ids(0);
  }

  Response Get(const std::string& path, const Params& params = {}) {
    return routes_.Get(path, params);
  }
  Json Expect(int status, const std::string& path, const Params& params = {}) {
    Response response = Get(path, params);
    EXPECT_EQ(response.status, status) << path << ": " << response.body;
    return Json::parse(response.body);
  }

  TempDir dir_;
  StateBuilder builder_;
  metrics::Registry registry_;
  Routes routes_{builder_.store(), [] { return true; }, registry_};
  std::string survivor_;
  std::string merged_;
};

TEST_F(AuditRouteTest, AnswersTheAuditOfAMergedCustomer) {
  Json audit = Expect(200, "/v1/customers/" + survivor_ + "/audit");
  EXPECT_EQ(audit["customer_id"], survivor_);
  ASSERT_EQ(audit["merged"].size(), 1u);
  EXPECT_EQ(audit["merged"][0]["customer_id"], merged_);
  EXPECT_THAT(audit["merged"][0]["reason"].get<std::string>(),
              HasSubstr("source id marketing:m1 of " + merged_));
  ASSERT_EQ(audit["total"], 3);
  // The marketing name arrives with the merge and loses to the CRM's newer one.
  const Json& link = audit["entries"][2];
  bool kept = false;
  for (const auto& decision : link["decisions"])
    if (decision["field"] == "last_name") {
      kept = true;
      EXPECT_EQ(decision["outcome"], "kept");
      EXPECT_EQ(decision["offered_value"], "Müller");
      EXPECT_EQ(decision["new_value"], "Mueller");
      EXPECT_EQ(decision["winner"], "crm:k1");
      EXPECT_EQ(decision["rule"], "newest-occurred-at");
    }
  EXPECT_TRUE(kept) << link.dump(2);

  // The merged-away id answers with its survivor, and says so.
  Json by_merged = Expect(200, "/v1/customers/" + merged_ + "/audit");
  EXPECT_EQ(by_merged["customer_id"], survivor_);
  EXPECT_EQ(by_merged["resolved_from"], merged_);
  EXPECT_EQ(by_merged["entries"], audit["entries"]);
}

TEST_F(AuditRouteTest, AtShowsTheCustomerAsItWasThen) {
  Json then =
      Expect(200, "/v1/customers/" + merged_ + "/audit", {{"at", "2025-03-14T10:31:30+01:00"}});
  EXPECT_EQ(then["at"], "2025-03-14T09:31:30.000Z");
  EXPECT_EQ(then["customer_id"], merged_);
  EXPECT_EQ(then["survivor_id"], survivor_);
  EXPECT_EQ(then["merged"], Json::array());
  ASSERT_EQ(then["total"], 1);
  EXPECT_EQ(then["entries"][0]["source"], "marketing:m1");
  EXPECT_EQ(then["fields"]["last_name"]["value"], "Müller");
}

TEST_F(AuditRouteTest, Errors) {
  const std::string path = "/v1/customers/" + survivor_ + "/audit";
  Json bad_at = Expect(400, path, {{"at", "yesterday"}});
  EXPECT_THAT(bad_at["error"].get<std::string>(), HasSubstr("RFC 3339"));
  // A '+' offset sent unencoded arrives as a space.
  Expect(400, path, {{"at", "2025-03-14T10:31:30 01:00"}});
  Expect(400, path, {{"limit", "3"}});
  Expect(400, path, {{"at", "2025-03-14T09:30:00Z"}, {"at", "2025-03-14T09:31:00Z"}});
  Json unknown = Expect(404, "/v1/customers/c000000000000000000000000/audit");
  EXPECT_THAT(unknown["error"].get<std::string>(), HasSubstr("no customer"));
  EXPECT_THAT(Expect(404, "/v1/nowhere")["error"].get<std::string>(),
              HasSubstr("/v1/customers/{id}/audit"));
}

}  // namespace
}  // namespace accord::api
