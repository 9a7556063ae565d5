#include "connectors/mapping/builtin_mappings.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

namespace accord::connectors {
namespace {

namespace pb = google::protobuf;

// A header and one record of an export, cell by cell in the file's order.
using Row = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kFileTime = 1735689600000;       // 2025-01-01T00:00:00Z, the file's mtime
constexpr int64_t kIngested = 1767225600000;       // 2026-01-01T00:00:00Z
constexpr int64_t kMarch14At0930 = 1741944600000;  // 2025-03-14T09:30:00Z

const std::vector<std::string> kShipped = {"accord-campaigns",
                                           "accord-contacts",
                                           "accord-deals",
                                           "accord-engagement",
                                           "accord-lead-decisions",
                                           "accord-orders",
                                           "google-contacts",
                                           "hubspot-companies",
                                           "hubspot-contacts",
                                           "hubspot-deals",
                                           "outlook-contacts",
                                           "outlook-contacts-de",
                                           "postgres-accounts",
                                           "postgres-activities",
                                           "postgres-contacts",
                                           "postgres-contacts-deleted",
                                           "postgres-deals",
                                           "postgres-deals-deleted",
                                           "salesforce-accounts",
                                           "salesforce-campaign-members",
                                           "salesforce-campaigns",
                                           "salesforce-contacts",
                                           "salesforce-opportunities",
                                           "spreadsheet-de",
                                           "spreadsheet-orders-de"};

// Maps `row` as an importer does: the header bound by name, one value per
// mapping column in columns() order, nullopt for an absent optional column.
Mapping::Result MapRow(const Mapping& mapping, const Row& row) {
  std::vector<std::string> header;
  for (const auto& cell : row) header.push_back(cell.first);
  std::vector<std::optional<std::string>> values;
  for (size_t position : mapping.BindHeader(header)) {
    if (position == Mapping::kAbsent)
      values.emplace_back();
    else
      values.push_back(row[position].second);
  }
  return mapping.Map(values, kFileTime, kIngested);
}

// What a sample row must become.
struct Expected {
  std::string system;
  std::string record_id;
  std::string customer_key;  // "" for campaign and account definitions
  int64_t occurred_at_ms;
  uint64_t version;
  std::string payload;  // the payload in protobuf text format
};

struct Sample {
  std::string mapping;
  Row row;
  Expected expected;
};

void PrintTo(const Sample& sample, std::ostream* os) {
  *os << sample.mapping;
}

// The event's payload, whichever it is.
const pb::Message& Payload(const v1::Event& event) {
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(event.payload_case());
  return event.GetReflection()->GetMessage(event, field);
}

void ExpectEvent(const v1::Event& event, const Expected& expected) {
  EXPECT_EQ(event.source_system(), expected.system);
  EXPECT_EQ(event.source_record_id(), expected.record_id);
  EXPECT_EQ(event.customer_key(), expected.customer_key);
  EXPECT_EQ(event.occurred_at_ms(), expected.occurred_at_ms);
  EXPECT_EQ(event.source_version(), expected.version);
  EXPECT_EQ(event.ingested_at_ms(), kIngested);
  EXPECT_FALSE(event.event_id().empty());

  const pb::Message& payload = Payload(event);
  std::unique_ptr<pb::Message> want(payload.New());
  ASSERT_TRUE(pb::TextFormat::ParseFromString(expected.payload, want.get())) << expected.payload;
  pb::util::MessageDifferencer differencer;
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(*want, payload)) << differences;
}

// ------------------------------------------------------------ every built-in

TEST(BuiltinMappings, TheShippedSetIsCompiledIn) {
  std::vector<std::string> names;
  for (const auto& [name, text] : BuiltinMappingTexts()) names.push_back(name);
  EXPECT_EQ(names, kShipped);
}

TEST(BuiltinMappings, CompiledTextsMatchTheFilesInTheSourceTree) {
  // The texts are generated at configure time; a stale build would ship an
  // older mapping than the one reviewed.
  const std::filesystem::path dir =
      std::filesystem::path(ACCORD_SOURCE_DIR) / "connectors/mapping/builtin";
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string name = entry.path().stem().string();
    files.insert(name);
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto it = BuiltinMappingTexts().find(name);
    ASSERT_NE(it, BuiltinMappingTexts().end()) << name;
    EXPECT_EQ(it->second, text.str()) << name;
  }
  EXPECT_EQ(files.size(), BuiltinMappingTexts().size());
}

TEST(BuiltinMappings, EveryOneParsesAndDescribesItself) {
  for (const auto& [name, text] : BuiltinMappingTexts()) {
    SCOPED_TRACE(name);
    std::optional<Mapping> mapping;
    try {
      mapping = Mapping::Parse(text, name);
    } catch (const MappingError& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    EXPECT_FALSE(mapping->description().empty());
    EXPECT_FALSE(mapping->columns().empty());
    // Loading by name gives the same mapping, named for errors.
    Mapping loaded = LoadMapping(name);
    EXPECT_EQ(loaded.name(), "mapping " + name);
    EXPECT_EQ(loaded.columns(), mapping->columns());
    EXPECT_EQ(loaded.description(), mapping->description());
  }
}

// Folded descriptions ("description: >") lose their final line break, so
// `accord import mappings` prints them alike.
TEST(BuiltinMappings, DescriptionsHaveNoTrailingLineBreak) {
  for (const auto& [name, text] : BuiltinMappingTexts()) {
    const std::string description = LoadMapping(name).description();
    EXPECT_FALSE(description.ends_with('\n')) << name;
  }
}

TEST(BuiltinMappings, HowTheFilesAreRead) {
  EXPECT_EQ(LoadMapping("accord-contacts").read().delimiter, ',');
  EXPECT_EQ(LoadMapping("accord-contacts").read().encoding, Encoding::kUtf8);
  EXPECT_EQ(LoadMapping("outlook-contacts").read().encoding, Encoding::kWindows1252);
  EXPECT_EQ(LoadMapping("outlook-contacts-de").read().encoding, Encoding::kWindows1252);
  EXPECT_EQ(LoadMapping("spreadsheet-de").read().delimiter, ';');
  EXPECT_EQ(LoadMapping("spreadsheet-orders-de").read().delimiter, ';');
  // Campaign definitions go to their own topic.
  for (const auto& [name, text] : BuiltinMappingTexts())
    EXPECT_EQ(LoadMapping(name).ForCampaignsTopic(), name.ends_with("-campaigns")) << name;
}

// ------------------------------------------------------------ sample rows

class BuiltinMappingSample : public ::testing::TestWithParam<Sample> {};

TEST_P(BuiltinMappingSample, MapsToTheExpectedEvent) {
  const Sample& sample = GetParam();
  Mapping mapping = LoadMapping(sample.mapping);
  auto result = MapRow(mapping, sample.row);
  ASSERT_TRUE(result.event) << result.column << ": " << result.reason;
  ExpectEvent(*result.event, sample.expected);
}

const Sample kSamples[] = {
    {"accord-contacts",
     {{"source_system", "Marketing"},
      {"record_id", "m-501"},
      {"version", "3"},
      {"updated_at", "2025-03-14T09:30:00Z"},
      {"email", "Anna.Meier@Corp.de"},
      {"first_name", "Anna"},
      {"last_name", "Meier"},
      {"company", "Corp GmbH"},
      {"job_title", "CMO"},
      {"phone", "+49 30 1234"},
      {"city", "Berlin"},
      {"country", "DE"},
      {"lifecycle_stage", "MarketingQualifiedLead"}},
     {"marketing", "m-501", "email:anna.meier@corp.de", kMarch14At0930, 3,
      R"pb(email: "anna.meier@corp.de"
           first_name: "Anna"
           last_name: "Meier"
           company: "Corp GmbH"
           job_title: "CMO"
           phone: "+49 30 1234"
           city: "Berlin"
           country: "DE"
           lifecycle_stage: LIFECYCLE_STAGE_MQL)pb"}},
    // Only the envelope columns: everything else is optional, and a contact
    // without an e-mail address is keyed by its record.
    {"accord-contacts",
     {{"source_system", "crm"},
      {"record_id", "c-7"},
      {"version", "1"},
      {"updated_at", "2025-03-14T09:30:00Z"}},
     {"crm", "c-7", "src:crm:c-7", kMarch14At0930, 1, ""}},
    {"accord-deals",
     {{"source_system", "crm"},
      {"deal_id", "D-100"},
      {"version", "2"},
      {"updated_at", "2025-03-14T09:30:00Z"},
      {"contact_email", "anna.meier@corp.de"},
      {"name", "Corp renewal"},
      {"stage", "closed_won"},
      {"amount", "12500.00"},
      {"currency", "USD"},
      {"campaign_id", "CMP-1"}},
     {"crm", "D-100", "email:anna.meier@corp.de", kMarch14At0930, 2,
      R"pb(deal_id: "D-100"
           name: "Corp renewal"
           stage: DEAL_STAGE_CLOSED_WON
           amount { minor_units: 1250000 currency: "USD" }
           campaign_id: "CMP-1")pb"}},
    {"accord-campaigns",
     {{"source_system", "marketing"},
      {"campaign_id", "CMP-1"},
      {"version", "1"},
      {"updated_at", "2025-03-14T09:30:00Z"},
      {"name", "Spring webinar"},
      {"channel", "webinar"},
      {"start_date", "2025-04-01"},
      {"budget", "5000"}},
     {"marketing", "CMP-1", "", kMarch14At0930, 1,
      R"pb(campaign_id: "CMP-1"
           name: "Spring webinar"
           channel: "webinar"
           start_date: "2025-04-01"
           budget { minor_units: 500000 currency: "EUR" })pb"}},
    {"hubspot-contacts",
     {{"Record ID", "501"},
      {"First Name", "Anna"},
      {"Last Name", "Meier"},
      {"Email", "anna.meier@corp.de"},
      {"Phone Number", "+49 30 1234"},
      {"Lifecycle Stage", "Marketing Qualified Lead"},
      {"Create Date", "2024-11-02 10:00"},
      {"Last Modified Date", "2025-03-14 09:30"},
      {"Company Name", "Corp GmbH"},
      {"Associated Company ID", "8801"},
      {"Job Title", "CMO"},
      {"City", "Berlin"},
      {"Country/Region", "Germany"},
      {"Last Modified Source", "CRM_UI"}},
     {"marketing", "501", "email:anna.meier@corp.de", kMarch14At0930, kMarch14At0930,
      R"pb(email: "anna.meier@corp.de"
           first_name: "Anna"
           last_name: "Meier"
           account_id: "8801"
           company: "Corp GmbH"
           job_title: "CMO"
           phone: "+49 30 1234"
           city: "Berlin"
           country: "DE"
           lifecycle_stage: LIFECYCLE_STAGE_MQL)pb"}},
    {"hubspot-deals",
     {{"Record ID", "9001"},
      {"Deal Name", "Corp renewal"},
      {"Deal Stage", "Contract Sent"},
      {"Amount", "12500.5"},
      {"Currency", "EUR"},
      {"Close Date", "2025-04-30"},
      {"Associated Contact Email", "Anna.Meier@corp.de"},
      {"Last Modified Date", "2025-03-14T09:30:00Z"}},
     {"marketing", "9001", "email:anna.meier@corp.de", kMarch14At0930, kMarch14At0930,
      R"pb(deal_id: "9001"
           name: "Corp renewal"
           stage: DEAL_STAGE_NEGOTIATION
           amount { minor_units: 1250050 currency: "EUR" })pb"}},
    {"salesforce-contacts",
     {{"Contact ID", "0035g00000AbCdE"},
      {"First Name", "Anna"},
      {"Last Name", "Meier"},
      {"Account Name", "Corp GmbH"},
      {"Account ID", "0015g00000QrStU"},
      {"Title", "CMO"},
      {"Email", "anna.meier@corp.de"},
      {"Phone", "+49 30 1234"},
      {"Mailing City", "Berlin"},
      {"Mailing Country", "Germany"},
      {"Marketing Record ID", "501"},
      {"Last Modified Date", "2025-03-14T09:30:00.000Z"},
      {"Last Modified By", "Bernd Vertrieb"}},
     {"crm", "0035g00000AbCdE", "email:anna.meier@corp.de", kMarch14At0930, kMarch14At0930,
      R"pb(email: "anna.meier@corp.de"
           first_name: "Anna"
           last_name: "Meier"
           company: "Corp GmbH"
           job_title: "CMO"
           phone: "+49 30 1234"
           city: "Berlin"
           country: "DE"
           linked_source_ids: "marketing:501"
           account_id: "0015g00000QrStU")pb"}},
    {"salesforce-opportunities",
     {{"Opportunity ID", "0065g00000XyZ"},
      {"Opportunity Name", "Corp renewal"},
      {"Stage", "Closed Lost"},
      {"Amount", "12,500.00"},
      {"Amount Currency", "EUR"},
      {"Contact Email", "anna.meier@corp.de"},
      {"Primary Campaign Source ID", "7015g0000CMP"},
      {"Loss Reason", "Price"},
      {"Close Date", "2025-03-31"},
      {"Last Modified Date", "2025-03-14T09:30:00Z"}},
     {"crm", "0065g00000XyZ", "email:anna.meier@corp.de", kMarch14At0930, kMarch14At0930,
      R"pb(deal_id: "0065g00000XyZ"
           name: "Corp renewal"
           stage: DEAL_STAGE_CLOSED_LOST
           amount { minor_units: 1250000 currency: "EUR" }
           campaign_id: "7015g0000CMP"
           lost_reason: "Price")pb"}},
    {"salesforce-campaigns",
     {{"Campaign ID", "7015g0000CMP"},
      {"Campaign Name", "Spring webinar"},
      {"Type", "Webinar"},
      {"Status", "Planned"},
      {"Start Date", "2025-04-01"},
      {"Budgeted Cost", "5,000.00"},
      {"Last Modified Date", "2025-03-14T09:30:00Z"}},
     {"crm", "7015g0000CMP", "", kMarch14At0930, kMarch14At0930,
      R"pb(campaign_id: "7015g0000CMP"
           name: "Spring webinar"
           channel: "Webinar"
           start_date: "2025-04-01"
           budget { minor_units: 500000 currency: "EUR" })pb"}},
    {"salesforce-campaign-members",
     {{"Campaign Member ID", "00v5g000001"},
      {"Campaign ID", "7015g0000CMP"},
      {"First Name", "Anna"},
      {"Email", "anna.meier@corp.de"},
      {"Member Status", "Responded"},
      {"Last Modified Date", "2025-03-14T09:30:00Z"}},
     {"crm", "00v5g000001", "email:anna.meier@corp.de", kMarch14At0930, kMarch14At0930,
      R"pb(campaign_id: "7015g0000CMP" kind: ENGAGEMENT_KIND_CLICKED)pb"}},
    // Outlook writes neither record ids nor times: the address is the record
    // and the file's time the time of the change.
    {"outlook-contacts",
     {{"Title", ""},
      {"First Name", "Anna"},
      {"Middle Name", ""},
      {"Last Name", "Meier"},
      {"Company", "Corp GmbH"},
      {"Job Title", "CMO"},
      {"Business City", "Berlin"},
      {"Business Country/Region", "Germany"},
      {"Business Phone", "+49 30 1234"},
      {"E-mail Address", "anna.meier@corp.de"},
      {"E-mail Display Name", "Anna Meier"}},
     {"outlook", "anna.meier@corp.de", "email:anna.meier@corp.de", kFileTime, kFileTime,
      R"pb(email: "anna.meier@corp.de"
           first_name: "Anna"
           last_name: "Meier"
           company: "Corp GmbH"
           job_title: "CMO"
           phone: "+49 30 1234"
           city: "Berlin"
           country: "DE")pb"}},
    {"outlook-contacts-de",
     {{"Anrede", "Frau"},
      {"Vorname", "Jürgen"},
      {"Nachname", "Müller"},
      {"Firma", "Bäckerei Müller"},
      {"Position", "Inhaber"},
      {"Ort geschäftlich", "München"},
      {"Land/Region geschäftlich", "Deutschland"},
      {"Telefon geschäftlich", "089 123456"},
      {"E-Mail-Adresse", "j.mueller@baeckerei.de"}},
     {"outlook", "j.mueller@baeckerei.de", "email:j.mueller@baeckerei.de", kFileTime, kFileTime,
      R"pb(email: "j.mueller@baeckerei.de"
           first_name: "Jürgen"
           last_name: "Müller"
           company: "Bäckerei Müller"
           job_title: "Inhaber"
           phone: "089 123456"
           city: "München"
           country: "DE")pb"}},
    {"google-contacts",
     {{"First Name", "Anna"},
      {"Middle Name", ""},
      {"Last Name", "Meier"},
      {"Organization Name", "Corp GmbH"},
      {"Organization Title", "CMO"},
      {"E-mail 1 - Label", "* Work"},
      {"E-mail 1 - Value", "Anna.Meier@corp.de"},
      {"Phone 1 - Label", "Work"},
      {"Phone 1 - Value", "+49 30 1234"},
      {"Address 1 - City", "Berlin"},
      {"Address 1 - Country", "Germany"}},
     {"google", "Anna.Meier@corp.de", "email:anna.meier@corp.de", kFileTime, kFileTime,
      R"pb(email: "anna.meier@corp.de"
           first_name: "Anna"
           last_name: "Meier"
           company: "Corp GmbH"
           job_title: "CMO"
           phone: "+49 30 1234"
           city: "Berlin"
           country: "DE")pb"}},
    {"spreadsheet-de",
     {{"E-Mail", "j.mueller@baeckerei.de"},
      {"Vorname", "Jürgen"},
      {"Nachname", "Müller"},
      {"Firma", "Bäckerei Müller"},
      {"Position", "Inhaber"},
      {"Telefon", "089 123456"},
      {"Ort", "München"},
      {"Land", "Deutschland"},
      {"Status", "Kunde"},
      {"Geändert am", "14.03.2025 09:30"}},
     {"spreadsheet", "j.mueller@baeckerei.de", "email:j.mueller@baeckerei.de", kMarch14At0930,
      kMarch14At0930,
      R"pb(email: "j.mueller@baeckerei.de"
           first_name: "Jürgen"
           last_name: "Müller"
           company: "Bäckerei Müller"
           job_title: "Inhaber"
           phone: "089 123456"
           city: "München"
           country: "DE"
           lifecycle_stage: LIFECYCLE_STAGE_CUSTOMER)pb"}},
    {"accord-engagement",
     {{"source_system", "marketing"},
      {"record_id", "E-77"},
      {"occurred_at", "2025-03-14T09:30:00Z"},
      {"email", "Anna.Meier@Corp.de"},
      {"campaign_id", "C-2025-001"},
      {"kind", "webinar_attended"},
      {"detail", "Sitzung 2"}},
     {"marketing", "E-77", "email:anna.meier@corp.de", kMarch14At0930,
      kMarch14At0930, R"pb(campaign_id: "C-2025-001"
                           kind: ENGAGEMENT_KIND_WEBINAR_ATTENDED
                           detail: "Sitzung 2")pb"}},
    {"accord-orders",
     {{"source_system", "shop"},
      {"order_id", "B-1"},
      {"ordered_at", "2025-03-14T09:30:00Z"},
      {"email", "anna.meier@corp.de"},
      {"amount", "1234.50"},
      {"currency", "CHF"}},
     {"shop", "B-1", "email:anna.meier@corp.de", kMarch14At0930, kMarch14At0930,
      R"pb(order_id: "B-1"
           amount { minor_units: 123450 currency: "CHF" })pb"}},
    {"accord-lead-decisions",
     {{"source_system", "crm"},
      {"record_id", "LD-9"},
      {"decided_at", "2025-03-14T09:30:00Z"},
      {"email", "anna.meier@corp.de"},
      {"accepted", "no"},
      {"reason_code", "no_budget"},
      {"reason_text", "Budget erst 2026"}},
     {"crm", "LD-9", "email:anna.meier@corp.de", kMarch14At0930, kMarch14At0930,
      R"pb(accepted: false reason_code: "no_budget" reason_text: "Budget erst 2026")pb"}},
    {"spreadsheet-orders-de",
     {{"Bestellnummer", "B-2025-0042"},
      {"Datum", "14.03.2025 09:30"},
      {"E-Mail", "j.mueller@baeckerei.de"},
      {"Artikel", "Ofen"},
      {"Betrag", "1.234,50"}},
     {"spreadsheet", "B-2025-0042", "email:j.mueller@baeckerei.de", kMarch14At0930, kMarch14At0930,
      R"pb(order_id: "B-2025-0042"
           amount { minor_units: 123450 currency: "EUR" })pb"}},
    // Row changes as `accord cdc postgres` hands them over: the table's
    // columns plus _op, _lsn, _commit_time and _table.
    {"postgres-contacts",
     {{"id", "42"},
      {"email", "Anna.Meier@Corp.de"},
      {"first_name", "Anna"},
      {"last_name", "Meier"},
      {"city", "Berlin"},
      {"lifecycle_stage", "sql"},
      {"account_id", "3"},
      {"updated_by", "vertrieb"},
      {"_op", "update"},
      {"_lsn", "22036400"},
      {"_commit_time", "2025-03-14T09:30:00.000Z"},
      {"_table", "public.contacts"}},
     {"crm", "42", "email:anna.meier@corp.de", kMarch14At0930, 22036400,
      R"pb(email: "anna.meier@corp.de"
           first_name: "Anna"
           last_name: "Meier"
           city: "Berlin"
           lifecycle_stage: LIFECYCLE_STAGE_SQL
           account_id: "3")pb"}},
    {"postgres-contacts-deleted",
     {{"id", "42"},
      {"email", "anna.meier@corp.de"},
      {"_op", "delete"},
      {"_lsn", "22036500"},
      {"_commit_time", "2025-03-14T09:30:00.000Z"},
      {"_table", "public.contacts"}},
     {"crm", "42", "email:anna.meier@corp.de", kMarch14At0930, 22036500,
      R"pb(reason: "deleted in the sales database")pb"}},
    {"postgres-deals",
     {{"id", "7"},
      {"contact_email", "anna.meier@corp.de"},
      {"name", "Lizenz 2025"},
      {"stage", "negotiation"},
      {"amount", "12500.50"},
      {"currency", "CHF"},
      {"campaign_id", ""},
      {"_op", "insert"},
      {"_lsn", "22036600"},
      {"_commit_time", "2025-03-14T09:30:00.000Z"},
      {"_table", "public.deals"}},
     {"crm", "7", "email:anna.meier@corp.de", kMarch14At0930, 22036600,
      R"pb(deal_id: "7"
           name: "Lizenz 2025"
           stage: DEAL_STAGE_NEGOTIATION
           amount { minor_units: 1250050 currency: "CHF" })pb"}},
    {"postgres-deals-deleted",
     {{"id", "7"},
      {"contact_email", "anna.meier@corp.de"},
      {"name", "Lizenz 2025"},
      {"_op", "delete"},
      {"_lsn", "22036700"},
      {"_commit_time", "2025-03-14T09:30:00.000Z"},
      {"_table", "public.deals"}},
     {"crm", "7", "email:anna.meier@corp.de", kMarch14At0930, 22036700,
      R"pb(deal_id: "7"
           name: "Lizenz 2025"
           stage: DEAL_STAGE_CLOSED_LOST
           lost_reason: "deleted in the sales database")pb"}},
    {"postgres-accounts",
     {{"id", "3"},
      {"name", "Krüger, Lang & Kollegen"},
      {"domain", "kl-steuer.de"},
      {"industry", "Steuerberatung"},
      {"employees", "48"},
      {"annual_revenue", "6100000.00"},
      {"currency", ""},
      {"country", "DE"},
      {"city", "Kaiserslautern"},
      {"_op", "update"},
      {"_lsn", "22036800"},
      {"_commit_time", "2025-03-14T09:30:00.000Z"},
      {"_table", "public.accounts"}},
     {"crm", "3", "", kMarch14At0930, 22036800,
      R"pb(account_id: "3"
           name: "Krüger, Lang & Kollegen"
           domain: "kl-steuer.de"
           industry: "Steuerberatung"
           employees: 48
           annual_revenue { minor_units: 610000000 currency: "EUR" }
           country: "DE"
           city: "Kaiserslautern")pb"}},
    {"postgres-activities",
     {{"id", "12"},
      {"contact_email", "Anna.Meier@Corp.de"},
      {"kind", "Termin"},
      {"subject", "Vor-Ort-Termin Lizenzen"},
      {"outbound", "t"},
      {"updated_by", "vertrieb"},
      {"_op", "insert"},
      {"_lsn", "22036900"},
      {"_commit_time", "2025-03-14T09:30:00.000Z"},
      {"_table", "public.activities"}},
     {"crm", "12", "email:anna.meier@corp.de", kMarch14At0930, 22036900,
      R"pb(activity_id: "12"
           kind: ACTIVITY_KIND_MEETING
           subject: "Vor-Ort-Termin Lizenzen"
           outbound: true)pb"}},
    {"salesforce-accounts",
     {{"Account ID", "0015g00000QrStU"},
      {"Account Name", "Corp GmbH"},
      {"Website", "www.corp.de"},
      {"Industry", "Manufacturing"},
      {"Employees", "1200"},
      {"Annual Revenue", "250000000"},
      {"Annual Revenue Currency", "CHF"},
      {"Billing City", "Zürich"},
      {"Billing Country", "Switzerland"},
      {"Last Modified Date", "2025-03-14T09:30:00.000Z"},
      {"Last Modified By", "Bernd Vertrieb"}},
     {"crm", "0015g00000QrStU", "", kMarch14At0930, kMarch14At0930,
      R"pb(account_id: "0015g00000QrStU"
           name: "Corp GmbH"
           domain: "www.corp.de"
           industry: "Manufacturing"
           employees: 1200
           annual_revenue { minor_units: 25000000000 currency: "CHF" }
           country: "CH"
           city: "Zürich")pb"}},
    // An export without revenue or address columns.
    {"hubspot-companies",
     {{"Record ID", "8801"},
      {"Company name", "Corp GmbH"},
      {"Company Domain Name", "corp.de"},
      {"Industry", "MACHINERY"},
      {"Number of Employees", "1200"},
      {"Create Date", "2024-11-02 10:00"},
      {"Last Modified Date", "2025-03-14 09:30"}},
     {"marketing", "8801", "", kMarch14At0930, kMarch14At0930,
      R"pb(account_id: "8801"
           name: "Corp GmbH"
           domain: "corp.de"
           industry: "MACHINERY"
           employees: 1200)pb"}},
};

INSTANTIATE_TEST_SUITE_P(Shipped, BuiltinMappingSample, ::testing::ValuesIn(kSamples),
                         [](const ::testing::TestParamInfo<Sample>& info) {
                           std::string name = std::to_string(info.index) + "_" + info.param.mapping;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(BuiltinMappingSamples, EveryBuiltinHasASample) {
  std::set<std::string> sampled;
  for (const auto& sample : kSamples) sampled.insert(sample.mapping);
  EXPECT_EQ(std::vector<std::string>(sampled.begin(), sampled.end()), kShipped);
}

// ------------------------------------------------------------ details of single built-ins

TEST(BuiltinMappings, OwnWriteBacksAreSkipped) {
  // The CRM and the marketing tool mark changes Accord wrote back.
  auto hubspot = LoadMapping("hubspot-contacts");
  const Row hubspot_row = {{"Record ID", "501"},
                           {"Email", "anna.meier@corp.de"},
                           {"Lifecycle Stage", "lead"},
                           {"Last Modified Date", "2025-03-14 09:30"},
                           {"Last Modified Source", "Accord"}};
  auto result = MapRow(hubspot, hubspot_row);
  EXPECT_TRUE(result.own_write);
  EXPECT_FALSE(result.event);

  auto salesforce = LoadMapping("salesforce-contacts");
  for (const char* by : {"Accord Integration", "accord"}) {
    const Row row = {{"Contact ID", "003"},
                     {"Email", "anna.meier@corp.de"},
                     {"Marketing Record ID", ""},
                     {"Last Modified Date", "2025-03-14T09:30:00Z"},
                     {"Last Modified By", by}};
    EXPECT_TRUE(MapRow(salesforce, row).own_write) << by;
  }
}

TEST(BuiltinMappings, GermanOutlookHeaderReadAsWindows1252) {
  // The header as Outlook writes it (ä is the single byte 0xe4), converted
  // the way the CSV reader converts it, matches the mapping's UTF-8 names.
  auto mapping = LoadMapping("outlook-contacts-de");
  const std::string phone = std::string("Telefon gesch") + '\xe4' + "ftlich";
  std::vector<std::string> header;
  for (const std::string& raw : {std::string("Vorname"), phone, std::string("E-Mail-Adresse")})
    header.push_back(*ToUtf8(raw, mapping.read().encoding));
  auto bound = mapping.BindHeader(header);
  const auto& columns = mapping.columns();
  auto it = std::find(columns.begin(), columns.end(), "Telefon geschäftlich");
  ASSERT_NE(it, columns.end());
  EXPECT_EQ(bound[it - columns.begin()], 1u);
}

TEST(BuiltinMappings, SpreadsheetRejectsImpossibleDatesAndEnglishAmounts) {
  auto orders = LoadMapping("spreadsheet-orders-de");
  auto order = [&](const char* date, const char* amount) {
    return MapRow(orders, {{"Bestellnummer", "B-1"},
                           {"Datum", date},
                           {"E-Mail", "j.mueller@baeckerei.de"},
                           {"Betrag", amount}});
  };
  auto mapped = order("14.03.2025", "99,90");
  ASSERT_TRUE(mapped.event) << mapped.reason;
  EXPECT_EQ(mapped.event->order_placed().amount().minor_units(), 9990);

  auto expect_rejected = [](const Mapping::Result& result, const std::string& column,
                            const std::string& text) {
    EXPECT_FALSE(result.event);
    EXPECT_EQ(result.column, column);
    EXPECT_NE(result.reason.find(text), std::string::npos) << result.reason;
  };
  expect_rejected(order("31.02.2025", "99,90"), "Datum", "\"31.02.2025\"");
  expect_rejected(order("14.03.2025", "1,234.50"), "Betrag", "\"1,234.50\"");
  expect_rejected(order("14.03.2025", ""), "Betrag", "required");
}

TEST(BuiltinMappings, RequiredColumnsOfAnExport) {
  // A HubSpot deals export without the contact column cannot say whose deals they are.
  try {
    LoadMapping("hubspot-deals")
        .BindHeader(
            {"Record ID", "Deal Name", "Deal Stage", "Amount", "Currency", "Last Modified Date"});
    ADD_FAILURE() << "bound without the contact column";
  } catch (const MappingError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with(
        "mapping hubspot-deals:9: column \"Associated Contact Email\" is not in the file's header"))
        << e.what();
  }
}

// ------------------------------------------------------------ LoadMapping

// A directory of its own under the system's temporary directory, removed
// with the fixture.
class LoadMappingFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("accord-mapping-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& file, const std::string& text) {
    const auto path = dir_ / file;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(LoadMappingFile, LoadsAFileByPath) {
  const std::string path = Write("tickets.yaml",
                                 "description: Tickets from the help desk.\n"
                                 "event: support_ticket\n"
                                 "source_system: {value: helpdesk}\n"
                                 "record_id: Ticket\n"
                                 "customer: {email: Requester}\n"
                                 "fields:\n"
                                 "  subject: Subject\n"
                                 "  complaint: {column: Complaint, optional: true}\n");
  Mapping mapping = LoadMapping(path);
  EXPECT_EQ(mapping.name(), path);
  EXPECT_EQ(mapping.description(), "Tickets from the help desk.");
  EXPECT_EQ(mapping.columns(),
            (std::vector<std::string>{"Ticket", "Subject", "Complaint", "Requester"}));
  auto result = MapRow(mapping, {{"Ticket", "T-1"},
                                 {"Requester", "anna@corp.de"},
                                 {"Subject", "Broken oven"},
                                 {"Complaint", "x"}});
  ASSERT_TRUE(result.event) << result.reason;
  EXPECT_EQ(result.event->support_ticket().ticket_id(), "T-1");
  EXPECT_EQ(result.event->support_ticket().subject(), "Broken oven");
  EXPECT_TRUE(result.event->support_ticket().complaint());
}

TEST_F(LoadMappingFile, ErrorsInAFileNameThePathAndLine) {
  const std::string path = Write("bad.yaml",
                                 "event: customer_upserted\n"
                                 "source_system: crm\n"
                                 "record_id: id\n"
                                 "fields:\n"
                                 "  surname: last\n");
  try {
    LoadMapping(path);
    ADD_FAILURE() << "loaded a mapping with an unknown field";
  } catch (const MappingError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with(path + ":5: no field \"surname\"")) << e.what();
  }
}

TEST(LoadMapping, UnknownNameListsTheBuiltins) {
  try {
    LoadMapping("salesforce-leads");
    ADD_FAILURE() << "loaded an unknown mapping";
  } catch (const MappingError& e) {
    std::string expected = "salesforce-leads: neither a mapping file nor a built-in mapping (";
    for (size_t i = 0; i < kShipped.size(); ++i) expected += (i ? ", " : "") + kShipped[i];
    EXPECT_EQ(std::string(e.what()), expected + ")");
  }
  EXPECT_THROW(LoadMapping(""), MappingError);
  EXPECT_THROW(LoadMapping("/no/such/dir/mapping.yaml"), MappingError);
}

TEST(LoadMapping, UnreadableFile) {
  try {
    Mapping::Load("/no/such/dir/mapping.yaml");
    ADD_FAILURE() << "loaded a file that does not exist";
  } catch (const MappingError& e) {
    EXPECT_EQ(std::string(e.what()), "/no/such/dir/mapping.yaml: cannot read the mapping file");
  }
}

}  // namespace
}  // namespace accord::connectors
