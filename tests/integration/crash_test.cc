// Exactly-once effect under crashes: the projection is SIGKILLed again and
// again in the middle of a stream; the state it ends with must equal one
// clean pass, with every customer present once and no event counted twice.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <random>

#include "accord/state/v1/state.pb.h"
#include "domain/events/identity.h"
#include "io/store/store.h"
#include "services/query/state_query.h"
#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

constexpr int kCustomers = 10000;
constexpr int kEventsPerCustomer = 10;  // two contact records and eight engagements
constexpr int kKills = 10;

std::vector<v1::Event> Stream() {
  std::vector<v1::Event> events;
  const int64_t start = 1735689600000;  // 2025-01-01
  for (int i = 0; i < kCustomers; ++i) {
    std::string email = "kunde" + std::to_string(i) + "@firma" + std::to_string(i % 97) + ".de";
    events.push_back(
        ContactEvent("marketing", "M-" + std::to_string(i), 1, start + i, email, "Müller"));
    // The CRM spells the address differently; it is the same person.
    std::string shouted = " KUNDE" + std::to_string(i) + "@Firma" + std::to_string(i % 97) + ".de";
    events.push_back(
        ContactEvent("crm", "003-" + std::to_string(i), 1, start + 2 * i, shouted, "Müller-Weiß"));
    for (int e = 0; e < kEventsPerCustomer - 2; ++e)
      events.push_back(EngagementEvent("marketing",
                                       "E-" + std::to_string(i) + "-" + std::to_string(e),
                                       start + 3 * i + e, email, "C-" + std::to_string(e)));
  }
  return events;
}

TEST(Crash, SigkillMidStreamEndsWithTheCleanPassState) {
  auto topics = CreateTopics("crash", 6);
  auto events = Stream();
  PublishEvents(topics, events);
  const int64_t total = static_cast<int64_t>(events.size());
  TempDir dir;
  const std::string crashed = dir / "crashed";
  const std::map<std::string, std::string> small_batches = {
      {"ACCORD_PROJECT_BATCH_MAX_MESSAGES", "250"},
      {"ACCORD_PROJECT_GROUP_ID", topics.prefix + "-crashing"},
      {"ACCORD_PROJECT_INSTANCE_ID", "crashing-1"},
      // A member killed in the middle of a rebalance must not hold the group
      // up for the default five minutes.
      {"ACCORD_KAFKA_PROPERTY_SESSION_TIMEOUT_MS", "6000"},
      {"ACCORD_KAFKA_PROPERTY_MAX_POLL_INTERVAL_MS", "15000"}};

  std::mt19937 random(20251127);
  int kills = 0;
  for (int round = 0; round < kKills; ++round) {
    // Kill once the store holds a new share of the stream, plus a random
    // extra few messages, so kills land at varying points inside batches.
    // The shares cover the first half of the stream: the process folds on
    // while the test notices, and the last kill must still land mid-stream.
    const int64_t target = total * (round + 1) / (2 * (kKills + 1)) +
                           std::uniform_int_distribution<int64_t>(0, 400)(random);
    AccordProcess projector({"project", "--db", crashed}, topics.prefix, small_batches);
    ASSERT_TRUE(WaitUntil([&] { return FoldedOffsets(crashed) >= target || !projector.Running(); },
                          std::chrono::seconds(120)))
        << "no progress to " << target << " in round " << round << ":\n"
        << projector.Stderr();
    ASSERT_TRUE(projector.Running()) << projector.Stderr();
    projector.Kill(SIGKILL);
    EXPECT_EQ(projector.Wait(), -SIGKILL);
    ++kills;
  }
  EXPECT_EQ(kills, kKills);
  EXPECT_LT(FoldedOffsets(crashed), total) << "the stream ended before the last kill";

  auto finish =
      RunAccord({"project", "--db", crashed, "--until-caught-up"}, topics.prefix, small_batches);
  ASSERT_EQ(finish.exit_code, 0) << finish.err;
  // The topic also holds the identity claims the projection published, some
  // of them twice (a killed run publishes a batch's claims again; their ids
  // are the same and the fold drops the repeat).
  EXPECT_EQ(FoldedOffsets(crashed), EndOffsets(topics));

  auto clean = RunAccord({"project", "--db", dir / "clean", "--until-caught-up"}, topics.prefix,
                         {{"ACCORD_PROJECT_GROUP_ID", topics.prefix + "-clean"}});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;

  auto crashed_store = store::Store::Open(crashed, store::Store::Mode::kReadOnly);
  auto clean_store = store::Store::Open(dir / "clean", store::Store::Mode::kReadOnly);
  EXPECT_EQ(crashed_store->StateHash(), clean_store->StateHash());

  // Every customer exactly once, with exactly its own events counted.
  size_t customers = 0;
  crashed_store->Scan(fold::Table::kCustomers,
                      [&](std::string_view, std::string_view) { return ++customers, true; });
  EXPECT_EQ(customers, static_cast<size_t>(kCustomers));
  query::StateQuery query(*crashed_store);
  for (int i = 0; i < kCustomers; ++i) {
    auto key = events::EmailIdentityKey("kunde" + std::to_string(i) + "@firma" +
                                        std::to_string(i % 97) + ".de");
    auto found = query.ByIdentity(*key);
    ASSERT_TRUE(found) << *key;
    const auto& customer = found->state;
    ASSERT_EQ(customer.applied_events(), static_cast<uint64_t>(kEventsPerCustomer)) << *key;
    ASSERT_EQ(customer.aliases_size(), 3) << *key;
  }
}

// A killed service restarted on its store rejoins its group at once (static
// membership with a default instance id) instead of waiting out the dead
// member's session timeout (45 s by default), for the projection and the
// feedback service alike.
TEST(Crash, AKilledServiceFoldsAgainWithinSecondsOfItsRestart) {
  for (const std::string command : {"project", "feedback"}) {
    SCOPED_TRACE(command);
    auto topics = CreateTopics("restart-" + command, 3);
    std::vector<v1::Event> events;
    for (int i = 0; i < 200; ++i)
      events.push_back(ContactEvent("crm", "R-" + std::to_string(i), 1, 1735689600000 + i,
                                    "kunde" + std::to_string(i) + "@firma.de", "Neumann"));
    const auto half = events.begin() + 100;
    PublishEvents(topics, {events.begin(), half});
    TempDir dir;
    const std::string db = dir / "state";
    const std::vector<std::string> args = {command, "--db", db};
    {
      AccordProcess service(args, topics.prefix);
      ASSERT_TRUE(WaitUntil([&] { return FoldedOffsets(db) == EndOffsets(topics); },
                            std::chrono::seconds(60)))
          << service.Stderr();
      EXPECT_NE(service.Stderr().find("instance accord-"), std::string::npos) << service.Stderr();
      service.Kill(SIGKILL);
      EXPECT_EQ(service.Wait(), -SIGKILL);
    }
    PublishEvents(topics, {half, events.end()});

    AccordProcess restarted(args, topics.prefix);
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(WaitUntil([&] { return FoldedOffsets(db) == EndOffsets(topics); },
                          std::chrono::seconds(60)))
        << restarted.Stderr();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10))
        << restarted.Stderr();
    restarted.Kill(SIGTERM);
    EXPECT_EQ(restarted.Wait(), 0) << restarted.Stderr();
  }
}

}  // namespace
}  // namespace accord::testing
