// The feedback service's done-when, end to end: the bundled sample and a
// small hand-computed fixture (tests/integration/data/feedback/) imported
// with `accord import`, ticked, folded by `accord feedback` and delivered by
// `accord sink http` to a local marketing endpoint that fails for a while,
// with both services SIGKILLed mid-stream and restarted.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/integration/marketing_endpoint.h"

namespace accord::testing {
namespace {

const std::string kSample = std::string(ACCORD_SOURCE_DIR) + "/deploy/local/sample/";
const std::string kFixture = std::string(ACCORD_SOURCE_DIR) + "/tests/integration/data/feedback/";

std::vector<std::string> Ids(const std::vector<v1::Event>& events) {
  std::vector<std::string> ids;
  for (const auto& event : events) ids.push_back(event.event_id());
  return ids;
}

// A partition's ids with the repeats a restarted service published left out.
std::vector<std::string> FirstOccurrences(const std::vector<v1::Event>& events) {
  std::set<std::string> seen;
  std::vector<std::string> ids;
  for (const auto& event : events)
    if (seen.insert(event.event_id()).second) ids.push_back(event.event_id());
  return ids;
}

TEST(FeedbackEndToEnd, SampleAndFixtureReachMarketingOnceThroughFailuresAndKills) {
  auto topics = CreateTopics("feedback-e2e", 3);
  TempDir dir;
  {
    std::ofstream config(dir / "accord.yaml");
    config << "kafka:\n  properties:\n    session.timeout.ms: \"6000\"\n"
              // Small batches: the kill lands mid-stream.
              "project: {batch_max_messages: 10}\n"
              "feedback:\n"
              "  score:\n"
              "    step: 5\n"
              "    half_life_days: 30\n"
              "    engagement: {opened: 2, clicked: 5, form_submitted: 10, webinar_attended: 15}\n"
              "    negative: {unsubscribed: -20, bounced: -10}\n"
              "    lead_rejected: {default: -20, no_budget: -30}\n"
              "    fit:\n"
              "      - {field: job_title, contains: [leiter, head], points: 20}\n"
              "  handover: {min_score: 40, min_fit: 10, min_engagement: 20}\n"
              "  attribution: {window_days: 90, currency: EUR}\n"
              "  reactivation: {min_purchases: 2, overdue_factor: 1.5}\n"
              "sink:\n  http:\n    url: http://127.0.0.1:1/unused\n"
              "    max_attempts: 1000\n    initial_backoff_ms: 5\n    max_backoff_ms: 50\n";
  }
  MarketingEndpoint endpoint(/*failures=*/30);
  const std::map<std::string, std::string> env = {{"ACCORD_CONFIG", dir / "accord.yaml"},
                                                  {"ACCORD_SINK_HTTP_URL", endpoint.Url()}};

  // The sample first, then the fixture, each file through the importer.
  // (A score's "now" is the latest event seen for the customer: engagement
  // read after its deals counts decayed, so this order is part of what the
  // figures below were computed for.)
  const std::vector<std::pair<std::string, std::string>> files = {
      {"contacts", "contacts.csv"},     {"campaigns", "campaigns.csv"},
      {"engagement", "engagement.csv"}, {"lead-decisions", "lead_decisions.csv"},
      {"deals", "deals.csv"},           {"orders", "orders.csv"}};
  for (const auto& from : {kSample, kFixture})
    for (const auto& [kind, file] : files) {
      auto imported = RunAccord({"import", "csv", "--kind", kind, from + file, "--reject-file",
                                 dir / (kind + ".rejects.csv")},
                                topics.prefix, env);
      ASSERT_EQ(imported.exit_code, 0) << from << file << ": " << imported.err;
    }
  // Time passes for reactivation: every partition learns it is 2026.
  auto ticked = RunAccord({"tick", "--at", "2026-01-01T00:00:00Z"}, topics.prefix, env);
  ASSERT_EQ(ticked.exit_code, 0) << ticked.err;
  EXPECT_EQ(ticked.out,
            "ticked 3 partitions of " + topics.names.events + " at 2026-01-01T00:00:00.000Z\n");

  // Both services run; each is killed mid-stream.
  const std::string state = dir / "feedback";
  const std::vector<std::string> feedback = {"feedback", "--db", state, "--http-listen", ""};
  const std::vector<std::string> sink = {"sink",         "http",          "--ledger",
                                         dir / "ledger", "--http-listen", ""};
  const int64_t imported = EndOffsets(topics);
  {
    AccordProcess scoring(feedback, topics.prefix, env);
    AccordProcess delivering(sink, topics.prefix, env);
    ASSERT_TRUE(
        WaitUntil([&] { return FoldedOffsets(state) >= imported / 5 || !scoring.Running(); },
                  std::chrono::seconds(120)))
        << scoring.Stderr();
    ASSERT_TRUE(scoring.Running()) << scoring.Stderr();
    scoring.Kill(SIGKILL);
    EXPECT_EQ(scoring.Wait(), -SIGKILL);
    EXPECT_LT(FoldedOffsets(state), imported) << "killed too late to prove anything";
    ASSERT_TRUE(WaitUntil([&] { return endpoint.Taken().size() >= 40 || !delivering.Running(); },
                          std::chrono::seconds(120)))
        << delivering.Stderr();
    ASSERT_TRUE(delivering.Running()) << delivering.Stderr();
    delivering.Kill(SIGKILL);
    EXPECT_EQ(delivering.Wait(), -SIGKILL);
  }
  auto until_caught_up = [](std::vector<std::string> args) {
    args.push_back("--until-caught-up");
    return args;
  };
  auto scored = RunAccord(until_caught_up(feedback), topics.prefix, env);
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  auto delivered = RunAccord(until_caught_up(sink), topics.prefix, env);
  ASSERT_EQ(delivered.exit_code, 0) << delivered.err;

  // Every feedback event reached marketing, each id taken once.
  const auto first_pass = ReadPartitions(topics.names.feedback);
  // Each feedback event once: a service restarted after a kill publishes
  // the batch it had not stored again, with the same ids.
  std::set<std::string> published;
  std::vector<v1::Event> emitted;
  for (const auto& [partition, events] : first_pass)
    for (const auto& event : events) {
      if (!published.insert(event.event_id()).second) continue;
      emitted.push_back(event);
    }
  EXPECT_EQ(endpoint.Taken(), published);
  EXPECT_GE(endpoint.Requests(), 30 + static_cast<int>(published.size()));

  auto of = [&](const std::string& email) {
    std::vector<v1::Event> out;
    for (const auto& event : emitted)
      if (event.customer_key() == "email:" + email) out.push_back(event);
    return out;
  };
  auto qualified_scores = [](const std::vector<v1::Event>& events) {
    std::set<int> scores;
    for (const auto& event : events)
      if (event.has_lead_qualified()) scores.insert(event.lead_qualified().score());
    return scores;
  };
  // MQL handovers. Fit 20 for "Leiterin Einkauf" and "Head of Marketing".
  // Lena: click +5 at 09:00, webinar +15 at 10:00 (the click decayed an
  // hour: 4.995): 20 + 19.995 = 40, engagement 20 in the window: offered.
  // Ida: open +2, webinar +15, click +5, all at 09:00: 42, offered. Tom has
  // no fit and an open: 2.
  EXPECT_EQ(qualified_scores(of("lena@fixture-gmbh.de")), std::set<int>{40});
  EXPECT_EQ(qualified_scores(of("ida@fixture-gmbh.de")), std::set<int>{42});
  EXPECT_TRUE(qualified_scores(of("tom@fixture-gmbh.de")).empty());
  // Sales rejects Ida three hours later for no budget: her engagement
  // decayed to 21.94 (22), and -30: 20 + 22 - 30 = 12.
  const auto ida = of("ida@fixture-gmbh.de");
  const v1::ScoreUpdated* rejected = nullptr;
  for (const auto& event : ida)
    if (event.has_score_updated() && event.score_updated().components().rbegin()->reason() ==
                                         "-30 negative.lead_rejected (no_budget)")
      rejected = &event.score_updated();
  ASSERT_NE(rejected, nullptr);
  EXPECT_EQ(rejected->score(), 12);
  EXPECT_EQ(rejected->previous_score(), 37);

  // Campaign effectiveness. Lena's D-F1 (12,000.00, won) was touched by F-1
  // then F-2; Tom's D-F2 (6,000.00, lost) by F-1. F-1 touched Lena, Ida and
  // Tom; F-2 Lena and Ida. Index: (won + open pipeline x win rate) per
  // contact touched; nothing is open.
  struct Row {
    std::string campaign;
    v1::AttributionModel model;
    int64_t touched, pipeline, won, win_rate_ppm, index;
  };
  const Row table[] = {
      {"F-1", v1::ATTRIBUTION_MODEL_FIRST_TOUCH, 3, 1'800'000, 1'200'000, 500'000, 400'000},
      {"F-1", v1::ATTRIBUTION_MODEL_LAST_TOUCH, 3, 600'000, 0, 0, 0},
      {"F-1", v1::ATTRIBUTION_MODEL_LINEAR, 3, 1'200'000, 600'000, 333'333, 200'000},
      {"F-2", v1::ATTRIBUTION_MODEL_LAST_TOUCH, 2, 1'200'000, 1'200'000, 1'000'000, 600'000},
      {"F-2", v1::ATTRIBUTION_MODEL_LINEAR, 2, 600'000, 600'000, 1'000'000, 300'000},
  };
  std::map<std::pair<std::string, int>, v1::CampaignEffectiveness> latest;
  for (const auto& event : emitted)
    if (event.has_campaign_effectiveness())
      latest[{event.campaign_effectiveness().campaign_id(),
              event.campaign_effectiveness().model()}] = event.campaign_effectiveness();
  for (const auto& row : table) {
    SCOPED_TRACE(row.campaign + " " + v1::AttributionModel_Name(row.model));
    auto found = latest.find({row.campaign, row.model});
    ASSERT_NE(found, latest.end());
    const auto& figures = found->second;
    EXPECT_EQ(figures.touched_contacts(), row.touched);
    EXPECT_EQ(figures.influenced_pipeline().minor_units(), row.pipeline);
    EXPECT_EQ(figures.won_revenue().minor_units(), row.won);
    EXPECT_EQ(figures.win_rate_ppm(), row.win_rate_ppm);
    EXPECT_EQ(figures.effectiveness_index(), row.index);
  }
  // F-2 was nobody's first touch: touched, but credited nothing.
  auto nobodys_first = latest.find({"F-2", v1::ATTRIBUTION_MODEL_FIRST_TOUCH});
  ASSERT_NE(nobodys_first, latest.end());
  EXPECT_EQ(nobodys_first->second.touched_contacts(), 2);
  EXPECT_EQ(nobodys_first->second.influenced_pipeline().minor_units(), 0);

  // Reactivation. Tom ordered every 30 days until 16 March 2025: due after
  // 45 days, and 291 days have passed at the tick. Ida ordered twice, 214
  // days apart, the last on 1 December: not due. Lena bought once (D-F1).
  std::vector<v1::ReactivationCandidate> candidates;
  for (const auto& email : {"lena@fixture-gmbh.de", "tom@fixture-gmbh.de", "ida@fixture-gmbh.de"})
    for (const auto& event : of(email))
      if (event.has_reactivation_candidate()) {
        EXPECT_EQ(event.customer_key(), std::string("email:") + "tom@fixture-gmbh.de");
        candidates.push_back(event.reactivation_candidate());
      }
  ASSERT_EQ(candidates.size(), 1u);
  EXPECT_EQ(candidates[0].days_since_last_purchase(), 291);
  EXPECT_EQ(candidates[0].usual_interval_days(), 30);
  EXPECT_EQ(candidates[0].recency(), 2);
  EXPECT_EQ(candidates[0].frequency(), 3);
  EXPECT_EQ(candidates[0].monetary(), 2);
  // The sample's lapsed customers are found the same way.
  size_t sample_candidates = 0;
  for (const auto& event : emitted) sample_candidates += event.has_reactivation_candidate();
  EXPECT_GT(sample_candidates, 1u);

  // A replay of the same history into a fresh state emits the same ids in
  // the same order, partition by partition.
  auto replay = RunAccord({"feedback", "--db", dir / "replay", "--group-id",
                           topics.prefix + "-replay", "--http-listen", "", "--until-caught-up"},
                          topics.prefix, env);
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  auto after_replay = ReadPartitions(topics.names.feedback);
  for (const auto& [partition, events] : first_pass) {
    SCOPED_TRACE("feedback partition " + std::to_string(partition));
    const auto& all = after_replay[partition];
    ASSERT_GE(all.size(), events.size());
    EXPECT_EQ(Ids({all.begin() + static_cast<std::ptrdiff_t>(events.size()), all.end()}),
              FirstOccurrences(events));
  }
}

}  // namespace
}  // namespace accord::testing
