#include "connectors/csv/row_mapping.h"

#include <gtest/gtest.h>

#include "core/events/envelope.h"

namespace accord::connectors::csv {
namespace {

using Fields = std::vector<std::string>;

constexpr int64_t kIngested = 1767225600000;

Record Row(Fields fields) {
  return {2, std::move(fields)};
}

// Maps one row; the event when it maps, else nullopt and `rejection` set.
struct Mapped {
  std::optional<v1::Event> event;
  Rejection rejection;
};

Mapped MapRow(Kind kind, const Fields& header, const Fields& row, int64_t ingested = kIngested) {
  Mapped out;
  out.event = RowMapper(kind, header).Map(Row(row), ingested, out.rejection);
  return out;
}

// Expects the row to be rejected on `column` with a reason mentioning `text`.
void ExpectRejected(const Mapped& mapped, const std::string& column, const std::string& text) {
  EXPECT_FALSE(mapped.event.has_value());
  EXPECT_EQ(mapped.rejection.column, column);
  EXPECT_NE(mapped.rejection.reason.find(text), std::string::npos) << mapped.rejection.reason;
}

const Fields kContactHeader = {"source_system", "record_id",  "version",        "updated_at",
                               "email",         "first_name", "lifecycle_stage"};

Mapped Contact(const std::string& email, const std::string& stage = "",
               const std::string& version = "3",
               const std::string& updated = "2025-03-14T09:30:00Z",
               const std::string& system = "Marketing", const std::string& record = "m1") {
  return MapRow(Kind::kContacts, kContactHeader,
                {system, record, version, updated, email, " Anna ", stage});
}

TEST(RowMapping, TextInAnotherEncodingIsRejected) {
  // "Jürgen" as a Latin-1 export writes it: no consumer could decode it.
  ExpectRejected(MapRow(Kind::kContacts, kContactHeader,
                        {"crm", "c1", "1", "2025-03-14T09:30:00Z", "j@corp.de", "J\xfcrgen", ""}),
                 "first_name", "UTF-8");
  // An overlong encoding of '/' and a lone surrogate are not UTF-8 either.
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80"})
    ExpectRejected(MapRow(Kind::kContacts, kContactHeader,
                          {"crm", "c1", "1", "2025-03-14T09:30:00Z", "j@corp.de", bad, ""}),
                   "first_name", "UTF-8");
  EXPECT_TRUE(MapRow(Kind::kContacts, kContactHeader,
                     {"crm", "c1", "1", "2025-03-14T09:30:00Z", "j@corp.de", "Jürgen 🎉", ""})
                  .event);
}

TEST(RowMapping, SystemNamesThatWouldBreakIdentityKeysAreRejected) {
  ExpectRejected(Contact("a@corp.de", "", "1", "2025-03-14T09:30:00Z", ":ar+eting"),
                 "source_system", "not a system name");
  ExpectRejected(Contact("", "", "1", "2025-03-14T09:30:00Z", "crm system"), "source_system",
                 "not a system name");
  EXPECT_TRUE(Contact("", "", "1", "2025-03-14T09:30:00Z", "SAP-CRM_2.0").event);
}

TEST(RowMapping, DatesBeforeTheEpochAreRejected) {
  ExpectRejected(Contact("a@corp.de", "", "1", "1969-12-31T23:59:59Z"), "updated_at", "1970");
  ExpectRejected(Contact("a@corp.de", "", "1", "1970-01-01T00:00:00Z"), "updated_at", "1970");
}

TEST(RowMapping, ContactEnvelopeAndPayload) {
  Mapped mapped = Contact(" Anna@Corp.DE ", "MarketingQualifiedLead");
  ASSERT_TRUE(mapped.event) << mapped.rejection.reason;
  const v1::Event& e = *mapped.event;
  EXPECT_EQ(e.source_system(), "marketing");
  EXPECT_EQ(e.source_record_id(), "m1");
  EXPECT_EQ(e.source_version(), 3u);
  EXPECT_EQ(e.occurred_at_ms(), 1741944600000);
  EXPECT_EQ(e.ingested_at_ms(), kIngested);
  EXPECT_EQ(e.schema_version(), events::kCurrentSchemaVersion);
  EXPECT_EQ(e.origin(), v1::ORIGIN_EXTERNAL);
  EXPECT_EQ(e.customer_key(), "email:anna@corp.de");
  EXPECT_EQ(e.event_id(), events::MakeEventId("marketing", "m1", 3, "customer_upserted"));
  EXPECT_EQ(e.correlation_id(), e.event_id());
  ASSERT_TRUE(e.has_customer_upserted());
  EXPECT_EQ(e.customer_upserted().email(), "anna@corp.de");
  EXPECT_EQ(e.customer_upserted().first_name(), "Anna");
  EXPECT_FALSE(e.customer_upserted().has_company());
  EXPECT_EQ(e.customer_upserted().lifecycle_stage(), v1::LIFECYCLE_STAGE_MQL);
  EXPECT_EQ(events::ValidateEvent(e), "");
}

TEST(RowMapping, HeaderByNameInAnyOrder) {
  Mapped mapped =
      MapRow(Kind::kContacts,
             {"Email", " UPDATED_AT ", "first_name", "record_id", "Version", "source_system"},
             {"anna@corp.de", "2025-03-14", "Anna", "m1", "3", "marketing"});
  ASSERT_TRUE(mapped.event) << mapped.rejection.reason;
  EXPECT_EQ(mapped.event->event_id(), Contact("anna@corp.de").event->event_id());
  EXPECT_EQ(mapped.event->customer_upserted().first_name(), "Anna");
}

TEST(RowMapping, MissingRequiredColumnsAreNamed) {
  try {
    RowMapper(Kind::kContacts, {"source_system", "record_id", "email"});
    FAIL() << "expected LayoutError";
  } catch (const LayoutError& e) {
    EXPECT_NE(std::string(e.what()).find("version, updated_at"), std::string::npos) << e.what();
  }
  EXPECT_THROW(
      RowMapper(Kind::kCampaigns, {"source_system", "campaign_id", "version", "updated_at"}),
      LayoutError);
  EXPECT_THROW(
      RowMapper(Kind::kDeals, {"source_system", "deal_id", "version", "updated_at", "stage"}),
      LayoutError);
}

TEST(RowMapping, WrongColumnCount) {
  ExpectRejected(MapRow(Kind::kContacts, kContactHeader, {"marketing", "m1", "3"}), "",
                 "expected 7 columns, found 3");
  ExpectRejected(MapRow(Kind::kContacts, kContactHeader, Fields(8, "x")), "",
                 "expected 7 columns, found 8");
}

TEST(RowMapping, ContactEmails) {
  ExpectRejected(Contact("anna(at)corp.de"), "email", "anna(at)corp.de");
  // A junk address is kept as data but never becomes the identity.
  Mapped junk = Contact("test@example.com");
  ASSERT_TRUE(junk.event);
  EXPECT_EQ(junk.event->customer_key(), "src:marketing:m1");
  EXPECT_EQ(junk.event->customer_upserted().email(), "test@example.com");
  Mapped none = Contact("  ");
  ASSERT_TRUE(none.event);
  EXPECT_EQ(none.event->customer_key(), "src:marketing:m1");
  EXPECT_FALSE(none.event->customer_upserted().has_email());
}

TEST(RowMapping, BadEnvelopeValues) {
  for (const char* date : {"2025-02-31", "14.03.2025", "", "2025-03-14T25:00:00Z"})
    ExpectRejected(Contact("anna@corp.de", "", "3", date), "updated_at", "ISO 8601");
  for (const char* version : {"", "0", "-1", "1.5", "abc", "9999999999999999999"})
    ExpectRejected(Contact("anna@corp.de", "", version), "version", "positive whole number");
  ExpectRejected(Contact("anna@corp.de", "", "3", "2025-03-14", "marketing", "null"), "record_id",
                 "placeholder");
  ExpectRejected(Contact("anna@corp.de", "", "3", "2025-03-14", " "), "source_system", "");
  // A placeholder system cannot name a record either.
  ExpectRejected(Contact("", "", "3", "2025-03-14", "none"), "source_system", "none");
}

TEST(RowMapping, LifecycleStages) {
  EXPECT_EQ(Contact("a@corp.de", "at_risk").event->customer_upserted().lifecycle_stage(),
            v1::LIFECYCLE_STAGE_AT_RISK);
  EXPECT_EQ(Contact("a@corp.de", "SQL").event->customer_upserted().lifecycle_stage(),
            v1::LIFECYCLE_STAGE_SQL);
  EXPECT_EQ(Contact("a@corp.de", "salesqualifiedlead").event->customer_upserted().lifecycle_stage(),
            v1::LIFECYCLE_STAGE_SQL);
  ExpectRejected(Contact("a@corp.de", "prospect"), "lifecycle_stage", "prospect");
  ExpectRejected(Contact("a@corp.de", "unspecified"), "lifecycle_stage", "unspecified");
}

const Fields kCampaignHeader = {"campaign_id", "name",       "channel", "source_system",
                                "version",     "updated_at", "budget",  "start_date"};

TEST(RowMapping, Campaigns) {
  Mapped mapped = MapRow(
      Kind::kCampaigns, kCampaignHeader,
      {"spring-25", " Spring ", "Email", "marketing", "2", "2025-03-01", "12500.00", "2025-03-10"});
  ASSERT_TRUE(mapped.event) << mapped.rejection.reason;
  const auto& campaign = mapped.event->campaign_upserted();
  EXPECT_EQ(campaign.campaign_id(), "spring-25");
  EXPECT_EQ(campaign.name(), "Spring");
  EXPECT_EQ(campaign.channel(), "email");
  EXPECT_EQ(campaign.start_date(), "2025-03-10");
  EXPECT_EQ(campaign.budget().minor_units(), 1250000);
  EXPECT_EQ(campaign.budget().currency(), "EUR");
  EXPECT_EQ(events::MessageKey(*mapped.event), "campaign:spring-25");
  EXPECT_EQ(events::ValidateEvent(*mapped.event), "");

  ExpectRejected(MapRow(Kind::kCampaigns, kCampaignHeader,
                        {"s", "S", "email", "marketing", "2", "2025-03-01", "12,5", ""}),
                 "budget", "12,5");
  for (const char* date : {"2025-3-10", "2025-03-10T00:00:00Z", "2025-02-30"})
    ExpectRejected(MapRow(Kind::kCampaigns, kCampaignHeader,
                          {"s", "S", "email", "marketing", "2", "2025-03-01", "", date}),
                   "start_date", date);
}

const Fields kDealHeader = {"deal_id",       "source_system", "version", "updated_at",
                            "contact_email", "stage",         "amount",  "name"};

Mapped DealRow(const std::string& email, const std::string& stage, const std::string& amount) {
  return MapRow(Kind::kDeals, kDealHeader,
                {"d1", "CRM", "4", "2025-03-14T09:30:00+01:00", email, stage, amount, "Big deal"});
}

TEST(RowMapping, Deals) {
  Mapped mapped = DealRow(" Carla@Corp.de", "Closed_Won", "12500");
  ASSERT_TRUE(mapped.event) << mapped.rejection.reason;
  const v1::Event& e = *mapped.event;
  EXPECT_EQ(e.customer_key(), "email:carla@corp.de");
  EXPECT_EQ(e.occurred_at_ms(), 1741944600000 - 3600000);
  EXPECT_EQ(e.deal_upserted().deal_id(), "d1");
  EXPECT_EQ(e.deal_upserted().name(), "Big deal");
  EXPECT_EQ(e.deal_upserted().stage(), v1::DEAL_STAGE_CLOSED_WON);
  EXPECT_EQ(e.deal_upserted().amount().minor_units(), 1250000);
  EXPECT_EQ(e.event_id(), events::MakeEventId("crm", "d1", 4, "deal_upserted"));

  ExpectRejected(DealRow("carla@corp.de", "won", "1"), "stage", "won");
  ExpectRejected(DealRow("carla@corp.de", "proposal", "12,5"), "amount", "12,5");
  ExpectRejected(DealRow("test@example.com", "proposal", "1"), "contact_email", "test@example.com");
  ExpectRejected(DealRow("", "proposal", "1"), "contact_email", "");
  EXPECT_FALSE(DealRow("carla@corp.de", "proposal", "").event->deal_upserted().has_amount());
}

TEST(ParseMinorUnits, Amounts) {
  EXPECT_EQ(ParseMinorUnits("12500.00"), 1250000);
  EXPECT_EQ(ParseMinorUnits("12500"), 1250000);
  EXPECT_EQ(ParseMinorUnits("12500.5"), 1250050);
  EXPECT_EQ(ParseMinorUnits("0.07"), 7);
  EXPECT_EQ(ParseMinorUnits("0"), 0);
  EXPECT_EQ(ParseMinorUnits("-3.50"), -350);
  EXPECT_EQ(ParseMinorUnits("9999999999999999"), 999999999999999900);
  for (const char* text :
       {"12,5", "12,500.00", "", "-", ".", ".5", "5.", "1.234", "1.2.3", "+5", " 5", "1e3", "abc",
        "99999999999999999", "999999999999999999", "-99999999999999999"}) {
    EXPECT_EQ(ParseMinorUnits(text), std::nullopt) << text;
  }
}

TEST(RowMapping, EventIdsAreDeterministicAcrossMappings) {
  const Fields row = {"Marketing", "m1", "3", "2025-03-14", "anna@corp.de", "Anna", ""};
  Mapped first = MapRow(Kind::kContacts, kContactHeader, row, 1000);
  Mapped second = MapRow(Kind::kContacts, kContactHeader, row, 999999);
  ASSERT_TRUE(first.event && second.event);
  EXPECT_EQ(first.event->event_id(), second.event->event_id());
  EXPECT_NE(first.event->ingested_at_ms(), second.event->ingested_at_ms());
  second.event->set_ingested_at_ms(1000);
  EXPECT_EQ(first.event->SerializeAsString(), second.event->SerializeAsString());

  Fields next_version = row;
  next_version[2] = "4";
  EXPECT_NE(MapRow(Kind::kContacts, kContactHeader, next_version).event->event_id(),
            first.event->event_id());
}

}  // namespace
}  // namespace accord::connectors::csv
