// The feedback service through the real broker: lead scores and the
// qualified handover from a small history, the same ids on a replay, and
// the score served over HTTP.
#include <gtest/gtest.h>
#include <httplib.h>

#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "io/store/store.h"
#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

constexpr int64_t kT0 = 1741944600000;  // 2025-03-14T09:30:00Z
constexpr int64_t kHour = 3'600'000;

v1::Event Contact(const std::string& record, const std::string& email, const std::string& company) {
  v1::Event event = ContactEvent("marketing", record, 1, kT0, email, "");
  event.mutable_customer_upserted()->set_company(company);
  return event;
}

v1::Event Engaged(const std::string& record, int64_t at_ms, const std::string& email,
                  v1::EngagementKind kind) {
  v1::Event event = EngagementEvent("marketing", record, at_ms, email, "spring");
  event.mutable_campaign_engagement()->set_kind(kind);
  return event;
}

v1::Event Rejected(const std::string& email, int64_t at_ms, const std::string& reason) {
  v1::Event event = EngagementEvent("crm", "decision-1", at_ms, email, "");
  event.mutable_lead_decision()->set_accepted(false);
  event.mutable_lead_decision()->set_reason_code(reason);
  event.set_event_id(events::MakeEventId("crm", "decision-1", 1, "lead_decision"));
  return event;
}

std::vector<std::string> Ids(const std::vector<v1::Event>& events) {
  std::vector<std::string> ids;
  for (const auto& event : events) ids.push_back(event.event_id());
  return ids;
}

TEST(Feedback, ScoresHandoverAndRejectionWithTheSameIdsOnReplay) {
  auto topics = CreateTopics("feedback", 2);
  TempDir dir;
  {
    std::ofstream config(dir / "accord.yaml");
    config << "feedback:\n"
              "  score:\n"
              "    step: 5\n"
              "    engagement: {opened: 1, form_submitted: 10, webinar_attended: 15}\n"
              "    lead_rejected: {default: -10, no_budget: -25}\n"
              "    fit:\n"
              "      - {field: company, contains: [gmbh], points: 20}\n"
              "  handover: {min_score: 40, min_fit: 10, min_engagement: 20}\n";
  }
  const std::map<std::string, std::string> env = {{"ACCORD_CONFIG", dir / "accord.yaml"}};
  PublishEvents(
      topics,
      {Contact("m1", "anna@corp-gmbh.de", "Corp GmbH"),
       Contact("m2", "bernd@freiberuf.de", "Bernd Freiberuf"),
       Engaged("e1", kT0 + kHour, "anna@corp-gmbh.de", v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED),
       Engaged("e2", kT0 + kHour, "bernd@freiberuf.de", v1::ENGAGEMENT_KIND_OPENED),
       Engaged("e3", kT0 + 2 * kHour, "anna@corp-gmbh.de", v1::ENGAGEMENT_KIND_FORM_SUBMITTED),
       Engaged("e4", kT0 + 2 * kHour, "bernd@freiberuf.de", v1::ENGAGEMENT_KIND_OPENED),
       Rejected("anna@corp-gmbh.de", kT0 + 24 * kHour, "no_budget")});

  auto first =
      RunAccord({"feedback", "--db", dir / "feedback", "--until-caught-up"}, topics.prefix, env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // Five about Anna; and the campaign's effectiveness under three models
  // each time it touched another contact.
  EXPECT_NE(first.out.find("11 feedback events emitted"), std::string::npos) << first.out;

  auto everything = ReadTopic(topics.names.feedback);
  ASSERT_EQ(everything.size(), 11u);
  std::vector<v1::Event> emitted;
  for (const auto& event : everything)
    if (!event.has_campaign_effectiveness()) emitted.push_back(event);
  ASSERT_EQ(emitted.size(), 5u);
  // Anna's, all in her partition, in the order they happened. Bernd's opens
  // never move his score by more than the step.
  std::vector<int> scores;
  for (const auto& event : emitted) {
    EXPECT_EQ(event.customer_key(), "email:anna@corp-gmbh.de");
    EXPECT_EQ(event.origin(), v1::ORIGIN_ACCORD);
    if (event.has_score_updated()) scores.push_back(event.score_updated().score());
  }
  // 20 fit; +15; +10 (the webinar an hour older: 14.99); then, 22 hours
  // later, the engagement decayed to 24.46 and the rejection's -25.
  EXPECT_EQ(scores, (std::vector<int>{20, 35, 45, 19}));
  ASSERT_TRUE(emitted[3].has_lead_qualified()) << emitted[3].ShortDebugString();
  EXPECT_EQ(emitted[3].lead_qualified().score(), 45);
  EXPECT_EQ(emitted[4].score_updated().components().rbegin()->reason(),
            "-25 negative.lead_rejected (no_budget)");

  // A replay of the same history into a fresh directory emits the very same
  // ids, in the same order.
  auto replay = RunAccord({"feedback", "--db", dir / "replay", "--group-id",
                           topics.prefix + "-replay", "--until-caught-up"},
                          topics.prefix, env);
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  auto both = ReadPartitions(topics.names.feedback);
  size_t first_pass = 0;
  for (auto& [partition, events] : both) {
    ASSERT_EQ(events.size() % 2, 0u);
    const auto half = static_cast<std::ptrdiff_t>(events.size() / 2);
    EXPECT_EQ(Ids({events.begin() + half, events.end()}),
              Ids({events.begin(), events.begin() + half}));
    first_pass += half;
  }
  EXPECT_EQ(first_pass, everything.size());

  // The service serves the current score with its parts.
  AccordProcess service({"feedback", "--db", dir / "feedback"}, topics.prefix, env);
  int port = 0;
  ASSERT_TRUE(WaitUntil(
      [&] { return (port = ServedPort(service, "the HTTP API")) > 0 || !service.Running(); },
      std::chrono::seconds(60)))
      << service.Stderr();
  ASSERT_GT(port, 0) << service.Stderr();
  httplib::Client client("127.0.0.1", port);
  client.set_bearer_token_auth(kReadToken);
  auto customer = client.Get("/v1/customers?email=anna%40corp-gmbh.de");
  ASSERT_TRUE(customer && customer->status == 200) << (customer ? customer->body : "no answer");
  const std::string id = nlohmann::json::parse(customer->body)["id"];
  auto score = client.Get("/v1/customers/" + id + "/score");
  ASSERT_TRUE(score && score->status == 200) << (score ? score->body : "no answer");
  auto body = nlohmann::json::parse(score->body);
  EXPECT_EQ(body["score"], 19);
  EXPECT_EQ(body["fit"], 20);
  EXPECT_EQ(body["negative"], -25);
  EXPECT_EQ(body["offered_to_sales"], false);
  EXPECT_EQ(body["rejections"], 1);
  EXPECT_EQ(body["components"][0]["name"], "fit.company");
  service.Kill(SIGTERM);
  EXPECT_EQ(service.Wait(), 0) << service.Stderr();
}

// The feedback service killed again and again mid-stream ends with the
// state and the feedback event ids of one clean pass: nothing emitted is
// lost, and what a killed run emitted again carries the same ids.
TEST(Feedback, SigkillMidStreamEmitsTheIdsOfACleanPass) {
  auto topics = CreateTopics("feedback-crash", 3);
  TempDir dir;
  {
    std::ofstream config(dir / "accord.yaml");
    config << "project: {batch_max_messages: 100}\n"
              "feedback:\n"
              "  score:\n"
              "    engagement: {opened: 1, form_submitted: 10, webinar_attended: 15}\n"
              "    fit:\n"
              "      - {field: company, contains: [gmbh], points: 20}\n"
              "  handover: {min_score: 40, min_fit: 10, min_engagement: 20}\n";
  }
  std::vector<v1::Event> events;
  for (int i = 0; i < 1500; ++i) {
    const std::string email = "kunde" + std::to_string(i) + "@firma.de";
    const std::string id = std::to_string(i);
    events.push_back(Contact("m" + id, email, i % 3 ? "Firma GmbH" : "Freiberuf"));
    events.push_back(Engaged("w" + id, kT0 + kHour, email, v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED));
    events.push_back(Engaged("o" + id, kT0 + kHour, email, v1::ENGAGEMENT_KIND_OPENED));
    events.push_back(Engaged("f" + id, kT0 + 2 * kHour, email, v1::ENGAGEMENT_KIND_FORM_SUBMITTED));
  }
  PublishEvents(topics, events);
  // Small batches, each waiting for Kafka to take its feedback events: the
  // stream takes long enough for the kills to land in the middle of it.
  // (State does not depend on batch sizes, so the clean pass may share them.)
  const std::map<std::string, std::string> env = {
      {"ACCORD_CONFIG", dir / "accord.yaml"},
      {"ACCORD_KAFKA_PROPERTY_SESSION_TIMEOUT_MS", "6000"},
      {"ACCORD_KAFKA_PROPERTY_MAX_POLL_INTERVAL_MS", "15000"},
      {"ACCORD_PROJECT_BATCH_MAX_MESSAGES", "20"}};
  const std::string crashed = dir / "crashed";
  const std::vector<std::string> args = {
      "feedback", "--db", crashed, "--group-id", topics.prefix + "-crashing", "--http-listen", ""};
  // The events, and the credit each lead's first touch sends its campaign.
  const int64_t total = static_cast<int64_t>(events.size()) + 1500;
  for (int round = 1; round <= 3; ++round) {
    AccordProcess service(args, topics.prefix, env);
    ASSERT_TRUE(
        WaitUntil([&] { return FoldedOffsets(crashed) >= total * round / 6 || !service.Running(); },
                  std::chrono::seconds(120)))
        << service.Stderr();
    ASSERT_TRUE(service.Running()) << service.Stderr();
    service.Kill(SIGKILL);
    EXPECT_EQ(service.Wait(), -SIGKILL);
  }
  // Killed, the service writes nothing more: what it had not folded by then
  // is still to come. (Offsets are no measure of the input alone: a killed
  // batch publishes its credits again when folded once more.)
  EXPECT_LT(FoldedOffsets(crashed), EndOffsets(topics)) << "the stream ended before the last kill";
  auto finish = args;
  finish.push_back("--until-caught-up");
  ASSERT_EQ(RunAccord(finish, topics.prefix, env).exit_code, 0);

  std::set<std::string> emitted;
  for (const auto& id : Ids(ReadTopic(topics.names.feedback))) emitted.insert(id);
  auto clean = RunAccord({"feedback", "--db", dir / "clean", "--group-id", topics.prefix + "-clean",
                          "--http-listen", "", "--until-caught-up"},
                         topics.prefix, env);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_NE(clean.out.find(" " + std::to_string(emitted.size()) + " feedback events emitted"),
            std::string::npos)
      << clean.out << " vs " << emitted.size() << " distinct ids after the crashes";
  std::set<std::string> after_clean;
  for (const auto& id : Ids(ReadTopic(topics.names.feedback))) after_clean.insert(id);
  EXPECT_EQ(after_clean, emitted) << "the clean pass emitted ids the crashed one did not";
  // 1000 fitting leads each score three times and qualify once; the other
  // 500 score twice (15, 26; the open moves less than the step). Each lead
  // touched by the campaign adds a contact to it: its figures under three
  // models.
  EXPECT_EQ(emitted.size(), 1000u * 4 + 500u * 2 + 1500u * 3);

  auto crashed_store = store::Store::Open(crashed, store::Store::Mode::kReadOnly);
  auto clean_store = store::Store::Open(dir / "clean", store::Store::Mode::kReadOnly);
  EXPECT_EQ(crashed_store->StateHash(), clean_store->StateHash());

  // A replay rebuilds the same feedback state and publishes nothing.
  const size_t published = ReadTopic(topics.names.feedback).size();
  auto replayed = RunAccord({"replay", "--feedback", "--db", dir / "replayed"}, topics.prefix, env);
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_NE(replayed.out.find("state hash " + clean_store->StateHash()), std::string::npos)
      << replayed.out;
  EXPECT_EQ(ReadTopic(topics.names.feedback).size(), published);
}

// A company and its contacts live in different partitions: the account's
// profile reaches the contacts' shards and their fit counts its industry
// and size.
TEST(Feedback, ACompanysProfileReachesItsContactsInOtherPartitions) {
  auto topics = CreateTopics("feedback-accounts", 3);
  TempDir dir;
  {
    std::ofstream config(dir / "accord.yaml");
    config << "feedback:\n"
              "  score:\n"
              "    fit:\n"
              "      - {field: industry, in: [logistik], points: 15}\n"
              "      - {field: employees, at_least: 100, points: 10}\n";
  }
  v1::Event account;
  account.mutable_account_upserted()->set_account_id("001A");
  account.mutable_account_upserted()->set_industry("Logistik");
  account.mutable_account_upserted()->set_employees(250);
  events::StampEnvelope(account, {"crm", "001A", 1, kT0 + kHour});
  std::vector<v1::Event> history;
  std::set<std::string> keys;
  for (int i = 0; i < 6; ++i) {
    v1::Event contact = ContactEvent("crm", "k" + std::to_string(i), 1, kT0,
                                     "kontakt" + std::to_string(i) + "@spedition.de", "");
    contact.mutable_customer_upserted()->set_account_id("001A");
    keys.insert(contact.customer_key());
    history.push_back(contact);
  }
  history.push_back(account);
  PublishEvents(topics, history);

  auto run = RunAccord({"feedback", "--db", dir / "feedback", "--until-caught-up"}, topics.prefix,
                       {{"ACCORD_CONFIG", dir / "accord.yaml"}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, int> fit_of;
  for (const auto& event : ReadTopic(topics.names.feedback))
    if (event.has_score_updated()) fit_of[event.customer_key()] = event.score_updated().fit();
  ASSERT_EQ(fit_of.size(), keys.size()) << run.err;
  for (const auto& key : keys) EXPECT_EQ(fit_of[key], 25) << key;
  // The profile went to every partition, the contacts in more than one.
  size_t profiles = 0;
  for (const auto& event : ReadTopic(topics.names.events)) profiles += event.has_account_profile();
  EXPECT_EQ(profiles, 3u);
}

}  // namespace
}  // namespace accord::testing
