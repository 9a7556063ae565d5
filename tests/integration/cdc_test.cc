// Change data capture from a real PostgreSQL (the postgres ctest fixture,
// wal_level=logical) through the real broker.
#include <gtest/gtest.h>
#include <httplib.h>
#include <libpq-fe.h>
#include <signal.h>

#include <map>
#include <set>

#include "domain/events/envelope.h"
#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

// Runs SQL statements on the test database; fails the test on an error.
void Sql(const std::string& statements) {
  PGconn* conn = PQconnectdb(PostgresDsn().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* result = PQexec(conn, statements.c_str());
  auto status = PQresultStatus(result);
  EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
      << PQerrorMessage(conn) << " in: " << statements;
  PQclear(result);
  PQfinish(conn);
}

// Tables of a sales database in a schema of the test's own, with a slot and
// a publication of its own, so tests never see each other's changes.
struct SalesDatabase {
  explicit SalesDatabase(const std::string& name) : schema(name) {
    Sql("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema +
        "; CREATE TABLE " + schema +
        ".accounts (id bigint PRIMARY KEY, name text, domain text, industry text, employees "
        "integer, annual_revenue numeric(16,2), currency char(3), country text, city text, "
        "updated_by text); CREATE TABLE " +
        schema +
        ".contacts (id bigint PRIMARY KEY, email text, first_name text, last_name text, "
        "company text, job_title text, phone text, city text, country text, lifecycle_stage "
        "text, account_id bigint, updated_by text); CREATE TABLE " +
        schema +
        ".deals (id bigint PRIMARY KEY, contact_email text NOT NULL, name text, stage text NOT "
        "NULL, amount numeric(14,2), currency char(3), campaign_id text, updated_by text); "
        "ALTER TABLE " +
        schema + ".contacts REPLICA IDENTITY FULL; ALTER TABLE " + schema +
        ".deals REPLICA IDENTITY FULL;");
  }
  ~SalesDatabase() {
    Sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" +
        schema + "' AND NOT active; DROP PUBLICATION IF EXISTS " + schema +
        "; DROP SCHEMA IF EXISTS " + schema + " CASCADE;");
  }
  std::vector<std::string> ConnectorArgs(const TempDir& dir) const {
    return {"cdc",
            "postgres",
            "--dsn",
            PostgresDsn(),
            "--slot",
            schema,
            "--publication",
            schema,
            "--table",
            schema + ".accounts=postgres-accounts",
            "--table",
            schema + ".contacts=postgres-contacts",
            "--table",
            schema + ".deals=postgres-deals",
            "--delete-mapping",
            schema + ".contacts=postgres-contacts-deleted",
            "--delete-mapping",
            schema + ".deals=postgres-deals-deleted",
            "--ledger",
            dir / "ledger",
            "--http-listen",
            "127.0.0.1:0"};
  }
  std::string schema;
};

// Waits until the events topic holds `count` distinct events; returns all.
std::vector<v1::Event> AwaitEvents(const Topics& topics, size_t count) {
  std::vector<v1::Event> events;
  WaitUntil(
      [&] {
        events = ReadTopic(topics.names.events);
        std::set<std::string> ids;
        for (const auto& event : events) ids.insert(event.event_id());
        return ids.size() >= count;
      },
      std::chrono::seconds(60));
  return events;
}

TEST(Cdc, InsertsUpdatesAndDeletesArriveInCommitOrder) {
  auto topics = CreateTopics("cdc-order", 1);
  SalesDatabase db("cdc_order");
  TempDir dir;
  AccordProcess connector(db.ConnectorArgs(dir), topics.prefix);
  // The slot exists once the connector streams; changes before it are not
  // part of its history.
  ASSERT_TRUE(
      WaitUntil([&] { return connector.Stderr().find("streaming changes") != std::string::npos; },
                std::chrono::seconds(30)))
      << connector.Stderr();
  const std::string s = db.schema;
  Sql("INSERT INTO " + s +
      ".accounts VALUES (3, 'Corp GmbH', 'corp.de', 'Maschinenbau', 1200, 250000000.00, 'EUR', "
      "'DE', 'Berlin', 'vertrieb')");
  Sql("INSERT INTO " + s +
      ".contacts VALUES (1, 'Anna.Meier@Corp.de', 'Anna', 'Meier', 'Corp GmbH', 'CTO', NULL, "
      "'Berlin', 'DE', 'lead', 3, 'vertrieb')");
  Sql("BEGIN; INSERT INTO " + s +
      ".deals VALUES (10, 'anna.meier@corp.de', 'Lizenz', 'proposal', 12500.50, 'EUR', NULL, "
      "NULL); UPDATE " +
      s + ".contacts SET city = 'München' WHERE id = 1; COMMIT;");
  // Accord's own write-back comes back as a change and is not ingested.
  Sql("UPDATE " + s + ".contacts SET lifecycle_stage = 'mql', updated_by = 'accord' WHERE id = 1");
  Sql("UPDATE " + s + ".deals SET stage = 'closed_won' WHERE id = 10");
  Sql("DELETE FROM " + s + ".deals WHERE id = 10");
  Sql("DELETE FROM " + s + ".contacts WHERE id = 1");

  auto events = AwaitEvents(topics, 7);
  // Operators see the same in the connector's metrics.
  httplib::Client client("127.0.0.1", ServedPort(connector, "CDC health and metrics"));
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto metrics = client.Get("/metrics");
        return metrics && metrics->status == 200 &&
               metrics->body.find("accord_connector_events_total{connector=\"cdc-" + s +
                                  "\",outcome=\"published\"} 7") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << client.Get("/metrics")->body;
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  connector.Kill(SIGTERM);
  EXPECT_EQ(connector.Wait(), 0) << connector.Stderr();
  ASSERT_EQ(events.size(), 7u);
  const auto& account = events[0].account_upserted();
  EXPECT_EQ(account.account_id(), "3");
  EXPECT_EQ(account.employees(), 1200u);
  EXPECT_EQ(account.annual_revenue().minor_units(), 25000000000);
  EXPECT_EQ(events::MessageKey(events[0]), "account:crm:3");
  events.erase(events.begin());
  EXPECT_EQ(events[0].customer_upserted().account_id(), "3");
  EXPECT_EQ(events[0].customer_upserted().city(), "Berlin");
  EXPECT_EQ(events[0].customer_key(), "email:anna.meier@corp.de");
  EXPECT_EQ(events[0].source_system(), "crm");
  EXPECT_EQ(events[0].source_record_id(), "1");
  EXPECT_EQ(events[1].deal_upserted().stage(), v1::DEAL_STAGE_PROPOSAL);
  EXPECT_EQ(events[1].deal_upserted().amount().minor_units(), 1250050);
  EXPECT_EQ(events[2].customer_upserted().city(), "München");
  EXPECT_EQ(events[3].deal_upserted().stage(), v1::DEAL_STAGE_CLOSED_WON);
  EXPECT_EQ(events[4].deal_upserted().stage(), v1::DEAL_STAGE_CLOSED_LOST);
  EXPECT_EQ(events[4].deal_upserted().lost_reason(), "deleted in the sales database");
  EXPECT_TRUE(events[5].has_customer_erased());
  EXPECT_EQ(events[5].customer_key(), "email:anna.meier@corp.de");
  // Later changes have higher versions: the fold never lets an older one win.
  for (size_t i = 1; i < events.size(); ++i)
    EXPECT_GT(events[i].source_version(), events[i - 1].source_version());
  EXPECT_EQ(events[1].occurred_at_ms(), events[2].occurred_at_ms());  // one transaction
}

TEST(Cdc, KilledAndRestartedConnectorYieldsEveryChangeOnce) {
  auto topics = CreateTopics("cdc-kill", 1);
  SalesDatabase db("cdc_kill");
  TempDir dir;
  const std::string s = db.schema;
  constexpr int kChanges = 300;
  auto connector = std::make_unique<AccordProcess>(db.ConnectorArgs(dir), topics.prefix);
  ASSERT_TRUE(
      WaitUntil([&] { return connector->Stderr().find("streaming changes") != std::string::npos; },
                std::chrono::seconds(30)));
  // Change n sets contact n % 20 + 1's city to "c<n>": every change is told
  // apart by its city. The connector is killed three times on the way.
  for (int n = 0; n < kChanges; ++n) {
    const int id = n % 20 + 1;  // 0 is a placeholder id, which mappings refuse
    Sql("INSERT INTO " + s + ".contacts (id, email, city) VALUES (" + std::to_string(id) + ", 'p" +
        std::to_string(id) + "@corp.de', 'c" + std::to_string(n) +
        "') ON CONFLICT (id) DO UPDATE SET city = EXCLUDED.city");
    if (n % 75 == 74) {
      connector->Kill(SIGKILL);
      connector->Wait();
      connector = std::make_unique<AccordProcess>(db.ConnectorArgs(dir), topics.prefix);
    }
  }
  auto events = AwaitEvents(topics, kChanges);
  // Nothing more arrives once every change is in: no late duplicates.
  const int64_t end = EndOffsets(topics);
  connector->Kill(SIGTERM);
  EXPECT_EQ(connector->Wait(), 0) << connector->Stderr();
  EXPECT_EQ(EndOffsets(topics), end);

  std::set<std::string> ids;
  std::vector<std::string> cities;
  for (const auto& event : events) {
    if (!ids.insert(event.event_id()).second) continue;  // a duplicate by id
    cities.push_back(event.customer_upserted().city());
  }
  ASSERT_EQ(cities.size(), static_cast<size_t>(kChanges))
      << events.size() << " events, " << ids.size() << " distinct\n"
      << connector->Stderr();
  for (int n = 0; n < kChanges; ++n) EXPECT_EQ(cities[n], "c" + std::to_string(n));
  // Events Kafka had taken in the second before a kill, before their
  // position was confirmed, come again after the restart with the same ids;
  // the projection applies every change once and drops the repeats.
  auto project = RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(project.exit_code, 0) << project.err;
  EXPECT_NE(project.out.find(" " + std::to_string(kChanges) + " applied, " +
                             std::to_string(events.size() - ids.size()) + " duplicates"),
            std::string::npos)
      << project.out;
}

}  // namespace
}  // namespace accord::testing
