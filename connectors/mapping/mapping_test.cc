#include "connectors/mapping/mapping.h"

#include "domain/events/envelope.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

namespace accord::connectors {
namespace {

using Values = std::vector<std::optional<std::string>>;
// A header and one record of a file, cell by cell in the file's order.
using Row = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kFileTime = 1735689600000;  // 2025-01-01T00:00:00Z, a file's mtime
constexpr int64_t kIngested = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr int64_t kMarch14 = 1741910400000;   // 2025-03-14T00:00:00Z
constexpr int64_t kMarch14At0930 = 1741944600000;

// Mapping texts are written one line per element so that the line numbers
// errors must name can be read off the list: element i is line i + 1.
std::string Yaml(std::initializer_list<std::string_view> lines) {
  std::string text;
  for (auto line : lines) (text += line) += '\n';
  return text;
}

Mapping Parse(const std::string& yaml) {
  return Mapping::Parse(yaml, "test.yaml");
}

// Expects loading `yaml` to fail with "test.yaml:<line>: ..." mentioning `text`.
void ExpectRefused(const std::string& yaml, int line, const std::string& text) {
  try {
    Parse(yaml);
    ADD_FAILURE() << "loaded, but should fail at line " << line << " with " << text << "\n" << yaml;
  } catch (const MappingError& e) {
    const std::string message = e.what();
    const std::string prefix = "test.yaml:" + std::to_string(line) + ": ";
    EXPECT_TRUE(message.starts_with(prefix)) << message << "\nexpected line " << line;
    EXPECT_NE(message.find(text), std::string::npos) << message << "\nexpected: " << text;
  }
}

std::vector<std::string> HeaderOf(const Row& row) {
  std::vector<std::string> header;
  for (const auto& [name, value] : row) header.push_back(name);
  return header;
}

// The values Map() takes for `row`, bound through its header the way the
// CSV reader does: one per mapping column, nullopt for an absent optional one.
Values ValuesFor(const Mapping& mapping, const Row& row) {
  Values values;
  for (size_t position : mapping.BindHeader(HeaderOf(row))) {
    if (position == Mapping::kAbsent)
      values.emplace_back();
    else
      values.push_back(row[position].second);
  }
  return values;
}

Mapping::Result MapRow(const Mapping& mapping, const Row& row, int64_t file_time = kFileTime,
                       int64_t ingested = kIngested) {
  return mapping.Map(ValuesFor(mapping, row), file_time, ingested);
}

// `row` with some cells replaced (by header name).
Row With(Row row, const Row& changes) {
  for (const auto& [name, value] : changes) {
    bool found = false;
    for (auto& cell : row)
      if (cell.first == name) cell.second = value, found = true;
    if (!found) ADD_FAILURE() << "no column " << name;
  }
  return row;
}

// Expects `result` to carry an event, and returns it.
v1::Event Mapped(const Mapping::Result& result) {
  EXPECT_TRUE(result.event) << result.column << ": " << result.reason;
  EXPECT_FALSE(result.own_write);
  return result.event.value_or(v1::Event());
}

// Expects the record to be rejected on `column` with a reason mentioning `text`.
void ExpectRejected(const Mapping::Result& result, const std::string& column,
                    const std::string& text) {
  EXPECT_FALSE(result.event);
  EXPECT_FALSE(result.own_write);
  EXPECT_EQ(result.column, column) << result.reason;
  EXPECT_NE(result.reason.find(text), std::string::npos)
      << "reason: " << result.reason << "\nexpected: " << text;
}

// A deal export that exercises the envelope, both customer rules, an enum
// with aliases and money with a currency column; most Map() tests use it.
const std::string kDeals = Yaml({
    "event: deal_upserted",   // 1
    "source_system: system",  // 2
    "record_id: id",          // 3
    "version: version",       // 4
    "occurred_at: updated",   // 5
    "customer:",              // 6
    "  email: contact",       // 7
    "  record: contact_id",   // 8
    "fields:",                // 9
    "  name: {column: name, optional: true}",
    "  stage: {column: stage, required: true, values: {won: closed_won, Closed Won: closed_won}}",
    "  amount: {column: amount, currency_column: currency}",
    "  campaign_id: {column: campaign, optional: true}",
});

const Row kDealRow = {
    {"system", " CRM "},
    {"id", "D-1"},
    {"version", "7"},
    {"updated", "2025-03-14T09:30:00Z"},
    {"contact", " Anna@Corp.DE "},
    {"contact_id", "C-9"},
    {"name", " Big deal "},
    {"stage", "negotiation"},
    {"amount", "12,500.50"},
    {"currency", "USD"},
    {"campaign", "spring"},
};

// ======================================================== refused at load

TEST(MappingLoad, UnknownTopLevelKey) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "colums: [a, b]"}),
                4, "unknown key \"colums\" (expected description, event,");
}

TEST(MappingLoad, UnknownEventListsTheEventsConnectorsMayPublish) {
  ExpectRefused(Yaml({"source_system: {value: crm}", "record_id: id", "event: contact_upserted"}),
                3,
                "unknown event \"contact_upserted\" (one of: account_upserted, activity_logged, "
                "campaign_engagement, campaign_upserted, consent_changed, customer_erased, "
                "customer_upserted, deal_upserted, lead_decision, lead_status_changed, "
                "order_placed, support_ticket)");
  // Accord's own feedback and identity events exist, but no connector may
  // publish them.
  ExpectRefused(Yaml({"event: score_updated", "source_system: {value: crm}", "record_id: id"}), 1,
                "unknown event \"score_updated\"");
  ExpectRefused(Yaml({"event: customer_merged", "source_system: {value: crm}", "record_id: id"}), 1,
                "unknown event \"customer_merged\"");
}

TEST(MappingLoad, UnknownPayloadFieldListsTheKnownFields) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "fields:", "  email: mail", "  surname: last"}),
                6,
                "no field \"surname\" in customer_upserted (fields: email, first_name, "
                "last_name, company, job_title, phone, city, country, lifecycle_stage, "
                "linked_source_ids, account_id)");
}

TEST(MappingLoad, TypeThatDoesNotFitTheField) {
  auto contact_with = [](std::string_view field) {
    return Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                 "fields:", "  email: mail", field});
  };
  ExpectRefused(contact_with("  first_name: {column: n, type: integer}"), 6,
                "type does not fit field \"first_name\"");
  ExpectRefused(contact_with("  lifecycle_stage: {column: s, type: text}"), 6,
                "type does not fit field \"lifecycle_stage\"");
  ExpectRefused(contact_with("  linked_source_ids: {column: l, type: text}"), 6,
                "type does not fit field \"linked_source_ids\"");
  ExpectRefused(
      Yaml({"event: order_placed", "source_system: {value: shop}", "record_id: id",
            "customer: {email: mail}", "fields:", "  amount: {column: total, type: integer}"}),
      6, "type does not fit field \"amount\"");
  ExpectRefused(
      Yaml({"event: consent_changed", "source_system: {value: shop}", "record_id: id",
            "customer: {email: mail}", "fields:", "  granted: {column: optin, type: text}"}),
      6, "type does not fit field \"granted\"");
}

TEST(MappingLoad, UnknownTypeName) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "fields:", "  first_name:", "    column: n", "    type: string"}),
                7,
                "unknown type \"string\" (text, email, integer, money, date, timestamp, "
                "boolean, enum, list)");
}

TEST(MappingLoad, EnumValuesMustTargetAValidSpelling) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "fields:", "  lifecycle_stage: {column: s, values: {hot: burning}}"}),
                5,
                "\"hot\" maps to \"burning\", which is not one of subscriber, lead, mql, sql, "
                "opportunity, customer, at_risk, reactivated");
  // The numbered zero value ("unspecified") is no target either.
  ExpectRefused(Yaml({"event: deal_upserted", "source_system: {value: crm}", "record_id: id",
                      "customer: {email: mail}",
                      "fields:", "  stage: {column: s, values: {open: unspecified}}"}),
                6, "which is not one of prospecting, qualification, proposal, negotiation");
  // A boolean's targets are booleans.
  ExpectRefused(Yaml({"event: consent_changed", "source_system: {value: shop}", "record_id: id",
                      "customer: {email: mail}",
                      "fields:", "  granted: {column: optin, values: {opt-in: maybe}}"}),
                6, "\"opt-in\" maps to \"maybe\", which is not one of true, false");
}

// A bad target in a block-style values: map is named at its own line, so a
// long list of spellings points at the one to fix.
TEST(MappingLoad, EnumValuesErrorNamesTheLineOfTheBadEntry) {
  ExpectRefused(Yaml({"event: customer_upserted",     // 1
                      "source_system: {value: crm}",  // 2
                      "record_id: id",                // 3
                      "fields:",                      // 4
                      "  lifecycle_stage:",           // 5
                      "    column: s",                // 6
                      "    values:",                  // 7
                      "      warm: mql",              // 8
                      "      hot: burning"}),         // 9
                9, "\"hot\" maps to \"burning\"");
}

// Errors about a rule written as a block map name the rule's key, as they do
// for the same rule in flow style, not the block's first entry.
TEST(MappingLoad, BlockStyleErrorsNameTheKeysLine) {
  ExpectRefused(Yaml({"event: campaign_upserted",     // 1
                      "source_system: {value: crm}",  // 2
                      "record_id: id",                // 3
                      "customer:",                    // 4
                      "  email: mail"}),              // 5
                4, "remove customer:");
  ExpectRefused(Yaml({"event: customer_upserted",     // 1
                      "source_system: {value: crm}",  // 2
                      "record_id: id",                // 3
                      "fields:",                      // 4
                      "  first_name:",                // 5
                      "    column: n",                // 6
                      "    type: integer"}),          // 7
                5, "type does not fit field \"first_name\"");
}

// yaml-cpp accepts a key given twice; the loader refuses it at the second
// occurrence, since either copy would silently drop part of the mapping.
TEST(MappingLoad, KeysGivenTwiceAreRefused) {
  ExpectRefused(Yaml({"event: customer_upserted",     // 1
                      "source_system: {value: crm}",  // 2
                      "record_id: id",                // 3
                      "fields:",                      // 4
                      "  email: mail",                // 5
                      "fields:",                      // 6
                      "  city: town"}),               // 7
                6, "fields");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "fields:", "  city: town", "  city: place"}),
                6, "city");
}

TEST(MappingLoad, BadDateFormat) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "read:", "  date_format: DD.MM.YY"}),
                5, "unknown date_format \"DD.MM.YY\" (iso, DD.MM.YYYY, DD/MM/YYYY, MM/DD/YYYY)");
  ExpectRefused(Yaml({"event: campaign_upserted", "source_system: {value: crm}", "record_id: id",
                      "fields:", "  start_date: {column: start, type: date, format: D.M.Y}"}),
                5, "unknown date_format \"D.M.Y\"");
}

TEST(MappingLoad, BadDecimalSeparator) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "read:", "  delimiter: \";\"", "  decimal_separator: \";\""}),
                6, "decimal_separator is \".\" or \",\"");
  ExpectRefused(Yaml({"event: order_placed", "source_system: {value: shop}", "record_id: id",
                      "customer: {email: mail}",
                      "fields:", "  amount: {column: total, decimal_separator: \"'\"}"}),
                6, "decimal_separator is \".\" or \",\"");
}

TEST(MappingLoad, BadEncoding) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "read:", "  encoding: utf-16"}),
                5, "unknown encoding \"utf-16\" (utf-8, latin1, windows-1252)");
}

TEST(MappingLoad, OtherReadSettingsAreChecked) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "read:", "  delimiter: \";;\""}),
                5, "delimiter is one character");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "read:", "  quote: \"'\""}),
                5, "unknown key \"quote\" in read:");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "read: semicolon"}),
                4, "read: is a map");
}

TEST(MappingLoad, ReadSettingsAreKept) {
  auto mapping = Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}",
                             "record_id: id", "read:", "  delimiter: tab", "  encoding: CP1252"}));
  EXPECT_EQ(mapping.read().delimiter, '\t');
  EXPECT_EQ(mapping.read().encoding, Encoding::kWindows1252);
  // Without read: a comma-separated UTF-8 file.
  auto plain =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id"}));
  EXPECT_EQ(plain.read().delimiter, ',');
  EXPECT_EQ(plain.read().encoding, Encoding::kUtf8);
}

TEST(MappingLoad, MissingEventSourceSystemOrRecordId) {
  // Nothing to point at but the start of the file.
  ExpectRefused(Yaml({"source_system: {value: crm}", "record_id: id"}), 1, "missing event:");
  ExpectRefused(Yaml({"event: customer_upserted", "record_id: id"}), 1, "missing source_system:");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}"}), 1,
                "missing record_id:");
}

TEST(MappingLoad, MissingCustomerForCustomerEvents) {
  for (const char* event : {"deal_upserted", "order_placed", "campaign_engagement",
                            "consent_changed", "support_ticket", "activity_logged"}) {
    SCOPED_TRACE(event);
    ExpectRefused(
        Yaml({"source_system: {value: crm}", "record_id: id", "event: " + std::string(event)}), 1,
        "missing customer: (email: or record:)");
  }
  // A contact names itself; a campaign definition belongs to nobody.
  EXPECT_NO_THROW(
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id"})));
  EXPECT_NO_THROW(
      Parse(Yaml({"event: campaign_upserted", "source_system: {value: crm}", "record_id: id"})));
}

TEST(MappingLoad, CustomerOnCampaignOrAccountDefinitions) {
  ExpectRefused(Yaml({"event: campaign_upserted", "source_system: {value: crm}", "record_id: id",
                      "customer: {email: owner}"}),
                4, "campaign_upserted events belong to no customer; remove customer:");
  ExpectRefused(Yaml({"event: account_upserted", "source_system: {value: crm}", "record_id: id",
                      "customer: {email: owner}"}),
                4, "account_upserted events belong to no customer; remove customer:");
}

TEST(MappingLoad, CustomerRulesAreChecked) {
  ExpectRefused(Yaml({"event: deal_upserted", "source_system: {value: crm}", "record_id: id",
                      "customer: {phone: tel}"}),
                4, "unknown key \"phone\" in customer: (email, record)");
  ExpectRefused(Yaml({"event: deal_upserted", "source_system: {value: crm}", "record_id: id",
                      "customer: contact"}),
                4, "customer: has email: and/or record:");
  // The customer comes from the record, never from a constant.
  ExpectRefused(Yaml({"event: deal_upserted", "source_system: {value: crm}", "record_id: id",
                      "customer: {email: {value: a@corp.de}}"}),
                4, "this value comes from a column, not a constant");
}

TEST(MappingLoad, ColumnAndValueTogether) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {column: sys, value: crm}",
                      "record_id: id"}),
                2, "column: and value: exclude each other");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "fields:", "  country: {type: text}"}),
                5, "needs column: or value:");
}

TEST(MappingLoad, RuleKeysAndValuesAreChecked) {
  auto contact_with = [](std::string_view field) {
    return Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                 "fields:", field});
  };
  ExpectRefused(contact_with("  city: {colum: town}"), 5, "unknown key \"colum\" (column,");
  ExpectRefused(contact_with("  city: {column: \" \"}"), 5, "empty column name");
  ExpectRefused(contact_with("  city: [town, place]"), 5,
                "expected a column name or a map with column: or value:");
  ExpectRefused(contact_with("  linked_source_ids: {column: ids, separator: \"\"}"), 5,
                "empty list separator");
  ExpectRefused(
      Yaml({"event: order_placed", "source_system: {value: shop}", "record_id: id",
            "customer: {email: mail}", "fields:", "  amount: {column: total, currency: EURO}"}),
      6, "currency is an ISO 4217 code");
}

TEST(MappingLoad, EnvelopeRulesAreChecked) {
  // The record id and version come from the record, and every record has them.
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}",
                      "record_id: {value: fixed}"}),
                3, "this value comes from a column, not a constant");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}",
                      "record_id: {column: id, optional: true}"}),
                3, "this column is needed");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "version: {column: rev, type: text}"}),
                4, "version is an integer or a timestamp column, or \"content\"");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "occurred_at: {column: changed, type: date}"}),
                4, "occurred_at is a timestamp");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "skip_when: modified_by"}),
                4, "skip_when needs values:");
}

TEST(MappingLoad, FieldsAndRootMustBeMaps) {
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "fields: [email]"}),
                4, "fields: maps payload fields to columns");
  ExpectRefused(Yaml({"- event: customer_upserted"}), 1, "a mapping file is a YAML map");
}

TEST(MappingLoad, InvalidYaml) {
  // A key indented as if it continued the line before.
  ExpectRefused(
      Yaml({"event: customer_upserted", "source_system: {value: crm}", "  record_id: id"}), 3, "");
  // An unclosed bracket: named where the parser gives up, the end of the file.
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: [crm"}), 3, "");
  ExpectRefused(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                      "fields:", "  email: {column: mail"}),
                6, "");
}

TEST(MappingLoad, WrongKindOfYamlNodeNamesItsLine) {
  // A list where a name belongs: yaml-cpp's conversion error, with the line.
  ExpectRefused(
      Yaml({"source_system: {value: crm}", "record_id: id", "event: [customer_upserted]"}), 3, "");
}

TEST(MappingLoad, DescriptionAndTopic) {
  auto contacts =
      Parse(Yaml({"description: \"  Contacts from the CRM. \"", "event: customer_upserted",
                  "source_system: {value: crm}", "record_id: id"}));
  EXPECT_EQ(contacts.name(), "test.yaml");
  EXPECT_EQ(contacts.description(), "Contacts from the CRM.");
  EXPECT_FALSE(contacts.ForCampaignsTopic());
  auto campaigns =
      Parse(Yaml({"event: campaign_upserted", "source_system: {value: crm}", "record_id: id"}));
  EXPECT_EQ(campaigns.description(), "");
  EXPECT_TRUE(campaigns.ForCampaignsTopic());
}

// ======================================================== BindHeader

TEST(MappingBindHeader, EachColumnOnce) {
  auto mapping = Parse(kDeals);
  // Envelope, fields, then customer; "currency" is read by the amount rule.
  EXPECT_EQ(mapping.columns(),
            (std::vector<std::string>{"system", "id", "version", "updated", "name", "stage",
                                      "amount", "currency", "campaign", "contact", "contact_id"}));
}

TEST(MappingBindHeader, MatchesIgnoringCaseAndSurroundingSpaces) {
  auto mapping = Parse(
      Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: Contact ID",
            "fields:", "  email: E-Mail", "  first_name: {column: first name, optional: true}"}));
  auto bound = mapping.BindHeader({" E-MAIL", "extra", "First Name\t", "contact id "});
  EXPECT_EQ(bound, (std::vector<size_t>{3, 0, 2}));
}

TEST(MappingBindHeader, MissingRequiredColumnNamesTheMappingLineAndTheHeader) {
  auto mapping = Parse(kDeals);
  try {
    // No "stage", which kDeals maps on its line 11.
    mapping.BindHeader({"system", "id", "version", "updated", "contact", "contact_id", "name",
                        "amount", "currency", "campaign"});
    ADD_FAILURE() << "bound without a stage column";
  } catch (const MappingError& e) {
    EXPECT_EQ(std::string(e.what()),
              "test.yaml:11: column \"stage\" is not in the file's header (\"system\", \"id\", "
              "\"version\", \"updated\", \"contact\", \"contact_id\", \"name\", \"amount\", "
              "\"currency\", \"campaign\")");
  }
  // The currency column of an amount is needed as much as the amount.
  EXPECT_THROW(mapping.BindHeader({"system", "id", "version", "updated", "contact", "contact_id",
                                   "name", "stage", "amount", "campaign"}),
               MappingError);
}

TEST(MappingBindHeader, AbsentOptionalColumnIsEmpty) {
  auto mapping = Parse(kDeals);
  Row row;
  for (const auto& cell : kDealRow)
    if (cell.first != "name" && cell.first != "campaign") row.push_back(cell);
  auto bound = mapping.BindHeader(HeaderOf(row));
  const auto& columns = mapping.columns();
  for (size_t i = 0; i < columns.size(); ++i)
    EXPECT_EQ(bound[i] == Mapping::kAbsent, columns[i] == "name" || columns[i] == "campaign")
        << columns[i];
  auto deal = Mapped(MapRow(mapping, row)).deal_upserted();
  EXPECT_EQ(deal.name(), "");
  EXPECT_EQ(deal.campaign_id(), "");
  EXPECT_EQ(deal.stage(), v1::DEAL_STAGE_NEGOTIATION);
}

TEST(MappingBindHeader, ColumnReadOptionallyAndRequiredIsRequired) {
  // "mail" is optional for the e-mail field but names the customer: a file
  // without it cannot be mapped.
  auto mapping =
      Parse(Yaml({"event: deal_upserted", "source_system: {value: crm}", "record_id: id",
                  "customer: {email: mail}", "fields:", "  name: {column: mail, optional: true}"}));
  EXPECT_THROW(mapping.BindHeader({"id"}), MappingError);
}

// ======================================================== Map(): envelope

TEST(MappingMap, Envelope) {
  auto mapping = Parse(kDeals);
  auto event = Mapped(MapRow(mapping, kDealRow));
  EXPECT_EQ(event.source_system(), "crm");  // trimmed and lower-cased
  EXPECT_EQ(event.source_record_id(), "D-1");
  EXPECT_EQ(event.source_version(), 7u);
  EXPECT_EQ(event.occurred_at_ms(), kMarch14At0930);
  EXPECT_EQ(event.ingested_at_ms(), kIngested);
  EXPECT_EQ(event.schema_version(), events::kCurrentSchemaVersion);
  EXPECT_EQ(event.origin(), v1::ORIGIN_EXTERNAL);
  EXPECT_EQ(event.customer_key(), "email:anna@corp.de");
  EXPECT_EQ(event.event_id().size(), 32u);
  EXPECT_EQ(event.correlation_id(), event.event_id());
  ASSERT_TRUE(event.has_deal_upserted());
}

TEST(MappingMap, ANulByteInAnyColumnRejectsTheRecordNamingTheColumn) {
  auto mapping = Parse(kDeals);
  using namespace std::string_literals;
  ExpectRejected(MapRow(mapping, With(kDealRow, {{"name", "Big\0deal"s}})), "name",
                 "holds a NUL byte (at byte 4 of 8)");
  ExpectRejected(MapRow(mapping, With(kDealRow, {{"id", "D-1\0"s}})), "id", "NUL byte");
}

TEST(MappingMap, SourceSystemFromAConstant) {
  auto mapping = Parse(
      Yaml({"event: customer_upserted", "source_system: {value: Marketing}", "record_id: id"}));
  EXPECT_EQ(Mapped(MapRow(mapping, {{"id", "501"}})).source_system(), "marketing");
}

TEST(MappingMap, WithoutTimeColumnTheDefaultTimeIsTheChangeTime) {
  auto mapping =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id"}));
  auto event = Mapped(MapRow(mapping, {{"id", "501"}}, kMarch14));
  EXPECT_EQ(event.occurred_at_ms(), kMarch14);
  // Without a version column the time is the version.
  EXPECT_EQ(event.source_version(), static_cast<uint64_t>(kMarch14));
}

TEST(MappingMap, VersionFromATimestampColumn) {
  auto mapping =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                  "version: {column: modified, type: timestamp, format: DD.MM.YYYY}"}));
  auto event = Mapped(MapRow(mapping, {{"id", "501"}, {"modified", "14.03.2025 09:30"}}));
  EXPECT_EQ(event.source_version(), static_cast<uint64_t>(kMarch14At0930));
  EXPECT_EQ(event.occurred_at_ms(), kFileTime);
  ExpectRejected(MapRow(mapping, {{"id", "501"}, {"modified", "31.02.2025"}}), "modified",
                 "not a date and time: \"31.02.2025\"");
}

TEST(MappingMap, VersionMustBeAPositiveWholeNumber) {
  auto mapping = Parse(kDeals);
  for (const char* version : {"", "0", "-3", "1.5", "v2"})
    ExpectRejected(MapRow(mapping, With(kDealRow, {{"version", version}})), "version",
                   "not a positive whole number: \"" + std::string(version) + "\"");
}

TEST(MappingMap, OccurredAtFromTheRecordInTheMappingsDateFormat) {
  auto mapping =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                  "occurred_at: changed", "read: {date_format: DD.MM.YYYY}"}));
  EXPECT_EQ(
      Mapped(MapRow(mapping, {{"id", "1"}, {"changed", "14.03.2025 09:30"}})).occurred_at_ms(),
      kMarch14At0930);
  ExpectRejected(MapRow(mapping, {{"id", "1"}, {"changed", "31.02.2025"}}), "changed",
                 "not a date and time: \"31.02.2025\"");
  ExpectRejected(MapRow(mapping, {{"id", "1"}, {"changed", ""}}), "changed",
                 "not a date and time: \"\"");
}

TEST(MappingMap, OccurredAtBefore1970IsRejected) {
  auto mapping = Parse(kDeals);
  for (const char* time : {"1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "1900-01-01"})
    ExpectRejected(MapRow(mapping, With(kDealRow, {{"updated", time}})), "updated",
                   "before 1970-01-01T00:00:00Z");
  // The same for a file time that stands in for the record's.
  auto contacts =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id"}));
  auto result = MapRow(contacts, {{"id", "501"}}, -1000);
  EXPECT_FALSE(result.event);
  EXPECT_NE(result.reason.find("before 1970"), std::string::npos) << result.reason;
}

TEST(MappingMap, JunkRecordIdsAreRejected) {
  auto mapping = Parse(kDeals);
  for (const char* id : {"", "  ", "null", "N/A", "none", "0", "000", "-1", "---", "undefined"})
    ExpectRejected(MapRow(mapping, With(kDealRow, {{"id", id}})), "id",
                   "missing or placeholder id");
}

TEST(MappingMap, InvalidSystemNamesAreRejected) {
  auto mapping = Parse(kDeals);
  // A ':' would make "src:<system>:<id>" ambiguous; spaces and junk name no system.
  for (const char* system : {"", "crm system", "c:rm", "null", "sap+crm", "crm\xc3\xa9"})
    ExpectRejected(MapRow(mapping, With(kDealRow, {{"system", system}})), "system",
                   "not a system name");
  EXPECT_EQ(Mapped(MapRow(mapping, With(kDealRow, {{"system", "SAP-CRM_2.0"}}))).source_system(),
            "sap-crm_2.0");
  // A bad constant names the rule, for want of a column.
  auto constant =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: my crm}", "record_id: id"}));
  ExpectRejected(MapRow(constant, {{"id", "501"}}), "source_system", "\"my crm\"");
}

// ======================================================== Map(): customer key

// A deal's customer key for the contact e-mail and contact id cells.
std::string DealCustomerKey(const Mapping& mapping, const std::string& email,
                            const std::string& contact_id) {
  return Mapped(MapRow(mapping, With(kDealRow, {{"contact", email}, {"contact_id", contact_id}})))
      .customer_key();
}

TEST(MappingCustomerKey, EmailFirstThenTheRecordOfTheSameSystem) {
  auto mapping = Parse(kDeals);
  EXPECT_EQ(DealCustomerKey(mapping, "Anna@Corp.de", "C-9"), "email:anna@corp.de");
  // No address, an invalid one or a placeholder: the contact's record id.
  EXPECT_EQ(DealCustomerKey(mapping, "", "C-9"), "src:crm:C-9");
  EXPECT_EQ(DealCustomerKey(mapping, "anna at corp", "C-9"), "src:crm:C-9");
  EXPECT_EQ(DealCustomerKey(mapping, "noreply@corp.de", "C-9"), "src:crm:C-9");
  EXPECT_EQ(DealCustomerKey(mapping, "test@example.com", "C-9"), "src:crm:C-9");
  // Neither: nobody to file the deal under.
  ExpectRejected(MapRow(mapping, With(kDealRow, {{"contact", ""}, {"contact_id", "null"}})),
                 "contact", "no usable e-mail address or record id names the customer");
}

TEST(MappingCustomerKey, EmailAlone) {
  auto mapping = Parse(Yaml({"event: order_placed", "source_system: {value: shop}", "record_id: id",
                             "customer: {email: mail}"}));
  auto row = [](const char* mail) { return Row{{"id", "O-1"}, {"mail", mail}}; };
  EXPECT_EQ(Mapped(MapRow(mapping, row(" Bob@Shop.DE"))).customer_key(), "email:bob@shop.de");
  ExpectRejected(MapRow(mapping, row("bob(at)shop.de")), "mail",
                 "not an e-mail address: \"bob(at)shop.de\"");
  ExpectRejected(MapRow(mapping, row("")), "mail", "empty, but it names the customer");
  // A placeholder address is an address, but it names nobody.
  ExpectRejected(MapRow(mapping, row("test@example.com")), "mail", "test@example.com");
}

TEST(MappingCustomerKey, RecordAlone) {
  auto mapping = Parse(Yaml({"event: support_ticket", "source_system: {value: Helpdesk}",
                             "record_id: ticket", "customer: {record: requester}"}));
  EXPECT_EQ(Mapped(MapRow(mapping, {{"ticket", "T-1"}, {"requester", " U-77 "}})).customer_key(),
            "src:helpdesk:U-77");
  ExpectRejected(MapRow(mapping, {{"ticket", "T-1"}, {"requester", "0"}}), "requester",
                 "no usable e-mail address or record id");
}

TEST(MappingCustomerKey, ContactNamesItselfByEmailElseByItsRecord) {
  auto mapping =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                  "fields:", "  email: {column: mail, optional: true}"}));
  EXPECT_EQ(Mapped(MapRow(mapping, {{"id", "501"}, {"mail", "Anna@Corp.de"}})).customer_key(),
            "email:anna@corp.de");
  EXPECT_EQ(Mapped(MapRow(mapping, {{"id", "501"}, {"mail", ""}})).customer_key(), "src:crm:501");
  EXPECT_EQ(Mapped(MapRow(mapping, {{"id", "501"}})).customer_key(), "src:crm:501");
}

// A contact whose e-mail is a placeholder ("noreply@corp.de") is keyed by
// its record, as docs/mappings.md says, not rejected.
TEST(MappingCustomerKey, ContactWithPlaceholderEmailFallsBackToItsRecord) {
  auto mapping = Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}",
                             "record_id: id", "fields:", "  email: mail"}));
  auto result = MapRow(mapping, {{"id", "501"}, {"mail", "noreply@corp.de"}});
  ASSERT_TRUE(result.event) << result.column << ": " << result.reason;
  EXPECT_EQ(result.event->customer_key(), "src:crm:501");
  EXPECT_EQ(result.event->customer_upserted().email(), "noreply@corp.de");
}

TEST(MappingCustomerKey, ExplicitCustomerRuleOverridesTheContactsOwnEmail) {
  // A contact mapping may name its customer by another column.
  auto mapping =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                  "customer: {record: master_id}", "fields:", "  email: mail"}));
  EXPECT_EQ(Mapped(MapRow(mapping, {{"id", "501"}, {"master_id", "M-1"}, {"mail", "a@corp.de"}}))
                .customer_key(),
            "src:crm:M-1");
}

TEST(MappingCustomerKey, CampaignDefinitionsHaveNone) {
  auto mapping = Parse(Yaml({"event: campaign_upserted", "source_system: {value: crm}",
                             "record_id: id", "fields:", "  name: title"}));
  auto event = Mapped(MapRow(mapping, {{"id", "CMP-1"}, {"title", "Spring"}}));
  EXPECT_EQ(event.customer_key(), "");
  EXPECT_EQ(event.campaign_upserted().campaign_id(), "CMP-1");
  EXPECT_EQ(event.campaign_upserted().name(), "Spring");
}

// ======================================================== Map(): payload fields

TEST(MappingFields, TextIsTrimmed) {
  auto deal = Mapped(MapRow(Parse(kDeals), With(kDealRow, {{"name", "\xc2\xa0 Big deal\t"}})))
                  .deal_upserted();
  EXPECT_EQ(deal.name(), "Big deal");
  EXPECT_EQ(deal.campaign_id(), "spring");
}

TEST(MappingFields, EmailIsNormalisedOrRejected) {
  auto mapping = Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}",
                             "record_id: id", "fields:", "  email: mail"}));
  auto event = Mapped(MapRow(mapping, {{"id", "501"}, {"mail", "  Anna.Meier@Corp.DE "}}));
  EXPECT_EQ(event.customer_upserted().email(), "anna.meier@corp.de");
  for (const char* bad : {"anna", "anna@corp", "a@@corp.de", "anna meier@corp.de", "@corp.de"})
    ExpectRejected(MapRow(mapping, {{"id", "501"}, {"mail", bad}}), "mail",
                   "not an e-mail address: \"" + std::string(bad) + "\"");
  // Told to, an e-mail field takes the text as it is.
  auto raw = Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                         "fields:", "  email: {column: mail, type: text}"}));
  EXPECT_EQ(
      Mapped(MapRow(raw, {{"id", "501"}, {"mail", "Anna@Corp.DE"}})).customer_upserted().email(),
      "Anna@Corp.DE");
}

TEST(MappingFields, MoneyWithDecimalPointAndCurrencyColumn) {
  auto mapping = Parse(kDeals);
  auto amount = Mapped(MapRow(mapping, kDealRow)).deal_upserted().amount();
  EXPECT_EQ(amount.minor_units(), 1250050);
  EXPECT_EQ(amount.currency(), "USD");
  // An empty currency cell falls back to the rule's currency (EUR by default).
  amount = Mapped(MapRow(mapping, With(kDealRow, {{"currency", " "}}))).deal_upserted().amount();
  EXPECT_EQ(amount.currency(), "EUR");
  // An empty amount sets no amount at all.
  EXPECT_FALSE(
      Mapped(MapRow(mapping, With(kDealRow, {{"amount", ""}}))).deal_upserted().has_amount());
  ExpectRejected(MapRow(mapping, With(kDealRow, {{"amount", "12,50"}})), "amount",
                 "not an amount like 12,500.00: \"12,50\"");
}

TEST(MappingFields, MoneyWithDecimalCommaAndConstantCurrency) {
  // From read: for every rule, or from the rule itself.
  for (const char* yaml :
       {"read: {decimal_separator: \",\"}\nfields:\n  amount: {column: total, currency: CHF}\n",
        "fields:\n  amount: {column: total, currency: CHF, decimal_separator: \",\"}\n"}) {
    SCOPED_TRACE(yaml);
    auto mapping = Parse(Yaml({"event: order_placed", "source_system: {value: shop}",
                               "record_id: id", "customer: {email: mail}", yaml}));
    auto row = [](const char* total) {
      return Row{{"id", "O-1"}, {"mail", "bob@shop.de"}, {"total", total}};
    };
    auto amount = Mapped(MapRow(mapping, row("1.234,5"))).order_placed().amount();
    EXPECT_EQ(amount.minor_units(), 123450);
    EXPECT_EQ(amount.currency(), "CHF");
    ExpectRejected(MapRow(mapping, row("1,234.50")), "total",
                   "not an amount like 12.500,00: \"1,234.50\"");
  }
}

TEST(MappingFields, DateInTheRulesFormat) {
  auto mapping = Parse(Yaml({"event: campaign_upserted", "source_system: {value: crm}",
                             "record_id: id", "read: {date_format: MM/DD/YYYY}",
                             "fields:", "  start_date: {column: start, type: date}"}));
  auto row = [](const char* start) { return Row{{"id", "CMP-1"}, {"start", start}}; };
  EXPECT_EQ(Mapped(MapRow(mapping, row("03/14/2025"))).campaign_upserted().start_date(),
            "2025-03-14");
  for (const char* bad : {"14/03/2025", "02/30/2025", "03/14/2025 09:30", "soon"})
    ExpectRejected(MapRow(mapping, row(bad)), "start", "not a date: \"" + std::string(bad) + "\"");
}

TEST(MappingFields, TimestampIntoATextField) {
  auto mapping = Parse(
      Yaml({"event: campaign_upserted", "source_system: {value: crm}", "record_id: id",
            "fields:", "  start_date: {column: start, type: timestamp, format: DD.MM.YYYY}"}));
  auto row = [](const char* start) { return Row{{"id", "CMP-1"}, {"start", start}}; };
  EXPECT_EQ(Mapped(MapRow(mapping, row("14.03.2025 09:30"))).campaign_upserted().start_date(),
            "2025-03-14T09:30:00.000Z");
  ExpectRejected(MapRow(mapping, row("31.02.2025")), "start",
                 "not a date and time: \"31.02.2025\"");
}

TEST(MappingFields, BooleanWithAliases) {
  auto mapping =
      Parse(Yaml({"event: consent_changed", "source_system: {value: shop}", "record_id: id",
                  "customer: {email: mail}", "fields:", "  channel: {value: email}",
                  "  granted: {column: optin, values: {opt-in: true, Opt-Out: false}}"}));
  auto consent = [&](const char* optin) {
    return MapRow(mapping, {{"id", "K-1"}, {"mail", "bob@shop.de"}, {"optin", optin}});
  };
  EXPECT_TRUE(Mapped(consent("Ja")).consent_changed().granted());
  EXPECT_TRUE(Mapped(consent("OPT-IN")).consent_changed().granted());
  EXPECT_FALSE(Mapped(consent("opt-out")).consent_changed().granted());
  EXPECT_FALSE(Mapped(consent("nein")).consent_changed().granted());
  // A constant fills a field the record has no column for.
  EXPECT_EQ(Mapped(consent("yes")).consent_changed().channel(), "email");
  ExpectRejected(consent("maybe"), "optin", "not yes or no: \"maybe\"");
}

TEST(MappingFields, EnumBySpellingOrAlias) {
  auto mapping = Parse(kDeals);
  auto stage = [&](const char* text) { return MapRow(mapping, With(kDealRow, {{"stage", text}})); };
  EXPECT_EQ(Mapped(stage("closed_lost")).deal_upserted().stage(), v1::DEAL_STAGE_CLOSED_LOST);
  EXPECT_EQ(Mapped(stage("PROPOSAL")).deal_upserted().stage(), v1::DEAL_STAGE_PROPOSAL);
  EXPECT_EQ(Mapped(stage("Won")).deal_upserted().stage(), v1::DEAL_STAGE_CLOSED_WON);
  EXPECT_EQ(Mapped(stage(" closed won ")).deal_upserted().stage(), v1::DEAL_STAGE_CLOSED_WON);
  ExpectRejected(stage("closed"), "stage",
                 "not one of prospecting, qualification, proposal, negotiation, closed_won, "
                 "closed_lost: \"closed\"");
  // The zero value is no stage.
  ExpectRejected(stage("unspecified"), "stage", "not one of");
}

TEST(MappingFields, ListWithSeparatorAndPrefix) {
  auto mapping = Parse(
      Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id", "fields:",
            "  linked_source_ids: {column: links, separator: \" | \", prefix: "
            "\"marketing:\"}"}));
  auto ids = Mapped(MapRow(mapping, {{"id", "501"}, {"links", "m-1 | m-2 |  | m-3"}}))
                 .customer_upserted()
                 .linked_source_ids();
  EXPECT_EQ(std::vector<std::string>(ids.begin(), ids.end()),
            (std::vector<std::string>{"marketing:m-1", "marketing:m-2", "marketing:m-3"}));
  // The default separator is ';' and no prefix.
  auto plain = Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}",
                           "record_id: id", "fields:", "  linked_source_ids: links"}));
  ids = Mapped(MapRow(plain, {{"id", "501"}, {"links", "crm:1;;marketing:2 ;"}}))
            .customer_upserted()
            .linked_source_ids();
  EXPECT_EQ(std::vector<std::string>(ids.begin(), ids.end()),
            (std::vector<std::string>{"crm:1", "marketing:2"}));
}

TEST(MappingFields, TextAliasesApplyToo) {
  auto mapping =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                  "fields:", "  city: {column: ort, values: {MUC: München}}"}));
  EXPECT_EQ(Mapped(MapRow(mapping, {{"id", "1"}, {"ort", "muc"}})).customer_upserted().city(),
            "München");
  EXPECT_EQ(Mapped(MapRow(mapping, {{"id", "1"}, {"ort", "Berlin"}})).customer_upserted().city(),
            "Berlin");
}

TEST(MappingFields, RequiredFieldsMustNotBeEmpty) {
  auto mapping = Parse(kDeals);
  for (const char* empty : {"", "  ", "\xc2\xa0"})
    ExpectRejected(MapRow(mapping, With(kDealRow, {{"stage", empty}})), "stage",
                   "empty, but stage is required");
}

TEST(MappingFields, PayloadIdDefaultsToTheRecordId) {
  auto deals = Parse(kDeals);
  EXPECT_EQ(Mapped(MapRow(deals, kDealRow)).deal_upserted().deal_id(), "D-1");
  // Mapped otherwise, the column wins.
  auto mapped_id = Parse(Yaml({"event: deal_upserted", "source_system: {value: crm}",
                               "record_id: id", "customer: {email: mail}",
                               "fields:", "  deal_id: number", "  stage: {value: prospecting}"}));
  EXPECT_EQ(Mapped(MapRow(mapped_id, {{"id", "row-7"}, {"mail", "a@corp.de"}, {"number", "D-77"}}))
                .deal_upserted()
                .deal_id(),
            "D-77");

  auto order = Parse(Yaml({"event: order_placed", "source_system: {value: shop}", "record_id: id",
                           "customer: {email: mail}"}));
  EXPECT_EQ(Mapped(MapRow(order, {{"id", "O-1"}, {"mail", "a@corp.de"}})).order_placed().order_id(),
            "O-1");
  auto ticket = Parse(Yaml({"event: support_ticket", "source_system: {value: desk}",
                            "record_id: id", "customer: {email: mail}"}));
  EXPECT_EQ(
      Mapped(MapRow(ticket, {{"id", "T-1"}, {"mail", "a@corp.de"}})).support_ticket().ticket_id(),
      "T-1");
  auto activity = Parse(Yaml({"event: activity_logged", "source_system: {value: crm}",
                              "record_id: id", "customer: {email: mail}"}));
  EXPECT_EQ(Mapped(MapRow(activity, {{"id", "A-1"}, {"mail", "a@corp.de"}}))
                .activity_logged()
                .activity_id(),
            "A-1");
}

// campaign_engagement's campaign_id names the campaign, not the
// engagement: it is never filled with the engagement's record id.
TEST(MappingFields, EngagementCampaignIdIsNotTheEngagementRecordId) {
  auto mapping =
      Parse(Yaml({"event: campaign_engagement", "source_system: {value: mail}", "record_id: id",
                  "customer: {email: mail}", "fields:", "  kind: {value: opened}"}));
  auto event = Mapped(MapRow(mapping, {{"id", "E-1"}, {"mail", "a@corp.de"}}));
  EXPECT_EQ(event.campaign_engagement().kind(), v1::ENGAGEMENT_KIND_OPENED);
  EXPECT_NE(event.campaign_engagement().campaign_id(), "E-1");
}

// ======================================================== Map(): skip_when

TEST(MappingSkipWhen, AccordsOwnWritesAreSkippedWithoutAnEvent) {
  auto mapping =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                  "skip_when: {column: modified_by, values: [accord, Accord Sync]}",
                  "fields:", "  email: mail"}));
  auto row = [](const char* by) {
    return Row{{"id", "501"}, {"mail", "a@corp.de"}, {"modified_by", by}};
  };
  for (const char* marker : {"accord", "ACCORD", " accord sync "}) {
    auto result = MapRow(mapping, row(marker));
    EXPECT_TRUE(result.own_write) << marker;
    EXPECT_FALSE(result.event) << marker;
    EXPECT_EQ(result.reason, "") << marker;
  }
  // Anyone else's change is a change; so is one without a marker.
  EXPECT_EQ(Mapped(MapRow(mapping, row("Anna Meier"))).customer_upserted().email(), "a@corp.de");
  EXPECT_TRUE(Mapped(MapRow(mapping, row(""))).has_customer_upserted());
  // Skipping comes first: even an unmappable own write is only skipped.
  auto junk = MapRow(mapping, {{"id", "null"}, {"mail", "x"}, {"modified_by", "accord"}});
  EXPECT_TRUE(junk.own_write);
  EXPECT_EQ(junk.reason, "");
}

// ======================================================== event ids

class MappingEventId : public ::testing::Test {
 protected:
  static std::string Id(const Mapping& mapping, const Row& row, int64_t file_time = kFileTime,
                        int64_t ingested = kIngested) {
    return Mapped(MapRow(mapping, row, file_time, ingested)).event_id();
  }
};

TEST_F(MappingEventId, SameValuesSameId) {
  auto mapping = Parse(kDeals);
  EXPECT_EQ(Id(mapping, kDealRow), Id(mapping, kDealRow));
  // A mapping parsed again gives the same ids: nothing but the record counts.
  EXPECT_EQ(Id(mapping, kDealRow), Id(Parse(kDeals), kDealRow));
}

TEST_F(MappingEventId, WithAVersionTheVersionTellsChangesApart) {
  auto mapping = Parse(kDeals);
  const std::string id = Id(mapping, kDealRow);
  EXPECT_NE(Id(mapping, With(kDealRow, {{"version", "8"}})), id);
  EXPECT_NE(Id(mapping, With(kDealRow, {{"id", "D-2"}})), id);
  EXPECT_NE(Id(mapping, With(kDealRow, {{"system", "erp"}})), id);
  // The same version of the record is the same change, whatever else differs.
  EXPECT_EQ(Id(mapping, With(kDealRow, {{"name", "Renamed"}})), id);
  EXPECT_EQ(Id(mapping, kDealRow, kFileTime + 1000, kIngested + 1000), id);
  // Case and spaces of the system name do not make another change.
  EXPECT_EQ(Id(mapping, With(kDealRow, {{"system", "crm"}})), id);
}

// Contacts without a version column ("content" mode), with and without a
// column stating the time of the change.
const std::string kContentContacts =
    Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
          "version: content", "fields:", "  email: mail", "  city: {column: city, optional: true}",
          "  lifecycle_stage: {column: stage, optional: true}"});
const Row kContactRow = {
    {"id", "501"}, {"mail", "a@corp.de"}, {"city", "Berlin"}, {"stage", "lead"}};

TEST_F(MappingEventId, ContentModeIdFollowsTheContent) {
  auto mapping = Parse(kContentContacts);
  const std::string id = Id(mapping, kContactRow);
  EXPECT_EQ(Id(mapping, kContactRow), id);
  EXPECT_NE(Id(mapping, With(kContactRow, {{"mail", "b@corp.de"}})), id);
  EXPECT_NE(Id(mapping, With(kContactRow, {{"city", "Hamburg"}})), id);
  EXPECT_NE(Id(mapping, With(kContactRow, {{"city", ""}})), id);
  EXPECT_NE(Id(mapping, With(kContactRow, {{"stage", "mql"}})), id);
  EXPECT_NE(Id(mapping, With(kContactRow, {{"id", "502"}})), id);
  // Text that maps to the same content is the same content.
  EXPECT_EQ(Id(mapping, With(kContactRow, {{"mail", " A@Corp.DE "}, {"stage", "LEAD"}})), id);
  // A copied file has a new modification time, not new content.
  EXPECT_EQ(Id(mapping, kContactRow, kFileTime + 86400000), id);
  EXPECT_EQ(Id(mapping, kContactRow, kFileTime, kIngested + 1), id);
  // "version: content" is the same as no version at all.
  auto implicit =
      Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}", "record_id: id",
                  "fields:", "  email: mail", "  city: {column: city, optional: true}",
                  "  lifecycle_stage: {column: stage, optional: true}"}));
  EXPECT_EQ(Id(implicit, kContactRow), id);
}

TEST_F(MappingEventId, ContentModeWithATimeColumnCountsTheTime) {
  auto mapping = Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}",
                             "record_id: id", "occurred_at: changed", "fields:", "  email: mail"}));
  const Row row = {{"id", "501"}, {"mail", "a@corp.de"}, {"changed", "2025-03-14T09:30:00Z"}};
  const std::string id = Id(mapping, row);
  // The record says when it changed: a later change with the same content is
  // another event (a field set back to an earlier value).
  EXPECT_NE(Id(mapping, With(row, {{"changed", "2025-03-15T09:30:00Z"}})), id);
  EXPECT_NE(Id(mapping, With(row, {{"mail", "b@corp.de"}})), id);
  EXPECT_EQ(Id(mapping, row, kFileTime + 1000, kIngested + 1000), id);
}

// In content mode the customer column is part of the id: a deal moved to
// another contact is a new change, not a duplicate.
TEST_F(MappingEventId, ContentModeIdFollowsTheCustomerColumn) {
  auto mapping = Parse(Yaml({"event: deal_upserted", "source_system: {value: crm}", "record_id: id",
                             "customer: {email: contact}", "fields:", "  stage: stage"}));
  const Row row = {{"id", "D-1"}, {"contact", "anna@corp.de"}, {"stage", "proposal"}};
  const Row moved = With(row, {{"contact", "bob@corp.de"}});
  EXPECT_NE(Mapped(MapRow(mapping, moved)).customer_key(),
            Mapped(MapRow(mapping, row)).customer_key());
  EXPECT_NE(Id(mapping, moved), Id(mapping, row));
}

TEST_F(MappingEventId, DifferentPayloadKindsNeverShareAnId) {
  // The same record of the same system mapped as a contact and as an order.
  auto contact = Parse(Yaml({"event: customer_upserted", "source_system: {value: crm}",
                             "record_id: id", "version: v", "customer: {email: mail}"}));
  auto order = Parse(Yaml({"event: order_placed", "source_system: {value: crm}", "record_id: id",
                           "version: v", "customer: {email: mail}"}));
  const Row row = {{"id", "X-1"}, {"v", "1"}, {"mail", "a@corp.de"}};
  EXPECT_NE(Id(contact, row), Id(order, row));
}

}  // namespace
}  // namespace accord::connectors
