#include "connectors/webhook/accord_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "domain/events/envelope.h"

namespace accord::connectors::webhook {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1735700000000;
constexpr int64_t kAt = 1735689600000;

Mapped Changes(std::string_view body, std::string_view system = "marketing") {
  return MapBody(Shape::kChanges, body, system, kNow);
}

Mapped Forms(std::string_view body) {
  return MapBody(Shape::kForms, body, "marketing", kNow);
}

// The events of a body that must map, each one valid for consumers.
std::vector<v1::Event> Events(const Mapped& mapped) {
  EXPECT_FALSE(mapped.refusal) << mapped.refusal->Message();
  for (const auto& event : mapped.events) {
    v1::Event decoded;
    auto result = events::DecodeEvent(event.SerializeAsString(), decoded);
    EXPECT_EQ(result.error, events::DecodeError::kNone) << result.reason;
  }
  return mapped.events;
}

Refusal RefusalOf(const Mapped& mapped) {
  EXPECT_TRUE(mapped.refusal) << "mapped " << mapped.events.size() << " events";
  EXPECT_TRUE(mapped.events.empty());
  return mapped.refusal.value_or(Refusal{});
}

std::string Change(int event_id, const std::string& type, const std::string& object_id, int64_t at,
                   const std::string& rest = "") {
  return R"({"eventId":)" + std::to_string(event_id) + R"(,"subscriptionId":686627,)" +
         R"("portalId":891472211,"occurredAt":)" + std::to_string(at) + R"(,"subscriptionType":")" +
         type + R"(","attemptNumber":0,"objectId":)" + object_id +
         (rest.empty() ? "" : "," + rest) + "}";
}

std::string PropertyChange(int event_id, const std::string& object_id, int64_t at,
                           const std::string& name, const std::string& value) {
  return Change(event_id, "contact.propertyChange", object_id, at,
                R"("propertyName":")" + name + R"(","propertyValue":)" + value +
                    R"(,"changeSource":"CRM_UI")");
}

TEST(WebhookChanges, PropertiesSetTogetherBecomeOneUpsert) {
  const std::string body =
      "[" + Change(1, "contact.creation", "847297356", kAt) + "," +
      PropertyChange(2, "847297356", kAt, "email", R"(" Anna.Schmidt@Firma.de ")") + "," +
      PropertyChange(3, "847297356", kAt, "firstname", R"("Anna")") + "," +
      PropertyChange(4, "847297356", kAt, "lifecyclestage", R"("marketingqualifiedlead")") + "]";
  auto events = Events(Changes(body));
  ASSERT_EQ(events.size(), 1u);
  const auto& event = events[0];
  ASSERT_TRUE(event.has_customer_upserted());
  EXPECT_EQ(event.customer_upserted().email(), "anna.schmidt@firma.de");
  EXPECT_EQ(event.customer_upserted().first_name(), "Anna");
  EXPECT_FALSE(event.customer_upserted().has_last_name());
  EXPECT_EQ(event.customer_upserted().lifecycle_stage(), v1::LIFECYCLE_STAGE_MQL);
  EXPECT_EQ(event.customer_key(), "email:anna.schmidt@firma.de");
  EXPECT_EQ(event.source_system(), "marketing");
  EXPECT_EQ(event.source_record_id(), "847297356");
  EXPECT_EQ(event.source_version(), static_cast<uint64_t>(kAt));
  EXPECT_EQ(event.occurred_at_ms(), kAt);
  EXPECT_EQ(event.ingested_at_ms(), kNow);
  EXPECT_EQ(event.origin(), v1::ORIGIN_EXTERNAL);
}

TEST(WebhookChanges, ANulByteAnywhereInAnItemRefusesTheBodyNamingItemAndField) {
  // JSON's escape for NUL, as a sender would write it.
  auto value = RefusalOf(Changes(
      "[" + PropertyChange(1, "42", kAt, "email", R"("anna@firma.de")") + "," +
      Change(2, "contact.creation", "43", kAt, R"("properties":{"firstname":"An\u0000na"})") +
      "]"));
  EXPECT_EQ(value.item, 1u);
  EXPECT_EQ(value.field, "properties.firstname");
  EXPECT_EQ(value.reason, "holds a NUL byte (at byte 3 of 5)");

  auto name = RefusalOf(Forms(R"({"submittedAt":1735690000000,"email":"tom@kanzlei.de",)"
                              R"("campaignId":"c","fields":{"x\u0000":"y"}})"));
  EXPECT_EQ(name.item, 0u);
  EXPECT_EQ(name.field, std::string("fields.x") + '\0');
  EXPECT_THAT(name.reason, HasSubstr("name holds a NUL byte"));
}

TEST(WebhookChanges, ARepeatedNotificationKeepsItsEventId) {
  const std::string first = "[" + PropertyChange(7, "42", kAt, "lastname", R"("Weiß")") + "]";
  auto id = Events(Changes(first)).at(0).event_id();
  // A retry differs in attemptNumber only.
  std::string retry = first;
  retry.replace(retry.find(R"("attemptNumber":0)"), 17, R"("attemptNumber":3)");
  EXPECT_EQ(Events(Changes(retry)).at(0).event_id(), id);
  EXPECT_EQ(Changes(first).events.at(0).SerializeAsString(),
            Changes(first).events.at(0).SerializeAsString());

  std::set<std::string> others = {
      id,
      Events(Changes("[" + PropertyChange(8, "42", kAt, "lastname", R"("Weiß")") + "]"))
          .at(0)
          .event_id(),
      Events(Changes(first, "crm")).at(0).event_id(),
      Events(Changes("[" + PropertyChange(7, "43", kAt, "lastname", R"("Weiß")") + "]"))
          .at(0)
          .event_id()};
  EXPECT_EQ(others.size(), 4u) << "event id, source system and object tell changes apart";
}

TEST(WebhookChanges, WithoutAnEmailTheRecordIsTheKey) {
  auto events = Events(Changes(PropertyChange(1, "\"M-17\"", kAt, "city", R"("Köln")")));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].customer_key(), "src:marketing:M-17");
  EXPECT_EQ(events[0].customer_upserted().city(), "Köln");
}

TEST(WebhookChanges, DifferentInstantsAndObjectsAreDifferentEvents) {
  const std::string body = "[" + PropertyChange(1, "1", kAt, "city", R"("Bonn")") + "," +
                           PropertyChange(2, "1", kAt + 1, "city", R"("Bern")") + "," +
                           PropertyChange(3, "2", kAt, "phone", "4930123") + "]";
  auto events = Events(Changes(body));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].customer_upserted().city(), "Bonn");
  EXPECT_EQ(events[1].customer_upserted().city(), "Bern");
  EXPECT_EQ(events[1].source_version(), static_cast<uint64_t>(kAt + 1));
  EXPECT_EQ(events[2].customer_upserted().phone(), "4930123");
}

TEST(WebhookChanges, EventsKeepTheSendersOrder) {
  const std::string body = "[" + PropertyChange(1, "7", kAt, "city", R"("Ulm")") + "," +
                           Change(2, "contact.deletion", "7", kAt + 1) + "," +
                           PropertyChange(3, "8", kAt, "city", R"("Hof")") + "]";
  auto events = Events(Changes(body));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[0].has_customer_upserted());
  EXPECT_TRUE(events[1].has_customer_erased());
  EXPECT_EQ(events[2].customer_upserted().city(), "Hof");
}

TEST(WebhookChanges, DeletionsErase) {
  const std::string body = "[" + Change(5, "contact.deletion", "99", kAt) + "," +
                           Change(6, "contact.privacyDeletion", "98", kAt) + "]";
  auto events = Events(Changes(body));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].customer_erased().reason(), "contact.deletion");
  EXPECT_EQ(events[0].customer_key(), "src:marketing:99");
  EXPECT_EQ(events[1].customer_erased().reason(), "contact.privacyDeletion");
}

TEST(WebhookChanges, MergesNameTheSurvivorAndTheMerged) {
  auto events = Events(Changes(Change(9, "contact.merge", "100", kAt,
                                      R"("primaryObjectId":100,"mergedObjectIds":[200,"300"])")));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].customer_merged().primary_source_record_id(), "100");
  EXPECT_THAT(events[0].customer_merged().merged_source_record_ids(),
              ::testing::ElementsAre("200", "300"));
  EXPECT_EQ(events[0].customer_key(), "src:marketing:100");
  auto refusal = RefusalOf(Changes(
      Change(9, "contact.merge", "100", kAt, R"("primaryObjectId":100,"mergedObjectIds":[])")));
  EXPECT_EQ(refusal.field, "mergedObjectIds");
}

TEST(WebhookChanges, DealsCarryTheirStageAmountAndContact) {
  const std::string body =
      "[" +
      Change(11, "deal.propertyChange", "5001", kAt,
             R"("propertyName":"dealstage","propertyValue":"closedwon","email":"Bernd@Kunde.de",)"
             R"("properties":{"dealname":"Lizenz 2025","amount":"12500.50",)"
             R"("deal_currency_code":"CHF","pipeline":"default"})") +
      "]";
  auto events = Events(Changes(body, "crm"));
  ASSERT_EQ(events.size(), 1u);
  const auto& deal = events[0].deal_upserted();
  EXPECT_EQ(deal.deal_id(), "5001");
  EXPECT_EQ(deal.name(), "Lizenz 2025");
  EXPECT_EQ(deal.stage(), v1::DEAL_STAGE_CLOSED_WON);
  EXPECT_EQ(deal.amount().minor_units(), 1250050);
  EXPECT_EQ(deal.amount().currency(), "CHF");
  EXPECT_EQ(events[0].customer_key(), "email:bernd@kunde.de");
  EXPECT_EQ(events[0].source_system(), "crm");

  auto by_id = Events(Changes(Change(12, "deal.creation", "5002", kAt,
                                     R"("contactId":77,"properties":{"dealstage":"proposal"})")));
  ASSERT_EQ(by_id.size(), 1u);
  EXPECT_EQ(by_id[0].customer_key(), "src:marketing:77");
  EXPECT_EQ(by_id[0].deal_upserted().stage(), v1::DEAL_STAGE_PROPOSAL);
  EXPECT_FALSE(by_id[0].deal_upserted().has_amount());
}

TEST(WebhookChanges, ADealWithoutContactOrStageIsRefused) {
  auto no_contact =
      RefusalOf(Changes(Change(11, "deal.propertyChange", "5001", kAt,
                               R"("propertyName":"dealstage","propertyValue":"closedwon")")));
  EXPECT_EQ(no_contact.item, 0u);
  EXPECT_EQ(no_contact.field, "email");
  EXPECT_THAT(no_contact.reason, HasSubstr("names its contact"));

  auto no_stage = RefusalOf(Changes(Change(11, "deal.propertyChange", "5001", kAt,
                                           R"("propertyName":"amount","propertyValue":"10",)"
                                           R"("email":"a@kunde.de")")));
  EXPECT_EQ(no_stage.field, "properties.dealstage");

  auto bad_stage = RefusalOf(
      Changes(Change(11, "deal.propertyChange", "5001", kAt,
                     R"("propertyName":"dealstage","propertyValue":"1234567","contactId":5)")));
  EXPECT_EQ(bad_stage.field, "propertyValue");
  EXPECT_THAT(bad_stage.reason, HasSubstr("unknown deal stage \"1234567\""));
}

TEST(WebhookChanges, CompaniesBecomeAccountsCarryingOnlyWhatChanged) {
  const std::string body = "[" +
                           Change(21, "company.propertyChange", "8801", kAt,
                                  R"("propertyName":"numberofemployees","propertyValue":"48")") +
                           "," +
                           Change(22, "company.propertyChange", "8801", kAt,
                                  R"("propertyName":"name","propertyValue":"Krüger & Lang")") +
                           "," +
                           Change(23, "company.propertyChange", "8801", kAt,
                                  R"("propertyName":"annualrevenue","propertyValue":6100000.5)") +
                           "," +
                           Change(24, "company.propertyChange", "8801", kAt,
                                  R"("propertyName":"hs_lastmodifieddate","propertyValue":"1")") +
                           "]";
  auto mapped = Changes(body, "crm");
  auto events = Events(mapped);
  ASSERT_EQ(events.size(), 1u);
  const auto& account = events[0].account_upserted();
  EXPECT_EQ(account.account_id(), "8801");
  EXPECT_EQ(account.name(), "Krüger & Lang");
  EXPECT_EQ(account.employees(), 48u);
  EXPECT_EQ(account.annual_revenue().minor_units(), 610000050);
  EXPECT_FALSE(account.has_industry()) << "not in this change: the stored value stays";
  EXPECT_EQ(events[0].customer_key(), "");
  EXPECT_EQ(events::MessageKey(events[0]), "account:crm:8801");
  EXPECT_EQ(mapped.ignored.size(), 1u);

  auto bad =
      RefusalOf(Changes(Change(25, "company.propertyChange", "8801", kAt,
                               R"("propertyName":"numberofemployees","propertyValue":"viele")")));
  EXPECT_EQ(bad.field, "propertyValue");
  EXPECT_THAT(bad.reason, HasSubstr("not a number of employees: \"viele\""));
}

TEST(WebhookChanges, WhatAccordDoesNotKeepIsIgnoredWithAReason) {
  const std::string body = "[" + Change(1, "ticket.creation", "1", kAt) + "," +
                           PropertyChange(2, "1", kAt, "hs_analytics_source", R"("ORGANIC")") +
                           "," + Change(3, "deal.creation", "7", kAt) + "," +
                           Change(4, "deal.deletion", "7", kAt) + "," +
                           PropertyChange(5, "1", kAt, "company", R"("Firma GmbH")") + "]";
  auto mapped = Changes(body);
  auto events = Events(mapped);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].customer_upserted().company(), "Firma GmbH");
  ASSERT_EQ(mapped.ignored.size(), 4u);
  EXPECT_EQ(mapped.ignored[0].item, 0u);
  EXPECT_THAT(mapped.ignored[0].reason, HasSubstr("\"ticket.creation\""));
  EXPECT_THAT(mapped.ignored[1].reason, HasSubstr("\"hs_analytics_source\""));
  EXPECT_EQ(mapped.ignored[2].item, 2u);
  EXPECT_EQ(mapped.ignored[3].item, 3u);
}

TEST(WebhookChanges, AccordsOwnWriteBacksAreNotIngestedAgain) {
  // A change Accord's sink wrote comes back with Accord as its source.
  const std::string body =
      "[" +
      Change(1, "contact.propertyChange", "1", kAt,
             R"("propertyName":"lifecyclestage","propertyValue":"marketingqualifiedlead",)"
             R"("changeSource":"INTEGRATION","sourceId":"accord")") +
      "," +
      Change(2, "contact.propertyChange", "1", kAt + 1,
             R"("propertyName":"city","propertyValue":"Köln","changeSource":"Accord")") +
      "," + PropertyChange(3, "1", kAt + 2, "company", R"("Firma GmbH")") + "]";
  auto mapped = Changes(body);
  auto events = Events(mapped);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].customer_upserted().company(), "Firma GmbH");
  ASSERT_EQ(mapped.ignored.size(), 2u);
  EXPECT_THAT(mapped.ignored[0].reason, HasSubstr("own write-back (sourceId"));
  EXPECT_THAT(mapped.ignored[1].reason, HasSubstr("own write-back (changeSource"));
  EXPECT_TRUE(mapped.ignored[0].own_write && mapped.ignored[1].own_write);
}

TEST(WebhookChanges, InvalidItemsAreRefusedNamingIndexAndField) {
  struct Case {
    std::string item;
    std::string field;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {R"("just text")", "", "not a JSON object"},
      {R"({"occurredAt":1735689600000,"objectId":1,"eventId":1})", "subscriptionType", "missing"},
      {Change(1, "contact.creation", "1", 1735689600), "occurredAt", "seconds, perhaps"},
      {R"({"eventId":1,"subscriptionType":"contact.creation","objectId":1,"occurredAt":"today"})",
       "occurredAt", "not string"},
      {R"({"subscriptionType":"contact.creation","objectId":1,"occurredAt":1735689600000})",
       "eventId", "missing"},
      {Change(1, "contact.creation", "0", kAt), "objectId", "placeholder id \"0\""},
      {Change(1, "contact.creation", "1.5", kAt), "objectId", "whole number"},
      {PropertyChange(1, "1", kAt, "email", R"("kein-at-zeichen")"), "propertyValue",
       "not an e-mail address"},
      {PropertyChange(1, "1", kAt, "lifecyclestage", R"("prospect")"), "propertyValue",
       "unknown lifecycle stage"},
      {PropertyChange(1, "1", kAt, "firstname", R"({"a":1})"), "propertyValue", "not object"},
      {Change(1, "contact.propertyChange", "1", kAt), "propertyName", "missing"},
      {Change(1, "contact.creation", "1", kAt, R"("properties":["x"])"), "properties",
       "must be an object"},
      {Change(1, "deal.creation", "1", kAt,
              R"("email":"a@kunde.de","properties":{"dealstage":"closedlost","amount":"1.234"})"),
       "properties.amount", "not an amount"},
  };
  for (const auto& c : cases) {
    // The bad item comes second, after a good one: nothing of the body maps.
    auto refusal = RefusalOf(
        Changes("[" + PropertyChange(1, "1", kAt, "city", R"("Ulm")") + "," + c.item + "]"));
    EXPECT_EQ(refusal.item, 1u) << c.item;
    EXPECT_EQ(refusal.field, c.field) << c.item;
    EXPECT_THAT(refusal.reason, HasSubstr(c.reason)) << c.item;
    EXPECT_THAT(refusal.Message(), HasSubstr("item 1")) << c.item;
  }
}

TEST(WebhookChanges, MalformedBodiesAreRefusedWithTheParsersReason) {
  auto refusal = RefusalOf(Changes(R"([{"eventId":1,)"));
  EXPECT_FALSE(refusal.item);
  EXPECT_THAT(refusal.reason, HasSubstr("malformed JSON: parse error at line 1, column 15"));
  EXPECT_THAT(RefusalOf(Changes("\"text\"")).reason, HasSubstr("expected a JSON array"));
  EXPECT_THAT(RefusalOf(Changes("[\"\xff\"]")).reason, HasSubstr("malformed JSON"));
  // Found by fuzz_webhook: a number beyond a double is the parser's
  // out_of_range, not a parse error.
  EXPECT_THAT(RefusalOf(Changes(R"([{"occurredAt":17356e9600000}])")).reason,
              HasSubstr("malformed JSON: number overflow"));
  EXPECT_TRUE(Events(Changes("[]")).empty());
}

TEST(WebhookChanges, OnlyValidSourceSystemsAreAccepted) {
  for (const char* system : {"", "CRM", "crm:eu", "accord", "null"})
    EXPECT_THAT(RefusalOf(Changes("[]", system)).reason, HasSubstr("not a system name")) << system;
  EXPECT_TRUE(Events(Changes("[]", "crm.eu-1")).empty());
}

TEST(WebhookForms, ASubmissionIsEngagementAndTheContactsFields) {
  auto events = Events(Forms(R"({"eventId":"sub-1","submittedAt":1735689600000,
      "email":"Clara@Firma.de","formId":"f-7","campaignId":"spring-25",
      "fields":{"firstname":"Clara","company":"Firma GmbH","email":"other@firma.de","utm":"x"}})"));
  ASSERT_EQ(events.size(), 2u);
  const auto& upsert = events[0];
  ASSERT_TRUE(upsert.has_customer_upserted());
  EXPECT_EQ(upsert.customer_upserted().email(), "clara@firma.de");
  EXPECT_EQ(upsert.customer_upserted().first_name(), "Clara");
  EXPECT_EQ(upsert.customer_upserted().company(), "Firma GmbH");
  EXPECT_EQ(upsert.customer_key(), "email:clara@firma.de");
  // A pseudonymous record id: no address in aliases that outlive an erasure.
  EXPECT_THAT(upsert.source_record_id(), ::testing::StartsWith("submitter-"));
  EXPECT_EQ(upsert.source_record_id().find("clara"), std::string::npos);

  const auto& engagement = events[1];
  ASSERT_TRUE(engagement.has_campaign_engagement());
  EXPECT_EQ(engagement.campaign_engagement().campaign_id(), "spring-25");
  EXPECT_EQ(engagement.campaign_engagement().kind(), v1::ENGAGEMENT_KIND_FORM_SUBMITTED);
  EXPECT_EQ(engagement.campaign_engagement().detail(), "f-7");
  EXPECT_EQ(engagement.customer_key(), "email:clara@firma.de");
  EXPECT_EQ(engagement.source_record_id(), "sub-1");
  EXPECT_EQ(engagement.occurred_at_ms(), kAt);
  EXPECT_NE(engagement.event_id(), upsert.event_id());
}

TEST(WebhookForms, OtherEngagementAndNoFields) {
  auto events = Events(Forms(R"([{"submittedAt":1735689600000,"email":"d@firma.de",
      "campaignId":"webinar-3","kind":"Webinar_Attended"},
      {"submittedAt":1735689600000,"contactId":"M-5","formId":"f-1","kind":"clicked",
       "detail":"https://firma.de/preise"}])"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].campaign_engagement().kind(), v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED);
  EXPECT_EQ(events[0].campaign_engagement().campaign_id(), "webinar-3");
  EXPECT_EQ(events[1].campaign_engagement().campaign_id(), "f-1");
  EXPECT_EQ(events[1].campaign_engagement().detail(), "https://firma.de/preise");
  EXPECT_EQ(events[1].customer_key(), "src:marketing:M-5");
}

TEST(WebhookForms, WithoutAnEventIdTheSubmissionItselfMakesTheId) {
  const std::string opened =
      R"({"submittedAt":1735689600000,"email":"e@firma.de","campaignId":"c","kind":"opened"})";
  const std::string clicked =
      R"({"submittedAt":1735689600000,"email":"e@firma.de","campaignId":"c","kind":"clicked"})";
  auto first = Events(Forms(opened)).at(0).event_id();
  EXPECT_EQ(Events(Forms(opened)).at(0).event_id(), first);
  EXPECT_NE(Events(Forms(clicked)).at(0).event_id(), first);
}

TEST(WebhookForms, InvalidSubmissionsAreRefusedNamingTheField) {
  struct Case {
    std::string item;
    std::string field;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {R"({"submittedAt":1735689600000,"campaignId":"c"})", "email", "missing"},
      {R"({"submittedAt":1735689600000,"email":"test@example.com","campaignId":"c"})", "email",
       "not a usable e-mail address"},
      {R"({"submittedAt":1735689600000,"email":"a@firma.de"})", "campaignId", "missing"},
      {R"({"email":"a@firma.de","campaignId":"c"})", "submittedAt", "missing"},
      {R"({"submittedAt":1735689600000,"email":"a@firma.de","campaignId":"c","kind":"liked"})",
       "kind", "form_submitted, webinar_attended"},
      {R"({"submittedAt":1735689600000,"email":"a@firma.de","campaignId":"c","fields":[]})",
       "fields", "must be an object"},
  };
  for (const auto& c : cases) {
    auto refusal = RefusalOf(Forms("[" + c.item + "]"));
    EXPECT_EQ(refusal.item, 0u) << c.item;
    EXPECT_EQ(refusal.field, c.field) << c.item;
    EXPECT_THAT(refusal.reason, HasSubstr(c.reason)) << c.item;
  }
}

}  // namespace
}  // namespace accord::connectors::webhook
