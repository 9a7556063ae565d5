// The fold records, on each timeline entry, how it decided every field the
// event offered (docs/audit.md), why customers merged, and erases the
// recorded values with the person.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/fold/codec.h"
#include "domain/fold/fold.h"
#include "domain/fold/testing/cluster.h"
#include "domain/fold/testing/fold_testing.h"

namespace accord::fold {
namespace {

using namespace test_support;
using state::v1::FieldDecision;
using state::v1::TimelineEntry;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class DecisionsTest : public ::testing::Test {
 protected:
  Outcome Fold(const v1::Event& event) {
    Outcome outcome = Apply(state_, event, rules_);
    state_.Write(outcome.changes);
    return outcome;
  }

  TimelineEntry Entry(const std::string& customer_id, uint64_t sequence) const {
    const std::string key = TimelineKey(customer_id, sequence);
    auto bytes = state_.Get(Table::kTimeline, key);
    EXPECT_TRUE(bytes) << "no timeline entry " << key;
    return bytes ? DecodeState<TimelineEntry>(*bytes, Table::kTimeline, key) : TimelineEntry();
  }

  // The entry the last folded event left for its customer.
  TimelineEntry Last(const Outcome& outcome) const {
    auto customer = LoadCustomer(state_, outcome.customer_id);
    EXPECT_TRUE(customer);
    return customer ? Entry(customer->customer_id(), customer->timeline_length() - 1)
                    : TimelineEntry();
  }

  static FieldDecision Decision(const TimelineEntry& entry, std::string_view field) {
    for (const auto& decision : entry.decisions())
      if (decision.field() == field) return decision;
    ADD_FAILURE() << "entry " << entry.event_id() << " decided nothing on " << field;
    return FieldDecision();
  }

  Rules rules_;
  MemoryState state_;
};

TEST_F(DecisionsTest, FirstValuesThenChangesRecordOldAndNewWithTheirRule) {
  Outcome created = Fold(Contact({.record = "m1", .email = "anna@corp.de", .first_name = "Anna"}));
  TimelineEntry entry = Last(created);
  ASSERT_EQ(entry.decisions_size(), 2);
  EXPECT_EQ(entry.decisions(0).field(), "email");
  EXPECT_EQ(entry.decisions(1).field(), "first_name");
  FieldDecision name = entry.decisions(1);
  EXPECT_EQ(name.outcome(), FieldDecision::OUTCOME_CHANGED);
  EXPECT_EQ(name.rule(), "first-value");
  EXPECT_EQ(name.offered_value(), "Anna");
  EXPECT_FALSE(name.has_old_value());
  EXPECT_TRUE(name.offered_source_system().empty());

  // A newer version of the same record: the version decides.
  entry = Last(Fold(Contact({.record = "m1",
                             .version = 2,
                             .at_ms = kT0 + kMinute,
                             .email = "anna@corp.de",
                             .first_name = "Anne"})));
  name = Decision(entry, "first_name");
  EXPECT_EQ(name.outcome(), FieldDecision::OUTCOME_CHANGED);
  EXPECT_EQ(name.rule(), "source-version");
  EXPECT_EQ(name.old_value(), "Anna");
  EXPECT_EQ(name.offered_value(), "Anne");
  // The address it sent again is unchanged: only its provenance moved.
  FieldDecision email = Decision(entry, "email");
  EXPECT_EQ(email.outcome(), FieldDecision::OUTCOME_UNCHANGED);
  EXPECT_FALSE(email.has_old_value());

  // Another system, later: the newest wins.
  name = Decision(Last(Fold(Contact({.system = "crm",
                                     .record = "c1",
                                     .at_ms = kT0 + 2 * kMinute,
                                     .email = "anna@corp.de",
                                     .first_name = "Annette"}))),
                  "first_name");
  EXPECT_EQ(name.outcome(), FieldDecision::OUTCOME_CHANGED);
  EXPECT_EQ(name.rule(), "newest-occurred-at");
  EXPECT_EQ(name.old_value(), "Anne");
}

TEST_F(DecisionsTest, ValueKeptByAFieldRuleNamesTheRuleAndTheWinner) {
  rules_.fields["company"] = ParseFieldRule("prefer crm");
  Fold(Contact({.system = "crm", .record = "c1", .email = "anna@corp.de", .company = "VP AG"}));
  TimelineEntry entry = Last(Fold(Contact({.system = "marketing",
                                           .record = "m1",
                                           .at_ms = kT0 + kMinute,
                                           .email = "anna@corp.de",
                                           .company = "CTO GmbH"})));
  FieldDecision company = Decision(entry, "company");
  EXPECT_EQ(company.outcome(), FieldDecision::OUTCOME_KEPT);
  EXPECT_EQ(company.rule(), "prefer crm");
  EXPECT_EQ(company.offered_value(), "CTO GmbH");
  EXPECT_EQ(company.old_value(), "VP AG");
  EXPECT_EQ(company.old_source(), "crm:c1");
  // The same offer the rule keeps out of the customer altogether.
  rules_.fields["company"] = ParseFieldRule("only crm");
  rules_.fields["first_name"] = ParseFieldRule("ignore");
  entry = Last(Fold(Contact({.system = "marketing",
                             .record = "m1",
                             .version = 2,
                             .at_ms = kT0 + 2 * kMinute,
                             .email = "anna@corp.de",
                             .first_name = "Anna",
                             .company = "CTO GmbH"})));
  EXPECT_EQ(Decision(entry, "company").outcome(), FieldDecision::OUTCOME_NOT_SYNCED);
  EXPECT_EQ(Decision(entry, "company").rule(), "only crm");
  EXPECT_EQ(Decision(entry, "first_name").outcome(), FieldDecision::OUTCOME_NOT_SYNCED);
  EXPECT_EQ(Decision(entry, "first_name").rule(), "ignore");
  EXPECT_EQ(Decision(entry, "first_name").offered_value(), "Anna");
}

TEST_F(DecisionsTest, StaleVersionKeepsEveryValueBySourceVersion) {
  Fold(Contact({.record = "m1", .version = 2, .email = "anna@corp.de", .first_name = "Anne"}));
  TimelineEntry entry = Last(Fold(Contact({.record = "m1",
                                           .version = 1,
                                           .at_ms = kT0 + kMinute,
                                           .email = "anna@corp.de",
                                           .first_name = "Anna",
                                           .company = "Corp GmbH"})));
  EXPECT_EQ(entry.note(), "stale: version 1 of marketing:m1 is not newer than 2");
  ASSERT_EQ(entry.decisions_size(), 3);
  for (const auto& decision : entry.decisions()) {
    EXPECT_EQ(decision.outcome(), FieldDecision::OUTCOME_KEPT) << decision.field();
    EXPECT_EQ(decision.rule(), "source-version") << decision.field();
  }
  EXPECT_EQ(Decision(entry, "first_name").old_value(), "Anne");
  EXPECT_EQ(Decision(entry, "first_name").old_source(), "marketing:m1");
  // A field the newer version never set stays without a value.
  EXPECT_TRUE(Decision(entry, "company").old_source().empty());
  EXPECT_FALSE(Decision(entry, "company").has_old_value());
}

TEST_F(DecisionsTest, MergeInShardRecordsItsReasonAndTheMergedFieldsDecisions) {
  Outcome marketing = Fold(Contact({.record = "m1", .email = "a@corp.de", .first_name = "Anna"}));
  Outcome crm = Fold(Contact({.system = "crm", .record = "c1", .email = "b@corp.de"}));
  Outcome link = Fold(Contact({.system = "crm",
                               .record = "c1",
                               .version = 2,
                               .at_ms = kT0 + 2 * kMinute,
                               .email = "b@corp.de",
                               .linked = {"marketing:m1"}}));
  // email:a@corp.de is the smaller home key: the marketing customer survives.
  ASSERT_EQ(link.customer_id, marketing.customer_id);
  TimelineEntry entry = Last(link);
  EXPECT_THAT(entry.merged_customer_ids(), ElementsAre(crm.customer_id));
  EXPECT_EQ(entry.merge_reason(), "crm:c1 names source id marketing:m1 of " +
                                      marketing.customer_id + " and e-mail b@corp.de of " +
                                      crm.customer_id);
  // First the merged customer's fields, with the provenance they had; its
  // address was as old as hers, and loses the tie on the source system.
  ASSERT_GE(entry.decisions_size(), 2);
  const FieldDecision& merged_email = entry.decisions(0);
  EXPECT_EQ(merged_email.field(), "email");
  EXPECT_EQ(merged_email.outcome(), FieldDecision::OUTCOME_KEPT);
  EXPECT_EQ(merged_email.rule(), "newest-occurred-at");
  EXPECT_EQ(merged_email.offered_value(), "b@corp.de");
  EXPECT_EQ(merged_email.offered_source_system(), "crm");
  EXPECT_EQ(merged_email.offered_source_record_id(), "c1");
  EXPECT_EQ(merged_email.offered_source_version(), 1u);
  EXPECT_EQ(merged_email.old_source(), "marketing:m1");
  // Then the event's own offer, newer than both.
  const FieldDecision& own_email = entry.decisions(entry.decisions_size() - 1);
  EXPECT_EQ(own_email.field(), "email");
  EXPECT_EQ(own_email.outcome(), FieldDecision::OUTCOME_CHANGED);
  EXPECT_EQ(own_email.old_value(), "a@corp.de");
  EXPECT_TRUE(own_email.offered_source_system().empty());
}

TEST_F(DecisionsTest, ErasureClearsTheValuesTheTimelineRecorded) {
  Outcome created = Fold(Contact({.record = "m1", .email = "anna@corp.de", .first_name = "Anna"}));
  Fold(Engagement("o1", kT0 + kMinute, "anna@corp.de", "spring", v1::ENGAGEMENT_KIND_OPENED));
  v1::Event erase;
  erase.mutable_customer_erased();
  erase.set_customer_key("email:anna@corp.de");
  Outcome erased = Fold(Finish(std::move(erase), "marketing", "m1", 3, kT0 + 2 * kMinute));

  TimelineEntry first = Entry(created.customer_id, 0);
  EXPECT_TRUE(first.values_erased());
  ASSERT_EQ(first.decisions_size(), 2);
  for (const auto& decision : first.decisions()) {
    EXPECT_EQ(decision.offered_value(), "") << decision.field();
    EXPECT_EQ(decision.rule(), "first-value") << decision.field();
  }
  // An entry that recorded no values stays as it was.
  EXPECT_FALSE(Entry(created.customer_id, 1).values_erased());
  TimelineEntry erasure = Last(erased);
  EXPECT_EQ(erasure.kind(), "customer_erased");
  ASSERT_EQ(erasure.decisions_size(), 2);
  EXPECT_EQ(erasure.decisions(0).field(), "email");
  EXPECT_EQ(erasure.decisions(0).outcome(), FieldDecision::OUTCOME_ERASED);
  EXPECT_THAT(erasure.decisions(0).offered_value(), IsEmpty());
}

TEST(DecisionsAcrossPartitions, MoveRecordsTheSharedIdentityAsMergeReason) {
  constexpr int kPartitions = 6;
  Cluster cluster(kPartitions, 7);
  const std::string marketing_email = "anna@firma.de";
  std::string crm_email;
  for (int i = 0; crm_email.empty(); ++i) {
    std::string candidate = "a.mueller" + std::to_string(i) + "@firma.de";
    int partition = cluster.PartitionOf("email:" + candidate);
    if (partition != cluster.PartitionOf("email:" + marketing_email) &&
        partition != cluster.PartitionOf("src:marketing:m1"))
      crm_email = candidate;
  }
  cluster.Publish(Contact({.record = "m1", .email = marketing_email, .first_name = "Anna"}));
  cluster.Publish(
      Contact({.system = "crm", .record = "k1", .at_ms = kT0 + kMinute, .email = crm_email}));
  cluster.Publish(Contact({.system = "crm",
                           .record = "k1",
                           .version = 2,
                           .at_ms = kT0 + 2 * kMinute,
                           .email = crm_email,
                           .linked = {"marketing:m1"}}));
  cluster.Drain();

  auto found = cluster.Find("email:" + marketing_email);
  ASSERT_TRUE(found);
  const auto& shard = cluster.shard(found->partition);
  std::optional<TimelineEntry> move;
  for (const auto& [key, bytes] : shard.Rows(Table::kTimeline)) {
    auto entry = DecodeState<TimelineEntry>(bytes, Table::kTimeline, key);
    if (entry.kind() == "customer_moved") move = entry;
  }
  ASSERT_TRUE(move);
  EXPECT_EQ(move->merge_reason(), "source id marketing:m1 is held by both");
  ASSERT_EQ(move->merged_customer_ids_size(), 1);
  // The marketing customer's name came over with the move.
  bool first_name_offered = false;
  for (const auto& decision : move->decisions())
    if (decision.field() == "first_name") {
      first_name_offered = true;
      EXPECT_EQ(decision.outcome(), FieldDecision::OUTCOME_CHANGED);
      EXPECT_EQ(decision.rule(), "first-value");
      EXPECT_EQ(decision.offered_source_system(), "marketing");
      EXPECT_EQ(decision.offered_source_record_id(), "m1");
    }
  EXPECT_TRUE(first_name_offered);
}

}  // namespace
}  // namespace accord::fold
