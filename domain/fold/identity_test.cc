// Identity across partitions: customers whose identity keys hash to
// different partitions become one through the events the fold emits for
// other shards (identity.proto). A cluster of shards in memory routes those
// events by key, as Kafka's partitioner does, and delivers them in orders a
// seeded generator picks, so one history is checked under many
// interleavings.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <set>

#include "domain/events/envelope.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"
#include "domain/fold/testing/cluster.h"
#include "domain/fold/testing/fold_testing.h"
#include "domain/util/hash.h"

namespace accord::fold {
namespace {

using namespace test_support;
using state::v1::CustomerState;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr int kPartitions = 6;

// A second address for the same person that lands in another partition than
// `email` and than the marketing record's source key.
std::string AddressElsewhere(const Cluster& cluster, const std::string& email,
                             const std::string& source_key) {
  for (int i = 0;; ++i) {
    std::string candidate = "a.mueller" + std::to_string(i) + "@firma.de";
    int partition = cluster.PartitionOf("email:" + candidate);
    if (partition != cluster.PartitionOf("email:" + email) &&
        partition != cluster.PartitionOf(source_key))
      return candidate;
  }
}

std::vector<std::string> Aliases(const CustomerState& customer) {
  return {customer.aliases().begin(), customer.aliases().end()};
}

TEST(IdentityAcrossPartitions, LinkingEventMergesCustomersOfTwoPartitions) {
  Cluster cluster(kPartitions, 1);
  const std::string marketing_email = "anna@firma.de";
  const std::string crm_email = AddressElsewhere(cluster, marketing_email, "src:marketing:m1");
  v1::Event marketing = Contact({.record = "m1", .email = marketing_email});
  v1::Event crm = Contact({.system = "crm",
                           .record = "k1",
                           .at_ms = kT0 + kMinute,
                           .email = crm_email,
                           .stage = v1::LIFECYCLE_STAGE_SQL});
  v1::Event link = Contact({.system = "crm",
                            .record = "k1",
                            .version = 2,
                            .at_ms = kT0 + 2 * kMinute,
                            .email = crm_email,
                            .linked = {"marketing:m1"}});
  for (const auto& event : {marketing, crm, link}) cluster.Publish(event);
  cluster.Drain();

  auto live = cluster.Live();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_THAT(Aliases(live[0]),
              UnorderedElementsAre("email:" + marketing_email, "email:" + crm_email, "src:crm:k1",
                                   "src:marketing:m1"));
  auto by_marketing = cluster.Find("email:" + marketing_email);
  auto by_crm = cluster.Find("email:" + crm_email);
  ASSERT_TRUE(by_marketing && by_crm);
  EXPECT_EQ(by_marketing->customer.customer_id(), live[0].customer_id());
  EXPECT_EQ(by_crm->customer.customer_id(), live[0].customer_id());
  EXPECT_EQ(live[0].applied_events(), 3u);
  EXPECT_EQ(live[0].lifecycle_stage(), v1::LIFECYCLE_STAGE_SQL);
  EXPECT_EQ(live[0].merged_customer_ids_size(), 1);

  // One timeline: the three events of both records, and the move.
  auto timeline = cluster.TimelineEvents(*by_marketing);
  EXPECT_EQ(timeline.size(), 4u);
  for (const auto& event : {marketing, crm, link}) EXPECT_EQ(timeline.count(event.event_id()), 1u);

  // Later events for either address reach the survivor, wherever they land.
  v1::Event opened =
      Engagement("o1", kT0 + 3 * kMinute, marketing_email, "spring", v1::ENGAGEMENT_KIND_OPENED);
  v1::Event deal =
      Deal("D-1", 1, kT0 + 4 * kMinute, marketing_email, v1::DEAL_STAGE_PROPOSAL, 500000);
  cluster.Publish(opened);
  cluster.Publish(deal);
  cluster.Publish(opened);  // a re-delivered duplicate
  cluster.Drain();
  auto after = cluster.Find("email:" + crm_email);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->customer.customer_id(), live[0].customer_id());
  EXPECT_EQ(after->customer.engagements(), 1u);
  EXPECT_EQ(after->customer.applied_events(), 5u);
  EXPECT_THAT(after->customer.deal_keys(), ElementsAre("crm:D-1"));
  auto stored_deal = cluster.shard(after->partition).Get(Table::kDeals, "crm:D-1");
  ASSERT_TRUE(stored_deal);
  EXPECT_EQ(DecodeState<state::v1::DealState>(*stored_deal, Table::kDeals, "crm:D-1").customer_id(),
            live[0].customer_id());
  EXPECT_EQ(cluster.TimelineEvents(*after).size(), 6u);
  // The CRM customer survived (email:a.mueller... is the smaller home key),
  // so both events, keyed by the marketing address, were passed on.
  EXPECT_EQ(cluster.verdicts(Verdict::kForwarded), 2u);
  EXPECT_EQ(cluster.verdicts(Verdict::kDuplicate), 1u);
}

TEST(IdentityAcrossPartitions, DealsAndTimelineMoveWithTheMergedCustomer) {
  Cluster cluster(kPartitions, 7);
  const std::string marketing_email = "bernd@firma.de";
  const std::string crm_email = AddressElsewhere(cluster, marketing_email, "src:marketing:m2");
  cluster.Publish(Contact({.record = "m2", .email = marketing_email}));
  cluster.Publish(Deal("D-7", 1, kT0 + kMinute, marketing_email, v1::DEAL_STAGE_PROPOSAL, 1000));
  cluster.Publish(Deal("D-8", 1, kT0 + kMinute, crm_email, v1::DEAL_STAGE_PROPOSAL, 2000));
  cluster.Publish(Contact({.system = "crm",
                           .record = "k2",
                           .at_ms = kT0 + 2 * kMinute,
                           .email = crm_email,
                           .linked = {"marketing:m2"}}));
  cluster.Drain();

  auto found = cluster.Find("email:" + marketing_email);
  ASSERT_TRUE(found);
  EXPECT_THAT(found->customer.deal_keys(), ElementsAre("crm:D-7", "crm:D-8"));
  for (const std::string deal_key : {"crm:D-7", "crm:D-8"}) {
    auto bytes = cluster.shard(found->partition).Get(Table::kDeals, deal_key);
    ASSERT_TRUE(bytes) << deal_key << " did not follow its customer";
    EXPECT_EQ(DecodeState<state::v1::DealState>(*bytes, Table::kDeals, deal_key).customer_id(),
              found->customer.customer_id());
  }
  // Nothing of the customer stays behind in the shard it left.
  for (int p = 0; p < kPartitions; ++p) {
    if (p == found->partition) continue;
    EXPECT_TRUE(cluster.shard(p).Rows(Table::kDeals).empty()) << "partition " << p;
    EXPECT_TRUE(cluster.shard(p).Rows(Table::kTimeline).empty()) << "partition " << p;
  }
  EXPECT_EQ(cluster.TimelineEvents(*found).size(), 5u);
}

TEST(IdentityAcrossPartitions, RecordThatGainsAnAddressLaterStaysOneCustomer) {
  // A CRM record without a usable address is keyed by its source id; when an
  // address arrives, the connector keys the record by it, which lands in
  // another partition. The source id joins the two.
  Cluster cluster(kPartitions, 3);
  std::string email;
  for (int i = 0;; ++i) {
    email = "carla" + std::to_string(i) + "@firma.de";
    if (cluster.PartitionOf("email:" + email) != cluster.PartitionOf("src:crm:k3")) break;
  }
  cluster.Publish(Contact({.system = "crm", .record = "k3", .first_name = "Carla"}));
  cluster.Publish(Contact(
      {.system = "crm", .record = "k3", .version = 2, .at_ms = kT0 + kMinute, .email = email}));
  cluster.Drain();
  auto live = cluster.Live();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_THAT(Aliases(live[0]), UnorderedElementsAre("email:" + email, "src:crm:k3"));
  EXPECT_EQ(live[0].applied_events(), 2u);
}

TEST(IdentityAcrossPartitions, ErasedAddressNamesSomeoneNewLater) {
  Cluster cluster(kPartitions, 5);
  const std::string marketing_email = "dora@firma.de";
  const std::string crm_email = AddressElsewhere(cluster, marketing_email, "src:marketing:m4");
  cluster.Publish(Contact({.record = "m4", .email = marketing_email}));
  cluster.Publish(Contact({.system = "crm",
                           .record = "k4",
                           .at_ms = kT0 + kMinute,
                           .email = crm_email,
                           .linked = {"marketing:m4"}}));
  cluster.Drain();
  ASSERT_EQ(cluster.Live().size(), 1u);

  v1::Event erase;
  erase.mutable_customer_erased();
  erase.set_customer_key("email:" + crm_email);
  cluster.Publish(Finish(erase, "crm", "k4", 3, kT0 + 2 * kMinute));
  cluster.Drain();
  // Someone else signs up with either address later: a new customer.
  cluster.Publish(Contact({.record = "m5", .at_ms = kT0 + 3 * kMinute, .email = marketing_email}));
  cluster.Publish(Contact({.record = "m6", .at_ms = kT0 + 3 * kMinute, .email = crm_email}));
  cluster.Drain();

  auto live = cluster.Live();
  ASSERT_EQ(live.size(), 3u);
  for (const auto& email : {marketing_email, crm_email}) {
    auto found = cluster.Find("email:" + email);
    ASSERT_TRUE(found) << email;
    EXPECT_FALSE(found->customer.erased()) << email;
    EXPECT_EQ(found->customer.applied_events(), 1u) << email;
  }
}

// Many people, each known to marketing and to the CRM under different
// addresses, some also by a support-system record linked to the CRM one.
struct Person {
  std::set<std::string> keys;
};

std::vector<v1::Event> History(int people, std::vector<Person>& persons) {
  std::vector<v1::Event> history;
  std::mt19937_64 random(42);
  for (int i = 0; i < people; ++i) {
    Person person;
    const std::string n = std::to_string(i);
    const std::string marketing_email = "p" + n + "@mail.example.org";
    const std::string crm_email = "person." + n + "@corp.example.org";
    int64_t at = kT0 + i * kMinute;
    history.push_back(Contact({.record = "m" + n,
                               .at_ms = at,
                               .email = marketing_email,
                               .stage = v1::LIFECYCLE_STAGE_LEAD}));
    history.push_back(
        Engagement("o" + n, at + 1, marketing_email, "spring", v1::ENGAGEMENT_KIND_OPENED));
    person.keys = {"email:" + marketing_email, "src:marketing:m" + n};
    if (random() % 4 != 0) {
      history.push_back(Contact({.system = "crm",
                                 .record = "k" + n,
                                 .at_ms = at + 2,
                                 .email = crm_email,
                                 .stage = v1::LIFECYCLE_STAGE_SQL,
                                 .linked = {"marketing:m" + n}}));
      history.push_back(Deal("D" + n, 1, at + 3, crm_email, v1::DEAL_STAGE_PROPOSAL, 100));
      person.keys.insert({"email:" + crm_email, "src:crm:k" + n});
      if (random() % 3 == 0) {
        history.push_back(Contact(
            {.system = "support", .record = "s" + n, .at_ms = at + 4, .linked = {"crm:k" + n}}));
        person.keys.insert("src:support:s" + n);
      }
    }
    persons.push_back(std::move(person));
  }
  // Events of different people interleave in the topic.
  std::shuffle(history.begin(), history.end(), random);
  std::stable_sort(history.begin(), history.end(), [](const v1::Event& a, const v1::Event& b) {
    return a.occurred_at_ms() / kMinute < b.occurred_at_ms() / kMinute;
  });
  return history;
}

TEST(IdentityAcrossPartitions, EveryDeliveryOrderEndsWithOneCustomerPerPerson) {
  std::vector<Person> persons;
  const auto history = History(100, persons);
  std::map<std::string, std::vector<std::string>> first_run;  // key -> aliases of its customer
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("delivery order seed " + std::to_string(seed));
    Cluster cluster(kPartitions, seed);
    for (const auto& event : history) cluster.Publish(event);
    cluster.Drain();
    if (::testing::Test::HasFatalFailure()) return;

    auto live = cluster.Live();
    EXPECT_EQ(live.size(), persons.size());
    uint64_t applied = 0;
    for (const auto& customer : live) applied += customer.applied_events();
    EXPECT_EQ(applied, history.size());

    std::map<std::string, std::vector<std::string>> run;
    for (const auto& person : persons) {
      std::set<std::string> ids;
      for (const auto& key : person.keys) {
        auto found = cluster.Find(key);
        ASSERT_TRUE(found) << key;
        ids.insert(found->customer.customer_id());
        run[key] = Aliases(found->customer);
      }
      EXPECT_EQ(ids.size(), 1u) << *person.keys.begin() << " is split";
      auto aliases = run[*person.keys.begin()];
      EXPECT_EQ(std::set<std::string>(aliases.begin(), aliases.end()), person.keys);
    }
    if (seed == 1)
      first_run = run;
    else
      EXPECT_EQ(run, first_run);
  }
}

}  // namespace
}  // namespace accord::fold
