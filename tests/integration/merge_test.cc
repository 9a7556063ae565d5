// Identity across partitions through the real broker: a marketing contact
// and a CRM contact with another address land in different partitions; a
// later CRM update carrying the marketing id proves they are one person. The
// projection's own identity events travel through Kafka to the shards that
// own the keys, and the two customers become one.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "domain/events/envelope.h"
#include "io/store/store.h"
#include "services/query/state_query.h"
#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

constexpr int kPartitions = 6;
constexpr int64_t kT0 = 1741944600000;  // 2025-03-14T09:30:00Z

// The partition the producer's murmur2 partitioner picks for a key.
int32_t PartitionOf(const std::string& key) {
  return rd_kafka_msg_partitioner_murmur2_random(nullptr, key.data(), key.size(), kPartitions,
                                                 nullptr, nullptr);
}

// An address whose key lands in one of `partitions`.
std::string AddressIn(const std::string& name, const std::set<int32_t>& partitions) {
  for (int i = 0;; ++i) {
    std::string candidate = name + std::to_string(i) + "@firma.de";
    if (partitions.count(PartitionOf("email:" + candidate))) return candidate;
  }
}

// Another address of the same person that lands in another partition than
// the first one and than the marketing record's id.
std::string AddressElsewhere(const std::string& email, const std::string& source_key) {
  for (int i = 0;; ++i) {
    std::string candidate = "a.mueller" + std::to_string(i) + "@firma.de";
    int32_t partition = PartitionOf("email:" + candidate);
    if (partition != PartitionOf("email:" + email) && partition != PartitionOf(source_key))
      return candidate;
  }
}

nlohmann::json QueryCustomer(const std::string& db, const std::string& email,
                             const std::string& prefix) {
  auto result = RunAccord({"query", "customer", "--db", db, "--email", email}, prefix);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.exit_code == 0 ? nlohmann::json::parse(result.out) : nlohmann::json();
}

TEST(Merge, LinkedContactsFromTwoPartitionsBecomeOneCustomer) {
  auto topics = CreateTopics("merge", kPartitions);
  TempDir dir;
  const std::string db = dir / "state";
  const std::string marketing_email = "anna@firma.de";
  const std::string crm_email = AddressElsewhere(marketing_email, "src:marketing:m1");
  ASSERT_NE(PartitionOf("email:" + marketing_email), PartitionOf("email:" + crm_email));

  v1::Event marketing = ContactEvent("marketing", "m1", 1, kT0, marketing_email, "Müller");
  v1::Event crm = ContactEvent("crm", "k1", 1, kT0 + 60'000, crm_email, "Mueller");
  v1::Event link = ContactEvent("crm", "k1", 2, kT0 + 120'000, crm_email, "Müller");
  link.mutable_customer_upserted()->add_linked_source_ids("marketing:m1");
  PublishEvents(topics, {marketing, crm});
  // The two are apart until the link arrives.
  auto before = RunAccord({"project", "--db", db, "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_NE(QueryCustomer(db, marketing_email, topics.prefix)["id"],
            QueryCustomer(db, crm_email, topics.prefix)["id"]);

  PublishEvents(topics, {link});
  auto project = RunAccord({"project", "--db", db, "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(project.exit_code, 0) << project.err;

  auto by_marketing = QueryCustomer(db, marketing_email, topics.prefix);
  auto by_crm = QueryCustomer(db, crm_email, topics.prefix);
  EXPECT_EQ(by_marketing["id"], by_crm["id"]);
  std::set<std::string> aliases = by_crm["aliases"];
  EXPECT_EQ(aliases, (std::set<std::string>{"email:" + marketing_email, "email:" + crm_email,
                                            "src:crm:k1", "src:marketing:m1"}));
  EXPECT_EQ(by_crm["applied_events"], 3);
  EXPECT_EQ(by_crm["merged_from"].size(), 1u);

  auto summary = RunAccord({"query", "summary", "--db", db}, topics.prefix);
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  auto counts = nlohmann::json::parse(summary.out);
  EXPECT_EQ(counts["customers"], 1);
  EXPECT_EQ(counts["customers_merged_away"], 1);
  EXPECT_EQ(counts["events_applied"], 3);

  // One timeline with the events of both records, and the merge with its reason.
  {
    auto store = store::Store::Open(db, store::Store::Mode::kReadOnly);
    query::StateQuery query(*store);
    auto customer = query.ByIdentity("email:" + marketing_email);
    ASSERT_TRUE(customer);
    std::multiset<std::string> event_ids;
    std::string merge_note;
    for (const auto& item : query.TimelineOf(*customer)) {
      event_ids.insert(item.entry.event_id());
      if (item.entry.kind() == "customer_moved") merge_note = item.entry.note();
    }
    EXPECT_EQ(event_ids.size(), 4u);
    for (const auto& event : {marketing, crm, link})
      EXPECT_EQ(event_ids.count(event.event_id()), 1u) << event.event_id();
    EXPECT_NE(merge_note.find("is held by both"), std::string::npos) << merge_note;
  }

  // Later events keyed by either address reach the one customer.
  PublishEvents(topics,
                {EngagementEvent("marketing", "o1", kT0 + 180'000, marketing_email, "spring"),
                 EngagementEvent("marketing", "o2", kT0 + 240'000, crm_email, "spring")});
  auto later = RunAccord({"project", "--db", db, "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(later.exit_code, 0) << later.err;
  auto after = QueryCustomer(db, marketing_email, topics.prefix);
  EXPECT_EQ(after["id"], by_crm["id"]);
  EXPECT_EQ(after["engagements"], 2);
  EXPECT_EQ(after["applied_events"], 5);
}

// Two instances in one group split the partitions (range assignment: 0-2 and
// 3-5), so the two records live in different instances. The identity events
// cross between them through Kafka, and the instances' states combined equal
// one instance folding everything.
TEST(Merge, AcrossTwoInstancesCombinedStateEqualsOnePass) {
  auto topics = CreateTopics("merge-pair", kPartitions);
  TempDir dir;
  const std::string marketing_email = AddressIn("anna", {0, 1, 2});
  const std::string crm_email = AddressIn("a.mueller", {3, 4, 5});
  const std::map<std::string, std::string> group = {
      {"ACCORD_PROJECT_GROUP_ID", topics.prefix + "-pair"}};
  // A campaign definition first: once it is acknowledged, both topics are
  // known to the broker's metadata when the members subscribe.
  v1::Event campaign;
  campaign.mutable_campaign_upserted()->set_campaign_id("spring");
  events::StampEnvelope(campaign, {"marketing", "spring", 1, kT0});
  PublishEvents(topics, {campaign});
  const std::string first_db = dir / "first", second_db = dir / "second";
  AccordProcess first({"project", "--db", first_db, "--http-listen", ""}, topics.prefix, group);
  AccordProcess second({"project", "--db", second_db, "--http-listen", ""}, topics.prefix, group);
  // Both members hold their partitions before anything is published.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return first.Stderr().find("ready") != std::string::npos &&
               second.Stderr().find("ready") != std::string::npos;
      },
      std::chrono::seconds(120)))
      << first.Stderr() << second.Stderr();

  v1::Event marketing = ContactEvent("marketing", "m1", 1, kT0, marketing_email, "Müller");
  v1::Event crm = ContactEvent("crm", "k1", 1, kT0 + 60'000, crm_email, "Mueller");
  v1::Event link = ContactEvent("crm", "k1", 2, kT0 + 120'000, crm_email, "Müller");
  link.mutable_customer_upserted()->add_linked_source_ids("marketing:m1");
  PublishEvents(topics, {marketing, crm, link});
  // Each partition is folded by one of them: their offsets add up to the
  // topics' ends once every identity event they published is folded too.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return FoldedOffsets({first_db, second_db}) == EndOffsets(topics);
      },
      std::chrono::seconds(120)))
      << first.Stderr() << second.Stderr();
  first.Kill(SIGTERM);
  second.Kill(SIGTERM);
  EXPECT_EQ(first.Wait(), 0) << first.Stderr();
  EXPECT_EQ(second.Wait(), 0) << second.Stderr();
  // Each folded one of the two records.
  EXPECT_GT(FoldedOffsets(first_db), 0);
  EXPECT_GT(FoldedOffsets(second_db), 0);

  // The instance holding the survivor's shard answers for both addresses.
  int found = 0;
  for (const auto& db : {first_db, second_db}) {
    auto result = RunAccord({"query", "customer", "--db", db, "--email", crm_email}, topics.prefix);
    if (result.exit_code != 0) continue;
    auto customer = nlohmann::json::parse(result.out);
    std::set<std::string> aliases = customer["aliases"];
    EXPECT_EQ(aliases, (std::set<std::string>{"email:" + marketing_email, "email:" + crm_email,
                                              "src:crm:k1", "src:marketing:m1"}));
    EXPECT_EQ(customer["applied_events"], 3);
    ++found;
  }
  EXPECT_EQ(found, 1);

  auto clean = RunAccord({"project", "--db", dir / "clean", "--until-caught-up"}, topics.prefix,
                         {{"ACCORD_PROJECT_GROUP_ID", topics.prefix + "-single"}});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  auto expected = RunAccord({"state-hash", "--db", dir / "clean"}, topics.prefix);
  auto combined = RunAccord({"state-hash", "--db", first_db, "--db", second_db}, topics.prefix);
  ASSERT_EQ(combined.exit_code, 0) << combined.err;
  EXPECT_EQ(combined.out, expected.out);
}

}  // namespace
}  // namespace accord::testing
