// Scale by partitions: two projection instances in one consumer group split
// six partitions; when one is killed the other takes its partitions over,
// and the instances' states combined equal one instance folding everything.
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

TEST(Instances, SurvivorTakesOverAndCombinedStateEqualsOnePass) {
  auto topics = CreateTopics("instances", 6);
  std::vector<v1::Event> events;
  for (int i = 0; i < 3000; ++i) {
    std::string email =
        "kontakt" + std::to_string(i) + "@haendler" + std::to_string(i % 31) + ".at";
    events.push_back(
        ContactEvent("crm", "A-" + std::to_string(i), 1, 1735689600000 + i, email, "Österreicher"));
    for (int e = 0; e < 9; ++e)
      events.push_back(EngagementEvent("marketing",
                                       "E-" + std::to_string(i) + "-" + std::to_string(e),
                                       1735689600000 + i + e, email, "C-" + std::to_string(e)));
  }
  // A third of the stream before the kill, the rest after it: the kill
  // lands mid-stream whatever the instances' speed.
  const auto split = events.begin() + static_cast<std::ptrdiff_t>(events.size() / 3);
  PublishEvents(topics, {events.begin(), split});

  TempDir dir;
  const std::map<std::string, std::string> group = {
      {"ACCORD_PROJECT_GROUP_ID", topics.prefix + "-pair"},
      {"ACCORD_PROJECT_BATCH_MAX_MESSAGES", "200"},
      // A killed member's partitions move after the session timeout.
      {"ACCORD_KAFKA_PROPERTY_SESSION_TIMEOUT_MS", "6000"},
      {"ACCORD_KAFKA_PROPERTY_HEARTBEAT_INTERVAL_MS", "500"}};
  const std::string first_db = dir / "first", second_db = dir / "second";
  AccordProcess first({"project", "--db", first_db}, topics.prefix, group);
  AccordProcess second({"project", "--db", second_db}, topics.prefix, group);

  // Both instances hold partitions and have folded part of them.
  ASSERT_TRUE(WaitUntil([&] { return FoldedOffsets(first_db) > 0 && FoldedOffsets(second_db) > 0; },
                        std::chrono::seconds(120)))
      << first.Stderr() << second.Stderr();
  first.Kill(SIGKILL);
  EXPECT_EQ(first.Wait(), -SIGKILL);
  PublishEvents(topics, {split, events.end()});

  // The survivor folds every partition to its end, its own and the ones it
  // took over (from its own stored offsets: the beginning for those). The
  // topic grows by the identity claims it publishes; it stores a batch's
  // offsets only after its claims are in Kafka, so once its offsets reach
  // the end, nothing it published is left unread.
  ASSERT_TRUE(WaitUntil([&] { return FoldedOffsets(second_db) == EndOffsets(topics); },
                        std::chrono::seconds(180)))
      << "second instance folded " << FoldedOffsets(second_db) << " of " << EndOffsets(topics)
      << "\n"
      << second.Stderr();
  second.Kill(SIGTERM);
  EXPECT_EQ(second.Wait(), 0) << second.Stderr();

  auto clean = RunAccord({"project", "--db", dir / "clean", "--until-caught-up"}, topics.prefix,
                         {{"ACCORD_PROJECT_GROUP_ID", topics.prefix + "-single"}});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  const std::string expected = RunAccord({"state-hash", "--db", dir / "clean"}, topics.prefix).out;
  auto combined = RunAccord({"state-hash", "--db", first_db, "--db", second_db}, topics.prefix);
  ASSERT_EQ(combined.exit_code, 0) << combined.err;
  EXPECT_EQ(combined.out, expected);
  // The killed instance alone holds only part of the state.
  EXPECT_NE(RunAccord({"state-hash", "--db", first_db}, topics.prefix).out, expected);
}

}  // namespace
}  // namespace accord::testing
