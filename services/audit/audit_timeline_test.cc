#include "services/audit/audit_timeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/api/testing/state_builder.h"

namespace accord::audit {
namespace {

using namespace accord::api::testing;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::ordered_json;

constexpr int64_t kDay = 86'400'000;

// Anna, known to marketing (m1) and, under another address, to the CRM
// (k1). The CRM's second version links k1 to m1 and merges the marketing
// customer into the CRM's (email:anna.mueller@... is the smaller home key).
// A marketing record of hers (m7) that is older than everything arrives
// last, and loses every field.
class AuditTimelineTest : public ::testing::Test {
 protected:
  static constexpr int64_t kLink = kT0 + 3 * kMinute;

  static void SetUpTestSuite() {
    dir_ = new TempDir();
    builder_ = new StateBuilder(dir_->Sub("state"));
    builder_->Fold("events", 0,
                   {Contact({.at_ms = kT0,
                             .email = "anna@firma.de",
                             .last_name = "Müller",
                             .stage = v1::LIFECYCLE_STAGE_SUBSCRIBER}),
                    Contact({.system = "crm",
                             .record = "k1",
                             .at_ms = kT0 + kMinute,
                             .email = "anna.mueller@firma.de",
                             .stage = v1::LIFECYCLE_STAGE_MQL}),
                    Contact({.version = 2,
                             .at_ms = kT0 + 2 * kMinute,
                             .email = "anna@firma.de",
                             .stage = v1::LIFECYCLE_STAGE_LEAD})});
    builder_->Fold("events", 0,
                   {Contact({.system = "crm",
                             .record = "k1",
                             .version = 2,
                             .at_ms = kLink,
                             .email = "anna.mueller@firma.de",
                             .linked = {"marketing:m1"}}),
                    Contact({.record = "m7",
                             .at_ms = kT0 - kMinute,
                             .email = "anna@firma.de",
                             .last_name = "Alt"})});
  }
  static void TearDownTestSuite() {
    delete builder_;
    delete dir_;
  }

  void SetUp() override {
    auto survivor = Trail(ByEmail("anna.mueller@firma.de"));
    crm_ = survivor.customer_id;
    ASSERT_EQ(survivor.merges.size(), 1u);
    marketing_ = survivor.merges[0].customer_id;
  }

  static Subject ByEmail(const std::string& email) {
    Subject subject;
    subject.email = email;
    return subject;
  }
  static Subject ById(const std::string& id) {
    Subject subject;
    subject.customer_id = id;
    return subject;
  }
  Audit Trail(const Subject& subject, std::optional<int64_t> at_ms = std::nullopt) const {
    auto audit = AuditCustomer(query::StateQuery(builder_->store()), subject, at_ms);
    EXPECT_TRUE(audit);
    return audit ? std::move(*audit) : Audit();
  }
  static Json EntryFrom(const Json& audit, const std::string& source) {
    for (const auto& entry : audit["entries"])
      if (entry["source"] == source) return entry;
    ADD_FAILURE() << "no entry from " << source << " in " << audit.dump(2);
    return Json();
  }
  static Json DecisionOn(const Json& entry, const std::string& field, size_t nth = 0) {
    for (const auto& decision : entry["decisions"])
      if (decision["field"] == field && nth-- == 0) return decision;
    ADD_FAILURE() << "no decision on " << field << " in " << entry.dump(2);
    return Json();
  }

  static TempDir* dir_;
  static StateBuilder* builder_;
  std::string crm_;
  std::string marketing_;
};

TempDir* AuditTimelineTest::dir_ = nullptr;
StateBuilder* AuditTimelineTest::builder_ = nullptr;

TEST_F(AuditTimelineTest, JsonNamesBothSourcesEveryDecisionAndTheMerge) {
  Json audit = AuditJson(Trail(ById(crm_)));
  EXPECT_EQ(audit["customer_id"], crm_);
  EXPECT_EQ(audit["survivor_id"], crm_);
  EXPECT_TRUE(audit["resolved_from"].is_null());
  EXPECT_TRUE(audit["at"].is_null());
  ASSERT_EQ(audit["merged"].size(), 1u);
  EXPECT_EQ(audit["merged"][0]["customer_id"], marketing_);
  EXPECT_EQ(audit["merged"][0]["into"], crm_);
  EXPECT_EQ(audit["merged"][0]["reason"], "crm:k1 names e-mail anna.mueller@firma.de of " + crm_ +
                                              " and source id marketing:m1 of " + marketing_);
  EXPECT_EQ(audit["fields"]["email"]["value"], "anna.mueller@firma.de");
  EXPECT_EQ(audit["fields"]["last_name"]["source"], "marketing:m1");

  // Every event of both records, by occurred-at, each with its recorder.
  ASSERT_EQ(audit["total"], 5);
  std::vector<std::string> sources;
  for (const auto& entry : audit["entries"]) sources.push_back(entry["source"]);
  EXPECT_THAT(sources, ::testing::ElementsAre("marketing:m7", "marketing:m1", "crm:k1",
                                              "marketing:m1", "crm:k1"));
  EXPECT_EQ(audit["entries"][1]["customer_id"], marketing_);
  EXPECT_EQ(audit["entries"][2]["customer_id"], crm_);

  Json first = audit["entries"][1];
  EXPECT_EQ(DecisionOn(first, "last_name"),
            Json::parse(R"({"field": "last_name", "outcome": "changed", "rule": "first-value",
                            "offered_value": "Müller", "offered_by": "marketing:m1",
                            "offered_version": 1, "old_value": null, "new_value": "Müller",
                            "winner": "marketing:m1"})"));

  // The link: the merged customer's fields first, then its own offer.
  Json link = audit["entries"][4];
  EXPECT_EQ(link["merged_customer_ids"], Json::array({marketing_}));
  EXPECT_EQ(link["merge_reason"], audit["merged"][0]["reason"]);
  Json merged_email = DecisionOn(link, "email", 0);
  EXPECT_EQ(merged_email["outcome"], "changed");
  EXPECT_EQ(merged_email["rule"], "newest-occurred-at");
  EXPECT_EQ(merged_email["offered_by"], "marketing:m1");
  EXPECT_EQ(merged_email["offered_version"], 2);
  EXPECT_EQ(merged_email["old_value"], "anna.mueller@firma.de");
  EXPECT_EQ(merged_email["new_value"], "anna@firma.de");
  Json own_email = DecisionOn(link, "email", 1);
  EXPECT_EQ(own_email["offered_by"], "crm:k1");
  EXPECT_EQ(own_email["new_value"], "anna.mueller@firma.de");

  // The late record keeps nothing of its own.
  EXPECT_EQ(DecisionOn(audit["entries"][0], "last_name"),
            Json::parse(R"({"field": "last_name", "outcome": "kept",
                            "rule": "newest-occurred-at", "offered_value": "Alt",
                            "offered_by": "marketing:m7", "offered_version": 1,
                            "old_value": "Müller", "new_value": "Müller",
                            "winner": "marketing:m1"})"));
  EXPECT_TRUE(audit["entries"][0]["merge_reason"].is_null());
  EXPECT_EQ(audit["entries"][0]["feedback"], Json::array());
}

TEST_F(AuditTimelineTest, TableShowsDecisionsBelowTheirEvent) {
  const std::string table = AuditTable(Trail(ById(crm_)), crm_);
  EXPECT_THAT(table, HasSubstr("customer " + crm_ + "\n"));
  EXPECT_THAT(table, HasSubstr("  merged in " + marketing_ + " at 2025-03-14T09:33:00.000Z: " +
                               "crm:k1 names e-mail anna.mueller@firma.de"));
  EXPECT_THAT(table, HasSubstr("field            value                  source           rule\n"
                               "email            anna.mueller@firma.de  crm:k1 v2        "
                               "newest-occurred-at\n"
                               "last_name        Müller                 marketing:m1 v1  "
                               "first-value\n"));
  EXPECT_THAT(table, HasSubstr("\noccurred at               kind               source           "
                               "customer                   note\n"));
  EXPECT_THAT(table, HasSubstr("2025-03-14T09:29:00.000Z  customer_upserted  marketing:m7 v1  " +
                               crm_ + "\n" +
                               "    email: 'anna@firma.de' offered by marketing:m7 v1, kept "
                               "'anna.mueller@firma.de' from crm:k1 (newest-occurred-at)\n" +
                               "    last_name: 'Alt' offered by marketing:m7 v1, kept 'Müller' "
                               "from marketing:m1 (newest-occurred-at)\n"));
  EXPECT_THAT(table, HasSubstr("    last_name: (none) → 'Müller' (first-value)\n"));
  EXPECT_THAT(table, HasSubstr("    merged in " + marketing_ + ": crm:k1 names"));
  EXPECT_THAT(table, HasSubstr("    email: 'anna.mueller@firma.de' → 'anna@firma.de' from "
                               "marketing:m1 v2 (newest-occurred-at)\n"));
  EXPECT_THAT(table, HasSubstr("    email: 'anna@firma.de' unchanged (source-version)\n"));
}

TEST_F(AuditTimelineTest, MergedAwayIdAndItsAddressResolveToTheSurvivor) {
  auto by_id = Trail(ById(marketing_));
  EXPECT_EQ(by_id.customer_id, crm_);
  EXPECT_EQ(by_id.resolved_from, marketing_);
  EXPECT_EQ(by_id.entries.size(), 5u);
  auto by_email = Trail(ByEmail("anna@firma.de"));
  EXPECT_EQ(by_email.customer_id, crm_);
  EXPECT_EQ(by_email.resolved_from, marketing_);
  EXPECT_THAT(AuditTable(by_email, "anna@firma.de"),
              HasSubstr("  anna@firma.de names customer " + marketing_ + ", merged into " + crm_));
  EXPECT_FALSE(AuditCustomer(query::StateQuery(builder_->store()), ById("c000"), std::nullopt));
  EXPECT_FALSE(AuditCustomer(query::StateQuery(builder_->store()), ByEmail("nobody@firma.de"),
                             std::nullopt));
}

TEST_F(AuditTimelineTest, AtBeforeTheMergeShowsThePictureOfThen) {
  const int64_t before = kLink - 30'000;
  auto marketing = Trail(ByEmail("anna@firma.de"), before);
  EXPECT_EQ(marketing.customer_id, marketing_);
  EXPECT_EQ(marketing.survivor_id, crm_);
  EXPECT_TRUE(marketing.resolved_from.empty());
  EXPECT_TRUE(marketing.merges.empty());
  Json json = AuditJson(marketing);
  EXPECT_EQ(json["at"], "2025-03-14T09:32:30.000Z");
  ASSERT_EQ(json["total"], 2);
  for (const auto& entry : json["entries"]) EXPECT_EQ(entry["source"], "marketing:m1");
  EXPECT_EQ(json["fields"]["email"]["value"], "anna@firma.de");
  EXPECT_EQ(json["fields"]["last_name"]["value"], "Müller");
  EXPECT_EQ(json["fields"]["lifecycle_stage"]["value"], "lead");
  EXPECT_EQ(json["fields"]["lifecycle_stage"]["source_version"], 2);
  EXPECT_EQ(json["fields"]["lifecycle_stage"]["rule"], "source-version");
  EXPECT_THAT(AuditTable(marketing, "anna@firma.de"),
              HasSubstr("  merged into " + crm_ + " later"));

  // The CRM's customer then: its own record, and the late marketing record
  // that occurred before (by event time).
  auto crm = Trail(ByEmail("anna.mueller@firma.de"), before);
  EXPECT_EQ(crm.customer_id, crm_);
  ASSERT_EQ(crm.entries.size(), 2u);
  Json crm_json = AuditJson(crm);
  EXPECT_EQ(crm_json["fields"]["email"]["value"], "anna.mueller@firma.de");
  EXPECT_EQ(crm_json["fields"]["lifecycle_stage"]["value"], "mql");
  EXPECT_FALSE(crm_json["fields"].contains("last_name"));

  // After the merge, the merged customer's history is part of it.
  auto after = Trail(ByEmail("anna@firma.de"), kLink);
  EXPECT_EQ(after.customer_id, crm_);
  EXPECT_EQ(after.resolved_from, marketing_);
  EXPECT_EQ(after.entries.size(), 5u);
  EXPECT_EQ(AuditJson(after)["fields"]["email"]["value"], "anna.mueller@firma.de");
  // Before anything happened.
  auto empty = Trail(ById(crm_), kT0 - 2 * kMinute);
  EXPECT_TRUE(empty.entries.empty());
  EXPECT_TRUE(empty.fields.empty());
  EXPECT_THAT(AuditTable(empty, crm_), HasSubstr("no fields\n\nno events\n"));
}

TEST(AuditTimelineFeedback, FeedbackStoreShowsScoresAndTheHandoverWithReasons) {
  feedback::FeedbackRules rules;
  rules.score.engagement = {{v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED, 15},
                            {v1::ENGAGEMENT_KIND_FORM_SUBMITTED, 10}};
  rules.score.fit = {{.field = "email",
                      .match = feedback::FitRule::Match::kIn,
                      .values = {"firma.de"},
                      .points = 20}};
  rules.handover = {
      .min_score = 40, .min_fit = 10, .min_engagement = 20, .engagement_window_ms = 30 * kDay};
  TempDir dir;
  StateBuilder builder(dir.Sub("feedback"), rules);
  builder.Fold(
      "events", 0,
      {Contact({.email = "lena@firma.de", .stage = v1::LIFECYCLE_STAGE_LEAD}),
       Engagement("w1", kT0, "lena@firma.de", "spring", v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED),
       Engagement("f1", kT0 + kDay, "lena@firma.de", "spring",
                  v1::ENGAGEMENT_KIND_FORM_SUBMITTED)});
  Subject subject;
  subject.email = "lena@firma.de";
  auto audit = AuditCustomer(query::StateQuery(builder.store()), subject, std::nullopt);
  ASSERT_TRUE(audit);
  Json json = AuditJson(*audit);
  ASSERT_EQ(json["total"], 3);
  Json form = json["entries"][2];
  ASSERT_EQ(form["feedback"].size(), 2u) << form.dump(2);
  EXPECT_EQ(form["feedback"][0]["kind"], "score_updated");
  EXPECT_EQ(form["feedback"][0]["score"], 45);
  EXPECT_EQ(form["feedback"][0]["previous_score"], 35);
  EXPECT_EQ(form["feedback"][0]["components"][0],
            Json::parse(R"({"name": "fit.email", "points": 20, "reason": "email \"firma.de\""})"));
  EXPECT_EQ(form["feedback"][1]["kind"], "lead_qualified");
  EXPECT_EQ(form["feedback"][1]["stage"], "mql");
  EXPECT_EQ(
      form["feedback"][1]["reasons"],
      Json::array({"score 45 >= 40", "fit 20 >= 10", "engagement 25 in the last 30 days >= 20"}));
  const std::string table = AuditTable(*audit, "lena@firma.de");
  EXPECT_THAT(table, HasSubstr("    score 45 (was 35): fit 20, engagement 25\n"
                               "      fit.email +20: email \"firma.de\"\n"));
  EXPECT_THAT(table, HasSubstr("    qualified for sales as mql at score 45: score 45 >= 40; fit 20 "
                               ">= 10; engagement 25 in the last 30 days >= 20\n"));
  EXPECT_THAT(table, Not(HasSubstr("merged in")));
}

}  // namespace
}  // namespace accord::audit
