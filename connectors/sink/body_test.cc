#include "connectors/sink/body.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace accord::connectors::sink {
namespace {

v1::Event For(const std::string& email) {
  v1::Event event;
  event.set_event_id("0123456789abcdef0123456789abcdef");
  event.set_customer_key("email:" + email);
  event.set_source_record_id("c0123456789abcdef01234567");
  event.set_occurred_at_ms(1741944600000);
  return event;
}

std::string Text(const v1::Event& event) {
  auto json = ChatMessageJson(event);
  EXPECT_TRUE(json) << event.ShortDebugString();
  return json ? nlohmann::json::parse(*json)["text"].get<std::string>() : "";
}

TEST(ChatMessage, SpeaksToSalesAboutWhatNeedsThem) {
  auto lead = For("anna@corp.de");
  lead.mutable_lead_qualified()->set_score(45);
  lead.mutable_lead_qualified()->add_reasons("score 45 >= 40");
  lead.mutable_lead_qualified()->add_reasons("fit 20 >= 10");
  EXPECT_EQ(Text(lead),
            "Qualified lead for sales: anna@corp.de, score 45 (score 45 >= 40; fit 20 >= 10)");

  auto pause = For("anna@corp.de");
  pause.mutable_contact_pause()->set_until_ms(1743155400000);  // 2025-03-28T09:50:00Z
  pause.mutable_contact_pause()->set_reason("7 contact attempts in 7 days");
  EXPECT_EQ(Text(pause),
            "Please do not contact anna@corp.de before 2025-03-28: 7 contact attempts in 7 days");

  auto back = For("bernd@kunde.de");
  back.mutable_reactivation_candidate()->set_days_since_last_purchase(210);
  back.mutable_reactivation_candidate()->set_usual_interval_days(60);
  back.mutable_reactivation_candidate()->add_reasons("open support ticket");
  EXPECT_EQ(Text(back),
            "Worth winning back: bernd@kunde.de, 210 days since the last purchase (usually every "
            "60) (open support ticket)");

  auto won = For("anna@corp.de");
  won.mutable_deal_upserted()->set_name("Lizenz 2025");
  won.mutable_deal_upserted()->set_stage(v1::DEAL_STAGE_CLOSED_WON);
  won.mutable_deal_upserted()->mutable_amount()->set_minor_units(1250050);
  won.mutable_deal_upserted()->mutable_amount()->set_currency("EUR");
  EXPECT_EQ(Text(won), "Deal won: Lizenz 2025, 12500.50 EUR (anna@corp.de)");
}

TEST(ChatMessage, StaysQuietAboutTheRest) {
  auto score = For("anna@corp.de");
  score.mutable_score_updated()->set_score(62);
  EXPECT_EQ(ChatMessageJson(score), std::nullopt);
  auto open = For("anna@corp.de");
  open.mutable_deal_upserted()->set_stage(v1::DEAL_STAGE_PROPOSAL);
  EXPECT_EQ(ChatMessageJson(open), std::nullopt);
}

TEST(FeedbackJson, CarriesTheOriginMarkerAndThePayload) {
  auto score = For("anna@corp.de");
  score.mutable_score_updated()->set_score(62);
  auto body = nlohmann::json::parse(FeedbackJson(score));
  EXPECT_EQ(body["id"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(body["type"], "score_updated");
  EXPECT_EQ(body["occurred_at"], "2025-03-14T09:30:00.000Z");
  EXPECT_EQ(body["origin"], "accord");
  EXPECT_EQ(body["changeSource"], "accord");
  EXPECT_EQ(body["score_updated"]["score"], 62);
  EXPECT_EQ(body["score_updated"]["previous_score"], 0) << "zeros are written out";
}

}  // namespace
}  // namespace accord::connectors::sink
