// Point-in-time replay and snapshots through the real broker and RocksDB: a
// live projection is snapshotted at a moment T through its HTTP API; replays
// of the history to T (by event time and by offsets) must equal that
// snapshot, full replays the live state, and a projection restored from the
// snapshot must catch up to the same state as a full replay.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "domain/util/time.h"
#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

constexpr int64_t kT0 = 1735725600000;  // 2025-01-01T10:00:00Z
constexpr int64_t kHour = 3'600'000;
// Every event of the first phase occurred before it, every one of the
// second after it.
constexpr int64_t kCut = kT0 + 24 * kHour;

// People `first` to `first + count - 1` as marketing and the CRM report them
// at `version`: a marketing contact, the CRM's contact (every third under
// another address, linked to the marketing record, so that customers from
// two partitions merge) and an e-mail click.
std::vector<v1::Event> People(int first, int count, int64_t at_ms, uint64_t version) {
  std::vector<v1::Event> events;
  for (int i = first; i < first + count; ++i) {
    const std::string n = std::to_string(i);
    const std::string email = "person" + n + "@firma.de";
    const int64_t at = at_ms + i * 1000;
    events.push_back(ContactEvent("marketing", "m" + n, version, at, email,
                                  "Marketing-" + n + "-v" + std::to_string(version)));
    const bool elsewhere = i % 3 == 0;
    v1::Event crm = ContactEvent("crm", "k" + n, version, at + 300,
                                 elsewhere ? "p.other" + n + "@firma.de" : email,
                                 "Crm-" + n + "-v" + std::to_string(version));
    if (elsewhere) crm.mutable_customer_upserted()->add_linked_source_ids("marketing:m" + n);
    events.push_back(crm);
    events.push_back(EngagementEvent("marketing", "click-" + n + "-v" + std::to_string(version),
                                     at + 600, email, "C-1"));
  }
  return events;
}

// The value after `label ` on its own line of `out` ("state hash ...").
std::string Line(const std::string& out, const std::string& label) {
  std::smatch match;
  if (!std::regex_search(out, match, std::regex("(^|\n)" + label + " ([^\n]+)"))) return "";
  return match[2];
}

std::string StateHash(const std::string& db, const std::string& prefix) {
  auto result = RunAccord({"state-hash", "--db", db}, prefix);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out.substr(0, result.out.find('\n'));
}

// Replays into `db`; returns its output, failing the test on an error.
std::string Replay(const std::vector<std::string>& options, const std::string& db,
                   const std::string& prefix) {
  std::vector<std::string> args = {"replay", "--db", db};
  args.insert(args.end(), options.begin(), options.end());
  auto result = RunAccord(args, prefix);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(std::filesystem::exists(db + ".replaying"));
  return result.out;
}

bool CaughtUp(const std::string& db, const Topics& topics) {
  return FoldedOffsets(db) == EndOffsets(topics);
}

TEST(Replay, ReplaysAndRestoredSnapshotsEqualTheLiveStateTheyStandFor) {
  auto topics = CreateTopics("replay", 3);
  TempDir dir;
  const std::string live = dir / "live";
  AccordProcess projection({"project", "--db", live, "--group-id", topics.prefix + "-live"},
                           topics.prefix);
  int port = 0;
  ASSERT_TRUE(WaitUntil(
      [&] { return (port = ServedPort(projection, "the HTTP API")) > 0 || !projection.Running(); },
      std::chrono::seconds(60)))
      << projection.Stderr();
  ASSERT_GT(port, 0) << projection.Stderr();

  PublishEvents(topics, People(0, 30, kT0, 1));
  ASSERT_TRUE(WaitUntil([&] { return CaughtUp(live, topics); }, std::chrono::seconds(120)))
      << projection.Stderr();
  // The live state at T, taken while the projection runs.
  auto snapshot = RunAccord(
      {"snapshot", "create", dir / "at-cut", "--api", "127.0.0.1:" + std::to_string(port)},
      topics.prefix);
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.err;
  const std::string hash_at_cut = Line(snapshot.out, "state hash");
  const std::string offsets_at_cut = Line(snapshot.out, "offsets");
  ASSERT_EQ(hash_at_cut.size(), 64u) << snapshot.out;
  ASSERT_FALSE(offsets_at_cut.empty()) << snapshot.out;

  // After T: the same people change, new ones come.
  auto later = People(0, 30, kCut + kHour, 2);
  auto newcomers = People(30, 20, kCut + kHour, 1);
  later.insert(later.end(), newcomers.begin(), newcomers.end());
  PublishEvents(topics, later);
  ASSERT_TRUE(WaitUntil([&] { return CaughtUp(live, topics); }, std::chrono::seconds(120)))
      << projection.Stderr();
  projection.Kill(SIGTERM);
  ASSERT_EQ(projection.Wait(), 0) << projection.Stderr();
  const std::string live_hash = StateHash(live, topics.prefix);
  ASSERT_NE(live_hash, hash_at_cut);

  // To T by event time, and by the offsets the snapshot holds.
  const std::string until = FormatIsoTimestampMs(kCut);
  const auto by_time = Replay({"--until", until}, dir / "until-time", topics.prefix);
  EXPECT_EQ(Line(by_time, "state hash"), hash_at_cut) << by_time;
  // Everything after the snapshot's offsets occurred after T: the second
  // phase and the identity events the projection emitted for it.
  const int64_t after_cut = EndOffsets(topics) - FoldedOffsets(dir / "at-cut");
  EXPECT_GT(after_cut, static_cast<int64_t>(later.size()));
  EXPECT_NE(by_time.find(std::to_string(after_cut) + " occurred after --until"), std::string::npos)
      << by_time;
  const auto by_offsets =
      Replay({"--until-offsets", offsets_at_cut}, dir / "until-offsets", topics.prefix);
  EXPECT_EQ(Line(by_offsets, "state hash"), hash_at_cut) << by_offsets;
  EXPECT_EQ(Line(by_offsets, "offsets"), offsets_at_cut);
  auto diff =
      RunAccord({"diff", "--db", dir / "until-time", "--db", dir / "at-cut"}, topics.prefix);
  EXPECT_EQ(diff.exit_code, 0) << diff.out;

  // The whole history, twice: the live state each time.
  const auto first = Replay({}, dir / "full-1", topics.prefix);
  const auto second = Replay({}, dir / "full-2", topics.prefix);
  EXPECT_EQ(Line(first, "state hash"), live_hash) << first;
  EXPECT_EQ(Line(second, "state hash"), live_hash) << second;

  // The snapshot taken at T, restored and caught up.
  auto restored =
      RunAccord({"project", "--db", dir / "restored", "--restore", dir / "at-cut", "--group-id",
                 topics.prefix + "-restored", "--until-caught-up", "--http-listen", ""},
                topics.prefix);
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(StateHash(dir / "restored", topics.prefix), live_hash);
  EXPECT_EQ(RunAccord({"snapshot", "show", dir / "at-cut"}, topics.prefix).out, snapshot.out)
      << "the restore changed the snapshot";

  // A change that occurred before T but arrives only now counts for a
  // replay by event time; a replay by offsets stops before it.
  PublishEvents(topics, {ContactEvent("marketing", "m1", 3, kCut - kHour, "person1@firma.de",
                                      "Late-Arrival")});
  Replay({"--until", until}, dir / "until-time-late", topics.prefix);
  diff =
      RunAccord({"diff", "--db", dir / "until-time-late", "--db", dir / "at-cut"}, topics.prefix);
  EXPECT_EQ(diff.exit_code, 1) << diff.out << diff.err;
  EXPECT_NE(diff.out.find("Late-Arrival"), std::string::npos) << diff.out;
  EXPECT_EQ(diff.out.find("Marketing-2-"), std::string::npos) << "only person 1 changed\n"
                                                              << diff.out;
  const auto still =
      Replay({"--until-offsets", offsets_at_cut}, dir / "offsets-late", topics.prefix);
  EXPECT_EQ(Line(still, "state hash"), hash_at_cut) << still;
}

TEST(Replay, BadInputIsRefusedAndNothingIsWritten) {
  auto topics = CreateTopics("replay-bad", 2);
  PublishEvents(topics, People(0, 3, kT0, 1));
  TempDir dir;
  const std::string db = dir / "state";
  auto refused = [&](const std::vector<std::string>& args, const std::string& reason) {
    auto result = RunAccord(args, topics.prefix);
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    EXPECT_NE(result.err.find(reason), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(db)) << "after " << args[3];
    EXPECT_FALSE(std::filesystem::exists(db + ".replaying"));
  };
  refused({"replay", "--db", db, "--until", "31.12.2025"}, "is not an RFC 3339 time");
  refused({"replay", "--db", db, "--until", "2024-12-31T23:59:59Z"},
          "is before the first event of the history");
  refused({"replay", "--db", db, "--until-offsets", "events:0:1"},
          "names no offset for events:1, campaigns:0, campaigns:1");
  refused({"replay", "--db", db, "--until-offsets",
           "events:0:100000,events:1:0,campaigns:0:0,campaigns:1:0"},
          "events:0 holds offsets below");
  auto unreachable = RunAccord({"replay", "--db", db}, topics.prefix,
                               {{"ACCORD_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"},
                                {"ACCORD_KAFKA_CONNECT_TIMEOUT_MS", "2000"}});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("cannot reach Kafka at 127.0.0.1:1"), std::string::npos)
      << unreachable.err;
  EXPECT_FALSE(std::filesystem::exists(db));

  // A directory that holds anything is never written into.
  std::filesystem::create_directories(db);
  std::ofstream(db + "/notes.txt") << "mine\n";
  auto occupied = RunAccord({"replay", "--db", db}, topics.prefix);
  EXPECT_EQ(occupied.exit_code, 1);
  EXPECT_NE(occupied.err.find("is not empty"), std::string::npos) << occupied.err;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(db), {}), 1);
  const std::string full = dir / "full";
  Replay({}, full, topics.prefix);
  auto restore_over = RunAccord(
      {"project", "--db", db, "--restore", full, "--until-caught-up", "--http-listen", ""},
      topics.prefix);
  EXPECT_EQ(restore_over.exit_code, 1);
  EXPECT_NE(restore_over.err.find("is not empty"), std::string::npos) << restore_over.err;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(db), {}), 1);
  auto not_a_snapshot = RunAccord(
      {"project", "--db", dir / "other", "--restore", db, "--until-caught-up", "--http-listen", ""},
      topics.prefix);
  EXPECT_EQ(not_a_snapshot.exit_code, 1);
  EXPECT_NE(not_a_snapshot.err.find("not a usable snapshot"), std::string::npos)
      << not_a_snapshot.err;

  // A state cut by event time is complete, but cannot be continued.
  const std::string cut = dir / "cut";
  Replay({"--until", FormatIsoTimestampMs(kT0 + 1500)}, cut, topics.prefix);
  auto continued =
      RunAccord({"project", "--db", cut, "--until-caught-up", "--http-listen", ""}, topics.prefix);
  EXPECT_EQ(continued.exit_code, 1);
  EXPECT_NE(continued.err.find("cannot be continued"), std::string::npos) << continued.err;
  auto as_snapshot = RunAccord({"project", "--db", dir / "from-cut", "--restore", cut,
                                "--until-caught-up", "--http-listen", ""},
                               topics.prefix);
  EXPECT_EQ(as_snapshot.exit_code, 1);
  EXPECT_NE(as_snapshot.err.find("cannot be continued"), std::string::npos) << as_snapshot.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "from-cut"));
}

}  // namespace
}  // namespace accord::testing
