// File imports through the real broker: messy real-world files, the reject
// file, and a second import that publishes nothing.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include <librdkafka/rdkafka.h>

#include "io/kafka/client.h"
#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

const std::string kData = std::string(ACCORD_SOURCE_DIR) + "/tests/integration/data/";

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Import, GermanSpreadsheetRejectsExactlyTheBrokenRowsAndImportsOnce) {
  // BOM, ";", CRLF, umlauts, a quoted field with ";" and a line break, decimal
  // comma with thousands dots, DD.MM.YYYY, empty trailing columns, and four
  // broken rows: an impossible date, a malformed amount, no e-mail, and a
  // row with a column too many.
  auto topics = CreateTopics("import-de", 3);
  TempDir dir;
  const std::string file = kData + "bestellungen-de.csv";
  auto first = RunAccord({"import", "csv", "--mapping", "spreadsheet-orders-de", file,
                          "--reject-file", dir / "rejects.csv"},
                         topics.prefix);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("read 9 rows, published 5 events to " + topics.names.events +
                           ", duplicates skipped 0, rejected 4"),
            std::string::npos)
      << first.out;

  auto rejects = Lines(dir / "rejects.csv");
  ASSERT_EQ(rejects.size(), 5u);
  EXPECT_EQ(rejects[0], "line,column,reason,record");
  EXPECT_TRUE(rejects[1].starts_with("6,Datum,\"not a date and time: \"\"31.02.2025\"\"\""))
      << rejects[1];
  EXPECT_TRUE(rejects[2].starts_with("7,Betrag,")) << rejects[2];
  EXPECT_TRUE(rejects[3].starts_with("8,E-Mail,")) << rejects[3];
  EXPECT_TRUE(rejects[4].starts_with("10,,\"expected 7 columns, found 8\"")) << rejects[4];

  std::map<std::string, v1::Event> orders;
  for (auto& event : ReadTopic(topics.names.events))
    orders[event.order_placed().order_id()] = event;
  ASSERT_EQ(orders.size(), 5u);
  EXPECT_EQ(orders["B-1001"].order_placed().amount().minor_units(), 123456);
  EXPECT_EQ(orders["B-1001"].order_placed().amount().currency(), "EUR");
  EXPECT_EQ(orders["B-1001"].customer_key(), "email:anna.mueller@beispiel.de");
  EXPECT_EQ(orders["B-1001"].occurred_at_ms(), 1741910400000);  // 2025-03-14T00:00:00Z
  EXPECT_EQ(orders["B-1001"].source_system(), "spreadsheet");
  EXPECT_EQ(orders["B-1002"].order_placed().amount().minor_units(), 8990);
  EXPECT_EQ(orders["B-1003"].customer_key(), "email:grüße@beispiel.de");
  EXPECT_EQ(orders["B-1007"].order_placed().amount().minor_units(), 100000000);
  EXPECT_EQ(orders["B-1009"].order_placed().amount().minor_units(), 99);

  // The same file again: every id is in the import ledger, nothing is sent.
  const int64_t end_before = EndOffsets(topics);
  auto second = RunAccord({"import", "csv", "--mapping", "spreadsheet-orders-de", file,
                           "--reject-file", dir / "rejects-again.csv"},
                          topics.prefix);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("published 0 events to " + topics.names.events +
                            ", duplicates skipped 5, rejected 4"),
            std::string::npos)
      << second.out;
  EXPECT_EQ(EndOffsets(topics), end_before);
}

// A contacts file of `count` rows; row `large` (1-based) carries `large_name`
// as its last name.
void WriteContacts(const std::string& path, int count, int large, const std::string& large_name) {
  std::ofstream out(path);
  out << "source_system,record_id,version,updated_at,email,last_name\n";
  for (int i = 1; i <= count; ++i)
    out << "crm,K-" << i << ",1,2025-03-0" << i << "T10:00:00Z,kontakt" << i << "@firma.de,"
        << (i == large ? large_name : "Name" + std::to_string(i)) << "\n";
}

// Runs `import` again over a file of five rows one of which Kafka refuses:
// the ledger knows the four published, the fifth is rejected as before.
void ExpectTheRerunAddsNothing(const std::vector<std::string>& import, const Topics& topics) {
  auto again = RunAccord(import, topics.prefix);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("published 0 events to " + topics.names.events +
                           ", duplicates skipped 4, rejected 1"),
            std::string::npos)
      << again.out;
  EXPECT_EQ(ReadTopic(topics.names.events).size(), 4u);
}

std::set<std::string> RecordIds(const std::vector<v1::Event>& events) {
  std::set<std::string> ids;
  for (const auto& event : events) ids.insert(event.source_record_id());
  return ids;
}

TEST(Import, ARecordLargerThanKafkaTakesIsRejectedAndTheRestIsImported) {
  auto topics = CreateTopics("import-large", 3);
  TempDir dir;
  const std::string file = dir / "contacts.csv";
  // Over the producer's default limit (message.max.bytes, 1000000 bytes).
  WriteContacts(file, 5, 3, std::string(1'200'000, 'x'));
  const std::vector<std::string> import = {"import", "csv", file, "--reject-file",
                                           dir / "rejects.csv"};

  auto dry = RunAccord({"import", "csv", file, "--dry-run", "--reject-file", dir / "dry.csv"},
                       topics.prefix);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("read 5 rows, would publish 4 events to " + topics.names.events +
                         ", rejected 1"),
            std::string::npos)
      << dry.out;

  auto first = RunAccord(import, topics.prefix);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("read 5 rows, published 4 events to " + topics.names.events +
                           ", duplicates skipped 0, rejected 1"),
            std::string::npos)
      << first.out;
  for (const auto& rejects : {Lines(dir / "rejects.csv"), Lines(dir / "dry.csv")}) {
    ASSERT_EQ(rejects.size(), 2u);
    EXPECT_TRUE(rejects[1].starts_with("4,last_name,event of 1200")) << rejects[1].substr(0, 200);
    EXPECT_NE(rejects[1].find(" bytes exceeds the Kafka message limit of 1000000 bytes "
                              "(message.max.bytes),\"crm,K-3,"),
              std::string::npos)
        << rejects[1].substr(0, 200);
  }
  EXPECT_EQ(RecordIds(ReadTopic(topics.names.events)),
            (std::set<std::string>{"K-1", "K-2", "K-4", "K-5"}));

  ExpectTheRerunAddsNothing(import, topics);
}

TEST(Import, ACellWithANulByteIsRejectedNamingLineAndColumn) {
  auto topics = CreateTopics("import-nul", 3);
  TempDir dir;
  const std::string file = dir / "contacts.csv";
  WriteContacts(file, 3, 2, std::string("M\0ller", 6));
  auto result = RunAccord({"import", "csv", file}, topics.prefix);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("read 3 rows, published 2 events to " + topics.names.events +
                            ", duplicates skipped 0, rejected 1"),
            std::string::npos)
      << result.out;
  auto rejects = Lines(file + ".rejects.csv");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_TRUE(rejects[1].starts_with("3,last_name,holds a NUL byte (at byte 2 of 6),\"crm,K-2,"))
      << rejects[1];
  EXPECT_EQ(RecordIds(ReadTopic(topics.names.events)), (std::set<std::string>{"K-1", "K-3"}));
}

// Sets the topic's max.message.bytes (with the retention every Accord topic
// has: AlterConfigs replaces the topic's whole configuration).
void LimitTopicMessages(const std::string& topic, const std::string& max_bytes) {
  auto conf = kafka::MakeConf(KafkaConfigFor(""), {});
  std::string error;
  std::unique_ptr<RdKafka::Producer> admin(RdKafka::Producer::create(conf.get(), error));
  ASSERT_TRUE(admin) << error;
  rd_kafka_t* rk = admin->c_ptr();
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_ConfigResource_set_config(resource, "max.message.bytes", max_bytes.c_str());
  rd_kafka_ConfigResource_set_config(resource, "retention.ms", "-1");
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AlterConfigs(rk, &resource, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30'000);
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(rd_kafka_event_error(event), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_event_error_string(event);
  size_t count = 0;
  const auto** results =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event), &count);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(rd_kafka_ConfigResource_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_ConfigResource_error_string(results[0]);
  rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_ConfigResource_destroy(resource);
}

TEST(Import, ARecordTheBrokerRefusesAsTooLargeIsRejectedAndTheRestIsRecordedInTheLedger) {
  auto topics = CreateTopics("import-broker-limit", 1);
  LimitTopicMessages(topics.names.events, "50000");
  TempDir dir;
  const std::string file = dir / "contacts.csv";
  // Under the producer's limit, over the topic's: random hex, which lz4
  // does not shrink below it.
  std::mt19937_64 random(15);
  std::string noise;
  while (noise.size() < 200'000) noise += std::to_string(random());
  WriteContacts(file, 5, 2, noise);
  const std::vector<std::string> import = {"import", "csv", file, "--reject-file",
                                           dir / "rejects.csv"};

  auto first = RunAccord(import, topics.prefix);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("published 4 events to " + topics.names.events +
                           ", duplicates skipped 0, rejected 1"),
            std::string::npos)
      << first.out << first.err;
  auto rejects = Lines(dir / "rejects.csv");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_TRUE(rejects[1].starts_with("3,,Kafka refused the event of "))
      << rejects[1].substr(0, 200);
  EXPECT_NE(rejects[1].find("as too large"), std::string::npos) << rejects[1].substr(0, 200);
  EXPECT_EQ(RecordIds(ReadTopic(topics.names.events)),
            (std::set<std::string>{"K-1", "K-3", "K-4", "K-5"}));

  ExpectTheRerunAddsNothing(import, topics);
}

TEST(Import, JsonLinesThroughAMappingFile) {
  auto topics = CreateTopics("import-jsonl", 1);
  TempDir dir;
  {
    std::ofstream mapping(dir / "deals.yaml");
    mapping << "event: deal_upserted\n"
               "source_system: {value: crm}\n"
               "record_id: id\n"
               "version: {column: properties.version, type: integer}\n"
               "occurred_at: properties.updatedAt\n"
               "customer:\n"
               "  email: associations.contacts.0.email\n"
               "skip_when: {column: properties.lastModifiedBy, values: [accord]}\n"
               "fields:\n"
               "  name: properties.dealname\n"
               "  stage: {column: properties.dealstage, values: {closedwon: closed_won}}\n"
               "  amount: {column: properties.amount, currency: EUR}\n";
    std::ofstream jsonl(dir / "deals.jsonl");
    jsonl
        << R"({"id":"D-1","properties":{"version":2,"updatedAt":"2025-03-14T09:30:00Z","dealname":"Lizenz","dealstage":"closedwon","amount":12500.5},"associations":{"contacts":[{"email":"K.Hahn@OS-Papier.de"}]}})"
        << "\n\n"
        << R"({"id":"D-2","properties":{"version":1,"updatedAt":"2025-03-15T10:00:00Z","dealstage":"proposal","lastModifiedBy":"accord"},"associations":{"contacts":[{"email":"k.hahn@os-papier.de"}]}})"
        << "\n"
        << R"({"id":"D-3","properties":{"version":1,"updatedAt":"2025-03-16T10:00:00Z","dealstage":"bargaining"},"associations":{"contacts":[{"email":"k.hahn@os-papier.de"}]}})"
        << "\n"
        << "{not json\n";
  }
  auto result = RunAccord({"import", "jsonl", "--mapping", dir / "deals.yaml", dir / "deals.jsonl",
                           "--reject-file", dir / "rejects.csv"},
                          topics.prefix);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("read 4 rows, published 1 events to " + topics.names.events +
                            ", duplicates skipped 0, Accord's own write-backs skipped 1, "
                            "rejected 2"),
            std::string::npos)
      << result.out;
  auto rejects = Lines(dir / "rejects.csv");
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_TRUE(rejects[1].starts_with("4,properties.dealstage,")) << rejects[1];
  EXPECT_TRUE(rejects[2].starts_with("5,,\"not JSON: ")) << rejects[2];

  auto events = ReadTopic(topics.names.events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].deal_upserted().deal_id(), "D-1");
  EXPECT_EQ(events[0].deal_upserted().stage(), v1::DEAL_STAGE_CLOSED_WON);
  EXPECT_EQ(events[0].deal_upserted().amount().minor_units(), 1250050);
  EXPECT_EQ(events[0].customer_key(), "email:k.hahn@os-papier.de");
  EXPECT_EQ(events[0].source_version(), 2u);
}

TEST(Import, OutlookExportInWindows1252) {
  auto topics = CreateTopics("import-outlook", 1);
  TempDir dir;
  {
    // "Jürgen Größ", "Müller & Söhne" and "€" as a German Outlook writes them.
    std::ofstream csv(dir / "outlook.csv", std::ios::binary);
    csv << "Vorname,Nachname,E-Mail-Adresse,Firma,Position,Telefon gesch\xe4"
           "ftlich,"
           "Ort gesch\xe4"
           "ftlich,Land/Region gesch\xe4"
           "ftlich\r\n"
        << "J\xfcrgen,Gr\xf6\xdf,j.groess@mueller-soehne.de,M\xfcller & S\xf6hne,"
           "\x80-Controller,+49 30 1234,Berlin,Deutschland\r\n";
  }
  auto result = RunAccord(
      {"import", "csv", "--mapping", "outlook-contacts-de", dir / "outlook.csv"}, topics.prefix);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto events = ReadTopic(topics.names.events);
  ASSERT_EQ(events.size(), 1u);
  const auto& contact = events[0].customer_upserted();
  EXPECT_EQ(contact.first_name(), "Jürgen");
  EXPECT_EQ(contact.last_name(), "Größ");
  EXPECT_EQ(contact.company(), "Müller & Söhne");
  EXPECT_EQ(contact.job_title(), "€-Controller");
  EXPECT_EQ(contact.city(), "Berlin");
  EXPECT_EQ(events[0].customer_key(), "email:j.groess@mueller-soehne.de");
}

TEST(Import, AccountsAndTheirContactsMeetInTheProjection) {
  auto topics = CreateTopics("import-accounts", 3);
  TempDir dir;
  {
    std::ofstream accounts(dir / "accounts.csv", std::ios::binary);
    accounts << "Account ID,Account Name,Website,Industry,Employees,Annual Revenue,"
                "Billing City,Billing Country,Last Modified Date\r\n"
             << "001A,\"Krüger, Lang & Kollegen\",kl-steuer.de,Steuerberatung,48,6100000,"
                "Kaiserslautern,Germany,2025-03-14T09:30:00Z\r\n"
             << "001B,Corp GmbH,corp.de,Manufacturing,viele,,Berlin,Germany,"
                "2025-03-14T09:31:00Z\r\n"
             << "001C,Papier AG,papier.de,Handel,1200,,Hamburg,Germany,2025-03-14T09:32:00Z\r\n";
    std::ofstream contacts(dir / "contacts.csv", std::ios::binary);
    contacts << "Contact ID,First Name,Last Name,Email,Account ID,Marketing Record ID,"
                "Last Modified Date,Last Modified By\r\n"
             << "003A,Nina,Fischer,n.fischer@kl-steuer.de,001A,,2025-03-14T09:40:00Z,Vertrieb\r\n"
             << "003C,Paul,Hahn,p.hahn@papier.de,001C,,2025-03-14T09:41:00Z,Vertrieb\r\n";
  }
  auto accounts = RunAccord(
      {"import", "csv", "--mapping", "salesforce-accounts", dir / "accounts.csv"}, topics.prefix);
  ASSERT_EQ(accounts.exit_code, 0) << accounts.err;
  EXPECT_NE(accounts.out.find("read 3 rows, published 2 events"), std::string::npos)
      << accounts.out;
  EXPECT_NE(accounts.out.find("rejected 1"), std::string::npos) << accounts.out;
  auto contacts = RunAccord(
      {"import", "csv", "--mapping", "salesforce-contacts", dir / "contacts.csv"}, topics.prefix);
  ASSERT_EQ(contacts.exit_code, 0) << contacts.err;

  size_t account_events = 0;
  for (const auto& event : ReadTopic(topics.names.events)) {
    if (!event.has_account_upserted()) continue;
    ++account_events;
    EXPECT_EQ(event.customer_key(), "") << event.ShortDebugString();
  }
  EXPECT_EQ(account_events, 2u);

  auto project = RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(project.exit_code, 0) << project.err;
  auto summary = nlohmann::json::parse(
      RunAccord({"query", "summary", "--db", dir / "state"}, topics.prefix).out);
  EXPECT_EQ(summary["accounts"], 2);
  EXPECT_EQ(summary["customers"], 2);
  auto nina = nlohmann::json::parse(
      RunAccord({"query", "customer", "--db", dir / "state", "--email", "n.fischer@kl-steuer.de"},
                topics.prefix)
          .out);
  EXPECT_EQ(nina["fields"]["account"]["value"], "crm:001A") << nina.dump(2);
}

}  // namespace
}  // namespace accord::testing
