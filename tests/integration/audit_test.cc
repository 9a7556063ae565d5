// `accord audit customer` through the real broker and RocksDB: a marketing
// contact and a CRM contact with another address, in different partitions,
// become one customer when a CRM update links them; the audit of that
// customer names both sources, every conflict decision and the merge with
// its reason, and --at before the merge shows the picture of then.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

using Json = nlohmann::json;

constexpr int kPartitions = 6;
constexpr int64_t kT0 = 1741944600000;  // 2025-03-14T09:30:00Z

int32_t PartitionOf(const std::string& key) {
  return rd_kafka_msg_partitioner_murmur2_random(nullptr, key.data(), key.size(), kPartitions,
                                                 nullptr, nullptr);
}

// Another address of the person in another partition than `email` and the
// marketing record's id, so the merge crosses shards.
std::string AddressElsewhere(const std::string& email, const std::string& source_key) {
  for (int i = 0;; ++i) {
    std::string candidate = "a.mueller" + std::to_string(i) + "@firma.de";
    int32_t partition = PartitionOf("email:" + candidate);
    if (partition != PartitionOf("email:" + email) && partition != PartitionOf(source_key))
      return candidate;
  }
}

Json AuditJson(const std::vector<std::string>& args, const std::string& prefix) {
  std::vector<std::string> command = {"audit", "customer"};
  command.insert(command.end(), args.begin(), args.end());
  command.insert(command.end(), {"--format", "json"});
  auto result = RunAccord(command, prefix);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.exit_code == 0 ? Json::parse(result.out) : Json();
}

const Json& EntryOf(const Json& audit, const std::string& kind, const std::string& source) {
  for (const auto& entry : audit["entries"])
    if (entry["kind"] == kind && entry["source"].get<std::string>().starts_with(source))
      return entry;
  ADD_FAILURE() << "no " << kind << " from " << source << " in " << audit.dump(2);
  static const Json none;
  return none;
}

const Json& DecisionOn(const Json& entry, const std::string& field) {
  for (const auto& decision : entry["decisions"])
    if (decision["field"] == field) return decision;
  ADD_FAILURE() << "no decision on " << field << " in " << entry.dump(2);
  static const Json none;
  return none;
}

TEST(Audit, MergedCustomerNamesBothSourcesEveryDecisionAndTheMerge) {
  auto topics = CreateTopics("audit", kPartitions);
  TempDir dir;
  const std::string db = dir / "state";
  const std::string marketing_email = "anna@firma.de";
  const std::string crm_email = AddressElsewhere(marketing_email, "src:marketing:m1");
  v1::Event link = ContactEvent("crm", "k1", 2, kT0 + 120'000, crm_email, "Müller");
  link.mutable_customer_upserted()->add_linked_source_ids("marketing:m1");
  PublishEvents(topics, {ContactEvent("marketing", "m1", 1, kT0, marketing_email, "Müller"),
                         ContactEvent("crm", "k1", 1, kT0 + 60'000, crm_email, "Mueller")});
  // Folded apart first, so the marketing record's claim of its id is in
  // before the link's: the link's claim completes the proof, and the merge
  // happens at the link's time.
  auto apart = RunAccord({"project", "--db", db, "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(apart.exit_code, 0) << apart.err;
  PublishEvents(topics, {link});
  auto project = RunAccord({"project", "--db", db, "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(project.exit_code, 0) << project.err;

  // Asked by the marketing address: its customer moved into the CRM's (the
  // smaller home key, email:a.mueller...), which answers for it.
  Json audit = AuditJson({marketing_email, "--db", db}, topics.prefix);
  const std::string survivor = audit["customer_id"];
  ASSERT_EQ(audit["merged"].size(), 1u) << audit.dump(2);
  const std::string merged = audit["merged"][0]["customer_id"];
  EXPECT_EQ(audit["resolved_from"], merged);
  EXPECT_EQ(audit["merged"][0]["into"], survivor);
  EXPECT_EQ(audit["merged"][0]["reason"], "source id marketing:m1 is held by both");
  EXPECT_EQ(audit["fields"]["email"]["value"], crm_email);
  EXPECT_EQ(audit["fields"]["last_name"]["value"], "Müller");
  EXPECT_EQ(audit["fields"]["last_name"]["source"], "crm:k1");

  // Both sources' events, each in the timeline that recorded it, and the move.
  std::multiset<std::string> sources;
  for (const auto& entry : audit["entries"]) sources.insert(entry["source"]);
  EXPECT_EQ(sources.count("marketing:m1"), 1u);
  EXPECT_EQ(sources.count("crm:k1"), 2u);
  EXPECT_EQ(audit["total"], 4);

  // Every decision, with its rule and old → new.
  const Json& marketing = EntryOf(audit, "customer_upserted", "marketing:m1");
  EXPECT_EQ(marketing["customer_id"], merged);
  EXPECT_EQ(DecisionOn(marketing, "last_name")["rule"], "first-value");
  EXPECT_EQ(DecisionOn(marketing, "last_name")["new_value"], "Müller");
  const Json* crm_update = nullptr;
  for (const auto& entry : audit["entries"])
    if (entry["source"] == "crm:k1" && entry["version"] == 2) crm_update = &entry;
  ASSERT_TRUE(crm_update);
  EXPECT_EQ(DecisionOn(*crm_update, "last_name"),
            Json::parse(R"({"field": "last_name", "outcome": "changed", "rule": "source-version",
                            "offered_value": "Müller", "offered_by": "crm:k1",
                            "offered_version": 2, "old_value": "Mueller", "new_value": "Müller",
                            "winner": "crm:k1"})"));
  EXPECT_EQ(DecisionOn(*crm_update, "email")["outcome"], "unchanged");

  const Json& move = EntryOf(audit, "customer_moved", "accord:");
  EXPECT_EQ(move["customer_id"], survivor);
  EXPECT_EQ(move["merged_customer_ids"], Json::array({merged}));
  EXPECT_EQ(move["merge_reason"], "source id marketing:m1 is held by both");
  // The marketing address came with the move and lost to the newer CRM one.
  EXPECT_EQ(
      DecisionOn(move, "email"),
      Json::parse(R"({"field": "email", "outcome": "kept", "rule": "newest-occurred-at",
                            "offered_value": "anna@firma.de", "offered_by": "marketing:m1",
                            "offered_version": 1, "old_value": ")" +
                  crm_email + R"(", "new_value": ")" + crm_email + R"(", "winner": "crm:k1"})"));

  // By the merged customer's id: the same audit.
  Json by_id = AuditJson({merged, "--db", db}, topics.prefix);
  EXPECT_EQ(by_id["customer_id"], survivor);
  EXPECT_EQ(by_id["entries"], audit["entries"]);

  // Before the link (09:31:30): two customers, the marketing one as it was.
  Json before =
      AuditJson({marketing_email, "--db", db, "--at", "2025-03-14T10:31:30+01:00"}, topics.prefix);
  EXPECT_EQ(before["customer_id"], merged);
  EXPECT_EQ(before["survivor_id"], survivor);
  EXPECT_EQ(before["merged"], Json::array());
  ASSERT_EQ(before["total"], 1);
  EXPECT_EQ(before["entries"][0]["source"], "marketing:m1");
  EXPECT_EQ(before["fields"]["email"]["value"], marketing_email);
  EXPECT_EQ(before["fields"]["last_name"]["source"], "marketing:m1");
  Json crm_before =
      AuditJson({crm_email, "--db", db, "--at", "2025-03-14T09:31:30Z"}, topics.prefix);
  EXPECT_EQ(crm_before["customer_id"], survivor);
  EXPECT_EQ(crm_before["fields"]["last_name"]["value"], "Mueller");
  EXPECT_EQ(crm_before["total"], 1);

  // The table says the same for a terminal.
  auto table = RunAccord({"audit", "customer", merged, "--db", db}, topics.prefix);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("  " + merged + " was merged into " + survivor + "\n"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("    email: 'anna@firma.de' offered by marketing:m1 v1, kept '" +
                           crm_email + "' from crm:k1 (newest-occurred-at)\n"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("    last_name: 'Mueller' → 'Müller' (source-version)\n"),
            std::string::npos)
      << table.out;
}

TEST(Audit, ScoresAndHandoversAppearInTheFeedbackServicesStore) {
  auto topics = CreateTopics("audit-feedback", 1);
  TempDir dir;
  {
    std::ofstream config(dir / "accord.yaml");
    config << "feedback:\n"
              "  score:\n"
              "    engagement: {opened: 1, form_submitted: 10, webinar_attended: 15}\n"
              "    fit:\n"
              "      - {field: email, in: [firma.de], points: 20}\n"
              "  handover: {min_score: 40, min_fit: 10, min_engagement: 20}\n";
  }
  const std::map<std::string, std::string> env = {{"ACCORD_CONFIG", dir / "accord.yaml"}};
  auto engaged = [](const std::string& record, int64_t at_ms, v1::EngagementKind kind) {
    v1::Event event = EngagementEvent("marketing", record, at_ms, "lena@firma.de", "spring");
    event.mutable_campaign_engagement()->set_kind(kind);
    return event;
  };
  PublishEvents(topics, {ContactEvent("marketing", "m1", 1, kT0, "lena@firma.de", "Berg"),
                         engaged("w1", kT0 + 60'000, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED),
                         engaged("f1", kT0 + 120'000, v1::ENGAGEMENT_KIND_FORM_SUBMITTED)});
  auto feedback =
      RunAccord({"feedback", "--db", dir / "feedback", "--until-caught-up"}, topics.prefix, env);
  ASSERT_EQ(feedback.exit_code, 0) << feedback.err;
  auto project = RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(project.exit_code, 0) << project.err;

  Json audit = AuditJson({"lena@firma.de", "--db", dir / "feedback"}, topics.prefix);
  ASSERT_EQ(audit["total"], 3);
  const Json& form = audit["entries"][2];
  ASSERT_EQ(form["feedback"].size(), 2u) << form.dump(2);
  EXPECT_EQ(form["feedback"][0]["kind"], "score_updated");
  EXPECT_EQ(form["feedback"][0]["score"], 45);
  EXPECT_EQ(form["feedback"][1]["kind"], "lead_qualified");
  EXPECT_EQ(form["feedback"][1]["reasons"][0], "score 45 >= 40");

  // The projection's store keeps no scores: the same events, no feedback.
  Json projected = AuditJson({"lena@firma.de", "--db", dir / "state"}, topics.prefix);
  ASSERT_EQ(projected["total"], 3);
  for (const auto& entry : projected["entries"]) EXPECT_EQ(entry["feedback"], Json::array());
}

TEST(Audit, BadInputGivesAClearErrorAndExitStatus) {
  auto topics = CreateTopics("audit-bad", 1);
  TempDir dir;
  PublishEvents(topics, {ContactEvent("marketing", "m1", 1, kT0, "anna@firma.de", "Müller")});
  ASSERT_EQ(
      RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix).exit_code,
      0);
  auto expect_error = [&](const std::vector<std::string>& args, int code,
                          const std::string& message) {
    std::vector<std::string> command = {"audit", "customer"};
    command.insert(command.end(), args.begin(), args.end());
    auto result = RunAccord(command, topics.prefix);
    EXPECT_EQ(result.exit_code, code) << result.err;
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_EQ(result.out, "");
  };
  expect_error({"nobody@firma.de", "--db", dir / "state"}, 1,
               "no customer with e-mail nobody@firma.de");
  expect_error({"c000000000000000000000000", "--db", dir / "state"}, 1, "no customer with id");
  expect_error({"anna@firma.de", "--db", dir / "state", "--at", "last tuesday"}, 2,
               "--at 'last tuesday' is not an RFC 3339 time");
  expect_error({"anna@firma.de", "--db", dir / "nowhere"}, 2, "no Accord state at");
  expect_error({"test@example.com", "--db", dir / "state"}, 2, "not a usable e-mail address");
}

}  // namespace
}  // namespace accord::testing
