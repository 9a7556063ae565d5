#include "domain/events/envelope.h"

#include <gtest/gtest.h>

#include <set>

namespace accord::events {
namespace {

v1::Event ValidUpsert() {
  v1::Event event;
  event.set_event_id(MakeEventId("crm", "17", 3, "customer_upserted"));
  event.set_schema_version(kCurrentSchemaVersion);
  event.set_source_system("crm");
  event.set_source_record_id("17");
  event.set_source_version(3);
  event.set_occurred_at_ms(1741944600000);
  event.set_customer_key("email:anna@corp.de");
  event.mutable_customer_upserted()->set_email("anna@corp.de");
  return event;
}

Decoded Decode(const v1::Event& event) {
  v1::Event out;
  return DecodeEvent(event.SerializeAsString(), out);
}

TEST(MakeEventId, DeterministicHex128) {
  std::string id = MakeEventId("crm", "17", 3, "customer_upserted");
  EXPECT_EQ(id, MakeEventId("crm", "17", 3, "customer_upserted"));
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(MakeEventId, SensitiveToEveryInput) {
  std::set<std::string> ids = {
      MakeEventId("crm", "17", 3, "customer_upserted"),
      MakeEventId("marketing", "17", 3, "customer_upserted"),
      MakeEventId("crm", "18", 3, "customer_upserted"),
      MakeEventId("crm", "17", 4, "customer_upserted"),
      MakeEventId("crm", "17", 3, "deal_upserted"),
      // Field boundaries matter: ("crm1", "7") is not ("crm", "17").
      MakeEventId("crm1", "7", 3, "customer_upserted"),
      MakeEventId("crm", "173", 0, "customer_upserted"),
  };
  EXPECT_EQ(ids.size(), 7u);
}

TEST(PayloadKind, NamesTheOneofCase) {
  v1::Event event;
  EXPECT_EQ(PayloadKind(event), "");
  event.mutable_deal_upserted();
  EXPECT_EQ(PayloadKind(event), "deal_upserted");
  EXPECT_EQ(PayloadKind(ValidUpsert()), "customer_upserted");
}

TEST(DecodeEvent, AcceptsValidEvent) {
  v1::Event in = ValidUpsert(), out;
  Decoded decoded = DecodeEvent(in.SerializeAsString(), out);
  EXPECT_EQ(decoded.error, DecodeError::kNone);
  EXPECT_EQ(decoded.reason, "");
  EXPECT_EQ(out.SerializeAsString(), in.SerializeAsString());
}

TEST(DecodeEvent, GarbageIsNotProtobuf) {
  v1::Event out;
  for (std::string bytes : {std::string("not a protobuf"), std::string("\x0a\x7f\x01", 3),
                            std::string("\xff\xff\xff\xff", 4)}) {
    Decoded decoded = DecodeEvent(bytes, out);
    EXPECT_EQ(decoded.error, DecodeError::kNotProtobuf) << bytes;
    EXPECT_FALSE(decoded.reason.empty());
  }
}

TEST(DecodeEvent, FutureSchemaIsRefused) {
  v1::Event event = ValidUpsert();
  event.set_schema_version(kCurrentSchemaVersion + 1);
  Decoded decoded = Decode(event);
  EXPECT_EQ(decoded.error, DecodeError::kFutureSchema);
  EXPECT_NE(decoded.reason.find("schema_version " + std::to_string(kCurrentSchemaVersion + 1)),
            std::string::npos)
      << decoded.reason;
}

TEST(DecodeEvent, MissingFieldsAreInvalidWithReason) {
  struct Case {
    void (*breaks)(v1::Event&);
    const char* reason;
  };
  const Case cases[] = {
      {[](v1::Event& e) { e.clear_event_id(); }, "event_id"},
      {[](v1::Event& e) { e.clear_schema_version(); }, "schema_version"},
      {[](v1::Event& e) { e.clear_source_system(); }, "source_system"},
      {[](v1::Event& e) { e.clear_source_record_id(); }, "source_record_id"},
      {[](v1::Event& e) { e.clear_occurred_at_ms(); }, "occurred_at_ms"},
      {[](v1::Event& e) { e.set_occurred_at_ms(-5); }, "occurred_at_ms"},
      {[](v1::Event& e) { e.clear_payload(); }, "payload"},
      {[](v1::Event& e) { e.set_customer_key("anna@corp.de"); }, "customer_key"},
      {[](v1::Event& e) { e.clear_customer_key(); }, "customer_key"},
      // Junk or unnormalised identities never reach the fold.
      {[](v1::Event& e) { e.set_customer_key("email:null"); }, "customer_key"},
      {[](v1::Event& e) { e.set_customer_key("email:test@example.com"); }, "customer_key"},
      {[](v1::Event& e) { e.set_customer_key("email:Anna@Corp.de"); }, "customer_key"},
      {[](v1::Event& e) { e.set_customer_key("src:crm:-1"); }, "customer_key"},
      {[](v1::Event& e) { e.set_customer_key("src:crm"); }, "customer_key"},
      {[](v1::Event& e) { e.mutable_campaign_upserted()->set_name("Spring"); }, "campaign_id"},
  };
  for (const auto& c : cases) {
    v1::Event event = ValidUpsert();
    c.breaks(event);
    Decoded decoded = Decode(event);
    EXPECT_EQ(decoded.error, DecodeError::kInvalid) << c.reason;
    EXPECT_NE(decoded.reason.find(c.reason), std::string::npos) << decoded.reason;
    EXPECT_EQ(ValidateEvent(event), decoded.reason);
  }
}

TEST(DecodeEvent, SourceKeyIsAUsableIdentity) {
  v1::Event event = ValidUpsert();
  event.set_customer_key("src:crm:003A0000011");
  EXPECT_EQ(Decode(event).error, DecodeError::kNone);
}

TEST(DecodeEvent, CampaignNeedsNoCustomerKey) {
  v1::Event event = ValidUpsert();
  event.clear_customer_key();
  event.mutable_campaign_upserted()->set_campaign_id("spring");
  EXPECT_EQ(Decode(event).error, DecodeError::kNone);
}

// Identity events name customers by their keys; junk there would merge
// strangers, so they are held to the rule customer keys follow.
TEST(DecodeEvent, IdentityEventsNeedUsableKeys) {
  v1::Event claim = ValidUpsert();
  claim.mutable_identity_claimed()->set_holder_key("email:null");
  EXPECT_EQ(Decode(claim).error, DecodeError::kInvalid);
  claim.mutable_identity_claimed()->set_holder_key("src:marketing:m1");
  EXPECT_EQ(Decode(claim).error, DecodeError::kNone);

  v1::Event merge = ValidUpsert();
  merge.mutable_merge_requested()->set_survivor_key("anna@corp.de");
  EXPECT_NE(Decode(merge).reason.find("survivor_key"), std::string::npos);

  v1::Event moved = ValidUpsert();
  moved.mutable_customer_moved()->mutable_customer()->set_customer_id("c1");
  moved.mutable_customer_moved()->mutable_customer()->add_aliases("email:test@example.com");
  EXPECT_NE(Decode(moved).reason.find("moved alias"), std::string::npos);
  moved.mutable_customer_moved()->mutable_customer()->set_aliases(0, "email:anna@corp.de");
  EXPECT_EQ(Decode(moved).error, DecodeError::kNone);
  moved.mutable_customer_moved()->add_timelines();
  EXPECT_EQ(Decode(moved).error, DecodeError::kInvalid);
}

TEST(DecodeEvent, ForwardedEventMustBeAValidCustomerEvent) {
  v1::Event forward = ValidUpsert();
  *forward.mutable_event_forwarded()->mutable_event() = ValidUpsert();
  EXPECT_EQ(Decode(forward).error, DecodeError::kNone);

  v1::Event inner = ValidUpsert();
  inner.clear_event_id();
  *forward.mutable_event_forwarded()->mutable_event() = inner;
  EXPECT_NE(Decode(forward).reason.find("forwarded event: missing event_id"), std::string::npos);

  v1::Event campaign = ValidUpsert();
  campaign.mutable_campaign_upserted()->set_campaign_id("spring");
  *forward.mutable_event_forwarded()->mutable_event() = campaign;
  EXPECT_NE(Decode(forward).reason.find("must carry a customer event"), std::string::npos);
}

TEST(StageNames, LifecycleRoundTrip) {
  for (int i = v1::LifecycleStage_MIN + 1; i <= v1::LifecycleStage_MAX; ++i) {
    auto stage = static_cast<v1::LifecycleStage>(i);
    EXPECT_EQ(ParseLifecycleStage(LifecycleStageName(stage)), stage) << i;
  }
  EXPECT_EQ(LifecycleStageName(v1::LIFECYCLE_STAGE_MQL), "mql");
  EXPECT_EQ(LifecycleStageName(v1::LIFECYCLE_STAGE_AT_RISK), "at_risk");
  EXPECT_EQ(ParseLifecycleStage("SQL"), v1::LIFECYCLE_STAGE_SQL);
  EXPECT_EQ(ParseLifecycleStage("unspecified"), std::nullopt);
  EXPECT_EQ(ParseLifecycleStage(""), std::nullopt);
  EXPECT_EQ(ParseLifecycleStage("prospect"), std::nullopt);
  EXPECT_EQ(ParseLifecycleStage("LIFECYCLE_STAGE_MQL"), std::nullopt);
}

TEST(StageNames, DealRoundTrip) {
  for (int i = v1::DealStage_MIN + 1; i <= v1::DealStage_MAX; ++i) {
    auto stage = static_cast<v1::DealStage>(i);
    EXPECT_EQ(ParseDealStage(DealStageName(stage)), stage) << i;
  }
  EXPECT_EQ(DealStageName(v1::DEAL_STAGE_CLOSED_WON), "closed_won");
  EXPECT_EQ(ParseDealStage("Closed_Lost"), v1::DEAL_STAGE_CLOSED_LOST);
  EXPECT_EQ(ParseDealStage("unspecified"), std::nullopt);
  EXPECT_EQ(ParseDealStage("won"), std::nullopt);
}

TEST(StageNames, EngagementKindRoundTrip) {
  for (int i = v1::EngagementKind_MIN + 1; i <= v1::EngagementKind_MAX; ++i) {
    auto kind = static_cast<v1::EngagementKind>(i);
    EXPECT_EQ(ParseEngagementKind(EngagementKindName(kind)), kind) << i;
  }
  EXPECT_EQ(EngagementKindName(v1::ENGAGEMENT_KIND_FORM_SUBMITTED), "form_submitted");
  EXPECT_EQ(ParseEngagementKind("Webinar_Attended"), v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED);
  EXPECT_EQ(ParseEngagementKind("unspecified"), std::nullopt);
  EXPECT_EQ(ParseEngagementKind("attended"), std::nullopt);
}

TEST(MessageKey, CampaignsByCampaignAccountsByAccountOthersByCustomer) {
  v1::Event event = ValidUpsert();
  EXPECT_EQ(MessageKey(event), "email:anna@corp.de");
  event.mutable_campaign_upserted()->set_campaign_id("spring-25");
  EXPECT_EQ(MessageKey(event), "campaign:spring-25");
  event.mutable_account_upserted()->set_account_id("001A");
  EXPECT_EQ(MessageKey(event), "account:" + event.source_system() + ":001A");
}

TEST(CheckMessageKey, TheMessageKeyMustBeTheEventsOwn) {
  v1::Event event = ValidUpsert();
  const std::string own = "email:anna@corp.de", other = "email:bob@corp.de";
  EXPECT_EQ(CheckMessageKey(event, &own), "");
  EXPECT_EQ(CheckMessageKey(event, &other),
            "message key \"email:bob@corp.de\" is not the event's key \"email:anna@corp.de\"");
  EXPECT_EQ(CheckMessageKey(event, nullptr),
            "message key (none) is not the event's key \"email:anna@corp.de\"");
  // Keys of their own: accounts, and ticks, whichever partition they were
  // written to.
  event.mutable_account_upserted()->set_account_id("001A");
  const std::string account = "account:" + event.source_system() + ":001A";
  EXPECT_EQ(CheckMessageKey(event, &account), "");
  event.mutable_tick()->set_partition(3);
  const std::string tick = "tick";
  EXPECT_EQ(CheckMessageKey(event, &tick), "");
}

TEST(ValidateEvent, AccountsNeedAnIdButNoCustomer) {
  v1::Event event = ValidUpsert();
  event.clear_customer_key();
  event.mutable_account_upserted()->set_name("Krüger & Lang");
  EXPECT_EQ(ValidateEvent(event), "account without account_id");
  event.mutable_account_upserted()->set_account_id("001A");
  EXPECT_EQ(ValidateEvent(event), "");
}

TEST(Topics, PrefixedNames) {
  Topics topics("t1");
  EXPECT_EQ(topics.events, "t1.events");
  EXPECT_EQ(topics.campaigns, "t1.campaigns");
  EXPECT_EQ(topics.feedback, "t1.feedback");
  EXPECT_EQ(topics.deadletter, "t1.deadletter");
  EXPECT_EQ(Topics().events, "accord.events");
}

}  // namespace
}  // namespace accord::events
